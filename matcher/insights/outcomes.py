"""Matchmaking outcomes: reading the outcomes table (shown, accepted, meeting held, deal),
turning members' feedback into it, and summarising it by session.

How things are counted, one rule for every output (the insights, their report, the manager
pages' dashboard, the API):

* What one side saw or answered counts once per member and partner: a suggestion **shown** (to
  the member), **accepted** or **declined** (by the member). A suggestion shown twice to the
  same member is one suggestion shown.
* What happens between two members counts once per **pair**: a **meeting held** or a **deal**
  is one, whether one side recorded it, or both (a matchmaking session records a held meeting
  for each side: :func:`matcher.sessions.outcomes.feedback_records`). A deal is made at a
  meeting, so a pair with a deal has also held a meeting (a session records a deal in place of
  the meeting).
* Nothing else implies a shown suggestion: a meeting arranged at a session, or a deal
  reported, with no suggestion shown, is a meeting or a deal and not a suggestion shown.

:func:`count_feedback` counts feedback events by that rule; :func:`outcomes_from_feedback` turns
them into outcome rows, and :func:`summarise_outcomes` counts the rows by the same rule, so the
figures of both agree.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..profiles import (
    Problem,
    ProfileValidationError,
    read_table,
)
from .common import (
    _NO,
    _REQUIRED_OUTCOME_COLUMNS,
    _YES,
    OUTCOME_COLUMNS,
    OUTCOME_FLAGS,
    _jsonable,
    _records,
)

logger = logging.getLogger(__name__)

__all__ = [
    "FEEDBACK_OUTCOMES",
    "PAIR_EVENTS",
    "OutcomeSummary",
    "count_feedback",
    "outcomes_from_feedback",
    "read_outcomes",
    "summarise_outcomes",
    "validate_outcomes",
]

#: Feedback events counted once per pair of members, and the events that make each of them: a
#: deal is made at a meeting, so a deal is a meeting held too.
PAIR_EVENTS = {"meeting": ("meeting", "deal"), "deal": ("deal",)}
#: Feedback events as the outcome flags of :data:`OUTCOME_COLUMNS` (``shown`` only from a
#: ``shown`` event: no other event implies that a suggestion was shown).
FEEDBACK_OUTCOMES = {
    "shown": ("shown",),
    "accepted": ("accepted",),
    "meeting_held": PAIR_EVENTS["meeting"],
    "deal": PAIR_EVENTS["deal"],
}


# ---------------------------------------------------------------------------------------------
# Matchmaking outcomes
# ---------------------------------------------------------------------------------------------


def read_outcomes(path: str | Path, member_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """Read and validate an outcomes file (CSV, XLSX or JSON; see :data:`OUTCOME_COLUMNS`).

    Raises
    ------
    ProfileValidationError
        With every bad row, column and value of the file.
    """
    frame, unit = read_table(path, "outcomes")
    return validate_outcomes(
        frame, member_ids, source=str(path), unit=unit, first_row=2 if unit == "row" else 1
    )


def _flag(cell: str, default: bool) -> bool | None:
    text = cell.strip().casefold()
    if not text:
        return default
    if text in _YES:
        return True
    if text in _NO:
        return False
    try:
        number = float(text)
    except ValueError:
        return None
    return {1.0: True, 0.0: False}.get(number)


def validate_outcomes(
    raw: pd.DataFrame,
    member_ids: Iterable[str] | None = None,
    source: str = "outcomes",
    unit: str = "row",
    first_row: int = 2,
) -> pd.DataFrame:
    """Validate raw outcome rows.

    Parameters
    ----------
    raw : DataFrame of shape (n_rows, n_columns)
        The columns of :data:`OUTCOME_COLUMNS` (``session, date, member_id, partner_id``
        required; the flags optional).
    member_ids : iterable of str, optional
        Known profile ids; rows naming other ids are errors.

    Returns
    -------
    DataFrame of shape (n_rows, 8)
        The columns of :data:`OUTCOME_COLUMNS`; ``date`` as an ISO date string, flags as bool.

    Raises
    ------
    ProfileValidationError
        With every problem found.
    """
    raw = raw.rename(columns=lambda c: str(c).strip())
    missing = [c for c in _REQUIRED_OUTCOME_COLUMNS if c not in raw.columns]
    if missing:
        raise ProfileValidationError(
            [
                Problem(
                    None,
                    c,
                    None,
                    f"required column {c!r} is missing; the columns are "
                    + ", ".join(OUTCOME_COLUMNS),
                )
                for c in missing
            ],
            source,
        )
    unknown_columns = [c for c in raw.columns if c not in OUTCOME_COLUMNS]
    if unknown_columns:
        logger.warning(
            "%s: unknown outcome columns ignored: %s", source, ", ".join(unknown_columns)
        )
    if raw.empty:
        raise ProfileValidationError(
            [Problem(None, None, None, "no outcome rows in the input")], source
        )
    known = set(member_ids) if member_ids is not None else None
    problems: list[Problem] = []

    def add(position: int, column: str, value: Any, message: str) -> None:
        problems.append(Problem(position + first_row, column, value, message, unit))

    def text(value: Any) -> str:
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            return ""
        return str(value).strip()

    rows = []
    seen: dict[tuple[str, str, str], int] = {}
    for position, record in enumerate(raw.to_dict("records")):
        row: dict[str, Any] = {}
        session = text(record.get("session"))
        if not session:
            add(position, "session", session, "session is required (a name or id of the session)")
        row["session"] = session
        date = text(record.get("date"))
        if not date:
            add(position, "date", date, "date is required (ISO 8601, YYYY-MM-DD)")
        else:
            try:
                date = pd.Timestamp(date).date().isoformat()
            except (ValueError, TypeError):
                add(position, "date", date, f"{date!r} is not an ISO 8601 date (YYYY-MM-DD)")
        row["date"] = date
        for column in ("member_id", "partner_id"):
            value = text(record.get(column))
            if not value:
                add(position, column, value, f"{column} is required (a profile id)")
            elif known is not None and value not in known:
                add(position, column, value, f"{value!r} is not the id of any profile")
            row[column] = value
        if row["member_id"] and row["member_id"] == row["partner_id"]:
            add(position, "partner_id", row["partner_id"], "partner_id is the member itself")
        for column in OUTCOME_FLAGS:
            cell = text(record.get(column)) if column in raw.columns else ""
            value = _flag(cell, default=column == "shown")
            if value is None:
                add(
                    position,
                    column,
                    cell,
                    f"{cell!r} is not a yes/no flag; use 1 or 0 "
                    "(true/false, yes/no, так/ні are accepted)",
                )
            row[column] = bool(value)
        key = (row["session"], row["member_id"], row["partner_id"])
        if all(key) and key in seen:
            add(
                position,
                "partner_id",
                row["partner_id"],
                f"{row['partner_id']!r} repeats {unit} {seen[key] + first_row} "
                "(same session, member_id and partner_id)",
            )
        seen.setdefault(key, position)
        rows.append(row)
    if problems:
        raise ProfileValidationError(problems, source)
    return pd.DataFrame(rows, columns=list(OUTCOME_COLUMNS))


def _pair(member_id: str, partner_id: str) -> tuple[str, str]:
    return (member_id, partner_id) if member_id <= partner_id else (partner_id, member_id)


def count_feedback(events: Iterable[tuple[str, str, str]]) -> dict[str, int]:
    """Count feedback events by the module's rule.

    Parameters
    ----------
    events : iterable of (member_id, partner_id, event)
        Feedback events (``shown, accepted, declined, meeting, deal``), in any order.

    Returns
    -------
    dict
        ``shown``, ``accepted``, ``declined``: distinct (member, partner) with such an event;
        ``meeting``: distinct pairs of members with a meeting or a deal, whichever side gave it;
        ``deal``: distinct pairs with a deal.

    >>> count_feedback([("a", "b", "meeting"), ("b", "a", "meeting"), ("a", "b", "shown")])
    {'shown': 1, 'accepted': 0, 'declined': 0, 'meeting': 1, 'deal': 0}
    """
    sides: dict[str, set[tuple[str, str]]] = {e: set() for e in ("shown", "accepted", "declined")}
    pairs: dict[str, set[tuple[str, str]]] = {e: set() for e in PAIR_EVENTS}
    for member_id, partner_id, event in events:
        if event in sides:
            sides[event].add((member_id, partner_id))
        for counted, making in PAIR_EVENTS.items():
            if event in making:
                pairs[counted].add(_pair(member_id, partner_id))
    return {event: len(found) for event, found in (*sides.items(), *pairs.items())}


def outcomes_from_feedback(
    events: Iterable[tuple[str, str, str, str]], member_ids: Iterable[str] | None = None
) -> pd.DataFrame | None:
    """Turn feedback events into validated outcome rows (see :data:`OUTCOME_COLUMNS`).

    One row per member and partner with feedback. The flags say whether such an event was given
    (:data:`FEEDBACK_OUTCOMES`: ``shown`` only from a ``shown`` event, ``meeting_held`` from a
    meeting or a deal). Feedback records no session, so ``date`` is the day of the pair's first
    event, whichever side gave it, and ``session`` the ISO week of that day (``2026-W48``):
    feedback on the suggestions of a matchmaking day trickles in over the following days, and
    both sides of a pair fall in one session, where :func:`summarise_outcomes` counts their
    meeting once.

    Parameters
    ----------
    events : iterable of (member_id, partner_id, event, day)
        ``day`` as an ISO date (``2026-11-30``).
    member_ids : iterable of str, optional
        Known profile ids (see :func:`validate_outcomes`).

    Returns
    -------
    DataFrame of shape (n_rows, 8) or None
        Validated rows, in the order of each row's first event; None without events.
    """
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    first_day: dict[tuple[str, str], str] = {}
    for member_id, partner_id, event, day in events:
        row = rows.setdefault(
            (member_id, partner_id),
            {"member_id": member_id, "partner_id": partner_id}
            | {flag: False for flag in FEEDBACK_OUTCOMES},
        )
        pair = _pair(member_id, partner_id)
        first_day[pair] = min(first_day.get(pair, day), day)
        for flag, making in FEEDBACK_OUTCOMES.items():
            if event in making:
                row[flag] = True
    if not rows:
        return None
    raw = []
    for (member_id, partner_id), row in rows.items():
        day = first_day[_pair(member_id, partner_id)]
        year, week, _weekday = dt.date.fromisoformat(day).isocalendar()
        raw.append({"session": f"{year}-W{week:02d}", "date": day, **row})
    return validate_outcomes(
        pd.DataFrame(raw), member_ids, source="feedback", unit="record", first_row=1
    )


@dataclass
class OutcomeSummary:
    """What came of the suggestions of matchmaking sessions.

    Attributes
    ----------
    sessions : DataFrame
        One row per session, in date order: ``session, date`` (its first date), ``members``
        (distinct members), ``rows``, the count of each flag and the rates ``accepted_rate,
        meeting_rate, deal_rate`` (of the shown). ``shown`` and ``accepted`` count rows (one
        member and one partner each); ``meeting_held`` and ``deal`` count pairs of members, so
        a meeting recorded by both sides is one (see the module's rule).
    months : DataFrame
        The same counts per calendar month (``month`` as YYYY-MM), with ``sessions``.
    """

    sessions: pd.DataFrame
    months: pd.DataFrame
    totals: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """Return the summary as JSON-ready data."""
        return _jsonable(
            {
                "totals": self.totals,
                "sessions": _records(self.sessions),
                "months": _records(self.months),
            }
        )

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return ``{"outcome_sessions": ..., "outcome_months": ...}``."""
        return {"outcome_sessions": self.sessions, "outcome_months": self.months}


_RATES = (("accepted", "accepted_rate"), ("meeting_held", "meeting_rate"), ("deal", "deal_rate"))


def _rates(table: pd.DataFrame) -> pd.DataFrame:
    shown = table["shown"].where(table["shown"] > 0)
    for flag, rate in _RATES:
        table[rate] = (table[flag] / shown).round(4)
    return table


def summarise_outcomes(outcomes: pd.DataFrame) -> OutcomeSummary:
    """Count shown suggestions, acceptances, meetings and deals per session and per month.

    Suggestions shown and accepted are rows (a member and a partner); meetings held and deals
    are pairs of members, one however many rows of the session record them (the module's rule).

    Parameters
    ----------
    outcomes : DataFrame
        Validated outcome rows (see :func:`validate_outcomes`).
    """
    missing = [c for c in OUTCOME_COLUMNS if c not in outcomes.columns]
    if missing:
        raise ValueError(
            f"outcomes lack the columns {missing}; validate them with validate_outcomes()"
        )
    data = outcomes.copy()
    for flag in OUTCOME_FLAGS:
        data[flag] = data[flag].astype(bool).astype(int)
    # A meeting or a deal is one per pair of members and session, whichever rows record it: the
    # pair's key where the flag is set (NaN elsewhere), counted as distinct keys.
    pair_keys = [
        "\t".join((session, *_pair(member_id, partner_id)))
        for session, member_id, partner_id in zip(
            data["session"], data["member_id"], data["partner_id"]
        )
    ]
    pair_flags = ("meeting_held", "deal")
    for flag in pair_flags:
        data[f"{flag}_pair"] = pd.Series(pair_keys, index=data.index).where(data[flag] > 0)
    flags = {
        flag: (f"{flag}_pair", "nunique") if flag in pair_flags else (flag, "sum")
        for flag in OUTCOME_FLAGS
    }
    sessions = (
        data.groupby("session", sort=False)
        .agg(
            date=("date", "min"),
            members=("member_id", "nunique"),
            rows=("member_id", "size"),
            **flags,
        )
        .reset_index()
        .sort_values(["date", "session"])
        .reset_index(drop=True)
    )
    data["month"] = data["date"].str[:7]
    months = (
        data.groupby("month")
        .agg(
            sessions=("session", "nunique"),
            members=("member_id", "nunique"),
            rows=("member_id", "size"),
            **flags,
        )
        .reset_index()
        .sort_values("month")
        .reset_index(drop=True)
    )
    totals = {
        "sessions": int(data["session"].nunique()),
        "rows": len(data),
        **{
            flag: int(data[f"{flag}_pair"].nunique() if flag in pair_flags else data[flag].sum())
            for flag in OUTCOME_FLAGS
        },
    }
    shown = totals["shown"]
    totals.update(
        {rate: round(totals[flag] / shown, 4) if shown else None for flag, rate in _RATES}
    )
    return OutcomeSummary(_rates(sessions), _rates(months), totals)
