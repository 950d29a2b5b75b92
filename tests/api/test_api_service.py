"""Health, readiness, the OpenAPI document, offline docs and the one error shape."""

from __future__ import annotations

import io
import json
import re

import pandas as pd
import pytest
from service_fixtures import bearer


def test_health_and_ready(client):
    assert client.get("/health").json == {"status": "ok"}
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json["database"] is True and response.json["model"] == 1


def test_ready_without_model_is_503(tmp_path):
    from service_fixtures import dispose_app, make_app

    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'empty.sqlite'}", train=False)
    try:
        response = app.test_client().get("/ready")
        assert response.status_code == 503
        assert response.content_type == "application/problem+json"
        assert "no model" in response.json["detail"]
    finally:
        dispose_app(app)


def test_openapi_document_is_3_1_and_lists_the_endpoints(client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.1")
    assert "/api/v1/members/{member_id}/suggestions" in document["paths"]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_docs_work_offline(client):
    page = client.get("/api/v1/swagger")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and not [a for a in assets if a.startswith(("http:", "https:", "//"))]
    for asset in assets:
        if asset.endswith((".js", ".css")):
            response = client.get(f"/api/v1/{asset}")
            assert response.status_code == 200, asset
            response.close()


def _swagger_options(html: str) -> dict:
    found = re.search(r"JSON\.parse\(`(.*?)`\)", html, re.DOTALL)
    assert found, "the docs page passes no options to Swagger UI"
    return json.loads(found.group(1))


def test_docs_ask_no_outside_validator_under_any_host_name(app):
    """Regression: Swagger UI sent the document to its online validator (validator.swagger.io)
    whenever the page was not served as localhost."""
    client = app.test_client()
    for host in ("127.0.0.1:8000", "matcher.cluster.example", "10.0.0.7:8000"):
        html = client.get("/api/v1/swagger", headers={"Host": host}).get_data(as_text=True)
        options = _swagger_options(html)
        assert "validatorUrl" in options and options["validatorUrl"] is None, host
        assert "validator.swagger.io" not in html
        assert not re.findall(r"https?://", html), host


def test_swagger_options_of_the_instance_keep_the_validator_off(tmp_path):
    from api import create_app

    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'docs.sqlite'}",
            "RATELIMIT_STORAGE_URI": "memory://",
            "SWAGGER_CONFIG": {"docExpansion": "none"},
        }
    )
    options = _swagger_options(app.test_client().get("/api/v1/swagger").get_data(as_text=True))
    assert options == {"validatorUrl": None, "docExpansion": "none"}


def _is_problem(response, status):
    assert response.status_code == status
    assert response.content_type == "application/problem+json"
    body = response.json
    assert body["status"] == status and body["title"] and body["type"] == "about:blank"
    return body


def test_401_without_or_with_a_bad_token(client):
    _is_problem(client.get("/api/v1/members"), 401)
    _is_problem(client.get("/api/v1/members", headers=bearer("nope")), 401)
    # Authentication comes before parsing the body.
    _is_problem(client.post("/api/v1/members", data="{", content_type="application/json"), 401)


def test_404_405_as_problems(client, tokens):
    _is_problem(client.get("/nowhere"), 404)
    _is_problem(client.get("/api/v1/members/nobody", headers=bearer(tokens.admin)), 404)
    body = _is_problem(client.put("/api/v1/members", headers=bearer(tokens.admin)), 405)
    assert "405" not in body["detail"] or body["detail"]


