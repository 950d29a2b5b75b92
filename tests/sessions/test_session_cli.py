"""`matcher session` end to end on part of the shipped fictional sample."""

import csv
import json
import zipfile

import icalendar
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from matcher.cli import main
from matcher.datasets.generator import SAMPLE_DIR
from matcher.profiles import read_links
from matcher.sessions.model import load_session


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """30 Kharkiv and 15 Polish members of the sample, their links, and a model trained on them."""
    folder = tmp_path_factory.mktemp("sample")
    profiles = pd.read_csv(SAMPLE_DIR / "profiles.csv", dtype=str, keep_default_na=False)
    chosen = pd.concat(
        [
            profiles[profiles["network"] == "kharkiv-fashion-cluster"].head(30),
            profiles[profiles["network"] == "polish-fashion-cluster"].head(15),
        ]
    )
    chosen.to_csv(folder / "profiles.csv", index=False)
    links = pd.read_csv(SAMPLE_DIR / "links.csv", dtype=str, keep_default_na=False)
    ids = set(chosen["id"])
    links[links["source"].isin(ids) & links["target"].isin(ids)].to_csv(
        folder / "links.csv", index=False
    )
    result = CliRunner().invoke(
        main,
        [
            "train",
            "--profiles",
            str(folder / "profiles.csv"),
            "--links",
            str(folder / "links.csv"),
            "--name",
            "subset",
            "--models-dir",
            str(folder / "models"),
            "--no-evaluate",
        ],
    )
    assert result.exit_code == 0, result.output
    return {
        "folder": folder,
        "ids": list(chosen["id"]),
        "profiles": folder / "profiles.csv",
        "links": folder / "links.csv",
        "models": folder / "models",
    }


def run(*args, code=0):
    result = CliRunner().invoke(main, ["session", *map(str, args)])
    assert result.exit_code == code, (result.output, result.stderr)
    return result


