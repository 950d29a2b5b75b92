import json
import re

import pytest

from matcher.engine.artifacts import (
    ArtifactError,
    list_models,
    load_model,
    read_manifest,
    save_model,
)
from matcher.engine.ranking import PartnerMatcher


@pytest.fixture
def saved(tmp_path, cluster_frame, cluster_links):
    matcher = PartnerMatcher().fit(cluster_frame, cluster_links)
    folder = save_model(matcher, "test", cluster_links, tmp_path, evaluation={"k": 10})
    return tmp_path, folder


def test_round_trip_with_manifest(saved):
    models_dir, folder = saved
    matcher, manifest = load_model("test", models_dir)
    assert matcher.recommend("designer", k=1)[0].partner_id == "knit-factory"
    assert manifest["profiles"] == 11 and manifest["links"] == 3
    assert manifest["versions"]["scikit-learn"]
    assert len(manifest["sha256"]) == 64 and len(manifest["data_sha256"]) == 64
    assert [m["name"] for m in list_models(models_dir)] == ["test"]
    assert not list(folder.glob("*.tmp"))


def test_tampered_artifact_is_refused(saved):
    models_dir, folder = saved
    with (folder / "model.joblib").open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ArtifactError, match="does not match its manifest"):
        load_model("test", models_dir)


def test_other_versions_are_refused(saved):
    models_dir, folder = saved
    manifest = read_manifest("test", models_dir)
    manifest["versions"]["scikit-learn"] = "0.1"
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ArtifactError, match="made with scikit-learn 0.1"):
        load_model("test", models_dir)


def test_missing_model_says_how_to_make_one(tmp_path):
    with pytest.raises(ArtifactError, match="matcher train"):
        load_model("nothing", tmp_path)


def test_data_hash_changes_with_the_data(tmp_path, cluster_frame, cluster_links):
    matcher = PartnerMatcher().fit(cluster_frame, cluster_links)
    first = json.loads(
        (save_model(matcher, "a", cluster_links, tmp_path) / "manifest.json").read_text()
    )
    second = json.loads(
        (save_model(matcher, "b", cluster_links[:1], tmp_path) / "manifest.json").read_text()
    )
    assert first["data_sha256"] != second["data_sha256"]


@pytest.mark.parametrize("name", ["", "a/b", "a\\b", ".hidden", ".."])
def test_a_model_name_that_is_not_a_folder_name_is_an_input_error(tmp_path, cluster_frame, name):
    from matcher.errors import InputError

    matcher = PartnerMatcher(model="default").fit(cluster_frame)
    with pytest.raises(InputError, match=re.escape(f"Got name={name!r}, expected a folder name")):
        save_model(matcher, name, models_dir=tmp_path / "models")
    assert not (tmp_path / "models").exists()


def test_the_manifest_records_how_the_model_was_chosen(tmp_path):
    from matcher.datasets.generator import generate_cluster
    from matcher.profiles import validate_links, validate_profiles

    raw, raw_links = generate_cluster(n_home=20, n_international=160, seed=2)
    frame = validate_profiles(raw, source="g")
    links = validate_links(raw_links, frame["member_id"], source="l")
    matcher = PartnerMatcher(negatives_per_source=60).fit(frame, links)
    save_model(matcher, "chosen", links, tmp_path)
    manifest = read_manifest("chosen", tmp_path)
    assert (
        manifest["candidate"]
        == manifest["model_selection"]["chosen"]
        == matcher.candidate_.to_dict()
    )
    assert manifest["model"] == manifest["candidate"]["family"]
    assert manifest["dropped_features"] == list(matcher.dropped_features_)
    scores = manifest["model_selection"]["candidates"]
    assert [c["name"] for c in scores] == ["logistic-strong", "logistic", "gbt-shallow", "gbt"]
    assert all(0 <= c["recall@10"] <= 1 and c["members"] > 0 for c in scores)


def test_a_model_saved_under_the_former_module_names_still_loads(
    tmp_path, cluster_frame, cluster_links, monkeypatch
):
    """A model trained before the engine became a package names its classes by the former
    paths (``matcher.ranking.PartnerMatcher``); a service's trained versions keep loading."""
    import importlib
    import sys

    import joblib

    from matcher.engine.artifacts import FORMER_MODULES

    matcher = PartnerMatcher().fit(cluster_frame, cluster_links)
    for old, new in FORMER_MODULES.items():
        module = importlib.import_module(new)
        monkeypatch.setitem(sys.modules, old, module)
        for value in vars(module).values():
            if isinstance(value, type) and value.__module__ == new:
                monkeypatch.setattr(value, "__module__", old)
    save_model(matcher, "former", cluster_links, tmp_path)
    monkeypatch.undo()

    artifact = (tmp_path / "former" / "model.joblib").read_bytes()
    assert b"matcher.ranking" in artifact and b"matcher.engine" not in artifact
    with pytest.raises(ModuleNotFoundError, match="matcher.ranking"):
        joblib.load(tmp_path / "former" / "model.joblib")
    loaded, _ = load_model("former", tmp_path)
    assert type(loaded) is PartnerMatcher
    assert [s.partner_id for s in loaded.recommend("designer", k=3)] == [
        s.partner_id for s in matcher.recommend("designer", k=3)
    ]
    assert not set(FORMER_MODULES) & set(sys.modules)
