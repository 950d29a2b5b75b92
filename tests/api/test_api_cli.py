"""The service's commands: matcher db ..., matcher users ..., matcher serve."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from matcher.cli import main


@pytest.fixture
def service_env(tmp_path, monkeypatch):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}",
        "MATCHER_MODELS_DIR": str(tmp_path / "models"),
        "MATCHER_RATELIMIT_STORAGE_URI": "memory://",
        "MATCHER_MODEL_KIND": '"default"',
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def _run(*args: str):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result


def test_matcher_never_imports_the_service():
    code = "import sys, matcher.cli; assert 'api' not in sys.modules and 'flask' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
    assert {"serve", "db", "users"} <= set(main.list_commands(None))


def test_db_users_import_export_train(service_env, cluster_files, tmp_path):
    profiles, links = cluster_files
    result = _run("db", "upgrade")
    assert result.exit_code == 0 and "up to date" in result.output
    assert _run("db", "upgrade").exit_code == 0  # idempotent
    result = _run("db", "import", "--members", str(profiles), "--links", str(links))
    assert result.exit_code == 0, result.output
    assert "'created': 11" in result.output and "'created': 3" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text(
        profiles.read_text(encoding="utf-8").replace("manufacturer", "wizard", 1), encoding="utf-8"
    )
    result = _run("db", "import", "--members", str(bad))
    assert result.exit_code == 2 and "wizard" in result.output
    result = _run("users", "create", "--name", "olena", "--role", "manager")
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("kfc_") and " " not in token
    result = _run(
        "users", "create", "--name", "designer", "--role", "member", "--member", "designer"
    )
    member_token = result.output.strip().splitlines()[-1]
    assert (
        _run("users", "create", "--name", "x", "--role", "member", "--member", "ghost").exit_code
        == 2
    )
    assert _run("users", "create", "--name", "olena", "--role", "admin").exit_code == 2
    result = _run("db", "train")
    assert result.exit_code == 0 and "ready and active" in result.output, result.output

    from api import create_app

    app = create_app({"TESTING": True})
    client = app.test_client()
    response = client.get(
        "/api/v1/members/designer/suggestions", headers={"Authorization": f"Bearer {member_token}"}
    )
    assert response.status_code == 200 and response.json["suggestions"]
    assert (
        client.get("/api/v1/models", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )
    # Only the hash is stored.
    from api.db import get_db
    from api.tables import ApiToken

    with app.app_context():
        stored = [t.token_hash for t in get_db().query(ApiToken)]
        assert token not in stored and all(len(h) == 64 for h in stored)
    result = _run("users", "revoke", "--name", "olena")
    assert result.exit_code == 0 and "revoked 1 token" in result.output
    assert (
        client.get("/api/v1/models", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )
    assert _run("users", "revoke", "--name", "nobody").exit_code == 2

    out = tmp_path / "export.json"
    assert (
        _run("db", "export", "--members", str(out), "--links", str(tmp_path / "l.csv")).exit_code
        == 0
    )
    assert len(json.loads(out.read_text(encoding="utf-8"))["profiles"]) == 11
    app.extensions["matcher_db"]["engine"].dispose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_serve_runs_gunicorn(service_env, tmp_path):
    port = _free_port()
    env = {**os.environ, **service_env, "OMP_NUM_THREADS": "1"}
    script = Path(sys.executable).with_name("matcher")
    process = subprocess.Popen(
        [str(script), "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/health", timeout=10
                ) as response:
                    assert json.loads(response.read()) == {"status": "ok"}
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=30)
        assert info.value.code == 503
        assert info.value.headers["Content-Type"] == "application/problem+json"
        info.value.close()
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0].decode()
    assert "serving on http://127.0.0.1" in output
