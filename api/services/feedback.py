"""Feedback on suggestions: what a member did with a suggested partner, and what follows.

Feedback events (``shown``, ``accepted``, ``declined``, ``meeting``, ``deal``, ``saved``,
``undeclined``) are only added, never changed. A declined partner is not suggested again
(:func:`declined_partners`) until the member takes the decline back (``undeclined``). Each
side's latest ``accepted``, ``declined`` or ``undeclined`` is its answer (:func:`latest_answers`;
``undeclined`` is no answer); when both sides' answers are ``accepted`` the match is mutual
(:func:`is_mutual`): only then are contacts shown (:func:`mutual_partners`) and the partnership
learnt by the next model. ``saved`` keeps a partner for later: no answer, counted nowhere.
What a member did with each partner, as the member pages list it, is :func:`member_matches`.
The outcomes of matchmaking sessions are written here too (:func:`add_feedback`, called by
:func:`api.services.sessions.sync_outcome_feedback`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import bindparam, case, or_, select
from sqlalchemy.orm import Session, aliased

from ..auth import Caller
from ..db import core_connection
from ..errors import abort
from ..tables import FeedbackEvent, Member

#: The feedback events that answer a suggestion; each side's latest one is its answer
#: (``undeclined`` takes a decline back: no answer).
ANSWER_EVENTS = ("accepted", "declined", "undeclined")

# Built once: the suggestion endpoint runs it on every request.
_DECLINED = (
    select(FeedbackEvent.partner_id, FeedbackEvent.event)
    .where(
        FeedbackEvent.member_id == bindparam("member_id"),
        FeedbackEvent.event.in_(("declined", "undeclined")),
    )
    .order_by(FeedbackEvent.event_id)
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
    """Return the partners `member_id` declined and did not take back (not suggested)."""
    latest = dict(core_connection(session).execute(_DECLINED, {"member_id": member_id}).all())
    return [partner for partner, event in latest.items() if event == "declined"]


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


def record_shown(
    session: Session, caller: Caller, member: Member, partner_ids: Iterable[str]
) -> list[FeedbackEvent]:
    """Add a ``shown`` event for each of `partner_ids` not yet shown to `member` (the caller
    commits), through :func:`add_feedback`: what a page records when it shows suggestions.

    A suggestion counts once per member and partner however often it is shown
    (:mod:`matcher.insights.outcomes`), so a partner shown before gets no second event.
    """
    wanted = list(dict.fromkeys(partner_ids))
    if not wanted:
        return []
    already = set(
        session.scalars(
            select(FeedbackEvent.partner_id).where(
                FeedbackEvent.member_id == member.member_id,
                FeedbackEvent.event == "shown",
                FeedbackEvent.partner_id.in_(wanted),
            )
        )
    )
    return [
        add_feedback(session, caller, member, partner_id, "shown")
        for partner_id in wanted
        if partner_id not in already
    ]


#: What a member did with a partner, as :func:`member_matches` sorts it.
MATCH_STATES = ("mutual", "accepted", "saved", "declined")


@dataclass(frozen=True)
class Match:
    """One partner of a member's matches (see :func:`member_matches`).

    `state` is ``mutual`` (both sides' latest answer is ``accepted``: contacts are open),
    ``accepted`` (the member accepted, the partner has not: waiting), ``saved`` (kept for
    later, no answer yet), ``declined``, or None (no answer, but a meeting or a deal was
    recorded). `partner_accepted` says whether the partner's latest answer is ``accepted``;
    `meeting` and `deal` whether either side recorded one; `since` is when the latest event
    of either side about the other (``shown`` aside) was recorded (UTC).
    """

    partner_id: str
    state: str | None
    partner_accepted: bool
    meeting: bool
    deal: bool
    since: dt.datetime


def member_matches(session: Session, member_id: str) -> list[Match]:
    """Return what `member_id` did with its partners (live partners only), newest first:
    each partner it accepted, saved for later or declined, each mutual match, and each partner
    with a meeting or a deal recorded by either side.

    The one reading of the member pages' "My matches" and of ``GET
    /api/v1/members/{member_id}/matches`` (made of the events ``GET .../feedback`` lists). A
    member's state is its latest ``accepted``, ``declined``, ``undeclined`` (no state) or
    ``saved`` event.
    """
    partner = aliased(Member)
    rows = session.execute(
        select(
            FeedbackEvent.member_id,
            FeedbackEvent.partner_id,
            FeedbackEvent.event,
            FeedbackEvent.created_at,
        )
        .join(
            partner,
            partner.member_id
            == case(
                (FeedbackEvent.member_id == member_id, FeedbackEvent.partner_id),
                else_=FeedbackEvent.member_id,
            ),
        )
        .where(
            or_(FeedbackEvent.member_id == member_id, FeedbackEvent.partner_id == member_id),
            partner.deleted_at.is_(None),
        )
        .order_by(FeedbackEvent.created_at, FeedbackEvent.event_id)
    ).all()
    answers = latest_answers((m, p, e) for m, p, e, _ in rows)
    own: dict[str, str] = {}
    since: dict[str, dt.datetime] = {}
    recorded: dict[str, set[str]] = {}
    for source, target, event, created_at in rows:
        other_side = target if source == member_id else source
        if event != "shown":
            since[other_side] = _in_utc(created_at)
        if event in ("meeting", "deal"):
            recorded.setdefault(other_side, set()).add(event)
        if source == member_id and event in (*ANSWER_EVENTS, "saved"):
            own[target] = event
    matches = []
    for partner_id in {*own, *recorded}:
        state = own.get(partner_id)
        if is_mutual(answers, member_id, partner_id):
            state = "mutual"
        elif state == "undeclined":
            state = None
        events = recorded.get(partner_id, set())
        if state is None and not events:
            continue
        matches.append(
            Match(
                partner_id=partner_id,
                state=state,
                partner_accepted=answers.get((partner_id, member_id)) == "accepted",
                meeting="meeting" in events or "deal" in events,
                deal="deal" in events,
                since=since[partner_id],
            )
        )
    matches.sort(key=lambda match: (match.since, match.partner_id), reverse=True)
    return matches
