"""Every size at which the code switches path, on both sides of the switch.

For each switch a test runs n at the switch value and just past it (with small parameters where
the constructor allows them, with the module's or the class's constant patched where it does
not) and checks that both sides give the same answer, or an equivalent one where the two paths
are not meant to agree to the last bit, or at least a valid one (no self-match, scores sorted,
filters honoured).

The switches ``tests/batch/test_batch.py`` already covers on both sides (the batch's
``exhaustive_below``, ``block_rows`` and its chunk of 32 members for the neighbour votes, local
processes from two jobs and two blocks, ``AUTO_JOBS_UP_TO``, one sheet per member up to 200)
are not repeated here; the table in the report of this change lists them all.
"""

from __future__ import annotations

import copy
import re

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from click.testing import CliRunner
from threadpoolctl import threadpool_limits

from matcher.datasets.generator import generate_cluster
from matcher.engine import parallel
from matcher.engine.model_selection import EVIDENCE_SE
from matcher.engine.pairs import cf_votes
from matcher.engine.ranking import PartnerMatcher
from matcher.engine.topk import TopK, top_k_indices, top_k_rows
from matcher.profiles import POSITIVE_KINDS, Link, validate_links, validate_profiles

# ---------------------------------------------------------------------------------------------
# Shared data: a generated cluster of 170 profiles, fitted a few ways
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def one_thread_per_pool():
    """BLAS and OpenMP on one thread each: on small data their threads only wait for one
    another, and on a busy 2-core machine the fits of this module then took 28 s instead of 5."""
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def generated():
    """170 generated profiles and their links, the distinct positive pairs in file order."""
    raw, raw_links = generate_cluster(n_home=20, n_international=150, seed=3)
    frame = validate_profiles(raw, source="generated")
    links = validate_links(raw_links, frame["member_id"], source="generated-links")
    pairs = list(dict.fromkeys((l.source, l.target) for l in links if l.kind in POSITIVE_KINDS))
    assert len(pairs) >= 50
    return frame, links, pairs


def _with_partner_counts(frame, links, counts: dict[str, int]) -> list[Link]:
    """`links` where each member of `counts` has exactly that many partners (its own positive
    links replaced by links to profiles nobody else in `counts` takes)."""
    chosen = set(counts)
    kept = [l for l in links if not (l.kind in POSITIVE_KINDS and {l.source, l.target} & chosen)]
    others = iter(m for m in frame["member_id"] if m not in chosen)
    added = [Link(member, next(others)) for member, count in counts.items() for _ in range(count)]
    return kept + added


@pytest.fixture(scope="module")
def retrieval_model(generated):
    """The default score with the candidate stage on (above 50 profiles) and its vector
    searches forced on (on 170 profiles the fit leaves them out: its first stage alone keeps
    every row); two members have 10 and 11 known partners (the partner-likeness search reads
    the first ten)."""
    frame, links, _ = generated
    ten, eleven = frame["member_id"].iloc[0], frame["member_id"].iloc[1]
    links = _with_partner_counts(frame, links, {ten: 10, eleven: 11})
    matcher = PartnerMatcher(
        model="default", exhaustive_below=50, n_candidates=20, random_state=0
    ).fit(frame, links)
    assert matcher.index_ is not None and not matcher.vector_searches_
    matcher.vector_searches_ = True
    assert [len(matcher.stats_.partners(matcher.position_[m])) for m in (ten, eleven)] == [10, 11]
    return matcher, ten, eleven


def _fit_on_pairs(frame, pairs, count: int, **parameters) -> PartnerMatcher:
    links = [Link(source, target) for source, target in pairs[:count]]
    return PartnerMatcher(random_state=0, **parameters).fit(frame, links)


@pytest.fixture(scope="module")
def auto_models(generated):
    """``model="auto"`` on 9, 10 and 50 distinct positive pairs, and trees on 50 with the
    candidate stage on (``"gbt"``, so that the trees' first-tree selection is built). 40
    negatives per member keep the learning quick."""
    frame, _, pairs = generated
    quick = {"negatives_per_source": 40}
    return {
        9: _fit_on_pairs(frame, pairs, 9, **quick),
        10: _fit_on_pairs(frame, pairs, 10, **quick),
        "auto-50": _fit_on_pairs(frame, pairs, 50, **quick),
        50: _fit_on_pairs(frame, pairs, 50, exhaustive_below=50, model="gbt", **quick),
    }


def _assert_valid(
    matcher: PartnerMatcher,
    member: str,
    rows: np.ndarray,
    scores: np.ndarray,
    excluded: set[str] = frozenset(),
):
    """No self-match, no known partner or excluded id, unique rows, scores in 0..1 best first."""
    ids = set(matcher.frame_["member_id"].to_numpy()[rows].tolist())
    assert len(ids) == len(rows)
    assert member not in ids
    assert not ids & set(matcher.known_partners(member))
    assert not ids & set(excluded)
    assert np.all((scores >= 0) & (scores <= 1))
    assert np.all(np.diff(scores) <= 1e-12)


def _exclusion_for(
    matcher: PartnerMatcher, member: str, allowed: int
) -> tuple[list[str], np.ndarray]:
    """Ids to exclude so that exactly `allowed` profiles remain candidates of `member`, and the
    mask of those candidates (as :meth:`PartnerMatcher.rank` makes it)."""
    a = matcher.position_[member]
    mask = matcher._allowed(matcher.profile(member), "all", None)
    mask[a] = False
    mask[matcher.stats_.partners(a)] = False
    mask[list(matcher.declined_.get(a, ()))] = False
    rows = np.flatnonzero(mask)
    assert len(rows) >= allowed
    mask[rows[: len(rows) - allowed]] = False
    return matcher.frame_["member_id"].to_numpy()[rows[: len(rows) - allowed]].tolist(), mask


class _SearchSpy:
    """Delegates to a :class:`TopK` and records the `exclude` argument of every search."""

    def __init__(self, searcher: TopK, calls: list):
        self.searcher, self.calls = searcher, calls

    def search(self, queries, k, exclude=None):
        self.calls.append(exclude)
        return self.searcher.search(queries, k, exclude=exclude)

    @property
    def last_scores(self):
        return self.searcher.last_scores


