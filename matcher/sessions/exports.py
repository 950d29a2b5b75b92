"""Exports of a session's agenda: XLSX, CSV, ICS calendars and a printable HTML page.

Every export speaks Ukrainian or English (``language="uk"`` or ``"en"``): labels, statuses,
wish levels (:data:`LABELS`, from the library's catalogue, :mod:`matcher.i18n`) and the engine's
reasons. Data first, files at the edge: :func:`participant_agenda`,
:func:`plan_rows` and :func:`table_plan` return plain rows; the ``write_*`` functions and
:func:`participant_calendar` / :func:`render_html` turn them into files, written atomically.

* **XLSX** (:func:`write_xlsx`, :func:`xlsx_bytes`): a plan sheet (one row per meeting), a table plan (slots by
  tables, for the organisers) and one sheet per participant (every slot, free ones marked).
* **CSV** (:func:`write_csv`): the plan, the participants' agendas or the table plan.
* **ICS** (:func:`participant_calendar`, :func:`write_ics`, :func:`ics_archive_bytes`): one calendar per participant, one
  event per meeting in the session's time zone (with its VTIMEZONE), the partner, the table and
  the reasons in the description; UIDs are stable (session id and pair), SEQUENCE is the
  agenda's revision, and a cancelled meeting stays as a cancelled event so calendars drop it.
* **HTML** (:func:`render_html`): a printable page (a page per participant, then the table
  plan in blocks of :data:`PLAN_COLUMNS` tables, so that it fits a page or a window), from the
  template ``matcher/templates/agenda.html``. Its stylesheet (``matcher/templates/agenda.css``,
  :func:`html_stylesheet`) is inlined, so that the page stands alone as a file; a server whose
  Content-Security-Policy forbids inline styles allows exactly this one by its digest
  (:func:`html_style_digest`).

Spreadsheet cells that start with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return are
prefixed with ``'`` so that no name or reason runs as a formula (CSV and XLSX alike).
PDF is not produced: print the HTML page (its stylesheet is made for paper).

Members that left: a meeting of a published agenda with a participant that withdrew is kept and
flagged (a ``note`` on the row, a "Note" column in the CSV and XLSX plan and agendas, a line in
the calendar event, a note beside the partner on the printable page); a meeting whose partner
was erased shows as a cancelled slot with a note and nothing of the erased member (see
:func:`matcher.sessions.wishes.withdraw_participant`). The "Note" column is there only when the
session has such a meeting, so the exports of other sessions keep their columns.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import functools
import hashlib
import io
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..files import atomic_write_bytes
from ..i18n import (
    N_,
    NP_,
    NetworkNames,
    Table,
    country_name,
    format_date,
    format_moment,
    network_name,
)
from ..spreadsheets import safe_cell, sheet_title
from .agenda import meeting_reasons
from .model import Meeting, Session

if TYPE_CHECKING:
    import icalendar
    import openpyxl

__all__ = [
    "CSV_VIEWS",
    "LABELS",
    "has_notes",
    "html_style_digest",
    "html_stylesheet",
    "ics_archive_bytes",
    "meeting_note",
    "participant_agenda",
    "participant_calendar",
    "plan_rows",
    "render_html",
    "table_plan",
    "write_csv",
    "write_html",
    "write_ics",
    "write_xlsx",
    "xlsx_bytes",
]

#: Labels of every export, by language (``LABELS[language][key]``): English source strings
#: of the catalogue (:mod:`matcher.i18n`), translated on first use.
LABELS = Table(
    {
        "agenda_for": N_("Agenda for"),
        "session": N_("Session"),
        "date": N_("Date"),
        "place": N_("Place"),
        "timezone": N_("Time zone"),
        "slot": N_("Slot"),
        "time": N_("Time"),
        "start": N_("Start"),
        "end": N_("End"),
        "table": N_("Table"),
        "partner": N_("Partner"),
        "partner_id": N_("Partner id"),
        "network": N_("Network"),
        "country": N_("Country"),
        "your_wish": N_("Your wish"),
        "their_wish": N_("Their wish"),
        "reasons": N_("Why meet"),
        "status": NP_("meeting status column", "Status"),
        "outcome": N_("Outcome"),
        "locked": N_("Locked"),
        "value": N_("Value"),
        "participant": N_("Participant"),
        "participant_id": N_("Participant id"),
        "member_a": N_("Participant A"),
        "member_b": N_("Participant B"),
        "name_a": N_("Name A"),
        "name_b": N_("Name B"),
        "wish_a": N_("A's wish"),
        "wish_b": N_("B's wish"),
        "plan": N_("Plan"),
        "tables": N_("Tables"),
        "table_plan": N_("Table plan"),
        "free": NP_("slot", "free"),
        "unavailable": NP_("slot", "not attending"),
        "meeting_with": N_("Meeting with"),
        "agenda": N_("Agenda"),
        "preliminary": NP_("agenda state", "preliminary"),
        "final": NP_("agenda state", "final"),
        "state": N_("Agenda"),
        "meetings": N_("meetings"),
        "yes": N_("yes"),
        "no": N_("no"),
        "revision": N_("Revision"),
        "printed": N_("Printed"),
        "minutes": N_("min"),
        "planned": NP_("meeting status", "planned"),
        "held": NP_("meeting status", "held"),
        "cancelled": NP_("meeting status", "cancelled"),
        # An outcome of "none" shows as an empty cell in every language.
        "none": "",
        "follow_up": NP_("meeting outcome", "follow-up"),
        "deal": NP_("meeting outcome", "deal"),
        "must": NP_("wish level", "must meet"),
        "would": NP_("wish level", "would meet"),
        "no_thanks": NP_("wish level", "no thanks"),
        "note": N_("Note"),
        "withdrew": N_("withdrew from the session"),
        "partner_withdrew": N_(
            "The partner withdrew from the session: the organisers will cancel or re-plan this "
            "meeting"
        ),
        "participant_withdrew": N_("This participant withdrew from the session"),
        "partner_erased": N_("Cancelled: the partner left the service and its data was erased"),
    }
)
CSV_VIEWS = ("plan", "agendas", "tables")
#: Tables side by side in one block of the printable table plan: five columns of names fit an A4
#: page in landscape (and a window) without breaking a name; more tables make more blocks.
PLAN_COLUMNS = 5


def _labels(language: str) -> dict[str, str]:
    """The labels of `language` (an unknown one is refused, naming the allowed ones)."""
    return LABELS[language]


def has_notes(session: Session) -> bool:
    """Whether the exports need the "Note" column: a participant withdrew after publication,
    or an erasure left a partner's meeting off."""
    return bool(session.withdrawn_ids() or session.vacated)


