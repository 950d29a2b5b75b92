"""gunicorn's own answers are problem+json too, and a request past its time limit gets one.

Regression: the errors gunicorn answers before the app sees a request (a request line or headers
too long, a request that is not HTTP, a worker timeout) were HTML. The service's worker classes
(``api.gunicorn_workers``, chosen by ``matcher serve``) answer them as problem+json, and stop a
request a little before gunicorn's timeout with a 503 problem.

Real servers on free ports: ``matcher serve`` for the parse errors; for the time limit, gunicorn
with the arguments ``matcher serve`` gives it (:func:`api.cli.gunicorn_arguments`, a 3 s
timeout) and a tiny WSGI app whose requests never end.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from api import create_app
from api.cli import gunicorn_arguments
from api.gunicorn_workers import request_deadline, worker_class

pytestmark = pytest.mark.slow

PROBLEM = "application/problem+json"
STARTUP_SECONDS = 90

#: Requests gunicorn refuses before the app sees them, and the status each gets.
BAD_REQUESTS = [
    pytest.param(b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, id="long-line"),
    pytest.param(
        b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431, id="header"
    ),
    pytest.param(
        b"GET /health HTTP/1.1\r\n" + b"".join(b"X-H%d: 1\r\n" % i for i in range(120)) + b"\r\n",
        431,
        id="many-headers",
    ),
    pytest.param(b"GARBAGE\r\n\r\n", 400, id="not-http"),
    pytest.param(b"GET /health HTTP/9.9\r\nHost: x\r\n\r\n", 400, id="http-version"),
    pytest.param(b"GET /health HTTP/1.1\r\nHost: x\r\nExpect: fancy\r\n\r\n", 417, id="expect"),
    pytest.param(
        b"POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: bogus\r\n\r\n", 501, id="coding"
    ),
    pytest.param(
        b"POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
        400,
        id="coding-order",
    ),
]

#: Requests of the app of the time-limit tests: /slow never ends (Python code, stoppable),
#: /stubborn swallows even the deadline's exception (only gunicorn's abort ends it), any other
#: path answers its worker's pid.
SLOW_APP = """
import os
import time


def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/slow":
        while True:
            time.sleep(0.05)
    if path == "/stubborn":
        try:
            while True:
                time.sleep(0.05)
        except BaseException:
            while True:
                time.sleep(0.05)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(os.getpid()).encode()]
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _exchange(port: int, data: bytes, timeout: float = 60) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes, read the whole answer (the server closes); status, headers, body."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(data)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0].startswith("HTTP/1.1 "), answer[:200]
    headers = {}
    for line in lines[1:]:
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, body


def _assert_problem(answer: tuple[int, dict[str, str], bytes], status: int) -> dict:
    code, headers, body = answer
    assert code == status, (code, headers, body)
    assert headers["content-type"] == PROBLEM, headers
    assert int(headers["content-length"]) == len(body)
    problem = json.loads(body)
    assert problem["status"] == status and problem["type"] == "about:blank"
    assert problem["title"] and problem["detail"], problem
    return problem


def _get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    return _exchange(port, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())


