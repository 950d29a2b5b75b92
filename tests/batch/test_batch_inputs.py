"""``matcher batch``'s inputs and messages: the candidate file's extra columns in every output
(with a model given by name too), a cluster's whole links file, and what is logged at which
level."""

from __future__ import annotations

import logging
import re

import pandas as pd
import pytest
from click.testing import CliRunner

from matcher.cli import main
from matcher.datasets.generator import generate_cluster
from matcher.engine.artifacts import save_model
from matcher.engine.ranking import PartnerMatcher
from matcher.profiles import POSITIVE_KINDS, validate_links, validate_profiles

HOME = "kharkiv-fashion-cluster"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A generated cluster; the fair's exhibitors are 150 of its 300 international profiles."""
    raw, raw_links = generate_cluster(n_home=20, n_international=300, seed=7)
    folder = tmp_path_factory.mktemp("cluster")
    members = raw[raw["network"] == HOME]
    exhibitors = raw[raw["network"] != HOME].iloc[::2].copy()
    # Columns outside the profile format, as a fair's list has them.
    exhibitors["hall"] = [f"Hall {i % 3 + 1}" for i in range(len(exhibitors))]
    exhibitors["stand"] = [f"{i % 3 + 1}-{i:03d}" for i in range(len(exhibitors))]
    exhibitors["fair_day"] = ["2026-03-0" + str(i % 2 + 4) for i in range(len(exhibitors))]
    members.to_csv(folder / "members.csv", index=False)
    exhibitors.to_csv(folder / "exhibitors.csv", index=False)
    # The cluster's whole links file, and only the links among the two files.
    raw_links.to_csv(folder / "all-links.csv", index=False)
    ids = set(members["id"]) | set(exhibitors["id"])
    inside = raw_links["source"].isin(ids) & raw_links["target"].isin(ids)
    raw_links[inside].to_csv(folder / "links.csv", index=False)
    outside = {
        (s, t, (k or "partner").lower())
        for s, t, k in raw_links.loc[~inside, ["source", "target", "kind"]].itertuples(index=False)
    }
    return raw, raw_links, exhibitors, folder, len(outside)


def _args(folder, out, *more):
    return [
        "batch",
        "--members",
        str(folder / "members.csv"),
        "--candidates",
        str(folder / "exhibitors.csv"),
        "--k",
        "5",
        "--out",
        str(out),
        *more,
    ]


def _extra_columns_match_the_candidate_file(table, exhibitors):
    expected = exhibitors.set_index("id")[["hall", "stand", "fair_day"]].astype(str)
    assert len(table)
    got = table[["partner_id", "hall", "stand", "fair_day"]].astype(str).set_index("partner_id")
    pd.testing.assert_frame_equal(got, expected.loc[got.index], check_names=False)