def test_help_everywhere():
    for command in (
        [],
        ["create"],
        ["participants", "add"],
        ["participants", "import"],
        ["wishes", "suggest"],
        ["wishes", "set"],
        ["build"],
        ["edit", "move"],
        ["edit", "swap"],
        ["check"],
        ["publish"],
        ["export"],
        ["outcome"],
        ["feedback"],
    ):
        result = CliRunner().invoke(main, ["session", *command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output


def test_the_whole_flow(sample, tmp_path):
    day = tmp_path / "day.json"
    model = ["--model", "subset", "--models-dir", sample["models"]]
    created = run(
        "create",
        day,
        "--name",
        "Kharkiv–Łódź B2B",
        "--date",
        "2026-05-14",
        "--place",
        "Derzhprom",
        "--tables",
        8,
        "--start",
        "10:00",
        "--end",
        "12:45",
        "--break",
        "11:25-11:40",
        "--network",
        "kharkiv-fashion-cluster",
        "--network",
        "polish-fashion-cluster",
    )
    assert "5 slots (10:00-10:25 to 12:10-12:35), 8 tables" in created.output
    run(
        "create",
        day,
        "--name",
        "x",
        "--date",
        "2026-05-14",
        "--tables",
        2,
        "--slot",
        "10:00",
        code=2,
    )

    added = run("participants", "add", day, *model, "--all-eligible", "--max", 4)
    assert "added 45 participants" in added.output
    people = tmp_path / "people.csv"
    people.write_text(
        "member_id,available,min_meetings,max_meetings\n"
        f"{sample['ids'][0]},1-3,2,3\n{sample['ids'][1]},11:00-12:40,,2\n",
        encoding="utf-8",
    )
    run(
        "participants", "import", day, people, "--profiles", sample["profiles"], code=2
    )  # already there
    run("participants", "import", day, people, "--profiles", sample["profiles"], "--replace")
    first, second = sample["ids"][:2]
    session = load_session(day)
    assert session.participants[first].available == (1, 2, 3)
    assert session.participants[second].available == (3, 4, 5)
    assert session.participants[first].name  # filled in from the profiles

    suggested = run("wishes", "suggest", day, *model, "--k", 4)
    assert "180 suggestions for 45 participants" in suggested.output
    listed = json.loads(
        run("wishes", "list", day, "--member", first, "--language", "uk", "--format", "json").output
    )
    partners = [p for p in listed[0]["partners"] if p["suggested"]]
    assert len(partners) == 4 and all(p["reasons"] for p in partners)
    top, vetoed = partners[0]["partner_id"], partners[1]["partner_id"]
    run("wishes", "set", day, "--member", first, "--partner", top, "--level", "must")
    run("wishes", "set", day, "--member", top, "--partner", first, "--level", "must")
    run("wishes", "set", day, "--member", first, "--partner", vetoed, "--level", "no")
    wishes = tmp_path / "wishes.csv"
    wishes.write_text(
        "member_id,partner_id,level\n"
        + "".join(f"{a},{b},would\n" for a, b in zip(sample["ids"][2:20], sample["ids"][25:43])),
        encoding="utf-8",
    )
    assert "set 18 wishes" in run("wishes", "set", day, "--file", wishes).output

    built = run("build", day, "--time-limit", 10)
    assert "optimal" in built.output and "gap 0.00%" in built.output
    session = load_session(day)
    pairs = {m.pair: m for m in session.active_meetings()}
    assert tuple(sorted((first, top))) in pairs
    assert tuple(sorted((first, vetoed))) not in pairs
    assert len(pairs) == 19
    assert "0 conflicts" in run("check", day).output

    # A move onto a slot where one side already meets is refused; the file is unchanged.
    meeting = pairs[tuple(sorted((first, top)))]
    other = next(m for m in session.active_meetings() if first not in m.pair and top not in m.pair)
    busy = other.member_a
    before = day.read_text(encoding="utf-8")
    refused = run("edit", "add", day, first, busy, "--slot", meeting.slot, code=2)
    assert "was refused" in refused.stderr and "has 2 meetings in slot" in refused.stderr
    assert day.read_text(encoding="utf-8") == before
    free_slot = next(
        s
        for s in (1, 2, 3)
        if s != meeting.slot and all(m.slot != s for m in session.meetings_of(top))
    )
    run("edit", "move", day, first, top, "--slot", free_slot, "--table", 8)
    run("build", day, "--time-limit", 10)
    kept = {m.pair: m for m in load_session(day).active_meetings()}[meeting.pair]
    assert (kept.slot, kept.table, kept.locked) == (free_slot, 8, True)

    assert "revision 1" in run("publish", day).output
    run("edit", "cancel", day, first, top, code=2)  # final: reopen first

    out = tmp_path / "out"
    run("export", day, "--format", "xlsx", "--language", "uk", "--out", out / "day.xlsx")
    book = openpyxl.load_workbook(out / "day.xlsx")
    assert book.sheetnames[:2] == ["План", "План столів"] and len(book.sheetnames) == 47
    run("export", day, "--format", "ics", "--out", out / "calendars.zip")
    with zipfile.ZipFile(out / "calendars.zip") as archive:
        calendar = icalendar.Calendar.from_ical(archive.read(f"{first}.ics"))
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    uid = f"{session.settings.session_id}-{meeting.member_a}-{meeting.member_b}@cluster-matcher"
    assert events[uid].decoded("dtstart") == session.settings.slot_start(free_slot)
    assert "Table: 8" in str(events[uid]["description"])
    run("export", day, "--format", "html", "--language", "uk", "--out", out / "day.html")
    assert "План столів" in (out / "day.html").read_text(encoding="utf-8")
    run("export", day, "--format", "csv", "--view", "agendas", "--out", out / "agendas.csv")
    with (out / "agendas.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 2 * 19

    assert "held, deal" in run("outcome", day, first, top, "--held", "--result", "deal").output
    run("outcome", day, first, top, "--not-held", "--result", "deal", code=2)
    run(
        "feedback", day, "--format", "links", "--include-vetoes", "--out", tmp_path / "feedback.csv"
    )
    links = read_links(tmp_path / "feedback.csv", sample["ids"])
    assert {(l.source, l.target, l.kind) for l in links} == {
        (*sorted((first, top)), "deal"),
        (first, vetoed, "declined"),
    }
    records = json.loads(run("feedback", day).output)
    assert {(r["member_id"], r["partner_id"], r["event"]) for r in records} == {
        (first, top, "deal"),
        (top, first, "deal"),
    }


def test_suggestions_from_profiles_fitted_on_the_fly_and_bad_input(sample, tmp_path):
    day = tmp_path / "day.json"
    run(
        "create",
        day,
        "--name",
        "Day",
        "--date",
        "2026-05-14",
        "--tables",
        2,
        "--slot",
        "10:00",
        "--slot",
        "10:30",
        "--rule",
        "buyers_with_suppliers",
    )
    ids = sample["ids"][:6]
    run(
        "participants",
        "add",
        day,
        "--profiles",
        sample["profiles"],
        *[x for m in ids for x in ("--member", m)],
    )
    found = run(
        "wishes",
        "suggest",
        day,
        "--profiles",
        sample["profiles"],
        "--links",
        sample["links"],
        "--k",
        2,
    )
    assert "suggestions for 6 participants" in found.output
    session = load_session(day)
    for member_id, items in session.suggestions.items():
        for s in items:
            assert (
                session.participants[member_id].role == "any"
                or session.participants[s.partner_id].role != session.participants[member_id].role
            )

    bad = run(
        "create",
        tmp_path / "x.json",
        "--name",
        "X",
        "--date",
        "2026-05-14",
        "--timezone",
        "Kyiv",
        "--tables",
        2,
        "--slot",
        "10:00",
        code=2,
    )
    assert "did you mean 'Europe/Kyiv'?" in bad.stderr
    assert "not found" in run("show", tmp_path / "missing.json", code=2).stderr
    assert "the engine is needed" in run("wishes", "suggest", day, code=2).stderr
    assert (
        "not among the profiles: nobody"
        in run(
            "participants",
            "add",
            day,
            "--profiles",
            sample["profiles"],
            "--member",
            "nobody",
            code=2,
        ).stderr
    )
    people = tmp_path / "people.csv"
    people.write_text("member_id,available,max_meetings\nz1,1-9,x\n", encoding="utf-8")
    problems = run("participants", "import", day, people, code=2).stderr
    assert "row 2, column 'available'" in problems and "row 2, column 'max_meetings'" in problems
    assert "nothing was loaded" in problems
    assert "no meetings" in run("publish", day, code=2).stderr
    run("check", day)  # an empty agenda has no conflicts
    (tmp_path / "broken.json").write_text('{"settings": {"name": "x"}}', encoding="utf-8")
    assert "settings.date" in run("show", tmp_path / "broken.json", code=2).stderr


def test_guests_greedy_build_swap_unlock_reopen_and_remove(tmp_path):
    day = tmp_path / "day.json"
    run(
        "create",
        day,
        "--name",
        "Guests",
        "--date",
        "2026-05-14",
        "--tables",
        2,
        "--slot",
        "10:00",
        "--slot",
        "10:30",
        "--slot",
        "11:00",
    )
    people = tmp_path / "people.csv"
    people.write_text(
        "id,name,org_type,available,max\n"
        "a,Alpha,manufacturer,all,\nb,Beta,designer_brand,1-2,2\nc,Gamma,supplier,,\n"
        "d,Delta,retailer_distributor,2-3,\n",
        encoding="utf-8",
    )
    assert "imported 4 participants" in run("participants", "import", day, people).output
    wishes = tmp_path / "wishes.csv"
    wishes.write_text(
        "member_id,partner_id,level\na,b,must\nc,d,would\na,d,would\n", encoding="utf-8"
    )
    run("wishes", "set", day, "--file", wishes)
    built = run("build", day, "--greedy")
    assert "greedy" in built.output and "bound n/a" in built.output
    shown = run("show", day).output
    assert (
        "participants: 4" in shown
        and "3 meetings, 0 conflicts" in shown
        and "last build: greedy" in shown
    )
    listed = list(
        csv.DictReader(run("participants", "list", day, "--format", "csv").output.splitlines())
    )
    assert [(r["member_id"], r["available"], r["max_meetings"], r["meetings"]) for r in listed] == [
        ("a", "1-3", "", "2"),
        ("b", "1-2", "2", "1"),
        ("c", "1-3", "", "1"),
        ("d", "2-3", "", "2"),
    ]
    slots = {m.pair: m.slot for m in load_session(day).meetings}
    assert slots == {
        ("a", "b"): 1,
        ("a", "d"): 2,
        ("c", "d"): 3,
    }  # greedy: by value, the emptiest slot
    refused = run("edit", "swap", day, "a", "b", "c", "d", code=2).stderr  # d cannot come at 10:00
    assert "Delta cannot attend slot 1 (10:00-10:25) of the meeting with Gamma" in refused
    run("edit", "swap", day, "a", "d", "c", "d")
    assert {m.pair: m.slot for m in load_session(day).meetings} == {
        ("a", "b"): 1,
        ("a", "d"): 3,
        ("c", "d"): 2,
    }
    run("edit", "lock", day, "a", "b")
    assert "unlocked" in run("edit", "unlock", day, "b", "a").output
    assert not {m.pair: m for m in load_session(day).meetings}["a", "b"].locked
    run("publish", day)
    run("participants", "remove", day, "d", code=2)  # final
    run("reopen", day)
    assert "3 participants left" in run("participants", "remove", day, "d").output
    assert {m.pair for m in load_session(day).meetings} == {("a", "b")}
