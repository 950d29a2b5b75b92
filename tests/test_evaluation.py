import pytest

from matcher.evaluation import evaluate, ranking_metrics, retrieval_recall
from matcher.profiles import Link
from matcher.ranking import PartnerMatcher
import numpy as np


def test_ranking_metrics_by_hand():
    recall, ndcg, mrr = ranking_metrics(np.array([5, 3, 9, 1]), {3, 1}, k=2)
    assert recall == 0.5
    assert mrr == 0.5
    assert ndcg == pytest.approx((1 / np.log2(3)) / (1 + 1 / np.log2(3)))


def test_evaluate_shape_and_that_complementarity_beats_random(cluster_frame):
    links = [Link("designer", "knit-factory"), Link("text-only", "yarn-supplier"),
             Link("knit-factory", "yarn-supplier"), Link("sewing-factory", "fabric-mill"),
             Link("pl-distributor", "pl-knit-factory"), Link("rival-designer", "pl-knit-factory")]
    result = evaluate(cluster_frame, links, k=3, folds=2, seed=1)
    assert set(result["methods"]) == {"matcher", "random", "popularity", "similarity", "rule"}
    assert set(result["methods"]["matcher"]) == {"recall@3", "ndcg@3", "mrr", "coverage"}
    assert result["queries"] > 0 and result["links"] == 6
    assert result["methods"]["matcher"]["mrr"] > result["methods"]["random"]["mrr"]


def test_evaluate_rejects_bad_arguments(cluster_frame, cluster_links):
    with pytest.raises(ValueError, match="folds"):
        evaluate(cluster_frame, cluster_links, folds=1)
    with pytest.raises(ValueError, match="Unknown methods"):
        evaluate(cluster_frame, cluster_links, methods=["magic"])


def test_retrieval_recall_is_one_when_candidates_cover_everything(cluster_frame, cluster_links):
    matcher = PartnerMatcher().fit(cluster_frame, cluster_links)
    result = retrieval_recall(matcher, ["designer", "text-only"], k=3, n_candidates=20)
    assert result["recall@k"] == 1.0 and result["queries"] == 2