def _spy_on_searches(monkeypatch) -> list:
    """The `exclude` argument of every search of a candidate index, in order."""
    from matcher.engine.retrieval import ComplementIndex

    calls: list = []
    original = ComplementIndex.searcher
    monkeypatch.setattr(
        ComplementIndex,
        "searcher",
        lambda index, block_rows=256: _SearchSpy(original(index, block_rows), calls),
    )
    return calls


def _assert_same_top(first, second, k: int = 10):
    """The same rows best first, scores equal within float32 noise."""
    (rows_a, scores_a), (rows_b, scores_b) = first, second
    assert rows_a[:k].tolist() == rows_b[:k].tolist()
    np.testing.assert_allclose(scores_a[:k], scores_b[:k], rtol=0, atol=1e-6)


# ---------------------------------------------------------------------------------------------
# PartnerMatcher.fit: exhaustive_below, the embedding's sample, blocks of rows
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("exhaustive_below, large", [(11, False), (10, True)])
def test_fit_switches_to_the_large_data_form_above_exhaustive_below(
    cluster_frame, cluster_links, exhaustive_below, large
):
    """At most `exhaustive_below` profiles: float32 views, the profile vectors as embedding, no
    candidate index. One more: float16 views, an LSA embedding, the index. The suggestions keep
    their sense either way."""
    matcher = PartnerMatcher(exhaustive_below=exhaustive_below).fit(cluster_frame, cluster_links)
    assert len(cluster_frame) == 11
    assert (matcher.index_ is not None) == large
    assert (matcher.embedder_ is not None) == large
    assert matcher.offers_.dtype == matcher.needs_.dtype == (np.float16 if large else np.float32)
    np.testing.assert_allclose(np.linalg.norm(matcher.embedding_, axis=1), 1, atol=1e-5)
    assert matcher.recommend("designer", k=1)[0].partner_id == "knit-factory"
    rows, scores = matcher.rank("designer")
    _assert_valid(matcher, "designer", rows, scores)


@pytest.mark.parametrize("fit_rows, sampled", [(11, False), (10, True)])
def test_the_embedding_projection_learns_on_every_profile_up_to_its_sample_size(
    cluster_frame, monkeypatch, fit_rows, sampled
):
    """EMBEDDING_FIT_ROWS (50,000) at the 11 profiles: learned on all; one less: on a sample."""
    from sklearn.decomposition import TruncatedSVD

    from matcher.engine import ranking

    seen = []

    class RecordingSVD(TruncatedSVD):
        def fit(self, X, y=None):
            seen.append(X.shape[0])
            return super().fit(X, y)

    monkeypatch.setattr(ranking, "TruncatedSVD", RecordingSVD)
    monkeypatch.setattr(PartnerMatcher, "EMBEDDING_FIT_ROWS", fit_rows)
    matcher = PartnerMatcher(exhaustive_below=5).fit(cluster_frame)
    assert seen == [10 if sampled else 11]
    assert np.isfinite(matcher.embedding_).all()
    np.testing.assert_allclose(np.linalg.norm(matcher.embedding_, axis=1), 1, atol=1e-5)
    rows, scores = matcher.rank("designer")
    _assert_valid(matcher, "designer", rows, scores)


def test_views_embedding_and_index_are_the_same_in_one_block_or_two(
    cluster_frame, cluster_links, monkeypatch
):
    """11 profiles in blocks of 11 rows (one block) and of 10 (two, filled by two threads)."""
    from matcher.engine.retrieval import ComplementIndex

    fitted = {}
    for block in (11, 10):
        monkeypatch.setattr(PartnerMatcher, "BLOCK_ROWS", block)
        monkeypatch.setattr(ComplementIndex, "BLOCK_ROWS", block)
        fitted[block] = PartnerMatcher(exhaustive_below=5).fit(cluster_frame, cluster_links)
    one, two = fitted[11], fitted[10]
    np.testing.assert_array_equal(one.offers_, two.offers_)
    np.testing.assert_array_equal(one.needs_, two.needs_)
    np.testing.assert_allclose(one.embedding_, two.embedding_, rtol=0, atol=1e-6)
    np.testing.assert_allclose(one.index_.matrix_, two.index_.matrix_, rtol=0, atol=1e-5)
    _assert_same_top(one.rank("designer"), two.rank("designer"))


@pytest.mark.parametrize("offset", [0, -1])
def test_the_index_projection_learns_on_every_row_up_to_max_fit_rows(retrieval_model, offset):
    """max_fit_rows at the number of profiles: the projection of every row; one less: of a
    sample, and the search is still exact over the rows it stores."""
    from matcher.engine.retrieval import ComplementIndex

    matcher, *_ = retrieval_model
    n = len(matcher.frame_)
    arguments = (matcher.offers_, matcher.needs_, matcher.embedding_)
    index = ComplementIndex(max_fit_rows=n + offset).fit(*arguments)
    every_row = ComplementIndex(max_fit_rows=10 * n).fit(*arguments)
    assert index.matrix_.shape == every_row.matrix_.shape and np.isfinite(index.matrix_).all()
    if offset == 0:  # all rows: the projection learned without a sample
        np.testing.assert_array_equal(index.components_, every_row.components_)
    queries = index.complement_queries(matcher.offers_[:5], matcher.needs_[:5])
    values, columns = index.searcher().search(queries, 20)
    exact = queries.astype(np.float64) @ index.matrix_.T.astype(np.float64)
    np.testing.assert_allclose(np.take_along_axis(exact, columns, axis=1), values, atol=1e-5)
    assert np.all(np.diff(values, axis=1) <= 1e-6)


