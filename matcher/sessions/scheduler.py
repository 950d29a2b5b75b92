"""Build a session's agenda: assign candidate meetings to slots, then number the tables.

The model (OR-Tools CP-SAT)
---------------------------
One boolean ``x[c, s]`` per candidate meeting ``c`` (see
:func:`matcher.sessions.agenda.candidate_meetings`) and slot ``s`` that both participants can attend;
nothing else is a decision. Constraints:

* each pair meets at most once: ``sum_s x[c, s] <= 1``;
* each participant is in at most one meeting per slot;
* at most as many meetings per slot as there are tables (tables are a per-slot capacity and
  are numbered afterwards: one variable per table makes the model too large to finish);
* at most ``max_meetings`` meetings per participant;
* at least ``min_meetings``, as a *soft* constraint: every meeting missing below a minimum
  costs :data:`MIN_SHORTFALL_PENALTY` points, more than two of the most valuable meetings
  (mutual "must", at most 26,000 each), so the solver gives up to two such meetings elsewhere
  to meet one participant's minimum, and a minimum that cannot be met (too few wishes, too
  few common free slots) leaves the agenda feasible and is reported in
  ``ScheduleResult.unmet_minimum``;
* locked meetings (and held ones) stay where they are: their participants' slots, their
  tables and their share of each maximum are taken before the rest is planned.

The objective maximises the total value of the meetings (integer points of
:func:`matcher.sessions.agenda.meeting_value`: mutual "must" highest, one-sided wishes next, the
engine's score as the tie-breaker) plus the fairness bonus.

The bound
---------
On its own, CP-SAT's bound closes slowly on large sessions (its linear relaxation is built up
lazily): on 500 participants and 3,000 candidates it was still 1-10% above the best agenda
after 60 s. So :func:`build_agenda` first solves the linear relaxation of the same model with
HiGHS (SciPy's ``linprog``): a proven upper bound in seconds, and, rounded, a starting hint
that is often optimal already (the relaxation of these models is frequently integral). CP-SAT
then searches from the best hint and stops once within ``gap_limit`` of that bound.

Fairness
--------
Each participant who asked for meetings (a "must" or "would" of its own) earns
:data:`FIRST_MEETING_BONUS` points once it has at least one meeting. The solver therefore
gives such a participant its first meeting whenever that costs less than 6,000 points of
value elsewhere (one and a half one-sided "would" wishes, or 60% of a one-sided "must"), and
keeps concentrating meetings on popular participants only when spreading them would cost more.
Only the first meeting earns the bonus: beyond it, value alone decides.

Table numbers are given afterwards, slot by slot, stable and deterministic: a locked or held
meeting keeps its table; a meeting keeps the table it had in the previous agenda when free;
a participant keeps its table of the previous slot when free (less walking); otherwise the
lowest free table.

The greedy agenda (:func:`greedy_agenda`) takes the candidates by value, best first, and puts
each into the common free slot with the most free tables (the earliest on a tie), within every
rule. It is the fallback when OR-Tools cannot be imported or finds no solution within the time
limit, the solver's starting hint, and a point of comparison.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError
from .agenda import candidate_meetings, check_agenda, meeting_value
from .model import AgendaConflictError, CandidateMeeting, Meeting, Session
from .wishes import _require_preliminary

logger = logging.getLogger(__name__)

__all__ = [
    "FIRST_MEETING_BONUS",
    "MARKED_DROP_SHARE",
    "METHODS",
    "MIN_SHORTFALL_PENALTY",
    "AgendaDrop",
    "ScheduleResult",
    "agenda_drop",
    "apply_agenda",
    "build_agenda",
    "greedy_agenda",
    "number_tables",
]

#: Points earned by each participant who asked for meetings once it has its first one.
FIRST_MEETING_BONUS = 6_000
#: Points lost for each meeting missing below a participant's minimum.
MIN_SHORTFALL_PENALTY = 60_000
METHODS = ("auto", "cp-sat", "greedy")
#: A new agenda plans *markedly fewer* meetings than the current one when it plans fewer than
#: this share of them (see :func:`agenda_drop`).
MARKED_DROP_SHARE = 0.9


@dataclass
class ScheduleResult:
    """An agenda made by :func:`build_agenda` or :func:`greedy_agenda`.

    Attributes
    ----------
    meetings : list of Meeting
        The kept (locked or held) meetings and the new ones, with table numbers.
    objective : int
        Total value + fairness bonuses - minimum shortfall penalties, in points.
    best_bound : int or None
        The proven upper bound of the objective (None for the greedy agenda); the objective
        is a whole number, so the bound is rounded down to one.
    gap : float or None
        ``(best_bound - objective) / max(1, |best_bound|)``: 0 when proven optimal.
    status : {"optimal", "feasible", "greedy"}
    solver : str
        ``"OR-Tools CP-SAT <version>"`` or ``"greedy"``.
    wall_time : float
        Seconds, model building included.
    meeting_value : int
        Total value of the meetings alone.
    n_candidates, n_variables : int
        Candidate meetings, and the solver's boolean variables (0 for greedy).
    unmet_minimum : dict of str to int
        Participants below their minimum and how many meetings they lack.
    without_meetings : tuple of str
        Participants who asked for meetings and have none.
    fallback_reason : str or None
        Why the greedy agenda was used instead of the solver.
    bound_source : str or None
        What proved ``best_bound``: ``"cp-sat"`` or ``"linear relaxation (HiGHS)"``.
    settings : dict
        What the run was asked: ``method``, ``time_limit`` (seconds; None for
        :func:`greedy_agenda` called alone) and ``include_suggested``; a form that builds the
        agenda again starts from them.
    """

    meetings: list[Meeting]
    objective: int
    best_bound: int | None
    gap: float | None
    status: str
    solver: str
    wall_time: float
    meeting_value: int
    n_candidates: int
    n_variables: int = 0
    unmet_minimum: dict[str, int] = field(default_factory=dict)
    without_meetings: tuple[str, ...] = ()
    fallback_reason: str | None = None
    bound_source: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The figures of the run as JSON-ready data (everything but the meetings)."""
        return {
            "status": self.status,
            "solver": self.solver,
            "objective": self.objective,
            "best_bound": self.best_bound,
            "gap": self.gap,
            "wall_time": round(self.wall_time, 3),
            "meeting_value": self.meeting_value,
            "n_meetings": len(self.meetings),
            "n_candidates": self.n_candidates,
            "n_variables": self.n_variables,
            "unmet_minimum": dict(self.unmet_minimum),
            "without_meetings": list(self.without_meetings),
            "bound_source": self.bound_source,
            "fallback_reason": self.fallback_reason,
            "settings": dict(self.settings),
        }


