"""Exact top-k selection: top_k_rows, top_k_indices and the blocked search of TopK.

The reference is a full sort (``np.sort`` / ``np.argsort``). The module lets ties at the k-th
score be broken either way, so the checks compare the returned scores in order with the
reference exactly, and require every returned column to be a distinct column holding that
score (which also pins the set of columns above the k-th score). The matrices hold small
integers: every float32 product and sum is then exact whatever the order of the additions (BLAS,
the compiled pass with ``fastmath``, any split between cores), and ties are many.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import matcher.engine.topk as topk_module
from matcher.engine import parallel
from matcher.engine.topk import TopK, top_k_indices, top_k_rows


def _integers(rng: np.random.Generator, shape, low: int = -3, high: int = 3) -> np.ndarray:
    return rng.integers(low, high + 1, size=shape).astype(np.float32)


def _check_rows(scores: np.ndarray, k: int, values: np.ndarray, columns: np.ndarray) -> None:
    """`values`/`columns` are the k best entries of each row of `scores`, best first."""
    scores = np.atleast_2d(scores)
    n_rows, n_columns = scores.shape
    k = min(k, n_columns)
    assert values.shape == columns.shape == (n_rows, k)
    assert columns.dtype == np.int64
    expected = -np.sort(-scores, axis=1)[:, :k]
    np.testing.assert_array_equal(values, expected)
    assert ((columns >= 0) & (columns < max(n_columns, 1))).all()
    np.testing.assert_array_equal(np.take_along_axis(scores, columns, axis=1), values)
    assert all(len(set(row)) == k for row in columns.tolist())


def _check_search(
    K: np.ndarray,
    Q: np.ndarray,
    k: int,
    exclude: np.ndarray | None,
    values: np.ndarray,
    columns: np.ndarray,
) -> None:
    """The result of ``TopK(K).search(Q, k, exclude)`` against a full sort of the exact scores:
    the scores best first, excluded keys never among the finite ones, -inf only where fewer
    than k keys are allowed, and every finite score the one of its (distinct) key."""
    n_keys = K.shape[0]
    k = min(k, n_keys)
    assert values.shape == columns.shape == (len(Q), k)
    assert values.dtype == np.float32 and columns.dtype == np.int64
    S = Q.astype(np.int64) @ K.astype(np.int64).T
    S = S.astype(np.float64)
    if exclude is not None:
        S[:, exclude] = -np.inf
    expected = -np.sort(-S, axis=1)[:, :k]
    np.testing.assert_array_equal(values, expected)
    assert ((columns >= 0) & (columns < n_keys)).all()
    finite = np.isfinite(values)
    if exclude is not None:
        allowed = int((~exclude).sum())
        assert (finite.sum(axis=1) == min(k, allowed)).all()
        assert not exclude[columns[finite]].any()
    else:
        assert finite.all()
    returned = np.take_along_axis(S, columns, axis=1)
    np.testing.assert_array_equal(returned[finite], values[finite])
    for row, ok in zip(columns, finite):
        assert len(set(row[ok].tolist())) == ok.sum()


# ---------------------------------------------------------------------------------------------
# top_k_rows
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "n_rows, n_columns, k",
    [(20, 50, 5), (20, 50, 1), (20, 50, 49), (20, 50, 50), (20, 50, 51), (1, 7, 3), (5, 1, 1)],
)
@pytest.mark.parametrize("ties", [False, True])
def test_top_k_rows_is_a_full_sort_cut_at_k(n_rows, n_columns, k, ties):
    rng = np.random.default_rng(n_rows * 100 + n_columns + k)
    scores = (
        _integers(rng, (n_rows, n_columns), -2, 2)
        if ties
        else rng.standard_normal((n_rows, n_columns))
    )
    values, columns = top_k_rows(scores, k)
    _check_rows(scores, k, values, columns)
    assert values.dtype == scores.dtype


def test_top_k_rows_puts_masked_columns_last():
    """A masked column scores -inf: it is returned only when fewer than k others are left."""
    scores = np.array([[0.5, -np.inf, 0.1, -np.inf, 0.9], [-np.inf] * 4 + [0.0]])
    values, columns = top_k_rows(scores, 4)
    _check_rows(scores, 4, values, columns)
    assert columns[0, :3].tolist() == [4, 0, 2]
    assert set(columns[0, 3:].tolist()) <= {1, 3}
    assert values[1].tolist() == [0.0, -np.inf, -np.inf, -np.inf] and columns[1, 0] == 4


def test_top_k_rows_of_a_vector_and_of_empty_inputs():
    values, columns = top_k_rows(np.array([3.0, 1.0, 2.0]), 2)
    assert values.tolist() == [[3.0, 2.0]] and columns.tolist() == [[0, 2]]
    for shape, k, expected in [((0, 5), 3, (0, 3)), ((4, 0), 3, (4, 0)), ((4, 6), 0, (4, 0))]:
        values, columns = top_k_rows(np.zeros(shape, dtype=np.float32), k)
        assert values.shape == columns.shape == expected
        assert values.dtype == np.float32 and columns.dtype == np.int64


# ---------------------------------------------------------------------------------------------
# top_k_indices
# ---------------------------------------------------------------------------------------------


def _check_indices(values: np.ndarray, k: int, found: np.ndarray) -> None:
    k = max(0, min(k, len(values)))
    assert len(found) == k
    assert len(set(found.tolist())) == k
    assert ((found >= 0) & (found < len(values))).all()
    np.testing.assert_array_equal(np.sort(values[found]), np.sort(values)[len(values) - k :])


@pytest.mark.parametrize(
    "n, k",
    [(1, 1), (10, 3), (10, 10), (10, 25), (160, 10), (161, 10), (2000, 1), (5000, 7), (5003, 64)],
)
@pytest.mark.parametrize("ties", [False, True])
def test_top_k_indices_are_those_of_the_k_largest(n, k, ties):
    """Short vectors take a plain partition, long ones (n > 4 k group) the group maxima."""
    rng = np.random.default_rng(n + k)
    values = _integers(rng, n, -5, 5) if ties else rng.standard_normal(n).astype(np.float32)
    _check_indices(values, k, top_k_indices(values, k))


def test_top_k_indices_of_nothing():
    assert top_k_indices(np.arange(5.0), 0).tolist() == []
    assert top_k_indices(np.arange(5.0), -3).tolist() == []
    assert top_k_indices(np.zeros(0), 4).tolist() == []


def test_top_k_indices_with_masked_values_while_k_finite_ones_remain():
    rng = np.random.default_rng(11)
    values = rng.standard_normal(3000).astype(np.float32)
    values[rng.random(3000) < 0.9] = -np.inf
    k = int(np.isfinite(values).sum()) // 2
    found = top_k_indices(values, k)
    _check_indices(values, k, found)
    assert np.isfinite(values[found]).all()


@pytest.mark.parametrize("finite", [0, 1, 5, 10])
def test_top_k_indices_are_distinct_when_fewer_than_k_values_are_finite(finite):
    """177 values, all but `finite` of them -inf, k = 11: the group path (groups of 4, 45
    groups, 3 padding -inf columns after the values); every finite value is returned."""
    values = np.full(177, -np.inf, dtype=np.float32)
    values[np.arange(finite) * 17] = np.arange(finite) + 1.0
    found = top_k_indices(values, 11)
    _check_indices(values, 11, found)
    assert set((np.arange(finite) * 17).tolist()) <= set(found.tolist())


@given(
    n=st.integers(1, 3000),
    k=st.integers(1, 80),
    levels=st.sampled_from([3, 50, 10**6]),
    seed=st.integers(0, 2**32 - 1),
)
def test_top_k_indices_property(n, k, levels, seed):
    values = np.random.default_rng(seed).integers(0, levels, n).astype(np.float32)
    _check_indices(values, k, top_k_indices(values, k))


# ---------------------------------------------------------------------------------------------
# TopK: the blocked search
# ---------------------------------------------------------------------------------------------

# (n_keys, n_queries, k, group, block_rows): the compiled pass for blocks of up to TopK.FEW
# rows, BLAS above; the group prefilter when k x group < the row and k < the groups, whole
# rows otherwise; several blocks (the last smaller, on the other path), k >= the keys.
SEARCHES = [
    (1000, 5, 10, 64, 256),  # compiled pass, prefilter
    (1000, 40, 10, 16, 256),  # BLAS, prefilter
    (1000, 40, 10, 16, 7),  # blocks of 7: compiled pass each time, buffer reused
    (1000, 45, 10, 16, 20),  # 20 + 20 by BLAS, then 5 by the compiled pass
    (300, 30, 50, 64, 256),  # k x group >= the row: whole rows
    (97, 12, 1, 4, 5),  # k = 1, padding columns (97 keys in 25 groups of 4)
    (50, 9, 80, 8, 256),  # k above the keys
    (1, 3, 5, 64, 256),  # one key
    (1000, 1, 1, 64, 256),  # one query
    (2000, 17, 100, 1, 8),  # groups of one column
]


@pytest.mark.parametrize("n_keys, n_queries, k, group, block_rows", SEARCHES)
@pytest.mark.parametrize("mask", ["none", "30%", "all-but-3", "all"])
def test_search_is_a_full_sort_of_the_products(n_keys, n_queries, k, group, block_rows, mask):
    rng = np.random.default_rng(n_keys + 7 * n_queries + k)
    K = _integers(rng, (n_keys, 3))
    Q = _integers(rng, (n_queries, 3))
    exclude = {
        "none": None,
        "30%": rng.random(n_keys) < 0.3,
        "all-but-3": np.ones(n_keys, dtype=bool),
        "all": np.ones(n_keys, dtype=bool),
    }[mask]
    if mask == "all-but-3":
        exclude[rng.choice(n_keys, size=min(3, n_keys), replace=False)] = False
    values, columns = TopK(K, block_rows=block_rows, group=group).search(Q, k, exclude=exclude)
    _check_search(K, Q, k, exclude, values, columns)


@given(
    n_keys=st.integers(1, 400),
    n_dims=st.integers(1, 4),
    n_queries=st.integers(0, 40),
    k=st.integers(1, 450),
    group=st.integers(1, 70),
    block_rows=st.integers(1, 50),
    excluded=st.sampled_from([0.0, 0.3, 0.97]),
    seed=st.integers(0, 2**32 - 1),
)
def test_search_property(n_keys, n_dims, n_queries, k, group, block_rows, excluded, seed):
    rng = np.random.default_rng(seed)
    K = _integers(rng, (n_keys, n_dims))
    Q = _integers(rng, (n_queries, n_dims))
    exclude = rng.random(n_keys) < excluded if excluded else None
    values, columns = TopK(K, block_rows=block_rows, group=group).search(Q, k, exclude=exclude)
    _check_search(K, Q, k, exclude, values, columns)


def test_a_searcher_reused_with_other_queries_and_exclusions_forgets_the_last_ones():
    """The score buffer is reused from call to call: keys excluded once come back when not
    excluded, larger and smaller blocks follow one another."""
    rng = np.random.default_rng(3)
    K = _integers(rng, (700, 4))
    searcher = TopK(K, block_rows=32, group=8)
    everything_but_best = np.zeros(700, dtype=bool)
    plans = [(5, 0.5), (60, 0.0), (3, 0.9), (100, None), (1, 0.2), (9, None)]
    for n_queries, share in plans:
        Q = _integers(rng, (n_queries, 4))
        exclude = None if share is None else rng.random(700) < share
        if share == 0.0:
            # Exclude each query's best keys: the next searches must find them again.
            S = Q @ K.T
            everything_but_best[np.argmax(S, axis=1)] = True
            exclude = everything_but_best
        values, columns = searcher.search(Q, 12, exclude=exclude)
        _check_search(K, Q, 12, exclude, values, columns)


def test_last_scores_are_the_last_blocks_products_with_exclusions():
    rng = np.random.default_rng(4)
    K = _integers(rng, (130, 3))
    searcher = TopK(K, block_rows=10, group=8)
    with pytest.raises(ValueError, match="nothing has been searched"):
        searcher.last_scores  # noqa: B018
    Q = _integers(rng, (25, 3))
    exclude = rng.random(130) < 0.2
    searcher.search(Q, 4, exclude=exclude)
    expected = Q[20:] @ K.T
    expected[:, exclude] = -np.inf
    assert searcher.last_scores.shape == (5, 130)
    np.testing.assert_array_equal(searcher.last_scores, expected)
    one = _integers(rng, (1, 3))
    searcher.search(one, 4)
    np.testing.assert_array_equal(searcher.last_scores, one @ K.T)


def test_iter_search_yields_the_blocks_of_search():
    rng = np.random.default_rng(5)
    K = _integers(rng, (500, 3))
    Q = _integers(rng, (53, 3))
    exclude = rng.random(500) < 0.1
    blocks = list(TopK(K, block_rows=20, group=16).iter_search(Q, 9, exclude=exclude))
    assert [start for start, _, _ in blocks] == [0, 20, 40]
    assert [len(v) for _, v, _ in blocks] == [20, 20, 13]
    values = np.vstack([v for _, v, _ in blocks])
    columns = np.vstack([c for _, _, c in blocks])
    _check_search(K, Q, 9, exclude, values, columns)
    whole_values, _ = TopK(K, block_rows=20, group=16).search(Q, 9, exclude=exclude)
    np.testing.assert_array_equal(values, whole_values)


def test_empty_queries_and_no_keys():
    rng = np.random.default_rng(6)
    K = _integers(rng, (40, 3))
    values, columns = TopK(K).search(np.zeros((0, 3), dtype=np.float32), 5)
    assert values.shape == columns.shape == (0, 5)
    values, columns = TopK(np.zeros((0, 3))).search(_integers(rng, (4, 3)), 5)
    assert values.shape == columns.shape == (4, 0)


def test_search_for_no_key_gives_empty_rows():
    rng = np.random.default_rng(8)
    values, columns = TopK(_integers(rng, (500, 3))).search(_integers(rng, (3, 3)), 0)
    assert values.shape == columns.shape == (3, 0)


def test_one_query_as_a_vector_and_float64_queries():
    rng = np.random.default_rng(9)
    K = _integers(rng, (300, 5))
    q = _integers(rng, 5)
    values, columns = TopK(K, group=8).search(q.astype(np.float64), 6)
    _check_search(K, q[None, :], 6, None, values, columns)


def test_keys_are_stored_as_contiguous_float32_copied_only_when_needed():
    rng = np.random.default_rng(10)
    K = _integers(rng, (60, 4))
    assert TopK(K).keys is K
    for other in (K.astype(np.float64), np.asfortranarray(K), K[::2]):
        stored = TopK(other).keys
        assert stored.dtype == np.float32 and stored.flags.c_contiguous
        np.testing.assert_array_equal(stored, other)


@pytest.mark.parametrize(
    "make",
    [
        lambda: TopK(np.zeros((5, 2)), block_rows=0),
        lambda: TopK(np.zeros((5, 2)), group=0),
        lambda: TopK(np.zeros(5)),
        lambda: TopK(np.zeros((5, 2, 2))),
        lambda: TopK(np.zeros((5, 2))).search(np.zeros((3, 3)), 2),
    ],
)
def test_wrong_parameters_are_refused(make):
    with pytest.raises(ValueError):
        make()


@pytest.mark.parametrize("n_keys", [1, 1000, 131_072, 131_073, 10**7])
@pytest.mark.parametrize("budget", [2**20, 512 * 1024**2])
def test_rows_for_budget_stays_within_64_and_1024_and_the_budget(n_keys, budget):
    rows = TopK.rows_for_budget(n_keys, budget)
    assert 64 <= rows <= 1024
    assert rows * 4 * n_keys <= budget or rows == 64
    assert rows == 1024 or TopK.rows_for_budget(n_keys + 1, budget) <= rows


# ---------------------------------------------------------------------------------------------
# The split between cores (the compiled pass for a few queries)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "n_keys, cores, parts", [(32_767, 2, 1), (32_768, 2, 2), (50_001, 3, 3), (50_001, 2, 2)]
)
def test_the_split_between_cores_gives_the_single_core_result(monkeypatch, n_keys, cores, parts):
    """Up to TopK.FEW query rows the keys are split between the cores from 2 x 16,384 keys:
    the ranges cover every key once and the result is the one of a single core."""
    rng = np.random.default_rng(n_keys + cores)
    K = _integers(rng, (n_keys, 4))
    Q = _integers(rng, (TopK.FEW, 4))
    exclude = rng.random(n_keys) < 0.05

    monkeypatch.setattr(parallel, "CORES", 1)
    single = TopK(K, group=16).search(Q, 40, exclude=exclude)

    ranges: list[tuple[int, int]] = []
    real = topk_module.split_rows

    def spy(function, n, min_rows):
        def recorded(start, stop):
            ranges.append((start, stop))
            function(start, stop)

        real(recorded, n, min_rows)

    monkeypatch.setattr(topk_module, "split_rows", spy)
    monkeypatch.setattr(parallel, "CORES", cores)
    values, columns = TopK(K, group=16).search(Q, 40, exclude=exclude)
    ordered = sorted(ranges)
    assert len(ordered) == parts
    assert ordered[0][0] == 0 and ordered[-1][1] == n_keys
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ordered))
    np.testing.assert_array_equal(values, single[0])
    np.testing.assert_array_equal(columns, single[1])
    _check_search(K, Q, 40, exclude, values, columns)


@pytest.mark.parametrize("n_keys", [1000, 270_000])
@pytest.mark.parametrize("n_queries", [1, 3])
def test_few_inner_products_are_the_product_on_one_core_or_two(n_keys, n_queries):
    """The compiled pass (split between the cores from 262,144 keys) is the product."""
    from matcher.engine.topk import few_inner_products

    rng = np.random.default_rng(n_keys + n_queries)
    keys = rng.standard_normal((n_keys, 48)).astype(np.float32)
    queries = rng.standard_normal((n_queries, 48)).astype(np.float32)
    found = few_inner_products(keys, queries)
    assert found.shape == (n_queries, n_keys) and found.dtype == np.float32
    expected = queries.astype(np.float64) @ keys.T.astype(np.float64)
    np.testing.assert_allclose(found, expected, rtol=0, atol=1e-4)
    with pytest.raises(ValueError, match="dimensions"):
        few_inner_products(keys, queries[:, :5])


def test_widened_gives_every_float16_value_as_float32():
    """The table lookup that widens large data's float16 views is numpy's conversion, for
    every bit pattern (signed zeros, subnormals, infinities and NaNs included)."""
    from matcher.engine.topk import widened

    every = np.arange(1 << 16, dtype=np.uint16).view(np.float16).reshape(256, 256)
    np.testing.assert_array_equal(widened(every), every.astype(np.float32))
    assert widened(every).dtype == np.float32
    np.testing.assert_array_equal(np.signbit(widened(every)), np.signbit(every.astype(np.float32)))
    # Rows gathered from a larger matrix (not contiguous in the original) widen the same.
    np.testing.assert_array_equal(widened(every[::3, 5:]), every[::3, 5:].astype(np.float32))
