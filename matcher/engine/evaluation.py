"""Offline evaluation of the matcher and its baselines on held-out known links.

Protocol
--------
The positive links (partner, supplier, deal) are split into ``folds`` parts at random. For each
part, every method is fitted on all profiles and the links of the other parts (other kinds of
link, such as declined suggestions, are always given), and every source of a held-out link is a
query over all other profiles, minus the partners it has in training. The held-out targets of
that source are the right answers. Per query: ``recall@k`` (share of its right answers in the
top k), ``ndcg@k`` (binary gains), ``mrr`` (reciprocal rank of the first right answer in the
full ranking); averaged over queries, then over folds. ``coverage`` is the share of profiles that
appear in some top k of a fold, averaged over folds. With ``ks``, recall and ndcg are also read at
every cut-off of ``ks`` from the same ranked lists (``by_k``), averaged the same way.

Baselines
---------
``linear``: the matcher's own pipeline (candidates, pair features, known links) with its score
a plain logistic regression on every pair feature, no choice of model or features: the simple
learned model that the matcher must beat on the data at hand (when it does not, the result
says so in ``warnings``). ``random``: a random order. ``popularity``: most-linked profiles first. ``similarity``: nearest
neighbours of the whole profile (offer and need views together), as a naive build would do.
``rule``: number of the source's sought capabilities the candidate offers, plus one for the
same country.
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from ..errors import InputError
from ..profiles import POSITIVE_KINDS, Link, Profile, profiles_to_frame
from .features import OfferNeedEncoder
from .pairs import PairSpace, ProfileArrays
from .ranking import PartnerMatcher

logger = logging.getLogger(__name__)

__all__ = [
    "METHODS",
    "below_linear",
    "evaluate",
    "metrics_at",
    "ranking_metrics",
    "retrieval_recall",
]

METHODS = ("matcher", "linear", "random", "popularity", "similarity", "rule")


def metrics_at(ranked: np.ndarray, relevant: set[int], ks: np.ndarray) -> np.ndarray:
    """Return recall and ndcg of one ranked list at every cut-off of `ks`.

    Parameters
    ----------
    ranked : ndarray of shape (n_candidates,)
        Row indices, best first.
    relevant : set of int
        The right answers.
    ks : ndarray of shape (n_ks,)
        Positive cut-offs.

    Returns
    -------
    ndarray of shape (2, n_ks)
        Row 0 recall@k, row 1 ndcg@k (binary gains), as :func:`ranking_metrics` gives them.
    """
    head = ranked[: int(ks.max())]
    positions = np.flatnonzero(np.isin(head, list(relevant)))
    gains = 1 / np.log2(positions + 2)
    found = positions[None, :] < ks[:, None]
    recall = found.sum(axis=1) / len(relevant)
    ideal = np.array([(1 / np.log2(np.arange(2, min(k, len(relevant)) + 2))).sum() for k in ks])
    ndcg = np.divide((found * gains).sum(axis=1), ideal, out=np.zeros(len(ks)), where=ideal > 0)
    return np.vstack([recall, ndcg])


def ranking_metrics(ranked: np.ndarray, relevant: set[int], k: int) -> tuple[float, float, float]:
    """Return (recall@k, ndcg@k, reciprocal rank) of one ranked list of row indices."""
    hits = np.fromiter((row in relevant for row in ranked), dtype=bool, count=len(ranked))
    top = hits[:k]
    recall = top.sum() / len(relevant)
    gains = top / np.log2(np.arange(2, len(top) + 2))
    ideal = (1 / np.log2(np.arange(2, min(k, len(relevant)) + 2))).sum()
    ndcg = gains.sum() / ideal if ideal else 0.0
    first = np.flatnonzero(hits)
    mrr = 1.0 / (first[0] + 1) if len(first) else 0.0
    return float(recall), float(ndcg), float(mrr)


class _Ranker(ABC):
    """A fitted method: ``order(row, candidates)`` returns candidates best first."""

    @abstractmethod
    def order(self, row: int, candidates: np.ndarray) -> np.ndarray:
        """Return `candidates` (row indices) ordered best first for the query `row`."""


class _RandomRanker(_Ranker):
    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)

    def order(self, row, candidates):
        return self.rng.permutation(candidates)


class _ScoreRanker(_Ranker):
    def __init__(self, score: Callable[[int, np.ndarray], np.ndarray], seed: int):
        self.score = score
        self.rng = np.random.default_rng(seed)

    def order(self, row, candidates):
        return self.ordered(candidates, self.score(row, candidates))

    def ordered(self, candidates, scores):
        """`candidates` best first by `scores`; ties broken at random: a baseline must not win
        by the order of the file."""
        return candidates[np.lexsort((self.rng.random(len(candidates)), -scores))]


class _ScorerRanker(_ScoreRanker):
    """A caller's scorer (``evaluate(..., scorers=...)``), its answers checked."""

    def __init__(self, name: str, score: Callable[[int, np.ndarray], np.ndarray], seed: int):
        super().__init__(score, seed)
        self.name = name

    def order(self, row, candidates):
        scores = np.asarray(self.score(row, candidates), dtype=np.float64)
        if scores.shape != candidates.shape or not np.isfinite(scores[~np.isneginf(scores)]).all():
            raise InputError(
                f"scorer {self.name!r} gave {scores.shape} scores for {len(candidates)} candidates "
                f"of row {row}: expected one finite number (or -inf) per candidate"
            )
        return self.ordered(candidates, scores)


