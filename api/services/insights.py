"""Cluster insights from the database: the figures (JSON), the HTML report and the XLSX tables,
computed in the background and shared by every worker.

The figures are those of ``matcher insights`` (:func:`matcher.insights.cluster.cluster_insights`),
computed from

- the profiles of the live members (every network: partners abroad fill the home gaps),
- the known links between live members (the links table, as ``GET /export/links`` gives it;
  feedback does not become links here, it is counted under outcomes),
- the matchmaking outcomes read from the feedback of the home members (:func:`feedback_outcomes`),
- and the active model version, which ranks the partners abroad for each gap and the suggested
  partnerships of the network graph.

The database keeps no history of profiles, so there is no movement between snapshots here:
``matcher insights --profiles NOW --previous EARLIER`` compares two profile files.

Off the request path
--------------------
Computing the figures and drawing the report's charts takes tens of seconds on the sample
cluster: done within a request, it blocked a worker for as long, and every worker did it again.
So a request never computes them. It works out the key of the figures it needs (the network,
the active model version and a digest of :func:`data_revision`) and looks up their row in
``insights_results`` (:class:`api.tables.StoredInsights`):

- ``ready``: the stored figures are served (each worker keeps the last few results it read,
  :data:`DEFAULT_CACHE_SIZE`, by result id).
- no row: the request inserts one (``computing``) and starts :func:`compute_stored_insights` in
  a thread of its worker. The key is unique, so of two workers racing, one inserts and computes,
  the other reads its row. The thread computes the figures, renders everything served from them
  (the JSON, the charts in both languages, the three reports, the XLSX) and stores them; or
  stores why it failed. Meanwhile it renews a heartbeat, as retraining does
  (:mod:`api.services.serving`).
- ``computing`` by a process that is gone (this host's pid no longer runs) or silent for
  ``INSIGHTS_ABANDONED_SECONDS``: the request takes the row over (``attempt`` + 1; only the
  current attempt may store its result) and computes it again.
- ``failed``: reported with its reason for ``INSIGHTS_RETRY_SECONDS``; the first request after
  that starts a new attempt.

While the current figures are not ready, the newest ready figures of the network (older data or
another model) are served instead, marked ``stale``, unless a member has been erased since
they were computed: figures naming an erased member are never served. Without such figures the
API answers ``202 Accepted`` (a job document, ``Retry-After``), or the failure as problem+json.

This module computes, stores and finds the figures, for the API (:mod:`api.insights`) and the
manager pages (:mod:`api.web.insights_pages`) alike; the answers are theirs, and the downloads'
(:func:`api.downloads.report_response`, :func:`api.downloads.xlsx_response`). A version that
training activates starts the new figures at once (:func:`init_app` registers
:func:`refresh_insights` with :func:`api.services.serving.on_activation`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
import tempfile
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from flask import Flask, current_app
from markupsafe import Markup
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from matcher.engine.artifacts import ArtifactError, load_model
from matcher.errors import InputError
from matcher.insights.cluster import ClusterInsights, cluster_insights
from matcher.insights.common import LANGUAGES
from matcher.insights.outcomes import outcomes_from_feedback
from matcher.insights.report import (
    REPORT_LANGUAGES,
    charts,
    network_layout,
    render_report,
    write_tables,
)
from matcher.profiles import HOME_NETWORK, Link

from ..auth import Caller
from ..db import session_factory
from ..errors import ApiError, abort
from ..tables import FeedbackEvent, KnownLink, Member, ModelVersion, StoredInsights, utcnow
from .feedback import network_feedback
from .networks import network_names
from .serving import (
    ABANDONED_AFTER,
    HEARTBEAT_SECONDS,
    holder,
    live_profile_frame,
    on_activation,
    process_gone,
    trainer_id,
)

logger = logging.getLogger(__name__)

#: Results kept per worker when ``INSIGHTS_CACHE_SIZE`` is not configured.
DEFAULT_CACHE_SIZE = 4
#: ``Retry-After`` (seconds) while the figures are computed (``INSIGHTS_POLL_SECONDS``).
DEFAULT_POLL_SECONDS = 5
#: How long a failure is reported before a request tries again (``INSIGHTS_RETRY_SECONDS``).
DEFAULT_RETRY_SECONDS = 60
#: What a failed computation tells a manager when the cause is not theirs to fix.
UNEXPECTED_FAILURE = "an unexpected error occurred while computing them; it has been logged"

_MISSING = object()

# matplotlib draws one figure at a time per process: figures are not shared between threads,
# but its font and text caches are.
_RENDERING = threading.Lock()


# ---------------------------------------------------------------------------------------------
# The data
# ---------------------------------------------------------------------------------------------


def home_network_for(caller: Caller, requested: str | None) -> str:
    """Return the network whose insights `caller` asked for.

    A manager sees its own network (another one is 403); an admin any network, the home
    cluster by default. Aborts with 403 for a member or a manager without a network.
    """
    if caller.role == "admin":
        return requested or HOME_NETWORK
    if caller.role != "manager":
        abort(403, f"insights need the role manager or admin; you are {caller.role!r}")
    if not caller.network_id:
        abort(403, "you look after no network; an admin can give you one")
    if requested and requested != caller.network_id:
        abort(
            403,
            f"you manage the network {caller.network_id!r}; only an admin may see the insights "
            f"of {requested!r}",
        )
    return caller.network_id


def data_revision(session: Session) -> tuple:
    """Return a value that changes whenever a profile, a link, a feedback event or a network's
    name changes.

    Members: their number and the last ``updated_at`` (an update, a withdrawal or a return
    moves it; an erasure changes the number). Links and feedback events are only added, or
    erased with a member: their number and last id. The networks' names (the report's words
    for them) as they are.
    """
    members = session.execute(select(func.count(), func.max(Member.updated_at))).one()
    links = session.execute(select(func.count(), func.max(KnownLink.link_id))).one()
    events = session.execute(select(func.count(), func.max(FeedbackEvent.event_id))).one()
    names = json.dumps(network_names(session), sort_keys=True, ensure_ascii=False)
    return (*members, *links, *events, names)


def known_links(session: Session, live: set[str]) -> list[Link]:
    """Return the known links between live members (the links table)."""
    rows = session.execute(
        select(KnownLink.source_id, KnownLink.target_id, KnownLink.kind, KnownLink.date).order_by(
            KnownLink.link_id
        )
    )
    return [Link(s, t, k, d) for s, t, k, d in rows if s in live and t in live]


def feedback_outcomes(session: Session, network: str, live: set[str]) -> pd.DataFrame | None:
    """Return the outcomes of the suggestions made to the live members of `network`.

    The feedback of the network's live members about live partners
    (:func:`api.services.feedback.network_feedback`) as outcome rows, by the rule of
    :func:`matcher.insights.outcomes.outcomes_from_feedback`: one row per member and partner,
    ``shown`` only when a ``shown`` event was given, the ISO week of the pair's first event as
    its session. None without feedback.
    """
    events = (
        (member_id, partner_id, event, created_at.date().isoformat())
        for member_id, partner_id, event, created_at in network_feedback(session, network)
    )
    return outcomes_from_feedback(events, live)


def revision_digest(session: Session) -> str:
    """A digest of :func:`data_revision`: the data part of the key of stored insights."""
    text = json.dumps(
        [
            value.isoformat() if isinstance(value, dt.datetime) else value
            for value in data_revision(session)
        ],
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def has_live_members(session: Session, network: str) -> bool:
    """Whether `network` has a live member (a cheap check before any computation)."""
    return (
        session.scalar(
            select(Member.member_id)
            .where(Member.network_id == network, Member.deleted_at.is_(None))
            .limit(1)
        )
        is not None
    )


#: Member ids per query when checking that they all still exist.
_IDS_PER_QUERY = 500


def erased_among(session: Session, member_ids: list[str]) -> bool:
    """Whether a member of `member_ids` has been erased (its row is gone; a withdrawal keeps
    the row)."""
    present = 0
    for start in range(0, len(member_ids), _IDS_PER_QUERY):
        chunk = member_ids[start : start + _IDS_PER_QUERY]
        present += session.scalar(select(func.count()).where(Member.member_id.in_(chunk))) or 0
    return present < len(member_ids)


@dataclass(frozen=True)
class InsightsInputs:
    """What the figures of one network are computed from, read in one go."""

    frame: pd.DataFrame
    links: list[Link]
    outcomes: pd.DataFrame | None
    #: The networks' display names (:func:`api.services.networks.network_names`).
    network_names: dict[str, dict[str, str]] = field(default_factory=dict)


def insights_inputs(session: Session, network: str) -> InsightsInputs:
    """Read the profiles, links and outcomes of the insights of `network`.

    Aborts with 404 when the network has no live members (raises the
    :class:`~api.errors.ApiError` outside a request).
    """
    try:
        frame = live_profile_frame(session)
    except InputError as error:
        abort(404, str(error))
    if not (frame["network"] == network).any():
        abort(404, f"the network {network!r} has no live members")
    live = set(frame.index)
    return InsightsInputs(
        frame,
        known_links(session, live),
        feedback_outcomes(session, network, live),
        network_names(session),
    )


def insights_from(inputs: InsightsInputs, network: str, matcher) -> ClusterInsights:
    """Compute the insights of `network` from its `inputs` with the fitted `matcher`."""
    return cluster_insights(
        inputs.frame,
        inputs.links,
        matcher=matcher,
        outcomes=inputs.outcomes,
        home_network=network,
        network_names=inputs.network_names,
    )


def compute_insights(session: Session, network: str, matcher) -> ClusterInsights:
    """Compute the insights of `network` from the database with the fitted `matcher`.

    Aborts with 404 when the network has no live members. Takes seconds to tens of seconds:
    the service runs it only in the background (:func:`compute_stored_insights`).
    """
    return insights_from(insights_inputs(session, network), network, matcher)


# ---------------------------------------------------------------------------------------------
# The background computation
# ---------------------------------------------------------------------------------------------


def _setting(app: Flask, key: str, default: float) -> float:
    return float(app.config.get(key, default))


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    """`moment` with its UTC offset (SQLite returns naive UTC datetimes)."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment


