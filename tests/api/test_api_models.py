"""Model versions: list, retrain in the background while serving, failures, activation, and
every worker picking up the active version."""

from __future__ import annotations

import threading
import time

import pytest
from service_fixtures import app, bearer, client, tokens  # noqa: F401 - fixtures

from api import create_app


def _wait(client, token, version_id, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        version = client.get(f"/api/v1/models/{version_id}", headers=bearer(token)).json
        if version["status"] != "training":
            return version
        time.sleep(0.05)
    raise AssertionError(f"version {version_id} still training after {timeout} s")


def test_roles_on_models(client, tokens):
    assert client.get("/api/v1/models", headers=bearer(tokens.designer)).status_code == 403
    assert (
        client.post("/api/v1/models/retrain", json={}, headers=bearer(tokens.designer)).status_code
        == 403
    )
    listed = client.get("/api/v1/models", headers=bearer(tokens.manager)).json
    assert listed["serving"] == 1 and listed["items"][0]["manifest"]["profiles"] == 11
    assert client.get("/api/v1/models/99", headers=bearer(tokens.manager)).status_code == 404


def test_retrain_while_serving_then_swap(app, client, tokens, monkeypatch):
    import api.serving

    release = threading.Event()
    real_fit = api.serving.PartnerMatcher.fit

    def slow_fit(self, *args, **kwargs):
        assert release.wait(30)
        return real_fit(self, *args, **kwargs)

    monkeypatch.setattr(api.serving.PartnerMatcher, "fit", slow_fit)
    # New data the old model does not know: a declined link is learnt by the next version.
    started = client.post("/api/v1/models/retrain", json={}, headers=bearer(tokens.manager))
    assert started.status_code == 202 and started.json["status"] == "training"
    version_id = started.json["version_id"]
    assert (
        client.post("/api/v1/models/retrain", json={}, headers=bearer(tokens.manager)).status_code
        == 409
    )
    url = "/api/v1/members/designer/suggestions?k=3"
    for _ in range(5):  # the old model keeps serving during training
        assert client.get(url, headers=bearer(tokens.designer)).status_code == 200
    assert client.get("/ready").json["model"] == 1
    release.set()
    codes = []
    deadline = time.monotonic() + 60
    while (
        client.get(f"/api/v1/models/{version_id}", headers=bearer(tokens.manager)).json["status"]
        == "training"
    ):
        codes.append(client.get(url, headers=bearer(tokens.designer)).status_code)
        assert time.monotonic() < deadline
    assert set(codes) <= {200}
    version = _wait(client, tokens.manager, version_id)
    assert (
        version["status"] == "ready" and version["active"] and version["manifest"]["profiles"] == 11
    )
    assert client.get("/ready").json["model"] == version_id
    assert (
        client.get("/api/v1/models", headers=bearer(tokens.manager)).json["serving"] == version_id
    )


def test_failed_retrain_keeps_the_old_model(app, client, tokens, monkeypatch):
    import api.serving

    def broken_fit(self, *args, **kwargs):
        raise ValueError("the data is inconsistent")

    monkeypatch.setattr(api.serving.PartnerMatcher, "fit", broken_fit)
    started = client.post("/api/v1/models/retrain", json={}, headers=bearer(tokens.manager)).json
    version = _wait(client, tokens.manager, started["version_id"])
    assert version["status"] == "failed" and "inconsistent" in version["error"]
    assert not version["active"]
    assert client.get("/ready").json["model"] == 1
    assert (
        client.get(
            "/api/v1/members/designer/suggestions", headers=bearer(tokens.designer)
        ).status_code
        == 200
    )
    failed = client.post(
        f"/api/v1/models/{started['version_id']}/activate", headers=bearer(tokens.manager)
    )
    assert failed.status_code == 409


def test_every_worker_picks_up_the_active_version(app, client, tokens):
    other_worker = create_app(
        {
            key: app.config[key]
            for key in (
                "TESTING",
                "DATABASE_URL",
                "MODELS_DIR",
                "MODEL_CHECK_SECONDS",
                "MODEL_KIND",
                "RATELIMIT_STORAGE_URI",
            )
        }
    )
    other = other_worker.test_client()
    assert other.get("/ready").json["model"] == 1
    started = client.post(
        "/api/v1/models/retrain", json={"activate": False}, headers=bearer(tokens.manager)
    ).json
    version = _wait(client, tokens.manager, started["version_id"])
    assert version["status"] == "ready" and not version["active"]
    assert other.get("/ready").json["model"] == 1
    activated = other.post(
        f"/api/v1/models/{version['version_id']}/activate", headers=bearer(tokens.admin)
    )
    assert activated.status_code == 200 and activated.json["active"]
    assert client.get("/ready").json["model"] == version["version_id"]
    assert other.get("/ready").json["model"] == version["version_id"]
    assert (
        client.post("/api/v1/models/1/activate", headers=bearer(tokens.manager)).status_code == 200
    )
    assert other.get("/ready").json["model"] == 1
    other_worker.extensions["matcher_db"]["engine"].dispose()


def test_feedback_is_learnt_by_the_next_version(app, client, tokens):
    from api.db import get_db
    from api.serving import holder

    client.post(
        "/api/v1/members/designer/feedback",
        headers=bearer(tokens.designer),
        json={"partner_id": "pl-knit-factory", "event": "deal"},
    )
    started = client.post("/api/v1/models/retrain", json={}, headers=bearer(tokens.manager)).json
    version = _wait(client, tokens.manager, started["version_id"])
    assert version["manifest"]["links"] == 4
    with app.app_context():
        matcher = holder().get(get_db()).matcher
        assert "pl-knit-factory" in matcher.known_partners("designer")


@pytest.mark.parametrize("check_seconds", [60.0])
def test_version_check_is_cached(tmp_path, check_seconds):
    from service_fixtures import _dispose, make_app

    app = make_app(
        tmp_path, f"sqlite:///{tmp_path / 'cached.sqlite'}", MODEL_CHECK_SECONDS=check_seconds
    )
    try:
        client, tokens = app.test_client(), app.config["TOKENS"]
        assert client.get("/ready").json["model"] == 1
        started = client.post(
            "/api/v1/models/retrain", json={}, headers=bearer(tokens.manager)
        ).json
        _wait(client, tokens.manager, started["version_id"])
        # Within the check interval the worker still serves what it knew.
        assert client.get("/ready").json["model"] == 1
    finally:
        _dispose(app)
