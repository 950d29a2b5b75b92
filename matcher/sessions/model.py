"""Matchmaking sessions: B2B meeting days with wish lists, an agenda, hand edits and outcomes.

A cluster manager runs a matchmaking day: one-to-one meetings of a fixed length in numbered time
slots at numbered tables. This module holds the session as data and the rules around it; the
agenda itself is built by :mod:`matcher.sessions.scheduler` and exported by :mod:`matcher.sessions.exports`.

The flow
--------
1. :class:`SessionSettings` (name, date, place, IANA time zone, meeting length, slots given
   explicitly or made from start, end and breaks by :func:`make_slots`, number of tables, who may
   take part, optional who-can-meet-whom rules :data:`PAIR_RULES`).
2. :class:`Participant` records (availability as slot numbers, min/max meetings), added with
   :func:`add_participant`; :func:`parse_slots` reads "1-4;6", "all" or "10:00-12:00".
3. :func:`suggest_wishes` gives every participant the engine's suggestions *among the
   participants*, with reasons in English and Ukrainian; :func:`set_wish` records "must",
   "would" or "no" ("no thanks", a veto).
4. :func:`candidate_meetings` turns wishes into candidate meetings with integer values (see
   :func:`meeting_value`), which the scheduler assigns to slots.
5. :func:`check_agenda` lists conflicts; :func:`move_meeting`, :func:`swap_meetings`,
   :func:`cancel_meeting`, :func:`add_meeting` and :func:`lock_meeting` refuse to create one;
   :func:`publish` makes a conflict-free agenda final.
6. :func:`record_outcome` stores what happened; :func:`feedback_records` and
   :func:`feedback_links` turn it into feedback for the engine and the service.
7. :func:`withdraw_participant` takes out a member that left the service: at once from a
   preliminary agenda; from a published one its meetings stay, flagged
   (:attr:`Participant.withdrawn`), until they are recorded as not held or the agenda is
   reopened; an erased member goes everywhere, leaving its partners a nameless
   :class:`Vacancy`.

Slots and tables are numbered from 1, as printed on the day's plan. A session is saved as one
JSON document (:meth:`Session.to_dict`, :func:`save_session`, written atomically) and every
document is validated whole when read (:meth:`Session.from_dict`, :func:`load_session`): each
problem names the field, the participant or meeting, the bad value and what is allowed.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
import math
import re
import uuid
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import i18n
from ..errors import InputError
from ..files import atomic_write_text
from ..profiles import Link, Profile

if TYPE_CHECKING:  # the engine is only needed by suggest_wishes
    from ..engine.ranking import PartnerMatcher

logger = logging.getLogger(__name__)

__all__ = [
    "AGENDA_STATES",
    "LANGUAGES",
    "MEETING_STATUSES",
    "MUTUAL_MUST_BONUS",
    "OUTCOMES",
    "PAIR_RULES",
    "ROLES",
    "SCHEMA_VERSION",
    "SCORE_POINTS",
    "WISH_LEVELS",
    "WISH_POINTS",
    "AgendaConflictError",
    "CandidateMeeting",
    "Conflict",
    "Meeting",
    "Participant",
    "Session",
    "SessionProblem",
    "SessionSettings",
    "SessionValidationError",
    "SuggestedPartner",
    "Vacancy",
    "Wish",
    "add_meeting",
    "add_participant",
    "cancel_meeting",
    "candidate_meetings",
    "check_agenda",
    "closest_hint",
    "feedback_links",
    "feedback_records",
    "find_meeting",
    "load_session",
    "lock_meeting",
    "make_slots",
    "meeting_reasons",
    "meeting_value",
    "move_meeting",
    "number_ranges",
    "pair_rule_violation",
    "parse_slots",
    "participants_from_records",
    "publish",
    "read_participants",
    "record_outcome",
    "remove_participant",
    "reopen",
    "role_of",
    "save_session",
    "set_wish",
    "set_wishes",
    "suggest_wishes",
    "swap_meetings",
    "withdraw_participant",
]

#: Version of the session document written by :meth:`Session.to_dict`.
SCHEMA_VERSION = 1
_FORMAT = "cluster-matcher/session"

#: "must meet", "would meet", "no thanks" (a veto: the pair never meets).
WISH_LEVELS = ("must", "would", "no")
MEETING_STATUSES = ("planned", "held", "cancelled")
OUTCOMES = ("none", "follow_up", "deal")
AGENDA_STATES = ("preliminary", "final")
#: A participant's side for the "buyers_with_suppliers" rule; "any" meets both sides.
ROLES = ("buyer", "supplier", "any")
#: Optional who-can-meet-whom rules of a session.
PAIR_RULES = {
    "buyers_with_suppliers": "only a buyer with a supplier (roles from org_type unless given)",
    "different_networks": "no two members of the same network",
}
#: Languages of the reasons and exports: the library's (:data:`matcher.i18n.LANGUAGES`).
LANGUAGES = i18n.LANGUAGES

#: Role of each org_type for the "buyers_with_suppliers" rule.
ROLE_OF_ORG_TYPE = {
    "designer_brand": "buyer",
    "retailer_distributor": "buyer",
    "manufacturer": "supplier",
    "textile_producer": "supplier",
    "supplier": "supplier",
    "service_provider": "supplier",
    "education_research": "any",
    "cluster_organisation": "any",
}

#: Value of a candidate meeting, in integer points (the solver's objective is an integer):
#: each side's wish adds its points, a mutual "must" adds :data:`MUTUAL_MUST_BONUS`, and the
#: engine's score (0..1) adds up to :data:`SCORE_POINTS`, less than the smallest step between
#: two wish combinations (a "would" + "would" 8,000 against a one-sided "must" 10,000), so the
#: score only breaks ties. Mutual must = 25,000 (+ score) is the highest; a one-sided "would"
#: 4,000 (+ score) the lowest wish.
WISH_POINTS = {"must": 10_000, "would": 4_000}
MUTUAL_MUST_BONUS = 5_000
SCORE_POINTS = 1_000

_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionProblem:
    """One thing wrong with a session's data: the field, the bad value and what is allowed.

    ``field`` is a dotted path such as ``settings.timezone`` or
    ``participants.kfc-0001.max_meetings``.
    """

    field: str
    value: Any
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message

    def as_dict(self) -> dict[str, Any]:
        """Return the problem as JSON-ready data."""
        value = self.value
        if not isinstance(value, (str, int, float, bool, type(None))):
            value = str(value)
        return {"field": self.field, "value": value, "message": self.message}


class SessionValidationError(InputError):
    """Session data (a file, a request, an edit) has problems; :attr:`problems` lists them all."""

    def __init__(self, problems: Sequence[SessionProblem], source: str = "session"):
        self.problems = list(problems)
        self.source = source
        count = len(self.problems)
        lines = [str(problem) for problem in self.problems[:100]]
        if count > 100:
            lines.append(f"... and {count - 100} more problems")
        if count == 1:
            super().__init__(f"{source}: {lines[0]}")
        else:
            super().__init__(
                f"{source}: {count} problems\n" + "\n".join(f"  {line}" for line in lines)
            )


def _fail(
    field_name: str, value: Any, message: str, source: str = "session"
) -> SessionValidationError:
    return SessionValidationError([SessionProblem(field_name, value, message)], source)


@dataclass(frozen=True)
class Conflict:
    """One conflict of an agenda, found by :func:`check_agenda`.

    ``kind`` is one of :data:`Conflict.KINDS`; ``severity`` is ``"error"`` (the agenda cannot be
    published) or ``"warning"`` (a participant below its minimum number of meetings).
    """

    kind: str
    message: str
    member_ids: tuple[str, ...] = ()
    slot: int | None = None
    meetings: tuple[str, ...] = ()
    severity: str = "error"

    KINDS = (
        "unknown_participant",
        "bad_slot",
        "bad_table",
        "duplicate_pair",
        "double_booking",
        "unavailable",
        "over_capacity",
        "table_clash",
        "vetoed",
        "not_allowed",
        "over_max",
        "under_min",
        "withdrawn",
    )

    def __str__(self) -> str:
        return self.message

    @property
    def key(self) -> tuple:
        """What identifies the conflict when an agenda is compared before and after an edit."""
        return (self.kind, self.member_ids, self.slot, self.meetings)

    def as_dict(self) -> dict[str, Any]:
        """Return the conflict as JSON-ready data."""
        return {
            "kind": self.kind,
            "severity": self.severity,
            "message": self.message,
            "member_ids": list(self.member_ids),
            "slot": self.slot,
            "meetings": list(self.meetings),
        }


class AgendaConflictError(InputError):
    """An edit or a publication would leave conflicts; :attr:`conflicts` lists them."""

    def __init__(self, conflicts: Sequence[Conflict], action: str = "the change"):
        self.conflicts = list(conflicts)
        lines = [str(conflict) for conflict in self.conflicts[:50]]
        if len(self.conflicts) > 50:
            lines.append(f"... and {len(self.conflicts) - 50} more conflicts")
        super().__init__(
            f"{action} was refused: {len(self.conflicts)} conflict"
            f"{'s' if len(self.conflicts) != 1 else ''}\n"
            + "\n".join(f"  {line}" for line in lines)
        )


# ---------------------------------------------------------------------------------------------
# Settings and slots
# ---------------------------------------------------------------------------------------------


def _parse_time(value: Any) -> dt.time:
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    match = _TIME.match(str(value).strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise InputError(f"{value!r} is not a time of day; expected HH:MM, e.g. '09:30'")
    return dt.time(int(match.group(1)), int(match.group(2)))


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def _time_of(minutes: int) -> dt.time:
    return dt.time(minutes // 60, minutes % 60)


def _hhmm(t: dt.time) -> str:
    return f"{t.hour:02d}:{t.minute:02d}"


def _parse_break(value: Any) -> tuple[dt.time, dt.time]:
    if isinstance(value, (tuple, list)) and len(value) == 2:
        start, end = value
    else:
        parts = str(value).split("-")
        if len(parts) != 2:
            raise InputError(f"{value!r} is not a break; expected HH:MM-HH:MM, e.g. '12:30-13:30'")
        start, end = parts
    start, end = _parse_time(start), _parse_time(end)
    if end <= start:
        raise InputError(f"break {_hhmm(start)}-{_hhmm(end)} ends before it starts")
    return start, end


def make_slots(
    start: str | dt.time,
    end: str | dt.time,
    meeting_minutes: int,
    breaks: Iterable[str | tuple] = (),
    gap_minutes: int = 0,
) -> tuple[dt.time, ...]:
    """Return the slot start times between `start` and `end`, skipping breaks.

    A slot lasts `meeting_minutes`; `gap_minutes` separate consecutive slots (time to change
    tables). A slot that would overlap a break starts when the break ends; the last slot ends
    at `end` or before.

    Examples
    --------
    >>> [t.strftime("%H:%M") for t in make_slots("10:00", "12:15", 25, ["11:00-11:15"], 5)]
    ['10:00', '10:30', '11:15', '11:45']
    """
    if not (isinstance(meeting_minutes, int) and meeting_minutes > 0):
        raise InputError(f"Got meeting_minutes={meeting_minutes!r}, expected a positive integer")
    if not (isinstance(gap_minutes, int) and gap_minutes >= 0):
        raise InputError(f"Got gap_minutes={gap_minutes!r}, expected an integer >= 0")
    first, last = _minutes(_parse_time(start)), _minutes(_parse_time(end))
    if last <= first:
        raise InputError(
            f"the day ends ({_hhmm(_time_of(last))}) before it starts ({_hhmm(_time_of(first))})"
        )
    pauses = sorted((_minutes(a), _minutes(b)) for a, b in (_parse_break(x) for x in breaks))
    slots = []
    t = first
    while t + meeting_minutes <= last:
        clash = next(((a, b) for a, b in pauses if t < b and a < t + meeting_minutes), None)
        if clash:
            t = clash[1]
            continue
        slots.append(_time_of(t))
        t += meeting_minutes + gap_minutes
    if not slots:
        raise InputError(
            f"no {meeting_minutes}-minute slot fits between {_hhmm(_time_of(first))} "
            f"and {_hhmm(_time_of(last))} with these breaks"
        )
    return tuple(slots)


@dataclass(frozen=True)
class SessionSettings:
    """What a matchmaking session is: when, where, its slots and tables, and who may take part.

    Build one with :meth:`create` (which validates and can make the slots from start, end and
    breaks) or :meth:`from_dict`.

    Attributes
    ----------
    name, place : str
    date : datetime.date
    timezone : str
        IANA time zone of the place, e.g. ``"Europe/Kyiv"``.
    meeting_minutes : int
        Length of one meeting.
    slots : tuple of datetime.time
        Start time of each slot, in order; slot ``n`` (from 1) starts at ``slots[n - 1]``.
    tables : int
        Number of tables: at most this many meetings at a time.
    networks, member_ids : tuple of str
        Who may take part: members of these networks or these members; both empty = anyone.
    pair_rules : tuple of str
        Names of :data:`PAIR_RULES` in force.
    session_id : str
        Stable id of the session (calendar UIDs are made from it).
    """

    name: str
    date: dt.date
    timezone: str
    meeting_minutes: int
    slots: tuple[dt.time, ...]
    tables: int
    place: str = ""
    networks: tuple[str, ...] = ()
    member_ids: tuple[str, ...] = ()
    pair_rules: tuple[str, ...] = ()
    session_id: str = ""

    @classmethod
    def create(
        cls,
        name: str,
        date: str | dt.date,
        timezone: str,
        meeting_minutes: int,
        tables: int,
        slots: Iterable[str | dt.time] | None = None,
        start: str | dt.time | None = None,
        end: str | dt.time | None = None,
        breaks: Iterable[str | tuple] = (),
        gap_minutes: int = 0,
        place: str = "",
        networks: Iterable[str] = (),
        member_ids: Iterable[str] = (),
        pair_rules: Iterable[str] = (),
        session_id: str | None = None,
    ) -> SessionSettings:
        """Validate the settings of a session; give `slots`, or `start` and `end` (and `breaks`).

        Raises
        ------
        SessionValidationError
            Listing every bad field with the value and what is allowed.
        """
        problems: list[SessionProblem] = []

        def bad(name_: str, value: Any, message: str) -> None:
            problems.append(SessionProblem(f"settings.{name_}", value, message))

        name = str(name or "").strip()
        if not name:
            bad("name", name, "a session needs a name")
        parsed_date = None
        try:
            parsed_date = (
                date if isinstance(date, dt.date) else dt.date.fromisoformat(str(date).strip())
            )
        except ValueError:
            bad("date", date, f"{date!r} is not a date; expected YYYY-MM-DD, e.g. '2026-05-14'")
        timezone = str(timezone or "").strip()
        try:
            if not timezone:
                raise zoneinfo.ZoneInfoNotFoundError
            zoneinfo.ZoneInfo(timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            hint = _closest_timezone(timezone)
            bad(
                "timezone",
                timezone,
                f"{timezone!r} is not an IANA time zone"
                + (f"; did you mean {hint!r}?" if hint else "; e.g. 'Europe/Kyiv'"),
            )
        if not (
            isinstance(meeting_minutes, int)
            and not isinstance(meeting_minutes, bool)
            and 5 <= meeting_minutes <= 240
        ):
            bad(
                "meeting_minutes",
                meeting_minutes,
                f"got {meeting_minutes!r}, expected whole minutes from 5 to 240",
            )
            meeting_minutes = None
        if not (isinstance(tables, int) and not isinstance(tables, bool) and 1 <= tables <= 10_000):
            bad("tables", tables, f"got {tables!r}, expected a number of tables from 1 to 10000")
        parsed_slots: tuple[dt.time, ...] = ()
        if slots is not None and (start is not None or end is not None):
            bad("slots", None, "give the slots, or start and end, not both")
        elif slots is not None:
            slots = list(slots)
            try:
                parsed_slots = tuple(_parse_time(s) for s in slots)
            except InputError as error:
                bad("slots", slots, str(error))
            if not slots:
                bad("slots", slots, "a session needs at least one slot")
        elif start is not None and end is not None:
            if meeting_minutes is not None:
                try:
                    parsed_slots = make_slots(start, end, meeting_minutes, breaks, gap_minutes)
                except InputError as error:
                    bad("slots", f"{start}-{end}", str(error))
        else:
            bad("slots", None, "give the slots (start times), or start and end of the day")
        if parsed_slots and meeting_minutes is not None:
            for i, (a, b) in enumerate(itertools.pairwise(parsed_slots), 1):
                if _minutes(a) + meeting_minutes > _minutes(b):
                    bad(
                        "slots",
                        _hhmm(b),
                        f"slot {i + 1} starts at {_hhmm(b)}, before slot {i} "
                        f"({_hhmm(a)}, {meeting_minutes} minutes) ends; slots must be in order "
                        "and must not overlap",
                    )
                    break
            if _minutes(parsed_slots[-1]) + meeting_minutes > 24 * 60:
                bad("slots", _hhmm(parsed_slots[-1]), "the last slot ends after midnight")
        networks = tuple(dict.fromkeys(str(n).strip() for n in networks if str(n).strip()))
        member_ids = tuple(dict.fromkeys(str(m).strip() for m in member_ids if str(m).strip()))
        for member_id in member_ids:
            if not _ID.match(member_id):
                bad(
                    "member_ids",
                    member_id,
                    f"{member_id!r} is not a member id (letters, digits, "
                    "'.', '_', '-'; at most 64)",
                )
        pair_rules = tuple(dict.fromkeys(str(r).strip() for r in pair_rules))
        for rule in pair_rules:
            if rule not in PAIR_RULES:
                bad("pair_rules", rule, f"{rule!r} is not a rule; allowed: {', '.join(PAIR_RULES)}")
        session_id = str(session_id or uuid.uuid4().hex)
        if not _ID.match(session_id):
            bad("session_id", session_id, "expected letters, digits, '.', '_' or '-' (at most 64)")
        if problems:
            raise SessionValidationError(problems)
        return cls(
            name=name,
            date=parsed_date,
            timezone=timezone,
            meeting_minutes=meeting_minutes,
            slots=parsed_slots,
            tables=tables,
            place=str(place or "").strip(),
            networks=networks,
            member_ids=member_ids,
            pair_rules=pair_rules,
            session_id=session_id,
        )

    @property
    def n_slots(self) -> int:
        """Number of slots."""
        return len(self.slots)

    @property
    def slot_numbers(self) -> range:
        """Slot numbers, from 1."""
        return range(1, len(self.slots) + 1)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The session's time zone."""
        return zoneinfo.ZoneInfo(self.timezone)

    def slot_start(self, slot: int) -> dt.datetime:
        """Start of slot number `slot` (from 1) as an aware datetime in the session's zone."""
        self._check_slot(slot)
        return dt.datetime.combine(self.date, self.slots[slot - 1], tzinfo=self.zone)

    def slot_end(self, slot: int) -> dt.datetime:
        """End of slot number `slot`, an aware datetime in the session's zone."""
        return self.slot_start(slot) + dt.timedelta(minutes=self.meeting_minutes)

    def slot_label(self, slot: int) -> str:
        """``"10:00-10:25"`` for slot number `slot`."""
        start = self.slot_start(slot)
        end = start + dt.timedelta(minutes=self.meeting_minutes)
        return f"{start:%H:%M}-{end:%H:%M}"

    def _check_slot(self, slot: int) -> None:
        if not (isinstance(slot, int) and 1 <= slot <= len(self.slots)):
            raise _fail(
                "slot",
                slot,
                f"got slot {slot!r}, expected a slot number from 1 to {len(self.slots)}",
            )

    def admits(self, member_id: str, network: str) -> bool:
        """Whether a member of `network` may take part (see ``networks`` and ``member_ids``)."""
        if not self.networks and not self.member_ids:
            return True
        return network in self.networks or member_id in self.member_ids

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as JSON-ready data (dates and times as ISO text)."""
        return {
            "session_id": self.session_id,
            "name": self.name,
            "date": self.date.isoformat(),
            "place": self.place,
            "timezone": self.timezone,
            "meeting_minutes": self.meeting_minutes,
            "slots": [_hhmm(t) for t in self.slots],
            "tables": self.tables,
            "networks": list(self.networks),
            "member_ids": list(self.member_ids),
            "pair_rules": list(self.pair_rules),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SessionSettings:
        """Validate settings given as data (``slots``, or ``start``/``end``/``breaks``).

        Raises
        ------
        SessionValidationError
        """
        if not isinstance(data, Mapping):
            raise _fail("settings", type(data).__name__, "expected an object")
        known = {
            "session_id",
            "name",
            "date",
            "place",
            "timezone",
            "meeting_minutes",
            "slots",
            "start",
            "end",
            "breaks",
            "gap_minutes",
            "tables",
            "networks",
            "member_ids",
            "pair_rules",
        }
        unknown = sorted(set(data) - known)
        if unknown:
            raise _fail(
                f"settings.{unknown[0]}",
                data[unknown[0]],
                f"unknown field; allowed: {', '.join(sorted(known))}",
            )
        for list_field in ("networks", "member_ids", "pair_rules", "breaks", "slots"):
            if (
                list_field in data
                and data[list_field] is not None
                and (
                    isinstance(data[list_field], (str, bytes))
                    or not isinstance(data[list_field], Sequence)
                )
            ):
                raise _fail(f"settings.{list_field}", data[list_field], "expected a list")
        return cls.create(
            name=data.get("name", ""),
            date=data.get("date", ""),
            timezone=data.get("timezone", ""),
            meeting_minutes=data.get("meeting_minutes"),
            tables=data.get("tables"),
            slots=data.get("slots"),
            start=data.get("start"),
            end=data.get("end"),
            breaks=data.get("breaks") or (),
            gap_minutes=data.get("gap_minutes", 0) or 0,
            place=data.get("place", ""),
            networks=data.get("networks") or (),
            member_ids=data.get("member_ids") or (),
            pair_rules=data.get("pair_rules") or (),
            session_id=data.get("session_id"),
        )


def _closest_timezone(value: str) -> str | None:
    import difflib

    if not value:
        return None
    names = {name.lower(): name for name in zoneinfo.available_timezones()}
    aliases = {
        "kyiv": "Europe/Kyiv",
        "kiev": "Europe/Kyiv",
        "kharkiv": "Europe/Kyiv",
        "київ": "Europe/Kyiv",
        "харків": "Europe/Kyiv",
    }
    if value.lower() in aliases:
        return aliases[value.lower()]
    by_city = {name.rsplit("/", 1)[-1].lower(): name for name in names.values()}
    if value.lower().replace(" ", "_") in by_city:
        return by_city[value.lower().replace(" ", "_")]
    match = difflib.get_close_matches(value.lower(), list(names), n=1, cutoff=0.6)
    return names[match[0]] if match else None


def parse_slots(spec: Any, settings: SessionSettings) -> tuple[int, ...]:
    """Read an availability: slot numbers and ranges ``"1-4;6"``, times ``"10:00-12:00"``
    (the slots that lie within), ``"all"`` or empty (every slot), or a list of slot numbers.

    Raises
    ------
    InputError
        Naming the bad part and the slots that exist.
    """
    n = settings.n_slots
    if spec is None or (isinstance(spec, str) and spec.strip().lower() in ("", "all", "*")):
        return tuple(range(1, n + 1))
    if isinstance(spec, (list, tuple, set, frozenset)):
        items: list[Any] = list(spec)
    else:
        items = [part for part in re.split(r"[;,\s]+", str(spec).strip()) if part]
    chosen: set[int] = set()
    for item in items:
        if isinstance(item, bool):  # a bad value, not a bad type: callers report it as such
            raise InputError(f"{item!r} is not a slot number; expected 1 to {n}")
        if isinstance(item, int) or (isinstance(item, float) and item.is_integer()):
            numbers = [int(item)]
        elif ":" in str(item):
            try:
                start, end = _parse_break(item)
            except InputError:
                raise InputError(f"{item!r} is not a time range; expected HH:MM-HH:MM") from None
            numbers = [
                number
                for number in settings.slot_numbers
                if _minutes(start) <= _minutes(settings.slots[number - 1])
                and _minutes(settings.slots[number - 1]) + settings.meeting_minutes <= _minutes(end)
            ]
            if not numbers:
                raise InputError(
                    f"no slot lies within {item!r}; slots start at "
                    + ", ".join(_hhmm(t) for t in settings.slots)
                )
        else:
            match = re.fullmatch(r"(\d+)(?:-(\d+))?", str(item).strip())
            if not match:
                raise InputError(
                    f"{item!r} is not a slot number, range (e.g. '1-4') or time range "
                    "(e.g. '10:00-12:00')"
                )
            low = int(match.group(1))
            high = int(match.group(2) or low)
            if high < low:
                raise InputError(f"{item!r}: the range ends before it starts")
            numbers = list(range(low, high + 1))
        for number in numbers:
            if not 1 <= number <= n:
                raise InputError(f"{item!r}: slot {number} does not exist; slots are 1 to {n}")
        chosen.update(numbers)
    return tuple(sorted(chosen))


# ---------------------------------------------------------------------------------------------
# Participants, wishes, meetings
# ---------------------------------------------------------------------------------------------


def role_of(org_type: str) -> str:
    """Return the side of an org_type for the "buyers_with_suppliers" rule (see :data:`ROLES`)."""
    return ROLE_OF_ORG_TYPE.get(org_type, "any")


@dataclass(frozen=True)
class Participant:
    """A participant of a session.

    Attributes
    ----------
    member_id, name, network, org_type, country : str
        Copied from the member's profile (or given by an import for a guest).
    role : {"buyer", "supplier", "any"}
        Side for the "buyers_with_suppliers" rule; by default from the org_type.
    available : tuple of int
        Slot numbers (from 1) the participant can attend.
    min_meetings, max_meetings : int
        Wanted number of meetings; ``max_meetings=None`` means as many as there are slots.
    withdrawn : bool
        The member left the service after the agenda was published (see
        :func:`withdraw_participant`): it stays only so that the published meetings with it are
        flagged instead of silently rewritten. It is never planned, wished for or suggested,
        and it leaves the session when the agenda is reopened.
    """

    member_id: str
    name: str
    available: tuple[int, ...]
    network: str = ""
    org_type: str = ""
    country: str = ""
    role: str = "any"
    min_meetings: int = 0
    max_meetings: int | None = None
    withdrawn: bool = False

    @classmethod
    def from_profile(
        cls,
        profile: Profile,
        settings: SessionSettings,
        available: Any = None,
        min_meetings: int = 0,
        max_meetings: int | None = None,
        role: str | None = None,
    ) -> Participant:
        """Make a participant of a member profile; `available` as :func:`parse_slots` reads it."""
        return cls.from_dict(
            {
                "member_id": profile.member_id,
                "name": profile.name,
                "network": profile.network,
                "org_type": profile.org_type,
                "country": profile.country,
                "role": role or role_of(profile.org_type),
                "available": available,
                "min_meetings": min_meetings,
                "max_meetings": max_meetings,
            },
            settings,
        )

    def limit(self, settings: SessionSettings) -> int:
        """The effective maximum number of meetings."""
        return min(
            self.max_meetings if self.max_meetings is not None else settings.n_slots,
            len(self.available),
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the participant as JSON-ready data (``withdrawn`` only when it is set, so
        the documents of sessions nobody left read as before)."""
        data = {
            "member_id": self.member_id,
            "name": self.name,
            "network": self.network,
            "org_type": self.org_type,
            "country": self.country,
            "role": self.role,
            "available": list(self.available),
            "min_meetings": self.min_meetings,
            "max_meetings": self.max_meetings,
        }
        if self.withdrawn:
            data["withdrawn"] = True
        return data

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], settings: SessionSettings, where: str | None = None
    ) -> Participant:
        """Validate a participant given as data; ``available`` as :func:`parse_slots` reads it.

        Raises
        ------
        SessionValidationError
            With every bad field of the participant.
        """
        problems = _participant_problems(data, settings, where)
        if problems:
            raise SessionValidationError(problems)
        return _participant(data, settings)


