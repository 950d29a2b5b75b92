"""Import and export of members and links: all or nothing, idempotent, formula-safe."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from service_fixtures import HOME, bearer, cluster_raw


def _upload(client, token, kind, content: bytes, filename: str):
    return client.post(
        f"/api/v1/import/{kind}",
        headers=bearer(token),
        data={"file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8")


def _xlsx(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False, engine="openpyxl")
    return buffer.getvalue()


def _json(frame: pd.DataFrame) -> bytes:
    return json.dumps(frame.to_dict(orient="records"), ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize("writer,suffix", [(_csv, "csv"), (_xlsx, "xlsx"), (_json, "json")])
def test_import_is_idempotent(client, tokens, writer, suffix):
    # The whole cluster (two networks): an admin's import.
    frame = cluster_raw()
    frame.loc[0, "city"] = "Kyiv"
    extra = frame.iloc[[1]].copy()
    extra["id"], extra["name"] = "extra-factory", "Extra"
    content = writer(pd.concat([frame, extra], ignore_index=True))
    first = _upload(client, tokens.admin, "members", content, f"members.{suffix}")
    assert first.status_code == 200, first.json
    assert first.json == {"created": 1, "updated": 1, "unchanged": 10}
    again = _upload(client, tokens.admin, "members", content, f"members.{suffix}")
    assert again.json == {"created": 0, "updated": 0, "unchanged": 12}
    assert (
        client.get("/api/v1/members/designer", headers=bearer(tokens.manager)).json["city"]
        == "Kyiv"
    )


def test_a_bad_file_changes_nothing_and_lists_every_bad_row(client, tokens):
    frame = cluster_raw()
    frame.loc[0, "city"] = "Kyiv"  # a good change in row 2 ...
    frame.loc[3, "org_type"] = "wizard"  # ... and bad rows 5, 8 and 9
    frame.loc[6, "offers"] = "telepathy"
    frame.loc[7, "contact_email"] = "not-an-address"
    response = _upload(client, tokens.manager, "members", _csv(frame), "members.csv")
    assert response.status_code == 422 and response.content_type == "application/problem+json"
    problems = {(e["row"], e["field"]) for e in response.json["errors"]}
    assert problems == {(5, "org_type"), (8, "offers"), (9, "contact_email")}
    assert (
        client.get("/api/v1/members/designer", headers=bearer(tokens.manager)).json["city"]
        == "Kharkiv"
    )


def test_import_fails_halfway_through_the_writes_and_rolls_back(app, client, tokens, monkeypatch):
    import api.services.transfer

    real = api.services.transfer.write_members

    def failing(session, created, changed):
        # The new members are inserted, then the updates fail.
        real(session, created, [])
        raise RuntimeError("disk full")

    monkeypatch.setattr(api.services.transfer, "write_members", failing)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    frame = cluster_raw()
    frame["city"] = "Odesa"
    extra = frame.iloc[[1]].copy()
    extra["id"], extra["name"] = "extra-factory", "Extra"
    content = _csv(pd.concat([frame, extra], ignore_index=True))
    response = _upload(client, tokens.admin, "members", content, "members.csv")
    assert response.status_code == 500
    cities = {
        m["city"] for m in client.get("/api/v1/members", headers=bearer(tokens.admin)).json["items"]
    }
    assert "Odesa" not in cities
    missing = client.get("/api/v1/members/extra-factory", headers=bearer(tokens.admin))
    assert missing.status_code == 404


def test_import_roles_and_formats(client, tokens):
    content = _csv(cluster_raw())
    assert _upload(client, tokens.designer, "members", content, "m.csv").status_code == 403
    bad = _upload(client, tokens.manager, "members", content, "m.txt")
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "format"
    broken = _upload(client, tokens.manager, "members", b"\x00\x01garbage", "m.xlsx")
    assert broken.status_code == 422
    broken = _upload(client, tokens.manager, "members", b"[{", "m.json")
    assert broken.status_code == 422
    missing = client.post(
        "/api/v1/import/members",
        headers=bearer(tokens.manager),
        data={},
        content_type="multipart/form-data",
    )
    assert missing.status_code == 422 and missing.json["errors"][0]["field"] == "file"


def test_links_import(client, tokens):
    rows = pd.DataFrame(
        [
            {
                "source": "designer",
                "target": "knit-factory",
                "kind": "partner",
                "date": "2025-01-02",
            },
            {"source": "designer", "target": "ghost", "kind": "partner", "date": ""},
            {"source": "designer", "target": "yarn-supplier", "kind": "hug", "date": ""},
        ]
    )
    bad = _upload(client, tokens.manager, "links", _csv(rows), "links.csv")
    assert bad.status_code == 422
    assert {(e["row"], e["field"]) for e in bad.json["errors"]} == {(3, "target"), (4, "kind")}
    good = _upload(client, tokens.manager, "links", _csv(rows.iloc[[0]]), "links.csv")
    assert good.json == {"created": 1, "updated": 0, "unchanged": 0}
    assert _upload(client, tokens.manager, "links", _csv(rows.iloc[[0]]), "links.csv").json == {
        "created": 0,
        "updated": 0,
        "unchanged": 1,
    }
    exported = client.get("/api/v1/export/links?format=json", headers=bearer(tokens.manager)).json
    assert {
        "source": "designer",
        "target": "knit-factory",
        "kind": "partner",
        "date": "2025-01-02",
    } in exported["links"]


def test_export_escapes_formulas_and_hides_foreign_contacts(client, tokens):
    read = client.get("/api/v1/members/designer", headers=bearer(tokens.manager))
    patched = client.patch(
        "/api/v1/members/designer",
        headers={**bearer(tokens.manager), "If-Match": read.headers["ETag"]},
        json={"description": '=HYPERLINK("http://evil")', "contact": {"phone": "+380 57 000"}},
    )
    assert patched.status_code == 200, patched.json
    csv = client.get("/api/v1/export/members?format=csv", headers=bearer(tokens.manager))
    assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")
    frame = pd.read_csv(io.BytesIO(csv.data), dtype=str, keep_default_na=False).set_index("id")
    assert frame.loc["designer", "description"].startswith("'=")
    assert frame.loc["designer", "contact_phone"] == "'+380 57 000"
    assert frame.loc["fabric-mill", "contact_email"] == ""  # another network's contact
    xlsx = client.get("/api/v1/export/members?format=xlsx", headers=bearer(tokens.manager))
    sheet = pd.read_excel(io.BytesIO(xlsx.data), dtype=str).set_index("id")
    assert sheet.loc["designer", "description"].startswith("'=")
    data = client.get("/api/v1/export/members?format=json", headers=bearer(tokens.admin)).json
    designer = next(p for p in data["profiles"] if p["id"] == "designer")
    assert designer["description"].startswith("=") and designer["offers"] == [
        "fashion_design",
        "marketing_branding",
    ]
    assert client.get("/api/v1/export/members", headers=bearer(tokens.designer)).status_code == 403


def test_export_then_import_round_trip(client, tokens):
    for fmt in ("csv", "xlsx", "json"):
        data = client.get(f"/api/v1/export/members?format={fmt}", headers=bearer(tokens.admin)).data
        response = _upload(client, tokens.admin, "members", data, f"members.{fmt}")
        assert response.status_code == 200, (fmt, response.json)
        assert response.json == {"created": 0, "updated": 0, "unchanged": 11}, fmt


POLISH = "polish-fashion-cluster"


def _member(client, token, member_id):
    return client.get(f"/api/v1/members/{member_id}", headers=bearer(token))


def test_a_manager_cannot_take_over_move_or_revive_another_networks_members(client, tokens):
    """Issue 12, finding 1: a Polish manager's file took the home member `designer` over (name,
    network, contacts), moved another one and revived a withdrawn one. Now the whole file is
    refused with 403 naming every such row, and nothing changes."""
    admin = bearer(tokens.admin)
    assert client.delete("/api/v1/members/photo", headers=admin).status_code in (200, 204)
    frame = cluster_raw().set_index("id")
    takeover = frame.loc[["designer", "knit-factory", "photo", "fabric-mill"]].reset_index()
    takeover["network"] = POLISH  # designer, knit-factory and photo are home members
    takeover.loc[0, "name"] = "Taken over"
    takeover.loc[0, "contact_email"] = "thief@example.org"
    refused = _upload(client, tokens.polish_manager, "members", _csv(takeover), "takeover.csv")
    assert refused.status_code == 403, refused.json
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert {(e["row"], e["field"]) for e in refused.json["errors"]} == {
        (2, "id"),
        (3, "id"),
        (4, "id"),
    }
    designer = _member(client, tokens.admin, "designer").json
    assert designer["name"] != "Taken over" and designer["network"] == HOME
    assert _member(client, tokens.admin, "photo").status_code == 404  # still withdrawn
    # A row naming another network is refused too (creating members for it).
    stranger = frame.loc[["fabric-mill"]].reset_index()
    stranger["id"], stranger["network"] = "new-home-firm", HOME
    refused = _upload(client, tokens.polish_manager, "members", _csv(stranger), "new.csv")
    assert refused.status_code == 403 and refused.json["errors"][0]["field"] == "network"
    assert _member(client, tokens.admin, "new-home-firm").status_code == 404
    # Its own members: allowed.
    own = frame.loc[["fabric-mill"]].reset_index()
    own.loc[0, "city"] = "Gdynia"
    allowed = _upload(client, tokens.polish_manager, "members", _csv(own), "own.csv")
    assert allowed.status_code == 200 and allowed.json["updated"] == 1


def test_a_manager_imports_links_only_where_one_side_is_its_own_member(client, tokens):
    rows = pd.DataFrame(
        [
            {"source": "fabric-mill", "target": "designer", "kind": "supplier", "date": ""},
            {"source": "designer", "target": "sewing-factory", "kind": "partner", "date": ""},
        ]
    )
    refused = _upload(client, tokens.polish_manager, "links", _csv(rows), "links.csv")
    assert refused.status_code == 403
    assert [(e["row"], e["value"]) for e in refused.json["errors"]] == [
        (3, "designer -> sewing-factory")
    ]
    allowed = _upload(client, tokens.polish_manager, "links", _csv(rows.iloc[[0]]), "links.csv")
    assert allowed.status_code == 200 and allowed.json["created"] == 1
    # The home manager may record both; an admin anything.
    assert _upload(client, tokens.manager, "links", _csv(rows), "links.csv").status_code == 200


def test_a_manager_exports_the_links_of_its_own_members(client, tokens):
    """Issue 12, finding 6: any manager exported every network's links."""

    def exported(token):
        answer = client.get("/api/v1/export/links?format=json", headers=bearer(token))
        assert answer.status_code == 200
        return {(r["source"], r["target"]) for r in json.loads(answer.data)["links"]}

    both = ("sewing-factory", "fabric-mill")  # a home member's supplier in Poland
    polish_only = ("pl-distributor", "pl-knit-factory")
    home_only = ("designer", "photo")
    assert exported(tokens.admin) == {both, polish_only, home_only}
    assert exported(tokens.manager) == {both, home_only}
    assert exported(tokens.polish_manager) == {both, polish_only}
