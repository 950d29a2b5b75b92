"""The complementary partner model: candidate retrieval, reciprocal re-ranking, filters, reasons.

:class:`PartnerMatcher` answers "whom should this member partner with, and why?":

1. **Candidates.** On small data every profile is a candidate. On large data the union of
   exact nearest-neighbour searches: the member's need view against everyone's offer view,
   its offer view against everyone's need view (who needs what it offers), its whole profile
   against every profile, and each of its known partners against every profile (more like the
   partners it has).
2. **Re-ranking** by the pair features of :mod:`matcher.pairs` (reciprocal coverage of needs,
   products, markets, certifications, capacity, languages, geography, competitor penalty, and
   what known links teach). With enough known links a gradient-boosted model learns the score
   from them; without links, documented default weights give the score (see
   :data:`DEFAULT_WEIGHTS`). Either way the score is a probability in 0..1, calibrated on known
   links when there are some.
3. **Filters**: scope (own network, other networks, all), country, org_type, partnership type,
   certification; never the member itself, a known partner, or one it declined.
4. **Reasons** for every suggestion (:mod:`matcher.reasons`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler, normalize
from sklearn.utils.validation import check_is_fitted

from .features import OfferNeedEncoder
from .index import CandidateIndex
from .pairs import PAIR_FEATURES, LinkStats, PairSpace, ProfileArrays, pair_features
from .profiles import (
    POSITIVE_KINDS,
    Link,
    Profile,
    frame_to_profiles,
    profiles_to_frame,
)
from .reasons import explain

logger = logging.getLogger(__name__)

__all__ = ["PartnerMatcher", "Suggestion", "DEFAULT_WEIGHTS", "SCOPES"]

SCOPES = ("all", "cluster", "international")

#: Weights of the default score used when there are too few known links to learn from:
#: ``score = 1 / (1 + exp(-(bias + sum(weight * feature))))``. Reciprocity dominates; a
#: competitor is pushed down; geography, languages, quality and capacity break ties.
DEFAULT_WEIGHTS: dict[str, float] = {
    "bias": -3.2,
    "reciprocity": 3.0,
    "cover_ab": 1.0,
    "text_ab": 1.2,
    "text_ba": 0.4,
    "view_ab": 0.6,
    "view_ba": 0.3,
    "product_overlap": 0.8,
    "market_open_ab": 0.8,
    "market_open_ba": 0.3,
    "same_country": 0.4,
    "same_continent": 0.2,
    "same_city": 0.2,
    "same_network": 0.1,
    "shared_language": 0.3,
    "certifications_b": 0.3,
    "capacity_fit": 0.5,
    "competitor": -3.0,
    "partner_similarity": 0.8,
    "partner_country_share": 0.3,
    "potential_b": 0.2,
}
# Features a learned model may only use in one direction (+1 up, -1 down): keeps the learned
# score sensible on data unlike its training links.
_MONOTONIC = {"cover_ab": 1, "reciprocity": 1, "text_ab": 1, "competitor": -1, "capacity_fit": 1,
              "market_open_ab": 1}


@dataclass(frozen=True)
class Suggestion:
    """One suggested partner with its calibrated score and the reasons for it."""

    partner_id: str
    name: str
    network: str
    country: str
    score: float
    reasons: list[str]
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape of ``matcher recommend --format json``."""
        return {"partner_id": self.partner_id, "name": self.name, "network": self.network,
                "country": self.country, "score": round(self.score, 4), "reasons": self.reasons,
                "details": self.details}


class _DefaultScorer:
    """The documented default score: a fixed logistic function of the pair features."""

    def __init__(self, weights: Mapping[str, float]):
        self.weights = dict(weights)
        self.coef_ = np.array([self.weights.get(name, 0.0) for name in PAIR_FEATURES])
        self.bias_ = self.weights.get("bias", 0.0)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        z = self.bias_ + np.asarray(X, dtype=np.float64) @ self.coef_
        p = 1.0 / (1.0 + np.exp(-z))
        return np.column_stack([1 - p, p])


