"""What a rebuild would take away (``agenda_drop``), the settings a build records, and every
meeting explained to both sides (``explain_agenda``, ``PartnerMatcher.explain_pair``): issue 15."""

from __future__ import annotations

import pytest

from matcher.engine.ranking import PartnerMatcher
from matcher.sessions.agenda import meeting_reasons
from matcher.sessions.edits import add_meeting, move_meeting
from matcher.sessions.model import Participant, Session, SessionSettings, SuggestedPartner
from matcher.sessions.scheduler import (
    MARKED_DROP_SHARE,
    agenda_drop,
    apply_agenda,
    build_agenda,
)
from matcher.sessions.wishes import add_participant, explain_agenda, set_wish


def make_session(members="ABCDEFGH", tables=4):
    settings = SessionSettings.create(
        "B2B day",
        "2026-05-14",
        "Europe/Kyiv",
        25,
        tables=tables,
        slots=["10:00", "10:30", "11:00"],
        session_id="day-1",
    )
    session = Session(settings)
    for member_id in members:
        add_participant(session, Participant(member_id, f"Firm {member_id}", (1, 2, 3)))
    return session


def test_agenda_drop_counts_fewer_meetings_and_names_lost_must_meetings():
    session = make_session()
    set_wish(session, "A", "B", "must")
    for a, b in ("CD", "EF", "GH", "AC"):
        set_wish(session, a, b, "would")
    apply_agenda(session, build_agenda(session, time_limit=5))
    assert len(session.active_meetings()) == 5
    assert session.last_build["settings"] == {
        "method": "auto",
        "time_limit": 5,
        "include_suggested": False,
    }
    # A moved meeting is not lost; a pair no longer wished for is.
    meeting = next(m for m in session.active_meetings() if m.pair == ("A", "B"))
    move_meeting(session, "A", "B", 3 if meeting.slot != 3 else 2, lock=False)
    set_wish(session, "C", "D", None)
    result = build_agenda(session, time_limit=5)
    drop = agenda_drop(session, result)
    assert (drop.current, drop.proposed) == (5, 4)
    assert [m.meeting_id for m in drop.lost] == ["C~D"] and drop.lost_must == []
    # 4 of 5 is below 90%: markedly fewer.
    assert drop.markedly_fewer and drop.marked and 4 < MARKED_DROP_SHARE * 5
    # A veto takes the "must" meeting away: named, whatever the count.
    set_wish(session, "C", "D", "would")
    set_wish(session, "B", "A", "no")
    drop = agenda_drop(session, build_agenda(session, time_limit=5, method="greedy"))
    assert [m.meeting_id for m in drop.lost_must] == ["A~B"] and drop.marked
    assert drop.to_dict()["lost_must"] == ["A~B"]
    # The same agenda again drops nothing; an empty agenda has nothing to drop.
    set_wish(session, "B", "A", None)
    assert not agenda_drop(session, build_agenda(session, time_limit=5)).marked
    assert not agenda_drop(make_session(), build_agenda(make_session(), time_limit=5)).marked


def test_greedy_builds_record_their_settings_too():
    session = make_session()
    set_wish(session, "A", "B", "would")
    result = build_agenda(session, time_limit=3, method="greedy", include_suggested=True)
    assert result.summary()["settings"] == {
        "method": "greedy",
        "time_limit": 3,
        "include_suggested": True,
    }


@pytest.fixture(scope="module")
def matcher():
    import pandas as pd
    from small_cluster import CLUSTER, LINKS

    from matcher.profiles import validate_profiles

    return PartnerMatcher().fit(validate_profiles(pd.DataFrame(CLUSTER).fillna("")), LINKS)