@dataclass
class _Problem:
    """What remains to plan once the kept meetings have taken their places."""

    session: Session
    candidates: list[CandidateMeeting]
    options: list[list[int]]  # the slots each candidate may take
    kept: list[Meeting]
    capacity: dict[int, int]  # free tables per slot
    limit: dict[str, int]  # meetings each participant may still have
    need: dict[str, int]  # meetings each participant still needs for its minimum
    wishers: list[str]  # asked for meetings and have none yet
    constant: int  # value and bonuses of the kept meetings
    first_bonus: int
    shortfall_penalty: int


def _problem(
    session: Session, include_suggested: bool, first_bonus: int, shortfall_penalty: int
) -> _Problem:
    settings = session.settings
    kept = [m for m in session.meetings if m.active and (m.locked or m.status == "held")]
    errors = [c for c in check_agenda(session, kept) if c.severity == "error"]
    if errors:
        raise AgendaConflictError(errors, "building the agenda around the locked meetings")
    busy: dict[str, set[int]] = {member_id: set() for member_id in session.participants}
    capacity = {slot: settings.tables for slot in settings.slot_numbers}
    kept_pairs = set()
    constant = 0
    for m in kept:
        kept_pairs.add(m.pair)
        capacity[m.slot] -= 1
        for member_id in m.pair:
            busy[member_id].add(m.slot)
        a, b = m.pair
        constant += meeting_value(session.level(a, b), session.level(b, a), _score(session, a, b))
    limit, need = {}, {}
    for member_id, participant in session.participants.items():
        limit[member_id] = max(0, participant.limit(settings) - len(busy[member_id]))
        need[member_id] = max(0, participant.min_meetings - len(busy[member_id]))
    candidates, options = [], []
    for c in candidate_meetings(session, include_suggested):
        if c.pair in kept_pairs or not limit[c.member_a] or not limit[c.member_b]:
            continue
        a, b = session.participants[c.member_a], session.participants[c.member_b]
        slots = sorted(set(a.available) & set(b.available) - busy[c.member_a] - busy[c.member_b])
        slots = [s for s in slots if capacity[s] > 0]
        if slots:
            candidates.append(c)
            options.append(slots)
    asked = {
        member_id
        for (member_id, _), wish in session.wishes.items()
        if wish.level in ("must", "would")
    }
    wishers = sorted(m for m in asked if m in session.participants and not busy[m])
    constant += first_bonus * sum(1 for m in asked if m in session.participants and busy[m])
    return _Problem(
        session,
        candidates,
        options,
        kept,
        capacity,
        limit,
        need,
        wishers,
        constant,
        first_bonus,
        shortfall_penalty,
    )


