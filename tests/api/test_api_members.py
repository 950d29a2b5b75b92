"""Members: CRUD, pagination and filters, roles, public profile vs private contacts."""

from __future__ import annotations

import pytest
from service_fixtures import HOME, bearer

NEW = {
    "member_id": "new-atelier",
    "name": "Ательє Нове",
    "network": HOME,
    "country": "UA",
    "org_type": "designer_brand",
    "offers": ["fashion_design"],
    "seeks": ["sewing"],
    "contact": {"person": "Iryna", "email": "iryna@example.org"},
}


def read_as(client, token: str, member_id: str) -> dict[str, str]:
    """The headers of a change based on the member as `token` reads it: bearer and If-Match."""
    answer = client.get(f"/api/v1/members/{member_id}", headers=bearer(token))
    return {**bearer(token), "If-Match": answer.headers["ETag"]}


def test_list_paginates_and_filters(client, tokens):
    headers = bearer(tokens.designer)
    page = client.get("/api/v1/members?per_page=4&page=2", headers=headers).json
    assert page["total"] == 11 and page["page"] == 2 and len(page["items"]) == 4
    ids = [m["member_id"] for m in page["items"]]
    assert ids == sorted(ids)
    polish = client.get("/api/v1/members?network=polish-fashion-cluster", headers=headers).json
    assert {m["member_id"] for m in polish["items"]} == {
        "fabric-mill",
        "pl-distributor",
        "pl-knit-factory",
    }
    assert client.get("/api/v1/members?country=PL", headers=headers).json["total"] == 3
    # The JSON API takes the codes and ids the document lists, exactly (the pages and the
    # command line resolve names, synonyms and typos); a network nobody belongs to has no one.
    lower = client.get("/api/v1/members?country=pl", headers=headers)
    assert lower.status_code == 422 and "did you mean 'PL'?" in lower.json["errors"][0]["message"]
    nobody = client.get("/api/v1/members?network=no-such-network", headers=headers)
    assert nobody.status_code == 200 and nobody.json["items"] == [] and nobody.json["total"] == 0
    makers = client.get("/api/v1/members?org_type=manufacturer", headers=headers).json
    assert makers["total"] == 4
    knit = client.get("/api/v1/members?capability=knitwear_production", headers=headers).json
    assert {m["member_id"] for m in knit["items"]} == {"knit-factory", "pl-knit-factory"}


def test_contacts_only_for_self_managers_and_mutual_matches(client, tokens):
    own = client.get("/api/v1/members/designer", headers=bearer(tokens.designer)).json
    assert own["contact"]["email"] == "designer@example.org"
    other = client.get("/api/v1/members/knit-factory", headers=bearer(tokens.designer)).json
    assert other["contact"] is None and other["name"] == "Харківтрикотаж"
    # International profiles are public to members, without contacts.
    abroad = client.get("/api/v1/members/fabric-mill", headers=bearer(tokens.designer)).json
    assert abroad["contact"] is None and abroad["network"] == "polish-fashion-cluster"
    assert client.get("/api/v1/members/knit-factory", headers=bearer(tokens.manager)).json[
        "contact"
    ]["email"]
    # The Polish cluster's manager does not see the Kharkiv members' contacts.
    assert (
        client.get("/api/v1/members/knit-factory", headers=bearer(tokens.polish_manager)).json[
            "contact"
        ]
        is None
    )
    accepted = client.post(
        "/api/v1/members/designer/feedback",
        headers=bearer(tokens.designer),
        json={"partner_id": "knit-factory", "event": "accepted"},
    )
    assert accepted.status_code == 201
    # One side's acceptance opens nothing (issue 12, finding 2: any member could read any
    # other's contacts by claiming to have accepted it).
    for token, member_id in ((tokens.designer, "knit-factory"), (tokens.knit, "designer")):
        shown = client.get(f"/api/v1/members/{member_id}", headers=bearer(token)).json
        assert shown["contact"] is None
    answered = client.post(
        "/api/v1/members/knit-factory/feedback",
        headers=bearer(tokens.knit),
        json={"partner_id": "designer", "event": "accepted"},
    )
    assert answered.status_code == 201
    for token, member_id in ((tokens.designer, "knit-factory"), (tokens.knit, "designer")):
        shown = client.get(f"/api/v1/members/{member_id}", headers=bearer(token)).json
        assert shown["contact"]["email"] == f"{member_id}@example.org"
    listed = client.get(
        "/api/v1/members?capability=knitwear_production", headers=bearer(tokens.designer)
    ).json["items"]
    assert {m["member_id"]: m["contact"] is not None for m in listed} == {
        "knit-factory": True,
        "pl-knit-factory": False,
    }
    # Declining afterwards closes the contacts again, both ways.
    client.post(
        "/api/v1/members/knit-factory/feedback",
        headers=bearer(tokens.knit),
        json={"partner_id": "designer", "event": "declined"},
    )
    for token, member_id in ((tokens.designer, "knit-factory"), (tokens.knit, "designer")):
        assert (
            client.get(f"/api/v1/members/{member_id}", headers=bearer(token)).json["contact"]
            is None
        )


