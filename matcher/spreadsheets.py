"""Cells and sheet titles that spreadsheet programs read as the service meant them.

Every CSV and XLSX written for people to open (batch shortlists, session agendas, insights
tables, member exports of the API, the command line's CSV output) goes through these helpers,
so one rule holds everywhere (files the matcher reads back, such as feedback exported as links
or the generated sample, are written as they are: an apostrophe would change their ids):

- a text cell that a spreadsheet would run as a formula (it starts with ``= + - @``, or with a
  tab or a carriage return, which some programs skip before reading a formula) gets a leading
  apostrophe and is shown as text (the OWASP rule against CSV injection);
- a sheet title loses the characters Excel refuses (``[ ] : * ? / \\``) and the apostrophes it
  may not start or end with, is cut to 31 characters, and is made unique in its workbook
  (Excel compares titles without regard to case) by a ``~2``, ``~3``... suffix.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

__all__ = [
    "FORMULA_START",
    "SHEET_TITLE_LENGTH",
    "csv_text",
    "safe_cell",
    "safe_cells",
    "sheet_title",
]

#: What a text cell may not start with unless it is prefixed with an apostrophe.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: The longest sheet title Excel accepts.
SHEET_TITLE_LENGTH = 31
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def safe_cell(value: Any) -> Any:
    """`value`, with an apostrophe in front if it is text a spreadsheet would run as a formula;
    anything else (numbers, None, dates) unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` with :func:`safe_cell` applied to its text columns."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if isinstance(values.dtype, pd.StringDtype):
            # Text only: the cells to change are found at once (a batch's shortlists hold
            # millions of cells, almost none of them a formula).
            risky = values.str.startswith(FORMULA_START).fillna(False).astype(bool)
            if risky.any():
                out[column] = values.mask(risky, "'" + values)
        elif values.dtype == object or pd.api.types.is_string_dtype(values):
            out[column] = values.map(safe_cell)
    return out


def sheet_title(text: str, used: set[str], fallback: str = "sheet") -> str:
    """A valid sheet title for `text` that is not in `used` (lower-cased titles), added to it.

    `fallback` is the title when nothing of `text` is left.
    """
    title = _SHEET_FORBIDDEN.sub("_", text).strip("'")[:SHEET_TITLE_LENGTH].strip("'")
    title = title or fallback
    candidate, n = title, 2
    while candidate.lower() in used:
        suffix = f"~{n}"
        candidate, n = title[: SHEET_TITLE_LENGTH - len(suffix)] + suffix, n + 1
    used.add(candidate.lower())
    return candidate


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """`header` and `rows` as CSV text for people to open: every cell through :func:`safe_cell`,
    rows ended by CRLF (RFC 4180), so that a line break inside a cell is quoted.

    Files that the service reads back (links, profiles) are not written this way: an apostrophe
    would change their ids.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue()