def _score(session: Session, a: str, b: str) -> float:
    scores = [
        s.score for s in (session.suggestion(a, b), session.suggestion(b, a)) if s is not None
    ]
    return max(scores, default=0.0)


def _evaluate(
    problem: _Problem, chosen: Mapping[int, int]
) -> tuple[int, int, dict[str, int], tuple[str, ...]]:
    """Return (objective, meeting value, unmet minimum, wishers without meetings) of `chosen`
    (candidate index -> slot), the kept meetings included."""
    count = {member_id: 0 for member_id in problem.session.participants}
    value = problem.constant
    value_only = 0
    for m in problem.kept:
        a, b = m.pair
        value_only += meeting_value(
            problem.session.level(a, b), problem.session.level(b, a), _score(problem.session, a, b)
        )
    for c in chosen:
        candidate = problem.candidates[c]
        value_only += candidate.value
        value += candidate.value
        for member_id in candidate.pair:
            count[member_id] += 1
    without = tuple(m for m in problem.wishers if not count[m])
    value += problem.first_bonus * (len(problem.wishers) - len(without))
    unmet = {m: problem.need[m] - count[m] for m in problem.need if count[m] < problem.need[m]}
    value -= problem.shortfall_penalty * sum(unmet.values())
    return value, value_only, unmet, without


class _Placement:
    """Meetings placed so far, with what is left: free tables per slot, meetings each
    participant may still have, and the slots each is already busy in."""

    def __init__(self, problem: _Problem):
        self.problem = problem
        self.capacity = dict(problem.capacity)
        self.limit = dict(problem.limit)
        self.busy: dict[str, set[int]] = {
            member_id: set() for member_id in problem.session.participants
        }
        self.chosen: dict[int, int] = {}

    def fits(self, c: int, slot: int) -> bool:
        a, b = self.problem.candidates[c].pair
        return (
            c not in self.chosen
            and self.limit[a] > 0
            and self.limit[b] > 0
            and self.capacity[slot] > 0
            and slot not in self.busy[a]
            and slot not in self.busy[b]
        )

    def place(self, c: int, slot: int) -> None:
        a, b = self.problem.candidates[c].pair
        self.chosen[c] = slot
        self.capacity[slot] -= 1
        self.limit[a] -= 1
        self.limit[b] -= 1
        self.busy[a].add(slot)
        self.busy[b].add(slot)

    def fill_greedily(self) -> dict[int, int]:
        """Candidates by value, best first, each into the common free slot with the most free
        tables; return every placed meeting (candidate -> slot)."""
        for c in range(len(self.problem.candidates)):  # already sorted by value
            free = [s for s in self.problem.options[c] if self.fits(c, s)]
            if free:
                self.place(c, max(free, key=lambda s: (self.capacity[s], -s)))
        return self.chosen


def _greedy(problem: _Problem) -> dict[int, int]:
    """Candidates by value, best first, each into the common free slot with the most free tables."""
    return _Placement(problem).fill_greedily()


def _cp_model():
    """Import OR-Tools' CP-SAT (a function, so that tests can simulate its absence)."""
    from ortools.sat.python import cp_model

    return cp_model


def _columns(problem: _Problem) -> list[tuple[int, int]]:
    """The (candidate, slot) pairs that get a variable, in a fixed order."""
    return [(c, s) for c, slots in enumerate(problem.options) for s in slots]


