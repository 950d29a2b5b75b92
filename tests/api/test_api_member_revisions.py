"""Optimistic concurrency of member edits: revision, ETag, If-Match and ``?revision=``.

Two edits of one member based on the same revision: the first is saved, the second is refused
with the current version (nothing lost, nothing overwritten), and a retry based on that version
keeps both. The compare-and-set is the database's, so the races below run real requests in
threads against SQLite and PostgreSQL, not one process's memory.
"""

# The fixtures are imported by name (see tests/api/service_fixtures.py), as in the test_api_*
# files that pyproject.toml exempts from F811.

from __future__ import annotations

import io
import threading

import pandas as pd
from service_fixtures import HOME, bearer, cluster_raw
from sqlalchemy import select

from api.db import get_db
from api.tables import Member

MEMBER = "/api/v1/members/designer"

NEW = {
    "name": "Ательє",
    "network": HOME,
    "country": "UA",
    "org_type": "designer_brand",
    "offers": ["fashion_design"],
    "seeks": ["sewing"],
}

#: The fields that concurrent editors change, one each, and the value each one writes.
EDITS = {
    "city": "Lviv",
    "description": "Knitwear and prints",
    "employees": 42,
    "capacity_units_month": 900,
    "min_order_qty": 30,
    "name": "Дизайн-студія",
}


def _read(client, token) -> tuple[dict, str]:
    answer = client.get(MEMBER, headers=bearer(token))
    assert answer.status_code == 200, answer.json
    return answer.json, answer.headers["ETag"]


def _stored_revision(app, member_id: str) -> int:
    """The revision in the database (a withdrawn member is no longer served)."""
    with app.app_context():
        return get_db().scalar(select(Member.revision).where(Member.member_id == member_id))


def test_get_names_the_revision_as_etag_and_in_the_json(client, tokens):
    member, tag = _read(client, tokens.designer)
    assert member["revision"] == 1 and tag == '"1"'
    listed = client.get("/api/v1/members?per_page=100", headers=bearer(tokens.designer)).json
    assert all(item["revision"] == 1 for item in listed["items"])
    created = client.post(
        "/api/v1/members",
        headers=bearer(tokens.manager),
        json={**NEW, "member_id": "new-atelier", "name": "Ательє"},
    )
    assert created.status_code == 201
    assert created.json["revision"] == 1 and created.headers["ETag"] == '"1"'


def test_a_stale_if_match_is_refused_with_the_current_version(app, tokens):
    first, second = app.test_client(), app.test_client()
    _, tag_a = _read(first, tokens.designer)
    _, tag_b = _read(second, tokens.manager)
    assert tag_a == tag_b == '"1"'

    saved = first.patch(
        MEMBER, json={"city": "Lviv"}, headers={**bearer(tokens.designer), "If-Match": tag_a}
    )
    assert saved.status_code == 200, saved.json
    assert saved.headers["ETag"] == '"2"' and saved.json["revision"] == 2

    stale = second.patch(
        MEMBER,
        json={"description": "Prints"},
        headers={**bearer(tokens.manager), "If-Match": tag_b},
    )
    assert stale.status_code == 412
    assert stale.mimetype == "application/problem+json"
    assert stale.json["revision"] == 2 and stale.headers["ETag"] == '"2"'
    assert "revision 2" in stale.json["detail"]
    assert stale.json["errors"][0]["field"] == "If-Match"
    # The current member comes with the refusal: the caller merges without another GET.
    assert stale.json["member"]["city"] == "Lviv"
    assert stale.json["member"]["contact"]["email"] == "designer@example.org"

    kept, tag = _read(second, tokens.manager)
    assert kept["city"] == "Lviv" and kept["description"] != "Prints" and tag == '"2"'

    retried = second.patch(
        MEMBER, json={"description": "Prints"}, headers={**bearer(tokens.manager), "If-Match": tag}
    )
    assert retried.status_code == 200 and retried.headers["ETag"] == '"3"'
    final, _ = _read(first, tokens.designer)
    assert final["city"] == "Lviv" and final["description"] == "Prints"
    assert final["revision"] == 3


def test_the_sessions_revision_parameter_gives_409_with_the_current_version(client, tokens):
    headers = bearer(tokens.manager)
    assert (
        client.patch(f"{MEMBER}?revision=1", json={"city": "Lviv"}, headers=headers).json[
            "revision"
        ]
        == 2
    )
    stale = client.patch(f"{MEMBER}?revision=1", json={"city": "Odesa"}, headers=headers)
    assert stale.status_code == 409 and stale.mimetype == "application/problem+json"
    assert stale.json["revision"] == 2 and stale.json["member"]["city"] == "Lviv"
    assert stale.json["errors"][0] == {
        "field": "revision",
        "value": 1,
        "message": "the member is at revision 2",
    }
    assert client.get(MEMBER, headers=headers).json["city"] == "Lviv"


