"""Matchmaking sessions: settings, participants, wish lists, the agenda, exports and outcomes.

Thin views over :mod:`api.services.sessions` (storage, access, optimistic revisions) and the
library (:mod:`matcher.sessions.model`, :mod:`matcher.sessions.scheduler`,
:mod:`matcher.sessions.exports`); the downloads are the pages' own (:mod:`api.downloads`).
Managers of the session's network and admins run a session; a participating member reads the
session, the participants and its own agenda, wish list and calendar, and sets its own wishes.
Every change takes an optional ``revision`` (the one the caller read): a change made meanwhile
gives 409 and nothing changes.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, current_app
from flask_openapi3 import APIBlueprint, Tag

from matcher.profiles import HOME_NETWORK
from matcher.sessions.agenda import check_agenda
from matcher.sessions.edits import (
    add_meeting,
    cancel_meeting,
    lock_meeting,
    move_meeting,
    swap_meetings,
)
from matcher.sessions.exports import (
    ics_archive_bytes,
    write_csv,
    xlsx_bytes,
)
from matcher.sessions.model import SessionSettings
from matcher.sessions.outcomes import publish, reopen
from matcher.sessions.wishes import add_participant, remove_participant

from .auth import current_caller
from .db import get_db
from .downloads import CSV, HTML, ICS, XLSX, ZIP, download_response, printable_response
from .errors import abort
from .schemas import (
    SessionAddIn,
    SessionAgenda,
    SessionBuildIn,
    SessionBuildOut,
    SessionCheckOut,
    SessionCreate,
    SessionCsvQuery,
    SessionEditOut,
    SessionIcsQuery,
    SessionImportQuery,
    SessionLanguageQuery,
    SessionList,
    SessionListQuery,
    SessionMeetingRef,
    SessionMemberPath,
    SessionMoveIn,
    SessionOut,
    SessionOutcomesIn,
    SessionOutcomesOut,
    SessionParticipantAgenda,
    SessionParticipantChange,
    SessionParticipantIn,
    SessionParticipantList,
    SessionPath,
    SessionRevisionQuery,
    SessionSuggestionsOut,
    SessionSwapIn,
    SessionUpload,
    SessionWishes,
    SessionWishIn,
    SessionWishList,
    SessionWishOut,
    SessionWishPath,
)
from .services.networks import network_names
from .services.sessions import (
    OutcomeItem,
    Stored,
    change,
    create_session,
    delete_session,
    engine_suggestions,
    explain_meetings,
    get_stored,
    library_errors,
    meeting_payload,
    participant_ics,
    participant_of_member,
    participant_payload,
    participants_of_upload,
    printable_page,
    rebuild_agenda,
    record_outcomes,
    require_manager,
    require_participants,
    row_payload,
    session_payload,
    set_participant_wish,
    visible_sessions,
)
from .services.sessions import participant_agenda as participant_agenda_payload
from .services.sessions import wish_list as wish_list_payload

logger = logging.getLogger(__name__)

SECURITY = [{"bearer": []}]
bp = APIBlueprint(
    "sessions",
    __name__,
    url_prefix="/api/v1/sessions",
    abp_tags=[Tag(name="matchmaking sessions")],
    abp_security=SECURITY,
)


def _file_response(description: str, *media_types: str) -> dict[str, Any]:
    binary = {"type": "string", "format": "binary"}
    return {
        "description": description,
        "content": {m.split(";")[0]: {"schema": binary} for m in media_types},
        "headers": {
            "Content-Disposition": {
                "description": "attachment (inline for the printable page) and the file name",
                "schema": {"type": "string"},
            }
        },
    }


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _stored(session_id: str) -> Stored:
    return get_stored(get_db(), current_caller(), session_id)


def _participant_change(
    stored: Stored, added: int = 0, updated: int = 0, removed: int = 0
) -> dict[str, Any]:
    """The answer of a change of the participants (:class:`SessionParticipantChange`)."""
    return {
        "session_id": stored.session_id,
        "revision": stored.revision,
        "added": added,
        "updated": updated,
        "removed": removed,
        "participants": len(stored.session.participants),
    }


def _edit_response(stored: Stored, meetings) -> dict[str, Any]:
    session = stored.session
    return {
        "session_id": stored.session_id,
        "revision": stored.revision,
        "meetings": [meeting_payload(session, m) for m in meetings],
        "conflicts": [c.as_dict() for c in check_agenda(session)],
    }


# ---------------------------------------------------------------------------------------------
# Sessions
# ---------------------------------------------------------------------------------------------


@bp.post("", responses={201: SessionOut})
def create_session_view(body: SessionCreate):
    """Create a session (a manager of its network, or an admin)."""
    caller = current_caller()
    if caller.role == "member":
        abort(403, "only managers and admins create matchmaking sessions")
    # An admin has no network of its own: its sessions are the home cluster's unless it names
    # another (as the insights take it).
    network = body.network or caller.network_id or HOME_NETWORK
    with library_errors(strip="settings."):
        settings = SessionSettings.create(
            name=body.name,
            date=body.date,
            timezone=body.timezone,
            meeting_minutes=body.meeting_minutes,
            tables=body.tables,
            slots=body.slots,
            start=body.start,
            end=body.end,
            breaks=body.breaks,
            gap_minutes=body.gap_minutes if body.slots is None else 0,
            place=body.place,
            networks=body.networks,
            member_ids=body.member_ids,
            pair_rules=body.pair_rules,
        )
    stored = create_session(get_db(), caller, settings, network)
    return session_payload(stored), 201


@bp.get("", responses={200: SessionList})
def list_sessions(query: SessionListQuery):
    """List the sessions the caller sees (a member: those it takes part in), newest first."""
    rows, total = visible_sessions(
        get_db(),
        current_caller(),
        network=query.network,
        state=query.state,
        date_from=query.date_from,
        date_to=query.date_to,
        page=query.page,
        per_page=query.per_page,
    )
    return {
        "items": [row_payload(row) for row in rows],
        "page": query.page,
        "per_page": query.per_page,
        "total": total,
    }


@bp.get("/<session_id>", responses={200: SessionOut})
def get_session(path: SessionPath):
    """A session: settings, state, revision and counts."""
    return session_payload(_stored(path.session_id))


@bp.delete("/<session_id>", responses={204: None})
def delete_session_view(path: SessionPath, query: SessionRevisionQuery):
    """Delete a session (its feedback stays: it is the members' history)."""
    delete_session(get_db(), current_caller(), path.session_id, query.revision)
    return Response(status=204)


# ---------------------------------------------------------------------------------------------
# Participants
# ---------------------------------------------------------------------------------------------


@bp.get("/<session_id>/participants", responses={200: SessionParticipantList})
def list_participants(path: SessionPath):
    """The participants, their availability, limits, meetings and wishes."""
    stored = _stored(path.session_id)
    session = stored.session
    return {
        "session_id": stored.session_id,
        "revision": stored.revision,
        "items": [participant_payload(session, p) for p in session.participants.values()],
    }


@bp.post("/<session_id>/participants", responses={201: SessionParticipantChange})
def add_participant_view(
    path: SessionPath, query: SessionRevisionQuery, body: SessionParticipantIn
):
    """Add a member as a participant (managers)."""
    db = get_db()

    def step(session):
        if body.member_id in session.participants:
            abort(
                409,
                f"{body.member_id} is a participant already; remove it first to change it",
                [
                    {
                        "field": "member_id",
                        "value": body.member_id,
                        "message": "already a participant",
                    }
                ],
            )
        participant = participant_of_member(
            db,
            session.settings,
            body.member_id,
            body.available,
            body.min_meetings,
            body.max_meetings,
            body.role,
        )
        add_participant(session, participant)

    stored, _ = change(db, current_caller(), path.session_id, query.revision, step)
    return _participant_change(stored, added=1), 201


@bp.post("/<session_id>/participants/import", responses={200: SessionParticipantChange})
def import_participants(path: SessionPath, query: SessionImportQuery, form: SessionUpload):
    """Import participants from a CSV, XLSX or JSON file: all rows or none, every bad row listed.

    Columns: ``member_id`` (a stored member), ``available`` ("1-4;6", "10:00-12:00", empty:
    every slot), ``min_meetings``, ``max_meetings``, ``role``. A listed participant is updated.
    """
    db = get_db()
    data = form.file.read()
    filename = form.file.filename or "participants"

    def step(session):
        participants = participants_of_upload(db, session.settings, data, filename, query.format)
        counts = {"added": 0, "updated": 0}
        for participant in participants:
            counts["updated" if participant.member_id in session.participants else "added"] += 1
            add_participant(session, participant, replace_existing=True)
        return counts

    stored, counts = change(db, current_caller(), path.session_id, query.revision, step)
    return _participant_change(stored, **counts)


@bp.delete("/<session_id>/participants/<member_id>", responses={200: SessionParticipantChange})
def remove_participant_view(path: SessionMemberPath, query: SessionRevisionQuery):
    """Remove a participant with its wishes and meetings (preliminary agenda only)."""

    def step(session):
        if path.member_id not in session.participants:
            abort(404, f"{path.member_id} is not a participant of session {path.session_id}.")
        remove_participant(session, path.member_id)

    stored, _ = change(get_db(), current_caller(), path.session_id, query.revision, step)
    return _participant_change(stored, removed=1)


# ---------------------------------------------------------------------------------------------
# The engine's suggestions and the wishes
# ---------------------------------------------------------------------------------------------


@bp.post("/<session_id>/suggestions", responses={200: SessionSuggestionsOut})
def refresh_suggestions(path: SessionPath, query: SessionRevisionQuery):
    """Ask the engine for each participant's best partners among the participants (stored)."""
    db = get_db()

    def step(session):
        found = engine_suggestions(db, session)
        if found is None:
            abort(
                503,
                "no model is active yet: a manager must train one (POST /api/v1/models/retrain)",
            )
        session.suggestions = dict(found)
        return found

    stored, found = change(db, current_caller(), path.session_id, query.revision, step)
    return {
        "session_id": stored.session_id,
        "revision": stored.revision,
        "participants": len(found),
        "suggestions": sum(s.suggested for items in found.values() for s in items),
        "explained": sum(not s.suggested for items in found.values() for s in items),
        "not_in_model": [m for m in stored.session.participants if m not in found],
    }


@bp.get("/<session_id>/wishes", responses={200: SessionWishes})
def list_wishes(path: SessionPath):
    """Every wish of the session (a participant: its own)."""
    stored = _stored(path.session_id)
    wishes = [
        w.to_dict()
        for w in stored.session.wishes.values()
        if stored.manages or w.member_id == stored.participant
    ]
    return {"session_id": stored.session_id, "revision": stored.revision, "items": wishes}


@bp.get("/<session_id>/wishes/<member_id>", responses={200: SessionWishList})
def wish_list(path: SessionMemberPath, query: SessionLanguageQuery):
    """A participant's wish list: the engine's suggestions among the participants with reasons,
    and both sides' wishes (a member sees its own; managers anyone's)."""
    return wish_list_payload(
        get_db(), current_caller(), path.session_id, path.member_id, query.language
    )


@bp.put("/<session_id>/wishes/<member_id>/<partner_id>", responses={200: SessionWishOut})
def set_wish_view(path: SessionWishPath, query: SessionRevisionQuery, body: SessionWishIn):
    """Set what a participant wants of a meeting: must, would, no (a veto) or none (clear).
    A member sets its own wishes; managers set anyone's."""
    level = None if body.level == "none" else body.level
    stored = set_participant_wish(
        get_db(),
        current_caller(),
        path.session_id,
        query.revision,
        path.member_id,
        path.partner_id,
        level,
    )
    return {
        "session_id": stored.session_id,
        "revision": stored.revision,
        "member_id": path.member_id,
        "partner_id": path.partner_id,
        "level": level,
    }


# ---------------------------------------------------------------------------------------------
# Building and editing the agenda
# ---------------------------------------------------------------------------------------------


@bp.post("/<session_id>/build", responses={200: SessionBuildOut})
def build(path: SessionPath, query: SessionRevisionQuery, body: SessionBuildIn):
    """Build the agenda within the time limit (locked and held meetings stay) and store it.

    Answers the objective, the proven bound and the gap; the solver is OR-Tools CP-SAT with
    the linear relaxation's bound (HiGHS), the greedy agenda when it fails. With
    ``"confirm_drop": false`` a new agenda that would plan markedly fewer meetings than the
    current one (below 90% of them) or drop a meeting a participant marked "must" is refused
    with 409 naming what it would drop, and the current agenda stays (the manager pages ask).
    """
    workers = int(current_app.config.get("SESSION_SOLVER_WORKERS", 2))
    outcome = rebuild_agenda(
        get_db(),
        current_caller(),
        path.session_id,
        query.revision,
        time_limit=body.time_limit,
        method=body.method,
        include_suggested=body.include_suggested,
        refresh_suggestions=body.refresh_suggestions,
        num_workers=workers,
        on_drop="replace" if body.confirm_drop else "refuse",
    )
    stored, result, refreshed = outcome.stored, outcome.result, outcome.refreshed
    logger.info(
        "session %s built: %s meetings, %s, gap %s",
        stored.session_id,
        len(result.meetings),
        result.status,
        result.gap,
    )
    summary = result.summary()
    return {
        "session_id": stored.session_id,
        "revision": stored.revision,
        **{
            key: summary[key]
            for key in (
                "status",
                "solver",
                "objective",
                "best_bound",
                "gap",
                "wall_time",
                "meeting_value",
                "n_meetings",
                "n_candidates",
                "n_variables",
                "unmet_minimum",
                "without_meetings",
                "bound_source",
                "fallback_reason",
            )
        },
        "suggestions_refreshed": refreshed,
    }


@bp.get("/<session_id>/agenda", responses={200: SessionAgenda})
def agenda(path: SessionPath):
    """The agenda: every meeting by slot and table, cancelled ones too (a member: its own).

    A meeting with a participant that withdrew after publication names it in ``withdrawn``;
    ``vacated`` lists the slots where an erasure took a published meeting away.
    """
    stored = _stored(path.session_id)
    session = stored.session
    meetings = sorted(session.meetings, key=lambda m: (m.slot, m.table, m.pair))
    vacated = sorted(session.vacated, key=lambda v: (v.slot, v.table))
    if not stored.manages:
        meetings = [m for m in meetings if stored.participant in m.pair]
        vacated = [v for v in vacated if v.member_id == stored.participant]
    return {
        "session_id": stored.session_id,
        "revision": stored.revision,
        "state": session.state,
        "meetings": [meeting_payload(session, m) for m in meetings],
        "vacated": [v.to_dict() for v in vacated],
    }


@bp.get("/<session_id>/agenda/<member_id>", responses={200: SessionParticipantAgenda})
def participant_agenda(path: SessionMemberPath, query: SessionLanguageQuery):
    """One participant's agenda, every slot: partner, table, wishes and the engine's reasons.

    A meeting whose partner withdrew after publication says so (``partner_withdrawn`` and a
    ``note`` in the language asked for): the organisers will cancel or re-plan it. A slot whose
    meeting an erasure took away is ``cancelled`` with ``partner_erased`` and no partner.
    """
    return participant_agenda_payload(
        get_db(), current_caller(), path.session_id, path.member_id, query.language
    )


def _edit(path: SessionPath, revision: int | None, step, **named: str):
    """Apply an edit of the agenda; the participants it `named` (``field=member_id``) must be
    the session's (404 naming them otherwise: the meeting they name does not exist)."""

    def checked(session):
        require_participants(session, **named)
        return step(session)

    stored, changed = change(get_db(), current_caller(), path.session_id, revision, checked)
    return _edit_response(stored, changed)


def _pair(ref: SessionMeetingRef, prefix: str = "") -> dict[str, str]:
    return {f"{prefix}member_id": ref.member_id, f"{prefix}partner_id": ref.partner_id}


@bp.post("/<session_id>/agenda/move", responses={200: SessionEditOut})
def move(path: SessionPath, query: SessionRevisionQuery, body: SessionMoveIn):
    """Move a meeting to another slot (and table); refused with 409 if that makes a conflict."""
    return _edit(
        path,
        query.revision,
        lambda session: [
            move_meeting(session, body.member_id, body.partner_id, body.slot, body.table, body.lock)
        ],
        **_pair(body),
    )


@bp.post("/<session_id>/agenda/swap", responses={200: SessionEditOut})
def swap(path: SessionPath, query: SessionRevisionQuery, body: SessionSwapIn):
    """Exchange the slots and tables of two meetings; refused with 409 on a conflict."""
    return _edit(
        path,
        query.revision,
        lambda session: list(
            swap_meetings(
                session,
                (body.first.member_id, body.first.partner_id),
                (body.second.member_id, body.second.partner_id),
                body.lock,
            )
        ),
        **_pair(body.first, "first."),
        **_pair(body.second, "second."),
    )


@bp.post("/<session_id>/agenda/cancel", responses={200: SessionEditOut})
def cancel(path: SessionPath, query: SessionRevisionQuery, body: SessionMeetingRef):
    """Cancel a planned meeting (it stays on record and is not planned again)."""
    return _edit(
        path,
        query.revision,
        lambda session: [cancel_meeting(session, body.member_id, body.partner_id)],
        **_pair(body),
    )


@bp.post("/<session_id>/agenda/add", responses={200: SessionEditOut})
def add(path: SessionPath, query: SessionRevisionQuery, body: SessionAddIn):
    """Add a meeting by hand (locked); refused with 409 if it makes a conflict. Both sides are
    told why they meet (the engine's reasons from each side)."""

    def step(session):
        added = add_meeting(
            session, body.member_id, body.partner_id, body.slot, body.table, body.locked
        )
        explain_meetings(get_db(), session)
        return [added]

    return _edit(path, query.revision, step, **_pair(body))


def _lock(path: SessionPath, revision: int | None, ref: SessionMeetingRef, locked: bool):
    """Lock or unlock the meeting of `ref`'s pair."""
    return _edit(
        path,
        revision,
        lambda session: [lock_meeting(session, ref.member_id, ref.partner_id, locked)],
        **_pair(ref),
    )


@bp.post("/<session_id>/agenda/lock", responses={200: SessionEditOut})
def lock(path: SessionPath, query: SessionRevisionQuery, body: SessionMeetingRef):
    """Lock a meeting: the next build keeps its slot and table."""
    return _lock(path, query.revision, body, True)


@bp.post("/<session_id>/agenda/unlock", responses={200: SessionEditOut})
def unlock(path: SessionPath, query: SessionRevisionQuery, body: SessionMeetingRef):
    """Unlock a meeting: the next build may move it."""
    return _lock(path, query.revision, body, False)


@bp.get("/<session_id>/check", responses={200: SessionCheckOut})
def check(path: SessionPath):
    """The agenda's conflicts: errors (no publication while any) and warnings."""
    stored = _stored(path.session_id)
    require_manager(stored, "check the agenda")
    conflicts = check_agenda(stored.session)
    errors = sum(c.severity == "error" for c in conflicts)
    return {
        "session_id": stored.session_id,
        "revision": stored.revision,
        "state": stored.session.state,
        "errors": errors,
        "warnings": len(conflicts) - errors,
        "conflicts": [c.as_dict() for c in conflicts],
    }


@bp.post("/<session_id>/publish", responses={200: SessionOut})
def publish_view(path: SessionPath, query: SessionRevisionQuery):
    """Publish the agenda as final (409 with the conflicts while it has any)."""
    stored, _ = change(get_db(), current_caller(), path.session_id, query.revision, publish)
    return session_payload(stored)


@bp.post("/<session_id>/reopen", responses={200: SessionOut})
def reopen_view(path: SessionPath, query: SessionRevisionQuery):
    """Make a final agenda preliminary again, to edit or rebuild it."""
    stored, _ = change(get_db(), current_caller(), path.session_id, query.revision, reopen)
    return session_payload(stored)


# ---------------------------------------------------------------------------------------------
# Exports
# ---------------------------------------------------------------------------------------------


def _export_name(stored: Stored, language: str, suffix: str) -> str:
    return f"session-{stored.session_id}-{language}.{suffix}"


@bp.get(
    "/<session_id>/export/xlsx",
    responses={200: _file_response("The plan, the table plan and every agenda", XLSX)},
)
def export_xlsx(path: SessionPath, query: SessionLanguageQuery):
    """The workbook: the plan, the table plan and a sheet per participant (managers)."""
    stored = _stored(path.session_id)
    require_manager(stored, "export the whole agenda")
    content = xlsx_bytes(stored.session, query.language)
    return download_response(content, XLSX, _export_name(stored, query.language, "xlsx"))


@bp.get(
    "/<session_id>/export/csv",
    responses={200: _file_response("The plan, the agendas or the table plan", CSV)},
)
def export_csv(path: SessionPath, query: SessionCsvQuery):
    """A CSV (UTF-8 with a byte-order mark) of the plan, the agendas or the table plan."""
    stored = _stored(path.session_id)
    require_manager(stored, "export the whole agenda")
    text = write_csv(stored.session, language=query.language, view=query.view)
    name = f"session-{stored.session_id}-{query.view}-{query.language}.csv"
    return download_response(("\ufeff" + text).encode("utf-8"), CSV, name)


@bp.get(
    "/<session_id>/export/ics",
    responses={200: _file_response("One participant's calendar, or a zip of all", ICS, ZIP)},
)
def export_ics(path: SessionPath, query: SessionIcsQuery):
    """Calendars: a participant's (``member_id``; a member may get its own), or a zip of all."""
    stored = _stored(path.session_id)
    if query.member_id is None:
        require_manager(stored, "export every calendar")
        content = ics_archive_bytes(
            stored.session, query.language, network_names=network_names(get_db())
        )
        return download_response(content, ZIP, f"session-{stored.session_id}-calendars.zip")
    content = participant_ics(
        get_db(), current_caller(), path.session_id, query.member_id, query.language
    )
    return download_response(content, ICS, f"{query.member_id}.ics")


@bp.get(
    "/<session_id>/export/html",
    responses={200: _file_response("The printable page", HTML)},
)
def export_html(path: SessionPath, query: SessionLanguageQuery):
    """The printable page: every agenda and the table plan (a member: its own agenda)."""
    stored = _stored(path.session_id)
    page = printable_page(get_db(), current_caller(), path.session_id, query.language)
    return printable_response(page, _export_name(stored, query.language, "html"))


# ---------------------------------------------------------------------------------------------
# Outcomes
# ---------------------------------------------------------------------------------------------


@bp.post("/<session_id>/outcomes", responses={200: SessionOutcomesOut})
def outcomes(path: SessionPath, query: SessionRevisionQuery, body: SessionOutcomesIn):
    """Record which meetings took place and their outcome (after publication), all or none.
    Managers record any meeting's; a participating member those of its own meetings (403 for
    another pair's).

    Held meetings become feedback (``meeting``, or ``deal``) for both sides, as
    ``POST /members/{member_id}/feedback`` records it; the engine learns from it at the next
    retrain. Correcting an outcome corrects that feedback.
    """
    items = [
        OutcomeItem(item.member_id, item.partner_id, item.held, item.outcome)
        for item in body.outcomes
    ]
    stored, changed, counts = record_outcomes(
        get_db(), current_caller(), path.session_id, query.revision, items
    )
    return {
        "session_id": stored.session_id,
        "revision": stored.revision,
        "meetings": [meeting_payload(stored.session, m) for m in changed],
        "feedback": counts,
    }
