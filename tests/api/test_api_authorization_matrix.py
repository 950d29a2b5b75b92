"""The authorization matrix: every operation of the OpenAPI document x every kind of caller,
with the status each must get, on SQLite and PostgreSQL.

The callers, relative to the resource an operation acts on (a member of the home cluster, or a
matchmaking session of the home cluster in which that member takes part):

====  ===================================================================================
A     anonymous (no token)
M     the member of the resource (``designer``; a participant of the session)
O     another member of the same network (``logistics``; not a participant)
W     a withdrawn member (``photo``, withdrawn after its token was issued)
N     a manager of the resource's network (the home cluster)
X     a manager of another network (the Polish partner cluster)
D     an admin
====  ===================================================================================

An operation added to the service without a row here fails
:func:`test_every_operation_of_the_document_has_a_row`: who may call it is decided when it is
written, not found out by a probe.

Each cell runs on the same seeded world (users, a trained model, a built preliminary session),
restored row by row after every call, so that one caller's allowed write (a withdrawal, a
publication) never changes what the next caller meets. A cell expects an exact status: an
allowed call must succeed (2xx), not merely pass the token check.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from service_fixtures import HOME, bearer
from sqlalchemy import delete, insert, select

from api.auth import create_user
from api.db import get_db
from api.tables import Base, Member, utcnow

CALLERS = "AMOWNXD"
SESSION_MEMBERS = ("designer", "knit-factory", "yarn-supplier", "sewing-factory", "pl-distributor")
WISHES = (
    ("designer", "knit-factory", "must"),
    ("knit-factory", "designer", "must"),
    ("knit-factory", "yarn-supplier", "would"),
    ("sewing-factory", "designer", "would"),
)


@dataclass
class World:
    """The seeded service, its callers' tokens and the ids of the resources."""

    client: Any
    tokens: dict[str, str]
    session_id: str = ""
    version_id: int = 1
    snapshot: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def call(self, caller: str, method: str, path: str, **options: Any):
        headers = dict(options.pop("headers", {}))
        if caller != "A":
            headers.update(bearer(self.tokens[caller]))
        return self.client.open(path, method=method, headers=headers, **options)

    def admin(self, method: str, path: str, **options: Any):
        response = self.call("D", method, path, **options)
        assert response.status_code < 300, (method, path, response.get_data(as_text=True))
        return response

    def member_etag(self, member_id: str) -> dict[str, str]:
        """The precondition of a member edit: the revision its caller read."""
        response = self.admin("GET", f"/api/v1/members/{member_id}")
        etag = response.headers.get("ETag")
        return {"If-Match": etag} if etag else {}

    def session_revision(self) -> int:
        return self.admin("GET", f"/api/v1/sessions/{self.session_id}").json["revision"]

    def meeting(self, member_id: str = "designer", partner_id: str = "knit-factory") -> dict:
        agenda = self.admin("GET", f"/api/v1/sessions/{self.session_id}/agenda").json
        wanted = {member_id, partner_id}
        return next(m for m in agenda["meetings"] if {m["member_a"], m["member_b"]} == wanted)

    def publish(self) -> None:
        self.admin("POST", f"/api/v1/sessions/{self.session_id}/publish")


def take_snapshot(app) -> dict[str, list[dict[str, Any]]]:
    with app.app_context():
        db = get_db()
        return {
            table.name: [dict(row._mapping) for row in db.execute(select(table))]
            for table in Base.metadata.sorted_tables
        }


def restore(app, snapshot: dict[str, list[dict[str, Any]]]) -> None:
    """Put every table back as it was (background jobs of the call finished first)."""
    while alive := [t for t in app.extensions.get("matcher_threads", []) if t.is_alive()]:
        for thread in alive:  # and the jobs they start
            thread.join(timeout=120)
    app.extensions["matcher_threads"] = []
    tables = Base.metadata.sorted_tables
    with app.app_context():
        db = get_db()
        for table in reversed(tables):
            db.execute(delete(table))
        for table in tables:
            if snapshot[table.name]:
                db.execute(insert(table), snapshot[table.name])
        db.commit()


