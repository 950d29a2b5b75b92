"""The matchmaking-session pages end to end in headless Chromium, against the real service.

A manager creates a session, imports participants and adds one found by the search, asks the
engine for suggestions, marks wishes, builds the agenda, sees the slot-by-table grid, edits it
(a refused edit shows its conflicts), downloads a participant's calendar and the workbook,
publishes, and records an outcome. Screenshots of every page go to the test's folder (and to
``MATCHER_SCREENSHOT_DIR`` when set). The fixtures are in ``conftest.py``.
"""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import icalendar
import openpyxl
import pandas as pd

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture then skips, or fails under MATCHER_REQUIRE_BROWSER=1
    expect = None

HOME = "kharkiv-fashion-cluster"
#: Participants imported from a file: home members of the sample with needs, and partners.
IMPORTED = 8


def _no_horizontal_overflow(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def _overflowing(page) -> list[str]:
    """The elements that stick out of the window on the right (none when the page fits)."""
    return page.evaluate(
        """() => { const width = document.documentElement.clientWidth;
        return Array.from(document.querySelectorAll('body *'))
          .filter(e => e.getBoundingClientRect().right > width + 1
                       && !(e.parentElement && e.parentElement.closest('.table-scroll')))
          .slice(0, 5)
          .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                    + (e.className ? '.' + String(e.className).replace(/ /g, '.') : '')); }"""
    )


def _participants_file(folder: Path, live_server) -> tuple[Path, list[str]]:
    """A CSV of participants: the first home members of the sample that seek something
    (not the member the search adds), the first two only in the morning's first slots."""
    profiles = pd.read_csv(live_server.folder / "profiles.csv", dtype=str, keep_default_na=False)
    home = profiles[(profiles["network"] == HOME) & (profiles["seeks"] != "")]
    home = home[home["id"] != live_server.member_id]
    polish = profiles[profiles["network"] != HOME]
    chosen = list(home["id"].iloc[: IMPORTED - 2]) + list(polish["id"].iloc[:2])
    rows = [
        {"member_id": member_id, "available": "1-3" if i < 2 else "", "max_meetings": ""}
        for i, member_id in enumerate(chosen)
    ]
    path = folder / "participants.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path, chosen


def _names(live_server) -> dict[str, str]:
    profiles = pd.read_csv(live_server.folder / "profiles.csv", dtype=str, keep_default_na=False)
    return dict(zip(profiles["id"], profiles["name"], strict=True))


def _api(live_server, method: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        live_server.url + "/api/v1" + path,
        data=json.dumps(body).encode("utf-8") if body is not None else None,
        headers={
            "Authorization": f"Bearer {live_server.manager_token}",
            "Content-Type": "application/json",
        },
        method=method,
    )
    with urllib.request.urlopen(request, timeout=90) as response:
        return json.loads(response.read())


def _revision(page) -> int:
    return int(page.locator("[data-revision]").first.get_attribute("data-revision"))


def test_session_from_creation_to_agenda_and_downloads(
    page, live_server, sign_in, screenshot, tmp_path
):
    sign_in(page)
    page.click("nav.main >> text=Matchmaking sessions")
    expect(page.locator("h1")).to_have_text("Matchmaking sessions")
    expect(page.locator("nav.main a[aria-current=page]")).to_have_text("Matchmaking sessions")
    screenshot(page, "sessions-01-list")

    # Create: slots from the start, the end and a break.
    page.fill("#name", "Kharkiv Fashion Days: B2B meetings")
    page.fill("#date", "2026-05-14")
    page.fill("#place", "Kharkiv, Derzhprom, hall 2")
    page.fill("#start", "10:00")
    page.fill("#end", "12:45")
    page.fill("#breaks", "11:30-11:45")
    page.fill("#tables", "4")
    page.click("#create-button")
    expect(page).to_have_url(re.compile(r"/manage/sessions/[0-9a-f]{32}$"))
    expect(page.locator(".notice")).to_contain_text("created")
    expect(page.locator("h1")).to_have_text("Kharkiv Fashion Days: B2B meetings")
    session_url = page.url
    slots = page.locator("#settings-heading ~ dl ul.tags li")
    expect(slots).to_have_count(5)
    expect(slots.nth(3)).to_have_text("11:45-12:10")
    screenshot(page, "sessions-02-created")

    # Participants: a file (all rows or none), then one member found by the search.
    path, imported = _participants_file(tmp_path, live_server)
    page.set_input_files("#file", str(path))
    page.click("#import-button")
    expect(page.locator(".notice")).to_contain_text(f"{IMPORTED} participants imported")
    rows = page.locator("#participants-table tbody tr")
    expect(rows).to_have_count(IMPORTED)
    expect(page.locator(f'tr[data-member-id="{imported[0]}"] td.nowrap').first).to_have_text("1–3")
    page.fill("#q", live_server.member_name)
    page.click("#member-search")
    found = page.locator(f'#found li[data-member-id="{live_server.member_id}"]')
    expect(found).to_have_count(1)
    found.locator("button").click()
    expect(page.locator(".notice")).to_contain_text("takes part now")
    expect(rows).to_have_count(IMPORTED + 1)
    assert _no_horizontal_overflow(page)
    screenshot(page, "sessions-03-participants")

    # The engine's suggestions among the participants; wishes from two participants.
    page.click("#suggest-button")
    expect(page).to_have_url(re.compile(r"/wishes$"))
    expect(page.locator(".notice")).to_contain_text("The engine suggested")
    page.select_option("#member", live_server.member_id)
    page.click("#show-wishes")
    cards = page.locator("#wish-list li.suggestion")
    expect(cards.first).to_be_visible()
    assert cards.count() >= 2
    expect(cards.first.locator("ul.reasons li").first).to_be_visible()
    names = _names(live_server)
    wished = []
    for index, level in ((0, "must"), (1, "would")):
        card = page.locator("#wish-list li.suggestion").nth(index)
        partner_id = card.get_attribute("data-partner-id")
        card.locator(f"button[value={level}]").click()
        expect(page.locator(".notice")).to_contain_text(
            f"{live_server.member_name} → {names[partner_id]}"
        )
        expect(page.locator(f"#partner-{partner_id}")).to_have_attribute("data-level", level)
        wished.append(partner_id)
    # The first partner wants the meeting too: a mutual "must".
    page.select_option("#member", wished[0])
    page.click("#show-wishes")
    card = page.locator(f"#partner-{live_server.member_id}")
    if card.count() == 0:
        page.select_option("#partner_id", live_server.member_id)
        page.select_option("#level", "must")
        page.click("#other-wish button")
    else:
        card.locator("button[value=must]").click()
    expect(page.locator(f"#partner-{live_server.member_id}")).to_have_attribute(
        "data-level", "must"
    )
    assert _no_horizontal_overflow(page)
    screenshot(page, "sessions-04-wishes")

    # Build the agenda and see the grid: a row per slot, a column per table.
    page.click("nav.tabs >> text=Agenda")
    expect(page.locator("#not-built")).to_be_visible()
    page.fill("#time_limit", "10")
    page.click("#build-button")
    expect(page).to_have_url(re.compile(r"/agenda$"))
    expect(page.locator(".notice")).to_contain_text("Agenda built")
    expect(page.locator('[data-figure="status"]')).to_contain_text("optimal")
    expect(page.locator('[data-figure="gap"]')).to_have_text("0.00%")
    grid = page.locator("#grid")
    expect(grid.locator("tbody tr")).to_have_count(5)
    expect(grid.locator("thead th")).to_have_count(5)
    meetings = grid.locator("td.meeting")
    assert meetings.count() >= 2
    mutual = "~".join(sorted((live_server.member_id, wished[0])))
    expect(grid.locator(f'td[data-meeting="{mutual}"]')).to_have_count(1)
    assert _no_horizontal_overflow(page)
    screenshot(page, "sessions-05-agenda")

    # Lock the mutual meeting from its cell; a refused edit leaves the agenda as it was.
    grid.locator(f'td[data-meeting="{mutual}"] button[value="lock:{mutual}"]').click()
    expect(page.locator(".notice")).to_contain_text("Meeting locked")
    expect(grid.locator(f'td[data-meeting="{mutual}"] .locked-badge')).to_be_visible()
    # Move the member's other meeting into the locked meeting's slot: a double booking, refused.
    other = "~".join(sorted((live_server.member_id, wished[1])))
    expect(grid.locator(f'td[data-meeting="{other}"]')).to_have_count(1)
    slot = (
        grid.locator(f'td[data-meeting="{mutual}"]').locator("xpath=..").get_attribute("data-slot")
    )
    revision = _revision(page)
    page.select_option("#move-meeting", other)
    page.select_option("#move-slot", slot)
    page.click("#move-button")
    expect(page.locator(".problems")).to_contain_text("Double booking")
    expect(page.locator(".problems")).to_contain_text("nothing was changed")
    assert _revision(page) == revision
    expect(grid.locator(f'td[data-meeting="{other}"]')).to_have_count(1)
    assert (
        grid.locator(f'td[data-meeting="{other}"]').locator("xpath=..").get_attribute("data-slot")
        != slot
    )
    screenshot(page, "sessions-06-refused-edit")

    # Downloads: one participant's calendar and the workbook, checked inside.
    page.goto(session_url)
    with page.expect_download() as download_info:
        page.click(f'a[data-ics="{live_server.member_id}"]')
    download = download_info.value
    assert download.suggested_filename == f"{live_server.member_id}.ics"
    calendar = icalendar.Calendar.from_ical(Path(download.path()).read_bytes())
    events = {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}
    assert len(events) >= 2
    (summary,) = [text for text in events if names[wished[0]] in text]
    assert summary.startswith(f"Meeting with {names[wished[0]]}") and "Table" in summary
    assert "Why meet:" in str(events[summary]["DESCRIPTION"])
    assert all(str(event["STATUS"]) == "TENTATIVE" for event in events.values())
    assert events[summary].decoded("DTSTART").tzinfo.key == "Europe/Kyiv"
    with page.expect_download() as download_info:
        page.click("#download-xlsx")
    download = download_info.value
    assert download.suggested_filename.endswith("-en.xlsx")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    workbook = openpyxl.load_workbook(saved)
    assert workbook.sheetnames[:2] == ["Plan", "Table plan"]
    assert len(workbook.sheetnames) == 2 + IMPORTED + 1
    plan = [[cell.value for cell in row] for row in workbook["Plan"].iter_rows()]
    assert any(live_server.member_id in row for row in plan)
    assert live_server.member_name in {value for row in plan for value in row}

    # In Ukrainian: the grid's labels, the tabs and the figures.
    page.click("nav.tabs >> text=Agenda")
    page.click("form.language button[value=uk]")
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page.locator("#grid-heading")).to_have_text("Розклад: слоти за столами")
    expect(page.locator("nav.tabs a[aria-current=page]")).to_have_text("Розклад")
    expect(page.locator('[data-figure="status"]')).to_contain_text("оптимальний")
    expect(page.locator("#grid thead th").nth(1)).to_have_text("Стіл 1")
    screenshot(page, "sessions-07-agenda-uk")

    # Publish, then record after the day that a meeting did not take place.
    page.click("#publish-button")
    expect(page.locator("#session-state")).to_have_text("остаточний")
    page.click("nav.tabs >> text=Результати")
    select = page.locator("#outcomes tbody tr").first.locator("select")
    select.select_option("not_held")
    page.click("#save-outcomes")
    expect(page.locator(".notice")).to_contain_text("Внесено зустрічей: 1")
    expect(page.locator("#outcomes tbody tr").first.locator("select")).to_have_value("not_held")
    screenshot(page, "sessions-08-outcomes-uk")

    page.click("form.language button[value=en]")
    page.click("nav.main >> text=Dashboard")
    expect(page.locator('[data-metric="meetings-requested"]')).not_to_have_text("0")
    screenshot(page, "sessions-09-dashboard")
    page.click("nav.main >> text=Matchmaking sessions")
    # Other tests' sessions on the same server may be listed too.
    expect(
        page.locator("#sessions tbody tr", has_text="Kharkiv Fashion Days: B2B meetings")
    ).to_have_count(1)
    screenshot(page, "sessions-10-list")


