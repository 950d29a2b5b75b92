"""Words instead of codes, in Chromium (issue 15): what a manager reads on the profile, the
suggestions and the insights report names networks by their display names (the sample's
``networks.csv``) and members by their names, never by slug or id; languages are named in the
page's language, and numbers are written as it writes them (Ukrainian: decimal commas,
no-break spaces between thousands). Ids stay in URLs, attributes and the labelled member-id
fields (how members are found and imported)."""

from __future__ import annotations

import re

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture then skips, or fails under MATCHER_REQUIRE_BROWSER=1
    expect = None

#: The sample's network slugs and member ids ("kfc-0001", "pl-00148").
CODES = re.compile(r"\b(?:[a-z]+-(?:fashion|textile|apparel)-[a-z]+|kfc-\d{4}|[a-z]{2}-\d{5})\b")
#: The text a person reads: the rendered text, without the labelled member-id fields.
READABLE = """() => {
  const copy = document.body.cloneNode(true);
  copy.querySelectorAll(".member-id, script, style").forEach((element) => element.remove());
  return copy.innerText;
}"""


def readable(page) -> str:
    # Runs of ASCII white space made one (no-break spaces are part of what is written).
    return re.sub(r"[ \t\r\n]+", " ", page.evaluate(READABLE))


def test_pages_and_report_speak_in_names_and_the_languages_numbers(
    page, live_server, sign_in, screenshot
):
    sign_in(page)
    page.click("form.language button[value=uk]")
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    members = readable(page)
    assert not CODES.findall(members), CODES.findall(members)[:5]
    assert "Харківський фешн-кластер" in members

    # The profile: its network, working languages and figures in words people read.
    page.goto(f"/manage/members/{live_server.member_id}")
    expect(page.locator("h1")).to_have_text(live_server.member_name)
    profile = readable(page)
    assert not CODES.findall(profile), CODES.findall(profile)
    assert "Харківський фешн-кластер" in profile
    assert re.search(r"Робочі мови (?:українська|російська|англійська)", profile)
    expect(page.locator(".member-id")).to_have_text(live_server.member_id)

    # Partners abroad: the reasons name the other network and the shared languages.
    page.goto(f"/manage/members/{live_server.member_id}/suggestions?scope=international")
    cards = page.locator("#suggestions li.suggestion")
    expect(cards.first).to_be_visible()
    reasons = readable(page)
    assert not CODES.findall(reasons), CODES.findall(reasons)
    assert "З іншої мережі: Польський фешн-кластер, Польща" in reasons
    assert not re.search(r"Спільні робочі мови: [a-z]{2}\b", reasons)
    screenshot(page, "words-suggestions-uk")

    # The report (the figures may still be being computed: the page reloads itself).
    page.goto("/manage/insights")
    expect(page.locator('[data-metric="members"]')).to_have_text(
        str(live_server.home_members), timeout=120_000
    )
    insights = readable(page)
    assert not CODES.findall(insights), CODES.findall(insights)
    # The figure's words agree with it (150: "учасників").
    expect(page.locator('[data-metric="members"] + .metric-label')).to_have_text("учасників мережі")
    page.goto("/manage/insights/report.html?language=uk")
    expect(page.locator("h1")).to_have_text("Аналітика кластера")
    report = readable(page)
    assert not CODES.findall(report), CODES.findall(report)[:5]
    assert "Що має Харківський фешн-кластер" in report
    # Decimals with a comma (the mean potential), never with a point.
    assert re.search(r"\b0,\d\d\b", report) and not re.search(r"\b0\.\d\d\b", report)
    screenshot(page, "words-report-uk")

    # English: the same words, English names.
    page.goto(f"/manage/members/{live_server.member_id}")
    page.click("form.language button[value=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    profile = readable(page)
    assert not CODES.findall(profile), CODES.findall(profile)
    assert "Kharkiv Fashion Cluster" in profile
    assert re.search(r"Working languages (?:Ukrainian|Russian|English)", profile)
    assert all(url.startswith(live_server.url) for url in page.requested_urls)
