"""The scheduler on hand-made sessions whose optimal agendas are known."""

import itertools
import random

import pytest

from matcher.sessions import scheduler
from matcher.sessions.agenda import candidate_meetings, check_agenda
from matcher.sessions.edits import move_meeting
from matcher.sessions.model import (
    AgendaConflictError,
    Meeting,
    Participant,
    Session,
    SessionSettings,
    SessionValidationError,
    SuggestedPartner,
)
from matcher.sessions.outcomes import publish
from matcher.sessions.scheduler import (
    FIRST_MEETING_BONUS,
    MIN_SHORTFALL_PENALTY,
    apply_agenda,
    build_agenda,
    greedy_agenda,
)
from matcher.sessions.wishes import set_wish


def make_session(n_slots=2, tables=1, people="ABCDE", available=None, limits=None):
    slots = [f"{10 + i // 2:02d}:{30 * (i % 2):02d}" for i in range(n_slots)]
    settings = SessionSettings.create(
        "Day", "2026-05-14", "Europe/Kyiv", 25, tables=tables, slots=slots, session_id="t"
    )
    session = Session(settings)
    for member_id in people:
        low, high = (limits or {}).get(member_id, (0, None))
        session.participants[member_id] = Participant(
            member_id,
            f"Firm {member_id}",
            tuple((available or {}).get(member_id, range(1, n_slots + 1))),
            min_meetings=low,
            max_meetings=high,
        )
    return session


def pairs_of(result):
    return {m.pair for m in result.meetings}


def assert_sound(session, result):
    assert [c for c in check_agenda(session, result.meetings) if c.severity == "error"] == []


def test_fairness_spreads_meetings_when_it_costs_little():
    # Two slots, one table: two meetings in all. A must meet B and C (C would meet A); D and E
    # would meet each other. Value alone: A-B + A-C = 24,000 > A-C + D-E = 22,000. With the
    # first-meeting bonus (A, C, D, E asked for meetings), A-C + D-E wins: 22,000 + 4 x 6,000.
    session = make_session()
    set_wish(session, "A", "B", "must")
    set_wish(session, "A", "C", "must")
    set_wish(session, "C", "A", "would")
    set_wish(session, "D", "E", "would")
    set_wish(session, "E", "D", "would")
    fair = build_agenda(session, time_limit=10)
    assert fair.status == "optimal" and fair.gap == 0.0
    assert pairs_of(fair) == {("A", "C"), ("D", "E")}
    assert fair.objective == 22_000 + 4 * FIRST_MEETING_BONUS
    assert fair.without_meetings == ()
    concentrated = build_agenda(session, time_limit=10, fairness_bonus=0)
    assert pairs_of(concentrated) == {("A", "B"), ("A", "C")}
    assert concentrated.objective == 24_000
    assert set(concentrated.without_meetings) == {"D", "E"}
    assert_sound(session, fair)


def test_availability_capacity_max_and_vetoes_are_respected():
    # Three slots, one table. A can only come to slot 2; E at most one meeting; B vetoes C.
    session = make_session(n_slots=3, available={"A": [2]}, limits={"E": (0, 1)})
    set_wish(session, "A", "B", "must")
    set_wish(session, "B", "A", "must")  # 25,000, must take slot 2
    set_wish(session, "C", "B", "must")
    set_wish(session, "B", "C", "no")  # vetoed: never planned
    set_wish(session, "E", "D", "must")  # 10,000
    set_wish(session, "E", "C", "must")  # 10,000, but E may have one meeting only
    set_wish(session, "D", "C", "would")  # 4,000
    result = build_agenda(session, time_limit=10)
    assert result.status == "optimal"
    by_pair = {m.pair: m for m in result.meetings}
    assert by_pair[("A", "B")].slot == 2
    assert ("B", "C") not in by_pair
    assert sum("E" in pair for pair in by_pair) == 1
    assert len(result.meetings) == 3  # one table per slot
    assert result.meeting_value == 25_000 + 10_000 + 4_000
    assert_sound(session, result)


def test_minimum_is_soft_met_when_possible_and_reported_when_not():
    # One slot, one table: A-B (mutual must) is worth most, but C needs a meeting, and the
    # penalty for a missing minimum outweighs the difference. D wants two but can have one.
    session = make_session(n_slots=1, people="ABCD", limits={"C": (1, None), "D": (2, None)})
    set_wish(session, "A", "B", "must")
    set_wish(session, "B", "A", "must")
    set_wish(session, "C", "A", "would")
    result = build_agenda(session, time_limit=10)
    assert pairs_of(result) == {("A", "C")}
    assert result.unmet_minimum == {"D": 2}
    assert result.objective == 4_000 + FIRST_MEETING_BONUS * 2 - 2 * MIN_SHORTFALL_PENALTY
    assert result.status == "optimal"


