"""A worker that cannot load the active model version keeps serving one that loads.

Regression: after a restart with a damaged active artifact every request and ``/ready`` were
503, although an older version's artifact was intact. Now a worker keeps the version it has in
memory, or after a fresh start loads the most recent other ``ready`` version that loads, and
``/ready`` says ``degraded``; only when no version loads is it 503. A broken artifact is not
read again on every request: only when the active version changes, or after
``MODEL_RETRY_SECONDS``.
"""

# The fixtures are imported by name (see tests/api/service_fixtures.py), as in test_api_*.py.

from __future__ import annotations

import logging
from pathlib import Path

from service_fixtures import another_worker, bearer

from api.db import get_db
from api.services.serving import activate_version, train_new_version
from api.tables import ModelVersion

SUGGESTIONS = "/api/v1/members/designer/suggestions?k=3"


def _train(app, activate: bool = True) -> tuple[int, Path]:
    """Train a new version now; return its id and its artifact file."""
    version = train_new_version(app, activate)
    assert version.status == "ready", version.error
    return version.version_id, Path(app.config["MODELS_DIR"]) / version.name / "model.joblib"


def _damage(artifact: Path) -> bytes:
    """Truncate the artifact on disk; return its bytes to repair it with."""
    intact = artifact.read_bytes()
    artifact.write_bytes(intact[:-100])
    return intact


def _activate(app, version_id: int) -> None:
    """Activate a version in the database, as another worker or a manager would."""
    with app.app_context():
        session = get_db()
        activate_version(session, version_id)
        session.commit()


def _fresh_worker(app, **settings):
    """Another worker of the same service, started now (nothing in memory)."""
    worker = another_worker(app, **settings)
    return worker, worker.test_client()


def dispose_app(worker) -> None:
    worker.extensions["matcher_db"]["engine"].dispose()


def _load_failures(caplog, version_id: int) -> int:
    return sum(
        f"version {version_id} (" in record.getMessage()
        and "could not be loaded" in record.getMessage()
        for record in caplog.records
        if record.name == "api.services.serving"
    )


def test_a_fresh_worker_serves_the_newest_version_that_loads(app, tokens):
    """Versions 2 and 3 (active) are damaged: a worker started now serves version 1."""
    _, second_artifact = _train(app)
    third, third_artifact = _train(app)
    _damage(second_artifact)
    _damage(third_artifact)
    worker, client = _fresh_worker(app)
    try:
        ready = client.get("/ready")
        assert ready.status_code == 200, ready.json
        assert ready.json["status"] == "degraded"
        assert ready.json["model"] == 1 and ready.json["active_model"] == third
        assert f"instead of the active version {third}" in ready.json["detail"]
        assert "does not match its manifest" in ready.json["detail"]
        suggestions = client.get(SUGGESTIONS, headers=bearer(tokens.designer))
        assert suggestions.status_code == 200 and suggestions.json["suggestions"]
        listed = client.get("/api/v1/models", headers=bearer(tokens.manager)).json
        assert listed["serving"] == 1
    finally:
        dispose_app(worker)
    # The newest intact version is preferred to older ones.
    fourth, _ = _train(app, activate=False)
    worker, client = _fresh_worker(app)
    try:
        ready = client.get("/ready").json
        assert ready["status"] == "degraded" and ready["model"] == fourth, ready
        assert ready["active_model"] == third
    finally:
        dispose_app(worker)


def test_a_worker_keeps_the_version_it_has_when_the_new_one_does_not_load(app, client, tokens):
    assert client.get("/ready").json == {
        "status": "ready",
        "database": True,
        "model": 1,
        "active_model": 1,
        "detail": "",
    }
    new, artifact = _train(app)
    _damage(artifact)
    ready = client.get("/ready")
    assert ready.status_code == 200
    assert ready.json["status"] == "degraded"
    assert ready.json["model"] == 1 and ready.json["active_model"] == new
    assert client.get(SUGGESTIONS, headers=bearer(tokens.designer)).status_code == 200


def test_a_broken_artifact_is_retried_on_a_change_of_active_version_only(app, client, caplog):
    """Within the retry interval a damaged artifact is read once, whatever the requests; once
    repaired, it is served after it is activated again."""
    caplog.set_level(logging.INFO, logger="api.services.serving")
    new, artifact = _train(app)
    intact = _damage(artifact)
    for _ in range(5):
        assert client.get("/ready").json["status"] == "degraded"
    assert _load_failures(caplog, new) == 1
    artifact.write_bytes(intact)  # repaired; the worker does not look before it must
    assert client.get("/ready").json["status"] == "degraded"
    _activate(app, 1)
    assert client.get("/ready").json == {
        "status": "ready",
        "database": True,
        "model": 1,
        "active_model": 1,
        "detail": "",
    }
    _activate(app, new)
    ready = client.get("/ready").json
    assert ready["status"] == "ready" and ready["model"] == new, ready
    assert _load_failures(caplog, new) == 1


def test_a_broken_artifact_is_retried_after_the_interval(app, caplog):
    """With ``MODEL_RETRY_SECONDS`` = 0 every request may try again: a repaired artifact
    serves without any change of the active version."""
    caplog.set_level(logging.INFO, logger="api.services.serving")
    new, artifact = _train(app)
    intact = _damage(artifact)
    worker, client = _fresh_worker(app, MODEL_RETRY_SECONDS=0)
    try:
        assert client.get("/ready").json["model"] == 1
        assert client.get("/ready").json["status"] == "degraded"
        assert _load_failures(caplog, new) == 2
        artifact.write_bytes(intact)
        ready = client.get("/ready").json
        assert ready["status"] == "ready" and ready["model"] == new, ready
    finally:
        dispose_app(worker)


def test_no_version_loads_503_without_reading_again(app, tokens, caplog):
    caplog.set_level(logging.INFO, logger="api.services.serving")
    new, artifact = _train(app)
    _damage(artifact)
    _damage(artifact.parent.parent / _name(app, 1) / "model.joblib")
    worker, client = _fresh_worker(app)
    try:
        for _ in range(3):
            ready = client.get("/ready")
            assert ready.status_code == 503
            assert ready.content_type == "application/problem+json"
            assert f"version {new} (" in ready.json["detail"]
            assert "no other ready version loads either (tried 1: 1)" in ready.json["detail"]
        suggestions = client.get(SUGGESTIONS, headers=bearer(tokens.designer))
        assert suggestions.status_code == 503
        assert suggestions.content_type == "application/problem+json"
        assert _load_failures(caplog, new) == 1 and _load_failures(caplog, 1) == 1
    finally:
        dispose_app(worker)


def _name(app, version_id: int) -> str:
    with app.app_context():
        return get_db().get(ModelVersion, version_id).name