class _MatcherRanker(_Ranker):
    def __init__(self, matcher: PartnerMatcher):
        self.matcher = matcher
        self.ids = matcher.frame_["member_id"].to_numpy()

    def order(self, row, candidates):
        rows, _ = self.matcher.rank(self.ids[row], exhaustive=True)
        keep = np.zeros(len(self.ids), dtype=bool)
        keep[candidates] = True
        return rows[keep[rows]]


def _baseline_views(frame: pd.DataFrame) -> tuple[sp.csr_matrix, ProfileArrays]:
    """What the similarity and rule baselines read of the profiles (the same in every fold): the
    whole profile's normalised offer and need views, and the profiles' arrays."""
    offers, needs = OfferNeedEncoder().fit(frame).transform_views(frame)
    return normalize(sp.hstack([offers, needs], format="csr")), PairSpace(frame).arrays(frame)


def _fit_baselines(
    views: tuple[sp.csr_matrix, ProfileArrays], train_pairs: np.ndarray, seed: int
) -> dict[str, _Ranker]:
    whole, arrays = views
    n = whole.shape[0]
    degree = (
        np.bincount(train_pairs[:, 1], minlength=n) + np.bincount(train_pairs[:, 0], minlength=n)
        if len(train_pairs)
        else np.zeros(n)
    )
    country = arrays.country

    def similarity(row, candidates):
        return (whole @ whole[row].T).toarray().ravel()[candidates]

    def rule(row, candidates):
        overlap = arrays.cap_offer[candidates].astype(np.float64) @ arrays.cap_need[row]
        return overlap + (country[candidates] == country[row])

    return {
        "random": _RandomRanker(seed),
        "popularity": _ScoreRanker(lambda row, candidates: degree[candidates].astype(float), seed),
        "similarity": _ScoreRanker(similarity, seed),
        "rule": _ScoreRanker(rule, seed),
    }