def test_locked_meetings_stay_when_the_agenda_is_built_again():
    session = make_session(n_slots=3, tables=2)
    for a, b in [("A", "B"), ("A", "C"), ("B", "C"), ("D", "E"), ("C", "D")]:
        set_wish(session, a, b, "must")
    apply_agenda(session, build_agenda(session, time_limit=10))
    assert check_agenda(session) == []
    target = next(
        slot
        for slot in (1, 2, 3)
        if slot != session.meetings_of("D")[0].slot
        and all(m.slot != slot for m in session.meetings_of("E"))
    )
    moved = move_meeting(session, "D", "E", target, table=2)
    assert moved.locked
    for seed in (0, 1):
        result = build_agenda(session, time_limit=10, random_seed=seed)
        assert Meeting("D", "E", target, 2, locked=True) in result.meetings
        assert_sound(session, result)
    apply_agenda(session, result)
    assert Meeting("D", "E", target, 2, locked=True) in session.meetings


def test_conflicting_locked_meetings_are_refused_before_solving():
    session = make_session(n_slots=2, tables=2)
    session.meetings = [Meeting("A", "B", 1, 1, locked=True), Meeting("A", "C", 1, 2, locked=True)]
    with pytest.raises(AgendaConflictError, match="building the agenda around the locked meetings"):
        build_agenda(session, time_limit=5)


def test_tables_are_deterministic_and_a_participant_keeps_its_table():
    session = make_session(n_slots=2, tables=3, people="ABCDEF")
    set_wish(session, "A", "B", "must")
    set_wish(session, "A", "C", "must")
    set_wish(session, "D", "E", "would")
    set_wish(session, "E", "F", "would")
    first = build_agenda(session, time_limit=10)
    second = build_agenda(session, time_limit=10)
    tables_of = lambda result, member: {m.table for m in result.meetings if member in m.pair}
    assert len(tables_of(first, "A")) == 1 and len(tables_of(first, "E")) == 1
    assert {m.table for m in first.meetings} <= {1, 2}
    assert sorted((m.pair, m.table) for m in first.meetings) == sorted(
        (m.pair, m.table) for m in second.meetings
    )


def test_greedy_fallback_when_ortools_cannot_be_imported(monkeypatch):
    session = make_session()
    set_wish(session, "A", "B", "must")
    set_wish(session, "D", "E", "would")

    def missing():
        raise ImportError("No module named 'ortools'")

    monkeypatch.setattr(scheduler, "_cp_model", missing)
    result = build_agenda(session, time_limit=5)
    assert (result.status, result.solver) == ("greedy", "greedy")
    assert "OR-Tools is not available" in result.fallback_reason
    assert pairs_of(result) == {("A", "B"), ("D", "E")}
    assert_sound(session, result)
    with pytest.raises(RuntimeError, match="OR-Tools is not available"):
        build_agenda(session, time_limit=5, method="cp-sat")


def test_greedy_fallback_when_cp_sat_finds_no_solution_in_time(monkeypatch):
    session = make_session()
    set_wish(session, "A", "B", "must")
    monkeypatch.setattr(
        scheduler, "_solve_cp_sat", lambda *args: (None, "UNKNOWN", "OR-Tools CP-SAT")
    )
    result = build_agenda(session, time_limit=5)
    assert result.status == "greedy" and pairs_of(result) == {("A", "B")}
    assert result.fallback_reason == "CP-SAT found no solution in 5 s (status UNKNOWN)"
    with pytest.raises(RuntimeError, match="found no solution"):
        build_agenda(session, time_limit=5, method="cp-sat")


def test_cp_sat_alone_proves_small_optima_too():
    session = make_session(n_slots=3, tables=1)
    set_wish(session, "A", "B", "must")
    set_wish(session, "C", "D", "would")
    result = build_agenda(session, time_limit=10, lp_bound=False)
    assert (result.status, result.bound_source, result.gap) == ("optimal", "cp-sat", 0.0)
    assert result.best_bound == result.objective


def test_bad_parameters_are_named():
    session = make_session()
    for kwargs, message in (
        ({"method": "ilp"}, "method='ilp'"),
        ({"time_limit": 0}, "time_limit=0"),
        ({"gap_limit": 1.5}, "gap_limit=1.5"),
        ({"fairness_bonus": -1}, "fairness_bonus=-1"),
    ):
        with pytest.raises(ValueError, match=message):
            build_agenda(session, **kwargs)


