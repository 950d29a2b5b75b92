"""Time the agenda scheduler on a generated matchmaking session.

A seeded session of 500 participants, 3,000 candidate meetings, 16 slots and 60 tables (the
defaults): participants of six networks, most available all day, some for the morning or the
afternoon only, a fifth with a minimum of two meetings, maxima of 6 to 10; the wished pairs
favour popular participants (a Zipf-like weight), each side says "must", "would" or nothing
(at least one side wishes), and an engine score in 0..1 breaks ties. The slots hold at most
960 meetings, so the solver has to choose.

Measured: the greedy agenda (objective, wall time), then :func:`matcher.sessions.scheduler.build_agenda`
with ``num_workers=2`` (objective, best bound and what proved it, gap, wall time, status): the
linear relaxation solved with HiGHS gives a bound and a starting hint, then CP-SAT searches.
``--compare-plain`` also runs CP-SAT alone (no relaxation) for the same time limit. All
objectives are computed the same way (value + fairness bonus - minimum shortfall penalty).
The target: within 1% of the bound in under 60 seconds on 2 cores.

Usage::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_scheduler.py
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_scheduler.py --time-limit 60 --gap-limit 0.01 \
        --out benchmarks/results/scheduler.json

Results are printed as JSON and, with ``--out``, written to a JSON file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from matcher.sessions.agenda import candidate_meetings, check_agenda
from matcher.sessions.model import Participant, Session, SessionSettings, SuggestedPartner, Wish
from matcher.sessions.scheduler import build_agenda, greedy_agenda


def generate_session(
    n_participants: int = 500,
    n_pairs: int = 3000,
    n_slots: int = 16,
    n_tables: int = 60,
    seed: int = 0,
) -> Session:
    """Return a seeded session with `n_pairs` wished pairs among `n_participants`."""
    rng = np.random.default_rng(seed)
    slots = [f"{9 + (i * 30) // 60:02d}:{(i * 30) % 60:02d}" for i in range(n_slots)]
    settings = SessionSettings.create(
        "Benchmark day",
        "2026-05-14",
        "Europe/Kyiv",
        25,
        tables=n_tables,
        slots=slots,
        session_id=f"bench-{seed}",
    )
    session = Session(settings)
    networks = [
        "kharkiv-fashion-cluster",
        "polish-fashion-cluster",
        "lodz-textile",
        "lithuanian-apparel",
        "czech-fashion",
        "romanian-textile",
    ]
    org_types = [
        "manufacturer",
        "textile_producer",
        "designer_brand",
        "supplier",
        "service_provider",
        "retailer_distributor",
    ]
    half = n_slots // 2
    for i in range(n_participants):
        member_id = f"p{i:04d}"
        draw = rng.random()
        if draw < 0.7:
            available = list(range(1, n_slots + 1))
        elif draw < 0.8:
            available = list(range(1, half + 1))
        elif draw < 0.9:
            available = list(range(half + 1, n_slots + 1))
        else:
            size = int(rng.integers(n_slots // 2, n_slots))
            available = sorted(int(s) + 1 for s in rng.choice(n_slots, size=size, replace=False))
        session.participants[member_id] = Participant(
            member_id=member_id,
            name=f"Participant {i}",
            available=tuple(available),
            network=networks[int(rng.integers(len(networks)))],
            org_type=org_types[int(rng.integers(len(org_types)))],
            min_meetings=2 if rng.random() < 0.2 else 0,
            max_meetings=int(rng.integers(6, 11)),
        )
    ids = list(session.participants)
    weights = 1.0 / np.arange(1, n_participants + 1) ** 0.6
    weights = weights[rng.permutation(n_participants)]
    weights /= weights.sum()
    pairs: set[tuple[str, str]] = set()
    while len(pairs) < n_pairs:
        a, b = rng.choice(n_participants, size=2, replace=False, p=weights)
        pairs.add(tuple(sorted((ids[a], ids[b]))))
    suggestions: dict[str, list[SuggestedPartner]] = {}
    for a, b in sorted(pairs):
        levels = [None, None]
        while levels == [None, None]:
            levels = [
                ("must", "would", None)[int(rng.choice(3, p=[0.2, 0.45, 0.35]))] for _ in range(2)
            ]
        for (member_id, partner_id), level in zip(((a, b), (b, a)), levels):
            if level:
                session.wishes[member_id, partner_id] = Wish(member_id, partner_id, level)
        suggestions.setdefault(a, []).append(SuggestedPartner(b, b, float(rng.random())))
    session.suggestions = {member_id: tuple(items) for member_id, items in suggestions.items()}
    return session


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=500)
    parser.add_argument("--pairs", type=int, default=3000)
    parser.add_argument("--slots", type=int, default=16)
    parser.add_argument("--tables", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument(
        "--gap-limit",
        type=float,
        default=0.0,
        help="Stop CP-SAT once within this fraction of the bound (0: run to the limit "
        "or the proof).",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--compare-plain",
        action="store_true",
        help="Also run CP-SAT without the linear relaxation.",
    )
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    session = generate_session(args.participants, args.pairs, args.slots, args.tables, args.seed)
    generated = time.perf_counter() - started
    candidates = candidate_meetings(session)

    greedy = greedy_agenda(session)
    solved = build_agenda(
        session,
        time_limit=args.time_limit,
        num_workers=args.workers,
        method="cp-sat",
        random_seed=args.seed,
        gap_limit=args.gap_limit,
    )
    plain = None
    if args.compare_plain:
        plain = build_agenda(
            session,
            time_limit=args.time_limit,
            num_workers=args.workers,
            method="cp-sat",
            random_seed=args.seed,
            gap_limit=args.gap_limit,
            lp_bound=False,
        )
    for result in (greedy, solved, plain):
        if result is None:
            continue
        errors = [c for c in check_agenda(session, result.meetings) if c.severity == "error"]
        if errors:
            raise SystemExit(f"{result.solver}: the agenda has conflicts: {errors[:3]}")
    report = {
        "session": {
            "participants": args.participants,
            "candidates": len(candidates),
            "slots": args.slots,
            "tables": args.tables,
            "seed": args.seed,
            "generate_s": round(generated, 2),
        },
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        },
        "greedy": _figures(greedy),
        "cp_sat": {
            **_figures(solved),
            "time_limit": args.time_limit,
            "gap_limit": args.gap_limit,
            "workers": args.workers,
            "n_variables": solved.n_variables,
        },
        "cp_sat_without_relaxation": None if plain is None else _figures(plain),
        "improvement_over_greedy": round(
            (solved.objective - greedy.objective) / max(1, greedy.objective), 4
        ),
        "target_met": bool(solved.gap is not None and solved.gap <= 0.01 and solved.wall_time < 60),
    }
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    return report


def _figures(result) -> dict:
    return {
        "solver": result.solver,
        "status": result.status,
        "objective": result.objective,
        "best_bound": result.best_bound,
        "bound_source": result.bound_source,
        "gap": None if result.gap is None else round(result.gap, 5),
        "wall_time_s": round(result.wall_time, 2),
        "meetings": len(result.meetings),
        "meeting_value": result.meeting_value,
        "participants_below_minimum": len(result.unmet_minimum),
        "wishers_without_meetings": len(result.without_meetings),
    }


if __name__ == "__main__":
    main(sys.argv[1:])
