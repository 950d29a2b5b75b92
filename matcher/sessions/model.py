"""Matchmaking sessions: B2B meeting days with wish lists, an agenda, hand edits and outcomes.

A cluster manager runs a matchmaking day: one-to-one meetings of a fixed length in numbered time
slots at numbered tables. This module holds the session as data (settings and slots,
participants, wishes, meetings, the validated document); the rules around it follow the flow
below in :mod:`.wishes` (steps 2-3), :mod:`.agenda` (4-5: candidates and conflicts),
:mod:`.edits` (5: hand edits) and :mod:`.outcomes` (5-6: publication, outcomes, feedback). The
agenda itself is built by :mod:`matcher.sessions.scheduler` and exported by
:mod:`matcher.sessions.exports`.

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
import re
import uuid
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import i18n
from ..errors import InputError
from ..files import atomic_write_text
from ..profiles import Profile

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
    "closest_hint",
    "load_session",
    "make_slots",
    "parse_slots",
    "role_of",
    "save_session",
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
    #: The message's values (ids, slots, counts), from which
    #: :func:`matcher.sessions.agenda.conflict_message` words it in any language.
    params: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

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
            # Four significant digits, not decimals: scores among a session's participants are
            # often below 0.001, and their strengths (matcher.engine.strength) compare them.
            "score": float(f"{self.score:.4g}"),
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