def _iso(moment: dt.datetime | None) -> str | None:
    moment = _aware(moment)
    return moment.isoformat() if moment is not None else None


def _pack(value: Any) -> bytes:
    return zlib.compress(json.dumps(value, ensure_ascii=False).encode("utf-8"))


def _unpack(blob: bytes) -> Any:
    return json.loads(zlib.decompress(blob).decode("utf-8"))


@dataclass(frozen=True)
class InsightsJob:
    """The state of one computation of stored insights (a row that is not ``ready``)."""

    result_id: int
    network: str
    model_version: int
    status: str
    attempt: int
    requested_at: dt.datetime
    started_at: dt.datetime | None
    heartbeat_at: dt.datetime | None
    finished_at: dt.datetime | None
    error: str | None
    error_status: int | None
    #: Seconds after which asking again makes sense (the poll interval while computing; the
    #: time left until a new attempt after a failure).
    retry_after: int

    @property
    def detail(self) -> str:
        """A sentence that says what is going on, for people."""
        if self.status == "computing":
            return (
                f"the insights of {self.network} are being computed (model version "
                f"{self.model_version}); ask again in {self.retry_after} s"
            )
        return (
            f"computing the insights of {self.network} failed: {self.error}; a request in "
            f"{self.retry_after} s or later computes them again"
        )

    def to_dict(self) -> dict[str, Any]:
        """The job document of the API (:class:`api.schemas.insights.InsightsJobOut`)."""
        return {
            "status": self.status,
            "network": self.network,
            "model_version": self.model_version,
            "attempt": self.attempt,
            "requested_at": _iso(self.requested_at),
            "started_at": _iso(self.started_at),
            "heartbeat_at": _iso(self.heartbeat_at),
            "finished_at": _iso(self.finished_at),
            "error": self.error,
            "retry_after": self.retry_after,
            "detail": self.detail,
        }


