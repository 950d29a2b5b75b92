"""Cluster insights from the database: the figures (JSON), the HTML report and the XLSX tables.

The figures are those of ``matcher insights`` (:func:`matcher.insights.cluster_insights`),
computed from

- the profiles of the live members (every network: partners abroad fill the home gaps),
- the known links between live members (the links table, as ``GET /export/links`` gives it;
  feedback does not become links here, it is counted under outcomes),
- the matchmaking outcomes read from the feedback of the home members (:func:`feedback_outcomes`),
- and the active model version, which ranks the partners abroad for each gap and the suggested
  partnerships of the network graph.

The database keeps no history of profiles, so there is no movement between snapshots here:
``matcher insights --profiles NOW --previous EARLIER`` compares two profile files.

Computing the figures takes seconds on thousands of profiles (about 4 s on the 2,150 of the
sample), rendering a report's charts about 2 s per language; each worker therefore keeps the last
few results (:class:`InsightsCache`), keyed by the network, the active model version and the data
revision (:func:`data_revision`), and renders each report, chart set and XLSX once per result.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from flask import Response, current_app
from flask_openapi3 import APIBlueprint, Tag
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcher.errors import InputError
from matcher.insights import ClusterInsights, cluster_insights, validate_outcomes
from matcher.profiles import HOME_NETWORK, Link
from matcher.report import charts, network_layout, render_report, write_tables

from .auth import Caller, current_caller, require
from .db import get_db
from .errors import abort
from .schemas import InsightsOut, InsightsQuery, InsightsReportQuery
from .serving import holder, live_profile_frame
from .tables import FeedbackEvent, KnownLink, Member, utcnow

logger = logging.getLogger(__name__)

bp = APIBlueprint(
    "insights",
    __name__,
    url_prefix="/api/v1/insights",
    abp_tags=[Tag(name="insights")],
    abp_security=[{"bearer": []}],
)

#: Results kept per worker when ``INSIGHTS_CACHE_SIZE`` is not configured.
DEFAULT_CACHE_SIZE = 4
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: The report is one self-contained page: its own inline styles and SVG, nothing else.
REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)
#: Feedback events that say a suggestion led somewhere, as the outcome flags of
#: :data:`matcher.insights.OUTCOME_COLUMNS` (every event means the suggestion was shown).
OUTCOME_EVENTS = {"accepted": "accepted", "meeting": "meeting_held", "deal": "deal"}

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
    """Return a value that changes whenever a profile, a link or a feedback event changes.

    Members: their number and the last ``updated_at`` (an update, a withdrawal or a return
    moves it; an erasure changes the number). Links and feedback events are only added, or
    erased with a member: their number and last id.
    """
    members = session.execute(select(func.count(), func.max(Member.updated_at))).one()
    links = session.execute(select(func.count(), func.max(KnownLink.link_id))).one()
    events = session.execute(select(func.count(), func.max(FeedbackEvent.event_id))).one()
    return (*members, *links, *events)


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

    One row per member and partner with feedback (both live), in the columns of
    :data:`matcher.insights.OUTCOME_COLUMNS`: ``date`` is the day of the pair's first event
    (UTC); the feedback records no session, so ``session`` is the ISO week of that day
    (``2026-W48``): feedback on the suggestions of a matchmaking day trickles in over the
    following days. ``shown`` is true (any event means the suggestion was shown); ``accepted``,
    ``meeting_held`` and ``deal`` say whether such an event was given. None without feedback.
    """
    rows = session.execute(
        select(
            FeedbackEvent.member_id,
            FeedbackEvent.partner_id,
            FeedbackEvent.event,
            FeedbackEvent.created_at,
        )
        .join(Member, Member.member_id == FeedbackEvent.member_id)
        .where(Member.network_id == network, Member.deleted_at.is_(None))
        .order_by(FeedbackEvent.event_id)
    )
    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    for member_id, partner_id, event, created_at in rows:
        if partner_id not in live:
            continue
        day = _utc_day(created_at)
        pair = pairs.setdefault(
            (member_id, partner_id),
            {"date": day, "shown": True, **{flag: False for flag in OUTCOME_EVENTS.values()}},
        )
        pair["date"] = min(pair["date"], day)
        if event in OUTCOME_EVENTS:
            pair[OUTCOME_EVENTS[event]] = True
    if not pairs:
        return None
    raw = pd.DataFrame(
        [
            {
                "session": _iso_week(pair["date"]),
                "member_id": member_id,
                "partner_id": partner_id,
                **pair,
            }
            for (member_id, partner_id), pair in pairs.items()
        ]
    )
    return validate_outcomes(raw, live, source="feedback", unit="record", first_row=1)