@pytest.mark.parametrize("cached", [3, 4])
def test_fitted_profiles_are_the_same_when_the_cache_is_emptied(cluster_frame, monkeypatch, cached):
    """PROFILE_CACHE_SIZE (100,000; 3 here) profiles are kept built; the next empties the cache."""
    from matcher.profiles import ProfileRows

    matcher = PartnerMatcher().fit(cluster_frame)
    monkeypatch.setattr(PartnerMatcher, "PROFILE_CACHE_SIZE", 3)
    rows = ProfileRows(matcher.frame_)
    for row in range(cached):
        assert matcher._profile_at(row) == rows[row]
    # Three fit; the fourth empties the cache first.
    assert len(matcher.__dict__["_profiles"]) == (3 if cached == 3 else 1)
    assert matcher._profile_at(0) == rows[0]


# ---------------------------------------------------------------------------------------------
# The score model: "auto" learns from 10 positive pairs, the model chosen by the pairs
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("pairs", [9, 10, "auto-50"])
def test_auto_learns_from_10_pairs_and_the_pairs_choose_the_model(auto_models, pairs):
    """Below 10 pairs the default weights; from 10 a learned model, which the inner
    cross-validation chose (the plain logistic one unless another gains on evidence; or, with too few members to cross-validate, the simplest logistic
    model, saying why). (At 2 and 3 pairs, where a named model is refused or learns, see
    tests/engine/test_ranking.py.)"""
    assert PartnerMatcher.AUTO_LEARN_FROM == 10
    matcher = auto_models[pairs]
    assert len(matcher.positive_pairs_) == (50 if pairs == "auto-50" else pairs)
    if pairs == 9:
        assert matcher.model_kind_ == "default" and matcher.selection_ is None
    else:
        record = matcher.selection_
        assert record["chosen"] == matcher.candidate_.to_dict()
        assert matcher.model_kind_ == matcher.candidate_.family
        assert ("reason" in record) == ("candidates" not in record)
        if "candidates" in record:
            chosen = next(c for c in record["candidates"] if c["name"] == matcher.candidate_.name)
            assert (
                chosen["name"] == "logistic"
                or chosen["gain_over_reference"] > EVIDENCE_SE * chosen["gain_se"]
            )
    assert (matcher.forest_ is not None) == (matcher.model_kind_ == "gbt")
    for member in matcher.frame_["member_id"].iloc[:20:4]:
        rows, scores = matcher.rank(member)
        _assert_valid(matcher, member, rows, scores)


@pytest.mark.parametrize("budget_offset, subsampled", [(0, False), (-1, True)])
def test_training_pairs_keep_every_member_up_to_the_budget(auto_models, budget_offset, subsampled):
    """Each of the inner folds may hold ``max_training_pairs // inner_folds`` pairs: at that
    budget every member with a held-out link is kept; one pair less and the largest fold loses
    a member."""
    matcher = copy.copy(auto_models[10])
    pairs, folds = matcher.positive_pairs_, matcher.inner_folds
    n_neg = min(matcher.negatives_per_source, len(matcher.frame_) - 1)
    fold_of = np.random.default_rng(matcher.random_state).integers(0, folds, size=len(pairs))
    sources = [len(np.unique(pairs[fold_of == fold, 0])) for fold in range(folds)]
    budget = max(sources) * (n_neg + 1) + budget_offset
    matcher.max_training_pairs = budget * folds
    y = matcher._training_pairs().y
    # A block per (fold, member): its held-out partners (y = 1) first, then its negatives.
    blocks = int(np.sum((y == 1) & (np.r_[0, y[:-1]] == 0)))
    assert blocks == sum(sources) - (sources.count(max(sources)) if subsampled else 0)
    assert y.sum() >= 3 and len(y) - y.sum() >= 3


@pytest.mark.parametrize("count", [32, 33])
def test_hard_negatives_are_the_same_in_one_block_of_sources_or_two(auto_models, count):
    """Hard negatives are found for blocks of 32 members: 32 and 33 give each its 20 best by
    the view scores."""
    matcher = auto_models[10]
    assert matcher.index_ is None
    sources = np.arange(count)
    pool = matcher._hard_negative_pool(sources, 20, block=32)
    offers, needs = matcher.offers_.astype(np.float64), matcher.needs_.astype(np.float64)
    proxy = needs[sources] @ offers.T + 0.5 * offers[sources] @ needs.T
    best = -np.sort(-proxy, axis=1)[:, :20]
    np.testing.assert_allclose(np.take_along_axis(proxy, pool, axis=1), best, rtol=0, atol=1e-5)


# ---------------------------------------------------------------------------------------------
# Candidates on large data: exhaustive_below allowed rows, few or many excluded, first stage,
# the partners' likeness, the rows scored by the whole forest
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("allowed, searched", [(50, False), (51, True)])
def test_candidates_are_every_allowed_profile_up_to_exhaustive_below(
    retrieval_model, monkeypatch, allowed, searched
):
    """50 allowed profiles (exhaustive_below): all are re-ranked; 51: the candidate stage chooses
    them, and as its first stage adds up to 600 rows it keeps them all: the same ranking."""
    matcher, *_ = retrieval_model
    member = matcher.frame_["member_id"].iloc[30]
    exclude, _ = _exclusion_for(matcher, member, allowed)
    exhaustive = matcher.rank(member, exclude=exclude, exhaustive=True)
    calls = _spy_on_searches(monkeypatch)
    ranked = matcher.rank(member, exclude=exclude)
    assert bool(calls) == searched
    assert len(ranked[0]) == allowed
    _assert_valid(matcher, member, *ranked, excluded=set(exclude))
    _assert_same_top(ranked, exhaustive)


