import re

import numpy as np
import pytest

from matcher.engine.pairs import PAIR_FEATURES
from matcher.engine.ranking import PartnerMatcher
from matcher.errors import InputError, UnknownMemberError
from matcher.profiles import Link, Profile


@pytest.fixture
def matcher(cluster_frame, cluster_links):
    return PartnerMatcher().fit(cluster_frame, cluster_links)


def ids(suggestions):
    return [s.partner_id for s in suggestions]


def test_designer_seeking_knitwear_production_gets_the_knitwear_factory_first(matcher):
    assert ids(matcher.recommend("designer", k=3))[0] == "knit-factory"


def test_same_market_competitor_is_not_in_the_top_three(matcher):
    assert "rival-designer" not in ids(matcher.recommend("designer", k=3))


def test_competitor_penalty_applies_to_same_role_same_products_same_markets(matcher):
    features = matcher._features_for(
        matcher.position_["designer"],
        np.array([matcher.position_["rival-designer"], matcher.position_["knit-factory"]]),
        matcher.stats_,
        matcher.arrays_,
        matcher.embedding_[matcher.position_["designer"]],
    )
    competitor = features[:, PAIR_FEATURES.index("competitor")]
    assert competitor[0] > 0.3 and competitor[1] == 0


def test_profile_with_only_a_ukrainian_description_gets_sensible_partners(matcher):
    top = ids(matcher.recommend("text-only", k=2))
    assert top[0] == "yarn-supplier"


def test_reciprocity_prefers_partners_who_also_gain(matcher):
    # Both factories make knitwear; the one that also seeks the designer's fashion design and
    # sells in its target market ranks first, and the score says so in both directions.
    a, b = matcher.score("designer", "knit-factory"), matcher.score("designer", "logistics")
    assert a > b
    assert matcher.score("knit-factory", "designer") > matcher.score("knit-factory", "logistics")


def test_partner_whose_needs_are_unknown_is_not_zeroed_out(cluster_frame, cluster_links):
    matcher = PartnerMatcher().fit(cluster_frame, cluster_links)
    row = matcher.position_
    features = matcher._features_for(
        row["sewing-factory"],
        np.array([row["logistics"]]),
        matcher.stats_,
        matcher.arrays_,
        matcher.embedding_[row["sewing-factory"]],
    )[0]
    assert features[PAIR_FEATURES.index("needs_known_b")] == 0


def test_never_the_member_itself_a_known_partner_or_a_declined_one(matcher):
    everyone = ids(matcher.recommend("designer", k=50))
    assert "designer" not in everyone
    assert "photo" not in everyone  # declined
    assert "fabric-mill" not in ids(matcher.recommend("sewing-factory", k=50))  # known supplier
    assert "sewing-factory" not in ids(matcher.recommend("fabric-mill", k=50))  # either direction


@pytest.mark.parametrize(
    "scope, allowed",
    [
        ("cluster", {"kharkiv-fashion-cluster"}),
        ("international", {"polish-fashion-cluster"}),
        ("all", {"kharkiv-fashion-cluster", "polish-fashion-cluster"}),
    ],
)
def test_scope(matcher, scope, allowed):
    networks = {s.network for s in matcher.recommend("designer", k=50, scope=scope)}
    assert networks == allowed


def test_filters(matcher):
    assert {s.country for s in matcher.recommend("designer", k=50, filters={"country": "pl"})} == {
        "PL"
    }
    assert ids(matcher.recommend("designer", k=50, filters={"certification": "gots"})) == [
        "pl-knit-factory"
    ]
    assert {
        s.partner_id
        for s in matcher.recommend("designer", k=50, filters={"org_type": ["supplier"]})
    } == {"yarn-supplier"}
    with pytest.raises(InputError, match="'colour' is not a filter; allowed: country"):
        matcher.recommend("designer", filters={"colour": "red"})
    # Every filter value is checked, with the closest allowed value (regression: "Poland" as a
    # country matched nobody and returned an empty list).
    with pytest.raises(
        InputError, match="'Poland' is not an ISO 3166-1 alpha-2 country code; did you mean 'PL'"
    ):
        matcher.recommend("designer", filters={"country": "Poland"})
    with pytest.raises(InputError, match="org_type"):
        matcher.recommend("designer", filters={"org_type": "spaceship"})
    with pytest.raises(InputError, match="scope"):
        matcher.recommend("designer", scope="galaxy")


