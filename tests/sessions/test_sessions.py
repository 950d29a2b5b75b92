"""Sessions: settings, participants, wishes, candidate values, conflicts, edits, outcomes, files."""

import datetime as dt
import json

import pytest

from matcher.engine.ranking import PartnerMatcher
from matcher.profiles import ProfileValidationError
from matcher.sessions.agenda import candidate_meetings, check_agenda, meeting_reasons, meeting_value
from matcher.sessions.edits import (
    add_meeting,
    cancel_meeting,
    lock_meeting,
    move_meeting,
    swap_meetings,
)
from matcher.sessions.model import (
    AgendaConflictError,
    Meeting,
    Participant,
    Session,
    SessionSettings,
    SessionValidationError,
    SuggestedPartner,
    load_session,
    make_slots,
    parse_slots,
    save_session,
)
from matcher.sessions.outcomes import (
    feedback_links,
    feedback_records,
    publish,
    record_outcome,
    reopen,
)
from matcher.sessions.wishes import (
    add_participant,
    participants_from_records,
    remove_participant,
    set_wish,
    set_wishes,
    suggest_wishes,
)


def settings(tables=2, slots=("10:00", "10:30", "11:00"), **kwargs):
    return SessionSettings.create(
        "B2B day",
        "2026-05-14",
        "Europe/Kyiv",
        25,
        tables=tables,
        slots=list(slots),
        session_id="day-1",
        **kwargs,
    )


def make_session(members="ABCDE", tables=2, slots=("10:00", "10:30", "11:00"), **kwargs):
    session = Session(settings(tables, slots, **kwargs))
    for member_id in members:
        add_participant(
            session,
            Participant.from_dict(
                {"member_id": member_id, "name": f"Firm {member_id}", "network": "kfc"},
                session.settings,
            ),
        )
    return session


# ---------------------------------------------------------------------------------------------
# Settings and slots
# ---------------------------------------------------------------------------------------------


def test_slots_from_start_end_and_breaks():
    slots = make_slots("10:00", "12:15", 25, ["11:00-11:15"], gap_minutes=5)
    assert [t.strftime("%H:%M") for t in slots] == ["10:00", "10:30", "11:15", "11:45"]
    made = SessionSettings.create(
        "Day",
        "2026-05-14",
        "Europe/Kyiv",
        25,
        tables=3,
        start="10:00",
        end="12:15",
        breaks=["11:00-11:15"],
        gap_minutes=5,
    )
    assert made.n_slots == 4
    assert made.slot_label(3) == "11:15-11:40"
    start = made.slot_start(1)
    assert start.utcoffset() == dt.timedelta(hours=3)  # Kyiv summer time
    assert start.tzinfo.key == "Europe/Kyiv"


def test_settings_errors_name_every_field_and_what_is_allowed():
    with pytest.raises(SessionValidationError) as caught:
        SessionSettings.create(
            "",
            "14.05.2026",
            "Kyiv",
            3,
            tables=0,
            slots=["10:00", "10:10"],
            pair_rules=["same_city"],
        )
    fields = {p.field for p in caught.value.problems}
    assert fields == {
        "settings.name",
        "settings.date",
        "settings.timezone",
        "settings.meeting_minutes",
        "settings.tables",
        "settings.pair_rules",
    }
    message = str(caught.value)
    assert "did you mean 'Europe/Kyiv'?" in message
    assert (
        "'same_city' is not a rule; allowed: buyers_with_suppliers, different_networks" in message
    )
    with pytest.raises(SessionValidationError, match="slot 2 starts at 10:20, before slot 1"):
        SessionSettings.create(
            "Day", "2026-05-14", "Europe/Kyiv", 25, tables=1, slots=["10:00", "10:20"]
        )
    with pytest.raises(SessionValidationError, match="not both"):
        SessionSettings.create(
            "Day",
            "2026-05-14",
            "Europe/Kyiv",
            25,
            tables=1,
            slots=["10:00"],
            start="10:00",
            end="11:00",
        )


