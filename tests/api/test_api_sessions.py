"""Matchmaking sessions through the API (``api.sessions``), on SQLite and PostgreSQL: the whole
flow, who may do what, optimistic revisions, all-or-nothing changes, exports, outcomes as
feedback, and migration 0003 up and down.

The sample data are the fictional hand-built cluster of ``tests/conftest.py``.
"""

from __future__ import annotations

import csv
import io
import zipfile

import icalendar
import openpyxl
import pytest
from service_fixtures import HOME, POLISH, bearer
from sqlalchemy import select, text

from api.auth import create_user
from api.db import get_db, get_engine
from api.tables import FeedbackEvent, MatchSession, MatchSessionParticipant

BASE = "/api/v1/sessions"
SLOTS = ["10:00", "10:30", "11:00"]


def create(client, token, **changes):
    body = {
        "name": "Весняний B2B-день",
        "date": "2026-05-14",
        "place": "Kharkiv, Derzhprom",
        "timezone": "Europe/Kyiv",
        "meeting_minutes": 25,
        "tables": 2,
        "slots": SLOTS,
        **changes,
    }
    return client.post(BASE, json=body, headers=bearer(token))


def problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    return response.json


def add(client, token, session_id, member_id, **fields):
    response = client.post(
        f"{BASE}/{session_id}/participants",
        json={"member_id": member_id, **fields},
        headers=bearer(token),
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json


def wish(client, token, session_id, member_id, partner_id, level, **query):
    return client.put(
        f"{BASE}/{session_id}/wishes/{member_id}/{partner_id}",
        json={"level": level},
        query_string=query,
        headers=bearer(token),
    )


def stored_row(app, session_id):
    with app.app_context():
        db = get_db()
        row = db.get(MatchSession, session_id)
        return (row.revision, row.document) if row else None


def session_events(app, session_id):
    with app.app_context():
        return sorted(
            (e.member_id, e.partner_id, e.event)
            for e in get_db().scalars(
                select(FeedbackEvent).where(
                    FeedbackEvent.note == f"matchmaking session {session_id}"
                )
            )
        )


@pytest.fixture
def planned(client, tokens):
    """A session of the home cluster with five participants and wishes whose best agenda is
    known: two tables, three slots; the mutual "must" pair and the two one-sided wishes fit."""
    session_id = create(client, tokens.manager).json["session_id"]
    for member_id in ("designer", "knit-factory", "yarn-supplier", "sewing-factory"):
        add(client, tokens.manager, session_id, member_id)
    add(client, tokens.manager, session_id, "pl-distributor", available="2-3", max_meetings=1)
    for member_id, partner_id, level in (
        ("designer", "knit-factory", "must"),
        ("knit-factory", "designer", "must"),
        ("knit-factory", "yarn-supplier", "would"),
        ("pl-distributor", "knit-factory", "must"),
        ("sewing-factory", "designer", "would"),
        ("yarn-supplier", "sewing-factory", "no"),
    ):
        assert (
            wish(client, tokens.manager, session_id, member_id, partner_id, level).status_code
            == 200
        )
    return session_id


def build(client, token, session_id, **body):
    return client.post(
        f"{BASE}/{session_id}/build", json={"time_limit": 10, **body}, headers=bearer(token)
    )


# ---------------------------------------------------------------------------------------------
# The whole flow
# ---------------------------------------------------------------------------------------------


def test_create_list_get_and_field_errors(client, tokens):
    response = create(client, tokens.manager)
    assert response.status_code == 201
    created = response.json
    assert created["network"] == HOME and created["state"] == "preliminary"
    assert created["revision"] == 1 and created["published_revision"] == 0
    assert [s["start"] for s in created["slots"]] == SLOTS
    assert created["slots"][0]["end"] == "10:25" and created["participants"] == 0
    session_id = created["session_id"]
    assert client.get(f"{BASE}/{session_id}", headers=bearer(tokens.manager)).json == created
    listed = client.get(BASE, headers=bearer(tokens.manager)).json
    assert listed["total"] == 1 and listed["items"][0]["session_id"] == session_id

    # Slots from start, end and a break.
    made = create(
        client,
        tokens.admin,
        slots=None,
        start="09:00",
        end="11:00",
        breaks=["10:00-10:15"],
        gap_minutes=5,
        network=HOME,
    ).json
    assert [s["start"] for s in made["slots"]] == ["09:00", "09:30", "10:15"]
    filtered = client.get(
        BASE, query_string={"date_from": "2026-05-15"}, headers=bearer(tokens.admin)
    )
    assert filtered.json["total"] == 0

    body = problem(create(client, tokens.manager, timezone="Europe/Kiyv", tables=2), 422)
    assert (
        body["errors"][0]["field"] == "timezone" and "Europe/Kyiv" in body["errors"][0]["message"]
    )
    body = problem(create(client, tokens.manager, slots=["10:00", "10:10"]), 422)
    assert body["errors"][0]["field"] == "slots" and "overlap" in body["errors"][0]["message"]
    body = problem(create(client, tokens.manager, pair_rules=["same_city"]), 422)
    assert body["errors"][0]["field"].startswith("pair_rules")
    assert "buyers_with_suppliers" in body["errors"][0]["message"]
    body = problem(create(client, tokens.manager, date="2026-02-30"), 422)
    assert body["errors"][0]["field"] == "date"


def test_whole_flow_participants_wishes_build_edit_publish_export_outcomes(app, client, tokens):
    manager = bearer(tokens.manager)
    session_id = create(client, tokens.manager).json["session_id"]
    for member_id in ("designer", "knit-factory", "pl-distributor"):
        add(client, tokens.manager, session_id, member_id)
    upload = (
        "member_id,available,min_meetings,max_meetings\nyarn-supplier,1-2,0,2\nsewing-factory,,1,\n"
    )
    response = client.post(
        f"{BASE}/{session_id}/participants/import",
        data={"file": (io.BytesIO(upload.encode("utf-8")), "participants.csv")},
        content_type="multipart/form-data",
        headers=manager,
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json["added"] == 2 and response.json["participants"] == 5
    participants = client.get(f"{BASE}/{session_id}/participants", headers=manager).json["items"]
    by_id = {p["member_id"]: p for p in participants}
    assert (
        by_id["yarn-supplier"]["available"] == [1, 2]
        and by_id["yarn-supplier"]["max_meetings"] == 2
    )
    assert by_id["designer"]["name"] == "Студія Весна" and by_id["designer"]["role"] == "buyer"

    # The engine's suggestions among the participants, with reasons in both languages.
    refreshed = client.post(f"{BASE}/{session_id}/suggestions", headers=manager)
    assert refreshed.status_code == 200 and refreshed.json["participants"] == 5
    wishes = client.get(f"{BASE}/{session_id}/wishes/designer", headers=manager).json
    assert wishes["stored"] is True
    partners = {p["partner_id"]: p for p in wishes["partners"]}
    assert set(partners) <= {"knit-factory", "pl-distributor", "yarn-supplier", "sewing-factory"}
    assert partners["knit-factory"]["suggested"] and partners["knit-factory"]["reasons"]
    assert "Knitwear production" in " ".join(partners["knit-factory"]["reasons"])
    ukrainian = client.get(
        f"{BASE}/{session_id}/wishes/designer", query_string={"language": "uk"}, headers=manager
    ).json
    assert ukrainian["partners"][0]["reasons"] != wishes["partners"][0]["reasons"]

    # Wishes: the member sets its own, the manager anyone's.
    assert (
        wish(client, tokens.designer, session_id, "designer", "knit-factory", "must").status_code
        == 200
    )
    for member_id, partner_id, level in (
        ("knit-factory", "designer", "must"),
        ("pl-distributor", "knit-factory", "would"),
        ("sewing-factory", "designer", "would"),
        ("yarn-supplier", "knit-factory", "would"),
    ):
        assert (
            wish(client, tokens.manager, session_id, member_id, partner_id, level).status_code
            == 200
        )
    mine = client.get(f"{BASE}/{session_id}/wishes", headers=bearer(tokens.designer)).json["items"]
    assert mine == [{"member_id": "designer", "partner_id": "knit-factory", "level": "must"}]

    # Build: the solver proves the optimum; every wished pair fits (3 slots, 2 tables).
    built = build(client, tokens.manager, session_id)
    assert built.status_code == 200, built.get_data(as_text=True)
    figures = built.json
    assert figures["status"] == "optimal" and figures["gap"] == 0
    assert figures["objective"] == figures["best_bound"] and figures["n_meetings"] == 4
    assert figures["solver"].startswith("OR-Tools") and figures["suggestions_refreshed"]
    summary = client.get(f"{BASE}/{session_id}", headers=manager).json
    assert summary["meetings"] == 4 and summary["meetings_requested"] == 4
    assert (
        summary["meetings_accepted"] == 4
        and summary["last_build"]["objective"] == figures["objective"]
    )
    meetings = client.get(f"{BASE}/{session_id}/agenda", headers=manager).json["meetings"]
    pairs = {m["meeting_id"]: m for m in meetings}
    assert set(pairs) == {
        "designer~knit-factory",
        "knit-factory~pl-distributor",
        "designer~sewing-factory",
        "knit-factory~yarn-supplier",
    }
    assert pairs["designer~knit-factory"]["wish_a"] == "must"
    # Nobody is in two meetings of a slot; yarn-supplier only in its slots 1-2.
    for slot in (1, 2, 3):
        people = [x for m in meetings if m["slot"] == slot for x in (m["member_a"], m["member_b"])]
        assert len(people) == len(set(people))
    assert pairs["knit-factory~yarn-supplier"]["slot"] in (1, 2)

    # A refused edit: 409 with the conflicts, and the stored session is unchanged.
    before = stored_row(app, session_id)
    refused = client.post(
        f"{BASE}/{session_id}/agenda/move",
        json={
            "member_id": "knit-factory",
            "partner_id": "yarn-supplier",
            "slot": pairs["designer~knit-factory"]["slot"],
        },
        headers=manager,
    )
    body = problem(refused, 409)
    assert any(e["field"] == "agenda.double_booking" for e in body["errors"])
    # The message names the participant (issue 15); the meetings' ids are the error's value.
    assert "Харківтрикотаж has 2 meetings" in body["errors"][0]["message"]
    assert "knit-factory" in body["errors"][0]["value"] and "nothing was changed" in body["detail"]
    assert stored_row(app, session_id) == before

    # Edits that hold: lock, cancel, add where both are free (a locked meeting).
    revision = before[0]
    locked = client.post(
        f"{BASE}/{session_id}/agenda/lock",
        json={"member_id": "designer", "partner_id": "knit-factory"},
        query_string={"revision": revision},
        headers=manager,
    )
    assert locked.status_code == 200 and locked.json["meetings"][0]["locked"] is True
    assert locked.json["revision"] == revision + 1
    cancelled = client.post(
        f"{BASE}/{session_id}/agenda/cancel",
        json={"member_id": "sewing-factory", "partner_id": "designer"},
        headers=manager,
    )
    assert cancelled.status_code == 200 and cancelled.json["meetings"][0]["status"] == "cancelled"
    # knit-factory meets someone in every slot (one table left in each); pl-distributor in one.
    busy = {m["slot"] for m in meetings if "pl-distributor" in m["meeting_id"]}
    free = next(slot for slot in (1, 2, 3) if slot not in busy)
    added = client.post(
        f"{BASE}/{session_id}/agenda/add",
        json={"member_id": "sewing-factory", "partner_id": "pl-distributor", "slot": free},
        headers=manager,
    )
    assert added.status_code == 200, added.get_data(as_text=True)
    assert added.json["meetings"][0]["locked"] is True and added.json["meetings"][0]["slot"] == free
    check = client.get(f"{BASE}/{session_id}/check", headers=manager).json
    assert check["errors"] == 0

    # Publish: final; edits now answer 409 naming the state.
    published = client.post(f"{BASE}/{session_id}/publish", headers=manager)
    assert published.status_code == 200
    assert published.json["state"] == "final" and published.json["published_revision"] == 1
    body = problem(
        client.post(
            f"{BASE}/{session_id}/agenda/cancel",
            json={"member_id": "designer", "partner_id": "knit-factory"},
            headers=manager,
        ),
        409,
    )
    assert body["errors"][0]["field"] == "state" and "reopen" in body["detail"]
    problem(build(client, tokens.manager, session_id), 409)

    # Exports parse, in both languages.
    xlsx = client.get(
        f"{BASE}/{session_id}/export/xlsx", query_string={"language": "uk"}, headers=manager
    )
    assert xlsx.status_code == 200
    assert xlsx.content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert (
        xlsx.headers["Content-Disposition"]
        == f'attachment; filename="session-{session_id}-uk.xlsx"'
    )
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx.data))
    assert workbook.sheetnames[:2] == ["План", "План столів"]
    cells = {str(c.value) for row in workbook["План"].iter_rows() for c in row if c.value}
    assert "Студія Весна" in cells and "Харківтрикотаж" in cells
    exported = client.get(
        f"{BASE}/{session_id}/export/csv", query_string={"view": "agendas"}, headers=manager
    )
    assert exported.content_type == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(exported.data.decode("utf-8-sig"))))
    designer_rows = [r for r in rows if r["Participant id"] == "designer"]
    assert {r["Partner id"] for r in designer_rows} == {"knit-factory"}
    assert "Knitwear production" in designer_rows[0]["Why meet"]
    ics = client.get(
        f"{BASE}/{session_id}/export/ics", query_string={"member_id": "designer"}, headers=manager
    )
    assert ics.content_type == "text/calendar; charset=utf-8"
    assert ics.headers["Content-Disposition"] == 'attachment; filename="designer.ics"'
    calendar = icalendar.Calendar.from_ical(ics.data)
    events = {str(e["STATUS"]): e for e in calendar.walk("VEVENT")}
    # The meeting with knit-factory, and the cancelled one (calendars drop it).
    assert sorted(events) == ["CANCELLED", "CONFIRMED"]
    assert "Харківтрикотаж" in str(events["CONFIRMED"]["SUMMARY"])
    assert "Слобожанська" in str(events["CANCELLED"]["SUMMARY"])
    assert events["CONFIRMED"].decoded("DTSTART").tzinfo.key == "Europe/Kyiv"
    archive = client.get(f"{BASE}/{session_id}/export/ics", headers=manager)
    assert archive.content_type == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(archive.data)).namelist()
    assert sorted(names) == sorted(f"{m}.ics" for m in by_id)
    page = client.get(f"{BASE}/{session_id}/export/html", headers=manager)
    assert page.content_type == "text/html; charset=utf-8"
    assert page.headers["Content-Disposition"].startswith("inline;")
    assert "Весняний B2B-день" in page.get_data(as_text=True)

    # Outcomes after the day become feedback for both sides, through the feedback code.
    recorded = client.post(
        f"{BASE}/{session_id}/outcomes",
        json={
            "outcomes": [
                {
                    "member_id": "designer",
                    "partner_id": "knit-factory",
                    "held": True,
                    "outcome": "deal",
                },
                {
                    "member_id": "pl-distributor",
                    "partner_id": "knit-factory",
                    "held": True,
                    "outcome": "follow_up",
                },
                {"member_id": "knit-factory", "partner_id": "yarn-supplier", "held": False},
            ]
        },
        headers=manager,
    )
    assert recorded.status_code == 200, recorded.get_data(as_text=True)
    assert recorded.json["feedback"] == {"written": 4, "removed": 0, "skipped": 0}
    assert session_events(app, session_id) == [
        ("designer", "knit-factory", "deal"),
        ("knit-factory", "designer", "deal"),
        ("knit-factory", "pl-distributor", "meeting"),
        ("pl-distributor", "knit-factory", "meeting"),
    ]
    feedback = client.get("/api/v1/members/designer/feedback", headers=bearer(tokens.designer)).json
    assert [(f["partner_id"], f["event"]) for f in feedback["items"]] == [("knit-factory", "deal")]
    assert client.get(f"{BASE}/{session_id}", headers=manager).json["meetings_held"] == 2
    # A correction corrects the feedback.
    corrected = client.post(
        f"{BASE}/{session_id}/outcomes",
        json={
            "outcomes": [
                {"member_id": "pl-distributor", "partner_id": "knit-factory", "held": False}
            ]
        },
        headers=manager,
    )
    assert corrected.json["feedback"] == {"written": 0, "removed": 2, "skipped": 0}
    assert session_events(app, session_id) == [
        ("designer", "knit-factory", "deal"),
        ("knit-factory", "designer", "deal"),
    ]