def test_create_update_and_roles(client, tokens):
    assert (
        client.post("/api/v1/members", json=NEW, headers=bearer(tokens.designer)).status_code == 403
    )
    assert (
        client.post("/api/v1/members", json=NEW, headers=bearer(tokens.polish_manager)).status_code
        == 403
    )
    created = client.post("/api/v1/members", json=NEW, headers=bearer(tokens.manager))
    assert created.status_code == 201
    assert (
        created.json["member_id"] == "new-atelier" and created.json["contact"]["person"] == "Iryna"
    )
    assert created.json["market_presence"] == "local" and created.json["market_presence_derived"]
    assert (
        client.post("/api/v1/members", json=NEW, headers=bearer(tokens.manager)).status_code == 409
    )
    # A member may update its own profile, not another's.
    changed = client.patch(
        "/api/v1/members/designer",
        json={"city": "Kyiv", "contact": {"phone": "+380"}},
        headers=read_as(client, tokens.designer, "designer"),
    )
    assert changed.status_code == 200 and changed.json["city"] == "Kyiv"
    assert changed.json["contact"] == {
        "person": "Olena",
        "email": "designer@example.org",
        "phone": "+380",
    }
    assert changed.json["offers"] == ["fashion_design", "marketing_branding"]
    assert (
        client.patch(
            "/api/v1/members/knit-factory",
            json={"city": "Kyiv"},
            headers=read_as(client, tokens.designer, "knit-factory"),
        ).status_code
        == 403
    )
    moved = client.patch(
        "/api/v1/members/designer",
        json={"network": "polish-fashion-cluster"},
        headers=read_as(client, tokens.designer, "designer"),
    )
    assert moved.status_code == 403
    bad = client.patch(
        "/api/v1/members/designer",
        json={"country": "Atlantis"},
        headers=read_as(client, tokens.designer, "designer"),
    )
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "country"
    unknown = client.patch(
        "/api/v1/members/designer",
        json={"colour": "red"},
        headers=read_as(client, tokens.designer, "designer"),
    )
    assert unknown.status_code == 422 and unknown.json["errors"][0]["field"] == "colour"


def test_create_takes_a_profile_record_of_the_file_format(client, tokens):
    """A row of a profile file (``id``, not ``member_id``) is a member's body as it is."""
    record = {**{k: v for k, v in NEW.items() if k != "member_id"}, "id": "file-atelier"}
    created = client.post("/api/v1/members", json=record, headers=bearer(tokens.manager))
    assert created.status_code == 201, created.json
    assert created.json["member_id"] == "file-atelier"
    assert (
        client.get("/api/v1/members/file-atelier", headers=bearer(tokens.manager)).json["name"]
        == NEW["name"]
    )
    both = {**record, "id": "other-atelier", "member_id": "third-atelier"}
    refused = client.post("/api/v1/members", json=both, headers=bearer(tokens.manager))
    assert refused.status_code == 422 and refused.content_type == "application/problem+json"
    assert {e["field"] for e in refused.json["errors"]} == {"member_id", "id"}
    assert "member_id" in refused.json["detail"] and "id" in refused.json["detail"]
    assert (
        client.get("/api/v1/members/other-atelier", headers=bearer(tokens.manager)).status_code
        == 404
    )


@pytest.mark.parametrize("erase", [False, True])
def test_delete_removes_from_suggestions_at_once(client, tokens, erase):
    before = client.get(
        "/api/v1/members/designer/suggestions?k=10", headers=bearer(tokens.designer)
    ).json
    assert "knit-factory" in [s["partner_id"] for s in before["suggestions"]]
    assert (
        client.delete("/api/v1/members/knit-factory", headers=bearer(tokens.designer)).status_code
        == 403
    )
    url = "/api/v1/members/knit-factory" + ("?erase=true" if erase else "")
    assert client.delete(url, headers=bearer(tokens.knit)).status_code == 204
    after = client.get(
        "/api/v1/members/designer/suggestions?k=10", headers=bearer(tokens.designer)
    ).json
    assert "knit-factory" not in [s["partner_id"] for s in after["suggestions"]]
    assert (
        len(after["suggestions"]) == len(before["suggestions"]) - 1
        or len(after["suggestions"]) == 10
    )
    assert (
        client.get("/api/v1/members/knit-factory", headers=bearer(tokens.admin)).status_code == 404
    )
    assert client.get("/api/v1/members", headers=bearer(tokens.admin)).json["total"] == 10
    exported = client.get("/api/v1/export/links?format=json", headers=bearer(tokens.admin)).json
    assert all("knit-factory" not in (x["source"], x["target"]) for x in exported["links"])


