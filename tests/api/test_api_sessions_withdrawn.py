"""Members who leave the service leave their matchmaking sessions (``DELETE /members/{id}``),
on SQLite and PostgreSQL.

A withdrawn member goes from every preliminary agenda and wish list at once; a published
agenda keeps its meetings with it, flagged everywhere (session and agenda JSON, the partner's
own agenda, CSV, calendars, the printable page, the manager pages) until the manager records
them as not held or reopens the agenda; an erased member disappears from every session, a
published meeting leaving only a nameless "partner erased" slot on the partner's side. A
withdrawn member cannot be added, and a build never plans one, even when a document still
names it. The member and its sessions change in one transaction.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import zipfile

import icalendar
import openpyxl
import pytest
from service_fixtures import bearer
from sqlalchemy import select, update

from api.db import get_db
from api.tables import MatchSession, MatchSessionParticipant, Member, utcnow
from matcher.sessions.exports import LABELS

BASE = "/api/v1/sessions"
MEMBERS = "/api/v1/members"
SLOTS = ["10:00", "10:30", "11:00"]
#: The member who leaves, and its name (tests/conftest.py).
LEAVER, LEAVER_NAME = "knit-factory", "Харківтрикотаж"


def create(client, token, **changes) -> str:
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
    response = client.post(BASE, json=body, headers=bearer(token))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json["session_id"]


def add(client, token, session_id, member_id, **fields):
    response = client.post(
        f"{BASE}/{session_id}/participants",
        json={"member_id": member_id, **fields},
        headers=bearer(token),
    )
    assert response.status_code == 201, response.get_data(as_text=True)


def wish(client, token, session_id, member_id, partner_id, level):
    return client.put(
        f"{BASE}/{session_id}/wishes/{member_id}/{partner_id}",
        json={"level": level},
        headers=bearer(token),
    )


def build(client, token, session_id):
    response = client.post(
        f"{BASE}/{session_id}/build", json={"time_limit": 10}, headers=bearer(token)
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def stored_row(app, session_id):
    with app.app_context():
        row = get_db().get(MatchSession, session_id)
        return row.revision, row.document


def indexed(app, member_id):
    with app.app_context():
        return sorted(
            get_db().scalars(
                select(MatchSessionParticipant.session_id).where(
                    MatchSessionParticipant.member_id == member_id
                )
            )
        )


def names_member(document, member_id) -> bool:
    """Whether a session document names `member_id` as participant, wisher or meeting side."""
    return (
        any(p["member_id"] == member_id for p in document["participants"])
        or any(member_id in (w["member_id"], w["partner_id"]) for w in document["wishes"])
        or any(member_id in (m["member_a"], m["member_b"]) for m in document["meetings"])
        or member_id in document["suggestions"]
        or any(
            s["partner_id"] == member_id
            for items in document["suggestions"].values()
            for s in items
        )
    )


def withdraw(client, token, member_id, erase=False):
    response = client.delete(
        f"{MEMBERS}/{member_id}", query_string={"erase": "true"} if erase else {}, headers=token
    )
    assert response.status_code == 204, response.get_data(as_text=True)


@pytest.fixture
def planned(client, tokens):
    """Five participants whose wishes put the leaver in most meetings of the agenda."""
    session_id = create(client, tokens.manager)
    for member_id in ("designer", LEAVER, "yarn-supplier", "sewing-factory"):
        add(client, tokens.manager, session_id, member_id)
    add(client, tokens.manager, session_id, "pl-distributor", available="2-3", max_meetings=1)
    for member_id, partner_id, level in (
        ("designer", LEAVER, "must"),
        (LEAVER, "designer", "must"),
        (LEAVER, "yarn-supplier", "would"),
        ("pl-distributor", LEAVER, "must"),
        ("sewing-factory", "designer", "would"),
        ("yarn-supplier", "sewing-factory", "no"),
    ):
        response = wish(client, tokens.manager, session_id, member_id, partner_id, level)
        assert response.status_code == 200, response.get_data(as_text=True)
    return session_id


def leaver_meetings(meetings) -> list[dict]:
    return [m for m in meetings if LEAVER in (m["member_a"], m["member_b"])]


def sign_in(client, token: str) -> None:
    login = "/manage/login"
    page = client.get(login).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(login, data={"csrf_token": csrf, "method": "token", "token": token})
    assert response.status_code == 302


# ---------------------------------------------------------------------------------------------
# A preliminary agenda: the member leaves it at once
# ---------------------------------------------------------------------------------------------


def test_a_withdrawn_member_leaves_a_preliminary_session(app, client, tokens, planned):
    manager = bearer(tokens.manager)
    build(client, tokens.manager, planned)
    revision, document = stored_row(app, planned)
    assert names_member(document, LEAVER) and leaver_meetings(document["meetings"])

    withdraw(client, manager, LEAVER)

    revision_after, document = stored_row(app, planned)
    assert revision_after == revision + 1 and document["state"] == "preliminary"
    assert not names_member(document, LEAVER)
    assert indexed(app, LEAVER) == []
    participants = client.get(f"{BASE}/{planned}/participants", headers=manager).json["items"]
    assert LEAVER not in [p["member_id"] for p in participants]
    wishes = client.get(f"{BASE}/{planned}/wishes", headers=manager).json["items"]
    assert wishes and all(LEAVER not in (w["member_id"], w["partner_id"]) for w in wishes)
    partners = client.get(f"{BASE}/{planned}/wishes/designer", headers=manager).json["partners"]
    assert LEAVER not in [p["partner_id"] for p in partners]
    agenda = client.get(f"{BASE}/{planned}/agenda", headers=manager).json
    assert agenda["meetings"] and leaver_meetings(agenda["meetings"]) == []
    summary = client.get(f"{BASE}/{planned}", headers=manager).json
    assert summary["participants"] == 4 and summary["withdrawn"] == []
    assert summary["revision"] == revision + 1

    # A rebuild does not plan it, and a wish for it is refused naming it: it is no longer a
    # participant (404).
    build(client, tokens.manager, planned)
    agenda = client.get(f"{BASE}/{planned}/agenda", headers=manager).json
    assert agenda["meetings"] and leaver_meetings(agenda["meetings"]) == []
    refused = wish(client, tokens.manager, planned, "designer", LEAVER, "must")
    assert refused.status_code == 404 and LEAVER in refused.json["detail"]


def test_a_build_never_plans_a_member_withdrawn_around_the_service(app, client, tokens, planned):
    """Defensive: a document that still names a withdrawn member (withdrawn before sessions
    followed withdrawals, or written around the service) is corrected when read and built."""
    manager = bearer(tokens.manager)
    with app.app_context():
        db = get_db()
        db.execute(update(Member).where(Member.member_id == LEAVER).values(deleted_at=utcnow()))
        db.commit()
    revision, document = stored_row(app, planned)
    assert names_member(document, LEAVER)

    participants = client.get(f"{BASE}/{planned}/participants", headers=manager).json["items"]
    assert LEAVER not in [p["member_id"] for p in participants]
    partners = client.get(f"{BASE}/{planned}/wishes/designer", headers=manager).json["partners"]
    assert LEAVER not in [p["partner_id"] for p in partners]
    build(client, tokens.manager, planned)
    revision_after, document = stored_row(app, planned)
    assert revision_after == revision + 1 and not names_member(document, LEAVER)
    assert document["meetings"] and leaver_meetings(document["meetings"]) == []
    assert indexed(app, LEAVER) == []


# ---------------------------------------------------------------------------------------------
# A published agenda: kept, flagged everywhere
# ---------------------------------------------------------------------------------------------


def test_a_withdrawn_member_of_a_published_agenda_is_flagged(app, client, tokens, planned):
    manager = bearer(tokens.manager)
    designer = bearer(tokens.designer)
    build(client, tokens.manager, planned)
    assert client.post(f"{BASE}/{planned}/publish", headers=manager).status_code == 200
    before = client.get(f"{BASE}/{planned}/agenda", headers=manager).json["meetings"]
    flagged = sorted(m["meeting_id"] for m in leaver_meetings(before))
    assert flagged and f"designer~{LEAVER}" in flagged
    revision, document = stored_row(app, planned)
    published_revision, meetings_before = document["revision"], document["meetings"]

    withdraw(client, manager, LEAVER)

    # Stored: same meetings, the participant flagged, a new revision, still final.
    revision_after, document = stored_row(app, planned)
    assert revision_after == revision + 1
    assert document["state"] == "final" and document["revision"] == published_revision
    assert document["meetings"] == meetings_before
    leaver = next(p for p in document["participants"] if p["member_id"] == LEAVER)
    assert leaver["withdrawn"] is True

    # The session's JSON says who withdrew and which meetings the manager must handle.
    summary = client.get(f"{BASE}/{planned}", headers=manager).json
    assert summary["state"] == "final" and summary["participants"] == 4
    assert summary["withdrawn"] == [{"member_id": LEAVER, "name": LEAVER_NAME, "meetings": flagged}]
    agenda = client.get(f"{BASE}/{planned}/agenda", headers=manager).json["meetings"]
    assert [m["meeting_id"] for m in agenda] == [m["meeting_id"] for m in before]
    assert all(m["withdrawn"] == ([LEAVER] if m["meeting_id"] in flagged else []) for m in agenda)
    participants = client.get(f"{BASE}/{planned}/participants", headers=manager).json["items"]
    assert {p["member_id"]: p["withdrawn"] for p in participants}[LEAVER] is True
    check = client.get(f"{BASE}/{planned}/check", headers=manager).json
    assert check["errors"] == 0
    warned = sorted(c["meetings"][0] for c in check["conflicts"] if c["kind"] == "withdrawn")
    assert warned == flagged

    # The partner's own agenda and calendar say that the partner withdrew.
    own = client.get(f"{BASE}/{planned}/agenda/designer", headers=designer).json
    row = next(r for r in own["rows"] if r["partner_id"] == LEAVER)
    assert row["partner_withdrawn"] is True and row["status"] == "planned"
    assert row["note"] == LABELS["en"]["partner_withdrew"]
    others = [r for r in own["rows"] if r["partner_id"] not in (None, LEAVER)]
    assert all(r["partner_withdrawn"] is False and r["note"] == "" for r in others)
    ukrainian = client.get(
        f"{BASE}/{planned}/agenda/designer", query_string={"language": "uk"}, headers=designer
    ).json
    assert LABELS["uk"]["partner_withdrew"] in [r["note"] for r in ukrainian["rows"]]
    mine = client.get(f"{BASE}/{planned}/agenda", headers=designer).json["meetings"]
    assert [m["withdrawn"] for m in mine if m["meeting_id"] == f"designer~{LEAVER}"] == [[LEAVER]]
    calendar = client.get(
        f"{BASE}/{planned}/export/ics", query_string={"member_id": "designer"}, headers=designer
    )
    events = {
        str(event.get("uid")): event
        for event in icalendar.Calendar.from_ical(calendar.data).walk("VEVENT")
    }
    event = next(e for uid, e in events.items() if LEAVER in uid)
    assert LABELS["en"]["partner_withdrew"] in str(event.get("description"))
    assert LABELS["en"]["withdrew"] in str(event.get("summary"))
    printable = client.get(f"{BASE}/{planned}/export/html", headers=designer)
    assert LABELS["en"]["partner_withdrew"] in html.unescape(printable.get_data(as_text=True))

    # The manager's CSV: a Note column on the plan and the agendas.
    plan = client.get(f"{BASE}/{planned}/export/csv", headers=manager)
    rows = list(csv.DictReader(io.StringIO(plan.data.decode("utf-8-sig"))))
    notes = {f"{r['Participant A']}~{r['Participant B']}": r["Note"] for r in rows}
    assert {k for k, v in notes.items() if v} == set(flagged)
    assert notes[f"designer~{LEAVER}"] == f"{LEAVER_NAME}: {LABELS['en']['withdrew']}"
    agendas = client.get(
        f"{BASE}/{planned}/export/csv",
        query_string={"view": "agendas", "language": "uk"},
        headers=manager,
    )
    rows = list(csv.DictReader(io.StringIO(agendas.data.decode("utf-8-sig"))))
    row = next(r for r in rows if r["Код учасника"] == "designer" and r["Код партнера"] == LEAVER)
    assert row["Примітка"] == LABELS["uk"]["partner_withdrew"]

    # Nobody wishes for it any more; its partners' wish lists drop it.
    refused = wish(client, tokens.designer, planned, "designer", LEAVER, "would")
    # The message names the member for people; the field's value is its id.
    assert refused.status_code == 422 and LEAVER_NAME in refused.json["detail"]
    assert [e["value"] for e in refused.json["errors"]] == [LEAVER], refused.json
    partners = client.get(f"{BASE}/{planned}/wishes/designer", headers=designer).json["partners"]
    assert LEAVER not in [p["partner_id"] for p in partners]

    # The manager pages show it, in English and Ukrainian.
    sign_in(client, tokens.manager)
    page = html.unescape(client.get(f"/manage/sessions/{planned}").get_data(as_text=True))
    assert 'id="departures"' in page and 'data-withdrawn="1"' in page
    assert f"{LEAVER_NAME} withdrew after the agenda was published" in page
    grid = html.unescape(client.get(f"/manage/sessions/{planned}/agenda").get_data(as_text=True))
    assert f'data-withdrawn="{LEAVER}"' in grid and "A participant withdrew" in grid
    outcomes = client.get(f"/manage/sessions/{planned}/outcomes").get_data(as_text=True)
    assert f'data-withdrawn="{LEAVER}"' in outcomes
    form = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/manage/language", data={"csrf_token": form, "lang": "uk"})
    page = html.unescape(client.get(f"/manage/sessions/{planned}").get_data(as_text=True))
    assert "Учасники, що вийшли із сервісу" in page and "вибув" in page

    # The manager handles them: recorded as not held, the warning goes; reopened, it leaves.
    meeting = f"designer~{LEAVER}"
    recorded = client.post(
        f"{BASE}/{planned}/outcomes",
        json={"outcomes": [{"member_id": "designer", "partner_id": LEAVER, "held": False}]},
        headers=manager,
    )
    assert recorded.status_code == 200, recorded.get_data(as_text=True)
    check = client.get(f"{BASE}/{planned}/check", headers=manager).json
    assert meeting not in [c["meetings"][0] for c in check["conflicts"] if c["kind"] == "withdrawn"]
    assert client.post(f"{BASE}/{planned}/reopen", headers=manager).status_code == 200
    _revision, document = stored_row(app, planned)
    assert document["state"] == "preliminary" and not names_member(document, LEAVER)
    assert indexed(app, LEAVER) == []
    assert client.get(f"{BASE}/{planned}", headers=manager).json["withdrawn"] == []


# ---------------------------------------------------------------------------------------------
# Erasure: nothing of the member remains in any session
# ---------------------------------------------------------------------------------------------


def everything_exported(client, token, session_id) -> str:
    """Every export of the session, as text."""
    headers = bearer(token)
    texts = []
    for view in ("plan", "agendas", "tables"):
        for language in ("en", "uk"):
            response = client.get(
                f"{BASE}/{session_id}/export/csv",
                query_string={"view": view, "language": language},
                headers=headers,
            )
            assert response.status_code == 200
            texts.append(response.data.decode("utf-8-sig"))
    workbook = openpyxl.load_workbook(
        io.BytesIO(client.get(f"{BASE}/{session_id}/export/xlsx", headers=headers).data)
    )
    for sheet in workbook.worksheets:
        texts.append(sheet.title)
        texts.extend(str(cell) for row in sheet.iter_rows(values_only=True) for cell in row)
    archive = zipfile.ZipFile(
        io.BytesIO(client.get(f"{BASE}/{session_id}/export/ics", headers=headers).data)
    )
    texts.extend(archive.namelist())
    texts.extend(
        icalendar.Calendar.from_ical(archive.read(name)).to_ical().decode("utf-8")
        for name in archive.namelist()
    )
    texts.append(
        html.unescape(
            client.get(f"{BASE}/{session_id}/export/html", headers=headers).get_data(as_text=True)
        )
    )
    for path in ("", "/participants", "/wishes", "/agenda", "/check"):
        texts.append(
            json.dumps(
                client.get(f"{BASE}/{session_id}{path}", headers=headers).json, ensure_ascii=False
            )
        )
    return "\n".join(texts)


def test_an_erased_member_disappears_from_every_session(app, client, tokens, planned):
    manager = bearer(tokens.manager)
    build(client, tokens.manager, planned)
    assert client.post(f"{BASE}/{planned}/publish", headers=manager).status_code == 200
    agenda = client.get(f"{BASE}/{planned}/agenda", headers=manager).json["meetings"]
    designer_meeting = next(m for m in agenda if m["meeting_id"] == f"designer~{LEAVER}")
    # A preliminary session, and one that only admits the member by name.
    preliminary = create(client, tokens.manager)
    for member_id in ("designer", LEAVER):
        add(client, tokens.manager, preliminary, member_id)
    assert wish(client, tokens.manager, preliminary, LEAVER, "designer", "must").status_code == 200
    admitting = create(client, tokens.manager, member_ids=["designer", LEAVER])
    add(client, tokens.manager, admitting, "designer")
    sessions = (planned, preliminary, admitting)
    revisions = {s: stored_row(app, s)[0] for s in sessions}
    assert LEAVER_NAME in everything_exported(client, tokens.manager, planned)

    withdraw(client, manager, LEAVER, erase=True)

    for session_id in sessions:
        revision, document = stored_row(app, session_id)
        assert revision == revisions[session_id] + 1
        text = json.dumps(document, ensure_ascii=False)
        assert LEAVER_NAME not in text and LEAVER not in text, session_id
        exported = everything_exported(client, tokens.manager, session_id)
        assert LEAVER_NAME not in exported and LEAVER not in exported, session_id
    assert indexed(app, LEAVER) == []
    assert stored_row(app, planned)[1]["state"] == "final"

    # The partner learns that its published meeting is off, without a name.
    summary = client.get(f"{BASE}/{planned}", headers=manager).json
    slot, table = designer_meeting["slot"], designer_meeting["table"]
    assert {"member_id": "designer", "slot": slot, "table": table} in summary["vacated"]
    assert summary["withdrawn"] == []
    own = client.get(f"{BASE}/{planned}/agenda/designer", headers=bearer(tokens.designer)).json
    row = next(r for r in own["rows"] if r["slot"] == slot)
    assert (row["status"], row["partner_id"], row["partner"], row["table"]) == (
        "cancelled",
        None,
        "",
        table,
    )
    assert row["partner_erased"] is True and row["note"] == LABELS["en"]["partner_erased"]
    mine = client.get(f"{BASE}/{planned}/agenda", headers=bearer(tokens.designer)).json
    assert {"member_id": "designer", "slot": slot, "table": table} in mine["vacated"]
    printable = client.get(
        f"{BASE}/{planned}/export/html", query_string={"language": "uk"}, headers=manager
    )
    assert LABELS["uk"]["partner_erased"] in html.unescape(printable.get_data(as_text=True))
    sign_in(client, tokens.manager)
    page = html.unescape(client.get(f"/manage/sessions/{planned}/agenda").get_data(as_text=True))
    assert 'data-vacated="designer"' in page and "the partner's data was erased" in page
    assert LEAVER_NAME not in page


# ---------------------------------------------------------------------------------------------
# Adding a withdrawn member; all or nothing
# ---------------------------------------------------------------------------------------------


def test_a_withdrawn_member_cannot_be_added(app, client, tokens, planned):
    manager = bearer(tokens.manager)
    withdraw(client, manager, "photo")
    before = stored_row(app, planned)

    refused = client.post(
        f"{BASE}/{planned}/participants", json={"member_id": "photo"}, headers=manager
    )
    assert refused.status_code == 422 and refused.content_type == "application/problem+json"
    assert "photo" in refused.json["detail"] and "withdrawn" in refused.json["detail"]
    assert refused.json["errors"][0]["field"] == "member_id"
    assert refused.json["errors"][0]["value"] == "photo"

    upload = "member_id,available\nsewing-factory,1-2\nphoto,\n"
    refused = client.post(
        f"{BASE}/{planned}/participants/import",
        data={"file": (io.BytesIO(upload.encode("utf-8")), "participants.csv")},
        content_type="multipart/form-data",
        headers=manager,
    )
    assert refused.status_code == 422, refused.get_data(as_text=True)
    error = next(e for e in refused.json["errors"] if e["value"] == "photo")
    assert error["row"] == 3 and "withdrawn" in error["message"]

    sign_in(client, tokens.manager)
    page = f"/manage/sessions/{planned}"
    form = client.get(page).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    revision = re.search(r'name="revision" value="(\d+)"', form).group(1)
    response = client.post(
        f"{page}/participants",
        data={"csrf_token": csrf, "revision": revision, "member_id": "photo"},
    )
    assert response.status_code == 422
    assert "photo was withdrawn from the service" in html.unescape(response.get_data(as_text=True))
    assert stored_row(app, planned) == before


def test_a_withdrawal_is_all_or_nothing(app, client, tokens, planned, monkeypatch):
    """The member's row and every session change in one transaction: a failure on the second
    session leaves the member live and the first session as it was."""
    import api.services.sessions

    manager = bearer(tokens.manager)
    second = create(client, tokens.manager)
    add(client, tokens.manager, second, LEAVER)
    before = {s: stored_row(app, s) for s in (planned, second)}
    original = api.services.sessions.withdraw_participant
    calls = []

    def fails_on_the_second_session(session, member_id, erased=False):
        calls.append(session.settings.session_id)
        result = original(session, member_id, erased=erased)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return result

    monkeypatch.setattr(api.services.sessions, "withdraw_participant", fails_on_the_second_session)
    response = client.delete(f"{MEMBERS}/{LEAVER}", headers=manager)
    assert response.status_code == 500 and len(calls) == 2
    monkeypatch.undo()

    assert {s: stored_row(app, s) for s in (planned, second)} == before
    with app.app_context():
        assert get_db().get(Member, LEAVER).deleted_at is None
    assert indexed(app, LEAVER) == sorted((planned, second))
    assert client.get(f"{MEMBERS}/{LEAVER}", headers=manager).status_code == 200
