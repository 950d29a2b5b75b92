"""Cluster insights endpoints: the figures (JSON), the HTML report and the XLSX tables.

Thin views over :mod:`api.services.insights`, which computes the figures in the background,
stores them and finds the ones to serve (current, or stale while newer ones are on their way):
no request computes them. This module says how the API answers: while no figures can be
served, 202 with the computation's state or its failure as problem+json (``Retry-After`` in
both); the report and the tables with the ``Insights-Stale`` header. The answers' documents
are :mod:`api.schemas.insights`.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from flask import Response, current_app
from flask_openapi3 import APIBlueprint, Tag

from .auth import current_caller, require
from .db import get_db
from .downloads import XLSX_MEDIA_TYPE, report_response, xlsx_response
from .errors import problem_response
from .schemas import InsightsJobOut, InsightsQuery, InsightsReportQuery, ServedInsightsOut
from .services.insights import InsightsAnswer, InsightsJob, current_insights

bp = APIBlueprint(
    "insights",
    __name__,
    url_prefix="/api/v1/insights",
    abp_tags=[Tag(name="insights")],
    abp_security=[{"bearer": []}],
)

#: Says whether a report or XLSX answer holds stale figures (``true``/``false``).
STALE_HEADER = "Insights-Stale"


# ---------------------------------------------------------------------------------------------
# While no figures can be served
# ---------------------------------------------------------------------------------------------


def _problem_with_job(job: InsightsJob) -> Response:
    """The failure of `job` as problem+json, with the job document as an extension member."""
    response = problem_response(
        job.error_status or 500, job.detail, headers={"Retry-After": str(job.retry_after)}
    )
    body = json.loads(response.get_data(as_text=True))
    body["job"] = job.to_dict()
    response.set_data(json.dumps(body, ensure_ascii=False))
    return response


def job_response(job: InsightsJob) -> Response:
    """The answer while no figures can be served: 202 with the job document while computing,
    the failure as problem+json once failed; ``Retry-After`` in both."""
    if job.status == "failed":
        return _problem_with_job(job)
    response = Response(
        current_app.json.dumps(job.to_dict()) + "\n", status=202, mimetype="application/json"
    )
    response.headers["Retry-After"] = str(job.retry_after)
    return response


# ---------------------------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------------------------

_DESCRIPTION_NOTE = (
    " A manager sees its own network; an admin may name one with `network`. Members' profiles, "
    "the known links and the feedback (as outcomes: each ISO week with feedback is a session) come "
    "from the database, the gap partners and suggested partnerships from the active model. The "
    "database keeps no history of profiles: to compare two snapshots, export the members at "
    "each date and run `matcher insights --profiles NOW --previous EARLIER`."
    "\n\nThe figures are computed in the background, once per network, model version and data "
    "revision, and shared by every worker: no request waits for them. Until they are ready the "
    "newest older figures are served, marked stale (unless a member was erased since); "
    "without any, the answer is 202 Accepted with the computation's state and `Retry-After`. "
    "A failed computation is answered as a problem (its `job` member says why) until a "
    "request after `Retry-After` seconds starts a new attempt."
)

_STALE_HEADER_DOC = {
    STALE_HEADER: {
        "description": "`true` when the figures are older than the current data or model "
        "(newer ones are being computed), else `false`.",
        "schema": {"type": "string", "enum": ["true", "false"]},
    }
}


def _answer(
    query: InsightsQuery, render: Callable[[InsightsAnswer], Response], mark: bool = False
) -> Response:
    """The figures of the network asked for as `render` makes them (with the
    ``Insights-Stale`` header when `mark`), or the job while none can be served."""
    answer = current_insights(get_db(), current_caller(), query.network)
    if answer.result is None:
        return job_response(answer.job)
    response = render(answer)
    if mark:
        response.headers[STALE_HEADER] = "true" if answer.stale else "false"
    return response


@bp.get(
    "",
    responses={200: ServedInsightsOut, 202: InsightsJobOut},
    description="The figures of the managers' report as JSON: gradation, supply and demand "
    "with the gaps and the best partners abroad, markets, the partnership network and "
    "matchmaking outcomes." + _DESCRIPTION_NOTE,
)
@require("manager", "admin")
def insights_json(query: InsightsQuery):
    """Cluster insights of the home network (JSON)."""
    return _answer(
        query,
        lambda answer: Response(answer.result.json_body(answer.job), mimetype="application/json"),
    )


@bp.get(
    "/report",
    responses={
        "200": {
            "description": "One self-contained HTML page: inline styles and SVG charts, no "
            "script, nothing from other sites; printable on A4.",
            "content": {"text/html": {"schema": {"type": "string"}}},
            "headers": _STALE_HEADER_DOC,
        },
        202: InsightsJobOut,
    },
    description="The managers' report as self-contained HTML, in Ukrainian, English or "
    "both." + _DESCRIPTION_NOTE,
)
@require("manager", "admin")
def insights_report(query: InsightsReportQuery):
    """Cluster insights report (HTML)."""
    return _answer(query, lambda answer: report_response(answer.result, query.language), mark=True)


@bp.get(
    "/tables.xlsx",
    responses={
        "200": {
            "description": "Every table of the report, one sheet each (text cells that a "
            "spreadsheet would read as a formula start with an apostrophe).",
            "content": {XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
            "headers": _STALE_HEADER_DOC,
        },
        202: InsightsJobOut,
    },
    description="The tables of the managers' report as XLSX." + _DESCRIPTION_NOTE,
)
@require("manager", "admin")
def insights_tables(query: InsightsQuery):
    """Cluster insights tables (XLSX)."""
    return _answer(query, lambda answer: xlsx_response(answer.result), mark=True)
