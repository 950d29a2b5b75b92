"""The manager pages end to end in headless Chromium, against the real service (see conftest)."""

from __future__ import annotations

import re

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture then skips, or fails under MATCHER_REQUIRE_BROWSER=1
    expect = None


def _no_horizontal_overflow(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_sign_in_search_suggestions_language_dashboard(page, live_server, sign_in, screenshot):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/manage/login$"))
    expect(page.locator("h1")).to_have_text("Sign in")
    expect(page.locator(".notice")).to_have_count(0)
    screenshot(page, "01-login")

    sign_in(page)
    expect(page.locator(".notice")).to_contain_text(f"Signed in as {live_server.manager_name}")
    expect(page.locator("nav.main a[aria-current=page]")).to_have_text("Members")
    screenshot(page, "02-members")

    # Search by name, narrowed to the home network.
    page.fill("#q", live_server.member_name)
    page.select_option("#network", "kharkiv-fashion-cluster")
    page.click("#search-button")
    row = page.locator(f'tr[data-member-id="{live_server.member_id}"]')
    expect(row).to_have_count(1)
    expect(page.locator("#member-count")).to_have_attribute("data-total", "1")
    screenshot(page, "03-search")

    row.locator("a").click()
    expect(page.locator("h1")).to_have_text(live_server.member_name)
    expect(page.locator("#seeks ul.tags li").first).to_be_visible()
    # The manager of the member's network sees its contact block.
    expect(page.locator("#contact-details")).to_be_visible()
    screenshot(page, "04-profile")

    page.click("#suggestions-link")
    cards = page.locator("#suggestions li.suggestion")
    expect(cards.first).to_be_visible()
    assert cards.count() == 10
    first_reasons = cards.first.locator("ul.reasons li")
    expect(first_reasons.first).to_be_visible()
    assert first_reasons.count() >= 2
    english_reasons = first_reasons.all_inner_texts()
    assert _no_horizontal_overflow(page)
    screenshot(page, "05-suggestions")

    # Switch to Ukrainian: the same page, its labels and the engine's reasons in Ukrainian.
    page.click("form.language button[value=uk]")
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page.locator("h1")).to_contain_text("Запропоновані партнери")
    expect(page.locator("nav.main a[aria-current=page]")).to_have_text("Учасники")
    ukrainian_reasons = (
        page.locator("#suggestions li.suggestion").first.locator("ul.reasons li").all_inner_texts()
    )
    assert len(ukrainian_reasons) == len(english_reasons)
    assert ukrainian_reasons != english_reasons
    assert any(re.search(r"[а-яіїєґ]", reason) for reason in ukrainian_reasons)
    screenshot(page, "06-suggestions-uk")

    page.click(f".crumbs a[href$='/{live_server.member_id}']")
    expect(page.locator("#seeks")).to_be_visible()
    expect(page.locator("dl.facts.wide dt").first).to_have_text("Пропонує")
    screenshot(page, "06b-profile-uk")

    page.click("nav.main >> text=Огляд")
    expect(page.locator("h1")).to_have_text("Огляд")
    # A manager's dashboard opens on its own network.
    # By its display name (the sample's networks.csv), its slug only in the attribute.
    expect(page.locator("[data-network=kharkiv-fashion-cluster]")).to_have_text(
        "Харківський фешн-кластер"
    )
    expect(page.locator('[data-metric="members"]')).to_have_text(str(live_server.home_members))
    expect(page.locator('[data-count="total:total"]')).to_have_text(str(live_server.home_members))
    # The server's feedback as the fixture gave it: this file runs first on the shared server
    # (files run in name order), before the member pages' tests answer suggestions.
    for event, count in live_server.feedback.items():
        expect(page.locator(f'[data-count="event:{event}"]')).to_have_text(str(count))
    expect(page.locator('[data-metric="accepted"]')).to_have_text(
        str(live_server.feedback["accepted"])
    )
    assert _no_horizontal_overflow(page)
    screenshot(page, "07-dashboard-uk")

    # Its own network only: another network's figures are an admin's to see.
    expect(page.locator("#network")).to_have_count(0)

    # Nothing came from another site (no CDN, no web fonts).
    assert all(url.startswith(live_server.url) for url in page.requested_urls)


def test_token_sign_in_and_sign_out(page, live_server, sign_in, screenshot):
    sign_in(page, token=live_server.manager_token)
    expect(page.locator(".who")).to_contain_text(live_server.manager_name)
    page.click("header button.link")
    expect(page).to_have_url(re.compile(r"/manage/login$"))
    expect(page.locator(".notice")).to_have_text("You are signed out.")
    page.goto("/manage/dashboard")
    expect(page).to_have_url(re.compile(r"/manage/login\?next="))
    expect(page.locator(".notice")).to_have_text("Sign in to see this page.")
    # The language can be chosen before signing in, and signing in keeps it.
    page.click("form.language button[value=uk]")
    expect(page.locator("h1")).to_have_text("Вхід")
    screenshot(page, "14-login-uk")
    page.fill("#token", live_server.manager_token)
    page.click("#sign-in-token")
    expect(page).to_have_url(re.compile(r"/manage/dashboard$"))
    expect(page.locator("h1")).to_have_text("Огляд")


