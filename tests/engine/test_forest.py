"""CompiledForest: the compiled walk of a calibrated HistGradientBoosting ensemble.

The module promises to reproduce the calibrated model's ``predict_proba`` exactly (the same
thresholds on float64 features, the same side for missing values, the same sigmoid calibration
averaged over the calibrated models), to return None for the models it does not cover, raw
scores per calibrated model from ``decision``, and the first trees of each model from
``prefix``. Rows are split between the cores (:func:`matcher.engine.parallel.split_rows`); the
split must not change a single bit.
"""

from __future__ import annotations

import io
import itertools

import joblib
import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import (
    ExtraTreesClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import matcher.engine.forest as forest_module
from matcher.engine import parallel
from matcher.engine.forest import CompiledForest
from matcher.engine.model_selection import build_learner, candidate_named
from matcher.engine.pairs import PAIR_FEATURES

#: Sums of the same leaf values in another order differ in the last bits only.
ATOL = 1e-12

N_FEATURES = 6
CONSTANT = 4  # a column holding one value in training: no tree can split on it
NAN_COLUMN = 1  # a column with missing values in training (when asked for)


def _data(n: int, seed: int, nan_share: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose label follows a noisy function of columns 0-3, a constant column, and (with
    `nan_share`) missing values in one column that carry signal of their own."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, N_FEATURES))
    X[:, CONSTANT] = 2.5
    X[:, 5] = np.round(X[:, 5])  # a few distinct values: many rows sit on a bin edge
    logit = 1.5 * X[:, 0] - X[:, 1] + 0.8 * X[:, 2] * X[:, 3] + 0.5 * rng.standard_normal(n)
    if nan_share:
        missing = rng.random(n) < nan_share
        X[missing, NAN_COLUMN] = np.nan
        logit[missing] += 1.0
    return X, (logit > 0).astype(int)


def _calibrated(estimator, X, y, **kwargs) -> CalibratedClassifierCV:
    kwargs.setdefault("cv", 3)
    return CalibratedClassifierCV(estimator, method="sigmoid", **kwargs).fit(X, y)


def _hgb(**params) -> HistGradientBoostingClassifier:
    params.setdefault("max_iter", 25)
    params.setdefault("max_leaf_nodes", 8)
    params.setdefault("min_samples_leaf", 5)
    return HistGradientBoostingClassifier(random_state=0, **params)


def _pair_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows as wide as the pair features, for the project's own learner."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, len(PAIR_FEATURES)))
    cover, competitor = PAIR_FEATURES.index("cover_ab"), PAIR_FEATURES.index("competitor")
    logit = 4 * X[:, cover] - 2 * X[:, competitor] - 1 + rng.standard_normal(n)
    return X, (logit > 0).astype(int)


@pytest.fixture(scope="module")
def models() -> dict[str, tuple[CalibratedClassifierCV, np.ndarray]]:
    """Calibrated models the module covers, each with rows to score that it was not fitted on
    (missing values included in every column but the constant one)."""
    X_nan, y_nan = _data(500, seed=1, nan_share=0.15)
    X_full, y_full = _data(500, seed=2)
    X_pair, y_pair = _pair_data(1200, seed=3)
    built = {
        # Missing values seen in training: the trees learn a side for them.
        "nan-in-training": (_calibrated(_hgb(), X_nan, y_nan), X_nan),
        # None seen: missing values go to the child with more samples.
        "no-nan-in-training": (
            _calibrated(_hgb(monotonic_cst=[1, -1, 0, 0, 0, 0]), X_full, y_full),
            X_full,
        ),
        "one-tree": (_calibrated(_hgb(max_iter=1), X_full, y_full, cv=2), X_full),
        "one-calibrated-model": (_calibrated(_hgb(), X_nan, y_nan, ensemble=False), X_nan),
        "string-labels": (
            _calibrated(_hgb(max_iter=10), X_full, np.where(y_full == 1, "yes", "no")),
            X_full,
        ),
        # The learner the matcher fits (monotonic constraints, its parameters).
        "project-gbt-shallow": (
            _calibrated(build_learner(candidate_named("gbt-shallow")), X_pair, y_pair),
            X_pair,
        ),
    }
    scored = {}
    for name, (model, X) in built.items():
        rng = np.random.default_rng(len(name))
        rows = rng.standard_normal((400, X.shape[1])) * np.nanstd(X, axis=0) + np.nanmean(X, axis=0)
        rows[rng.random(rows.shape) < 0.1] = np.nan
        if X.shape[1] == N_FEATURES:
            rows[:, CONSTANT] = 2.5
            rows[:50, CONSTANT] = rng.standard_normal(50)  # unseen values of the constant column
            rows[:, 5] = np.round(rows[:, 5])
        scored[name] = (model, np.vstack([X[:200], rows]))
    return scored


@pytest.fixture(scope="module")
def forests(models) -> dict[str, CompiledForest]:
    compiled = {name: CompiledForest.from_calibrated(model) for name, (model, _) in models.items()}
    assert all(forest is not None for forest in compiled.values()), compiled
    return compiled


MODEL_NAMES = [
    "nan-in-training",
    "no-nan-in-training",
    "one-tree",
    "one-calibrated-model",
    "string-labels",
    "project-gbt-shallow",
]


def _leaf(forest: CompiledForest) -> np.ndarray:
    # A boolean mask of the leaves (the tables may hold the flags as 0/1 integers).
    return np.asarray(forest.is_leaf).astype(bool)


def _thresholds(forest: CompiledForest) -> dict[int, np.ndarray]:
    """The split thresholds of each feature over every tree."""
    inner = ~_leaf(forest)
    return {
        int(f): np.unique(forest.threshold[inner & (forest.feature == f)])
        for f in np.unique(forest.feature[inner])
    }


# ---------------------------------------------------------------------------------------------
# Same probabilities and raw scores as scikit-learn
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_predict_proba_is_the_calibrated_models(models, forests, name):
    model, X = models[name]
    forest = forests[name]
    got = forest.predict_proba(X)
    expected = model.predict_proba(X)
    assert got.shape == expected.shape == (len(X), 2)
    np.testing.assert_allclose(got, expected, rtol=0, atol=ATOL)
    # Not a constant: the rows really reach different leaves.
    assert np.ptp(got[:, 1]) > 0.05


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_decision_is_each_calibrated_models_raw_score(models, forests, name):
    model, X = models[name]
    decision = forests[name].decision(X)
    pairs = model.calibrated_classifiers_
    assert decision.shape == (len(X), len(pairs))
    for k, pair in enumerate(pairs):
        np.testing.assert_allclose(
            decision[:, k], pair.estimator.decision_function(X), rtol=0, atol=ATOL
        )


def test_the_models_have_the_sizes_they_were_built_with(models, forests):
    """The node tables hold every tree of every calibrated model, one root per tree."""
    for name, forest in forests.items():
        model, _ = models[name]
        pairs = model.calibrated_classifiers_
        assert len(forest.baseline) == len(pairs)
        counts = np.bincount(forest.model_of_tree, minlength=len(pairs))
        assert counts.tolist() == [pair.estimator.n_iter_ for pair in pairs], name
    assert len(forests["one-tree"].roots) == 2  # cv=2, one tree each
    assert len(forests["one-calibrated-model"].baseline) == 1


@pytest.mark.parametrize("name", ["nan-in-training", "no-nan-in-training", "project-gbt-shallow"])
def test_values_on_and_beside_every_threshold_take_the_same_side(models, forests, name):
    """Rows made of the trees' own thresholds, the next float below and above, missing values
    and infinities: any slip in ``<=`` against ``<``, or in the side of a missing value, shows."""
    model, X = models[name]
    forest = forests[name]
    thresholds = _thresholds(forest)
    rng = np.random.default_rng(7)
    rows = np.tile(np.nanmedian(X, axis=0), (3000, 1))
    for f, values in thresholds.items():
        finite = values[np.isfinite(values)]
        pool = np.concatenate(
            [
                values,
                np.nextafter(finite, -np.inf),
                np.nextafter(finite, np.inf),
                [np.nan, np.inf, -np.inf],
            ]
        )
        rows[:, f] = rng.choice(pool, size=len(rows))
    on_threshold = np.zeros(len(rows), dtype=bool)
    for f, values in thresholds.items():
        on_threshold |= np.isin(rows[:, f], values)
    assert on_threshold.mean() > 0.5
    np.testing.assert_allclose(
        forest.predict_proba(rows), model.predict_proba(rows), rtol=0, atol=ATOL
    )


def test_missing_values_follow_the_learned_side(models, forests):
    """A column with missing values in training: rows differing only there (missing or not)
    score as scikit-learn scores them, and differently from one another."""
    model, X = models["nan-in-training"]
    forest = forests["nan-in-training"]
    assert forest.feature[~_leaf(forest)].tolist().count(NAN_COLUMN) > 0
    rows = np.repeat(np.nan_to_num(X[:100], nan=0.0), 2, axis=0)
    rows[::2, NAN_COLUMN] = np.nan
    got, expected = forest.predict_proba(rows), model.predict_proba(rows)
    np.testing.assert_allclose(got, expected, rtol=0, atol=ATOL)
    assert not np.allclose(got[::2], got[1::2])


def test_a_single_row_scores_as_in_a_block(models, forests):
    model, X = models["nan-in-training"]
    forest = forests["nan-in-training"]
    whole = forest.predict_proba(X)
    for i in (0, 7, len(X) - 1):
        one = forest.predict_proba(X[i : i + 1])
        assert one.shape == (1, 2)
        np.testing.assert_array_equal(one, whole[i : i + 1])
        np.testing.assert_allclose(one, model.predict_proba(X[i : i + 1]), rtol=0, atol=ATOL)


def test_the_constant_column_is_never_split_on_and_does_not_matter(models, forests):
    _, X = models["no-nan-in-training"]
    forest = forests["no-nan-in-training"]
    assert CONSTANT not in forest.feature[~_leaf(forest)]
    moved = X.copy()
    moved[:, CONSTANT] = np.linspace(-1e6, 1e6, len(X))
    np.testing.assert_array_equal(forest.predict_proba(moved), forest.predict_proba(X))


def test_one_tree_gives_the_baseline_plus_one_leaf(models, forests):
    """With one tree per model, each raw score is the baseline plus one leaf of that tree
    (added in the same order: exactly), and the rows reach more than one leaf."""
    model, X = models["one-tree"]
    forest = forests["one-tree"]
    decision = forest.decision(X)
    assert forest.model_of_tree.tolist() == list(range(decision.shape[1]))
    for k in range(decision.shape[1]):
        # The tables of the trees follow one another: tree k's nodes end where k+1's start.
        root = forest.roots[k]
        stop = forest.roots[k + 1] if k + 1 < len(forest.roots) else len(forest.is_leaf)
        leaf_values = forest.value[root:stop][_leaf(forest)[root:stop]] + forest.baseline[k]
        assert set(decision[:, k].tolist()) <= set(leaf_values.tolist())
        assert len(set(decision[:, k].tolist())) > 1
    np.testing.assert_allclose(forest.predict_proba(X), model.predict_proba(X), rtol=0, atol=ATOL)


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.float64])
def test_other_dtypes_score_as_scikit_learn_converts_them(models, forests, dtype):
    """float32 rows are compared with the float64 thresholds as float64 (as scikit-learn's own
    conversion does); integers are converted."""
    model, X = models["no-nan-in-training"]
    forest = forests["no-nan-in-training"]
    rows = X * 3 if dtype is not np.int64 else np.nan_to_num(X * 3)
    rows = rows.astype(dtype)
    np.testing.assert_allclose(
        forest.predict_proba(rows), model.predict_proba(rows), rtol=0, atol=ATOL
    )
    np.testing.assert_array_equal(
        forest.predict_proba(rows), forest.predict_proba(rows.astype(np.float64))
    )


