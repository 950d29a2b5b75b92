"""The choice of the re-ranking model by inner cross-validation (matcher.engine.model_selection)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from matcher.engine.model_selection import (
    EVIDENCE_SE,
    MODEL_CANDIDATES,
    OPTIONAL_FEATURES,
    TrainingPairs,
    build_learner,
    candidate_named,
    feature_evidence_se,
    inner_scores,
    select_model,
    without_features,
)
from matcher.engine.pairs import PAIR_FEATURES


def test_inner_scores_by_hand():
    # Group 0: the positive is second (one negative above it); group 1: the positive is level
    # with a negative (a tie counts against it) and that negative stands for 12 profiles.
    scores = np.array([0.9, 0.8, 0.1, 0.5, 0.5, 0.2])
    y = np.array([0, 1, 0, 1, 0, 0])
    groups = np.array([0, 0, 0, 1, 1, 1])
    recall, reciprocal = inner_scores(scores, y, groups, k=2)
    np.testing.assert_allclose(recall, [1.0, 1.0])
    np.testing.assert_allclose(reciprocal, [1 / 2, 1 / 2])
    weights = np.array([1, 1, 1, 1, 12, 1])
    recall, reciprocal = inner_scores(scores, y, groups, weights, k=2)
    np.testing.assert_allclose(recall, [1.0, 0.0])
    np.testing.assert_allclose(reciprocal, [1 / 2, 1 / 13])


def test_inner_scores_count_the_other_positives_above_and_skip_groups_without_one():
    scores = np.array([0.9, 0.8, 0.7, 0.3, 0.2])
    y = np.array([1, 1, 0, 0, 0])
    groups = np.array([4, 4, 4, 9, 9])
    recall, reciprocal = inner_scores(scores, y, groups, k=1)
    # The second positive ranks after the first: at k=1 one of two is found; group 9 has none.
    np.testing.assert_allclose(recall, [0.5])
    np.testing.assert_allclose(reciprocal, [1.0])


def _pairs(signal, n_members=90, per_member=60, seed=0) -> TrainingPairs:
    """Synthetic training pairs: each member has 2 partners among `per_member` pairs, in 3
    parts; `signal(X)` gives the partners' log-odds."""
    rng = np.random.default_rng(seed)
    n = n_members * per_member
    X = rng.standard_normal((n, len(PAIR_FEATURES))).astype(np.float32)
    groups = np.repeat(np.arange(n_members), per_member)
    logits = signal(X) + rng.gumbel(size=n)
    y = np.zeros(n, dtype=int)
    for member in range(n_members):
        rows = np.flatnonzero(groups == member)
        y[rows[np.argsort(-logits[rows])[:2]]] = 1
    parts = groups % 3
    return TrainingPairs(X, y, groups, parts, np.ones(n))


def _column(name):
    return PAIR_FEATURES.index(name)


def test_trees_are_chosen_where_the_signal_is_an_interaction_and_logistic_where_it_is_linear():
    xor = _pairs(lambda X: 4.0 * (X[:, _column("text_ba")] * X[:, _column("view_ba")] > 0))
    chosen, _, record = select_model(xor)
    assert chosen.family == "gbt", record["candidates"]
    linear = _pairs(
        lambda X: 1.5 * X[:, _column("cover_ab")] + 1.0 * X[:, _column("same_country")],
        n_members=60,
        per_member=40,
    )
    chosen, _, record = select_model(linear)
    # The plain logistic model, unless others gain over it by more than EVIDENCE_SE paired
    # standard errors; then the best of those (by recall, then mean reciprocal rank; the earlier on a tie).
    assert record["reference"] == "logistic"
    candidates = record["candidates"]
    keys = [
        (c["recall@10"], c["mrr"], -i)
        for i, c in enumerate(candidates)
        if c["name"] != "logistic" and c["gain_over_reference"] > c["gain_se"]
    ]
    expected = candidates[-max(keys)[2]]["name"] if keys else "logistic"
    assert chosen.name == expected
    scores = {c["name"]: c["recall@10"] for c in candidates}
    assert (
        max(scores["logistic"], scores["logistic-strong"])
        >= max(scores["gbt"], scores["gbt-shallow"]) - 0.02
    )


