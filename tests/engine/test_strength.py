"""The strength of a match as people read it (matcher.engine.strength): a share of the best score
of its list and a tier, the one rule behind every page that shows a suggestion (issue 15)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from matcher.engine import (
    GOOD_FROM,
    STRENGTH_TIERS,
    STRONG_FROM,
    MatchStrength,
    match_strengths,
    strength_name,
    strength_tier,
)
from matcher.errors import InputError


def test_the_tiers_follow_the_share_of_the_best_score():
    # The list of the issue: one partner at 0.20, the others far below.
    strengths = match_strengths([0.2, 0.15, 0.14, 0.07, 0.069, 0.01, 0.0])
    assert [s.tier for s in strengths] == [
        "strong",
        "strong",
        "strong",  # 0.14 / 0.2 is exactly STRONG_FROM, not 0.6999...
        "good",  # 0.07 / 0.2 is exactly GOOD_FROM
        "possible",
        "possible",
        "possible",
    ]
    assert [s.share for s in strengths] == pytest.approx([1, 0.75, 0.7, 0.35, 0.345, 0.05, 0])
    assert strengths[0] == MatchStrength(1.0, "strong")


def test_small_scores_are_read_against_their_own_list():
    # Partners abroad score ten times less than at home: their list still has its strong ones.
    abroad = match_strengths([0.012, 0.009, 0.009, 0.005, 0.002])
    assert [s.tier for s in abroad] == ["strong", "strong", "strong", "good", "possible"]
    # Against a reference (the member's best candidate of all) they are merely possible.
    against_best = match_strengths([0.012, 0.009], best=0.2)
    assert {s.tier for s in against_best} == {"possible"}
    # A score above the reference counts as the reference.
    assert match_strengths([0.3], best=0.2) == [MatchStrength(1.0, "strong")]


def test_order_none_and_empty_lists():
    # Any order in, the same order out; a partner without a score gets no strength.
    assert match_strengths([0.01, None, 0.04]) == [
        MatchStrength(0.25, "possible"),
        None,
        MatchStrength(1.0, "strong"),
    ]
    assert match_strengths([]) == []
    assert match_strengths([None]) == [None]
    # Nothing to compare with: every share is 0.
    assert match_strengths([0.0, 0.0]) == [MatchStrength(0.0, "possible")] * 2
    # numpy scores are numbers too.
    assert match_strengths(np.array([0.5, 0.25]))[1] == MatchStrength(0.5, "good")


def test_tier_boundaries():
    assert STRENGTH_TIERS == ("strong", "good", "possible")
    assert 0 < GOOD_FROM < STRONG_FROM < 1
    assert strength_tier(1.0) == strength_tier(STRONG_FROM) == "strong"
    assert strength_tier(math.nextafter(STRONG_FROM, 0)) == "good"
    assert strength_tier(GOOD_FROM) == "good"
    assert strength_tier(math.nextafter(GOOD_FROM, 0)) == strength_tier(0.0) == "possible"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: match_strengths([0.2, 1.5]), "Got scores[1]=1.5, expected a calibrated score"),
        (lambda: match_strengths([float("nan")]), "Got scores[0]=nan"),
        (lambda: match_strengths(["0.2"]), "Got scores[0]='0.2'"),
        (lambda: match_strengths([True]), "Got scores[0]=True"),
        (lambda: match_strengths([0.2], best=-0.1), "Got best=-0.1"),
        (lambda: strength_tier(2), "Got share=2, expected a share in 0..1"),
        (lambda: strength_name("great", "en"), "Got tier='great', expected one of strong, good"),
    ],
)
def test_bad_input_is_refused_naming_it(call, message):
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        call()


def test_tier_words_in_both_languages():
    assert [strength_name(t, "en") for t in STRENGTH_TIERS] == ["strong", "good", "possible"]
    ukrainian = [strength_name(t, "uk") for t in STRENGTH_TIERS]
    assert len(set(ukrainian)) == 3 and not set(ukrainian) & {"strong", "good", "possible"}