def test_reasons_in_words_and_as_data(matcher):
    top = matcher.recommend("designer", k=1)[0]
    assert top.reasons[0] == "Offers what you seek: Knitwear production"
    assert "Seeks what you offer: Fashion design / collections" in top.reasons
    assert "Present in markets you target: Poland" in top.reasons
    assert top.details["covers_your_needs"] == ["knitwear_production"]
    assert top.details["opens_markets"] == ["PL"]
    assert top.details["gradation"]["org_type"] == "manufacturer"
    assert set(top.details["features"]) == set(PAIR_FEATURES)
    payload = top.to_dict()
    assert set(payload) == {
        "partner_id",
        "name",
        "network",
        "country",
        "score",
        "reasons",
        "details",
    }
    assert 0 <= payload["score"] <= 1


def test_main_risk_names_the_minimum_order(matcher):
    polish = next(
        s for s in matcher.recommend("designer", k=10) if s.partner_id == "pl-knit-factory"
    )
    assert "Main risk: minimum order 500 above your volume 300" in polish.reasons
    assert polish.details["risk"]["kind"] == "moq"


def test_reasons_in_ukrainian(matcher):
    top = matcher.recommend("designer", k=1, language="uk")[0]
    assert top.reasons[0] == "Пропонує те, що ви шукаєте: Виробництво трикотажних виробів"


def test_a_prospective_member_that_is_not_stored(matcher):
    prospect = Profile.parse(
        {
            "id": "new",
            "name": "Нова марка",
            "network": "kharkiv-fashion-cluster",
            "country": "UA",
            "org_type": "designer_brand",
            "seeks": "yarn_supply",
        }
    )
    assert ids(matcher.recommend(prospect, k=1)) == ["yarn-supplier"]


def test_unknown_member_is_a_clear_error(matcher):
    with pytest.raises(KeyError, match="Member 'ghost' doesn't exist"):
        matcher.recommend("ghost")


@pytest.mark.parametrize(
    "ask",
    [
        lambda m: m.recommend("ghost"),
        lambda m: m.rank("ghost"),
        lambda m: m.score("ghost", "designer"),
        lambda m: m.score("designer", "ghost"),
        lambda m: m.profile("ghost"),
        lambda m: m.known_partners("ghost"),
    ],
)
def test_an_unknown_member_is_input_the_user_can_fix_and_still_a_key_error(matcher, ask):
    with pytest.raises(UnknownMemberError) as caught:
        ask(matcher)
    assert isinstance(caught.value, InputError) and isinstance(caught.value, KeyError)
    # The message alone, not quoted as KeyError quotes a missing key.
    assert str(caught.value) == "Member 'ghost' doesn't exist in the fitted profiles."
    assert caught.value.member_ids == ("ghost",)


def test_bad_parameters_are_named(cluster_frame):
    with pytest.raises(ValueError, match="Got model='magic'"):
        PartnerMatcher(model="magic").fit(cluster_frame)
    with pytest.raises(ValueError, match="Got k=0"):
        PartnerMatcher().fit(cluster_frame).recommend("designer", k=0)


@pytest.mark.parametrize(
    "parameters, named",
    [
        ({"model": "magic"}, "model='magic'"),
        ({"n_candidates": 0}, "n_candidates=0"),
        ({"exhaustive_below": -1}, "exhaustive_below=-1"),
        ({"negatives_per_source": 2.5}, "negatives_per_source=2.5"),
        ({"max_training_pairs": True}, "max_training_pairs=True"),
        ({"inner_folds": 1}, "inner_folds=1"),
        ({"language": "fr"}, "language='fr'"),
    ],
)
def test_constructor_parameters_out_of_range_are_input_errors(cluster_frame, parameters, named):
    with pytest.raises(InputError, match=re.escape(f"Got {named}, expected")):
        PartnerMatcher(**parameters).fit(cluster_frame)


@pytest.mark.parametrize(
    "call, named",
    [
        (lambda m: m.recommend("designer", k=0), "k=0"),
        (lambda m: m.recommend("designer", k=2.0), "k=2.0"),
        (lambda m: m.recommend("designer", scope="galaxy"), "scope='galaxy'"),
        (lambda m: m.rank("designer", scope="galaxy"), "scope='galaxy'"),
        (lambda m: m.recommend("designer", language="fr"), "language='fr'"),
    ],
)
def test_query_options_out_of_range_are_input_errors(matcher, call, named):
    with pytest.raises(InputError, match=re.escape(f"Got {named}, expected")):
        call(matcher)


