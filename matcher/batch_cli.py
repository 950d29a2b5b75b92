"""``matcher batch``: every member's shortlist against a fair's exhibitors (see :mod:`matcher.batch`)."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from pathlib import Path

import click

from .cli import BadInput, _duplicates_option, _filters, _models_dir_option, _run, filter_options

logger = logging.getLogger(__name__)

_OUTPUT_SUFFIXES = (".csv", ".xlsx", ".parquet")
#: Up to this many profiles, ``--jobs 0`` scores in one process per core: 24% faster than BLAS
#: threads in one process at 10,000 x 10,000 on 2 cores (BENCHMARKS.md), where re-ranking and
#: reasons, not the products, take most of the time.
AUTO_JOBS_UP_TO = 200_000


def _file_hash(path: str | None) -> str | None:
    if not path:
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_output(path: str | None, option: str) -> None:
    if path and Path(path).suffix.lower() not in _OUTPUT_SUFFIXES:
        raise BadInput(f"{option} {path}: unsupported file type {Path(path).suffix!r}; "
                       f"use {', '.join(_OUTPUT_SUFFIXES)}")


def _read_both(members: str, candidates: str, duplicates: str):
    """Check both profile files whole before anything runs; report both files' problems."""
    from .profiles import ProfileValidationError, read_profile_frame

    frames, problems = [], []
    for path in (members, candidates):
        try:
            frames.append(read_profile_frame(path, duplicates=duplicates))
        except ProfileValidationError as error:
            problems.append(str(error))
        except FileNotFoundError as error:
            problems.append(str(error))
    if problems:
        raise BadInput("\n".join(problems))
    return frames


def _union(member_frame, candidate_frame):
    """Members and candidates as one frame; an id in both keeps the member's row and gains the
    candidate row's extra columns (hall, stand, ...)."""
    import pandas as pd

    extra_rows = candidate_frame[~candidate_frame["member_id"].isin(member_frame["member_id"])]
    union = pd.concat([member_frame, extra_rows])
    both = candidate_frame[candidate_frame["member_id"].isin(member_frame["member_id"])]
    if len(both):
        union = union.copy()
        for member_id, extra in zip(both["member_id"], both["extra"]):
            merged = dict(union.at[member_id, "extra"] or {})
            merged.update(extra or {})
            union.at[member_id, "extra"] = merged
    return union


@click.command()
@click.option("--members", required=True, type=click.Path(dir_okay=False),
              help="Profile file of the members to score (.csv, .xlsx or .json).")
@click.option("--candidates", required=True, type=click.Path(dir_okay=False),
              help="Profile file of the candidates (a fair's exhibitors); extra columns such as "
                   "hall, stand or fair day are kept in the output.")
@click.option("--links", type=click.Path(dir_okay=False),
              help="Known links among members and candidates (to learn from and never re-suggest).")
@click.option("--model", "model_name", default=None,
              help="A trained model whose profiles include every member and candidate; without "
                   "it, a model is fitted on the two files (and --links).")
@_models_dir_option
@click.option("--k", default=20, show_default=True, type=click.IntRange(min=1),
              help="Shortlist length per member.")
@click.option("--scope", type=click.Choice(["all", "cluster", "international"]), default="all",
              show_default=True)
@filter_options
@click.option("--language", type=click.Choice(["en", "uk"]), default="en", show_default=True,
              help="Language of the reasons.")
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="Shortlists: .csv, .xlsx (printable, one sheet per member up to 200) or .parquet.")
@click.option("--reverse", "reverse_out", type=click.Path(dir_okay=False),
              help="Also write, for each candidate, the members that should visit it.")
@click.option("--summary", "summary_out", type=click.Path(dir_okay=False),
              help="Also write one summary row per member.")
@click.option("--jobs", default=0, show_default=True, type=click.IntRange(min=0),
              help="Local worker processes; 1: this process, BLAS on every core; 0: one per core "
                   f"up to {AUTO_JOBS_UP_TO:,} profiles (faster: re-ranking is Python), else 1 "
                   "(each worker holds its own copy of the model's tables).")