def _job_of(app: Flask, row: StoredInsights, now: dt.datetime) -> InsightsJob:
    if row.status == "failed":
        retry_at = (_aware(row.finished_at) or now) + dt.timedelta(
            seconds=_setting(app, "INSIGHTS_RETRY_SECONDS", DEFAULT_RETRY_SECONDS)
        )
        retry_after = max(1, int((retry_at - now).total_seconds() + 0.999))
    else:
        retry_after = max(1, int(_setting(app, "INSIGHTS_POLL_SECONDS", DEFAULT_POLL_SECONDS)))
    return InsightsJob(
        result_id=row.result_id,
        network=row.network_id,
        model_version=row.model_version,
        status=row.status,
        attempt=row.attempt,
        requested_at=row.created_at,
        started_at=row.started_at,
        heartbeat_at=row.heartbeat_at,
        finished_at=row.finished_at,
        error=row.error,
        error_status=row.error_status,
        retry_after=retry_after,
    )


def _abandonment(app: Flask, row: StoredInsights, now: dt.datetime) -> str | None:
    """Why the computation of `row` is taken for abandoned, or None while it goes on."""
    if process_gone(row.trainer):
        return f"the computing process {row.trainer} ended before it finished"
    last_word = _aware(row.heartbeat_at or row.started_at or row.created_at)
    limit = dt.timedelta(
        seconds=_setting(app, "INSIGHTS_ABANDONED_SECONDS", ABANDONED_AFTER.total_seconds())
    )
    if last_word is None or now - last_word > limit:
        return (
            f"no word from the computing process {row.trainer or '(not started)'} since "
            f"{_iso(last_word) or 'its creation'}"
        )
    return None


