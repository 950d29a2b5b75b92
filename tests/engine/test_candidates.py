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


def _search_calls(monkeypatch) -> list:
    """Every search of the candidate index, as the number of query rows."""
    from matcher.engine.retrieval import ComplementIndex

    calls: list = []
    original = ComplementIndex.searcher

    def spied(index, block_rows=256):
        searcher = original(index, block_rows)
        search = searcher.search
        searcher.search = lambda queries, *args, **kw: (
            calls.append(len(queries)) or search(queries, *args, **kw)
        )
        return searcher

    monkeypatch.setattr(ComplementIndex, "searcher", spied)
    return calls


def test_the_fit_chooses_the_candidate_stage_and_records_both(fitted):
    """The fit measures the distilled first stage alone and the one learned from links with
    the vector searches, and keeps the first that holds the target at some depth (else the
    one keeping more at the deepest); the record (in the manifest) says which, and why."""
    m = fitted
    record = m.candidate_stage_
    measured = {
        name: {int(depth): share for depth, share in shares.items()}
        for name, shares in record["measured"].items()
    }
    assert list(measured) == ["distilled, alone", "links, with the vector searches"]
    holds = [
        name
        for name, shares in measured.items()
        if any(share >= m.CANDIDATE_TARGET for share in shares.values())
    ]
    deepest = m.FIRST_STAGE_CHOICES[-1]
    expected = holds[0] if holds else max(measured, key=lambda name: measured[name][deepest])
    assert record["first_stage"] == expected
    assert m.vector_searches_ == record["vector_searches"] == (expected != "distilled, alone")
    shares = measured[expected]
    assert record["shares"] == {str(depth): share for depth, share in shares.items()}
    holding = [depth for depth, share in shares.items() if share >= m.CANDIDATE_TARGET]
    assert m.first_stage_rows_ == record["first_stage_rows"] == (holding or [deepest])[0]


@pytest.mark.parametrize("vector_searches", [False, True])
def test_the_vector_searches_are_run_only_when_set(fitted, monkeypatch, vector_searches):
    """Without the vector searches the candidates are the first stage's best allowed rows and
    the index is never read; with them (``vector_searches_ = True``, the exact path kept for
    models that need it and for models saved before) the searches add their best rows. Either
    way the ranking is valid and its top re-ranks the candidates it found."""
    m = fitted
    monkeypatch.setattr(m, "vector_searches_", vector_searches)
    calls = _search_calls(monkeypatch)
    a = int(m.stats_.linked[3])
    member = m.frame_["member_id"].iat[a]
    partners = m.stats_.partners(a)
    mask = np.ones(len(m.frame_), dtype=bool)
    mask[[a, *partners]] = False
    votes = cf_votes(m.stats_, m.embedding_[a])
    [rows] = m._searched([m._query(member)], [mask.copy()], [mask], [partners], [votes], None)
    stage_rows = m._first_stage_rows(m.first_stage_, m.arrays_, a, partners, votes, mask)
    assert (len(calls) == 1) == vector_searches
    assert set(stage_rows.tolist()) <= set(rows.tolist())
    assert (len(rows) > len(stage_rows)) == vector_searches
    ranked, scores = m.rank(member)
    assert set(ranked.tolist()) <= set(rows.tolist())
    assert not set(ranked.tolist()) & {a, *partners.tolist()}
    assert np.all(np.diff(scores) <= 1e-12)


def test_a_saved_model_keeps_its_candidate_stage(fitted, tmp_path, monkeypatch):
    """Saved and loaded: the same choice, first-stage weights and suggestions; a model saved
    before the choice existed (no ``vector_searches_``) runs the vector searches."""
    from matcher.engine.artifacts import load_model, save_model

    m = fitted
    save_model(m, "stage", models_dir=tmp_path)
    loaded, manifest = load_model("stage", models_dir=tmp_path)
    assert manifest["candidate_stage"]["vector_searches"] == m.vector_searches_
    assert loaded.vector_searches_ == m.vector_searches_
    np.testing.assert_array_equal(loaded.first_stage_.weights_, m.first_stage_.weights_)
    member = m.frame_["member_id"].iat[int(m.stats_.linked[9])]
    assert loaded.rank(member)[0].tolist() == m.rank(member)[0].tolist()
    monkeypatch.delattr(m, "vector_searches_")
    calls = _search_calls(monkeypatch)
    m.rank(member)
    assert len(calls) == 1