@click.option("--scheduler", envvar="DASK_SCHEDULER_ADDRESS", default=None,
              help="Dask scheduler address (tcp://host:8786; or DASK_SCHEDULER_ADDRESS): score "
                   "blocks of members on its workers.")
@click.option("--block-rows", default=256, show_default=True, type=click.IntRange(min=1),
              help="Members scored together (memory grows with block x candidates).")
@click.option("--work-dir", type=click.Path(file_okay=False),
              help="Where finished blocks are kept until the job is done [default: OUT.parts]; "
                   "an interrupted run resumes from them.")
@click.option("--model-kind", type=click.Choice(["auto", "gbt", "logistic", "default"]), default="auto",
              show_default=True, help="Score model when fitting on the two files.")
@click.option("--seed", default=0, show_default=True, type=int)
@_duplicates_option("error")
def batch(members, candidates, links, model_name, models_dir, k, scope, country, org_type,
          partnership_type, certification, language, out, reverse_out, summary_out, jobs, scheduler,
          block_rows, work_dir, model_kind, seed, duplicates):
    """Score every member against the candidates and write each member's shortlist."""
    from .batch import BatchSpec, member_summary, reverse_view, run_batch, write_table
    from .profiles import read_links

    def action():
        for path, option in ((out, "--out"), (reverse_out, "--reverse"), (summary_out, "--summary")):
            _check_output(path, option)
        filters = _filters(country, org_type, partnership_type, certification)
        spec = BatchSpec(k=k, scope=scope, filters=filters, language=language, block_rows=block_rows)
        member_frame, candidate_frame = _read_both(members, candidates, duplicates)
        if Path(out).suffix.lower() == ".xlsx" and len(member_frame) * (k + 2) > 1_048_575:
            raise BadInput(f"{len(member_frame):,} members x {k} suggestions do not fit in an Excel "
                           "sheet; write --out as .csv or .parquet")
        union = _union(member_frame, candidate_frame)
        known_links = read_links(links, union["member_id"]) if links else []
        fingerprint = {"members": _file_hash(members), "candidates": _file_hash(candidates),
                       "links": _file_hash(links), "model_kind": model_kind, "seed": seed}
        if model_name:
            from .artifacts import load_model, read_manifest

            if links:
                raise BadInput("--links are learned when fitting; with --model the model's own links apply")
            matcher, _ = load_model(model_name, models_dir)
            fingerprint["model"] = read_manifest(model_name, models_dir).get("sha256")
            missing = sorted(set(union["member_id"]) - set(matcher.position_))
            if missing:
                raise BadInput(f"{len(missing)} profiles are not in model {model_name!r} "
                               f"(e.g. {', '.join(missing[:5])}); leave out --model to fit on the files")
        else:
            from .ranking import PartnerMatcher

            logger.warning("batch: fitting on %d profiles and %d links", len(union), len(known_links))
            matcher = PartnerMatcher(model=model_kind, random_state=seed, language=language).fit(union, known_links)
        small = len(matcher.frame_) <= AUTO_JOBS_UP_TO
        workers = jobs or ((os.cpu_count() or 1) if small else 1)
        work = Path(work_dir) if work_dir else Path(str(out) + ".parts")
        try:
            shortlists = run_batch(matcher, list(member_frame["member_id"]), list(candidate_frame["member_id"]),
                                   spec, work, fingerprint=fingerprint, jobs=workers, scheduler=scheduler)
        except KeyboardInterrupt:
            click.echo(f"interrupted; finished blocks are kept in {work}: run the same command "
                       "again to resume", err=True)
            raise SystemExit(130) from None
        summary = member_summary(shortlists)
        write_table(shortlists, out, summary=summary)
        if reverse_out:
            write_table(reverse_view(shortlists), reverse_out)
        if summary_out:
            write_table(summary, summary_out)
        shutil.rmtree(work, ignore_errors=True)
        click.echo(f"{len(shortlists):,} suggestions for {shortlists['member_id'].nunique() if len(shortlists) else 0:,} "
                   f"of {len(member_frame):,} members against {len(candidate_frame):,} candidates; "
                   f"written to {out}")

    _run(action)
