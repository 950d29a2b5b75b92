"""Choosing the re-ranking model by evidence: inner cross-validation on the training pairs.

The score that orders a member's candidates is learned from known links
(:class:`matcher.engine.ranking.PartnerMatcher`). Which model suits the links at hand, and which
features earn their place, depends on the data: trees beat a linear score on a supplier list
where a vendor's next site resembles its last ones, a linear score generalises better where
links are few and noisy, and a feature shaped on one data set (how similar two names are, a
firm's potential score) can mislead on another. So nothing here is decided by the number of
links; :func:`select_model` decides on the pairs themselves:

1. The training pairs are those the ranker learns from: its known links split into parts, and
   each part's links against sampled non-partners of their member (the best-looking ones by
   the view scores, and some at random), featured from the links of the other parts
   (:class:`TrainingPairs`). Each part is held out in turn, as the evaluation holds out links:
   a model learns from the other parts' pairs (at most :data:`MAX_TRAINING_PAIRS`, every
   partner kept and non-partners drawn at random beyond) and ranks, for every member with a
   link in the held-out part, that member's pairs there.
2. Its inner score is the recall@10 of the member's held-out partners as the evaluation would
   count it: a partner's rank among all profiles is estimated from its rank among the sampled
   non-partners, each random one standing for the profiles it was drawn from (ties counted
   against the partner); averaged over (part, member), the mean reciprocal rank breaking ties.
   Every candidate of :data:`MODEL_CANDIDATES` is scored on the same splits.
3. The plain logistic regression (:data:`REFERENCE`, the model of the evaluation's ``linear``
   row) is kept unless another candidate shows evidence: a mean gain in recall over it, member
   by member, larger than the gain's standard error (:data:`EVIDENCE_SE`, the
   one-standard-error rule on paired differences). Among the candidates that do, the best wins.
   Inner scores move by a few hundredths from one split to the next on a few hundred members;
   a richer model chosen on such a difference alone did worse than the plain one on held-out
   links.
4. Then each group of :data:`OPTIONAL_FEATURES` is left out in turn, and stays out when the
   winner does better without it by evidence: a feature shaped on one data set that misleads
   on these is not used. Each group is one more test, and three tests at the one-SE rule's bar
   would leave a group out by chance three times as often; so each is held to the bar that
   keeps the chance of any such drop at the rule's level (Bonferroni,
   :func:`feature_evidence_se`: 1.62 standard errors for three groups). At one standard error
   each, groups were left out on gains that did not hold on held-out links (the value-chain
   world, seed 0: 0.265 against the plain model's 0.266; with this bar 0.267; the sample:
   0.497, now 0.500). The reverse bar, keeping a group only on evidence that it helps, dropped
   groups whose gains are each small but add up (0.471 against 0.498 on the sample).

A model learns without a feature by seeing it as a constant 0 (:func:`without_features`):
trees never split on a constant column, and the logistic pipeline zeroes the column itself
(:class:`FeatureMask`), so the fitted score ignores whatever value the feature has later.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from .pairs import PAIR_FEATURES

__all__ = [
    "MAX_TRAINING_PAIRS",
    "MODEL_CANDIDATES",
    "OPTIONAL_FEATURES",
    "FeatureMask",
    "ModelCandidate",
    "TrainingPairs",
    "WeightedPipeline",
    "build_learner",
    "candidate_named",
    "feature_evidence_se",
    "inner_scores",
    "select_model",
    "without_features",
]

#: Pairs each candidate learns from at most in the choice (non-partners drawn at random beyond).
MAX_TRAINING_PAIRS = 40_000
#: The cut-off of the inner score.
K = 10
#: The candidate that others must beat with evidence: the plain logistic regression, the same
#: model as the ``linear`` baseline of :func:`matcher.engine.evaluation.evaluate`.
REFERENCE = "logistic"
#: Evidence means a mean gain larger than this many standard errors of it (the one-standard-error
#: rule). A stricter bar (2.13, a one-sided 95% test corrected for three comparisons) kept the
#: plain model where trees were better on held-out links (Benetton: 0.740 against 0.765).
EVIDENCE_SE = 1.0
#: Members with a held-out partner that every part needs for the choice to be made by
#: cross-validation (fewer: the simplest logistic model).
MIN_MEMBERS = 3

#: Features a learned tree model may only use in one direction (+1 up, -1 down): keeps the
#: learned score sensible on data unlike its training links.
MONOTONIC = {
    "cover_ab": 1,
    "reciprocity": 1,
    "text_ab": 1,
    "competitor": -1,
    "capacity_fit": 1,
    "market_open_ab": 1,
}


@dataclass
class TrainingPairs:
    """The pairs a ranker learns from.

    Attributes
    ----------
    X : ndarray of shape (n_pairs, len(PAIR_FEATURES))
    y : ndarray of shape (n_pairs,)
        1 for a known partner, 0 for a sampled non-partner.
    groups : ndarray of shape (n_pairs,)
        The member (row) each pair belongs to.
    parts : ndarray of shape (n_pairs,)
        The part of the links each pair comes from (its features were read from the others').
    weights : ndarray of shape (n_pairs,)
        How many of the member's non-partners each sampled one stands for (1 for partners and
        for the best-looking non-partners, which are all taken).
    sample_weight : ndarray of shape (n_pairs,) or None
        How much each pair weighs in learning, from the feedback events' outcomes
        (:mod:`matcher.engine.learning`); None: every pair alike (no feedback).
    """

    X: np.ndarray
    y: np.ndarray
    groups: np.ndarray
    parts: np.ndarray
    weights: np.ndarray
    sample_weight: np.ndarray | None = None


@dataclass(frozen=True)
class ModelCandidate:
    """One model the choice considers: a family ("logistic" or "gbt") and its parameters."""

    name: str
    family: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "family": self.family, "params": dict(self.params)}


#: The candidates, simplest first (a tie goes to the earlier one).
MODEL_CANDIDATES = (
    ModelCandidate("logistic-strong", "logistic", {"C": 0.05}),
    ModelCandidate("logistic", "logistic", {"C": 0.5}),
    ModelCandidate(
        "gbt-shallow",
        "gbt",
        {
            "learning_rate": 0.08,
            "max_iter": 150,
            "max_leaf_nodes": 7,
            "min_samples_leaf": 80,
            "l2_regularization": 3.0,
        },
    ),
    ModelCandidate(
        "gbt",
        "gbt",
        {
            "learning_rate": 0.06,
            "max_iter": 250,
            "max_leaf_nodes": 15,
            "min_samples_leaf": 25,
            "l2_regularization": 1.0,
        },
    ),
)

#: Groups of pair features the choice may leave out, each in one piece. They read details that
#: some data sets fill and others do not, or that carry one data set's shortcut: tiers and
#: sizes (a firm's potential, certifications and capacity against the member's), the names
#: (plants of one group share a name), and where and of what kind the member's known
#: partners are.
OPTIONAL_FEATURES = {
    "tiers and sizes": ("potential_b", "certification_gap", "capacity_ratio", "size_ratio"),
    "names": ("name_similarity",),
    "partners' geography": ("partner_country_share", "partner_city_share", "partner_type_share"),
}


def candidate_named(name: str) -> ModelCandidate:
    """The candidate of :data:`MODEL_CANDIDATES` called `name`."""
    for candidate in MODEL_CANDIDATES:
        if candidate.name == name:
            return candidate
    raise KeyError(name)


class FeatureMask(TransformerMixin, BaseEstimator):
    """Set the columns of pair-feature rows that are not kept to 0 (see the module docstring).

    Parameters
    ----------
    dropped : tuple of str
        Names among :data:`~matcher.engine.pairs.PAIR_FEATURES`.
    """

    def __init__(self, dropped: tuple[str, ...] = ()):
        self.dropped = dropped

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return without_features(X, self.dropped)


def without_features(X: np.ndarray, dropped: Sequence[str]) -> np.ndarray:
    """`X` with the columns of the `dropped` pair features set to 0 (a copy when any is)."""
    if not len(dropped):
        return X
    X = np.array(X, copy=True)
    X[:, [PAIR_FEATURES.index(name) for name in dropped]] = 0
    return X


class WeightedPipeline(Pipeline):
    """A pipeline whose ``fit`` takes ``sample_weight`` and gives it to its last step: what
    :class:`~sklearn.calibration.CalibratedClassifierCV` passes to the models it calibrates."""

    def fit(self, X, y=None, sample_weight=None, **params):
        if sample_weight is not None:
            params[f"{self.steps[-1][0]}__sample_weight"] = sample_weight
        return super().fit(X, y, **params)


def build_learner(candidate: ModelCandidate, dropped: Sequence[str] = (), random_state: int = 0):
    """An unfitted scikit-learn classifier for `candidate`, ignoring the `dropped` features.

    Trees are given the pairs with those columns at 0 by the caller (:func:`without_features`);
    the logistic pipeline zeroes them itself, before its scaling.
    """
    if candidate.family == "logistic":
        return WeightedPipeline(
            [
                ("featuremask", FeatureMask(tuple(dropped))),
                ("standardscaler", StandardScaler()),
                ("logisticregression", LogisticRegression(max_iter=2000, **candidate.params)),
            ]
        )
    if candidate.family == "gbt":
        monotonic = [MONOTONIC.get(name, 0) for name in PAIR_FEATURES]
        return HistGradientBoostingClassifier(
            monotonic_cst=monotonic, random_state=random_state, **candidate.params
        )
    raise ValueError(f"unknown model family {candidate.family!r}")


def inner_scores(
    scores: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    weights: np.ndarray | None = None,
    k: int = K,
) -> tuple[np.ndarray, np.ndarray]:
    """Per group (a member's pairs): recall@k of its positives and the reciprocal rank of the
    first. A positive's rank counts the other positives and the weighted negatives scored above
    it or level with it (each negative counting for `weights`, 1 by default). Groups without a
    positive are left out. Returns (recall, reciprocal rank), one value per group."""
    y = np.asarray(y).astype(bool)
    weights = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=np.float64)
    # Best first; on a level score the negatives come first (ties count against the positive).
    order = np.lexsort((y, -scores, groups))
    g, positive, w = groups[order], y[order], weights[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    sizes = np.diff(np.r_[starts, len(g)])
    group_of = np.repeat(np.arange(len(starts)), sizes)
    # Everything above each pair within its group: weighted negatives and positives.
    above = np.cumsum(np.where(positive, 1.0, w)) - np.where(positive, 1.0, w)
    above -= np.repeat(above[starts] if len(starts) else above[:0], sizes)
    rank = above[positive]
    owner = group_of[positive]
    n_groups = len(starts)
    n_positive = np.bincount(owner, minlength=n_groups)
    hits = np.bincount(owner, weights=rank < k, minlength=n_groups)
    first = np.full(n_groups, np.inf)
    np.minimum.at(first, owner, rank)
    has = n_positive > 0
    return hits[has] / n_positive[has], 1.0 / (first[has] + 1)


def _training_rows(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Rows to learn from: every positive, and negatives drawn at random beyond
    :data:`MAX_TRAINING_PAIRS` pairs in all."""
    if len(y) <= MAX_TRAINING_PAIRS:
        return np.arange(len(y))
    negative = np.flatnonzero(y == 0)
    room = max(MAX_TRAINING_PAIRS - int((y == 1).sum()), 1)
    kept = np.sort(rng.choice(negative, min(room, len(negative)), replace=False))
    return np.sort(np.r_[np.flatnonzero(y == 1), kept])


def _fold_scores(
    candidate: ModelCandidate,
    dropped: tuple[str, ...],
    pairs: TrainingPairs,
    keys: np.ndarray,
    fold: int,
    train: np.ndarray,
    random_state: int,
) -> tuple[np.ndarray, np.ndarray]:
    held = pairs.parts == fold
    learner = build_learner(candidate, dropped, random_state)
    weights = None if pairs.sample_weight is None else pairs.sample_weight[train]
    learner.fit(without_features(pairs.X[train], dropped), pairs.y[train], sample_weight=weights)
    scores = learner.predict_proba(pairs.X[held])[:, 1]
    return inner_scores(scores, pairs.y[held], keys[held], pairs.weights[held])


def _evaluate(
    trials: list[tuple[ModelCandidate, tuple[str, ...]]],
    pairs: TrainingPairs,
    keys: np.ndarray,
    train_rows: dict[int, np.ndarray],
    random_state: int,
) -> list[tuple[dict, np.ndarray]]:
    """Inner scores of each (candidate, dropped features), all folds fitted by two threads: a
    summary (mean recall@10 and reciprocal rank, standard error, members) and the recall of each
    (part, member), in the same order for every trial."""
    tasks = [(i, fold) for i in range(len(trials)) for fold in train_rows]
    # One thread each for BLAS and OpenMP: two tasks at a time then use the two cores without
    # waiting on each other's thread pools.
    with threadpool_limits(1):
        results = Parallel(n_jobs=2, backend="threading")(
            delayed(_fold_scores)(*trials[i], pairs, keys, fold, train_rows[fold], random_state)
            for i, fold in tasks
        )
    out = []
    for i in range(len(trials)):
        recall = np.concatenate([results[t][0] for t, (j, _) in enumerate(tasks) if j == i])
        reciprocal = np.concatenate([results[t][1] for t, (j, _) in enumerate(tasks) if j == i])
        summary = {
            "recall@10": round(float(recall.mean()), 4),
            "mrr": round(float(reciprocal.mean()), 4),
            "se": round(float(recall.std(ddof=1) / np.sqrt(len(recall))), 4)
            if len(recall) > 1
            else None,
            "members": len(recall),
        }
        out.append((summary, recall))
    return out


def _gain(recall: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """The mean of the per-member differences of recall against `reference`, and its standard
    error (the same members in the same order: the pairs are scored on the same splits)."""
    difference = recall - reference
    if len(difference) < 2:
        return float(difference.mean()) if len(difference) else 0.0, float("inf")
    return float(difference.mean()), float(difference.std(ddof=1) / np.sqrt(len(difference)))


def _better(a: dict, b: dict) -> bool:
    """Whether inner score `a` beats `b` (recall first, then mean reciprocal rank)."""
    return (a["recall@10"], a["mrr"]) > (b["recall@10"], b["mrr"])


def feature_evidence_se(groups: int, evidence_se: float = EVIDENCE_SE) -> float:
    """The gain, in standard errors, that leaving out one of `groups` feature groups needs: the
    one-standard-error rule's chance of a spurious gain, shared among the groups (Bonferroni),
    so that the chance of leaving out any of them by chance stays the rule's (1.62 for three)."""
    normal = NormalDist()
    return normal.inv_cdf(1 - normal.cdf(-evidence_se) / max(groups, 1))


def select_model(
    pairs: TrainingPairs,
    random_state: int = 0,
    candidates: Sequence[ModelCandidate] = MODEL_CANDIDATES,
    optional: Mapping[str, Sequence[str]] = OPTIONAL_FEATURES,
) -> tuple[ModelCandidate, tuple[str, ...], dict]:
    """Choose the model and the features by inner cross-validation (see the module docstring).

    Parameters
    ----------
    pairs : TrainingPairs
    random_state : int
    candidates : sequence of ModelCandidate
        Simplest first.
    optional : mapping of str to sequence of str
        Feature groups that may be left out.

    Returns
    -------
    (ModelCandidate, tuple of str, dict)
        The chosen candidate, the features it leaves out, and a JSON-ready record of the choice
        (``method``, ``folds``, ``pairs``, ``members``, ``metric``, ``candidates`` with their
        inner scores, ``features`` with the score without each optional group and
        ``feature_evidence_se`` the bar it had to clear, ``chosen``,
        ``dropped_features``, ``score``, ``seconds``; or, with ``reason``, the simplest
        logistic candidate among `candidates` when the pairs are too few to cross-validate:
        fewer than :data:`MIN_MEMBERS` members with a partner in some part, or a part whose
        others hold a single class).
    """
    started = time.perf_counter()
    rng = np.random.default_rng(random_state)
    groups, parts, y = (
        np.asarray(pairs.groups, dtype=np.int64),
        np.asarray(pairs.parts, dtype=np.int64),
        np.asarray(pairs.y),
    )
    keys = parts * (int(groups.max(initial=0)) + 1) + groups
    folds = np.unique(parts)
    members = [len(np.unique(keys[(parts == fold) & (y == 1)])) for fold in folds]
    record: dict[str, Any] = {
        "method": "inner cross-validation",
        "folds": len(folds),
        "pairs": len(y),
        "members": int(sum(members)),
        "metric": f"recall@{K} of each member's held-out partners, their rank among all "
        "profiles estimated from the sampled non-partners",
    }
    if (
        len(folds) < 2
        or min(members) < MIN_MEMBERS
        or any(len(np.unique(y[parts != fold])) < 2 for fold in folds)
    ):
        fallback = next((c for c in candidates if c.family == "logistic"), candidates[0])
        record.update(
            chosen=fallback.to_dict(),
            dropped_features=[],
            seconds=round(time.perf_counter() - started, 1),
            reason=f"too few links to cross-validate ({', '.join(map(str, members))} members with a "
            f"held-out partner in the {len(folds)} parts; at least {MIN_MEMBERS} in each needed): "
            "the simplest logistic model is used",
        )
        return fallback, (), record
    train_rows = {}
    for fold in folds.tolist():
        others = np.flatnonzero(parts != fold)
        train_rows[fold] = others[_training_rows(y[others], rng)]
    record["training_pairs_per_fold"] = int(max(len(rows) for rows in train_rows.values()))
    evaluated = _evaluate([(c, ()) for c in candidates], pairs, keys, train_rows, random_state)
    scores = [summary for summary, _ in evaluated]
    reference = next((i for i, c in enumerate(candidates) if c.name == REFERENCE), 0)
    # A candidate replaces the plain logistic model only with evidence: a mean gain in recall
    # over it larger than the gain's standard error (paired over the same members). Among
    # those, the best wins.
    best = reference
    for i, (summary, recall) in enumerate(evaluated):
        gain, se = _gain(recall, evaluated[reference][1])
        summary["gain_over_reference"], summary["gain_se"] = round(gain, 4), round(se, 4)
        if i != reference and gain > EVIDENCE_SE * se and _better(summary, scores[best]):
            best = i
    chosen, best_score = candidates[best], scores[best]
    record["reference"] = candidates[reference].name
    record["candidates"] = [{**c.to_dict(), **s} for c, s in zip(candidates, scores)]
    dropped: tuple[str, ...] = ()
    feature_trials = []
    current = evaluated[best][1]
    feature_bar = feature_evidence_se(len(optional))
    record["feature_evidence_se"] = round(feature_bar, 3)
    for name, features in optional.items():
        trial = dropped + tuple(features)
        score, recall = _evaluate([(chosen, trial)], pairs, keys, train_rows, random_state)[0]
        # The group's own gain: the score with it against the score without it.
        gain, se = _gain(current, recall)
        left_out = -gain > feature_bar * se
        feature_trials.append(
            {
                "group": name,
                "features": list(features),
                "score_without": score,
                "gain_of_keeping": round(gain, 4),
                "gain_se": round(se, 4),
                "left_out": left_out,
            }
        )
        if left_out:
            dropped, best_score, current = trial, score, recall
    record.update(
        features=feature_trials,
        chosen=chosen.to_dict(),
        dropped_features=list(dropped),
        score=best_score,
        seconds=round(time.perf_counter() - started, 1),
    )
    return chosen, dropped, record
