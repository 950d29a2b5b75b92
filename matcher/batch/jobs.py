"""Batch scoring: every member against a list of candidates (a fair's exhibitors), in blocks.

The job is a matrix product plus a top-k selection per member (:mod:`matcher.engine.topk`, over the
candidates' rows of the fitted :class:`~matcher.engine.retrieval.ComplementIndex`), then the learned
re-ranking and the reasons for each member's short list only. Blocks of members are scored
independently, so the same job runs

* in this process (BLAS uses every core for the products),
* in several local processes (``jobs > 1``, joblib; the fitted model is written once to a
  memory-mapped file that every worker opens),
* on a Dask cluster (``scheduler="tcp://host:8786"``; the model is scattered once to every
  worker).

Each finished block is written as its own Parquet part (a temporary file renamed into place),
with a manifest naming the inputs and the settings: a run that stops (Ctrl-C, a crash) resumes
from the parts already written when started again with the same inputs and settings, and the
final outputs are only written, atomically, once every block is done.

For a member, the batch answer is the answer of
``PartnerMatcher.recommend(member, k, scope, filters)`` restricted to the candidates.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..canonical import canonical_sparse
from ..engine.ranking import PartnerMatcher
from ..errors import InputError, UnknownMemberError
from ..files import atomic_write
from .scoring import OUTPUT_COLUMNS, BatchScorer, BatchSpec

logger = logging.getLogger(__name__)

__all__ = ["run_batch"]

# ---------------------------------------------------------------------------------------------
# Running a job: blocks, parts on disk, resume, executors
# ---------------------------------------------------------------------------------------------

_WORKER_SCORERS: dict[str, BatchScorer] = {}


def _unknown_message(role: str, unknown: Sequence[str]) -> str:
    """Names the first ten unknown ids of `role` (members, candidates) and how many there are."""
    more = f" and {len(unknown) - 10:,} more" if len(unknown) > 10 else ""
    return (
        f"{len(unknown):,} {role} not among the fitted profiles: "
        f"{', '.join(map(repr, unknown[:10]))}{more}"
    )


def _score_from_file(path: str, member_rows: np.ndarray) -> pd.DataFrame:
    """Score a block in a worker process, opening the job's scorer file once per process."""
    import joblib
    from threadpoolctl import threadpool_limits

    scorer = _WORKER_SCORERS.get(path)
    if scorer is None:
        # Workers outlive a job (joblib reuses them): keep only this job's memory map open.
        _WORKER_SCORERS.clear()
        scorer = _WORKER_SCORERS[path] = joblib.load(path, mmap_mode="r")
        # Processes share the cores: one BLAS thread each.
        threadpool_limits(1)
    return scorer.score(member_rows)


def _score_remote(scorer: BatchScorer, member_rows: np.ndarray) -> pd.DataFrame:
    """Score a block on a Dask worker (the scorer arrives once per worker, scattered)."""
    return scorer.score(member_rows)


