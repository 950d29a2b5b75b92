"""A member's matchmaking day in headless Chromium (issue 16, "Matchmaking days").

A manager makes a day through the API with the live server's member and three other home
members, and builds it (a mutual "must" gives the member a meeting). The member signs in with
its token on ``/my/login``, finds the day, sets a wish while the agenda is preliminary; the
manager publishes; the member sees its final agenda with the reasons, downloads its calendar
(only its own meetings), opens its printable agenda (styled under its policy) and records an
outcome. Then the day page in Ukrainian at 390 px. axe-core and the 390 px fit on every page
shown (:func:`tests.browser.pages.page_problems`).

The fixtures ``live_server`` and ``browser`` are in ``conftest.py``.
"""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import icalendar
import pytest

from .pages import PHONE, page_problems

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture then skips, or fails under MATCHER_REQUIRE_BROWSER=1
    expect = None

HOME = "kharkiv-fashion-cluster"


def _api(live_server, method: str, path: str, body: dict | None = None) -> dict:
    """Call the API as the live server's manager."""
    request = urllib.request.Request(
        f"{live_server.url}/api/v1{path}",
        data=json.dumps(body).encode("utf-8") if body is not None else None,
        headers={
            "Authorization": f"Bearer {live_server.manager_token}",
            "Content-Type": "application/json",
        },
        method=method,
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def member_day(live_server) -> dict:
    """A built, not yet published day with the live member and three other home members; the
    member and the first of them wish to meet each other ("must")."""
    me = live_server.member_id
    members = _api(live_server, "GET", f"/members?network={HOME}&per_page=20")["items"]
    others = [m for m in members if m["member_id"] != me][:3]
    created = _api(
        live_server,
        "POST",
        "/sessions",
        {
            "name": "Member day",
            "date": "2027-03-18",
            "place": "Kharkiv",
            "timezone": "Europe/Kyiv",
            "meeting_minutes": 20,
            "tables": 2,
            "slots": ["10:00", "10:30", "11:00"],
        },
    )
    session_id = created["session_id"]
    for member_id in [me, *(m["member_id"] for m in others)]:
        _api(live_server, "POST", f"/sessions/{session_id}/participants", {"member_id": member_id})
    partner = others[0]["member_id"]
    for member_id, partner_id in ((me, partner), (partner, me)):
        _api(
            live_server,
            "PUT",
            f"/sessions/{session_id}/wishes/{member_id}/{partner_id}",
            {"level": "must"},
        )
    _api(live_server, "POST", f"/sessions/{session_id}/build", {"time_limit": 10})
    return {
        "session_id": session_id,
        "partner": partner,
        "others": [m["member_id"] for m in others],
        "names": {m["member_id"]: m["name"] for m in others},
    }


def _member_page(browser, live_server, locale: str):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale=locale
    )
    page = context.new_page()
    page.goto("/my/login")
    page.fill("#token", live_server.member_token)
    page.click("#sign-in-token")
    expect(page).not_to_have_url(re.compile(r"/my/login"))
    return context, page


def test_a_member_takes_part_in_a_day(browser, live_server, member_day, tmp_path):
    session_id, partner = member_day["session_id"], member_day["partner"]
    context, page = _member_page(browser, live_server, "en-GB")
    try:
        # The member's days, and the day's preliminary agenda.
        page.goto("/my/sessions")
        page.click(f'tr[data-session-id="{session_id}"] a')
        expect(page).to_have_url(re.compile(rf"/my/sessions/{session_id}$"))
        expect(page.locator("#agenda-preliminary")).to_be_visible()
        met = page.locator(f'#my-agenda tr[data-partner-id="{partner}"]')
        expect(met).to_have_count(1)
        assert page_problems(page) == []

        # A wish, before publishing: "Would meet" for a partner of the wish list or the list
        # of the other participants.
        wished = member_day["others"][1]
        listed = page.locator(f'#wish-list li[data-partner-id="{wished}"]')
        if listed.count():
            listed.locator("button.level-would").click()
        else:
            page.select_option("#partner_id", wished)
            page.select_option("#level", "would")
            page.click("#set-other-wish")
        expect(page.locator(f'#wish-list li[data-partner-id="{wished}"]')).to_have_attribute(
            "data-level", "would"
        )

        # Published: the final agenda with the reasons, the calendar and the printable page.
        _api(live_server, "POST", f"/sessions/{session_id}/publish")
        page.reload()
        expect(page.locator("#agenda-preliminary")).to_have_count(0)
        expect(page.locator("#agenda-heading")).to_have_text("Your agenda")
        expect(met.locator("ul.reasons li").first).to_be_visible()
        with page.expect_download() as download_info:
            page.click("#download-ics")
        calendar = icalendar.Calendar.from_ical(Path(download_info.value.path()).read_bytes())
        summaries = [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")]
        mine = page.locator("#my-agenda tr[data-partner-id]:not([data-partner-id=''])").count()
        assert len(summaries) == mine >= 1
        assert any(member_day["names"][partner] in s for s in summaries), summaries
        assert calendar.walk("VEVENT")[0].decoded("DTSTART").tzinfo.key == "Europe/Kyiv"

        printable = context.new_page()
        refused: list[str] = []
        printable.on("console", lambda message: refused.append(message.text))
        response = printable.goto(f"/my/sessions/{session_id}/printable")
        assert "style-src 'sha256-" in response.headers["content-security-policy"]
        assert not [t for t in refused if "Content Security Policy" in t], refused
        font = printable.evaluate("() => getComputedStyle(document.body).fontFamily")
        assert "DejaVu Sans" in font
        assert live_server.member_name in printable.content()
        printable.close()

        # After the day: the meeting took place and a deal came of it.
        page.select_option(f'#outcomes select[data-partner-id="{partner}"]', "deal")
        page.click("#save-outcomes")
        expect(page.locator(f'#outcomes select[data-partner-id="{partner}"]')).to_have_value("deal")
        agenda = _api(live_server, "GET", f"/sessions/{session_id}/agenda")["meetings"]
        (meeting,) = [
            m for m in agenda if {m["member_a"], m["member_b"]} == {live_server.member_id, partner}
        ]
        assert (meeting["status"], meeting["outcome"]) == ("held", "deal")
        assert page_problems(page) == []
    finally:
        context.close()

    # In Ukrainian, on a phone.
    context, page = _member_page(browser, live_server, "uk-UA")
    try:
        page.set_viewport_size(PHONE)
        page.goto(f"/my/sessions/{session_id}")
        expect(page.locator("#agenda-heading")).to_have_text("Ваш розклад")
        expect(page.locator("#wishes-heading")).to_have_text("Ваш список побажань")
        assert page_problems(page) == []
    finally:
        context.close()
