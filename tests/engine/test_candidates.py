"""The candidate stage on large data: the first stage (its columns are the pair features, its
fast score their weighted sum), the forest's first trees, and the compiled products it uses."""

import numpy as np
import pytest

from matcher.datasets.generator import generate_links, generate_profiles
from matcher.engine.firststage import FIRST_STAGE_FEATURES
from matcher.engine.pairs import PAIR_FEATURES, cf_votes
from matcher.engine.ranking import PartnerMatcher
from matcher.profiles import validate_links, validate_profiles


@pytest.fixture(scope="module")
def fitted():
    raw = generate_profiles(6000, seed=3)
    frame = validate_profiles(raw, source="generated")
    links = validate_links(
        generate_links(raw, seed=3), frame["member_id"], source="generated-links"
    )
    # The model the inner cross-validation chooses on these links, named: not chosen again.
    return PartnerMatcher(model="gbt-shallow", random_state=0).fit(frame, links)


def _members(matcher, count=12):
    rng = np.random.default_rng(0)
    rows = rng.choice(len(matcher.frame_), count, replace=False).tolist()
    # Members with known partners, and without.
    return rows + [int(matcher.stats_.linked[0])]


def test_columns_equal_pair_features(fitted):
    m = fitted
    stage = m.first_stage_
    every = np.arange(len(m.frame_))
    for a in _members(m):
        partners = m.stats_.partners(a)
        votes = cf_votes(m.stats_, m.embedding_[a])
        X = m._features_for(a, every, m.stats_, m.arrays_, m.embedding_[a], votes=votes)
        for name, values in stage.columns(m.arrays_, a, partners, votes):
            expected = X[:, PAIR_FEATURES.index(name)]
            np.testing.assert_allclose(
                np.broadcast_to(values, expected.shape),
                expected,
                rtol=1e-5,
                atol=1e-6,
                err_msg=name,
            )


def test_fast_score_is_the_weighted_sum_of_the_columns(fitted):
    m = fitted
    for stage in (m.first_stage_, m.first_stage_.restricted(np.arange(0, len(m.frame_), 3))):
        assert np.count_nonzero(stage.weights_) == len(FIRST_STAGE_FEATURES)
        for a in _members(m):
            partners = m.stats_.partners(a)
            votes = cf_votes(m.stats_, m.embedding_[a])
            expected = sum(
                w * np.asarray(v, dtype=np.float64)
                for w, (_, v) in zip(stage.weights_, stage.columns(m.arrays_, a, partners, votes))
            )
            np.testing.assert_allclose(
                stage.scores(m.arrays_, a, partners, votes), expected, rtol=1e-4, atol=1e-4
            )


def test_first_stage_survives_pickling(fitted):
    import pickle

    stage = pickle.loads(pickle.dumps(fitted.first_stage_))
    a = 5
    votes = cf_votes(fitted.stats_, fitted.embedding_[a])
    np.testing.assert_array_equal(
        stage.scores(fitted.arrays_, a, fitted.stats_.partners(a), votes),
        fitted.first_stage_.scores(fitted.arrays_, a, fitted.stats_.partners(a), votes),
    )


def test_candidates_include_the_first_stage_best(fitted):
    """Above exhaustive_below the candidates hold the first stage's best allowed rows."""
    m = fitted
    assert m.index_ is not None
    a = int(m.stats_.linked[5])
    mask = np.ones(len(m.frame_), dtype=bool)
    mask[a] = False
    mask[m.stats_.partners(a)] = False
    query = m._query(m.frame_["member_id"].iat[a])
    votes = cf_votes(m.stats_, m.embedding_[a])
    everyone = np.ones(len(mask), dtype=bool)
    [rows] = m._searched([query], [mask.copy()], [everyone], [m.stats_.partners(a)], [votes], None)
    scores = m.first_stage_.scores(
        m.arrays_, a, m.stats_.partners(a), cf_votes(m.stats_, m.embedding_[a])
    )
    scores[~mask] = -np.inf
    best = np.argsort(-scores)[:50]
    assert set(best.tolist()) <= set(rows.tolist())
    assert not set(m.stats_.partners(a).tolist()) & set(rows.tolist())


@pytest.mark.parametrize("n, k", [(10, 3), (1000, 1000), (5000, 7), (100_003, 400), (70_000, 21)])
def test_top_k_indices_is_exact(n, k):
    from matcher.engine.topk import top_k_indices

    values = np.random.default_rng(n).random(n).astype(np.float32)
    values[::7] = -np.inf
    found = top_k_indices(values, k)
    assert len(found) == len(set(found.tolist())) == k
    np.testing.assert_array_equal(np.sort(values[found]), np.sort(values)[-k:])


def test_large_data_scores_the_best_candidates_by_the_first_trees(fitted):
    """rank() on large data returns the FULLY_SCORED candidates the forest's first trees
    prefer, scored by the whole forest; recommend() asks for at least k."""
    m = fitted
    assert m.forest_prefix_ is not None and len(m.forest_prefix_.roots) < len(m.forest_.roots)
    member = m.frame_["member_id"].iat[int(m.stats_.linked[7])]
    rows, scores = m.rank(member)
    assert len(rows) == m.FULLY_SCORED
    assert np.all(np.diff(scores) <= 1e-12)
    assert len(m.recommend(member, k=m.FULLY_SCORED + 20)) == m.FULLY_SCORED + 20


def test_row_dots_equal_sparse_products():
    import scipy.sparse as sp

    from matcher.engine.pairs import _row_dots

    rng = np.random.default_rng(0)
    matrix = sp.random(300, 500, density=0.05, format="csr", random_state=1)
    query = sp.random(4, 500, density=0.1, format="csr", random_state=2)
    J = rng.choice(300, 120, replace=False)
    for a in range(4):
        np.testing.assert_allclose(
            _row_dots(matrix, J, query, a), (matrix[J] @ query[a].T).toarray().ravel()
        )
