"""The manager page "Insights": a network's key figures and charts, the report and its tables.

Routes on the pages' blueprint ``web`` (imported by :mod:`api.web` before the blueprint is
registered). The figures are those of ``GET /api/v1/insights``, through the same code
(:func:`api.services.insights.current_insights`): computed in the background and stored, so no
page waits for them. Until they are ready the page shows that they are being computed and
reloads itself (``Refresh``, the pages run no script) with a link to reload at once; older
figures, when there are some, are shown meanwhile with a notice that newer ones are on their
way. The charts are the report's SVGs, served as images of their own: their inline styles would
break the pages' content security policy if they were inlined. The report (inline styles,
nothing else) and the XLSX tables are served here too, so that a signed-in manager can open and
download them without a token.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, render_template, request, url_for

from matcher.insights.report import REPORT_LANGUAGES, TEXT

from ..db import get_db
from ..downloads import report_response, xlsx_response
from ..services.insights import InsightsAnswer, current_insights
from ..tables import utcnow
from . import i18n, queries
from .i18n import N_, _, current_language, format_moment
from .login import login_required, signed_in_caller
from .names import network_name
from .views import bp, error_page

#: The report's charts shown on the page, in its order (``movement`` needs two snapshots of the
#: profiles, which the database does not keep).
CHARTS = ("gradation", "supply", "markets", "network", "outcomes")
#: The labels of the report's download links, by report language.
REPORT_LINKS = {
    "uk": N_("Report in Ukrainian"),
    "en": N_("Report in English"),
    "both": N_("Report in both languages"),
}
#: Rows of the longer lists on the page (the report and the XLSX have them all).
LIST_ROWS = 10
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"


def _chosen_network() -> tuple[str | None, tuple[str, int] | None]:
    """Return the network the page is about, or the (message, status) of an error page.

    A manager sees its own network; an admin chooses (the home cluster by default).
    """
    caller = signed_in_caller()
    requested = request.args.get("network") or None
    if caller.role == "admin":
        if requested is not None and requested not in queries.live_networks(get_db()):
            return None, (_("Unknown network: {value}.", value=requested), 400)
        return requested, None
    if not caller.network_id:
        return None, (_("You look after no network; an administrator can assign you one."), 403)
    if requested is not None and requested != caller.network_id:
        message = _(
            "You manage the network {own}; only an administrator may see the insights of {network}.",
            own=network_name(caller.network_id),
            network=network_name(requested),
        )
        return None, (message, 403)
    return caller.network_id, None


def _answer() -> tuple[InsightsAnswer | None, Any]:
    """The insights of the chosen network (ready, stale or under way), or an error page to
    answer instead."""
    network, problem = _chosen_network()
    if problem is not None:
        message, status = problem
        return None, error_page(status, message)
    return current_insights(get_db(), signed_in_caller(), network), None


def _network_args(network: str) -> dict[str, str]:
    """The query string that names `network` (for an admin's choice)."""
    return {"network": network} if signed_in_caller().role == "admin" else {}


def _when(moment: dt.datetime | None) -> str:
    """`moment` as the page shows it (the language's date and time in UTC, to the minute)."""
    return format_moment(moment, current_language())


def _job_page(answer: InsightsAnswer):
    """The page while no figures can be shown: being computed (reloads itself) or failed."""
    job = answer.job
    computing = job.status == "computing"
    retry_at = utcnow() + dt.timedelta(seconds=job.retry_after)
    body = render_template(
        "web/insights_job.html",
        job=job,
        network=answer.network,
        networks=queries.live_networks(get_db()) if signed_in_caller().role == "admin" else [],
        reload_url=request.full_path.rstrip("?"),
        started=_when(job.started_at),
        retry_at=_when(retry_at),
    )
    if computing:
        return body, 202, {"Refresh": str(job.retry_after), "Cache-Control": "no-store"}
    return body, job.error_status or 500, {"Cache-Control": "no-store"}


@bp.get("/insights")
@login_required
def insights():
    """A network's key figures and charts, with the report and the tables to download."""
    answer, refusal = _answer()
    if refusal is not None:
        return refusal
    result = answer.result
    if result is None:
        return _job_page(answer)
    language = current_language()
    data = result.payload()
    drawn = result.charts(language)
    args = _network_args(result.network)
    gaps = data["supply_demand"]["gaps"]
    unpartnered = data["network"]["unpartnered"]
    return render_template(
        "web/insights.html",
        result=result,
        data=data,
        summary=data["summary"],
        outcomes=data["outcomes"],
        charts={
            name: {
                "src": url_for("web.insights_chart", language=language, name=name, **args),
                "title": TEXT[language][f"h_{name}"],
                "caption": TEXT[language][f"c_{name}"],
            }
            for name in CHARTS
            if drawn.get(name) is not None
        },
        without_partner=", ".join(
            i18n.country_name(code, language) for code in data["summary"]["markets_without_partner"]
        ),
        gaps=gaps[:LIST_ROWS],
        more_gaps=max(0, len(gaps) - LIST_ROWS),
        unpartnered=unpartnered[:LIST_ROWS],
        more_unpartnered=max(0, len(unpartnered) - LIST_ROWS),
        networks=queries.live_networks(get_db()) if signed_in_caller().role == "admin" else [],
        reports=[
            (url_for("web.insights_report", language=code, **args), _(REPORT_LINKS[code]))
            for code in REPORT_LANGUAGES
        ],
        tables_url=url_for("web.insights_tables", **args),
        computed_at=_when(result.computed_at),
        refresh=answer.job if answer.stale else None,
        reload_url=request.full_path.rstrip("?"),
    )


@bp.get("/insights/charts/<language>/<name>.svg")
@login_required
def insights_chart(language: str, name: str):
    """One chart of the report, as an SVG image."""
    if language not in i18n.LANGUAGES or name not in CHARTS:
        return error_page(404, "")
    answer, refusal = _answer()
    if refusal is not None:
        return refusal
    if answer.result is None:
        return error_page(404, _("There is nothing to draw in this chart."))
    svg = answer.result.charts(language).get(name)
    if svg is None:
        return error_page(404, _("There is nothing to draw in this chart."))
    # str(): Markup would escape the XML declaration put before it.
    document = '<?xml version="1.0" encoding="utf-8"?>\n' + str(svg)
    response = Response(document, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = SVG_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/insights/report.html")
@login_required
def insights_report():
    """The self-contained HTML report (``?language=uk|en|both``)."""
    language = request.args.get("language", "both")
    if language not in REPORT_LANGUAGES:
        return error_page(
            400, _("Unknown report language: {value} (uk, en or both).", value=language)
        )
    answer, refusal = _answer()
    if refusal is not None:
        return refusal
    if answer.result is None:
        return _job_page(answer)
    return report_response(answer.result, language)


@bp.get("/insights/tables.xlsx")
@login_required
def insights_tables():
    """The report's tables as XLSX."""
    answer, refusal = _answer()
    if refusal is not None:
        return refusal
    if answer.result is None:
        return _job_page(answer)
    response = xlsx_response(answer.result)
    response.headers["Cache-Control"] = "no-store"
    return response