def test_model_given_by_name_writes_the_candidate_files_extra_columns(cluster, tmp_path):
    raw, raw_links, exhibitors, folder, _ = cluster
    # The model's own profiles carry other values in `hall` and no stand or fair day.
    trained = raw.assign(hall="hall of the training file")
    frame = validate_profiles(trained, source="training")
    links = validate_links(raw_links, frame["member_id"], source="training-links")
    matcher = PartnerMatcher(model="default", random_state=0).fit(frame, links)
    save_model(matcher, "fair", links, models_dir=tmp_path / "models")

    out, reverse, summary = tmp_path / "out.csv", tmp_path / "reverse.csv", tmp_path / "summary.csv"
    result = CliRunner().invoke(
        main,
        _args(
            folder,
            out,
            "--model",
            "fair",
            "--models-dir",
            str(tmp_path / "models"),
            "--jobs",
            "1",
            "--reverse",
            str(reverse),
            "--summary",
            str(summary),
        ),
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    _extra_columns_match_the_candidate_file(table, exhibitors)
    _extra_columns_match_the_candidate_file(
        pd.read_csv(reverse, dtype=str, keep_default_na=False), exhibitors
    )
    halls = pd.read_csv(summary, dtype=str, keep_default_na=False).set_index("member_id")["halls"]
    hall_of = exhibitors.set_index("id")["hall"]
    for member, rows in table.groupby("member_id"):
        assert halls[member] == ", ".join(dict.fromkeys(hall_of[rows["partner_id"]]))


def test_links_to_organisations_outside_both_files_are_skipped_with_one_warning(
    cluster, tmp_path, caplog
):
    _, _, _, folder, n_outside = cluster
    assert n_outside > 100
    out = tmp_path / "out.csv"
    with caplog.at_level(logging.INFO):
        result = CliRunner().invoke(
            main,
            _args(
                folder,
                out,
                "--links",
                str(folder / "all-links.csv"),
                "--model-kind",
                "default",
                "--jobs",
                "1",
            ),
        )
    assert result.exit_code == 0, result.output
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert (
        f"skipped {n_outside:,} links that name organisations in neither --members nor --candidates"
    ) in warnings[0].getMessage()
    # The links inside still count: a known partner, or one declined, is never suggested.
    relevant = pd.read_csv(folder / "links.csv", dtype=str, keep_default_na=False)
    fitting = [r.getMessage() for r in caplog.records if "fitting on" in r.getMessage()]
    assert fitting == [f"batch: fitting on 170 profiles and {len(relevant)} links"]
    table = pd.read_csv(out, dtype=str)
    suggested = set(zip(table["member_id"], table["partner_id"]))
    positive = relevant[relevant["kind"].isin(POSITIVE_KINDS)]
    excluded = (
        set(zip(positive["source"], positive["target"]))
        | set(zip(positive["target"], positive["source"]))
        | set(
            relevant.loc[relevant["kind"] == "declined", ["source", "target"]].itertuples(
                index=False
            )
        )
    )
    assert len(excluded) > 50 and suggested and not suggested & excluded


@pytest.mark.parametrize(
    "change,where",
    [
        ({"kind": "friendz"}, ["row 5", "column 'kind'", "'friendz'", "allowed:"]),
        ({"date": "yesterday"}, ["row 5", "column 'date'", "'yesterday'"]),
        ({"source": ""}, ["row 5", "column 'source'", "required"]),
    ],
)
def test_malformed_links_are_refused_naming_row_and_value(cluster, tmp_path, change, where):
    _, raw_links, _, folder, _ = cluster
    links = raw_links.copy()
    for column, value in change.items():
        links.loc[3, column] = value  # the file's row 5 (after the header)
    links.to_csv(tmp_path / "links.csv", index=False)
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(main, _args(folder, out, "--links", str(tmp_path / "links.csv")))
    assert result.exit_code == 2
    assert all(text in result.stderr for text in where), result.stderr
    assert "1 problem," in result.stderr  # links naming other organisations are no problem
    assert not out.exists()


def test_links_without_a_target_column_are_refused(cluster, tmp_path):
    _, raw_links, _, folder, _ = cluster
    raw_links.rename(columns={"target": "partner"}).to_csv(tmp_path / "links.csv", index=False)
    result = CliRunner().invoke(
        main, _args(folder, tmp_path / "out.csv", "--links", str(tmp_path / "links.csv"))
    )
    assert result.exit_code == 2
    assert "'target'" in result.stderr and "required column" in result.stderr


def test_a_normal_job_logs_information_not_warnings(cluster, tmp_path, caplog):
    """Defaults (one process per core here), a fair's list with extra columns, links among the
    two files: nothing at WARNING; what happens is at INFO (shown with -v)."""
    _, _, exhibitors, folder, _ = cluster
    out = tmp_path / "out.csv"
    with caplog.at_level(logging.INFO):
        result = CliRunner().invoke(main, _args(folder, out, "--links", str(folder / "links.csv")))
    assert result.exit_code == 0, result.output
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert "WARNING" not in result.stderr and "Traceback" not in result.stderr
    info = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert any(m.startswith("batch: fitting on 170 profiles") for m in info)
    assert any("members against 150 candidates" in m for m in info)
    assert any(m.startswith("batch: 20 of 20 members (100%)") for m in info)  # progress, not a tty
    assert any("kept as extra data" in m for m in info)  # expected in a fair's list
    _extra_columns_match_the_candidate_file(
        pd.read_csv(out, dtype=str, keep_default_na=False), exhibitors
    )


@pytest.mark.parametrize("terminal", [True, False])
def test_progress_is_a_bar_on_a_terminal_and_info_lines_otherwise(terminal, monkeypatch, caplog):
    import io
    import sys

    from matcher.batch.jobs import _Progress

    class Stderr(io.StringIO):
        def isatty(self) -> bool:
            return terminal

    stderr = Stderr()
    monkeypatch.setattr(sys, "stderr", stderr)
    with caplog.at_level(logging.INFO, logger="matcher.batch.jobs"):
        bar = _Progress(total=40, done=10)
        for _ in range(3):
            bar.update(10)
        bar.close()
    lines = [r for r in caplog.records if r.name == "matcher.batch.jobs"]
    if terminal:
        assert "100%" in stderr.getvalue() and "member/s" in stderr.getvalue() and not lines
    else:
        assert stderr.getvalue() == ""
        assert lines and {r.levelno for r in lines} == {logging.INFO}
        assert lines[-1].getMessage().startswith("batch: 40 of 40 members (100%)")


# ---------------------------------------------------------------------------------------------
# What the library refuses: input errors naming the field or the ids
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "settings,named",
    [
        ({"k": 0}, "k=0"),
        ({"k": True}, "k=True"),
        ({"block_rows": -3}, "block_rows=-3"),
        ({"block_rows": 2.0}, "block_rows=2.0"),
        ({"language": "fr"}, "language='fr'"),
        ({"scope": "galaxy"}, "scope='galaxy'"),
    ],
)
def test_batch_spec_refuses_settings_naming_them(settings, named):
    from matcher.batch.scoring import BatchSpec
    from matcher.errors import InputError

    with pytest.raises(InputError, match=re.escape(f"Got {named}, expected")):
        BatchSpec(**settings)


