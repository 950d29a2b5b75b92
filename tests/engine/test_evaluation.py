import numpy as np
import pytest

from matcher.engine.evaluation import evaluate, metrics_at, ranking_metrics, retrieval_recall
from matcher.engine.ranking import PartnerMatcher
from matcher.profiles import Link


def test_ranking_metrics_by_hand():
    recall, ndcg, mrr = ranking_metrics(np.array([5, 3, 9, 1]), {3, 1}, k=2)
    assert recall == 0.5
    assert mrr == 0.5
    assert ndcg == pytest.approx((1 / np.log2(3)) / (1 + 1 / np.log2(3)))


def test_evaluate_shape_and_that_complementarity_beats_random(cluster_frame):
    links = [
        Link("designer", "knit-factory"),
        Link("text-only", "yarn-supplier"),
        Link("knit-factory", "yarn-supplier"),
        Link("sewing-factory", "fabric-mill"),
        Link("pl-distributor", "pl-knit-factory"),
        Link("rival-designer", "pl-knit-factory"),
    ]
    result = evaluate(cluster_frame, links, k=3, folds=2, seed=1)
    assert set(result["methods"]) == {
        "matcher",
        "linear",
        "random",
        "popularity",
        "similarity",
        "rule",
    }
    assert set(result["methods"]["matcher"]) == {"recall@3", "ndcg@3", "mrr", "coverage"}
    assert result["queries"] > 0 and result["links"] == 6
    # Two training links per fold at most: too few to learn from, the default weights.
    assert result["matcher_models"] == [
        {"fold": 0, "model": "default", "dropped_features": []},
        {"fold": 1, "model": "default", "dropped_features": []},
    ]
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


_LINKS = [
    Link("designer", "knit-factory"),
    Link("text-only", "yarn-supplier"),
    Link("knit-factory", "yarn-supplier"),
    Link("sewing-factory", "fabric-mill"),
    Link("pl-distributor", "pl-knit-factory"),
    Link("rival-designer", "pl-knit-factory"),
]


def test_metrics_at_every_cutoff_equal_ranking_metrics():
    ranked = np.array([5, 3, 9, 1, 7, 2])
    relevant = {3, 1, 2}
    ks = np.array([1, 2, 4, 6, 10])
    found = metrics_at(ranked, relevant, ks)
    assert found.shape == (2, 5)
    for column, k in enumerate(ks):
        recall, ndcg, _ = ranking_metrics(ranked, relevant, int(k))
        assert found[0, column] == pytest.approx(recall)
        assert found[1, column] == pytest.approx(ndcg)
    assert found[0].tolist() == [0.0, 1 / 3, 2 / 3, 1.0, 1.0]


def test_evaluate_by_k_reads_every_cutoff_from_the_same_lists(cluster_frame):
    plain = evaluate(cluster_frame, _LINKS, k=3, folds=2, seed=1)
    curves = evaluate(cluster_frame, _LINKS, k=3, folds=2, seed=1, ks=[5, 1, 3, 3])
    # The default output is unchanged, and the curves come in addition.
    assert "by_k" not in plain and "max_queries" not in plain
    assert curves["methods"] == plain["methods"]
    assert set(curves["by_k"]) == set(plain["methods"])
    for name, figures in plain["methods"].items():
        by_k = curves["by_k"][name]
        assert by_k["k"] == [1, 3, 5]
        assert by_k["recall"][1] == pytest.approx(figures["recall@3"], abs=1e-4)
        assert by_k["ndcg"][1] == pytest.approx(figures["ndcg@3"], abs=1e-4)
        assert by_k["recall"] == sorted(by_k["recall"])  # recall never falls as k grows
        assert all(0 <= value <= 1 for value in by_k["recall"] + by_k["ndcg"])


def test_evaluate_max_queries_limits_each_fold(cluster_frame):
    everything = evaluate(cluster_frame, _LINKS, k=3, folds=2, seed=1, methods=["rule"])
    limited = evaluate(cluster_frame, _LINKS, k=3, folds=2, seed=1, methods=["rule"], max_queries=1)
    assert everything["queries"] > 2 and limited["queries"] == 2
    assert limited["max_queries"] == 1


@pytest.mark.parametrize("ks", [[], [0, 5], [2.5], ["10"], [True]])
def test_evaluate_rejects_bad_cutoffs(cluster_frame, ks):
    with pytest.raises(ValueError, match="ks="):
        evaluate(cluster_frame, _LINKS, k=3, folds=2, ks=ks)


def test_evaluate_rejects_bad_max_queries(cluster_frame):
    with pytest.raises(ValueError, match="max_queries"):
        evaluate(cluster_frame, _LINKS, k=3, folds=2, max_queries=0)


