"""Batch scoring: exact blocked top-k, shortlists equal to single recommendations, resumable
parts, the CLI's outputs and errors, and the Dask path on a LocalCluster."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from click.testing import CliRunner

from matcher.batch import jobs as batch_module
from matcher.batch.jobs import run_batch
from matcher.batch.outputs import member_summary, reverse_view, write_table
from matcher.batch.scoring import BatchScorer, BatchSpec
from matcher.cli import main
from matcher.datasets.generator import generate_cluster
from matcher.engine.artifacts import canonical_sparse, load_model, save_model
from matcher.engine.pairs import _row_dots
from matcher.engine.ranking import PartnerMatcher
from matcher.engine.topk import TopK, top_k_rows
from matcher.profiles import validate_links, validate_profiles

HOME = "kharkiv-fashion-cluster"


def _brute(Q, K, k, exclude=None):
    S = Q @ K.T
    if exclude is not None:
        S[:, exclude] = -np.inf
    order = np.argsort(-S, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(S, order, axis=1), order


@pytest.mark.parametrize(
    "n_keys,k,group", [(5000, 5, 64), (5000, 120, 16), (300, 20, 64), (10, 50, 4)]
)
def test_blocked_top_k_is_exact(n_keys, k, group):
    """The blocked search returns the k best allowed keys of every query. float32 products differ in
    their last bits between BLAS kernels, CPUs and thread counts, so near-equal scores may swap
    places: compare the scores in order within a tolerance scaled to the scores' size (an absolute
    one, as some scores are near zero), and check that every returned key really scores that much."""
    rng = np.random.default_rng(n_keys + k)
    K = rng.standard_normal((n_keys, 24)).astype(np.float32)
    Q = rng.standard_normal((333, 24)).astype(np.float32)
    exclude = rng.random(n_keys) < 0.3
    values, columns = TopK(K, block_rows=64, group=group).search(Q, k, exclude=exclude)
    expected_values, _ = _brute(Q.astype(np.float64), K.astype(np.float64), k, exclude)
    tolerance = 1e-5 * np.abs(expected_values[np.isfinite(expected_values)]).max()
    finite = np.isfinite(expected_values)
    assert (np.isfinite(values) == finite).all()
    np.testing.assert_allclose(values[finite], expected_values[finite], rtol=0, atol=tolerance)
    exact = Q.astype(np.float64) @ K.astype(np.float64).T
    returned = np.take_along_axis(exact, np.where(finite, columns, 0), axis=1)
    np.testing.assert_allclose(returned[finite], values[finite], rtol=0, atol=tolerance)
    assert not exclude[columns[finite]].any()
    assert all(len(set(row[ok])) == ok.sum() for row, ok in zip(columns, finite))


def test_top_k_with_fewer_allowed_keys_than_k_pads_with_minus_infinity():
    rng = np.random.default_rng(0)
    K = rng.standard_normal((5003, 8)).astype(np.float32)
    exclude = np.ones(5003, dtype=bool)
    exclude[[7, 4000, 5002]] = False
    values, columns = TopK(K, group=16).search(
        rng.standard_normal((3, 8)).astype(np.float32), 5, exclude=exclude
    )
    assert np.isfinite(values).sum(axis=1).tolist() == [3, 3, 3]
    assert all(set(row[np.isfinite(v)]) == {7, 4000, 5002} for row, v in zip(columns, values))
    assert columns.max() < 5003


def test_top_k_rows_orders_best_first():
    values, columns = top_k_rows(np.array([[0.1, 0.9, 0.5, 0.7]]), 3)
    assert columns.tolist() == [[1, 3, 2]]
    assert values[0].tolist() == pytest.approx([0.9, 0.7, 0.5])


@pytest.fixture(scope="module")
def fair():
    """A generated cluster large enough for the retrieval stage (forced on)."""
    raw, raw_links = generate_cluster(n_home=40, n_international=700, seed=3)
    raw["hall"] = [f"H{i % 4 + 1}" for i in range(len(raw))]
    frame = validate_profiles(raw, source="fair")
    links = validate_links(raw_links, frame["member_id"], source="fair-links")
    # The model the inner cross-validation chooses on these links, named: not chosen again.
    matcher = PartnerMatcher(
        model="gbt-shallow", exhaustive_below=100, n_candidates=60, random_state=0
    ).fit(frame, links)
    members = [m for m in frame["member_id"] if m.startswith("kfc-")]
    candidates = [m for m in frame["member_id"] if not m.startswith("kfc-")]
    return raw, raw_links, frame, links, matcher, members, candidates


def test_batch_shortlists_equal_single_recommendations(fair, tmp_path):
    _, _, _, _, matcher, members, candidates = fair
    assert matcher.index_ is not None
    spec = BatchSpec(k=8, block_rows=16)
    table = run_batch(matcher, members, candidates, spec, tmp_path / "parts", progress=False)
    assert list(table.columns[:6]) == [
        "member_id",
        "rank",
        "partner_id",
        "partner_name",
        "score",
        "reasons",
    ]
    assert "hall" in table.columns  # the candidates' extra column is kept
    for member in members[:12]:
        expected = matcher.recommend(member, k=8, scope="international")
        got = table[table["member_id"] == member].sort_values("rank")
        assert got["partner_id"].tolist() == [s.partner_id for s in expected]
        assert got["score"].tolist() == pytest.approx([round(s.score, 4) for s in expected])
        assert got["reasons"].iloc[0] == "; ".join(expected[0].reasons)
    # Never the member itself, a known partner, or a non-candidate.
    for member, rows in table.groupby("member_id"):
        assert member not in set(rows["partner_id"])
        assert not set(rows["partner_id"]) & set(matcher.known_partners(member))
    assert set(table["partner_id"]) <= set(candidates)


def test_filters_apply_to_every_shortlist(fair, tmp_path):
    _, _, frame, _, matcher, members, candidates = fair
    country = frame.loc[candidates, "country"].value_counts().index[0]
    table = run_batch(
        matcher,
        members[:10],
        candidates,
        BatchSpec(k=5, filters={"country": [country]}),
        tmp_path / "parts",
        progress=False,
    )
    assert len(table) and set(table["partner_country"]) == {country}
    expected = matcher.recommend(
        members[0], k=5, scope="international", filters={"country": [country]}
    )
    assert table[table["member_id"] == members[0]]["partner_id"].tolist() == [
        s.partner_id for s in expected
    ]


def _interrupt_the_third_block(monkeypatch):
    """Make the third block scored raise KeyboardInterrupt (Ctrl-C in the middle of a run);
    return the real ``BatchScorer.score``."""
    calls = {"n": 0}
    original = BatchScorer.score

    def failing(self, rows):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return original(self, rows)

    monkeypatch.setattr(BatchScorer, "score", failing)
    return original


def test_an_interrupted_run_resumes_from_its_parts(fair, tmp_path, monkeypatch):
    _, _, _, _, matcher, members, candidates = fair
    spec = BatchSpec(k=5, block_rows=8)
    reference = run_batch(
        matcher, members, candidates, spec, tmp_path / "reference", progress=False
    )

    original = _interrupt_the_third_block(monkeypatch)
    work = tmp_path / "work"
    with pytest.raises(KeyboardInterrupt):
        run_batch(matcher, members, candidates, spec, work, fingerprint={"x": 1}, progress=False)
    assert len(list(work.glob("part-*.parquet"))) == 2
    assert not list(work.glob("*.tmp"))

    monkeypatch.setattr(BatchScorer, "score", original)
    scored = []
    monkeypatch.setattr(
        BatchScorer, "score", lambda self, rows: scored.append(len(rows)) or original(self, rows)
    )
    resumed = run_batch(
        matcher, members, candidates, spec, work, fingerprint={"x": 1}, progress=False
    )
    assert len(scored) == -(-len(members) // 8) - 2  # only the blocks not written before
    pd.testing.assert_frame_equal(resumed, reference)

    # Other inputs: the old parts are not reused.
    scored.clear()
    run_batch(matcher, members, candidates, spec, work, fingerprint={"x": 2}, progress=False)
    assert len(scored) == -(-len(members) // 8)


def test_reverse_view_and_summary(fair, tmp_path):
    _, _, _, _, matcher, members, candidates = fair
    table = run_batch(matcher, members, candidates, BatchSpec(k=6), tmp_path / "p", progress=False)
    reverse = reverse_view(table)
    assert len(reverse) == len(table)
    top = reverse[reverse["visitor_rank"] == 1].set_index("partner_id")
    best = (
        table.sort_values("score", ascending=False)
        .drop_duplicates("partner_id")
        .set_index("partner_id")
    )
    assert (top["score"] == best.loc[top.index, "score"]).all()
    summary = member_summary(table).set_index("member_id")
    assert (summary["suggestions"] == table.groupby("member_id").size()).all()
    assert "halls" in summary.columns


def test_write_table_formats_and_formula_cells(tmp_path):
    frame = pd.DataFrame(
        {
            "member_id": ["a", "a", "b"],
            "rank": [1, 2, 1],
            "partner_id": ["x", "y", "x"],
            "partner_name": ['=HYPERLINK("http://e")', "Пряжа", "X"],
            "score": [0.5, 0.4, 0.3],
            "reasons": ["r1", "r2", "r3"],
            "member_name": ["A", "A", "B"],
        }
    )
    write_table(frame, tmp_path / "s.csv")
    assert pd.read_csv(tmp_path / "s.csv")["partner_name"][0].startswith("'=")
    write_table(frame, tmp_path / "s.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "s.parquet"), frame)
    write_table(
        frame, tmp_path / "s.xlsx", summary=member_summary(frame.assign(partner_country="UA"))
    )
    from openpyxl import load_workbook

    book = load_workbook(tmp_path / "s.xlsx")
    assert book.sheetnames == ["summary", "a", "b"]
    assert book["a"]["A1"].value == "A (a)"
    assert [c.value for c in book["a"][3]][:3] == [1, "x", '\'=HYPERLINK("http://e")']
    with pytest.raises(ValueError, match="unsupported output file type"):
        write_table(frame, tmp_path / "s.txt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.csv", "s.parquet", "s.xlsx"]


@pytest.fixture(scope="module")
def fair_files(fair, tmp_path_factory):
    raw, raw_links, *_ = fair
    folder = tmp_path_factory.mktemp("fair")
    raw[raw["network"] == HOME].drop(columns=["hall"]).to_csv(folder / "members.csv", index=False)
    raw[raw["network"] != HOME].to_csv(folder / "exhibitors.csv", index=False)
    raw_links.to_csv(folder / "links.csv", index=False)
    return folder


def test_cli_writes_shortlists_reverse_and_summary(fair_files, tmp_path):
    out = tmp_path / "shortlists.xlsx"
    result = CliRunner().invoke(
        main,
        [
            "batch",
            "--members",
            str(fair_files / "members.csv"),
            "--candidates",
            str(fair_files / "exhibitors.csv"),
            "--links",
            str(fair_files / "links.csv"),
            "--k",
            "5",
            "--out",
            str(out),
            "--reverse",
            str(tmp_path / "reverse.csv"),
            "--summary",
            str(tmp_path / "summary.parquet"),
        ],
    )
    assert result.exit_code == 0, result.output
    from openpyxl import load_workbook

    book = load_workbook(out)
    assert book.sheetnames[0] == "summary" and len(book.sheetnames) == 41
    reverse = pd.read_csv(tmp_path / "reverse.csv")
    assert {"partner_id", "visitor_rank", "member_id", "hall"} <= set(reverse.columns)
    assert len(pd.read_parquet(tmp_path / "summary.parquet")) == 40
    assert not (tmp_path / "shortlists.xlsx.parts").exists()


def test_cli_checks_every_file_before_running(fair_files, tmp_path):
    bad = pd.read_csv(fair_files / "exhibitors.csv", dtype=str, keep_default_na=False)
    bad.loc[4, "org_type"] = "spaceship"
    bad.to_csv(tmp_path / "bad.csv", index=False)
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(
        main,
        [
            "batch",
            "--members",
            str(fair_files / "members.csv"),
            "--candidates",
            str(tmp_path / "bad.csv"),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 2
    assert "row 6" in result.output and "org_type" in result.output and "spaceship" in result.output
    assert not out.exists() and not (tmp_path / "out.csv.parts").exists()
    result = CliRunner().invoke(
        main,
        [
            "batch",
            "--members",
            str(fair_files / "members.csv"),
            "--candidates",
            str(fair_files / "exhibitors.csv"),
            "--out",
            "x.docx",
        ],
    )
    assert result.exit_code == 2 and "unsupported file type" in result.output


def test_dask_cluster_gives_the_same_shortlists(fair, tmp_path):
    distributed = pytest.importorskip("distributed")
    _, _, _, _, matcher, members, candidates = fair
    spec = BatchSpec(k=5, block_rows=10)
    serial = run_batch(matcher, members, candidates, spec, tmp_path / "serial", progress=False)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        remote = run_batch(
            matcher,
            members,
            candidates,
            spec,
            tmp_path / "dask",
            scheduler=cluster.scheduler_address,
            progress=False,
        )
    pd.testing.assert_frame_equal(remote, serial)


def test_local_processes_give_the_same_shortlists(fair, tmp_path):
    _, _, _, _, matcher, members, candidates = fair
    spec = BatchSpec(k=5, block_rows=10)
    serial = run_batch(matcher, members, candidates, spec, tmp_path / "serial", progress=False)
    parallel = run_batch(
        matcher, members, candidates, spec, tmp_path / "jobs", jobs=2, progress=False
    )
    pd.testing.assert_frame_equal(parallel, serial)
    assert batch_module._WORKER_SCORERS == {}  # the workers opened the file, not this process


# ---------------------------------------------------------------------------------------------
# Read-only models in worker processes; every size at which the batch switches path
# ---------------------------------------------------------------------------------------------


def _assert_valid(table, matcher, candidates):
    """What every shortlist must be, whatever path made it."""
    assert len(table)
    assert set(table["partner_id"]) <= set(candidates)
    assert table["score"].between(0, 1).all()
    assert table["reasons"].map(lambda r: isinstance(r, str) and bool(r.strip())).all()
    for member, rows in table.groupby("member_id"):
        rows = rows.sort_values("rank")
        assert rows["rank"].tolist() == list(range(1, len(rows) + 1))
        assert (np.diff(rows["score"].to_numpy()) <= 0).all()
        assert member not in set(rows["partner_id"])
        assert not set(rows["partner_id"]) & set(matcher.known_partners(member))


def _assert_same_shortlists(table, reference):
    """The same partners per member in the same order, scores equal within 1e-6."""
    assert set(table["member_id"]) == set(reference["member_id"])
    for member, expected in reference.groupby("member_id"):
        expected = expected.sort_values("rank")
        got = table[table["member_id"] == member].sort_values("rank")
        assert got["partner_id"].tolist() == expected["partner_id"].tolist(), member
        np.testing.assert_allclose(got["score"], expected["score"], rtol=0, atol=1e-6)


def _reversed_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """A copy of `matrix` whose rows hold their column indices in reverse order."""
    out = matrix.copy()
    for r in range(out.shape[0]):
        start, end = out.indptr[r], out.indptr[r + 1]
        out.indices[start:end] = out.indices[start:end][::-1].copy()
        out.data[start:end] = out.data[start:end][::-1].copy()
    out.has_sorted_indices = False
    return out


def _unsorted_csr(seed: int = 0, shape=(30, 50)) -> sp.csr_matrix:
    """A CSR matrix whose rows hold their column indices in reverse order, and whose fullest row
    holds one column twice (canonical form sums the two)."""
    matrix = _reversed_rows(sp.random(*shape, density=0.3, format="csr", random_state=seed))
    fullest = int(np.argmax(np.diff(matrix.indptr)))
    data, indices, indptr = [], [], [0]
    for r in range(shape[0]):
        start, end = matrix.indptr[r], matrix.indptr[r + 1]
        data += list(matrix.data[start:end]) + ([0.5] if r == fullest else [])
        indices += list(matrix.indices[start:end]) + (
            [matrix.indices[start]] if r == fullest else []
        )
        indptr.append(len(indices))
    return sp.csr_matrix((np.array(data), np.array(indices), np.array(indptr)), shape=shape)


def test_row_dots_reads_a_read_only_unsorted_matrix_without_writing(tmp_path):
    import joblib

    matrix = _unsorted_csr()
    assert not matrix.has_canonical_format
    dense = matrix.toarray()
    # As a worker opens the model: a read-only memory map of the saved arrays.
    joblib.dump(matrix, tmp_path / "m.joblib")
    mapped = joblib.load(tmp_path / "m.joblib", mmap_mode="r")
    assert not mapped.indices.flags.writeable and not mapped.has_canonical_format
    indices_before = np.array(mapped.indices)
    fullest = int(np.argmax(np.diff(matrix.indptr)))
    J = np.array([3, 0, 29, 7, 7, fullest])
    for a in (0, 5, fullest):
        got = _row_dots(mapped, J, mapped, a)
        np.testing.assert_allclose(got, dense[J] @ dense[a], rtol=1e-12)
    np.testing.assert_array_equal(mapped.indices, indices_before)
    # A canonical matrix takes the merge: the same numbers.
    canonical = matrix.copy()
    canonical.sum_duplicates()
    np.testing.assert_allclose(
        _row_dots(canonical, J, canonical, 5), dense[J] @ dense[5], rtol=1e-12
    )


def test_saved_and_dumped_models_keep_their_matrices_in_canonical_form(fair, tmp_path):
    import copy

    holder = {"a": [_unsorted_csr(1)], "b": _unsorted_csr(2).tocsc()}
    before = holder["a"][0].toarray()
    assert canonical_sparse(holder) == 2
    assert holder["a"][0].has_canonical_format and holder["b"].has_canonical_format
    np.testing.assert_allclose(holder["a"][0].toarray(), before)
    assert canonical_sparse(holder) == 0
    # A model whose names' TF-IDF has unsorted indices is saved with them sorted.
    _, _, _, links, matcher, *_ = fair
    unsorted = copy.copy(matcher)
    unsorted.arrays_ = copy.copy(matcher.arrays_)
    unsorted.arrays_.names = _reversed_rows(matcher.arrays_.names)
    assert not unsorted.arrays_.names.has_canonical_format
    save_model(unsorted, "unsorted", links, models_dir=tmp_path)
    loaded, _ = load_model("unsorted", tmp_path)
    assert loaded.arrays_.names.has_canonical_format
    assert abs(loaded.arrays_.names - matcher.arrays_.names).max() == 0


@pytest.fixture(scope="module")
def unlinked():
    """Generated profiles with descriptions and no links; above 2,000 profiles the names' TF-IDF
    is formed by a sparse product, whose column indices come out unsorted."""
    raw, _ = generate_cluster(n_home=24, n_international=1976, seed=5)
    frame = validate_profiles(raw, source="unlinked")
    members = [m for m in frame["member_id"] if m.startswith("kfc-")]
    candidates = [m for m in frame["member_id"] if not m.startswith("kfc-")]
    return frame, members, candidates


def test_a_fitted_model_keeps_its_sparse_matrices_in_canonical_form(unlinked):
    """The names' TF-IDF of 2,000 profiles comes out of the encoder with unsorted indices; the
    fitted model holds it sorted (the same matrix), saved or not."""
    frame, _, _ = unlinked
    matcher = PartnerMatcher(random_state=0).fit(frame, [])
    encoded = matcher.space_.name_encoder.transform(frame[["name"]])
    assert not encoded.has_canonical_format  # else this test no longer tests anything
    assert matcher.arrays_.names.has_canonical_format
    assert abs(matcher.arrays_.names - encoded).max() == 0
    assert canonical_sparse(matcher) == 0  # every matrix the model keeps


def test_worker_processes_score_a_model_with_unsorted_matrices(unlinked, tmp_path):
    frame, members, candidates = unlinked
    matcher = PartnerMatcher(random_state=0).fit(frame, [])
    # What made the workers fail (sorting a read-only memory map in place): a model whose
    # matrix was changed after fitting.
    matcher.arrays_.names = _reversed_rows(matcher.arrays_.names)
    assert not matcher.arrays_.names.has_canonical_format
    spec = BatchSpec(k=5, block_rows=8)
    parallel = run_batch(
        matcher, members, candidates, spec, tmp_path / "jobs", jobs=2, progress=False
    )
    assert matcher.arrays_.names.has_canonical_format  # sorted before the workers opened it
    assert len(list((tmp_path / "jobs").glob("scorer-*.joblib"))) == 1
    serial = run_batch(matcher, members, candidates, spec, tmp_path / "serial", progress=False)
    _assert_valid(parallel, matcher, candidates)
    _assert_same_shortlists(parallel, serial)


@pytest.mark.parametrize("block_rows", [7, 32, 33, 40, 41, 1000])
def test_block_sizes_below_at_and_above_the_member_count_give_the_same_shortlists(
    fair, block_rows, tmp_path
):
    # 40 members: 6 blocks of 7 (the last 5); 32 and 33 either side of the neighbour votes'
    # chunk of 32 members; one block of exactly the members; one larger than them.
    _, _, _, _, matcher, members, candidates = fair
    assert len(members) == 40
    reference = run_batch(
        matcher,
        members,
        candidates,
        BatchSpec(k=6, block_rows=5),
        tmp_path / "reference",
        progress=False,
    )
    table = run_batch(
        matcher,
        members,
        candidates,
        BatchSpec(k=6, block_rows=block_rows),
        tmp_path / "parts",
        progress=False,
    )
    assert len(list((tmp_path / "parts").glob("part-*.parquet"))) == -(-40 // block_rows)
    _assert_valid(table, matcher, candidates)
    _assert_same_shortlists(table, reference)


@pytest.mark.parametrize("missing,in_process", [(0, 0), (1, 1), (2, 0), (5, 0)])
def test_resume_scores_only_missing_blocks_in_the_right_place(
    fair, tmp_path, monkeypatch, missing, in_process
):
    """Resuming with jobs=2: nothing to score, one block (scored here: a worker pool is not
    worth it), or several (scored by workers); the result is the same."""
    _, _, _, _, matcher, members, candidates = fair
    spec = BatchSpec(k=5, block_rows=8)  # 5 blocks
    work = tmp_path / "work"
    reference = run_batch(
        matcher, members, candidates, spec, work, fingerprint={"x": 1}, progress=False
    )
    parts = sorted(work.glob("part-*.parquet"))
    assert len(parts) == 5
    for path in parts[1 : 1 + missing] if missing < 5 else parts:
        path.unlink()
    scored_here = []
    original = BatchScorer.score
    monkeypatch.setattr(
        BatchScorer, "score", lambda self, rows: scored_here.append(1) or original(self, rows)
    )
    resumed = run_batch(
        matcher, members, candidates, spec, work, fingerprint={"x": 1}, jobs=2, progress=False
    )
    assert len(scored_here) == in_process
    assert len(list(work.glob("part-*.parquet"))) == 5
    _assert_valid(resumed, matcher, candidates)
    _assert_same_shortlists(resumed, reference)


@pytest.mark.parametrize("jobs,block_rows,workers", [(1, 10, False), (2, 10, True), (2, 40, False)])
def test_local_processes_are_used_from_two_jobs_and_two_blocks(
    fair, tmp_path, monkeypatch, jobs, block_rows, workers
):
    _, _, _, _, matcher, members, candidates = fair
    reference = run_batch(
        matcher,
        members,
        candidates,
        BatchSpec(k=5, block_rows=40),
        tmp_path / "reference",
        progress=False,
    )
    scored_here = []
    original = BatchScorer.score
    monkeypatch.setattr(
        BatchScorer, "score", lambda self, rows: scored_here.append(1) or original(self, rows)
    )
    table = run_batch(
        matcher,
        members,
        candidates,
        BatchSpec(k=5, block_rows=block_rows),
        tmp_path / "parts",
        jobs=jobs,
        progress=False,
    )
    assert (len(scored_here) == 0) == workers
    assert bool(list((tmp_path / "parts").glob("scorer-*.joblib"))) == workers
    _assert_valid(table, matcher, candidates)
    _assert_same_shortlists(table, reference)


def test_exhaustive_and_retrieval_sides_of_exhaustive_below_agree(fair, tmp_path):
    """Up to `exhaustive_below` candidates every one is scored; one more and the retrieval
    stage chooses them, which over 101 candidates (its first stage adds up to 600) keeps all."""
    import copy

    _, _, _, _, matcher, members, candidates = fair
    chosen = candidates[:101]
    assert matcher.exhaustive_below == 100
    spec = BatchSpec(k=6, block_rows=16)
    assert not BatchScorer(matcher, chosen, spec).exhaustive
    assert BatchScorer(matcher, chosen[:100], spec).exhaustive
    retrieval = run_batch(matcher, members, chosen, spec, tmp_path / "retrieval", progress=False)
    wide = copy.copy(matcher)
    wide.exhaustive_below = 101
    assert BatchScorer(wide, chosen, spec).exhaustive
    exhaustive = run_batch(wide, members, chosen, spec, tmp_path / "exhaustive", progress=False)
    _assert_valid(retrieval, matcher, chosen)
    _assert_same_shortlists(retrieval, exhaustive)


@pytest.mark.parametrize("n_members,sheets", [(200, 200), (201, 1)])
def test_xlsx_has_a_sheet_per_member_up_to_200(tmp_path, n_members, sheets):
    from openpyxl import load_workbook

    frame = pd.DataFrame(
        {
            "member_id": [f"m{i:03d}" for i in range(n_members)],
            "rank": 1,
            "partner_id": "x",
            "partner_name": "X",
            "score": 0.5,
            "reasons": "r",
            "member_name": [f"M{i}" for i in range(n_members)],
        }
    )
    write_table(frame, tmp_path / "s.xlsx")
    book = load_workbook(tmp_path / "s.xlsx", read_only=True)
    assert len(book.sheetnames) == sheets
    rows = sum(sheet.max_row for sheet in book.worksheets)
    assert rows == 3 * n_members  # each member: its heading, the column names, its row


@pytest.fixture(scope="module")
def fair_model(fair, tmp_path_factory):
    _, _, _, links, matcher, *_ = fair
    models = tmp_path_factory.mktemp("models")
    save_model(matcher, "fair", links, models_dir=models)
    return models


def _batch_args(fair_files, fair_model, out, *more):
    return [
        "batch",
        "--members",
        str(fair_files / "members.csv"),
        "--candidates",
        str(fair_files / "exhibitors.csv"),
        "--model",
        "fair",
        "--models-dir",
        str(fair_model),
        "--k",
        "5",
        "--out",
        str(out),
        *more,
    ]


@pytest.mark.parametrize("limit_offset,expected_jobs", [(0, 2), (-1, 1)])
def test_jobs_0_chooses_processes_up_to_auto_jobs_up_to(
    fair, fair_files, fair_model, tmp_path, monkeypatch, jobs_asked, limit_offset, expected_jobs
):
    """`--jobs 0` (the default): one process per core with at most AUTO_JOBS_UP_TO profiles in
    the model, one process above; the shortlists are the same."""
    from matcher.cli import batch as batch_cli

    _, _, _, _, matcher, members, candidates = fair
    n_profiles = len(matcher.frame_)
    monkeypatch.setattr(batch_cli.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(batch_cli, "AUTO_JOBS_UP_TO", n_profiles + limit_offset)
    assert batch_cli.choose_jobs(0, n_profiles) == expected_jobs
    assert batch_cli.choose_jobs(3, n_profiles) == 3
    out = tmp_path / "out.parquet"
    result = CliRunner().invoke(
        main, _batch_args(fair_files, fair_model, out, "--block-rows", "10")
    )
    assert result.exit_code == 0, result.output
    assert jobs_asked == [expected_jobs]
    table = pd.read_parquet(out)
    _assert_valid(table, matcher, candidates)
    reference = run_batch(
        matcher, members, candidates, BatchSpec(k=5), tmp_path / "ref", progress=False
    )
    _assert_same_shortlists(table, reference)


def test_cli_resumes_from_its_work_dir(fair, fair_files, fair_model, tmp_path, monkeypatch):
    _, _, _, _, matcher, members, candidates = fair
    work, out = tmp_path / "work", tmp_path / "out.csv"
    args = _batch_args(
        fair_files, fair_model, out, "--jobs", "1", "--block-rows", "8", "--work-dir", str(work)
    )
    original = _interrupt_the_third_block(monkeypatch)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 130 and "resume" in result.stderr
    assert len(list(work.glob("part-*.parquet"))) == 2 and not out.exists()

    scored = []
    monkeypatch.setattr(
        BatchScorer, "score", lambda self, rows: scored.append(1) or original(self, rows)
    )
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert len(scored) == 5 - 2 and not work.exists()
    table = pd.read_csv(out)
    _assert_valid(table, matcher, candidates)
    reference = run_batch(
        matcher, members, candidates, BatchSpec(k=5), tmp_path / "ref", progress=False
    )
    _assert_same_shortlists(table, reference)
