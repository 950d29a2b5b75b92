"""Rebuilding a session's agenda safely (issue 15), with Flask's test client on the seeded
service (SQLite and PostgreSQL).

- The build form starts from the last build's settings (time limit, method, "also plan
  suggestions nobody marked"), stored with the build (``last_build["settings"]``).
- A build that would plan markedly fewer meetings (below 90% of the current ones) or drop a
  "must" meeting waits as a candidate: the page says how many meetings and which "must" ones,
  and asks; Keep leaves the agenda as it was, Replace adopts the candidate; a stale
  confirmation (an older token, a session changed since) changes nothing. The API refuses
  such a build on request (``"confirm_drop": false``) and keeps its answer's shape otherwise.
- Every meeting says why to both sides, in the API's agendas, the CSV, the ICS calendars and
  the printable page alike.
- The last build's box speaks a manager's language; the solver's figures sit in a details
  element.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile

import icalendar
import pytest
from service_fixtures import bearer
from sqlalchemy import select
from test_web_sessions import create, form_values, sign_in, stored_row, text

from api.db import get_db
from api.tables import MatchSessionCandidate

API = "/api/v1/sessions"
PEOPLE = ("designer", "knit-factory", "yarn-supplier", "pl-distributor", "sewing-factory")


@pytest.fixture
def manager(client, tokens):
    sign_in(client, tokens.manager)
    return client


@pytest.fixture
def session_id(manager):
    """Five participants; one mutual "must" and one "would": without the engine's unmarked
    suggestions the agenda has 2 meetings, with them more."""
    created = create(manager)
    page = f"/manage/sessions/{created}"
    for member_id in PEOPLE:
        response = manager.post(
            f"{page}/participants", data={**form_values(manager, page), "member_id": member_id}
        )
        assert response.status_code == 302, text(response)
    for member_id, partner_id, level in (
        ("designer", "knit-factory", "must"),
        ("knit-factory", "designer", "must"),
        ("pl-distributor", "knit-factory", "would"),
    ):
        set_wish(manager, created, member_id, partner_id, level)
    return created


def set_wish(client, session_id, member_id, partner_id, level):
    page = f"/manage/sessions/{session_id}"
    response = client.post(
        f"{page}/wishes",
        data={
            **form_values(client, page),
            "member_id": member_id,
            "partner_id": partner_id,
            "level": level,
        },
    )
    assert response.status_code == 302, text(response)


def build(client, session_id, **fields):
    page = f"/manage/sessions/{session_id}"
    data = {**form_values(client, page), "time_limit": "10", **fields}
    return client.post(f"{page}/build", data=data)


def pairs(app, session_id) -> set[str]:
    _revision, document = stored_row(app, session_id)
    return {f"{m['member_a']}~{m['member_b']}" for m in document["meetings"]}


def candidate_row(app, session_id):
    with app.app_context():
        return get_db().scalar(
            select(MatchSessionCandidate).where(MatchSessionCandidate.session_id == session_id)
        )


def test_the_build_form_starts_from_the_last_builds_settings(manager, session_id):
    page = f"/manage/sessions/{session_id}"
    fresh = text(manager.get(page))
    assert re.search(r'id="time_limit"[^>]*value="20"', fresh)
    assert not re.search(r'id="include_suggested"[^>]*checked', fresh)
    response = build(manager, session_id, time_limit="7", method="greedy", include_suggested="1")
    assert response.status_code == 302
    for path in (page, f"{page}/agenda"):
        body = text(manager.get(path))
        assert re.search(r'id="time_limit"[^>]*value="7"', body), path
        assert re.search(r'<option value="greedy" selected>', body), path
        assert re.search(r'id="include_suggested"[^>]*checked', body), path
    body = text(manager.get(f"{page}/agenda"))
    built_with = re.search(r'data-figure="settings">([^<]*)<', body).group(1)
    assert "time limit 7 s" in built_with and "suggestions nobody marked" in built_with


def test_a_rebuild_that_drops_meetings_asks_first(app, manager, session_id):
    page = f"/manage/sessions/{session_id}"
    assert build(manager, session_id, include_suggested="1").status_code == 302
    revision, before = stored_row(app, session_id)
    planned = pairs(app, session_id)
    assert len(planned) >= 3 and "designer~knit-factory" in planned

    # The same build without the unmarked suggestions: markedly fewer meetings. It waits.
    response = build(manager, session_id)
    assert response.status_code == 302 and response.headers["Location"].endswith("/rebuild")
    assert stored_row(app, session_id) == (revision, before)
    confirm = manager.get(f"{page}/rebuild")
    body = text(confirm)
    assert confirm.status_code == 200
    assert f"The new agenda plans 2 meetings; the current one has {len(planned)}." in body
    assert 'data-drop="fewer"' in body and "markedly fewer: below 90%" in body
    assert 'data-drop="must"' not in body
    assert re.search(r'data-settings="current">[^<]*suggestions nobody marked', body)
    assert re.search(r'data-settings="new">[^<]*marked wishes only', body)
    token = re.search(r'name="token" value="([^"]+)"', body).group(1)

    # Keep: the agenda stays as it was, the candidate goes.
    kept = manager.post(
        f"{page}/rebuild/keep", data={**form_values(manager, f"{page}/rebuild"), "token": token}
    )
    assert kept.status_code == 302
    assert "The current agenda was kept" in text(manager.get(f"{page}/agenda"))
    assert stored_row(app, session_id) == (revision, before)
    assert candidate_row(app, session_id) is None
    # Its confirmation form, sent again, replaces nothing.
    stale = manager.post(
        f"{page}/rebuild/replace",
        data={**form_values(manager, f"{page}/agenda"), "token": token},
    )
    assert stale.status_code == 409 and "no longer waits for confirmation" in text(stale)
    assert stored_row(app, session_id) == (revision, before)

    # Build again, then Replace: the smaller agenda is adopted.
    assert build(manager, session_id).headers["Location"].endswith("/rebuild")
    body = text(manager.get(f"{page}/rebuild"))
    values = form_values(manager, f"{page}/rebuild")
    newer = re.search(r'name="token" value="([^"]+)"', body).group(1)
    assert newer != token
    # An older token does not confirm the newer candidate.
    refused = manager.post(f"{page}/rebuild/replace", data={**values, "token": token})
    assert refused.status_code == 409 and stored_row(app, session_id) == (revision, before)
    replaced = manager.post(f"{page}/rebuild/replace", data={**values, "token": newer})
    assert replaced.status_code == 302
    assert "Agenda replaced: 2 meetings planned." in text(manager.get(f"{page}/agenda"))
    assert pairs(app, session_id) == {"designer~knit-factory", "knit-factory~pl-distributor"}
    assert stored_row(app, session_id)[0] == revision + 1
    assert candidate_row(app, session_id) is None
    # The form now starts from the settings of the build it adopted.
    assert not re.search(r'id="include_suggested"[^>]*checked', text(manager.get(page)))


def test_dropping_a_must_meeting_names_it_and_a_change_voids_the_candidate(
    app, manager, session_id
):
    page = f"/manage/sessions/{session_id}"
    assert build(manager, session_id).status_code == 302
    assert pairs(app, session_id) == {"designer~knit-factory", "knit-factory~pl-distributor"}
    # The designer now declines the knit factory, which still marks it "must": a rebuild
    # cannot plan a vetoed pair, and says so before it drops the meeting.
    _revision, document = stored_row(app, session_id)
    meeting = next(m for m in document["meetings"] if m["member_a"] == "designer")
    set_wish(manager, session_id, "designer", "knit-factory", "no")
    revision, before = stored_row(app, session_id)
    response = build(manager, session_id)
    assert response.headers["Location"].endswith("/rebuild")
    body = text(manager.get(f"{page}/rebuild"))
    assert "It drops 1 meeting marked “must”:" in body
    item = re.search(r'<li data-meeting="designer~knit-factory">(.*?)</li>', body, re.DOTALL).group(
        1
    )
    assert "Студія Весна – Харківтрикотаж" in item and "“must” for Харківтрикотаж" in item
    assert f"Table {meeting['table']}" in item
    assert stored_row(app, session_id) == (revision, before)
    # Any saved change of the session voids the candidate: its confirmation changes nothing.
    token = re.search(r'name="token" value="([^"]+)"', body).group(1)
    set_wish(manager, session_id, "yarn-supplier", "designer", "would")
    assert candidate_row(app, session_id) is None
    revision, before = stored_row(app, session_id)
    stale = manager.post(
        f"{page}/rebuild/replace",
        data={**form_values(manager, page), "token": token, "revision": str(revision - 1)},
    )
    assert stale.status_code == 409 and stored_row(app, session_id) == (revision, before)
    assert manager.get(f"{page}/rebuild").status_code == 302


def test_the_api_refuses_a_drop_on_request_and_keeps_its_shape(app, client, tokens, manager):
    session_id = create(manager)
    headers = bearer(tokens.manager)
    for member_id in PEOPLE:
        added = client.post(
            f"{API}/{session_id}/participants", json={"member_id": member_id}, headers=headers
        )
        assert added.status_code == 201
    for member_id, partner_id in (("designer", "knit-factory"), ("knit-factory", "designer")):
        wished = client.put(
            f"{API}/{session_id}/wishes/{member_id}/{partner_id}",
            json={"level": "must"},
            headers=headers,
        )
        assert wished.status_code == 200
    first = client.post(
        f"{API}/{session_id}/build",
        json={"time_limit": 10, "include_suggested": True},
        headers=headers,
    )
    assert first.status_code == 200 and first.json["n_meetings"] >= 3
    keys = set(first.json)
    before = stored_row(app, session_id)
    refused = client.post(
        f"{API}/{session_id}/build",
        json={"time_limit": 10, "confirm_drop": False},
        headers=headers,
    )
    assert refused.status_code == 409 and refused.content_type == "application/problem+json"
    assert refused.json["errors"][0]["field"] == "drop.meetings"
    assert refused.json["errors"][0]["value"] == 1
    assert stored_row(app, session_id) == before and candidate_row(app, session_id) is None
    # Without the flag the build replaces the agenda, as it always did; same answer.
    replaced = client.post(f"{API}/{session_id}/build", json={"time_limit": 10}, headers=headers)
    assert replaced.status_code == 200 and set(replaced.json) == keys
    assert replaced.json["n_meetings"] == 1
    summary = client.get(f"{API}/{session_id}", headers=headers).json["last_build"]
    assert summary["settings"] == {"method": "auto", "time_limit": 10, "include_suggested": False}


def test_every_meeting_says_why_to_both_sides_in_every_output(app, client, tokens, manager):
    """The agenda's pairs beyond each side's own suggestions (planned from the other side's
    wish, from the engine's unmarked suggestions, or known partners) are explained too."""
    session_id = create(manager, tables="4")
    headers = bearer(tokens.manager)
    people = (*PEOPLE, "pl-knit-factory", "fabric-mill", "logistics")
    for member_id in people:
        added = client.post(
            f"{API}/{session_id}/participants", json={"member_id": member_id}, headers=headers
        )
        assert added.status_code == 201
    # Known partners, wished for from one side only.
    for member_id, partner_id in (
        ("pl-distributor", "pl-knit-factory"),
        ("fabric-mill", "sewing-factory"),
        ("logistics", "designer"),
    ):
        wished = client.put(
            f"{API}/{session_id}/wishes/{member_id}/{partner_id}",
            json={"level": "would"},
            headers=headers,
        )
        assert wished.status_code == 200
    built = client.post(
        f"{API}/{session_id}/build",
        json={"time_limit": 10, "include_suggested": True},
        headers=headers,
    )
    assert built.status_code == 200
    meetings = client.get(f"{API}/{session_id}/agenda", headers=headers).json["meetings"]
    planned = {(m["member_a"], m["member_b"]) for m in meetings if m["status"] == "planned"}
    assert ("pl-distributor", "pl-knit-factory") in planned and len(planned) >= 6
    for language in ("en", "uk"):
        for member_id in people:
            rows = client.get(
                f"{API}/{session_id}/agenda/{member_id}",
                query_string={"language": language},
                headers=headers,
            ).json["rows"]
            for row in rows:
                if row["partner_id"]:
                    assert row["reasons"], (language, member_id, row["partner_id"])
    page = f"/manage/sessions/{session_id}"
    agendas = manager.get(f"{page}/export/csv", query_string={"view": "agendas"})
    rows = list(csv.DictReader(io.StringIO(agendas.data.decode("utf-8-sig"))))
    assert len(rows) == 2 * len(planned)
    assert all(row["Why meet"] for row in rows)
    archive = zipfile.ZipFile(io.BytesIO(manager.get(f"{page}/export/ics").data))
    events = [
        event
        for name in archive.namelist()
        for event in icalendar.Calendar.from_ical(archive.read(name)).walk("VEVENT")
    ]
    assert len(events) == 2 * len(planned)
    assert all("Why meet:" in str(event["DESCRIPTION"]) for event in events)
    printable = text(manager.get(f"{page}/export/html"))
    assert printable.count("Why meet") >= 1
    # A meeting added by hand is explained to both sides at once: here known partners, whom
    # the engine never suggests, in a session whose suggestions were never asked for.
    other = create(manager)
    for member_id in ("pl-distributor", "pl-knit-factory"):
        added = client.post(
            f"{API}/{other}/participants", json={"member_id": member_id}, headers=headers
        )
        assert added.status_code == 201
    added = client.post(
        f"{API}/{other}/agenda/add",
        json={"member_id": "pl-distributor", "partner_id": "pl-knit-factory", "slot": 2},
        headers=headers,
    )
    assert added.status_code == 200, added.json
    for member_id, partner_id in (
        ("pl-distributor", "pl-knit-factory"),
        ("pl-knit-factory", "pl-distributor"),
    ):
        rows = client.get(f"{API}/{other}/agenda/{member_id}", headers=headers).json["rows"]
        (row,) = [r for r in rows if r["partner_id"] == partner_id]
        assert row["reasons"], member_id


def test_the_last_build_box_speaks_a_managers_language(manager, session_id):
    page = f"/manage/sessions/{session_id}"
    assert build(manager, session_id).status_code == 302
    body = text(manager.get(f"{page}/agenda"))
    box = body.split('id="figures-heading"')[1].split("</section>")[0]
    assert 'data-verdict="best"' in box and "This agenda is the best possible." in box
    assert 'data-figure="meetings">2<' in box
    assert re.search(r'data-figure="wishes">3 of 3 <span[^>]*>\(“must”: 2 of 2\)', box)
    assert re.search(r'data-figure="time">\d+\.\d s<', box)
    # The solver's words only in the details.
    visible = box.split('<details class="technical"')[0]
    for jargon in ("Objective", "Proven bound", "HiGHS", "CP-SAT", "Gap"):
        assert jargon not in visible
    assert 'data-figure="status">optimal' in box
    # The greedy agenda does not pretend to know how far it is from the best.
    assert build(manager, session_id, method="greedy").status_code == 302
    body = text(manager.get(f"{page}/agenda"))
    assert "A quick agenda: how far it is from the best possible one is not known." in body
    # In Ukrainian.
    manager.post("/manage/language", data={**form_values(manager, page), "lang": "uk"})
    body = text(manager.get(f"{page}/agenda"))
    assert "Виконано побажань" in body
