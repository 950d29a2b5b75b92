"""Exact top-k by inner product, in blocks: the candidate stage of single and batch scoring.

Scoring many queries against many keys is a matrix product followed by a top-k selection per
row. :class:`TopK` does both in blocks of query rows, so memory stays bounded by the block
(``block_rows x n_keys`` float32 scores, reused from call to call), the product runs in BLAS
on every core, and the selection never sorts whole rows:

1. ``S = Q_block @ K.T`` into a preallocated buffer;
2. the row maxima of ``n_keys / group`` groups of ``group`` columns each (one pass over ``S``);
3. the ``k`` groups with the largest maxima per row hold every one of the row's ``k`` best
   scores (a group holding one of them has a maximum at least as large as the k-th best, and
   at most ``k`` groups can), so a partition over the ``n_keys / group`` maxima and a second over
   the ``k * group`` gathered scores give the exact top ``k``.

Ties at the k-th score may be broken either way. Keys that must never be returned (a masked
column) score ``-inf``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .compiled import compiled
from .parallel import split_rows

__all__ = ["TopK", "few_inner_products", "top_k_indices", "top_k_rows", "widened"]

#: The float32 value of every float16 bit pattern: widening by a table lookup is 2-3 times
#: faster than numpy's ``astype`` here (0.085 against 0.21 ms for 300 x 214 values) and exact.
HALF_TO_SINGLE = np.arange(1 << 16, dtype=np.uint16).view(np.float16).astype(np.float32)


def widened(values: np.ndarray) -> np.ndarray:
    """`values` (float16) as float32, the same numbers: BLAS multiplies only the latter."""
    return np.take(HALF_TO_SINGLE, np.ascontiguousarray(values).view(np.uint16))


def _few_queries(keys, queries, out, start, stop):
    # Each key row is read once and meets every query while it is in cache: a pass over the
    # keys at memory speed, where BLAS runs a product with a handful of rows far below it.
    for i in range(start, stop):
        for j in range(queries.shape[0]):
            total = np.float32(0.0)
            for t in range(keys.shape[1]):
                total += keys[i, t] * queries[j, t]
            out[j, i] = total


_few_queries = compiled(_few_queries, fastmath=True)


def few_inner_products(keys: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """``queries @ keys.T`` for a few queries, by one compiled pass over the keys (split
    between the cores from 262,144 keys), shape (n_queries, n_keys), float32.

    A matrix-vector product in BLAS splits the keys between threads that spin while they wait
    for each other: over the 86,000 linked members' embeddings of 100,000 profiles it took
    20 ms while other work kept both cores busy, this pass 0.3 ms (a split between the cores
    0.3 ms at the median but 3 ms at the 90th percentile, waiting for the other core). Sums
    may differ from BLAS's in the last bits (another order of additions).

    Parameters
    ----------
    keys : ndarray of shape (n_keys, n_dims)
    queries : ndarray of shape (n_queries, n_dims)
    """
    keys = np.ascontiguousarray(keys, dtype=np.float32)
    queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
    if queries.shape[1] != keys.shape[1]:
        raise ValueError(
            f"queries have {queries.shape[1]} dimensions; the keys have {keys.shape[1]}"
        )
    out = np.empty((len(queries), len(keys)), dtype=np.float32)
    split_rows(lambda start, stop: _few_queries(keys, queries, out, start, stop), len(keys), 131072)
    return out


def top_k_rows(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (values, columns) of the `k` largest entries of each row, best first.

    Parameters
    ----------
    scores : ndarray of shape (n_rows, n_columns)
    k : int
        Capped at ``n_columns``.
    """
    scores = np.atleast_2d(scores)
    n_columns = scores.shape[1]
    k = min(k, n_columns)
    if k == 0:
        empty = np.zeros((scores.shape[0], 0))
        return empty.astype(scores.dtype), empty.astype(np.int64)
    if k < n_columns:
        columns = np.argpartition(scores, n_columns - k, axis=1)[:, n_columns - k :]
    else:
        columns = np.broadcast_to(np.arange(n_columns), scores.shape).copy()
    values = np.take_along_axis(scores, columns, axis=1)
    order = np.argsort(-values, axis=1, kind="stable")
    return np.take_along_axis(values, order, axis=1), np.take_along_axis(columns, order, axis=1)