def test_links_naming_unknown_ids_are_input_errors_naming_them(cluster_frame):
    links = [Link("nobody", "designer"), Link("designer", "ghost", "declined")]
    with pytest.raises(UnknownMemberError, match="'ghost', 'nobody'") as caught:
        PartnerMatcher().fit(cluster_frame, links)
    assert caught.value.member_ids == ("ghost", "nobody")


_CHAIN = [
    Link("knit-factory", "yarn-supplier"),
    Link("sewing-factory", "fabric-mill", "supplier"),
    Link("designer", "knit-factory", "deal"),
    Link("pl-distributor", "pl-knit-factory"),
]


@pytest.mark.parametrize("model", ["gbt", "logistic"])
@pytest.mark.parametrize(
    "links, pairs",
    [
        ([], 0),
        ([Link("designer", "photo", "declined"), Link("designer", "logistics", "meeting")], 0),
        (_CHAIN[:1] * 3, 1),  # one pair, given three times
        (_CHAIN[:2], 2),  # scikit-learn's calibration refused two (a ValueError of its own)
    ],
)
def test_a_learned_model_without_enough_positive_links_is_refused_before_encoding(
    cluster_frame, model, links, pairs
):
    matcher = PartnerMatcher(model=model)
    with pytest.raises(
        InputError,
        match=re.escape(
            f"model={model!r} learns the score from known positive links (partner, supplier or "
            f"deal) and needs at least 3 distinct pairs; got {pairs}."
        ),
    ):
        matcher.fit(cluster_frame, links)
    assert not hasattr(matcher, "encoder_")  # refused before the profiles were encoded


@pytest.mark.parametrize("model", ["gbt", "logistic"])
def test_a_learned_model_learns_from_three_positive_pairs(cluster_frame, model):
    from threadpoolctl import threadpool_limits

    # One OpenMP thread: the trees' predictions on a few pairs only wait for a busy sibling.
    with threadpool_limits(1):
        matcher = PartnerMatcher(model=model).fit(cluster_frame, _CHAIN[:3])
    assert matcher.model_kind_ == model
    scores = [s.score for s in matcher.recommend("pl-distributor", k=5)]
    assert all(0 <= s <= 1 for s in scores) and scores == sorted(scores, reverse=True)


def test_training_pairs_with_too_few_non_partners_are_refused(cluster_frame):
    # Three profiles, each the partner of the two others: nobody is left to learn "no" from.
    trio = cluster_frame.loc[["designer", "knit-factory", "yarn-supplier"]]
    links = [Link(a, b) for a in trio.index for b in trio.index if a != b]
    with pytest.raises(InputError, match="found 6 known partners and 0 other profiles"):
        PartnerMatcher(model="logistic").fit(trio, links)


def test_scores_are_calibrated_probabilities_when_learned_from_links(cluster_frame):
    # A chain of links where every manufacturer works with a supplier: enough to learn from.
    links = [
        Link("knit-factory", "yarn-supplier"),
        Link("sewing-factory", "fabric-mill"),
        Link("designer", "knit-factory"),
        Link("pl-distributor", "pl-knit-factory"),
        Link("rival-designer", "pl-knit-factory"),
        Link("text-only", "yarn-supplier"),
        Link("designer", "photo"),
        Link("pl-knit-factory", "yarn-supplier"),
        Link("sewing-factory", "logistics"),
        Link("knit-factory", "logistics"),
    ]
    matcher = PartnerMatcher(model="logistic").fit(cluster_frame, links)
    assert matcher.model_kind_ == "logistic"
    scores = [s.score for s in matcher.recommend("pl-distributor", k=5)]
    assert all(0 <= s <= 1 for s in scores) and scores == sorted(scores, reverse=True)


def test_retrieval_stage_on_large_data_returns_a_subset(cluster_frame, cluster_links):
    matcher = PartnerMatcher(exhaustive_below=1, n_candidates=2).fit(cluster_frame, cluster_links)
    rows, _ = matcher.rank("designer")
    assert 0 < len(rows) < len(cluster_frame) - 1
    assert matcher.recommend("designer", k=1)[0].partner_id == "knit-factory"


def test_compiled_forest_reproduces_the_calibrated_model():
    from matcher.datasets.generator import generate_cluster
    from matcher.profiles import validate_links, validate_profiles

    raw, raw_links = generate_cluster(n_home=30, n_international=400, seed=5)
    frame = validate_profiles(raw, source="g")
    links = validate_links(raw_links, frame["member_id"], source="l")
    matcher = PartnerMatcher(model="gbt").fit(frame, links)
    assert matcher.forest_ is not None
    a = matcher.position_[frame["member_id"].iat[0]]
    J = np.arange(len(frame))
    X = matcher._features_for(a, J, matcher.stats_, matcher.arrays_, matcher.embedding_[a])
    X[::7, 5] = np.nan  # missing values take the side the trees learned
    np.testing.assert_allclose(
        matcher.forest_.predict_proba(X), matcher.scorer_.predict_proba(X), atol=1e-12
    )


