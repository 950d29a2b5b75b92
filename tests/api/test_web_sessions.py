"""The manager pages of matchmaking sessions (``api.web.sessions_pages``) with Flask's test
client, on the seeded service of ``service_fixtures`` (SQLite and PostgreSQL): forms with CSRF
and revisions, refused edits, downloads, outcomes as feedback, the dashboard's figures."""

from __future__ import annotations

import html
import io
import re
import zipfile

import icalendar
import openpyxl
import pytest
from service_fixtures import HOME
from sqlalchemy import select

from api.db import get_db
from api.tables import FeedbackEvent, MatchSession

LOGIN = "/manage/login"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_REVISION = re.compile(r'name="revision" value="(\d+)"')


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def form_values(client, path: str) -> dict[str, str]:
    """The CSRF token and the revision that the page's forms carry."""
    body = client.get(path).get_data(as_text=True)
    values = {"csrf_token": _CSRF.search(body).group(1)}
    revision = _REVISION.search(body)
    if revision:
        values["revision"] = revision.group(1)
    return values


def sign_in(client, token: str) -> None:
    response = client.post(
        LOGIN,
        data={**form_values(client, LOGIN), "method": "token", "token": token},
    )
    assert response.status_code == 302


def stored_row(app, session_id):
    with app.app_context():
        row = get_db().get(MatchSession, session_id)
        return row.revision, row.document


@pytest.fixture
def manager(client, tokens):
    sign_in(client, tokens.manager)
    return client


def create(client, **changes) -> str:
    data = {
        **form_values(client, "/manage/sessions"),
        "name": "Осінній B2B-день",
        "date": "2026-10-08",
        "place": "Kharkiv",
        "timezone": "Europe/Kyiv",
        "meeting_minutes": "25",
        "gap_minutes": "5",
        "tables": "2",
        "start": "10:00",
        "end": "11:30",
        "breaks": "",
        "slots": "",
        **changes,
    }
    response = client.post("/manage/sessions", data=data)
    assert response.status_code == 302, text(response)
    return response.headers["Location"].rsplit("/", 1)[1]


@pytest.fixture
def planned(manager):
    """A session with four participants and the wishes of a known best agenda."""
    session_id = create(manager)
    page = f"/manage/sessions/{session_id}"
    for member_id in ("designer", "knit-factory", "yarn-supplier", "pl-distributor"):
        response = manager.post(
            f"{page}/participants", data={**form_values(manager, page), "member_id": member_id}
        )
        assert response.status_code == 302, text(response)
    for member_id, partner_id, level in (
        ("designer", "knit-factory", "must"),
        ("knit-factory", "designer", "must"),
        ("pl-distributor", "knit-factory", "would"),
        ("yarn-supplier", "designer", "no"),
    ):
        response = manager.post(
            f"{page}/wishes",
            data={
                **form_values(manager, page),
                "member_id": member_id,
                "partner_id": partner_id,
                "level": level,
            },
        )
        assert response.status_code == 302, text(response)
    return session_id


def build(client, session_id: str, seconds: str = "10"):
    page = f"/manage/sessions/{session_id}"
    return client.post(f"{page}/build", data={**form_values(client, page), "time_limit": seconds})