def meeting_note(
    session: Session, meeting: Meeting, language: str = "en", member_id: str | None = None
) -> str:
    """The note of a meeting with a participant that withdrew ("" for any other meeting):
    from `member_id`'s side when given (its partner withdrew, or it did), else naming who
    withdrew."""
    label = _labels(language)
    gone = [m for m in meeting.pair if session.is_withdrawn(m)]
    if not gone:
        return ""
    if member_id is not None:
        return (
            label["partner_withdrew"]
            if meeting.partner_of(member_id) in gone
            else label["participant_withdrew"]
        )
    return "; ".join(f"{_name(session, m)}: {label['withdrew']}" for m in gone)


def _wish(label: dict[str, str], level: str | None) -> str:
    if level is None:
        return ""
    return label["no_thanks"] if level == "no" else label[level]


# ---------------------------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------------------------


def participant_agenda(
    session: Session,
    member_id: str,
    language: str = "en",
    include_free: bool = False,
    network_names: NetworkNames | None = None,
) -> list[dict[str, Any]]:
    """The agenda of one participant, by slot.

    Parameters
    ----------
    session : Session
    member_id : str
    language : {"en", "uk"}
    include_free : bool
        Also list the slots without a meeting (``partner_id`` None, ``status`` "free" or
        "not attending" in `language`).
    network_names : dict, optional
        The networks' display names, ``{network: {language: name}}`` (see
        :func:`matcher.i18n.network_name`).

    Returns
    -------
    list of dict
        Keys ``slot``, ``start``, ``end`` (aware datetimes), ``time`` ("10:00-10:25"),
        ``table``, ``partner_id``, ``partner``, ``network``, ``country`` (the network's id
        and the country's code, for tables), ``network_name``, ``country_name`` (their names in
        `language`, for people), ``your_wish``, ``their_wish``, ``reasons`` (list of str), ``status``, ``outcome`` (labels in
        `language`), ``note`` (why the meeting is flagged, see :func:`meeting_note`; "" for
        most), ``partner_withdrawn`` (bool), ``meeting`` (the Meeting or None).
        A slot whose meeting an erasure took away is always listed: ``status`` "cancelled",
        no partner, the note saying why, and ``vacancy`` (the :class:`Vacancy`).
    """
    label = _labels(language)
    participant = session.participant(member_id)
    settings = session.settings
    by_slot: dict[int, Meeting] = {m.slot: m for m in session.meetings_of(member_id)}
    vacated = {v.slot: v for v in session.vacancies_of(member_id)}
    rows = []
    for slot in settings.slot_numbers:
        meeting = by_slot.get(slot)
        base = {
            "slot": slot,
            "start": settings.slot_start(slot),
            "end": settings.slot_end(slot),
            "time": settings.slot_label(slot),
        }
        if meeting is None:
            empty = {
                "partner_id": None,
                "partner": "",
                "network": "",
                "country": "",
                "network_name": "",
                "country_name": "",
                "your_wish": "",
                "their_wish": "",
                "reasons": [],
                "outcome": "",
                "partner_withdrawn": False,
                "meeting": None,
            }
            if slot in vacated:
                rows.append(
                    {
                        **base,
                        **empty,
                        "table": vacated[slot].table,
                        "status": label["cancelled"],
                        "note": label["partner_erased"],
                        "vacancy": vacated[slot],
                    }
                )
            elif include_free:
                state = label["free"] if slot in participant.available else label["unavailable"]
                rows.append({**base, **empty, "table": None, "status": state, "note": ""})
            continue
        partner_id = meeting.partner_of(member_id)
        partner = session.participants.get(partner_id)
        rows.append(
            {
                **base,
                "table": meeting.table,
                "partner_id": partner_id,
                "partner": partner.name if partner else partner_id,
                "network": partner.network if partner else "",
                "country": partner.country if partner else "",
                "network_name": network_name(partner.network, language, network_names)
                if partner and partner.network
                else "",
                "country_name": country_name(partner.country, language)
                if partner and partner.country
                else "",
                "your_wish": _wish(label, session.level(member_id, partner_id)),
                "their_wish": _wish(label, session.level(partner_id, member_id)),
                "reasons": list(meeting_reasons(session, member_id, partner_id, language)),
                "status": label[meeting.status],
                "outcome": label[meeting.outcome],
                "note": meeting_note(session, meeting, language, member_id),
                "partner_withdrawn": session.is_withdrawn(partner_id),
                "meeting": meeting,
            }
        )
    return rows


