"""Exports parse back: XLSX with openpyxl, CSV with csv, ICS with icalendar, HTML as text."""

import csv
import datetime as dt
import io
import zipfile
import zoneinfo

import icalendar
import openpyxl
import pytest

from matcher.sessions.edits import cancel_meeting
from matcher.sessions.exports import (
    ics_archive_bytes,
    participant_agenda,
    participant_calendar,
    plan_rows,
    render_html,
    table_plan,
    write_csv,
    write_html,
    write_ics,
    write_xlsx,
    xlsx_bytes,
)
from matcher.sessions.model import Meeting, Participant, Session, SessionSettings, SuggestedPartner
from matcher.sessions.outcomes import publish
from matcher.sessions.wishes import set_wish
from matcher.spreadsheets import safe_cell

KYIV = zoneinfo.ZoneInfo("Europe/Kyiv")


@pytest.fixture
def session():
    settings = SessionSettings.create(
        "Kharkiv B2B",
        "2026-05-14",
        "Europe/Kyiv",
        25,
        tables=3,
        slots=["10:00", "10:30", "11:00"],
        place="Derzhprom, hall 2",
        session_id="kfc-day",
    )
    s = Session(settings)
    people = [
        ("brand", '=HYPERLINK("x")', "kfc", "UA"),
        ("factory", "Фабрика «Весна»", "kfc", "UA"),
        ("mill", "Tkalnia <script>", "pl-cluster", "PL"),
        ("shop", "@Shop", "pl-cluster", "PL"),
    ]
    for member_id, name, network, country in people:
        s.participants[member_id] = Participant(
            member_id, name, (1, 2, 3), network=network, country=country
        )
    set_wish(s, "brand", "factory", "must")
    set_wish(s, "factory", "brand", "would")
    set_wish(s, "shop", "mill", "would")
    s.suggestions["brand"] = (
        SuggestedPartner(
            "factory",
            "Фабрика «Весна»",
            0.9,
            {
                "en": ("Offers what you seek: Knitwear production", "-1 risk"),
                "uk": ("Пропонує те, що ви шукаєте: Виробництво трикотажних виробів", "-1 ризик"),
            },
        ),
    )
    s.meetings = [
        Meeting("brand", "factory", 1, 2),
        Meeting("mill", "shop", 1, 1),
        Meeting("brand", "mill", 3, 1),
        Meeting("factory", "shop", 2, 3),
    ]
    cancel_meeting(s, "factory", "shop")
    publish(s)
    return s


def test_rows_for_a_participant_the_plan_and_the_tables(session):
    rows = participant_agenda(session, "brand", "uk", include_free=True)
    assert [r["slot"] for r in rows] == [1, 2, 3]
    first = rows[0]
    assert (first["partner_id"], first["table"], first["your_wish"], first["their_wish"]) == (
        "factory",
        2,
        "обов'язково",
        "бажано",
    )
    assert first["start"] == dt.datetime(2026, 5, 14, 10, 0, tzinfo=KYIV)
    assert first["reasons"][0].startswith("Пропонує те, що ви шукаєте")
    assert (rows[1]["partner_id"], rows[1]["status"]) == (None, "вільно")
    # The mill has no reasons of its own for the brand: none are borrowed from the other side.
    assert participant_agenda(session, "factory", "en")[0]["reasons"] == []
    assert [(r["slot"], r["table"]) for r in plan_rows(session)] == [(1, 1), (1, 2), (3, 1)]
    grid = table_plan(session)
    assert [m and m.meeting_id for m in grid[0]["tables"]] == ["mill~shop", "brand~factory", None]
    assert grid[1]["tables"] == [None, None, None]  # the cancelled meeting takes no table