def _groups(problem: _Problem, columns: Sequence[tuple[int, int]]):
    """Column indices by candidate, by (participant, slot), by slot and by participant."""
    by_candidate: dict[int, list[int]] = {}
    by_member_slot: dict[tuple[str, int], list[int]] = {}
    by_slot: dict[int, list[int]] = {}
    by_member: dict[str, list[int]] = {}
    for j, (c, s) in enumerate(columns):
        by_candidate.setdefault(c, []).append(j)
        by_slot.setdefault(s, []).append(j)
        for member_id in problem.candidates[c].pair:
            by_member_slot.setdefault((member_id, s), []).append(j)
            by_member.setdefault(member_id, []).append(j)
    return by_candidate, by_member_slot, by_slot, by_member


def _lp_relaxation(problem: _Problem, columns: Sequence[tuple[int, int]], time_limit: float):
    """Solve the linear relaxation of the model with HiGHS (through SciPy).

    Its optimum bounds the objective from above (the relaxation allows every agenda and
    more); on agendas like these it is often integral, i.e. an optimal agenda itself.

    Returns
    -------
    (bound, x) or None
        The bound (kept meetings included) and the relaxation's value of each column, or None
        if HiGHS did not finish.
    """
    import numpy as np
    import scipy.sparse as sp
    from scipy.optimize import linprog

    by_candidate, by_member_slot, by_slot, by_member = _groups(problem, columns)
    wishers = [m for m in problem.wishers if m in by_member]
    needy = [m for m, need in problem.need.items() if need]
    n_x, n_first = len(columns), len(wishers)
    n = n_x + n_first + len(needy)
    objective = np.zeros(n)
    objective[:n_x] = [problem.candidates[c].value for c, _ in columns]
    objective[n_x : n_x + n_first] = problem.first_bonus
    objective[n_x + n_first :] = -problem.shortfall_penalty
    rows, cols, values, upper = [], [], [], []

    def row(entries: Iterable[tuple[int, float]], bound: float) -> None:
        r = len(upper)
        for j, v in entries:
            rows.append(r)
            cols.append(j)
            values.append(v)
        upper.append(bound)

    for group in (*by_candidate.values(), *by_member_slot.values()):
        if len(group) > 1:
            row(((j, 1.0) for j in group), 1.0)
    for s, group in by_slot.items():
        row(((j, 1.0) for j in group), problem.capacity[s])
    for member_id, group in by_member.items():
        row(((j, 1.0) for j in group), problem.limit[member_id])
    for i, member_id in enumerate(wishers):  # first <= meetings
        row([(n_x + i, 1.0), *((j, -1.0) for j in by_member[member_id])], 0.0)
    for i, member_id in enumerate(needy):  # meetings + short >= need
        row(
            [(n_x + n_first + i, -1.0), *((j, -1.0) for j in by_member.get(member_id, []))],
            -problem.need[member_id],
        )
    if not upper:
        return None
    matrix = sp.csr_matrix((values, (rows, cols)), shape=(len(upper), n))
    bounds = np.zeros((n, 2))
    bounds[:, 1] = 1.0
    bounds[n_x + n_first :, 1] = [problem.need[m] for m in needy]
    result = linprog(
        -objective,
        A_ub=matrix,
        b_ub=np.array(upper),
        bounds=bounds,
        method="highs",
        options={"time_limit": float(time_limit)},
    )
    if result.status != 0:
        logger.info("the linear relaxation did not finish: %s", result.message)
        return None
    return -result.fun + problem.constant, result.x[:n_x]


def _lp_guided(problem: _Problem, columns: Sequence[tuple[int, int]], lp_x) -> dict[int, int]:
    """Round the relaxation: columns by relaxation value (then meeting value), within every rule."""
    placement = _Placement(problem)
    order = sorted(
        range(len(columns)),
        key=lambda j: (-round(float(lp_x[j]), 6), -problem.candidates[columns[j][0]].value, j),
    )
    for j in order:
        if lp_x[j] < 1e-6:
            break
        c, s = columns[j]
        if placement.fits(c, s):
            placement.place(c, s)
    # Then whatever still fits, by value.
    return placement.fill_greedily()


