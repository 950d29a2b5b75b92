"""A simulated season: does the model get better from what members do with its suggestions?

No matchmaking product publishes such a figure; this module measures it on a world whose
preferences are known. :func:`simulate_season` plays a season of matchmaking rounds (a
matchmaking day, a fair) on the value-chain world of :mod:`matcher.datasets.value_chain` (the
world the engine was not built on; FICTIONAL organisations):

1. **The start.** A share of the world's links is known (``known_share``); the rest is what
   members would still find. The round-one model is fitted on the known links.
2. **Each round**, every active member is shown its ``k`` suggestions through the service's own
   path (:meth:`~matcher.engine.ranking.PartnerMatcher.recommend`, never a partner it already
   answered), and answers by the world's latent process (:meth:`ValueChainWorld.accept_probability`:
   its utility for the partner plus Gumbel noise against its pickiness):

   - it looks at a suggestion with probability :data:`ATTENTION` (the others are shown and
     ignored, whatever they are: a weak signal);
   - it accepts one it looked at with that probability; otherwise it declines
     (:data:`DECLINE_SHARE` of them) or leaves it unanswered (ignored);
   - the partner answers an acceptance the same way (both accepted: a mutual match);
   - a mutual match meets with probability :data:`MEETING_SHARE`, and a meeting ends in a deal
     with the product of both sides' acceptance probabilities.

   The answers are feedback events (``shown``, ``accepted``, ``declined``, ``meeting``,
   ``deal``), and the next round's model learns from all of them as the service's retrain
   does (``fit`` with ``feedback=``; here :meth:`PartnerMatcher.with_links`, the same model
   without encoding the profiles again). The random draws of a (round, member, partner) are the
   same for every policy (common random numbers), so policies differ only by what they show.
3. **Policies** side by side (:data:`POLICIES`): the learning model, a model that never learns
   (the round-one model throughout), an oracle that knows the latent preferences (the best
   possible shortlist), and the ablations: the events at weight 1, the events only as links
   (mutual acceptances as partnerships, declines: what the service learned before), and the
   learning model without exploration.

Figures per policy and round (:class:`RoundFigures`), for all active members and separately
for the cold-start ones (no known link at the start): recall@k and nDCG@k of the partners the
latent process would accept (acceptance probability at least 1/2, among those the member has not
answered or partnered), the acceptance rate of what was shown, the coverage of the partner
catalogue (share of all organisations shown to someone in the round), the share of shown pairs
shown to the same member in an earlier round, and the share of members with at least one
accepted suggestion.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from ..errors import InputError
from ..profiles import POSITIVE_KINDS, Link, validate_links, validate_profiles
from .learning import UNIFORM_WEIGHTS
from .ranking import SERVICE_EXPLORE, PartnerMatcher

__all__ = [
    "ATTENTION",
    "DECLINE_SHARE",
    "MEETING_SHARE",
    "METRICS",
    "POLICIES",
    "POLICY_NOTES",
    "RoundFigures",
    "SeasonSettings",
    "links_from_events",
    "season_summary",
    "season_table",
    "simulate_season",
]

#: The share of its suggestions a member looks at (the others it ignores, whatever they are).
ATTENTION = 0.75
#: Of the suggestions a member looks at and does not accept, the share it declines (the rest
#: it leaves unanswered).
DECLINE_SHARE = 0.7
#: The share of mutual matches that meet.
MEETING_SHARE = 0.7
#: The policies compared, in the table's order.
POLICIES = ("learning", "never", "oracle", "unweighted", "links-only", "no-exploration")
#: What each policy is, for the table's legend.
POLICY_NOTES = {
    "learning": "learns from every event with the documented weights; explores",
    "never": "the round-one model throughout (never learns from feedback)",
    "oracle": "knows the latent preferences: the best possible shortlist",
    "unweighted": "learns from every event, each at weight 1; explores",
    "links-only": "learns mutual acceptances, meetings and deals as links, declines as "
    "declines (the service's retrain before); no exploration",
    "no-exploration": "learns like 'learning', without exploration",
}


@dataclass(frozen=True)
class SeasonSettings:
    """What a simulated season plays (see the module docstring)."""

    organisations: int = 2150
    members: int = 500
    rounds: int = 5
    k: int = 10
    known_share: float = 0.3
    explore: float = SERVICE_EXPLORE
    model: str = "auto"
    seed: int = 0
    policies: tuple[str, ...] = POLICIES

    def check(self) -> SeasonSettings:
        """Refuse settings out of range, naming them (an InputError)."""
        for name, least in (("organisations", 100), ("members", 1), ("rounds", 1), ("k", 1)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < least:
                raise InputError(f"Got {name}={value!r}, expected an integer of at least {least}")
        if self.members > self.organisations:
            raise InputError(
                f"Got members={self.members}, expected at most organisations={self.organisations}"
            )
        if not 0 <= self.known_share <= 1:
            raise InputError(f"Got known_share={self.known_share!r}, expected a share from 0 to 1")
        unknown = [policy for policy in self.policies if policy not in POLICIES]
        if unknown or not self.policies:
            raise InputError(
                f"Got policies {', '.join(map(repr, unknown)) or 'none'}, expected some of "
                f"{', '.join(POLICIES)}"
            )
        return self


@dataclass(frozen=True)
class RoundFigures:
    """One policy's figures in one round, for one group of members ("all" or "cold")."""

    policy: str
    round: int
    group: str
    members: int
    shown: int
    recall: float
    ndcg: float
    acceptance: float
    coverage: float
    repeat: float
    members_with_accepted: float
    seconds: float = 0.0