def test_xlsx_has_plan_table_plan_and_a_sheet_per_participant(session, tmp_path):
    path = write_xlsx(session, tmp_path / "day.xlsx", language="uk")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["План", "План столів", "brand", "factory", "mill", "shop"]
    plan = [row for row in book["План"].iter_rows(values_only=True)]
    header = plan.index(
        (
            "Слот",
            "Час",
            "Стіл",
            "Учасник А",
            "Назва А",
            "Учасник Б",
            "Назва Б",
            "Бажання А",
            "Бажання Б",
            "Цінність",
            "Закріплено",
            "Статус",
            "Результат",
        )
    )
    body = plan[header + 1 :]
    assert [(r[0], r[2], r[3], r[5]) for r in body] == [
        (1, 1, "mill", "shop"),
        (1, 2, "brand", "factory"),
        (3, 1, "brand", "mill"),
    ]
    assert body[1][4] == '\'=HYPERLINK("x")'  # text, not a formula
    assert body[1][9] == 14_900 and body[1][11] == "заплановано"
    cell = book["План"].cell(row=header + 3, column=5)
    assert cell.data_type == "s"
    in_memory = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(session, "en", member_ids=["shop"])))
    assert in_memory.sheetnames == ["Plan", "Table plan", "shop"]
    grid = list(book["План столів"].iter_rows(values_only=True))
    assert grid[0] == ("Слот", "Час", "Стіл 1", "Стіл 2", "Стіл 3")
    assert grid[1][:4] == (
        1,
        "10:00-10:25",
        "Tkalnia <script> — @Shop",
        '\'=HYPERLINK("x") — Фабрика «Весна»',
    )
    brand = list(book["brand"].iter_rows(values_only=True))
    assert brand[0][0] == 'Розклад зустрічей: =HYPERLINK("x") (brand)'
    slots = brand[-3:]
    assert [r[0] for r in slots] == [1, 2, 3]
    assert slots[0][3] == "Фабрика «Весна»" and slots[0][9].splitlines() == [
        "Пропонує те, що ви шукаєте: Виробництво трикотажних виробів",
        "-1 ризик",
    ]
    assert slots[1][10] == "вільно"


