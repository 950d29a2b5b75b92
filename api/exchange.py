"""Import and export endpoints (managers and admins), over :mod:`api.services.transfer`."""

from __future__ import annotations

import logging

from flask import Response, current_app
from flask_openapi3 import APIBlueprint, Tag

from matcher.profiles import PROFILE_COLUMNS

from .auth import current_caller, require
from .db import get_db
from .schemas import ExportQuery, ImportOut, ImportQuery, UploadForm
from .services.insights import refresh_insights
from .services.transfer import (
    CONTACT_COLUMNS,
    LINK_EXPORT_COLUMNS,
    MEDIA_TYPES,
    import_links,
    import_members,
    link_records,
    member_records,
    read_upload,
    render,
)

logger = logging.getLogger(__name__)

bp = APIBlueprint(
    "exchange",
    __name__,
    url_prefix="/api/v1",
    abp_tags=[Tag(name="import and export")],
    abp_security=[{"bearer": []}],
)


def _import(kind: str, form: UploadForm, query: ImportQuery):
    session = get_db()
    data = form.file.read()
    table = "profiles" if kind == "members" else "links"
    raw, unit = read_upload(data, form.file.filename or kind, query.format, table)
    importer = import_members if kind == "members" else import_links
    caller = current_caller()
    network = None if caller.role == "admin" else caller.network_id
    try:
        counts = importer(session, raw, unit, form.file.filename or kind, network)
        session.commit()
    except Exception:
        session.rollback()
        raise
    if counts["created"] or counts["updated"]:
        # An import changes the figures wholesale: recompute the insights that managers read
        # now (single edits are picked up at the next request, the older figures served
        # meanwhile marked stale).
        refresh_insights(current_app._get_current_object())
    return counts


@bp.post("/import/members", responses={200: ImportOut})
@require("manager", "admin")
def import_members_view(form: UploadForm, query: ImportQuery):
    """Import members (upsert by id, all rows or none; every bad row is listed)."""
    return _import("members", form, query)


@bp.post("/import/links", responses={200: ImportOut})
@require("manager", "admin")
def import_links_view(form: UploadForm, query: ImportQuery):
    """Import known links between stored members (all rows or none)."""
    return _import("links", form, query)


def _download(content: bytes, kind: str, file_format: str) -> Response:
    response = Response(content, mimetype=MEDIA_TYPES[file_format].split(";")[0])
    if file_format == "csv":
        response.headers["Content-Type"] = MEDIA_TYPES["csv"]
    response.headers["Content-Disposition"] = f'attachment; filename="{kind}.{file_format}"'
    return response


@bp.get("/export/members", responses={200: None})
@require("manager", "admin")
def export_members(query: ExportQuery):
    """Export members (contacts of the caller's own network only; admins get all)."""
    caller = current_caller()
    contacts_for = None if caller.role == "admin" else [caller.network_id]
    records = member_records(get_db(), contacts_for)
    columns = list(PROFILE_COLUMNS) + list(CONTACT_COLUMNS)
    return _download(render(records, columns, query.format, "profiles"), "members", query.format)


@bp.get("/export/links", responses={200: None})
@require("manager", "admin")
def export_links(query: ExportQuery):
    """Export the known links (a manager: those with at least one member of its network)."""
    caller = current_caller()
    records = link_records(get_db(), None if caller.role == "admin" else caller.network_id)
    return _download(
        render(records, LINK_EXPORT_COLUMNS, query.format, "links"), "links", query.format
    )