def test_outcomes_are_all_or_nothing_and_need_a_final_agenda(app, client, tokens, planned):
    manager = bearer(tokens.manager)
    assert build(client, tokens.manager, planned).status_code == 200
    good = {"member_id": "designer", "partner_id": "knit-factory", "held": True, "outcome": "deal"}
    body = problem(
        client.post(f"{BASE}/{planned}/outcomes", json={"outcomes": [good]}, headers=manager), 409
    )
    assert body["errors"][0]["field"] == "state"
    assert client.post(f"{BASE}/{planned}/publish", headers=manager).status_code == 200
    before = stored_row(app, planned)
    # A meeting that was not held has no outcome: the document says so (422 naming it).
    not_held = {
        "member_id": "knit-factory",
        "partner_id": "pl-distributor",
        "held": False,
        "outcome": "deal",
    }
    body = problem(
        client.post(
            f"{BASE}/{planned}/outcomes", json={"outcomes": [good, not_held]}, headers=manager
        ),
        422,
    )
    assert [e["field"] for e in body["errors"]] == ["outcomes.1.outcome"]
    # A pair without a meeting: 404 naming it, and the good outcome beside it is not kept.
    bad = [good, {"member_id": "designer", "partner_id": "yarn-supplier", "held": True}]
    body = problem(
        client.post(f"{BASE}/{planned}/outcomes", json={"outcomes": bad}, headers=manager), 404
    )
    assert [e["field"] for e in body["errors"]] == ["outcomes[1].meeting"]
    assert stored_row(app, planned) == before and session_events(app, planned) == []
    body = problem(
        client.post(
            f"{BASE}/{planned}/outcomes",
            json={"outcomes": [{**good, "outcome": "won"}]},
            headers=manager,
        ),
        422,
    )
    assert (
        body["errors"][0]["field"].endswith("outcome")
        and "follow_up" in body["errors"][0]["message"]
    )


