"""Batch scoring: exact blocked top-k, shortlists equal to single recommendations, resumable
parts, the CLI's outputs and errors, and the Dask path on a LocalCluster."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from matcher import batch as batch_module
from matcher.batch import BatchScorer, BatchSpec, member_summary, reverse_view, run_batch, write_table
from matcher.cli import main
from matcher.datasets import generate_cluster
from matcher.profiles import validate_links, validate_profiles
from matcher.ranking import PartnerMatcher
from matcher.topk import TopK, top_k_rows

HOME = "kharkiv-fashion-cluster"


def _brute(Q, K, k, exclude=None):
    S = Q @ K.T
    if exclude is not None:
        S[:, exclude] = -np.inf
    order = np.argsort(-S, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(S, order, axis=1), order


@pytest.mark.parametrize("n_keys,k,group", [(5000, 5, 64), (5000, 120, 16), (300, 20, 64), (10, 50, 4)])
def test_blocked_top_k_is_exact(n_keys, k, group):
    rng = np.random.default_rng(n_keys + k)
    K = rng.standard_normal((n_keys, 24)).astype(np.float32)
    Q = rng.standard_normal((333, 24)).astype(np.float32)
    exclude = rng.random(n_keys) < 0.3
    values, columns = TopK(K, block_rows=64, group=group).search(Q, k, exclude=exclude)
    expected_values, expected_columns = _brute(Q, K, k, exclude)
    np.testing.assert_allclose(values, expected_values, rtol=1e-5)
    finite = np.isfinite(expected_values)
    assert (columns[finite] == expected_columns[finite]).all()
    assert not exclude[columns[finite]].any()


def test_top_k_with_fewer_allowed_keys_than_k_pads_with_minus_infinity():
    rng = np.random.default_rng(0)
    K = rng.standard_normal((5003, 8)).astype(np.float32)
    exclude = np.ones(5003, dtype=bool)
    exclude[[7, 4000, 5002]] = False
    values, columns = TopK(K, group=16).search(rng.standard_normal((3, 8)).astype(np.float32), 5, exclude=exclude)
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
    matcher = PartnerMatcher(exhaustive_below=100, n_candidates=60, random_state=0).fit(frame, links)
    members = [m for m in frame["member_id"] if m.startswith("kfc-")]
    candidates = [m for m in frame["member_id"] if not m.startswith("kfc-")]
    return raw, raw_links, frame, links, matcher, members, candidates


def test_batch_shortlists_equal_single_recommendations(fair, tmp_path):
    _, _, frame, _, matcher, members, candidates = fair
    assert matcher.index_ is not None
    spec = BatchSpec(k=8, block_rows=16)
    table = run_batch(matcher, members, candidates, spec, tmp_path / "parts", progress=False)
    assert list(table.columns[:6]) == ["member_id", "rank", "partner_id", "partner_name", "score", "reasons"]
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
    table = run_batch(matcher, members[:10], candidates, BatchSpec(k=5, filters={"country": [country]}),
                      tmp_path / "parts", progress=False)
    assert len(table) and set(table["partner_country"]) == {country}
    expected = matcher.recommend(members[0], k=5, scope="international", filters={"country": [country]})
    assert table[table["member_id"] == members[0]]["partner_id"].tolist() == [s.partner_id for s in expected]


def test_an_interrupted_run_resumes_from_its_parts(fair, tmp_path, monkeypatch):
    _, _, _, _, matcher, members, candidates = fair
    spec = BatchSpec(k=5, block_rows=8)
    reference = run_batch(matcher, members, candidates, spec, tmp_path / "reference", progress=False)

    calls = {"n": 0}
    original = BatchScorer.score

    def failing(self, rows):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return original(self, rows)

    monkeypatch.setattr(BatchScorer, "score", failing)
    work = tmp_path / "work"
    with pytest.raises(KeyboardInterrupt):
        run_batch(matcher, members, candidates, spec, work, fingerprint={"x": 1}, progress=False)
    assert len(list(work.glob("part-*.parquet"))) == 2
    assert not list(work.glob("*.tmp"))

    monkeypatch.setattr(BatchScorer, "score", original)
    scored = []
    monkeypatch.setattr(BatchScorer, "score", lambda self, rows: scored.append(len(rows)) or original(self, rows))
    resumed = run_batch(matcher, members, candidates, spec, work, fingerprint={"x": 1}, progress=False)
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
    best = table.sort_values("score", ascending=False).drop_duplicates("partner_id").set_index("partner_id")
    assert (top["score"] == best.loc[top.index, "score"]).all()
    summary = member_summary(table).set_index("member_id")
    assert (summary["suggestions"] == table.groupby("member_id").size()).all()
    assert "halls" in summary.columns


def test_write_table_formats_and_formula_cells(tmp_path):
    frame = pd.DataFrame({"member_id": ["a", "a", "b"], "rank": [1, 2, 1], "partner_id": ["x", "y", "x"],
                          "partner_name": ["=HYPERLINK(\"http://e\")", "Пряжа", "X"], "score": [0.5, 0.4, 0.3],
                          "reasons": ["r1", "r2", "r3"], "member_name": ["A", "A", "B"]})
    write_table(frame, tmp_path / "s.csv")
    assert pd.read_csv(tmp_path / "s.csv")["partner_name"][0].startswith("'=")
    write_table(frame, tmp_path / "s.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "s.parquet"), frame)
    write_table(frame, tmp_path / "s.xlsx", summary=member_summary(frame.assign(partner_country="UA")))
    from openpyxl import load_workbook

    book = load_workbook(tmp_path / "s.xlsx")
    assert book.sheetnames == ["summary", "a", "b"]
    assert book["a"]["A1"].value == "A (a)"
    assert [c.value for c in book["a"][3]][:3] == [1, "x", "'=HYPERLINK(\"http://e\")"]
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
    result = CliRunner().invoke(main, [
        "batch", "--members", str(fair_files / "members.csv"), "--candidates", str(fair_files / "exhibitors.csv"),
        "--links", str(fair_files / "links.csv"), "--k", "5", "--out", str(out),
        "--reverse", str(tmp_path / "reverse.csv"), "--summary", str(tmp_path / "summary.parquet")])
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
    result = CliRunner().invoke(main, ["batch", "--members", str(fair_files / "members.csv"),
                                       "--candidates", str(tmp_path / "bad.csv"), "--out", str(out)])
    assert result.exit_code == 2
    assert "row 6" in result.output and "org_type" in result.output and "spaceship" in result.output
    assert not out.exists() and not (tmp_path / "out.csv.parts").exists()
    result = CliRunner().invoke(main, ["batch", "--members", str(fair_files / "members.csv"),
                                       "--candidates", str(fair_files / "exhibitors.csv"), "--out", "x.docx"])
    assert result.exit_code == 2 and "unsupported file type" in result.output


def test_dask_cluster_gives_the_same_shortlists(fair, tmp_path):
    distributed = pytest.importorskip("distributed")
    _, _, _, _, matcher, members, candidates = fair
    spec = BatchSpec(k=5, block_rows=10)
    serial = run_batch(matcher, members, candidates, spec, tmp_path / "serial", progress=False)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        remote = run_batch(matcher, members, candidates, spec, tmp_path / "dask",
                           scheduler=cluster.scheduler_address, progress=False)
    pd.testing.assert_frame_equal(remote, serial)


def test_local_processes_give_the_same_shortlists(fair, tmp_path):
    _, _, _, _, matcher, members, candidates = fair
    spec = BatchSpec(k=5, block_rows=10)
    serial = run_batch(matcher, members, candidates, spec, tmp_path / "serial", progress=False)
    parallel = run_batch(matcher, members, candidates, spec, tmp_path / "jobs", jobs=2, progress=False)
    pd.testing.assert_frame_equal(parallel, serial)
    assert batch_module._WORKER_SCORERS == {}  # the workers opened the file, not this process