def test_parse_slots_reads_numbers_ranges_times_and_all():
    s = settings(slots=("10:00", "10:30", "11:00", "11:30"))
    assert parse_slots("all", s) == (1, 2, 3, 4)
    assert parse_slots("", s) == (1, 2, 3, 4)
    assert parse_slots("1-2;4", s) == (1, 2, 4)
    assert parse_slots([3, 1], s) == (1, 3)
    assert parse_slots("10:30-11:30", s) == (2, 3)
    with pytest.raises(ValueError, match="slot 5 does not exist; slots are 1 to 4"):
        parse_slots("2-5", s)
    with pytest.raises(ValueError, match="not a slot number"):
        parse_slots("morning", s)


# ---------------------------------------------------------------------------------------------
# Participants and wishes
# ---------------------------------------------------------------------------------------------


def test_participant_validation_names_participant_field_and_limits():
    s = settings()
    with pytest.raises(SessionValidationError) as caught:
        Participant.from_dict(
            {
                "member_id": "m1",
                "name": "M",
                "available": "1-9",
                "min_meetings": 3,
                "max_meetings": 1,
                "role": "seller",
            },
            s,
        )
    text = str(caught.value)
    assert "participants.m1.available" in text and "slots are 1 to 3" in text
    assert "participants.m1.role: 'seller' is not a role; allowed: buyer, supplier, any" in text
    assert "min_meetings 3 is above max_meetings 1" in text


def test_only_admitted_members_take_part():
    session = Session(settings(networks=["kfc"], member_ids=["guest-1"]))
    add_participant(
        session,
        Participant.from_dict({"member_id": "a", "name": "A", "network": "kfc"}, session.settings),
    )
    add_participant(
        session,
        Participant.from_dict(
            {"member_id": "guest-1", "name": "G", "network": "pl"}, session.settings
        ),
    )
    with pytest.raises(
        SessionValidationError, match="may not take part; the session is open to networks kfc"
    ):
        add_participant(
            session,
            Participant.from_dict(
                {"member_id": "b", "name": "B", "network": "pl"}, session.settings
            ),
        )
    with pytest.raises(SessionValidationError, match="already a participant"):
        add_participant(session, session.participants["a"])


def test_pair_rules_forbid_wishes_but_not_vetoes():
    session = Session(settings(pair_rules=["buyers_with_suppliers", "different_networks"]))
    for member_id, network, org_type in (
        ("brand", "kfc", "designer_brand"),
        ("shop", "pl", "retailer_distributor"),
        ("factory", "pl", "manufacturer"),
        ("mill", "kfc", "textile_producer"),
    ):
        add_participant(
            session,
            Participant.from_dict(
                {
                    "member_id": member_id,
                    "name": member_id,
                    "network": network,
                    "org_type": org_type,
                },
                session.settings,
            ),
        )
    assert session.participants["brand"].role == "buyer"
    assert session.participants["mill"].role == "supplier"
    set_wish(session, "brand", "factory", "must")  # buyer + supplier, two networks
    with pytest.raises(SessionValidationError, match="both buyers"):
        set_wish(session, "brand", "shop", "would")
    with pytest.raises(SessionValidationError, match="both members of kfc"):
        set_wish(session, "brand", "mill", "would")
    set_wish(session, "brand", "mill", "no")  # a veto is always allowed
    assert [c.pair for c in candidate_meetings(session)] == [("brand", "factory")]


def test_meeting_values_rank_mutual_must_first_then_one_sided_wishes_then_score():
    values = {
        "must+must": meeting_value("must", "must"),
        "must+would": meeting_value("must", "would"),
        "must": meeting_value("must", None),
        "would+would": meeting_value("would", "would", 1.0),
        "would": meeting_value("would", None, 1.0),
        "would (low score)": meeting_value("would", None, 0.1),
    }
    assert list(values.values()) == sorted(values.values(), reverse=True)
    assert values["would"] - values["would (low score)"] == 900
    assert meeting_value("must", "no") == 0


def test_candidates_leave_out_vetoes_and_cancelled_pairs_and_use_best_score():
    session = make_session()
    set_wish(session, "A", "B", "must")
    set_wish(session, "B", "A", "must")
    set_wish(session, "A", "C", "would")
    set_wish(session, "C", "A", "no")
    set_wish(session, "D", "E", "would")
    session.suggestions["E"] = (SuggestedPartner("D", "Firm D", 0.6),)
    session.suggestions["D"] = (
        SuggestedPartner("E", "Firm E", 0.2),
        SuggestedPartner("A", "Firm A", 0.9),
    )
    candidates = candidate_meetings(session)
    assert [(c.pair, c.value) for c in candidates] == [(("A", "B"), 25_000), (("D", "E"), 4_600)]
    with_suggested = candidate_meetings(session, include_suggested=True)
    assert [c.pair for c in with_suggested] == [("A", "B"), ("D", "E"), ("A", "D")]
    assert with_suggested[-1].value == 900
    session.meetings.append(Meeting("D", "E", 1, 1, status="cancelled"))
    assert [c.pair for c in candidate_meetings(session)] == [("A", "B")]