def test_known_optimum_vetoes_availability_and_locks(client, tokens, planned):
    manager = bearer(tokens.manager)
    figures = build(client, tokens.manager, planned).json
    assert figures["status"] == "optimal" and figures["gap"] == 0
    meetings = client.get(f"{BASE}/{planned}/agenda", headers=manager).json["meetings"]
    pairs = {m["meeting_id"]: m for m in meetings}
    # Every wished pair fits; the veto keeps yarn-supplier and sewing-factory apart.
    assert set(pairs) == {
        "designer~knit-factory",
        "knit-factory~yarn-supplier",
        "knit-factory~pl-distributor",
        "designer~sewing-factory",
    }
    assert pairs["knit-factory~pl-distributor"]["slot"] in (2, 3)
    # Move a meeting by hand (it is locked), rebuild: it stays where it was put. The designer
    # meets in two of the three slots, sewing-factory in one, knit-factory in all three (one
    # table is left in each slot): the designer's free slot takes the meeting.
    designer_slots = {m["slot"] for m in meetings if "designer" in m["meeting_id"]}
    (target,) = {1, 2, 3} - designer_slots
    moved = client.post(
        f"{BASE}/{planned}/agenda/move",
        json={"member_id": "designer", "partner_id": "sewing-factory", "slot": target},
        headers=manager,
    )
    assert moved.status_code == 200, moved.get_data(as_text=True)
    placed = {m["meeting_id"]: (m["slot"], m["table"]) for m in moved.json["meetings"]}
    assert build(client, tokens.manager, planned).status_code == 200
    again = {
        m["meeting_id"]: m
        for m in client.get(f"{BASE}/{planned}/agenda", headers=manager).json["meetings"]
    }
    for meeting_id, place in placed.items():
        assert (again[meeting_id]["slot"], again[meeting_id]["table"]) == place
        assert again[meeting_id]["locked"]
    # A swap exchanges slots and tables; pl-distributor can attend slots 2 and 3 only.
    yarn, distributor = again["knit-factory~yarn-supplier"], again["knit-factory~pl-distributor"]
    swapped = client.post(
        f"{BASE}/{planned}/agenda/swap",
        json={
            "first": {"member_id": "yarn-supplier", "partner_id": "knit-factory"},
            "second": {"member_id": "knit-factory", "partner_id": "pl-distributor"},
        },
        headers=manager,
    )
    if yarn["slot"] in (2, 3):
        assert swapped.status_code == 200
        places = {m["meeting_id"]: (m["slot"], m["table"]) for m in swapped.json["meetings"]}
        assert places == {
            "knit-factory~yarn-supplier": (distributor["slot"], distributor["table"]),
            "knit-factory~pl-distributor": (yarn["slot"], yarn["table"]),
        }
    else:
        body = problem(swapped, 409)
        assert [e["field"] for e in body["errors"]] == ["agenda.unavailable"]
    unlocked = client.post(
        f"{BASE}/{planned}/agenda/unlock",
        json={"member_id": "designer", "partner_id": "sewing-factory"},
        headers=manager,
    )
    assert unlocked.status_code == 200 and unlocked.json["meetings"][0]["locked"] is False
    # A veto refuses a meeting added by hand.
    body = problem(
        client.post(
            f"{BASE}/{planned}/agenda/add",
            json={"member_id": "yarn-supplier", "partner_id": "sewing-factory", "slot": 3},
            headers=manager,
        ),
        409,
    )
    assert any(e["field"] == "agenda.vetoed" for e in body["errors"])


