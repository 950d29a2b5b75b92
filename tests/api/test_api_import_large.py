"""A large import through the API (issue 18): written in bulk, still all rows or none.

The import writes its rows with one statement per kind of change (insert, update) instead of a
statement per row; these tests check on the real databases that a few thousand rows keep the
promises of a small file: one bad row near the end writes nothing and is named (row, field,
value, what is allowed), a good file creates every row and its new networks, and importing it
again with one row changed counts one update and one revision.
"""

from __future__ import annotations

import pytest
from service_fixtures import bearer
from sqlalchemy import select

from api.db import get_db
from api.tables import Network
from matcher.datasets.generator import generate_profiles

N_ROWS = 3_000


@pytest.fixture(scope="module")
def rows():
    frame = generate_profiles(N_ROWS, seed=18)
    frame["contact_email"] = frame["id"] + "@example.org"
    return frame


def _upload(client, token: str, frame) -> object:
    # The body is encoded here: the test client spools a multipart body over 500 kB to a
    # temporary file that it never closes (a ResourceWarning, an error under -W error).
    boundary = "matcher-large-import"
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="members.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + frame.to_csv(index=False).encode("utf-8")
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.post(
        "/api/v1/import/members",
        headers=bearer(token),
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def _total(client, token: str) -> int:
    return client.get("/api/v1/members?per_page=1", headers=bearer(token)).json["total"]


def test_one_bad_row_of_thousands_writes_nothing_and_is_named(client, tokens, rows):
    before = _total(client, tokens.admin)
    bad = rows.copy()
    last = N_ROWS - 1
    bad.loc[last, "org_type"] = "wizard"
    response = _upload(client, tokens.admin, bad)
    assert response.status_code == 422, response.json
    (error,) = response.json["errors"]
    # The header is row 1: the last data row is row N_ROWS + 1.
    assert error["row"] == N_ROWS + 1 and error["field"] == "org_type"
    assert error["value"] == "wizard" and "allowed" in error["message"]
    assert _total(client, tokens.admin) == before
    missing = client.get(f"/api/v1/members/{rows.loc[0, 'id']}", headers=bearer(tokens.admin))
    assert missing.status_code == 404


def test_thousands_of_rows_are_created_then_one_change_is_one_revision(app, client, tokens, rows):
    before = _total(client, tokens.admin)
    first = _upload(client, tokens.admin, rows)
    assert first.status_code == 200, first.json
    assert first.json == {"created": N_ROWS, "updated": 0, "unchanged": 0}
    assert _total(client, tokens.admin) == before + N_ROWS
    member_id = rows.loc[N_ROWS // 2, "id"]
    stored = client.get(f"/api/v1/members/{member_id}", headers=bearer(tokens.admin)).json
    assert stored["revision"] == 1 and stored["contact"]["email"] == f"{member_id}@example.org"
    with app.app_context():
        stored_networks = set(get_db().scalars(select(Network.network_id)))
    assert set(rows["network"]) <= stored_networks

    changed = rows.copy()
    changed.loc[N_ROWS // 2, "city"] = "Uzhhorod"
    again = _upload(client, tokens.admin, changed)
    assert again.json == {"created": 0, "updated": 1, "unchanged": N_ROWS - 1}
    stored = client.get(f"/api/v1/members/{member_id}", headers=bearer(tokens.admin)).json
    assert stored["city"] == "Uzhhorod" and stored["revision"] == 2
    untouched = client.get(f"/api/v1/members/{rows.loc[0, 'id']}", headers=bearer(tokens.admin))
    assert untouched.json["revision"] == 1