def test_erase_removes_the_data(app, client, tokens):
    from api.db import get_db
    from api.tables import Member

    client.post(
        "/api/v1/members/knit-factory/feedback",
        headers=bearer(tokens.knit),
        json={"partner_id": "designer", "event": "meeting"},
    )
    assert (
        client.delete(
            "/api/v1/members/knit-factory?erase=true", headers=bearer(tokens.manager)
        ).status_code
        == 204
    )
    with app.app_context():
        assert get_db().get(Member, "knit-factory") is None
    # The member's own user can no longer act at all.
    assert client.get("/api/v1/members/designer", headers=bearer(tokens.knit)).status_code == 403


def test_a_withdrawn_member_can_still_be_erased(app, client, tokens):
    from api.db import get_db
    from api.tables import Member

    url = "/api/v1/members/knit-factory"
    assert client.delete(url, headers=bearer(tokens.manager)).status_code == 204
    # Withdrawn: gone from reads, but its data are still held until erased.
    assert client.get(url, headers=bearer(tokens.admin)).status_code == 404
    refused = client.delete(f"{url}?erase=true", headers=bearer(tokens.polish_manager))
    assert refused.status_code == 403
    assert client.delete(f"{url}?erase=true", headers=bearer(tokens.manager)).status_code == 204
    with app.app_context():
        assert get_db().get(Member, "knit-factory") is None
    assert client.delete(f"{url}?erase=true", headers=bearer(tokens.manager)).status_code == 404


def test_erase_replaces_every_trained_model_that_held_the_profile(app, client, tokens):
    """GDPR erasure: the artifacts made before hold the erased profile, so they are retrained
    and purged; a withdrawal (no erase) keeps them."""
    from pathlib import Path

    from matcher.engine.artifacts import load_model

    def versions():
        return client.get("/api/v1/models", headers=bearer(tokens.admin)).json

    def wait_for_training():
        for thread in app.extensions.get("matcher_threads", []):
            thread.join(timeout=60)

    before = versions()
    old = [v for v in _items(before) if v["status"] == "ready"]
    assert old, before
    withdrawn = client.delete(
        "/api/v1/members/pl-distributor", headers=bearer(tokens.polish_manager)
    )
    assert withdrawn.status_code == 204
    wait_for_training()
    assert [v["status"] for v in _items(versions())] == [v["status"] for v in _items(before)]

    assert (
        client.delete(
            "/api/v1/members/knit-factory?erase=true", headers=bearer(tokens.manager)
        ).status_code
        == 204
    )
    wait_for_training()
    after = {v["version_id"]: v for v in _items(versions())}
    for version in old:
        assert after[version["version_id"]]["status"] == "purged"
        assert not (Path(app.config["MODELS_DIR"]) / version["name"]).exists()
    new = [v for v in after.values() if v["status"] == "ready"]
    assert len(new) == 1 and new[0]["active"]
    matcher, _ = load_model(new[0]["name"], app.config["MODELS_DIR"])
    assert "knit-factory" not in set(matcher.frame_["member_id"])
    purged = old[0]["version_id"]
    assert (
        client.post(f"/api/v1/models/{purged}/activate", headers=bearer(tokens.admin)).status_code
        == 409
    )


def _items(payload):
    return payload["items"]


@pytest.mark.parametrize("erase", [False, True])
def test_a_withdrawn_members_tokens_no_longer_act(client, tokens, erase):
    """Issue 12, finding 3: after DELETE /members/{id}, the member's token still read sessions,
    changed wishes and got suggestions. Withdrawn or erased, it gets 403 everywhere."""
    knit = bearer(tokens.knit)
    assert client.get("/api/v1/members/knit-factory/suggestions", headers=knit).status_code == 200
    url = "/api/v1/members/knit-factory" + ("?erase=true" if erase else "")
    assert client.delete(url, headers=bearer(tokens.manager)).status_code in (200, 202, 204)
    for method, path, body in (
        ("get", "/api/v1/members/knit-factory/suggestions", None),
        ("get", "/api/v1/members/designer", None),
        ("get", "/api/v1/members", None),
        ("get", "/api/v1/sessions", None),
        (
            "post",
            "/api/v1/members/knit-factory/feedback",
            {"partner_id": "designer", "event": "accepted"},
        ),
    ):
        answer = getattr(client, method)(path, headers=knit, json=body)
        assert answer.status_code == 403, (method, path, answer.status_code)
        assert "withdrawn" in answer.json["detail"]
    # The other members are not affected.
    assert (
        client.get(
            "/api/v1/members/designer/suggestions", headers=bearer(tokens.designer)
        ).status_code
        == 200
    )