@pytest.fixture
def world(app, tokens):
    client = app.test_client()
    with app.app_context():
        db = get_db()
        other = create_user(db, "logistics", "member", member_id="logistics")[1]
        withdrawn = create_user(db, "photo", "member", member_id="photo")[1]
        db.get(Member, "photo").deleted_at = utcnow()
        db.commit()
    world = World(
        client,
        {
            "M": tokens.designer,
            "O": other,
            "W": withdrawn,
            "N": tokens.manager,
            "X": tokens.polish_manager,
            "D": tokens.admin,
        },
    )
    created = world.call(
        "N",
        "POST",
        "/api/v1/sessions",
        json={
            "name": "Весняний B2B-день",
            "date": "2027-05-14",
            "tables": 2,
            "slots": ["10:00", "10:30", "11:00"],
        },
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    world.session_id = created.json["session_id"]
    for member_id in SESSION_MEMBERS:
        world.admin(
            "POST",
            f"/api/v1/sessions/{world.session_id}/participants",
            json={"member_id": member_id},
        )
    for member_id, partner_id, level in WISHES:
        world.admin(
            "PUT",
            f"/api/v1/sessions/{world.session_id}/wishes/{member_id}/{partner_id}",
            json={"level": level},
        )
    world.admin("POST", f"/api/v1/sessions/{world.session_id}/build", json={"time_limit": 10})
    world.version_id = world.admin("GET", "/api/v1/models").json["items"][0]["version_id"]
    world.snapshot = take_snapshot(app)
    return world


# ---------------------------------------------------------------------------------------------
# The matrix
# ---------------------------------------------------------------------------------------------

Request = Callable[[World], dict[str, Any]]


def members_csv(*rows: str) -> dict[str, Any]:
    text = "id,name,network,country,org_type,offers\n" + "".join(f"{row}\n" for row in rows)
    return {
        "data": {"file": (io.BytesIO(text.encode()), "members.csv")},
        "content_type": "multipart/form-data",
    }


def links_csv(*rows: str) -> dict[str, Any]:
    text = "source,target,kind\n" + "".join(f"{row}\n" for row in rows)
    return {
        "data": {"file": (io.BytesIO(text.encode()), "links.csv")},
        "content_type": "multipart/form-data",
    }


def new_member(w: World) -> dict[str, Any]:
    return {
        "json": {
            "member_id": "new-atelier",
            "name": "Ательє Нове",
            "network": HOME,
            "country": "UA",
            "org_type": "designer_brand",
            "offers": ["fashion_design"],
        }
    }


def session_path(suffix: str = "") -> Callable[[World], str]:
    return lambda w: f"/api/v1/sessions/{w.session_id}{suffix}"


def meeting_edit(action: str) -> Request:
    def request(w: World) -> dict[str, Any]:
        body = {"member_id": "designer", "partner_id": "knit-factory"}
        if action == "move":
            body["slot"] = w.meeting()["slot"]
        if action == "add":
            body = free_meeting(w)
        if action == "unlock":
            w.admin(
                "POST",
                f"/api/v1/sessions/{w.session_id}/agenda/lock",
                json={"member_id": "designer", "partner_id": "knit-factory"},
            )
        return {"json": body}

    return request


def free_meeting(w: World) -> dict[str, Any]:
    """Two participants who do not meet yet, and a slot with a table where both are free."""
    meetings = [
        m
        for m in w.admin("GET", f"/api/v1/sessions/{w.session_id}/agenda").json["meetings"]
        if m["status"] != "cancelled"
    ]
    planned = {frozenset((m["member_a"], m["member_b"])) for m in meetings}
    for index, first in enumerate(SESSION_MEMBERS):
        for second in SESSION_MEMBERS[index + 1 :]:
            if frozenset((first, second)) in planned:
                continue
            for slot in (1, 2, 3):
                in_slot = [m for m in meetings if m["slot"] == slot]
                busy = {x for m in in_slot for x in (m["member_a"], m["member_b"])}
                if len(in_slot) < 2 and not {first, second} & busy:
                    return {"member_id": first, "partner_id": second, "slot": slot}
    raise AssertionError("the seeded agenda leaves no room for a meeting")


def swap(w: World) -> dict[str, Any]:
    """Two meetings that may exchange places: nobody of either is busy in the other's slot."""
    meetings = [
        m
        for m in w.admin("GET", f"/api/v1/sessions/{w.session_id}/agenda").json["meetings"]
        if m["status"] != "cancelled"
    ]

    def busy(slot: int, apart: dict) -> set[str]:
        return {
            x
            for m in meetings
            if m["slot"] == slot and m is not apart
            for x in (m["member_a"], m["member_b"])
        }

    for index, first in enumerate(meetings):
        for second in meetings[index + 1 :]:
            a, b = {first["member_a"], first["member_b"]}, {second["member_a"], second["member_b"]}
            if a & busy(second["slot"], second) or b & busy(first["slot"], first):
                continue
            return {
                "json": {
                    "first": {"member_id": first["member_a"], "partner_id": first["member_b"]},
                    "second": {"member_id": second["member_a"], "partner_id": second["member_b"]},
                }
            }
    raise AssertionError("the seeded agenda has no two meetings that can swap")


def published(request: Request | None = None) -> Request:
    def prepared(w: World) -> dict[str, Any]:
        w.publish()
        return request(w) if request else {}

    return prepared


def outcomes(w: World) -> dict[str, Any]:
    w.publish()
    return {
        "json": {
            "outcomes": [
                {
                    "member_id": "designer",
                    "partner_id": "knit-factory",
                    "held": True,
                    "outcome": "follow_up",
                }
            ]
        }
    }


@dataclass
class Row:
    method: str
    path: str | Callable[[World], str]
    #: The expected status of each caller, e.g. ``"A401 M200 O403 W403 N200 X403 D200"``.
    expected: str
    request: Request = lambda w: {}

    def statuses(self) -> dict[str, int]:
        cells = {cell[0]: int(cell[1:]) for cell in self.expected.split()}
        assert sorted(cells) == sorted(CALLERS), self.expected
        return cells


MEMBER = "/api/v1/members/designer"
ROWS: dict[tuple[str, str], Row] = {
    # Public profiles of the live members are every signed-in caller's to read.
    ("GET", "/api/v1/members"): Row("GET", "/api/v1/members", "A401 M200 O200 W403 N200 X200 D200"),
    ("POST", "/api/v1/members"): Row(
        "POST", "/api/v1/members", "A401 M403 O403 W403 N201 X403 D201", new_member
    ),
    ("GET", "/api/v1/members/{member_id}"): Row(
        "GET", MEMBER, "A401 M200 O200 W403 N200 X200 D200"
    ),
    ("DELETE", "/api/v1/members/{member_id}"): Row(
        "DELETE", MEMBER, "A401 M204 O403 W403 N204 X403 D204"
    ),
    ("PATCH", "/api/v1/members/{member_id}"): Row(
        "PATCH",
        MEMBER,
        "A401 M200 O403 W403 N200 X403 D200",
        lambda w: {"json": {"city": "Chuhuiv"}, "headers": w.member_etag("designer")},
    ),
    ("GET", "/api/v1/members/{member_id}/suggestions"): Row(
        "GET", f"{MEMBER}/suggestions", "A401 M200 O403 W403 N200 X403 D200"
    ),
    # A prospect's trial: a profile that is not stored, no contacts in the answer.
    ("POST", "/api/v1/suggestions"): Row(
        "POST",
        "/api/v1/suggestions",
        "A401 M200 O200 W403 N200 X200 D200",
        lambda w: {"json": {"profile": new_member(w)["json"]}},
    ),
    ("GET", "/api/v1/members/{member_id}/feedback"): Row(
        "GET", f"{MEMBER}/feedback", "A401 M200 O403 W403 N200 X403 D200"
    ),
    ("GET", "/api/v1/members/{member_id}/matches"): Row(
        "GET", f"{MEMBER}/matches", "A401 M200 O403 W403 N200 X403 D200"
    ),
    ("POST", "/api/v1/members/{member_id}/feedback"): Row(
        "POST",
        f"{MEMBER}/feedback",
        "A401 M201 O403 W403 N201 X403 D201",
        lambda w: {"json": {"partner_id": "knit-factory", "event": "shown"}},
    ),
    # One model serves every network: managers read and retrain it; which version serves is
    # an admin's choice.
    ("GET", "/api/v1/models"): Row("GET", "/api/v1/models", "A401 M403 O403 W403 N200 X200 D200"),
    ("POST", "/api/v1/models/retrain"): Row(
        "POST",
        "/api/v1/models/retrain",
        "A401 M403 O403 W403 N202 X202 D202",
        lambda w: {"json": {"activate": False}},
    ),
    ("GET", "/api/v1/models/{version_id}"): Row(
        "GET",
        lambda w: f"/api/v1/models/{w.version_id}",
        "A401 M403 O403 W403 N200 X200 D200",
    ),
    ("POST", "/api/v1/models/{version_id}/activate"): Row(
        "POST",
        lambda w: f"/api/v1/models/{w.version_id}/activate",
        "A401 M403 O403 W403 N403 X403 D200",
    ),
    # Imports change the home network's rows: its manager and admins only.
    ("POST", "/api/v1/import/members"): Row(
        "POST",
        "/api/v1/import/members",
        "A401 M403 O403 W403 N200 X403 D200",
        lambda w: members_csv(f"new-atelier,Ательє Нове,{HOME},UA,designer,fashion_design"),
    ),
    ("POST", "/api/v1/import/links"): Row(
        "POST",
        "/api/v1/import/links",
        "A401 M403 O403 W403 N200 X403 D200",
        lambda w: links_csv("designer,sewing-factory,partner"),
    ),
    # Exports: each manager its own network's members and links.
    ("GET", "/api/v1/export/members"): Row(
        "GET", "/api/v1/export/members", "A401 M403 O403 W403 N200 X200 D200"
    ),
    ("GET", "/api/v1/export/links"): Row(
        "GET", "/api/v1/export/links", "A401 M403 O403 W403 N200 X200 D200"
    ),
    ("GET", "/api/v1/users"): Row("GET", "/api/v1/users", "A401 M403 O403 W403 N403 X403 D200"),
    ("POST", "/api/v1/users"): Row(
        "POST",
        "/api/v1/users",
        "A401 M403 O403 W403 N403 X403 D201",
        lambda w: {"json": {"name": "new-user", "role": "member", "member_id": "designer"}},
    ),
    ("POST", "/api/v1/users/{user_id}/revoke"): Row(
        "POST", "/api/v1/users/2/revoke", "A401 M403 O403 W403 N403 X403 D200"
    ),
    # Insights of the home network: its manager; another network's manager gets 403. The first
    # call of a fresh world starts their computation (202, computed off the request).
    ("GET", "/api/v1/insights"): Row(
        "GET",
        "/api/v1/insights",
        "A401 M403 O403 W403 N202 X403 D202",
        lambda w: {"query_string": {"network": HOME}},
    ),
    ("GET", "/api/v1/insights/report"): Row(
        "GET",
        "/api/v1/insights/report",
        "A401 M403 O403 W403 N202 X403 D202",
        lambda w: {"query_string": {"network": HOME}},
    ),
    ("GET", "/api/v1/insights/tables.xlsx"): Row(
        "GET",
        "/api/v1/insights/tables.xlsx",
        "A401 M403 O403 W403 N202 X403 D202",
        lambda w: {"query_string": {"network": HOME}},
    ),
    # Sessions: the session's network's managers run it; a participant sees the session and,
    # of its wishes, agenda and printable page, its own part; to anyone else it does not exist.
    ("GET", "/api/v1/sessions"): Row(
        "GET", "/api/v1/sessions", "A401 M200 O200 W403 N200 X200 D200"
    ),
    ("POST", "/api/v1/sessions"): Row(
        "POST",
        "/api/v1/sessions",
        "A401 M403 O403 W403 N201 X403 D201",
        lambda w: {
            "json": {
                "name": "Осінній день",
                "network": HOME,
                "date": "2027-10-01",
                "tables": 1,
                "slots": ["10:00"],
            }
        },
    ),
    ("GET", "/api/v1/sessions/{session_id}"): Row(
        "GET", session_path(), "A401 M200 O404 W403 N200 X404 D200"
    ),
    ("DELETE", "/api/v1/sessions/{session_id}"): Row(
        "DELETE", session_path(), "A401 M403 O404 W403 N204 X404 D204"
    ),
    ("GET", "/api/v1/sessions/{session_id}/participants"): Row(
        "GET", session_path("/participants"), "A401 M200 O404 W403 N200 X404 D200"
    ),
    ("POST", "/api/v1/sessions/{session_id}/participants"): Row(
        "POST",
        session_path("/participants"),
        "A401 M403 O404 W403 N201 X404 D201",
        lambda w: {"json": {"member_id": "logistics"}},
    ),
    ("POST", "/api/v1/sessions/{session_id}/participants/import"): Row(
        "POST",
        session_path("/participants/import"),
        "A401 M403 O404 W403 N200 X404 D200",
        lambda w: {
            "data": {"file": (io.BytesIO(b"member_id\nlogistics\n"), "participants.csv")},
            "content_type": "multipart/form-data",
        },
    ),
    ("DELETE", "/api/v1/sessions/{session_id}/participants/{member_id}"): Row(
        "DELETE",
        session_path("/participants/sewing-factory"),
        "A401 M403 O404 W403 N200 X404 D200",
    ),
    ("POST", "/api/v1/sessions/{session_id}/suggestions"): Row(
        "POST", session_path("/suggestions"), "A401 M403 O404 W403 N200 X404 D200"
    ),
    ("GET", "/api/v1/sessions/{session_id}/wishes"): Row(
        "GET", session_path("/wishes"), "A401 M200 O404 W403 N200 X404 D200"
    ),
    ("GET", "/api/v1/sessions/{session_id}/wishes/{member_id}"): Row(
        "GET", session_path("/wishes/designer"), "A401 M200 O404 W403 N200 X404 D200"
    ),
    ("PUT", "/api/v1/sessions/{session_id}/wishes/{member_id}/{partner_id}"): Row(
        "PUT",
        session_path("/wishes/designer/yarn-supplier"),
        "A401 M200 O404 W403 N200 X404 D200",
        lambda w: {"json": {"level": "would"}},
    ),
    ("POST", "/api/v1/sessions/{session_id}/build"): Row(
        "POST",
        session_path("/build"),
        "A401 M403 O404 W403 N200 X404 D200",
        lambda w: {"json": {"time_limit": 10}},
    ),
    ("GET", "/api/v1/sessions/{session_id}/agenda"): Row(
        "GET", session_path("/agenda"), "A401 M200 O404 W403 N200 X404 D200"
    ),
    ("GET", "/api/v1/sessions/{session_id}/agenda/{member_id}"): Row(
        "GET",
        session_path("/agenda/designer"),
        "A401 M200 O404 W403 N200 X404 D200",
        published(),
    ),
    ("POST", "/api/v1/sessions/{session_id}/agenda/move"): Row(
        "POST",
        session_path("/agenda/move"),
        "A401 M403 O404 W403 N200 X404 D200",
        meeting_edit("move"),
    ),
    ("POST", "/api/v1/sessions/{session_id}/agenda/swap"): Row(
        "POST",
        session_path("/agenda/swap"),
        "A401 M403 O404 W403 N200 X404 D200",
        swap,
    ),
    ("POST", "/api/v1/sessions/{session_id}/agenda/cancel"): Row(
        "POST",
        session_path("/agenda/cancel"),
        "A401 M403 O404 W403 N200 X404 D200",
        meeting_edit("cancel"),
    ),
    ("POST", "/api/v1/sessions/{session_id}/agenda/add"): Row(
        "POST",
        session_path("/agenda/add"),
        "A401 M403 O404 W403 N200 X404 D200",
        meeting_edit("add"),
    ),
    ("POST", "/api/v1/sessions/{session_id}/agenda/lock"): Row(
        "POST",
        session_path("/agenda/lock"),
        "A401 M403 O404 W403 N200 X404 D200",
        meeting_edit("lock"),
    ),
    ("POST", "/api/v1/sessions/{session_id}/agenda/unlock"): Row(
        "POST",
        session_path("/agenda/unlock"),
        "A401 M403 O404 W403 N200 X404 D200",
        meeting_edit("unlock"),
    ),
    ("GET", "/api/v1/sessions/{session_id}/check"): Row(
        "GET", session_path("/check"), "A401 M403 O404 W403 N200 X404 D200"
    ),
    ("POST", "/api/v1/sessions/{session_id}/publish"): Row(
        "POST", session_path("/publish"), "A401 M403 O404 W403 N200 X404 D200"
    ),
    ("POST", "/api/v1/sessions/{session_id}/reopen"): Row(
        "POST", session_path("/reopen"), "A401 M403 O404 W403 N200 X404 D200", published()
    ),
    ("GET", "/api/v1/sessions/{session_id}/export/xlsx"): Row(
        "GET", session_path("/export/xlsx"), "A401 M403 O404 W403 N200 X404 D200"
    ),
    ("GET", "/api/v1/sessions/{session_id}/export/csv"): Row(
        "GET", session_path("/export/csv"), "A401 M403 O404 W403 N200 X404 D200"
    ),
    ("GET", "/api/v1/sessions/{session_id}/export/ics"): Row(
        "GET", session_path("/export/ics"), "A401 M403 O404 W403 N200 X404 D200"
    ),
    ("GET", "/api/v1/sessions/{session_id}/export/html"): Row(
        "GET", session_path("/export/html"), "A401 M200 O404 W403 N200 X404 D200"
    ),
    ("POST", "/api/v1/sessions/{session_id}/outcomes"): Row(
        "POST", session_path("/outcomes"), "A401 M200 O404 W403 N200 X404 D200", outcomes
    ),
    # Probes of the process, for the load balancer: no token.
    ("GET", "/health"): Row("GET", "/health", "A200 M200 O200 W200 N200 X200 D200"),
    ("GET", "/ready"): Row("GET", "/ready", "A200 M200 O200 W200 N200 X200 D200"),
}


def documented_operations(app) -> set[tuple[str, str]]:
    document = app.test_client().get("/api/v1/openapi.json").json
    return {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    }


def test_every_operation_of_the_document_has_a_row(app):
    documented = documented_operations(app)
    assert documented - ROWS.keys() == set(), "operations without a row in the matrix"
    assert ROWS.keys() - documented == set(), "rows for operations the document does not have"


def test_authorization_matrix(app, world):
    found: dict[tuple[str, str], dict[str, int]] = {}
    for key, row in ROWS.items():
        found[key] = {}
        for caller in CALLERS:
            options = row.request(world)
            path = row.path(world) if callable(row.path) else row.path
            response = world.call(caller, row.method, path, **options)
            found[key][caller] = response.status_code
            if response.status_code >= 400:
                assert response.content_type == "application/problem+json", (key, caller)
            restore(app, world.snapshot)
    wrong = {
        f"{method} {path}": " ".join(f"{c}{found[(method, path)][c]}" for c in CALLERS)
        for (method, path), row in ROWS.items()
        if found[(method, path)] != row.statuses()
    }
    assert wrong == {}, "cells that differ (what the service answered):\n" + "\n".join(
        f"{key}: {value}" for key, value in wrong.items()
    )