def test_set_wishes_checks_every_row_before_changing_anything():
    session = make_session()
    rows = [
        {"member_id": "A", "partner_id": "B", "level": "must"},
        {"member_id": "A", "partner_id": "Z", "level": "would"},
        {"member_id": "C", "partner_id": "D", "level": "maybe"},
    ]
    with pytest.raises(ProfileValidationError) as caught:
        set_wishes(session, rows, source="wishes.csv")
    text = str(caught.value)
    assert "wishes.csv: 2 problems, nothing was loaded" in text
    assert "row 3, column 'partner_id': 'Z' is not a participant" in text
    assert "row 4, column 'level': 'maybe' is not a wish level" in text
    assert session.wishes == {}
    assert set_wishes(session, rows[:1]) == 1
    assert session.level("A", "B") == "must"


def test_participants_from_records_fills_from_profiles_and_lists_bad_rows(cluster_frame):
    from matcher.profiles import frame_to_profiles

    profiles = {p.member_id: p for p in frame_to_profiles(cluster_frame)}
    s = settings()
    rows = [
        {"id": "designer", "available": "1-2", "min": "1", "max": "2", "stand": "A-12"},
        {"id": "ghost", "available": ""},
        {"id": "knit-factory", "available": "7", "max": "x"},
    ]
    with pytest.raises(ProfileValidationError) as caught:
        participants_from_records(rows, s, profiles, source="people.csv")
    text = str(caught.value)
    assert "row 3, column 'member_id': 'ghost' is not a member of the profiles" in text
    assert "row 4, column 'available'" in text and "row 4, column 'max_meetings'" in text
    (designer,) = participants_from_records(rows[:1], s, profiles)
    assert (designer.name, designer.org_type, designer.role) == (
        "Студія Весна",
        "designer_brand",
        "buyer",
    )
    assert (designer.available, designer.min_meetings, designer.max_meetings) == ((1, 2), 1, 2)


def test_suggest_wishes_among_participants_without_known_partners(cluster_frame, cluster_links):
    matcher = PartnerMatcher().fit(cluster_frame, cluster_links)
    session = Session(settings())
    for member_id in ("designer", "knit-factory", "pl-knit-factory", "pl-distributor", "photo"):
        profile = matcher.profile(member_id)
        add_participant(session, Participant.from_profile(profile, session.settings))
    session.participants["guest"] = Participant("guest", "A guest", (1, 2, 3))
    set_wish(session, "designer", "pl-knit-factory", "no")
    set_wish(session, "pl-distributor", "designer", "would")
    found = suggest_wishes(matcher, session, k=3)
    assert "guest" not in found
    participants = set(session.participants)
    for member_id, items in found.items():
        suggested = [s.partner_id for s in items if s.suggested]
        assert member_id not in suggested and set(suggested) <= participants - {"guest"}
        for s in items:
            assert s.reasons["en"] and s.reasons["uk"] and 0 <= s.score <= 1
    designer = [s.partner_id for s in found["designer"] if s.suggested]
    assert designer[0] == "knit-factory"
    assert "pl-knit-factory" not in designer  # vetoed
    assert "photo" not in designer  # declined before (a known link)
    assert "pl-knit-factory" not in [
        s.partner_id for s in found["pl-distributor"]
    ]  # a known partner
    # The wish of pl-distributor for the designer is explained from each side's point of view.
    session.suggestions.update(found)
    assert session.suggestion("designer", "pl-distributor") is not None
    assert meeting_reasons(session, "designer", "pl-distributor", "uk")
    assert candidate_meetings(session)[0].score > 0


# ---------------------------------------------------------------------------------------------
# Conflicts and edits
# ---------------------------------------------------------------------------------------------


