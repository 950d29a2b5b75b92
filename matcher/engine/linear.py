"""The learned logistic score as plain arrays, without scikit-learn's per-call checks.

A calibrated logistic model is three pipelines (zero the dropped features, standardise, a
logistic regression), each followed by a sigmoid calibration, averaged. For the few hundred
candidates of one recommendation the arithmetic takes microseconds; scikit-learn's input
validation at every step of every pipeline took about 3 ms on an idle 2-core machine (7 ms on
a busy one). :class:`CompiledLogistic` keeps each model's mean, scale, weights and calibration
and repeats the same operations in the same order and precision, so its probabilities are
scikit-learn's (a test holds them equal).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

__all__ = ["CompiledLogistic"]


class CompiledLogistic:
    """A sigmoid-calibrated ``FeatureMask -> StandardScaler -> LogisticRegression`` model as
    arrays (see the module docstring). Use :meth:`from_calibrated`; it returns None for any
    other model.

    Attributes
    ----------
    dropped : list of ndarray of int
        Per calibrated model, the feature columns set to 0 before scaling.
    mean, scale : list of ndarray of shape (n_features,)
    coef : list of ndarray of shape (n_features,)
    intercept, slope, offset : ndarray of shape (n_models,)
        The regressions' intercepts and the calibrations' ``a_`` and ``b_``.
    """

    #: Rows scored at a time (through one buffer: 1.2 MB of float64 rows of 38 features).
    BLOCK_ROWS = 4096

    def __init__(self, dropped, mean, scale, coef, intercept, slope, offset, n_features):
        self.dropped, self.mean, self.scale, self.coef = dropped, mean, scale, coef
        self.intercept, self.slope, self.offset = intercept, slope, offset
        self.n_features = n_features

    @classmethod
    def from_calibrated(cls, calibrated) -> CompiledLogistic | None:
        """The arrays of a fitted ``CalibratedClassifierCV(method="sigmoid")`` over the
        logistic pipelines of :func:`matcher.engine.model_selection.build_learner`, or None."""
        try:
            return cls._from_calibrated(calibrated)
        except (AttributeError, KeyError, IndexError, TypeError, ValueError):
            # Internals of another scikit-learn version: the model is scored by scikit-learn.
            return None

    @classmethod
    def _from_calibrated(cls, calibrated) -> CompiledLogistic | None:
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import StandardScaler

        from .model_selection import FeatureMask
        from .pairs import PAIR_FEATURES

        pairs = getattr(calibrated, "calibrated_classifiers_", None)
        if not pairs or getattr(calibrated, "method", None) != "sigmoid":
            return None
        parts = {"dropped": [], "mean": [], "scale": [], "coef": []}
        intercept, slope, offset = [], [], []
        for pair in pairs:
            model = pair.estimator
            if not isinstance(model, Pipeline) or len(pair.calibrators) != 1:
                return None
            steps = [step for _, step in model.steps]
            if [type(step) for step in steps] != [FeatureMask, StandardScaler, LogisticRegression]:
                return None
            mask, scaler, regression = steps
            if regression.coef_.shape[0] != 1 or not scaler.with_mean or not scaler.with_std:
                return None
            parts["dropped"].append(
                np.array([PAIR_FEATURES.index(name) for name in mask.dropped], dtype=np.int64)
            )
            parts["mean"].append(scaler.mean_)
            parts["scale"].append(scaler.scale_)
            parts["coef"].append(regression.coef_)
            intercept.append(float(regression.intercept_[0]))
            slope.append(float(pair.calibrators[0].a_))
            offset.append(float(pair.calibrators[0].b_))
        return cls(
            **parts,
            intercept=np.array(intercept),
            slope=np.array(slope),
            offset=np.array(offset),
            n_features=len(parts["mean"][0]),
        )

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Same as the calibrated model's ``predict_proba``, shape (n_rows, 2)."""
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"X has shape {X.shape}; expected (n, {self.n_features})")
        if X.dtype not in (np.float32, np.float64):
            X = X.astype(np.float64)
        positive = np.zeros(len(X), dtype=np.float64)
        # Blocks of rows through one buffer that stays in cache: a copy of all the rows per
        # model was most of the time on large inputs (fresh memory, faulted in page by page).
        # A recommendation's few hundred rows are one block, as before; on more, BLAS may sum
        # a block's products in another order than the whole's (the last float bits).
        buffer = np.empty((min(len(X), self.BLOCK_ROWS), X.shape[1]), dtype=X.dtype)
        # Each model's centring and scale in the rows' dtype, once for every block.
        means = [mean.astype(X.dtype) for mean in self.mean]
        scales = [scale.astype(X.dtype) for scale in self.scale]
        for start in range(0, len(X), self.BLOCK_ROWS):
            rows = X[start : start + self.BLOCK_ROWS]
            Z = buffer[: len(rows)]
            for k, dropped in enumerate(self.dropped):
                # The pipeline's own steps, in its order and precision: a copy with the dropped
                # columns at 0, centred and scaled in place in the rows' dtype, then the product.
                np.copyto(Z, rows)
                Z[:, dropped] = 0
                Z -= means[k]
                Z /= scales[k]
                decision = (Z @ self.coef[k].T).ravel() + self.intercept[k]
                # The calibration's sigmoid as scikit-learn computes it (expit: no overflow).
                positive[start : start + len(rows)] += expit(
                    -(self.slope[k] * decision + self.offset[k])
                )
        positive /= len(self.dropped)
        return np.column_stack([1.0 - positive, positive])
