"""What the service tests are built on: an app on a real database (SQLite in a temporary folder,
or the PostgreSQL server named by MATCHER_TEST_DATABASE_URL), seeded with the hand-built cluster
of ``tests/small_cluster.py``, users of every role and a trained, active model (`make_app`), and
the helpers and constants the tests use. The fixtures built from it (`app`, `client`, `tokens`)
are in ``tests/api/conftest.py``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from small_cluster import CLUSTER, HOME, LINKS
from sqlalchemy import text

from api import create_app
from api.auth import create_user
from api.db import get_db, get_engine, upgrade
from api.services.serving import train_new_version
from api.services.transfer import import_links, import_members

POLISH = "polish-fashion-cluster"

POSTGRES_URL = os.environ.get("MATCHER_TEST_DATABASE_URL", "")
REQUIRE_POSTGRES = os.environ.get("MATCHER_REQUIRE_POSTGRES") == "1"


@dataclass
class Tokens:
    admin: str
    manager: str
    polish_manager: str
    designer: str
    knit: str
    distributor: str


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def cluster_raw() -> pd.DataFrame:
    frame = pd.DataFrame(CLUSTER).fillna("")
    frame["contact_email"] = [f"{row['id']}@example.org" for row in CLUSTER]
    frame["contact_person"] = "Olena"
    return frame


def links_raw() -> pd.DataFrame:
    return pd.DataFrame(
        [{"source": x.source, "target": x.target, "kind": x.kind, "date": ""} for x in LINKS]
    )


def worker_database(url: str) -> str:
    """The database of this test process: `url`'s own, or, under pytest-xdist, a database of
    its own per worker (``<name>_gw0``...), created on first use: workers wipe their schema."""
    from sqlalchemy import create_engine, make_url

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).scalar()
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def postgres_url() -> str:
    """The PostgreSQL URL of the tests, after wiping its schema; skips (or fails) when absent."""
    from sqlalchemy import create_engine

    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("MATCHER_REQUIRE_POSTGRES=1 but MATCHER_TEST_DATABASE_URL is not set")
        pytest.skip("no PostgreSQL: set MATCHER_TEST_DATABASE_URL")
    from api.db import normalise_url

    try:
        url = worker_database(normalise_url(POSTGRES_URL))
    except Exception as error:  # noqa: BLE001 - unreachable server, or no right to create it
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL at {POSTGRES_URL}: no database for this worker: {error}")
        pytest.skip(f"PostgreSQL: no database for this worker: {error}")
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    except Exception as error:  # noqa: BLE001 - unreachable server
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL at {POSTGRES_URL} is not reachable: {error}")
        pytest.skip(f"PostgreSQL not reachable: {error}")
    finally:
        engine.dispose()
    return url


def make_app(tmp_path: Path, database_url: str, train: bool = True, **config):
    settings = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "MODELS_DIR": str(tmp_path / "models"),
        "MODEL_CHECK_SECONDS": 0,
        "MODEL_KIND": "default",
        "RATELIMIT_STORAGE_URI": "memory://",
        "SUGGESTION_RATE_LIMIT": "1000/minute",
    }
    settings.update(config)
    app = create_app(settings)
    with app.app_context():
        upgrade(get_engine())
        session = get_db()
        import_members(session, cluster_raw(), "record", "cluster")
        import_links(session, links_raw(), "record", "links")
        tokens = Tokens(
            admin=create_user(session, "admin", "admin")[1],
            manager=create_user(session, "manager", "manager", network_id=HOME)[1],
            polish_manager=create_user(session, "pl-manager", "manager", network_id=POLISH)[1],
            designer=create_user(session, "designer", "member", member_id="designer")[1],
            knit=create_user(session, "knit", "member", member_id="knit-factory")[1],
            distributor=create_user(session, "distributor", "member", member_id="pl-distributor")[
                1
            ],
        )
        session.commit()
    if train:
        train_new_version(app)
    app.config["TOKENS"] = tokens
    return app


#: What a second worker of the same service shares with the first: the database, the models,
#: the rate-limit store and its settings.
WORKER_SETTINGS = (
    "TESTING",
    "DATABASE_URL",
    "MODELS_DIR",
    "MODEL_CHECK_SECONDS",
    "MODEL_KIND",
    "RATELIMIT_STORAGE_URI",
    "SUGGESTION_RATE_LIMIT",
    "SECRET_KEY",
)


def another_worker(app, **settings):
    """Another app instance on the same database and models (`settings` added or changed):
    another worker process, as far as the service can tell (its own model holder, caches and
    threads), started now with nothing in memory."""
    shared = {key: app.config[key] for key in WORKER_SETTINGS if key in app.config}
    return create_app({**shared, **settings})


def dispose_app(app) -> None:
    """Wait for the app's background threads and close its database connections."""
    for thread in app.extensions.get("matcher_threads", []):
        thread.join(timeout=60)
    state = app.extensions.get("matcher_db", {})
    if "engine" in state:
        state["engine"].dispose()
