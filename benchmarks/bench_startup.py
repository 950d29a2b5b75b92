"""Start-up of the one-shot ``matcher recommend --model NAME --member ID`` command, beside its floor.

A person who types the command waits for a fresh Python process: the interpreter, the imports,
loading the saved model, one ranking, the table. Every figure here is a fresh process started
``--runs`` times (median, minimum, maximum of the wall time, and the median CPU time of the
child, user + system, which other work on the machine disturbs less than the wall time):

* **floor**: ``python -c pass`` and ``python -c "import numpy"``: no command that ranks with
  numpy can start faster than the second;
* **command**: the console script itself, ``matcher recommend --model NAME --member ID``,
  its output discarded: as it runs, from the model's serving artifact (plain arrays ranked with
  numpy alone, :mod:`matcher.engine.serving`) when the model has one, and in the same run from
  the whole pickled model (a copy of the model's folder whose manifest lists no serving
  artifact: the path of models saved without one);
* **parts**, each alone in a fresh process, to show where the command's time goes: the imports
  it pays for (the light ones a ranking with numpy alone would keep: click, the taxonomy and the
  translations; pandas, scipy's sparse matrices, scikit-learn's ``sklearn.base``, joblib, numba
  with the first call of a compiled loop that its cache on disk already holds, and the whole
  engine, ``matcher.engine.ranking``; the serving path's, ``matcher.engine.serving``), and, in
  one process whose imports are done, loading the model (``load_model``: hash check and
  unpickling; ``load_serving``: hash check and memory maps) and one ``recommend`` of each (first
  and second call).

The model must exist: ``matcher train --sample --no-evaluate`` writes ``models/sample`` in
seconds (``--models-dir`` elsewhere). Prints one JSON document; ``--out`` also writes it.

Usage::

    flock /tmp/h18/bench.lock .venv/bin/python benchmarks/bench_startup.py --runs 15
    .venv/bin/python benchmarks/bench_startup.py --models-dir /tmp/models --runs 5 --out startup.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: The command's target (issue 18): wall time, Python's start-up included.
TARGET_SECONDS = 0.5

#: Each import alone, in a fresh process (what the command pays for, part by part).
IMPORTS = {
    # What a command that ranks with numpy alone would still import: the floor of a serving
    # path free of pandas, scikit-learn and numba.
    "import numpy, click, matcher.taxonomy, matcher.i18n": (
        "import numpy, click, matcher.taxonomy, matcher.i18n"
    ),
    "import pandas": "import pandas",
    "import scipy.sparse": "import scipy.sparse",
    "import sklearn.base": "import sklearn.base",
    "import joblib": "import joblib",
    "import numba + first cached call": (
        "import numpy as np\n"
        "from matcher.engine.forest import CompiledForest\n"
        "one = np.ones(1, dtype=np.int64)\n"
        "forest = CompiledForest(np.zeros(1, np.int64), np.zeros(1), one * 0, one * 0,\n"
        "    np.zeros(1, bool), np.ones(1, bool), np.zeros(1), np.zeros(1, np.int64),\n"
        "    np.zeros(1, np.int64), np.zeros(1), np.ones(1), np.zeros(1), 1)\n"
        "forest.decision(np.zeros((1, 1)))"
    ),
    "import matcher.engine.ranking (the engine)": "import matcher.engine.ranking",
    "import matcher.engine.serving (the serving path)": "import matcher.engine.serving",
}

#: Run in one process after its imports: the model's load and one ranking, timed inside.
IN_PROCESS = """
import json, sys, time
from matcher.engine.artifacts import load_model
from matcher.engine.ranking import PartnerMatcher
import sklearn.calibration, sklearn.ensemble, sklearn.linear_model, sklearn.pipeline
from matcher.engine.artifacts import load_serving
name, models_dir, member = sys.argv[1:4]
started = time.perf_counter()
served = load_serving(name, models_dir)
loaded = time.perf_counter()
times = {}
if served is not None:
    served.recommend(member)
    first = time.perf_counter()
    served.recommend(member)
    second = time.perf_counter()
    times = {"load_serving": loaded - started, "serving recommend (first call)": first - loaded,
             "serving recommend (second call)": second - first}
