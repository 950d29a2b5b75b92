"""Batch scoring and single recommendations against the machine's physical floors.

Measures, each size in a fresh process:

* floors: memory bandwidth (a float32 matrix-vector product over 2 GiB, BLAS on every core) and
  float32 GEMM GFLOP/s (a 4096 x 4096 x 4096 product, and the product shape the batch uses);
* ``fit`` on generated profiles (:mod:`matcher.datasets.generator`): wall time and peak memory added;
* batch retrieval, top-20 of every member among the candidates over the fitted index
  (:class:`matcher.engine.topk.TopK`): wall time, peak memory, the ratio to the GEMM floor, and, side
  by side on the same vectors, scikit-learn's ``NearestNeighbors(metric="cosine",
  algorithm="brute").kneighbors`` (on a subset of the members when it would take too long,
  scaled up linearly);
* the whole batch (retrieval, re-ranking, reasons) on a subset of members, per member;
* single-member ``recommend`` in process: p50/p99 over ``--queries`` members and the ratio to
  the memory-bandwidth floor of one pass over the index, beside the same model with the exact
  vector searches forced on (``vector_searches_``; each member asked both ways in turn), where
  the time goes, and the candidate stage's share of the exhaustive top 10 (at most 20 members
  above 200,000 profiles). ``--one M:C --fitted model.pkl`` times a model pickled earlier.

Usage::

    .venv/bin/python benchmarks/bench_batch.py --sizes 10000:10000 100000:100000 1000000:100000
    .venv/bin/python benchmarks/bench_batch.py --sizes 10000:10000 --out benchmarks/results/batch.json

A size ``M:C`` fits on ``M`` generated profiles (with their links) and scores them all against
the first ``C`` as candidates.
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


def _rss_mb() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def floors() -> dict:
    import numpy as np

    # Bandwidth: a float32 matrix-vector product over 2 GiB (BLAS on every core): the operation
    # of one exact search, bound by reading the matrix.
    a = np.ones((4 * 1024 * 1024, 128), dtype=np.float32)
    v = np.ones(128, dtype=np.float32)
    a @ v
    best = min(_timed(lambda a=a: a @ v) for _ in range(5))
    bandwidth = a.nbytes / best / 1e9
    del a
    x = np.random.default_rng(0).standard_normal((4096, 4096), dtype=np.float32)
    x @ x
    gemm = min(_timed(lambda: x @ x) for _ in range(3))
    q = np.random.default_rng(1).standard_normal((512, 96), dtype=np.float32)
    k = np.random.default_rng(2).standard_normal((100_000, 96), dtype=np.float32)
    out = np.empty((512, 100_000), dtype=np.float32)
    np.matmul(q, k.T, out=out)
    shaped = min(_timed(lambda: np.matmul(q, k.T, out=out)) for _ in range(5))
    return {
        "memory_bandwidth_gb_s": round(bandwidth, 1),
        "gemm_gflop_s": round(2 * 4096**3 / gemm / 1e9, 1),
        "gemm_gflop_s_batch_shape": round(2 * 512 * 100_000 * 96 / shaped / 1e9, 1),
    }


def _timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def run_one(
    n_members: int,
    n_candidates: int,
    queries: int,
    seed: int,
    peer_limit: int,
    full_members: int,
    floor: dict,
    recall_queries: int = 0,
    skip: frozenset = frozenset(),
    fitted: Path | None = None,
) -> dict:
    import numpy as np

    from matcher.batch.scoring import BatchScorer, BatchSpec
    from matcher.datasets.generator import generate_links, generate_profiles
    from matcher.engine.ranking import PartnerMatcher
    from matcher.engine.topk import TopK
    from matcher.profiles import validate_links, validate_profiles

    result: dict = {"members": n_members, "candidates": n_candidates}
    if fitted is not None:
        # A model fitted (and pickled) by an earlier run: only the timings after the fit.
        import pickle

        with open(fitted, "rb") as handle:
            matcher = pickle.load(handle)
        frame = matcher.frame_
        result["fitted"] = str(fitted)
    else:
        started = time.perf_counter()
        raw = generate_profiles(n_members, seed=seed)
        raw_links = generate_links(raw, seed=seed)
        frame = validate_profiles(raw, source="generated")
        links = validate_links(raw_links, frame["member_id"], source="generated-links")
        del raw, raw_links
        result["generate_validate_s"] = round(time.perf_counter() - started, 1)

        before = _rss_mb()
        started = time.perf_counter()
        matcher = PartnerMatcher(random_state=seed).fit(frame, links)
        result["fit_s"] = round(time.perf_counter() - started, 1)
        result["fit_peak_mb"] = round(_peak_mb(), 0)
        result["fit_added_peak_mb"] = round(_peak_mb() - before, 0)
        result["links"] = len(links)

    index = matcher.index_
    if "retrieval" not in skip:
        members = np.arange(n_members)
        candidates = np.arange(n_candidates)
        keys = np.ascontiguousarray(index.matrix_[candidates])
        Q = index.complement_queries(matcher.offers_[members], matcher.needs_[members])
        result["dimensions"] = int(keys.shape[1])
        flops = 2.0 * n_members * n_candidates * keys.shape[1]
        gemm_floor = flops / (floor["gemm_gflop_s"] * 1e9)
        searcher = TopK(keys, block_rows=TopK.rows_for_budget(len(keys)))
        searcher.search(Q[:512], 20)
        result["retrieval_block_rows"] = searcher.block_rows
        rss_before = _rss_mb()
        started = time.perf_counter()
        searcher.search(Q, 20)
        elapsed = time.perf_counter() - started
        result["retrieval"] = {
            "seconds": round(elapsed, 2),
            "gemm_floor_s": round(gemm_floor, 2),
            "ratio_to_floor": round(elapsed / gemm_floor, 2),
            "rss_added_mb": round(_rss_mb() - rss_before, 0),
        }

        from sklearn.neighbors import NearestNeighbors

        subset = min(n_members, peer_limit)
        peer = NearestNeighbors(n_neighbors=20, metric="cosine", algorithm="brute").fit(keys)
        started = time.perf_counter()
        peer.kneighbors(Q[:subset])
        peer_s = (time.perf_counter() - started) * n_members / subset
        result["retrieval"]["sklearn_cosine_brute_s"] = round(peer_s, 1)
        result["retrieval"]["sklearn_measured_on_members"] = subset
        result["retrieval"]["speedup_vs_sklearn"] = round(peer_s / elapsed, 1)
        del peer

    ids = list(frame["member_id"])
    scorer = BatchScorer(matcher, ids[:n_candidates], BatchSpec(k=20))
    sample = np.arange(min(full_members, n_members))
    scorer.score(sample[:16])
    started = time.perf_counter()
    scorer.score(sample)
    per_member = (time.perf_counter() - started) / len(sample)
    result["full_batch"] = {
        "members_timed": len(sample),
        "ms_per_member": round(per_member * 1000, 2),
        "estimated_total_s": round(per_member * n_members, 0),
    }

    if "cores" not in skip:
        # All cores: BLAS threads in one process against two worker processes (one thread each).
        import tempfile

        from matcher.batch.jobs import run_batch

        subset_ids = ids[: min(len(ids), 4 * full_members)]
        result["cores"] = {"members": len(subset_ids)}
        for jobs in (1, 2):
            with tempfile.TemporaryDirectory() as work:
                started = time.perf_counter()
                run_batch(
                    matcher,
                    subset_ids,
                    ids[:n_candidates],
                    BatchSpec(k=20),
                    work,
                    jobs=jobs,
                    progress=False,
                )
                result["cores"][f"jobs_{jobs}_s"] = round(time.perf_counter() - started, 1)

    rng = np.random.default_rng(seed)
    chosen = np.array(ids, dtype=object)[
        rng.choice(n_members, size=min(queries, n_members), replace=False)
    ]

    # The candidate stage the fit chose (the first stage alone, or with the vector searches),
    # and the same model with the exact vector searches forced on, side by side: each member
    # asked both ways in turn, so that other work on the machine weighs on both alike.
    chosen_stage = getattr(matcher, "vector_searches_", True)
    timings: dict[bool, list[float]] = {chosen_stage: [], True: []}
    for searching in timings:
        matcher.vector_searches_ = searching
        matcher.recommend(chosen[0], k=10)
    for i, member_id in enumerate(chosen):
        for searching in list(timings)[:: 1 if i % 2 else -1]:
            matcher.vector_searches_ = searching
            started = time.perf_counter()
            matcher.recommend(member_id, k=10)
            timings[searching].append((time.perf_counter() - started) * 1000)
    matcher.vector_searches_ = chosen_stage
    times, searched = timings[chosen_stage], timings[True]
    memory_floor_ms = index.matrix_.nbytes / (floor["memory_bandwidth_gb_s"] * 1e9) * 1000
    result["recommend"] = {
        "profiles": n_members,
        "queries": len(times),
        "model": matcher.model_kind_,
        "candidate_stage": matcher.candidate_stage_,
        "p50_ms": round(float(np.percentile(times, 50)), 2),
        "p99_ms": round(float(np.percentile(times, 99)), 2),
        "with_vector_searches_p50_ms": round(float(np.percentile(searched, 50)), 2),
        "with_vector_searches_p99_ms": round(float(np.percentile(searched, 99)), 2),
        "index_pass_floor_ms": round(memory_floor_ms, 2),
        "p50_ratio_to_floor": round(float(np.percentile(times, 50)) / memory_floor_ms, 1),
        "load_average": os.getloadavg(),
    }
    # Where a recommendation's time goes (medians over the same members, profiles cached).
    parts: dict[str, list[float]] = {}

    def timed(name, function, *args):
        started = time.perf_counter()
        value = function(*args)
        parts.setdefault(name, []).append((time.perf_counter() - started) * 1000)
        return value

    for member_id in chosen[:100]:
        query = matcher._query(member_id)
        a, arrays, embedding, views = query.row, query.arrays, query.embedding, query.views
        mask = matcher._allowed(query.profile, "all", None)
        partners = matcher.stats_.partners(a)
        mask[a] = False
        mask[partners] = False
        [votes] = timed("votes", matcher._votes, [query])
        timed("first_stage_scores", matcher.first_stage_.scores, arrays, a, partners, votes)
        [J] = timed(
            "candidates", matcher._searched, [query], [mask], [mask], [partners], [votes], None
        )
        X = timed(
            "pair_features",
            matcher._features_for,
            a,
            J,
            matcher.stats_,
            arrays,
            embedding,
            views,
            votes,
        )
        chosen_rows = timed("first_trees", matcher._worth_scoring, X, 10)
        scores = timed("whole_score", matcher.predict_scores, X[chosen_rows])
        best = np.argsort(-scores)[:10]
        timed(
            "reasons",
            matcher.explain_rows,
            query.profile,
            J[chosen_rows][best],
            scores[best],
            X[chosen_rows][best],
        )
        parts.setdefault("candidates_count", []).append(len(J))
    result["recommend"]["parts_ms"] = {
        name: round(float(np.median(values)), 2) for name, values in parts.items()
    }
    # The retrieval alone for one member (the exact search of the index).
    one = index.searcher(block_rows=16)
    q = np.vstack(
        [
            index.complement_queries(matcher.offers_[0], matcher.needs_[0]),
            index.likeness_queries(matcher.embedding_[0]),
        ]
    )
    search = []
    for i in range(200):
        started = time.perf_counter()
        one.search(q, matcher.n_candidates)
        search.append((time.perf_counter() - started) * 1000)
    result["single_search"] = {
        "p50_ms": round(float(np.percentile(search, 50)), 2),
        "ratio_to_floor": round(float(np.percentile(search, 50)) / memory_floor_ms, 1),
    }
    # What the candidate stage keeps of re-ranking every profile (each query re-ranks them all).
    # Above 200,000 profiles on at most 20 members (re-ranking a million takes seconds each).
    if recall_queries:
        from matcher.engine.evaluation import retrieval_recall

        started = time.perf_counter()
        result["candidate_recall"] = retrieval_recall(
            matcher,
            k=10,
            max_queries=recall_queries if n_members <= 200_000 else min(recall_queries, 20),
            seed=seed,
        )
        result["candidate_recall"]["seconds"] = round(time.perf_counter() - started, 1)
    result["peak_mb"] = round(_peak_mb(), 0)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", nargs="+", default=["10000:10000", "100000:100000", "1000000:100000"]
    )
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--peer-limit",
        type=int,
        default=100_000,
        help="Members the scikit-learn peer is timed on (scaled up beyond).",
    )
    parser.add_argument(
        "--full-members",
        type=int,
        default=2000,
        help="Members the whole batch (re-ranking and reasons) is timed on.",
    )
    parser.add_argument(
        "--recall-queries",
        type=int,
        default=50,
        help="Members whose exhaustive ranking measures the candidate stage (up to 200k profiles).",
    )
    parser.add_argument(
        "--skip",
        nargs="*",
        default=[],
        choices=["retrieval", "cores"],
        help="Parts not to run: the batch retrieval and its scikit-learn peer, or the cores comparison.",
    )
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--fitted",
        type=Path,
        help="A pickled fitted PartnerMatcher to time instead of generating and fitting one "
        "(with --one; the size names the profiles it holds).",
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--floor", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        members, candidates = (int(x) for x in args.one.split(":"))
        print(
            json.dumps(
                run_one(
                    members,
                    candidates,
                    args.queries,
                    args.seed,
                    args.peer_limit,
                    args.full_members,
                    json.loads(args.floor),
                    args.recall_queries,
                    frozenset(args.skip),
                    args.fitted,
                )
            )
        )
        return
    floor = json.loads(
        subprocess.run(
            [
                sys.executable,
                "-c",
                ("import json, bench_batch as b; print(json.dumps(b.floors()))"),
            ],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent,
        ).stdout
    )
    print(json.dumps({"floors": floor}), flush=True)
    results = []
    for size in args.sizes:
        run = subprocess.run(
            check=False,
            args=[
                sys.executable,
                __file__,
                "--one",
                size,
                "--queries",
                str(args.queries),
                "--seed",
                str(args.seed),
                "--peer-limit",
                str(args.peer_limit),
                "--full-members",
                str(args.full_members),
                "--recall-queries",
                str(args.recall_queries),
                "--skip",
                *args.skip,
                "--floor",
                json.dumps(floor),
            ],
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            print(run.stderr, file=sys.stderr)
            raise SystemExit(run.returncode)
        results.append(json.loads(run.stdout.strip().splitlines()[-1]))
        print(json.dumps(results[-1]), flush=True)
    machine = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "date": time.strftime("%Y-%m-%d"),
    }
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(
            json.dumps({"machine": machine, "floors": floor, "results": results}, indent=2)
        )


if __name__ == "__main__":
    main()