def _due_again(app: Flask, row: StoredInsights, now: dt.datetime) -> str | None:
    """Why `row` must be computed again now (abandoned, or failed long enough ago), or None."""
    if row.status == "computing":
        return _abandonment(app, row, now)
    if row.status == "failed":
        failed_at = _aware(row.finished_at) or now
        wait = dt.timedelta(seconds=_setting(app, "INSIGHTS_RETRY_SECONDS", DEFAULT_RETRY_SECONDS))
        if now - failed_at >= wait:
            return f"attempt {row.attempt} failed ({row.error})"
    return None


def claim_insights(
    app: Flask, network: str, model_version: int, revision: str
) -> tuple[StoredInsights, bool]:
    """Return the row of the insights of (`network`, `model_version`, `revision`), and whether
    this call started computing them.

    Inserts the row (``computing``) when there is none, or takes it over when its computation
    was abandoned or failed long enough ago, and then starts the computation in a thread. Works
    in sessions of its own, so that it sees what other workers committed meanwhile; the row it
    returns is detached and without its stored parts.
    """
    sessions = session_factory(app)
    key = (
        StoredInsights.network_id == network,
        StoredInsights.model_version == model_version,
        StoredInsights.data_revision == revision,
    )
    for _ in range(3):
        started = False
        now = utcnow()
        try:
            with sessions.begin() as session:
                row = session.scalar(select(StoredInsights).where(*key))
                if row is None:
                    row = StoredInsights(
                        network_id=network,
                        model_version=model_version,
                        data_revision=revision,
                        status="computing",
                        attempt=1,
                        trainer=trainer_id(),
                        created_at=now,
                        started_at=now,
                        heartbeat_at=now,
                    )
                    session.add(row)
                    session.flush()
                    started = True
                elif (reason := _due_again(app, row, now)) is not None:
                    # Only one worker wins: the update names the attempt it read.
                    taken = session.execute(
                        update(StoredInsights)
                        .where(
                            StoredInsights.result_id == row.result_id,
                            StoredInsights.attempt == row.attempt,
                        )
                        .values(
                            status="computing",
                            attempt=row.attempt + 1,
                            trainer=trainer_id(),
                            started_at=now,
                            heartbeat_at=now,
                            finished_at=None,
                            error=None,
                            error_status=None,
                        )
                    ).rowcount
                    if taken == 1:
                        logger.warning(
                            "insights of %s (result %s) computed again: %s",
                            network,
                            row.result_id,
                            reason,
                        )
                        started = True
                    session.refresh(row)
                session.expunge(row)
        except IntegrityError:
            # Another worker inserted the same key first: read its row.
            continue
        if started:
            start_computing(app, row.result_id, row.attempt)
        return row, started
    raise RuntimeError(f"the insights row of {network!r} could be neither inserted nor read")


