"""Cluster insights computed off the request path (``api.insights``): the first request answers
at once (202) and a background job computes the figures; every worker (app instance on the same
database) then serves the stored result; new data or a new model start a new computation while
the older figures are served marked stale; an abandoned job is taken over, a failed one is
reported and retried; the manager page says the figures are being computed, in English and
Ukrainian. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import html
import io
import os
import socket
import subprocess
import sys

import pytest
from service_fixtures import HOME, another_worker, bearer, cluster_raw, dispose_app
from sqlalchemy import func, select
from test_api_insights import computed, settle
from test_web import csrf, sign_in_with_token

from api.db import get_db, session_factory
from api.services.insights import revision_digest
from api.services.serving import holder, train_new_version
from api.tables import StoredInsights, utcnow

INSIGHTS = "/api/v1/insights"
PAGE = "/manage/insights"


def rows(app, network: str = HOME) -> list[StoredInsights]:
    """The stored insights of `network`, oldest first (without their parts)."""
    with session_factory(app)() as session:
        found = session.scalars(
            select(StoredInsights)
            .where(StoredInsights.network_id == network)
            .order_by(StoredInsights.result_id)
        ).all()
        for row in found:
            session.expunge(row)
        return list(found)


def current_key(app, network: str = HOME) -> dict:
    """The key of the figures a request would ask for now."""
    with app.app_context():
        session = get_db()
        return {
            "network_id": network,
            "model_version": holder().active_version_id(session),
            "data_revision": revision_digest(session),
        }


def dead_pid() -> int:
    """The id of a process of this host that has ended."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_first_request_starts_one_job_that_every_worker_shares(app, client, tokens):
    manager = bearer(tokens.manager)
    first = client.get(INSIGHTS, headers=manager)
    assert first.status_code == 202
    assert first.mimetype == "application/json"
    assert first.json["status"] == "computing" and first.json["network"] == HOME
    assert int(first.headers["Retry-After"]) >= 1
    assert first.json["retry_after"] == int(first.headers["Retry-After"])
    # The job's row exists, keyed by the network, the model and the data, and this process
    # computes it.
    [row] = rows(app)
    key = current_key(app)
    assert (row.network_id, row.model_version, row.data_revision) == tuple(key.values())
    assert row.attempt == 1 and row.trainer.endswith(f":{os.getpid()}")
    assert first.json["model_version"] == key["model_version"]
    # The report and the tables say the same while computing.
    for path in (f"{INSIGHTS}/report", f"{INSIGHTS}/tables.xlsx"):
        waiting = client.get(path, headers=manager)
        assert waiting.status_code in (200, 202)
        if waiting.status_code == 202:
            assert waiting.json["status"] == "computing" and "Retry-After" in waiting.headers

    settle(app)
    ready = client.get(INSIGHTS, headers=manager)
    assert ready.status_code == 200
    assert ready.json["stale"] is False and ready.json["refresh"] is None
    [row] = rows(app)
    assert row.status == "ready" and row.error is None and row.finished_at is not None

    # A second worker on the same database serves the same result without computing it.
    other = another_worker(app)
    try:
        shared = other.test_client().get(INSIGHTS, headers=manager)
        assert shared.status_code == 200
        assert shared.json == ready.json
        report = other.test_client().get(f"{INSIGHTS}/report?language=en", headers=manager)
        assert report.status_code == 200 and report.headers["Insights-Stale"] == "false"
        assert not other.extensions.get("matcher_threads")
        [again] = rows(app)
        assert (again.result_id, again.attempt, again.trainer) == (
            row.result_id,
            row.attempt,
            row.trainer,
        )
    finally:
        dispose_app(other)


