"""The member pages' authorization matrix: every route of the ``my`` blueprint (``/my/...``) x
every kind of page session, on SQLite and PostgreSQL.

The routes are read from ``app.url_map`` (every rule whose endpoint starts with ``my.``), so a
route added to the member pages is checked without being listed here. The sessions:

====  ===================================================================================
A     anonymous (no session)
N     a cluster manager signed in on ``/manage`` (and an admin, D)
M     the member ``designer``, signed in on ``/my/login``
W     a member withdrawn after it signed in (its saved cookie, replayed)
====  ===================================================================================

What each must get:

* A, N, D, W: every route that is not in :data:`PUBLIC` sends them to ``/my/login`` (a GET, and
  a POST carrying the session's CSRF token): no member data.
* M: every GET route answers (2xx, or a redirect that is not to the sign-in page), and no page
  shows another member's contact details (no partner has accepted it yet). A route whose URL
  names a resource of its own (a matchmaking day, a member) answers 403 or 404, by GET or POST,
  when the URL names another's: a day the member does not take part in, another member.
* :data:`PUBLIC` routes (sign-in, an invitation, the prospect's trial, unknown addresses) are
  served to anyone, with the status given there.

**A new route with a URL parameter**: add the parameter's name to :data:`FILLERS`, saying which
value is the member's own and which is another's (None: the parameter names nothing of a member's
own). A route with a parameter not there fails :func:`test_every_route_parameter_has_a_filler`.
A new route that anyone may open goes into :data:`PUBLIC` (decided when it is written).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from service_fixtures import HOME, bearer
from sqlalchemy import select

from api.auth import create_user
from api.db import get_db
from api.services import invitations
from api.tables import Member, utcnow

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

#: The routes served without a member's session: the status an anonymous GET gets.
PUBLIC = {
    "my.login": 200,
    "my.logout": 302,  # to the sign-in page
    "my.index": 302,  # to the sign-in page
    "my.invitation": 200,  # with a live code
    "my.try_": 200,  # the prospect's trial
    "my.unknown_page": 404,
}

#: URL parameters: the world -> (the member's own value, another's value or None).
FILLERS: dict[str, Callable[[World], tuple[str, str | None]]] = {
    "session_id": lambda w: (w.session_id, w.other_session_id),
    "member_id": lambda w: ("designer", "knit-factory"),
    "code": lambda w: (w.invitation_code, None),
    "unknown": lambda w: ("no-such-page", None),
}


@dataclass
class World:
    app: Any
    session_id: str = ""
    other_session_id: str = ""
    invitation_code: str = ""
    withdrawn_cookie: str = ""
    withdrawn_csrf: str = ""
    foreign_contacts: list[str] = field(default_factory=list)


def member_rules(app) -> list:
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("my.")]
    assert rules, "no member-page routes"
    return sorted(rules, key=lambda r: r.rule)


def url(rule, world: World, whose: str = "own") -> str | None:
    """The rule's URL with the member's own values (`whose` "own") or another's (None when no
    parameter names anything of another)."""
    values = {}
    for name in rule.arguments:
        own, other = FILLERS[name](world)
        values[name] = own if whose == "own" or other is None else other
    if whose == "other" and not any(FILLERS[n](world)[1] is not None for n in rule.arguments):
        return None
    return rule.build(values, append_unknown=False)[1]


def csrf_of(client, path: str = "/my/login") -> str:
    found = _CSRF.search(client.get(path).get_data(as_text=True))
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def sign_in(client, login: str, token: str) -> None:
    response = client.post(
        login, data={"csrf_token": csrf_of(client, login), "method": "token", "token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def session_csrf(client) -> str:
    with client.session_transaction() as session:
        return session["csrf"]


def goes_to_sign_in(response) -> bool:
    return response.status_code == 302 and urlsplit(response.headers["Location"]).path == (
        "/my/login"
    )


def call(client, rule, path: str, csrf: str):
    """GET the route if it has GET, else POST an empty form with the session's CSRF token."""
    if "GET" in rule.methods:
        return client.get(path)
    return client.post(path, data={"csrf_token": csrf})