def test_if_match_forms_and_a_change_without_precondition(client, tokens):
    headers = bearer(tokens.manager)
    # As for the sessions, the precondition is optional: without it the change applies to the
    # member as it is, and still counts a revision.
    plain = client.patch(MEMBER, json={"city": "Lviv"}, headers=headers)
    assert plain.status_code == 200 and plain.headers["ETag"] == '"2"'
    # A list of tags matches when one of them is current; `*` matches any live version.
    listed = client.patch(
        MEMBER, json={"city": "Odesa"}, headers={**headers, "If-Match": '"7", "2"'}
    )
    assert listed.status_code == 200 and listed.json["revision"] == 3
    star = client.patch(MEMBER, json={"city": "Kyiv"}, headers={**headers, "If-Match": "*"})
    assert star.status_code == 200 and star.json["revision"] == 4
    # If-Match compares strongly: a weak tag never matches.
    weak = client.patch(MEMBER, json={"city": "Lviv"}, headers={**headers, "If-Match": 'W/"4"'})
    assert weak.status_code == 412 and weak.json["revision"] == 4
    # Both given: both must match.
    both = client.patch(
        f"{MEMBER}?revision=3", json={"city": "Lviv"}, headers={**headers, "If-Match": '"4"'}
    )
    assert both.status_code == 409
    # A change that changes nothing counts no revision.
    same = client.patch(MEMBER, json={"city": "Kyiv"}, headers={**headers, "If-Match": '"4"'})
    assert same.status_code == 200 and same.headers["ETag"] == '"4"' and same.json == star.json


def test_access_is_checked_before_the_revision(client, tokens):
    # Who may not change a member learns nothing about its revision or contacts.
    refused = client.patch(
        "/api/v1/members/knit-factory",
        json={"city": "Lviv"},
        headers={**bearer(tokens.designer), "If-Match": '"9"'},
    )
    assert refused.status_code == 403 and "member" not in refused.json
    missing = client.patch(
        "/api/v1/members/nobody",
        json={"city": "Lviv"},
        headers={**bearer(tokens.admin), "If-Match": '"1"'},
    )
    assert missing.status_code == 404


