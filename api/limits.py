"""Rate limiting per token (flask-limiter), with a storage every worker of a host shares.

``matcher-sqlite:///path/to/file.sqlite`` is a fixed-window counter store in a SQLite file:
gunicorn's workers on one machine all count in it (``memory://`` would count per worker).

The suggestion endpoint, the one asked many times a second, is limited by :func:`per_token`
instead of flask-limiter's decorator: the same fixed window, storage and headers, counted and
read back in one statement (flask-limiter's checks and headers cost three storage calls and
about a third of a cached answer's time).
"""

from __future__ import annotations

import functools
import math
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any, ClassVar
from urllib.parse import urlparse

import limits
from flask import current_app, make_response, request
from flask_limiter import Limiter
from limits.storage import Storage
from werkzeug.exceptions import TooManyRequests

from .auth import token_key

limiter = Limiter(key_func=token_key, default_limits=[], headers_enabled=True)

#: The views limited by :func:`per_token` (qualified names, as flask-limiter names views).
_PER_TOKEN_VIEWS: set[str] = set()


@limiter.request_filter
def _limited_by_per_token() -> bool:
    """Whether the extension leaves this request to :func:`per_token` (it would otherwise
    resolve its limits for it on every request, only to find it exempt)."""
    view = current_app.view_functions.get(request.endpoint or "")
    return view is not None and f"{view.__module__}.{view.__name__}" in _PER_TOKEN_VIEWS


@functools.lru_cache(maxsize=64)
def parse_limit(value: str) -> limits.RateLimitItem:
    """The rate limit `value` (``"600/minute"``), parsed once."""
    return limits.parse(value)


def hit(storage: Storage, key: str, item: limits.RateLimitItem) -> tuple[int, float]:
    """Count one request of `key` against `item` in `storage`; return the count in the current
    window and when the window ends (epoch seconds). One statement on
    :class:`SQLiteFileStorage`, two calls on another storage."""
    if isinstance(storage, SQLiteFileStorage):
        return storage.incr_window(key, item.get_expiry())
    return storage.incr(key, item.get_expiry()), storage.get_expiry(key)


def per_token(limit: Callable[[], str], scope: str) -> Callable:
    """Decorate a view with a fixed-window limit per token (:func:`~api.auth.token_key`) of
    `limit()` requests, as ``limiter.limit(limit)`` would: the limiter's storage, its
    ``X-RateLimit-*`` and ``Retry-After`` headers on every answer, 429 past the limit, nothing
    counted with ``RATELIMIT_ENABLED`` off. The view is exempt from the extension's own checks.
    """

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def limited(*args: Any, **kwargs: Any):
            if not limiter.enabled:
                return view(*args, **kwargs)
            item = parse_limit(limit())
            count, reset = hit(limiter.storage, item.key_for(token_key(), scope), item)
            headers = {
                "X-RateLimit-Limit": str(item.amount),
                "X-RateLimit-Remaining": str(max(0, item.amount - count)),
                "X-RateLimit-Reset": str(int(reset)),
                "Retry-After": str(max(0, math.ceil(reset - time.time()))),
            }
            if count > item.amount:
                exceeded = TooManyRequests(str(item))
                response = make_response(current_app.handle_http_exception(exceeded))
            else:
                response = make_response(view(*args, **kwargs))
            response.headers.update(headers)
            return response

        _PER_TOKEN_VIEWS.add(f"{view.__module__}.{view.__name__}")
        return limiter.exempt(limited)

    return decorator


class SQLiteFileStorage(Storage):
    """Fixed-window rate-limit counters in a SQLite file shared by the processes of a host."""

    STORAGE_SCHEME: ClassVar[list[str]] = ["matcher-sqlite"]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = urlparse(uri).path
        self._local = threading.local()
        with self._connection() as connection:
            connection.execute(
                "CREATE TABLE IF NOT EXISTS counters "
                "(key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires REAL NOT NULL)"
            )

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(
                self.path, timeout=10, isolation_level=None, check_same_thread=False
            )
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=OFF")
            self._local.connection = connection
        return connection

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Add `amount` to the counter of `key` (a new window when the old one expired)."""
        return self.incr_window(key, expiry, amount)[0]

    def incr_window(self, key: str, expiry: float, amount: int = 1) -> tuple[int, float]:
        """:meth:`incr`, also returning when the window ends (epoch seconds): one statement."""
        now = time.time()
        row = (
            self._connection()
            .execute(
                "INSERT INTO counters (key, value, expires) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET "
                "value = CASE WHEN expires <= ? THEN excluded.value "
                "ELSE value + excluded.value END, "
                "expires = CASE WHEN expires <= ? THEN excluded.expires ELSE expires END "
                "RETURNING value, expires",
                (key, amount, now + expiry, now, now),
            )
            .fetchone()
        )
        return int(row[0]), float(row[1])

    def get(self, key: str) -> int:
        """Return the counter of `key` in its current window (0 when expired)."""
        row = (
            self._connection()
            .execute("SELECT value FROM counters WHERE key = ? AND expires > ?", (key, time.time()))
            .fetchone()
        )
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        """Return when the window of `key` ends (epoch seconds)."""
        row = (
            self._connection()
            .execute("SELECT expires FROM counters WHERE key = ?", (key,))
            .fetchone()
        )
        return float(row[0]) if row else time.time()

    def check(self) -> bool:
        """Return whether the file can be read."""
        try:
            self._connection().execute("SELECT 1")
            return True
        except sqlite3.Error:
            return False

    def reset(self) -> int | None:
        """Remove every counter; return how many there were."""
        return self._connection().execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        """Remove the counter of `key`."""
        self._connection().execute("DELETE FROM counters WHERE key = ?", (key,))