def _wait_until_answering(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            _get(port, "/health")
            return
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer:\n{log.read_text()[-4000:]}")
            time.sleep(0.2)


def _start(command: list[str], env: dict[str, str], log: Path, port: int) -> subprocess.Popen:
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            env={**os.environ, **env, "OMP_NUM_THREADS": "1"},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _wait_until_answering(port, process, log)
    return process


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module", params=[1, 2], ids=["sync", "threads"])
def service(request, tmp_path_factory):
    """``matcher serve`` (one worker, with `threads`) on an empty SQLite database: no model."""
    folder = tmp_path_factory.mktemp("served")
    env = {
        "DATABASE_URL": f"sqlite:///{folder / 'matcher.sqlite'}",
        "MATCHER_MODELS_DIR": str(folder / "models"),
        "MATCHER_RATELIMIT_STORAGE_URI": "memory://",
        "MATCHER_RUNTIME_DIR": str(folder / "run"),
    }
    port = _free_port()
    command = [
        str(Path(sys.executable).with_name("matcher")),
        "serve",
        "--port",
        str(port),
        "--workers",
        "1",
        "--threads",
        str(request.param),
    ]
    process = _start(command, env, folder / "serve.log", port)
    try:
        yield port, folder / "serve.log"
    finally:
        _stop(process)


@pytest.mark.parametrize("data, status", BAD_REQUESTS)
def test_gunicorn_refusals_are_problems(service, data, status):
    port, _ = service
    _assert_problem(_exchange(port, data), status)


def test_the_app_answers_after_refusals_and_its_errors_are_problems(service):
    port, log = service
    _assert_problem(_exchange(port, BAD_REQUESTS[0].values[0]), 414)
    assert _get(port, "/health")[0] == 200
    _assert_problem(_get(port, "/no/such/page"), 404)
    assert "no model" in _assert_problem(_get(port, "/ready"), 503)["detail"]
    assert "<html" not in log.read_text().lower()
    assert "api.gunicorn_workers." in log.read_text()


def test_serve_chooses_the_service_workers(tmp_path):
    for threads, name in ((1, "SyncProblemWorker"), (2, "ThreadProblemWorker")):
        arguments = gunicorn_arguments("127.0.0.1", 8000, 2, threads, 120, False, tmp_path)
        assert arguments[arguments.index("--worker-class") + 1] == f"api.gunicorn_workers.{name}"
        assert worker_class(threads) == f"api.gunicorn_workers.{name}"
    assert request_deadline(120) == 115 and request_deadline(3) == pytest.approx(2.4)
    assert request_deadline(0) is None


def test_the_openapi_document_lists_gunicorn_statuses(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'doc.sqlite'}",
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    document = app.api_doc
    operations = [
        operation
        for path_item in document["paths"].values()
        for operation in path_item.values()
        if isinstance(operation, dict) and "responses" in operation
    ]
    assert operations
    for operation in operations:
        for status in ("400", "413", "414", "417", "431", "500", "501", "503"):
            assert list(operation["responses"][status]["content"]) == [PROBLEM], status


@contextlib.contextmanager
def _slow_server(folder: Path, threads: int) -> Iterator[tuple[int, Path]]:
    """gunicorn with the service's arguments (3 s timeout, one worker) serving SLOW_APP."""
    (folder / "slow_app.py").write_text(SLOW_APP, encoding="utf-8")
    port = _free_port()
    arguments = gunicorn_arguments("127.0.0.1", port, 1, threads, 3, False, folder / "run")
    assert arguments[-1] == "api:create_app()"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        *arguments[:-1],
        "--chdir",
        str(folder),
        "slow_app:app",
    ]
    log = folder / "gunicorn.log"
    process = _start(command, {}, log, port)
    try:
        yield port, log
    finally:
        _stop(process)


@pytest.mark.parametrize("threads", [1, 2], ids=["sync", "threads"])
def test_a_request_past_its_time_limit_gets_a_503_problem(tmp_path, threads):
    with _slow_server(tmp_path, threads) as (port, log):
        first_worker = _get(port, "/pid")[2]
        others: list[int] = []
        if threads > 1:
            # Another request of the same worker is answered meanwhile.
            def other():
                time.sleep(0.5)
                others.append(_get(port, "/pid")[0])

            helper = threading.Thread(target=other)
            helper.start()
        problem = _assert_problem(_get(port, "/slow"), 503)
        assert f"stopped after {request_deadline(3):g} s" in problem["detail"]
        if threads > 1:
            helper.join(timeout=60)
            assert others == [200]
        # The worker stopped at an arbitrary point was replaced; the server answers.
        deadline = time.monotonic() + 60
        while (answer := _get(port, "/pid"))[2] == first_worker:
            assert time.monotonic() < deadline, "the stopped worker was not replaced"
            time.sleep(0.2)
        assert answer[0] == 200
        assert "Request stopped (RequestTimeout): GET /slow" in log.read_text()


def test_gunicorns_own_timeout_abort_answers_a_503_problem(tmp_path):
    """A request that swallows the deadline is aborted by gunicorn's timeout (the sync worker:
    its only thread holds the heartbeat back; a threaded worker's heartbeat goes on, so its
    limit is the deadline alone); the abort's SystemExit is answered too."""
    with _slow_server(tmp_path, 1) as (port, log):
        problem = _assert_problem(_get(port, "/stubborn"), 503)
        assert "the server stopped this request" in problem["detail"]
        assert "WORKER TIMEOUT" in log.read_text()
        assert _get(port, "/pid")[0] == 200
