"""Time the matching engine at 10k, 100k and 1M generated profiles.

For each size, in a fresh process (so that peak memory is that size's own): generate profiles and
links (:mod:`matcher.datasets`), validate them, ``PartnerMatcher.fit``, then single-member
``recommend`` calls (k=10) for randomly chosen members: p50 and p99 latency.

Usage::

    .venv/bin/python benchmarks/bench_engine.py --sizes 10000 100000 1000000 --queries 200
    .venv/bin/python benchmarks/bench_engine.py --sizes 10000 --out benchmarks/results/engine.json

Results are printed as JSON lines and, with ``--out``, written to a JSON file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path


def run_one(n: int, queries: int, seed: int) -> dict:
    import numpy as np

    from matcher.datasets import generate_links, generate_profiles
    from matcher.profiles import validate_links, validate_profiles
    from matcher.ranking import PartnerMatcher

    timings: dict[str, float] = {}
    started = time.perf_counter()
    raw = generate_profiles(n, seed=seed)
    raw_links = generate_links(raw, seed=seed)
    timings["generate_s"] = time.perf_counter() - started

    started = time.perf_counter()
    frame = validate_profiles(raw, source=f"generated-{n}")
    links = validate_links(raw_links, frame["member_id"], source=f"generated-{n}-links")
    timings["validate_s"] = time.perf_counter() - started

    started = time.perf_counter()
    matcher = PartnerMatcher(random_state=seed).fit(frame, links)
    timings["fit_s"] = time.perf_counter() - started

    rng = np.random.default_rng(seed)
    members = frame["member_id"].to_numpy()[rng.choice(len(frame), size=queries, replace=False)]
    matcher.recommend(members[0], k=10)  # warm-up: first-call imports and caches
    latencies = []
    for member_id in members:
        started = time.perf_counter()
        matcher.recommend(member_id, k=10)
        latencies.append((time.perf_counter() - started) * 1000)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "profiles": n,
        "links": len(links),
        "model": matcher.model_kind_,
        "exhaustive": n <= matcher.exhaustive_below,
        **{key: round(value, 2) for key, value in timings.items()},
        "recommend_queries": queries,
        "recommend_p50_ms": round(float(np.percentile(latencies, 50)), 2),
        "recommend_p99_ms": round(float(np.percentile(latencies, 99)), 2),
        "peak_rss_mb": round(peak_kb / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.queries, args.seed)))
        return
    machine = {"machine": platform.machine(), "cpus": os.cpu_count(), "python": platform.python_version(),
               "date": time.strftime("%Y-%m-%d")}
    results = []
    for n in args.sizes:
        completed = subprocess.run([sys.executable, __file__, "--one", str(n), "--queries", str(args.queries),
                                    "--seed", str(args.seed)], capture_output=True, text=True)
        if completed.returncode != 0:
            print(completed.stderr, file=sys.stderr)
            raise SystemExit(f"size {n} failed")
        result = json.loads(completed.stdout.strip().splitlines()[-1])
        results.append(result)
        print(json.dumps(result), flush=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"machine": machine, "results": results}, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
