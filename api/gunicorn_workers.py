"""gunicorn workers whose own answers are problem+json, and a time limit for each request.

gunicorn answers some requests itself, before the app sees them: a request line or headers too
long (414, 431), a request that is not HTTP (400), an Expect or transfer coding it does not
take (417, 501), and a request cut off by the worker timeout. Its answers are HTML; every answer
of this service is RFC 9457 problem+json (:mod:`api.errors`), so these workers override
``handle_error``, the one place gunicorn writes them.

The time limit. With the sync worker, gunicorn's ``--timeout`` counts from the worker's last
heartbeat, which a request running in the only thread holds back: past it the arbiter sends
SIGABRT, the worker raises SystemExit wherever it is and, should that not end it within about a
second (the main thread stuck in one long C call), SIGKILL, and the client's connection is reset
without an answer. So each request gets a deadline of its own, a little before gunicorn's
(:func:`request_deadline`): past it, :class:`RequestTimeout` (a SystemExit, which no
``except Exception`` of the app swallows) is raised in the request; the app's teardown closes
its database session (the transaction is rolled back), the client gets a 503 problem, and the
worker, stopped at an arbitrary point, is replaced by a fresh one. Should gunicorn's own abort
still come first, its SystemExit gets the same 503.

- Sync worker (``--threads 1``): the deadline is a SIGALRM timer, which also interrupts a
  blocking system call (a socket read, a sleep).
- Threaded worker (``--threads`` > 1): gunicorn's timeout never stops a slow request there (the
  main thread keeps beating while the request threads work), so the deadline is what limits a
  request: a watchdog thread raises :class:`RequestTimeout` in the request's thread
  (``PyThreadState_SetAsyncExc``). Such an exception is raised only between Python
  instructions: a request blocked in one long C call (a database query, the agenda solver) is
  stopped when that call returns. If the main thread itself is starved past ``--timeout``,
  gunicorn aborts the worker and its open connections are closed without an answer. (The
  deadline covers one call of the worker's ``handle``: one HTTP/1.1 request; an HTTP/2
  connection, which ``matcher serve`` does not enable, would be limited as a whole.)

Either way, a request that had begun to send its answer is cut off (the connection is closed);
what it had committed stays, what it had not is rolled back.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import signal
import threading
import time
from datetime import datetime
from http import HTTPStatus
from ssl import SSLError

from gunicorn import util
from gunicorn.http import errors as http_errors
from gunicorn.http.wsgi import Response, default_environ
from gunicorn.workers.gthread import ThreadWorker
from gunicorn.workers.sync import SyncWorker

__all__ = ["RequestTimeout", "SyncProblemWorker", "ThreadProblemWorker", "worker_class"]

logger = logging.getLogger(__name__)

#: The status of each client error gunicorn knows (by class name: not every gunicorn version
#: has every class); any other parse error is a 400.
_CLIENT_ERROR_STATUS = {
    "LimitRequestLine": 414,
    "LimitRequestHeaders": 431,
    "ExpectationFailed": 417,
    "UnsupportedTransferCoding": 501,
    "ConfigurationProblem": 500,
    "ForbiddenProxyRequest": 403,
}
_CLIENT_ERROR_DETAIL = {
    414: "the request line (method, path and query) is too long",
    431: "the request headers are too large or too many",
    417: "the Expect header asks for what the server does not do",
    501: "the request uses a transfer coding the server does not take",
    403: "request forbidden",
}
#: Errors a header of the app's own answer raised: the app's fault, a 500 as gunicorn says.
_RESPONSE_ERRORS = tuple(
    getattr(http_errors, name)
    for name in ("InvalidResponseHeader", "InvalidResponseHeaderName")
    if hasattr(http_errors, name)
)


class RequestTimeout(SystemExit):
    """A request ran past its deadline (:func:`request_deadline`).

    A SystemExit, like gunicorn's own timeout abort, so that neither the app's ``except
    Exception`` nor Flask's error handlers swallow it: it reaches the worker, which answers 503.
    """


def request_deadline(timeout: float) -> float | None:
    """Seconds a request may run: a little less than gunicorn's `timeout` (which the arbiter
    enforces with SIGABRT, then SIGKILL), so that the request can still answer; None without
    a timeout."""
    if not timeout or timeout <= 0:
        return None
    return timeout - min(5.0, timeout / 5)


def problem_http(status: int, detail: str) -> bytes:
    """A whole HTTP/1.1 answer (``Connection: close``) with the problem body of
    :func:`api.errors.problem_response`."""
    from .errors import PROBLEM_MIME, problem_response

    body = problem_response(status, detail).get_data()
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Error"
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        f"Content-Type: {PROBLEM_MIME}\r\n"
        f"Content-Length: {len(body)}\r\n"
        "\r\n"
    )
    return head.encode("latin-1") + body


def classify(exc: BaseException, timeout: float) -> tuple[int, str, bool]:
    """The status, the detail and whether it is the client's fault, for an error gunicorn
    met while reading or answering a request (mirrors ``gunicorn.workers.base.handle_error``,
    plus the time limit)."""
    if isinstance(exc, RequestTimeout):
        detail = (
            f"the request was stopped after {request_deadline(timeout):g} s, the server's time "
            "limit for one request; nothing it had not saved was kept. Try again later, or "
            "with less at once (a smaller file, a shorter time limit)"
        )
        return 503, detail, False
    if isinstance(exc, SystemExit):
        detail = (
            "the server stopped this request: it ran past the time limit "
            f"({timeout:g} s) or the server is shutting down. Try again later"
        )
        return 503, detail, False
    client_error = isinstance(exc, (http_errors.ParseException, SSLError)) and not isinstance(
        exc, _RESPONSE_ERRORS
    )
    if not client_error:
        return 500, "an unexpected error occurred; it has been logged", False
    status = 403 if isinstance(exc, SSLError) else 400
    for klass in type(exc).__mro__:
        if klass.__name__ in _CLIENT_ERROR_STATUS:
            status = _CLIENT_ERROR_STATUS[klass.__name__]
            break
    reason = _CLIENT_ERROR_DETAIL.get(status, f"invalid request ({type(exc).__name__})")
    message = str(exc)
    return status, f"{reason}: {message}" if message else reason, True


class _ProblemErrors:
    """``handle_error`` writing problem+json, and the loaded app frozen out of the garbage
    collector's scans, for a gunicorn worker class."""

    def init_process(self):
        # Imported now, not when an answer is due: after gunicorn's abort the worker has about
        # a second before SIGKILL, and the first import of api.errors (pandas) takes longer.
        # Not at the top of this module either: gunicorn's master imports it too.
        from . import errors  # noqa: F401

        super().init_process()

    def load_wsgi(self):
        super().load_wsgi()
        # The model loaded and the home members' suggestions ranked before the first request
        # (within --timeout, which the arbiter counts from the worker's start until then).
        from .services.serving import prepare_worker

        prepare_worker(self.wsgi)
        # What loading the app made (modules, the taxonomy, the translations: some 4 * 10^5
        # objects) lives as long as the worker. Frozen, a full collection, which a request that
        # makes many objects starts (reading a session of 960 meetings), scans only what the
        # requests made: a third of the time or less.
        gc.freeze()

    def handle_error(self, req, client, addr, exc):
        request_start = datetime.now()
        addr = addr or ("", -1)  # a Unix socket
        status, detail, client_error = classify(exc, self.cfg.timeout)
        if client_error:
            self.log.warning("Invalid request from ip=%s: %s", addr[0], exc)
            if req is None and hasattr(exc, "req"):
                req = exc.req  # for the access log
        elif isinstance(exc, SystemExit):
            self.log.error(
                "Request stopped (%s): %s %s",
                type(exc).__name__,
                getattr(req, "method", ""),
                getattr(req, "uri", "(no URI read)"),
            )
        else:
            self.log.exception(
                "Error handling request %s %s",
                getattr(req, "method", ""),
                getattr(req, "uri", "(no URI read)"),
            )
        answer = problem_http(status, detail)
        if req is not None:
            try:
                environ = default_environ(req, client, self.cfg)
                environ["REMOTE_ADDR"], environ["REMOTE_PORT"] = addr[0], str(addr[1])
                response = Response(req, client, self.cfg)
                response.status = f"{status} {HTTPStatus(status).phrase}"
                response.response_length = len(answer)
                self.log.access(response, req, environ, datetime.now() - request_start)
            except Exception:  # noqa: BLE001 - the access log must not keep the answer back
                self.log.debug("Failed to log the error answer.")
        try:
            util.write_nonblock(client, answer)
        except Exception:  # noqa: BLE001 - the client is gone
            self.log.debug("Failed to send error message.")


