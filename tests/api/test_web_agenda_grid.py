"""The part of the agenda grid a page shows, and where an edit lands (``api.web.agenda_grid``),
on a session made with the library: 25 tables (three pages of ten), three slots."""

from __future__ import annotations

import pytest

from api.web import agenda_grid
from matcher.sessions.edits import add_meeting, move_meeting
from matcher.sessions.model import Participant, Session, SessionSettings
from matcher.sessions.wishes import add_participant

TABLES = 25


@pytest.fixture
def session() -> Session:
    """Three meetings of `anna`: at tables 2, 14 and 25; one of two others at table 3."""
    settings = SessionSettings.create(
        name="Grid", date="2027-03-12", timezone="Europe/Kyiv", meeting_minutes=25,
        tables=TABLES, slots=["10:00", "10:30", "11:00"],
    )  # fmt: skip
    made = Session(settings)
    for member_id in ("anna", "bohdan", "olena", "petro", "iryna"):
        add_participant(made, Participant(member_id, member_id.title(), available=(1, 2, 3)))
    add_meeting(made, "anna", "bohdan", 1, 2)
    add_meeting(made, "anna", "olena", 2, 14)
    add_meeting(made, "anna", "petro", 3, 25)
    add_meeting(made, "iryna", "olena", 1, 3)
    return made


def test_pages_of_tables(session):
    assert agenda_grid.table_pages(session) == [(1, 1, 10), (2, 11, 20), (3, 21, 25)]
    first = agenda_grid.grid_view(session, {})
    assert (first.tables, first.page, first.pages, first.args()) == (tuple(range(1, 11)), 1, 3, {})
    last = agenda_grid.grid_view(session, {"page": "3"})
    assert last.tables == (21, 22, 23, 24, 25) and last.args() == {"page": 3}
    # Past the end: the last page; not a number: the first.
    assert agenda_grid.grid_view(session, {"page": "999"}) == last
    assert agenda_grid.grid_view(session, {"page": "x"}) == first


def test_a_participants_tables(session):
    view = agenda_grid.grid_view(session, {"member": "anna", "page": "2"})
    assert view.tables == (2, 14, 25) and view.member == "anna"
    assert view.args() == {"member": "anna"}
    rows = agenda_grid.grid_rows(session, view)
    assert [row["slot"] for row in rows] == [1, 2, 3]
    assert [(table, m.meeting_id if m else None) for table, m in rows[0]["cells"]] == [
        (2, "anna~bohdan"),
        (14, None),
        (25, None),
    ]
    # The edit lists: the meetings of the tables shown, by slot (not iryna~olena at table 3).
    assert [m.meeting_id for m in agenda_grid.shown_meetings(session, view)] == [
        "anna~bohdan",
        "anna~olena",
        "anna~petro",
    ]
    # Not a participant: the pages of tables.
    assert agenda_grid.grid_view(session, {"member": "nobody"}).member is None


def test_an_edit_lands_on_its_cell(session):
    assert agenda_grid.cell_id(2, 14) == "cell-2-14"
    second = agenda_grid.grid_view(session, {"page": "2"})
    # A cell of the page the edit was made on: that page.
    assert agenda_grid.landing(session, second, 2, 14) == second
    # A meeting moved to table 3: the page that holds it.
    moved = move_meeting(session, "anna", "olena", 2, 3)
    assert agenda_grid.landing(session, second, moved.slot, moved.table).page == 1
    # In a participant's view, the view while it shows the table (anna sits at table 3 now).
    anna = agenda_grid.grid_view(session, {"member": "anna"})
    assert agenda_grid.landing(session, anna, 2, 3) == agenda_grid.grid_view(
        session, {"member": "anna"}
    )
    # Its tables no longer hold the cell (a meeting of others moved away): the page of tables.
    assert agenda_grid.landing(session, anna, 1, 21).args() == {"page": 3}
