"""The agenda's candidates and checks: which pairs may meet and what a meeting is worth
(:func:`candidate_meetings`, :func:`meeting_value`), and the agenda's conflicts
(:func:`check_agenda`)."""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import InputError
from .model import (
    LANGUAGES,
    MUTUAL_MUST_BONUS,
    SCORE_POINTS,
    WISH_LEVELS,
    WISH_POINTS,
    CandidateMeeting,
    Conflict,
    Meeting,
    Session,
)
from .wishes import pair_rule_violation

__all__ = [
    "candidate_meetings",
    "check_agenda",
    "meeting_reasons",
    "meeting_value",
    "number_ranges",
]


# ---------------------------------------------------------------------------------------------
# Candidate meetings and their values
# ---------------------------------------------------------------------------------------------


def meeting_value(level_ab: str | None, level_ba: str | None, score: float = 0.0) -> int:
    """Value of a meeting in integer points: the wishes of both sides, then the engine's score.

    ``WISH_POINTS[level]`` for each side that wants the meeting, plus :data:`MUTUAL_MUST_BONUS`
    when both say "must", plus ``round(SCORE_POINTS * score)``. A veto ("no") on either side
    makes the pair ineligible: the value is 0 and :func:`candidate_meetings` leaves it out.

    Examples
    --------
    >>> meeting_value("must", "must", 0.5), meeting_value("must", None), meeting_value("would", None, 1.0)
    (25500, 10000, 5000)
    """
    if "no" in (level_ab, level_ba):
        return 0
    for level in (level_ab, level_ba):
        if level is not None and level not in WISH_POINTS:
            raise InputError(
                f"Got level={level!r}, expected one of {', '.join(WISH_LEVELS)} or None"
            )
    if not 0.0 <= float(score) <= 1.0:
        raise InputError(f"Got score={score!r}, expected a number from 0 to 1")
    value = WISH_POINTS.get(level_ab, 0) + WISH_POINTS.get(level_ba, 0)
    if level_ab == level_ba == "must":
        value += MUTUAL_MUST_BONUS
    return value + round(SCORE_POINTS * float(score))


def _pair_score(session: Session, a: str, b: str) -> float:
    scores = [
        s.score for s in (session.suggestion(a, b), session.suggestion(b, a)) if s is not None
    ]
    return max(scores, default=0.0)


def candidate_meetings(session: Session, include_suggested: bool = False) -> list[CandidateMeeting]:
    """Return the pairs that may meet, with their values, best first.

    A pair is a candidate when at least one side wished for the meeting ("must" or "would"),
    or, with `include_suggested`, when the engine suggested one to the other (value: the
    score's points alone, below any wish). Left out: vetoed pairs (a "no" on either side),
    pairs the session's rules forbid, pairs whose meeting was cancelled, and pairs with a
    participant that withdrew (a build never plans it, whatever the wishes say).

    Returns
    -------
    list of CandidateMeeting
        Sorted by value (highest first), then by the pair's ids.
    """
    cancelled = {m.pair for m in session.meetings if m.status == "cancelled"}
    pairs: set[tuple[str, str]] = set()
    for (member_id, partner_id), wish in session.wishes.items():
        if wish.level != "no":
            pairs.add(tuple(sorted((member_id, partner_id))))
    if include_suggested:
        for member_id, items in session.suggestions.items():
            for s in items:
                if (
                    s.suggested
                    and s.partner_id in session.participants
                    and s.partner_id != member_id
                ):
                    pairs.add(tuple(sorted((member_id, s.partner_id))))
    candidates = []
    for a, b in pairs:
        if a not in session.participants or b not in session.participants or (a, b) in cancelled:
            continue
        if session.participants[a].withdrawn or session.participants[b].withdrawn:
            continue
        level_ab, level_ba = session.level(a, b), session.level(b, a)
        if "no" in (level_ab, level_ba) or pair_rule_violation(session, a, b):
            continue
        score = _pair_score(session, a, b)
        candidates.append(
            CandidateMeeting(
                a, b, meeting_value(level_ab, level_ba, score), level_ab, level_ba, score
            )
        )
    candidates.sort(key=lambda c: (-c.value, c.pair))
    return candidates


