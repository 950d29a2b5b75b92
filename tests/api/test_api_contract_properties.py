"""The file-format contract through the service: any valid data set is imported, trained on and
served (property-based; the shapes and their files come from ``tests/contract_files.py``).

For each drawn data set, on an empty database: ``POST /import/members`` and ``/import/links``
take the files whole; importing them again changes nothing; ``GET /export/members`` gives back
every id with its network and country; ``POST /models/retrain`` trains a version that becomes
ready; ``GET /members/<id>/suggestions`` answers for any member with scores in 0..1 that do not
rise with rank, reasons on every row, never the member itself, a known partner or a partner it
declined, and honours a country filter. The same runs on PostgreSQL when the tests have one.
"""

from __future__ import annotations

import csv
import io
import itertools
import tempfile
import time
from pathlib import Path

import pytest
from contract_files import DataSet, build, shapes
from hypothesis import given
from hypothesis import strategies as st
from service_fixtures import POSTGRES_URL, REQUIRE_POSTGRES, bearer, postgres_url

from api import create_app
from api.auth import create_user
from api.db import get_db, get_engine, upgrade

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


class Service:
    """An app on an empty database (SQLite in `folder`, or the tests' PostgreSQL), with an
    admin's token and a test client."""

    def __init__(self, folder: Path, backend: str):
        url = f"sqlite:///{folder / 'service.sqlite'}" if backend == "sqlite" else postgres_url()
        self.app = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": url,
                "MODELS_DIR": str(folder / "models"),
                "MODEL_CHECK_SECONDS": 0,
                "MODEL_KIND": "default",
                "RATELIMIT_STORAGE_URI": "memory://",
                "SUGGESTION_RATE_LIMIT": "100000/minute",
            }
        )
        with self.app.app_context():
            upgrade(get_engine())
            session = get_db()
            self.token = create_user(session, "admin", "admin")[1]
            session.commit()
        self.client = self.app.test_client()

    def close(self) -> None:
        for thread in self.app.extensions.get("matcher_threads", []):
            thread.join(timeout=120)
        state = self.app.extensions.get("matcher_db", {})
        if "engine" in state:
            state["engine"].dispose()

    def upload(self, kind: str, path: Path):
        with path.open("rb") as handle:
            return self.client.post(
                f"/api/v1/import/{kind}",
                headers=bearer(self.token),
                data={"file": (handle, path.name)},
                content_type="multipart/form-data",
            )

    def get(self, url: str):
        return self.client.get(url, headers=bearer(self.token))

    def retrain(self, timeout: float = 300.0) -> dict:
        started = self.client.post("/api/v1/models/retrain", json={}, headers=bearer(self.token))
        assert started.status_code == 202, started.json
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            version = self.get(f"/api/v1/models/{started.json['version_id']}").json
            if version["status"] != "training":
                return version
            time.sleep(0.05)
        raise AssertionError(f"still training after {timeout} s")


def _check_suggestions(data: DataSet, member_id: str, payload: dict, *, country=None) -> None:
    where = f"{member_id!r} of {data.summary()}"
    assert payload["member"] == member_id, where
    rows = payload["suggestions"]
    scores = [row["score"] for row in rows]
    assert all(0.0 <= s <= 1.0 for s in scores), (scores, where)
    assert all(a >= b for a, b in itertools.pairwise(scores)), (scores, where)
    ids = [row["partner_id"] for row in rows]
    assert len(set(ids)) == len(ids), (ids, where)
    assert not set(ids) & data.never_suggested(member_id), (ids, where)
    assert set(ids) <= set(data.ids), (ids, where)
    assert all(row["reasons"] and all(row["reasons"]) for row in rows), where
    for row in rows:
        profile = data.by_id[row["partner_id"]]
        assert row["network"] == profile["network"] and row["country"] == profile["country"]
    if country is not None:
        assert {row["country"] for row in rows} <= {country}, where


def _exported_ids(service: Service) -> dict[str, tuple[str, str]]:
    exported = service.get("/api/v1/export/members?format=csv")
    assert exported.status_code == 200
    reader = csv.DictReader(io.StringIO(exported.data.decode("utf-8-sig")))
    # The export escapes cells a spreadsheet would run as formulas ("-1" -> "'-1").
    return {(r["id"].removeprefix("'")): (r["network"], r["country"]) for r in reader}


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
@given(shape=shapes(min_profiles=2, max_profiles=60), data=st.data())
def test_any_valid_data_set_is_imported_trained_and_served(backend, shape, data):
    if backend == "postgres" and not POSTGRES_URL and not REQUIRE_POSTGRES:
        pytest.skip("no PostgreSQL: set MATCHER_TEST_DATABASE_URL")
    dataset = build(shape)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        service = Service(folder, backend)
        try:
            profiles = dataset.write(folder)
            links = dataset.write_links(folder)
            imported = service.upload("members", profiles)
            assert imported.status_code == 200, (imported.json, dataset.summary())
            assert imported.json == {"created": len(dataset.ids), "updated": 0, "unchanged": 0}
            if links is not None:
                linked = service.upload("links", links)
                assert linked.status_code == 200, (linked.json, dataset.summary())
            # The same files again: nothing changes, nothing is duplicated.
            again = service.upload("members", profiles)
            assert again.json == {"created": 0, "updated": 0, "unchanged": len(dataset.ids)}
            expected = {p["id"]: (p["network"], p["country"]) for p in dataset.profiles}
            assert _exported_ids(service) == expected, dataset.summary()

            version = service.retrain()
            assert version["status"] == "ready", (version, dataset.summary())
            assert version["manifest"]["profiles"] == len(dataset.ids)
            assert service.get("/ready").json["model"] == version["version_id"]

            members = data.draw(
                st.lists(st.sampled_from(dataset.ids), min_size=1, max_size=3, unique=True),
                label="members",
            )
            for member_id in members:
                answer = service.get(f"/api/v1/members/{member_id}/suggestions?k=10")
                assert answer.status_code == 200, (answer.json, dataset.summary())
                _check_suggestions(dataset, member_id, answer.json)
            country = data.draw(st.sampled_from(sorted(set(expected.values()))), label="filter")[1]
            filtered = service.get(
                f"/api/v1/members/{members[0]}/suggestions?k=10&country={country}"
            )
            assert filtered.status_code == 200, filtered.json
            _check_suggestions(dataset, members[0], filtered.json, country=country)
        finally:
            service.close()


def test_retrain_on_an_empty_database_is_refused_at_once(tmp_path):
    """A model needs two live members: refused with 409 rather than a failed version later."""
    service = Service(tmp_path, "sqlite")
    try:
        refused = service.client.post(
            "/api/v1/models/retrain", json={}, headers=bearer(service.token)
        )
        assert refused.status_code == 409 and "import members first" in refused.json["detail"]
        assert service.get("/api/v1/models").json["items"] == []
    finally:
        service.close()