class PartnerMatcher(BaseEstimator):
    """Complementary, reciprocal partner recommender with reasons.

    Parameters
    ----------
    model : {"auto", "gbt", "logistic", "default"}, default="auto"
        How the re-ranking score is obtained: gradient-boosted trees or a logistic regression
        learned from known links, or the documented :data:`DEFAULT_WEIGHTS`. ``auto`` learns
        with trees from 50 positive links, with a logistic regression from 10, else uses the
        defaults.
    n_candidates : int, default=300
        Neighbours taken from each retrieval search on large data.
    exhaustive_below : int, default=5000
        With at most this many profiles, every profile is a candidate (no retrieval stage).
    negatives_per_source : int, default=500
        Non-partners sampled for every member with known links when learning the score: half
        the best-looking ones by the view scores (hard), half at random. Learning improves
        as the sample approaches the whole candidate list that ranking will face.
    max_training_pairs : int, default=200000
        Bound on the pairs learned from: beyond it, members with links are subsampled.
    inner_folds : int, default=3
        Learning splits the known links into this many parts; the features of one part's
        pairs are computed from the other parts' links, as they will be for new pairs.
    random_state : int, default=0
    language : {"en", "uk"}, default="en"
        Language of the reasons.

    Attributes
    ----------
    frame_ : DataFrame
        The validated profiles the model was fitted on, indexed by member_id.
    encoder_ : OfferNeedEncoder
    space_ : PairSpace
    arrays_ : ProfileArrays
    offers_, needs_ : ndarray of shape (n_profiles, n_view_features)
        Dense, L2-normalised offer and need views (tag blocks and the dense text block).
    stats_ : LinkStats
    scorer_ : fitted classifier with ``predict_proba``
    model_kind_ : str
        The model actually used ("gbt", "logistic" or "default").
    """

    def __init__(self, model: str = "auto", n_candidates: int = 300, exhaustive_below: int = 5000,
                 negatives_per_source: int = 500, max_training_pairs: int = 200_000,
                 inner_folds: int = 3, random_state: int = 0, language: str = "en"):
        self.model = model
        self.n_candidates = n_candidates
        self.exhaustive_below = exhaustive_below
        self.negatives_per_source = negatives_per_source
        self.max_training_pairs = max_training_pairs
        self.inner_folds = inner_folds
        self.random_state = random_state
        self.language = language

    # ------------------------------------------------------------------------------------
    # Fitting
    # ------------------------------------------------------------------------------------
    def fit(self, profiles: Sequence[Profile] | pd.DataFrame,
            links: Iterable[Link] | None = None) -> "PartnerMatcher":
        """Fit on validated profiles and, optionally, known links.

        Parameters
        ----------
        profiles : sequence of Profile or validated DataFrame
        links : iterable of Link, optional
            Positive links (partner, supplier, deal) teach the score; declined links are
            remembered and never suggested again. Links to unknown ids are an error.
        """
        if self.model not in ("auto", "gbt", "logistic", "default"):
            raise ValueError(f"Got model={self.model!r}, expected 'auto', 'gbt', 'logistic' or 'default'")
        for name in ("n_candidates", "exhaustive_below", "negatives_per_source", "max_training_pairs",
                     "inner_folds"):
            value = getattr(self, name)
            if not (isinstance(value, (int, np.integer)) and value >= (2 if name == "inner_folds" else 1)):
                raise ValueError(f"Got {name}={value!r}, expected a positive integer")
        frame = profiles_to_frame(profiles)
        self.frame_ = frame
        self.position_ = {member_id: i for i, member_id in enumerate(frame["member_id"])}
        links = list(links or [])
        unknown = sorted({x for link in links for x in (link.source, link.target)} - set(self.position_))
        if unknown:
            raise ValueError(f"links name ids that are not among the profiles: {', '.join(unknown[:10])}")

        self.encoder_ = OfferNeedEncoder(text=False).fit(frame)
        self.space_ = PairSpace(frame)
        self.arrays_ = self.space_.arrays(frame)
        tag_offers, tag_needs = self.encoder_.transform_views(frame)
        self.offers_, self.needs_ = self._views(tag_offers, tag_needs, self.arrays_)
        self.profile_vectors_ = self._profile_vectors(tag_offers, tag_needs, self.arrays_)
        self.n_types_ = len(self.space_.org_types)

        positive = [(self.position_[l.source], self.position_[l.target]) for l in links if l.kind in POSITIVE_KINDS]
        self.positive_pairs_ = np.array(sorted(set(positive)), dtype=np.int64).reshape(-1, 2)
        self.declined_ = {}
        for link in links:
            if link.kind == "declined":
                self.declined_.setdefault(self.position_[link.source], set()).add(self.position_[link.target])
        self.stats_ = LinkStats(self.positive_pairs_, self.arrays_, self.profile_vectors_, self.n_types_)

        n = len(frame)
        if n > self.exhaustive_below:
            self.offer_index_ = CandidateIndex(self.n_candidates).fit(self.offers_)
            self.need_index_ = CandidateIndex(self.n_candidates).fit(self.needs_)
            self.profile_index_ = CandidateIndex(self.n_candidates).fit(self.profile_vectors_)
        else:
            self.offer_index_ = self.need_index_ = self.profile_index_ = None

        n_pos = len(self.positive_pairs_)
        kind = self.model
        if kind == "auto":
            kind = "gbt" if n_pos >= 50 else "logistic" if n_pos >= 10 else "default"
        elif kind != "default" and n_pos < 2:
            raise ValueError(f"model={self.model!r} needs known positive links to learn from; got {n_pos}")
        self.model_kind_ = kind
        if kind == "default":
            self.scorer_ = _DefaultScorer(DEFAULT_WEIGHTS)
        else:
            X, y = self._training_pairs()
            self.scorer_ = self._learner(kind).fit(X, y)
            self.training_pairs_ = (int(y.sum()), int(len(y) - y.sum()))
        self.n_profiles_ = n
        return self

    def _views(self, tag_offers: sp.csr_matrix, tag_needs: sp.csr_matrix,
               arrays: ProfileArrays) -> tuple[np.ndarray, np.ndarray]:
        """Dense, L2-normalised offer and need views: the tag blocks plus the dense text block."""
        weight = OfferNeedEncoder.DEFAULT_BLOCK_WEIGHTS["text"]
        offers = np.hstack([tag_offers.toarray().astype(np.float32), weight * arrays.text_offer])
        needs = np.hstack([tag_needs.toarray().astype(np.float32), weight * arrays.text_need])
        return normalize(offers), normalize(needs)

    def _profile_vectors(self, offers: sp.csr_matrix, needs: sp.csr_matrix,
                         arrays: ProfileArrays) -> sp.csr_matrix:
        """Whole-profile vectors: both views plus role, city and country one-hots."""
        n = len(arrays)

        def one_hot(codes: np.ndarray, size: int, weight: float) -> sp.csr_matrix:
            valid = codes >= 0
            return sp.csr_matrix((np.full(valid.sum(), weight), (np.flatnonzero(valid), codes[valid])),
                                 shape=(n, max(size, 1)))

        space = self.space_
        return normalize(sp.hstack([offers, needs, one_hot(arrays.org_type, len(space.org_types), 0.7),
                                    one_hot(arrays.city, len(space.cities), 0.7),
                                    one_hot(arrays.country, len(space.countries), 0.5)],
                                   format="csr"))

    def _learner(self, kind: str):
        if kind == "logistic":
            base = make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=2000))
            return CalibratedClassifierCV(base, method="sigmoid", cv=3)
        monotonic = [_MONOTONIC.get(name, 0) for name in PAIR_FEATURES]
        base = HistGradientBoostingClassifier(
            learning_rate=0.06, max_iter=250, max_leaf_nodes=15, min_samples_leaf=25,
            l2_regularization=1.0, monotonic_cst=monotonic, random_state=self.random_state)
        # One model fitted on all pairs, calibrated by a sigmoid fitted on out-of-fold
        # predictions: a monotone map, so the calibrated score keeps the model's order (an
        # isotonic map would tie many candidates).
        return CalibratedClassifierCV(base, method="sigmoid", cv=3)

    def _training_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Pairs to learn from: each part's links against sampled non-partners, featured with
        the links of the other parts."""
        rng = np.random.default_rng(self.random_state)
        pairs = self.positive_pairs_
        n = len(self.arrays_)
        folds = rng.integers(0, self.inner_folds, size=len(pairs))
        all_partners = {}
        for a, b in pairs:
            all_partners.setdefault(a, set()).add(b)
            all_partners.setdefault(b, set()).add(a)
        blocks_X, blocks_y = [], []
        for fold in range(self.inner_folds):
            held = pairs[folds == fold]
            if not len(held):
                continue
            stats = LinkStats(pairs[folds != fold], self.arrays_, self.profile_vectors_, self.n_types_)
            by_source: dict[int, list[int]] = {}
            for a, b in held:
                by_source.setdefault(int(a), []).append(int(b))
            sources = list(by_source)
            budget = self.max_training_pairs // self.inner_folds
            n_neg = min(self.negatives_per_source, n - 1)
            if len(sources) * (n_neg + 1) > budget:
                keep = max(1, budget // (n_neg + 1))
                sources = [sources[i] for i in np.sort(rng.choice(len(sources), keep, replace=False))]
            for a in sources:
                targets = by_source[a]
                exclude = all_partners.get(a, set()) | {a}
                # Hard negatives: the best-looking non-partners by the view scores; easy ones at random.
                view = self._view_scores(a, self.arrays_, None)
                proxy = -(view[0] + 0.5 * view[1])
                top = min(n - 1, n_neg // 2 + len(exclude))
                order = np.argpartition(proxy, top)[: top + 1]
                order = order[np.argsort(proxy[order], kind="stable")]
                hard = [j for j in order if j not in exclude][: n_neg // 2]
                taken = exclude | set(hard)
                pool = rng.choice(n, size=min(n, 2 * n_neg + len(exclude)), replace=False)
                easy = [j for j in pool if j not in taken][: n_neg - len(hard)]
                J = np.array(list(targets) + hard + easy, dtype=np.int64)
                X = self._features_for(a, J, stats, self.arrays_, self.profile_vectors_[a])
                blocks_X.append(X)
                blocks_y.append(np.r_[np.ones(len(targets)), np.zeros(len(J) - len(targets))])
        return np.vstack(blocks_X), np.concatenate(blocks_y).astype(int)

    def _view_scores(self, a: int, query: ProfileArrays, J: np.ndarray | None,
                     query_views: tuple[sp.csr_matrix, sp.csr_matrix] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Cosine of the query's need view with the offer views of rows `J` (all rows when
        None), and of its offer view with their need views."""
        offer_a, need_a = query_views if query_views is not None else (self.offers_[a], self.needs_[a])
        offers = self.offers_ if J is None else self.offers_[J]
        needs = self.needs_ if J is None else self.needs_[J]
        return offers @ need_a, needs @ offer_a

    def _features_for(self, a: int, J: np.ndarray, stats: LinkStats | None, query: ProfileArrays,
                      query_vector: sp.csr_matrix, query_views=None) -> np.ndarray:
        view_ab, view_ba = self._view_scores(a, query, J, query_views)
        partners = stats.partners(a) if (stats is not None and query is self.arrays_) else np.array([], int)
        return pair_features(query, a, self.arrays_, J, stats, query_vector, partners,
                             view_ab, view_ba, self.space_.capability_idf)

    # ------------------------------------------------------------------------------------
    # Querying
    # ------------------------------------------------------------------------------------
    def _query(self, member: str | Profile) -> tuple[int, ProfileArrays, Profile, Any, sp.csr_matrix]:
        """Return (row, arrays, profile, views, whole-profile vector) of a member id or a Profile."""
        check_is_fitted(self, "scorer_")
        if isinstance(member, Profile) and member.member_id not in self.position_:
            frame = profiles_to_frame([member])
            arrays = self.space_.arrays(frame)
            tag_offers, tag_needs = self.encoder_.transform_views(frame)
            offers, needs = self._views(tag_offers, tag_needs, arrays)
            vector = self._profile_vectors(tag_offers, tag_needs, arrays)
            return 0, arrays, member, (offers[0], needs[0]), vector
        member_id = member.member_id if isinstance(member, Profile) else str(member)
        if member_id not in self.position_:
            raise KeyError(f"Member {member_id!r} doesn't exist in the fitted profiles.")
        a = self.position_[member_id]
        profile = self.profile(member_id)
        return a, self.arrays_, profile, None, self.profile_vectors_[a]

    def profile(self, member_id: str) -> Profile:
        """Return the fitted :class:`Profile` of `member_id`."""
        check_is_fitted(self, "frame_")
        if member_id not in self.position_:
            raise KeyError(f"Member {member_id!r} doesn't exist in the fitted profiles.")
        return frame_to_profiles(self.frame_.iloc[[self.position_[member_id]]])[0]

    def known_partners(self, member_id: str) -> list[str]:
        """Return the ids of the known (positive-link) partners of `member_id`."""
        a = self.position_[member_id]
        return [self.frame_["member_id"].iat[j] for j in self.stats_.partners(a)]

    def _allowed(self, profile: Profile, scope: str, filters: Mapping[str, Any] | None) -> np.ndarray:
        """Boolean mask of the fitted profiles that pass `scope` and `filters`."""
        if scope not in SCOPES:
            raise ValueError(f"Got scope={scope!r}, expected one of {', '.join(SCOPES)}")
        frame = self.frame_
        mask = np.ones(len(frame), dtype=bool)
        if scope == "cluster":
            mask &= (frame["network"] == profile.network).to_numpy()
        elif scope == "international":
            mask &= (frame["network"] != profile.network).to_numpy()
        filters = {k: v for k, v in dict(filters or {}).items() if v not in (None, "", [], ())}
        allowed_keys = {"country", "org_type", "partnership_type", "certification", "network"}
        unknown = set(filters) - allowed_keys
        if unknown:
            raise ValueError(f"Unknown filters {sorted(unknown)}; allowed: {sorted(allowed_keys)}")
        for key, value in filters.items():
            values = {value} if isinstance(value, str) else set(value)
            if key == "country":
                values = {v.upper() for v in values}
                mask &= frame["country"].isin(values).to_numpy()
            elif key in ("org_type", "network"):
                mask &= frame[key].isin(values).to_numpy()
            elif key == "partnership_type":
                mask &= np.array([bool(values & set(t)) for t in frame["partnership_types"]])
            elif key == "certification":
                mask &= np.array([bool(values & set(c)) for c in frame["certifications"]])
        return mask

    def _candidates(self, a: int, query: ProfileArrays, views, vector, partners: np.ndarray,
                    mask: np.ndarray) -> np.ndarray:
        """Rows worth re-ranking: all allowed ones on small data, else the retrieval union."""
        allowed = np.flatnonzero(mask)
        if self.offer_index_ is None or len(allowed) <= self.exhaustive_below:
            return allowed
        offer_a, need_a = views if views is not None else (self.offers_[a], self.needs_[a])
        found = [self.offer_index_.query(need_a)[1].ravel(), self.need_index_.query(offer_a)[1].ravel(),
                 self.profile_index_.query(vector)[1].ravel()]
        if len(partners):
            # Profiles like each known partner (up to ten partners share the budget).
            chosen = partners[:10]
            per_partner = max(10, self.n_candidates // len(chosen))
            found.append(self.profile_index_.query(self.profile_vectors_[chosen], per_partner)[1].ravel())
        rows = np.unique(np.concatenate(found))
        return rows[mask[rows]]

    def rank(self, member: str | Profile, scope: str = "all", filters: Mapping[str, Any] | None = None,
             exclude: Iterable[str] = (), exhaustive: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Score every candidate of `member`, best first.

        Returns
        -------
        rows : ndarray of shape (n_candidates,)
            Rows of the fitted profiles (see ``frame_``).
        scores : ndarray of shape (n_candidates,)
            Calibrated scores in 0..1.
        """
        a, query, profile, views, vector = self._query(member)
        mask = self._allowed(profile, scope, filters)
        fitted_member = query is self.arrays_
        partners = self.stats_.partners(a) if fitted_member else np.array([], dtype=np.int64)
        if fitted_member:
            mask[a] = False
            mask[partners] = False
            mask[list(self.declined_.get(a, ()))] = False
        for member_id in exclude:
            row = self.position_.get(member_id)
            if row is not None:
                mask[row] = False
        if exhaustive:
            J = np.flatnonzero(mask)
        else:
            J = self._candidates(a, query, views, vector, partners, mask)
        if not len(J):
            return J, np.zeros(0)
        X = self._features_for(a, J, self.stats_, query, vector, views)
        scores = self.scorer_.predict_proba(X)[:, 1]
        # Ties (common for coarse calibrated scores) are broken by the reciprocal view score.
        order = np.lexsort((-X[:, PAIR_FEATURES.index("view_ab")], -scores))
        return J[order], scores[order]

    def recommend(self, member: str | Profile, k: int = 10, scope: str = "all",
                  filters: Mapping[str, Any] | None = None, exclude: Iterable[str] = (),
                  language: str | None = None) -> list[Suggestion]:
        """Return the `k` best partners of `member`, with reasons.

        Parameters
        ----------
        member : str or Profile
            A fitted member's id, or a profile that is not stored (a prospective member).
        k : int
        scope : {"all", "cluster", "international"}
            ``cluster``: the member's own network; ``international``: other networks.
        filters : dict, optional
            ``country``, ``org_type``, ``partnership_type``, ``certification``, ``network``:
            a value or a list of accepted values.
        exclude : iterable of str
            Further ids never to suggest.
        language : {"en", "uk"}, optional
            Language of the reasons; defaults to ``self.language``.
        """
        if not (isinstance(k, (int, np.integer)) and k > 0):
            raise ValueError(f"Got k={k!r}, expected a positive integer")
        rows, scores = self.rank(member, scope, filters, exclude)
        rows, scores = rows[:k], scores[:k]
        a, query, profile, views, vector = self._query(member)
        X = self._features_for(a, rows, self.stats_, query, vector, views) if len(rows) else None
        suggestions = []
        partners = frame_to_profiles(self.frame_.iloc[rows]) if len(rows) else []
        for i, (partner, score) in enumerate(zip(partners, scores)):
            reasons, details = explain(profile, partner, X[i], language or self.language)
            suggestions.append(Suggestion(partner.member_id, partner.name, partner.network,
                                          partner.country, float(score), reasons, details))
        return suggestions

    def score(self, a: str | Profile, b: str | Profile) -> float:
        """Return the calibrated score in 0..1 of `b` as a partner for `a`."""
        row_a, query, _, views, vector = self._query(a)
        b_id = b.member_id if isinstance(b, Profile) else str(b)
        if b_id not in self.position_:
            raise KeyError(f"Member {b_id!r} doesn't exist in the fitted profiles.")
        J = np.array([self.position_[b_id]])
        X = self._features_for(row_a, J, self.stats_, query, vector, views)
        return float(self.scorer_.predict_proba(X)[0, 1])