def test_a_richer_model_needs_evidence_to_replace_the_plain_logistic_one():
    # Partners drawn at random: no candidate can gain over the plain model beyond noise.
    noise = _pairs(lambda X: np.zeros(len(X)), n_members=60, per_member=40)
    chosen, _, record = select_model(noise)
    assert chosen.name == "logistic", record["candidates"]
    for candidate in record["candidates"]:
        if candidate["name"] != "logistic":
            assert candidate["gain_over_reference"] <= EVIDENCE_SE * candidate["gain_se"]


def test_a_feature_group_is_left_out_only_on_evidence_that_it_misleads():
    names = OPTIONAL_FEATURES["names"][0]
    pairs = _pairs(lambda X: 3.0 * X[:, _column(names)], n_members=60, per_member=40)
    _, dropped, record = select_model(pairs)
    assert names not in dropped
    trials = {trial["group"]: trial for trial in record["features"]}
    assert trials["names"]["left_out"] is False and trials["names"]["gain_of_keeping"] > 0.1
    bar = feature_evidence_se(len(OPTIONAL_FEATURES))
    assert record["feature_evidence_se"] == pytest.approx(bar, abs=1e-3)
    for trial in record["features"]:
        assert trial["left_out"] == (-trial["gain_of_keeping"] > bar * trial["gain_se"])
    assert set(dropped) == {
        name for trial in record["features"] if trial["left_out"] for name in trial["features"]
    }
    json.dumps(record)  # stored in the model's manifest


def test_the_feature_groups_share_the_one_standard_error_rules_chance_of_a_spurious_gain():
    from statistics import NormalDist

    # One group: the rule itself; three: each at a third of its one-sided chance.
    assert feature_evidence_se(1) == pytest.approx(EVIDENCE_SE)
    assert feature_evidence_se(3) == pytest.approx(1.6175, abs=1e-4)
    chance = 1 - NormalDist().cdf(EVIDENCE_SE)
    assert 3 * (1 - NormalDist().cdf(feature_evidence_se(3))) == pytest.approx(chance)
    assert feature_evidence_se(6) > feature_evidence_se(3)


def test_a_feature_group_that_misleads_is_left_out():
    # The partners are those with a high cover; the tiers' columns carry a signal that flips
    # sign between the parts, so what the model learns from two parts misleads on the third.
    tiers = [_column(name) for name in OPTIONAL_FEATURES["tiers and sizes"]]

    def signal(X):
        return 2.0 * X[:, _column("cover_ab")]

    pairs = _pairs(signal, n_members=90, per_member=40)
    flip = np.where(pairs.parts == 0, 1.0, -1.0)[:, None]
    pairs.X[:, tiers] = (pairs.y[:, None] * 2.0 - 1.0) * flip * 1.5 + np.random.default_rng(
        3
    ).standard_normal((len(pairs.y), len(tiers)))
    _, dropped, record = select_model(pairs)
    assert set(OPTIONAL_FEATURES["tiers and sizes"]) <= set(dropped), record["features"]


def test_a_dropped_feature_cannot_change_the_fitted_score():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((600, len(PAIR_FEATURES)))
    y = (X[:, 0] + X[:, _column("potential_b")] > 0.5).astype(int)
    dropped = OPTIONAL_FEATURES["tiers and sizes"]
    changed = X.copy()
    changed[:, [_column(name) for name in dropped]] = rng.standard_normal((600, len(dropped))) * 50
    for candidate in MODEL_CANDIDATES:
        learner = build_learner(candidate, dropped).fit(without_features(X, dropped), y)
        np.testing.assert_array_equal(learner.predict_proba(X), learner.predict_proba(changed))


def test_too_few_members_to_cross_validate_take_the_simplest_logistic_model_and_say_why():
    pairs = _pairs(lambda X: X[:, 0], n_members=5, per_member=30)
    chosen, dropped, record = select_model(pairs)
    assert chosen == candidate_named("logistic-strong") and dropped == ()
    assert "too few links to cross-validate" in record["reason"] and "candidates" not in record


def test_candidate_names_are_unique_and_simplest_first():
    names = [c.name for c in MODEL_CANDIDATES]
    assert len(set(names)) == len(names)
    assert [c.family for c in MODEL_CANDIDATES] == ["logistic", "logistic", "gbt", "gbt"]
    with pytest.raises(KeyError):
        candidate_named("forest")