def test_distilling_learns_which_rows_are_best():
    """The distilled weights rank the rows marked best above the others, and a sample of one
    kind of row is refused."""
    from matcher.engine.firststage import FirstStage

    rng = np.random.default_rng(0)
    columns = rng.random((2000, len(FIRST_STAGE_FEATURES))).astype(np.float32)
    best = columns[:, 0] + 0.5 * columns[:, 9] > 1.1
    stage = FirstStage.__new__(FirstStage)
    stage.distil(columns, best)
    assert stage.weights_[0] > 0 and stage.weights_[9] > 0
    scores = columns @ stage.weights_
    assert scores[best].mean() > scores[~best].mean()
    with pytest.raises(ValueError, match="both kinds"):
        stage.distil(columns, np.ones(len(columns), dtype=bool))


def test_the_column_matrix_gives_the_fast_score(fitted):
    m = fitted
    stage = m.first_stage_
    a = int(m.stats_.linked[2])
    partners = m.stats_.partners(a)
    votes = cf_votes(m.stats_, m.embedding_[a])
    positions = np.arange(0, len(m.frame_), 7)
    matrix = stage.column_matrix(m.arrays_, a, partners, votes, positions)
    assert matrix.shape == (len(positions), len(FIRST_STAGE_FEATURES))
    np.testing.assert_allclose(
        matrix.astype(np.float64) @ stage.weights_,
        stage.scores(m.arrays_, a, partners, votes)[positions],
        rtol=1e-4,
        atol=1e-4,
    )


def test_votes_from_int8_codes_are_the_float32_votes(fitted, monkeypatch):
    """Above QUANTIZED_VOTES_FROM linked members a recommendation's votes read int8 codes
    (issue 18): the same voters, the same votes, the same suggestions."""
    from matcher.engine.quantized import QuantizedKeys

    m = fitted
    queries = [m._query(m.frame_["member_id"].iat[a]) for a in _members(m)]
    plain = m._votes(queries)
    ranked = [m.recommend(q.profile.member_id, k=10) for q in queries[:3]]
    monkeypatch.setattr(m.stats_, "quantized", QuantizedKeys(m.stats_.linked_embedding))
    for before, after in zip(plain, m._votes(queries)):
        np.testing.assert_array_equal(before[0], after[0])
        np.testing.assert_array_equal(before[1], after[1])
    assert [m.recommend(q.profile.member_id, k=10) for q in queries[:3]] == ranked


def test_the_first_stage_pass_masks_and_splits_without_changing_a_score(fitted, monkeypatch):
    m = fitted
    stage = m.first_stage_
    a = int(m.stats_.linked[3])
    partners = m.stats_.partners(a)
    votes = cf_votes(m.stats_, m.embedding_[a])
    whole = stage.scores(m.arrays_, a, partners, votes)
    allowed = np.random.default_rng(0).random(len(whole)) < 0.5
    masked = stage.scores(m.arrays_, a, partners, votes, allowed)
    np.testing.assert_array_equal(masked[allowed], whole[allowed])
    assert np.isneginf(masked[~allowed]).all()
    # In ranges on every core (from SPLIT_ROWS rows each): the same numbers.
    monkeypatch.setattr(type(stage), "SPLIT_ROWS", 1000)
    np.testing.assert_array_equal(stage.scores(m.arrays_, a, partners, votes), whole)
    with pytest.raises(ValueError, match="allowed has 3 rows"):
        stage.scores(m.arrays_, a, partners, votes, np.ones(3, dtype=bool))