def test_apply_agenda_keeps_cancelled_records_and_refuses_a_final_agenda():
    session = make_session()
    set_wish(session, "A", "B", "must")
    set_wish(session, "D", "E", "would")
    session.meetings = [Meeting("A", "C", 1, 1, status="cancelled")]
    result = build_agenda(session, time_limit=5)
    apply_agenda(session, result)
    assert Meeting("A", "C", 1, 1, status="cancelled") in session.meetings
    assert session.last_build["n_meetings"] == 2
    publish(session)
    with pytest.raises(SessionValidationError, match="the agenda is final"):
        apply_agenda(session, result)


# ---------------------------------------------------------------------------------------------
# Random sessions against brute force
# ---------------------------------------------------------------------------------------------


def random_session(seed, people="ABCDEF", n_slots=3, tables=2, n_wishes=9):
    rng = random.Random(seed)
    session = make_session(n_slots=n_slots, tables=tables, people=people)
    for member_id in people:
        available = tuple(sorted(rng.sample(range(1, n_slots + 1), rng.randint(1, n_slots))))
        low = rng.choice([0, 0, 1])
        high = rng.choice([None, 1, 2])
        session.participants[member_id] = Participant(
            member_id, member_id, available, min_meetings=low, max_meetings=high
        )
    pairs = list(itertools.permutations(people, 2))
    for member_id, partner_id in rng.sample(pairs, n_wishes):
        set_wish(session, member_id, partner_id, rng.choice(["must", "would", "would", "no"]))
    for member_id in people[:3]:
        partner_id = rng.choice([p for p in people if p != member_id])
        session.suggestions[member_id] = (
            SuggestedPartner(partner_id, partner_id, round(rng.random(), 3)),
        )
    return session


def objective_of(session, meetings):
    """The documented objective, computed independently of the scheduler."""
    values = {c.pair: c.value for c in candidate_meetings(session)}
    count = {m: 0 for m in session.participants}
    total = 0
    for m in meetings:
        total += values[m.pair]
        for member_id in m.pair:
            count[member_id] += 1
    asked = {m for (m, _), wish in session.wishes.items() if wish.level in ("must", "would")}
    total += FIRST_MEETING_BONUS * sum(1 for m in asked if count[m])
    total -= MIN_SHORTFALL_PENALTY * sum(
        max(0, p.min_meetings - count[m]) for m, p in session.participants.items()
    )
    return total


def brute_force_optimum(session):
    settings = session.settings
    candidates = candidate_meetings(session)
    best = [objective_of(session, [])]

    def search(i, chosen, busy, load):
        if i == len(candidates):
            best[0] = max(best[0], objective_of(session, chosen))
            return
        search(i + 1, chosen, busy, load)
        c = candidates[i]
        a, b = session.participants[c.member_a], session.participants[c.member_b]
        for slot in set(a.available) & set(b.available):
            if (
                load.get(slot, 0) >= settings.tables
                or (a.member_id, slot) in busy
                or (b.member_id, slot) in busy
            ):
                continue
            if any(
                p.max_meetings is not None
                and sum(x == p.member_id for pair in chosen for x in pair.pair) >= p.max_meetings
                for p in (a, b)
            ):
                continue
            search(
                i + 1,
                chosen + [Meeting(c.member_a, c.member_b, slot, 1)],
                busy | {(a.member_id, slot), (b.member_id, slot)},
                {**load, slot: load.get(slot, 0) + 1},
            )

    search(0, [], frozenset(), {})
    return best[0]


@pytest.mark.parametrize("seed", range(8))
def test_solver_matches_brute_force_and_beats_or_equals_greedy(seed):
    session = random_session(seed)
    optimum = brute_force_optimum(session)
    result = build_agenda(session, time_limit=10)
    greedy = greedy_agenda(session)
    assert result.status == "optimal"
    assert result.objective == optimum == objective_of(session, result.meetings)
    assert result.best_bound >= result.objective
    assert greedy.objective == objective_of(session, greedy.meetings) <= optimum
    assert_sound(session, result)
    assert_sound(session, greedy)
    assert {m.table for m in result.meetings} <= set(range(1, session.settings.tables + 1))


def test_a_larger_session_is_sound_and_the_bound_holds():
    rng = random.Random(7)
    people = [f"m{i:02d}" for i in range(60)]
    session = make_session(n_slots=10, tables=20, people=people)
    pairs = set()
    while len(pairs) < 300:
        a, b = rng.sample(people, 2)
        pairs.add((a, b))
    for a, b in pairs:
        set_wish(session, a, b, rng.choice(["must", "would", "would"]))
    result = build_agenda(session, time_limit=20)
    greedy = greedy_agenda(session)
    assert_sound(session, result)
    assert_sound(session, greedy)
    assert greedy.objective <= result.objective <= result.best_bound
    assert result.objective == objective_of(session, result.meetings)
