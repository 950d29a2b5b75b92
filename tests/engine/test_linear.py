"""CompiledLogistic: the calibrated logistic score as arrays, held to scikit-learn's own."""

import pickle

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV

from matcher.datasets.generator import generate_cluster
from matcher.engine.linear import CompiledLogistic
from matcher.engine.model_selection import build_learner, candidate_named, without_features
from matcher.engine.pairs import PAIR_FEATURES
from matcher.engine.ranking import PartnerMatcher
from matcher.profiles import validate_links, validate_profiles


def _pairs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, len(PAIR_FEATURES))).astype(np.float32)
    y = (X[:, 0] + 0.5 * X[:, 3] - X[:, 21] + rng.normal(size=n) > 0.8).astype(int)
    return X, y


def _calibrated(dropped=()) -> CalibratedClassifierCV:
    X, y = _pairs(600, 0)
    learner = build_learner(candidate_named("logistic"), dropped)
    return CalibratedClassifierCV(learner, method="sigmoid", cv=3).fit(
        without_features(X, dropped), y
    )


@pytest.mark.parametrize("dropped", [(), ("competitor", "text_ab")])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_probabilities_are_scikit_learns(dropped, dtype):
    """With and without dropped features, on float32 rows (the pair features) and float64."""
    model = _calibrated(dropped)
    compiled = CompiledLogistic.from_calibrated(model)
    X = _pairs(300, 1)[0].astype(dtype)
    np.testing.assert_allclose(compiled.predict_proba(X), model.predict_proba(X), rtol=0, atol=1e-8)
    if dropped:  # the dropped columns do not matter
        changed = X.copy()
        changed[:, PAIR_FEATURES.index(dropped[0])] += 5
        np.testing.assert_array_equal(compiled.predict_proba(changed), compiled.predict_proba(X))


def test_rows_scored_in_blocks_are_scored_as_one(monkeypatch):
    """Rows go through a buffer in blocks of BLOCK_ROWS: block edges (a last, shorter block
    included) move a probability by float rounding at most (BLAS may sum a short block's
    products in another order), and they stay scikit-learn's."""
    model = _calibrated(("competitor",))
    compiled = CompiledLogistic.from_calibrated(model)
    X = _pairs(300, 2)[0]
    whole = compiled.predict_proba(X)
    monkeypatch.setattr(CompiledLogistic, "BLOCK_ROWS", 7)
    blocked = compiled.predict_proba(X)
    np.testing.assert_allclose(blocked, whole, rtol=0, atol=1e-7)
    np.testing.assert_allclose(blocked, model.predict_proba(X), rtol=0, atol=1e-7)
    assert compiled.predict_proba(X[:0]).shape == (0, 2)


def test_other_models_and_rows_of_another_width_are_refused():
    trees = CalibratedClassifierCV(
        build_learner(candidate_named("gbt-shallow")), method="sigmoid", cv=3
    ).fit(*_pairs(300, 2))
    assert CompiledLogistic.from_calibrated(trees) is None
    assert CompiledLogistic.from_calibrated(object()) is None
    with pytest.raises(ValueError, match="expected"):
        CompiledLogistic.from_calibrated(_calibrated()).predict_proba(np.zeros((2, 3)))


def test_the_matcher_scores_a_logistic_model_by_its_arrays():
    """A logistic model's scores are its arrays' (built on first use for the scorer at hand,
    rebuilt for another one, and the same after pickling)."""
    raw, raw_links = generate_cluster(n_home=20, n_international=60, seed=3)
    frame = validate_profiles(raw, source="generated")
    links = validate_links(raw_links, frame["member_id"], source="generated-links")
    matcher = PartnerMatcher(model="logistic", negatives_per_source=40, random_state=0).fit(
        frame, links
    )
    X = _pairs(200, 3)[0]
    np.testing.assert_allclose(
        matcher.predict_scores(X), matcher.scorer_.predict_proba(X)[:, 1], rtol=0, atol=1e-8
    )
    scorer, compiled = matcher.__dict__["_logistic"]
    assert scorer is matcher.scorer_ and isinstance(compiled, CompiledLogistic)
    matcher.scorer_ = _calibrated()
    np.testing.assert_allclose(
        matcher.predict_scores(X), matcher.scorer_.predict_proba(X)[:, 1], rtol=0, atol=1e-8
    )
    loaded = pickle.loads(pickle.dumps(matcher))
    np.testing.assert_array_equal(loaded.predict_scores(X), matcher.predict_scores(X))
