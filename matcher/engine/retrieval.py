"""The candidate stage on large data: one low-rank matrix, exact top-k over it.

Complementarity is an inner product between *different* views: A's need view against B's offer
view, plus, weighted, A's offer view against B's need view. With keys ``k_b = [offer_b, need_b]``
and queries ``q_a = [need_a, w * offer_a]``, ``q_a . k_b = view_ab + w * view_ba``. The keys are
projected once on their leading singular directions (learned on a sample), which keeps the
order of the scores while cutting the bytes a search has to read. The projected keys sit beside
the whole-profile embedding (for "profiles like this member, or like its partners") in one
float32 matrix, so all of a member's searches read it once (:class:`matcher.engine.topk.TopK`, exact
over the stored vectors). What vectors do not see (the same country, partner counts, exact
capability cover) is the first stage's part (:mod:`matcher.engine.firststage`).
"""

from __future__ import annotations

import threading

import numpy as np
from sklearn.decomposition import TruncatedSVD

from .topk import TopK

__all__ = ["ComplementIndex"]


class ComplementIndex:
    """Exact search over low-rank complementarity keys and profile embeddings.

    Parameters
    ----------
    rank : int, default=48
        Dimensions kept of the complementarity keys.
    reciprocal_weight : float, default=0.5
        Weight ``w`` of A's offer view against B's need view.
    max_fit_rows : int, default=50000
        Rows the projection is learned on (drawn at random when there are more).
    random_state : int, default=0

    Attributes
    ----------
    components_ : ndarray of shape (rank, 2 * n_view_features)
    matrix_ : ndarray of shape (n_profiles, rank + n_embedding_features), float32
    """

    #: Rows projected at once when the matrix is filled.
    BLOCK_ROWS = 65536

    def __init__(
        self,
        rank: int = 48,
        reciprocal_weight: float = 0.5,
        max_fit_rows: int = 50_000,
        random_state: int = 0,
    ):
        self.rank = rank
        self.reciprocal_weight = reciprocal_weight
        self.max_fit_rows = max_fit_rows
        self.random_state = random_state

    def fit(self, offers: np.ndarray, needs: np.ndarray, embedding: np.ndarray) -> ComplementIndex:
        """Learn the projection and store every profile's row.

        Parameters
        ----------
        offers, needs : ndarray of shape (n_profiles, n_view_features)
            L2-normalised offer and need views.
        embedding : ndarray of shape (n_profiles, n_embedding_features)
            L2-normalised whole-profile embeddings.
        """
        n, width = offers.shape
        rng = np.random.default_rng(self.random_state)
        rows = (
            np.sort(rng.choice(n, self.max_fit_rows, replace=False))
            if n > self.max_fit_rows
            else slice(None)
        )
        sample = np.hstack([offers[rows], needs[rows]]).astype(np.float32)
        rank = max(1, min(self.rank, sample.shape[1] - 1, sample.shape[0] - 1))
        svd = TruncatedSVD(rank, algorithm="randomized", random_state=self.random_state).fit(sample)
        self.components_ = svd.components_.astype(np.float32)
        self.n_view_features_ = width
        self.rank_ = rank
        matrix = np.empty((n, rank + embedding.shape[1]), dtype=np.float32)
        for start in range(0, n, self.BLOCK_ROWS):
            stop = min(n, start + self.BLOCK_ROWS)
            matrix[start:stop, :rank] = (
                offers[start:stop] @ self.components_[:, :width].T
                + needs[start:stop] @ self.components_[:, width:].T
            )
        matrix[:, rank:] = embedding
        self.matrix_ = matrix
        return self

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_local", None)  # per-thread score buffers, rebuilt on first use
        return state

    def searcher(self, block_rows: int = 256) -> TopK:
        """A :class:`TopK` over the stored rows, one per thread and block size (its score
        buffer is reused from call to call). Blocks of a few rows (one member's searches,
        a couple of hundred rows each) use smaller groups in the selection."""
        local = self.__dict__.get("_local")
        if local is None:
            local = self.__dict__.setdefault("_local", threading.local())
        searchers = local.__dict__.setdefault("searchers", {})
        if block_rows not in searchers:
            searchers[block_rows] = TopK(
                self.matrix_, block_rows=block_rows, group=16 if block_rows <= 16 else 64
            )
        return searchers[block_rows]

    def complement_queries(self, offers: np.ndarray, needs: np.ndarray) -> np.ndarray:
        """Query rows for "who complements these profiles", shape (m, n_columns)."""
        offers, needs = np.atleast_2d(offers), np.atleast_2d(needs)
        width = self.n_view_features_
        C = self.components_
        queries = np.zeros((len(offers), self.matrix_.shape[1]), dtype=np.float32)
        # q = [need, w * offer]; projected: q @ C.T with C split by key halves [offer | need].
        queries[:, : self.rank_] = needs @ C[:, :width].T + self.reciprocal_weight * (
            offers @ C[:, width:].T
        )
        return queries

    def likeness_queries(self, embedding: np.ndarray) -> np.ndarray:
        """Query rows for "profiles like these embeddings", shape (m, n_columns)."""
        embedding = np.atleast_2d(embedding)
        queries = np.zeros((len(embedding), self.matrix_.shape[1]), dtype=np.float32)
        queries[:, self.rank_ :] = embedding
        return queries