def _solve_cp_sat(
    problem: _Problem,
    columns: Sequence[tuple[int, int]],
    hint: Mapping[int, int],
    deadline: float,
    num_workers: int,
    random_seed: int,
    gap_limit: float,
    stop_bound: float | None,
    log_search: bool,
    solver_parameters: Mapping[str, Any] | None,
):
    """Solve the CP-SAT model; return ((chosen, bound) or None, status, solver name).

    The search ends by `deadline` (a ``time.perf_counter()`` value), model building included.
    `stop_bound` (an upper bound of the objective proven elsewhere, kept meetings included)
    stops the search once a solution is within `gap_limit` of it.
    """
    cp_model = _cp_model()
    import ortools

    by_candidate, by_member_slot, by_slot, by_member = _groups(problem, columns)
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x_{c}_{s}") for c, s in columns]
    objective_terms = [problem.candidates[c].value * x[j] for j, (c, _) in enumerate(columns)]
    for group in (*by_candidate.values(), *by_member_slot.values()):
        if len(group) > 1:
            model.add_at_most_one(x[j] for j in group)
    for s, group in by_slot.items():
        if len(group) > problem.capacity[s]:
            model.add(sum(x[j] for j in group) <= problem.capacity[s])
    for member_id, group in by_member.items():
        if len(group) > problem.limit[member_id]:
            model.add(sum(x[j] for j in group) <= problem.limit[member_id])
    count = {member_id: 0 for member_id in problem.session.participants}
    for c in hint:
        for member_id in problem.candidates[c].pair:
            count[member_id] += 1
    for member_id in problem.wishers:
        if member_id in by_member:
            first = model.new_bool_var(f"first_{member_id}")
            model.add(first <= sum(x[j] for j in by_member[member_id]))
            objective_terms.append(problem.first_bonus * first)
            model.add_hint(first, count[member_id] > 0)
    for member_id, need in problem.need.items():
        if need:
            short = model.new_int_var(0, need, f"short_{member_id}")
            model.add(sum(x[j] for j in by_member.get(member_id, [])) + short >= need)
            objective_terms.append(-problem.shortfall_penalty * short)
            model.add_hint(short, max(0, need - count[member_id]))
    model.maximize(sum(objective_terms))
    for j, (c, s) in enumerate(columns):
        model.add_hint(x[j], hint.get(c) == s)

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, deadline - time.perf_counter() - 0.1)
    solver.parameters.num_workers = int(num_workers)
    solver.parameters.random_seed = int(random_seed)
    solver.parameters.relative_gap_limit = float(gap_limit)
    solver.parameters.log_search_progress = bool(log_search)
    for key, value in (solver_parameters or {}).items():
        if isinstance(value, (list, tuple)):
            getattr(solver.parameters, key).extend(value)
        else:
            setattr(solver.parameters, key, value)

    class _StopNearBound(cp_model.CpSolverSolutionCallback):
        def __init__(self, target: float):
            super().__init__()
            self.target = target

        def on_solution_callback(self) -> None:
            if self.objective_value >= self.target:
                self.stop_search()

    callback = None
    if stop_bound is not None:
        # The objective is a whole number: stop within `gap_limit` of the whole bound.
        callback = _StopNearBound(
            _whole(stop_bound) - problem.constant - gap_limit * abs(stop_bound)
        )
    status = solver.solve(model, callback)
    name = f"OR-Tools CP-SAT {ortools.__version__}"
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, solver.status_name(status), name
    chosen = {
        columns[j][0]: columns[j][1] for j in range(len(columns)) if solver.boolean_value(x[j])
    }
    status_name = "optimal" if status == cp_model.OPTIMAL else "feasible"
    return (chosen, solver.best_objective_bound + problem.constant), status_name, name