def test_rule_baseline_puts_who_offers_the_needs_first(cluster_frame):
    from matcher.engine.evaluation import _baseline_views, _fit_baselines

    rule = _fit_baselines(_baseline_views(cluster_frame), np.zeros((0, 2), dtype=np.int64), seed=0)[
        "rule"
    ]
    rows = {member_id: i for i, member_id in enumerate(cluster_frame["member_id"])}
    candidates = np.array([rows["fabric-mill"], rows["yarn-supplier"], rows["knit-factory"]])
    ordered = rule.order(rows["designer"], candidates)
    # The knitwear factory offers what the designer seeks and is in its country; the yarn
    # supplier is only in its country; the mill abroad neither.
    assert list(ordered) == [rows["knit-factory"], rows["yarn-supplier"], rows["fabric-mill"]]


def test_the_linear_baseline_is_a_plain_logistic_model_and_a_shortfall_is_reported(cluster_frame):
    links = [
        Link("designer", "knit-factory"),
        Link("text-only", "yarn-supplier"),
        Link("knit-factory", "yarn-supplier"),
        Link("sewing-factory", "fabric-mill"),
        Link("pl-distributor", "pl-knit-factory"),
        Link("rival-designer", "pl-knit-factory"),
    ]
    logistic = evaluate(
        cluster_frame,
        links,
        k=3,
        folds=2,
        seed=1,
        methods=["matcher"],
        matcher_params={"model": "logistic"},
    )
    both = evaluate(
        cluster_frame,
        links,
        k=3,
        folds=2,
        seed=1,
        methods=["matcher", "linear"],
        matcher_params={"model": "default"},
    )
    # "linear" is the matcher with a plain logistic score, whatever the matcher's own model.
    assert both["methods"]["linear"] == logistic["methods"]["matcher"]
    below = [
        m
        for m in ("recall@3", "ndcg@3")
        if both["methods"]["matcher"][m] < both["methods"]["linear"][m]
    ]
    assert [w.split("'s ")[1].split(" ")[0] for w in both.get("warnings", [])] == below


def test_per_query_figures_average_to_the_table(cluster_frame):
    import pandas as pd

    result = evaluate(
        cluster_frame, _LINKS, k=3, folds=2, seed=1, methods=["rule", "random"], per_query=True
    )
    rows = pd.DataFrame(result["per_query"])
    assert set(rows.columns) == {
        "fold",
        "method",
        "member_id",
        "known_partners",
        "held_out",
        "recall@3",
        "ndcg@3",
        "rr",
    }
    assert len(rows) == 2 * result["queries"]
    assert set(rows["member_id"]) <= set(cluster_frame["member_id"])
    means = (
        rows.groupby(["method", "fold"])[["recall@3", "ndcg@3", "rr"]]
        .mean()
        .groupby("method")
        .mean()
    )
    for method in ("rule", "random"):
        figures = result["methods"][method]
        assert means.loc[method, "recall@3"] == pytest.approx(figures["recall@3"], abs=1e-4)
        assert means.loc[method, "rr"] == pytest.approx(figures["mrr"], abs=1e-4)
    assert "per_query" not in evaluate(
        cluster_frame, _LINKS, k=3, folds=2, seed=1, methods=["rule"]
    )


def test_more_scorers_are_ranked_beside_the_methods(cluster_frame):
    rows = {member: i for i, member in enumerate(cluster_frame["member_id"])}
    answers = {(rows[l.source], rows[l.target]) for l in _LINKS}

    def oracle(row, candidates):
        return np.array([(row, c) in answers for c in candidates], dtype=float)

    result = evaluate(
        cluster_frame, _LINKS, k=3, folds=2, seed=1, methods=["random"], scorers={"oracle": oracle}
    )
    assert list(result["methods"]) == ["random", "oracle"]
    assert (
        result["methods"]["oracle"]["recall@3"] == 1.0 and result["methods"]["oracle"]["mrr"] == 1.0
    )
    with pytest.raises(ValueError, match="names of built-in methods"):
        evaluate(cluster_frame, _LINKS, k=3, folds=2, scorers={"rule": oracle})


def test_max_queries_with_the_matcher_records_each_folds_model(cluster_frame):
    result = evaluate(
        cluster_frame, _LINKS, k=3, folds=2, seed=1, methods=["matcher"], max_queries=1
    )
    assert result["queries"] == 2 and [m["fold"] for m in result["matcher_models"]] == [0, 1]


@pytest.mark.parametrize(
    "bad",
    [
        lambda row, candidates: np.zeros(len(candidates) + 1),
        lambda row, candidates: np.full(len(candidates), np.nan),
    ],
)
def test_a_scorer_that_gives_the_wrong_scores_is_named(cluster_frame, bad):
    with pytest.raises(ValueError, match="scorer 'mine' gave .* scores for .* candidates of row"):
        evaluate(cluster_frame, _LINKS, k=3, folds=2, methods=["random"], scorers={"mine": bad})
