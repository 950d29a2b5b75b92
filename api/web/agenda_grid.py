"""Which part of a session's agenda grid the agenda page shows, and where an edit lands.

A day of 60 tables and 16 slots is 960 cells: shown whole, with every meeting in each edit
list, the page weighed 1.2 MB and every edit re-sent all of it. The page shows one part:

* a *page of tables* (:data:`TABLES_PER_PAGE` columns, every slot; ``?page=N``), or
* a *participant's tables* (``?member=ID``): the tables at which it sits at some slot, every
  slot, its own meetings marked.

The edit lists hold the meetings of the part shown (and the meeting chosen in the grid), never
the whole agenda. An edit names the view it was made in (the same ``page`` and ``member`` as
hidden fields) and lands back on the cell it acted on (:func:`landing`): the meeting's cell, or
its new cell after a move or a swap, in the same view when that view shows the cell, else on
the page of tables that holds it, with the cell's id (:func:`cell_id`) as the URL's fragment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from matcher.sessions.model import Meeting, Session

#: Table columns on a page of the grid (a session with fewer tables has one page, as before).
TABLES_PER_PAGE = 10


@dataclass(frozen=True)
class GridView:
    """The part of the agenda grid a page shows.

    ``tables`` are the table numbers shown, in order; ``page`` is the page of tables (from 1;
    0 when a participant filter chose the tables) of ``pages``; ``member`` the participant
    whose tables are shown, or None.
    """

    tables: tuple[int, ...]
    page: int
    pages: int
    member: str | None = None

    def args(self) -> dict[str, Any]:
        """The query arguments that show this view again (none for the first page)."""
        if self.member is not None:
            return {"member": self.member}
        return {"page": self.page} if self.page > 1 else {}


def cell_id(slot: int, table: int) -> str:
    """The HTML id of the grid's cell at `slot` and `table` (the fragment an edit lands on)."""
    return f"cell-{slot}-{table}"


def _pages(session: Session) -> int:
    return max(1, -(-session.settings.tables // TABLES_PER_PAGE))


def _page_of(table: int) -> int:
    return (table - 1) // TABLES_PER_PAGE + 1


def table_pages(session: Session) -> list[tuple[int, int, int]]:
    """The pages of tables as ``(page, first table, last table)``, for the page links."""
    n_tables = session.settings.tables
    return [
        (page, first, min(first + TABLES_PER_PAGE - 1, n_tables))
        for page, first in enumerate(range(1, n_tables + 1, TABLES_PER_PAGE), start=1)
    ]


def tables_of(session: Session, member_id: str) -> tuple[int, ...]:
    """The tables at which participant `member_id` has an active meeting, in order."""
    return tuple(sorted({m.table for m in session.active_meetings() if member_id in m.pair}))


def page_view(session: Session, page: int) -> GridView:
    """Page `page` of the tables (clamped to the pages there are)."""
    pages = _pages(session)
    page = min(max(page, 1), pages)
    first = (page - 1) * TABLES_PER_PAGE + 1
    last = min(first + TABLES_PER_PAGE - 1, session.settings.tables)
    return GridView(tuple(range(first, last + 1)), page, pages)


def grid_view(session: Session, args: Mapping[str, str]) -> GridView:
    """The view that query (or form) arguments ask for: ``member`` (a participant's tables)
    when it names a participant, else ``page`` (a page of tables; the first when missing or
    not a number, the last when past the end)."""
    member = (args.get("member") or "").strip()
    if member in session.participants:
        return GridView(tables_of(session, member), 0, _pages(session), member)
    raw = (args.get("page") or "").strip()
    return page_view(session, int(raw) if raw.isdigit() else 1)


def landing(session: Session, asked: GridView, slot: int, table: int) -> GridView:
    """The view to come back to after an edit at `slot` and `table` (of the changed session):
    the view the edit was made in when it shows that table, else the page that holds it."""
    if asked.member is not None:
        shown = tables_of(session, asked.member)
        if table in shown:
            return GridView(shown, 0, asked.pages, asked.member)
    elif table in asked.tables:
        return asked
    return page_view(session, _page_of(table))


def grid_rows(session: Session, view: GridView) -> list[dict[str, Any]]:
    """The rows of the view: for each slot its ``slot``, ``time`` and ``cells``, a list of
    ``(table, meeting or None)`` for the tables of the view."""
    at = {(m.slot, m.table): m for m in session.active_meetings()}
    return [
        {
            "slot": slot,
            "time": session.settings.slot_label(slot),
            "cells": [(table, at.get((slot, table))) for table in view.tables],
        }
        for slot in session.settings.slot_numbers
    ]


def shown_meetings(session: Session, view: GridView) -> list[Meeting]:
    """The active meetings in the view's cells, by slot then table (the edit lists)."""
    tables = set(view.tables)
    return sorted(
        (m for m in session.active_meetings() if m.table in tables),
        key=lambda m: (m.slot, m.table),
    )