def test_400_422_name_the_field(client, tokens):
    headers = bearer(tokens.manager)
    response = client.post(
        "/api/v1/members", data="{not json", content_type="application/json", headers=headers
    )
    assert (
        response.status_code in (400, 422) and response.content_type == "application/problem+json"
    )
    body = _is_problem(
        client.post(
            "/api/v1/members",
            json={
                "member_id": "x1",
                "name": "X",
                "network": "kharkiv-fashion-cluster",
                "country": "UA",
                "org_type": "manufacturer",
                "employees": "many",
            },
            headers=headers,
        ),
        422,
    )
    assert [e["field"] for e in body["errors"]] == ["employees"]
    body = _is_problem(
        client.post(
            "/api/v1/members",
            json={
                "member_id": "x1",
                "name": "X",
                "network": "kharkiv-fashion-cluster",
                "country": "UA",
                "org_type": "manufacturer",
                "offers": ["sewwing"],
            },
            headers=headers,
        ),
        422,
    )
    assert body["errors"][0]["field"] == "offers.0"
    assert "did you mean 'sewing'?" in body["errors"][0]["message"]
    body = _is_problem(client.get("/api/v1/members?per_page=0", headers=headers), 422)
    assert body["errors"][0]["field"] == "per_page"


def test_413_for_a_too_large_body(app, tokens):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = app.test_client().post(
        "/api/v1/members",
        data="x" * 5000,
        content_type="application/json",
        headers=bearer(tokens.manager),
    )
    _is_problem(response, 413)