class _JobHeartbeat:
    """Mark a computation as alive every :data:`api.services.serving.HEARTBEAT_SECONDS` from a
    thread until :meth:`stop` (only while its attempt is the current one)."""

    def __init__(self, app: Flask, result_id: int, attempt: int):
        self.sessions, self.result_id, self.attempt = session_factory(app), result_id, attempt
        self.stopped = threading.Event()
        self.thread = threading.Thread(
            target=self.run, name=f"insights-heartbeat-{result_id}", daemon=True
        )
        self.thread.start()

    def beat(self) -> None:
        with self.sessions.begin() as session:
            session.execute(
                update(StoredInsights)
                .where(
                    StoredInsights.result_id == self.result_id,
                    StoredInsights.attempt == self.attempt,
                    StoredInsights.status == "computing",
                )
                .values(heartbeat_at=utcnow(), trainer=trainer_id())
            )

    def run(self) -> None:
        while not self.stopped.wait(HEARTBEAT_SECONDS):
            try:
                self.beat()
            except Exception:  # a missed beat is retried; the computation goes on
                logger.warning(
                    "insights result %s: heartbeat not stored", self.result_id, exc_info=True
                )

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=HEARTBEAT_SECONDS)


def _matcher_for(app: Flask, session: Session, model_version: int):
    """The fitted matcher of `model_version`: the worker's served one when it is that version
    (the usual case), else read from its artifact."""
    served = holder(app).get(session)
    if served is not None and served.version_id == model_version:
        return served.matcher
    name = session.scalar(select(ModelVersion.name).where(ModelVersion.version_id == model_version))
    try:
        matcher, _ = load_model(name or "", app.config["MODELS_DIR"])
    except ArtifactError as error:
        raise ArtifactError(f"model version {model_version} could not be loaded: {error}") from None
    return matcher


def render_parts(
    app: Flask, insights: ClusterInsights, model_version: int, computed_at: dt.datetime
) -> dict[str, bytes]:
    """Everything served from `insights`, as stored: the JSON payload, the charts and the
    reports (compressed JSON) and the XLSX tables."""
    payload = {
        "model_version": model_version,
        "computed_at": computed_at.isoformat(),
        **insights.to_dict(),
    }
    with _RENDERING:
        layout = network_layout(insights)
        drawn = {language: charts(insights, language, layout) for language in LANGUAGES}
        generated = computed_at.date().isoformat()
        reports = {
            language: render_report(insights, language, generated=generated, drawn=drawn)
            for language in REPORT_LANGUAGES
        }
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tables.xlsx"
        write_tables(insights, path)
        tables = path.read_bytes()
    return {
        "payload": zlib.compress(app.json.dumps(payload).encode("utf-8")),
        "charts": _pack(
            {
                language: {
                    name: (str(svg) if svg is not None else None) for name, svg in chart.items()
                }
                for language, chart in drawn.items()
            }
        ),
        "reports": _pack(reports),
        "tables": tables,
    }


def failure_of(error: BaseException) -> tuple[int, str]:
    """The HTTP status and the reason told to managers for a failed computation.

    The service's own refusals (no live members, 404) and input the engine refused (422) say
    what is wrong; any other error is a failure of the service, whose text (numpy's and
    pandas' messages) is logged, not shown.
    """
    if isinstance(error, ArtifactError):
        return 503, str(error)
    if isinstance(error, HTTPException):
        return error.code or 500, error.description or UNEXPECTED_FAILURE
    if isinstance(error, InputError):
        return 422, str(error)
    return 500, UNEXPECTED_FAILURE