def test_a_non_contiguous_view_scores_as_its_copy(models, forests):
    _, X = models["nan-in-training"]
    forest = forests["nan-in-training"]
    wide = np.repeat(X, 2, axis=1)[:, ::2]
    fortran = np.asfortranarray(X)
    assert not wide.flags.c_contiguous and not fortran.flags.c_contiguous
    expected = forest.predict_proba(np.ascontiguousarray(X))
    np.testing.assert_array_equal(forest.predict_proba(wide), expected)
    np.testing.assert_array_equal(forest.predict_proba(fortran), expected)


@pytest.mark.parametrize(
    "shape", [(3, N_FEATURES - 1), (3, N_FEATURES + 1), (N_FEATURES,), (2, 3, N_FEATURES)]
)
def test_rows_of_another_width_are_refused(forests, shape):
    with pytest.raises(ValueError, match="expected"):
        forests["nan-in-training"].predict_proba(np.zeros(shape))


def test_probabilities_are_complementary_and_within_0_1(models, forests):
    for name, forest in forests.items():
        _, X = models[name]
        proba = forest.predict_proba(X)
        assert ((proba >= 0) & (proba <= 1)).all()
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-15)


# ---------------------------------------------------------------------------------------------
# The first trees (prefix)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("trees", [1, 3, 10])
def test_prefix_is_the_staged_raw_score_after_that_many_trees(models, forests, trees):
    model, X = models["nan-in-training"]
    prefix = forests["nan-in-training"].prefix(trees)
    decision = prefix.decision(X)
    for k, pair in enumerate(model.calibrated_classifiers_):
        assert pair.estimator.n_iter_ > trees
        staged = list(pair.estimator.staged_decision_function(X))[trees - 1]
        np.testing.assert_allclose(decision[:, k], staged, rtol=0, atol=ATOL)
    assert len(prefix.roots) == trees * len(model.calibrated_classifiers_)


