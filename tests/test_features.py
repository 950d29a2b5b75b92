import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.utils.estimator_checks import parametrize_with_checks

from matcher.features import CountryEncoder, MultiHotEncoder, OfferNeedEncoder, TextEncoder


@parametrize_with_checks([MultiHotEncoder(), CountryEncoder(), TextEncoder()])
def test_sklearn_estimator_contract(estimator, check):
    check(estimator)


def test_multi_hot_fits_in_a_column_transformer_and_weighs_rare_tags_more():
    frame = pd.DataFrame({"offers": [["sewing"], ["sewing", "3d_design"], ["sewing"], "sewing;cutting"]})
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
