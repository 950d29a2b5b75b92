"""The service's commands: matcher db ..., matcher users ..., matcher serve."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from matcher.cli import main


@pytest.fixture
def run_dir():
    """A runtime folder with a short path: a Unix socket's path has at most 107 bytes, and
    pytest's temporary folders (under a parallel worker's folder) come close to it."""
    folder = Path(tempfile.mkdtemp(prefix="run-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def service_env(tmp_path, run_dir, monkeypatch):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}",
        "MATCHER_MODELS_DIR": str(tmp_path / "models"),
        "MATCHER_RATELIMIT_STORAGE_URI": "memory://",
        "MATCHER_MODEL_KIND": '"default"',
        # gunicorn's control socket (see test_each_server_has_its_own_control_socket).
        "MATCHER_RUNTIME_DIR": str(run_dir),
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
    # The only admin is kept: revoking it would leave nobody to administer the service.
    assert _run("users", "create", "--name", "root", "--role", "admin").exit_code == 0
    last = _run("users", "revoke", "--name", "root")
    assert last.exit_code == 2 and "last active admin" in last.output

    out = tmp_path / "export.json"
    assert (
        _run("db", "export", "--members", str(out), "--links", str(tmp_path / "l.csv")).exit_code
        == 0
    )
    assert len(json.loads(out.read_text(encoding="utf-8"))["profiles"]) == 11
    app.extensions["matcher_db"]["engine"].dispose()


def test_import_refusals_exit_2_naming_the_problem(service_env, cluster_files, monkeypatch):
    """A file the import refuses, whatever check refused it (any InputError, not only a
    ProfileValidationError): exit 2 with the message; it was a traceback (exit 1) before."""
    from matcher.errors import InputError

    profiles, _ = cluster_files
    assert _run("db", "upgrade").exit_code == 0

    def refuse(*args, **kwargs):
        raise InputError("row 2, column 'network': 'x' is not a network of this service")

    monkeypatch.setattr("api.services.transfer.import_members", refuse)
    result = CliRunner().invoke(main, ["db", "import", "--members", str(profiles)])
    assert result.exit_code == 2, result.output
    assert "'x' is not a network of this service" in result.stderr
    assert "Traceback" not in result.stderr


def test_user_refusals_are_input_errors(service_env):
    """The user checks raise InputError: the command exits 2 naming the problem, the API answers
    409 for a name taken and 422 for the rest."""
    from api import create_app
    from api.auth import UserNameTakenError, create_user
    from api.db import get_db
    from matcher.errors import InputError

    assert _run("db", "upgrade").exit_code == 0
    app = create_app({"TESTING": True})
    with app.app_context():
        session = get_db()
        with pytest.raises(InputError, match="needs --member"):
            create_user(session, "m", "member")
        with pytest.raises(InputError, match="Got role='owner'"):
            create_user(session, "o", "owner")
        create_user(session, "olena", "admin")
        with pytest.raises(UserNameTakenError, match="a user named 'olena' already exists"):
            create_user(session, "olena", "manager")
        session.rollback()
    result = CliRunner().invoke(main, ["users", "create", "--name", "m", "--role", "member"])
    assert result.exit_code == 2 and "needs --member" in result.output
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


# ---------------------------------------------------------------------------------------------
# One gunicorn control socket per server (regression: every `matcher serve` of a user shared
# ~/.gunicorn/gunicorn.ctl, so a second server replaced the first one's and stopping either
# removed the other's)
# ---------------------------------------------------------------------------------------------


def _option(arguments: list[str], name: str) -> str | None:
    return arguments[arguments.index(name) + 1] if name in arguments else None


def test_each_server_has_its_own_control_socket(run_dir, monkeypatch):
    from gunicorn.config import KNOWN_SETTINGS

    from api import cli as service_cli

    if not any(setting.name == "control_socket" for setting in KNOWN_SETTINGS):
        pytest.skip("this gunicorn has no control socket")
    default = next(s.default for s in KNOWN_SETTINGS if s.name == "control_socket")
    run = run_dir
    first = service_cli.gunicorn_arguments("127.0.0.1", 8001, 2, 1, 120, True, run)
    second = service_cli.gunicorn_arguments("127.0.0.1", 8002, 2, 1, 120, True, run)
    other_host = service_cli.gunicorn_arguments("0.0.0.0", 8001, 2, 1, 120, True, run)
    sockets = [_option(a, "--control-socket") for a in (first, second, other_host)]
    assert all(sockets) and len(set(sockets)) == 3 and default not in sockets
    assert all(Path(s).parent == run.absolute() for s in sockets)
    assert _option(first, "--bind") == "127.0.0.1:8001" and first[-1] == "api:create_app()"
    # A folder too deep for a Unix socket's path: no control socket rather than a shared one.
    deep = service_cli.gunicorn_arguments("127.0.0.1", 8001, 2, 1, 120, True, "/x" * 60)
    assert "--no-control-socket" in deep and "--control-socket" not in deep
    # A gunicorn without a control socket gets neither option.
    monkeypatch.setattr(service_cli, "_gunicorn_has_control_socket", lambda: False)
    old = service_cli.gunicorn_arguments("127.0.0.1", 8001, 2, 1, 120, True, run)
    assert not {"--control-socket", "--no-control-socket"} & set(old)


def test_serve_passes_its_control_socket_to_gunicorn(service_env, monkeypatch):
    run = Path(service_env["MATCHER_RUNTIME_DIR"])
    executed = []

    def execv(path, argv):
        executed.append(argv)
        raise SystemExit(0)

    monkeypatch.setattr(os, "execv", execv)
    result = _run("serve", "--port", "8123", "--workers", "1")
    assert result.exit_code == 0, result.output
    [argv] = executed
    assert argv[1:3] == ["-m", "gunicorn"] and _option(argv, "--bind") == "127.0.0.1:8123"
    socket_path = _option(argv, "--control-socket")
    from gunicorn.config import KNOWN_SETTINGS

    if any(setting.name == "control_socket" for setting in KNOWN_SETTINGS):
        assert socket_path == str(run / "gunicorn-127.0.0.1-8123.ctl")
        assert stat.S_IMODE(run.stat().st_mode) == 0o700
        assert f"gunicorn control socket: {socket_path}" in result.output


def _wait_healthy(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 90
    while True:
        assert process.poll() is None, process.communicate()[0].decode()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as answer:
                assert json.loads(answer.read()) == {"status": "ok"}
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)


def _answers(socket_path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(5)
        try:
            client.connect(str(socket_path))
        except OSError:
            return False
    return True


@pytest.mark.slow
def test_two_servers_stop_apart(service_env, tmp_path):
    pytest.importorskip("gunicorn")
    from gunicorn.config import KNOWN_SETTINGS

    if not any(setting.name == "control_socket" for setting in KNOWN_SETTINGS):
        pytest.skip("this gunicorn has no control socket")
    run = Path(service_env["MATCHER_RUNTIME_DIR"])
    env = {**os.environ, **service_env, "OMP_NUM_THREADS": "1"}
    script = Path(sys.executable).with_name("matcher")
    ports = [_free_port()]
    while len(ports) < 2:
        ports = list(dict.fromkeys([*ports, _free_port()]))
    sockets = [run / f"gunicorn-127.0.0.1-{port}.ctl" for port in ports]
    processes: list[subprocess.Popen] = []
    try:
        # One after the other: both would create the new database's schema at once.
        for port in ports:
            processes.append(
                subprocess.Popen(
                    [
                        str(script),
                        "serve",
                        "--port",
                        str(port),
                        "--workers",
                        "1",
                        "--no-access-log",
                    ],
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                )
            )
            _wait_healthy(port, processes[-1])
        deadline = time.monotonic() + 30
        while not all(_answers(path) for path in sockets):
            assert time.monotonic() < deadline, "the control sockets did not open"
            time.sleep(0.2)
        # Stopping the first leaves the second serving, with its control socket.
        processes[0].send_signal(signal.SIGTERM)
        processes[0].communicate(timeout=60)
        assert processes[0].returncode == 0
        assert not sockets[0].exists()
        assert _answers(sockets[1])
        _wait_healthy(ports[1], processes[1])
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.communicate(timeout=60)
    assert processes[1].returncode == 0 and not sockets[1].exists()