# ---------------------------------------------------------------------------------------------
# Who may do what
# ---------------------------------------------------------------------------------------------


def test_member_reads_its_own_agenda_and_sets_only_its_own_wishes(app, client, tokens, planned):
    designer, knit = bearer(tokens.designer), bearer(tokens.knit)
    assert build(client, tokens.manager, planned).status_code == 200
    # A participant reads the session and the participants ...
    assert client.get(f"{BASE}/{planned}", headers=designer).json["last_build"] is None
    assert client.get(f"{BASE}/{planned}/participants", headers=designer).status_code == 200
    listed = client.get(BASE, headers=designer).json
    assert [s["session_id"] for s in listed["items"]] == [planned]
    # ... its own meetings only, its own agenda and calendar.
    meetings = client.get(f"{BASE}/{planned}/agenda", headers=designer).json["meetings"]
    assert meetings and all("designer" in (m["member_a"], m["member_b"]) for m in meetings)
    own = client.get(
        f"{BASE}/{planned}/agenda/designer", query_string={"language": "uk"}, headers=designer
    )
    assert own.status_code == 200 and len(own.json["rows"]) == 3
    assert any(r["partner_id"] == "knit-factory" and r["reasons"] for r in own.json["rows"])
    assert (
        client.get(
            f"{BASE}/{planned}/export/ics", query_string={"member_id": "designer"}, headers=designer
        ).status_code
        == 200
    )
    own_page = client.get(f"{BASE}/{planned}/export/html", headers=designer).get_data(as_text=True)
    assert "Студія Весна" in own_page and "Пряжа Плюс" not in own_page
    assert client.get(f"{BASE}/{planned}/wishes/designer", headers=designer).status_code == 200
    assert (
        wish(client, tokens.designer, planned, "designer", "yarn-supplier", "would").status_code
        == 200
    )
    # Not anyone else's, and nothing a manager does.
    for response in (
        client.get(f"{BASE}/{planned}/agenda/knit-factory", headers=designer),
        client.get(f"{BASE}/{planned}/wishes/knit-factory", headers=designer),
        wish(client, tokens.designer, planned, "knit-factory", "designer", "no"),
        client.get(
            f"{BASE}/{planned}/export/ics",
            query_string={"member_id": "knit-factory"},
            headers=designer,
        ),
        client.get(f"{BASE}/{planned}/export/ics", headers=designer),
        client.get(f"{BASE}/{planned}/export/xlsx", headers=designer),
        client.get(f"{BASE}/{planned}/check", headers=designer),
        build(client, tokens.designer, planned),
        client.post(f"{BASE}/{planned}/publish", headers=designer),
        client.post(
            f"{BASE}/{planned}/participants", json={"member_id": "photo"}, headers=designer
        ),
        client.delete(f"{BASE}/{planned}", headers=designer),
        create(client, tokens.designer),
    ):
        problem(response, 403)
    # A member who does not take part, and another network's manager, do not see it.
    assert (
        client.get(f"{BASE}/{planned}", headers=knit).status_code == 200
    )  # knit-factory takes part
    with app.app_context():
        db = get_db()
        photo = bearer(create_user(db, "photo", "member", member_id="photo")[1])
        db.commit()
    problem(client.get(f"{BASE}/{planned}", headers=photo), 404)
    problem(
        client.get(
            f"{BASE}/{planned}/export/ics", query_string={"member_id": "photo"}, headers=photo
        ),
        404,
    )
    assert client.get(BASE, headers=photo).json["total"] == 0
    outsider = bearer(tokens.polish_manager)
    for response in (
        client.get(f"{BASE}/{planned}", headers=outsider),
        client.get(f"{BASE}/{planned}/agenda", headers=outsider),
        build(client, tokens.polish_manager, planned),
        wish(client, tokens.polish_manager, planned, "pl-distributor", "designer", "must"),
    ):
        problem(response, 404)
    assert client.get(BASE, headers=outsider).json["total"] == 0
    body = problem(client.get(BASE, query_string={"network": HOME}, headers=outsider), 403)
    assert body["errors"][0]["field"] == "network"
    body = problem(create(client, tokens.manager, network=POLISH), 403)
    assert body["errors"][0]["field"] == "network"
    # The admin sees and runs everything.
    assert client.get(f"{BASE}/{planned}/check", headers=bearer(tokens.admin)).status_code == 200