def compute_stored_insights(app: Flask, result_id: int, attempt: int) -> bool:
    """Compute, render and store the insights of the row `result_id` (its attempt `attempt`).

    On success the row is ``ready`` with its parts, and the older results of its network are
    deleted (the newest ready one is all that is served); on failure it is ``failed`` with the
    reason. Stores nothing when another worker took the row over meanwhile. Returns whether the
    result was stored.
    """
    sessions = session_factory(app)
    beating = _JobHeartbeat(app, result_id, attempt)
    network, model_version = "?", 0
    try:
        with app.app_context():
            started = time.perf_counter()
            with sessions() as session:
                row = session.get(StoredInsights, result_id)
                if row is None or row.attempt != attempt:
                    return False
                network, model_version = row.network_id, row.model_version
                matcher = _matcher_for(app, session, model_version)
                inputs = insights_inputs(session, network)
            insights = insights_from(inputs, network, matcher)
            computed_at = utcnow()
            parts = render_parts(app, insights, model_version, computed_at)
        with sessions.begin() as session:
            stored = session.execute(
                update(StoredInsights)
                .where(
                    StoredInsights.result_id == result_id,
                    StoredInsights.attempt == attempt,
                    StoredInsights.status == "computing",
                )
                .values(
                    status="ready",
                    finished_at=utcnow(),
                    computed_at=computed_at,
                    # The figures name only the members they were computed from.
                    member_ids=_pack(sorted(inputs.frame.index)),
                    **parts,
                )
            ).rowcount
            if stored:
                _delete_superseded(session, network)
        if stored:
            logger.info(
                "insights of %s computed with model version %s in %.1f s (result %s)",
                network,
                model_version,
                time.perf_counter() - started,
                result_id,
            )
        else:
            logger.warning(
                "insights result %s attempt %s was taken over or superseded; not stored",
                result_id,
                attempt,
            )
        return bool(stored)
    except Exception as error:
        status, reason = failure_of(error)
        if status >= 500 and reason == UNEXPECTED_FAILURE:
            logger.exception("computing the insights of %s (result %s) failed", network, result_id)
        else:
            logger.warning(
                "computing the insights of %s (result %s) failed: %s", network, result_id, reason
            )
        with sessions.begin() as session:
            session.execute(
                update(StoredInsights)
                .where(
                    StoredInsights.result_id == result_id,
                    StoredInsights.attempt == attempt,
                    StoredInsights.status == "computing",
                )
                .values(status="failed", finished_at=utcnow(), error=reason, error_status=status)
            )
        return False
    finally:
        beating.stop()


def _delete_superseded(session: Session, network: str) -> None:
    """Delete the rows of `network` older than its newest ready result: they are never served
    again, and may name members erased since. Rows are numbered in the order requests asked for
    them, so an older computation still under way can only give older figures; deleting its row
    makes it store nothing."""
    newest = session.scalar(
        select(func.max(StoredInsights.result_id)).where(
            StoredInsights.network_id == network, StoredInsights.status == "ready"
        )
    )
    if newest is not None:
        session.execute(
            delete(StoredInsights).where(
                StoredInsights.network_id == network, StoredInsights.result_id < newest
            )
        )


def start_computing(app: Flask, result_id: int, attempt: int) -> threading.Thread:
    """Run :func:`compute_stored_insights` in a background thread and return the thread.

    The thread joins the app's ``matcher_threads`` (as retraining does), so that tests and
    shutdowns can wait for it; finished ones are dropped from that list.
    """
    thread = threading.Thread(
        target=compute_stored_insights,
        args=(app, result_id, attempt),
        name=f"insights-{result_id}-{attempt}",
        daemon=True,
    )
    threads = app.extensions.setdefault("matcher_threads", [])
    for ended in [running for running in threads if not running.is_alive()]:
        threads.remove(ended)  # one by one: a thread appended meanwhile stays
    threads.append(thread)
    thread.start()
    return thread


def refresh_insights(app: Flask) -> list[int]:
    """Start computing the insights of every network that has stored ones, for the current data
    and the active model, where that is not done or under way. Returns the started result ids.

    Requests start what they need on their own; this starts it before anyone asks, for a hook
    after an import, an edit or a retrain.
    """
    sessions = session_factory(app)
    with sessions() as session:
        model_version = session.scalar(
            select(ModelVersion.version_id).where(ModelVersion.active.is_(True))
        )
        if model_version is None:
            return []
        networks = [
            network
            for network in session.scalars(select(StoredInsights.network_id).distinct()).all()
            if has_live_members(session, network)
        ]
        revision = revision_digest(session)
    started = []
    for network in sorted(networks):
        row, began = claim_insights(app, network, model_version, revision)
        if began:
            started.append(row.result_id)
    return started


