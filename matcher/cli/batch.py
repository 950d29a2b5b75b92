"""``matcher batch``: every member's shortlist against a fair's exhibitors (see :mod:`matcher.batch`)."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .commands import (
    BadInput,
    _duplicates_option,
    _filters,
    _models_dir_option,
    _reasons_language_option,
    _run,
    _scope_option,
    filter_options,
)

if TYPE_CHECKING:
    from ..profiles import Link

logger = logging.getLogger(__name__)

_OUTPUT_SUFFIXES = (".csv", ".xlsx", ".parquet")
#: Up to this many profiles, ``--jobs 0`` scores in one process per core: 24% faster than BLAS
#: threads in one process at 10,000 x 10,000 on 2 cores (BENCHMARKS.md), where re-ranking and
#: reasons, not the products, take most of the time. Read when a job starts (tests patch it).
AUTO_JOBS_UP_TO = 200_000


def choose_jobs(jobs: int, n_profiles: int) -> int:
    """The local worker processes for ``--jobs``: `jobs` itself when given; for 0, one per core
    up to :data:`AUTO_JOBS_UP_TO` profiles in the model, else 1 (each worker would hold its
    own copy of the model's tables)."""
    if jobs:
        return jobs
    return (os.cpu_count() or 1) if n_profiles <= AUTO_JOBS_UP_TO else 1


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
        raise BadInput(
            f"{option} {path}: unsupported file type {Path(path).suffix!r}; "
            f"use {', '.join(_OUTPUT_SUFFIXES)}"
        )


class _ExtraColumnsExpected(logging.Filter):
    """Shows the profile reader's warning about columns outside the format as information: in
    a candidate file they are expected (hall, stand, ...) and written beside each suggestion.
    The record is known by its text (tests/batch/test_batch_inputs.py fails if that changes)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.WARNING and "kept as extra data" in record.getMessage():
            record.levelno, record.levelname = logging.INFO, "INFO"
            return logging.getLogger(record.name).isEnabledFor(logging.INFO)
        return True


@contextlib.contextmanager
def _extra_columns_expected() -> Iterator[None]:
    profiles_logger = logging.getLogger("matcher.profiles")
    expected = _ExtraColumnsExpected()
    profiles_logger.addFilter(expected)
    try:
        yield
    finally:
        profiles_logger.removeFilter(expected)


def _read_both(members: str, candidates: str, duplicates: str):
    """Check both profile files whole before anything runs; report both files' problems."""
    from ..profiles import ProfileValidationError, read_profile_frame

    # One file in both roles (every member against every other) is read and checked once,
    # its extra columns expected as in a candidate file.
    same = _same_file(members, candidates)
    roles = ((candidates, True),) if same else ((members, False), (candidates, True))
    frames, problems = [], []
    for path, has_extra in roles:
        try:
            with _extra_columns_expected() if has_extra else contextlib.nullcontext():
                frames.append(read_profile_frame(path, duplicates=duplicates))
        except ProfileValidationError as error:
            problems.append(str(error))
        except FileNotFoundError as error:
            problems.append(str(error))
    if problems:
        raise BadInput("\n".join(problems))
    return [frames[0], frames[0]] if same else frames


def _same_file(first: str, second: str) -> bool:
    try:
        return os.path.samefile(first, second)
    except OSError:  # a missing file: reported when it is read
        return False


def _union(member_frame, candidate_frame):
    """Members and candidates as one frame; an id in both keeps the member's row and gains the
    candidate row's extra columns (hall, stand, ...)."""
    import pandas as pd

    if candidate_frame is member_frame:
        return member_frame
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


def _read_relevant_links(path: str, profile_ids: Iterable[str]) -> list[Link]:
    """The links of `path` between the given profiles. Every row is checked (a malformed row is
    an error naming it); a link naming an organisation in neither file is skipped: the
    cluster's whole links file is the natural input, and those links say nothing of this job."""
    from ..profiles import read_links

    links = read_links(path)
    ids = set(profile_ids)
    relevant = [link for link in links if link.source in ids and link.target in ids]
    skipped = len(links) - len(relevant)
    if skipped:
        logger.warning(
            "%s: skipped %s link%s that name organisations in neither --members nor --candidates",
            path,
            f"{skipped:,}",
            "" if skipped == 1 else "s",
        )
    return relevant


def _check_links_to_learn_from(model_kind: str, known_links: list[Link], given: bool) -> None:
    """Refuse ``--model-kind gbt`` or ``logistic`` without the positive links it learns from,
    before the model is fitted (the fit refuses them too, naming its parameter, not the
    option)."""
    from ..engine.ranking import PartnerMatcher

    if model_kind not in ("gbt", "logistic"):
        return
    pairs = len({(link.source, link.target) for link in known_links if link.positive})
    least = PartnerMatcher.MIN_LEARNING_PAIRS
    if pairs < least:
        where = "--links holds" if given else "without --links there are"
        raise BadInput(
            f"--model-kind {model_kind} learns the score from known positive links "
            f"(partner, supplier or deal) and needs at least {least} distinct pairs "
            f"among --members and --candidates; {where} {pairs}. Give --links, or "
            "use --model-kind auto or default"
        )


@click.command()
@click.option(
    "--members",
    required=True,
    type=click.Path(dir_okay=False),
    help="Profile file of the members to score (.csv, .xlsx or .json).",
)
@click.option(
    "--candidates",
    required=True,
    type=click.Path(dir_okay=False),
    help="Profile file of the candidates (a fair's exhibitors); extra columns such as "
    "hall, stand or fair day are kept in the output.",
)
@click.option(
    "--links",
    type=click.Path(dir_okay=False),
    help="Known links among members and candidates (to learn from and never re-suggest).",
)
@click.option(
    "--model",
    "model_name",
    default=None,
    help="A trained model whose profiles include every member and candidate; without "
    "it, a model is fitted on the two files (and --links).",
)
@_models_dir_option
@click.option(
    "--k",
    default=20,
    show_default=True,
    type=click.IntRange(min=1),
    help="Shortlist length per member.",
)
@_scope_option
@filter_options
@_reasons_language_option
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False),
    help="Shortlists: .csv, .xlsx (printable, one sheet per member up to 200) or .parquet.",
)
@click.option(
    "--reverse",
    "reverse_out",
    type=click.Path(dir_okay=False),
    help="Also write, for each candidate, the members that should visit it.",
)
@click.option(
    "--summary",
    "summary_out",
    type=click.Path(dir_okay=False),
    help="Also write one summary row per member.",
)
@click.option(
    "--jobs",
    default=0,
    show_default=True,
    type=click.IntRange(min=0),
    help="Local worker processes; 1: this process, BLAS on every core; 0: one per core "
    f"up to {AUTO_JOBS_UP_TO:,} profiles (faster: re-ranking is Python), else 1 "
    "(each worker holds its own copy of the model's tables).",
)
@click.option(
    "--scheduler",
    envvar="DASK_SCHEDULER_ADDRESS",
    default=None,
    help="Dask scheduler address (tcp://host:8786; or DASK_SCHEDULER_ADDRESS): score "
    "blocks of members on its workers.",
)
@click.option(
    "--block-rows",
    default=256,
    show_default=True,
    type=click.IntRange(min=1),
    help="Members scored together (memory grows with block x candidates).",
)
@click.option(
    "--work-dir",
    type=click.Path(file_okay=False),
    help="Where finished blocks are kept until the job is done [default: OUT.parts]; "
    "an interrupted run resumes from them.",
)
@click.option(
    "--model-kind",
    type=click.Choice(["auto", "gbt", "logistic", "default"]),
    default="auto",
    show_default=True,
    help="Score model when fitting on the two files.",
)
@click.option("--seed", default=0, show_default=True, type=int)
@_duplicates_option("error")
def batch(
    members,
    candidates,
    links,
    model_name,
    models_dir,
    k,
    scope,
    country,
    org_type,
    partnership_type,
    certification,
    language,
    out,
    reverse_out,
    summary_out,
    jobs,
    scheduler,
    block_rows,
    work_dir,
    model_kind,
    seed,
    duplicates,
):
    """Score every member against the candidates and write each member's shortlist."""
    from ..batch.jobs import run_batch
    from ..batch.outputs import EXCEL_MAX_ROWS, member_summary, reverse_view, write_table
    from ..batch.scoring import BatchSpec

    def action():
        for path, option in (
            (out, "--out"),
            (reverse_out, "--reverse"),
            (summary_out, "--summary"),
        ):
            _check_output(path, option)
        filters = _filters(country, org_type, partnership_type, certification)
        spec = BatchSpec(
            k=k, scope=scope, filters=filters, language=language, block_rows=block_rows
        )
        member_frame, candidate_frame = _read_both(members, candidates, duplicates)
        if Path(out).suffix.lower() == ".xlsx" and len(member_frame) * (k + 2) > EXCEL_MAX_ROWS:
            raise BadInput(
                f"{len(member_frame):,} members x {k} suggestions do not fit in an Excel "
                "sheet; write --out as .csv or .parquet"
            )
        if model_name and links:
            raise BadInput(
                "--links are learned when fitting; with --model the model's own links apply"
            )
        union = _union(member_frame, candidate_frame)
        known_links = _read_relevant_links(links, union["member_id"]) if links else []
        if not model_name:
            _check_links_to_learn_from(model_kind, known_links, bool(links))
        fingerprint = {
            "members": _file_hash(members),
            "candidates": _file_hash(candidates),
            "links": _file_hash(links),
            "model_kind": model_kind,
            "seed": seed,
        }
        if model_name:
            from ..engine.artifacts import load_model, read_manifest

            matcher, _ = load_model(model_name, models_dir)
            fingerprint["model"] = read_manifest(model_name, models_dir).get("sha256")
            missing = sorted(set(union["member_id"]) - set(matcher.position_))
            if missing:
                raise BadInput(
                    f"{len(missing)} profiles are not in model {model_name!r} "
                    f"(e.g. {', '.join(missing[:5])}); leave out --model to fit on the files"
                )
        else:
            from ..engine.ranking import PartnerMatcher

            logger.info("batch: fitting on %d profiles and %d links", len(union), len(known_links))
            matcher = PartnerMatcher(model=model_kind, random_state=seed, language=language).fit(
                union, known_links
            )
        workers = choose_jobs(jobs, len(matcher.frame_))
        work = Path(work_dir) if work_dir else Path(str(out) + ".parts")
        where = f"on {scheduler}" if scheduler else f"in {workers} process" + "es" * (workers > 1)
        logger.info(
            "batch: %d members against %d candidates, blocks of %d, %s",
            len(member_frame),
            len(candidate_frame),
            block_rows,
            where,
        )
        # The candidate file's extra columns (hall, stand, ...), also when the model was fitted
        # on other files: a model's own profiles carry the columns of those files.
        candidate_extra = dict(zip(candidate_frame["member_id"], candidate_frame["extra"]))
        try:
            shortlists = run_batch(
                matcher,
                list(member_frame["member_id"]),
                list(candidate_frame["member_id"]),
                spec,
                work,
                fingerprint=fingerprint,
                jobs=workers,
                scheduler=scheduler,
                candidate_extra=candidate_extra,
            )
        except KeyboardInterrupt:
            click.echo(
                f"interrupted; finished blocks are kept in {work}: run the same command "
                "again to resume",
                err=True,
            )
            raise SystemExit(130) from None
        # The summary is a sheet of an XLSX shortlist, or its own file: not written otherwise.
        wanted = summary_out or Path(out).suffix.lower() == ".xlsx"
        summary = member_summary(shortlists) if wanted else None
        write_table(shortlists, out, summary=summary)
        if reverse_out:
            write_table(reverse_view(shortlists), reverse_out)
        if summary_out:
            write_table(summary, summary_out)
        shutil.rmtree(work, ignore_errors=True)
        click.echo(
            f"{len(shortlists):,} suggestions for {shortlists['member_id'].nunique() if len(shortlists) else 0:,} "
            f"of {len(member_frame):,} members against {len(candidate_frame):,} candidates; "
            f"written to {out}"
        )

    _run(action)
