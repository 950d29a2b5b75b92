"""Match quality on three data sets: the README's evaluation table, reproducible in one command.

The data sets:

* ``sample``: the fictional sample cluster shipped in ``matcher/data/sample`` (the engine was
  developed on data like it);
* ``value-chain``: the second, independent world of :mod:`matcher.datasets.value_chain` (fictional; seed
  0 unless ``--world-seed``), held out from the engine's development. Its latent preferences rank
  as an ``oracle`` row: the ceiling of what its links allow;
* ``benetton``: Benetton Group's supplier list 2023 (``benchmarks/data/benetton-2023``, two
  vendors listed twice merged), real supply-chain data. Source: Benetton Group, supplier list 2023.

Every method is evaluated by :func:`matcher.engine.evaluation.evaluate` (5 folds, seed 0, k = 10; the
matcher with ``model="auto"``, which chooses its model by inner cross-validation, and the
``linear`` baseline beside it). With ``--segments`` the recall@10 of each method is also given
by segment of members (known partners in training: none, 1-2, 3+; stated offers and seeks:
none, 1-2, 3+).

Usage::

    .venv/bin/python benchmarks/bench_quality.py                   # all three, about 8 minutes on 2 cores
    .venv/bin/python benchmarks/bench_quality.py --data value-chain --segments --out results.json

The tables are printed in Markdown; ``--out`` also writes every figure as JSON. With
``--per-query`` the JSON keeps each query's figures and ``--k-max`` adds recall and ndcg at every
cut-off up to it: what notebook 03 reads for the value-chain world, recorded in
``benchmarks/results/value-chain-seed0.json`` by::

    .venv/bin/python benchmarks/bench_quality.py --data value-chain --folds 3 --max-queries 150 \
        --k-max 20 --per-query --out benchmarks/results/value-chain-seed0.json
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd

from matcher.datasets.generator import SAMPLE_DIR
from matcher.datasets.value_chain import generate_value_chain_world
from matcher.engine.evaluation import evaluate
from matcher.profiles import read_links, read_profile_frame, validate_links, validate_profiles

BENETTON = Path(__file__).resolve().parent / "data" / "benetton-2023"
DATA = ("sample", "value-chain", "benetton")


def load(name: str, world_seed: int):
    """(frame, links, extra scorers) of a data set."""
    if name == "sample":
        frame = read_profile_frame(SAMPLE_DIR / "profiles.csv")
        return frame, read_links(SAMPLE_DIR / "links.csv", frame.index), {}
    if name == "value-chain":
        world = generate_value_chain_world(seed=world_seed)
        frame = validate_profiles(world.profiles, source=f"value-chain world, seed {world_seed}")
        links = validate_links(
            world.links, frame["member_id"], source=f"value-chain world, seed {world_seed}"
        )
        return frame, links, {"oracle": world.preference}
    frame = read_profile_frame(BENETTON / "profiles.csv", duplicates="merge")
    return frame, read_links(BENETTON / "links.csv", frame.index), {}


def segments(result: dict, frame: pd.DataFrame) -> pd.DataFrame:
    """Mean recall@10 by method and segment of members, with the number of queries."""
    rows = pd.DataFrame(result["per_query"])
    tags = (frame["offers"].map(len) + frame["seeks"].map(len)).rename("tags")
    rows = rows.merge(
        pd.DataFrame({"member_id": frame["member_id"].to_numpy(), "tags": tags.to_numpy()}),
        on="member_id",
    )
    bins, labels = [-1, 0, 2, np.inf], ["none", "1-2", "3+"]
    rows["known partners"] = pd.cut(rows["known_partners"], bins, labels=labels)
    rows["stated tags"] = pd.cut(rows["tags"], bins, labels=labels)
    tables = []
    for segment in ("known partners", "stated tags"):
        table = rows.pivot_table(
            index=segment, columns="method", values="recall@10", aggfunc="mean", observed=True
        )
        table = table[list(result["methods"])]
        table["queries"] = rows[rows["method"] == "matcher"].groupby(segment, observed=True).size()
        table.index = [f"{segment}: {value}" for value in table.index]
        tables.append(table)
    return pd.concat(tables)


def markdown(result: dict) -> str:
    lines = [
        "| method | recall@10 | ndcg@10 | mrr | coverage |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, figures in result["methods"].items():
        cells = [f"{figures[m]:.3f}" for m in ("recall@10", "ndcg@10", "mrr", "coverage")]
        if name == "matcher":
            cells = [f"**{c}**" for c in cells[:3]] + cells[3:]
            name = "**matcher**"
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data", default=",".join(DATA), help=f"comma-separated among {', '.join(DATA)}"
    )
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0, help="seed of the folds")
    parser.add_argument("--world-seed", type=int, default=0, help="seed of the value-chain world")
    parser.add_argument(
        "--segments", action="store_true", help="also recall@10 by segment of members"
    )
    parser.add_argument("--max-queries", type=int, help="queries per fold at most (all by default)")
    parser.add_argument(
        "--k-max", type=int, default=10, help="recall and ndcg at every cut-off from 1 to this"
    )
    parser.add_argument(
        "--per-query", action="store_true", help="keep each query's figures in the JSON"
    )
    parser.add_argument("--out", type=Path, help="write every figure as JSON")
    args = parser.parse_args()
    names = [n.strip() for n in args.data.split(",") if n.strip()]
    unknown = set(names) - set(DATA)
    if unknown:
        parser.error(f"unknown data sets {sorted(unknown)}; allowed: {', '.join(DATA)}")
    report = {
        "machine": {
            "python": platform.python_version(),
            "processor": platform.processor() or platform.machine(),
        },
        "date": time.strftime("%Y-%m-%d"),
        "commit": _commit(),
        "parameters": {
            "folds": args.folds,
            "seed": args.seed,
            "world_seed": args.world_seed,
            "k": 10,
            "k_max": args.k_max,
            "max_queries": args.max_queries,
        },
        "data": {},
    }
    for name in names:
        frame, links, scorers = load(name, args.world_seed)
        result = evaluate(
            frame,
            links,
            k=10,
            folds=args.folds,
            seed=args.seed,
            scorers=scorers,
            ks=range(1, args.k_max + 1),
            max_queries=args.max_queries,
            per_query=args.segments or args.per_query,
        )
        per_query = result.get("per_query") if args.per_query else result.pop("per_query", None)
        print(
            f"\n## {name}: {result['profiles']} profiles, {result['links']} positive links, "
            f"{result['queries']} queries, {result['seconds']} s\n"
        )
        print(markdown(result))
        for warning in result.get("warnings", []):
            print(f"\nwarning: {warning}")
        if per_query is not None:
            table = segments({**result, "per_query": per_query}, frame)
            print("\nrecall@10 by segment\n")
            print(table.round(3).to_string())
            result["segments"] = json.loads(table.round(4).to_json(orient="index"))
        report["data"][name] = result
    if args.out:
        # Each query's figures make thousands of rows: those files are written compact.
        indent = None if args.per_query else 2
        args.out.write_text(json.dumps(report, indent=indent) + "\n", encoding="utf-8")


def _commit() -> str | None:
    """The commit of the working tree the figures come from (None outside a git checkout)."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip() or None


if __name__ == "__main__":
    main()
