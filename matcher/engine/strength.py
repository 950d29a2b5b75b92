"""How strong a suggested match is, in words a person reads: a share of the best and a tier.

The engine's score is a probability in 0..1 calibrated on the known links (see
:mod:`matcher.engine.ranking`): 0.08 means the same for every member, which is what a machine
comparing members needs. A person reads it badly. Known partnerships are rare among all the
pairs a cluster could form, so even a member's best candidates score 0.01 to 0.2, partners
abroad (few known links cross networks) ten times less, and a list of "0.01" and "0.00" says
nothing about which partner to call first.

So people are shown the *strength* of a match: its score as a share of the best score among the
candidates compared (one member's suggestion list, one participant's wish list), and a tier
read from that share. The rule, in one place for every page and output:

* ``share = score / best``, where ``best`` is the highest score of the list (or a reference
  given by the caller, such as the member's best candidate of all; a score above it counts as
  1). When ``best`` is 0 every share is 0: there is nothing to compare with.
* ``strong`` from :data:`STRONG_FROM` (0.7) of the best, ``good`` from :data:`GOOD_FROM`
  (0.35), ``possible`` below. The best partner of a list is always strong: the tier says how a
  partner compares with the best one available to that member, not how likely a partnership is.

The calibrated score stays where machines and curious people look for it: in the API's JSON
(unchanged) and in a page's details. :func:`strength_name` gives a tier's word in English or
Ukrainian (the library's catalogue, context ``"match strength"``).

>>> [(round(s.share, 2), s.tier) for s in match_strengths([0.2, 0.15, 0.08, 0.01])]
[(1.0, 'strong'), (0.75, 'strong'), (0.4, 'good'), (0.05, 'possible')]
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import NamedTuple

from ..errors import InputError
from ..i18n import NP_, Message, catalogue

__all__ = [
    "GOOD_FROM",
    "STRENGTH_TIERS",
    "STRENGTH_WORDS",
    "STRONG_FROM",
    "MatchStrength",
    "match_strengths",
    "strength_name",
    "strength_tier",
]

#: The tiers, strongest first.
STRENGTH_TIERS = ("strong", "good", "possible")
#: A match is strong from this share of the best score of its list.
STRONG_FROM = 0.7
#: A match is good from this share of the best score (and possible below it).
GOOD_FROM = 0.35
#: The tiers' words (the library's catalogue translates them).
STRENGTH_WORDS: dict[str, Message] = {
    "strong": NP_("match strength", "strong"),
    "good": NP_("match strength", "good"),
    "possible": NP_("match strength", "possible"),
}


class MatchStrength(NamedTuple):
    """One match's strength: its score's `share` of the best (0..1) and its `tier`."""

    share: float
    tier: str


def strength_tier(share: float) -> str:
    """Return the tier of a match whose score is `share` (0..1) of the best one's.

    Raises
    ------
    InputError
        If `share` is not a number in 0..1.
    """
    _check_unit(share, "share", "a share in 0..1")
    if share >= STRONG_FROM:
        return "strong"
    if share >= GOOD_FROM:
        return "good"
    return "possible"


def match_strengths(
    scores: Sequence[float | None], best: float | None = None
) -> list[MatchStrength | None]:
    """Return the strength of each match of one list (see the module's rule).

    Parameters
    ----------
    scores : sequence of float or None, of length n_matches
        Calibrated scores in 0..1, in any order; None for a match without a score (a partner
        wished for but not scored), which gets None.
    best : float, optional
        The score the others are compared with; by default the highest of `scores`. A score
        above it has the share 1.

    Returns
    -------
    list of MatchStrength or None, of length n_matches
        In the order of `scores`.

    Raises
    ------
    InputError
        If a score or `best` is not a number in 0..1 (naming which one and its value).
    """
    for position, score in enumerate(scores):
        if score is not None:
            _check_unit(score, f"scores[{position}]", "a calibrated score in 0..1")
    if best is None:
        best = max((score for score in scores if score is not None), default=0.0)
    else:
        _check_unit(best, "best", "a calibrated score in 0..1")
    strengths: list[MatchStrength | None] = []
    for score in scores:
        if score is None:
            strengths.append(None)
            continue
        # Rounded so that 0.07 / 0.1 is 0.7, not 0.69999...: a tier never hangs on float noise.
        share = round(min(1.0, score / best), 9) if best > 0 else 0.0
        strengths.append(MatchStrength(share, strength_tier(share)))
    return strengths


def strength_name(tier: str, language: str) -> str:
    """Return the word of the strength tier `tier` in `language` ("en" or "uk").

    Raises
    ------
    InputError
        If `tier` is not one of :data:`STRENGTH_TIERS` (or `language` is unknown).
    """
    if tier not in STRENGTH_WORDS:
        raise InputError(f"Got tier={tier!r}, expected one of {', '.join(STRENGTH_TIERS)}")
    return catalogue(language).translate(STRENGTH_WORDS[tier])


def _check_unit(value: object, name: str, expected: str) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or not 0 <= value <= 1
    ):
        raise InputError(f"Got {name}={value!r}, expected {expected}")