@dataclass
class _Run:
    """The state of one policy through the season."""

    policy: str
    model: PartnerMatcher | None
    events: list[tuple[str, str, str]] = field(default_factory=list)
    answered: dict[int, set[int]] = field(default_factory=dict)
    shown_before: set[tuple[int, int]] = field(default_factory=set)


def links_from_events(events: Sequence[tuple[str, str, str]]) -> list[Link]:
    """Feedback events as links only, the way the service learned before
    :mod:`matcher.engine.learning`: a mutual acceptance as ``partner``, a meeting as
    ``meeting``, a deal as ``deal``, a decline as ``declined``; one-sided acceptances, shown and
    ignored suggestions teach nothing (the "links-only" ablation)."""
    answers = {(m, p): e for m, p, e in events if e in ("accepted", "declined", "undeclined")}
    kinds = {"meeting": "meeting", "deal": "deal", "declined": "declined"}
    links = []
    for member, partner, event in events:
        if event == "accepted":
            if answers.get((member, partner)) == answers.get((partner, member)) == "accepted":
                links.append(Link(member, partner, "partner"))
        elif event in kinds and answers.get((member, partner)) != "undeclined":
            links.append(Link(member, partner, kinds[event]))
    return list(dict.fromkeys(links))


def simulate_season(
    settings: SeasonSettings = SeasonSettings(),
    progress: Callable[[str], None] | None = None,
) -> list[RoundFigures]:
    """Play a season (see the module docstring) and return every policy's figures by round.

    Parameters
    ----------
    settings : SeasonSettings
    progress : callable, optional
        Called with a line of text after each policy's round.
    """
    from ..datasets.value_chain import generate_value_chain_world

    settings.check()
    say = progress or (lambda line: None)
    world = generate_value_chain_world(settings.organisations, seed=settings.seed)
    source = f"value-chain world, seed {settings.seed}"
    frame = validate_profiles(world.profiles, source=source)
    ids = frame["member_id"].tolist()
    position = {member_id: i for i, member_id in enumerate(ids)}
    every_link = validate_links(world.links, frame["member_id"], source=source)
    n = len(ids)
    rng = np.random.default_rng([settings.seed, 1717])
    known = [
        every_link[i] for i in np.flatnonzero(rng.random(len(every_link)) < settings.known_share)
    ]
    members = np.sort(rng.choice(n, settings.members, replace=False))
    everyone = np.arange(n)
    accept = np.vstack([world.accept_probability(i, everyone) for i in range(n)]).astype(np.float32)
    partnered = np.zeros((n, n), dtype=bool)
    linked = np.zeros(n, dtype=bool)
    for link in known:
        a, b = position[link.source], position[link.target]
        linked[[a, b]] = True
        if link.kind in POSITIVE_KINDS:
            partnered[a, b] = partnered[b, a] = True
    cold = ~linked[members]

    start = time.perf_counter()
    base = PartnerMatcher(model=settings.model, random_state=settings.seed).fit(frame, known)
    say(f"round-one model: {base.model_kind_}, fitted in {time.perf_counter() - start:.1f} s")

    def with_explore(model: PartnerMatcher, share: float) -> PartnerMatcher:
        other = copy.copy(model)
        other.explore = share
        return other

    runs = []
    for policy in settings.policies:
        explores = policy in ("learning", "unweighted")
        model = None if policy == "oracle" else with_explore(base, settings.explore * explores)
        if policy == "unweighted":
            model.feedback_weights = dict(UNIFORM_WEIGHTS)
        runs.append(_Run(policy, model))

    figures: list[RoundFigures] = []
    for round_number in range(1, settings.rounds + 1):
        draws = np.random.default_rng([settings.seed, 1718, round_number])
        answers = [draws.random((n, n), dtype=np.float32) for _ in range(5)]
        for run in runs:
            start = time.perf_counter()
            shown = _shortlists(run, members, ids, position, accept, partnered, settings.k)
            figures += _play(
                run,
                round_number,
                members,
                cold,
                shown,
                ids,
                accept,
                partnered,
                answers,
                settings.k,
            )
            if run.policy not in ("never", "oracle") and round_number < settings.rounds:
                run.model = _relearn(run, base, known)
            seconds = time.perf_counter() - start
            figures[-1] = _with_seconds(figures[-1], seconds)
            figures[-2] = _with_seconds(figures[-2], seconds)
            line = figures[-2]
            say(
                f"round {round_number} {run.policy:>14}: recall {line.recall:.3f}, "
                f"acceptance {line.acceptance:.3f}, coverage {line.coverage:.3f} "
                f"({seconds:.1f} s)"
            )
    return figures


