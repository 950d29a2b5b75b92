import json

import pytest
from click.testing import CliRunner

from matcher.cli import main


@pytest.fixture
def runner():
    return CliRunner()


def test_help_everywhere(runner):
    for command in ([], ["train"], ["recommend"], ["evaluate"], ["sample"], ["validate"], ["models"]):
        result = runner.invoke(main, [*command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output


def test_train_then_recommend_json(runner, tmp_path, cluster_files):
    profiles, links = cluster_files
    models = tmp_path / "models"
    result = runner.invoke(main, ["train", "--profiles", str(profiles), "--links", str(links),
                                  "--name", "t", "--models-dir", str(models)])
    assert result.exit_code == 0, result.output
    assert (models / "t" / "manifest.json").exists()
    result = runner.invoke(main, ["recommend", "--model", "t", "--models-dir", str(models),
                                  "--member", "designer", "--k", "2", "--format", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["member"] == "designer"
    assert payload["suggestions"][0]["partner_id"] == "knit-factory"
    assert set(payload["suggestions"][0]) == {"partner_id", "name", "network", "country", "score",
                                              "reasons", "details"}


def test_recommend_from_files_as_csv_and_table(runner, cluster_files):
    profiles, links = cluster_files
    result = runner.invoke(main, ["recommend", "--profiles", str(profiles), "--links", str(links),
                                  "--member", "designer", "--format", "csv", "--scope", "international"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == "member_id,rank,partner_id,name,network,country,score,reasons"
    assert all(",polish-fashion-cluster," in line for line in lines[1:])
    result = runner.invoke(main, ["recommend", "--profiles", str(profiles), "--member", "designer",
                                  "--language", "uk"])
    assert result.exit_code == 0 and "Пропонує те, що ви шукаєте" in result.output


def test_bad_input_exits_2_with_the_problem_on_stderr(runner, tmp_path, cluster_files):
    profiles, links = cluster_files
    bad = tmp_path / "bad.csv"
    bad.write_text("id,name,network,country,org_type,offers\nm1,A,kfc,UA,manufacturer,sewwing\n",
                   encoding="utf-8")
    result = runner.invoke(main, ["validate", "--profiles", str(bad)])
    assert result.exit_code == 2
    assert "did you mean 'sewing'?" in result.stderr
    result = runner.invoke(main, ["recommend", "--profiles", str(profiles), "--member", "ghost"])
    assert result.exit_code == 2 and "ghost" in result.stderr
    result = runner.invoke(main, ["recommend", "--profiles", str(profiles), "--member", "designer",
                                  "--org-type", "factry"])
    assert result.exit_code == 2 and "did you mean 'manufacturer'?" in result.stderr
    result = runner.invoke(main, ["recommend", "--model", "none", "--models-dir", str(tmp_path),
                                  "--member", "designer"])
    assert result.exit_code == 2 and "matcher train" in result.stderr
    result = runner.invoke(main, ["recommend", "--member", "designer"])
    assert result.exit_code == 2 and "--profiles is required" in result.stderr


def test_tampered_model_exits_2(runner, tmp_path, cluster_files):
    profiles, links = cluster_files
    runner.invoke(main, ["train", "--profiles", str(profiles), "--name", "t", "--models-dir", str(tmp_path)])
    with (tmp_path / "t" / "model.joblib").open("ab") as handle:
        handle.write(b"x")
    result = runner.invoke(main, ["recommend", "--model", "t", "--models-dir", str(tmp_path),
                                  "--member", "designer"])
    assert result.exit_code == 2 and "does not match its manifest" in result.stderr


def test_other_failures_exit_1(runner, tmp_path, cluster_files, monkeypatch):
    profiles, _ = cluster_files

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("matcher.artifacts.save_model", broken)
    result = runner.invoke(main, ["train", "--profiles", str(profiles), "--models-dir", str(tmp_path)])
    assert result.exit_code == 1 and "disk on fire" in result.stderr


def test_evaluate_json_shape(runner, tmp_path, cluster_files):
    profiles, _ = cluster_files
    links = tmp_path / "links.csv"
    links.write_text("source,target,kind\ndesigner,knit-factory,partner\ntext-only,yarn-supplier,supplier\n"
                     "knit-factory,yarn-supplier,supplier\nsewing-factory,fabric-mill,supplier\n"
                     "pl-distributor,pl-knit-factory,partner\n", encoding="utf-8")
    result = runner.invoke(main, ["evaluate", "--profiles", str(profiles), "--links", str(links),
                                  "--k", "3", "--folds", "2", "--format", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["k"] == 3 and "matcher" in payload["methods"] and "recall@3" in payload["methods"]["rule"]
