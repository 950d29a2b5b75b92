"""Exact top-k by inner product for one query, read at a quarter of the bytes: keys as int8.

A recommendation's neighbour votes need the linked members most like the member
(:func:`matcher.engine.pairs.cf_votes`): a pass over every linked member's embedding, 860,000 x
48 float32 (165 MB) on a million generated profiles, bound by memory bandwidth (5-10 ms). Here
each key row is also stored as int8 codes with one scale (``row ~ scale * codes``, 41 MB), and
the search is exact all the same:

1. approximate scores ``a_i = scale_i * (codes_i . q)`` in one compiled pass over the codes;
2. each differs from the float32 score ``f_i = key_i . q`` by at most
   ``slack = max_i |key_i - scale_i * codes_i| * |q| + rounding``, so with ``K`` the k-th
   largest ``a``, at least k rows have ``f >= K - slack`` and no row with ``a < K - 2 slack``
   can be among the k best by ``f``;
3. the float32 scores of the rows above that line (a few dozen to a few hundred) are computed
   as :func:`~matcher.engine.topk.few_inner_products` computes them.

The k best of the result are the k best of the full float32 pass, with the same scores.
"""

from __future__ import annotations

import numpy as np

from .compiled import compiled
from .parallel import split_rows
from .topk import few_inner_products, top_k_indices

__all__ = ["QuantizedKeys"]

#: Above the float32 sums' own rounding (about 48 * 2**-24 * |q| for 48 dimensions).
ROUNDING_SLACK = 1e-4


def _quantized_scores(codes, scale, query, out, start, stop):
    for i in range(start, stop):
        total = np.float32(0.0)
        for t in range(codes.shape[1]):
            total += np.float32(codes[i, t]) * query[t]
        out[i] = total * scale[i]


_quantized_scores = compiled(_quantized_scores, fastmath=True)


class QuantizedKeys:
    """Keys for exact top-k inner-product search of one query over int8 codes (see the module
    docstring).

    Parameters
    ----------
    keys : ndarray of shape (n_keys, n_dims)
        Kept (float32, not copied when it already is) to score the few rows that may be
        among the best exactly.

    Attributes
    ----------
    codes : ndarray of int8, shape (n_keys, n_dims)
    scale : ndarray of float32, shape (n_keys,)
    max_error : float
        The largest Euclidean distance between a key and its decoded codes.
    """

    def __init__(self, keys: np.ndarray):
        self.keys = np.ascontiguousarray(keys, dtype=np.float32)
        if self.keys.ndim != 2:
            raise ValueError(f"keys must be 2-dimensional; got shape {self.keys.shape}")
        largest = np.abs(self.keys).max(axis=1, initial=0.0)
        self.scale = np.where(largest > 0, largest / 127, 1.0).astype(np.float32)
        self.codes = np.empty(self.keys.shape, dtype=np.int8)
        self.max_error = 0.0
        for start in range(0, len(self.keys), 65536):
            block = self.keys[start : start + 65536]
            scale = self.scale[start : start + 65536, None]
            codes = np.rint(block / scale)
            self.codes[start : start + 65536] = codes
            error = np.sqrt(((block - codes * scale.astype(np.float64)) ** 2).sum(axis=1))
            self.max_error = max(self.max_error, float(error.max(initial=0.0)))

    def __len__(self) -> int:
        return len(self.keys)

    def likeness(self, query: np.ndarray, k: int) -> np.ndarray:
        """Scores of every key against `query` (shape (n_dims,)), exact (float32, as
        :func:`~matcher.engine.topk.few_inner_products` gives them) wherever a key can be
        among the `k` best, ``-inf`` elsewhere: the `k` best of the result are those of the
        exact scores. Shape (n_keys,), float32."""
        query = np.ascontiguousarray(query, dtype=np.float32).ravel()
        if query.shape[0] != self.keys.shape[1]:
            raise ValueError(
                f"the query has {query.shape[0]} dimensions; the keys have {self.keys.shape[1]}"
            )
        n = len(self.keys)
        out = np.full(n, -np.inf, dtype=np.float32)
        k = min(int(k), n)
        if k <= 0:
            return out
        approximate = np.empty(n, dtype=np.float32)
        split_rows(
            lambda start, stop: _quantized_scores(
                self.codes, self.scale, query, approximate, start, stop
            ),
            n,
            131072,
        )
        slack = self.max_error * float(np.linalg.norm(query)) + ROUNDING_SLACK
        kth = approximate[top_k_indices(approximate, k)].min()
        rows = np.flatnonzero(approximate >= kth - 2 * slack)
        out[rows] = few_inner_products(self.keys[rows], query)[0]
        return out