# ---------------------------------------------------------------------------------------------
# One stored result and what is served from it
# ---------------------------------------------------------------------------------------------


class ResultReplaced(ApiError):
    """The stored result was deleted (replaced by newer figures) while a request read it."""

    retry_after = 1

    def __init__(self) -> None:
        super().__init__(409, "newer figures replaced these while they were read; ask again")


class InsightsResult:
    """One ready result, whose parts are read from the database on first use and kept (a
    worker reads each part of a result once)."""

    def __init__(
        self,
        app: Flask,
        result_id: int,
        network: str,
        model_version: int,
        computed_at: dt.datetime,
    ):
        self.sessions = session_factory(app)
        self.result_id, self.network, self.model_version = result_id, network, model_version
        self.computed_at = _aware(computed_at)
        self._kept: dict[tuple, Any] = {}
        self._locks: dict[tuple, threading.Lock] = {}
        self._lock = threading.Lock()

    def _once(self, key: tuple, make: Callable[[], Any]) -> Any:
        """Return ``make()``, made once per `key`: a read in progress blocks only the requests
        for the same part."""
        found = self._kept.get(key, _MISSING)
        if found is not _MISSING:
            return found
        with self._lock:
            making = self._locks.setdefault(key, threading.Lock())
        with making:
            found = self._kept.get(key, _MISSING)
            if found is _MISSING:
                found = self._kept[key] = make()
            return found

    def _column(self, name: str) -> bytes:
        with self.sessions() as session:
            blob = session.scalar(
                select(getattr(StoredInsights, name)).where(
                    StoredInsights.result_id == self.result_id
                )
            )
        if blob is None:
            raise ResultReplaced()
        return blob

    def names_erased_members(self, revision: str) -> bool:
        """Whether a member these figures were computed from has been erased since: such
        figures must not be served. Checked once per data `revision` (an erasure changes it)."""

        def check() -> bool:
            member_ids = _unpack(self._column("member_ids"))
            with self.sessions() as session:
                return erased_among(session, member_ids)

        return self._once(("erased", revision), check)

    def payload(self) -> dict[str, Any]:
        """The figures of ``GET /api/v1/insights``: ``model_version``, ``computed_at`` and
        :meth:`matcher.insights.cluster.ClusterInsights.to_dict`."""
        return self._once(("payload",), lambda: _unpack(self._column("payload")))

    def json_body(self, refresh: InsightsJob | None = None) -> str:
        """The answer of ``GET /api/v1/insights`` (:class:`api.schemas.insights.ServedInsightsOut`): the
        payload, and whether it is stale with the computation of the current figures
        (`refresh`)."""

        def encode(refresh: InsightsJob | None) -> str:
            payload = self.payload()
            head = {key: payload[key] for key in ("model_version", "computed_at")}
            rest = {key: value for key, value in payload.items() if key not in head}
            body = {
                **head,
                "stale": refresh is not None,
                "refresh": refresh.to_dict() if refresh is not None else None,
                **rest,
            }
            return current_app.json.dumps(body) + "\n"

        if refresh is None:
            return self._once(("json",), lambda: encode(None))
        return encode(refresh)

    def _reports(self) -> dict[str, str]:
        return self._once(("reports",), lambda: _unpack(self._column("reports")))

    def report(self, language: str) -> str:
        """The self-contained HTML report in `language` (``uk``, ``en`` or ``both``)."""
        return self._reports()[language]

    def xlsx(self) -> bytes:
        """Every table of the report as XLSX bytes, one sheet each."""
        return self._once(("xlsx",), lambda: self._column("tables"))

    def charts(self, language: str) -> dict[str, Markup | None]:
        """The report's charts in `language` (``en`` or ``uk``) as SVG; None where empty."""

        def make() -> dict[str, dict[str, Markup | None]]:
            stored = _unpack(self._column("charts"))
            return {
                code: {
                    name: Markup(svg) if svg is not None else None for name, svg in drawn.items()
                }
                for code, drawn in stored.items()
            }

        return self._once(("charts",), make)[language]

    def file_name(self, suffix: str) -> str:
        """A download name: ``cluster-insights-<network>-<date><suffix>``."""
        network = re.sub(r"[^A-Za-z0-9._-]+", "-", self.network).strip("-") or "network"
        return f"cluster-insights-{network}-{self.computed_at.date().isoformat()}{suffix}"