def test_navigation_list_and_create_with_errors(manager):
    page = manager.get("/manage/members")
    assert 'href="/manage/sessions"' in text(page) and "Matchmaking sessions" in text(page)
    listed = manager.get("/manage/sessions")
    assert listed.status_code == 200 and "No sessions yet." in text(listed)
    # Bad input: the form comes back with every problem named and nothing is stored.
    response = manager.post(
        "/manage/sessions",
        data={
            **form_values(manager, "/manage/sessions"),
            "name": "",
            "date": "2026-13-01",
            "timezone": "Kyiv",
            "meeting_minutes": "25",
            "gap_minutes": "5",
            "tables": "0",
            "start": "10:00",
            "end": "11:00",
        },
    )
    assert response.status_code == 422
    body = text(response)
    assert "The input has problems (nothing was changed):" in body
    assert "Tables: “0” is not a whole number from 1 to 1000." in body
    response = manager.post(
        "/manage/sessions",
        data={
            **form_values(manager, "/manage/sessions"),
            "name": "",
            "date": "2026-13-01",
            "timezone": "Kyiv",
            "meeting_minutes": "25",
            "gap_minutes": "5",
            "tables": "2",
            "start": "10:00",
            "end": "11:00",
        },
    )
    body = text(response)
    assert response.status_code == 422
    assert "name: a session needs a name" in body and "did you mean 'Europe/Kyiv'?" in body
    assert "date:" in body
    session_id = create(manager)
    page = manager.get(f"/manage/sessions/{session_id}")
    assert page.status_code == 200
    assert "Осінній B2B-день" in text(page) and "10:00–11:25" in text(page)
    assert f'data-session-id="{session_id}"' in text(manager.get("/manage/sessions"))


def test_forms_need_the_csrf_token(manager):
    response = manager.post("/manage/sessions", data={"name": "No token"})
    assert response.status_code == 400
    with manager.application.app_context():
        assert get_db().scalars(select(MatchSession)).all() == []


