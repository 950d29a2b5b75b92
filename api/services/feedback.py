"""Feedback on suggestions: what a member did with a suggested partner, and what follows.

Feedback events (``accepted``, ``declined``, ``meeting``, ``deal``) are only added, never
changed. A declined partner is never suggested again (:func:`declined_partners`). Each side's
latest ``accepted`` or ``declined`` is its answer (:func:`latest_answers`); when both sides'
answers are ``accepted`` the match is mutual (:func:`is_mutual`): only then are contacts shown
(:func:`mutual_partners`) and the partnership learnt by the next model. The outcomes of
matchmaking sessions are written here too (:func:`add_feedback`, called by
:func:`api.services.sessions.sync_outcome_feedback`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session, aliased

from ..auth import Caller
from ..db import core_connection
from ..errors import abort
from ..tables import FeedbackEvent, Member

#: The feedback events that answer a suggestion; each side's latest one is its answer.
ANSWER_EVENTS = ("accepted", "declined")

# Built once: the suggestion endpoint runs it on every request.
_DECLINED = select(FeedbackEvent.partner_id).where(
    FeedbackEvent.member_id == bindparam("member_id"), FeedbackEvent.event == "declined"
)


def latest_answers(events: Iterable[tuple[str, str, str]]) -> dict[tuple[str, str], str]:
    """Each member's latest answer to each partner, ``{(member, partner): event}``, from
    feedback events ``(member, partner, event)`` given in the order they were recorded."""
    return {(member, partner): event for member, partner, event in events if event in ANSWER_EVENTS}


def is_mutual(answers: dict[tuple[str, str], str], member_id: str, partner_id: str) -> bool:
    """Whether both sides' latest answers (see :func:`latest_answers`) are "accepted": a
    mutual match, which opens contacts and counts as a partnership."""
    return (
        answers.get((member_id, partner_id)) == "accepted"
        and answers.get((partner_id, member_id)) == "accepted"
    )


def mutual_partners(session: Session, member_id: str) -> set[str]:
    """Return the members with whom `member_id` has a mutual match (see :func:`is_mutual`).
    One side's acceptance opens nothing: contacts are shown, and a partnership learnt, only
    when both have accepted."""
    rows = session.execute(
        select(FeedbackEvent.member_id, FeedbackEvent.partner_id, FeedbackEvent.event)
        .where(
            FeedbackEvent.event.in_(ANSWER_EVENTS),
            or_(FeedbackEvent.member_id == member_id, FeedbackEvent.partner_id == member_id),
        )
        .order_by(FeedbackEvent.created_at, FeedbackEvent.event_id)
    )
    answers = latest_answers(rows)
    return {
        partner
        for source, partner in answers
        if source == member_id and is_mutual(answers, member_id, partner)
    }


def declined_partners(session: Session, member_id: str) -> list[str]:
    """Return the partners `member_id` declined (never suggested again)."""
    return list(core_connection(session).execute(_DECLINED, {"member_id": member_id}).scalars())


def network_feedback(session: Session, network: str) -> list[tuple[str, str, str, dt.datetime]]:
    """Return the feedback given by the live members of `network` (of every network when empty)
    about live partners, oldest first, as ``(member_id, partner_id, event, created_at)`` with
    `created_at` in UTC.

    What the dashboard and the insights count, by the one rule of
    :mod:`matcher.insights.outcomes` (a meeting or a deal once per pair of members).
    """
    partner = aliased(Member)
    query = (
        select(
            FeedbackEvent.member_id,
            FeedbackEvent.partner_id,
            FeedbackEvent.event,
            FeedbackEvent.created_at,
        )
        .join(Member, Member.member_id == FeedbackEvent.member_id)
        .join(partner, partner.member_id == FeedbackEvent.partner_id)
        .where(Member.deleted_at.is_(None), partner.deleted_at.is_(None))
        .order_by(FeedbackEvent.event_id)
    )
    if network:
        query = query.where(Member.network_id == network)
    return [
        (member_id, partner_id, event, _in_utc(created_at))
        for member_id, partner_id, event, created_at in session.execute(query)
    ]


def _in_utc(moment: dt.datetime) -> dt.datetime:
    # SQLite gives back the stored UTC time without its zone.
    return moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def feedback_of(session: Session, member_id: str) -> list[FeedbackEvent]:
    """Return the feedback `member_id` gave, newest first."""
    return list(
        session.scalars(
            select(FeedbackEvent)
            .where(FeedbackEvent.member_id == member_id)
            .order_by(FeedbackEvent.event_id.desc())
        ).all()
    )


def add_feedback(
    session: Session, caller: Caller, member: Member, partner_id: str, event: str, note: str = ""
) -> FeedbackEvent:
    """Add one feedback event of `member` about `partner_id` (the caller commits).

    The one path of the feedback endpoint and of the outcomes of matchmaking sessions. The
    caller's right to act for `member` is checked by the caller of this function. Aborts naming
    ``partner_id`` with 404 if it is not a live member, 409 if it is the member itself.
    """
    if partner_id == member.member_id:
        # Well-formed, but about the member itself: a conflict with the target, not bad input.
        abort(
            409,
            "a member cannot give feedback on itself",
            [{"field": "partner_id", "value": partner_id, "message": "is the member itself"}],
        )
    partner = session.get(Member, partner_id)
    if partner is None or partner.deleted_at is not None:
        abort(
            404,
            f"partner {partner_id} doesn't exist",
            [{"field": "partner_id", "value": partner_id, "message": "no such member"}],
        )
    row = FeedbackEvent(
        member_id=member.member_id,
        partner_id=partner.member_id,
        event=event,
        note=note,
        user_id=caller.user_id,
    )
    session.add(row)
    return row