def evaluate(
    profiles: Sequence[Profile] | pd.DataFrame,
    links: Iterable[Link],
    k: int = 10,
    folds: int = 5,
    seed: int = 0,
    methods: Sequence[str] = METHODS,
    matcher_params: dict | None = None,
    progress: Callable[[str], None] | None = None,
    ks: Iterable[int] | None = None,
    max_queries: int | None = None,
    per_query: bool = False,
    scorers: Mapping[str, Callable[[int, np.ndarray], np.ndarray]] | None = None,
) -> dict:
    """Evaluate the matcher and baselines by cross-validation over known positive links.

    Parameters
    ----------
    profiles : sequence of Profile or validated DataFrame
    links : iterable of Link
    k : int
        Cut-off of recall@k and ndcg@k.
    folds : int
        Number of parts the positive links are split into (at least 2).
    seed : int
        Seed of the split, of negative sampling and of the random baseline.
    methods : sequence of str
        Names among :data:`METHODS`.
    matcher_params : dict, optional
        Parameters of :class:`PartnerMatcher`.
    progress : callable, optional
        Called with a line of text after each fold.
    ks : iterable of int, optional
        Cut-offs at which recall and ndcg are also read, from the same ranked lists (for
        curves of recall@k against k).
    max_queries : int, optional
        At most this many queries per fold, chosen at random (seeded with ``seed + fold``);
        all by default.
    per_query : bool
        Also return every query's figures (``"per_query"``: a list of ``{"fold", "method",
        "member_id", "known_partners", "held_out", "recall@k", "ndcg@k", "rr"}``), for analyses by
        segment of members; ``known_partners`` counts the query's partners in training.
    scorers : mapping of str to callable, optional
        More methods to compare, each a function ``score(row, candidates)`` returning a score
        per candidate row (higher first, ties broken at random), given the profiles' rows in
        the validated frame's order; for instance a generator's own latent preferences (an
        oracle). Their rows follow the built-in methods'.

    Returns
    -------
    dict
        ``{"k", "folds", "seed", "queries", "profiles", "links", "seconds",
        "methods": {name: {"recall@k", "ndcg@k", "mrr", "coverage"}}}``. With `ks`, also
        ``"by_k": {name: {"k": [...], "recall": [...], "ndcg": [...]}}`` (the cut-offs sorted,
        the figures in their order); with the matcher, ``"matcher_models"``: the model it chose
        in each fold and the features it left out; with `max_queries`, also ``"max_queries"``.
    """
    if not (isinstance(k, int) and k > 0):
        raise InputError(f"Got k={k!r}, expected a positive integer")
    cutoffs = None
    if ks is not None:
        given = list(ks)
        if not given or not all(
            isinstance(c, (int, np.integer)) and not isinstance(c, bool) and c > 0 for c in given
        ):
            raise InputError(
                f"Got ks={given!r}, expected a non-empty sequence of positive integers"
            )
        cutoffs = np.array(sorted({int(c) for c in given}))
    if max_queries is not None and not (isinstance(max_queries, int) and max_queries > 0):
        raise InputError(f"Got max_queries={max_queries!r}, expected a positive integer or None")
    if not (isinstance(folds, int) and folds >= 2):
        raise InputError(f"Got folds={folds!r}, expected an integer >= 2")
    unknown = set(methods) - set(METHODS)
    if unknown:
        raise InputError(f"Unknown methods {sorted(unknown)}; allowed: {', '.join(METHODS)}")
    scorers = dict(scorers or {})
    clashes = set(scorers) & set(METHODS)
    if clashes:
        raise InputError(
            f"scorers {sorted(clashes)} have the names of built-in methods; name them otherwise"
        )
    started = time.perf_counter()
    frame = profiles_to_frame(profiles)
    position = {member_id: i for i, member_id in enumerate(frame["member_id"])}
    links = list(links)
    positives = sorted({(l.source, l.target) for l in links if l.kind in POSITIVE_KINDS})
    others = [l for l in links if l.kind not in POSITIVE_KINDS]
    if len(positives) < folds:
        raise InputError(
            f"Got {len(positives)} positive links (kinds "
            f"{', '.join(sorted(POSITIVE_KINDS))}), need at least folds={folds}: "
            "give more links or fewer folds"
        )
    rng = np.random.default_rng(seed)
    assignment = rng.permutation(np.arange(len(positives)) % folds)
    pairs = np.array([(position[s], position[t]) for s, t in positives], dtype=np.int64)
    n = len(frame)
    per_fold: dict[str, list[dict[str, float]]] = defaultdict(list)
    curves: dict[str, list[np.ndarray]] = defaultdict(list)
    total_queries = 0
    queries_out: list[dict] = []
    fold_models: list[dict] = []
    first_fit: PartnerMatcher | None = None
    views = None
    ids = frame["member_id"].tolist()
    for fold in range(folds):
        train_idx = np.flatnonzero(assignment != fold)
        test_idx = np.flatnonzero(assignment == fold)
        train_links = [
            Link(positives[i][0], positives[i][1], "partner") for i in train_idx
        ] + others
        train_pairs = pairs[train_idx]
        rankers: dict[str, _Ranker] = {}
        params = {"random_state": seed, **(matcher_params or {})}
        if "matcher" in methods or "linear" in methods:
            # The profiles are encoded once, in the first fold; every fold learns its own links
            # on that encoding (what a fresh fit on the fold's links gives).
            if first_fit is None:
                model = params if "matcher" in methods else {**params, "model": "default"}
                fitted = first_fit = PartnerMatcher(**model).fit(frame, train_links)
            else:
                fitted = first_fit.with_links(train_links)
        if "matcher" in methods:
            rankers["matcher"] = _MatcherRanker(fitted)
            candidate = getattr(fitted, "candidate_", None)
            fold_models.append(
                {
                    "fold": fold,
                    "model": candidate.name if candidate else fitted.model_kind_,
                    "dropped_features": list(fitted.dropped_features_),
                }
            )
        if "linear" in methods:
            # The matcher's own fit with a plain logistic score.
            try:
                linear = fitted.refit_score("logistic")
            except InputError:
                # Too few pairs to learn from: the default weights, as "auto" would score.
                linear = fitted.refit_score("default")
            rankers["linear"] = _MatcherRanker(linear)
        if set(methods) & {"random", "popularity", "similarity", "rule"}:
            if views is None:
                views = _baseline_views(frame)
            rankers.update(
                {
                    name: r
                    for name, r in _fit_baselines(views, train_pairs, seed + fold).items()
                    if name in methods
                }
            )
        rankers.update(
            {name: _ScorerRanker(name, score, seed + fold) for name, score in scorers.items()}
        )
        known = defaultdict(set)
        for s, t in train_pairs:
            known[s].add(t)
            known[t].add(s)
        relevant = defaultdict(set)
        for s, t in pairs[test_idx]:
            relevant[s].add(t)
        queries = sorted(relevant)
        if max_queries is not None and len(queries) > max_queries:
            chosen = np.random.default_rng(seed + fold).choice(
                len(queries), max_queries, replace=False
            )
            queries = [queries[i] for i in np.sort(chosen)]
        total_queries += len(queries)
        for name, ranker in rankers.items():
            sums = np.zeros(3)
            curve = np.zeros((2, len(cutoffs))) if cutoffs is not None else None
            shown = np.zeros(n, dtype=bool)
            for row in queries:
                mask = np.ones(n, dtype=bool)
                mask[row] = False
                mask[list(known[row])] = False
                candidates = np.flatnonzero(mask)
                ranked = ranker.order(row, candidates)
                figures = ranking_metrics(ranked, relevant[row], k)
                sums += figures
                if per_query:
                    queries_out.append(
                        {
                            "fold": fold,
                            "method": name,
                            "member_id": ids[row],
                            "known_partners": len(known[row]),
                            "held_out": len(relevant[row]),
                            f"recall@{k}": figures[0],
                            f"ndcg@{k}": figures[1],
                            "rr": figures[2],
                        }
                    )
                if curve is not None:
                    curve += metrics_at(ranked, relevant[row], cutoffs)
                shown[ranked[:k]] = True
            if curve is not None:
                curves[name].append(curve / len(queries))
            per_fold[name].append(
                {
                    f"recall@{k}": sums[0] / len(queries),
                    f"ndcg@{k}": sums[1] / len(queries),
                    "mrr": sums[2] / len(queries),
                    "coverage": shown.mean(),
                }
            )
        if progress:
            progress(
                f"fold {fold + 1}/{folds}: {len(queries)} queries, "
                + ", ".join(
                    f"{name} recall@{k}={per_fold[name][-1][f'recall@{k}']:.3f}" for name in rankers
                )
            )
    result_methods = {
        name: {
            metric: round(float(np.mean([f[metric] for f in folds_])), 4) for metric in folds_[0]
        }
        for name, folds_ in per_fold.items()
    }
    ordered = {
        name: result_methods[name] for name in (*METHODS, *scorers) if name in result_methods
    }
    result = {
        "k": k,
        "folds": folds,
        "seed": seed,
        "queries": total_queries,
        "profiles": n,
        "links": len(positives),
        "seconds": round(time.perf_counter() - started, 1),
        "methods": ordered,
    }
    if max_queries is not None:
        result["max_queries"] = max_queries
    if fold_models:
        result["matcher_models"] = fold_models
    if per_query:
        result["per_query"] = queries_out
    warnings = below_linear(ordered, k)
    if warnings:
        result["warnings"] = warnings
    if cutoffs is not None:
        result["by_k"] = {}
        for name in ordered:
            mean = np.mean(curves[name], axis=0).round(4)
            result["by_k"][name] = {
                "k": cutoffs.tolist(),
                "recall": mean[0].tolist(),
                "ndcg": mean[1].tolist(),
            }
    return result