def test_session_pages_fit_a_phone_screen(browser, live_server, sign_in, screenshot):
    # A session of its own, made through the API: three members, a wish, a quick agenda.
    created = _api(
        live_server,
        "POST",
        "/sessions",
        {
            "name": "Телефонна перевірка",
            "date": "2026-06-02",
            "tables": 6,
            "slots": ["10:00", "10:30", "11:00"],
        },
    )
    session_id = created["session_id"]
    profiles = pd.read_csv(live_server.folder / "profiles.csv", dtype=str, keep_default_na=False)
    members = list(profiles[profiles["network"] == HOME]["id"].iloc[:3])
    for member_id in members:
        _api(live_server, "POST", f"/sessions/{session_id}/participants", {"member_id": member_id})
    _api(
        live_server,
        "PUT",
        f"/sessions/{session_id}/wishes/{members[0]}/{members[1]}",
        {"level": "must"},
    )
    built = _api(live_server, "POST", f"/sessions/{session_id}/build", {"time_limit": 5})
    assert built["n_meetings"] == 1
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, locale="uk-UA"
    )
    try:
        page = context.new_page()
        sign_in(page)
        for path, name in (
            ("/manage/sessions", "sessions-11-phone-list"),
            (f"/manage/sessions/{session_id}", "sessions-12-phone-session"),
            (
                f"/manage/sessions/{session_id}/wishes?member={members[0]}",
                "sessions-13-phone-wishes",
            ),
            (f"/manage/sessions/{session_id}/agenda", "sessions-14-phone-agenda"),
        ):
            page.goto(path)
            expect(page.locator("h1")).to_be_visible()
            assert _no_horizontal_overflow(page), (path, _overflowing(page))
            screenshot(page, name)
        # The grid scrolls within its frame, its slot column stays in view.
        expect(page.locator("#grid td.meeting")).to_have_count(1)
        assert page.evaluate(
            "(() => { const f = document.querySelector('.grid-scroll');"
            " return f.scrollWidth > f.clientWidth; })()"
        )
    finally:
        context.close()