def meeting_reasons(
    session: Session, member_id: str, partner_id: str, language: str = "en"
) -> tuple[str, ...]:
    """Why `member_id` meets `partner_id`: the engine's reasons for `partner_id` as a partner
    of `member_id`, in `language` (empty if the engine has not explained the pair that way:
    reasons are worded from one side, "offers what you seek", so the other side's are not used).
    """
    if language not in LANGUAGES:
        raise InputError(f"Got language={language!r}, expected one of {', '.join(LANGUAGES)}")
    suggestion = session.suggestion(member_id, partner_id)
    return tuple(suggestion.reasons.get(language, ())) if suggestion is not None else ()


# ---------------------------------------------------------------------------------------------
# Conflicts
# ---------------------------------------------------------------------------------------------


def check_agenda(session: Session, meetings: Iterable[Meeting] | None = None) -> list[Conflict]:
    """List the conflicts of the agenda (planned and held meetings; cancelled ones take no place).

    Errors: an unknown participant, a slot or table that does not exist, a pair meeting twice,
    a participant in two meetings of one slot (double booking), a meeting in a slot the
    participant cannot attend, more meetings in a slot than tables, two meetings at one table,
    a vetoed pair, a pair the session's rules forbid, a participant above its maximum.
    Warnings: a participant below its minimum; a planned meeting with a participant that
    withdrew after publication (record it as not held, or reopen the agenda to re-plan).

    Parameters
    ----------
    session : Session
    meetings : iterable of Meeting, optional
        Check these instead of ``session.meetings``.

    Returns
    -------
    list of Conflict
        Errors first, then warnings; empty when the agenda is sound.
    """
    settings = session.settings
    people = session.participants
    active = sorted(
        (m for m in (session.meetings if meetings is None else meetings) if m.active),
        key=lambda m: (m.slot, m.table, m.pair),
    )
    conflicts: list[Conflict] = []

    def name(member_id: str) -> str:
        participant = people.get(member_id)
        return (
            f"{member_id} ({participant.name})"
            if participant and participant.name != member_id
            else member_id
        )

    usable = []
    for m in active:
        unknown = [x for x in m.pair if x not in people]
        if unknown:
            conflicts.append(
                Conflict(
                    "unknown_participant",
                    f"meeting {m.meeting_id}: {', '.join(unknown)} is not a participant",
                    tuple(unknown),
                    m.slot,
                    (m.meeting_id,),
                )
            )
            continue
        if m.slot not in settings.slot_numbers:
            conflicts.append(
                Conflict(
                    "bad_slot",
                    f"meeting {m.meeting_id}: slot {m.slot} does not "
                    f"exist; slots are 1 to {settings.n_slots}",
                    m.pair,
                    m.slot,
                    (m.meeting_id,),
                )
            )
            continue
        if not 1 <= m.table <= settings.tables:
            conflicts.append(
                Conflict(
                    "bad_table",
                    f"meeting {m.meeting_id}: table {m.table} does not "
                    f"exist; tables are 1 to {settings.tables}",
                    m.pair,
                    m.slot,
                    (m.meeting_id,),
                )
            )
        usable.append(m)

    by_pair: dict[tuple[str, str], list[Meeting]] = {}
    by_member_slot: dict[tuple[str, int], list[Meeting]] = {}
    by_slot: dict[int, list[Meeting]] = {}
    by_table: dict[tuple[int, int], list[Meeting]] = {}
    count: dict[str, int] = {}
    for m in usable:
        by_pair.setdefault(m.pair, []).append(m)
        by_slot.setdefault(m.slot, []).append(m)
        by_table.setdefault((m.slot, m.table), []).append(m)
        for member_id in m.pair:
            by_member_slot.setdefault((member_id, m.slot), []).append(m)
            count[member_id] = count.get(member_id, 0) + 1

    for pair, items in sorted(by_pair.items()):
        if len(items) > 1:
            conflicts.append(
                Conflict(
                    "duplicate_pair",
                    f"{name(pair[0])} and {name(pair[1])} meet "
                    f"{len(items)} times (slots {', '.join(str(m.slot) for m in items)}); "
                    "a pair meets once",
                    pair,
                    None,
                    tuple(sorted({m.meeting_id for m in items})),
                )
            )
    for (member_id, slot), items in sorted(by_member_slot.items()):
        if len(items) > 1:
            conflicts.append(
                Conflict(
                    "double_booking",
                    f"{name(member_id)} has {len(items)} meetings in "
                    f"slot {slot} ({settings.slot_label(slot)}): with "
                    + ", ".join(m.partner_of(member_id) for m in items),
                    (member_id,),
                    slot,
                    tuple(sorted(m.meeting_id for m in items)),
                )
            )
    for m in usable:
        for member_id in m.pair:
            if m.slot not in people[member_id].available:
                conflicts.append(
                    Conflict(
                        "unavailable",
                        f"{name(member_id)} cannot attend slot {m.slot} "
                        f"({settings.slot_label(m.slot)}) of meeting {m.meeting_id}; "
                        f"available: {number_ranges(people[member_id].available)}",
                        (member_id,),
                        m.slot,
                        (m.meeting_id,),
                    )
                )
    for slot, items in sorted(by_slot.items()):
        if len(items) > settings.tables:
            conflicts.append(
                Conflict(
                    "over_capacity",
                    f"slot {slot} ({settings.slot_label(slot)}) has "
                    f"{len(items)} meetings for {settings.tables} tables",
                    (),
                    slot,
                    tuple(sorted(m.meeting_id for m in items)),
                )
            )
    for (slot, table), items in sorted(by_table.items()):
        if len(items) > 1:
            conflicts.append(
                Conflict(
                    "table_clash",
                    f"table {table} has {len(items)} meetings in slot "
                    f"{slot}: " + ", ".join(m.meeting_id for m in items),
                    (),
                    slot,
                    tuple(sorted(m.meeting_id for m in items)),
                )
            )
    for m in usable:
        a, b = m.pair
        for member_id, partner_id in ((a, b), (b, a)):
            if session.level(member_id, partner_id) == "no":
                conflicts.append(
                    Conflict(
                        "vetoed",
                        f"{name(member_id)} said 'no thanks' to "
                        f"{name(partner_id)}, yet they meet in slot {m.slot}",
                        (member_id, partner_id),
                        m.slot,
                        (m.meeting_id,),
                    )
                )
        rule = pair_rule_violation(session, a, b)
        if rule:
            conflicts.append(
                Conflict(
                    "not_allowed",
                    f"meeting {m.meeting_id} in slot {m.slot} breaks a rule: {rule}",
                    m.pair,
                    m.slot,
                    (m.meeting_id,),
                )
            )
    for member_id, participant in people.items():
        n = count.get(member_id, 0)
        if participant.max_meetings is not None and n > participant.max_meetings:
            conflicts.append(
                Conflict(
                    "over_max",
                    f"{name(member_id)} has {n} meetings, above its "
                    f"maximum of {participant.max_meetings}",
                    (member_id,),
                )
            )
    for m in usable:
        gone = [member_id for member_id in m.pair if people[member_id].withdrawn]
        if gone and m.status == "planned":
            conflicts.append(
                Conflict(
                    "withdrawn",
                    f"meeting {m.meeting_id} in slot {m.slot}: "
                    f"{', '.join(name(x) for x in gone)} withdrew from the "
                    "service; record the meeting as not held, or reopen the "
                    "agenda to re-plan",
                    tuple(gone),
                    m.slot,
                    (m.meeting_id,),
                    severity="warning",
                )
            )
    for member_id, participant in people.items():
        n = count.get(member_id, 0)
        if n < participant.min_meetings and not participant.withdrawn:
            conflicts.append(
                Conflict(
                    "under_min",
                    f"{name(member_id)} has {n} meetings, below its "
                    f"minimum of {participant.min_meetings}",
                    (member_id,),
                    severity="warning",
                )
            )
    return conflicts


def number_ranges(numbers: Iterable[int]) -> str:
    """Numbers as ranges for a message: [1, 2, 3, 5] -> "1-3, 5"; none -> "none"."""
    numbers = sorted(numbers)
    if not numbers:
        return "none"
    parts, start, previous = [], numbers[0], numbers[0]
    for n in numbers[1:] + [None]:
        if n is not None and n == previous + 1:
            previous = n
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if n is not None:
            start = previous = n
    return ", ".join(parts)
