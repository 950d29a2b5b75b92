"""The figures a manager reads, in headless Chromium (issue 15): the strength of a match and the
sentence that explains it, the member list's order and last page, the outcomes chart's legend
clear of its bars, and the pages with a network chooser on a 390 px phone. The fixtures are in
``conftest.py``; the counts themselves are checked in ``tests/api/test_web_figures.py``."""

from __future__ import annotations

import re

from click.testing import CliRunner

from api.web.queries import name_sort_key

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture then skips, or fails under MATCHER_REQUIRE_BROWSER=1
    expect = None

PHONE = {"width": 390, "height": 844}
#: The outcomes chart's series colours (matcher.insights.report): its bars, and its legend keys.
BAR_COLOURS = ("#a9c4e4", "#1f5fa8", "#e39b4c", "#2e7d4f")


def _admin_token(live_server) -> str:
    """An administrator of the live service (the one who chooses a network on the dashboard)."""
    from matcher.cli import main

    result = CliRunner().invoke(
        main,
        ["users", "create", "--name", "figures-admin", "--role", "admin"],
        env={"DATABASE_URL": f"sqlite:///{live_server.folder / 'matcher.sqlite'}"},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def _overflowing(page) -> list[str]:
    """The elements that stick out of the window on the right (none when the page fits)."""
    return page.evaluate(
        """() => { const width = document.documentElement.clientWidth;
        return Array.from(document.querySelectorAll('body *'))
          .filter(e => e.getBoundingClientRect().right > width + 1
                       && !(e.parentElement && e.parentElement.closest('.table-scroll')))
          .slice(0, 5)
          .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')); }"""
    )


def test_strength_members_order_and_the_outcomes_legend(page, live_server, sign_in, screenshot):
    sign_in(page)

    # The member list: the home network first, by name; a page past the end is the last one.
    # (The sample's home members' ids start with "kfc-", the Polish ones' with "pl-".)
    rows = page.locator("#members tbody tr")
    expect(rows.first).to_have_attribute("data-member-id", re.compile(r"^kfc-"))
    names = page.locator("#members tbody tr td:first-child a").all_inner_texts()
    assert len(names) == 25 and names == sorted(names, key=name_sort_key)
    page.goto("/manage/members?page=999")
    expect(page.locator(".page-of")).to_have_text(re.compile(r"^Page (\d+) of \1$"))
    expect(page.locator("#members tbody tr").first).to_be_visible()

    # A suggestion list: the strength of each partner, the sentence that says what it means,
    # and the calibrated score one click away.
    page.goto(f"/manage/members/{live_server.member_id}/suggestions")
    note = page.locator("#strength-note")
    expect(note).to_contain_text("Strength compares each partner with the best one in this list")
    expect(note).to_contain_text("strong from 70%")
    cards = page.locator("#suggestions li.suggestion")
    expect(cards).to_have_count(10)
    tiers = page.locator("#suggestions .strength").evaluate_all(
        "els => els.map(e => [e.dataset.tier, Number(e.querySelector('meter').value)])"
    )
    assert tiers[0] == ["strong", 1]
    assert all(tier in ("strong", "good", "possible") and 0 <= share <= 1 for tier, share in tiers)
    expect(cards.first.locator(".strength-tier")).to_have_text("strong")
    score = cards.first.locator(".score-value")
    expect(score).to_be_hidden()
    cards.first.locator(".score-details summary").click()
    expect(score).to_be_visible()
    expect(score).to_have_text(re.compile(r"^Score: (0\.\d{3}|< 0\.001)$"))
    screenshot(page, "figures-01-strength")

    # The outcomes chart (the member's feedback makes it): its legend covers no bar.
    page.goto("/manage/insights")
    expect(page.locator('[data-metric="members"]')).to_have_text(
        str(live_server.home_members), timeout=120_000
    )
    expect(page.locator("#chart-outcomes")).to_be_visible()
    page.goto("/manage/insights/charts/en/outcomes.svg")
    boxes = page.evaluate(
        """(colours) => {
          const legend = document.querySelector('g[id$="legend_1"]');
          const box = r => [r.left, r.top, r.right, r.bottom];
          const bars = Array.from(document.querySelectorAll('path'))
            .filter(p => !legend.contains(p)
                         && colours.some(c => (p.getAttribute('style') || '').includes(c)))
            .map(p => box(p.getBoundingClientRect()))
            .filter(([left, top, right, bottom]) => right > left && bottom > top);
          return {legend: box(legend.getBoundingClientRect()), bars};
        }""",
        list(BAR_COLOURS),
    )
    left, top, right, bottom = boxes["legend"]
    assert boxes["bars"], "no bar found in the outcomes chart"
    for bar_left, bar_top, bar_right, bar_bottom in boxes["bars"]:
        assert bar_right <= left or bar_left >= right or bar_bottom <= top or bar_top >= bottom, (
            boxes["legend"],
            (bar_left, bar_top, bar_right, bar_bottom),
        )


def test_pages_with_a_network_chooser_fit_a_phone(browser, live_server, sign_in, screenshot):
    token = _admin_token(live_server)
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="uk-UA")
    try:
        page = context.new_page()
        sign_in(page, token=token)
        page.click("form.language button[value=uk]")
        # An administrator's dashboard chooses a network: label, list and button wrap.
        page.goto("/manage/dashboard")
        button = page.locator("form.inline button[type=submit]")
        expect(button).to_be_visible()
        assert _overflowing(page) == [], _overflowing(page)
        box = button.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
        expect(page.locator('[data-metric="meeting"] + .metric-label')).to_contain_text(
            "одна на пару"
        )
        screenshot(page, "figures-03-phone-dashboard-admin-uk")
        for path in (
            "/manage/insights",
            f"/manage/members/{live_server.member_id}/suggestions",
        ):
            page.goto(path)
            expect(page.locator("h1")).to_be_visible()
            assert _overflowing(page) == [], (path, _overflowing(page))
        expect(page.locator("#strength-note")).to_contain_text("Сила збігу")
        screenshot(page, "figures-04-phone-suggestions-uk")
    finally:
        context.close()