def _with_seconds(figures: RoundFigures, seconds: float) -> RoundFigures:
    return RoundFigures(**{**asdict(figures), "seconds": round(seconds, 2)})


def _shortlists(
    run: _Run,
    members: np.ndarray,
    ids: list[str],
    position: dict[str, int],
    accept: np.ndarray,
    partnered: np.ndarray,
    k: int,
) -> list[np.ndarray]:
    """Each member's shown partners (rows), best first."""
    shown = []
    for m in members.tolist():
        answered = run.answered.get(m, set())
        if run.model is None:
            allowed = ~partnered[m]
            allowed[m] = False
            allowed[list(answered)] = False
            rows = np.flatnonzero(allowed)
            rows = rows[np.argsort(-accept[m, rows], kind="stable")[:k]]
        else:
            suggestions = run.model.recommend(ids[m], k, exclude=[ids[j] for j in answered])
            rows = np.array([position[s.partner_id] for s in suggestions], dtype=np.int64)
        shown.append(rows)
    return shown


def _play(
    run: _Run,
    round_number: int,
    members: np.ndarray,
    cold: np.ndarray,
    shown: list[np.ndarray],
    ids: list[str],
    accept: np.ndarray,
    partnered: np.ndarray,
    draws: tuple[np.ndarray, ...],
    k: int,
) -> list[RoundFigures]:
    """The members' answers to what `run` showed them (events added to `run`) and the round's
    figures for all members and for the cold-start ones."""
    answer, decline, back, meet, look = draws
    n = accept.shape[0]
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    recall, ndcg, accepted_any, accepted_counts, counts, repeats = [], [], [], [], [], []
    # The figures first, on what each member had answered before the round.
    for m, rows in zip(members.tolist(), shown):
        answered = run.answered.get(m, set())
        allowed = ~partnered[m]
        allowed[m] = False
        allowed[list(answered)] = False
        candidates = np.flatnonzero(allowed)
        probabilities = accept[m, candidates]
        acceptable = int((probabilities >= 0.5).sum())
        if acceptable:
            hits = int((accept[m, rows] >= 0.5).sum())
            recall.append(hits / min(k, acceptable))
        else:
            recall.append(np.nan)
        ideal = np.sort(probabilities)[::-1][:k]
        ideal_gain = float((ideal * discounts[: len(ideal)]).sum())
        gain = float((accept[m, rows] * discounts[: len(rows)]).sum())
        ndcg.append(gain / ideal_gain if ideal_gain > 0 else np.nan)
        repeats.append(sum((m, p) in run.shown_before for p in rows.tolist()))
        counts.append(len(rows))
    # Then the answers.
    for m, rows in zip(members.tolist(), shown):
        answered = run.answered.setdefault(m, set())
        run.shown_before.update((m, p) for p in rows.tolist())
        accepted_here = 0
        for p in rows.tolist():
            member, partner = ids[m], ids[p]
            run.events.append((member, partner, "shown"))
            if look[m, p] >= ATTENTION:
                continue  # not looked at: shown and ignored
            if answer[m, p] < accept[m, p]:
                accepted_here += 1
                answered.add(p)
                run.events.append((member, partner, "accepted"))
                run.answered.setdefault(p, set()).add(m)
                if back[p, m] < accept[p, m]:
                    run.events.append((partner, member, "accepted"))
                    if meet[m, p] < MEETING_SHARE:
                        run.events.append((member, partner, "meeting"))
                        if meet[p, m] < accept[m, p] * accept[p, m]:
                            run.events.append((member, partner, "deal"))
                else:
                    run.events.append((partner, member, "declined"))
            elif decline[m, p] < DECLINE_SHARE:
                answered.add(p)
                run.events.append((member, partner, "declined"))
        accepted_any.append(accepted_here > 0)
        accepted_counts.append(accepted_here)

    recall_a, ndcg_a = np.array(recall), np.array(ndcg)
    counts_a, repeats_a = np.array(counts), np.array(repeats)
    accepted_a = np.array(accepted_any)
    accepted_rows_a = np.array(accepted_counts)
    out = []
    for group, chosen in (("all", np.ones(len(members), dtype=bool)), ("cold", cold)):
        shown_count = int(counts_a[chosen].sum())
        group_seen = np.zeros(n, dtype=bool)
        for rows in (shown[i] for i in np.flatnonzero(chosen)):
            group_seen[rows] = True
        out.append(
            RoundFigures(
                policy=run.policy,
                round=round_number,
                group=group,
                members=int(chosen.sum()),
                shown=shown_count,
                recall=_mean(recall_a[chosen]),
                ndcg=_mean(ndcg_a[chosen]),
                acceptance=round(float(accepted_rows_a[chosen].sum() / shown_count), 4)
                if shown_count
                else float("nan"),
                coverage=round(float(group_seen.sum() / n), 4),
                repeat=round(float(repeats_a[chosen].sum() / shown_count), 4)
                if shown_count
                else float("nan"),
                members_with_accepted=_mean(accepted_a[chosen].astype(float)),
            )
        )
    return out


