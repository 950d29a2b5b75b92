"""The views of a batch job's shortlists (for each candidate, the members that should visit
it; one summary row per member) and writing them as CSV, XLSX or Parquet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..files import atomic_write
from ..spreadsheets import safe_cell, safe_cells, sheet_title
from .scoring import OUTPUT_COLUMNS

__all__ = ["member_summary", "reverse_view", "write_table"]

# ---------------------------------------------------------------------------------------------
# Views of the result and writing them
# ---------------------------------------------------------------------------------------------


def reverse_view(shortlists: pd.DataFrame, per_candidate: int | None = None) -> pd.DataFrame:
    """For each candidate (exhibitor), the members that should visit it, best score first.

    Columns: ``partner_id, partner_name, visitor_rank, member_id, member_name, score,
    member_rank`` (the candidate's place in that member's shortlist), ``reasons``, and the
    candidate's extra columns.
    """
    columns = [
        "partner_id",
        "partner_name",
        "visitor_rank",
        "member_id",
        "member_name",
        "score",
        "member_rank",
        "reasons",
    ]
    if shortlists.empty:
        return pd.DataFrame(columns=columns)
    extra = [c for c in shortlists.columns if c not in OUTPUT_COLUMNS]
    frame = shortlists.rename(columns={"rank": "member_rank"})
    frame = frame.sort_values(
        ["partner_id", "score", "member_rank", "member_id"],
        ascending=[True, False, True, True],
        kind="stable",
    )
    frame["visitor_rank"] = frame.groupby("partner_id").cumcount() + 1
    if per_candidate:
        frame = frame[frame["visitor_rank"] <= per_candidate]
    columns = [*columns, *extra]
    return frame[columns].reset_index(drop=True)


def member_summary(shortlists: pd.DataFrame) -> pd.DataFrame:
    """One row per member: how many suggestions, the best one, the mean score, the partners'
    countries and, when the candidates carry a ``hall`` column, the halls to visit."""
    columns = [
        "member_id",
        "member_name",
        "suggestions",
        "best_partner",
        "best_score",
        "mean_score",
        "countries",
    ]
    if shortlists.empty:
        return pd.DataFrame(columns=columns)
    groups = shortlists.sort_values(["member_id", "rank"]).groupby("member_id", sort=False)
    summary = groups.agg(
        member_name=("member_name", "first"),
        suggestions=("partner_id", "size"),
        best_partner=("partner_name", "first"),
        best_score=("score", "max"),
        mean_score=("score", "mean"),
        countries=("partner_country", lambda s: ", ".join(dict.fromkeys(s))),
    )
    if "hall" in shortlists.columns:
        summary["halls"] = groups["hall"].agg(
            lambda s: ", ".join(dict.fromkeys(str(v) for v in s if str(v)))
        )
    summary["mean_score"] = summary["mean_score"].round(4)
    return summary.reset_index()


EXCEL_MAX_ROWS = 1_048_575
_SHEETS_PER_MEMBER_UP_TO = 200


def write_table(frame: pd.DataFrame, path: str | Path, summary: pd.DataFrame | None = None) -> None:
    """Write `frame` as CSV, XLSX or Parquet (by the file's suffix), atomically.

    XLSX: one sheet per member when there are at most 200 members, otherwise one printable
    sheet with each member's shortlist under a bold heading; a ``summary`` sheet first when
    given. CSV cells that a spreadsheet would run as a formula are prefixed with a quote.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx", ".parquet"):
        raise InputError(
            f"{path}: unsupported output file type {suffix!r}; use .csv, .xlsx or .parquet"
        )
    if suffix == ".xlsx" and _xlsx_rows(frame) > EXCEL_MAX_ROWS:
        raise InputError(
            f"{path}: {len(frame):,} suggestions with a heading and column names per "
            f"member take {_xlsx_rows(frame):,} rows, more than an Excel sheet's "
            f"{EXCEL_MAX_ROWS:,}; write .csv or .parquet"
        )

    def write(temporary: Path) -> None:
        if suffix == ".parquet":
            frame.to_parquet(temporary, index=False)
        elif suffix == ".csv":
            # RFC 4180 line ends: a carriage return inside a text cell is then quoted, and
            # a reader does not take it for the end of the row.
            safe_cells(frame).to_csv(
                temporary, index=False, encoding="utf-8", lineterminator="\r\n"
            )
        else:
            _write_xlsx(frame, temporary, summary)

    atomic_write(path, write)


def _xlsx_rows(frame: pd.DataFrame) -> int:
    """Rows the one-sheet layout of `frame` takes: each member's heading, column names and
    suggestions."""
    return len(frame) + 2 * frame["member_id"].nunique()


def _write_xlsx(frame: pd.DataFrame, path: str, summary: pd.DataFrame | None) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    columns = [c for c in frame.columns if c not in ("member_id", "member_name")]

    def add_rows(sheet, rows: pd.DataFrame) -> None:
        for values in rows[columns].itertuples(index=False):
            sheet.append([_xlsx_value(v) for v in values])

    if summary is not None and len(summary):
        sheet = workbook.create_sheet("summary")
        sheet.append(list(summary.columns))
        for cell in sheet[1]:
            cell.font = bold
        for values in summary.itertuples(index=False):
            sheet.append([_xlsx_value(v) for v in values])
    members = list(dict.fromkeys(frame["member_id"]))
    if len(members) <= _SHEETS_PER_MEMBER_UP_TO:
        used: set[str] = set()
        for member_id, rows in frame.groupby("member_id", sort=False):
            title = sheet_title(f"{member_id}", used, fallback="member")
            sheet = workbook.create_sheet(title)
            sheet.append([f"{rows['member_name'].iat[0]} ({member_id})"])
            sheet["A1"].font = Font(bold=True, size=13)
            sheet.append(columns)
            for cell in sheet[2]:
                cell.font = bold
            add_rows(sheet, rows)
            _layout(sheet, columns, Alignment)
    else:
        sheet = workbook.create_sheet("shortlists")
        for member_id, rows in frame.groupby("member_id", sort=False):
            sheet.append([f"{rows['member_name'].iat[0]} ({member_id})"])
            sheet.cell(sheet.max_row, 1).font = Font(bold=True, size=12)
            sheet.append(columns)
            for cell in sheet[sheet.max_row]:
                cell.font = bold
            add_rows(sheet, rows)
        _layout(sheet, columns, Alignment)
    if not workbook.sheetnames:
        workbook.create_sheet("shortlists").append(columns)
    workbook.save(path)


def _xlsx_value(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    return safe_cell(value)


def _layout(sheet, columns: list[str], Alignment) -> None:
    widths = {"rank": 6, "partner_id": 18, "partner_name": 32, "score": 8, "reasons": 70}
    for i, column in enumerate(columns, start=1):
        letter = sheet.cell(1, i).column_letter
        sheet.column_dimensions[letter].width = widths.get(column, 14)
    reasons = columns.index("reasons") + 1 if "reasons" in columns else None
    if reasons:
        for row in sheet.iter_rows(min_col=reasons, max_col=reasons):
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToHeight = 0
