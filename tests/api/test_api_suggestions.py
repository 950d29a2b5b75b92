"""Suggestions (stored and prospective members), feedback, rate limits."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from service_fixtures import HOME, bearer


def test_same_shape_as_the_cli(app, client, tokens):
    from api.services.serving import holder
    from matcher.cli import main

    response = client.get(
        "/api/v1/members/designer/suggestions?k=4", headers=bearer(tokens.designer)
    )
    assert response.status_code == 200
    name = None
    with app.app_context():
        from api.db import get_db

        name = holder().get(get_db()).name
    result = CliRunner().invoke(
        main,
        [
            "recommend",
            "--model",
            name,
            "--models-dir",
            app.config["MODELS_DIR"],
            "--member",
            "designer",
            "--k",
            "4",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert response.json == json.loads(result.output)
    assert response.json["suggestions"][0]["partner_id"] == "knit-factory"


def test_roles_on_suggestions(client, tokens):
    url = "/api/v1/members/designer/suggestions"
    assert client.get(url, headers=bearer(tokens.knit)).status_code == 403
    assert client.get(url, headers=bearer(tokens.polish_manager)).status_code == 403
    assert client.get(url, headers=bearer(tokens.manager)).status_code == 200
    assert client.get(url, headers=bearer(tokens.admin)).status_code == 200
    assert (
        client.get("/api/v1/members/ghost/suggestions", headers=bearer(tokens.admin)).status_code
        == 404
    )


def test_scope_and_filters(client, tokens):
    headers = bearer(tokens.designer)
    cluster = client.get("/api/v1/members/designer/suggestions?scope=cluster", headers=headers).json
    assert {s["network"] for s in cluster["suggestions"]} == {HOME}
    polish = client.get(
        "/api/v1/members/designer/suggestions?country=PL&org_type=manufacturer", headers=headers
    ).json
    assert [s["partner_id"] for s in polish["suggestions"]] == ["pl-knit-factory"]
    bad = client.get("/api/v1/members/designer/suggestions?org_type=wizard", headers=headers)
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "org_type.0"
    bad = client.get("/api/v1/members/designer/suggestions?scope=galaxy", headers=headers)
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "scope"
    bad = client.get("/api/v1/members/designer/suggestions?k=0", headers=headers)
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "k"


def test_declined_partner_disappears_at_once(client, tokens):
    headers = bearer(tokens.designer)
    url = "/api/v1/members/designer/suggestions"
    first = client.get(url, headers=headers).json["suggestions"][0]["partner_id"]
    response = client.post(
        "/api/v1/members/designer/feedback",
        headers=headers,
        json={"partner_id": first, "event": "declined", "note": "not now"},
    )
    assert response.status_code == 201 and response.json["event"] == "declined"
    assert first not in [
        s["partner_id"] for s in client.get(url, headers=headers).json["suggestions"]
    ]
    events = client.get("/api/v1/members/designer/feedback", headers=headers).json["items"]
    assert [e["partner_id"] for e in events] == [first]
    for event in ("meeting", "deal", "shown"):
        assert (
            client.post(
                "/api/v1/members/designer/feedback",
                headers=headers,
                json={"partner_id": "yarn-supplier", "event": event},
            ).status_code
            == 201
        )
    wrong = client.post(
        "/api/v1/members/designer/feedback",
        headers=headers,
        json={"partner_id": "yarn-supplier", "event": "married"},
    )
    assert wrong.status_code == 422 and wrong.json["errors"][0]["field"] == "event"
    ghost = client.post(
        "/api/v1/members/designer/feedback",
        headers=headers,
        json={"partner_id": "ghost", "event": "accepted"},
    )
    # A well-formed id of no member: 404 naming it (it is not bad input, the partner is absent).
    assert ghost.status_code == 404 and ghost.json["errors"][0]["field"] == "partner_id"
    itself = client.post(
        "/api/v1/members/designer/feedback",
        headers=headers,
        json={"partner_id": "designer", "event": "accepted"},
    )
    assert itself.status_code == 409 and itself.json["errors"][0]["field"] == "partner_id"
    assert (
        client.post(
            "/api/v1/members/knit-factory/feedback",
            headers=headers,
            json={"partner_id": "designer", "event": "accepted"},
        ).status_code
        == 403
    )
    assert client.get("/api/v1/members/knit-factory/feedback", headers=headers).status_code == 403


#: A profile that is not stored (a prospective member), without its id.
PROSPECT = {
    "name": "Нова фабрика",
    "network": HOME,
    "country": "UA",
    "org_type": "manufacturer",
    "offers": ["knitwear_production"],
    "seeks": ["fashion_design"],
}


def test_prospective_member(client, tokens):
    prospect = {"member_id": "prospect-1", **PROSPECT}
    response = client.post(
        "/api/v1/suggestions", json={"profile": prospect, "k": 3}, headers=bearer(tokens.designer)
    )
    assert response.status_code == 200
    assert response.json["member"] == "prospect-1" and len(response.json["suggestions"]) == 3
    assert "designer" in [s["partner_id"] for s in response.json["suggestions"]]
    bad = client.post(
        "/api/v1/suggestions",
        json={"profile": {**prospect, "org_type": "wizard"}},
        headers=bearer(tokens.designer),
    )
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "profile.org_type"
    assert "'wizard' is not an org_type" in bad.json["errors"][0]["message"]
    stored = client.post(
        "/api/v1/suggestions",
        json={"profile": {**prospect, "member_id": "designer"}},
        headers=bearer(tokens.designer),
    )
    assert stored.status_code == 409


def test_member_added_after_training_gets_suggestions(client, tokens):
    new = {
        "member_id": "late-knitter",
        "name": "Late",
        "network": HOME,
        "country": "UA",
        "org_type": "manufacturer",
        "offers": ["knitwear_production"],
        "seeks": ["fashion_design"],
    }
    assert (
        client.post("/api/v1/members", json=new, headers=bearer(tokens.manager)).status_code == 201
    )
    response = client.get(
        "/api/v1/members/late-knitter/suggestions?k=3", headers=bearer(tokens.manager)
    )
    assert response.status_code == 200 and response.json["suggestions"]


def test_rate_limit_per_token(tmp_path):
    from service_fixtures import dispose_app, make_app

    app = make_app(
        tmp_path,
        f"sqlite:///{tmp_path / 'limits.sqlite'}",
        SUGGESTION_RATE_LIMIT="3/minute",
        RATELIMIT_STORAGE_URI=f"matcher-sqlite:///{tmp_path / 'limits-counters.sqlite'}",
    )
    try:
        client, tokens = app.test_client(), app.config["TOKENS"]
        url = "/api/v1/members/designer/suggestions?k=1"
        codes = [client.get(url, headers=bearer(tokens.designer)).status_code for _ in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        limited = client.get(url, headers=bearer(tokens.designer))
        assert limited.content_type == "application/problem+json" and limited.json["status"] == 429
        # The headers flask-limiter gave, from one counter statement (api.limits.per_token).
        assert limited.headers["X-RateLimit-Limit"] == "3"
        assert limited.headers["X-RateLimit-Remaining"] == "0"
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
        # Another token has its own budget.
        assert client.get(url, headers=bearer(tokens.manager)).status_code == 200
    finally:
        dispose_app(app)


def test_without_a_cache_a_withdrawn_partner_is_replaced_by_the_next(tmp_path):
    """With the cache off an answer ranks no spare partners beyond k; when a partner withdrawn
    since the fit is among the first k, the engine is asked again with spares."""
    from service_fixtures import dispose_app, make_app

    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'test.sqlite'}", SUGGESTION_CACHE_SIZE=0)
    try:
        client, tokens = app.test_client(), app.config["TOKENS"]
        headers = bearer(tokens.designer)

        def partners(k: int) -> list[str]:
            url = f"/api/v1/members/designer/suggestions?k={k}"
            return [s["partner_id"] for s in client.get(url, headers=headers).json["suggestions"]]

        ranked = partners(4)
        assert partners(3) == ranked[:3]
        deleted = client.delete(f"/api/v1/members/{ranked[0]}", headers=bearer(tokens.admin))
        assert deleted.status_code == 204
        assert partners(3) == ranked[1:4]
    finally:
        dispose_app(app)


def test_shared_counter_file_counts_across_processes(tmp_path):
    import subprocess
    import sys

    from api.limits import SQLiteFileStorage

    uri = f"matcher-sqlite:///{tmp_path / 'counters.sqlite'}"
    code = (
        "from api.limits import SQLiteFileStorage as S; import sys; "
        f"print(S({uri!r}).incr('k', 60))"
    )
    seen = [
        int(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(3)
    ]
    assert seen == [1, 2, 3]
    storage = SQLiteFileStorage(uri)
    assert storage.get("k") == 3 and storage.check()
    storage.clear("k")
    assert storage.get("k") == 0


def _filter_errors(response) -> list[tuple[str, str, str]]:
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    return [(e["field"], e["value"], e["message"]) for e in response.json["errors"]]


def test_filter_values_are_the_documented_ids_and_codes(client, tokens):
    """Regression: "Poland" and "XX" passed the country's shape check and matched nothing.

    The JSON API takes exactly the values its document enumerates (ISO codes, the taxonomy's
    ids); a refusal names each value with what was meant, in the engine's words.
    """
    from matcher.filters import FilterError, resolve_filters

    headers = bearer(tokens.designer)
    url = "/api/v1/members/designer/suggestions"
    [(field, value, message)] = _filter_errors(client.get(f"{url}?country=Poland", headers=headers))
    assert (field, value) == ("country.0", "Poland") and "did you mean 'PL'?" in message
    # The engine's words, as the command line gives them.
    with pytest.raises(FilterError) as info:
        resolve_filters({"country": "Poland"})
    assert message == info.value.problems[0].message
    [(field, value, message)] = _filter_errors(client.get(f"{url}?country=XX", headers=headers))
    assert (field, value) == ("country.0", "XX") and "ISO 3166-1 alpha-2" in message
    # Every refused value is named at once; valid ones beside them are not.
    response = client.get(f"{url}?country=PL&country=Germny&org_type=wizard", headers=headers)
    assert [(f, v) for f, v, _ in _filter_errors(response)] == [
        ("country.1", "Germny"),
        ("org_type.0", "wizard"),
    ]
    assert "country" in response.json["detail"] and "org_type" in response.json["detail"]
    # Another case or a synonym is refused, naming the code or id meant (the pages and the
    # command line resolve them).
    [(_, _, message)] = _filter_errors(client.get(f"{url}?country=pl", headers=headers))
    assert "did you mean 'PL'?" in message
    [(_, _, message)] = _filter_errors(client.get(f"{url}?org_type=factory", headers=headers))
    assert "did you mean 'manufacturer'?" in message
    polish = client.get(f"{url}?country=PL&org_type=manufacturer", headers=headers)
    assert polish.status_code == 200
    assert [s["partner_id"] for s in polish.json["suggestions"]] == ["pl-knit-factory"]


def test_prospect_filters_and_member_list_filters_are_checked_too(client, tokens):
    headers = bearer(tokens.designer)
    prospect = {"member_id": "prospect-2", **PROSPECT}
    response = client.post(
        "/api/v1/suggestions", json={"profile": prospect, "country": ["Poland"]}, headers=headers
    )
    [(field, value, message)] = _filter_errors(response)
    assert (field, value) == ("country.0", "Poland") and "did you mean 'PL'?" in message
    response = client.post(
        "/api/v1/suggestions", json={"profile": prospect, "country": ["PL"]}, headers=headers
    )
    assert response.status_code == 200
    assert {s["country"] for s in response.json["suggestions"]} == {"PL"}
    # The member list takes the same values.
    [(field, value, message)] = _filter_errors(
        client.get("/api/v1/members?country=Poland", headers=headers)
    )
    assert (field, value) == ("country", "Poland") and "did you mean 'PL'?" in message
    assert _filter_errors(client.get("/api/v1/members?country=XX", headers=headers))
    assert _filter_errors(client.get("/api/v1/members?org_type=wizard", headers=headers))
    assert _filter_errors(client.get("/api/v1/members?org_type=factory", headers=headers))
    assert client.get("/api/v1/members?org_type=manufacturer", headers=headers).json["total"] == 4


def test_a_parameter_that_takes_one_value_is_refused_when_repeated(client, tokens):
    """flask-openapi3 reads the first of repeated values: ``?k=5&k=bogus`` would pass for
    ``k=5``. A parameter the document gives one value is refused when given several, naming it;
    an array parameter takes several."""
    headers = bearer(tokens.designer)
    url = "/api/v1/members/designer/suggestions"
    response = client.get(f"{url}?k=5&k=6&country=PL&country=UA", headers=headers)
    assert response.status_code == 422 and response.content_type == "application/problem+json"
    assert [e["field"] for e in response.json["errors"]] == ["k"]
    assert client.get(f"{url}?k=5&country=PL&country=UA", headers=headers).status_code == 200
    listed = client.get("/api/v1/sessions?state=final&state=preliminary", headers=headers)
    assert listed.status_code == 422 and listed.json["errors"][0]["field"] == "state"


def test_prospect_profile_takes_the_file_formats_id(client, tokens):
    headers = bearer(tokens.designer)
    prospect = {"id": "prospect-3", **PROSPECT}
    response = client.post("/api/v1/suggestions", json={"profile": prospect}, headers=headers)
    assert response.status_code == 200, response.json
    assert response.json["member"] == "prospect-3" and response.json["suggestions"]
    # One of the two names, as the document's oneOf says: both are refused, even equal.
    for other in ("prospect-3", "prospect-4"):
        both = {**prospect, "member_id": other}
        response = client.post("/api/v1/suggestions", json={"profile": both}, headers=headers)
        assert response.status_code == 422 and response.content_type == "application/problem+json"
        assert {e["field"] for e in response.json["errors"]} == {"profile.member_id", "profile.id"}
        assert "give member_id or id, not both" in response.json["errors"][0]["message"]
    neither = {k: v for k, v in prospect.items() if k != "id"}
    response = client.post("/api/v1/suggestions", json={"profile": neither}, headers=headers)
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "profile.member_id"
    # The stored member, named the file's way, is still sent to its own endpoint.
    stored = {**prospect, "id": "designer"}
    response = client.post("/api/v1/suggestions", json={"profile": stored}, headers=headers)
    assert response.status_code == 409


def test_openapi_document_names_both_ids(client):
    document = client.get("/api/v1/openapi.json").json
    schema = document["components"]["schemas"]["MemberCreate"]
    assert {"member_id", "id"} <= set(schema["properties"])
    assert {"oneOf": [{"required": ["member_id"]}, {"required": ["id"]}]} in schema["allOf"]
    assert "member_id" not in schema["required"]


@pytest.mark.parametrize(
    "error, status",
    [
        ("input", 422),
        ("unknown", 404),
        ("numpy", 500),
        ("pandas", 500),
    ],
)
def test_engine_errors_are_answered_by_whose_fault_they_are(
    client, tokens, monkeypatch, error, status
):
    """What the engine refuses as input is a 4xx naming it; a ValueError or KeyError of numpy or
    pandas is a failure of the service (500), not the caller's input."""
    from matcher.errors import InputError, UnknownMemberError

    raised = {
        "input": InputError("Got k=0, expected a positive integer"),
        "unknown": UnknownMemberError("Member 'designer' doesn't exist in the fitted profiles."),
        "numpy": ValueError("operands could not be broadcast together with shapes (3,) (4,)"),
        "pandas": KeyError("member_id"),
    }[error]

    def broken(*args, **kwargs):
        raise raised

    # The worker loads the model first (its load check asks it for a suggestion): the engine
    # breaks once it serves.
    url = "/api/v1/members/designer/suggestions"
    assert client.get(f"{url}?k=1", headers=bearer(tokens.designer)).status_code == 200
    monkeypatch.setattr("matcher.engine.ranking.PartnerMatcher.recommend", broken)
    # k=2: not among the answers the worker ranked before serving (the defaults, k=10).
    response = client.get(f"{url}?k=2", headers=bearer(tokens.designer))
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    if status == 500:
        assert "operands" not in response.json["detail"]
        assert response.json["detail"].startswith("an unexpected error occurred")
    else:
        assert response.json["detail"] == str(raised)
