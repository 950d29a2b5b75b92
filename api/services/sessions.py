"""Matchmaking sessions in the database: access, load, change and save, for the API and the pages.

A session is one row of ``match_sessions`` holding the whole
:meth:`matcher.sessions.model.Session.to_dict` document, plus the columns that lists, filters, access
checks and the dashboard read without parsing it. Every change (:func:`change`) goes the same
way, in one transaction:

1. load the row and rebuild the :class:`matcher.sessions.model.Session` from its document (validated
   whole); if the caller said which revision it read and the row is at another one, 409 at once;
2. end the read (nothing is held while the step runs: a build may take a minute);
3. apply one library function to the session (an edit that would create a conflict is refused
   by the library, 409 with the conflicts; bad input, 422 naming the field);
4. validate the changed document whole (:meth:`Session.from_dict` of its :meth:`to_dict`);
5. save it with ``UPDATE ... WHERE revision = <the revision read>``: if another request saved
   in between, no row matches and the change is refused with 409; nothing was written;
6. write what goes with it (the participants' index; the feedback of recorded outcomes) and
   commit. Any error rolls the whole transaction back: a change happens whole or not at all.

Who may do what: the managers of the session's network and admins manage it; a participating
member reads the session, the participants and its own agenda, wishes and calendar, sets its
own wishes and, after the day, records the outcomes of its own meetings. To anyone else the
session does not exist (404).

Members that leave the service (:mod:`api.services.erasure`): :func:`withdraw_from_sessions`
applies a withdrawal or an erasure to every session that names the member, in the transaction
of the withdrawal (the member's row and the sessions change together or not at all), through
:func:`matcher.sessions.wishes.withdraw_participant`: out of preliminary agendas and wish lists at
once; kept but flagged in a published agenda (which its participants already have) until the
manager records the meetings as not held or reopens the agenda; erased, gone from every
session, a published meeting leaving only a nameless "partner erased" vacancy on the partner's
side. Defensively, every read (:func:`get_stored`) applies the same to participants whose
member is withdrawn or gone but still stands in the document (the next change stores it), a
build checks again just before it plans, and a withdrawn member cannot be added (422 naming
it).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
import logging
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, cast, delete, func, insert, select, update
from sqlalchemy.orm import Session as DbSession

from matcher.profiles import ProfileValidationError
from matcher.sessions.agenda import meeting_reasons
from matcher.sessions.exports import LABELS, meeting_note, participant_calendar, render_html
from matcher.sessions.model import (
    AgendaConflictError,
    Meeting,
    Participant,
    Session,
    SessionProblem,
    SessionSettings,
    SessionValidationError,
)
from matcher.sessions.outcomes import feedback_records, record_outcome
from matcher.sessions.scheduler import (
    MARKED_DROP_SHARE,
    AgendaDrop,
    ScheduleResult,
    agenda_drop,
    apply_agenda,
    build_agenda,
)
from matcher.sessions.wishes import (
    explain_agenda,
    pair_rule_violation,
    participants_from_records,
    set_wish,
    suggest_wishes,
    withdraw_participant,
)

from ..auth import Caller
from ..errors import ApiError, abort
from ..tables import (
    FeedbackEvent,
    MatchSession,
    MatchSessionCandidate,
    MatchSessionParticipant,
    Member,
    isoformat,
    utcnow,
)
from .feedback import add_feedback
from .members import stored_profile
from .networks import network_names
from .serving import holder
from .transfer import read_upload

logger = logging.getLogger(__name__)

#: The note of the feedback events written for a session's outcomes: it finds them again when
#: an outcome is corrected.
FEEDBACK_NOTE = "matchmaking session {session_id}"
#: Library problems on these fields are conflicts with the session's state (409), not bad input.
_STATE_FIELDS = ("state", "meetings")
#: Library problems on these fields name something the session does not have (404): the meeting
#: of a pair that has none.
_MISSING_FIELDS = ("meeting",)
#: Suggestions per participant that the engine gives (and a build refreshes).
SUGGESTIONS_K = 10


@dataclass
class Stored:
    """A session as loaded: the row's values and the session rebuilt from its document."""

    session_id: str
    network_id: str
    revision: int
    owner_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    session: Session
    #: Whether the caller manages the session (its network's manager or an admin).
    manages: bool
    #: The caller's member id when the caller is a participant.
    participant: str | None

    def may_act_for(self, member_id: str) -> bool:
        """Whether the caller may act for participant `member_id` (wishes, its agenda)."""
        return self.manages or self.participant == member_id


# ---------------------------------------------------------------------------------------------
# Library errors as problem details
# ---------------------------------------------------------------------------------------------


def conflict_errors(conflicts: Iterable[Any]) -> list[dict[str, Any]]:
    """The conflicts of an agenda as the ``errors`` of a problem response."""
    return [
        {
            "field": f"agenda.{conflict.kind}",
            "message": conflict.message,
            "value": ", ".join(conflict.meetings) or None,
        }
        for conflict in conflicts
    ]


def problem_errors(problems: Iterable[Any], strip: str = "") -> list[dict[str, Any]]:
    """The problems of a :class:`SessionValidationError` as ``errors`` (field, value, message)."""
    errors = []
    for problem in problems:
        item = problem.as_dict()
        if strip and item["field"].startswith(strip):
            item["field"] = item["field"][len(strip) :]
        errors.append(item)
    return errors