def test_unknown_things_are_named(client, tokens, planned):
    manager = bearer(tokens.manager)
    problem(client.get(f"{BASE}/nope", headers=manager), 404)
    problem(client.get(f"{BASE}/{planned}/wishes/photo", headers=manager), 404)
    # A participant named in the path that the session does not have: 404 naming it.
    body = problem(wish(client, tokens.manager, planned, "designer", "photo", "must"), 404)
    assert body["errors"][0]["field"] == "partner_id" and "photo" in body["errors"][0]["value"]
    body = problem(wish(client, tokens.manager, planned, "designer", "knit-factory", "maybe"), 422)
    assert body["errors"][0]["field"] == "level" and "must" in body["errors"][0]["message"]
    body = problem(build(client, tokens.manager, planned, time_limit=61), 422)
    assert body["errors"][0]["field"] == "time_limit"
    body = problem(
        client.post(f"{BASE}/{planned}/participants", json={"member_id": "ghost"}, headers=manager),
        404,
    )
    assert body["errors"][0]["field"] == "member_id"
    body = problem(
        client.post(
            f"{BASE}/{planned}/participants", json={"member_id": "designer"}, headers=manager
        ),
        409,
    )
    assert body["errors"][0]["message"] == "already a participant"
    body = problem(
        client.post(
            f"{BASE}/{planned}/participants",
            json={"member_id": "photo", "available": "4-5"},
            headers=manager,
        ),
        422,
    )
    assert body["errors"][0]["field"] == "participants.photo.available"
    assert "slots are 1 to 3" in body["errors"][0]["message"]
    body = problem(
        client.post(
            f"{BASE}/{planned}/agenda/move",
            json={"member_id": "designer", "partner_id": "knit-factory", "slot": 1},
            headers=manager,
        ),
        404,
    )
    # A pair without a meeting: the meeting named does not exist.
    assert body["errors"][0]["field"] == "meeting"
    problem(client.post(f"{BASE}/{planned}/publish", headers=manager), 409)
    body = problem(
        client.get(f"{BASE}/{planned}/export/csv", query_string={"view": "grid"}, headers=manager),
        422,
    )
    assert body["errors"][0]["field"] == "view"