def plan_rows(
    session: Session, language: str = "en", include_cancelled: bool = False
) -> list[dict[str, Any]]:
    """The whole plan: one row per meeting, by slot and table.

    Returns
    -------
    list of dict
        Keys ``slot``, ``time``, ``table``, ``member_a``, ``name_a``, ``member_b``, ``name_b``,
        ``wish_a``, ``wish_b`` (labels), ``value`` (points, see
        :func:`matcher.sessions.agenda.meeting_value`), ``locked`` (bool), ``status``, ``outcome``
        (labels in `language`), ``note`` (who withdrew, see :func:`meeting_note`).
    """
    from .agenda import _pair_score, meeting_value

    label = _labels(language)
    meetings = sorted(
        (m for m in session.meetings if m.active or include_cancelled),
        key=lambda m: (m.slot, m.table, m.pair),
    )
    rows = []
    for m in meetings:
        a, b = m.pair
        level_ab, level_ba = session.level(a, b), session.level(b, a)
        rows.append(
            {
                "slot": m.slot,
                "time": session.settings.slot_label(m.slot),
                "table": m.table,
                "member_a": a,
                "name_a": _name(session, a),
                "member_b": b,
                "name_b": _name(session, b),
                "wish_a": _wish(label, level_ab),
                "wish_b": _wish(label, level_ba),
                "value": meeting_value(level_ab, level_ba, _pair_score(session, a, b)),
                "locked": m.locked,
                "status": label[m.status],
                "outcome": label[m.outcome],
                "note": meeting_note(session, m, language),
            }
        )
    return rows