def test_tag_rows_and_codes_are_those_of_each_profile_alone():
    import pandas as pd

    from matcher.engine.pairs import _binary, _city_key, _codes

    vocabulary = {"a": 0, "b": 1, "c": 2}
    lists = [("a", "b"), ["b", "a"], (), ("x", "c"), ("a", "b"), ["c"]]
    expected = np.zeros((len(lists), 3), dtype=np.uint8)
    for i, tags in enumerate(lists):
        for tag in tags:
            if tag in vocabulary:
                expected[i, vocabulary[tag]] = 1
    got = _binary(lists, vocabulary)
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got, expected)
    assert _binary([], vocabulary).shape == (0, 3)
    cities = {"kharkiv": 0, "lodz": 1}
    values = ["Kharkiv", "", "Paris", "kharkiv", "LODZ", "Kharkiv"]
    assert _codes(values, cities, key=_city_key).tolist() == [0, -1, -1, 0, 1, 0]
    series = pd.Series(["UA", "PL", None, "UA"], dtype="str")
    assert _codes(series, {"UA": 3, "PL": 1}).tolist() == [3, 1, -1, 3]


def test_views_are_built_in_blocks_as_one_product(cluster_frame, cluster_links):
    import scipy.sparse as sp
    from sklearn.preprocessing import normalize

    matcher = PartnerMatcher().fit(cluster_frame, cluster_links)
    n = 70_000  # more than one block of rows
    rng = np.random.default_rng(0)
    tags = sp.random(n, 12, density=0.2, format="csr", random_state=0)
    arrays = type("Arrays", (), {})()
    arrays.text_offer = rng.standard_normal((n, 5)).astype(np.float32)
    arrays.text_need = rng.standard_normal((n, 5)).astype(np.float32)
    offers, needs = matcher._views(tags, tags[::-1], arrays, np.float16)
    assert offers.dtype == needs.dtype == np.float16
    for got, tag, text in (
        (offers, tags, arrays.text_offer),
        (needs, tags[::-1], arrays.text_need),
    ):
        whole = normalize(np.hstack([tag.toarray().astype(np.float32), 0.5 * text]))
        np.testing.assert_array_equal(got, whole.astype(np.float16))


def test_links_are_read_by_member_row(cluster_frame):
    links = [
        Link("designer", "knit-factory", "partner"),
        Link("knit-factory", "designer", "deal"),
        Link("designer", "knit-factory", "supplier"),
        Link("designer", "photo", "declined"),
        Link("designer", "logistics", "meeting"),
        Link("designer", "photo", "declined"),
    ]
    matcher = PartnerMatcher(model="default").fit(cluster_frame, links)
    row = matcher.position_
    assert matcher.positive_pairs_.dtype == np.int64
    assert matcher.positive_pairs_.tolist() == sorted(
        [[row["designer"], row["knit-factory"]], [row["knit-factory"], row["designer"]]]
    )
    assert matcher.declined_ == {row["designer"]: {row["photo"]}}
    assert matcher._link_rows([Link("designer", "nobody", "partner")]).tolist() == [
        [row["designer"], -1]
    ]
    with pytest.raises(ValueError, match="nobody"):
        PartnerMatcher().fit(cluster_frame, [Link("nobody", "designer", "partner")])


def test_the_three_scoring_models_are_those_fitted_one_after_the_other():
    from sklearn.calibration import CalibratedClassifierCV

    from matcher.engine.model_selection import MODEL_CANDIDATES, build_learner

    rng = np.random.default_rng(0)
    X = rng.standard_normal((3000, len(PAIR_FEATURES))).astype(np.float32)
    y = (X[:, 0] + 0.5 * X[:, 3] + rng.standard_normal(3000) > 1.5).astype(int)
    matcher = PartnerMatcher()
    for candidate in MODEL_CANDIDATES:
        threaded = matcher._fit_scorer(candidate, X, y)
        one_by_one = CalibratedClassifierCV(build_learner(candidate), method="sigmoid", cv=3).fit(
            X, y
        )
        np.testing.assert_array_equal(threaded.predict_proba(X), one_by_one.predict_proba(X))