def test_a_participant_named_the_file_formats_way(client, tokens):
    """``id`` names the member, as in a participants or profile file; one name, not both."""
    manager = bearer(tokens.manager)
    session_id = create(client, tokens.manager).json["session_id"]
    url = f"{BASE}/{session_id}/participants"
    response = client.post(url, json={"id": "designer", "max_meetings": 2}, headers=manager)
    assert response.status_code == 201, response.get_data(as_text=True)
    listed = client.get(url, headers=manager).json["items"]
    assert [(p["member_id"], p["max_meetings"]) for p in listed] == [("designer", 2)]
    body = problem(
        client.post(url, json={"id": "knit-factory", "member_id": "photo"}, headers=manager), 422
    )
    assert {e["field"] for e in body["errors"]} == {"member_id", "id"}
    assert [p["member_id"] for p in client.get(url, headers=manager).json["items"]] == ["designer"]


def test_a_bad_import_lists_every_bad_row_and_changes_nothing(app, client, tokens, planned):
    before = stored_row(app, planned)
    upload = (
        "member_id,available,min_meetings,max_meetings\n"
        "photo,1-3,0,2\n"
        "ghost,,,\n"
        "logistics,7-9,,\n"
        "text-only,,3,1\n"
        "photo,,,\n"
    )
    response = client.post(
        f"{BASE}/{planned}/participants/import",
        data={"file": (io.BytesIO(upload.encode("utf-8")), "guests.csv")},
        content_type="multipart/form-data",
        headers=bearer(tokens.manager),
    )
    body = problem(response, 422)
    assert sorted((e["row"], e["field"]) for e in body["errors"]) == [
        (3, "member_id"),
        (4, "available"),
        (5, "min_meetings"),
        (6, "member_id"),
    ]
    assert "nothing was changed" in body["detail"]
    assert stored_row(app, planned) == before
    # An XLSX file is read the same way.
    workbook = openpyxl.Workbook()
    workbook.active.append(["member_id", "available", "max_meetings"])
    workbook.active.append(["photo", "1-2", 1])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = client.post(
        f"{BASE}/{planned}/participants/import",
        data={"file": (io.BytesIO(buffer.getvalue()), "guests.xlsx")},
        content_type="multipart/form-data",
        headers=bearer(tokens.manager),
    )
    assert response.status_code == 200 and response.json["added"] == 1