def conflicted_session():
    session = make_session(tables=1)
    session.participants["E"] = Participant("E", "Firm E", (1, 2), network="kfc", max_meetings=1)
    set_wish(session, "C", "D", "no")
    session.meetings = [
        Meeting("A", "B", 1, 1),
        Meeting("A", "C", 1, 2),  # A double-booked; 2 meetings, 1 table
        Meeting("C", "D", 2, 1),  # vetoed
        Meeting("B", "E", 3, 1),  # E cannot attend slot 3
        Meeting("D", "E", 2, 1),  # E above its maximum; table 1 taken twice in slot 2
    ]
    return session


def test_check_agenda_finds_every_kind_of_conflict():
    conflicts = check_agenda(conflicted_session())
    kinds = {c.kind for c in conflicts if c.severity == "error"}
    assert kinds == {
        "double_booking",
        "over_capacity",
        "bad_table",
        "vetoed",
        "unavailable",
        "over_max",
        "table_clash",
    }
    doubles = {(c.member_ids, c.slot): c for c in conflicts if c.kind == "double_booking"}
    assert set(doubles) == {(("A",), 1), (("D",), 2)}
    # Participants are named by their names (issue 15); their ids are the conflict's data.
    assert doubles[("A",), 1].message == (
        "Firm A has 2 meetings in slot 1 (10:00-10:25): with Firm B, Firm C"
    )
    by_kind = {c.kind: c for c in conflicts}
    assert by_kind["vetoed"].message == (
        "Firm C said “no thanks” to Firm D, yet they meet in slot 2"
    )
    assert "Firm E cannot attend slot 3" in by_kind["unavailable"].message
    assert "above its maximum of 1" in by_kind["over_max"].message
    # The same conflicts in Ukrainian, the counts agreeing with their nouns.
    uk = [c.message for c in check_agenda(conflicted_session(), language="uk")]
    assert "Firm A має 2 зустрічі у слоті 1 (10:00-10:25): з Firm B, Firm C" in uk
    assert "2 зустрічі у слоті 1 (10:00-10:25) на 1 стіл" in uk
    assert "Firm E має 2 зустрічі, більше за свій максимум 1" in uk
    # Ids no more beside the names ("E (Firm E)"), nor meeting ids ("A~B").
    assert not [c for c in conflicts if "(Firm" in c.message or "~" in c.message]
    clean = make_session()
    clean.participants["A"] = Participant("A", "Firm A", (1, 2, 3), min_meetings=1)
    (warning,) = check_agenda(clean)
    assert (warning.kind, warning.severity) == ("under_min", "warning")


def sound_session():
    session = make_session(tables=2)
    session.participants["D"] = Participant("D", "Firm D", (1, 2), network="kfc")
    set_wish(session, "A", "E", "no")
    session.meetings = [Meeting("A", "B", 1, 1), Meeting("C", "D", 1, 2), Meeting("A", "C", 2, 1)]
    assert check_agenda(session) == []
    return session


def test_edits_refuse_conflicts_and_leave_the_agenda_unchanged():
    session = sound_session()
    before = list(session.meetings)
    with pytest.raises(AgendaConflictError) as caught:
        move_meeting(session, "A", "B", 2)  # A already meets C in slot 2
    assert {c.kind for c in caught.value.conflicts} == {"double_booking"}
    assert "moving A~B to slot 2 was refused" in str(caught.value)
    with pytest.raises(AgendaConflictError, match="cannot attend slot 3"):
        move_meeting(session, "C", "D", 3)
    with pytest.raises(AgendaConflictError, match="said “no thanks”"):
        add_meeting(session, "A", "E", 3)
    with pytest.raises(AgendaConflictError, match="3 meetings in slot 1 .* for 2 tables"):
        add_meeting(session, "B", "E", 1)
    with pytest.raises(SessionValidationError, match="already meet in slot 1"):
        add_meeting(session, "B", "A", 3)
    with pytest.raises(SessionValidationError, match="expected a slot number from 1 to 3"):
        move_meeting(session, "A", "B", 4)
    assert session.meetings == before