def number_tables(
    session: Session, kept: Sequence[Meeting], placed: Iterable[tuple[CandidateMeeting, int]]
) -> list[Meeting]:
    """Give table numbers to the `placed` (candidate, slot) meetings around the `kept` ones.

    Slot by slot, best meeting first: the table the pair had in the same slot of the
    session's current agenda, else a table one of the two had in the previous slot, else the
    lowest free table. Deterministic: the same input gives the same tables.

    Returns
    -------
    list of Meeting
        The kept meetings, then the new ones (unlocked, planned), by slot and table.
    """
    previous = {(m.pair, m.slot): m.table for m in session.meetings if m.active}
    taken: dict[int, set[int]] = {}
    table_of: dict[tuple[str, int], int] = {}
    for m in kept:
        taken.setdefault(m.slot, set()).add(m.table)
        for member_id in m.pair:
            table_of[member_id, m.slot] = m.table
    by_slot: dict[int, list[CandidateMeeting]] = {}
    for candidate, slot in placed:
        by_slot.setdefault(slot, []).append(candidate)
    new = []
    for slot in sorted(by_slot):
        used = taken.setdefault(slot, set())
        free = [t for t in range(1, session.settings.tables + 1) if t not in used]
        for candidate in sorted(by_slot[slot], key=lambda c: (-c.value, c.pair)):
            preferred = [
                previous.get((candidate.pair, slot)),
                table_of.get((candidate.member_a, slot - 1)),
                table_of.get((candidate.member_b, slot - 1)),
            ]
            table = next((t for t in preferred if t is not None and t not in used), None)
            if table is None:
                table = next(t for t in free if t not in used)
            used.add(table)
            for member_id in candidate.pair:
                table_of[member_id, slot] = table
            new.append(Meeting(candidate.member_a, candidate.member_b, slot, table))
    return sorted(list(kept) + new, key=lambda m: (m.slot, m.table))


def _result(
    problem: _Problem, chosen: Mapping[int, int], started: float, **figures: Any
) -> ScheduleResult:
    objective, value, unmet, without = _evaluate(problem, chosen)
    meetings = number_tables(
        problem.session, problem.kept, [(problem.candidates[c], s) for c, s in chosen.items()]
    )
    return ScheduleResult(
        meetings=meetings,
        objective=objective,
        meeting_value=value,
        n_candidates=len(problem.candidates),
        unmet_minimum=unmet,
        without_meetings=without,
        wall_time=time.perf_counter() - started,
        **figures,
    )


def greedy_agenda(
    session: Session,
    include_suggested: bool = False,
    fairness_bonus: int = FIRST_MEETING_BONUS,
    shortfall_penalty: int = MIN_SHORTFALL_PENALTY,
) -> ScheduleResult:
    """Build the agenda greedily: candidates by value, best first, within every rule.

    Its ``objective`` is computed as the solver's is, so the two compare. See
    :func:`build_agenda` for the parameters.
    """
    started = time.perf_counter()
    problem = _problem(session, include_suggested, fairness_bonus, shortfall_penalty)
    return _result(
        problem,
        _greedy(problem),
        started,
        best_bound=None,
        gap=None,
        status="greedy",
        solver="greedy",
        settings={"method": "greedy", "time_limit": None, "include_suggested": include_suggested},
    )


