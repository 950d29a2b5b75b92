"""Files the service hands out, as HTTP answers: the same for the API and the manager pages.

A matchmaking session's exports (the workbook, a CSV, calendars, the printable page) and the
cluster insights' report and tables are served both by the API (:mod:`api.sessions`,
:mod:`api.insights`) and by the pages (:mod:`api.web`): their media types, file names and
headers are made here, once, so that a download is the same file whichever way it is asked
for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Response

from matcher.sessions.exports import html_style_digest

if TYPE_CHECKING:
    from .services.insights import InsightsResult

#: Media types of the session downloads (documented in the OpenAPI document as they are sent).
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
ICS = "text/calendar; charset=utf-8"
ZIP = "application/zip"
HTML = "text/html; charset=utf-8"

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: The report is one self-contained page: its own inline styles and SVG, nothing else.
REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)


def download_response(
    content: bytes, media_type: str, filename: str, inline: bool = False
) -> Response:
    """A download of `content` as `filename` (inline: shown by the browser, e.g. to print)."""
    response = Response(content)
    response.headers["Content-Type"] = media_type
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


def printable_csp() -> str:
    """The policy of a session's printable page: its one inline stylesheet, allowed by its
    digest (:func:`matcher.sessions.exports.html_style_digest`), and nothing else.

    The page keeps its ``<style>`` element (not a link to a stylesheet of the service) because
    the same page is a file of its own too (``matcher session export --format html``, or "Save
    as"): the digest allows exactly that text, so no other inline style or script could run.
    """
    return (
        f"default-src 'none'; style-src 'sha256-{html_style_digest()}'; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'none'"
    )


def printable_response(page: str, filename: str) -> Response:
    """A session's printable page (:func:`matcher.sessions.exports.render_html`), shown by the
    browser to print, under :func:`printable_csp`."""
    response = download_response(page.encode("utf-8"), HTML, filename, inline=True)
    response.headers["Content-Security-Policy"] = printable_csp()
    return response


def report_response(result: InsightsResult, language: str) -> Response:
    """The insights' HTML report as a page of its own (inline styles allowed, nothing else)."""
    response = Response(result.report(language), mimetype="text/html")
    response.headers["Content-Security-Policy"] = REPORT_CSP
    response.headers["Content-Disposition"] = (
        f'inline; filename="{result.file_name(f"-{language}.html")}"'
    )
    return response


def xlsx_response(result: InsightsResult) -> Response:
    """The insights' XLSX tables as a download."""
    response = Response(result.xlsx(), mimetype=XLSX_MEDIA_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{result.file_name(".xlsx")}"'
    return response