def _utc_day(moment: dt.datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.date().isoformat()


def _iso_week(day: str) -> str:
    year, week, _ = dt.date.fromisoformat(day).isocalendar()
    return f"{year}-W{week:02d}"


def compute_insights(session: Session, network: str, matcher) -> ClusterInsights:
    """Compute the insights of `network` from the database with the fitted `matcher`.

    Aborts with 404 when the network has no live members.
    """
    try:
        frame = live_profile_frame(session)
    except InputError as error:
        abort(404, str(error))
    if not (frame["network"] == network).any():
        abort(404, f"the network {network!r} has no live members")
    live = set(frame.index)
    return cluster_insights(
        frame,
        known_links(session, live),
        matcher=matcher,
        outcomes=feedback_outcomes(session, network, live),
        home_network=network,
    )


# ---------------------------------------------------------------------------------------------
# One computed result and what is rendered from it
# ---------------------------------------------------------------------------------------------


@dataclass
class InsightsResult:
    """The insights of one network for one model version and data revision, and their renderings
    (each made on first use, then kept)."""

    network: str
    model_version: int
    insights: ClusterInsights
    computed_at: dt.datetime = field(default_factory=utcnow)
    _rendered: dict[tuple, Any] = field(default_factory=dict, repr=False)
    _locks: dict[tuple, threading.Lock] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _once(self, key: tuple, make: Callable[[], Any]) -> Any:
        """Return ``make()``, made once per `key`: a rendering in progress blocks only the
        requests for the same rendering."""
        found = self._rendered.get(key, _MISSING)
        if found is not _MISSING:
            return found
        with self._lock:
            making = self._locks.setdefault(key, threading.Lock())
        with making:
            found = self._rendered.get(key, _MISSING)
            if found is _MISSING:
                found = self._rendered[key] = make()
            return found

    def payload(self) -> dict[str, Any]:
        """The JSON of ``GET /api/v1/insights`` (see :class:`api.schemas.InsightsOut`)."""
        return self._once(
            ("payload",),
            lambda: {
                "model_version": self.model_version,
                "computed_at": self.computed_at.isoformat(),
                **self.insights.to_dict(),
            },
        )

    def json_body(self) -> str:
        """The payload encoded once."""
        return self._once(("json",), lambda: current_app.json.dumps(self.payload()) + "\n")

    def report(self, language: str) -> str:
        """The self-contained HTML report in `language` (``uk``, ``en`` or ``both``)."""

        def make() -> str:
            with _RENDERING:
                return render_report(
                    self.insights, language, generated=self.computed_at.date().isoformat()
                )

        return self._once(("report", language), make)

    def xlsx(self) -> bytes:
        """Every table of the report as XLSX bytes, one sheet each."""

        def make() -> bytes:
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "tables.xlsx"
                write_tables(self.insights, path)
                return path.read_bytes()

        return self._once(("xlsx",), make)

    def charts(self, language: str) -> dict[str, Markup | None]:
        """The report's charts in `language` (``en`` or ``uk``) as SVG; None where empty."""

        def make() -> dict[str, Markup | None]:
            layout = self._once(("layout",), lambda: network_layout(self.insights))
            with _RENDERING:
                return charts(self.insights, language, layout)

        return self._once(("charts", language), make)

    def file_name(self, suffix: str) -> str:
        """A download name: ``cluster-insights-<network>-<date><suffix>``."""
        network = re.sub(r"[^A-Za-z0-9._-]+", "-", self.network).strip("-") or "network"
        return f"cluster-insights-{network}-{self.computed_at.date().isoformat()}{suffix}"


class InsightsCache:
    """Per-worker LRU of :class:`InsightsResult` by (network, model version, data revision).

    A result that is being computed is computed once: other requests for it wait.
    """

    def __init__(self, size: int):
        self.size = size
        self._results: OrderedDict[tuple, InsightsResult] = OrderedDict()
        self._computing: dict[tuple, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple, compute: Callable[[], InsightsResult]) -> InsightsResult:
        """Return the result of `key`, calling `compute` when it is not kept."""
        with self._lock:
            found = self._results.get(key)
            if found is not None:
                self._results.move_to_end(key)
                return found
            computing = self._computing.setdefault(key, threading.Lock())
        with computing:
            with self._lock:
                found = self._results.get(key)
            if found is not None:
                return found
            try:
                result = compute()
            finally:
                with self._lock:
                    self._computing.pop(key, None)
            if self.size > 0:
                with self._lock:
                    self._results[key] = result
                    while len(self._results) > self.size:
                        self._results.popitem(last=False)
            return result


def _cache() -> InsightsCache:
    app = current_app
    cache = app.extensions.get("matcher_insights_cache")
    if cache is None:
        size = int(app.config.get("INSIGHTS_CACHE_SIZE", DEFAULT_CACHE_SIZE))
        cache = app.extensions["matcher_insights_cache"] = InsightsCache(size)
    return cache


def current_insights(session: Session, caller: Caller, network: str | None) -> InsightsResult:
    """Return the insights of the network `caller` asked for, on the current data and model.

    The one path of the API and the manager pages. Aborts with 403 (see
    :func:`home_network_for`), 404 for a network without live members, 503 without a model.
    """
    home = home_network_for(caller, network)
    served = holder().get(session)
    if served is None:
        abort(503, "no model is active yet: a manager must train one (POST /api/v1/models/retrain)")
    key = (home, served.version_id, data_revision(session))

    def compute() -> InsightsResult:
        started = time.perf_counter()
        insights = compute_insights(session, home, served.matcher)
        logger.info(
            "insights of %s computed with model version %s in %.1f s",
            home,
            served.version_id,
            time.perf_counter() - started,
        )
        return InsightsResult(home, served.version_id, insights)

    return _cache().get(key, compute)


# ---------------------------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------------------------

_DESCRIPTION_NOTE = (
    " A manager sees its own network; an admin may name one with `network`. Members' profiles, "
    "the known links and the feedback (as outcomes: each ISO week with feedback is a session) come "
    "from the database, the gap partners and suggested partnerships from the active model. The "
    "database keeps no history of profiles: to compare two snapshots, export the members at "
    "each date and run `matcher insights --profiles NOW --previous EARLIER`."
)


@bp.get(
    "",
    responses={200: InsightsOut},
    description="The figures of the managers' report as JSON: gradation, supply and demand "
    "with the gaps and the best partners abroad, markets, the partnership network and "
    "matchmaking outcomes." + _DESCRIPTION_NOTE,
)
@require("manager", "admin")
def insights_json(query: InsightsQuery):
    """Cluster insights of the home network (JSON)."""
    result = current_insights(get_db(), current_caller(), query.network)
    return Response(result.json_body(), mimetype="application/json")


def report_response(result: InsightsResult, language: str) -> Response:
    """The HTML report as a page of its own (inline styles allowed, nothing else)."""
    response = Response(result.report(language), mimetype="text/html")
    response.headers["Content-Security-Policy"] = REPORT_CSP
    response.headers["Content-Disposition"] = (
        f'inline; filename="{result.file_name(f"-{language}.html")}"'
    )
    return response


def xlsx_response(result: InsightsResult) -> Response:
    """The XLSX tables as a download."""
    response = Response(result.xlsx(), mimetype=XLSX_MEDIA_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{result.file_name(".xlsx")}"'
    return response


@bp.get(
    "/report",
    responses={
        "200": {
            "description": "One self-contained HTML page: inline styles and SVG charts, no "
            "script, nothing from other sites; printable on A4.",
            "content": {"text/html": {"schema": {"type": "string"}}},
        }
    },
    description="The managers' report as self-contained HTML, in Ukrainian, English or "
    "both." + _DESCRIPTION_NOTE,
)
@require("manager", "admin")
def insights_report(query: InsightsReportQuery):
    """Cluster insights report (HTML)."""
    result = current_insights(get_db(), current_caller(), query.network)
    return report_response(result, query.language)


@bp.get(
    "/tables.xlsx",
    responses={
        "200": {
            "description": "Every table of the report, one sheet each (text cells that a "
            "spreadsheet would read as a formula start with an apostrophe).",
            "content": {XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        }
    },
    description="The tables of the managers' report as XLSX." + _DESCRIPTION_NOTE,
)
@require("manager", "admin")
def insights_tables(query: InsightsQuery):
    """Cluster insights tables (XLSX)."""
    result = current_insights(get_db(), current_caller(), query.network)
    return xlsx_response(result)
