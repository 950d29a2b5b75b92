import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.utils.estimator_checks import parametrize_with_checks

from matcher.engine.features import CountryEncoder, MultiHotEncoder, OfferNeedEncoder, TextEncoder


@parametrize_with_checks([MultiHotEncoder(), CountryEncoder(), TextEncoder()])
def test_sklearn_estimator_contract(estimator, check):
    check(estimator)


def test_multi_hot_fits_in_a_column_transformer_and_weighs_rare_tags_more():
    frame = pd.DataFrame(
        {"offers": [["sewing"], ["sewing", "3d_design"], ["sewing"], "sewing;cutting"]}
    )
    ct = ColumnTransformer([("caps", MultiHotEncoder(norm=None), ["offers"])], sparse_threshold=0)
    X = ct.fit_transform(frame)
    names = list(ct.get_feature_names_out())
    assert names == ["caps__offers=3d_design", "caps__offers=cutting", "caps__offers=sewing"]
    assert X[1, 0] > X[1, 2]  # 3d_design (rare) outweighs sewing (everywhere)


def test_multi_hot_ignores_unseen_tags():
    encoder = MultiHotEncoder().fit([[["a"]], [["b"]]])
    assert encoder.transform([[["c"]]]).nnz == 0


def test_country_encoder_grades_neighbours():
    encoder = CountryEncoder().fit([["UA"], ["PL"], ["US"]])
    X = encoder.transform([["UA"], ["PL"], ["US"]]).toarray()
    assert X[0] @ X[1] > X[0] @ X[2] == 0


def test_text_encoder_keeps_ukrainian_letters():
    encoder = TextEncoder(ngram_range=(1, 1)).fit(pd.DataFrame({"t": ["йод їжак"]}))
    grams = {name.removeprefix("text=") for name in encoder.get_feature_names_out()}
    assert {"й", "ї"} <= grams and "и" not in grams


def test_offer_and_need_views_are_aligned(cluster_frame):
    encoder = OfferNeedEncoder().fit(cluster_frame)
    offers, needs = encoder.transform_views(cluster_frame)
    assert offers.shape == needs.shape
    rows = {member_id: i for i, member_id in enumerate(cluster_frame.index)}
    # The designer needs what the knitwear factory offers: a positive dot product,
    # higher than with the sewing factory.
    designer_need = needs[rows["designer"]]
    knit = (designer_need @ offers[rows["knit-factory"]].T).toarray()[0, 0]
    sewing = (designer_need @ offers[rows["sewing-factory"]].T).toarray()[0, 0]
    assert knit > sewing
    names = encoder.get_feature_names_out()
    assert len(names) == 2 * offers.shape[1]
    assert any(n.startswith("need__capabilities") for n in names)


def test_tag_encoders_encode_a_row_among_many_as_alone():
    # Distinct cells are encoded once and spread over their rows: every row must come out as
    # it does when encoded on its own, whatever the cells are (lists, tuples, separated
    # strings, scalars, missing values).
    cells = [
        ("sewing", "cutting"),
        ["sewing", "cutting"],
        "sewing;3d_design",
        ("sewing", "cutting"),
        None,
        float("nan"),
        (),
        "knitting",
        1,
        1.0,
        ("3d_design",),
        ["knitting"],
        "sewing;3d_design",
    ]
    for encoder in (
        MultiHotEncoder(),
        MultiHotEncoder(weighting="binary", norm=None),
        CountryEncoder(),
    ):
        X = (
            [[cell] for cell in cells]
            if not isinstance(encoder, CountryEncoder)
            else [[cell] for cell in ["UA", "PL;DE", ("US", "UA"), None, ["PL"], "UA", "CA"]]
        )
        fitted = encoder.fit(X)
        whole = fitted.transform(X).toarray()
        alone = np.vstack([fitted.transform([row]).toarray() for row in X])
        np.testing.assert_array_equal(whole, alone)
        np.testing.assert_array_equal(encoder.fit_transform(X).toarray(), whole)


def test_fit_transform_views_is_fit_then_transform_views(cluster_frame):
    for text in (True, False):
        offers, needs = OfferNeedEncoder(text=text).fit_transform_views(cluster_frame)
        expected = OfferNeedEncoder(text=text).fit(cluster_frame).transform_views(cluster_frame)
        for got, want in zip((offers, needs), expected):
            assert got.shape == want.shape
            np.testing.assert_array_equal(got.toarray(), want.toarray())


def test_text_encoder_encodes_recurring_documents_once_with_the_same_rows():
    rng = np.random.default_rng(0)
    words = ["трикотаж", "пошив", "тканини", "knitwear", "yarn", "пряжа", "фурнітура", "dyeing"]
    distinct = [" ".join(rng.choice(words, size=rng.integers(1, 6))) for _ in range(400)]
    documents = [distinct[i] for i in rng.integers(0, len(distinct), size=3000)]
    frame = pd.DataFrame({"text": documents})
    encoder = TextEncoder(ngram_range=(3, 5)).fit(frame)
    matrix = encoder.transform(frame)
    assert matrix.shape[0] == len(documents)
    np.testing.assert_allclose(
        matrix.toarray(), encoder.vectorizer_.transform(documents).toarray(), atol=1e-12
    )
    first = {}
    for i, doc in enumerate(documents):
        j = first.setdefault(doc, i)
        np.testing.assert_array_equal(matrix[i].toarray(), matrix[j].toarray())
    components = rng.standard_normal((matrix.shape[1], 7))
    reduced = encoder.transform_reduced(frame, lambda m: m @ components, chunk=64, dtype=np.float32)
    assert reduced.dtype == np.float32
    np.testing.assert_array_equal(reduced, np.asarray(matrix @ components).astype(np.float32))


@pytest.mark.parametrize(
    "emptied",
    [
        ["markets_present", "markets_target"],
        ["description"],
        ["markets_present", "markets_target", "products", "description"],
    ],
)
def test_a_block_nobody_fills_encodes_nothing_and_the_model_still_fits(emptied):
    """Real factory disclosures name no markets and often carry no description: every optional
    column may be empty in every row (regression: normalize refused the zero-column block)."""
    from matcher.datasets.generator import generate_cluster
    from matcher.engine.ranking import PartnerMatcher
    from matcher.profiles import validate_profiles

    raw, _ = generate_cluster(n_home=30, n_international=60, seed=1)
    tagged = raw["offers"].astype(str).str.strip().ne("") | raw["seeks"].astype(str).str.strip().ne(
        ""
    )
    raw = raw[tagged].reset_index(drop=True)
    for column in emptied:
        raw[column] = ""
    frame = validate_profiles(raw, source="emptied")
    encoder = OfferNeedEncoder()
    offers, needs = encoder.fit_transform_views(frame)
    dropped = {"markets_present": "markets", "description": "text", "products": "products"}
    for column in emptied:
        if column in dropped:
            block = encoder.block_slices_[dropped[column]]
            assert block.stop == block.start, (column, block)
    assert offers.shape == needs.shape == (len(frame), len(encoder.get_view_feature_names()))
    model = PartnerMatcher(random_state=0).fit(frame)
    member = frame["member_id"].iloc[0]
    suggestions = model.recommend(member, k=5)
    assert 0 < len(suggestions) <= 5 and member not in {s.partner_id for s in suggestions}
    assert all(s.reasons and 0 <= s.score <= 1 for s in suggestions)