class SyncProblemWorker(_ProblemErrors, SyncWorker):
    """gunicorn's sync worker with problem+json errors and a SIGALRM request deadline."""

    _in_request = False

    def init_signals(self):
        super().init_signals()
        signal.signal(signal.SIGALRM, self._deadline_passed)

    def _deadline_passed(self, signum, frame):
        if self._in_request:
            self._in_request = False
            # Stopped at an arbitrary point: a fresh worker takes over after this answer.
            self.alive = False
            raise RequestTimeout(1)

    def handle(self, listener, client, addr):
        deadline = request_deadline(self.cfg.timeout)
        if deadline is None:
            return super().handle(listener, client, addr)
        self._in_request = True
        signal.setitimer(signal.ITIMER_REAL, deadline)
        try:
            return super().handle(listener, client, addr)
        finally:
            self._in_request = False
            signal.setitimer(signal.ITIMER_REAL, 0)

    def handle_request(self, listener, req, client, addr):
        super().handle_request(listener, req, client, addr)
        # Answered: closing the connection (which lingers to drain it) is not cut short.
        self._in_request = False


class _Deadlines:
    """The deadlines of the requests of a threaded worker, and the watchdog that raises
    :class:`RequestTimeout` in a request thread past its own."""

    def __init__(self, seconds: float, on_timeout):
        self.seconds, self.on_timeout = seconds, on_timeout
        self.lock = threading.Lock()
        self.pending: dict[int, float] = {}
        self.thread = threading.Thread(target=self.watch, name="request-deadlines", daemon=True)
        self.thread.start()

    def begin(self) -> None:
        with self.lock:
            self.pending[threading.get_ident()] = time.monotonic() + self.seconds

    def end(self) -> None:
        """Forget this thread's deadline, and a timeout raised for it but not yet delivered
        (``PyThreadState_SetAsyncExc`` with NULL clears it)."""
        ident = threading.get_ident()
        with self.lock:
            if self.pending.pop(ident, None) is None:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), None)

    def watch(self) -> None:
        while True:
            time.sleep(min(0.5, self.seconds / 4))
            now = time.monotonic()
            with self.lock:
                for ident, deadline in list(self.pending.items()):
                    if now >= deadline:
                        del self.pending[ident]
                        ctypes.pythonapi.PyThreadState_SetAsyncExc(
                            ctypes.c_ulong(ident), ctypes.py_object(RequestTimeout)
                        )
                        self.on_timeout()