def _name(session: Session, member_id: str) -> str:
    participant = session.participants.get(member_id)
    return participant.name if participant else member_id


def table_plan(session: Session) -> list[dict[str, Any]]:
    """The organisers' table plan: for each slot, who sits at each table.

    Returns
    -------
    list of dict
        One per slot: ``slot``, ``time`` and ``tables``, a list of length ``settings.tables``
        whose item ``t - 1`` is ``None`` (a free table) or the Meeting at table ``t``.
    """
    grid = []
    for slot in session.settings.slot_numbers:
        tables: list[Meeting | None] = [None] * session.settings.tables
        for m in session.active_meetings():
            if m.slot == slot and 1 <= m.table <= session.settings.tables:
                tables[m.table - 1] = m
        grid.append({"slot": slot, "time": session.settings.slot_label(slot), "tables": tables})
    return grid


def _pair_text(
    session: Session, meeting: Meeting | None, label: dict[str, str] | None = None
) -> str:
    """The pair of a table plan's cell; with `label`, a side that withdrew is marked."""
    if meeting is None:
        return ""

    def who(member_id: str) -> str:
        if label is not None and session.is_withdrawn(member_id):
            return f"{_name(session, member_id)} ({label['withdrew']})"
        return _name(session, member_id)

    return f"{who(meeting.member_a)} — {who(meeting.member_b)}"


def _header(
    session: Session, label: dict[str, str], language: str, date_format: str = "iso"
) -> list[tuple[str, str]]:
    """The session's facts at the top of an export (the date in `date_format`, see
    :func:`matcher.i18n.format_date`: ISO in the tables, the language's words when printed)."""
    settings = session.settings
    return [
        (label["session"], settings.name),
        (label["date"], format_date(settings.date, language, date_format)),
        (label["place"], settings.place),
        (label["timezone"], settings.timezone),
        (label["state"], label[session.state]),
        (label["revision"], str(session.revision)),
    ]


# ---------------------------------------------------------------------------------------------
# XLSX and CSV
# ---------------------------------------------------------------------------------------------


def write_xlsx(
    session: Session,
    path: str | Path,
    language: str = "en",
    member_ids: Iterable[str] | None = None,
) -> Path:
    """Write the plan, the table plan and one sheet per participant to an XLSX workbook.

    Sheets: the plan (one row per meeting), the table plan (a row per slot, a column per
    table) and, for each participant (or those of `member_ids`), its agenda with every slot.
    """
    return atomic_write_bytes(Path(path), _workbook(session, language, member_ids).save)


def xlsx_bytes(
    session: Session, language: str = "en", member_ids: Iterable[str] | None = None
) -> bytes:
    """The workbook of :func:`write_xlsx` as bytes (for a download)."""
    buffer = io.BytesIO()
    _workbook(session, language, member_ids).save(buffer)
    return buffer.getvalue()


