"""``PartnerMatcher.fit`` on generated profiles: wall time, memory added above the loaded
frame, and the time of each of its steps.

The profiles and links are generated once (``generate_profiles``/``generate_links``, seed 0),
validated and pickled to ``--data`` (a million take about 100 s and 600 MB), so that a later run
times the fit alone, above a frame already in memory, as the issue's figure ("52 s, 4.16 GB
above a loaded frame") was taken. The peak is the process's high-water mark (``VmHWM``, reset
through ``/proc/self/clear_refs`` after loading) less the resident size before the fit.

Each step is timed by wrapping the method that does it (wall seconds, summed over calls; the
steps nest, so they do not add up to the fit): reading the links, splitting the texts,
encoding the tag views, the pair space and link statistics, the profile arrays and views, the
embedding, the index and the first stage, the training pairs, the model selection, the
scorer's fit and the candidate-stage choice.

Usage (a million profiles use about 7 GB at the peak: run nothing else large beside it)::

    .venv/bin/python benchmarks/bench_fit.py --profiles 1000000 --data /tmp/profiles-1m.pkl
    .venv/bin/python benchmarks/bench_fit.py --profiles 100000 --data /tmp/profiles-100k.pkl \
        --model-out /tmp/m100k.pkl --out fit-100k.json
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import os
import pickle
import platform
import time
from pathlib import Path

#: The target of issue 18 at a million profiles.
TARGET_SECONDS = 40
TARGET_ADDED_MB = 3 * 1024


def _status_mb(key: str) -> float:
    """A memory figure of this process from ``/proc/self/status`` (``VmRSS:``, ``VmHWM:``)."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(key):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"{key} not in /proc/self/status")


def _profiles(n: int, data: Path | None):
    """The validated frame and links of `n` generated profiles, from `data` when it holds them."""
    if data is not None and data.exists():
        with open(data, "rb") as handle:
            frame, links = pickle.load(handle)
        if len(frame) != n:
            raise SystemExit(f"{data} holds {len(frame)} profiles, not {n}: give another --data")
        return frame, links, None
    from matcher.datasets.generator import generate_links, generate_profiles
    from matcher.profiles import validate_links, validate_profiles

    started = time.perf_counter()
    raw = generate_profiles(n, seed=0)
    raw_links = generate_links(raw, seed=0)
    frame = validate_profiles(raw, source="generated")
    links = validate_links(raw_links, frame["member_id"], source="generated-links")
    generated_s = round(time.perf_counter() - started, 1)
    if data is not None:
        with open(data, "wb") as handle:
            pickle.dump((frame, links), handle, protocol=5)
    return frame, links, generated_s


def _timed_steps() -> dict[str, float]:
    """Wrap the fit's steps so that each call adds its wall time to the returned dict."""
    from matcher.engine import ranking

    steps: dict[str, float] = {}

    def wrap(owner, name: str, label: str) -> None:
        original = getattr(owner, name)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                steps[label] = steps.get(label, 0.0) + time.perf_counter() - started

        setattr(owner, name, timed)

    matcher = ranking.PartnerMatcher
    for owner, name, label in [
        (matcher, "_read_links", "links read"),
        (ranking, "split_texts", "texts split"),
        (ranking.OfferNeedEncoder, "fit_transform_views", "tag views encoded"),
        (ranking.PairSpace, "__init__", "pair space"),
        (ranking.PairSpace, "arrays", "profile arrays"),
        (ranking.LinkStats, "__init__", "link statistics"),
        (matcher, "_views", "need and offer views"),
        (matcher, "_profile_vectors", "profile vectors"),
        (matcher, "_embed", "embedding"),
        (ranking.ComplementIndex, "fit", "index"),
        (ranking.FirstStage, "fit", "first stage"),
        (matcher, "_training_pairs", "training pairs"),
        (ranking, "select_model", "model selection"),
        (matcher, "_fit_scorer", "scorer fit"),
        (matcher, "_choose_first_stage_rows", "candidate-stage choice"),
    ]:
        wrap(owner, name, label)
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=1_000_000)
    parser.add_argument(
        "--data", type=Path, help="Pickle of the generated frame and links (made when missing)."
    )
    parser.add_argument("--model-out", type=Path, help="Pickle the fitted model here.")
    parser.add_argument("--out", type=Path, help="Also write the JSON result here.")
    args = parser.parse_args()

    frame, links, generated_s = _profiles(args.profiles, args.data)
    steps = _timed_steps()
    from matcher.engine.ranking import PartnerMatcher

    gc.collect()
    before = _status_mb("VmRSS:")
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")  # resets VmHWM to the current resident size
    load_before = os.getloadavg()
    started = time.perf_counter()
    matcher = PartnerMatcher(random_state=0).fit(frame, links)
    fit_s = time.perf_counter() - started
    added = _status_mb("VmHWM:") - before
    result = {
        "profiles": len(frame),
        "links": len(links),
        "generated_and_validated_s": generated_s,
        "fit_s": round(fit_s, 1),
        "fit_target_s": TARGET_SECONDS,
        "rss_before_mb": round(before),
        "peak_added_mb": round(added),
        "peak_added_target_mb": TARGET_ADDED_MB,
        "steps_s": {name: round(seconds, 2) for name, seconds in steps.items()},
        "model": matcher.model_kind_,
        "candidate_stage": matcher.candidate_stage_,
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "machine": {
            "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
        },
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    if args.model_out:
        with open(args.model_out, "wb") as handle:
            pickle.dump(matcher, handle, protocol=5)


if __name__ == "__main__":
    main()