def test_500_is_a_problem_without_a_traceback(app, tokens, monkeypatch):
    import api.members

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(api.members, "mutual_partners", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/api/v1/members", headers=bearer(tokens.designer))
    body = _is_problem(response, 500)
    assert "secret" not in body["detail"]


def test_users_refused_are_404_409_or_422(client, tokens):
    headers = bearer(tokens.admin)
    taken = client.post("/api/v1/users", json={"name": "manager", "role": "admin"}, headers=headers)
    assert taken.status_code == 409 and taken.json["detail"] == (
        "a user named 'manager' already exists"
    )
    # What each role needs is in the document (oneOf on role) and checked as it says.
    lacking = client.post("/api/v1/users", json={"name": "m", "role": "member"}, headers=headers)
    assert lacking.status_code == 422 and lacking.json["errors"][0]["field"] == "member_id"
    lacking = client.post("/api/v1/users", json={"name": "m", "role": "manager"}, headers=headers)
    assert lacking.status_code == 422 and lacking.json["errors"][0]["field"] == "network_id"
    unknown = client.post(
        "/api/v1/users",
        json={"name": "m", "role": "member", "member_id": "nobody"},
        headers=headers,
    )
    assert unknown.status_code == 404 and unknown.json["errors"][0]["field"] == "member_id"
    created = client.post(
        "/api/v1/users",
        json={"name": "m", "role": "manager", "network_id": "kharkiv-fashion-cluster"},
        headers=headers,
    )
    assert created.status_code == 201 and created.json["token"].startswith("kfc_")
    assert created.json["network_id"] == "kharkiv-fashion-cluster"


def test_the_last_active_admin_cannot_be_revoked(app, client, tokens):
    """Revoking the only admin left nobody able to administer the service: refused with 409
    while it is the last one, allowed once another admin can act."""
    headers = bearer(tokens.admin)
    listed = client.get("/api/v1/users", headers=headers).json["items"]
    admin_id = next(u["user_id"] for u in listed if u["role"] == "admin")
    refused = client.post(f"/api/v1/users/{admin_id}/revoke", headers=headers)
    assert refused.status_code == 409
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert "last active admin" in refused.json["detail"]
    assert client.get("/api/v1/users", headers=headers).status_code == 200  # token still live
    second = client.post(
        "/api/v1/users", json={"name": "admin-2", "role": "admin"}, headers=headers
    )
    assert second.status_code == 201
    assert client.post(f"/api/v1/users/{admin_id}/revoke", headers=headers).json == {"revoked": 1}
    assert client.get("/api/v1/users", headers=headers).status_code == 401
    # The new admin, now the last one, is protected in turn (also from itself).
    new_headers = bearer(second.json["token"])
    again = client.post(f"/api/v1/users/{second.json['user_id']}/revoke", headers=new_headers)
    assert again.status_code == 409


@pytest.mark.parametrize(
    "url", ["/api/v1/members", "/api/v1/suggestions", "/api/v1/models/retrain"]
)
def test_deeply_nested_json_is_a_problem_not_a_crash(client, tokens, url):
    """`[` x 100,000 made the JSON parser recurse out of the stack: a 500 (issue 12, finding 13)."""
    answer = client.post(
        url,
        headers={**bearer(tokens.admin), "Content-Type": "application/json"},
        data="[" * 100_000,
    )
    assert answer.status_code == 422
    assert answer.headers["Content-Type"] == "application/problem+json"


def test_options_lists_the_methods_of_the_resource(client, tokens):
    """``Allow`` names what the resource supports, as the document lists it: not the GET of
    ``/sessions/{id}/agenda/{member_id}``, which ``/sessions/{id}/agenda/add`` also matches."""
    headers = bearer(tokens.admin)

    def allowed(url: str) -> set[str]:
        response = client.options(url, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        return {method.strip() for method in response.headers["Allow"].split(",")}

    assert allowed("/api/v1/sessions/s1/agenda/add") == {"POST", "OPTIONS"}
    assert allowed("/api/v1/sessions/s1/participants/import") == {"POST", "OPTIONS"}
    assert allowed("/api/v1/sessions/s1/agenda/designer") == {"GET", "HEAD", "OPTIONS"}
    assert allowed("/api/v1/members") == {"GET", "HEAD", "POST", "OPTIONS"}
    assert allowed("/api/v1/members/designer") == {"GET", "HEAD", "PATCH", "DELETE", "OPTIONS"}


@pytest.mark.parametrize(
    "url, body, field",
    [
        ("/api/v1/models/retrain", {"activate": 0}, "activate"),
        ("/api/v1/suggestions", {"profile": {}, "k": "3"}, "k"),
        ("/api/v1/sessions", {"name": "S", "date": "2026-05-14T00:00", "tables": 1}, "date"),
    ],
)
def test_json_booleans_numbers_and_dates_are_strict(client, tokens, url, body, field):
    """``0`` is not ``false``, ``"3"`` not ``3``, a date-time not a date: what the document
    calls a boolean, an integer or a date is refused otherwise, naming the field."""
    response = client.post(url, json=body, headers=bearer(tokens.admin))
    assert response.status_code == 422, response.get_data(as_text=True)
    assert field in {e["field"] for e in response.json["errors"]}


def test_text_with_control_characters_is_refused_and_exports_without_them(client, tokens):
    """The JSON API refuses control characters in a profile's text (PostgreSQL stores no NUL, a
    worksheet none of them); one stored from an import is left out of the XLSX export."""
    headers = bearer(tokens.admin)
    profile = {
        "member_id": "bell-atelier",
        "name": "Bell\x07 atelier",
        "network": "kharkiv-fashion-cluster",
        "country": "UA",
        "org_type": "manufacturer",
        "offers": ["sewing"],
    }
    refused = client.post("/api/v1/members", json=profile, headers=headers)
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "name"
    upload = (
        "id,name,network,country,org_type,offers\n"
        "bell-atelier,Bell\x07 atelier,kharkiv-fashion-cluster,UA,manufacturer,sewing\n"
    )
    imported = client.post(
        "/api/v1/import/members",
        data={"file": (io.BytesIO(upload.encode("utf-8")), "members.csv")},
        content_type="multipart/form-data",
        headers=headers,
    )
    assert imported.status_code == 200, imported.get_data(as_text=True)
    exported = client.get("/api/v1/export/members?format=xlsx", headers=headers)
    assert exported.status_code == 200, exported.get_data(as_text=True)
    rows = pd.read_excel(io.BytesIO(exported.data), dtype=str)
    assert rows.loc[rows["id"] == "bell-atelier", "name"].tolist() == ["Bell atelier"]