def _workbook(
    session: Session, language: str, member_ids: Iterable[str] | None
) -> openpyxl.Workbook:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    label = _labels(language)
    chosen = list(session.participants) if member_ids is None else list(member_ids)
    for member_id in chosen:
        session.participant(member_id)
    bold = Font(bold=True)
    workbook = Workbook()
    used: set[str] = set()

    def put(sheet, row: Sequence[Any], header: bool = False) -> None:
        sheet.append([safe_cell(value) for value in row])
        if header:
            for cell in sheet[sheet.max_row]:
                cell.font = bold

    plan = workbook.active
    plan.title = sheet_title(label["plan"], used)
    for key, value in _header(session, label, language):
        put(plan, [key, value])
    plan.append([])
    notes = has_notes(session)
    columns = [
        "slot",
        "time",
        "table",
        "member_a",
        "name_a",
        "member_b",
        "name_b",
        "wish_a",
        "wish_b",
        "value",
        "locked",
        "status",
        "outcome",
    ] + (["note"] if notes else [])
    put(plan, [label[c] for c in columns], header=True)
    plan.freeze_panes = f"A{plan.max_row + 1}"
    for row in plan_rows(session, language):
        put(
            plan,
            [
                (label["yes"] if row[c] else label["no"]) if c == "locked" else row[c]
                for c in columns
            ],
        )

    grid = workbook.create_sheet(sheet_title(label["table_plan"], used))
    put(
        grid,
        [label["slot"], label["time"]]
        + [f"{label['table']} {t}" for t in range(1, session.settings.tables + 1)],
        header=True,
    )
    for row in table_plan(session):
        put(
            grid,
            [row["slot"], row["time"]] + [_pair_text(session, m, label) for m in row["tables"]],
        )
    grid.freeze_panes = "C2"

    for member_id in chosen:
        participant = session.participants[member_id]
        sheet = workbook.create_sheet(sheet_title(member_id, used))
        put(sheet, [f"{label['agenda_for']}: {participant.name} ({member_id})"], header=True)
        for key, value in _header(session, label, language)[:4]:
            put(sheet, [key, value])
        sheet.append([])
        columns = [
            "slot",
            "time",
            "table",
            "partner",
            "partner_id",
            "network",
            "country",
            "your_wish",
            "their_wish",
            "reasons",
            "status",
        ] + (["note"] if notes else [])
        put(sheet, [label[c] for c in columns], header=True)
        for row in participant_agenda(session, member_id, language, include_free=True):
            values = [row[c] for c in columns]
            values[columns.index("reasons")] = "\n".join(row["reasons"])
            put(sheet, values)
            sheet.cell(
                row=sheet.max_row, column=columns.index("reasons") + 1
            ).alignment = Alignment(wrap_text=True)
        for column, width in zip("ABCDEFGHIJKL", (6, 13, 7, 32, 14, 24, 8, 14, 14, 60, 14, 40)):
            sheet.column_dimensions[column].width = width
    return workbook


