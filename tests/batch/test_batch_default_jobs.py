"""``matcher batch`` as a user runs it: default options on generated files (issue 18).

The other batch tests give small models (``exhaustive_below`` lowered) to the library or a
trained model to the command. Here the command fits its own model with the defaults on more
candidates than ``exhaustive_below``, so the worker processes of the default ``--jobs 0`` take
the retrieval side (vector search and first stage over the candidates) on a memory-mapped model.
"""

from __future__ import annotations

import pandas as pd
from click.testing import CliRunner

from matcher.cli import main
from matcher.datasets.generator import generate_profiles
from matcher.engine.ranking import PartnerMatcher

#: Just above the default ``exhaustive_below`` (5,000): the smallest fair that is searched.
N_CANDIDATES = PartnerMatcher().exhaustive_below + 100
N_MEMBERS, K = 40, 20


def _check_shortlists(table: pd.DataFrame, member_ids: list[str], candidate_ids: set[str]):
    assert sorted(table["member_id"].unique()) == sorted(member_ids)
    for member_id, shortlist in table.groupby("member_id", sort=False):
        assert shortlist["rank"].tolist() == list(range(1, K + 1))
        assert shortlist["partner_id"].is_unique and member_id not in set(shortlist["partner_id"])
        assert set(shortlist["partner_id"]) <= candidate_ids
        assert shortlist["score"].is_monotonic_decreasing
        assert shortlist["reasons"].str.len().gt(0).all()


def test_default_jobs_score_a_searched_fair_in_worker_processes(tmp_path, monkeypatch, jobs_asked):
    """Regression (issue 18: the default ``--jobs 0`` crashed on a generated 20,000-profile
    file): the command's own fit, worker processes, the searched side, a CSV out."""
    from matcher.cli import batch as batch_cli

    profiles = generate_profiles(N_CANDIDATES, seed=18)
    candidates, members = tmp_path / "candidates.csv", tmp_path / "members.csv"
    profiles.to_csv(candidates, index=False)
    profiles.iloc[::127].head(N_MEMBERS).to_csv(members, index=False)
    monkeypatch.setattr(batch_cli.os, "cpu_count", lambda: 2)
    out = tmp_path / "shortlists.csv"
    args = ["batch", "--members", str(members), "--candidates", str(candidates)]
    args += ["--block-rows", "20", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert jobs_asked == [2]
    table = pd.read_csv(out, dtype={"member_id": str, "partner_id": str})
    member_ids = profiles["id"].iloc[::127].head(N_MEMBERS).tolist()
    _check_shortlists(table, member_ids, set(profiles["id"]))


def test_one_file_as_members_and_candidates_is_read_once(tmp_path, monkeypatch):
    """Every member against every other from one file: the file is read and checked once and
    the shortlists are those of two copies of it."""
    from matcher.cli import batch as batch_cli

    profiles = generate_profiles(60, seed=5)
    one, copy = tmp_path / "one.csv", tmp_path / "copy.csv"
    profiles.to_csv(one, index=False)
    profiles.to_csv(copy, index=False)
    reads = []
    original = batch_cli._union
    monkeypatch.setattr(batch_cli, "_union", lambda m, c: reads.append(m is c) or original(m, c))
    tables = []
    for candidates in (one, copy):
        out = tmp_path / f"out-{candidates.stem}.csv"
        args = ["batch", "--members", str(one), "--candidates", str(candidates), "--jobs", "1"]
        result = CliRunner().invoke(main, [*args, "--k", "5", "--out", str(out)])
        assert result.exit_code == 0, result.output
        tables.append(pd.read_csv(out))
    assert reads == [True, False]
    pd.testing.assert_frame_equal(tables[0], tables[1])
