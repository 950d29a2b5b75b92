import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from matcher.cli import main


@pytest.fixture
def runner():
    return CliRunner()


def test_help_everywhere(runner):
    for command in (
        [],
        ["train"],
        ["recommend"],
        ["evaluate"],
        ["sample"],
        ["validate"],
        ["models"],
    ):
        result = runner.invoke(main, [*command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output


def test_train_then_recommend_json(runner, tmp_path, cluster_files):
    profiles, links = cluster_files
    models = tmp_path / "models"
    result = runner.invoke(
        main,
        [
            "train",
            "--profiles",
            str(profiles),
            "--links",
            str(links),
            "--name",
            "t",
            "--models-dir",
            str(models),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (models / "t" / "manifest.json").exists()
    result = runner.invoke(
        main,
        [
            "recommend",
            "--model",
            "t",
            "--models-dir",
            str(models),
            "--member",
            "designer",
            "--k",
            "2",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["member"] == "designer"
    assert payload["suggestions"][0]["partner_id"] == "knit-factory"
    assert set(payload["suggestions"][0]) == {
        "partner_id",
        "name",
        "network",
        "country",
        "score",
        "reasons",
        "details",
    }


def test_recommend_from_files_as_csv_and_table(runner, cluster_files):
    profiles, links = cluster_files
    result = runner.invoke(
        main,
        [
            "recommend",
            "--profiles",
            str(profiles),
            "--links",
            str(links),
            "--member",
            "designer",
            "--format",
            "csv",
            "--scope",
            "international",
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == "member_id,rank,partner_id,name,network,country,score,reasons"
    assert all(",polish-fashion-cluster," in line for line in lines[1:])
    result = runner.invoke(
        main, ["recommend", "--profiles", str(profiles), "--member", "designer", "--language", "uk"]
    )
    assert result.exit_code == 0 and "Пропонує те, що ви шукаєте" in result.output


def test_bad_input_exits_2_with_the_problem_on_stderr(runner, tmp_path, cluster_files):
    profiles, _links = cluster_files
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "id,name,network,country,org_type,offers\nm1,A,kfc,UA,manufacturer,sewwing\n",
        encoding="utf-8",
    )
    result = runner.invoke(main, ["validate", "--profiles", str(bad)])
    assert result.exit_code == 2
    assert "did you mean 'sewing'?" in result.stderr
    result = runner.invoke(main, ["recommend", "--profiles", str(profiles), "--member", "ghost"])
    assert result.exit_code == 2 and "ghost" in result.stderr
    result = runner.invoke(
        main,
        ["recommend", "--profiles", str(profiles), "--member", "designer", "--org-type", "factry"],
    )
    assert result.exit_code == 2 and "did you mean 'manufacturer'?" in result.stderr
    result = runner.invoke(
        main,
        ["recommend", "--model", "none", "--models-dir", str(tmp_path), "--member", "designer"],
    )
    assert result.exit_code == 2 and "matcher train" in result.stderr
    result = runner.invoke(main, ["recommend", "--member", "designer"])
    assert result.exit_code == 2 and "--profiles is required" in result.stderr


@pytest.mark.parametrize("tampered", ["model.joblib", "serving/serving.json"])
def test_tampered_model_exits_2(runner, tmp_path, cluster_files, tampered):
    profiles, _links = cluster_files
    runner.invoke(
        main, ["train", "--profiles", str(profiles), "--name", "t", "--models-dir", str(tmp_path)]
    )
    if tampered == "model.joblib":
        # The whole model is read when the manifest lists no serving artifact (a model saved
        # by an earlier release); otherwise the command reads only the serving files.
        manifest = json.loads((tmp_path / "t" / "manifest.json").read_text(encoding="utf-8"))
        manifest["serving"] = None
        (tmp_path / "t" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with (tmp_path / "t" / tampered).open("ab") as handle:
        handle.write(b"x")
    result = runner.invoke(
        main, ["recommend", "--model", "t", "--models-dir", str(tmp_path), "--member", "designer"]
    )
    assert result.exit_code == 2 and "does not match its manifest" in result.stderr


def test_other_failures_exit_1(runner, tmp_path, cluster_files, monkeypatch):
    profiles, _ = cluster_files

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("matcher.engine.artifacts.save_model", broken)
    result = runner.invoke(
        main, ["train", "--profiles", str(profiles), "--models-dir", str(tmp_path)]
    )
    assert result.exit_code == 1 and "disk on fire" in result.stderr


def test_evaluate_json_shape(runner, tmp_path, cluster_files):
    profiles, _ = cluster_files
    links = tmp_path / "links.csv"
    links.write_text(
        "source,target,kind\ndesigner,knit-factory,partner\ntext-only,yarn-supplier,supplier\n"
        "knit-factory,yarn-supplier,supplier\nsewing-factory,fabric-mill,supplier\n"
        "pl-distributor,pl-knit-factory,partner\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        main,
        [
            "evaluate",
            "--profiles",
            str(profiles),
            "--links",
            str(links),
            "--k",
            "3",
            "--folds",
            "2",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert (
        payload["k"] == 3
        and "matcher" in payload["methods"]
        and "recall@3" in payload["methods"]["rule"]
    )


def _broken(error):
    def raise_it(*args, **kwargs):
        raise error

    return raise_it


@pytest.mark.parametrize(
    "error", [ValueError("operands could not be broadcast together"), KeyError("feature_7")]
)
def test_an_internal_value_or_key_error_is_a_failure_of_the_program(
    runner, cluster_files, monkeypatch, error
):
    """numpy's and scikit-learn's ValueError and KeyError are the program's fault: exit 1, one
    line that names the exception and says how to see the traceback; the traceback with -v."""
    profiles, _ = cluster_files
    monkeypatch.setattr("matcher.engine.ranking.PartnerMatcher.recommend", _broken(error))
    args = ["recommend", "--profiles", str(profiles), "--member", "designer"]
    result = runner.invoke(main, args)
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {type(error).__name__}: ")
    assert "run with -v for the traceback" in lines[0]
    assert "Traceback" not in result.stderr
    result = runner.invoke(main, ["-v", *args])
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert f"error: {type(error).__name__}: " in result.stderr


def test_an_input_error_exits_2_with_its_message_alone(runner, cluster_files, monkeypatch):
    from matcher.errors import InputError

    profiles, _ = cluster_files
    monkeypatch.setattr(
        "matcher.engine.ranking.PartnerMatcher.recommend",
        _broken(InputError("k: got 0, expected a positive integer")),
    )
    result = runner.invoke(
        main, ["-v", "recommend", "--profiles", str(profiles), "--member", "designer"]
    )
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: k: got 0, expected a positive integer"


def test_a_missing_file_is_bad_input_only_when_the_user_named_it(
    runner, tmp_path, cluster_files, monkeypatch
):
    profiles, _ = cluster_files
    result = runner.invoke(
        main, ["recommend", "--profiles", str(tmp_path / "nope.csv"), "--member", "designer"]
    )
    assert result.exit_code == 2 and "profiles file not found" in result.stderr

    def open_own_file(*args, **kwargs):
        # One of the program's own files, not a path of the command line.
        (tmp_path / "elsewhere" / "vocabulary.yaml").read_text(encoding="utf-8")

    monkeypatch.setattr("matcher.engine.ranking.PartnerMatcher.recommend", open_own_file)
    result = runner.invoke(main, ["recommend", "--profiles", str(profiles), "--member", "designer"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: FileNotFoundError: ")


def test_an_unknown_member_is_bad_input_with_the_closest_id(runner, cluster_files):
    profiles, _ = cluster_files
    result = runner.invoke(main, ["recommend", "--profiles", str(profiles), "--member", "desiger"])
    assert result.exit_code == 2
    assert "'desiger' is not among the 11 profiles; did you mean 'designer'?" in result.stderr


def test_validate_lists_a_missing_column_with_every_row_problem_in_file_order(runner, tmp_path):
    bad = tmp_path / "profiles.csv"
    bad.write_text(
        "id,name,network,country,offers,employees\n"
        "m1,A,kharkiv-fashion-cluster,Poland,sewwing,-3\n"
        "m2,,kharkiv-fashion-cluster,UA,sewing,5\n"
        "m2,C,Bad Net,UA,sewing,x\n",
        encoding="utf-8",
    )
    result = runner.invoke(main, ["validate", "--profiles", str(bad)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines[0] == f"error: {bad}: 8 problems"
    found = [line.strip() for line in lines[1:]]
    assert found[0].startswith("column 'org_type': required column 'org_type' is missing")
    assert found[1:] == [
        (
            "row 2, column 'country': 'Poland' is not an ISO 3166-1 alpha-2 country code; "
            "did you mean 'PL'?"
        ),
        "row 2, column 'offers': 'sewwing' is not a capability; did you mean 'sewing'?",
        "row 2, column 'employees': '-3' is not a whole number >= 0",
        "row 3, column 'name': name is required",
        "row 4, column 'id': duplicate id 'm2' (first at row 3)",
        (
            "row 4, column 'network': 'Bad Net' is not a slug: lower-case letters and digits joined "
            "by '-', e.g. 'kharkiv-fashion-cluster'"
        ),
        "row 4, column 'employees': 'x' is not a whole number >= 0",
    ]


def test_validate_checks_the_links_even_when_the_profiles_have_problems(runner, tmp_path):
    profiles = tmp_path / "profiles.csv"
    profiles.write_text(
        "id,name,network,country,org_type,offers\n"
        "m1,A,kharkiv-fashion-cluster,UA,manufacturer,sewing\n"
        "m2,B,kharkiv-fashion-cluster,UA,factry,sewing\n",
        encoding="utf-8",
    )
    links = tmp_path / "links.csv"
    links.write_text(
        "source,target,kind,date\n"
        "m1,m2,partner,2024-01-05\n"
        "m1,ghost,friend,2024-01-05\n"
        "m2,m1,deal,someday\n",
        encoding="utf-8",
    )
    result = runner.invoke(main, ["validate", "--profiles", str(profiles), "--links", str(links)])
    assert result.exit_code == 2
    found = [line.strip() for line in result.stderr.strip().splitlines()]
    assert found[0] == f"error: {profiles}: 1 problem"
    assert found[1].startswith("row 3, column 'org_type': 'factry' is not an org_type")
    # m2's row has a problem, but the file gives the id: a link to it is not one more problem.
    assert found[2:] == [
        f"{links}: 3 problems",
        "row 3, column 'target': 'ghost' is not the id of any profile",
        (
            "row 3, column 'kind': 'friend' is not a link kind; allowed: partner, supplier, "
            "meeting, deal, declined"
        ),
        "row 4, column 'date': 'someday' is not an ISO 8601 date (YYYY-MM-DD)",
    ]


def test_validate_checks_the_links_own_values_when_the_profiles_cannot_be_read(runner, tmp_path):
    profiles = tmp_path / "profiles.json"
    profiles.write_text('[{"id": "m1",', encoding="utf-8")
    links = tmp_path / "links.csv"
    links.write_text("source,kind\nm1,friend\n", encoding="utf-8")
    result = runner.invoke(main, ["validate", "--profiles", str(profiles), "--links", str(links)])
    assert result.exit_code == 2
    found = [line.strip() for line in result.stderr.strip().splitlines()]
    assert found[0] == f"error: {profiles}: 1 problem"
    assert found[1].startswith("not valid JSON")
    # Whether m1 is a profile cannot be known: only the file's own columns and values count.
    assert found[2:] == [
        f"{links}: 2 problems",
        (
            "column 'target': required column 'target' is missing; the columns are source, "
            "target, kind, date"
        ),
        (
            "row 2, column 'kind': 'friend' is not a link kind; allowed: partner, supplier, "
            "meeting, deal, declined"
        ),
    ]
    result = runner.invoke(
        main, ["validate", "--profiles", str(tmp_path / "none.csv"), "--links", str(links)]
    )
    assert result.exit_code == 2
    missing = tmp_path / "none.csv"
    assert f"{missing}: 1 problem\n  file not found\n{links}: 2 problems" in result.stderr


def test_the_missing_model_message_names_the_folder_and_how_to_list_or_train(
    runner, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # the default --models-dir, models, is relative
    result = runner.invoke(main, ["recommend", "--model", "nosuch", "--member", "kfc-0001"])
    assert result.exit_code == 2
    message = result.stderr.strip()
    folder = Path("models") / "nosuch"
    assert message.startswith(f"error: no model at {folder} (manifest.json is missing)")
    assert "models/models" not in message
    assert "`matcher models` lists the trained models" in message
    assert "`matcher train --name nosuch` trains one" in message
    result = runner.invoke(
        main,
        ["recommend", "--model", "nosuch", "--models-dir", str(tmp_path), "--member", "kfc-0001"],
    )
    assert f"no model at {tmp_path / 'nosuch'} " in result.stderr
    assert f"`matcher models --models-dir {tmp_path}` lists" in result.stderr
    assert f"`matcher train --name nosuch --models-dir {tmp_path}` trains one" in result.stderr


def test_train_shows_the_cross_validation_fold_by_fold(runner, tmp_path, monkeypatch):
    import matcher.engine.evaluation
    from matcher.datasets.generator import generate_links, generate_profiles

    profiles, links = tmp_path / "profiles.csv", tmp_path / "links.csv"
    frame = generate_profiles(30, seed=1, n_networks=2, home_share=0.5)
    frame.to_csv(profiles, index=False)
    # 17 positive links: above the 10 train cross-validates from, and a fit of a second.
    generate_links(frame, seed=1, links_per_member=1.0).to_csv(links, index=False)
    evaluate = matcher.engine.evaluation.evaluate
    # The real cross-validation, of the cheap baselines only: a fit per fold would take seconds.
    monkeypatch.setattr(
        "matcher.engine.evaluation.evaluate",
        lambda *args, **kwargs: evaluate(*args, **kwargs, methods=["popularity"]),
    )
    result = runner.invoke(
        main,
        [
            "train",
            "--profiles",
            str(profiles),
            "--links",
            str(links),
            "--eval-folds",
            "2",
            "--models-dir",
            str(tmp_path / "models"),
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert re.fullmatch(
        r"cross-validating on 17 positive links \(2 folds; --no-evaluate skips "
        r"this\)\.\.\.",
        lines[0],
    )
    assert re.fullmatch(
        r"  fold 1/2: \d+ queries, popularity recall@10=\d\.\d{3} \(\d+ s\)", lines[1]
    )
    assert re.fullmatch(r"  fold 2/2: .* \(\d+ s\)", lines[2])
    assert lines[3] == "fitting the model on 30 profiles and 17 links..."
    assert "fold 1/2" not in result.stdout


def test_options_the_library_refuses_are_bad_input(runner, tmp_path, cluster_files):
    profiles, links = cluster_files
    result = runner.invoke(
        main,
        [
            "evaluate",
            "--profiles",
            str(profiles),
            "--links",
            str(links),
            "--methods",
            "matcher,bogus",
        ],
    )
    assert result.exit_code == 2
    assert "Unknown methods ['bogus']; allowed: matcher, linear, random" in result.stderr
    result = runner.invoke(
        main, ["evaluate", "--profiles", str(profiles), "--links", str(links), "--folds", "3"]
    )
    assert result.exit_code == 2
    assert (
        "Got 2 positive links (kinds deal, partner, supplier), need at least folds=3"
        in result.stderr
    )
    result = runner.invoke(
        main, ["train", "--profiles", str(profiles), "--name", "a/b", "--models-dir", str(tmp_path)]
    )
    assert result.exit_code == 2 and "--name 'a/b': a model name is a folder name" in result.stderr


@pytest.mark.parametrize("model_kind", ["gbt", "logistic"])
@pytest.mark.parametrize(
    "with_links, where", [(False, "without --links there are 0"), (True, "--links holds 2")]
)
def test_batch_with_a_learned_model_and_too_few_links_is_bad_input(
    runner, tmp_path, cluster_files, model_kind, with_links, where
):
    """`--model-kind gbt` learns from positive links: without them (or with the hand-built
    cluster's two) it is the user's to fix, exit 2 naming the option and the count; it was a
    failure of the program (exit 1) before."""
    profiles, links = cluster_files
    out = tmp_path / "out.csv"
    args = [
        "batch",
        "--members",
        str(profiles),
        "--candidates",
        str(profiles),
        "--out",
        str(out),
        "--model-kind",
        model_kind,
        *(["--links", str(links)] if with_links else []),
    ]
    result = runner.invoke(main, args)
    assert result.exit_code == 2, result.output
    message = result.stderr.strip()
    assert message.startswith(
        f"error: --model-kind {model_kind} learns the score from known "
        "positive links (partner, supplier or deal) and needs at least 3 "
        "distinct pairs among --members and --candidates; "
    )
    assert where in message and "--model-kind auto or default" in message
    assert "Traceback" not in result.stderr and not out.exists()


def test_a_learned_model_refused_by_the_library_is_bad_input_too(
    runner, tmp_path, cluster_files, monkeypatch
):
    """Without the command's own check the fit refuses the model, naming it: exit 2 all the same."""
    profiles, _ = cluster_files
    monkeypatch.setattr("matcher.cli.batch._check_links_to_learn_from", lambda *args: None)
    result = runner.invoke(
        main,
        [
            "batch",
            "--members",
            str(profiles),
            "--candidates",
            str(profiles),
            "--out",
            str(tmp_path / "out.csv"),
            "--model-kind",
            "gbt",
        ],
    )
    assert result.exit_code == 2, result.output
    assert "model='gbt' learns the score from known positive links" in result.stderr
    assert "got 0." in result.stderr


def test_sample_writes_the_value_chain_world_that_validate_accepts(runner, tmp_path):
    out = tmp_path / "world"
    result = runner.invoke(
        main, ["sample", "--out", str(out), "--world", "value-chain", "--seed", "3"]
    )
    assert result.exit_code == 0, result.output
    assert "fictional value-chain world, seed 3" in result.stdout
    result = runner.invoke(
        main,
        ["validate", "--profiles", str(out / "profiles.csv"), "--links", str(out / "links.csv")],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("2400 profiles in 12 networks")


def test_the_evaluation_table_says_when_the_matcher_is_below_the_linear_baseline():
    from matcher.cli.commands import _evaluation_table
    from matcher.engine.evaluation import below_linear

    methods = {
        "matcher": {"recall@10": 0.12, "ndcg@10": 0.09, "mrr": 0.1, "coverage": 0.3},
        "linear": {"recall@10": 0.17, "ndcg@10": 0.08, "mrr": 0.1, "coverage": 0.2},
    }
    warnings = below_linear(methods, 10)
    assert warnings == [
        "the matcher's recall@10 (0.120) is below the linear baseline's (0.170) on these data"
    ]
    result = {
        "k": 10,
        "folds": 5,
        "queries": 9,
        "profiles": 20,
        "links": 30,
        "seconds": 1.0,
        "methods": methods,
        "warnings": warnings,
    }
    assert _evaluation_table(result).splitlines()[-1] == f"warning: {warnings[0]}"
    methods["matcher"]["recall@10"] = 0.17
    assert below_linear(methods, 10) == []
