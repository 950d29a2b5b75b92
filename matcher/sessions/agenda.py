"""The agenda's candidates and checks: which pairs may meet and what a meeting is worth
(:func:`candidate_meetings`, :func:`meeting_value`), and the agenda's conflicts
(:func:`check_agenda`), worded in English or Ukrainian with participants named by their names
(:func:`conflict_message`; their ids are the conflicts' data)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from ..errors import InputError
from ..i18n import N_, NN_, Message, Table, catalogue
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
    "conflict_message",
    "conflicts_in",
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


#: The conflicts' messages, by kind (English source strings of the library's catalogue): they
#: name participants by name (their ids are the conflict's ``member_ids``).
_CONFLICT_TEXT = Table(
    {
        # TRANSLATORS: two participants' names: "Firm A and Firm B".
        "pair": N_("{a} and {b}"),
        "unknown_participant": N_("the meeting of {pair}: {unknown} is not a participant"),
        "bad_slot": N_("the meeting of {pair}: slot {slot} does not exist; slots are 1 to {last}"),
        "bad_table": N_(
            "the meeting of {pair}: table {table} does not exist; tables are 1 to {last}"
        ),
        "unavailable": N_(
            "{name} cannot attend slot {slot} ({time}) of the meeting with {partner}; "
            "available: {available}"
        ),
        # TRANSLATORS: "5 meetings" "in slot 3 (10:00-10:20)" "for 4 tables".
        "over_capacity": N_("{meetings} in slot {slot} ({time}) for {tables}"),
        # TRANSLATORS: "Table 2" has "2 meetings" in slot 3: "A and B; C and D".
        "table_clash": N_("table {table}: {meetings} in slot {slot}: {pairs}"),
        "vetoed": N_("{name} said “no thanks” to {partner}, yet they meet in slot {slot}"),
        "not_allowed": N_("the meeting of {pair} in slot {slot} breaks a rule: {rule}"),
        "rule_different_networks": N_("{pair} are members of the same network"),
        "rule_buyers": N_("{pair} are both buyers, and a buyer meets a supplier"),
        "rule_suppliers": N_("{pair} are both suppliers, and a supplier meets a buyer"),
        "withdrawn": N_(
            "the meeting of {pair} in slot {slot}: {gone} withdrew from the service; record "
            "the meeting as not held, or reopen the agenda to re-plan"
        ),
        "none": N_("none"),
    }
)
#: The conflicts' messages that depend on a number ``{n}``, by kind or part.
_CONFLICT_COUNTS: dict[str, Message] = {
    "duplicate_pair": NN_(
        "{pair} meet {n} time (slots {slots}); a pair meets once",
        "{pair} meet {n} times (slots {slots}); a pair meets once",
    ),
    "double_booking": NN_(
        "{name} has {n} meeting in slot {slot} ({time}): with {partners}",
        "{name} has {n} meetings in slot {slot} ({time}): with {partners}",
    ),
    "over_max": NN_(
        "{name} has {n} meeting, above its maximum of {limit}",
        "{name} has {n} meetings, above its maximum of {limit}",
    ),
    "under_min": NN_(
        "{name} has {n} meeting, below its minimum of {limit}",
        "{name} has {n} meetings, below its minimum of {limit}",
    ),
    "meetings": NN_("{n} meeting", "{n} meetings"),
    "tables": NN_("{n} table", "{n} tables"),
}


def conflict_message(
    session: Session, kind: str, params: dict[str, Any], language: str = "en"
) -> str:
    """The message of a conflict of `kind` with its `params` (see :func:`check_agenda`) in
    `language`, naming participants by their names and slots by number and time."""
    text = _CONFLICT_TEXT[language]
    words = catalogue(language)
    settings = session.settings

    def name(member_id: str) -> str:
        participant = session.participants.get(member_id)
        return participant.name if participant and participant.name else member_id

    def names(member_ids: Sequence[str]) -> str:
        return ", ".join(name(m) for m in member_ids)

    def pair(ids: Sequence[str]) -> str:
        return text["pair"].format(a=name(ids[0]), b=name(ids[1]))

    def time(slot: int) -> str:
        return settings.slot_label(slot) if slot in settings.slot_numbers else "?"

    p = params
    if kind == "unknown_participant":
        return text[kind].format(pair=pair(p["pair"]), unknown=", ".join(p["unknown"]))
    if kind in ("bad_slot", "bad_table"):
        last = settings.n_slots if kind == "bad_slot" else settings.tables
        return text[kind].format(
            pair=pair(p["pair"]), slot=p.get("slot"), table=p.get("table"), last=last
        )
    if kind == "duplicate_pair":
        slots = ", ".join(str(slot) for slot in p["slots"])
        return words.count(_CONFLICT_COUNTS[kind], p["n"], pair=pair(p["pair"]), slots=slots)
    if kind == "double_booking":
        return words.count(
            _CONFLICT_COUNTS[kind],
            p["n"],
            name=name(p["member"]),
            slot=p["slot"],
            time=time(p["slot"]),
            partners=names(p["partners"]),
        )
    if kind == "unavailable":
        available = number_ranges(p["available"]) if p["available"] else text["none"]
        return text[kind].format(
            name=name(p["member"]),
            slot=p["slot"],
            time=time(p["slot"]),
            partner=name(p["partner"]),
            available=available,
        )
    if kind == "over_capacity":
        return text[kind].format(
            meetings=words.count(_CONFLICT_COUNTS["meetings"], p["n"]),
            slot=p["slot"],
            time=time(p["slot"]),
            tables=words.count(_CONFLICT_COUNTS["tables"], settings.tables),
        )
    if kind == "table_clash":
        return text[kind].format(
            table=p["table"],
            meetings=words.count(_CONFLICT_COUNTS["meetings"], len(p["pairs"])),
            slot=p["slot"],
            pairs="; ".join(pair(ids) for ids in p["pairs"]),
        )
    if kind == "vetoed":
        return text[kind].format(name=name(p["member"]), partner=name(p["partner"]), slot=p["slot"])
    if kind == "not_allowed":
        rule = text["rule_" + p["rule"]].format(pair=pair(p["pair"]))
        return text[kind].format(pair=pair(p["pair"]), slot=p["slot"], rule=rule)
    if kind in ("over_max", "under_min"):
        return words.count(_CONFLICT_COUNTS[kind], p["n"], name=name(p["member"]), limit=p["limit"])
    if kind == "withdrawn":
        return text[kind].format(pair=pair(p["pair"]), slot=p["slot"], gone=names(p["gone"]))
    raise InputError(f"Got kind={kind!r}, expected one of {', '.join(Conflict.KINDS)}")


def conflicts_in(session: Session, conflicts: Iterable[Conflict], language: str) -> list[Conflict]:
    """The `conflicts` of `session` with their messages in `language` (a page shows a refused
    edit's conflicts in its own language)."""
    return [
        replace(c, message=conflict_message(session, c.kind, c.params, language)) if c.params else c
        for c in conflicts
    ]


def _rule_broken(session: Session, member_id: str, partner_id: str) -> str | None:
    """Which of the session's who-can-meet-whom rules the pair breaks (a key of the rule
    messages), or None."""
    if pair_rule_violation(session, member_id, partner_id) is None:
        return None
    a, b = session.participant(member_id), session.participant(partner_id)
    if "different_networks" in session.settings.pair_rules and a.network == b.network:
        return "different_networks"
    return "buyers" if a.role == "buyer" else "suppliers"


def check_agenda(
    session: Session, meetings: Iterable[Meeting] | None = None, language: str = "en"
) -> list[Conflict]:
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
    language : {"en", "uk"}
        The language of the messages (:func:`conflict_message`); each conflict's ``params``
        words it in another.

    Returns
    -------
    list of Conflict
        Errors first, then warnings; empty when the agenda is sound.
    """
    if language not in LANGUAGES:
        raise InputError(f"Got language={language!r}, expected one of {', '.join(LANGUAGES)}")
    settings = session.settings
    people = session.participants
    active = sorted(
        (m for m in (session.meetings if meetings is None else meetings) if m.active),
        key=lambda m: (m.slot, m.table, m.pair),
    )
    conflicts: list[Conflict] = []

    def conflict(kind: str, params: dict[str, Any], *args: Any, **options: Any) -> Conflict:
        """The conflict of `kind`, its message worded from `params` in `language`."""
        message = conflict_message(session, kind, params, language)
        return Conflict(kind, message, *args, params=params, **options)

    usable = []
    for m in active:
        unknown = [x for x in m.pair if x not in people]
        if unknown:
            conflicts.append(
                conflict(
                    "unknown_participant",
                    {"pair": list(m.pair), "unknown": unknown},
                    tuple(unknown),
                    m.slot,
                    (m.meeting_id,),
                )
            )
            continue
        if m.slot not in settings.slot_numbers:
            conflicts.append(
                conflict(
                    "bad_slot",
                    {"pair": list(m.pair), "slot": m.slot},
                    m.pair,
                    m.slot,
                    (m.meeting_id,),
                )
            )
            continue
        if not 1 <= m.table <= settings.tables:
            conflicts.append(
                conflict(
                    "bad_table",
                    {"pair": list(m.pair), "table": m.table},
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
                conflict(
                    "duplicate_pair",
                    {"pair": list(pair), "n": len(items), "slots": [m.slot for m in items]},
                    pair,
                    None,
                    tuple(sorted({m.meeting_id for m in items})),
                )
            )
    for (member_id, slot), items in sorted(by_member_slot.items()):
        if len(items) > 1:
            conflicts.append(
                conflict(
                    "double_booking",
                    {
                        "member": member_id,
                        "n": len(items),
                        "slot": slot,
                        "partners": [m.partner_of(member_id) for m in items],
                    },
                    (member_id,),
                    slot,
                    tuple(sorted(m.meeting_id for m in items)),
                )
            )
    for m in usable:
        for member_id in m.pair:
            if m.slot not in people[member_id].available:
                conflicts.append(
                    conflict(
                        "unavailable",
                        {
                            "member": member_id,
                            "slot": m.slot,
                            "partner": m.partner_of(member_id),
                            "available": sorted(people[member_id].available),
                        },
                        (member_id,),
                        m.slot,
                        (m.meeting_id,),
                    )
                )
    for slot, items in sorted(by_slot.items()):
        if len(items) > settings.tables:
            conflicts.append(
                conflict(
                    "over_capacity",
                    {"slot": slot, "n": len(items)},
                    (),
                    slot,
                    tuple(sorted(m.meeting_id for m in items)),
                )
            )
    for (slot, table), items in sorted(by_table.items()):
        if len(items) > 1:
            conflicts.append(
                conflict(
                    "table_clash",
                    {"table": table, "slot": slot, "pairs": [list(m.pair) for m in items]},
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
                    conflict(
                        "vetoed",
                        {"member": member_id, "partner": partner_id, "slot": m.slot},
                        (member_id, partner_id),
                        m.slot,
                        (m.meeting_id,),
                    )
                )
        rule = _rule_broken(session, a, b)
        if rule:
            conflicts.append(
                conflict(
                    "not_allowed",
                    {"pair": list(m.pair), "slot": m.slot, "rule": rule},
                    m.pair,
                    m.slot,
                    (m.meeting_id,),
                )
            )
    for member_id, participant in people.items():
        n = count.get(member_id, 0)
        if participant.max_meetings is not None and n > participant.max_meetings:
            conflicts.append(
                conflict(
                    "over_max",
                    {"member": member_id, "n": n, "limit": participant.max_meetings},
                    (member_id,),
                )
            )
    for m in usable:
        gone = [member_id for member_id in m.pair if people[member_id].withdrawn]
        if gone and m.status == "planned":
            conflicts.append(
                conflict(
                    "withdrawn",
                    {"pair": list(m.pair), "slot": m.slot, "gone": gone},
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
                conflict(
                    "under_min",
                    {"member": member_id, "n": n, "limit": participant.min_meetings},
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
