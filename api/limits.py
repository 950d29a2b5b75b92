"""Rate limiting per token (flask-limiter), with a storage every worker of a host shares.

``matcher-sqlite:///path/to/file.sqlite`` is a fixed-window counter store in a SQLite file:
gunicorn's workers on one machine all count in it (``memory://`` would count per worker).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from typing import ClassVar
from urllib.parse import urlparse

from flask_limiter import Limiter
from limits.storage import Storage

from .auth import token_key

limiter = Limiter(key_func=token_key, default_limits=[], headers_enabled=True)


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
        now = time.time()
        row = (
            self._connection()
            .execute(
                "INSERT INTO counters (key, value, expires) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET "
                "value = CASE WHEN expires <= ? THEN excluded.value "
                "ELSE value + excluded.value END, "
                "expires = CASE WHEN expires <= ? THEN excluded.expires ELSE expires END "
                "RETURNING value",
                (key, amount, now + expiry, now, now),
            )
            .fetchone()
        )
        return int(row[0])

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