def _fingerprint(payload: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


class _Progress:
    """A tqdm bar on a terminal; otherwise an INFO log line (shown with ``-v``) every 10% (and
    at most every 30 s)."""

    def __init__(self, total: int, done: int, unit: str = "member"):
        import sys

        from tqdm import tqdm

        self.total, self.done = total, done
        self.interactive = sys.stderr.isatty()
        self.bar = tqdm(
            total=total,
            initial=done,
            unit=unit,
            unit_scale=True,
            dynamic_ncols=True,
            disable=not self.interactive,
        )
        self.started = time.monotonic()
        self.last_line = 0.0
        self.next_share = 0.1

    def update(self, n: int) -> None:
        self.done += n
        self.bar.update(n)
        if self.interactive:
            return
        now = time.monotonic()
        share = self.done / max(self.total, 1)
        if share >= self.next_share or now - self.last_line >= 30 or self.done >= self.total:
            elapsed = now - self.started
            rate = n and self.done / max(elapsed, 1e-9)
            left = (self.total - self.done) / rate if rate else float("nan")
            logger.info(
                "batch: %d of %d members (%.0f%%), %.0f/s, %.0f s left",
                self.done,
                self.total,
                100 * share,
                rate,
                left,
            )
            self.last_line = now
            while self.next_share <= share:
                self.next_share += 0.1

    def close(self) -> None:
        self.bar.close()


def run_batch(
    matcher: PartnerMatcher,
    member_ids: Sequence[str],
    candidate_ids: Sequence[str],
    spec: BatchSpec,
    work_dir: str | Path,
    fingerprint: Mapping[str, Any] | None = None,
    jobs: int = 1,
    scheduler: str | None = None,
    progress: bool = True,
    candidate_extra: Mapping[str, Mapping[str, Any]] | None = None,
) -> pd.DataFrame:
    """Score every member against the candidates; return the shortlist table.

    Parameters
    ----------
    matcher : PartnerMatcher
        Fitted on profiles that include the members and the candidates. Its sparse matrices
        are put in canonical form (sorted indices), in place.
    member_ids, candidate_ids : sequence of str
    spec : BatchSpec
    work_dir : path
        Where the parts of the job are kept until it is done (created if needed). A part
        written by an earlier run of the same job (same `fingerprint` and settings) is reused.
    fingerprint : mapping, optional
        What identifies the inputs (file hashes); with the settings, it names the job.
    jobs : int, default=1
        Local worker processes; 1 scores in this process, with BLAS on every core.
    scheduler : str, optional
        Address of a Dask scheduler (``tcp://host:8786``); blocks then run on its workers.
    progress : bool, default=True
        A progress bar on a terminal, INFO log lines otherwise.
    candidate_extra : mapping of str to mapping, optional
        Each candidate's extra columns (see :class:`BatchScorer`); by default those of the
        model's profiles.

    Returns
    -------
    DataFrame
        One row per (member, rank): :data:`OUTPUT_COLUMNS` and the candidates' extra columns.
    """
    unknown = [c for c in member_ids if c not in matcher.position_]
    if unknown:
        raise UnknownMemberError(_unknown_message("members", unknown), unknown)
    if not len(candidate_ids):
        raise InputError("the candidate list is empty: give at least one candidate id")
    # Every path reads the model's sparse matrices in canonical form: worker processes must
    # (they map the model read-only and cannot sort a matrix on first use), and the same form
    # everywhere keeps the paths' sums in the same order.
    canonical_sparse(matcher)
    scorer = BatchScorer(matcher, candidate_ids, spec, candidate_extra)
    member_rows = np.array([matcher.position_[m] for m in member_ids], dtype=np.int64)
    blocks = [
        member_rows[i : i + spec.block_rows] for i in range(0, len(member_rows), spec.block_rows)
    ]

    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    # Format 2: extra columns come from the candidates given, not the model (format 1 parts of
    # a model given by name carried the model's).
    job = {
        "inputs": dict(fingerprint or {}),
        "spec": asdict(spec),
        "members": len(member_rows),
        "member_hash": _fingerprint({"ids": list(member_ids)}),
        "format": 2,
        "extra_hash": None if candidate_extra is None else _fingerprint(dict(candidate_extra)),
    }
    job_id = _fingerprint(job)
    manifest = work / "job.json"
    if manifest.exists():
        try:
            earlier = json.loads(manifest.read_text()).get("job_id")
        except (OSError, ValueError):
            earlier = None
        if earlier != job_id:
            logger.warning("batch: %s holds parts of a different job; starting afresh", work)
            shutil.rmtree(work)
            work.mkdir(parents=True)
    manifest.write_text(
        json.dumps({"job_id": job_id, **job, "blocks": len(blocks)}, indent=1, default=str)
    )

    def part(i: int) -> Path:
        return work / f"part-{i:06d}.parquet"

    pending = [i for i in range(len(blocks)) if not part(i).exists()]
    done_members = len(member_rows) - sum(len(blocks[i]) for i in pending)
    if done_members:
        logger.info(
            "batch: resuming; %d of %d blocks already scored",
            len(blocks) - len(pending),
            len(blocks),
        )
    bar = _Progress(len(member_rows), done_members) if progress else None
    scorer_path = work / f"scorer-{job_id[:16]}.joblib"
    try:
        for i, frame in _execute(scorer, blocks, pending, jobs, scheduler, scorer_path):
            atomic_write(
                part(i), lambda temporary, frame=frame: frame.to_parquet(temporary, index=False)
            )
            if bar:
                bar.update(len(blocks[i]))
    finally:
        if bar:
            bar.close()
    frames = [pd.read_parquet(part(i)) for i in range(len(blocks))]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=list(OUTPUT_COLUMNS))
    return pd.concat(frames, ignore_index=True)


def _execute(
    scorer: BatchScorer,
    blocks: list[np.ndarray],
    pending: list[int],
    jobs: int,
    scheduler: str | None,
    path: Path,
):
    """Yield (block number, shortlist frame) for every pending block, in order as they finish; with local
    workers, the scorer is written to `path` (named after the job: workers keep the scorer of
    the file they opened)."""
    if scheduler:
        from distributed import Client, as_completed

        with Client(scheduler) as client:
            remote = client.scatter(scorer, broadcast=True)
            futures = {
                client.submit(_score_remote, remote, blocks[i], pure=False): i for i in pending
            }
            try:
                for future in as_completed(futures):
                    yield futures[future], future.result()
            finally:
                client.cancel(list(futures))
        return
    if jobs > 1 and len(pending) > 1:
        import joblib

        if not path.exists():
            atomic_write(path, lambda temporary: joblib.dump(scorer, temporary))
        # In submission order: each block still arrives as soon as those before it have.
        # The unordered generator hung now and then with a worker blocked sending its result
        # (seen in the tests; joblib issues 1639 and 1788 report its hangs and races).
        with joblib.Parallel(n_jobs=jobs, return_as="generator") as parallel:
            results = parallel(
                joblib.delayed(_with_index)(i, str(path), blocks[i]) for i in pending
            )
            yield from results
        return
    for i in pending:
        yield i, scorer.score(blocks[i])


def _with_index(i: int, path: str, member_rows: np.ndarray) -> tuple[int, pd.DataFrame]:
    return i, _score_from_file(path, member_rows)
