"""The serving artifact (matcher.engine.serving) answers what the whole engine answers.

The one-shot ``matcher recommend --model NAME`` ranks from plain arrays with numpy alone; its
suggestions must be the engine's to the last bit (partners, order, scores, reasons, details)
for every option the command has: scope, filters, k, language, exploration.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier

from matcher.datasets.generator import SAMPLE_DIR
from matcher.engine.artifacts import ArtifactError, load_serving, read_manifest, save_model
from matcher.engine.forest import CompiledForest
from matcher.engine.ranking import PartnerMatcher
from matcher.engine.serving import forest_decision
from matcher.profiles import Link, read_links, read_profile_frame

#: The options of `matcher recommend` besides the member, each tried on the members below.
OPTIONS = [
    {},
    {"scope": "cluster", "k": 5},
    {"scope": "international", "language": "uk"},
    {"filters": {"country": ["UA", "PL"]}, "k": 20},
    {"filters": {"partnership_type": ["supplier"], "certification": ["OEKO-TEX"]}},
    {"filters": {"org_type": ["manufacturer"]}, "scope": "cluster", "language": "uk", "k": 3},
]


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The shipped sample fitted with the tree model, saved; and its serving artifact."""
    frame = read_profile_frame(str(SAMPLE_DIR / "profiles.csv"))
    links = read_links(str(SAMPLE_DIR / "links.csv"), frame["member_id"])
    matcher = PartnerMatcher(model="gbt").fit(frame, links)
    models = tmp_path_factory.mktemp("models")
    save_model(matcher, "sample", links, models)
    return matcher, load_serving("sample", models)


def test_sample_members_get_the_engines_suggestions(sample):
    matcher, served = sample
    assert matcher.forest_ is not None and served.document["scorer"] == "forest"
    members = list(matcher.position_)
    # Every 16th member with the default options (135 of 2,150), every 80th with each option.
    for member in members[::16]:
        assert served.recommend(member) == matcher.recommend(member), member
    for member in members[3::80]:
        for options in OPTIONS[1:]:
            assert served.recommend(member, **options) == matcher.recommend(member, **options), (
                member,
                options,
            )


@pytest.mark.parametrize("model", ["default", "logistic"])
def test_small_cluster_with_each_score_and_exploration(
    tmp_path, cluster_frame, cluster_links, model
):
    # The hand-built cluster with a few more links, scored by the default weights or a
    # logistic model; half of each shortlist explores (the least exposed partners of the next
    # candidates).
    links = cluster_links + [
        Link("designer", "knit-factory"),
        Link("yarn-supplier", "knit-factory", "supplier"),
        Link("logistics", "pl-distributor"),
        Link("sewing-factory", "designer", "deal"),
    ]
    matcher = PartnerMatcher(model=model, explore=0.5).fit(cluster_frame, links)
    save_model(matcher, "small", links, tmp_path)
    served = load_serving("small", tmp_path)
    assert served.document["scorer"] == model
    explored = 0
    for member in matcher.position_:
        for options in [*OPTIONS, {"k": 4}, {"k": 2, "language": "uk"}]:
            expected = matcher.recommend(member, **options)
            assert served.recommend(member, **options) == expected, (member, options)
            explored += sum(s.details.get("exploration", False) for s in expected)
    assert explored


def test_forest_walk_matches_the_compiled_one_with_missing_values():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 6))
    X[rng.random(X.shape) < 0.15] = np.nan
    y = (np.nan_to_num(X[:, 0]) + rng.standard_normal(400) > 0).astype(int)
    model = CalibratedClassifierCV(
        HistGradientBoostingClassifier(max_iter=30, random_state=0), method="sigmoid", cv=3
    ).fit(X[:300], y[:300])
    forest = CompiledForest.from_calibrated(model)
    names = ("feature", "threshold", "left", "right", "value", "roots", "model_of_tree")
    arrays = {f"forest_{name}": getattr(forest, name) for name in names}
    arrays |= {
        "forest_missing_left": forest.missing_left.astype(bool),
        "forest_is_leaf": forest.is_leaf.astype(bool),
        "forest_baseline": forest.baseline,
    }
    for rows in (X[300:], X[300:].astype(np.float32)):
        np.testing.assert_array_equal(forest_decision(rows, arrays), forest.decision(rows))


def test_damaged_or_missing_artifact(tmp_path, cluster_frame, cluster_links):
    matcher = PartnerMatcher().fit(cluster_frame, cluster_links)
    folder = save_model(matcher, "small", cluster_links, tmp_path)
    manifest = read_manifest("small", tmp_path)
    assert all(len(sha) == 64 for sha in manifest["serving"]["files"].values())
    with (folder / "serving" / "exposure.npy").open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ArtifactError, match="exposure.npy does not match its manifest"):
        load_serving("small", tmp_path)
    # Other versions are refused as load_model refuses them.
    manifest["versions"]["scikit-learn"] = "0.1"
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ArtifactError, match="made with scikit-learn 0.1"):
        load_serving("small", tmp_path)
    # A model saved without the artifact (an older release) is loaded whole.
    manifest["serving"] = None
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert load_serving("small", tmp_path) is None


def test_one_shot_command_imports_no_heavy_library(tmp_path, cluster_frame, cluster_links):
    matcher = PartnerMatcher().fit(cluster_frame, cluster_links)
    save_model(matcher, "small", cluster_links, tmp_path)
    member = next(iter(matcher.position_))
    code = (
        "import sys\n"
        "from matcher.cli import main\n"
        "try:\n"
        f"    main(['recommend', '--model', 'small', '--member', {member!r},\n"
        f"          '--models-dir', {str(tmp_path)!r}, '--format', 'json'])\n"
        "except SystemExit as done:\n"
        "    assert not done.code, done.code\n"
        "heavy = [m for m in ('pandas', 'sklearn', 'scipy', 'numba', 'joblib') if m in sys.modules]\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in done.stderr, done.stderr
    payload = json.loads(done.stdout)
    expected = [s.to_dict() for s in matcher.recommend(member)]
    assert payload == {"member": member, "suggestions": expected}
