"""The simulated season (issue 17), small enough for CI: `matcher simulate` on a generated
value-chain world of 150 FICTIONAL organisations, three rounds."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from matcher.cli import main
from matcher.engine.simulation import SeasonSettings, links_from_events
from matcher.errors import InputError
from matcher.profiles import Link


@pytest.fixture(scope="module")
def season(tmp_path_factory):
    out = tmp_path_factory.mktemp("season") / "season.json"
    args = ["simulate", "--organisations", "150", "--members", "40", "--rounds", "3"]
    args += ["--model", "logistic", "--out", str(out)]
    for policy in ("learning", "never", "oracle"):
        args += ["--policy", policy]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    record = json.loads(out.read_text())
    figures = {(f["policy"], f["round"], f["group"]): f for f in record["figures"]}
    return result.output, record, figures


def test_the_season_reports_every_policy_round_and_group(season):
    output, record, figures = season
    assert record["settings"]["rounds"] == 3 and record["settings"]["explore"] == 0.1
    assert set(figures) == {
        (policy, round_number, group)
        for policy in ("learning", "never", "oracle")
        for round_number in (1, 2, 3)
        for group in ("all", "cold")
    }
    for line in figures.values():
        for name in ("recall", "ndcg", "acceptance", "coverage", "repeat", "members_with_accepted"):
            assert line[name] is None or 0 <= line[name] <= 1, (name, line)
        assert line["shown"] <= 10 * line["members"]
    assert "## Cold start" in output and "| learning | 3 |" in output
    assert "### Recall@k of the partners the latent process would accept, all members" in output
    assert "| policy | round 1 | round 2 | round 3 |" in output
    assert "never: the round-one model throughout" in output


def test_the_oracle_is_the_ceiling_and_nothing_is_shown_twice_in_round_one(season):
    _, _, figures = season
    for round_number in (1, 2, 3):
        oracle = figures[("oracle", round_number, "all")]
        assert oracle["recall"] == oracle["ndcg"] == 1.0
        for policy in ("learning", "never"):
            line = figures[(policy, round_number, "all")]
            assert line["recall"] < 1 and line["acceptance"] <= oracle["acceptance"] + 0.05
    for policy in ("learning", "never", "oracle"):
        assert figures[(policy, 1, "all")]["repeat"] == 0


def test_the_learning_model_shows_ignored_partners_again_less_than_the_one_that_never_learns(
    season,
):
    # Suggestions shown and ignored are weak negatives: the learned model pushes them down,
    # while the model that never learns shows the same ignored partners again.
    _, _, figures = season
    for round_number in (2, 3):
        assert (
            figures[("learning", round_number, "all")]["repeat"]
            < figures[("never", round_number, "all")]["repeat"]
        )


def test_bad_settings_are_refused_by_name():
    with pytest.raises(InputError, match="members=200, expected at most organisations=150"):
        SeasonSettings(organisations=150, members=200).check()
    result = CliRunner().invoke(main, ["simulate", "--policy", "greedy"])
    assert result.exit_code == 2 and "'greedy'" in result.output


def test_links_only_learns_mutual_acceptances_and_declines_as_before():
    events = [
        ("a", "b", "shown"),
        ("a", "b", "accepted"),
        ("a", "c", "accepted"),
        ("c", "a", "declined"),
        ("b", "a", "accepted"),
        ("a", "d", "declined"),
        ("a", "d", "undeclined"),
        ("a", "e", "meeting"),
    ]
    assert links_from_events(events) == [
        Link("a", "b", "partner"),
        Link("c", "a", "declined"),
        Link("b", "a", "partner"),
        Link("a", "e", "meeting"),
    ]