def import_member(client, token: str, member_id: str) -> None:
    """Import one more home member through the API (a CSV file)."""
    frame = cluster_raw()
    record = frame[frame["network"] == HOME].iloc[[0]].copy()
    record["id"], record["name"] = member_id, "Nova Tekstyl"
    record["contact_email"] = f"{member_id}@example.org"
    response = client.post(
        "/api/v1/import/members",
        data={"file": (io.BytesIO(record.to_csv(index=False).encode()), "members.csv")},
        headers=bearer(token),
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.json


def test_new_data_or_model_serve_the_old_figures_as_stale_meanwhile(app, client, tokens):
    manager = bearer(tokens.manager)
    old = computed(app, client, INSIGHTS, headers=manager).json
    assert old["stale"] is False

    # An import: the old figures, marked stale, while the new ones are computed.
    import_member(client, tokens.admin, "nova-tekstyl")
    stale = client.get(INSIGHTS, headers=manager)
    assert stale.status_code == 200
    assert stale.json["stale"] is True
    assert stale.json["refresh"]["status"] == "computing"
    assert stale.json["computed_at"] == old["computed_at"]
    assert stale.json["summary"] == old["summary"]
    report = client.get(f"{INSIGHTS}/report?language=en", headers=manager)
    assert report.status_code == 200 and report.headers["Insights-Stale"] == "true"
    settle(app)
    fresh = client.get(INSIGHTS, headers=manager).json
    assert fresh["stale"] is False
    assert fresh["summary"]["members"] == old["summary"]["members"] + 1
    # Only the newest figures are kept.
    assert [row.status for row in rows(app)] == ["ready"]

    # An update of a member: the same.
    patched = client.patch(
        "/api/v1/members/yarn-supplier", json={"seeks": ["logistics"]}, headers=manager
    )
    assert patched.status_code == 200
    stale = client.get(INSIGHTS, headers=manager).json
    assert stale["stale"] is True and stale["computed_at"] == fresh["computed_at"]
    settle(app)
    updated = client.get(INSIGHTS, headers=manager).json
    assert updated["stale"] is False
    seekers = {gap["capability"]: gap["seekers"] for gap in updated["supply_demand"]["gaps"]}
    assert "yarn-supplier" not in seekers.get("wholesale_distribution", [])

    # Another active model: the same, and the new figures name it.
    new_version = train_new_version(app).version_id
    stale = client.get(INSIGHTS, headers=manager).json
    assert stale["stale"] is True and stale["model_version"] == updated["model_version"]
    assert stale["refresh"]["model_version"] == new_version
    settle(app)
    current = client.get(INSIGHTS, headers=manager).json
    assert current["stale"] is False and current["model_version"] == new_version


def test_figures_naming_an_erased_member_are_not_served_as_stale(app, client, tokens):
    manager = bearer(tokens.manager)
    old = computed(app, client, INSIGHTS, headers=manager).json
    assert "photo" in {node["member_id"] for node in old["network"]["nodes"]}
    erased = client.delete("/api/v1/members/photo?erase=true", headers=bearer(tokens.admin))
    assert erased.status_code == 204
    # The old figures name the erased member: none are served until the new ones are ready.
    waiting = client.get(INSIGHTS, headers=manager)
    assert waiting.status_code == 202 and waiting.json["status"] == "computing"
    current = computed(app, client, INSIGHTS, headers=manager).json
    assert "photo" not in {node["member_id"] for node in current["network"]["nodes"]}
    # And they are deleted once the new ones are stored.
    assert [row.status for row in rows(app)] == ["ready"]


@pytest.mark.parametrize("how", ["process ended", "heartbeat too old"])
def test_an_abandoned_job_is_computed_again(app, client, tokens, how):
    """A computation whose process is gone (this host's pid no longer runs), or that has not
    renewed its heartbeat for too long, is taken over instead of being waited for."""
    if how == "process ended":
        trainer, heartbeat = f"{socket.gethostname()}:{dead_pid()}", utcnow()
    else:
        trainer, heartbeat = "another-host:4242", utcnow() - dt.timedelta(hours=1)
    with session_factory(app).begin() as session:
        session.add(
            StoredInsights(
                **current_key(app),
                status="computing",
                attempt=1,
                trainer=trainer,
                started_at=heartbeat,
                heartbeat_at=heartbeat,
            )
        )
    response = client.get(INSIGHTS, headers=bearer(tokens.manager))
    assert response.status_code == 202
    assert response.json["attempt"] == 2
    [row] = rows(app)
    assert row.attempt == 2 and row.trainer != trainer
    settle(app)
    ready = client.get(INSIGHTS, headers=bearer(tokens.manager))
    assert ready.status_code == 200 and ready.json["stale"] is False
    assert rows(app)[0].status == "ready"


def test_a_job_alive_elsewhere_is_waited_for_not_duplicated(app, client, tokens):
    with session_factory(app).begin() as session:
        session.add(
            StoredInsights(
                **current_key(app),
                status="computing",
                attempt=1,
                trainer="another-host:4242",
                started_at=utcnow(),
                heartbeat_at=utcnow(),
            )
        )
    for _ in range(2):
        response = client.get(INSIGHTS, headers=bearer(tokens.manager))
        assert response.status_code == 202 and response.json["attempt"] == 1
    assert not [t for t in app.extensions.get("matcher_threads", []) if t.is_alive()]
    [row] = rows(app)
    assert row.trainer == "another-host:4242"


def test_a_failed_job_is_reported_then_retried(app, client, tokens, monkeypatch):
    manager = bearer(tokens.manager)
    app.config["INSIGHTS_RETRY_SECONDS"] = 3600

    def broken(session):
        raise ValueError("cannot convert float NaN to integer")

    monkeypatch.setattr("api.services.insights.live_profile_frame", broken)
    assert client.get(INSIGHTS, headers=manager).status_code == 202
    settle(app)
    failed = client.get(INSIGHTS, headers=manager)
    assert failed.status_code == 500
    assert failed.mimetype == "application/problem+json"
    assert failed.json["job"]["status"] == "failed"
    assert "unexpected error" in failed.json["job"]["error"]
    assert "failed" in failed.json["detail"] and "NaN" not in failed.get_data(as_text=True)
    assert 3500 < int(failed.headers["Retry-After"]) <= 3600
    [row] = rows(app)
    assert row.status == "failed" and row.error_status == 500 and row.attempt == 1
    # The report and tables say the same; asking again does not recompute yet.
    assert client.get(f"{INSIGHTS}/report", headers=manager).status_code == 500
    assert rows(app)[0].attempt == 1

    # Once the retry delay has passed, the next request starts a new attempt, which succeeds.
    monkeypatch.undo()
    app.config["INSIGHTS_RETRY_SECONDS"] = 0
    retried = client.get(INSIGHTS, headers=manager)
    assert retried.status_code == 202 and retried.json["attempt"] == 2
    settle(app)
    ready = client.get(INSIGHTS, headers=manager)
    assert ready.status_code == 200 and ready.json["stale"] is False


def test_a_failed_refresh_keeps_serving_the_old_figures(app, client, tokens, monkeypatch):
    manager = bearer(tokens.manager)
    old = computed(app, client, INSIGHTS, headers=manager).json
    app.config["INSIGHTS_RETRY_SECONDS"] = 3600

    def broken(session):
        raise ValueError("boom")

    monkeypatch.setattr("api.services.insights.live_profile_frame", broken)
    give = client.post(
        "/api/v1/members/designer/feedback",
        json={"partner_id": "knit-factory", "event": "shown"},
        headers=bearer(tokens.designer),
    )
    assert give.status_code == 201
    client.get(INSIGHTS, headers=manager)
    settle(app)
    stale = client.get(INSIGHTS, headers=manager)
    assert stale.status_code == 200
    assert stale.json["stale"] is True and stale.json["computed_at"] == old["computed_at"]
    assert stale.json["refresh"]["status"] == "failed"
    assert "unexpected error" in stale.json["refresh"]["error"]


def test_an_import_or_a_new_model_starts_the_figures_before_anyone_asks(app, client, tokens):
    from api.services.insights import refresh_insights

    manager = bearer(tokens.manager)
    computed(app, client, INSIGHTS, headers=manager)
    assert refresh_insights(app) == []  # nothing changed

    def current_row() -> StoredInsights:
        key = current_key(app)
        [row] = [
            row
            for row in rows(app)
            if (row.network_id, row.model_version, row.data_revision)
            == (key["network_id"], key["model_version"], key["data_revision"])
        ]
        return row

    # The import itself starts the computation of the figures it changes, with no request.
    import_member(client, tokens.admin, "nova-tekstyl")
    assert current_row().status in ("computing", "ready")
    assert refresh_insights(app) == []  # under way already, or done
    settle(app)
    assert current_row().status == "ready" and len(rows(app)) == 1
    answer = client.get(INSIGHTS, headers=manager)
    assert answer.status_code == 200 and answer.json["stale"] is False

    # So does a retrained, activated model.
    started = client.post("/api/v1/models/retrain", json={}, headers=manager)
    assert started.status_code == 202
    settle(app)
    assert current_key(app)["model_version"] == started.json["version_id"]
    assert current_row().status == "ready"
    answer = client.get(INSIGHTS, headers=manager)
    assert answer.status_code == 200 and answer.json["stale"] is False


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize(
    "language, computing, reload",
    [
        ("en", "The insights of Kharkiv Fashion Cluster are being computed", "Reload now"),
        ("uk", "Аналітика мережі Kharkiv Fashion Cluster обчислюється", "Оновити зараз"),
    ],
    ids=["en", "uk"],
)
def test_page_says_the_figures_are_being_computed(app, client, tokens, language, computing, reload):
    assert sign_in_with_token(client, tokens.manager).status_code == 302
    switched = client.post(
        "/manage/language",
        data={
            "csrf_token": csrf(client, "/manage/dashboard"),
            "lang": language,
            "next": "/manage/dashboard",
        },
    )
    assert switched.status_code == 302
    response = client.get(PAGE)
    assert response.status_code == 202
    page = page_text(response)
    assert f'<html lang="{language}">' in page
    assert 'data-job-status="computing"' in page and computing in page
    # It reloads itself, and offers a link to reload at once.
    assert int(response.headers["Refresh"]) >= 1
    assert f'<a class="button secondary" href="{PAGE}" id="insights-reload">{reload}</a>' in page
    assert "<script" not in page
    # The report and the tables too.
    assert client.get("/manage/insights/tables.xlsx").status_code in (200, 202)

    settle(app)
    ready = client.get(PAGE)
    assert ready.status_code == 200 and 'data-metric="members"' in page_text(ready)
    assert "Refresh" not in ready.headers

    # New data: the old figures with a notice that newer ones are being computed.
    client.post(
        "/api/v1/members/designer/feedback",
        json={"partner_id": "knit-factory", "event": "shown"},
        headers=bearer(tokens.designer),
    )
    stale = page_text(client.get(PAGE))
    assert 'id="insights-stale"' in stale and 'data-metric="members"' in stale
    notice = {
        "en": "the data or the model have changed since, and newer figures are being computed",
        "uk": "відтоді дані або модель змінилися, і новіші показники вже обчислюються",
    }[language]
    assert notice in stale
    settle(app)


@pytest.mark.parametrize("language", ["en", "uk"])
def test_page_reports_a_failure(app, client, tokens, monkeypatch, language):
    app.config["INSIGHTS_RETRY_SECONDS"] = 3600

    def broken(session):
        raise ValueError("boom")

    monkeypatch.setattr("api.services.insights.live_profile_frame", broken)
    assert sign_in_with_token(client, tokens.manager).status_code == 302
    client.post(
        "/manage/language",
        data={
            "csrf_token": csrf(client, "/manage/dashboard"),
            "lang": language,
            "next": "/manage/dashboard",
        },
    )
    assert client.get(PAGE).status_code == 202
    settle(app)
    response = client.get(PAGE)
    assert response.status_code == 500 and "Refresh" not in response.headers
    page = page_text(response)
    assert 'data-job-status="failed"' in page and "unexpected error" in page
    assert {"en": "failed", "uk": "Не вдалося"}[language] in page


def test_migration_0007_matches_the_table_and_goes_down_and_up(app):
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.config import Config
    from alembic.migration import MigrationContext
    from sqlalchemy import inspect

    from api.db import MIGRATIONS_DIR, get_engine, upgrade
    from api.tables import Base

    engine = get_engine(app)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert not [d for d in differences if "insights_results" in repr(d)], differences

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0006")
    with engine.connect() as connection:
        assert "insights_results" not in inspect(connection).get_table_names()
    upgrade(engine)
    with engine.connect() as connection:
        assert "insights_results" in inspect(connection).get_table_names()
    with session_factory(app)() as session:
        assert session.scalar(select(func.count()).select_from(StoredInsights)) == 0