def test_a_prefix_of_every_tree_is_the_whole_forest(models, forests):
    _, X = models["project-gbt-shallow"]
    forest = forests["project-gbt-shallow"]
    whole = forest.prefix(10_000)
    np.testing.assert_array_equal(whole.roots, forest.roots)
    np.testing.assert_array_equal(whole.predict_proba(X), forest.predict_proba(X))
    # No tree: the baseline alone.
    empty = forest.prefix(0)
    np.testing.assert_array_equal(empty.decision(X[:5]), np.tile(forest.baseline, (5, 1)))


# ---------------------------------------------------------------------------------------------
# Models the module does not cover
# ---------------------------------------------------------------------------------------------


def _uncovered():
    X, y = _data(240, seed=5)
    y3 = np.digitize(X[:, 0], [-0.5, 0.5])
    X_cat = X.copy()
    X_cat[:, 5] = np.abs(X_cat[:, 5]).astype(int) % 4
    few = {"max_iter": 5}
    return {
        "isotonic": CalibratedClassifierCV(_hgb(**few), method="isotonic", cv=3).fit(X, y),
        "random-forest": _calibrated(
            RandomForestClassifier(n_estimators=5, max_depth=3, random_state=0), X, y
        ),
        "extra-trees": _calibrated(
            ExtraTreesClassifier(n_estimators=5, max_depth=3, random_state=0), X, y
        ),
        "logistic": _calibrated(LogisticRegression(), X, y),
        "pipeline": _calibrated(make_pipeline(StandardScaler(), _hgb(**few)), X, y),
        "multiclass": _calibrated(_hgb(**few), X, y3),
        "categorical": _calibrated(_hgb(categorical_features=[5], **few), X_cat, y),
        "not-calibrated": _hgb(**few).fit(X, y),
        "not-fitted": CalibratedClassifierCV(_hgb(), method="sigmoid"),
        "not-a-model": object(),
    }