def below_linear(methods: dict[str, dict[str, float]], k: int) -> list[str]:
    """Sentences saying where the matcher's figures fall below the ``linear`` baseline's."""
    matcher, linear = methods.get("matcher"), methods.get("linear")
    if not matcher or not linear:
        return []
    return [
        f"the matcher's {metric} ({matcher[metric]:.3f}) is below the linear baseline's "
        f"({linear[metric]:.3f}) on these data"
        for metric in (f"recall@{k}", f"ndcg@{k}")
        if matcher[metric] < linear[metric]
    ]


def retrieval_recall(
    matcher: PartnerMatcher,
    member_ids: Sequence[str] | None = None,
    k: int = 10,
    n_candidates: int | None = None,
    max_queries: int = 500,
    seed: int = 0,
) -> dict:
    """Measure the candidate stage against re-ranking every profile.

    For each query member, the top `k` of the exhaustive ranking (every profile re-ranked) is
    compared with the top `k` re-ranked from the retrieval candidates only.

    Returns
    -------
    dict
        ``{"k", "n_candidates", "first_stage_rows", "queries", "recall@k", "mean_candidates",
        "profiles"}``: the share of the exhaustive top `k` that the candidate stage keeps, and
        how many candidates it re-ranks.
    """
    from sklearn.base import clone

    ids = list(member_ids) if member_ids is not None else list(matcher.frame_["member_id"])
    rng = np.random.default_rng(seed)
    if len(ids) > max_queries:
        ids = [ids[i] for i in np.sort(rng.choice(len(ids), max_queries, replace=False))]
    retrieval = clone(matcher)
    retrieval.__dict__.update(matcher.__dict__)
    from .retrieval import ComplementIndex

    size = n_candidates or matcher.n_candidates
    retrieval.exhaustive_below = 0
    retrieval.n_candidates = size
    if matcher.index_ is None:
        retrieval.index_ = ComplementIndex(random_state=matcher.random_state).fit(
            matcher.offers_, matcher.needs_, matcher.embedding_
        )
    kept, sizes = [], []
    for member_id in ids:
        full, _ = matcher.rank(member_id, exhaustive=True)
        short, _ = retrieval.rank(member_id)
        top = set(full[:k].tolist())
        if top:
            kept.append(len(top & set(short[:k].tolist())) / len(top))
            sizes.append(len(short))
    return {
        "k": k,
        "n_candidates": size,
        "first_stage_rows": getattr(retrieval, "first_stage_rows_", matcher.FIRST_STAGE_ROWS),
        "queries": len(kept),
        "recall@k": round(float(np.mean(kept)), 4) if kept else None,
        "mean_candidates": round(float(np.mean(sizes)), 1) if sizes else None,
        "profiles": len(matcher.frame_),
    }