@contextlib.contextmanager
def library_errors(strip: str = "") -> Iterator[None]:
    """Turn the library's refusals into :class:`ApiError`: 404 for a meeting the session does
    not have, 409 for a conflict with the agenda or the session's state, 422 (naming the field,
    the value and what is allowed) for bad input; `strip` is taken off the front of field names
    (e.g. ``"settings."``)."""
    try:
        yield
    except AgendaConflictError as error:
        count = len(error.conflicts)
        action = str(error).split("\n", 1)[0]
        raise ApiError(
            409,
            f"{action}; nothing was changed" if count else action,
            conflict_errors(error.conflicts),
        ) from None
    except SessionValidationError as error:
        # The last part of the name: "outcomes[1].meeting" is a meeting too.
        if all(p.field.rsplit(".", 1)[-1] in _MISSING_FIELDS for p in error.problems):
            status = 404
        elif any(p.field in _STATE_FIELDS for p in error.problems):
            status = 409
        else:
            status = 422
        detail = "; ".join(str(p) for p in error.problems[:5])
        if len(error.problems) > 5:
            detail += f"; and {len(error.problems) - 5} more problems"
        raise ApiError(status, detail, problem_errors(error.problems, strip)) from None
    except ProfileValidationError as error:
        count = len(error.problems)
        raise ApiError(
            422,
            f"{error.source}: {count} problem{'s' if count != 1 else ''}, nothing was changed",
            [
                {
                    "field": p.column,
                    "message": p.message,
                    "row": p.row,
                    "value": p.as_dict()["value"],
                }
                for p in error.problems
            ],
        ) from None


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _documents_in_bulk() -> Iterator[None]:
    """Pause the cyclic garbage collector while a session document is read, validated or
    written.

    A session of 60 tables with 300 participants is a document of about 5 MB (the engine's
    suggestions with their reasons, in two languages): reading it makes some 10^6 dicts, lists
    and strings, which start collections; a full one then scanned every object of the process
    for 0.6 s of a 1 s edit. The document is a tree (no cycles): reference counting frees it
    whole, so pausing the collector while it is built loses nothing.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _not_found(session_id: str):
    abort(404, f"Session {session_id} doesn't exist.")


def is_participant(db: DbSession, session_id: str, member_id: str | None) -> bool:
    """Whether `member_id` takes part in the session `session_id`."""
    if not member_id:
        return False
    return (
        db.scalar(
            select(MatchSessionParticipant.member_id).where(
                MatchSessionParticipant.session_id == session_id,
                MatchSessionParticipant.member_id == member_id,
            )
        )
        is not None
    )


def get_stored(db: DbSession, caller: Caller, session_id: str) -> Stored:
    """Return the session `session_id` as the caller may see it.

    Aborts with 404 if it doesn't exist or the caller neither manages it nor takes part in it.
    """
    with _documents_in_bulk():
        row = db.get(MatchSession, session_id)
        if row is None:
            _not_found(session_id)
        manages = caller.manages(row.network_id)
        participant = caller.member_id if is_participant(db, session_id, caller.member_id) else None
        if not manages and participant is None:
            _not_found(session_id)
        try:
            session = Session.from_dict(row.document, source=f"session {session_id}")
        except SessionValidationError:
            # Every document was validated when saved: a bad one was changed outside the
            # service.
            logger.exception("the stored document of session %s is invalid", session_id)
            raise
    left = apply_departures(db, session)
    if left:
        # The withdrawal reaches every session in its own transaction: a document that still
        # names a member who left predates that, or was written around the service.
        logger.warning(
            "session %s still named members who left the service (%s): applied to this read; "
            "the next change stores it",
            session_id,
            ", ".join(left),
        )
    return Stored(
        session_id=row.session_id,
        network_id=row.network_id,
        revision=row.revision,
        owner_id=row.owner_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        session=session,
        manages=manages,
        participant=participant,
    )


def require_manager(stored: Stored, action: str = "manage this session") -> None:
    """Abort with 403 unless the caller manages the session."""
    if not stored.manages:
        abort(
            403,
            f"only the managers of network {stored.network_id!r} and admins may {action}; "
            "a participant reads its own agenda and sets its own wishes",
        )


def require_act_for(stored: Stored, member_id: str) -> None:
    """Abort with 403 unless the caller may act for participant `member_id`."""
    if not stored.may_act_for(member_id):
        abort(403, f"you may act only for yourself ({stored.participant}), not for {member_id}")


def check_revision(stored: Stored, revision: int | None) -> None:
    """Abort with 409 when the caller read another revision than the stored one."""
    if revision is not None and revision != stored.revision:
        abort(
            409,
            f"session {stored.session_id} is at revision {stored.revision}, not {revision}: it "
            "was changed since you read it; nothing was changed, reload it and retry",
            [
                {
                    "field": "revision",
                    "value": revision,
                    "message": f"the session is at revision {stored.revision}",
                }
            ],
        )


def visible_sessions(
    db: DbSession,
    caller: Caller,
    network: str | None = None,
    state: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[MatchSession], int]:
    """Return one page of the sessions the caller sees (newest date first) and their number.

    An admin sees every session; a manager those of its network (naming another network is
    403); a member those it takes part in.
    """
    where = []
    if caller.role == "admin":
        if network:
            where.append(MatchSession.network_id == network)
    elif caller.role == "manager":
        if network and network != caller.network_id:
            abort(
                403,
                f"a manager sees the sessions of its own network ({caller.network_id}), "
                f"not of {network!r}",
                [{"field": "network", "value": network, "message": "not your network"}],
            )
        where.append(MatchSession.network_id == caller.network_id)
    else:
        mine = select(MatchSessionParticipant.session_id).where(
            MatchSessionParticipant.member_id == (caller.member_id or "")
        )
        where.append(MatchSession.session_id.in_(mine))
        if network:
            where.append(MatchSession.network_id == network)
    if state:
        where.append(MatchSession.state == state)
    if date_from:
        where.append(MatchSession.date >= date_from)
    if date_to:
        where.append(MatchSession.date <= date_to)
    total = db.scalar(select(func.count()).select_from(MatchSession).where(*where)) or 0
    rows = db.scalars(
        select(MatchSession)
        .where(*where)
        .order_by(MatchSession.date.desc(), MatchSession.name, MatchSession.session_id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return list(rows), total


def departed_members(db: DbSession, member_ids: Iterable[str]) -> dict[str, bool]:
    """Which of `member_ids` left the service: member id -> True if erased (no row any more),
    False if withdrawn (``deleted_at`` set). Live members are not listed."""
    ids = sorted(set(member_ids))
    if not ids:
        return {}
    found = {
        member_id: deleted_at
        for member_id, deleted_at in db.execute(
            select(Member.member_id, Member.deleted_at).where(Member.member_id.in_(ids))
        )
    }
    return {
        member_id: member_id not in found
        for member_id in ids
        if member_id not in found or found[member_id] is not None
    }


def apply_departures(db: DbSession, session: Session) -> list[str]:
    """Apply to `session` (in memory) the withdrawal or erasure of every participant whose
    member left the service but who still stands in it as if it had not (see
    :func:`matcher.sessions.wishes.withdraw_participant`); returns their ids.

    A participant already kept, flagged, in a published agenda is left as it is unless it was
    erased since. Every participant of a stored session was a live member when added (a guest
    cannot be added through the service), so one without a row any more was erased.
    """
    departed = departed_members(db, session.participants)
    changed = []
    for member_id, erased in departed.items():
        if session.is_withdrawn(member_id) and not erased:
            continue
        withdraw_participant(session, member_id, erased=erased)
        changed.append(member_id)
    return changed


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


def session_figures(session: Session) -> dict[str, int]:
    """The counts kept beside the document: participants (those that withdrew are not counted),
    meetings, requested, accepted, held.

    A meeting is *requested* when at least one side of the pair said "must" or "would";
    *accepted* when a requested pair is on the agenda (planned or held); *held* when recorded
    as held.
    """
    active = session.active_meetings()
    requested = {tuple(sorted(pair)) for pair, wish in session.wishes.items() if wish.level != "no"}
    scheduled = {m.pair for m in active}
    return {
        # Who takes part: a participant kept only to flag a published meeting does not.
        "participants": sum(not p.withdrawn for p in session.participants.values()),
        "meetings": len(active),
        "meetings_requested": len(requested),
        "meetings_accepted": len(requested & scheduled),
        "meetings_held": sum(m.status == "held" for m in session.meetings),
    }


def create_session(
    db: DbSession, caller: Caller, settings: SessionSettings, network_id: str
) -> Stored:
    """Store a new session of `network_id` (its managers and admins run it) and commit.

    Aborts with 403 if the caller does not manage `network_id`, 409 if the id is taken.
    """
    if not caller.manages(network_id):
        abort(
            403,
            f"only a manager of network {network_id!r} or an admin may create its sessions",
            [{"field": "network", "value": network_id, "message": "not your network"}],
        )
    if db.get(MatchSession, settings.session_id) is not None:
        abort(
            409,
            f"a session with the id {settings.session_id} exists already",
            [{"field": "session_id", "value": settings.session_id, "message": "taken"}],
        )
    session = Session(settings)
    now = utcnow()
    row = MatchSession(
        session_id=settings.session_id,
        network_id=network_id,
        name=settings.name,
        date=settings.date,
        state=session.state,
        revision=1,
        owner_id=caller.user_id,
        document=session.to_dict(),
        created_at=now,
        updated_at=now,
        **session_figures(session),
    )
    db.add(row)
    db.commit()
    logger.info("session %s created by user %s", row.session_id, caller.user_id)
    return Stored(row.session_id, network_id, 1, caller.user_id, now, now, session, True, None)


def _save(db: DbSession, stored: Stored, document: dict[str, Any] | None = None) -> None:
    """Write the changed session if the row is still at the revision read (else 409);
    `document` is its :meth:`Session.to_dict` when the caller has made it already."""
    session = stored.session
    now = utcnow()
    result = db.execute(
        update(MatchSession)
        .where(
            MatchSession.session_id == stored.session_id,
            MatchSession.revision == stored.revision,
        )
        .values(
            document=session.to_dict() if document is None else document,
            revision=stored.revision + 1,
            name=session.settings.name,
            date=session.settings.date,
            state=session.state,
            updated_at=now,
            **session_figures(session),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        abort(
            409,
            f"session {stored.session_id} was changed by another request while this one ran "
            f"(it is no longer at revision {stored.revision}); nothing was changed, reload it "
            "and retry",
            [{"field": "revision", "value": stored.revision, "message": "changed meanwhile"}],
        )
    wanted = set(session.participants)
    listed = set(
        db.scalars(
            select(MatchSessionParticipant.member_id).where(
                MatchSessionParticipant.session_id == stored.session_id
            )
        )
    )
    if listed - wanted:
        db.execute(
            delete(MatchSessionParticipant).where(
                MatchSessionParticipant.session_id == stored.session_id,
                MatchSessionParticipant.member_id.in_(sorted(listed - wanted)),
            )
        )
    if wanted - listed:
        db.execute(
            insert(MatchSessionParticipant),
            [
                {"session_id": stored.session_id, "member_id": member_id}
                for member_id in sorted(wanted - listed)
            ],
        )
    # A build waiting for confirmation was made from the revision this save replaces.
    db.execute(
        delete(MatchSessionCandidate).where(MatchSessionCandidate.session_id == stored.session_id)
    )
    stored.revision += 1
    stored.updated_at = now


def change(
    db: DbSession,
    caller: Caller,
    session_id: str,
    revision: int | None,
    step: Callable[[Session], Any],
    allow: Callable[[Stored], None] = require_manager,
    after: Callable[[DbSession, Stored, Any], Any] | None = None,
) -> tuple[Stored, Any]:
    """Apply `step` to the stored session and save it, all or nothing (see the module's text).

    Parameters
    ----------
    revision : int or None
        The revision the caller read; when given and the session is at another, 409.
    step : callable
        Changes the session in place (a library function); its return value is returned.
    allow : callable
        Aborts when the caller may not make the change (default: managers only).
    after : callable, optional
        ``after(db, stored, result)`` writes what goes with the change in the same transaction.

    Returns
    -------
    (Stored, result)
        The saved session (at its new revision) and what `step` returned (or `after` when given).
    """
    stored = get_stored(db, caller, session_id)
    allow(stored)
    check_revision(stored, revision)
    # End the read: no snapshot or lock is held while the step runs.
    db.rollback()
    try:
        with library_errors():
            result = step(stored.session)
            with _documents_in_bulk():
                # The changed document is validated whole before it is stored (that one).
                document = stored.session.to_dict()
                Session.from_dict(document, source=f"session {session_id}")
        with _documents_in_bulk():
            _save(db, stored, document)
        if after is not None:
            result = after(db, stored, result)
        db.commit()
    except BaseException:
        db.rollback()
        raise
    return stored, result


def withdraw_from_sessions(db: DbSession, member_id: str, erased: bool = False) -> int:
    """Take a withdrawn (or, with `erased`, an erased) member out of every session that names
    it, in the caller's transaction (the caller commits, with the member's own change).

    Each session changes as :func:`matcher.sessions.wishes.withdraw_participant` says: out of a
    preliminary agenda and the wish lists; kept, flagged, in a published agenda; erased, gone
    from every session and from the admitted members' list too (those the participants' index
    does not find are found in the documents' text). Every changed session gets a new revision,
    as with any change. The rows are read ``FOR UPDATE`` (PostgreSQL), so a change of the same
    session running meanwhile is refused with 409 when it saves, not lost; should such a change
    save first, this one is refused (409) and nothing at all is written.

    Returns the number of sessions changed.
    """
    session_ids = set(
        db.scalars(
            select(MatchSessionParticipant.session_id).where(
                MatchSessionParticipant.member_id == member_id
            )
        )
    )
    if erased:
        # A session may list the member among those admitted without it taking part.
        session_ids.update(
            db.scalars(
                select(MatchSession.session_id).where(
                    cast(MatchSession.document, Text).contains(f'"{member_id}"', autoescape=True)
                )
            )
        )
    changed = 0
    # One order for every withdrawal, so that two of them never wait for each other's rows.
    for session_id in sorted(session_ids):
        row = db.scalars(
            select(MatchSession)
            .where(MatchSession.session_id == session_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one_or_none()
        if row is None:
            continue
        session = Session.from_dict(row.document, source=f"session {session_id}")
        before = session.to_dict()
        withdraw_participant(session, member_id, erased=erased)
        if session.to_dict() == before:
            continue
        stored = Stored(
            row.session_id,
            row.network_id,
            row.revision,
            row.owner_id,
            row.created_at,
            row.updated_at,
            session,
            True,
            None,
        )
        _save(db, stored)
        changed += 1
    if erased:
        db.execute(
            delete(MatchSessionParticipant).where(MatchSessionParticipant.member_id == member_id)
        )
    if changed:
        logger.info(
            "member %s %s: %d sessions changed",
            member_id,
            "erased" if erased else "withdrawn",
            changed,
        )
    return changed


def erase_participant(db: DbSession, member_id: str) -> int:
    """Take an erased member out of every session (:func:`withdraw_from_sessions` with
    ``erased=True``; the name callers used before withdrawals reached the sessions)."""
    return withdraw_from_sessions(db, member_id, erased=True)


def delete_session(db: DbSession, caller: Caller, session_id: str, revision: int | None) -> None:
    """Delete a session and its participants' index (managers; 409 on a revision mismatch)."""
    stored = get_stored(db, caller, session_id)
    require_manager(stored, "delete this session")
    check_revision(stored, revision)
    db.execute(delete(MatchSessionCandidate).where(MatchSessionCandidate.session_id == session_id))
    db.execute(
        delete(MatchSessionParticipant).where(MatchSessionParticipant.session_id == session_id)
    )
    result = db.execute(
        delete(MatchSession)
        .where(MatchSession.session_id == session_id, MatchSession.revision == stored.revision)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.rollback()
        abort(409, f"session {session_id} was changed meanwhile; nothing was deleted, reload it")
    db.commit()
    logger.info("session %s deleted by user %s", session_id, caller.user_id)


# ---------------------------------------------------------------------------------------------
# Participants
# ---------------------------------------------------------------------------------------------


def _live_members(db: DbSession, member_ids: Iterable[str]) -> dict[str, Member]:
    ids = sorted({str(m).strip() for m in member_ids if str(m).strip()})
    if not ids:
        return {}
    return {
        m.member_id: m
        for m in db.scalars(
            select(Member).where(Member.member_id.in_(ids), Member.deleted_at.is_(None))
        )
    }


def require_participants(session: Session, **named: str) -> None:
    """Abort with 404 naming each of `named` (``field=member_id``) that is not a participant of
    `session`: a request that names a participant names a resource of the session."""
    missing = [
        {"field": field, "value": member_id, "message": "not a participant of this session"}
        for field, member_id in named.items()
        if member_id not in session.participants
    ]
    if missing:
        names = ", ".join(e["value"] for e in missing)
        abort(404, f"not a participant of this session: {names}", missing)


def participant_of_member(
    db: DbSession,
    settings: SessionSettings,
    member_id: str,
    available: Any = None,
    min_meetings: int = 0,
    max_meetings: int | None = None,
    role: str | None = None,
) -> Participant:
    """Make a participant of the live member `member_id`: 404 naming the field for a member
    that does not exist, 422 for one withdrawn from the service (named as such: it cannot take
    part)."""
    member = _live_members(db, [member_id]).get(member_id)
    if member is None:
        if departed_members(db, [member_id]).get(member_id) is False:
            abort(
                422,
                f"member {member_id} was withdrawn from the service and cannot take part",
                [
                    {
                        "field": "member_id",
                        "value": member_id,
                        "message": f"{member_id} was withdrawn from the service",
                    }
                ],
            )
        abort(
            404,
            f"Member {member_id} doesn't exist.",
            [{"field": "member_id", "value": member_id, "message": "no such member"}],
        )
    with library_errors():
        return Participant.from_profile(
            stored_profile(member),
            settings,
            available=available,
            min_meetings=min_meetings,
            max_meetings=max_meetings,
            role=role,
        )


def participants_of_upload(
    db: DbSession, settings: SessionSettings, data: bytes, filename: str, file_format: str | None
) -> list[Participant]:
    """Read a participants file (CSV, XLSX or JSON) of live members, every row checked.

    Aborts with 422 listing every bad row (unknown or withdrawn member, bad availability, min
    above max, listed twice, not admitted to the session) when any row is bad; nothing is
    returned then.
    """
    with library_errors():
        raw, unit = read_upload(data, filename, file_format, "participants")
        records = raw.to_dict("records")
        ids = [
            str(record.get(key) or "").strip()
            for record in records
            for key in record
            if str(key).strip().lower() in ("member_id", "id")
        ]
        profiles = {member_id: stored_profile(m) for member_id, m in _live_members(db, ids).items()}
        try:
            participants = participants_from_records(
                records,
                settings,
                profiles,
                source=filename or "participants",
                unit=unit,
                first_row=2 if unit == "row" else 1,
            )
        except ProfileValidationError as error:
            # The library knows only the live profiles: a withdrawn member is named as such.
            withdrawn = {m for m, erased in departed_members(db, ids).items() if not erased}
            error.problems = [
                dataclasses.replace(
                    problem,
                    message=f"{problem.value} was withdrawn from the service and cannot take part",
                )
                if problem.column == "member_id" and problem.value in withdrawn
                else problem
                for problem in error.problems
            ]
            raise
    if not participants:
        abort(
            422,
            f"{filename or 'the file'} lists no participants",
            [{"field": "file", "value": filename, "message": "no rows"}],
        )
    return participants


# ---------------------------------------------------------------------------------------------
# The engine's suggestions among the participants
# ---------------------------------------------------------------------------------------------


def engine_suggestions(
    db: DbSession, session: Session, member_ids: Iterable[str] | None = None
) -> dict[str, tuple] | None:
    """The engine's suggestions among the participants (the active model), or None without one.

    Participants the model was not fitted on (members added since it was trained) get none.
    """
    served = holder().get(db)
    if served is None:
        return None
    chosen = None if member_ids is None else list(member_ids)
    return suggest_wishes(
        served.matcher,
        session,
        k=SUGGESTIONS_K,
        member_ids=chosen,
        network_names=network_names(db),
    )


def partners_of(
    session: Session, member_id: str, language: str, computed: dict[str, tuple] | None = None
) -> list[dict[str, Any]]:
    """The wish list of a participant: the engine's suggestions (best first, with reasons in
    `language`), then the explained and the wished partners, with both sides' wishes. A
    partner that withdrew is not on it (nobody can wish for it any more)."""
    items = (computed or {}).get(member_id, session.suggestions.get(member_id, ()))
    partners: dict[str, dict[str, Any]] = {}
    for item in items:
        if item.partner_id not in session.participants or session.is_withdrawn(item.partner_id):
            continue
        partners[item.partner_id] = {
            "score": float(f"{item.score:.4g}"),  # as stored (SessionSuggestion.to_dict)
            "suggested": item.suggested,
            "reasons": list(item.reasons.get(language, ())),
        }
    wished = [p for (m, p) in session.wishes if m == member_id and not session.is_withdrawn(p)]
    for partner_id in wished:
        partners.setdefault(partner_id, {"score": None, "suggested": False, "reasons": []})
    result = []
    for partner_id, values in partners.items():
        partner = session.participants[partner_id]
        result.append(
            {
                "partner_id": partner_id,
                "name": partner.name,
                "network": partner.network,
                "org_type": partner.org_type,
                "country": partner.country,
                **values,
                "level": session.level(member_id, partner_id),
                "their_level": session.level(partner_id, member_id),
            }
        )
    result.sort(key=lambda p: (not p["suggested"], -(p["score"] or 0.0), p["partner_id"]))
    return result


# ---------------------------------------------------------------------------------------------
# A participant's side: wish list, wishes, agenda, outcomes (the API and the member pages)
# ---------------------------------------------------------------------------------------------


def wish_list(
    db: DbSession, caller: Caller, session_id: str, member_id: str, language: str
) -> dict[str, Any]:
    """A participant's wish list (``GET .../wishes/{member_id}``): the engine's suggestions
    among the participants with reasons in `language`, and both sides' wishes. A member sees
    its own (403 otherwise); managers anyone's; 404 for one that does not take part."""
    stored = get_stored(db, caller, session_id)
    require_act_for(stored, member_id)
    participant = participant_or_404(stored, member_id)
    session = stored.session
    stored_here = member_id in session.suggestions
    # Not refreshed since this participant joined: the engine answers now (not stored).
    computed = None if stored_here else engine_suggestions(db, session, [member_id])
    return {
        "session_id": stored.session_id,
        "revision": stored.revision,
        "member_id": member_id,
        "name": participant.name,
        "stored": stored_here,
        "partners": partners_of(session, member_id, language, computed),
    }


def participant_or_404(stored: Stored, member_id: str) -> Participant:
    """The participant `member_id` of the session, or 404 naming it."""
    participant = stored.session.participants.get(member_id)
    if participant is None:
        abort(404, f"{member_id} is not a participant of session {stored.session_id}.")
    return participant


def set_participant_wish(
    db: DbSession,
    caller: Caller,
    session_id: str,
    revision: int | None,
    member_id: str,
    partner_id: str,
    level: str | None,
) -> Stored:
    """Set what participant `member_id` wants of meeting `partner_id`: ``must``, ``would``,
    ``no`` (a veto) or None (clear), as ``PUT .../wishes/{member_id}/{partner_id}`` does.

    A member sets its own wishes (403 for another's); managers anyone's. A pair the session's
    rules keep apart, or a participant and itself, is a conflict (409 naming ``partner_id``).
    """

    def refused(rule: str | None = None) -> list[dict[str, Any]]:
        message = f"this pair may not meet: {rule}" if rule else "the participant itself"
        return [{"field": "partner_id", "value": partner_id, "message": message}]

    def step(session: Session) -> None:
        require_participants(session, member_id=member_id, partner_id=partner_id)
        # Well-formed wishes the session's own rules refuse: conflicts with the session (409),
        # not bad input (the document cannot tell these pairs apart).
        if member_id == partner_id:
            abort(409, "a participant cannot wish to meet itself", refused())
        rule = pair_rule_violation(session, member_id, partner_id)
        if level not in (None, "no") and rule:
            abort(409, f"this pair may not meet: {rule}", refused(rule))
        set_wish(session, member_id, partner_id, level)

    stored, _ = change(
        db,
        caller,
        session_id,
        revision,
        step,
        allow=lambda stored: require_act_for(stored, member_id),
    )
    return stored


def participant_agenda(
    db: DbSession, caller: Caller, session_id: str, member_id: str, language: str
) -> dict[str, Any]:
    """One participant's agenda (``GET .../agenda/{member_id}``), every slot: partner, table,
    both sides' wishes and the engine's reasons seen from this side, in `language`.

    A meeting whose partner withdrew after publication says so (``partner_withdrawn`` and a
    ``note``): the organisers will cancel or re-plan it. A slot whose meeting an erasure took
    away is ``cancelled`` with ``partner_erased`` and no partner. A member sees its own (403
    otherwise); managers anyone's.
    """
    stored = get_stored(db, caller, session_id)
    require_act_for(stored, member_id)
    participant = participant_or_404(stored, member_id)
    session = stored.session
    settings = session.settings
    label = LABELS[language]
    by_slot = {m.slot: m for m in session.meetings_of(member_id)}
    vacated = {v.slot: v for v in session.vacancies_of(member_id)}
    rows = []
    for slot in settings.slot_numbers:
        meeting = by_slot.get(slot)
        base = {
            "slot": slot,
            "time": settings.slot_label(slot),
            "start": settings.slot_start(slot).isoformat(),
            "end": settings.slot_end(slot).isoformat(),
        }
        if meeting is None:
            vacancy = vacated.get(slot)
            if vacancy is not None:
                status = "cancelled"
            else:
                status = "free" if slot in participant.available else "unavailable"
            rows.append(
                {
                    **base,
                    "table": vacancy.table if vacancy else None,
                    "partner_id": None,
                    "partner": "",
                    "network": "",
                    "country": "",
                    "your_wish": None,
                    "their_wish": None,
                    "reasons": [],
                    "status": status,
                    "outcome": None,
                    "locked": False,
                    "partner_withdrawn": False,
                    "partner_erased": vacancy is not None,
                    "note": label["partner_erased"] if vacancy else "",
                }
            )
            continue
        partner_id = meeting.partner_of(member_id)
        partner = session.participants.get(partner_id)
        rows.append(
            {
                **base,
                "table": meeting.table,
                "partner_id": partner_id,
                "partner": partner.name if partner else partner_id,
                "network": partner.network if partner else "",
                "country": partner.country if partner else "",
                "your_wish": session.level(member_id, partner_id),
                "their_wish": session.level(partner_id, member_id),
                "reasons": list(meeting_reasons(session, member_id, partner_id, language)),
                "status": meeting.status,
                "outcome": meeting.outcome,
                "locked": meeting.locked,
                "partner_withdrawn": session.is_withdrawn(partner_id),
                "partner_erased": False,
                "note": meeting_note(session, meeting, language, member_id),
            }
        )
    return {
        "session_id": stored.session_id,
        "revision": stored.revision,
        "state": session.state,
        "member_id": member_id,
        "name": participant.name,
        "rows": rows,
    }


def participant_ics(
    db: DbSession, caller: Caller, session_id: str, member_id: str, language: str
) -> bytes:
    """One participant's calendar (``GET .../export/ics?member_id=``): its meetings as iCalendar
    events in the session's time zone. A member gets its own (403 otherwise); managers
    anyone's; 404 for one that does not take part."""
    stored = get_stored(db, caller, session_id)
    require_act_for(stored, member_id)
    participant_or_404(stored, member_id)
    calendar = participant_calendar(stored.session, member_id, language, network_names(db))
    return calendar.to_ical()


def printable_page(db: DbSession, caller: Caller, session_id: str, language: str) -> str:
    """The printable page (``GET .../export/html``): for managers every agenda and the table
    plan, for a participant its own agenda only."""
    stored = get_stored(db, caller, session_id)
    names = network_names(db)
    if stored.manages:
        return render_html(stored.session, language, network_names=names)
    return render_html(
        stored.session,
        language,
        member_ids=[stored.participant],
        include_plan=False,
        network_names=names,
    )


@dataclass(frozen=True)
class OutcomeItem:
    """What happened to the meeting of `member_id` and `partner_id`: whether it was `held` and
    its `outcome` (``none``, ``follow_up`` or ``deal``; ``none`` when not held)."""

    member_id: str
    partner_id: str
    held: bool
    outcome: str = "none"


def may_record_outcomes(stored: Stored, items: Iterable[OutcomeItem]) -> None:
    """Abort with 403 unless the caller may record these outcomes: managers any meeting's, a
    participant only those of its own meetings (it was at the table)."""
    if stored.manages:
        return
    for item in items:
        if stored.participant not in (item.member_id, item.partner_id):
            abort(
                403,
                f"a participant records the outcomes of its own meetings ({stored.participant}),"
                f" not of {item.member_id} and {item.partner_id}",
            )


def record_outcomes(
    db: DbSession,
    caller: Caller,
    session_id: str,
    revision: int | None,
    items: list[OutcomeItem],
) -> tuple[Stored, list[Meeting], dict[str, int]]:
    """Record which meetings took place and their outcome (after publication), all or none,
    as ``POST .../outcomes`` does; held meetings become feedback for both sides
    (:func:`sync_outcome_feedback`). Managers record any meeting's, a participant its own
    (:func:`may_record_outcomes`).

    Returns
    -------
    (Stored, list of Meeting, dict)
        The saved session, the meetings changed and the feedback counts.
    """

    def step(session: Session) -> list[Meeting]:
        if session.state != "final":
            raise SessionValidationError(
                [
                    SessionProblem(
                        "state", session.state, "publish the agenda before you record what happened"
                    )
                ]
            )
        problems: list[SessionProblem] = []
        conflicts = []
        changed = []
        for index, item in enumerate(items):
            try:
                changed.append(
                    record_outcome(
                        session, item.member_id, item.partner_id, item.held, item.outcome
                    )
                )
            except SessionValidationError as error:
                problems.extend(
                    SessionProblem(f"outcomes[{index}].{p.field}", p.value, p.message)
                    for p in error.problems
                )
            except AgendaConflictError as error:
                conflicts.extend(error.conflicts)
        if problems:
            raise SessionValidationError(problems)
        if conflicts:
            raise AgendaConflictError(conflicts, "recording the outcomes")
        return changed

    def after(db: DbSession, stored: Stored, changed: list[Meeting]):
        counts = sync_outcome_feedback(db, caller, stored, [m.pair for m in changed])
        return changed, counts

    stored, (changed, counts) = change(
        db,
        caller,
        session_id,
        revision,
        step,
        allow=lambda stored: may_record_outcomes(stored, items),
        after=after,
    )
    return stored, changed, counts


def plan_session(
    db: DbSession,
    session: Session,
    time_limit: float,
    method: str = "auto",
    include_suggested: bool = False,
    refresh_suggestions: bool = True,
    num_workers: int = 2,
) -> tuple[ScheduleResult, bool]:
    """Build the session's agenda without adopting it: first, with `refresh_suggestions` and an
    active model, the engine's suggestions among the participants (stored in `session`: their
    scores break ties, their reasons go into the exports); locked and held meetings stay.

    Returns the scheduler's result and whether the suggestions were refreshed. Raises
    :class:`SessionValidationError` (state) for a final agenda, before anything is solved.
    """
    if session.state != "preliminary":
        raise SessionValidationError(
            [
                SessionProblem(
                    "state",
                    session.state,
                    "the agenda is final (published); reopen it before you build it again",
                )
            ]
        )
    # Never plan a member who left: the read applied every departure known then, and one
    # made since is applied here (its own change of the session then makes this one 409).
    left = apply_departures(db, session)
    if left:
        logger.info(
            "build of session %s: %s left the service meanwhile",
            session.settings.session_id,
            ", ".join(left),
        )
    refreshed = False
    if refresh_suggestions:
        found = engine_suggestions(db, session)
        if found is not None:
            session.suggestions = dict(found)
            refreshed = True
    result = build_agenda(
        session,
        time_limit=time_limit,
        num_workers=num_workers,
        method=method,
        include_suggested=include_suggested,
    )
    return result, refreshed


def explain_meetings(db: DbSession, session: Session) -> int:
    """Give every meeting of the agenda the engine's reasons for both sides (the active model's
    :func:`matcher.sessions.wishes.explain_agenda`): the side whose own suggestions do not hold
    its partner is told why from its point of view, in the agendas, calendars and exports
    alike. Returns how many directions were explained (0 without an active model)."""
    served = holder().get(db)
    if served is None:
        return 0
    return explain_agenda(served.matcher, session, network_names=network_names(db))


def adopt_agenda(db: DbSession, session: Session, result: ScheduleResult) -> None:
    """Make `result` the session's agenda (cancelled meetings stay on record) and explain each
    meeting to both sides."""
    apply_agenda(session, result)
    explain_meetings(db, session)


def build_session(
    db: DbSession,
    session: Session,
    time_limit: float,
    method: str = "auto",
    include_suggested: bool = False,
    refresh_suggestions: bool = True,
    num_workers: int = 2,
) -> tuple[ScheduleResult, bool]:
    """Build and adopt the session's agenda whatever it drops (a step of :func:`change`):
    :func:`plan_session`, then :func:`adopt_agenda`; :func:`rebuild_agenda` is the same with
    the check of what the new agenda would drop."""
    result, refreshed = plan_session(
        db, session, time_limit, method, include_suggested, refresh_suggestions, num_workers
    )
    adopt_agenda(db, session, result)
    return result, refreshed


#: What :func:`rebuild_agenda` does with a new agenda that would plan markedly fewer meetings
#: or drop "must" meetings: ``replace`` the agenda anyway, ``hold`` it as a candidate for the
#: manager to confirm (the pages), ``refuse`` it (409 naming the drop; the API on request).
ON_DROP = ("replace", "hold", "refuse")


@dataclass
class BuildOutcome:
    """What :func:`rebuild_agenda` did."""

    #: The session: saved at its new revision when replaced; when held, at the revision read
    #: (the stored row is unchanged) with the built session, which waits as the candidate.
    stored: Stored
    result: ScheduleResult
    #: Whether the engine's suggestions were refreshed first.
    refreshed: bool
    #: The new agenda compared with the one it replaces (or would replace).
    drop: AgendaDrop
    #: Whether the new agenda replaced the current one; if not, it waits as a candidate.
    replaced: bool
    #: The candidate's token (a confirmation names it), when it was held.
    token: str | None = None


def drop_errors(session: Session, drop: AgendaDrop) -> list[dict[str, Any]]:
    """What a new agenda would drop, as the ``errors`` of a problem response."""

    def name(member_id: str) -> str:
        participant = session.participants.get(member_id)
        return participant.name if participant else member_id

    errors = []
    if drop.markedly_fewer:
        errors.append(
            {
                "field": "drop.meetings",
                "value": drop.proposed,
                "message": f"{drop.proposed} meetings instead of the current {drop.current} "
                f"(markedly fewer: below {MARKED_DROP_SHARE:.0%} of them)",
            }
        )
    for meeting in drop.lost_must:
        marked_by = [
            name(a) for a, b in (meeting.pair, meeting.pair[::-1]) if session.level(a, b) == "must"
        ]
        errors.append(
            {
                "field": "drop.must",
                "value": meeting.meeting_id,
                "message": f"drops the meeting of {name(meeting.member_a)} and "
                f"{name(meeting.member_b)}, marked \u201cmust\u201d by {' and '.join(marked_by)}",
            }
        )
    return errors


def rebuild_agenda(
    db: DbSession,
    caller: Caller,
    session_id: str,
    revision: int | None,
    time_limit: float,
    method: str = "auto",
    include_suggested: bool = False,
    refresh_suggestions: bool = True,
    num_workers: int = 2,
    on_drop: str = "replace",
) -> BuildOutcome:
    """Build the session's agenda and replace the current one, unless it would take too much
    away: the one build of the API and the pages.

    The new agenda is compared with the current one
    (:func:`matcher.sessions.scheduler.agenda_drop`). When it plans markedly fewer meetings
    (fewer than :data:`~matcher.sessions.scheduler.MARKED_DROP_SHARE`, 90%, of the current
    ones) or drops a meeting a participant marked "must", `on_drop` decides (see :data:`ON_DROP`): ``replace``
    saves it as any change (:func:`change`); ``refuse`` answers 409 naming the drop; ``hold``
    keeps the whole built session as the session's candidate (``match_session_candidates``,
    with a new token and the revision it was built from) and leaves the session untouched:
    :func:`replace_with_candidate` adopts it, :func:`discard_candidate` drops it. Any saved
    change of the session discards the candidate too. Locked and held meetings stay where they
    are either way.

    Aborts with 409 when the caller read another revision, or the session changed while this
    build ran; 403 for a caller who does not manage the session.
    """
    if on_drop not in ON_DROP:
        raise ValueError(f"Got on_drop={on_drop!r}, expected one of {', '.join(ON_DROP)}")
    stored = get_stored(db, caller, session_id)
    require_manager(stored)
    check_revision(stored, revision)
    # End the read: no snapshot or lock is held while the solver runs (up to a minute).
    db.rollback()
    session = stored.session
    try:
        with library_errors():
            result, refreshed = plan_session(
                db, session, time_limit, method, include_suggested, refresh_suggestions, num_workers
            )
            drop = agenda_drop(session, result)
            if drop.marked and on_drop == "refuse":
                abort(
                    409,
                    f"the new agenda would plan {drop.proposed} meetings instead of "
                    f"{drop.current} and drop {len(drop.lost_must)} \u201cmust\u201d meetings; "
                    "nothing was changed: build with confirm_drop=true to replace the agenda "
                    "anyway",
                    drop_errors(session, drop),
                )
            adopt_agenda(db, session, result)
            with _documents_in_bulk():
                # The built document is validated whole before it is stored (that one).
                document = session.to_dict()
                Session.from_dict(document, source=f"session {session_id}")
        if drop.marked and on_drop == "hold":
            token = _hold(db, caller, stored, drop, document)
            db.commit()
            logger.info(
                "session %s: a build of %d meetings (now %d) waits for confirmation",
                session_id,
                drop.proposed,
                drop.current,
            )
            return BuildOutcome(stored, result, refreshed, drop, False, token)
        with _documents_in_bulk():
            _save(db, stored, document)
        db.commit()
    except BaseException:
        db.rollback()
        raise
    return BuildOutcome(stored, result, refreshed, drop, True)


def _hold(
    db: DbSession, caller: Caller, stored: Stored, drop: AgendaDrop, document: dict[str, Any]
) -> str:
    """Keep the built session (its `document`) as the candidate of its session, replacing an
    older one, and return its new token; 409 if the session changed while it was built."""
    now_at = db.scalar(
        select(MatchSession.revision).where(MatchSession.session_id == stored.session_id)
    )
    if now_at != stored.revision:
        abort(
            409,
            f"session {stored.session_id} was changed by another request while the agenda was "
            "built; nothing was changed, build it again",
            [{"field": "revision", "value": stored.revision, "message": "changed meanwhile"}],
        )
    token = secrets.token_urlsafe(24)
    db.execute(
        delete(MatchSessionCandidate).where(MatchSessionCandidate.session_id == stored.session_id)
    )
    with _documents_in_bulk():
        db.add(
            MatchSessionCandidate(
                session_id=stored.session_id,
                token=token,
                base_revision=stored.revision,
                dropped=drop.to_dict(),
                document=document,
                owner_id=caller.user_id,
                created_at=utcnow(),
            )
        )
        db.flush()
    return token


@dataclass
class Candidate:
    """A built agenda waiting for the manager's word (see :func:`rebuild_agenda`)."""

    token: str
    #: The session's revision it was built from.
    base_revision: int
    #: What it would take away: :meth:`matcher.sessions.scheduler.AgendaDrop.to_dict`.
    dropped: dict[str, Any]
    #: The session as the build left it (its agenda, suggestions and last build).
    session: Session
    created_at: dt.datetime
    #: Whether the session is still at `base_revision` (else it can only be discarded).
    current: bool


def get_candidate(db: DbSession, stored: Stored) -> Candidate | None:
    """The session's built agenda waiting for confirmation, or None (403 unless the caller
    manages the session)."""
    require_manager(stored)
    with _documents_in_bulk():
        row = db.get(MatchSessionCandidate, stored.session_id)
        if row is None:
            return None
        built = Session.from_dict(row.document, source=f"the new agenda of {stored.session_id}")
    return Candidate(
        token=row.token,
        base_revision=row.base_revision,
        dropped=dict(row.dropped),
        session=built,
        created_at=row.created_at,
        current=row.base_revision == stored.revision,
    )


def _no_candidate(token: str | None) -> None:
    abort(
        409,
        "the new agenda you confirm is no longer waiting (a newer build, a change of the "
        "session, or a decision on it came first); nothing was changed",
        [{"field": "token", "value": token, "message": "no such agenda waits for confirmation"}],
    )


def replace_with_candidate(
    db: DbSession, caller: Caller, session_id: str, token: str | None, revision: int | None
) -> tuple[Stored, dict[str, Any] | None]:
    """Replace the session's agenda with its candidate (:func:`rebuild_agenda`), as one change.

    Aborts with 409, changing nothing, unless the candidate waiting is the one of `token` and
    the session is still at the revision it was built from (and `revision`, when given, is that
    one): a confirmation form left open in another tab cannot replace a newer agenda.

    Returns the saved session and the figures of the build (its ``last_build``).
    """
    stored = get_stored(db, caller, session_id)
    require_manager(stored)
    with _documents_in_bulk():
        row = db.get(MatchSessionCandidate, session_id)
    if row is None or not secrets.compare_digest(row.token, token or ""):
        _no_candidate(token)
    if revision is not None and revision != row.base_revision:
        _no_candidate(token)
    document, base_revision = row.document, row.base_revision

    def step(session: Session) -> dict[str, Any] | None:
        with _documents_in_bulk():
            built = Session.from_dict(document, source=f"the new agenda of session {session_id}")
        for item in dataclasses.fields(Session):
            setattr(session, item.name, getattr(built, item.name))
        # Departures since the build changed the session, which discarded the candidate; a
        # read applies them all the same.
        apply_departures(db, session)
        return session.last_build

    # change() checks the revision again and saves (which removes the candidate).
    return change(db, caller, session_id, base_revision, step)


def discard_candidate(db: DbSession, caller: Caller, session_id: str, token: str | None) -> bool:
    """Drop the session's candidate of `token` (every candidate when `token` is None) and keep
    the current agenda; returns whether one was dropped (403 unless the caller manages the
    session)."""
    stored = get_stored(db, caller, session_id)
    require_manager(stored)
    where = [MatchSessionCandidate.session_id == session_id]
    if token is not None:
        where.append(MatchSessionCandidate.token == token)
    dropped = db.execute(delete(MatchSessionCandidate).where(*where)).rowcount
    db.commit()
    return bool(dropped)


# ---------------------------------------------------------------------------------------------
# Outcomes flow back as feedback
# ---------------------------------------------------------------------------------------------


def sync_outcome_feedback(
    db: DbSession, caller: Caller, stored: Stored, pairs: Iterable[tuple[str, str]]
) -> dict[str, int]:
    """Make the feedback of the session's meetings of `pairs` match their recorded outcomes.

    A held meeting gives each side a ``meeting`` event (``deal`` for a deal), written with the
    feedback endpoint's own code (:func:`api.services.feedback.add_feedback`) and the note
    :data:`FEEDBACK_NOTE`; events of that note that no longer hold (an outcome corrected, a
    meeting marked as not held) are removed. Pairs with a withdrawn member are skipped.

    Returns
    -------
    dict
        ``written``, ``removed`` and ``skipped`` (pairs) counts.
    """
    session = stored.session
    note = FEEDBACK_NOTE.format(session_id=stored.session_id)
    pairs = {tuple(sorted(pair)) for pair in pairs}
    wanted = {
        (r["member_id"], r["partner_id"], r["event"])
        for r in feedback_records(session)
        if tuple(sorted((r["member_id"], r["partner_id"]))) in pairs
    }
    people = {member for pair in pairs for member in pair}
    live = _live_members(db, people)
    counts = {"written": 0, "removed": 0, "skipped": 0}
    existing = db.scalars(
        select(FeedbackEvent).where(
            FeedbackEvent.note == note,
            FeedbackEvent.member_id.in_(sorted(people)),
            FeedbackEvent.partner_id.in_(sorted(people)),
        )
    ).all()
    have = set()
    for row in existing:
        key = (row.member_id, row.partner_id, row.event)
        if tuple(sorted(key[:2])) not in pairs:
            continue
        if key in wanted:
            have.add(key)
        else:
            db.delete(row)
            counts["removed"] += 1
    for pair in sorted(pairs):
        if not all(member in live for member in pair):
            counts["skipped"] += 1
            continue
        for key in sorted(k for k in wanted - have if tuple(sorted(k[:2])) == pair):
            member_id, partner_id, event = key
            add_feedback(db, caller, live[member_id], partner_id, event, note)
            counts["written"] += 1
    db.flush()
    return counts


# ---------------------------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------------------------


def departures_payload(session: Session) -> dict[str, Any]:
    """What members who left the service left behind in the session, for its JSON.

    ``withdrawn``: the participants kept, flagged, in a published agenda, with the meetings
    still planned with them (the manager records those as not held, or reopens the agenda to
    re-plan); ``vacated``: the slots where an erasure took a published meeting away, on the
    remaining side (nothing of the erased member is kept).
    """
    return {
        "withdrawn": [
            {
                "member_id": member_id,
                "name": session.participants[member_id].name,
                "meetings": [
                    m.meeting_id for m in session.meetings_of(member_id) if m.status == "planned"
                ],
            }
            for member_id in session.withdrawn_ids()
        ],
        "vacated": [v.to_dict() for v in sorted(session.vacated, key=lambda v: (v.slot, v.table))],
    }


def session_payload(stored: Stored) -> dict[str, Any]:
    """The JSON of a session: settings, state, revisions and counts (no wishes or agenda), and
    the participants that withdrew and the meetings erasures took away
    (:func:`departures_payload`)."""
    session = stored.session
    settings = session.settings
    figures = session_figures(session)
    return {
        "session_id": stored.session_id,
        "network": stored.network_id,
        "name": settings.name,
        "date": settings.date.isoformat(),
        "place": settings.place,
        "timezone": settings.timezone,
        "meeting_minutes": settings.meeting_minutes,
        "tables": settings.tables,
        "slots": [
            {
                "slot": slot,
                "start": settings.slot_start(slot).strftime("%H:%M"),
                "end": settings.slot_end(slot).strftime("%H:%M"),
            }
            for slot in settings.slot_numbers
        ],
        "networks": list(settings.networks),
        "member_ids": list(settings.member_ids),
        "pair_rules": list(settings.pair_rules),
        "state": session.state,
        "revision": stored.revision,
        "published_revision": session.revision,
        "published_at": session.published_at,
        **figures,
        "last_build": session.last_build if stored.manages else None,
        "owner_id": stored.owner_id,
        "created_at": isoformat(stored.created_at),
        "updated_at": isoformat(stored.updated_at),
        **departures_payload(session),
    }


def row_payload(row: MatchSession) -> dict[str, Any]:
    """The list entry of a session, from its row alone."""
    return {
        "session_id": row.session_id,
        "network": row.network_id,
        "name": row.name,
        "date": row.date.isoformat(),
        "state": row.state,
        "revision": row.revision,
        "participants": row.participants,
        "meetings": row.meetings,
        "meetings_requested": row.meetings_requested,
        "meetings_accepted": row.meetings_accepted,
        "meetings_held": row.meetings_held,
        "updated_at": isoformat(row.updated_at),
    }


def meeting_payload(session: Session, meeting: Meeting) -> dict[str, Any]:
    """One meeting of the agenda as JSON (codes, not labels); ``withdrawn`` lists the sides that
    withdrew from the service after publication (the meeting is kept until the manager
    cancels or re-plans it)."""

    def name(member_id: str) -> str:
        participant = session.participants.get(member_id)
        return participant.name if participant else member_id

    return {
        "meeting_id": meeting.meeting_id,
        "member_a": meeting.member_a,
        "member_b": meeting.member_b,
        "name_a": name(meeting.member_a),
        "name_b": name(meeting.member_b),
        "slot": meeting.slot,
        "time": session.settings.slot_label(meeting.slot),
        "table": meeting.table,
        "locked": meeting.locked,
        "status": meeting.status,
        "outcome": meeting.outcome,
        "wish_a": session.level(meeting.member_a, meeting.member_b),
        "wish_b": session.level(meeting.member_b, meeting.member_a),
        "withdrawn": [m for m in meeting.pair if session.is_withdrawn(m)],
    }


def participant_payload(session: Session, participant: Participant) -> dict[str, Any]:
    """One participant as JSON, with its number of meetings and wishes, and whether it withdrew
    from the service after publication (kept only to flag its meetings)."""
    return {
        **participant.to_dict(),
        "withdrawn": participant.withdrawn,
        "meetings": len(session.meetings_of(participant.member_id)),
        "wishes": sum(
            1
            for (m, _), w in session.wishes.items()
            if m == participant.member_id and w.level != "no"
        ),
    }


def network_figures(db: DbSession, network: str) -> dict[str, int]:
    """Sessions and meetings requested, accepted and held, over the sessions of `network`
    (every network when empty), for the dashboard."""
    query = select(
        func.count(),
        func.coalesce(func.sum(MatchSession.meetings_requested), 0),
        func.coalesce(func.sum(MatchSession.meetings_accepted), 0),
        func.coalesce(func.sum(MatchSession.meetings_held), 0),
    )
    if network:
        query = query.where(MatchSession.network_id == network)
    sessions, requested, accepted, held = db.execute(query).one()
    return {
        "sessions": int(sessions),
        "requested": int(requested),
        "accepted": int(accepted),
        "held": int(held),
    }


__all__ = [
    "FEEDBACK_NOTE",
    "ON_DROP",
    "BuildOutcome",
    "Candidate",
    "Stored",
    "adopt_agenda",
    "apply_departures",
    "build_session",
    "change",
    "check_revision",
    "conflict_errors",
    "create_session",
    "delete_session",
    "departed_members",
    "departures_payload",
    "discard_candidate",
    "drop_errors",
    "engine_suggestions",
    "erase_participant",
    "explain_meetings",
    "get_candidate",
    "get_stored",
    "library_errors",
    "meeting_payload",
    "network_figures",
    "participant_of_member",
    "participant_payload",
    "participants_of_upload",
    "partners_of",
    "plan_session",
    "rebuild_agenda",
    "replace_with_candidate",
    "require_act_for",
    "require_manager",
    "require_participants",
    "row_payload",
    "session_figures",
    "session_payload",
    "sync_outcome_feedback",
    "visible_sessions",
    "withdraw_from_sessions",
]