@pytest.fixture(scope="module")
def small_matcher():
    from small_cluster import CLUSTER

    frame = validate_profiles(pd.DataFrame(CLUSTER).fillna(""))
    return PartnerMatcher(model="default").fit(frame)


def test_unknown_members_and_candidates_are_input_errors_and_key_errors(small_matcher, tmp_path):
    from matcher.batch.jobs import run_batch
    from matcher.batch.scoring import BatchScorer, BatchSpec
    from matcher.errors import InputError, UnknownMemberError

    spec = BatchSpec(k=3)
    with pytest.raises(UnknownMemberError) as caught:
        BatchScorer(small_matcher, ["knit-factory", "ghost"], spec)
    assert isinstance(caught.value, InputError) and isinstance(caught.value, KeyError)
    assert str(caught.value) == "1 candidates not among the fitted profiles: 'ghost'"
    assert caught.value.member_ids == ("ghost",)
    ghosts = [f"ghost-{i:02d}" for i in range(12)]
    with pytest.raises(UnknownMemberError) as caught:
        run_batch(
            small_matcher,
            ["designer", *ghosts],
            ["knit-factory"],
            spec,
            tmp_path / "w",
            progress=False,
        )
    assert str(caught.value) == (
        "12 members not among the fitted profiles: "
        + ", ".join(repr(g) for g in ghosts[:10])
        + " and 2 more"
    )
    with pytest.raises(InputError, match="the candidate list is empty"):
        run_batch(small_matcher, ["designer"], [], spec, tmp_path / "w", progress=False)
    assert not (tmp_path / "w").exists()


def test_write_table_refuses_a_file_type_and_a_sheet_too_long(tmp_path, monkeypatch):
    from matcher.batch import outputs as batch
    from matcher.errors import InputError

    frame = pd.DataFrame(
        {
            "member_id": ["a", "a", "b"],
            "rank": [1, 2, 1],
            "partner_id": ["x", "y", "x"],
            "partner_name": ["X", "Y", "X"],
            "score": [0.5, 0.4, 0.3],
            "reasons": ["r", "r", "r"],
            "member_name": ["A", "A", "B"],
        }
    )
    with pytest.raises(InputError, match=re.escape("s.txt: unsupported output file type '.txt'")):
        batch.write_table(frame, tmp_path / "s.txt")
    # Three suggestions of two members take 3 + 2 * 2 = 7 rows of one sheet.
    monkeypatch.setattr(batch, "EXCEL_MAX_ROWS", 6)
    with pytest.raises(InputError, match="take 7 rows, more than an Excel sheet's 6"):
        batch.write_table(frame, tmp_path / "s.xlsx")
    assert not list(tmp_path.iterdir())