@pytest.mark.parametrize("excluded, masked", [(100, False), (101, True)])
def test_few_excluded_rows_are_dropped_after_the_search_and_more_are_masked_in_it(
    retrieval_model, monkeypatch, excluded, masked
):
    """Up to FEW_EXCLUDED left-out rows (256; 100 here) are dropped from a deeper search, more are
    masked in the search: either way each search yields its best allowed rows."""
    matcher, *_ = retrieval_model
    monkeypatch.setattr(PartnerMatcher, "FEW_EXCLUDED", 100)
    member = matcher.frame_["member_id"].iloc[40]
    n = len(matcher.frame_)
    exclude, mask = _exclusion_for(matcher, member, n - excluded)
    exhaustive = matcher.rank(member, exclude=exclude, exhaustive=True)
    calls = _spy_on_searches(monkeypatch)
    ranked = matcher.rank(member, exclude=exclude)
    assert len(calls) == 1 and (calls[0] is not None) == masked
    _assert_valid(matcher, member, *ranked, excluded=set(exclude))
    _assert_same_top(ranked, exhaustive)
    # The searches alone (no first stage): the complement search's best allowed rows.
    monkeypatch.setattr(matcher, "first_stage_rows_", 0)
    a = matcher.position_[member]
    calls.clear()
    query = matcher._query(member)
    votes = cf_votes(matcher.stats_, matcher.embedding_[a])
    everyone = matcher._allowed(None, "all", None)
    [rows] = matcher._searched(
        [query], [mask.copy()], [everyone], [matcher.stats_.partners(a)], [votes], None
    )
    assert len(calls) == 1 and (calls[0] is not None) == masked
    assert mask[rows].all()
    index = matcher.index_
    query = index.complement_queries(matcher.offers_[a], matcher.needs_[a])[0]
    scores = index.matrix_.astype(np.float64) @ query.astype(np.float64)
    scores[~mask] = -np.inf
    kth = np.sort(scores)[-matcher.n_candidates]
    assert set(np.flatnonzero(scores > kth + 1e-5).tolist()) <= set(rows.tolist())


@pytest.mark.parametrize("limit_offset, masked", [(0, False), (-1, True)])
def test_a_scope_is_honoured_whether_its_rows_are_dropped_or_masked(
    retrieval_model, monkeypatch, limit_offset, masked
):
    """A home member asking for international partners leaves out the home network: with
    FEW_EXCLUDED at that many rows they are dropped after the search, one less and they are
    masked in it. Only international partners either way, ranked as re-ranking all of them."""
    matcher, *_ = retrieval_model
    member = matcher.frame_["member_id"].iloc[5]
    profile = matcher.profile(member)
    assert profile.network == "kharkiv-fashion-cluster"
    a = matcher.position_[member]
    mask = matcher._allowed(profile, "international", None)
    mask[[a, *matcher.stats_.partners(a), *matcher.declined_.get(a, ())]] = False
    monkeypatch.setattr(PartnerMatcher, "FEW_EXCLUDED", int((~mask).sum()) + limit_offset)
    exhaustive = matcher.rank(member, scope="international", exhaustive=True)
    calls = _spy_on_searches(monkeypatch)
    ranked = matcher.rank(member, scope="international")
    assert len(calls) == 1 and (calls[0] is not None) == masked
    _assert_valid(matcher, member, *ranked)
    networks = set(matcher.frame_["network"].to_numpy()[ranked[0]].tolist())
    assert networks and profile.network not in networks
    _assert_same_top(ranked, exhaustive)


@pytest.mark.parametrize("offset", [0, -1])
def test_the_first_stage_adds_every_allowed_row_up_to_its_depth(
    retrieval_model, monkeypatch, offset
):
    """The first stage's depth (``first_stage_rows_``, chosen by the fit) at the number of
    allowed rows: all of them; one less: all but the one with the lowest first-stage score."""
    matcher, *_ = retrieval_model
    a = 50
    partners = matcher.stats_.partners(a)
    allowed = np.ones(len(matcher.frame_), dtype=bool)
    allowed[[a, *partners]] = False
    allowed[::3] = False
    monkeypatch.setattr(matcher, "first_stage_rows_", int(allowed.sum()) + offset)
    votes = cf_votes(matcher.stats_, matcher.embedding_[a])
    stage = matcher.first_stage_
    rows = matcher._first_stage_rows(stage, matcher.arrays_, a, partners, votes, allowed)
    scores = stage.scores(matcher.arrays_, a, partners, votes)
    every = np.flatnonzero(allowed)
    assert set(rows.tolist()) <= set(every.tolist()) and len(rows) == len(every) + offset
    left_out = np.setdiff1d(every, rows)
    # One less: the one left out scores lowest (any of them, on a tie).
    assert len(left_out) == -offset and (not offset or scores[left_out[0]] == scores[every].min())


@pytest.mark.parametrize("n_partners", [10, 11])
def test_the_partners_likeness_search_reads_the_first_ten_partners(
    retrieval_model, monkeypatch, n_partners
):
    """A member with 10 known partners and one with 11: the search for profiles like its
    partners starts from the mean of the first ten."""
    from matcher.engine.retrieval import ComplementIndex

    matcher, ten, eleven = retrieval_model
    member = ten if n_partners == 10 else eleven
    partners = matcher.stats_.partners(matcher.position_[member])
    assert len(partners) == n_partners
    seen = []
    original = ComplementIndex.likeness_queries
    monkeypatch.setattr(
        ComplementIndex,
        "likeness_queries",
        lambda index, embedding: seen.append(np.array(embedding)) or original(index, embedding),
    )
    rows, scores = matcher.rank(member)
    _assert_valid(matcher, member, rows, scores)
    mean = matcher.embedding_[partners[:10]].mean(axis=0)
    np.testing.assert_allclose(seen[-1], mean / np.linalg.norm(mean), atol=1e-6)
    if n_partners == 11:  # the eleventh is not read
        whole = matcher.embedding_[partners].mean(axis=0)
        assert not np.allclose(seen[-1], whole / np.linalg.norm(whole), atol=1e-6)


@pytest.mark.parametrize("n_rows", [150, 151])
def test_the_whole_forest_scores_every_candidate_up_to_fully_scored(auto_models, n_rows):
    """Up to FULLY_SCORED (150) candidates all get the whole score; one more and the forest's
    first trees choose the 150 best (the one left out scores lowest by them)."""
    matcher = auto_models[50]
    assert matcher.forest_prefix_ is not None and matcher.FULLY_SCORED == 150
    a = matcher.position_[matcher.frame_["member_id"].iloc[3]]
    J = np.setdiff1d(np.arange(len(matcher.frame_)), [a])[:n_rows]
    X = matcher._features_for(a, J, matcher.stats_, matcher.arrays_, matcher.embedding_[a])
    chosen = matcher._worth_scoring(X, keep=10)
    assert len(chosen) == 150
    if n_rows == 151:
        prefix = matcher.forest_prefix_.decision(X).sum(axis=1)
        left_out = np.setdiff1d(np.arange(151), chosen)
        assert prefix[left_out[0]] <= prefix[chosen].min()
    member = matcher.frame_["member_id"].iloc[3]
    rows, scores = matcher.rank(member)
    candidates = (
        len(matcher.frame_)
        - 1
        - len(matcher.stats_.partners(a))
        - len(matcher.declined_.get(a, ()))
    )
    assert candidates > 150 and len(rows) == 150
    _assert_valid(matcher, member, rows, scores)