def test_move_swap_add_cancel_and_lock():
    session = sound_session()
    moved = move_meeting(session, "A", "B", 3)
    assert (moved.slot, moved.table, moved.locked) == (3, 1, True)
    one, two = swap_meetings(session, ("A", "B"), ("A", "C"))
    assert (one.slot, two.slot) == (2, 3)
    added = add_meeting(session, "B", "E", 1)
    assert (added.slot, added.table, added.locked) == (1, 1, True)
    assert lock_meeting(session, "B", "E", False).locked is False
    cancelled = cancel_meeting(session, "C", "D")
    assert cancelled.status == "cancelled"
    assert "C~D" not in {m.meeting_id for m in session.active_meetings()}
    assert check_agenda(session) == []
    again = add_meeting(session, "D", "C", 2, table=2)  # replaces the cancelled record
    assert [m.status for m in session.meetings if m.pair == ("C", "D")] == ["planned"]
    assert again.table == 2


def test_publish_needs_a_sound_agenda_and_blocks_edits_until_reopened():
    session = conflicted_session()
    with pytest.raises(AgendaConflictError, match="publishing the agenda was refused"):
        publish(session)
    assert session.state == "preliminary"
    session = sound_session()
    publish(session)
    assert (session.state, session.revision) == ("final", 1)
    with pytest.raises(SessionValidationError, match="the agenda is final"):
        move_meeting(session, "A", "B", 3)
    reopen(session)
    move_meeting(session, "A", "B", 3)
    publish(session)
    assert session.revision == 2


def test_outcomes_become_feedback_records_and_links():
    session = sound_session()
    publish(session)
    record_outcome(session, "B", "A", held=True, outcome="deal")
    record_outcome(session, "A", "C", held=True, outcome="follow_up")
    record_outcome(session, "C", "D", held=False)
    with pytest.raises(SessionValidationError, match="did not take place has no outcome"):
        record_outcome(session, "C", "D", held=False, outcome="deal")
    records = feedback_records(session)
    assert [(r["member_id"], r["partner_id"], r["event"], r["outcome"]) for r in records] == [
        ("A", "B", "deal", "deal"),
        ("A", "C", "meeting", "follow_up"),
        ("B", "A", "deal", "deal"),
        ("C", "A", "meeting", "follow_up"),
    ]
    assert all(r["date"] == "2026-05-14" and r["session_id"] == "day-1" for r in records)
    assert ("A", "E", "declined") in {
        (r["member_id"], r["partner_id"], r["event"])
        for r in feedback_records(session, include_vetoes=True)
    }
    links = feedback_links(session, include_vetoes=True)
    assert [(l.source, l.target, l.kind) for l in links] == [
        ("A", "B", "deal"),
        ("A", "C", "meeting"),
        ("A", "E", "declined"),
    ]


def test_remove_participant_drops_its_wishes_and_meetings():
    session = sound_session()
    set_wish(session, "B", "A", "must")
    remove_participant(session, "A")
    assert "A" not in session.participants
    assert all("A" not in m.pair for m in session.meetings)
    assert all("A" not in pair for pair in session.wishes)


# ---------------------------------------------------------------------------------------------
# The session file
# ---------------------------------------------------------------------------------------------


def test_json_round_trip_and_atomic_save(tmp_path):
    session = sound_session()
    session.suggestions["A"] = (
        SuggestedPartner(
            "B",
            "Firm B",
            0.75,
            {"en": ("Offers what you seek",), "uk": ("Пропонує те, що ви шукаєте",)},
        ),
    )
    session.last_build = {"status": "optimal"}
    path = save_session(session, tmp_path / "day.json")
    loaded = load_session(path)
    assert loaded == session
    assert loaded.to_dict() == session.to_dict()
    assert [p.name for p in tmp_path.iterdir()] == ["day.json"]  # no temporary file left behind


def test_loading_a_bad_file_names_every_field(tmp_path):
    data = sound_session().to_dict()
    data["participants"][0]["max_meetings"] = 9
    data["wishes"].append({"member_id": "A", "partner_id": "Q", "level": "must"})
    data["meetings"][0].update(slot=7, status="done")
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(SessionValidationError) as caught:
        load_session(path)
    fields = {p.field for p in caught.value.problems}
    assert {
        "participants.A.max_meetings",
        "wishes[1].partner_id",
        "meetings[0].slot",
        "meetings[0].status",
    } <= fields
    assert str(caught.value).startswith(f"{path}: ")
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(SessionValidationError, match="not valid JSON"):
        load_session(path)
    with pytest.raises(FileNotFoundError):
        load_session(tmp_path / "missing.json")
