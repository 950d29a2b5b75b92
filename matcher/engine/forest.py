"""The learned score's trees as flat arrays, evaluated in one compiled loop.

scikit-learn evaluates a gradient-boosted model tree by tree, with a Python call per tree: for
the few hundred candidates of one recommendation, those calls (three calibrated models of 250
trees) cost more than the arithmetic. :class:`CompiledForest` copies the node tables of every
tree of a fitted ``CalibratedClassifierCV`` over ``HistGradientBoostingClassifier`` into flat
arrays and walks them with a loop compiled by numba (cached on disk after the first use),
reproducing ``predict_proba`` exactly: the same thresholds on float64 features, the same side
for missing values, the same sigmoid calibration, averaged over the calibrated models.
"""

from __future__ import annotations

import numpy as np

from .compiled import compiled
from .parallel import split_rows

__all__ = ["CompiledForest"]


def _walk(
    X,
    feature,
    threshold,
    left,
    right,
    missing_left,
    is_leaf,
    value,
    roots,
    model_of_tree,
    out,
    start,
    stop,
):
    for i in range(start, stop):
        for t in range(roots.shape[0]):
            node = roots[t]
            while not is_leaf[node]:
                x = X[i, feature[node]]
                if np.isnan(x):
                    node = left[node] if missing_left[node] else right[node]
                elif x <= threshold[node]:
                    node = left[node]
                else:
                    node = right[node]
            out[i, model_of_tree[t]] += value[node]


_walk_compiled = compiled(_walk)


class CompiledForest:
    """A calibrated tree ensemble as flat node arrays (see the module docstring).

    Use :meth:`from_calibrated`; it returns None for models it does not cover (anything but
    sigmoid-calibrated binary ``HistGradientBoostingClassifier`` without categorical splits).
    """

    def __init__(
        self,
        feature,
        threshold,
        left,
        right,
        missing_left,
        is_leaf,
        value,
        roots,
        model_of_tree,
        baseline,
        slope,
        intercept,
        n_features,
    ):
        self.feature, self.threshold = feature, threshold
        self.left, self.right = left, right
        self.missing_left, self.is_leaf, self.value = missing_left, is_leaf, value
        self.roots, self.model_of_tree = roots, model_of_tree
        self.baseline, self.slope, self.intercept = baseline, slope, intercept
        self.n_features = n_features

    @classmethod
    def from_calibrated(cls, calibrated) -> CompiledForest | None:
        try:
            return cls._from_calibrated(calibrated)
        except (AttributeError, KeyError, IndexError, TypeError, ValueError):
            # The node tables are scikit-learn internals: another version may lay them out
            # differently, and the model is then scored by scikit-learn itself.
            return None

    @classmethod
    def _from_calibrated(cls, calibrated) -> CompiledForest | None:
        from sklearn.ensemble import HistGradientBoostingClassifier

        pairs = getattr(calibrated, "calibrated_classifiers_", None)
        if not pairs or getattr(calibrated, "method", None) != "sigmoid":
            return None
        tables, roots, model_of_tree = [], [], []
        baseline, slope, intercept = [], [], []
        offset = 0
        for k, pair in enumerate(pairs):
            model = pair.estimator
            if not isinstance(model, HistGradientBoostingClassifier) or len(pair.calibrators) != 1:
                return None
            if (
                getattr(model, "n_trees_per_iteration_", 1) != 1
                or getattr(model, "is_categorical_", None) is not None
            ):
                return None
            calibrator = pair.calibrators[0]
            baseline.append(float(np.ravel(model._baseline_prediction)[0]))
            slope.append(float(calibrator.a_))
            intercept.append(float(calibrator.b_))
            for (predictor,) in model._predictors:
                nodes = predictor.nodes
                if nodes["is_categorical"].any():
                    return None
                tables.append((nodes, offset))
                roots.append(offset)
                model_of_tree.append(k)
                offset += len(nodes)

        def column(name, dtype, shift=False):
            parts = [
                (nodes[name].astype(dtype) + (start if shift else 0)) for nodes, start in tables
            ]
            return np.ascontiguousarray(np.concatenate(parts))

        return cls(
            feature=column("feature_idx", np.int64),
            threshold=column("num_threshold", np.float64),
            left=column("left", np.int64, shift=True),
            right=column("right", np.int64, shift=True),
            missing_left=column("missing_go_to_left", np.bool_),
            is_leaf=column("is_leaf", np.bool_),
            value=column("value", np.float64),
            roots=np.array(roots, dtype=np.int64),
            model_of_tree=np.array(model_of_tree, dtype=np.int64),
            baseline=np.array(baseline),
            slope=np.array(slope),
            intercept=np.array(intercept),
            n_features=pairs[0].estimator.n_features_in_,
        )

    def prefix(self, trees: int) -> CompiledForest:
        """The first `trees` trees of each calibrated model (sharing the node tables): a
        boosted model's first trees carry most of its ranking, at a fraction of the walk."""
        position = np.zeros(len(self.roots), dtype=np.int64)
        for k in range(len(self.baseline)):
            mine = np.flatnonzero(self.model_of_tree == k)
            position[mine] = np.arange(len(mine))
        chosen = position < trees
        return CompiledForest(
            self.feature,
            self.threshold,
            self.left,
            self.right,
            self.missing_left,
            self.is_leaf,
            self.value,
            self.roots[chosen],
            self.model_of_tree[chosen],
            self.baseline,
            self.slope,
            self.intercept,
            self.n_features,
        )

    def decision(self, X: np.ndarray) -> np.ndarray:
        """The raw score of each calibrated model, shape (n_rows, n_models)."""
        # float32 features are compared with the float64 thresholds as float64, exactly as
        # after a conversion, so they are walked as they are.
        X = np.ascontiguousarray(
            X, dtype=X.dtype if X.dtype in (np.float32, np.float64) else np.float64
        )
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"X has shape {X.shape}; expected (n, {self.n_features})")
        out = np.zeros((X.shape[0], len(self.baseline)), dtype=np.float64)
        # Rows are independent: a few hundred or more are split between the cores.
        split_rows(
            lambda start, stop: _walk_compiled(
                X,
                self.feature,
                self.threshold,
                self.left,
                self.right,
                self.missing_left,
                self.is_leaf,
                self.value,
                self.roots,
                self.model_of_tree,
                out,
                start,
                stop,
            ),
            X.shape[0],
            128,
        )
        return out + self.baseline

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Same as the calibrated model's ``predict_proba``."""
        decision = self.decision(X)
        positive = (1.0 / (1.0 + np.exp(self.slope * decision + self.intercept))).mean(axis=1)
        return np.column_stack([1.0 - positive, positive])
