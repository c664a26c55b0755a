import math

import pytest

from tests.notebooks.conftest import check_effect

pytestmark = pytest.mark.notebook


@pytest.fixture(scope="module")
def metrics(run_lesson):
    return run_lesson("notebooks/12_cross_encoders.ipynb").metrics


def test_the_reranker_trained_on_mined_pairs(metrics):
    assert metrics["reranker_positives"] > 100  # one positive per FAQ question
    assert metrics["reranker_pairs"] > 2 * metrics["reranker_positives"]  # and its mined hard negatives
    assert metrics["reranker_steps"] > 0
    assert metrics["reranker_loss_last"] < metrics["reranker_loss_first"]  # it learned something from its random head


def test_our_reranking_scores_are_the_library_evaluators(metrics):
    ours, library = metrics["library_check_ndcg@10"]
    assert ours == pytest.approx(library, abs=1e-6)


def test_reranking_keeps_recall_at_10_and_costs_latency(metrics):
    quality = metrics["quality"]
    alone = quality["bi-encoder alone"]
    for k in metrics["top_ks"]:
        reranked = quality[f"rerank top {k}"]
        if k >= 10:  # reordering the top k >= 10 cannot change which answers are in the top 10
            assert reranked["Recall@10"] == pytest.approx(alone["Recall@10"])
        assert reranked["ms per query (median)"] > alone["ms per query (median)"]  # every candidate is a forward pass
    assert all(math.isfinite(v) for row in quality.values() for v in row.values())


def test_the_effect_blocks_are_complete(metrics):
    # The lesson states which way each claim went from its own interval: assert the protocol, not a win.
    check_effect(metrics["effect"], direction="any")
    check_effect(metrics["effect_mrr"], direction="any")
    check_effect(metrics["effect_silver"], direction="any")
    assert metrics["effect"]["metric"] == "nDCG@10" and metrics["effect"]["baseline"] == "bi-encoder alone"


def test_silver_pairs_came_from_bm25_and_trained_at_the_same_steps(metrics):
    silver = metrics["silver"]
    assert 0 < silver["accepted"] <= silver["candidates"]  # accepted against each question's own answer: some pass
    assert abs(silver["augmented_steps"] - silver["gold_steps"]) <= 1
