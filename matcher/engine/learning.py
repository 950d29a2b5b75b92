"""Learning from what members did with their suggestions: feedback events in, training data out.

The service records what each member did with a suggested partner (``shown``, ``accepted``,
``declined``, ``undeclined``, ``saved``, ``meeting``, ``deal``). The next model learns from them
(:meth:`matcher.engine.ranking.PartnerMatcher.fit` with ``feedback=``), and the simulated season
(:mod:`matcher.engine.simulation`) measures that it does. :func:`read_feedback` is the one rule
that turns events into what the model learns, used by the service's retrain and the simulation.

What each pair's events teach
-----------------------------
A pair (member, partner) counts once, by its first outcome in this table, with the weight of
:data:`OUTCOME_WEIGHTS` as a training example:

============  ======  =========================================================================
outcome       weight  what it is
============  ======  =========================================================================
deal          3.0     a deal was made (either side recorded it): a partnership
declined      2.0     the member declined (negative; never suggested to it again)
meeting       2.0     they met (a matchmaking day's meeting, or "we met")
mutual        1.5     both sides accepted each other: a partnership, contacts open
accepted      1.0     the member accepted, the partner has not (yet)
ignored       0.5     shown, and the member did nothing with it (a weak negative)
============  ======  =========================================================================

Deals and mutual acceptances become known partnerships (links of kind ``deal`` and ``partner``):
they are never suggested again and they feed the link statistics (a partner that resembles an
accepted one rises). A meeting or a one-sided acceptance is a positive example only. A decline is
a negative example and the partner is never suggested to that member again, until the member
takes it back (``undeclined``: then neither). ``saved`` is no answer and teaches nothing; nor does
a partner shown and saved. How often each partner was shown (:attr:`Feedback.exposure`) lets the
ranking give a small share of a shortlist to partners few have seen (``explore``).

The weights are relative to the non-partners the model samples as negatives (weight 1 each;
:meth:`~matcher.engine.ranking.PartnerMatcher.fit`): a decline says more than not being a
partner, so it weighs 2 and its partner is not sampled again as a plain non-partner; a
suggestion shown and ignored may not even have been read, so it adds half a negative to
whatever the sampling gives it (partners a model suggests are the best-looking non-partners,
which the sampling takes as hard negatives anyway).

The weights were chosen so that what costs a member more says more (a deal over a meeting over an
acceptance), and checked in the simulated season's ablation (README, "Learning from outcomes"):
the weighted events against the same events as plain links (today's partnerships and declines
only) and against every event at weight 1.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from ..profiles import Link

__all__ = [
    "FEEDBACK_EVENTS",
    "OUTCOME_WEIGHTS",
    "UNIFORM_WEIGHTS",
    "Feedback",
    "FeedbackExample",
    "LearnedFeedback",
    "check_weights",
    "read_feedback",
]

#: The feedback events, as the service records them.
FEEDBACK_EVENTS = ("shown", "accepted", "declined", "undeclined", "saved", "meeting", "deal")
#: The training weight of each outcome of a suggested pair (see the module docstring).
OUTCOME_WEIGHTS: dict[str, float] = {
    "deal": 3.0,
    "meeting": 2.0,
    "mutual": 1.5,
    "accepted": 1.0,
    "declined": 2.0,
    "ignored": 0.5,
}
#: Every outcome at weight 1 (the ablation's "unweighted" learner).
UNIFORM_WEIGHTS: dict[str, float] = dict.fromkeys(OUTCOME_WEIGHTS, 1.0)
#: Outcomes that are positive examples, strongest first.
POSITIVE_OUTCOMES = ("deal", "meeting", "mutual", "accepted")
#: Outcomes that make a known partnership (a link the ranking never suggests again).
PARTNERSHIP_KINDS = {"deal": "deal", "mutual": "partner"}


@dataclass(frozen=True)
class FeedbackExample:
    """One pair to learn from: the member, the partner, 1 or 0, the weight, the outcome."""

    member: str
    partner: str
    label: int
    weight: float
    outcome: str


@dataclass
class Feedback:
    """What a list of feedback events teaches (:func:`read_feedback`).

    Attributes
    ----------
    links : list of Link
        Partnerships (``partner`` for a mutual acceptance, ``deal``) and declines, to give with
        the known links.
    examples : list of FeedbackExample
        Every answered or shown pair with its outcome and training weight.
    exposure : Counter
        How many members were shown each partner.
    """

    links: list[Link] = field(default_factory=list)
    examples: list[FeedbackExample] = field(default_factory=list)
    exposure: Counter = field(default_factory=Counter)

    def outcome_counts(self) -> dict[str, int]:
        """How many pairs ended in each outcome."""
        return dict(Counter(example.outcome for example in self.examples))


@dataclass(frozen=True)
class LearnedFeedback:
    """Feedback as a fitted model keeps it, on the rows of its profiles.

    Attributes
    ----------
    pairs : int64 array (m, 2)
        (member row, partner row) of each example.
    labels : int8 array (m,)
        1 for a positive outcome, 0 for a negative one.
    weights : float64 array (m,)
        The training weight of each example.
    kinds : tuple of str (m,)
        The outcome of each example.
    exposure : int32 array (n_profiles,)
        How many members were shown each profile.
    outcomes : dict
        How many pairs ended in each outcome (what the model learned from, for its manifest).
    """

    pairs: np.ndarray
    labels: np.ndarray
    weights: np.ndarray
    kinds: tuple[str, ...]
    exposure: np.ndarray
    outcomes: dict[str, int]

    @classmethod
    def from_feedback(cls, feedback: Feedback, position: Mapping[str, int]) -> LearnedFeedback:
        """`feedback` on the rows of `position` ({member_id: row}; every id must be there)."""
        examples = feedback.examples
        pairs = np.array(
            [(position[e.member], position[e.partner]) for e in examples], dtype=np.int64
        ).reshape(-1, 2)
        exposure = np.zeros(len(position), dtype=np.int32)
        for partner, count in feedback.exposure.items():
            exposure[position[partner]] = count
        return cls(
            pairs,
            np.array([e.label for e in examples], dtype=np.int8),
            np.array([e.weight for e in examples], dtype=np.float64),
            tuple(e.outcome for e in examples),
            exposure,
            feedback.outcome_counts(),
        )


def check_weights(weights: Mapping[str, float]) -> dict[str, float]:
    """`weights` with every outcome of :data:`OUTCOME_WEIGHTS`, each a number >= 0; a missing
    or wrong one is refused by name (an InputError)."""
    checked = {}
    for outcome in OUTCOME_WEIGHTS:
        value = weights.get(outcome)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not value >= 0:
            raise InputError(
                f"Got feedback weight {outcome}={value!r}, expected a number of at least 0 "
                f"(outcomes: {', '.join(OUTCOME_WEIGHTS)})"
            )
        checked[outcome] = float(value)
    return checked


def read_feedback(
    events: Iterable[tuple[str, str, str]], weights: Mapping[str, float] = OUTCOME_WEIGHTS
) -> Feedback:
    """What the feedback `events` teach the next model (see the module docstring).

    Parameters
    ----------
    events : iterable of (member_id, partner_id, event)
        In the order they were recorded (a later answer replaces an earlier one).
    weights : mapping, default :data:`OUTCOME_WEIGHTS`
        The training weight of each outcome.

    Raises
    ------
    InputError
        An event that is not one of :data:`FEEDBACK_EVENTS`, or a bad weight.
    """
    weights = check_weights(weights)
    shown: dict[tuple[str, str], None] = {}
    answers: dict[tuple[str, str], str] = {}
    met: set[tuple[str, str]] = set()
    dealt: set[tuple[str, str]] = set()
    saved: set[tuple[str, str]] = set()
    exposure: Counter = Counter()
    for member, partner, event in events:
        if member == partner:
            continue
        pair = (member, partner)
        if event == "shown":
            if pair not in shown:
                exposure[partner] += 1
            shown[pair] = None
        elif event in ("accepted", "declined", "undeclined"):
            answers[pair] = event
        elif event == "meeting":
            met.add(pair)
        elif event == "deal":
            dealt.add(pair)
        elif event == "saved":
            saved.add(pair)
        else:
            raise InputError(
                f"Got feedback event {event!r} for {member!r} and {partner!r}, expected one of "
                f"{', '.join(FEEDBACK_EVENTS)}"
            )

    def both(pair: tuple[str, str], found: set[tuple[str, str]]) -> bool:
        return pair in found or pair[::-1] in found

    outcomes: dict[tuple[str, str], str] = {}
    for pair in dict.fromkeys([*shown, *answers, *met, *dealt]):
        answer = answers.get(pair)
        if both(pair, dealt):
            outcome = "deal"
        elif answer == "declined":
            outcome = "declined"
        elif both(pair, met):
            outcome = "meeting"
        elif answer == "accepted":
            outcome = "mutual" if answers.get(pair[::-1]) == "accepted" else "accepted"
        elif answer is None and pair in shown and pair not in saved:
            outcome = "ignored"
        else:
            continue  # taken back, or saved for later: no answer
        outcomes[pair] = outcome

    found = Feedback(exposure=exposure)
    for (member, partner), outcome in outcomes.items():
        found.examples.append(
            FeedbackExample(
                member, partner, int(outcome in POSITIVE_OUTCOMES), weights[outcome], outcome
            )
        )
        kind = PARTNERSHIP_KINDS.get(outcome)
        if kind is None and outcome == "meeting" and answers.get((member, partner)) == "accepted":
            kind = "partner" if answers.get((partner, member)) == "accepted" else None
        if kind is not None:
            found.links.append(Link(member, partner, kind))
        elif outcome == "declined":
            found.links.append(Link(member, partner, "declined"))
    return found