def _race(app, token: str, work) -> list:
    """Run `work(client, field, value)` for every edit at once (one thread and client each)."""
    barrier = threading.Barrier(len(EDITS))
    results: dict[str, object] = {}

    def run(field, value):
        client = app.test_client()
        try:
            results[field] = work(client, barrier, field, value)
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            results[field] = error
            barrier.abort()

    threads = [threading.Thread(target=run, args=item) for item in EDITS.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    for result in results.values():
        if isinstance(result, BaseException):
            raise result
    return results


def test_concurrent_edits_based_on_one_revision_save_exactly_one(app, tokens):
    token = tokens.admin
    _, start = _read(app.test_client(), token)

    def edit(client, barrier, field, value):
        barrier.wait()
        answer = client.patch(
            MEMBER, json={field: value}, headers={**bearer(token), "If-Match": start}
        )
        return answer.status_code, answer.get_json(), answer.headers.get("ETag")

    results = _race(app, token, edit)
    statuses = sorted(status for status, _, _ in results.values())
    assert statuses == [200] + [412] * (len(EDITS) - 1), statuses
    (winner,) = [field for field, (status, _, _) in results.items() if status == 200]
    assert results[winner][2] == '"2"'
    for status, body, tag in results.values():
        if status == 412:
            # Every loser is told the current revision and sees the winner's change.
            assert body["revision"] == 2 and tag == '"2"'
            assert body["member"][winner] == EDITS[winner]
    final, tag = _read(app.test_client(), token)
    assert tag == '"2"' and final[winner] == EDITS[winner]
    assert all(final[field] != value for field, value in EDITS.items() if field != winner)


def test_concurrent_editors_that_retry_on_412_lose_no_update(app, tokens):
    token = tokens.admin

    def edit(client, barrier, field, value):
        _, tag = _read(client, token)
        barrier.wait()
        for refusals in range(4 * len(EDITS)):
            answer = client.patch(
                MEMBER, json={field: value}, headers={**bearer(token), "If-Match": tag}
            )
            if answer.status_code == 200:
                return refusals
            assert answer.status_code == 412, answer.get_json()
            tag = answer.headers["ETag"]
        raise AssertionError(f"{field}: never saved")

    results = _race(app, token, edit)
    final, tag = _read(app.test_client(), token)
    # Every saved change is there, and every save counted exactly one revision.
    assert {field: final[field] for field in EDITS} == EDITS
    assert final["revision"] == 1 + len(EDITS) and tag == f'"{1 + len(EDITS)}"'
    # All read revision 1 before any wrote: all but one were refused at least once.
    assert sum(results.values()) >= len(EDITS) - 1


def test_concurrent_edits_without_precondition_keep_every_field(app, tokens):
    # The lost update the probe found: two editors of different fields, no If-Match. Each
    # change is read, merged and saved by compare-and-set, read again when it lost.
    token = tokens.admin

    def edit(client, barrier, field, value):
        barrier.wait()
        answer = client.patch(MEMBER, json={field: value}, headers=bearer(token))
        return answer.status_code

    results = _race(app, token, edit)
    assert set(results.values()) == {200}
    final = app.test_client().get(MEMBER, headers=bearer(token)).json
    assert {field: final[field] for field in EDITS} == EDITS
    assert final["revision"] == 1 + len(EDITS)


def _upload(client, token, frame: pd.DataFrame):
    return client.post(
        "/api/v1/import/members",
        headers=bearer(token),
        data={"file": (io.BytesIO(frame.to_csv(index=False).encode("utf-8")), "members.csv")},
        content_type="multipart/form-data",
    )


def test_an_import_that_changes_a_member_counts_a_revision(client, tokens):
    _, before = _read(client, tokens.admin)
    frame = cluster_raw()
    frame.loc[frame["id"] == "designer", "city"] = "Lviv"
    assert _upload(client, tokens.admin, frame).json["updated"] == 1
    member, tag = _read(client, tokens.admin)
    assert member["city"] == "Lviv" and before == '"1"' and tag == '"2"'
    # Another member of the file, unchanged, keeps its revision; so does a second import.
    assert (
        client.get("/api/v1/members/knit-factory", headers=bearer(tokens.admin)).json["revision"]
        == 1
    )
    assert _upload(client, tokens.admin, frame).json["updated"] == 0
    assert _read(client, tokens.admin)[1] == '"2"'
    # A change based on the revision before the import is refused.
    stale = client.patch(
        MEMBER, json={"city": "Odesa"}, headers={**bearer(tokens.admin), "If-Match": before}
    )
    assert stale.status_code == 412 and stale.json["member"]["city"] == "Lviv"


def test_withdrawal_and_revival_count_revisions(app, client, tokens):
    headers = bearer(tokens.manager)
    assert client.patch(MEMBER, json={"city": "Lviv"}, headers=headers).json["revision"] == 2
    # A withdrawal based on a stale revision is refused; the member stays.
    stale = client.delete(MEMBER, headers={**headers, "If-Match": '"1"'})
    assert stale.status_code == 412 and stale.json["revision"] == 2
    assert client.get(MEMBER, headers=headers).status_code == 200
    assert client.delete(MEMBER, headers={**headers, "If-Match": '"2"'}).status_code == 204
    assert client.get(MEMBER, headers=headers).status_code == 404
    assert _stored_revision(app, "designer") == 3
    # Created again: revived, one more revision; an ETag read before the withdrawal is stale.
    revived = client.post(
        "/api/v1/members",
        headers=headers,
        json={**NEW, "member_id": "designer", "name": "Дизайн"},
    )
    assert revived.status_code == 201 and revived.headers["ETag"] == '"4"'
    assert (
        client.patch(
            MEMBER, json={"city": "Kyiv"}, headers={**headers, "If-Match": '"2"'}
        ).status_code
        == 412
    )


def test_the_document_names_if_match_the_etag_and_the_refusals(client):
    document = client.get("/api/v1/openapi.json").json
    item = document["paths"]["/api/v1/members/{member_id}"]
    for method in ("patch", "delete"):
        parameters = {(p["name"], p["in"]) for p in item[method]["parameters"]}
        assert {("If-Match", "header"), ("revision", "query")} <= parameters
        refusal = item[method]["responses"]["412"]
        schema = refusal["content"]["application/problem+json"]["schema"]
        assert {"revision", "member"} <= set(schema["properties"])
        assert "409" in item[method]["responses"]
    assert "ETag" in item["get"]["responses"]["200"]["headers"]
    assert "ETag" in item["patch"]["responses"]["200"]["headers"]
    assert "revision" in document["components"]["schemas"]["MemberOut"]["required"]