def _mean(values: np.ndarray) -> float:
    values = values[~np.isnan(values)]
    return round(float(values.mean()), 4) if len(values) else float("nan")


def _relearn(run: _Run, base: PartnerMatcher, known: list[Link]) -> PartnerMatcher:
    """The policy's next model: the round-one model learned again from the known links and
    every event so far."""
    if run.policy == "links-only":
        return base.with_links(known + links_from_events(run.events))
    learner = copy.copy(base)
    learner.explore, learner.feedback_weights = run.model.explore, run.model.feedback_weights
    return learner.with_links(known, run.events)


def season_table(figures: Sequence[RoundFigures], group: str = "all") -> str:
    """The figures of `group` as a Markdown table: one row per policy and round."""
    lines = [
        (
            "| policy | round | recall@k | nDCG@k | acceptance | coverage | shown again | "
            "members with an acceptance |"
        ),
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for line in figures:
        if line.group != group:
            continue
        lines.append(
            f"| {line.policy} | {line.round} | {line.recall:.3f} | {line.ndcg:.3f} | "
            f"{line.acceptance:.3f} | {line.coverage:.3f} | {line.repeat:.3f} | "
            f"{line.members_with_accepted:.3f} |"
        )
    return "\n".join(lines)


#: The figures of :class:`RoundFigures` a summary can show, with their headings.
METRICS = {
    "recall": "recall@k of the partners the latent process would accept",
    "ndcg": "nDCG@k",
    "acceptance": "acceptance rate of what was shown",
    "coverage": "coverage of the partner catalogue",
    "repeat": "share of shown partners shown to the same member before",
    "members_with_accepted": "members with at least one accepted suggestion",
}


def season_summary(figures: Sequence[RoundFigures], metric: str, group: str = "all") -> str:
    """One figure (a key of :data:`METRICS`) of `group` as a Markdown table: a row per policy,
    a column per round."""
    if metric not in METRICS:
        raise InputError(f"Got metric={metric!r}, expected one of {', '.join(METRICS)}")
    rounds = sorted({line.round for line in figures})
    policies = list(dict.fromkeys(line.policy for line in figures))
    value = {
        (line.policy, line.round): getattr(line, metric) for line in figures if line.group == group
    }
    lines = [
        "| policy | " + " | ".join(f"round {r}" for r in rounds) + " |",
        "| --- |" + " ---: |" * len(rounds),
    ]
    for policy in policies:
        cells = [value.get((policy, r), float("nan")) for r in rounds]
        lines.append(f"| {policy} | " + " | ".join(f"{cell:.3f}" for cell in cells) + " |")
    return "\n".join(lines)
