"""Publication and what follows: publishing and reopening the agenda, recording outcomes, and
the outcomes as feedback for the engine."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from ..profiles import Link
from .agenda import check_agenda
from .edits import _commit, find_meeting
from .model import OUTCOMES, AgendaConflictError, Meeting, Session, _fail
from .wishes import _drop, _require_preliminary

__all__ = ["feedback_links", "feedback_records", "publish", "record_outcome", "reopen"]


# ---------------------------------------------------------------------------------------------
# Publication, outcomes, feedback
# ---------------------------------------------------------------------------------------------


def publish(session: Session) -> None:
    """Make the preliminary agenda final.

    Raises
    ------
    SessionValidationError
        If there is nothing to publish or it is already final.
    AgendaConflictError
        If the agenda has error conflicts (warnings do not stop it).
    """
    _require_preliminary(session, "publish it again")
    if not session.active_meetings():
        raise _fail("meetings", 0, "the agenda has no meetings; build it first")
    errors = [c for c in check_agenda(session) if c.severity == "error"]
    if errors:
        raise AgendaConflictError(errors, "publishing the agenda")
    session.state = "final"
    session.revision += 1
    session.published_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def reopen(session: Session) -> None:
    """Make a final agenda preliminary again, so it can be edited and rebuilt.

    The participants that withdrew after publication leave now, with their meetings (see
    :func:`withdraw_participant`): a preliminary agenda never holds a withdrawn participant.
    """
    if session.state != "final":
        raise _fail("state", session.state, "the agenda is not final; there is nothing to reopen")
    session.state = "preliminary"
    for member_id in session.withdrawn_ids():
        _drop(session, member_id)


def record_outcome(
    session: Session, member_id: str, partner_id: str, held: bool, outcome: str = "none"
) -> Meeting:
    """Record whether the pair's meeting took place and, if so, its outcome.

    Parameters
    ----------
    held : bool
        False marks the meeting cancelled (it did not take place).
    outcome : {"none", "follow_up", "deal"}
        Only for a held meeting.

    Raises
    ------
    SessionValidationError
        Unknown meeting or outcome, or an outcome for a meeting that was not held.
    AgendaConflictError
        If marking a cancelled meeting as held clashes with the meetings now in its slot.
    """
    if outcome not in OUTCOMES:
        raise _fail(
            "outcome", outcome, f"{outcome!r} is not an outcome; allowed: {', '.join(OUTCOMES)}"
        )
    if not held and outcome != "none":
        raise _fail("outcome", outcome, "a meeting that did not take place has no outcome")
    meeting = find_meeting(session, member_id, partner_id, include_cancelled=True)
    changed = replace(meeting, status="held" if held else "cancelled", outcome=outcome)
    _commit(
        session,
        [meeting],
        [changed],
        f"recording {meeting.meeting_id} as " + ("held" if held else "not held"),
    )
    return changed


def feedback_records(session: Session, include_vetoes: bool = False) -> list[dict[str, Any]]:
    """Turn the held meetings (and, with `include_vetoes`, the vetoes) into feedback events.

    Each held meeting gives one record per side: ``event`` ``"deal"`` for a deal, else
    ``"meeting"`` (a follow-up keeps ``outcome="follow_up"``), the events of the service's
    ``POST /members/{member_id}/feedback``. A veto gives ``event="declined"`` from the member
    that said "no thanks".

    Returns
    -------
    list of dict
        Keys ``member_id``, ``partner_id``, ``event``, ``outcome``, ``date`` (the session's),
        ``session_id``; ordered by member, then partner.
    """
    records = []
    date = session.settings.date.isoformat()
    for m in session.meetings:
        if m.status != "held":
            continue
        event = "deal" if m.outcome == "deal" else "meeting"
        for member_id, partner_id in (m.pair, m.pair[::-1]):
            records.append(
                {
                    "member_id": member_id,
                    "partner_id": partner_id,
                    "event": event,
                    "outcome": m.outcome,
                    "date": date,
                    "session_id": session.settings.session_id,
                }
            )
    if include_vetoes:
        for (member_id, partner_id), wish in session.wishes.items():
            if wish.level == "no":
                records.append(
                    {
                        "member_id": member_id,
                        "partner_id": partner_id,
                        "event": "declined",
                        "outcome": "none",
                        "date": date,
                        "session_id": session.settings.session_id,
                    }
                )
    records.sort(key=lambda r: (r["member_id"], r["partner_id"], r["event"]))
    return records


def feedback_links(session: Session, include_vetoes: bool = False) -> list[Link]:
    """The outcomes as known links for training the engine (``matcher train --links``).

    One link per held meeting (``kind`` ``"deal"`` or ``"meeting"``; the engine reads links
    in both directions) and, with `include_vetoes`, one ``"declined"`` link per veto.
    """
    date = session.settings.date.isoformat()
    links = [
        Link(m.member_a, m.member_b, "deal" if m.outcome == "deal" else "meeting", date)
        for m in session.meetings
        if m.status == "held"
    ]
    if include_vetoes:
        links.extend(
            Link(member_id, partner_id, "declined", date)
            for (member_id, partner_id), wish in session.wishes.items()
            if wish.level == "no"
        )
    return sorted(links, key=lambda l: (l.source, l.target, l.kind))
