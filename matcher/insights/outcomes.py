"""Matchmaking outcomes: reading the outcomes table (shown, accepted, meeting held, deal) and
summarising it by session."""

from __future__ import annotations

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

__all__ = ["OutcomeSummary", "read_outcomes", "summarise_outcomes", "validate_outcomes"]


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


@dataclass
class OutcomeSummary:
    """What came of the suggestions of matchmaking sessions.

    Attributes
    ----------
    sessions : DataFrame
        One row per session, in date order: ``session, date`` (its first date), ``members``
        (distinct members), ``rows``, the count of each flag (``shown, accepted, meeting_held,
        deal``) and the rates ``accepted_rate, meeting_rate, deal_rate`` (of the shown).
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
    flags = {flag: (flag, "sum") for flag in OUTCOME_FLAGS}
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
        **{flag: int(data[flag].sum()) for flag in OUTCOME_FLAGS},
    }
    shown = totals["shown"]
    totals.update(
        {rate: round(totals[flag] / shown, 4) if shown else None for flag, rate in _RATES}
    )
    return OutcomeSummary(_rates(sessions), _rates(months), totals)
