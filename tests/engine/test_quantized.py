"""Exact top-k over int8 codes (matcher.engine.quantized): the best keys and their scores are
those of the float32 pass, near-duplicate keys included."""

import numpy as np
import pytest

from matcher.engine.quantized import QuantizedKeys
from matcher.engine.topk import few_inner_products, top_k_indices


def _keys(n, seed=0):
    rng = np.random.default_rng(seed)
    keys = rng.standard_normal((n, 48)).astype(np.float32)
    # Half of them near-duplicates of the other half: many scores within the codes' error.
    keys[n // 2 :] = keys[: n - n // 2] + 1e-3 * rng.standard_normal((n - n // 2, 48))
    return keys / np.linalg.norm(keys, axis=1, keepdims=True)


@pytest.mark.parametrize("n, k", [(5, 21), (2000, 21), (300_000, 21), (2000, 1)])
def test_the_best_keys_and_scores_are_those_of_the_float32_pass(n, k):
    keys = _keys(n)
    quantized = QuantizedKeys(keys)
    rng = np.random.default_rng(1)
    for query in [keys[n // 3], keys[n - 1], rng.standard_normal(48).astype(np.float32)]:
        exact = few_inner_products(keys, query)[0]
        found = quantized.likeness(query, k)
        scored = np.isfinite(found)
        # Every score computed is the float32 pass's, to the bit; the k best are among them.
        np.testing.assert_array_equal(found[scored], exact[scored])
        best = top_k_indices(exact, k)
        assert scored[best].all()
        np.testing.assert_array_equal(np.sort(found[top_k_indices(found, k)]), np.sort(exact[best]))


def test_a_query_of_other_dimensions_is_refused():
    with pytest.raises(ValueError, match="3 dimensions; the keys have 48"):
        QuantizedKeys(_keys(10)).likeness(np.ones(3), 5)
