"""The member pages of the matchmaking days (``api.web.member_days``) against the API, on the
real database fixtures: the page and the API give a member the same agenda, wishes, calendar
and outcomes, and neither lets it see a day it does not take part in or act for another
member."""

from __future__ import annotations

import html
import re

import icalendar
import pytest
from service_fixtures import bearer

from api.auth import create_user
from api.db import get_db

BASE = "/api/v1/sessions"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_AGENDA_ROW = re.compile(r'<tr data-slot="(\d+)" data-partner-id="([^"]*)" data-status="(\w+)">')


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def sign_in_member(client, token: str) -> None:
    """Sign the client in to the member pages with the member's API token."""
    form = client.get("/my/login").get_data(as_text=True)
    csrf = _CSRF.search(form).group(1)
    answer = client.post("/my/login", data={"csrf_token": csrf, "method": "token", "token": token})
    assert answer.status_code == 302, answer.get_data(as_text=True)


def csrf_of(client, path: str) -> str:
    return _CSRF.search(client.get(path).get_data(as_text=True)).group(1)


@pytest.fixture
def day(client, tokens):
    """A built (not yet published) day of the home cluster: the designer, the knitwear factory,
    the yarn supplier and the sewing factory, with a mutual "must" of the first two."""
    manager = bearer(tokens.manager)
    created = client.post(
        BASE,
        json={
            "name": "Осінній B2B-день",
            "date": "2026-10-08",
            "place": "Kharkiv, Derzhprom",
            "timezone": "Europe/Kyiv",
            "meeting_minutes": 25,
            "tables": 2,
            "slots": ["10:00", "10:30", "11:00"],
        },
        headers=manager,
    )
    session_id = created.json["session_id"]
    for member_id in ("designer", "knit-factory", "yarn-supplier", "sewing-factory"):
        added = client.post(
            f"{BASE}/{session_id}/participants", json={"member_id": member_id}, headers=manager
        )
        assert added.status_code == 201, added.get_data(as_text=True)
    for member_id, partner_id in (("designer", "knit-factory"), ("knit-factory", "designer")):
        assert (
            client.put(
                f"{BASE}/{session_id}/wishes/{member_id}/{partner_id}",
                json={"level": "must"},
                headers=manager,
            ).status_code
            == 200
        )
    built = client.post(f"{BASE}/{session_id}/build", json={"time_limit": 10}, headers=manager)
    assert built.status_code == 200, built.get_data(as_text=True)
    return session_id