def write_csv(
    session: Session, path: str | Path | None = None, language: str = "en", view: str = "plan"
) -> str:
    """Write (and return) a CSV of the agenda.

    Parameters
    ----------
    view : {"plan", "agendas", "tables"}
        ``plan``: one row per meeting; ``agendas``: one row per participant and meeting, with
        the partner and the reasons (joined by " | "); ``tables``: a row per slot, a column
        per table. ``plan`` and ``agendas`` get a "Note" column when a participant withdrew
        or an erasure took a meeting away (see :func:`has_notes`).
    path : str or Path, optional
        Where to write it (UTF-8 with a byte-order mark, which spreadsheets need to read
        Cyrillic); without it, only the text is returned.
    """
    label = _labels(language)
    if view not in CSV_VIEWS:
        raise InputError(f"Got view={view!r}, expected one of {', '.join(CSV_VIEWS)}")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def put(row: Sequence[Any]) -> None:
        writer.writerow([safe_cell("" if value is None else value) for value in row])

    notes = ["note"] if has_notes(session) else []
    if view == "plan":
        columns = [
            "slot",
            "time",
            "table",
            "member_a",
            "name_a",
            "member_b",
            "name_b",
            "wish_a",
            "wish_b",
            "value",
            "locked",
            "status",
            "outcome",
            *notes,
        ]
        put([label[c] for c in columns])
        for row in plan_rows(session, language):
            put(
                [
                    (label["yes"] if row[c] else label["no"]) if c == "locked" else row[c]
                    for c in columns
                ]
            )
    elif view == "agendas":
        columns = [
            "participant_id",
            "participant",
            "slot",
            "time",
            "table",
            "partner_id",
            "partner",
            "network",
            "country",
            "your_wish",
            "their_wish",
            "reasons",
            "status",
            "outcome",
            *notes,
        ]
        put([label[c] for c in columns])
        for member_id, participant in session.participants.items():
            for row in participant_agenda(session, member_id, language):
                row = {
                    **row,
                    "participant_id": member_id,
                    "participant": participant.name,
                    "reasons": " | ".join(row["reasons"]),
                }
                put([row[c] for c in columns])
    else:
        put(
            [label["slot"], label["time"]]
            + [f"{label['table']} {t}" for t in range(1, session.settings.tables + 1)]
        )
        for row in table_plan(session):
            put([row["slot"], row["time"]] + [_pair_text(session, m, label) for m in row["tables"]])
    text = buffer.getvalue()
    if path is not None:
        atomic_write_bytes(
            Path(path), lambda handle: handle.write(("\ufeff" + text).encode("utf-8"))
        )
    return text


# ---------------------------------------------------------------------------------------------
# ICS
# ---------------------------------------------------------------------------------------------