class ThreadProblemWorker(_ProblemErrors, ThreadWorker):
    """gunicorn's threaded worker with problem+json errors and a request deadline (a
    watchdog thread, see :class:`_Deadlines`)."""

    def init_process(self):
        deadline = request_deadline(self.cfg.timeout)
        self._deadlines = _Deadlines(deadline, self._timed_out) if deadline else None
        #: Per request thread: the request read (for the log) and whether it was answered.
        self._current = threading.local()
        super().init_process()

    def _timed_out(self) -> None:
        # A request stopped at an arbitrary point: finish the others, then a fresh worker.
        self.alive = False

    def handle(self, conn):
        if self._deadlines is None:
            return super().handle(conn)
        self._current.req, self._current.answered = None, False
        self._deadlines.begin()
        try:
            try:
                return super().handle(conn)
            finally:
                self._deadlines.end()
        except RequestTimeout as error:
            # gunicorn's handle() lets a SystemExit through when nothing was sent yet (it
            # closes a connection whose answer had begun); one raised after the whole answer
            # was sent only closes the connection.
            if not self._current.answered:
                self.handle_error(self._current.req, conn.sock, conn.client, error)
            return False

    def handle_request(self, req, conn):
        if self._deadlines is not None:
            self._current.req = req
        keepalive = super().handle_request(req, conn)
        if self._deadlines is not None:
            self._current.answered = True
        return keepalive


def worker_class(threads: int) -> str:
    """The ``--worker-class`` of a server with `threads` threads per worker: threaded when
    more than one, as gunicorn itself switches from sync to gthread."""
    worker = ThreadProblemWorker if threads > 1 else SyncProblemWorker
    return f"{worker.__module__}.{worker.__qualname__}"
