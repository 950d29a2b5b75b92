"""Pair features: the reciprocity kernel in its two forms."""

import numpy as np

from matcher.engine.pairs import RECIPROCITY_FLOOR, UNKNOWN_COVER, reciprocity, reciprocity_of


def test_the_compiled_and_the_vector_reciprocity_are_equal():
    rng = np.random.default_rng(0)
    cover_ab = np.r_[rng.random(500), 0.0, 0.0, 1.0, 1.0]
    cover_ba = np.r_[rng.random(500), 0.0, 1.0, 0.0, 1.0]
    known = np.r_[rng.random(500) < 0.7, True, False, True, False]
    vector = reciprocity(cover_ab, cover_ba, known)
    compiled = np.array([reciprocity_of(a, b, k) for a, b, k in zip(cover_ab, cover_ba, known)])
    np.testing.assert_array_equal(vector, compiled)


def test_reciprocity_is_the_smoothed_harmonic_mean_of_the_covers():
    # Both sides fully covered: 1. Nothing of A's needs offered: 0, however B is covered.
    assert reciprocity_of(1.0, 1.0, True) == 1.0
    assert reciprocity_of(0.0, 1.0, True) == 0.0
    # A partner that needs nothing A offers still counts from the floor up.
    floor = RECIPROCITY_FLOOR
    assert reciprocity_of(1.0, 0.0, True) == 2 * floor / (1 + floor)
    # One that states no needs counts as half covered, whatever its cover says.
    half = floor + (1 - floor) * UNKNOWN_COVER
    assert reciprocity_of(1.0, 0.9, False) == reciprocity_of(1.0, UNKNOWN_COVER, True)
    assert reciprocity_of(1.0, 0.9, False) == 2 * half / (1 + half)
