"""Candidate retrieval: exact cosine nearest neighbours over offer, need or profile vectors."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted

__all__ = ["CandidateIndex"]


class CandidateIndex(BaseEstimator):
    """Exact nearest-neighbour index under cosine similarity, built on ``NearestNeighbors``.

    Rows are normalised once in ``fit`` and searched with the Euclidean metric, which gives the
    cosine order without re-normalising the index at every query.

    Parameters
    ----------
    n_neighbors : int, default=200
        Neighbours returned by :meth:`query` when ``k`` is not given.

    Attributes
    ----------
    nn_ : NearestNeighbors
    n_samples_fit_ : int
    """

    def __init__(self, n_neighbors: int = 200):
        self.n_neighbors = n_neighbors

    def fit(self, X: Any, y: Any = None) -> "CandidateIndex":
        """Index the rows of X, shape (n_samples, n_features), sparse or dense."""
        if not (isinstance(self.n_neighbors, (int, np.integer)) and self.n_neighbors > 0):
            raise ValueError(f"Got n_neighbors={self.n_neighbors!r}, expected a positive integer")
        X = normalize(sp.csr_matrix(X) if sp.issparse(X) else np.asarray(X, dtype=np.float64))
        self.nn_ = NearestNeighbors(metric="euclidean", algorithm="brute").fit(X)
        self.n_samples_fit_ = X.shape[0]
        return self

    def query(self, Q: Any, k: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Return the `k` nearest indexed rows of each query row.

        Parameters
        ----------
        Q : array-like of shape (n_queries, n_features)
        k : int, optional
            Defaults to ``n_neighbors``; capped at the number of indexed rows.

        Returns
        -------
        similarities : ndarray of shape (n_queries, k)
            Cosine similarity, best first (0 for an all-zero query).
        indices : ndarray of shape (n_queries, k)
        """
        check_is_fitted(self, "nn_")
        k = min(k or self.n_neighbors, self.n_samples_fit_)
        Q = normalize(sp.csr_matrix(Q) if sp.issparse(Q) else np.atleast_2d(np.asarray(Q, dtype=np.float64)))
        distances, indices = self.nn_.kneighbors(Q, n_neighbors=k)
        # For unit vectors |q - x|^2 = 2 - 2 cos(q, x).
        similarities = 1.0 - distances ** 2 / 2.0
        zero = np.asarray(abs(Q).sum(axis=1)).ravel() == 0
        similarities[zero] = 0.0
        return similarities, indices