def test_participants_import_lists_every_bad_row(app, manager):
    session_id = create(manager)
    page = f"/manage/sessions/{session_id}"
    before = stored_row(app, session_id)
    upload = "member_id,available\nghost,\ndesigner,4-6\nknit-factory,\n"
    response = manager.post(
        f"{page}/participants/import",
        data={
            **form_values(manager, page),
            "file": (io.BytesIO(upload.encode("utf-8")), "guests.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    body = text(response)
    assert "row 2, member_id: 'ghost' is not a member" in body
    assert "row 3, available:" in body and "slots are 1 to 3" in body
    assert stored_row(app, session_id) == before
    upload = "member_id,available\ndesigner,1-2\nknit-factory,\n"
    response = manager.post(
        f"{page}/participants/import",
        data={
            **form_values(manager, page),
            "file": (io.BytesIO(upload.encode("utf-8")), "guests.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    body = text(manager.get(page))
    assert "2 participants imported." in body and 'data-member-id="designer"' in body
    # The member search offers those who may join and are not in yet.
    found = text(manager.get(f"{page}?q=Кадр"))
    assert '<li data-member-id="photo">' in found
    found = text(manager.get(f"{page}?q=Харківтрикотаж"))
    assert 'id="found-none"' in found and '<li data-member-id="knit-factory">' not in found


def test_wishes_build_grid_refused_edit_publish_outcomes(app, manager, planned):
    page = f"/manage/sessions/{planned}"
    wishes = manager.get(f"{page}/wishes?member=designer")
    body = text(wishes)
    assert wishes.status_code == 200 and "Студія Весна: whom to meet" in body
    assert re.search(r'id="partner-knit-factory"[^>]*data-level="must"', body)
    response = build(manager, planned)
    assert response.status_code == 302 and response.headers["Location"].endswith("/agenda")
    agenda = manager.get(f"{page}/agenda")
    body = text(agenda)
    assert "Agenda built: 2 meetings" in body
    assert 'data-figure="status">optimal' in body and 'data-figure="gap">0.00%' in body
    grid = body.split('id="grid"')[1].split("</table>")[0]
    assert grid.count("<tr data-slot=") == 3 and grid.count('<td class="meeting') == 2
    assert 'data-meeting="designer~knit-factory"' in grid
    assert 'data-meeting="knit-factory~pl-distributor"' in grid

    # Move the pl-distributor meeting into the slot of designer~knit-factory: refused.
    slot = re.search(
        r'<tr data-slot="(\d)">(?:(?!</tr>).)*data-meeting="designer~knit-factory"', grid, re.DOTALL
    ).group(1)
    before = stored_row(app, planned)
    response = manager.post(
        f"{page}/agenda",
        data={
            **form_values(manager, f"{page}/agenda"),
            "action": "move",
            "meeting": "knit-factory~pl-distributor",
            "slot": slot,
        },
    )
    assert response.status_code == 409
    body = text(response)
    assert "The change was refused (nothing was changed):" in body
    assert "Double booking: Харківтрикотаж has 2 meetings in slot" in body
    assert stored_row(app, planned) == before
    # A stale form (an older revision) is refused as well.
    values = form_values(manager, f"{page}/agenda")
    locked = manager.post(f"{page}/agenda", data={**values, "cell": "lock:designer~knit-factory"})
    assert locked.status_code == 302
    stale = manager.post(f"{page}/agenda", data={**values, "cell": "cancel:designer~knit-factory"})
    assert stale.status_code == 409 and "revision" in text(stale)
    assert "locked" in text(manager.get(f"{page}/agenda"))

    # Outcomes wait for the publication.
    assert "Publish the agenda first" in text(manager.get(f"{page}/outcomes"))
    published = manager.post(f"{page}/publish", data=form_values(manager, f"{page}/agenda"))
    assert published.status_code == 302
    assert 'id="session-state">final' in text(manager.get(f"{page}/agenda"))
    response = manager.post(
        f"{page}/outcomes",
        data={
            **form_values(manager, f"{page}/outcomes"),
            "outcome:designer~knit-factory": "deal",
            "outcome:knit-factory~pl-distributor": "follow_up",
        },
    )
    assert response.status_code == 302
    assert "2 meetings recorded; feedback: 4 written, 0 withdrawn." in text(
        manager.get(f"{page}/outcomes")
    )
    with app.app_context():
        events = sorted(
            (e.member_id, e.partner_id, e.event)
            for e in get_db().scalars(
                select(FeedbackEvent).where(FeedbackEvent.note.like("matchmaking%"))
            )
        )
    assert events == [
        ("designer", "knit-factory", "deal"),
        ("knit-factory", "designer", "deal"),
        ("knit-factory", "pl-distributor", "meeting"),
        ("pl-distributor", "knit-factory", "meeting"),
    ]
    # The dashboard counts what was requested, accepted and held.
    dashboard = text(manager.get(f"/manage/dashboard?network={HOME}"))
    for metric, value in (("requested", 2), ("accepted", 2), ("held", 2)):
        assert f'data-metric="meetings-{metric}">{value}<' in dashboard


def test_downloads_in_the_pages_language(manager, planned):
    page = f"/manage/sessions/{planned}"
    assert build(manager, planned).status_code == 302
    manager.post("/manage/language", data={**form_values(manager, page), "lang": "uk"})
    workbook = manager.get(f"{page}/export/xlsx")
    assert workbook.headers["Content-Disposition"].endswith(f'session-{planned}-uk.xlsx"')
    sheets = openpyxl.load_workbook(io.BytesIO(workbook.data)).sheetnames
    assert sheets[:2] == ["План", "План столів"]
    calendar = manager.get(f"{page}/export/ics", query_string={"member_id": "designer"})
    assert calendar.content_type == "text/calendar; charset=utf-8"
    (event,) = icalendar.Calendar.from_ical(calendar.data).walk("VEVENT")
    assert str(event["SUMMARY"]).startswith("Зустріч з Харківтрикотаж")
    archive = manager.get(f"{page}/export/ics")
    assert archive.content_type == "application/zip"
    assert len(zipfile.ZipFile(io.BytesIO(archive.data)).namelist()) == 4
    plan = manager.get(f"{page}/export/csv", query_string={"view": "tables"})
    assert plan.data.decode("utf-8-sig").startswith("Слот,Час,Стіл 1,Стіл 2")
    printable = manager.get(f"{page}/export/html")
    assert printable.headers["Content-Disposition"].startswith("inline;")
    assert manager.get(f"{page}/export/pdf").status_code == 404
    # The pages speak Ukrainian too.
    body = text(manager.get(f"{page}/agenda"))
    assert "Розклад: слоти за столами" in body and "Стіл 2" in body


def test_other_networks_and_delete(app, client, tokens, planned):
    page = f"/manage/sessions/{planned}"
    other = app.test_client()
    sign_in(other, tokens.polish_manager)
    assert other.get(page).status_code == 404
    assert other.get(f"{page}/agenda").status_code == 404
    assert planned not in text(other.get("/manage/sessions"))
    # Deleting needs the confirmation box.
    refused = client.post(f"{page}/delete", data=form_values(client, page))
    assert refused.status_code == 422 and "Tick the box" in text(refused)
    deleted = client.post(f"{page}/delete", data={**form_values(client, page), "confirm": "1"})
    assert deleted.status_code == 302
    assert client.get(page).status_code == 404


def test_a_wide_agenda_shows_a_page_of_tables_and_edits_land_on_their_cell(manager):
    # 25 tables: three pages of ten (api.web.agenda_grid).
    session_id = create(manager, tables="25")
    page = f"/manage/sessions/{session_id}"
    for member_id in ("designer", "knit-factory", "yarn-supplier", "pl-distributor"):
        response = manager.post(
            f"{page}/participants", data={**form_values(manager, page), "member_id": member_id}
        )
        assert response.status_code == 302, text(response)
    agenda = f"{page}/agenda"
    body = text(manager.get(agenda, query_string={"page": "3"}))
    assert re.findall(r'<th scope="col">Table (\d+)</th>', body) == ["21", "22", "23", "24", "25"]
    assert 'aria-current="page">Tables 21–25<' in body

    def edit(**fields):
        values = form_values(manager, f"{agenda}?page=3")
        return manager.post(agenda, data={**values, "page": "3", **fields})

    # Added on page 3: back on page 3, at its cell.
    added = edit(action="add", member_a="designer", member_b="knit-factory", slot="1", table="23")
    assert added.status_code == 302, text(added)
    assert added.headers["Location"].endswith("/agenda?page=3#cell-1-23")
    body = text(manager.get(added.headers["Location"]))
    assert '<td class="meeting locked" id="cell-1-23" data-meeting="designer~knit-factory"' in body
    added = edit(action="add", member_a="yarn-supplier", member_b="pl-distributor", slot="2")
    assert added.headers["Location"].endswith("/agenda#cell-2-1")  # the lowest free table
    # The edit lists of page 3 hold its meetings only.
    body = text(manager.get(agenda, query_string={"page": "3"}))
    move_list = body.split('id="move-meeting"')[1].split("</select>")[0]
    assert "designer~knit-factory" in move_list and "pl-distributor" not in move_list
    # Unlocked in place; moved to table 2: on the page that holds table 2 now.
    unlocked = edit(cell="unlock:designer~knit-factory")
    assert unlocked.headers["Location"].endswith("/agenda?page=3#cell-1-23")
    moved = edit(action="move", meeting="designer~knit-factory", slot="3", table="2")
    assert moved.headers["Location"].endswith("/agenda#cell-3-2")
    # A refused edit shows the page of tables it was made on, with the refusal.
    refused = edit(action="move", meeting="designer~knit-factory", slot="2", table="1")
    assert refused.status_code == 409
    assert 'aria-current="page">Tables 21–25<' in text(refused)
    # A participant's tables: the filter is kept through an edit.
    body = text(manager.get(agenda, query_string={"member": "designer"}))
    assert re.findall(r'<th scope="col">Table (\d+)</th>', body) == ["2"]
    values = form_values(manager, f"{agenda}?member=designer")
    locked = manager.post(
        agenda, data={**values, "member": "designer", "cell": "lock:designer~knit-factory"}
    )
    assert locked.headers["Location"].endswith("/agenda?member=designer#cell-3-2")