@pytest.mark.parametrize("n_rows", [255, 256])
def test_the_compiled_forest_is_the_same_on_one_core_or_two(auto_models, monkeypatch, n_rows):
    """The trees' walk runs in one range below 2 x 128 rows, in one per core from there."""
    matcher = auto_models[50]
    monkeypatch.setattr(parallel, "CORES", 2)
    a = 7
    J = np.resize(np.setdiff1d(np.arange(len(matcher.frame_)), [a]), n_rows)
    X = matcher._features_for(a, J, matcher.stats_, matcher.arrays_, matcher.embedding_[a])
    np.testing.assert_allclose(
        matcher.forest_.predict_proba(X), matcher.scorer_.predict_proba(X), rtol=0, atol=1e-9
    )


# ---------------------------------------------------------------------------------------------
# Exact top-k: the compiled pass for few queries, the group prefilter, the block size
# ---------------------------------------------------------------------------------------------


def _exact_top(Q: np.ndarray, K: np.ndarray, k: int) -> np.ndarray:
    S = Q.astype(np.float64) @ K.astype(np.float64).T
    return -np.sort(-S, axis=1)[:, :k]


@pytest.mark.parametrize("n_queries, n_keys", [(8, 1000), (9, 1000), (8, 32767), (8, 32768)])
def test_top_k_is_exact_with_the_compiled_pass_and_with_blas(monkeypatch, n_queries, n_keys):
    """Up to TopK.FEW (8) query rows a compiled pass over the keys (split between 2 cores from
    2 x 16,384 keys), from 9 a BLAS product: the same k best."""
    monkeypatch.setattr(parallel, "CORES", 2)
    rng = np.random.default_rng(n_queries + n_keys)
    K = rng.standard_normal((n_keys, 8)).astype(np.float32)
    Q = rng.standard_normal((n_queries, 8)).astype(np.float32)
    values, columns = TopK(K, group=16).search(Q, 25)
    np.testing.assert_allclose(values, _exact_top(Q, K, 25), rtol=0, atol=1e-4)
    exact = Q.astype(np.float64) @ K.astype(np.float64).T
    np.testing.assert_allclose(np.take_along_axis(exact, columns, axis=1), values, atol=1e-4)


@pytest.mark.parametrize("n_keys", [20, 21])
def test_top_k_is_exact_with_and_without_the_group_prefilter(n_keys):
    """k = 5 with groups of 4: 20 keys (5 groups, k x group = the row) are ranked whole; 21
    (6 groups) go through the group maxima."""
    rng = np.random.default_rng(n_keys)
    K = rng.standard_normal((n_keys, 6)).astype(np.float32)
    Q = rng.standard_normal((30, 6)).astype(np.float32)
    exclude = np.zeros(n_keys, dtype=bool)
    exclude[::5] = True
    values, columns = TopK(K, block_rows=7, group=4).search(Q, 5, exclude=exclude)
    S = Q.astype(np.float64) @ K.astype(np.float64).T
    S[:, exclude] = -np.inf
    np.testing.assert_allclose(values, -np.sort(-S, axis=1)[:, :5], rtol=0, atol=1e-5)
    assert not exclude[columns].any()


@pytest.mark.parametrize("n", [160, 161])
def test_top_k_indices_is_exact_with_and_without_the_group_prefilter(n):
    """k = 10: up to 160 values (groups of 4, k x 4 x group >= n) a plain partition; from 161
    the group maxima."""
    values = np.random.default_rng(n).permutation(n).astype(np.float32)
    found = top_k_indices(values, 10)
    assert sorted(found.tolist()) == sorted(np.argsort(-values)[:10].tolist())


@pytest.mark.parametrize("k", [7, 8])
def test_top_k_rows_is_the_same_for_k_at_and_below_the_row_length(k):
    scores = np.random.default_rng(k).standard_normal((4, 8))
    values, columns = top_k_rows(scores, k)
    np.testing.assert_array_equal(values, -np.sort(-scores, axis=1)[:, :k])
    np.testing.assert_array_equal(np.take_along_axis(scores, columns, axis=1), values)


@pytest.mark.parametrize(
    "n_keys, rows", [(131_072, 1024), (131_073, 1023), (2_097_152, 64), (2_097_153, 64)]
)
def test_query_blocks_fit_the_budget_between_64_and_1024_rows(n_keys, rows):
    assert TopK.rows_for_budget(n_keys) == rows


@pytest.mark.parametrize("block_rows", [16, 17])
def test_index_searchers_of_small_and_large_blocks_find_the_same_rows(retrieval_model, block_rows):
    """Blocks of up to 16 rows search with groups of 16, larger ones with groups of 64."""
    matcher, *_ = retrieval_model
    index = matcher.index_
    searcher = index.searcher(block_rows=block_rows)
    assert searcher.group == (16 if block_rows == 16 else 64)
    queries = index.complement_queries(matcher.offers_[:40], matcher.needs_[:40])
    values, columns = searcher.search(queries, 30)
    exact = queries.astype(np.float64) @ index.matrix_.T.astype(np.float64)
    np.testing.assert_allclose(values, -np.sort(-exact, axis=1)[:, :30], rtol=0, atol=1e-5)
    np.testing.assert_allclose(np.take_along_axis(exact, columns, axis=1), values, atol=1e-5)