@pytest.fixture
def world(app, tokens) -> World:
    client = app.test_client()
    manager = bearer(tokens.manager)
    world = World(app)
    ids = []
    for name, members in (
        ("Designer's day", ("designer", "knit-factory", "yarn-supplier")),
        ("Another day", ("knit-factory", "yarn-supplier", "sewing-factory")),
    ):
        created = client.post(
            "/api/v1/sessions",
            headers=manager,
            json={"name": name, "date": "2027-05-14", "tables": 2, "slots": ["10:00", "10:30"]},
        )
        assert created.status_code == 201, created.get_data(as_text=True)
        session_id = created.json["session_id"]
        for member_id in members:
            added = client.post(
                f"/api/v1/sessions/{session_id}/participants",
                headers=manager,
                json={"member_id": member_id},
            )
            assert added.status_code < 300, added.get_data(as_text=True)
        ids.append(session_id)
    world.session_id, world.other_session_id = ids
    with app.app_context():
        db = get_db()
        withdrawn_token = create_user(db, "photo", "member", member_id="photo")[1]
        world.invitation_code = invitations.issue_invitation(db, "sewing-factory", None).code
        world.foreign_contacts = [
            m.contact_email
            for m in db.scalars(select(Member).where(Member.network_id == HOME))
            if m.contact_email and m.member_id != "designer"
        ]
        db.commit()
    withdrawn = app.test_client()
    sign_in(withdrawn, "/my/login", withdrawn_token)
    world.withdrawn_cookie = withdrawn.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    world.withdrawn_csrf = session_csrf(withdrawn)
    assert not goes_to_sign_in(withdrawn.get("/my/"))  # the cookie holds a live session
    with app.app_context():
        db = get_db()
        db.get(Member, "photo").deleted_at = utcnow()
        db.commit()
    return world


def test_every_route_parameter_has_a_filler(app):
    missing = {
        (rule.rule, name)
        for rule in member_rules(app)
        for name in rule.arguments
        if name not in FILLERS
    }
    assert not missing, f"add these URL parameters to FILLERS (see the docstring): {missing}"


def test_the_matrix_covers_the_member_pages(app, world):
    """The routes found include the skeleton's and the ones of each area (a sanity check of
    the enumeration; new routes join without being named here)."""
    endpoints = {rule.endpoint for rule in member_rules(app)}
    assert {"my.login", "my.logout", "my.index", "my.invitation"} <= endpoints
    assert len(endpoints - set(PUBLIC)) >= 1
    naming_resources = [r for r in member_rules(app) if r.arguments & {"session_id", "member_id"}]
    checked_with_others = [r for r in member_rules(app) if url(r, world, "other") is not None]
    assert len(checked_with_others) == len(naming_resources)


def test_anonymous_visitors_are_sent_to_sign_in(app, world):
    client = app.test_client()
    csrf = csrf_of(client)
    for rule in member_rules(app):
        path = url(rule, world)
        response = call(client, rule, path, csrf)
        if rule.endpoint in PUBLIC:
            assert response.status_code == PUBLIC[rule.endpoint], path
            if response.status_code == 302:
                assert goes_to_sign_in(response), path
        else:
            assert goes_to_sign_in(response), (path, response.status_code)


@pytest.mark.parametrize("who", ["manager", "admin"])
def test_managers_and_admins_get_no_member_pages(app, tokens, world, who):
    client = app.test_client()
    sign_in(client, "/manage/login", getattr(tokens, who))
    csrf = session_csrf(client)
    for rule in member_rules(app):
        if rule.endpoint in PUBLIC:
            continue
        path = url(rule, world)
        response = call(client, rule, path, csrf)
        assert goes_to_sign_in(response), (who, path, response.status_code)
    # ... and stay signed in to the manager pages.
    assert client.get("/manage/members").status_code == 200


def test_a_member_sees_its_own_pages_and_nothing_of_others(app, tokens, world):
    client = app.test_client()
    sign_in(client, "/my/login", tokens.designer)
    csrf = session_csrf(client)
    for rule in member_rules(app):
        if rule.endpoint in ("my.logout", "my.login", "my.invitation"):
            continue  # signing out, or in, or accepting an invitation: tested elsewhere
        if "GET" in rule.methods:
            path = url(rule, world)
            response = client.get(path)
            expected_status = PUBLIC.get(rule.endpoint)
            if expected_status == 404:
                assert response.status_code == 404, path
            else:
                assert response.status_code < 400, (path, response.status_code)
                assert not goes_to_sign_in(response), path
            body = response.get_data(as_text=True)
            shown = [email for email in world.foreign_contacts if email in body]
            assert not shown, (path, shown)
        others = url(rule, world, "other")
        if others is not None:
            response = call(client, rule, others, csrf)
            assert response.status_code in (403, 404), (others, response.status_code)
    assert client.get("/my/").status_code == 302  # still signed in
    assert not goes_to_sign_in(client.get("/my/"))


def test_a_withdrawn_members_session_ends_on_every_route(app, world):
    for rule in member_rules(app):
        if rule.endpoint in PUBLIC:
            continue
        client = app.test_client()
        client.set_cookie(app.config["SESSION_COOKIE_NAME"], world.withdrawn_cookie)
        path = url(rule, world)
        response = call(client, rule, path, world.withdrawn_csrf)
        assert goes_to_sign_in(response), (path, response.status_code)
        assert goes_to_sign_in(client.get("/my/"))  # the session has ended