def test_the_page_and_the_api_give_the_member_the_same_day(app, client, tokens, day):
    designer, manager = bearer(tokens.designer), bearer(tokens.manager)
    sign_in_member(client, tokens.designer)
    listed = page_text(client.get("/my/sessions"))
    assert f'data-session-id="{day}"' in listed and "Осінній B2B-день" in listed

    # Before publishing: the preliminary agenda, as the API shows it to the participant.
    page = client.get(f"/my/sessions/{day}", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    text = page_text(page)
    assert 'id="agenda-preliminary"' in text
    api_rows = client.get(
        f"{BASE}/{day}/agenda/designer", query_string={"language": "en"}, headers=designer
    ).json["rows"]
    assert [(str(r["slot"]), r["partner_id"] or "", r["status"]) for r in api_rows] == (
        _AGENDA_ROW.findall(text)
    )
    met = next(r for r in api_rows if r["partner_id"] == "knit-factory")
    assert met["reasons"] and all(reason in text for reason in met["reasons"])

    # A wish set on the page is the API's wish of the member itself; a member_id in the form
    # is not read (the member acts only for itself).
    csrf = csrf_of(client, f"/my/sessions/{day}")
    answer = client.post(
        f"/my/sessions/{day}/wishes",
        data={
            "csrf_token": csrf,
            "member_id": "knit-factory",
            "partner_id": "sewing-factory",
            "level": "would",
        },
    )
    assert answer.status_code == 302
    wishes = client.get(f"{BASE}/{day}/wishes", headers=manager).json["items"]
    assert {"member_id": "designer", "partner_id": "sewing-factory", "level": "would"} in wishes
    assert not any(
        w["member_id"] == "knit-factory" and w["partner_id"] == "sewing-factory" for w in wishes
    )
    partners = client.get(f"{BASE}/{day}/wishes/designer", headers=designer).json["partners"]
    assert {p["partner_id"]: p["level"] for p in partners}["sewing-factory"] == "would"

    # Published: the final agenda; the calendar is the API's, of the member only.
    assert client.post(f"{BASE}/{day}/publish", headers=manager).status_code == 200
    text = page_text(client.get(f"/my/sessions/{day}"))
    assert 'id="agenda-preliminary"' not in text and 'id="outcomes-form"' in text
    own = client.get(
        f"/my/sessions/{day}/calendar.ics", query_string={"member_id": "yarn-supplier"}
    )
    assert own.status_code == 200 and own.content_type.startswith("text/calendar")
    from_api = client.get(
        f"{BASE}/{day}/export/ics", query_string={"member_id": "designer"}, headers=designer
    )

    def events(data: bytes) -> list[tuple[str, str]]:
        calendar = icalendar.Calendar.from_ical(data)
        return sorted((str(e["UID"]), str(e["SUMMARY"])) for e in calendar.walk("VEVENT"))

    assert events(own.data) == events(from_api.data) and events(own.data)
    printable = client.get(f"/my/sessions/{day}/printable")
    assert printable.status_code == 200
    assert "style-src 'sha256-" in printable.headers["Content-Security-Policy"]
    assert printable.get_data(as_text=True) in {
        client.get(
            f"{BASE}/{day}/export/html", query_string={"language": language}, headers=designer
        ).get_data(as_text=True)
        for language in ("en", "uk")
    }

    # Outcomes: the member records its own meeting (the API's code; feedback for both sides),
    # a field naming a partner it did not meet is not read.
    csrf = csrf_of(client, f"/my/sessions/{day}")
    strangers = {"designer", "knit-factory", "yarn-supplier", "sewing-factory"} - {
        r["partner_id"] for r in api_rows
    }
    recorded = client.post(
        f"/my/sessions/{day}/outcomes",
        data={
            "csrf_token": csrf,
            "outcome:knit-factory": "deal",
            **{f"outcome:{m}": "held" for m in strangers},
        },
    )
    assert recorded.status_code == 302, recorded.get_data(as_text=True)
    meetings = client.get(f"{BASE}/{day}/agenda", headers=manager).json["meetings"]
    for meeting in meetings:
        pair = {meeting["member_a"], meeting["member_b"]}
        if pair == {"designer", "knit-factory"}:
            assert (meeting["status"], meeting["outcome"]) == ("held", "deal")
        else:
            assert meeting["status"] == "planned"
    feedback = client.get("/api/v1/members/designer/feedback", headers=designer).json["items"]
    assert ("knit-factory", "deal") in [(f["partner_id"], f["event"]) for f in feedback]


def test_a_member_sees_and_changes_only_its_own_days(app, client, tokens, day):
    designer, manager = bearer(tokens.designer), bearer(tokens.manager)
    assert client.post(f"{BASE}/{day}/publish", headers=manager).status_code == 200
    others = [
        m
        for m in client.get(f"{BASE}/{day}/agenda", headers=manager).json["meetings"]
        if "designer" not in (m["member_a"], m["member_b"])
    ]
    # Through the API a participant records its own meetings' outcomes, not others'.
    own = {"member_id": "designer", "partner_id": "knit-factory", "held": True}
    answer = client.post(f"{BASE}/{day}/outcomes", json={"outcomes": [own]}, headers=designer)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    if others:
        theirs = {
            "member_id": others[0]["member_a"],
            "partner_id": others[0]["member_b"],
            "held": True,
        }
        refused = client.post(
            f"{BASE}/{day}/outcomes", json={"outcomes": [own, theirs]}, headers=designer
        )
        assert refused.status_code == 403
    # A member that does not take part: the day is a 404 on the pages as in the API.
    with app.app_context():
        db = get_db()
        photo_token = create_user(db, "photo", "member", member_id="photo")[1]
        db.commit()
    sign_in_member(client, photo_token)
    assert f'data-session-id="{day}"' not in page_text(client.get("/my/sessions"))
    for path in ("", "/calendar.ics", "/printable"):
        assert client.get(f"/my/sessions/{day}{path}").status_code == 404
    assert client.get(f"{BASE}/{day}", headers=bearer(photo_token)).status_code == 404
    csrf = csrf_of(client, "/my/sessions")
    wished = client.post(
        f"/my/sessions/{day}/wishes",
        data={"csrf_token": csrf, "partner_id": "designer", "level": "must"},
    )
    assert wished.status_code == 404
    outcome = client.post(
        f"/my/sessions/{day}/outcomes",
        data={"csrf_token": csrf, "outcome:designer": "held"},
    )
    assert outcome.status_code == 404
    # Signed out: the pages ask to sign in.
    client.post("/my/logout", data={"csrf_token": csrf})
    assert client.get(f"/my/sessions/{day}").status_code == 302