def test_models_it_does_not_cover_give_none():
    uncovered = _uncovered()
    assert {
        name: CompiledForest.from_calibrated(m) for name, m in uncovered.items()
    } == dict.fromkeys(uncovered)


# ---------------------------------------------------------------------------------------------
# Pickling and the split between cores
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["nan-in-training", "project-gbt-shallow"])
def test_a_joblib_round_trip_scores_identically(models, forests, name):
    _, X = models[name]
    forest = forests[name]
    buffer = io.BytesIO()
    joblib.dump(forest, buffer)
    buffer.seek(0)
    loaded = joblib.load(buffer)
    assert isinstance(loaded, CompiledForest) and loaded is not forest
    np.testing.assert_array_equal(loaded.predict_proba(X), forest.predict_proba(X))
    np.testing.assert_array_equal(loaded.prefix(3).decision(X), forest.prefix(3).decision(X))


@pytest.mark.parametrize(
    "n_rows, cores, parts",
    [(255, 2, 1), (256, 2, 2), (1001, 2, 2), (1001, 3, 3), (400, 4, 3), (1, 4, 1)],
)
def test_the_split_between_cores_changes_no_bit(models, forests, monkeypatch, n_rows, cores, parts):
    """Rows are split in one range per core from 2 x 128 rows (at most one per 128 rows): the
    ranges cover every row once, and every probability is the one of a single range."""
    model, X = models["project-gbt-shallow"]
    forest = forests["project-gbt-shallow"]
    rows = np.resize(X, (n_rows, X.shape[1]))
    monkeypatch.setattr(parallel, "CORES", 1)
    single = forest.predict_proba(rows)

    ranges: list[tuple[int, int]] = []
    real = forest_module.split_rows

    def spy(function, n, min_rows):
        def recorded(start, stop):
            ranges.append((start, stop))
            function(start, stop)

        real(recorded, n, min_rows)

    monkeypatch.setattr(forest_module, "split_rows", spy)
    monkeypatch.setattr(parallel, "CORES", cores)
    split = forest.predict_proba(rows)
    ordered = sorted(ranges)
    assert len(ordered) == parts
    assert ordered[0][0] == 0 and ordered[-1][1] == n_rows
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ordered))
    np.testing.assert_array_equal(split, single)
    np.testing.assert_allclose(split, model.predict_proba(rows), rtol=0, atol=ATOL)