# ---------------------------------------------------------------------------------------------
# Revisions: a change made meanwhile gives 409 and nothing changes
# ---------------------------------------------------------------------------------------------


def test_a_stale_revision_is_refused(app, client, tokens, planned):
    revision = client.get(f"{BASE}/{planned}", headers=bearer(tokens.manager)).json["revision"]
    first = wish(
        client, tokens.manager, planned, "designer", "yarn-supplier", "would", revision=revision
    )
    assert first.status_code == 200 and first.json["revision"] == revision + 1
    before = stored_row(app, planned)
    body = problem(
        wish(
            client, tokens.designer, planned, "designer", "yarn-supplier", "no", revision=revision
        ),
        409,
    )
    assert body["errors"][0]["field"] == "revision"
    problem(
        client.delete(
            f"{BASE}/{planned}", query_string={"revision": revision}, headers=bearer(tokens.manager)
        ),
        409,
    )
    assert stored_row(app, planned) == before


def test_a_concurrent_change_while_a_change_runs_is_refused(
    app, client, tokens, planned, monkeypatch
):
    import api.services.sessions

    original = api.services.sessions.set_wish

    def set_wish_while_another_request_saves(session, *args):
        original(session, *args)
        # Another worker saves the session between this request's read and its write.
        with get_engine(app).begin() as connection:
            connection.execute(
                text("UPDATE match_sessions SET revision = revision + 1 WHERE session_id = :id"),
                {"id": planned},
            )

    revision, document = stored_row(app, planned)
    monkeypatch.setattr(api.services.sessions, "set_wish", set_wish_while_another_request_saves)
    body = problem(wish(client, tokens.manager, planned, "designer", "yarn-supplier", "must"), 409)
    assert "changed by another request" in body["detail"]
    assert stored_row(app, planned) == (revision + 1, document)
    assert {
        "member_id": "designer",
        "partner_id": "yarn-supplier",
        "level": "must",
    } not in document["wishes"]