def test_auto_keeps_the_default_weights_when_the_pairs_cannot_be_split():
    """Every linked member already everyone's partner: no non-partner to learn against. "auto"
    (the CLI's and the service's choice) scores with the default weights instead of refusing;
    a learned model asked for by name is still refused, naming the counts."""
    import pandas as pd

    from matcher.profiles import Link, validate_profiles

    rows = [
        {
            "id": f"m{i}",
            "name": f"M{i}",
            "network": "kharkiv-fashion-cluster",
            "country": "UA",
            "org_type": "manufacturer",
            "offers": "sewing",
            "seeks": "knitwear_production",
        }
        for i in range(4)
    ]
    frame = validate_profiles(pd.DataFrame(rows))
    links = [Link(f"m{i}", f"m{j}", "partner", None) for i in range(4) for j in range(4) if i != j]
    model = PartnerMatcher(random_state=0).fit(frame, links)
    assert model.model_kind_ == "default"
    assert model.recommend("m0") == []  # everyone is already a partner
    with pytest.raises(InputError, match="found 12 known partners and 0 other profiles"):
        PartnerMatcher(model="logistic", random_state=0).fit(frame, links)


def test_role_affinity_and_partner_evidence_by_hand():
    """role_affinity: log-odds against independence of (member's org_type, capability its partner
    offers) over both ends of every link, smoothed by one; partner_evidence: resemblance to the
    known partners times k / (k + 3)."""
    from matcher.datasets.generator import generate_cluster
    from matcher.engine.pairs import PARTNER_EVIDENCE_PRIOR
    from matcher.profiles import validate_links, validate_profiles

    raw, raw_links = generate_cluster(n_home=20, n_international=200, seed=4)
    frame = validate_profiles(raw, source="g")
    links = validate_links(raw_links, frame["member_id"], source="l")
    matcher = PartnerMatcher(model="default").fit(frame, links)
    stats, arrays, pairs = matcher.stats_, matcher.arrays_, matcher.positive_pairs_
    counts = np.zeros(stats.role_affinity.shape)
    for a, b in np.r_[pairs, pairs[:, ::-1]]:
        if arrays.org_type[a] >= 0:
            counts[arrays.org_type[a]] += arrays.cap_offer[b]
    expected = np.outer(counts.sum(axis=1), counts.sum(axis=0)) / counts.sum()
    np.testing.assert_allclose(
        stats.role_affinity, np.log((counts + 1) / (expected + 1)), rtol=1e-5
    )
    a = int(np.flatnonzero(stats.degree >= 2)[0])
    J = np.arange(len(frame))
    X = matcher._features_for(a, J, stats, arrays, matcher.embedding_[a])
    column = {name: X[:, PAIR_FEATURES.index(name)] for name in PAIR_FEATURES}
    k = len(stats.partners(a))
    np.testing.assert_allclose(
        column["partner_evidence"],
        column["partner_similarity"] * k / (k + PARTNER_EVIDENCE_PRIOR),
        rtol=1e-6,
    )
    assert np.all(column["degree_a"] == np.float32(np.log1p(k)))
    offered = arrays.cap_offer.sum(axis=1)
    by_hand = np.where(
        offered > 0,
        arrays.cap_offer @ stats.role_affinity[arrays.org_type[a]] / np.maximum(offered, 1),
        0.0,
    )
    np.testing.assert_allclose(column["role_affinity"], by_hand, rtol=1e-5, atol=1e-6)


def test_refit_score_equals_a_fresh_fit_with_that_model_and_leaves_the_matcher_as_it_was():
    """The evaluation's ``linear`` row is the matcher's own fit with a plain logistic score:
    refitting the score alone must give what a fit with ``model="logistic"`` gives."""
    from matcher.datasets.generator import generate_links, generate_profiles
    from matcher.profiles import validate_links, validate_profiles

    raw = generate_profiles(300, seed=5)
    frame = validate_profiles(raw, source="generated")
    links = validate_links(
        generate_links(raw, seed=5), frame["member_id"], source="generated-links"
    )
    fitted = PartnerMatcher(random_state=0, model="gbt").fit(frame, links)
    members = frame["member_id"].tolist()[:25]
    before = {m: [(s.partner_id, s.score) for s in fitted.recommend(m, k=10)] for m in members}

    refitted = fitted.refit_score("logistic")
    fresh = PartnerMatcher(random_state=0, model="logistic").fit(frame, links)
    assert refitted.model_kind_ == "logistic" and fitted.model_kind_ == "gbt"
    for member in members:
        assert [(s.partner_id, s.score) for s in refitted.recommend(member, k=10)] == [
            (s.partner_id, s.score) for s in fresh.recommend(member, k=10)
        ]
        assert [(s.partner_id, s.score) for s in fitted.recommend(member, k=10)] == before[member]
    assert fitted.refit_score("default").model_kind_ == "default"
    with pytest.raises(InputError, match="model='tree'"):
        fitted.refit_score("tree")