def test_refusals_are_explained(page, live_server, sign_in, screenshot):
    sign_in(page, token=live_server.member_token, expect_success=False)
    expect(page.locator(".error")).to_contain_text("for cluster managers and administrators")
    expect(page.locator(".error")).to_contain_text("member-user")
    screenshot(page, "09-member-refused")

    page.fill("#name", live_server.manager_name)
    page.fill("#password", "not the password")
    page.click("#sign-in-password")
    expect(page.locator(".error")).to_have_text("The user name or password is wrong.")
    # The name stays filled in; the password does not.
    expect(page.locator("#name")).to_have_value(live_server.manager_name)
    expect(page.locator("#password")).to_have_value("")


def test_bad_search_input_is_explained(page, live_server, sign_in, screenshot):
    sign_in(page)
    page.goto("/manage/members?country=Poland&page=zero")
    problems = page.locator(".problems li")
    expect(problems).to_have_count(2)
    expect(problems.nth(0)).to_contain_text("did you mean 'PL'?")
    expect(problems.nth(1)).to_contain_text("whole number")
    screenshot(page, "10-bad-search")


def test_pages_fit_a_phone_screen(browser, live_server, sign_in, screenshot):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        sign_in(page)
        for path, name in (
            ("/manage/members", "11-phone-members"),
            (f"/manage/members/{live_server.member_id}/suggestions", "12-phone-suggestions"),
            ("/manage/dashboard", "13-phone-dashboard"),
            ("/manage/insights", "13b-phone-insights"),
        ):
            page.goto(path)
            expect(page.locator("h1")).to_be_visible()
            assert _no_horizontal_overflow(page), path
            screenshot(page, name)
    finally:
        context.close()


def _charts_drawn(page) -> list[str]:
    """The names of the page's chart images that loaded and have a size."""
    return page.evaluate(
        "Array.from(document.querySelectorAll('img[data-chart]'))"
        ".filter(img => img.complete && img.naturalWidth > 0"
        " && img.getBoundingClientRect().height > 100)"
        ".map(img => img.dataset.chart)"
    )


def test_insights_page_and_report_in_both_languages(page, live_server, sign_in, screenshot):
    sign_in(page)
    page.click("nav.main >> text=Insights")
    expect(page.locator("h1")).to_have_text("Cluster insights")
    expect(page.locator("nav.main a[aria-current=page]")).to_have_text("Insights")
    # The first visit may find the figures being computed: the page reloads itself until they
    # are ready (computed off the request path, once for every worker).
    expect(page.locator('[data-metric="members"]')).to_have_text(
        str(live_server.home_members), timeout=120_000
    )
    # The member's feedback makes the outcomes chart: five charts, every one drawn.
    charts = page.locator("img[data-chart]")
    expect(charts).to_have_count(5)
    page.wait_for_load_state("networkidle")
    assert _charts_drawn(page) == ["gradation", "supply", "markets", "network", "outcomes"]
    expect(page.locator("#outcomes-line")).to_contain_text(
        f"accepted: {live_server.feedback['accepted']}"
    )
    assert _no_horizontal_overflow(page)
    screenshot(page, "15-insights")

    page.click("form.language button[value=uk]")
    expect(page.locator("h1")).to_have_text("Аналітика кластера")
    expect(charts).to_have_count(5)
    page.wait_for_load_state("networkidle")
    assert len(_charts_drawn(page)) == 5
    assert all("/charts/uk/" in src for src in charts.evaluate_all("els => els.map(e => e.src)"))
    screenshot(page, "16-insights-uk")

    # The report in both languages: its own styles apply, and every chart is inline SVG.
    page.click("a[data-download=report] >> text=Звіт двома мовами")
    expect(page).to_have_url(re.compile(r"/manage/insights/report\.html\?language=both$"))
    expect(page.locator("h1")).to_have_count(2)
    expect(page.locator("h1").nth(0)).to_have_text("Аналітика кластера")
    expect(page.locator("h1").nth(1)).to_have_text("Cluster insights")
    assert page.evaluate("getComputedStyle(document.querySelector('main')).maxWidth") == "1100px"
    svgs = page.locator("figure svg")
    expect(svgs).to_have_count(10)
    heights = svgs.evaluate_all("els => els.map(e => e.getBoundingClientRect().height)")
    assert all(height > 100 for height in heights)
    screenshot(page, "17-insights-report")

    assert all(url.startswith(live_server.url) for url in page.requested_urls)