class InsightsCache:
    """Per-worker LRU of :class:`InsightsResult` by result id (stored results never change)."""

    def __init__(self, size: int):
        self.size = size
        self._results: OrderedDict[int, InsightsResult] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, result_id: int, make: Callable[[], InsightsResult]) -> InsightsResult:
        """Return the kept result `result_id`, or ``make()`` (kept from then on)."""
        with self._lock:
            found = self._results.get(result_id)
            if found is not None:
                self._results.move_to_end(result_id)
                return found
            result = make()
            if self.size > 0:
                self._results[result_id] = result
                while len(self._results) > self.size:
                    self._results.popitem(last=False)
            return result


def _cache(app: Flask) -> InsightsCache:
    cache = app.extensions.get("matcher_insights_cache")
    if cache is None:
        size = int(app.config.get("INSIGHTS_CACHE_SIZE", DEFAULT_CACHE_SIZE))
        cache = app.extensions["matcher_insights_cache"] = InsightsCache(size)
    return cache


def _result_of(app: Flask, row: StoredInsights) -> InsightsResult:
    return _cache(app).get(
        row.result_id,
        lambda: InsightsResult(
            app, row.result_id, row.network_id, row.model_version, row.computed_at
        ),
    )


@dataclass(frozen=True)
class InsightsAnswer:
    """What a request for the insights of `network` gets: the figures to show (`result`, the
    current ones or stale ones), and the computation of the current figures when they are not
    ready (`job`: computing or failed)."""

    network: str
    result: InsightsResult | None
    job: InsightsJob | None

    @property
    def stale(self) -> bool:
        """Whether `result` holds older figures than the current data and model give."""
        return self.result is not None and self.job is not None


def _stale_result(
    app: Flask, network: str, current_id: int, revision: str
) -> InsightsResult | None:
    """The newest ready result of `network` other than `current_id`, unless a member it was
    computed from has been erased since (checked once per worker and data `revision`)."""
    with session_factory(app)() as session:
        row = session.scalar(
            select(StoredInsights)
            .where(
                StoredInsights.network_id == network,
                StoredInsights.status == "ready",
                StoredInsights.result_id != current_id,
            )
            .order_by(StoredInsights.result_id.desc())
            .limit(1)
        )
        if row is None:
            return None
        session.expunge(row)
    result = _result_of(app, row)
    try:
        return None if result.names_erased_members(revision) else result
    except ResultReplaced:
        return None


def current_insights(session: Session, caller: Caller, network: str | None) -> InsightsAnswer:
    """Return the insights of the network `caller` asked for, on the current data and model,
    without computing anything: see the module's docstring.

    The one path of the API and the manager pages. Aborts with 403 (see
    :func:`home_network_for`), 404 for a network without live members, 503 without a model.
    """
    app = current_app._get_current_object()
    home = home_network_for(caller, network)
    model_version = holder().active_version_id(session)
    if model_version is None:
        abort(503, "no model is active yet: a manager must train one (POST /api/v1/models/retrain)")
    if not has_live_members(session, home):
        abort(404, f"the network {home!r} has no live members")
    revision = revision_digest(session)
    row, _ = claim_insights(app, home, model_version, revision)
    if row.status == "ready":
        return InsightsAnswer(home, _result_of(app, row), None)
    job = _job_of(app, row, utcnow())
    return InsightsAnswer(home, _stale_result(app, home, row.result_id, revision), job)


def init_app(app: Flask) -> None:
    """Start the figures of every network that has some as soon as training activates a version
    (:func:`refresh_insights`, registered with :func:`api.services.serving.on_activation`)."""
    on_activation(app, refresh_insights)