def participant_calendar(
    session: Session,
    member_id: str,
    language: str = "en",
    network_names: NetworkNames | None = None,
) -> icalendar.Calendar:
    """Return the participant's calendar (an ``icalendar.Calendar``): one event per meeting.

    Events are in the session's time zone (the calendar carries its VTIMEZONE). The summary
    names the partner and the table; the description adds the partner's network and country
    (their names in `language`; `network_names` as for :func:`participant_agenda`), both sides'
    wishes and the engine's reasons. UIDs (``<session_id>-<pair>@cluster-matcher``)
    are the same in both participants' calendars and across exports; SEQUENCE is the
    agenda's revision; STATUS is TENTATIVE for a preliminary agenda, CONFIRMED for a final one
    and CANCELLED for a cancelled meeting.

    A meeting with a participant that withdrew keeps its event until the organisers cancel it;
    the summary marks the partner and the description starts with :func:`meeting_note`. A
    meeting an erasure took away has no event: its UID held the erased member's id, which is
    not kept, so an earlier calendar cannot be told to drop it (the agenda and the printable
    page say it is off).
    """
    from icalendar import Calendar, Event

    label = _labels(language)
    participant = session.participant(member_id)
    settings = session.settings
    calendar = Calendar()
    calendar.add("prodid", "-//Kharkiv Fashion Cluster//cluster-matcher//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"{settings.name}: {participant.name}")
    calendar.add("x-wr-timezone", settings.timezone)
    stamp = dt.datetime.now(dt.UTC).replace(microsecond=0)
    meetings = sorted(
        (m for m in session.meetings if member_id in m.pair), key=lambda m: (m.slot, m.pair)
    )
    for meeting in meetings:
        partner_id = meeting.partner_of(member_id)
        partner = session.participants.get(partner_id)
        partner_name = partner.name if partner else partner_id
        event = Event()
        event.add(
            "uid", f"{settings.session_id}-{meeting.member_a}-{meeting.member_b}@cluster-matcher"
        )
        event.add("dtstamp", stamp)
        event.add("dtstart", settings.slot_start(meeting.slot))
        event.add("dtend", settings.slot_end(meeting.slot))
        note = meeting_note(session, meeting, language, member_id)
        marked = (
            f"{partner_name} ({label['withdrew']})"
            if session.is_withdrawn(partner_id)
            else partner_name
        )
        event.add("summary", f"{label['meeting_with']} {marked} — {label['table']} {meeting.table}")
        event.add(
            "location",
            ", ".join(x for x in (settings.place, f"{label['table']} {meeting.table}") if x),
        )
        lines = [f"{label['note']}: {note}"] if note else []
        lines.append(f"{label['partner']}: {partner_name}")
        if partner and (partner.network or partner.country):
            network = network_name(partner.network, language, network_names) or "-"
            country = country_name(partner.country, language) if partner.country else "-"
            lines.append(f"{label['network']}: {network}; {label['country']}: {country}")
        lines.append(
            f"{label['table']}: {meeting.table}; {label['slot']} {meeting.slot} "
            f"({settings.slot_label(meeting.slot)})"
        )
        wishes = [
            (label["your_wish"], session.level(member_id, partner_id)),
            (label["their_wish"], session.level(partner_id, member_id)),
        ]
        lines.extend(f"{key}: {_wish(label, level)}" for key, level in wishes if level)
        reasons = meeting_reasons(session, member_id, partner_id, language)
        if reasons:
            lines.append(f"{label['reasons']}:")
            lines.extend(f"- {reason}" for reason in reasons)
        event.add("description", "\n".join(lines))
        event.add("sequence", session.revision)
        event.add(
            "status",
            "CANCELLED"
            if meeting.status == "cancelled"
            else "CONFIRMED"
            if session.state == "final"
            else "TENTATIVE",
        )
        event.add("categories", [settings.name])
        calendar.add_component(event)
    # A VTIMEZONE covering the session's year is enough and keeps the file small.
    calendar.add_missing_timezones(
        first_date=settings.date - dt.timedelta(days=366),
        last_date=settings.date + dt.timedelta(days=366),
    )
    return calendar


def write_ics(
    session: Session,
    path: str | Path,
    language: str = "en",
    member_ids: Iterable[str] | None = None,
    network_names: NetworkNames | None = None,
) -> list[Path]:
    """Write one ``<member_id>.ics`` per participant (or those of `member_ids`;
    `network_names` as for :func:`participant_agenda`).

    `path` ending in ``.zip``: a zip archive of the calendars; ending in ``.ics``: a single
    calendar (give exactly one member id); otherwise a folder (created if needed).

    Returns
    -------
    list of Path
        The files written (the archive alone for a zip).
    """
    _labels(language)
    path = Path(path)
    chosen = list(session.participants) if member_ids is None else list(member_ids)
    calendars = {
        member_id: participant_calendar(session, member_id, language, network_names).to_ical()
        for member_id in chosen
    }
    if path.suffix.lower() == ".ics":
        if len(calendars) != 1:
            raise InputError(
                f"{path.name}: a single .ics file holds one participant's calendar; "
                f"got {len(calendars)} participants (write a .zip or a folder instead)"
            )
        (data,) = calendars.values()
        return [atomic_write_bytes(path, lambda handle: handle.write(data))]
    if path.suffix.lower() == ".zip":
        return [atomic_write_bytes(path, lambda handle: _zip_calendars(handle, calendars))]
    if path.exists() and not path.is_dir():
        raise InputError(f"{path} is a file; give a folder, a .zip or a .ics path")
    return [
        atomic_write_bytes(path / f"{member_id}.ics", lambda handle, data=data: handle.write(data))
        for member_id, data in calendars.items()
    ]


def ics_archive_bytes(
    session: Session,
    language: str = "en",
    member_ids: Iterable[str] | None = None,
    network_names: NetworkNames | None = None,
) -> bytes:
    """A zip of one ``<member_id>.ics`` per participant, as bytes (for a download)."""
    _labels(language)
    chosen = list(session.participants) if member_ids is None else list(member_ids)
    buffer = io.BytesIO()
    _zip_calendars(
        buffer,
        {
            member_id: participant_calendar(session, member_id, language, network_names).to_ical()
            for member_id in chosen
        },
    )
    return buffer.getvalue()


def _zip_calendars(handle, calendars: dict[str, bytes]) -> None:
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member_id, data in calendars.items():
            archive.writestr(f"{member_id}.ics", data)


# ---------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------


@functools.cache
def html_stylesheet() -> str:
    """The printable page's stylesheet (``matcher/templates/agenda.css``), as :func:`render_html`
    inlines it in the page's one ``<style>`` element."""
    from importlib import resources

    return resources.files("matcher").joinpath("templates/agenda.css").read_text("utf-8")


@functools.cache
def html_style_digest() -> str:
    """The SHA-256 digest (base64) of :func:`html_stylesheet`, the text of the printable page's
    ``<style>`` element: a Content-Security-Policy of ``style-src 'sha256-<digest>'`` allows that
    stylesheet and no other inline style."""
    digest = hashlib.sha256(html_stylesheet().encode("utf-8")).digest()
    return base64.b64encode(digest).decode("ascii")


def render_html(
    session: Session,
    language: str = "en",
    member_ids: Iterable[str] | None = None,
    include_plan: bool = True,
    network_names: NetworkNames | None = None,
) -> str:
    """Render the printable page: a page per participant's agenda, then the table plan
    (`network_names` as for :func:`participant_agenda`). It is for people: partners, networks
    and countries are named, the date and the moment it was printed written as `language`
    writes them (in the session's time zone).

    The template is ``matcher/templates/agenda.html`` (Jinja2, autoescaped); the page has no
    external resources: its stylesheet (:func:`html_stylesheet`, inlined) starts each agenda on a
    new page when printed and sets the table plan in blocks of :data:`PLAN_COLUMNS` tables.
    """
    import jinja2
    import markupsafe

    label = _labels(language)
    chosen = list(session.participants) if member_ids is None else list(member_ids)
    agendas = [
        {
            "participant": session.participant(member_id),
            "rows": [
                _printed_row(row)
                for row in participant_agenda(
                    session, member_id, language, include_free=True, network_names=network_names
                )
            ],
        }
        for member_id in chosen
    ]
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("matcher", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = environment.get_template("agenda.html")
    return template.render(
        # Our own file, not data: inlined as it is (escaping would change its quotes).
        style=markupsafe.Markup(html_stylesheet()),
        plan_columns=PLAN_COLUMNS,
        language=language,
        label=label,
        settings=session.settings,
        session=session,
        header=_header(session, label, language, "long"),
        agendas=agendas,
        grid=[
            {**row, "cells": [_pair_text(session, m, label) for m in row["tables"]]}
            for row in table_plan(session)
        ]
        if include_plan
        else None,
        printed=format_moment(dt.datetime.now(dt.UTC), language, session.settings.zone),
    )


def _printed_row(row: dict[str, Any]) -> dict[str, Any]:
    """The row as the printable page shows it: the note beside the partner of a flagged
    meeting, in the status of a slot an erasure emptied (the page shows it as a free slot)."""
    if not row["note"]:
        return row
    if row["meeting"] is None:
        return {**row, "status": row["note"]}
    return {**row, "partner": f"{row['partner']} — {row['note']}"}


def write_html(
    session: Session,
    path: str | Path,
    language: str = "en",
    member_ids: Iterable[str] | None = None,
    include_plan: bool = True,
    network_names: NetworkNames | None = None,
) -> Path:
    """Write :func:`render_html`'s page to `path` (UTF-8, atomically)."""
    text = render_html(session, language, member_ids, include_plan, network_names)
    return atomic_write_bytes(Path(path), lambda handle: handle.write(text.encode("utf-8")))