def build_agenda(
    session: Session,
    time_limit: float = 30.0,
    num_workers: int = 2,
    method: str = "auto",
    include_suggested: bool = False,
    random_seed: int = 0,
    gap_limit: float = 0.0,
    lp_bound: bool = True,
    fairness_bonus: int = FIRST_MEETING_BONUS,
    shortfall_penalty: int = MIN_SHORTFALL_PENALTY,
    log_search: bool = False,
    solver_parameters: Mapping[str, Any] | None = None,
) -> ScheduleResult:
    """Build the best agenda of the session's candidate meetings, keeping the locked ones.

    Does not change the session: pass the result to :func:`apply_agenda` to adopt it.

    With `lp_bound` (the default) the linear relaxation of the same model is first solved with
    HiGHS (through SciPy, a few seconds for 500 participants): its optimum is a proven upper
    bound of the objective, and its rounding (often the relaxation is already integral) is
    given to CP-SAT as the starting hint if it beats the greedy agenda. CP-SAT stops as soon as
    its solution is within `gap_limit` of the relaxation's bound, else when it proves the
    optimum itself or reaches the time limit; the result's ``best_bound`` is the lower of the
    two bounds and ``bound_source`` says which. When the hint already meets the relaxation's
    bound, CP-SAT runs without its presolve: it only confirms the hint.

    Parameters
    ----------
    session : Session
    time_limit : float
        Seconds the whole run may take (the relaxation at most a third of them); CP-SAT
        stops at the limit with the best agenda found so far.
    num_workers : int
        CP-SAT's threads.
    method : {"auto", "cp-sat", "greedy"}
        ``auto``: CP-SAT, and the greedy agenda if OR-Tools cannot be imported or finds no
        solution in time; ``cp-sat``: the solver or an error; ``greedy``: :func:`greedy_agenda`.
    include_suggested : bool
        Also plan the engine's suggestions nobody marked (see
        :func:`matcher.sessions.agenda.candidate_meetings`).
    random_seed : int
    gap_limit : float
        Stop once the objective is within this fraction of the bound (0: prove the optimum).
    lp_bound : bool
        Solve the linear relaxation first (bound and hint).
    fairness_bonus, shortfall_penalty : int
        Points of a participant's first meeting and of each meeting missing below a minimum
        (see the module's docstring).
    log_search : bool
        Print CP-SAT's log (on stdout).
    solver_parameters : mapping, optional
        Further CP-SAT parameters (``SatParameters`` field names).

    Raises
    ------
    AgendaConflictError
        If the locked meetings conflict with each other or with the participants' rules.
    InputError
        If a parameter is out of range.
    RuntimeError
        With ``method="cp-sat"``, if OR-Tools is missing or finds no solution in time.
    """
    if method not in METHODS:
        raise InputError(f"Got method={method!r}, expected one of {', '.join(METHODS)}")
    if not (isinstance(time_limit, (int, float)) and time_limit > 0):
        raise InputError(f"Got time_limit={time_limit!r}, expected a positive number of seconds")
    if not (isinstance(num_workers, int) and num_workers >= 1):
        raise InputError(f"Got num_workers={num_workers!r}, expected a positive integer")
    if not (isinstance(gap_limit, (int, float)) and 0 <= gap_limit < 1):
        raise InputError(f"Got gap_limit={gap_limit!r}, expected a fraction from 0 to below 1")
    for name, value in (
        ("fairness_bonus", fairness_bonus),
        ("shortfall_penalty", shortfall_penalty),
    ):
        if not (isinstance(value, int) and value >= 0):
            raise InputError(f"Got {name}={value!r}, expected a whole number of points >= 0")
    asked = {"method": method, "time_limit": time_limit, "include_suggested": include_suggested}
    if method == "greedy":
        result = greedy_agenda(session, include_suggested, fairness_bonus, shortfall_penalty)
        result.settings = asked
        return result
    started = time.perf_counter()
    problem = _problem(session, include_suggested, fairness_bonus, shortfall_penalty)
    greedy = _greedy(problem)
    columns = _columns(problem)

    def greedy_instead(reason: str, **figures: Any) -> ScheduleResult:
        """The greedy agenda as the result, saying why the solver's is not."""
        return _result(
            problem,
            greedy,
            started,
            best_bound=None,
            gap=None,
            status="greedy",
            solver="greedy",
            fallback_reason=reason,
            settings=asked,
            **figures,
        )

    try:
        _cp_model()
    except ImportError as error:
        if method == "cp-sat":
            raise RuntimeError(
                f"OR-Tools is not available ({error}); install ortools or use method='greedy'"
            ) from error
        logger.warning("OR-Tools is not available (%s); using the greedy agenda", error)
        return greedy_instead(f"OR-Tools is not available: {error}")
    relaxation = _lp_relaxation(problem, columns, time_limit / 3) if lp_bound and columns else None
    hint = greedy
    parameters = dict(solver_parameters or {})
    if relaxation is not None:
        rounded = _lp_guided(problem, columns, relaxation[1])
        if _evaluate(problem, rounded)[0] > _evaluate(problem, greedy)[0]:
            hint = rounded
        if _evaluate(problem, hint)[0] >= _whole(relaxation[0]) - gap_limit * abs(relaxation[0]):
            # The hint already meets the bound: CP-SAT only has to confirm it as its first
            # solution, and its presolve (most of the time on large sessions) buys nothing.
            parameters = {"cp_model_presolve": False, **parameters}
    solved, status, solver_name = _solve_cp_sat(
        problem,
        columns,
        hint,
        started + time_limit,
        num_workers,
        random_seed,
        gap_limit,
        relaxation[0] if relaxation else None,
        log_search,
        parameters,
    )
    if solved is None:
        reason = f"CP-SAT found no solution in {time_limit:g} s (status {status})"
        if method == "cp-sat":
            raise RuntimeError(reason)
        logger.warning("%s; using the greedy agenda", reason)
        return greedy_instead(reason, n_variables=len(columns))
    chosen, bound = solved
    bound, bound_source = _whole(bound), "cp-sat"
    if relaxation is not None and _whole(relaxation[0]) < bound:
        bound, bound_source = _whole(relaxation[0]), "linear relaxation (HiGHS)"
    result = _result(
        problem,
        chosen,
        started,
        best_bound=bound,
        gap=None,
        status=status,
        solver=solver_name,
        n_variables=len(columns),
        bound_source=bound_source,
        settings=asked,
    )
    if status == "optimal" or result.objective >= bound:
        result.best_bound, result.status = max(bound, result.objective), "optimal"
    result.gap = (result.best_bound - result.objective) / max(1.0, abs(result.best_bound))
    return result


