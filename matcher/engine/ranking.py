"""The complementary partner model: candidate retrieval, reciprocal re-ranking, filters, reasons.

:class:`PartnerMatcher` answers "whom should this member partner with, and why?":

1. **Candidates.** On small data every profile is a candidate. On large data the union of
   exact searches over one low-rank matrix (:mod:`matcher.engine.retrieval`), read once for all of
   them: who best complements the member (its need view against everyone's offer view plus,
   at half weight, its offer view against everyone's need view); who does so in its country
   and has partners already; which profiles look like the member; and which look like its
   known partners.
2. **Re-ranking** by the pair features of :mod:`matcher.engine.pairs` (reciprocal coverage of needs,
   products, markets, certifications, capacity, languages, geography, competitor penalty, and
   what known links teach). With enough known links a gradient-boosted model learns the score
   from them; without links, documented default weights give the score (see
   :data:`DEFAULT_WEIGHTS`). Either way the score is a probability in 0..1, calibrated on known
   links when there are some.
3. **Filters**: scope (own network, other networks, all), country, org_type, partnership type,
   certification; never the member itself, a known partner, or one it declined.
4. **Reasons** for every suggestion (:mod:`matcher.engine.reasons`).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from joblib import Parallel, delayed, parallel_config
from sklearn.base import BaseEstimator
from sklearn.calibration import CalibratedClassifierCV
from sklearn.decomposition import TruncatedSVD
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from ..canonical import canonical_sparse
from ..errors import InputError, UnknownMemberError
from ..filters import resolve_filters
from ..i18n import NetworkNames
from ..profiles import (
    POSITIVE_KINDS,
    Link,
    Profile,
    ProfileRows,
    profiles_to_frame,
)
from .features import OfferNeedEncoder
from .firststage import FirstStage
from .forest import CompiledForest
from .learning import OUTCOME_WEIGHTS, LearnedFeedback, check_weights, read_feedback
from .linear import CompiledLogistic
from .model_selection import (
    MODEL_CANDIDATES,
    ModelCandidate,
    TrainingPairs,
    build_learner,
    candidate_named,
    select_model,
    without_features,
)
from .pairs import (
    PAIR_FEATURES,
    LinkStats,
    PairSpace,
    ProfileArrays,
    cf_votes,
    pair_features,
    split_texts,
)
from .retrieval import ComplementIndex
from .serving import LANGUAGES, SCOPES, Suggestion, explained, mark_explorations, shortlist
from .topk import TopK, few_inner_products, top_k_indices, top_k_rows, widened

logger = logging.getLogger(__name__)

# SCOPES, LANGUAGES, Suggestion and shortlist, the parts of a recommendation that need neither
# scikit-learn, pandas nor numba, live in matcher.engine.serving: the numpy-only ranking of a
# serving artifact (the one-shot command's) shares them.

__all__ = [
    "DEFAULT_WEIGHTS",
    "LANGUAGES",
    "MODEL_KINDS",
    "SCOPES",
    "SERVICE_EXPLORE",
    "CandidateSet",
    "PartnerMatcher",
    "Suggestion",
]

#: The share of a shortlist the service's models give to partners few have seen (``explore``):
#: one place of ten.
SERVICE_EXPLORE = 0.1
#: Values of ``PartnerMatcher(model=...)``.
MODEL_KINDS = ("auto", "default") + tuple(candidate.name for candidate in MODEL_CANDIDATES)

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


@dataclass(frozen=True)
class Query:
    """A member as the ranking reads it: its row in `arrays` (the fitted profiles' arrays, or
    a prospective member's own), its profile, its vector views (None for a fitted member:
    they are the fitted ``offers_``/``needs_`` rows), its embedding, and whether it is fitted."""

    row: int
    arrays: ProfileArrays
    profile: Profile
    views: tuple[Any, Any] | None
    embedding: np.ndarray
    fitted: bool


class CandidateSet:
    """A fixed set of fitted profiles as the only partners to rank against (a fair's
    exhibitors), from :meth:`PartnerMatcher.candidate_set`: their rows (ascending), a mask over
    the fitted profiles, the first stage restricted to them, and (built when first searched,
    not pickled) a search over their rows of the vector index."""

    def __init__(self, rows: np.ndarray, mask: np.ndarray, first_stage: FirstStage | None):
        self.rows, self.mask, self.first_stage = rows, mask, first_stage
        self._searcher: TopK | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def searcher(self, index: ComplementIndex) -> TopK:
        if self._searcher is None:
            self._searcher = TopK(
                index.matrix_[self.rows], block_rows=TopK.rows_for_budget(len(self.rows))
            )
        return self._searcher

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_searcher": None}


def _unknown_ids(subject: str, unknown: list[str]) -> UnknownMemberError:
    """The error for ids `unknown` that are not among the profiles, named by `subject` ("links
    name", "feedback names"): the first ten named, the rest counted."""
    more = f" and {len(unknown) - 10:,} more" if len(unknown) > 10 else ""
    return UnknownMemberError(
        f"{subject} ids that are not among the profiles: "
        f"{', '.join(map(repr, unknown[:10]))}{more}",
        unknown,
    )


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


@dataclass(frozen=True)
class FeedbackRows:
    """Feedback examples as :meth:`PartnerMatcher._training_pairs` reads them: the training
    weight of each known partnership (row pair) that feedback strengthens, every member's
    answered partners, and the examples that are not partnerships with the part of each
    member."""

    link_weight: dict[tuple[int, int], float]
    answered: dict[int, set[int]]
    pairs: np.ndarray
    labels: np.ndarray
    weights: np.ndarray
    part_of_member: np.ndarray

    def by_source(self, part: int) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """{member row: (partner rows, labels, weights)} of the members in `part`."""
        chosen = self.part_of_member[self.pairs[:, 0]] == part
        pairs, labels, weights = self.pairs[chosen], self.labels[chosen], self.weights[chosen]
        order = np.argsort(pairs[:, 0], kind="stable")
        pairs, labels, weights = pairs[order], labels[order], weights[order]
        sources, starts = np.unique(pairs[:, 0], return_index=True)
        ends = np.r_[starts[1:], len(pairs)]
        return {
            int(a): (pairs[i:j, 1], labels[i:j], weights[i:j])
            for a, i, j in zip(sources.tolist(), starts.tolist(), ends.tolist())
        }


class PartnerMatcher(BaseEstimator):
    """Complementary, reciprocal partner recommender with reasons.

    Parameters
    ----------
    model : {"auto", "default", "gbt", "logistic", "gbt-shallow", "logistic-strong"}, default="auto"
        How the re-ranking score is obtained: gradient-boosted trees or a logistic regression
        learned from known links, or the documented :data:`DEFAULT_WEIGHTS`. ``auto`` uses the
        defaults below ``AUTO_LEARN_FROM`` distinct positive pairs; from there it chooses the
        model family, its regularisation and the features by inner cross-validation on the
        training pairs (:mod:`matcher.engine.model_selection`; the choice is in ``selection_``).
        The other names are fixed candidates of
        :data:`~matcher.engine.model_selection.MODEL_CANDIDATES`, learned with every feature.
    n_candidates : int, default=100
        Neighbours taken from each vector search on large data (the first stage adds its best
        ``first_stage_rows_``, a depth the fit chooses).
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
    explore : float, default=0.0
        The share of each shortlist (its last places, ``int(explore * k)`` of them) given to
        partners few have seen, from the next ``EXPLORATION_POOL * k`` candidates by score:
        the least exposed first (``exposure_``: members shown it by the ``feedback``, plus its
        known partners), the best score among equals. It keeps the learning loop learning and
        new members seen (:mod:`matcher.engine.simulation` measures what it costs and gains).
        The service and ``matcher train`` use :data:`SERVICE_EXPLORE`; 0 (the library's
        default) turns it off.
    feedback_weights : dict, optional
        The training weight of each outcome of the feedback events (default
        :data:`~matcher.engine.learning.OUTCOME_WEIGHTS`).

    Attributes
    ----------
    frame_ : DataFrame
        The validated profiles the model was fitted on, indexed by member_id.
    encoder_ : OfferNeedEncoder
    space_ : PairSpace
    arrays_ : ProfileArrays
    offers_, needs_ : ndarray of shape (n_profiles, n_view_features)
        Dense, L2-normalised offer and need views (tag blocks and the dense text block).
    embedding_ : ndarray of shape (n_profiles, n_embedding_features)
        L2-normalised whole-profile vectors (both views, role, city and country): the vectors
        themselves up to ``exhaustive_below`` profiles, their 48-dimensional LSA projection
        (learned on at most 50,000 of them) beyond. Partner resemblance and neighbour votes
        compare these.
    index_ : ComplementIndex or None
        The candidate stage, built above ``exhaustive_below`` profiles.
    first_stage_rows_ : int
        The first stage's depth on large data, chosen by the fit among ``FIRST_STAGE_CHOICES``.
    candidate_stage_ : dict or None
        How that depth was chosen (with a candidate stage): the share of the reference top 10
        each depth keeps, with the distilled first stage alone and with the vector searches.
    vector_searches_ : bool
        Whether the candidates include the vector searches over ``index_`` (chosen by the fit:
        off when the first stage alone keeps the target share). Set it to True to run them
        whatever the fit chose; a model saved before this choice runs them.
    stats_ : LinkStats
    feedback_ : LearnedFeedback or None
        What the ``feedback`` events taught (examples, weights, outcomes; None without them).
    exposure_ : int32 ndarray of shape (n_profiles,)
        How much each profile has been seen: members shown it by the feedback, plus its known
        partners (``explore`` reads it).
    scorer_ : fitted classifier with ``predict_proba``
    model_kind_ : str
        The model family actually used ("gbt", "logistic" or "default").
    candidate_ : ModelCandidate or None
        The learned model's family and parameters (None with the default weights).
    dropped_features_ : tuple of str
        Pair features the learned model leaves out (chosen by ``auto``; empty otherwise).
    selection_ : dict or None
        With ``auto`` and a learned model, the record of the inner cross-validation
        (:func:`~matcher.engine.model_selection.select_model`): every candidate's inner scores, the
        score without each optional feature group, the choice.
    """

    def __init__(
        self,
        model: str = "auto",
        n_candidates: int = 100,
        exhaustive_below: int = 5000,
        negatives_per_source: int = 500,
        max_training_pairs: int = 200_000,
        inner_folds: int = 3,
        random_state: int = 0,
        language: str = "en",
        explore: float = 0.0,
        feedback_weights: Mapping[str, float] | None = None,
    ):
        self.model = model
        self.n_candidates = n_candidates
        self.exhaustive_below = exhaustive_below
        self.negatives_per_source = negatives_per_source
        self.max_training_pairs = max_training_pairs
        self.inner_folds = inner_folds
        self.random_state = random_state
        self.language = language
        self.explore = explore
        self.feedback_weights = feedback_weights

    # ------------------------------------------------------------------------------------
    # Fitting
    # ------------------------------------------------------------------------------------
    def fit(
        self,
        profiles: Sequence[Profile] | pd.DataFrame,
        links: Iterable[Link] | None = None,
        feedback: Iterable[tuple[str, str, str]] | None = None,
    ) -> PartnerMatcher:
        """Fit on validated profiles and, optionally, known links and feedback events.

        Parameters
        ----------
        profiles : sequence of Profile or validated DataFrame
        links : iterable of Link, optional
            Positive links (partner, supplier, deal) teach the score; declined links are
            remembered and never suggested again.
        feedback : iterable of (member_id, partner_id, event), optional
            What members did with their suggestions, in the order recorded
            (:mod:`matcher.engine.learning`): deals and mutual acceptances become partnerships,
            every answered or shown pair a weighted training example, declines are never
            suggested again, and how often each partner was shown guides ``explore``.

        Raises
        ------
        InputError
            A parameter out of its range, or ``model="gbt"`` or ``"logistic"`` without
            :attr:`MIN_LEARNING_PAIRS` distinct positive pairs to learn from (checked before
            the profiles are encoded).
        UnknownMemberError
            Links naming ids that are not among the profiles (an InputError and a KeyError).
        """
        self._check_parameters()
        frame = profiles_to_frame(profiles)
        self.frame_ = frame
        self.position_ = {member_id: i for i, member_id in enumerate(frame["member_id"].tolist())}
        # The links and events are read (and refused) before the profiles are encoded.
        known = self._read_links(list(links or []), feedback)
        n = len(frame)

        texts = split_texts(frame)
        self.encoder_ = OfferNeedEncoder(text=False)
        tag_offers, tag_needs = self.encoder_.fit_transform_views(frame)
        self.space_ = PairSpace(frame, texts)
        self.arrays_ = self.space_.arrays(frame, texts)
        del texts
        # float16 on large data: half the memory; the views are read in subsets and upcast in
        # every product.
        self.offers_, self.needs_ = self._views(
            tag_offers,
            tag_needs,
            self.arrays_,
            np.float16 if n > self.exhaustive_below else np.float32,
        )
        self.n_types_ = len(self.space_.org_types)
        vectors = self._profile_vectors(tag_offers, tag_needs, self.arrays_)
        del tag_offers, tag_needs
        self.embedder_ = None
        if n > self.exhaustive_below:
            rng = np.random.default_rng(self.random_state)
            sample = np.sort(rng.choice(n, min(n, self.EMBEDDING_FIT_ROWS), replace=False))
            components = max(1, min(48, vectors.shape[1] - 1, len(sample) - 1))
            self.embedder_ = TruncatedSVD(components, random_state=self.random_state).fit(
                vectors[sample]
            )
        self.embedding_ = self._embed(vectors)
        del vectors

        self.index_ = None
        if n > self.exhaustive_below:
            self.index_ = ComplementIndex(random_state=self.random_state).fit(
                self.offers_, self.needs_, self.embedding_
            )
        self.n_profiles_ = n

        self._learn_links(*known)
        # Sparse products (the names' TF-IDF above 2,000 profiles) leave column indices
        # unsorted: the fitted model reads its matrices in one form whether or not it is saved.
        canonical_sparse(self)
        return self

    def with_links(
        self, links: Iterable[Link], feedback: Iterable[tuple[str, str, str]] | None = None
    ) -> PartnerMatcher:
        """This fitted matcher learned again from other links (and feedback events): the same
        profiles and encoding, new link statistics and a new score.

        What ``PartnerMatcher(<the same parameters>).fit(<the same profiles>, links, feedback)``
        gives,
        without encoding the profiles again: the evaluation's folds and the cross-validation of
        ``matcher train`` differ only in their links. The encoding is shared with this matcher,
        which stays as it was.

        Raises
        ------
        InputError, UnknownMemberError
            As :meth:`fit`.
        """
        return self._relearned_copy(
            lambda other: other._learn_links(*other._read_links(list(links), feedback))
        )

    def _relearned_copy(self, learn: Callable[[PartnerMatcher], None]) -> PartnerMatcher:
        """A shallow copy of this fitted matcher (the encoding shared), `learn` applied to it, its
        sparse matrices in canonical form as :meth:`fit` leaves them."""
        check_is_fitted(self, "scorer_")
        other = copy.copy(self)
        # Built profiles are the same; the copy keeps its own cache of them.
        other.__dict__.pop("_profiles", None)
        learn(other)
        canonical_sparse(other)
        return other

    def _read_links(
        self, links: list[Link], feedback: Iterable[tuple[str, str, str]] | None = None
    ) -> tuple[np.ndarray, np.ndarray, str, LearnedFeedback | None]:
        """The distinct positive pairs of `links` and of the partnerships in `feedback`
        (ascending, shape (m, 2)), the declined ones' rows, the score model their number
        allows and what the feedback teaches besides; ids that are not among the profiles are
        refused."""
        learned = None
        if feedback is not None:
            weights = OUTCOME_WEIGHTS if self.feedback_weights is None else self.feedback_weights
            read = read_feedback(feedback, weights)
            named = {e.member for e in read.examples} | {e.partner for e in read.examples}
            unknown = sorted((named | set(read.exposure)) - self.position_.keys())
            if unknown:
                raise _unknown_ids("feedback names", unknown)
            links = links + read.links
            learned = LearnedFeedback.from_feedback(read, self.position_)
        ends = self._link_rows(links)
        if (ends < 0).any():
            names = np.array([[link.source, link.target] for link in links], dtype=object)
            raise _unknown_ids("links name", sorted(set(names[ends < 0].tolist())))
        n = len(self.position_)
        kinds = [link.kind for link in links]
        positive = ends[
            np.fromiter((kind in POSITIVE_KINDS for kind in kinds), dtype=bool, count=len(links))
        ]
        # The distinct positive pairs in ascending order, as one int64 key each.
        keys = np.unique(positive[:, 0] * n + positive[:, 1])
        positive_pairs = np.column_stack([keys // n, keys % n]).astype(np.int64).reshape(-1, 2)
        declined = ends[
            np.fromiter((kind == "declined" for kind in kinds), dtype=bool, count=len(links))
        ]
        return positive_pairs, declined, self._model_kind(len(positive_pairs)), learned

    def _learn_links(
        self,
        positive_pairs: np.ndarray,
        declined: np.ndarray,
        model_kind: str,
        learned: LearnedFeedback | None = None,
    ) -> None:
        """Everything the links (and feedback) decide, on the encoded profiles: the known and
        declined partners, the link statistics, the exposure and the score."""
        self.positive_pairs_ = positive_pairs
        self.feedback_ = learned
        # How much each profile has been seen: members shown it, and its known partners.
        n = len(self.position_)
        self.exposure_ = np.bincount(positive_pairs.reshape(-1), minlength=n).astype(np.int32)
        if learned is not None:
            self.exposure_ += learned.exposure
        self.declined_ = {}
        for a, b in declined.tolist():
            self.declined_.setdefault(a, set()).add(b)
        self.stats_ = LinkStats(self.positive_pairs_, self.arrays_, self.embedding_, self.n_types_)
        self._learn_score(model_kind)

    def refit_score(self, model: str) -> PartnerMatcher:
        """This fitted matcher with its score learned again as `model`: the same profiles, links,
        encoding and training pairs, only the score (and the first stage fitted with it) new.

        What ``PartnerMatcher(model=model, <the same parameters>).fit(<the same data>)`` gives,
        without encoding the profiles again: the evaluation's ``linear`` baseline is the
        matcher's own fit with a plain logistic score. The encoding is shared with this matcher,
        which stays as it was.

        Raises
        ------
        InputError
            An unknown `model`, or a learned one without enough pairs (as :meth:`fit`).
        """

        def learn(other: PartnerMatcher) -> None:
            other.model = model
            other._check_parameters()
            other._learn_score(other._model_kind(len(other.positive_pairs_)))

        return self._relearned_copy(learn)

    def _learn_score(self, model_kind: str) -> None:
        """Learn the score from the encoded profiles and links (the end of :meth:`fit`):
        the model (chosen by inner cross-validation with "auto"), the first stage, the
        compiled trees and, on large data, the first stage's depth."""
        self.model_kind_ = model_kind
        self.selection_ = None
        self.candidate_ = None
        self.dropped_features_ = ()
        self.__dict__.pop("training_pairs_", None)
        if model_kind == "default":
            self.scorer_ = _DefaultScorer(DEFAULT_WEIGHTS)
        else:
            pairs = self._training_pairs()
            X, y = pairs.X, pairs.y
            if self.model == "auto" and not self._can_learn_from(y):
                # "auto" takes what the data allow: pairs the calibration cannot split (every
                # linked member already everyone's partner, say) leave the default weights.
                model_kind = self.model_kind_ = "default"
                self.scorer_ = _DefaultScorer(DEFAULT_WEIGHTS)
            else:
                self._check_training_pairs(y)
                if self.model == "auto":
                    candidate, self.dropped_features_, self.selection_ = select_model(
                        pairs, random_state=self.random_state
                    )
                else:
                    candidate = candidate_named(model_kind)
                model_kind = self.model_kind_ = candidate.family
                self.candidate_ = candidate
                self.scorer_ = self._fit_scorer(
                    candidate, X, y, self.dropped_features_, pairs.sample_weight
                )
                self.training_pairs_ = (int(y.sum()), int(len(y) - y.sum()))
        stage = FirstStage(self.arrays_, self.stats_, self.space_.capability_idf)
        self.first_stage_ = (
            stage.set_weights(DEFAULT_WEIGHTS)
            if model_kind == "default"
            else stage.fit(X, y, pairs.sample_weight)
        )
        # The same score, evaluated by a compiled walk over the trees' node tables; kept only
        # when it reproduces scikit-learn's probabilities on a sample of the training pairs.
        self.forest_ = None
        if model_kind == "gbt":
            forest = CompiledForest.from_calibrated(self.scorer_)
            probe = X[:: max(1, len(X) // 256)]
            if forest is not None and np.allclose(
                forest.predict_proba(probe), self.scorer_.predict_proba(probe), atol=1e-9
            ):
                self.forest_ = forest
            else:
                logger.warning(
                    "the compiled trees do not reproduce the model; scoring with scikit-learn"
                )
        # On large data a recommendation re-ranks ~850 candidates: the first trees of each
        # model pick the ones worth the whole forest (see _worth_scoring).
        self.forest_prefix_ = (
            self.forest_.prefix(self.PREFIX_TREES)
            if self.forest_ is not None and self.index_ is not None
            else None
        )
        self.first_stage_rows_ = self.FIRST_STAGE_ROWS
        self.candidate_stage_ = self._choose_first_stage_rows() if self.index_ is not None else None

    #: Rows encoded at once (views, embeddings): a dense float64 copy of a million rows would
    #: take gigabytes for a moment. More than one block: the views are filled by two threads.
    BLOCK_ROWS = 65536
    #: Rows the embedding's LSA projection is learned on above ``exhaustive_below`` profiles
    #: (drawn at random when there are more).
    EMBEDDING_FIT_ROWS = 50_000
    #: On large data, up to this many rows left out of a query (the member, its partners, an
    #: ``exclude`` list) are dropped after a deeper search; more (a scope, a filter) are masked
    #: in the search itself.
    FEW_EXCLUDED = 256
    #: The exploration places of a shortlist of k are filled from the next
    #: ``EXPLORATION_POOL * k`` candidates by score (see ``explore``).
    EXPLORATION_POOL = 3
    #: Members whose likeness to every linked member is one matrix product (neighbour votes).
    VOTE_CHUNK = 32
    #: Fitted profiles kept built (:meth:`_profile_at`).
    PROFILE_CACHE_SIZE = 100_000

    #: Positive pairs the learned models need at least: the calibration splits the training
    #: pairs in three, and each part must hold a pair of each class.
    MIN_LEARNING_PAIRS = 3
    #: With ``model="auto"``: a model learned (and chosen by inner cross-validation) from this
    #: many distinct positive pairs; below, the default weights.
    AUTO_LEARN_FROM = 10

    def _check_parameters(self) -> None:
        """Refuse constructor parameters out of their range, naming them (an InputError)."""
        if self.model not in MODEL_KINDS:
            raise InputError(
                f"Got model={self.model!r}, expected one of {', '.join(map(repr, MODEL_KINDS))}"
            )
        for name in (
            "n_candidates",
            "exhaustive_below",
            "negatives_per_source",
            "max_training_pairs",
            "inner_folds",
        ):
            value, least = getattr(self, name), 2 if name == "inner_folds" else 1
            if not (
                isinstance(value, (int, np.integer))
                and not isinstance(value, bool)
                and value >= least
            ):
                raise InputError(f"Got {name}={value!r}, expected an integer of at least {least}")
        if self.language not in LANGUAGES:
            raise InputError(
                f"Got language={self.language!r}, expected one of {', '.join(map(repr, LANGUAGES))}"
            )
        explore = self.explore
        if (
            not (isinstance(explore, (int, float)) and not isinstance(explore, bool))
            or not 0 <= explore <= 0.5
        ):
            raise InputError(f"Got explore={explore!r}, expected a share from 0 to 0.5")
        if self.feedback_weights is not None:
            check_weights(self.feedback_weights)

    def _model_kind(self, n_positive: int) -> str:
        """The score model for `n_positive` distinct positive pairs: ``model`` itself, or with
        "auto" the one the pairs allow (see the class docstring). A learned model asked for
        without enough pairs is refused."""
        if self.model == "auto":
            # The family is chosen later, from the training pairs (see fit).
            return "learned" if n_positive >= self.AUTO_LEARN_FROM else "default"
        if self.model != "default" and n_positive < self.MIN_LEARNING_PAIRS:
            raise InputError(
                f"model={self.model!r} learns the score from known positive links (partner, "
                f"supplier or deal) and needs at least {self.MIN_LEARNING_PAIRS} distinct pairs; "
                f"got {n_positive}. Give more links, or use model='default' (documented default "
                f"weights) or 'auto' (learns from {self.AUTO_LEARN_FROM} pairs)"
            )
        return self.model

    def _can_learn_from(self, y: np.ndarray) -> bool:
        """Whether training pairs `y` hold :attr:`MIN_LEARNING_PAIRS` of each class."""
        positives = int(y.sum())
        return min(positives, len(y) - positives) >= self.MIN_LEARNING_PAIRS

    def _check_training_pairs(self, y: np.ndarray) -> None:
        """Refuse training pairs that the calibration's three parts cannot split (a class
        with fewer than :attr:`MIN_LEARNING_PAIRS` pairs)."""
        positives, negatives = int(y.sum()), int(len(y) - y.sum())
        if min(positives, negatives) < self.MIN_LEARNING_PAIRS:
            raise InputError(
                f"model={self.model!r} found {positives} known partners and {negatives} other "
                f"profiles to learn from (max_training_pairs={self.max_training_pairs}); it needs "
                f"at least {self.MIN_LEARNING_PAIRS} of each. Give more profiles or links, or "
                "use model='default'"
            )

    def _link_rows(self, links: list[Link]) -> np.ndarray:
        """(source row, target row) of each link, shape (n_links, 2); -1 for an unknown id."""
        get, ends = self.position_.get, np.empty((len(links), 2), dtype=np.int64)
        ends[:, 0] = np.fromiter(
            map(get, [link.source for link in links], repeat(-1)), dtype=np.int64, count=len(links)
        )
        ends[:, 1] = np.fromiter(
            map(get, [link.target for link in links], repeat(-1)), dtype=np.int64, count=len(links)
        )
        return ends

    def _views(
        self,
        tag_offers: sp.csr_matrix,
        tag_needs: sp.csr_matrix,
        arrays: ProfileArrays,
        dtype: Any = np.float32,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Dense, L2-normalised offer and need views: the tag blocks plus the dense text block,
        stored as `dtype`. Built in blocks of rows (a dense float64 copy of a million rows
        would take gigabytes for a moment), by two threads: the blocks' array operations
        release the GIL."""
        weight = OfferNeedEncoder.DEFAULT_BLOCK_WEIGHTS["text"]
        n, block = tag_offers.shape[0], self.BLOCK_ROWS
        views = []
        for tags, text in ((tag_offers, arrays.text_offer), (tag_needs, arrays.text_need)):
            width = tags.shape[1]
            view = np.empty((n, width + text.shape[1]), dtype=dtype)

            def fill(rows: slice, tags=tags, text=text, view=view, width=width) -> None:
                part = np.empty((len(text[rows]), view.shape[1]), dtype=np.float32)
                part[:, :width] = tags[rows].toarray()
                part[:, width:] = weight * text[rows]
                view[rows] = normalize(part, copy=False)

            blocks = [slice(start, start + block) for start in range(0, n, block)]
            if len(blocks) > 1:
                Parallel(n_jobs=2, backend="threading")(delayed(fill)(rows) for rows in blocks)
            else:
                fill(slice(None))
            views.append(view)
        return views[0], views[1]

    def _profile_vectors(
        self, offers: sp.csr_matrix, needs: sp.csr_matrix, arrays: ProfileArrays
    ) -> sp.csr_matrix:
        """Whole-profile vectors: both views plus role, city and country one-hots."""
        n = len(arrays)

        def one_hot(codes: np.ndarray, size: int, weight: float) -> sp.csr_matrix:
            valid = codes >= 0
            return sp.csr_matrix(
                (np.full(valid.sum(), weight), (np.flatnonzero(valid), codes[valid])),
                shape=(n, max(size, 1)),
            )

        space = self.space_
        return normalize(
            sp.hstack(
                [
                    offers,
                    needs,
                    one_hot(arrays.org_type, len(space.org_types), 0.7),
                    one_hot(arrays.city, len(space.cities), 0.7),
                    one_hot(arrays.country, len(space.countries), 0.5),
                ],
                format="csr",
            )
        )

    def _embed(self, vectors: sp.csr_matrix) -> np.ndarray:
        """The embeddings of whole-profile vectors (see ``embedding_``)."""
        if self.embedder_ is None:
            return vectors.toarray().astype(np.float32)
        out = np.empty((vectors.shape[0], self.embedder_.n_components), dtype=np.float32)
        block = self.BLOCK_ROWS
        for start in range(0, vectors.shape[0], block):
            out[start : start + block] = self.embedder_.transform(vectors[start : start + block])
        return normalize(out, copy=False)

    #: Candidates the first stage adds on large data before the fit chooses (and without a
    #: candidate stage). On 100,000 generated profiles its best 600 and the vector searches'
    #: best 100 each keep 0.88 of the exhaustive top 10 (its best 400 and 200 each: 0.85).
    FIRST_STAGE_ROWS = 600
    #: The depths of the first stage the fit chooses among on large data, the share of the
    #: reference top 10 the chosen one must keep, the depth of that reference, and the members
    #: it is measured on (see :meth:`_choose_first_stage_rows`).
    FIRST_STAGE_CHOICES, CANDIDATE_TARGET, REFERENCE_ROWS, BUDGET_QUERIES = (
        (300, 600, 1200),
        0.95,
        4800,
        30,
    )

    def _choose_first_stage_rows(self) -> dict[str, Any]:
        """Choose the candidate stage on the data at hand, measured on up to
        :attr:`BUDGET_QUERIES` members with known partners (any members without links) against
        the top 10 that a first stage of :attr:`REFERENCE_ROWS` rows and the vector searches
        give (every profile re-ranked would cost seconds a member on a million profiles).

        Two candidate stages are measured at each depth of :attr:`FIRST_STAGE_CHOICES`: the
        first stage alone, its weights distilled from the reference's best (see
        :meth:`~matcher.engine.firststage.FirstStage.distil`), and the first stage learned from
        the links with the vector searches. The first is chosen at the smallest depth that
        keeps :attr:`CANDIDATE_TARGET` of the reference top 10 (it skips the pass over the
        index: on 100,000 generated profiles those searches added nothing to the first stage's
        share, for 2.3 ms of the 13 ms of a recommendation); else the second at such a depth;
        else the one keeping more at the deepest. Sets ``first_stage_rows_``,
        ``vector_searches_`` and the first stage's weights; returns the record (the share each
        stage keeps at each depth, the choice)."""
        rng = np.random.default_rng(self.random_state)
        pool = self.stats_.linked if len(self.stats_.linked) else np.arange(self.n_profiles_)
        members = self.frame_["member_id"].to_numpy()[
            rng.choice(pool, min(self.BUDGET_QUERIES, len(pool)), replace=False)
        ]
        self.first_stage_rows_ = self.REFERENCE_ROWS
        self.vector_searches_ = True
        reference = [self.rank(member)[0] for member in members]
        tops = [set(rows[:10].tolist()) for rows in reference]

        def shares() -> dict[int, float]:
            kept = {}
            for depth in self.FIRST_STAGE_CHOICES:
                self.first_stage_rows_ = depth
                found = [
                    len(top & set(self.rank(member)[0][:10].tolist())) / len(top)
                    for member, top in zip(members, tops)
                    if top
                ]
                kept[depth] = round(float(np.mean(found)), 4) if found else 1.0
            return kept

        def holding(kept: dict[int, float]) -> int | None:
            return next((d for d, share in kept.items() if share >= self.CANDIDATE_TARGET), None)

        learned = self.first_stage_.weights_.copy()
        with_searches = shares()
        stages = {"links, with the vector searches": (True, learned, with_searches)}
        distilled = self._distilled_first_stage(members, reference, rng)
        if distilled is not None:
            self.vector_searches_ = False
            self.first_stage_.weights_ = distilled
            stages = {"distilled, alone": (False, distilled, shares()), **stages}
        deepest = self.FIRST_STAGE_CHOICES[-1]
        name = next(
            (name for name, (*_, kept) in stages.items() if holding(kept) is not None),
            max(stages, key=lambda name: stages[name][2][deepest]),
        )
        self.vector_searches_, self.first_stage_.weights_, kept = stages[name]
        self.first_stage_rows_ = holding(kept) or deepest
        return {
            "method": f"share of the top 10 of a {self.REFERENCE_ROWS}-row first stage kept",
            "queries": len(members),
            "target": self.CANDIDATE_TARGET,
            "shares": {str(depth): share for depth, share in kept.items()},
            "first_stage_rows": self.first_stage_rows_,
            "first_stage": name,
            "vector_searches": self.vector_searches_,
            "measured": {
                stage: {str(depth): share for depth, share in other.items()}
                for stage, (*_, other) in stages.items()
            },
        }

    #: Distilling the first stage (:meth:`_distilled_first_stage`): a member's rows ranked
    #: best by the reference, and how many of its best and random rows by the first stage
    #: learned from links are read beside them.
    DISTIL_BEST, DISTIL_FIRST_STAGE_ROWS, DISTIL_RANDOM_ROWS = 20, 3000, 1000

    def _distilled_first_stage(
        self, members: np.ndarray, reference: list[np.ndarray], rng: np.random.Generator
    ) -> np.ndarray | None:
        """First-stage weights distilled from the `reference` rankings of `members` (see
        :meth:`~matcher.engine.firststage.FirstStage.distil`): each member's best
        :attr:`DISTIL_BEST` rows against its best rows by the current first stage and random
        ones. None when there is nothing to learn from (no member with both kinds of row)."""
        stage, n = self.first_stage_, self.n_profiles_
        columns, best = [], []
        for member, ranked in zip(members, reference):
            query = self._query(member)
            known = self.stats_.partners(query.row)
            [votes] = self._votes([query])
            scores = stage.scores(query.arrays, query.row, known, votes)
            scores[[query.row, *known]] = -np.inf
            rows = np.union1d(
                top_k_indices(scores, self.DISTIL_FIRST_STAGE_ROWS),
                rng.choice(n, min(n, self.DISTIL_RANDOM_ROWS), replace=False),
            )
            rows = np.union1d(rows[np.isfinite(scores[rows])], ranked[: self.DISTIL_BEST])
            columns.append(stage.column_matrix(query.arrays, query.row, known, votes, rows))
            best.append(np.isin(rows, ranked[: self.DISTIL_BEST]))
        best_rows = np.concatenate(best) if best else np.zeros(0, dtype=bool)
        if best_rows.all() or not best_rows.any():
            return None
        learned = stage.weights_.copy()
        weights = stage.distil(np.vstack(columns), best_rows).weights_
        stage.weights_ = learned
        return weights

    #: Candidates given the whole score on large data, and the trees per model that choose them.
    #: On 100,000 generated profiles the first 20 trees of each model (60 of 281) rank 0.99 of
    #: the whole forest's top 10 among the best 150 of ~900 candidates.
    FULLY_SCORED, PREFIX_TREES = 150, 20

    def _worth_scoring(self, X: np.ndarray, keep: int) -> np.ndarray:
        """Rows of `X` to score in full: all of them, or on large data the best `keep` (at
        least) by the forest's first trees."""
        prefix = getattr(self, "forest_prefix_", None)
        keep = max(keep, self.FULLY_SCORED)
        if prefix is None or len(X) <= keep:
            return np.arange(len(X))
        return np.sort(top_k_indices(prefix.decision(X).sum(axis=1), keep))

    def predict_scores(self, X: np.ndarray) -> np.ndarray:
        """Calibrated scores in 0..1 of pair-feature rows `X`."""
        forest = getattr(self, "forest_", None)
        if forest is not None:
            return forest.predict_proba(X)[:, 1]
        # A logistic score as plain arrays (built on first use, for the scorer at hand): the
        # same probabilities without scikit-learn's checks at every step.
        scorer, logistic = self.__dict__.get("_logistic", (None, None))
        if scorer is not self.scorer_:
            logistic = CompiledLogistic.from_calibrated(self.scorer_)
            self.__dict__["_logistic"] = (self.scorer_, logistic)
        if logistic is not None:
            return logistic.predict_proba(X)[:, 1]
        return self.scorer_.predict_proba(X)[:, 1]

    def _fit_scorer(
        self,
        candidate: ModelCandidate,
        X: np.ndarray,
        y: np.ndarray,
        dropped: Sequence[str] = (),
        sample_weight: np.ndarray | None = None,
    ):
        """Three models, each learned on two thirds of the pairs and calibrated by a sigmoid on
        the other third, averaged (a monotone map per model: the calibrated score keeps the
        models' order, where an isotonic map would tie many candidates). The pairs come in
        blocks by member, so the thirds mostly keep a member's pairs together. In a trial on
        the Benetton data the average of three beat one model calibrated on a held-out fifth
        (recall@10 0.78 against 0.75-0.77): known links are few, and averaging tames the
        variance.

        The three are fitted at once by threads, the trees of each on one OpenMP thread: the
        same models as one after the other on every core. On 2 cores it takes 7-8 s on 200,000
        pairs whether or not other work keeps the cores busy; one after the other on both
        cores it took 5 s on an idle machine but 45-190 s on a busy one, where OpenMP threads
        wait at every barrier for a sibling the system has descheduled.

        The `dropped` features are given as 0 (see :mod:`matcher.engine.model_selection`);
        `sample_weight` weighs the pairs (feedback outcomes), in the models and their
        calibration."""
        learner = build_learner(candidate, dropped, self.random_state)
        scorer = CalibratedClassifierCV(learner, method="sigmoid", cv=3, n_jobs=3)
        with threadpool_limits(1, user_api="openmp"), parallel_config(backend="threading"):
            return scorer.fit(without_features(X, dropped), y, sample_weight=sample_weight)

    def _training_pairs(self) -> TrainingPairs:
        """Pairs to learn from: each part's links against sampled non-partners, featured with
        the links of the other parts (see :class:`~matcher.engine.model_selection.TrainingPairs`)."""
        rng = np.random.default_rng(self.random_state)
        pairs = self.positive_pairs_
        n = len(self.arrays_)
        folds = rng.integers(0, self.inner_folds, size=len(pairs))
        # Every member's known partners, either direction: row a of a sparse adjacency.
        both = np.concatenate([pairs, pairs[:, ::-1]])
        adjacency = sp.csr_matrix(
            (np.ones(len(both), dtype=np.int8), (both[:, 0], both[:, 1])), shape=(n, n)
        )
        indptr, neighbours = adjacency.indptr, adjacency.indices
        degree = np.diff(indptr)
        blocks_X, blocks_y, blocks_g, blocks_part, blocks_w = [], [], [], [], []
        # The training weight of each row (with feedback; see matcher.engine.learning).
        blocks_sw: list[np.ndarray] = []
        feedback = self._feedback_examples(pairs)
        n_neg = min(self.negatives_per_source, n - 1)
        for fold in range(self.inner_folds):
            held = pairs[folds == fold]
            if not len(held):
                continue
            stats = LinkStats(
                pairs[folds != fold], self.arrays_, self.embedding_, self.n_types_, quantized=False
            )
            # The held-out targets of each source, in their order in `held`; the sources in
            # order of first appearance.
            grouped = held[np.argsort(held[:, 0], kind="stable")]
            values, starts, counts = np.unique(grouped[:, 0], return_index=True, return_counts=True)
            order = np.argsort(np.unique(held[:, 0], return_index=True)[1])
            budget = self.max_training_pairs // self.inner_folds
            if len(order) * (n_neg + 1) > budget:
                keep = max(1, budget // (n_neg + 1))
                order = order[np.sort(rng.choice(len(order), keep, replace=False))]
            sources = values[order]
            widest = int(degree[sources].max()) + 1
            hard_pool = self._hard_negative_pool(sources, min(n, n_neg // 2 + widest))
            for k, a, pool in zip(order.tolist(), sources.tolist(), hard_pool):
                targets = grouped[starts[k] : starts[k] + counts[k], 1].tolist()
                exclude = set(neighbours[indptr[a] : indptr[a + 1]].tolist()) | {a}
                if feedback is not None:
                    # Partners it answered are not sampled as plain non-partners.
                    exclude |= feedback.answered.get(a, set())
                # Hard negatives: the best-looking non-partners by the view scores; easy ones at random.
                hard = [j for j in pool.tolist() if j not in exclude][: n_neg // 2]
                taken = exclude | set(hard)
                easy_pool = rng.choice(n, size=min(n, 2 * n_neg + len(exclude)), replace=False)
                easy = [j for j in easy_pool.tolist() if j not in taken][: n_neg - len(hard)]
                J = np.array(list(targets) + hard + easy, dtype=np.int64)
                X = self._features_for(a, J, stats, self.arrays_, self.embedding_[a])
                blocks_X.append(X)
                blocks_y.append(np.r_[np.ones(len(targets)), np.zeros(len(J) - len(targets))])
                blocks_g.append(np.full(len(J), a, dtype=np.int64))
                blocks_part.append(np.full(len(J), fold, dtype=np.int64))
                # The hard negatives are all of their kind; each easy one stands for the
                # non-partners it was drawn from.
                population = n - len(exclude) - len(hard)
                blocks_w.append(
                    np.r_[
                        np.ones(len(targets) + len(hard)),
                        np.full(len(easy), population / max(len(easy), 1)),
                    ]
                )
                if feedback is not None:
                    blocks_sw.append(
                        np.r_[
                            [feedback.link_weight.get((a, b), 1.0) for b in targets],
                            np.ones(len(J) - len(targets)),
                        ]
                    )
            if feedback is None:
                continue
            # The answered and shown pairs that are not known partnerships: each member's
            # examples together, in the part drawn for the member, featured like the rest.
            for a, (J, labels, weights) in feedback.by_source(fold).items():
                blocks_X.append(self._features_for(a, J, stats, self.arrays_, self.embedding_[a]))
                blocks_y.append(labels)
                blocks_g.append(np.full(len(J), a, dtype=np.int64))
                blocks_part.append(np.full(len(J), fold, dtype=np.int64))
                blocks_w.append(np.ones(len(J)))
                blocks_sw.append(weights)
        return TrainingPairs(
            np.vstack(blocks_X),
            np.concatenate(blocks_y).astype(int),
            np.concatenate(blocks_g),
            np.concatenate(blocks_part),
            np.concatenate(blocks_w),
            np.concatenate(blocks_sw) if feedback is not None else None,
        )

    def _feedback_examples(self, positive_pairs: np.ndarray) -> FeedbackRows | None:
        """The learned feedback (``feedback_``) arranged for :meth:`_training_pairs`: the
        weight of each known partnership it strengthens, and the other examples by part and
        member (each member's part drawn at random, apart from the links' draw)."""
        learned = getattr(self, "feedback_", None)
        if learned is None or not len(learned.pairs):
            return None
        n = len(self.arrays_)
        known = set((positive_pairs[:, 0] * n + positive_pairs[:, 1]).tolist())
        keys = learned.pairs[:, 0] * n + learned.pairs[:, 1]
        in_links = np.fromiter((key in known for key in keys.tolist()), bool, count=len(keys))
        link_weight = {
            (int(a), int(b)): float(w)
            for (a, b), w, label in zip(
                learned.pairs[in_links], learned.weights[in_links], learned.labels[in_links]
            )
            if label == 1
        }
        rest = ~in_links
        rng = np.random.default_rng([self.random_state, 17])
        part_of_member = rng.integers(0, self.inner_folds, size=n)
        # At most half the training budget: every positive example, negatives drawn at random.
        room = self.max_training_pairs // 2
        if rest.sum() > room:
            positive = np.flatnonzero(rest & (learned.labels == 1))
            negative = np.flatnonzero(rest & (learned.labels == 0))
            keep = max(room - len(positive), 0)
            drawn = rng.choice(negative, min(keep, len(negative)), replace=False)
            rest = np.zeros(len(keys), dtype=bool)
            rest[positive] = rest[drawn] = True
        # Partners a member accepted or declined are not sampled as plain non-partners (an
        # ignored one may be: it is only a weak negative on top).
        answered: dict[int, set[int]] = {}
        for (a, b), outcome in zip(learned.pairs.tolist(), learned.kinds):
            if outcome != "ignored":
                answered.setdefault(a, set()).add(b)
        return FeedbackRows(
            link_weight,
            answered,
            learned.pairs[rest],
            learned.labels[rest].astype(int),
            learned.weights[rest],
            part_of_member,
        )

    def _hard_negative_pool(self, sources: np.ndarray, count: int, block: int = 32) -> np.ndarray:
        """For each source row, the `count` rows with the best view scores
        (``view_ab + 0.5 * view_ba``), best first; computed in blocks of sources with BLAS."""
        out = np.empty((len(sources), count), dtype=np.int64)
        if self.index_ is not None:
            # On large data, the same score through the low-rank index (see ComplementIndex).
            queries = self.index_.complement_queries(self.offers_[sources], self.needs_[sources])
            return self.index_.searcher(block_rows=64).search(queries, count)[1]
        for start in range(0, len(sources), block):
            rows = sources[start : start + block]
            proxy = self.needs_[rows] @ self.offers_.T
            proxy += 0.5 * (self.offers_[rows] @ self.needs_.T)
            out[start : start + len(rows)] = top_k_rows(proxy, count)[1]
        return out

    def _view_scores(
        self,
        a: int,
        query: ProfileArrays,
        J: np.ndarray | None,
        query_views: tuple[sp.csr_matrix, sp.csr_matrix] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Cosine of the query's need view with the offer views of rows `J` (all rows when
        None), and of its offer view with their need views."""
        offer_a, need_a = (
            query_views if query_views is not None else (self.offers_[a], self.needs_[a])
        )
        offers = self.offers_ if J is None else self.offers_[J]
        needs = self.needs_ if J is None else self.needs_[J]
        if offers.dtype != np.float32:
            # Stored as float16 on large data: numpy multiplies float16 without BLAS, so the
            # rows are widened first (the values, and so the scores, are the same).
            offers, needs = widened(offers), widened(needs)
        return offers @ np.asarray(need_a, np.float32), needs @ np.asarray(offer_a, np.float32)

    def _features_for(
        self,
        a: int,
        J: np.ndarray,
        stats: LinkStats | None,
        query: ProfileArrays,
        query_vector: np.ndarray,
        query_views=None,
        votes: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> np.ndarray:
        view_ab, view_ba = self._view_scores(a, query, J, query_views)
        partners = (
            stats.partners(a)
            if (stats is not None and query is self.arrays_)
            else np.array([], int)
        )
        return pair_features(
            query,
            a,
            self.arrays_,
            J,
            stats,
            query_vector,
            partners,
            view_ab,
            view_ba,
            self.space_.capability_idf,
            votes,
        )

    # ------------------------------------------------------------------------------------
    # Querying: one batch-first ranking (recommend_many); recommend and rank are its cases
    # ------------------------------------------------------------------------------------
    def _query(self, member: str | Profile) -> Query:
        """The :class:`Query` of a fitted member's id or of a profile: a profile that is not
        among the fitted ones (a prospective member) is encoded here, on its own."""
        check_is_fitted(self, "scorer_")
        if isinstance(member, Profile) and member.member_id not in self.position_:
            frame = profiles_to_frame([member])
            arrays = self.space_.arrays(frame)
            tag_offers, tag_needs = self.encoder_.transform_views(frame)
            offers, needs = self._views(tag_offers, tag_needs, arrays)
            embedding = self._embed(self._profile_vectors(tag_offers, tag_needs, arrays))
            return Query(0, arrays, member, (offers[0], needs[0]), embedding[0], False)
        member_id = member.member_id if isinstance(member, Profile) else str(member)
        a = self._row_of(member_id)
        return Query(a, self.arrays_, self.profile(member_id), None, self.embedding_[a], True)

    def profile(self, member_id: str) -> Profile:
        """Return the fitted :class:`Profile` of `member_id`."""
        check_is_fitted(self, "frame_")
        return self._profile_at(self._row_of(member_id))

    def _row_of(self, member_id: str) -> int:
        """The row of a fitted member; :class:`~matcher.errors.UnknownMemberError` (a
        ``KeyError`` too) when the fitted profiles do not hold it."""
        row = self.position_.get(member_id)
        if row is None:
            raise UnknownMemberError(
                f"Member {member_id!r} doesn't exist in the fitted profiles.", [member_id]
            )
        return row

    def known_partners(self, member_id: str) -> list[str]:
        """Return the ids of the known (positive-link) partners of `member_id`."""
        check_is_fitted(self, "stats_")
        a = self._row_of(member_id)
        return [self.frame_["member_id"].iat[j] for j in self.stats_.partners(a)]

    def candidate_set(self, member_ids: Iterable[str]) -> CandidateSet:
        """The fitted profiles of `member_ids` as the only partners to rank against (a fair's
        exhibitors), prepared once for any number of :meth:`recommend_many` calls.

        Raises :class:`~matcher.errors.UnknownMemberError` naming the ids the fitted profiles
        do not hold."""
        check_is_fitted(self, "scorer_")
        ids = list(member_ids)
        unknown = [member_id for member_id in ids if member_id not in self.position_]
        if unknown:
            more = f" and {len(unknown) - 10:,} more" if len(unknown) > 10 else ""
            raise UnknownMemberError(
                f"{len(unknown):,} candidates not among the fitted profiles: "
                f"{', '.join(map(repr, unknown[:10]))}{more}",
                unknown,
            )
        rows = np.array(sorted({self.position_[m] for m in ids}), dtype=np.int64)
        mask = np.zeros(len(self.arrays_), dtype=bool)
        mask[rows] = True
        stage = None if self.index_ is None else self.first_stage_.restricted(rows)
        return CandidateSet(rows, mask, stage)

    def _filter_mask(self, filters: Mapping[str, Any] | None) -> np.ndarray:
        """Boolean mask of the fitted profiles that pass `filters` (every member alike)."""
        arrays, space = self.arrays_, self.space_
        mask = np.ones(len(arrays), dtype=bool)
        # Unknown filter names and values are refused (FilterError), never read as "no partner".
        filters = resolve_filters(filters)
        frame = self.frame_
        for key, value in filters.items():
            values = set(value)
            if key in ("country", "org_type", "network"):
                vocabulary, codes = {
                    "country": (space.countries, arrays.country),
                    "org_type": (space.org_types, arrays.org_type),
                    "network": (space.networks, arrays.network),
                }[key]
                wanted = [vocabulary[v] for v in values if v in vocabulary]
                mask &= np.isin(codes, wanted)
            elif key == "partnership_type":
                mask &= np.array([bool(values & set(t)) for t in frame["partnership_types"]])
            elif key == "certification":
                mask &= np.array([bool(values & set(c)) for c in frame["certifications"]])
        return mask

    def _allowed(
        self, profile: Profile | None, scope: str, filters: Mapping[str, Any] | None
    ) -> np.ndarray:
        """Boolean mask of the fitted profiles that pass `scope` (seen from `profile`, which
        ``scope="all"`` does not read) and `filters`."""
        if scope not in SCOPES:
            raise InputError(f"Got scope={scope!r}, expected one of {', '.join(SCOPES)}")
        return self._scope_mask(self._filter_mask(filters), self._scope_key(profile, scope), scope)

    def _scope_key(self, profile: Profile | None, scope: str) -> int | None:
        """What a member's scope depends on: its network's code (-2 when the fitted profiles
        have no member of it), or None for ``scope="all"``."""
        return None if scope == "all" else self.space_.networks.get(profile.network, -2)

    def _scope_mask(self, base: np.ndarray, key: int | None, scope: str) -> np.ndarray:
        if key is None:
            return base.copy()
        same = self.arrays_.network == key
        return base & (same if scope == "cluster" else ~same)

    def _votes(self, queries: Sequence[Query]) -> list[tuple[np.ndarray, np.ndarray] | None]:
        """Each query's neighbour votes (see :func:`~matcher.engine.pairs.cf_votes`). The
        likeness to every linked member is one product per ``VOTE_CHUNK`` queries, which reads
        the linked members' embeddings once for the chunk instead of once per member."""
        stats = self.stats_
        if not stats.n_links:
            return [None] * len(queries)
        votes = []
        for start in range(0, len(queries), self.VOTE_CHUNK):
            chunk = queries[start : start + self.VOTE_CHUNK]
            if len(chunk) <= TopK.FEW and getattr(stats, "quantized", None) is not None:
                # Many linked members: cf_votes reads their int8 codes, a quarter of the
                # bytes, and finds the same voters (see matcher.engine.quantized).
                votes.extend(cf_votes(stats, q.embedding) for q in chunk)
                continue
            vectors = np.vstack([np.asarray(q.embedding, dtype=np.float32) for q in chunk])
            # A few members (one recommendation): one compiled pass on this thread, where
            # BLAS's threads wait for each other on a busy machine (see few_inner_products).
            sims = (
                few_inner_products(stats.linked_embedding, vectors)
                if len(chunk) <= TopK.FEW
                else vectors @ stats.linked_embedding.T
            )
            votes.extend(cf_votes(stats, q.embedding, sims=sims[i]) for i, q in enumerate(chunk))
        return votes

    def _searched(
        self,
        queries: Sequence[Query],
        masks: Sequence[np.ndarray],
        group_masks: Sequence[np.ndarray],
        partners: Sequence[np.ndarray],
        votes: Sequence[tuple | None],
        candidates: CandidateSet | None,
    ) -> list[np.ndarray]:
        """Rows worth re-ranking on large data, for queries that share one `group_masks`
        entry (the same scope and filters; their own exclusions differ): the union of three
        vector searches' best ``n_candidates`` (who complements the member; who resembles
        it, as firms of its kind work with the same partners; who resembles its known
        partners, the mean of up to ten) and of the first stage's best rows; the first
        stage's alone without ``vector_searches_``."""
        index = self.index_
        search_rows = None if candidates is None else candidates.rows
        group_mask = group_masks[0] if search_rows is None else group_masks[0][search_rows]
        count = np.count_nonzero(group_masks[0])
        own = [count - np.count_nonzero(mask) for mask in masks]
        n_group_excluded = len(group_mask) - np.count_nonzero(group_mask)
        # A few excluded rows (the member, its partners) are dropped after a deeper search;
        # many (a scope, a filter) are masked in the search itself. Either way each query row
        # yields its best allowed rows.
        few = n_group_excluded + max(own) <= self.FEW_EXCLUDED
        depth = self.n_candidates + max(own) + (n_group_excluded if few else 0)
        # The fit leaves the vector searches out when the first stage alone keeps as much
        # (``vector_searches_``, see _choose_first_stage_rows); models saved before have them.
        searching = getattr(self, "vector_searches_", True)
        stacked, owner = [], []
        for i, (query, known) in enumerate(zip(queries, partners) if searching else ()):
            offers, needs = (
                query.views
                if query.views is not None
                else (self.offers_[query.row], self.needs_[query.row])
            )
            stacked += [
                index.complement_queries(offers, needs),
                index.likeness_queries(query.embedding),
            ]
            owner += [i, i]
            if len(known):
                likeness = self.embedding_[known[:10]].mean(axis=0)
                stacked.append(
                    index.likeness_queries(likeness / max(float(np.linalg.norm(likeness)), 1e-9))
                )
                owner.append(i)
        found: list[list[np.ndarray]] = [[] for _ in queries]
        if owner:
            if candidates is None:
                searcher = index.searcher(block_rows=16 if len(owner) <= 16 else 256)
            else:
                searcher = candidates.searcher(index)
            scores, rows = searcher.search(
                np.vstack(stacked), depth, exclude=None if few else ~group_mask
            )
        for i, row_scores, row_ids in zip(owner, scores, rows) if owner else ():
            row_ids = row_ids[np.isfinite(row_scores)]
            if search_rows is not None:
                row_ids = search_rows[row_ids]
            found[i].append(row_ids[masks[i][row_ids]][: self.n_candidates])
        stage = self.first_stage_ if candidates is None else candidates.first_stage
        for i, query in enumerate(queries):
            allowed = masks[i] if stage.rows is None else masks[i][stage.rows]
            found[i].append(
                self._first_stage_rows(
                    stage, query.arrays, query.row, partners[i], votes[i], allowed
                )
            )
        return [np.unique(np.concatenate(parts)) for parts in found]

    def _first_stage_rows(
        self,
        stage: FirstStage,
        query: ProfileArrays,
        a: int,
        partners: np.ndarray,
        votes: tuple[np.ndarray, np.ndarray] | None,
        allowed: np.ndarray,
    ) -> np.ndarray:
        """The ``first_stage_rows_`` rows (chosen by the fit; ``FIRST_STAGE_ROWS`` for a model
        saved before) of `stage` with the best first-stage scores among the `allowed` ones (a
        mask over the stage's rows), as rows of the fitted profiles."""
        scores = stage.scores(query, a, partners, votes, allowed)
        depth = min(
            getattr(self, "first_stage_rows_", self.FIRST_STAGE_ROWS), np.count_nonzero(allowed)
        )
        if depth <= 0:
            return np.zeros(0, dtype=np.int64)
        best = top_k_indices(scores, depth)
        best = best[np.isfinite(scores[best])]
        return best if stage.rows is None else stage.rows[best]

    def _rank_many(
        self,
        queries: Sequence[Query],
        scope: str,
        filters: Mapping[str, Any] | None,
        exclude: Iterable[str],
        candidates: CandidateSet | None,
        keep: int,
        exhaustive: bool = False,
    ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Each query's candidates, scored, best first: (rows, scores, pair features). On
        large data, unless `exhaustive`, at least `keep` rows are returned (see
        :meth:`_worth_scoring`)."""
        if scope not in SCOPES:
            raise InputError(f"Got scope={scope!r}, expected one of {', '.join(SCOPES)}")
        base = self._filter_mask(filters)
        if candidates is not None:
            base &= candidates.mask
        excluded = [self.position_[m] for m in exclude if m in self.position_]
        group_masks, masks, partners = [], [], []
        # One mask per scope key (a network, or every row), shared by the members that have it.
        scope_masks: dict[int | None, np.ndarray] = {}
        for query in queries:
            key = self._scope_key(query.profile, scope)
            group = scope_masks.get(key)
            if group is None:
                group = scope_masks[key] = self._scope_mask(base, key, scope)
            mask = group.copy()
            known = (
                self.stats_.partners(query.row) if query.fitted else np.array([], dtype=np.int64)
            )
            if query.fitted:
                mask[query.row] = False
                mask[known] = False
                mask[list(self.declined_.get(query.row, ()))] = False
            mask[excluded] = False
            if np.count_nonzero(group) - np.count_nonzero(mask) > self.FEW_EXCLUDED:
                # Many rows left out of this member alone (a long exclude list): its own
                # search, masked by all of them.
                key, group = ("own", len(masks)), mask
            group_masks.append((key, group))
            masks.append(mask)
            partners.append(known)
        votes = self._votes(queries)
        found: list[np.ndarray | None] = [None] * len(queries)
        searched: dict[Any, list[int]] = {}
        for i, mask in enumerate(masks):
            if exhaustive or self.index_ is None or np.count_nonzero(mask) <= self.exhaustive_below:
                found[i] = np.flatnonzero(mask)
            else:
                searched.setdefault(group_masks[i][0], []).append(i)
        for members in searched.values():
            rows = self._searched(
                [queries[i] for i in members],
                [masks[i] for i in members],
                [group_masks[i][1] for i in members],
                [partners[i] for i in members],
                [votes[i] for i in members],
                candidates,
            )
            for i, member_rows in zip(members, rows):
                found[i] = member_rows
        features = []
        for query, J, member_votes in zip(queries, found, votes):
            if not len(J):
                features.append((J, np.zeros((0, len(PAIR_FEATURES)), np.float32)))
                continue
            X = self._features_for(
                query.row, J, self.stats_, query.arrays, query.embedding, query.views, member_votes
            )
            if not exhaustive:
                chosen = self._worth_scoring(X, keep)
                J, X = J[chosen], X[chosen]
            features.append((J, X))
        if not features:
            return []
        # The whole forest over every query's rows at once.
        X_all = np.vstack([X for _, X in features])
        scores_all = self.predict_scores(X_all) if len(X_all) else np.zeros(0)
        ranked, start = [], 0
        for J, X in features:
            scores = scores_all[start : start + len(J)]
            start += len(J)
            # Ties (common for coarse calibrated scores) are broken by the reciprocal view score.
            order = np.lexsort((-X[:, PAIR_FEATURES.index("view_ab")], -scores))
            ranked.append((J[order], scores[order], X[order]))
        return ranked

    def rank(
        self,
        member: str | Profile,
        scope: str = "all",
        filters: Mapping[str, Any] | None = None,
        exclude: Iterable[str] = (),
        exhaustive: bool = False,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Score the candidates of `member`, best first.

        Every allowed profile is a candidate on small data (or with ``exhaustive=True``). On
        large data the candidates come from the first stage and the vector searches, and the
        best of them by the forest's first trees (``FULLY_SCORED``) get the whole score and
        are returned.

        Returns
        -------
        rows : ndarray of shape (n_candidates,)
            Rows of the fitted profiles (see ``frame_``).
        scores : ndarray of shape (n_candidates,)
            Calibrated scores in 0..1.
        """
        [(rows, scores, _)] = self._rank_many(
            [self._query(member)], scope, filters, exclude, None, 0, exhaustive
        )
        return rows, scores

    def recommend_many(
        self,
        members: Sequence[str | Profile],
        k: int = 10,
        candidates: Iterable[str] | CandidateSet | None = None,
        scope: str = "all",
        filters: Mapping[str, Any] | None = None,
        exclude: Iterable[str] = (),
        language: str | None = None,
        network_names: NetworkNames | None = None,
        spare: int = 0,
    ) -> list[list[Suggestion]]:
        """The `k` best partners of each of `members`, with reasons: the one ranking of the
        engine, for one member (:meth:`recommend`) or a block of them (batch scoring).

        Parameters
        ----------
        members : sequence of str or Profile, length m
            Fitted members' ids, or profiles that are not stored (prospective members; each
            is encoded on its own).
        k : int
        candidates : iterable of str or CandidateSet, optional
            The only partners to consider (a fair's exhibitors); :meth:`candidate_set`
            prepares them once for many calls. Default: every fitted profile.
        scope : {"all", "cluster", "international"}
            ``cluster``: each member's own network; ``international``: other networks.
        filters : dict, optional
            ``country``, ``org_type``, ``partnership_type``, ``certification``, ``network``:
            a value or a list of accepted values.
        exclude : iterable of str
            Further ids never to suggest (to any of the members).
        language : {"en", "uk"}, optional
            Language of the reasons; defaults to ``self.language``.
        network_names : dict, optional
            The networks' display names for the reasons, ``{network: {language: name}}``
            (presentation only: the ranking never reads them); a network without one is named
            by its id as words (:func:`matcher.i18n.network_name`).
        spare : int, default 0
            After the `k`, this many more partners by score, to stand in for partners a caller
            drops (the service drops members withdrawn since the fit): the shortlist of `k`,
            its exploration places included, comes first.

        Returns
        -------
        list of m lists of :class:`Suggestion`
            Each member's partners, best first (at most ``k + spare``; fewer when fewer are
            allowed). A member never gets itself, its known partners or those it declined.

        The answer for a member does not depend on the others in the block: the votes of its
        neighbours come from one product per ``VOTE_CHUNK`` members, whose last float bits
        may differ from a product of one (scores agree to about 1e-7).
        """
        if not (isinstance(k, (int, np.integer)) and not isinstance(k, bool) and k > 0):
            raise InputError(f"Got k={k!r}, expected a positive integer")
        if not (
            isinstance(spare, (int, np.integer)) and not isinstance(spare, bool) and spare >= 0
        ):
            raise InputError(f"Got spare={spare!r}, expected an integer of at least 0")
        if language is not None and language not in LANGUAGES:
            raise InputError(
                f"Got language={language!r}, expected one of {', '.join(map(repr, LANGUAGES))}"
            )
        if candidates is not None and not isinstance(candidates, CandidateSet):
            candidates = self.candidate_set(candidates)
        queries = [self._query(member) for member in members]
        slots = self.exploration_slots(k)
        ranked = self._rank_many(
            queries,
            scope,
            filters,
            exclude,
            candidates,
            max(k + spare, k * (1 + self.EXPLORATION_POOL * bool(slots))),
        )
        shortlists = []
        for query, (rows, scores, X) in zip(queries, ranked):
            shown, explored = self._shortlist(rows, k, slots)
            if spare:
                # The next by score; setdiff1d keeps the positions ascending (ranked order).
                rest = np.setdiff1d(np.arange(len(rows)), shown, assume_unique=True)[:spare]
                shown = np.r_[shown, rest]
                explored = np.r_[explored, np.zeros(len(rest), dtype=bool)]
            suggestions = self.explain_rows(
                query.profile, rows[shown], scores[shown], X[shown], language, network_names
            )
            mark_explorations(suggestions, explored, language or self.language)
            shortlists.append(suggestions)
        return shortlists

    def exploration_slots(self, k: int) -> int:
        """How many of `k` places go to partners few have seen (``explore``)."""
        if getattr(self, "exposure_", None) is None:
            return 0
        return int(getattr(self, "explore", 0.0) * k)

    def _shortlist(self, rows: np.ndarray, k: int, slots: int) -> tuple[np.ndarray, np.ndarray]:
        """Positions in the ranked `rows` of the `k` to show, and which of them explore (those
        the plain top `k` would not hold): the best ``k - slots``, then the `slots` least shown
        of the next ``EXPLORATION_POOL * k`` (the better score first among equally shown), in
        their ranked order."""
        return shortlist(rows, k, slots, self.exposure_, self.EXPLORATION_POOL)

    def recommend(
        self,
        member: str | Profile,
        k: int = 10,
        scope: str = "all",
        filters: Mapping[str, Any] | None = None,
        exclude: Iterable[str] = (),
        language: str | None = None,
        network_names: NetworkNames | None = None,
        spare: int = 0,
    ) -> list[Suggestion]:
        """Return the `k` best partners of `member`, with reasons: :meth:`recommend_many` for
        one member (see there for the parameters)."""
        return self.recommend_many(
            [member], k, None, scope, filters, exclude, language, network_names, spare
        )[0]

    def explain_rows(
        self,
        profile: Profile,
        rows: np.ndarray,
        scores: np.ndarray,
        X: np.ndarray,
        language: str | None = None,
        network_names: NetworkNames | None = None,
    ) -> list[Suggestion]:
        """Turn ranked rows, their scores and pair features into :class:`Suggestion` objects
        (`network_names`: see :meth:`recommend_many`)."""
        partners = [self._profile_at(row) for row in rows.tolist()]
        return explained(profile, partners, scores, X, language or self.language, network_names)

    def _profile_at(self, row: int) -> Profile:
        """The fitted :class:`Profile` of `row`, built once and kept (at most
        :attr:`PROFILE_CACHE_SIZE`; the cache is emptied when full)."""
        cache = self.__dict__.setdefault("_profiles", {})
        profile = cache.get(row)
        if profile is None:
            if len(cache) >= self.PROFILE_CACHE_SIZE:
                cache.clear()
            rows = self.__dict__.get("_profile_rows")
            if rows is None:
                rows = self.__dict__["_profile_rows"] = ProfileRows(self.frame_)
            profile = cache[row] = rows[row]
        return profile

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_profiles", None)
        state.pop("_profile_rows", None)
        return state

    def __setstate__(self, state: dict) -> None:
        # Models saved before feedback was learned: no exploration, no feedback.
        state = {
            "explore": 0.0,
            "feedback_weights": None,
            "feedback_": None,
            "exposure_": None,
            **state,
        }
        super().__setstate__(state)

    def score(self, a: str | Profile, b: str | Profile) -> float:
        """Return the calibrated score in 0..1 of `b` as a partner for `a`."""
        query = self._query(a)
        b_id = b.member_id if isinstance(b, Profile) else str(b)
        J = np.array([self._row_of(b_id)])
        X = self._features_for(
            query.row, J, self.stats_, query.arrays, query.embedding, query.views
        )
        return float(self.predict_scores(X)[0])

    def explain_pairs(
        self,
        pairs: Sequence[tuple[str | Profile, str | Profile]],
        language: str | None = None,
        network_names: NetworkNames | None = None,
    ) -> list[Suggestion]:
        """Score and explain each partner as a partner of its member, whatever the ranking
        would do with the pair.

        :meth:`recommend` never returns a known partner, a declined one or one below the
        member's best; a matchmaking session may still seat such a pair at a table, and each
        side is told why from its own point of view. The features, the score and the reasons
        are those the ranking computes for the pair (the neighbours' votes included). Batch
        first: each member's votes are computed once, in one product per ``VOTE_CHUNK``
        members, and its pairs are featurised together.

        Parameters
        ----------
        pairs : sequence of (member, partner), length n
            The member: a fitted member's id or a profile that is not stored; the partner: a
            fitted member (its id or its profile).
        language : {"en", "uk"}, optional
            Language of the reasons; defaults to ``self.language``.
        network_names : NetworkNames, optional
            See :meth:`recommend_many`.

        Returns
        -------
        list of n :class:`Suggestion`
            The partner of each pair, with its calibrated score and reasons, in `pairs`' order.
        """
        if language is not None and language not in LANGUAGES:
            raise InputError(
                f"Got language={language!r}, expected one of {', '.join(map(repr, LANGUAGES))}"
            )

        def key(member: str | Profile) -> str:
            return member.member_id if isinstance(member, Profile) else str(member)

        members: dict[str, str | Profile] = {}
        wanted: dict[str, list[int]] = {}
        for i, (member, _partner) in enumerate(pairs):
            members.setdefault(key(member), member)
            wanted.setdefault(key(member), []).append(i)
        queries = [self._query(member) for member in members.values()]
        votes = self._votes(queries)
        found: list[Suggestion | None] = [None] * len(pairs)
        for query, member_votes, positions in zip(queries, votes, wanted.values()):
            J = np.array([self._row_of(key(pairs[i][1])) for i in positions], dtype=np.int64)
            X = self._features_for(
                query.row, J, self.stats_, query.arrays, query.embedding, query.views, member_votes
            )
            explained = self.explain_rows(
                query.profile, J, self.predict_scores(X), X, language, network_names
            )
            for i, suggestion in zip(positions, explained):
                found[i] = suggestion
        return found

    def explain_pair(
        self,
        member: str | Profile,
        partner: str | Profile,
        language: str | None = None,
        network_names: NetworkNames | None = None,
    ) -> Suggestion:
        """Score and explain `partner` as a partner of `member`: :meth:`explain_pairs` for one
        pair (see there)."""
        return self.explain_pairs([(member, partner)], language, network_names)[0]
