"""The choice of the re-ranking model by inner cross-validation (matcher.model_selection)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from matcher.model_selection import (
    MODEL_CANDIDATES,
    OPTIONAL_FEATURES,
    TrainingPairs,
    build_learner,
    candidate_named,
    inner_scores,
    select_model,
    without_features,
)
from matcher.pairs import PAIR_FEATURES


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
    # The best by recall, then mean reciprocal rank; the simpler (earlier) one on a tie.
    keys = [(c["recall@10"], c["mrr"], -i) for i, c in enumerate(record["candidates"])]
    assert chosen.name == record["candidates"][keys.index(max(keys))]["name"]
    scores = {c["name"]: c["recall@10"] for c in record["candidates"]}
    assert (
        max(scores["logistic"], scores["logistic-strong"])
        >= max(scores["gbt"], scores["gbt-shallow"]) - 0.02
    )


def test_a_feature_group_that_does_not_help_is_left_out_and_one_that_helps_is_kept():
    names = OPTIONAL_FEATURES["names"][0]
    pairs = _pairs(lambda X: 3.0 * X[:, _column(names)], n_members=60, per_member=40)
    _, dropped, record = select_model(pairs)
    assert names not in dropped
    left_out = {trial["group"]: trial["left_out"] for trial in record["features"]}
    assert left_out["names"] is False
    # Each group in turn is left out exactly when the score without it is at least the score so far.
    chosen = next(c for c in record["candidates"] if c["name"] == record["chosen"]["name"])
    current = (chosen["recall@10"], chosen["mrr"])
    for trial in record["features"]:
        without = (trial["score_without"]["recall@10"], trial["score_without"]["mrr"])
        assert trial["left_out"] == (without >= current)
        if trial["left_out"]:
            current = without
    assert current == (record["score"]["recall@10"], record["score"]["mrr"])
    json.dumps(record)  # stored in the model's manifest


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