def _whole(bound: float) -> int:
    """An upper bound of a whole-number objective as a whole number: the bound rounded down,
    or to the nearest whole number when it is one up to floating-point noise."""
    nearest = round(bound)
    if abs(bound - nearest) <= 1e-6 * max(1.0, abs(bound)):
        return int(nearest)
    return math.floor(bound)


def apply_agenda(session: Session, result: ScheduleResult) -> None:
    """Adopt `result` as the session's agenda: the kept and new meetings replace the planned
    ones; cancelled meetings stay on record. Stores ``result.summary()`` as ``last_build``.

    Raises
    ------
    SessionValidationError
        If the agenda is final.
    """
    _require_preliminary(session, "build the agenda again")
    cancelled = [m for m in session.meetings if not m.active]
    session.meetings = cancelled + list(result.meetings)
    session.last_build = result.summary()


@dataclass
class AgendaDrop:
    """What adopting a new agenda would take away from the current one (:func:`agenda_drop`).

    A build that would plan markedly fewer meetings (fewer than :data:`MARKED_DROP_SHARE` of
    the current ones), or drop a meeting a participant marked "must", deserves a look before
    it replaces the agenda: usually a setting was forgotten ("also plan suggestions nobody
    marked", the time limit, the method).

    Attributes
    ----------
    current : int
        Meetings of the current agenda (planned and held; cancelled ones are not counted).
    proposed : int
        Meetings of the new agenda.
    lost : list of Meeting
        Meetings of the current agenda whose pair the new one does not plan at all (a pair
        moved to another slot or table is not lost).
    lost_must : list of Meeting
        Those of `lost` that at least one side marked "must".
    """

    current: int
    proposed: int
    lost: list[Meeting] = field(default_factory=list)
    lost_must: list[Meeting] = field(default_factory=list)

    @property
    def markedly_fewer(self) -> bool:
        """Whether the new agenda plans fewer than :data:`MARKED_DROP_SHARE` of the current
        agenda's meetings."""
        return self.proposed < MARKED_DROP_SHARE * self.current

    @property
    def marked(self) -> bool:
        """Whether the new agenda plans markedly fewer meetings or drops a "must" meeting."""
        return self.markedly_fewer or bool(self.lost_must)

    def to_dict(self) -> dict[str, Any]:
        """The comparison as JSON-ready data (meetings by id)."""
        return {
            "current": self.current,
            "proposed": self.proposed,
            "lost": [m.meeting_id for m in self.lost],
            "lost_must": [m.meeting_id for m in self.lost_must],
            "markedly_fewer": self.markedly_fewer,
            "marked": self.marked,
        }


def agenda_drop(session: Session, result: ScheduleResult) -> AgendaDrop:
    """Compare the session's current agenda with the new one of `result` before adopting it.

    Parameters
    ----------
    session : Session
        The session as it is (its agenda not yet replaced by :func:`apply_agenda`).
    result : ScheduleResult

    Returns
    -------
    AgendaDrop
        How many meetings each agenda has, and which current meetings (and "must" ones among
        them) the new agenda no longer plans.
    """
    current = session.active_meetings()
    proposed = {m.pair for m in result.meetings if m.active}
    lost = sorted(
        (m for m in current if m.pair not in proposed), key=lambda m: (m.slot, m.table, m.pair)
    )
    must = [
        m
        for m in lost
        if "must" in (session.level(m.member_a, m.member_b), session.level(m.member_b, m.member_a))
    ]
    return AgendaDrop(len(current), len(proposed), lost, must)