started = time.perf_counter()
matcher, _ = load_model(name, models_dir)
loaded = time.perf_counter()
matcher.recommend(member)
first = time.perf_counter()
matcher.recommend(member)
second = time.perf_counter()
print(json.dumps({**times, "load_model": loaded - started,
                  "recommend (first call)": first - loaded,
                  "recommend (second call)": second - first}))
"""


def timed_run(command: list[str]) -> tuple[float, float, str]:
    """Run `command` once; return its wall seconds, its CPU seconds (user + system, from the
    children's resource usage) and its standard output. A failure stops the benchmark."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, check=False, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)!r} failed ({done.returncode}):\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def summary(command: list[str], runs: int) -> dict[str, float]:
    """Median, minimum and maximum wall seconds and median CPU seconds of `runs` fresh runs
    (after one unmeasured run that warms the operating system's file cache)."""
    timed_run(command)
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu, _ = timed_run(command)
        walls.append(wall)
        cpus.append(cpu)
    return {
        "median": round(statistics.median(walls), 3),
        "min": round(min(walls), 3),
        "max": round(max(walls), 3),
        "cpu_median": round(statistics.median(cpus), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="sample", help="model name (default: sample)")
    parser.add_argument("--models-dir", default="models", help="folder of the models")
    parser.add_argument("--member", default="kfc-0001", help="the member to recommend for")
    parser.add_argument("--runs", type=int, default=15, help="fresh processes per figure")
    parser.add_argument("--skip-parts", action="store_true", help="only the floor and command")
    parser.add_argument("--out", type=Path, help="also write the JSON document here")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error(f"Got --runs {args.runs}, expected a positive integer")
    manifest = Path(args.models_dir) / args.model / "manifest.json"
    if not manifest.exists():
        parser.error(
            f"no model at {manifest.parent}: train one first with "
            f"`matcher train --sample --no-evaluate --models-dir {args.models_dir}`"
        )
    python = sys.executable
    matcher_script = str(Path(python).with_name("matcher"))
    command = [matcher_script, "recommend", "--model", args.model, "--member", args.member]
    command += ["--models-dir", args.models_dir]

    has_serving = bool(json.loads(manifest.read_text(encoding="utf-8")).get("serving"))
    load_before = os.getloadavg()
    results: dict[str, dict[str, float]] = {
        "python -c pass": summary([python, "-c", "pass"], args.runs),
        "python -c 'import numpy'": summary([python, "-c", "import numpy"], args.runs),
        "matcher recommend": summary(command, args.runs),
    }
    if has_serving:
        # The same command on the whole pickled model: a copy of the folder whose manifest
        # lists no serving artifact (the pickle linked, not copied).
        with tempfile.TemporaryDirectory(prefix="bench-startup-") as scratch:
            folder = Path(scratch) / args.model
            folder.mkdir()
            document = json.loads(manifest.read_text(encoding="utf-8"))
            (folder / "model.joblib").symlink_to(
                (manifest.parent / document.get("artifact", "model.joblib")).resolve()
            )
            (folder / "manifest.json").write_text(
                json.dumps({**document, "serving": None}), encoding="utf-8"
            )
            whole = command[: command.index("--models-dir") + 1] + [scratch]
            results["matcher recommend (whole model, no serving artifact)"] = summary(
                whole, args.runs
            )
    in_process = None
    if not args.skip_parts:
        for label, code in IMPORTS.items():
            results[label] = summary([python, "-c", code], args.runs)
        runs = [
            json.loads(
                timed_run([python, "-c", IN_PROCESS, args.model, args.models_dir, args.member])[2]
            )
            for _ in range(max(3, args.runs // 3))
        ]
        in_process = {key: round(statistics.median(run[key] for run in runs), 3) for key in runs[0]}
    command_median = results["matcher recommend"]["median"]
    floor = results["python -c 'import numpy'"]["median"]
    document = {
        "command": " ".join(["matcher"] + command[1:]),
        "runs": args.runs,
        "seconds": results,
        "in_process_seconds": in_process,
        "target_seconds": TARGET_SECONDS,
        "met": command_median <= TARGET_SECONDS,
        "over_numpy_floor": round(command_median / floor, 1) if floor else None,
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    text = json.dumps(document, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
