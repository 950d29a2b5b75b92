"""The whole batch job as a user runs it, against a naive peer, in one run.

Writes ``--members`` generated profiles (:func:`matcher.datasets.generator.generate_profiles`)
and their links (:func:`~matcher.datasets.generator.generate_links`) to CSV files, then times,
each in a fresh process:

* ``matcher batch --members P --candidates P --links L --k 20 --out OUT.csv`` with the default
  options (``--jobs 0``: one worker process per core at this size), and with ``--jobs 1`` when
  ``--also-jobs`` names it: reading and validating both files, ``fit``, the candidate retrieval,
  re-ranking, reasons and the CSV. The phases come from the command's own INFO lines (``-v``),
  timed as they arrive;
* the peer: the same CSV read by pandas, TF-IDF of each profile's text (offers, seeks, products,
  description; by words, or by character 3-5-grams within words, ``--peer``: both by default)
  beside one-hot country, type of organisation and network, and scikit-learn's
  ``NearestNeighbors(metric="cosine", algorithm="brute")``: every member's 20 nearest profiles
  (itself left out), written as a CSV of member, rank, partner and score. No learned score, no
  re-ranking, no reasons, no links.

Usage::

    flock /tmp/bench.lock .venv/bin/python benchmarks/bench_batch_job.py --members 20000
    .venv/bin/python benchmarks/bench_batch_job.py --members 20000 --also-jobs 1 \\
        --out benchmarks/results/batch-job.json

Wall times and CPU seconds (user and system, of the command and its worker processes); the
load average of the machine is printed beside them (other work on the cores makes every wall
time an upper bound).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: INFO lines of ``matcher batch -v`` that end a phase, and the phase they end (the first
#: phase includes the interpreter's start and the imports; the last, "score and write", ends
#: with the command).
PHASE_ENDS = (
    ("batch: fitting on", "read and validate"),
    ("members against", "fit"),
)


def write_inputs(n: int, seed: int, directory: Path) -> tuple[Path, Path]:
    from matcher.datasets.generator import generate_links, generate_profiles

    profiles = generate_profiles(n, seed=seed)
    links = generate_links(profiles, seed=seed)
    paths = directory / "profiles.csv", directory / "links.csv"
    profiles.to_csv(paths[0], index=False)
    links.to_csv(paths[1], index=False)
    return paths


def run_matcher(profiles: Path, links: Path, out: Path, jobs: int | None) -> dict:
    """Time ``matcher batch`` in a fresh process; phases from its INFO lines."""
    command = [
        str(Path(sys.executable).with_name("matcher")),
        "-v",
        "batch",
        "--members",
        str(profiles),
        "--candidates",
        str(profiles),
        "--links",
        str(links),
        "--k",
        "20",
        "--out",
        str(out),
    ]
    if jobs is not None:
        command += ["--jobs", str(jobs)]
    cpu, started = _children_cpu(), time.perf_counter()
    process = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    phases, last, lines = {}, started, []
    for line in process.stderr:
        lines.append(line)
        now = time.perf_counter()
        for marker, phase in PHASE_ENDS:
            if marker in line and phase not in phases:
                phases[phase] = round(now - last, 1)
                last = now
    stdout = process.stdout.read()
    process.wait()
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        sys.stderr.write("".join(lines[-30:]))
        raise SystemExit(f"matcher batch failed with exit code {process.returncode}")
    phases["score and write"] = round(elapsed - (last - started), 1)
    return {
        "jobs": "default (0)" if jobs is None else jobs,
        "seconds": round(elapsed, 1),
        "cpu_seconds": round(_children_cpu() - cpu, 1),
        "phases": phases,
        "output": stdout.strip(),
    }


PEER = r"""
import sys, time
import numpy as np, pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import OneHotEncoder

profiles, out, k, analyzer = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
frame = pd.read_csv(profiles, dtype=str, keep_default_na=False)
text = (frame["offers"] + " " + frame["seeks"] + " " + frame["products"] + " "
        + frame["description"]).str.replace(";", " ")
words = {"analyzer": "char_wb", "ngram_range": (3, 5)} if analyzer == "char_wb" else {}
X = sparse.hstack([
    TfidfVectorizer(sublinear_tf=True, **words).fit_transform(text),
    OneHotEncoder(handle_unknown="ignore").fit_transform(frame[["country", "org_type", "network"]]),
]).tocsr()
distances, rows = NearestNeighbors(n_neighbors=k + 1, metric="cosine", algorithm="brute").fit(
    X).kneighbors(X)
ids = frame["id"].to_numpy()
members, partners, scores, ranks = [], [], [], []
for i in range(len(ids)):
    keep = rows[i] != i
    chosen, d = rows[i][keep][:k], distances[i][keep][:k]
    members.append(np.repeat(ids[i], len(chosen)))
    partners.append(ids[chosen])
    scores.append(1.0 - d)
    ranks.append(np.arange(1, len(chosen) + 1))
pd.DataFrame({"member_id": np.concatenate(members), "rank": np.concatenate(ranks),
              "partner_id": np.concatenate(partners),
              "score": np.round(np.concatenate(scores), 4)}).to_csv(out, index=False)
"""


def run_peer(profiles: Path, out: Path, analyzer: str) -> dict:
    """Time the naive peer in a fresh process (imports included, as for ``matcher batch``)."""
    cpu, started = _children_cpu(), time.perf_counter()
    command = [sys.executable, "-c", PEER, str(profiles), str(out), "20", analyzer]
    subprocess.run(command, check=True)
    return {
        "analyzer": analyzer,
        "seconds": round(time.perf_counter() - started, 1),
        "cpu_seconds": round(_children_cpu() - cpu, 1),
    }


def _children_cpu() -> float:
    """User and system CPU seconds of the finished child processes (and theirs): the work
    done, which other programs on the cores do not stretch as they stretch wall time."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--also-jobs",
        type=int,
        nargs="*",
        default=[],
        help="Also time matcher batch with these --jobs values (1: one process).",
    )
    parser.add_argument(
        "--peer",
        nargs="+",
        choices=["word", "char_wb"],
        default=["word", "char_wb"],
        help="The peer's TF-IDF: scikit-learn's default words, or character 3-5-grams within "
        "words (what this project's text encoder uses for Ukrainian and Russian).",
    )
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-batch-job-") as temporary:
        directory = Path(temporary)
        profiles, links = write_inputs(args.members, args.seed, directory)
        result = {
            "members": args.members,
            "candidates": args.members,
            "load_before": os.getloadavg(),
        }
        result["peers"] = [
            run_peer(profiles, directory / "peer.csv", analyzer) for analyzer in args.peer
        ]
        print(json.dumps({"peers": result["peers"]}), flush=True)
        runs = []
        for jobs in [None, *args.also_jobs]:
            runs.append(run_matcher(profiles, links, directory / "shortlists.csv", jobs))
            runs[-1]["to_peer"] = {
                peer["analyzer"]: round(runs[-1]["seconds"] / peer["seconds"], 2)
                for peer in result["peers"]
            }
            runs[-1]["cpu_to_peer"] = {
                peer["analyzer"]: round(runs[-1]["cpu_seconds"] / peer["cpu_seconds"], 2)
                for peer in result["peers"]
            }
            print(json.dumps(runs[-1]), flush=True)
        result["matcher_batch"] = runs
        result["load_after"] = os.getloadavg()
    result["machine"] = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }
    print(json.dumps(result), flush=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