@pytest.mark.parametrize("n_rows, ranges", [(199, [(0, 199)]), (200, [(0, 100), (100, 200)])])
def test_split_rows_uses_every_core_from_twice_the_minimum(monkeypatch, n_rows, ranges):
    monkeypatch.setattr(parallel, "CORES", 2)
    seen = []
    out = np.zeros(n_rows)

    def fill(start: int, stop: int) -> None:
        seen.append((start, stop))
        out[start:stop] = np.arange(start, stop)

    parallel.split_rows(fill, n_rows, 100)
    assert sorted(seen) == ranges
    np.testing.assert_array_equal(out, np.arange(n_rows))


# ---------------------------------------------------------------------------------------------
# Text: the word-by-word TF-IDF, its chunks, the sample it learns on, the latent space
# ---------------------------------------------------------------------------------------------


def _documents(count: int) -> pd.DataFrame:
    words = ["трикотаж", "knitwear", "пошиття", "sewing", "логістика", "fabric", "дизайн"]
    texts = [
        f"{words[i % 7]} {words[(3 * i) % 7]}ого партія{i} batch{i % 11}" for i in range(count)
    ]
    return pd.DataFrame({"text": pd.Series(texts, dtype=object)})


@pytest.mark.parametrize("count, word_product", [(39, False), (40, True)])
def test_tfidf_is_the_vectorizers_below_and_from_the_word_product_size(
    monkeypatch, count, word_product
):
    from matcher.engine.features import TextEncoder

    monkeypatch.setattr(TextEncoder, "WORD_PRODUCT_FROM", 40)
    documents = _documents(count)
    encoder = TextEncoder(ngram_range=(3, 4)).fit(documents)
    used = []
    original = TextEncoder._word_parts
    monkeypatch.setattr(
        TextEncoder,
        "_word_parts",
        lambda self, docs: used.append(len(docs)) or original(self, docs),
    )
    got = encoder.transform(documents)
    assert bool(used) == word_product
    expected = encoder.vectorizer_.transform(documents["text"].tolist())
    np.testing.assert_allclose(got.toarray(), expected.toarray(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("count, chunk", [(40, 40), (41, 40)])
def test_reduced_tfidf_is_the_same_in_one_chunk_or_two(monkeypatch, count, chunk):
    from matcher.engine.features import TextEncoder

    monkeypatch.setattr(TextEncoder, "WORD_PRODUCT_FROM", 40)
    documents = _documents(count)
    encoder = TextEncoder(ngram_range=(3, 4)).fit(documents)
    width = len(encoder.vectorizer_.vocabulary_)
    projection = np.random.default_rng(0).standard_normal((width, 5))
    reduced = encoder.transform_reduced(
        documents, lambda m: m @ projection, chunk=chunk, dtype=np.float32
    )
    expected = encoder.vectorizer_.transform(documents["text"].tolist()) @ projection
    assert reduced.dtype == np.float32
    np.testing.assert_allclose(reduced, expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize("count, sampled", [(40, False), (41, True)])
def test_the_vocabulary_is_learned_on_every_document_up_to_max_fit_documents(count, sampled):
    from matcher.engine.features import TextEncoder

    documents = _documents(count)
    encoder = TextEncoder(ngram_range=(3, 4), max_fit_documents=40).fit(documents)
    every = TextEncoder(ngram_range=(3, 4), max_fit_documents=None).fit(documents)
    vocabulary, whole = set(encoder.vectorizer_.vocabulary_), set(every.vectorizer_.vocabulary_)
    assert vocabulary <= whole
    if not sampled:
        assert vocabulary == whole
        np.testing.assert_array_equal(encoder.vectorizer_.idf_, every.vectorizer_.idf_)
    rows = encoder.transform(documents)
    assert rows.shape == (count, len(vocabulary))
    np.testing.assert_allclose(sp.linalg.norm(rows, axis=1), 1, atol=1e-9)


@pytest.mark.parametrize("limit_offset, sampled", [(0, False), (-1, True)])
def test_the_latent_text_space_is_learned_on_every_document_up_to_the_encoders_limit(
    cluster_frame, monkeypatch, limit_offset, sampled
):
    """PairSpace learns its LSA on at most the text encoder's max_fit_documents documents (two
    per profile: offers and needs)."""
    from matcher.engine import pairs
    from matcher.engine.features import TextEncoder

    reference = pairs.PairSpace(cluster_frame)
    limit = 2 * len(cluster_frame) + limit_offset
    original = TextEncoder.__init__

    def with_limit(
        self,
        ngram_range=(3, 5),
        min_df=1,
        max_features=50000,
        sublinear_tf=True,
        max_fit_documents=limit,
        random_state=0,
    ):
        original(
            self, ngram_range, min_df, max_features, sublinear_tf, max_fit_documents, random_state
        )

    monkeypatch.setattr(TextEncoder, "__init__", with_limit)
    space = pairs.PairSpace(cluster_frame)
    assert space.text_encoder.max_fit_documents == limit
    texts = ["Виробляємо трикотажні вироби", "Доставка вантажів", ""]
    vectors = space.text_vectors(texts)
    assert vectors.shape == (3, space.text_svd.n_components) and np.isfinite(vectors).all()
    np.testing.assert_allclose(np.linalg.norm(vectors[:2], axis=1), 1, atol=1e-5)
    if not sampled:
        np.testing.assert_allclose(vectors, reference.text_vectors(texts), atol=1e-6)


@pytest.mark.parametrize("profiles, latent", [(1, False), (2, True)])
def test_text_vectors_without_and_with_a_latent_space(cluster_frame, profiles, latent):
    """One profile gives two documents, too few for a latent space of 2 dimensions: its text
    vectors are the normalised TF-IDF; from two profiles, their LSA."""
    from matcher.engine.pairs import PairSpace

    space = PairSpace(cluster_frame.iloc[:profiles])
    assert (space.text_svd is not None) == latent
    vectors = space.text_vectors(["дизайн трикотажу", ""])
    assert vectors.shape[0] == 2 and np.isfinite(vectors).all()
    assert np.linalg.norm(vectors[0]) == pytest.approx(1, abs=1e-5)


# ---------------------------------------------------------------------------------------------
# Outputs and commands: Excel's rows, the closest-id hint, train's cross-validation
# ---------------------------------------------------------------------------------------------


def _shortlists() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "member_id": ["a", "a", "b"],
            "rank": [1, 2, 1],
            "partner_id": ["x", "y", "x"],
            "partner_name": ["X", "Y", "X"],
            "score": [0.5, 0.4, 0.3],
            "reasons": ["r", "r", "r"],
            "member_name": ["A", "A", "B"],
        }
    )


@pytest.mark.parametrize("limit, written", [(7, True), (6, False)])
def test_an_excel_sheet_takes_shortlists_up_to_its_rows(tmp_path, monkeypatch, limit, written):
    """3 suggestions of 2 members take 3 + 2 x 2 = 7 rows (a heading and the column names per
    member)."""
    from matcher.batch import outputs as batch
    from matcher.errors import InputError

    monkeypatch.setattr(batch, "EXCEL_MAX_ROWS", limit)
    path = tmp_path / "s.xlsx"
    if written:
        batch.write_table(_shortlists(), path)
        from openpyxl import load_workbook

        assert load_workbook(path, read_only=True).sheetnames == ["a", "b"]
    else:
        with pytest.raises(InputError, match="take 7 rows, more than an Excel sheet's 6"):
            batch.write_table(_shortlists(), path)
        assert not path.exists()


@pytest.mark.parametrize("limit, refused", [(33, False), (32, True)])
def test_batch_refuses_an_xlsx_out_too_long_before_it_runs(
    cluster_files, tmp_path, monkeypatch, limit, refused
):
    """11 members with --k 1 need at most 11 x (1 + 2) = 33 rows."""
    from matcher.batch import outputs as batch
    from matcher.cli import main

    profiles, _ = cluster_files
    monkeypatch.setattr(batch, "EXCEL_MAX_ROWS", limit)
    out = tmp_path / "out.xlsx"
    result = CliRunner().invoke(
        main,
        [
            "batch",
            "--members",
            str(profiles),
            "--candidates",
            str(profiles),
            "--k",
            "1",
            "--jobs",
            "1",
            "--out",
            str(out),
        ],
    )
    if refused:
        assert result.exit_code == 2
        assert "11 members x 1 suggestions do not fit in an Excel sheet" in result.stderr
        assert not out.exists()
    else:
        assert result.exit_code == 0, result.output
        assert out.exists()


@pytest.mark.parametrize("limit, hint", [(11, True), (10, False)])
def test_an_unknown_member_gets_the_closest_id_up_to_a_size(
    cluster_files, monkeypatch, limit, hint
):
    from matcher.cli import commands as cli

    profiles, _ = cluster_files
    monkeypatch.setattr(cli, "CLOSEST_ID_UP_TO", limit)
    result = CliRunner().invoke(
        cli.main, ["recommend", "--profiles", str(profiles), "--member", "desiger"]
    )
    assert result.exit_code == 2
    assert "'desiger' is not among the 11 profiles" in result.stderr
    assert ("did you mean 'designer'?" in result.stderr) == hint


@pytest.mark.parametrize("from_links, evaluated", [(2, True), (3, False)])
def test_train_cross_validates_from_a_number_of_positive_links(
    cluster_files, tmp_path, monkeypatch, from_links, evaluated
):
    """The hand-built links hold 2 positive ones; CROSS_VALIDATE_FROM (10) is set to 2 and 3."""
    import json

    import matcher.engine.evaluation
    from matcher.cli import commands as cli

    profiles, links = cluster_files
    monkeypatch.setattr(cli, "CROSS_VALIDATE_FROM", from_links)
    evaluate = matcher.engine.evaluation.evaluate
    monkeypatch.setattr(
        "matcher.engine.evaluation.evaluate",
        lambda *args, **kwargs: evaluate(*args, **kwargs, methods=["popularity"]),
    )
    models = tmp_path / "models"
    result = CliRunner().invoke(
        cli.main,
        [
            "train",
            "--profiles",
            str(profiles),
            "--links",
            str(links),
            "--eval-folds",
            "2",
            "--name",
            "t",
            "--models-dir",
            str(models),
        ],
    )
    assert result.exit_code == 0, result.output
    assert ("cross-validating on 2 positive links" in result.stderr) == evaluated
    manifest = json.loads((models / "t" / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["evaluation"] is not None) == evaluated


# ---------------------------------------------------------------------------------------------
# Evaluation's query samples
# ---------------------------------------------------------------------------------------------


_EVALUATION_LINKS = [
    Link("designer", "knit-factory"),
    Link("designer", "yarn-supplier"),
    Link("knit-factory", "yarn-supplier"),
    Link("sewing-factory", "fabric-mill"),
    Link("pl-distributor", "pl-knit-factory"),
    Link("text-only", "yarn-supplier"),
    Link("rival-designer", "pl-knit-factory"),
    Link("logistics", "photo"),
    Link("photo", "designer"),
    Link("fabric-mill", "pl-distributor"),
]


@pytest.mark.parametrize("offset", [0, -1])
def test_evaluation_reads_every_query_up_to_max_queries(cluster_frame, offset):
    from matcher.engine.evaluation import evaluate

    frame, links = cluster_frame, _EVALUATION_LINKS
    lines: list[str] = []
    evaluate(frame, links, k=5, folds=2, methods=["popularity"], progress=lines.append)
    counts = [int(re.search(r": (\d+) queries", line).group(1)) for line in lines]
    limit = max(counts) + offset
    sampled: list[str] = []
    result = evaluate(
        frame,
        links,
        k=5,
        folds=2,
        methods=["popularity"],
        max_queries=limit,
        progress=sampled.append,
    )
    assert [int(re.search(r": (\d+) queries", line).group(1)) for line in sampled] == [
        min(count, limit) for count in counts
    ]
    assert result["queries"] == sum(min(count, limit) for count in counts)


@pytest.mark.parametrize("max_queries", [5, 4])
def test_retrieval_recall_reads_every_member_up_to_max_queries(retrieval_model, max_queries):
    from matcher.engine.evaluation import retrieval_recall

    matcher, *_ = retrieval_model
    members = list(matcher.frame_["member_id"].iloc[:5])
    result = retrieval_recall(matcher, members, k=5, max_queries=max_queries)
    assert result["queries"] == max_queries
    assert 0 <= result["recall@k"] <= 1


# ---------------------------------------------------------------------------------------------
# Messages that list problems up to a number, and the generator's chunks
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [200, 201])
def test_a_profile_file_lists_up_to_200_problems(count):
    from matcher.profiles import Problem, ProfileValidationError

    error = ProfileValidationError(
        [Problem(i + 2, "name", "", "name is required") for i in range(count)], source="p.csv"
    )
    lines = str(error).splitlines()
    assert lines[0] == f"p.csv: {count} problems, nothing was loaded"
    assert len(lines) == 1 + 200 + (count > 200)
    assert lines[200] == "  row 201, column 'name': name is required"
    assert (lines[-1] == "  ... and 1 more problems") == (count > 200)
    assert len(error.problems) == count


@pytest.mark.parametrize("count", [100, 101])
def test_a_session_lists_up_to_100_problems(count):
    from matcher.sessions.model import SessionProblem, SessionValidationError

    error = SessionValidationError(
        [
            SessionProblem(f"participants.m{i}.max_meetings", -1, "expected a number >= 0")
            for i in range(count)
        ]
    )
    lines = str(error).splitlines()
    assert lines[0] == f"session: {count} problems"
    assert len(lines) == 1 + 100 + (count > 100)
    assert (lines[-1] == "  ... and 1 more problems") == (count > 100)


@pytest.mark.parametrize("count", [50, 51])
def test_a_refused_change_lists_up_to_50_conflicts(count):
    from matcher.sessions.model import AgendaConflictError, Conflict

    error = AgendaConflictError(
        [Conflict("double_booking", f"m{i} has two meetings in slot 1") for i in range(count)],
        action="publishing",
    )
    lines = str(error).splitlines()
    assert lines[0] == f"publishing was refused: {count} conflicts"
    assert len(lines) == 1 + 50 + (count > 50)
    assert (lines[-1] == "  ... and 1 more conflicts") == (count > 50)


@pytest.mark.parametrize("chunk", [30, 29])
def test_generated_profiles_are_valid_in_one_chunk_or_two(monkeypatch, chunk):
    from matcher.datasets import generator as datasets

    monkeypatch.setattr(datasets, "_CHUNK", chunk)
    raw = datasets.generate_profiles(30, seed=4)
    frame = validate_profiles(raw, source="generated")
    assert len(frame) == 30 and frame["member_id"].is_unique
    assert frame["name"].map(bool).all() and frame["country"].map(bool).all()


def test_the_switch_values_are_the_documented_ones():
    """The values the tests above patch, as the docstrings, BENCHMARKS.md and the help texts give
    them."""
    from matcher.batch import outputs as batch
    from matcher.cli import batch as batch_cli
    from matcher.cli import commands as cli
    from matcher.datasets import generator as datasets
    from matcher.engine.features import TextEncoder
    from matcher.engine.retrieval import ComplementIndex

    assert (
        PartnerMatcher().exhaustive_below,
        PartnerMatcher.FIRST_STAGE_ROWS,
        PartnerMatcher.FULLY_SCORED,
        PartnerMatcher.FEW_EXCLUDED,
    ) == (5000, 600, 150, 256)
    assert (PartnerMatcher.AUTO_LEARN_FROM, PartnerMatcher.MIN_LEARNING_PAIRS) == (10, 3)
    assert (
        PartnerMatcher.BLOCK_ROWS,
        PartnerMatcher.EMBEDDING_FIT_ROWS,
        PartnerMatcher.PROFILE_CACHE_SIZE,
    ) == (65536, 50_000, 100_000)
    assert (ComplementIndex.BLOCK_ROWS, ComplementIndex().max_fit_rows) == (65536, 50_000)
    assert (TextEncoder.WORD_PRODUCT_FROM, TextEncoder().max_fit_documents) == (2000, 20000)
    assert TopK.FEW == 8 and TopK(np.zeros((1, 1))).group == 64
    assert (batch.EXCEL_MAX_ROWS, batch._SHEETS_PER_MEMBER_UP_TO) == (1_048_575, 200)
    assert batch_cli.AUTO_JOBS_UP_TO == 200_000
    assert (cli.CROSS_VALIDATE_FROM, cli.CLOSEST_ID_UP_TO) == (10, 50_000)
    assert datasets._CHUNK == 200_000


def test_the_fit_chooses_the_first_stage_depth_on_large_data(retrieval_model):
    """Above ``exhaustive_below`` the fit measures each depth against a deep first stage and
    keeps the smallest that holds the target (else the deepest); its first stage then adds that
    many rows. Without a candidate stage there is nothing to choose."""
    matcher, ten, _ = retrieval_model
    record = matcher.candidate_stage_
    assert (
        PartnerMatcher.FIRST_STAGE_CHOICES == (300, 600, 1200)
        and PartnerMatcher.CANDIDATE_TARGET == 0.95
    )
    shares = {int(depth): share for depth, share in record["shares"].items()}
    assert list(shares) == list(PartnerMatcher.FIRST_STAGE_CHOICES)
    holding = [depth for depth, share in shares.items() if share >= 0.95]
    assert (
        record["first_stage_rows"] == matcher.first_stage_rows_ == (holding[0] if holding else 1200)
    )
    assert 0 < record["queries"] <= PartnerMatcher.BUDGET_QUERIES
    a = matcher.position_[ten]
    allowed = np.ones(len(matcher.frame_), dtype=bool)
    rows = matcher._first_stage_rows(
        matcher.first_stage_, matcher.arrays_, a, matcher.stats_.partners(a), None, allowed
    )
    assert len(rows) == min(matcher.first_stage_rows_, len(matcher.frame_))
    small = PartnerMatcher(model="default").fit(matcher.frame_.iloc[:40])
    assert small.index_ is None and small.candidate_stage_ is None
    assert small.first_stage_rows_ == PartnerMatcher.FIRST_STAGE_ROWS