def top_k_indices(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the `k` largest of a long vector, in no particular order, by the group
    maxima of :class:`TopK` (a partition over ``len / group`` maxima, then one over the
    ``k * group`` values of the best groups, with ``group ~ sqrt(len / k)`` to balance the
    two); a plain partition for short vectors."""
    n = len(values)
    k = min(int(k), n)
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    group = int(min(64, max(4, np.sqrt(n / k))))
    n_groups = -(-n // group)
    if k * group * 4 >= n or n_groups <= k:
        return np.argpartition(values, n - k)[n - k :]
    padded = np.full(n_groups * group, -np.inf, dtype=values.dtype)
    padded[:n] = values
    maxima = padded.reshape(group, n_groups).max(axis=0)
    best_groups = np.argpartition(maxima, n_groups - k)[n_groups - k :]
    columns = (best_groups[:, None] + n_groups * np.arange(group)).ravel()
    chosen = columns[np.argpartition(padded[columns], len(columns) - k)[len(columns) - k :]]
    if chosen.max() >= n:
        # Padding was picked: fewer than k values are above -inf, and every one of them is
        # among the chosen (their groups are among the best). Any other indices, all at -inf,
        # are as good as the padding.
        real = chosen[chosen < n]
        chosen = np.concatenate([real, np.setdiff1d(np.arange(n), real)[: k - len(real)]])
    return chosen


class TopK:
    """Exact maximum-inner-product search over fixed keys, blocked and buffer-reusing.

    Parameters
    ----------
    keys : ndarray of shape (n_keys, n_dims)
        Stored as C-contiguous float32 (a copy only when it is not already).
    block_rows : int, default=256
        Query rows scored at once; the score buffer holds ``block_rows x n_keys`` float32.
    group : int, default=64
        Columns per group in the group-maxima prefilter.

    Notes
    -----
    Not safe to share between threads (the score buffer is reused); give each thread its own.
    """

    #: Query blocks of at most this many rows are scored by a compiled pass over the keys.
    FEW = 8

    def __init__(self, keys: np.ndarray, block_rows: int = 256, group: int = 64):
        if block_rows < 1 or group < 1:
            raise ValueError(
                f"Got block_rows={block_rows!r}, group={group!r}; expected positive integers"
            )
        self.keys = np.ascontiguousarray(keys, dtype=np.float32)
        if self.keys.ndim != 2:
            raise ValueError(f"keys must be 2-dimensional; got shape {self.keys.shape}")
        self.block_rows = block_rows
        self.group = group
        n = self.keys.shape[0]
        self._n_groups = -(-n // group)
        self._buffer: np.ndarray | None = None

    @staticmethod
    def rows_for_budget(n_keys: int, budget_bytes: int = 512 * 1024**2) -> int:
        """Query rows per block whose float32 score buffer fits `budget_bytes` (64 to 1024):
        larger blocks run the product closer to the GEMM peak."""
        return int(min(1024, max(64, budget_bytes // (4 * max(n_keys, 1)))))

    @property
    def n_keys(self) -> int:
        return self.keys.shape[0]

    @property
    def last_scores(self) -> np.ndarray:
        """Every key's score for each query row of the last block searched, shape
        (rows, n_keys); excluded keys hold -inf. A view of the buffer: valid until the next
        search."""
        if self._buffer is None:
            raise ValueError("nothing has been searched yet")
        return self._buffer[: self._last_rows, : self.n_keys]

    def _scores(self, queries: np.ndarray) -> np.ndarray:
        """The score block of `queries`, shape (len(queries), n_groups * group); padded columns
        at the end hold -inf."""
        rows = len(queries)
        width = self._n_groups * self.group
        if self._buffer is None or self._buffer.shape[0] < rows:
            self._buffer = np.full((rows, width), -np.inf, dtype=np.float32)
        out = self._buffer[:rows]
        self._last_rows = rows
        if rows <= self.FEW:
            # A few queries (one member's searches): one compiled pass over the keys, split
            # between the cores.
            split_rows(
                lambda start, stop: _few_queries(self.keys, queries, out, start, stop),
                self.n_keys,
                16384,
            )
        else:
            np.matmul(queries, self.keys.T, out=out[:, : self.n_keys])
        return out

    def search(
        self, queries: np.ndarray, k: int, exclude: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return (scores, key rows) of the `k` best keys of every query row, best first.

        Parameters
        ----------
        queries : ndarray of shape (n_queries, n_dims)
        k : int
            Capped at the number of keys.
        exclude : ndarray of bool, shape (n_keys,), optional
            Keys never returned (their score is -inf; if fewer than `k` keys remain, the tail
            of a row holds -inf scores).
        """
        queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        if queries.shape[1] != self.keys.shape[1]:
            raise ValueError(
                f"queries have {queries.shape[1]} dimensions; the keys have {self.keys.shape[1]}"
            )
        k = min(int(k), self.n_keys)
        values = np.empty((len(queries), k), dtype=np.float32)
        columns = np.empty((len(queries), k), dtype=np.int64)
        for start, block_values, block_columns in self.iter_search(queries, k, exclude):
            values[start : start + len(block_values)] = block_values
            columns[start : start + len(block_values)] = block_columns
        return values, columns

    def iter_search(
        self, queries: np.ndarray, k: int, exclude: np.ndarray | None = None
    ) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        """Yield (first row, scores, key rows) for every block of `queries`; see :meth:`search`."""
        queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        k = min(int(k), self.n_keys)
        excluded = np.flatnonzero(exclude) if exclude is not None else None
        for start in range(0, len(queries), self.block_rows):
            block = np.ascontiguousarray(queries[start : start + self.block_rows])
            S = self._scores(block)
            if excluded is not None and len(excluded):
                S[:, excluded] = -np.inf
            yield (start, *self._select(S, k))

    def _select(self, S: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        rows = S.shape[0]
        g = self.group
        n_groups = self._n_groups
        if k == 0 or k * g >= S.shape[1] or n_groups <= k:
            values, columns = top_k_rows(S[:, : self.n_keys], k)
            return values, columns
        # Group j holds the columns j, j + n_groups, j + 2 n_groups, ...: its maximum is an
        # element-wise maximum of `g` contiguous slices, which runs in SIMD.
        maxima = S.reshape(rows, g, n_groups).max(axis=1)
        best_groups = np.argpartition(maxima, n_groups - k, axis=1)[:, n_groups - k :]
        # Columns of the chosen groups: (rows, k * g), then exact top-k among them.
        gathered_columns = (best_groups[:, :, None] + n_groups * np.arange(g)).reshape(rows, k * g)
        gathered = np.take_along_axis(S, gathered_columns, axis=1)
        values, positions = top_k_rows(gathered, k)
        # A padding column (past the keys, -inf) can only be picked with a -inf score; keep
        # every returned column a valid key row all the same.
        return values, np.minimum(
            np.take_along_axis(gathered_columns, positions, axis=1), self.n_keys - 1
        )
