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
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..canonical import canonical_sparse
from ..engine.ranking import LANGUAGES, SCOPES, PartnerMatcher
from ..errors import InputError, UnknownMemberError
from ..files import atomic_write
from ..spreadsheets import safe_cell, safe_cells, sheet_title

logger = logging.getLogger(__name__)

__all__ = [
    "OUTPUT_COLUMNS",
    "BatchScorer",
    "BatchSpec",
    "member_summary",
    "reverse_view",
    "run_batch",
    "write_table",
]

#: The first columns of the shortlist table; a candidate file's extra columns follow.
OUTPUT_COLUMNS = (
    "member_id",
    "rank",
    "partner_id",
    "partner_name",
    "score",
    "reasons",
    "member_name",
    "partner_country",
    "partner_org_type",
    "partner_network",
)


@dataclass(frozen=True)
class BatchSpec:
    """What a batch job asks: the shortlist size, the scope and filters, the language."""

    k: int = 20
    scope: str = "all"
    filters: Mapping[str, Any] = field(default_factory=dict)
    language: str = "en"
    block_rows: int = 256

    def __post_init__(self):
        for name in ("k", "block_rows"):
            value = getattr(self, name)
            if not (
                isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value > 0
            ):
                raise InputError(f"Got {name}={value!r}, expected a positive integer")
        if self.scope not in SCOPES:
            raise InputError(f"Got scope={self.scope!r}, expected one of {', '.join(SCOPES)}")
        if self.language not in LANGUAGES:
            raise InputError(
                f"Got language={self.language!r}, expected one of {', '.join(map(repr, LANGUAGES))}"
            )