def test_explain_pair_is_the_rankings_view_of_any_pair(matcher):
    for suggested in matcher.recommend("designer", k=3, language="uk"):
        explained = matcher.explain_pair("designer", suggested.partner_id, "uk")
        assert explained.reasons == suggested.reasons
        assert explained.score == pytest.approx(suggested.score, abs=1e-6)
    # Known and declined partners, which the ranking never suggests, are explained too.
    assert "pl-knit-factory" not in {s.partner_id for s in matcher.recommend("pl-distributor")}
    assert matcher.explain_pair("pl-distributor", "pl-knit-factory").reasons
    assert matcher.explain_pair("designer", "photo", "en").reasons
    # In a batch, each member's pairs together, answered in the order asked.
    pairs = [
        ("designer", "knit-factory"),
        ("pl-distributor", "pl-knit-factory"),
        ("designer", "photo"),
    ]
    batch = matcher.explain_pairs(pairs, "en")
    assert [s.partner_id for s in batch] == ["knit-factory", "pl-knit-factory", "photo"]
    assert [s.reasons for s in batch] == [
        matcher.explain_pair(a, b, "en").reasons for a, b in pairs
    ]


def test_explain_agenda_gives_every_meeting_reasons_from_both_sides(matcher):
    session = Session(make_session("").settings)
    for member_id in ("designer", "knit-factory", "pl-distributor", "pl-knit-factory"):
        add_participant(
            session, Participant.from_profile(matcher.profile(member_id), session.settings)
        )
    session.participants["guest"] = Participant("guest", "A guest", (1, 2, 3))
    # One side's own suggestion only; known partners; a guest the engine does not know.
    session.suggestions["designer"] = (
        SuggestedPartner("knit-factory", "Харківтрикотаж", 0.9, {"en": ("Offers",), "uk": ("Є",)}),
    )
    add_meeting(session, "designer", "knit-factory", 1)
    add_meeting(session, "pl-distributor", "pl-knit-factory", 1)
    add_meeting(session, "designer", "guest", 2)
    assert explain_agenda(matcher, session) == 3
    assert meeting_reasons(session, "designer", "knit-factory") == ("Offers",)
    for a, b in (
        ("knit-factory", "designer"),
        ("pl-distributor", "pl-knit-factory"),
        ("pl-knit-factory", "pl-distributor"),
    ):
        assert meeting_reasons(session, a, b, "en") and meeting_reasons(session, a, b, "uk")
        assert session.suggestion(a, b).suggested is False
    assert meeting_reasons(session, "guest", "designer") == ()
    # Nothing left to explain the second time.
    assert explain_agenda(matcher, session) == 0


def test_the_command_line_build_explains_every_meeting_with_the_engine(cluster_files, tmp_path):
    from click.testing import CliRunner

    from matcher.cli import main
    from matcher.sessions.exports import participant_agenda
    from matcher.sessions.model import load_session

    profiles, links = cluster_files
    engine = ["--profiles", str(profiles), "--links", str(links)]
    day = str(tmp_path / "day.json")

    def run(*args):
        result = CliRunner().invoke(main, ["session", *map(str, args)])
        assert result.exit_code == 0, (result.output, result.stderr)
        return result.output

    slots = ("--slot", "10:00", "--slot", "10:30", "--slot", "11:00")
    run("create", day, "--name", "Day", "--date", "2026-05-14", "--tables", 3, *slots)
    people = ("designer", "knit-factory", "pl-distributor", "pl-knit-factory", "sewing-factory")
    run("participants", "add", day, *engine, *[x for m in people for x in ("--member", m)])
    run("wishes", "suggest", day, *engine, "--k", 1)
    run(
        "wishes",
        "set",
        day,
        "--member",
        "pl-distributor",
        "--partner",
        "pl-knit-factory",
        "--level",
        "would",
    )
    built = run("build", day, "--time-limit", 5, "--include-suggested", *engine)
    assert "meeting sides explained by the engine" in built
    session = load_session(day)
    assert ("pl-distributor", "pl-knit-factory") in {m.pair for m in session.active_meetings()}
    for member_id in people:
        for row in participant_agenda(session, member_id, "uk"):
            assert row["reasons"], (member_id, row["partner_id"])