def test_delete_and_the_participants_index(app, client, tokens, planned):
    manager = bearer(tokens.manager)
    removed = client.delete(f"{BASE}/{planned}/participants/yarn-supplier", headers=manager)
    assert removed.status_code == 200 and removed.json["participants"] == 4
    with app.app_context():
        listed = (
            get_db()
            .scalars(
                select(MatchSessionParticipant.member_id).where(
                    MatchSessionParticipant.session_id == planned
                )
            )
            .all()
        )
    assert sorted(listed) == ["designer", "knit-factory", "pl-distributor", "sewing-factory"]
    assert client.delete(f"{BASE}/{planned}", headers=manager).status_code == 204
    problem(client.get(f"{BASE}/{planned}", headers=manager), 404)
    with app.app_context():
        assert get_db().scalars(select(MatchSessionParticipant)).all() == []


def test_migration_0003_up_and_down(app, client, tokens, planned):
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import inspect

    from api.db import MIGRATIONS_DIR, upgrade

    engine = get_engine(app)
    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
        users = connection.execute(text("SELECT count(*) FROM users")).scalar()
    assert {"match_sessions", "match_session_participants"} <= tables
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0002")
    with engine.connect() as connection:
        after = set(inspect(connection).get_table_names())
        assert connection.execute(text("SELECT count(*) FROM users")).scalar() == users
    # 0007 (insights results), 0008 (build candidates) and 0010 (member invitations) go too,
    # being later than 0003.
    assert after == tables - {
        "match_sessions",
        "match_session_participants",
        "insights_results",
        "match_session_candidates",
        "member_invitations",
    }
    upgrade(engine)
    with engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) == tables
    assert create(client, tokens.manager).status_code == 201


def test_erasing_a_member_takes_it_out_of_its_sessions(app, client, tokens, planned):
    manager = bearer(tokens.manager)
    assert build(client, tokens.manager, planned).status_code == 200
    assert client.post(f"{BASE}/{planned}/publish", headers=manager).status_code == 200
    revision = stored_row(app, planned)[0]
    erased = client.delete("/api/v1/members/yarn-supplier?erase=true", headers=manager)
    assert erased.status_code == 204
    revision_after, document = stored_row(app, planned)
    assert revision_after == revision + 1 and document["state"] == "final"
    assert "yarn-supplier" not in str(document)
    participants = client.get(f"{BASE}/{planned}/participants", headers=manager).json["items"]
    assert [p["member_id"] for p in participants] == [
        "designer",
        "knit-factory",
        "sewing-factory",
        "pl-distributor",
    ]
    with app.app_context():
        listed = (
            get_db()
            .scalars(
                select(MatchSessionParticipant.member_id).where(
                    MatchSessionParticipant.member_id == "yarn-supplier"
                )
            )
            .all()
        )
    assert listed == []