class BatchScorer:
    """Scores blocks of members against a fixed set of candidates with a fitted matcher:
    :meth:`PartnerMatcher.recommend_many` over the candidates, one block at a time, as rows of
    the shortlist table.

    Parameters
    ----------
    matcher : PartnerMatcher
        Fitted on profiles that include every member and every candidate.
    candidate_ids : sequence of str
    spec : BatchSpec
    candidate_extra : mapping of str to mapping, optional
        Each candidate's extra columns (hall, stand, ...), written beside each suggestion of
        it; by default those of the model's own profiles. A model given by name was fitted on
        other files: the candidate file's columns are the ones to write.
    """

    def __init__(
        self,
        matcher: PartnerMatcher,
        candidate_ids: Sequence[str],
        spec: BatchSpec,
        candidate_extra: Mapping[str, Mapping[str, Any]] | None = None,
    ):
        self.matcher = matcher
        self.spec = spec
        self.candidate_extra = None if candidate_extra is None else dict(candidate_extra)
        self.candidates = matcher.candidate_set(candidate_ids)
        #: Whether every candidate is scored (no retrieval stage): at most ``exhaustive_below``
        #: candidates, or a model without a vector index.
        self.exhaustive = matcher.index_ is None or len(self.candidates) <= matcher.exhaustive_below

    def score(self, member_rows: np.ndarray) -> pd.DataFrame:
        """The shortlists of the members at `member_rows` (rows of the fitted profiles)."""
        m, spec = self.matcher, self.spec
        ids = m.frame_["member_id"].to_numpy()[np.asarray(member_rows, dtype=np.int64)].tolist()
        shortlists = m.recommend_many(
            ids,
            spec.k,
            candidates=self.candidates,
            scope=spec.scope,
            filters=spec.filters,
            language=spec.language,
        )
        records: list[dict[str, Any]] = []
        for member_id, suggestions in zip(ids, shortlists):
            profile = m.profile(member_id)
            for rank, suggestion in enumerate(suggestions, start=1):
                partner = m.profile(suggestion.partner_id)
                record = {
                    "member_id": profile.member_id,
                    "rank": rank,
                    "partner_id": suggestion.partner_id,
                    "partner_name": suggestion.name,
                    "score": round(suggestion.score, 4),
                    "reasons": "; ".join(suggestion.reasons),
                    "member_name": profile.name,
                    "partner_country": partner.country,
                    "partner_org_type": partner.org_type,
                    "partner_network": partner.network,
                }
                extra = (
                    partner.extra
                    if self.candidate_extra is None
                    else self.candidate_extra.get(suggestion.partner_id)
                )
                for key, value in (extra or {}).items():
                    record.setdefault(str(key), value)
                records.append(record)
        return pd.DataFrame.from_records(records, columns=None if records else list(OUTPUT_COLUMNS))


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
    """Yield (block number, shortlist frame) for every pending block, as they finish; with local
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
        with joblib.Parallel(n_jobs=jobs, return_as="generator_unordered") as parallel:
            results = parallel(
                joblib.delayed(_with_index)(i, str(path), blocks[i]) for i in pending
            )
            yield from results
        return
    for i in pending:
        yield i, scorer.score(blocks[i])


def _with_index(i: int, path: str, member_rows: np.ndarray) -> tuple[int, pd.DataFrame]:
    return i, _score_from_file(path, member_rows)


# ---------------------------------------------------------------------------------------------
# Views of the result and writing them
# ---------------------------------------------------------------------------------------------


def reverse_view(shortlists: pd.DataFrame, per_candidate: int | None = None) -> pd.DataFrame:
    """For each candidate (exhibitor), the members that should visit it, best score first.

    Columns: ``partner_id, partner_name, visitor_rank, member_id, member_name, score,
    member_rank`` (the candidate's place in that member's shortlist), ``reasons``, and the
    candidate's extra columns.
    """
    columns = [
        "partner_id",
        "partner_name",
        "visitor_rank",
        "member_id",
        "member_name",
        "score",
        "member_rank",
        "reasons",
    ]
    if shortlists.empty:
        return pd.DataFrame(columns=columns)
    extra = [c for c in shortlists.columns if c not in OUTPUT_COLUMNS]
    frame = shortlists.rename(columns={"rank": "member_rank"})
    frame = frame.sort_values(
        ["partner_id", "score", "member_rank", "member_id"],
        ascending=[True, False, True, True],
        kind="stable",
    )
    frame["visitor_rank"] = frame.groupby("partner_id").cumcount() + 1
    if per_candidate:
        frame = frame[frame["visitor_rank"] <= per_candidate]
    columns = [*columns, *extra]
    return frame[columns].reset_index(drop=True)


def member_summary(shortlists: pd.DataFrame) -> pd.DataFrame:
    """One row per member: how many suggestions, the best one, the mean score, the partners'
    countries and, when the candidates carry a ``hall`` column, the halls to visit."""
    columns = [
        "member_id",
        "member_name",
        "suggestions",
        "best_partner",
        "best_score",
        "mean_score",
        "countries",
    ]
    if shortlists.empty:
        return pd.DataFrame(columns=columns)
    groups = shortlists.sort_values(["member_id", "rank"]).groupby("member_id", sort=False)
    summary = groups.agg(
        member_name=("member_name", "first"),
        suggestions=("partner_id", "size"),
        best_partner=("partner_name", "first"),
        best_score=("score", "max"),
        mean_score=("score", "mean"),
        countries=("partner_country", lambda s: ", ".join(dict.fromkeys(s))),
    )
    if "hall" in shortlists.columns:
        summary["halls"] = groups["hall"].agg(
            lambda s: ", ".join(dict.fromkeys(str(v) for v in s if str(v)))
        )
    summary["mean_score"] = summary["mean_score"].round(4)
    return summary.reset_index()


EXCEL_MAX_ROWS = 1_048_575
_SHEETS_PER_MEMBER_UP_TO = 200


def write_table(frame: pd.DataFrame, path: str | Path, summary: pd.DataFrame | None = None) -> None:
    """Write `frame` as CSV, XLSX or Parquet (by the file's suffix), atomically.

    XLSX: one sheet per member when there are at most 200 members, otherwise one printable
    sheet with each member's shortlist under a bold heading; a ``summary`` sheet first when
    given. CSV cells that a spreadsheet would run as a formula are prefixed with a quote.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx", ".parquet"):
        raise InputError(
            f"{path}: unsupported output file type {suffix!r}; use .csv, .xlsx or .parquet"
        )
    if suffix == ".xlsx" and _xlsx_rows(frame) > EXCEL_MAX_ROWS:
        raise InputError(
            f"{path}: {len(frame):,} suggestions with a heading and column names per "
            f"member take {_xlsx_rows(frame):,} rows, more than an Excel sheet's "
            f"{EXCEL_MAX_ROWS:,}; write .csv or .parquet"
        )

    def write(temporary: Path) -> None:
        if suffix == ".parquet":
            frame.to_parquet(temporary, index=False)
        elif suffix == ".csv":
            # RFC 4180 line ends: a carriage return inside a text cell is then quoted, and
            # a reader does not take it for the end of the row.
            safe_cells(frame).to_csv(
                temporary, index=False, encoding="utf-8", lineterminator="\r\n"
            )
        else:
            _write_xlsx(frame, temporary, summary)

    atomic_write(path, write)


def _xlsx_rows(frame: pd.DataFrame) -> int:
    """Rows the one-sheet layout of `frame` takes: each member's heading, column names and
    suggestions."""
    return len(frame) + 2 * frame["member_id"].nunique()


def _write_xlsx(frame: pd.DataFrame, path: str, summary: pd.DataFrame | None) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    columns = [c for c in frame.columns if c not in ("member_id", "member_name")]

    def add_rows(sheet, rows: pd.DataFrame) -> None:
        for values in rows[columns].itertuples(index=False):
            sheet.append([_xlsx_value(v) for v in values])

    if summary is not None and len(summary):
        sheet = workbook.create_sheet("summary")
        sheet.append(list(summary.columns))
        for cell in sheet[1]:
            cell.font = bold
        for values in summary.itertuples(index=False):
            sheet.append([_xlsx_value(v) for v in values])
    members = list(dict.fromkeys(frame["member_id"]))
    if len(members) <= _SHEETS_PER_MEMBER_UP_TO:
        used: set[str] = set()
        for member_id, rows in frame.groupby("member_id", sort=False):
            title = sheet_title(f"{member_id}", used, fallback="member")
            sheet = workbook.create_sheet(title)
            sheet.append([f"{rows['member_name'].iat[0]} ({member_id})"])
            sheet["A1"].font = Font(bold=True, size=13)
            sheet.append(columns)
            for cell in sheet[2]:
                cell.font = bold
            add_rows(sheet, rows)
            _layout(sheet, columns, Alignment)
    else:
        sheet = workbook.create_sheet("shortlists")
        for member_id, rows in frame.groupby("member_id", sort=False):
            sheet.append([f"{rows['member_name'].iat[0]} ({member_id})"])
            sheet.cell(sheet.max_row, 1).font = Font(bold=True, size=12)
            sheet.append(columns)
            for cell in sheet[sheet.max_row]:
                cell.font = bold
            add_rows(sheet, rows)
        _layout(sheet, columns, Alignment)
    if not workbook.sheetnames:
        workbook.create_sheet("shortlists").append(columns)
    workbook.save(path)


def _xlsx_value(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    return safe_cell(value)


def _layout(sheet, columns: list[str], Alignment) -> None:
    widths = {"rank": 6, "partner_id": 18, "partner_name": 32, "score": 8, "reasons": 70}
    for i, column in enumerate(columns, start=1):
        letter = sheet.cell(1, i).column_letter
        sheet.column_dimensions[letter].width = widths.get(column, 14)
    reasons = columns.index("reasons") + 1 if "reasons" in columns else None
    if reasons:
        for row in sheet.iter_rows(min_col=reasons, max_col=reasons):
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToHeight = 0