def _int_or_none(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError  # noqa: TRY004 - the caller reports any bad value the same way
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError
        return int(value)
    return int(str(value).strip())


def _participant_problems(
    data: Mapping[str, Any], settings: SessionSettings, where: str | None
) -> list[SessionProblem]:
    if not isinstance(data, Mapping):
        return [SessionProblem(where or "participant", type(data).__name__, "expected an object")]
    member_id = str(data.get("member_id") or "").strip()
    prefix = where or f"participants.{member_id or '?'}"
    problems = []

    def bad(name: str, value: Any, message: str) -> None:
        problems.append(SessionProblem(f"{prefix}.{name}", value, message))

    known = {
        "member_id",
        "name",
        "network",
        "org_type",
        "country",
        "role",
        "available",
        "min_meetings",
        "max_meetings",
        "withdrawn",
    }
    for key in sorted(set(data) - known):
        bad(key, data[key], f"unknown field; allowed: {', '.join(sorted(known))}")
    if not _ID.match(member_id):
        bad(
            "member_id",
            member_id,
            f"{member_id!r} is not a member id (letters, digits, '.', '_', "
            "'-'; 1 to 64 characters)",
        )
    if not str(data.get("name") or member_id).strip():
        bad("name", data.get("name"), "a participant needs a name")
    role = str(data.get("role") or "").strip() or role_of(str(data.get("org_type") or ""))
    if role not in ROLES:
        bad("role", role, f"{role!r} is not a role; allowed: {', '.join(ROLES)}")
    try:
        parse_slots(data.get("available"), settings)
    except InputError as error:
        bad("available", data.get("available"), str(error))
    values = {}
    for name in ("min_meetings", "max_meetings"):
        try:
            values[name] = _int_or_none(data.get(name))
            if values[name] is not None and not 0 <= values[name] <= settings.n_slots:
                raise ValueError
        except ValueError:
            bad(
                name,
                data.get(name),
                f"got {data.get(name)!r}, expected a whole number from 0 to "
                f"{settings.n_slots} (the number of slots)",
            )
            values[name] = None
    low, high = values.get("min_meetings"), values.get("max_meetings")
    if low is not None and high is not None and low > high:
        bad("min_meetings", low, f"min_meetings {low} is above max_meetings {high}")
    if not isinstance(data.get("withdrawn", False), bool):
        bad("withdrawn", data.get("withdrawn"), "expected true or false")
    return problems


def _participant(data: Mapping[str, Any], settings: SessionSettings) -> Participant:
    member_id = str(data["member_id"]).strip()
    org_type = str(data.get("org_type") or "").strip()
    return Participant(
        member_id=member_id,
        name=str(data.get("name") or member_id).strip(),
        available=parse_slots(data.get("available"), settings),
        network=str(data.get("network") or "").strip(),
        org_type=org_type,
        country=str(data.get("country") or "").strip().upper(),
        role=str(data.get("role") or "").strip() or role_of(org_type),
        min_meetings=_int_or_none(data.get("min_meetings")) or 0,
        max_meetings=_int_or_none(data.get("max_meetings")),
        withdrawn=data.get("withdrawn", False) is True,
    )


@dataclass(frozen=True)
class Wish:
    """What `member_id` wants of a meeting with `partner_id`: one of :data:`WISH_LEVELS`."""

    member_id: str
    partner_id: str
    level: str

    def to_dict(self) -> dict[str, Any]:
        """Return the wish as JSON-ready data."""
        return {"member_id": self.member_id, "partner_id": self.partner_id, "level": self.level}


@dataclass(frozen=True)
class SuggestedPartner:
    """The engine's view of `partner_id` for a participant: its score and reasons by language.

    ``score`` is the engine's calibrated score (0..1) of the partner for the participant;
    ``reasons`` maps a language (``"en"``, ``"uk"``) to the reasons in it. ``suggested`` is
    True for the participant's top suggestions, False for a pair the engine only explained
    because the participant (or the partner) wished for it or they meet.
    """

    partner_id: str
    name: str
    score: float
    reasons: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    suggested: bool = True

    def to_dict(self) -> dict[str, Any]:
        """Return the suggestion as JSON-ready data."""
        return {
            "partner_id": self.partner_id,
            "name": self.name,
            "score": round(self.score, 4),
            "reasons": {language: list(items) for language, items in self.reasons.items()},
            "suggested": self.suggested,
        }


@dataclass(frozen=True)
class Meeting:
    """One meeting of the agenda; the pair is stored in id order (``member_a < member_b``).

    Attributes
    ----------
    member_a, member_b : str
    slot, table : int
        Slot and table numbers, from 1.
    locked : bool
        Kept in place when the agenda is built again.
    status : {"planned", "held", "cancelled"}
    outcome : {"none", "follow_up", "deal"}
        Only for a held meeting.
    """

    member_a: str
    member_b: str
    slot: int
    table: int
    locked: bool = False
    status: str = "planned"
    outcome: str = "none"

    @classmethod
    def between(cls, member_a: str, member_b: str, slot: int, table: int, **kwargs: Any) -> Meeting:
        """Make a meeting with the pair in id order."""
        a, b = sorted((member_a, member_b))
        return cls(a, b, slot, table, **kwargs)

    @property
    def pair(self) -> tuple[str, str]:
        """The two member ids, in id order."""
        return (self.member_a, self.member_b)

    @property
    def meeting_id(self) -> str:
        """``"a~b"``: stable id of the pair's meeting."""
        return f"{self.member_a}~{self.member_b}"

    @property
    def active(self) -> bool:
        """Whether the meeting takes a slot and a table (planned or held)."""
        return self.status != "cancelled"

    def partner_of(self, member_id: str) -> str:
        """The other side of the meeting."""
        return self.member_b if member_id == self.member_a else self.member_a

    def to_dict(self) -> dict[str, Any]:
        """Return the meeting as JSON-ready data."""
        return {
            "member_a": self.member_a,
            "member_b": self.member_b,
            "slot": self.slot,
            "table": self.table,
            "locked": self.locked,
            "status": self.status,
            "outcome": self.outcome,
        }


@dataclass(frozen=True)
class Vacancy:
    """What is left of a published meeting whose partner was erased: the slot and table of the
    remaining participant `member_id`, and nothing of the erased member (neither name nor id).

    An erasure takes the member out of the session entirely, published agenda included; the
    vacancy tells the partner, in its agenda and exports, that its meeting in that slot is off
    because the partner's data was erased, instead of the meeting silently vanishing.
    """

    member_id: str
    slot: int
    table: int

    def to_dict(self) -> dict[str, Any]:
        """Return the vacancy as JSON-ready data."""
        return {"member_id": self.member_id, "slot": self.slot, "table": self.table}


@dataclass(frozen=True)
class CandidateMeeting:
    """A pair that may meet, with its value (see :func:`meeting_value`).

    ``level_ab`` is what `member_a` wants of the meeting, ``level_ba`` what `member_b` wants
    (``None`` when that side expressed no wish); ``score`` the engine's best score of the pair.
    """

    member_a: str
    member_b: str
    value: int
    level_ab: str | None = None
    level_ba: str | None = None
    score: float = 0.0

    @property
    def pair(self) -> tuple[str, str]:
        """The two member ids, in id order."""
        return (self.member_a, self.member_b)


# ---------------------------------------------------------------------------------------------
# The session document
# ---------------------------------------------------------------------------------------------


@dataclass
class Session:
    """A matchmaking session: settings, participants, suggestions, wishes and the agenda.

    Attributes
    ----------
    settings : SessionSettings
    participants : dict of str to Participant
        By member id, in the order they were added.
    wishes : dict of (str, str) to Wish
        By (member_id, partner_id): what the member wants of that partner.
    suggestions : dict of str to tuple of SuggestedPartner
        The engine's suggestions to each participant (see :func:`suggest_wishes`).
    meetings : list of Meeting
        The agenda, cancelled meetings included (they keep their record).
    state : {"preliminary", "final"}
    revision : int
        How many times the agenda was published (the calendars' SEQUENCE).
    published_at : str or None
        When it was last published (ISO 8601, UTC).
    last_build : dict or None
        The figures of the last scheduler run (see ``ScheduleResult.summary``).
    vacated : list of Vacancy
        Published meetings whose partner was erased, as the remaining side's slot and table
        (see :func:`withdraw_participant`).
    """

    settings: SessionSettings
    participants: dict[str, Participant] = field(default_factory=dict)
    wishes: dict[tuple[str, str], Wish] = field(default_factory=dict)
    suggestions: dict[str, tuple[SuggestedPartner, ...]] = field(default_factory=dict)
    meetings: list[Meeting] = field(default_factory=list)
    state: str = "preliminary"
    revision: int = 0
    published_at: str | None = None
    last_build: dict[str, Any] | None = None
    vacated: list[Vacancy] = field(default_factory=list)

    def participant(self, member_id: str) -> Participant:
        """Return the participant `member_id`; a :class:`SessionValidationError` names it if unknown."""
        try:
            return self.participants[member_id]
        except KeyError:
            raise _fail(
                "member_id",
                member_id,
                f"{member_id!r} is not a participant of this session"
                + closest_hint(member_id, self.participants),
            ) from None

    def is_withdrawn(self, member_id: str) -> bool:
        """Whether `member_id` is a participant kept only because it withdrew after the agenda
        was published (see :attr:`Participant.withdrawn`)."""
        participant = self.participants.get(member_id)
        return participant is not None and participant.withdrawn

    def withdrawn_ids(self) -> list[str]:
        """The participants that withdrew after publication, in the order they were added."""
        return [m for m, p in self.participants.items() if p.withdrawn]

    def vacancies_of(self, member_id: str) -> list[Vacancy]:
        """The slots where `member_id` lost a published meeting to an erasure, by slot."""
        return sorted((v for v in self.vacated if v.member_id == member_id), key=lambda v: v.slot)

    def active_meetings(self) -> list[Meeting]:
        """Planned and held meetings, by slot and table."""
        return sorted(
            (m for m in self.meetings if m.active), key=lambda m: (m.slot, m.table, m.pair)
        )

    def meetings_of(self, member_id: str) -> list[Meeting]:
        """The active meetings of `member_id`, by slot."""
        return [m for m in self.active_meetings() if member_id in m.pair]

    def level(self, member_id: str, partner_id: str) -> str | None:
        """What `member_id` wants of a meeting with `partner_id` (None: no wish)."""
        wish = self.wishes.get((member_id, partner_id))
        return wish.level if wish else None

    def suggestion(self, member_id: str, partner_id: str) -> SuggestedPartner | None:
        """The engine's suggestion of `partner_id` to `member_id`, if there is one."""
        return next(
            (s for s in self.suggestions.get(member_id, ()) if s.partner_id == partner_id), None
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the whole session as a JSON-ready document (``vacated`` only when an erasure
        left one, so that other documents read as before)."""
        document = {
            "format": _FORMAT,
            "version": SCHEMA_VERSION,
            "settings": self.settings.to_dict(),
            "state": self.state,
            "revision": self.revision,
            "published_at": self.published_at,
            "participants": [p.to_dict() for p in self.participants.values()],
            "wishes": [w.to_dict() for w in self.wishes.values()],
            "suggestions": {
                member_id: [s.to_dict() for s in items]
                for member_id, items in self.suggestions.items()
            },
            "meetings": [m.to_dict() for m in self.meetings],
            "last_build": self.last_build,
        }
        if self.vacated:
            document["vacated"] = [v.to_dict() for v in self.vacated]
        return document

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "session") -> Session:
        """Validate a session document whole and return the session.

        Raises
        ------
        SessionValidationError
            Listing every problem (field, participant or meeting, value, what is allowed).
        """
        if not isinstance(data, Mapping):
            raise _fail(
                "", type(data).__name__, "expected a JSON object (a session document)", source
            )
        if data.get("format", _FORMAT) != _FORMAT:
            raise _fail(
                "format",
                data.get("format"),
                f"not a session document; expected {_FORMAT!r}",
                source,
            )
        if data.get("version", SCHEMA_VERSION) != SCHEMA_VERSION:
            raise _fail(
                "version",
                data.get("version"),
                f"unsupported version; this program reads version {SCHEMA_VERSION}",
                source,
            )
        try:
            settings = SessionSettings.from_dict(data.get("settings") or {})
        except SessionValidationError as error:
            raise SessionValidationError(error.problems, source) from None
        problems: list[SessionProblem] = []

        def bad(name: str, value: Any, message: str) -> None:
            problems.append(SessionProblem(name, value, message))

        def check_place(where: str, slot: Any, table: Any) -> None:
            """A meeting's or a vacancy's slot and table: numbers within the settings."""
            for name, value, count in (
                ("slot", slot, settings.n_slots),
                ("table", table, settings.tables),
            ):
                if not (
                    isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= count
                ):
                    bad(f"{where}.{name}", value, f"expected a {name} number from 1 to {count}")

        def listed(name: str) -> list:
            value = data.get(name) or []
            if not isinstance(value, list):
                bad(name, type(value).__name__, "expected a list")
                return []
            return value

        state = data.get("state", "preliminary")
        if state not in AGENDA_STATES:
            bad("state", state, f"{state!r} is not a state; allowed: {', '.join(AGENDA_STATES)}")
        revision = data.get("revision", 0)
        if not (isinstance(revision, int) and not isinstance(revision, bool) and revision >= 0):
            bad("revision", revision, "expected a whole number >= 0")
            revision = 0

        participants: dict[str, Participant] = {}
        for i, record in enumerate(listed("participants")):
            member_id = (
                str(record.get("member_id") or "").strip() if isinstance(record, Mapping) else ""
            )
            where = f"participants.{member_id}" if member_id else f"participants[{i}]"
            found = _participant_problems(record, settings, where)
            if member_id in participants:
                found.append(SessionProblem(f"{where}.member_id", member_id, "listed twice"))
            if found:
                problems.extend(found)
                continue
            participants[member_id] = _participant(record, settings)

        wishes: dict[tuple[str, str], Wish] = {}
        for i, record in enumerate(listed("wishes")):
            where = f"wishes[{i}]"
            if not isinstance(record, Mapping):
                bad(where, type(record).__name__, "expected an object")
                continue
            member_id, partner_id = (
                str(record.get("member_id", "")),
                str(record.get("partner_id", "")),
            )
            level = record.get("level")
            for name, value in (("member_id", member_id), ("partner_id", partner_id)):
                if value not in participants:
                    bad(
                        f"{where}.{name}",
                        value,
                        f"{value!r} is not a participant" + closest_hint(value, participants),
                    )
            if member_id == partner_id:
                bad(f"{where}.partner_id", partner_id, "a participant cannot wish to meet itself")
            if level not in WISH_LEVELS:
                bad(
                    f"{where}.level",
                    level,
                    f"{level!r} is not a wish level; allowed: {', '.join(WISH_LEVELS)}",
                )
            if (member_id, partner_id) in wishes:
                bad(where, f"{member_id}->{partner_id}", "the same wish is listed twice")
            wishes[(member_id, partner_id)] = Wish(member_id, partner_id, level)

        suggestions: dict[str, tuple[SuggestedPartner, ...]] = {}
        raw_suggestions = data.get("suggestions") or {}
        if not isinstance(raw_suggestions, Mapping):
            bad("suggestions", type(raw_suggestions).__name__, "expected an object by member id")
            raw_suggestions = {}
        for member_id, items in raw_suggestions.items():
            where = f"suggestions.{member_id}"
            if member_id not in participants:
                bad(where, member_id, "suggestions for someone who is not a participant")
                continue
            parsed = []
            for j, item in enumerate(items if isinstance(items, list) else [None]):
                try:
                    reasons = item.get("reasons") or {}
                    if not all(
                        language in LANGUAGES and isinstance(texts, list)
                        for language, texts in reasons.items()
                    ):
                        raise ValueError
                    score = float(item["score"])
                    suggested = item.get("suggested", True)
                    if not 0.0 <= score <= 1.0 or not isinstance(suggested, bool):
                        raise ValueError
                    parsed.append(
                        SuggestedPartner(
                            str(item["partner_id"]),
                            str(item.get("name", "")),
                            score,
                            {
                                language: tuple(map(str, texts))
                                for language, texts in reasons.items()
                            },
                            suggested,
                        )
                    )
                except (AttributeError, KeyError, TypeError, ValueError):
                    bad(
                        f"{where}[{j}]",
                        item,
                        "expected {partner_id, name, score in 0..1, reasons: "
                        "{en: [...], uk: [...]}, suggested: true|false}",
                    )
            suggestions[member_id] = tuple(parsed)

        meetings: list[Meeting] = []
        for i, record in enumerate(listed("meetings")):
            where = f"meetings[{i}]"
            if not isinstance(record, Mapping):
                bad(where, type(record).__name__, "expected an object")
                continue
            a, b = str(record.get("member_a", "")), str(record.get("member_b", ""))
            before = len(problems)
            for name, value in (("member_a", a), ("member_b", b)):
                if value not in participants:
                    bad(
                        f"{where}.{name}",
                        value,
                        f"{value!r} is not a participant" + closest_hint(value, participants),
                    )
            if a == b:
                bad(f"{where}.member_b", b, "a meeting needs two different participants")
            slot, table = record.get("slot"), record.get("table")
            check_place(where, slot, table)
            status, outcome = record.get("status", "planned"), record.get("outcome", "none")
            if status not in MEETING_STATUSES:
                bad(f"{where}.status", status, f"allowed: {', '.join(MEETING_STATUSES)}")
            if outcome not in OUTCOMES:
                bad(f"{where}.outcome", outcome, f"allowed: {', '.join(OUTCOMES)}")
            elif outcome != "none" and status != "held":
                bad(
                    f"{where}.outcome",
                    outcome,
                    f"only a held meeting has an outcome; this one is {status!r}",
                )
            locked = record.get("locked", False)
            if not isinstance(locked, bool):
                bad(f"{where}.locked", locked, "expected true or false")
            if len(problems) == before:
                meetings.append(
                    Meeting.between(
                        a, b, slot, table, locked=locked, status=status, outcome=outcome
                    )
                )
        if state == "preliminary":
            for member_id, participant in participants.items():
                if participant.withdrawn:
                    bad(
                        f"participants.{member_id}.withdrawn",
                        True,
                        "only a published agenda "
                        "keeps a withdrawn participant; a preliminary one drops it",
                    )
        vacated: list[Vacancy] = []
        for i, record in enumerate(listed("vacated")):
            where = f"vacated[{i}]"
            if not isinstance(record, Mapping):
                bad(where, type(record).__name__, "expected an object")
                continue
            member_id, slot, table = (
                str(record.get("member_id", "")),
                record.get("slot"),
                record.get("table"),
            )
            before = len(problems)
            if member_id not in participants:
                bad(f"{where}.member_id", member_id, f"{member_id!r} is not a participant")
            check_place(where, slot, table)
            if len(problems) == before:
                vacated.append(Vacancy(member_id, slot, table))
        published_at = data.get("published_at")
        if published_at is not None and not isinstance(published_at, str):
            bad("published_at", published_at, "expected an ISO 8601 time or null")
        last_build = data.get("last_build")
        if last_build is not None and not isinstance(last_build, Mapping):
            bad("last_build", type(last_build).__name__, "expected an object or null")
            last_build = None
        if problems:
            raise SessionValidationError(problems, source)
        return cls(
            settings=settings,
            participants=participants,
            wishes=wishes,
            suggestions=suggestions,
            meetings=meetings,
            state=state,
            revision=revision,
            published_at=published_at,
            last_build=dict(last_build) if last_build is not None else None,
            vacated=vacated,
        )


def closest_hint(value: str, choices: Iterable[str]) -> str:
    """A "; did you mean ..." hint naming the choice closest to `value`, or "" when none is."""
    import difflib

    match = difflib.get_close_matches(str(value), list(choices), n=1, cutoff=0.7)
    return f"; did you mean {match[0]!r}?" if match else ""


def save_session(session: Session, path: str | Path) -> Path:
    """Write the session as JSON to `path` atomically (a temporary file, then ``os.replace``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(session.to_dict(), ensure_ascii=False, indent=1)
    return atomic_write_text(path, text)


def load_session(path: str | Path) -> Session:
    """Read and validate a session file written by :func:`save_session`.

    Raises
    ------
    FileNotFoundError
    SessionValidationError
        If the file is not JSON or any of its data is invalid.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"session file not found: {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as error:
        raise _fail("", None, f"not valid JSON: {error}", str(path)) from None
    return Session.from_dict(data, source=str(path))


# ---------------------------------------------------------------------------------------------
# Participants and wishes
# ---------------------------------------------------------------------------------------------


def _require_preliminary(session: Session, action: str) -> None:
    if session.state != "preliminary":
        raise _fail(
            "state",
            session.state,
            f"the agenda is final (published); reopen it before you {action}",
        )


def add_participant(
    session: Session, participant: Participant, replace_existing: bool = False
) -> None:
    """Add `participant` (or, with `replace_existing`, update it).

    Raises
    ------
    SessionValidationError
        If the member may not take part (see ``SessionSettings.networks``/``member_ids``), is
        already a participant, or its availability names slots the session does not have.
    """
    settings = session.settings
    where = f"participants.{participant.member_id}"
    if not settings.admits(participant.member_id, participant.network):
        allowed = []
        if settings.networks:
            allowed.append("networks " + ", ".join(settings.networks))
        if settings.member_ids:
            allowed.append(f"{len(settings.member_ids)} listed members")
        raise _fail(
            f"{where}.network",
            participant.network,
            f"{participant.member_id} "
            f"({participant.network or 'no network'}) may not take part; the session is "
            "open to " + " and ".join(allowed),
        )
    if participant.withdrawn:
        raise _fail(
            f"{where}.withdrawn",
            participant.member_id,
            f"{participant.member_id} withdrew from the service and cannot take part",
        )
    if participant.member_id in session.participants and not replace_existing:
        raise _fail(f"{where}.member_id", participant.member_id, "already a participant")
    bad_slots = [s for s in participant.available if s not in settings.slot_numbers]
    if bad_slots:
        raise _fail(f"{where}.available", bad_slots, f"slots are 1 to {settings.n_slots}")
    session.participants[participant.member_id] = participant


def remove_participant(session: Session, member_id: str) -> None:
    """Remove a participant with its wishes, the wishes about it, its suggestions and meetings.

    Raises
    ------
    SessionValidationError
        If it is not a participant or the agenda is final.
    """
    session.participant(member_id)
    _require_preliminary(session, "remove a participant")
    _drop(session, member_id)


def _drop(session: Session, member_id: str) -> None:
    """Take the participant out with everything that names it (wishes both ways, suggestions
    both ways, meetings, vacancies)."""
    del session.participants[member_id]
    session.wishes = {pair: w for pair, w in session.wishes.items() if member_id not in pair}
    session.suggestions.pop(member_id, None)
    session.suggestions = {
        m: tuple(s for s in items if s.partner_id != member_id)
        for m, items in session.suggestions.items()
    }
    session.meetings = [m for m in session.meetings if member_id not in m.pair]
    session.vacated = [v for v in session.vacated if v.member_id != member_id]


def withdraw_participant(session: Session, member_id: str, erased: bool = False) -> str | None:
    """Take a member that left the service (withdrawn, or with `erased` its data erased) out of
    the session, as far as the state of the agenda allows.

    * A preliminary agenda (nobody has it yet): the participant goes with its wishes (given and
      received), its suggestions, the suggestions of it to others and its meetings.
    * A published agenda, withdrawn: the participants have the agenda already, so it is not
      silently rewritten. The participant stays, marked :attr:`Participant.withdrawn`, with its
      meetings (every view and export flags them, :func:`check_agenda` warns about each
      planned one) until the manager records them as not held or reopens the agenda, which
      drops the participant. A participant without any meeting there simply goes.
    * Erased, published or not: nothing of the member may remain. It goes as from a
      preliminary agenda, from the session's list of admitted members and from the figures of
      the last build too; each of its meetings in a published agenda leaves a :class:`Vacancy`
      (slot and table) on the partner's side, so the partner learns that the meeting is off.

    Returns
    -------
    str or None
        ``"removed"``; ``"flagged"`` (kept, withdrawn); ``"forgotten"`` (erased, not a
        participant, but named among the admitted members or in the last build's figures); or
        None when the session does not name the member (nothing changes).
    """
    participant = session.participants.get(member_id)
    if participant is None:
        return "forgotten" if erased and _forget(session, member_id) else None
    published = session.state == "final"
    if not erased and published and any(member_id in m.pair for m in session.meetings):
        if not participant.withdrawn:
            session.participants[member_id] = replace(participant, withdrawn=True)
        return "flagged"
    if erased and published:
        # Held meetings took place: only the planned ones are off for the partner.
        session.vacated.extend(
            Vacancy(m.partner_of(member_id), m.slot, m.table)
            for m in session.meetings
            if member_id in m.pair and m.status == "planned"
        )
    _drop(session, member_id)
    if erased:
        _forget(session, member_id)
    return "removed"


def _forget(session: Session, member_id: str) -> bool:
    """Take an erased member's id off the admitted members and the last build's figures;
    whether anything changed."""
    changed = False
    settings = session.settings
    if member_id in settings.member_ids:
        # The id itself must go. Should the list empty with no network named, the session
        # admits anyone from then on (shown in its settings): participants are added by hand.
        session.settings = replace(
            settings, member_ids=tuple(m for m in settings.member_ids if m != member_id)
        )
        changed = True
    build = session.last_build
    if build is not None:
        unmet, without = build.get("unmet_minimum"), build.get("without_meetings")
        if isinstance(unmet, Mapping) and member_id in unmet:
            build = {**build, "unmet_minimum": {m: n for m, n in unmet.items() if m != member_id}}
            changed = True
        if isinstance(without, list) and member_id in without:
            build = {**build, "without_meetings": [m for m in without if m != member_id]}
            changed = True
        session.last_build = build
    return changed


def _refuse_withdrawn(session: Session, *member_ids: str) -> None:
    for name, member_id in zip(("member_id", "partner_id"), member_ids):
        if session.is_withdrawn(member_id):
            raise _fail(
                name,
                member_id,
                f"{member_id} withdrew from the service; it is no longer "
                "planned, wished for or suggested",
            )


def pair_rule_violation(session: Session, member_id: str, partner_id: str) -> str | None:
    """Return why the session's who-can-meet-whom rules forbid the pair, or None if they allow it."""
    a, b = session.participant(member_id), session.participant(partner_id)
    rules = session.settings.pair_rules
    if "different_networks" in rules and a.network and a.network == b.network:
        return (
            f"{a.member_id} and {b.member_id} are both members of {a.network} (rule "
            "'different_networks')"
        )
    if "buyers_with_suppliers" in rules and "any" not in (a.role, b.role) and a.role == b.role:
        return (
            f"{a.member_id} and {b.member_id} are both {a.role}s (rule "
            "'buyers_with_suppliers': a buyer meets a supplier)"
        )
    return None


def set_wish(session: Session, member_id: str, partner_id: str, level: str | None) -> None:
    """Record what `member_id` wants of a meeting with `partner_id`; ``None`` clears the wish.

    Raises
    ------
    SessionValidationError
        If either is not a participant or withdrew, they are the same, the level is not one of
        :data:`WISH_LEVELS`, or the session's rules forbid the pair (except for a veto).
    """
    session.participant(member_id)
    session.participant(partner_id)
    if member_id == partner_id:
        raise _fail("partner_id", partner_id, "a participant cannot wish to meet itself")
    _refuse_withdrawn(session, member_id, partner_id)
    if level is None:
        session.wishes.pop((member_id, partner_id), None)
        return
    if level not in WISH_LEVELS:
        raise _fail(
            "level",
            level,
            f"{level!r} is not a wish level; allowed: {', '.join(WISH_LEVELS)} (or none to clear)",
        )
    if level != "no":
        rule = pair_rule_violation(session, member_id, partner_id)
        if rule:
            raise _fail("partner_id", partner_id, f"this pair may not meet: {rule}")
    session.wishes[(member_id, partner_id)] = Wish(member_id, partner_id, level)


def suggest_wishes(
    matcher: PartnerMatcher,
    session: Session,
    k: int = 10,
    member_ids: Iterable[str] | None = None,
    languages: Sequence[str] = LANGUAGES,
    explain_wishes: bool = True,
) -> dict[str, tuple[SuggestedPartner, ...]]:
    """Ask the engine for each participant's best partners among the participants.

    Existing partners (and partners a member declined) are never suggested: the engine leaves
    them out. Neither are partners the member vetoed in this session, nor pairs the session's
    rules forbid. Participants the engine was not fitted on (guests) get no suggestions of
    their own, but are not suggested to others either, since the engine cannot score them.

    With `explain_wishes`, every pair a participant wished for or meets in the agenda, in
    either direction, that is not among its suggestions is explained too (an entry with
    ``suggested=False``): its score breaks ties between wishes and its reasons go into the
    agendas and calendars, always from the participant's own point of view.

    Parameters
    ----------
    matcher : fitted PartnerMatcher
    session : Session
    k : int
        Suggestions per participant.
    member_ids : iterable of str, optional
        Only these participants (default: all).
    languages : sequence of {"en", "uk"}
        Languages of the reasons kept with each suggestion.
    explain_wishes : bool
        Also explain the wished and planned pairs that are not suggestions.

    Returns
    -------
    dict of str to tuple of SuggestedPartner
        By participant, best first; assign it to ``session.suggestions`` (or update it) to
        keep it with the session.
    """
    if not (isinstance(k, int) and k > 0):
        raise InputError(f"Got k={k!r}, expected a positive integer")
    bad_languages = [language for language in languages if language not in LANGUAGES]
    if bad_languages or not languages:
        raise InputError(
            f"Got languages={list(languages)!r}, expected some of {', '.join(LANGUAGES)}"
        )
    # Withdrawn participants are neither suggested nor given suggestions: to the engine they
    # are outside the session.
    fitted = list(matcher.frame_["member_id"])
    fitted_set = set(fitted) - set(session.withdrawn_ids())
    chosen = list(session.participants) if member_ids is None else list(member_ids)
    for member_id in chosen:
        session.participant(member_id)
    guests = [
        m for m in session.participants if m not in fitted_set and not session.is_withdrawn(m)
    ]
    if guests:
        logger.info(
            "%d participants are not among the engine's profiles and get no suggestions: %s",
            len(guests),
            ", ".join(guests[:10]),
        )
    outside = [m for m in fitted if m not in session.participants]
    result: dict[str, tuple[SuggestedPartner, ...]] = {}
    for member_id in chosen:
        if member_id not in fitted_set:
            continue
        exclude = list(outside)
        for partner_id in session.participants:
            if partner_id == member_id:
                continue
            if (
                session.is_withdrawn(partner_id)
                or session.level(member_id, partner_id) == "no"
                or pair_rule_violation(session, member_id, partner_id)
            ):
                exclude.append(partner_id)
        items = _engine_view(matcher, member_id, k, exclude, languages, suggested=True)
        if explain_wishes:
            known = {s.partner_id for s in items}
            wanted = sorted(
                {p for p in _wished_or_met(session, member_id) if p in fitted_set} - known
            )
            everyone_else = [m for m in fitted if m != member_id]
            for partner_id in wanted:
                # Everyone but the partner is excluded: the engine scores and explains this pair
                # alone (nothing comes back for a known partner or a declined one).
                others = [m for m in everyone_else if m != partner_id]
                items += _engine_view(matcher, member_id, 1, others, languages, suggested=False)
        result[member_id] = tuple(items)
    return result


def _engine_view(
    matcher: PartnerMatcher,
    member_id: str,
    k: int,
    exclude: Sequence[str],
    languages: Sequence[str],
    suggested: bool,
) -> list[SuggestedPartner]:
    by_language = {
        language: matcher.recommend(member_id, k=k, exclude=exclude, language=language)
        for language in languages
    }
    reasons = {
        language: {s.partner_id: tuple(s.reasons) for s in items}
        for language, items in by_language.items()
    }
    return [
        SuggestedPartner(
            s.partner_id,
            s.name,
            float(s.score),
            {language: reasons[language].get(s.partner_id, ()) for language in languages},
            suggested,
        )
        for s in by_language[languages[0]]
    ]


def _wished_or_met(session: Session, member_id: str) -> set[str]:
    """Partners `member_id` wished for, who wished for it, or whom it meets."""
    partners = {p for (m, p), w in session.wishes.items() if m == member_id and w.level != "no"}
    partners |= {m for (m, p), w in session.wishes.items() if p == member_id and w.level != "no"}
    partners |= {m.partner_of(member_id) for m in session.meetings if member_id in m.pair}
    return partners


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


# ---------------------------------------------------------------------------------------------
# Hand edits
# ---------------------------------------------------------------------------------------------


def find_meeting(
    session: Session, member_id: str, partner_id: str, include_cancelled: bool = False
) -> Meeting:
    """Return the pair's planned or held meeting (or, with `include_cancelled`, a cancelled one).

    Raises
    ------
    SessionValidationError
        If the pair has no such meeting.
    """
    session.participant(member_id)
    session.participant(partner_id)
    pair = tuple(sorted((member_id, partner_id)))
    found = [m for m in session.meetings if m.pair == pair and (m.active or include_cancelled)]
    found.sort(key=lambda m: not m.active)
    if not found:
        raise _fail(
            "meeting",
            f"{pair[0]}~{pair[1]}",
            f"{member_id} and {partner_id} have no "
            + ("meeting" if include_cancelled else "planned or held meeting"),
        )
    return found[0]


def _commit(session: Session, old: Sequence[Meeting], new: Sequence[Meeting], action: str) -> None:
    """Replace the meetings `old` by `new` unless that creates an error conflict."""
    ids = {id(m) for m in old}
    proposed = [m for m in session.meetings if id(m) not in ids] + list(new)
    before = {c.key for c in check_agenda(session) if c.severity == "error"}
    created = [
        c for c in check_agenda(session, proposed) if c.severity == "error" and c.key not in before
    ]
    if created:
        raise AgendaConflictError(created, action)
    session.meetings = proposed


def _free_table(
    session: Session, slot: int, ignore: Iterable[Meeting], preferred: int | None
) -> int:
    ignored = {id(m) for m in ignore}
    taken = {
        m.table for m in session.meetings if m.active and m.slot == slot and id(m) not in ignored
    }
    if preferred is not None and preferred not in taken:
        return preferred
    free = [t for t in range(1, session.settings.tables + 1) if t not in taken]
    # No free table: keep the preferred one, so the refusal names the clash and the capacity.
    return free[0] if free else (preferred or 1)


def move_meeting(
    session: Session,
    member_id: str,
    partner_id: str,
    slot: int,
    table: int | None = None,
    lock: bool = True,
) -> Meeting:
    """Move the pair's meeting to `slot` (and `table`; by default its own table if free there,
    else the lowest free one). The moved meeting is locked unless `lock` is False.

    Raises
    ------
    SessionValidationError
        Unknown pair or slot, or a final agenda.
    AgendaConflictError
        If the move would create a conflict (the agenda is left as it was).
    """
    _require_preliminary(session, "move a meeting")
    meeting = find_meeting(session, member_id, partner_id)
    session.settings._check_slot(slot)
    _check_table(session, table)
    chosen = table if table is not None else _free_table(session, slot, [meeting], meeting.table)
    moved = replace(meeting, slot=slot, table=chosen, locked=lock or meeting.locked)
    _commit(session, [meeting], [moved], f"moving {meeting.meeting_id} to slot {slot}")
    return moved


def swap_meetings(
    session: Session, first: tuple[str, str], second: tuple[str, str], lock: bool = True
) -> tuple[Meeting, Meeting]:
    """Exchange the slots and tables of two meetings (both locked unless `lock` is False).

    Raises
    ------
    SessionValidationError, AgendaConflictError
    """
    _require_preliminary(session, "swap meetings")
    one, two = find_meeting(session, *first), find_meeting(session, *second)
    if one is two:
        raise _fail("meeting", one.meeting_id, "give two different meetings to swap")
    new_one = replace(one, slot=two.slot, table=two.table, locked=lock or one.locked)
    new_two = replace(two, slot=one.slot, table=one.table, locked=lock or two.locked)
    _commit(
        session, [one, two], [new_one, new_two], f"swapping {one.meeting_id} and {two.meeting_id}"
    )
    return new_one, new_two


def cancel_meeting(session: Session, member_id: str, partner_id: str) -> Meeting:
    """Cancel the pair's planned meeting; it stays on record and is not planned again.

    Raises
    ------
    SessionValidationError
        If the pair has no planned meeting, or the agenda is final (record what happened
        with :func:`record_outcome` instead).
    """
    _require_preliminary(session, "cancel a meeting")
    meeting = find_meeting(session, member_id, partner_id)
    if meeting.status != "planned":
        raise _fail(
            "meeting",
            meeting.meeting_id,
            f"the meeting is {meeting.status}; only a planned meeting can be cancelled",
        )
    cancelled = replace(meeting, status="cancelled", locked=False)
    _commit(session, [meeting], [cancelled], f"cancelling {meeting.meeting_id}")
    return cancelled


def add_meeting(
    session: Session,
    member_id: str,
    partner_id: str,
    slot: int,
    table: int | None = None,
    locked: bool = True,
) -> Meeting:
    """Add a meeting of the pair in `slot` (at `table`, by default the lowest free one).

    A meeting added by hand is locked unless `locked` is False. A cancelled meeting of the
    pair is replaced by the new one.

    Raises
    ------
    SessionValidationError
        Unknown participants or slot, the same participant twice, the pair already meets, or a
        final agenda.
    AgendaConflictError
        If the meeting would create a conflict (a double booking, an unavailable slot, no free
        table, a veto, a rule, a maximum).
    """
    _require_preliminary(session, "add a meeting")
    session.participant(member_id)
    session.participant(partner_id)
    if member_id == partner_id:
        raise _fail("partner_id", partner_id, "a meeting needs two different participants")
    session.settings._check_slot(slot)
    _check_table(session, table)
    pair = tuple(sorted((member_id, partner_id)))
    existing = [m for m in session.meetings if m.pair == pair]
    active = [m for m in existing if m.active]
    if active:
        raise _fail(
            "meeting",
            active[0].meeting_id,
            f"{member_id} and {partner_id} already meet in "
            f"slot {active[0].slot}; move that meeting instead",
        )
    chosen = table if table is not None else _free_table(session, slot, [], None)
    meeting = Meeting.between(member_id, partner_id, slot, chosen, locked=locked)
    _commit(
        session, existing, [meeting], f"adding a meeting of {meeting.meeting_id} in slot {slot}"
    )
    return meeting


def lock_meeting(session: Session, member_id: str, partner_id: str, locked: bool = True) -> Meeting:
    """Lock (or unlock) the pair's meeting: a locked meeting keeps its slot and table when the
    agenda is built again."""
    _require_preliminary(session, "lock or unlock a meeting")
    meeting = find_meeting(session, member_id, partner_id)
    changed = replace(meeting, locked=locked)
    session.meetings = [changed if m is meeting else m for m in session.meetings]
    return changed


def _check_table(session: Session, table: int | None) -> None:
    if table is not None and not (isinstance(table, int) and 1 <= table <= session.settings.tables):
        raise _fail(
            "table",
            table,
            f"got table {table!r}, expected a table number from 1 to {session.settings.tables}",
        )


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


# ---------------------------------------------------------------------------------------------
# Participants and wishes from tables (files, uploads)
# ---------------------------------------------------------------------------------------------

_PARTICIPANT_ALIASES = {
    "id": "member_id",
    "min": "min_meetings",
    "max": "max_meetings",
    "availability": "available",
    "slots": "available",
}
_PARTICIPANT_COLUMNS = (
    "member_id",
    "name",
    "network",
    "org_type",
    "country",
    "role",
    "available",
    "min_meetings",
    "max_meetings",
)


def participants_from_records(
    records: Iterable[Mapping[str, Any]],
    settings: SessionSettings,
    profiles: Mapping[str, Profile] | None = None,
    source: str = "participants",
    unit: str = "row",
    first_row: int = 2,
) -> list[Participant]:
    """Validate rows of participants (a CSV/XLSX sheet or JSON records) all at once.

    Columns: ``member_id`` (or ``id``), ``name``, ``network``, ``org_type``, ``country``,
    ``role``, ``available`` (as :func:`parse_slots` reads it; empty = every slot),
    ``min_meetings``/``min``, ``max_meetings``/``max``. With `profiles` (member id ->
    Profile), every participant must be a member and empty name, network, org_type and
    country are taken from its profile. Other columns are ignored with a warning.

    Raises
    ------
    ProfileValidationError
        Listing every bad row, column and value (nothing is returned then).
    """
    from ..profiles import Problem, ProfileValidationError

    problems: list[Problem] = []
    participants: list[Participant] = []
    seen: dict[str, int] = {}
    ignored: set[str] = set()
    for position, raw in enumerate(records, start=first_row):
        record: dict[str, Any] = {}
        for key, value in raw.items():
            column = _PARTICIPANT_ALIASES.get(str(key).strip().lower(), str(key).strip().lower())
            if column not in _PARTICIPANT_COLUMNS:
                ignored.add(str(key))
                continue
            text = "" if value is None else value
            if isinstance(text, float) and math.isnan(text):  # an empty spreadsheet cell
                text = ""
            record[column] = text.strip() if isinstance(text, str) else text
        member_id = str(record.get("member_id") or "")
        if profiles is not None:
            profile = profiles.get(member_id)
            if profile is None:
                problems.append(
                    Problem(
                        position,
                        "member_id",
                        member_id,
                        f"{member_id!r} is not "
                        "a member of the profiles" + closest_hint(member_id, profiles),
                        unit,
                    )
                )
                continue
            for column in ("name", "network", "org_type", "country"):
                if not record.get(column):
                    record[column] = getattr(profile, column)
        for column in ("available", "min_meetings", "max_meetings", "role"):
            if record.get(column) == "":
                record[column] = None
        found = _participant_problems(record, settings, where="row")
        if member_id in seen:
            problems.append(
                Problem(
                    position,
                    "member_id",
                    member_id,
                    f"listed twice (also in {unit} {seen[member_id]})",
                    unit,
                )
            )
        seen.setdefault(member_id, position)
        if not found and not settings.admits(member_id, str(record.get("network") or "")):
            problems.append(
                Problem(
                    position,
                    "network",
                    record.get("network"),
                    "this member may "
                    "not take part; the session is open to networks "
                    f"{', '.join(settings.networks) or '-'} and "
                    f"{len(settings.member_ids)} listed members",
                    unit,
                )
            )
        problems.extend(
            Problem(position, p.field.rsplit(".", 1)[-1], p.value, p.message, unit) for p in found
        )
        if not found:
            participants.append(_participant(record, settings))
    if ignored:
        logger.warning(
            "%s: columns ignored (not participant fields): %s", source, ", ".join(sorted(ignored))
        )
    if problems:
        raise ProfileValidationError(problems, source)
    return participants


def read_participants(
    path: str | Path, settings: SessionSettings, profiles: Mapping[str, Profile] | None = None
) -> list[Participant]:
    """Read and validate a participants file (.csv, .xlsx or .json); see
    :func:`participants_from_records`."""
    from ..profiles import read_table

    frame, unit = read_table(path, "participants")
    return participants_from_records(
        frame.to_dict("records"),
        settings,
        profiles,
        source=str(path),
        unit=unit,
        first_row=2 if unit == "row" else 1,
    )


def set_wishes(
    session: Session,
    records: Iterable[Mapping[str, Any]],
    source: str = "wishes",
    unit: str = "row",
    first_row: int = 2,
) -> int:
    """Set many wishes at once: rows of ``member_id``, ``partner_id``, ``level`` (``must``,
    ``would``, ``no``; ``none`` or empty clears). All rows are checked before any is applied.

    Returns
    -------
    int
        The number of rows applied.

    Raises
    ------
    ProfileValidationError
        Listing every bad row, column and value (nothing is changed then).
    """
    from ..profiles import Problem, ProfileValidationError

    problems: list[Problem] = []
    changes: list[tuple[str, str, str | None]] = []
    for position, raw in enumerate(records, start=first_row):
        record = {
            str(k).strip().lower(): ("" if v is None else str(v).strip()) for k, v in raw.items()
        }
        member_id, partner_id = record.get("member_id", ""), record.get("partner_id", "")
        level = record.get("level", "").lower() or "none"
        before = len(problems)
        for column, value in (("member_id", member_id), ("partner_id", partner_id)):
            if value not in session.participants:
                problems.append(
                    Problem(
                        position,
                        column,
                        value,
                        f"{value!r} is not a participant"
                        + closest_hint(value, session.participants),
                        unit,
                    )
                )
        if member_id and member_id == partner_id:
            problems.append(
                Problem(
                    position,
                    "partner_id",
                    partner_id,
                    "a participant cannot wish to meet itself",
                    unit,
                )
            )
        for column, value in (("member_id", member_id), ("partner_id", partner_id)):
            if session.is_withdrawn(value):
                problems.append(
                    Problem(
                        position,
                        column,
                        value,
                        f"{value} withdrew from the service; it is no longer wished for",
                        unit,
                    )
                )
        if level not in (*WISH_LEVELS, "none"):
            problems.append(
                Problem(
                    position,
                    "level",
                    level,
                    f"{level!r} is not a wish level; allowed: {', '.join(WISH_LEVELS)}, none",
                    unit,
                )
            )
        if len(problems) == before and level in ("must", "would"):
            rule = pair_rule_violation(session, member_id, partner_id)
            if rule:
                problems.append(
                    Problem(
                        position, "partner_id", partner_id, f"this pair may not meet: {rule}", unit
                    )
                )
        if len(problems) == before:
            changes.append((member_id, partner_id, None if level == "none" else level))
    if problems:
        raise ProfileValidationError(problems, source)
    for member_id, partner_id, level in changes:
        set_wish(session, member_id, partner_id, level)
    return len(changes)