def test_csv_views_parse_back_and_escape_formulas(session, tmp_path):
    text = write_csv(session, tmp_path / "plan.csv", language="en", view="plan")
    assert (tmp_path / "plan.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # BOM for spreadsheets
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["Slot"], r["Table"], r["Participant A"], r["Participant B"]) for r in rows] == [
        ("1", "1", "mill", "shop"),
        ("1", "2", "brand", "factory"),
        ("3", "1", "brand", "mill"),
    ]
    assert rows[1]["Name A"] == '\'=HYPERLINK("x")' and rows[0]["Name B"] == "'@Shop"
    assert (rows[1]["A's wish"], rows[1]["B's wish"], rows[1]["Locked"]) == (
        "must meet",
        "would meet",
        "no",
    )
    with (tmp_path / "plan.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert list(csv.DictReader(handle)) == rows
    agendas = list(csv.DictReader(io.StringIO(write_csv(session, None, "uk", "agendas"))))
    brand = [r for r in agendas if r["Код учасника"] == "brand"]
    assert [r["Код партнера"] for r in brand] == ["factory", "mill"]
    assert brand[0]["Чому варто зустрітися"] == (
        "Пропонує те, що ви шукаєте: Виробництво трикотажних виробів | -1 ризик"
    )
    tables = list(csv.reader(io.StringIO(write_csv(session, None, "en", "tables"))))
    assert tables[0] == ["Slot", "Time", "Table 1", "Table 2", "Table 3"]
    assert tables[3] == ["3", "11:00-11:25", '\'=HYPERLINK("x") — Tkalnia <script>', "", ""]
    with pytest.raises(ValueError, match="view='grid'"):
        write_csv(session, None, "en", "grid")
    assert safe_cell("-5") == "'-5" and safe_cell(-5) == -5 and safe_cell("Ok") == "Ok"


def test_ics_events_carry_time_zone_partner_table_and_reasons(session):
    calendar = icalendar.Calendar.from_ical(participant_calendar(session, "brand", "uk").to_ical())
    assert [tz["tzid"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Kyiv"]
    events = calendar.walk("VEVENT")
    assert len(events) == 2
    first = events[0]
    start, end = first.decoded("dtstart"), first.decoded("dtend")
    assert start == dt.datetime(2026, 5, 14, 10, 0, tzinfo=KYIV)
    assert start.astimezone(dt.UTC).hour == 7 and end - start == dt.timedelta(minutes=25)
    assert first["dtstart"].params["TZID"] == "Europe/Kyiv"
    assert str(first["summary"]) == "Зустріч з Фабрика «Весна» — Стіл 2"
    description = str(first["description"])
    # For people: the partner by name, its network and country named (issue 15).
    assert "Партнер: Фабрика «Весна»\n" in description and "factory" not in description
    assert "Мережа: Kfc; Країна: Україна" in description
    assert "Стіл: 2" in description and "Ваше бажання: обов'язково" in description
    assert "- Пропонує те, що ви шукаєте: Виробництво трикотажних виробів" in description
    assert (str(first["status"]), int(first["sequence"])) == ("CONFIRMED", 1)
    assert str(first["location"]) == "Derzhprom, hall 2, Стіл 2"
    uid = str(first["uid"])
    assert uid == "kfc-day-brand-factory@cluster-matcher"
    # The same meeting has the same UID in the partner's calendar and in a later export.
    factory = icalendar.Calendar.from_ical(participant_calendar(session, "factory", "en").to_ical())
    by_uid = {str(e["uid"]): e for e in factory.walk("VEVENT")}
    assert uid in by_uid
    assert str(by_uid["kfc-day-factory-shop@cluster-matcher"]["status"]) == "CANCELLED"
    again = icalendar.Calendar.from_ical(participant_calendar(session, "brand", "uk").to_ical())
    assert [str(e["uid"]) for e in again.walk("VEVENT")] == [str(e["uid"]) for e in events]


def test_ics_files_as_zip_folder_or_single_file(session, tmp_path):
    (archive,) = write_ics(session, tmp_path / "calendars.zip", "en")
    with zipfile.ZipFile(archive) as z:
        assert sorted(z.namelist()) == ["brand.ics", "factory.ics", "mill.ics", "shop.ics"]
        shop = icalendar.Calendar.from_ical(z.read("shop.ics"))
        assert [str(e["summary"]) for e in shop.walk("VEVENT")] == [
            "Meeting with Tkalnia <script> — Table 1",
            "Meeting with Фабрика «Весна» — Table 3",
        ]
    written = write_ics(session, tmp_path / "folder", "en", member_ids=["mill", "shop"])
    assert sorted(p.name for p in written) == ["mill.ics", "shop.ics"]
    (single,) = write_ics(session, tmp_path / "brand.ics", "en", member_ids=["brand"])
    assert icalendar.Calendar.from_ical(single.read_bytes()).walk("VEVENT")
    with zipfile.ZipFile(io.BytesIO(ics_archive_bytes(session, "uk", ["mill"]))) as z:
        assert z.namelist() == ["mill.ics"]
    with pytest.raises(ValueError, match="holds one participant's calendar; got 4"):
        write_ics(session, tmp_path / "all.ics", "en")


def test_printable_html_escapes_names_and_speaks_both_languages(session, tmp_path):
    page = render_html(session, "uk")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="uk">' in page
    assert "Tkalnia &lt;script&gt;" in page and "<script>" not in page
    assert page.count('<section class="agenda"') == 4 and 'id="table-plan"' in page
    assert "Розклад зустрічей: Фабрика «Весна»" in page and "План столів" in page
    assert "Пропонує те, що ви шукаєте" in page and "вільно" in page
    english = render_html(session, "en", member_ids=["brand"], include_plan=False)
    assert english.count('<section class="agenda"') == 1 and "Table plan" not in english
    assert "Agenda for: =HYPERLINK" in english and "Why meet" in english
    path = write_html(session, tmp_path / "agenda.html", "en")
    assert path.read_text(encoding="utf-8").count("<section") == 5
    with pytest.raises(ValueError, match="language='de'"):
        render_html(session, "de")