def test_with_links_equals_a_fresh_fit_on_those_links_and_leaves_the_matcher_as_it_was():
    """The evaluation's folds learn their links on the first fold's encoding: the result must
    be what a fresh fit on the fold's links gives, model choice included."""
    from matcher.datasets.generator import generate_links, generate_profiles
    from matcher.profiles import validate_links, validate_profiles

    raw = generate_profiles(300, seed=6)
    frame = validate_profiles(raw, source="generated")
    links = validate_links(
        generate_links(raw, seed=6), frame["member_id"], source="generated-links"
    )
    fold = links[::2]
    fitted = PartnerMatcher(random_state=0).fit(frame, links)
    members = frame["member_id"].tolist()[:25]
    before = {m: [(s.partner_id, s.score) for s in fitted.recommend(m, k=10)] for m in members}

    relearned = fitted.with_links(fold)
    fresh = PartnerMatcher(random_state=0).fit(frame, fold)
    assert relearned.selection_ == {**fresh.selection_, "seconds": relearned.selection_["seconds"]}
    assert len(relearned.positive_pairs_) < len(fitted.positive_pairs_)
    for member in members:
        assert [(s.partner_id, s.score) for s in relearned.recommend(member, k=10)] == [
            (s.partner_id, s.score) for s in fresh.recommend(member, k=10)
        ]
        assert [(s.partner_id, s.score) for s in fitted.recommend(member, k=10)] == before[member]
    # Too few links for a learned model: the default weights, as a fit would give.
    assert fitted.with_links(links[:3]).model_kind_ == "default"
    with pytest.raises(UnknownMemberError, match="nobody"):
        fitted.with_links([Link("nobody", members[0], "partner")])


def test_recommend_many_gives_each_member_what_recommend_gives_it(matcher, cluster_frame):
    """One ranking: a block of members (fitted ones and a prospect) gets, member by member,
    the partners, scores and reasons of one recommend() each, whatever the block holds."""
    prospect = Profile.parse(
        {
            "id": "new",
            "name": "Нова марка",
            "network": "kharkiv-fashion-cluster",
            "country": "UA",
            "org_type": "designer_brand",
            "seeks": "yarn_supply",
        }
    )
    members = [*cluster_frame["member_id"], prospect]
    for scope in ("all", "cluster", "international"):
        block = matcher.recommend_many(members, k=4, scope=scope, language="uk")
        assert len(block) == len(members)
        for member, got in zip(members, block):
            expected = matcher.recommend(member, k=4, scope=scope, language="uk")
            assert ids(got) == ids(expected)
            assert [s.score for s in got] == pytest.approx([s.score for s in expected], abs=1e-6)
            assert [s.reasons for s in got] == [s.reasons for s in expected]
    assert matcher.recommend_many([], k=3) == []


def test_recommend_many_ranks_against_the_candidates_only(matcher, cluster_frame):
    candidates = ["knit-factory", "pl-knit-factory", "yarn-supplier"]
    prepared = matcher.candidate_set(candidates)
    by_ids = matcher.recommend_many(["designer", "sewing-factory"], k=10, candidates=candidates)
    again = matcher.recommend_many(["designer", "sewing-factory"], k=10, candidates=prepared)
    assert [ids(s) for s in by_ids] == [ids(s) for s in again]
    for member, got in zip(["designer", "sewing-factory"], by_ids):
        assert set(ids(got)) <= set(candidates) - {member, *matcher.known_partners(member)}
        # The candidates' order is the order recommend gives them among everyone.
        everyone = [
            p for p in ids(matcher.recommend(member, k=len(cluster_frame))) if p in candidates
        ]
        assert ids(got) == everyone
    with pytest.raises(
        UnknownMemberError, match="1 candidates not among the fitted profiles: 'nobody'"
    ):
        matcher.recommend_many(["designer"], candidates=["knit-factory", "nobody"])
    with pytest.raises(InputError, match="Got k=0"):
        matcher.recommend_many(["designer"], k=0)
