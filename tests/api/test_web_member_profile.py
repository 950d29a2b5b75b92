"""The member's profile page and the prospect's trial page against the API: the page's edit
and ``PATCH /api/v1/members/{id}`` store the same profile and count the same revisions, a
stale form is refused, bad values are named beside their fields, a member changes only its
own profile, and the trial suggests what ``POST /api/v1/suggestions`` does, with no contacts."""

import html
import re

import pytest
from service_fixtures import bearer, dispose_app, make_app

from api.db import get_db
from api.tables import Member

LOGIN = "/my/login"
PROFILE = "/my/profile"
TRY = "/my/try"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_REVISION = re.compile(r'name="revision" value="(\d+)"')
_PARTNER = re.compile(r'data-partner-id="([^"]+)"')


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def csrf(client, path: str) -> str:
    return _CSRF.search(client.get(path).get_data(as_text=True)).group(1)


def sign_in(client, token: str) -> None:
    response = client.post(
        LOGIN, data={"csrf_token": csrf(client, LOGIN), "method": "token", "token": token}
    )
    assert response.status_code == 302


def stored(app, member_id: str) -> tuple[dict, int]:
    with app.app_context():
        row = get_db().get(Member, member_id)
        return dict(row.profile), row.revision


def api_member(client, token: str, member_id: str) -> dict:
    response = client.get(f"/api/v1/members/{member_id}", headers=bearer(token))
    assert response.status_code == 200
    return response.get_json()


def profile_form(client, **changes) -> dict:
    """The profile form as the page fills it, with `changes` (lists for multi-value fields)."""
    body = client.get(PROFILE).get_data(as_text=True)
    member = api_member(client, client.application.config["TOKENS"].knit, "knit-factory")
    form = {
        "csrf_token": _CSRF.search(body).group(1),
        "revision": _REVISION.search(body).group(1),
        "member_id": "knit-factory",
    }
    for key in ("name", "country", "org_type", "city", "description"):
        form[key] = member[key] or ""
    for key in (
        "offers",
        "seeks",
        "products",
        "partnership_types",
        "certifications",
        "markets_present",
        "markets_target",
        "languages",
    ):
        form[key] = list(member[key])
    for key in ("employees", "capacity_units_month", "min_order_qty"):
        form[key] = "" if member[key] is None else str(member[key])
    for key, value in (member["contact"] or {}).items():
        form["contact_" + key] = value or ""
    form.update(changes)
    return form


@pytest.fixture
def knit(client, tokens):
    sign_in(client, tokens.knit)
    return client


def test_the_page_and_the_api_store_the_same_profile(app, knit, tokens):
    before, revision = stored(app, "knit-factory")
    page = text(knit.get(PROFILE))
    assert "Gradation" in page and 'id="potential-step"' in page and 'id="presence-step"' in page
    change = {
        "certifications": ["iso_9001"],
        "markets_present": ["UA", "PL"],
        "description": "Knitwear from Kharkiv, small runs welcome.",
    }
    response = knit.post(PROFILE, data=profile_form(knit, **change))
    assert response.status_code == 302, text(response)
    assert "Your profile is saved." in text(knit.get(PROFILE))
    by_page, page_revision = stored(app, "knit-factory")
    assert page_revision == revision + 1
    assert by_page["certifications"] == ["iso_9001"]
    assert by_page["market_presence"] == "regional"

    # Back to the profile as it was, then the same change through the API.
    original = {key: before[key] for key in change}
    headers = bearer(tokens.knit)
    assert (
        knit.patch("/api/v1/members/knit-factory", json=original, headers=headers).status_code
        == 200
    )
    etag = knit.get("/api/v1/members/knit-factory", headers=headers).headers["ETag"]
    response = knit.patch(
        "/api/v1/members/knit-factory", json=change, headers={**headers, "If-Match": etag}
    )
    assert response.status_code == 200
    by_api, api_revision = stored(app, "knit-factory")
    assert by_api == by_page
    assert api_revision == page_revision + 2


def test_a_stale_form_is_refused(app, knit, tokens):
    form = profile_form(knit, city="Kharkiv-Old")
    headers = bearer(tokens.knit)
    assert (
        knit.patch(
            "/api/v1/members/knit-factory", json={"city": "Izium"}, headers=headers
        ).status_code
        == 200
    )
    response = knit.post(PROFILE, data=form)
    assert response.status_code == 409
    assert "Someone changed your profile since you opened this page" in text(response)
    profile, _revision = stored(app, "knit-factory")
    assert profile["city"] == "Izium"


def test_invalid_values_are_named_beside_their_fields(app, knit):
    before = stored(app, "knit-factory")
    form = profile_form(
        knit, offers=["sewing", "levitation"], employees="many", markets_present=["XX"]
    )
    response = knit.post(PROFILE, data=form)
    page = text(response)
    assert response.status_code == 422
    assert 'id="offers-problem"' in page and "“levitation” is not one of the allowed values" in page
    assert 'id="employees-problem"' in page and "“many” is not a whole number" in page
    assert 'id="markets_present-problem"' in page and "“XX” is not a country's ISO code" in page
    assert stored(app, "knit-factory") == before


def test_a_member_cannot_edit_another_member(app, knit):
    before = stored(app, "designer")
    form = profile_form(knit, member_id="designer", name="Taken over")
    response = knit.post(PROFILE, data=form)
    assert response.status_code == 403
    assert stored(app, "designer") == before
    assert stored(app, "knit-factory")[0]["name"] != "Taken over"


TRIAL = {
    "org_type": "manufacturer",
    "country": "UA",
    "offers": ["sewing"],
    "seeks": ["woven_fabric_supply"],
    "products": [],
    "markets_present": ["UA"],
    "description": "A small sewing workshop looking for fabric.",
}


def test_the_trial_suggests_what_the_api_does_without_contacts(app, client, tokens):
    page = text(client.get(LOGIN))
    assert 'href="/my/try"' in page
    form = {"csrf_token": csrf(client, TRY), "name": "", **TRIAL}
    response = client.post(TRY, data=form)
    body = text(response)
    assert response.status_code == 200, body
    shown = _PARTNER.findall(body)
    profile = {"member_id": "prospect-trial", "network": "prospect", "name": "Your firm", **TRIAL}
    answer = client.post(
        "/api/v1/suggestions", json={"profile": profile}, headers=bearer(tokens.manager)
    ).get_json()
    assert shown and shown == [s["partner_id"] for s in answer["suggestions"]]
    for suggestion in answer["suggestions"]:
        for reason in suggestion["reasons"]:
            assert reason in body
    assert "@example.org" not in body and "Olena" not in body


def test_the_trial_names_bad_values_and_needs_its_csrf_token(client):
    form = {"csrf_token": csrf(client, TRY), **TRIAL, "org_type": "wizard", "offers": []}
    response = client.post(TRY, data=form)
    assert response.status_code == 422
    assert "“wizard” is not a type of activity" in text(response)
    assert client.post(TRY, data={**TRIAL}).status_code in (400, 403)


def test_the_trial_is_rate_limited_per_address(tmp_path):
    app = make_app(
        tmp_path,
        f"sqlite:///{tmp_path / 'limit.sqlite'}",
        train=False,
        SUGGESTION_RATE_LIMIT="2/minute",
    )
    try:
        client = app.test_client()
        form = {"csrf_token": csrf(client, TRY), **TRIAL, "org_type": "wizard"}
        assert [client.post(TRY, data=form).status_code for _ in range(3)] == [422, 422, 429]
    finally:
        dispose_app(app)
