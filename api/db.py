"""The database: one engine per app, one session per app context (``get_db()``/``init_app``).

SQLite (a file under the instance folder, WAL mode) is the default; ``DATABASE_URL`` selects
PostgreSQL (``postgresql://...`` is read as ``postgresql+psycopg://...``). The schema is made
and evolved by the Alembic migrations in ``api/migrations`` (:func:`upgrade`).
"""

from __future__ import annotations

import logging
from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def normalise_url(url: str) -> str:
    """Return `url` with the psycopg 3 driver named for PostgreSQL URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create the engine for `url` (SQLite gets WAL mode, foreign keys and a busy timeout)."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
    return engine


def get_engine(app: Flask | None = None) -> Engine:
    """Return the app's engine, creating it on first use."""
    app = app or current_app
    state = app.extensions.setdefault("matcher_db", {})
    if "engine" not in state:
        state["engine"] = make_engine(app.config["DATABASE_URL"])
        state["sessions"] = sessionmaker(state["engine"], expire_on_commit=False)
    return state["engine"]


def session_factory(app: Flask | None = None) -> sessionmaker:
    """Return the app's session factory (for work outside a request, e.g. retraining)."""
    app = app or current_app
    get_engine(app)
    return app.extensions["matcher_db"]["sessions"]


def get_db() -> Session:
    """Return the session of the current app context, opening it on first use."""
    if "db" not in g:
        g.db = session_factory()()
    return g.db


def core_connection(session: Session):
    """Return the session's connection for a prebuilt Core statement (flushing pending changes
    first, as an ORM query would): the hot paths skip the ORM's per-query overhead this way."""
    if session.new or session.dirty or session.deleted:
        session.flush()
    return session.connection()


def close_db(_error: BaseException | None = None) -> None:
    """Close the session of the app context (rolled back if not committed)."""
    session = g.pop("db", None)
    if session is not None:
        session.close()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the Alembic migrations to `engine` up to `revision`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    logger.info("database upgraded to %s", revision)


@click.group("db")
def db_command() -> None:
    """Database commands."""


@db_command.command("upgrade")
def upgrade_command() -> None:
    """Create or migrate the database schema to the newest version."""
    upgrade(get_engine())
    click.echo(f"database at {get_engine().url.render_as_string(hide_password=True)} is up to date")


def init_app(app: Flask) -> None:
    """Register the teardown and the ``flask db`` commands."""
    app.teardown_appcontext(close_db)
    app.cli.add_command(db_command)
