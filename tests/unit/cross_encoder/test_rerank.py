"""Retrieve-and-rerank maths on small arrays, and the helpers that call a cross-encoder (a stand-in that scores by overlap)."""

from __future__ import annotations

import numpy as np
import pytest

from ftcourse.cross_encoder.rerank import cross_encoder_scores, query_latency, rerank_hits, reranked_scores, top_k_candidates
from ftcourse.evaluation import retrieval_metrics


class OverlapScorer:
    """A cross-encoder stand-in: the score of a pair is the number of words the two texts share."""

    def __init__(self):
        self.calls = []

    def predict(self, pairs, batch_size=32, show_progress_bar=False, convert_to_numpy=True):
        self.calls.append(len(pairs))
        return np.array([len(set(q.split()) & set(d.split())) for q, d in pairs], dtype=float)


class FixedEncoder:
    """A bi-encoder stand-in: every text embeds to the same unit vector."""

    def encode(self, texts, **kwargs):
        return np.ones((len(texts), 2)) / np.sqrt(2)


def test_top_k_candidates_are_the_highest_scores_best_first():
    scores = np.array([[0.1, 0.9, 0.5, 0.7], [0.3, 0.2, 0.1, 0.0]])
    assert top_k_candidates(scores, 2).tolist() == [[1, 3], [0, 1]]
    assert top_k_candidates(scores, 10).shape == (2, 4)  # clipped to the corpus
    with pytest.raises(ValueError):
        top_k_candidates(scores, 0)


def test_reranked_scores_reorder_the_top_k_and_keep_the_rest_in_first_stage_order():
    first = np.array([[0.9, 0.8, 0.7, 0.6, 0.5]])
    candidates = top_k_candidates(first, 3)  # documents 0, 1, 2
    rerank = np.array([[0.1, 0.2, 0.9]])  # the cross-encoder prefers document 2, then 1, then 0
    ranking = np.argsort(-reranked_scores(first, candidates, rerank), axis=1)[0]
    assert ranking.tolist() == [2, 1, 0, 3, 4]
    only_two = np.argsort(-reranked_scores(first, candidates, rerank, top_k=2), axis=1)[0]
    assert only_two.tolist() == [1, 0, 2, 3, 4]  # the top 2 reordered (1 before 0), the rest as before


def test_reranking_the_top_k_changes_no_recall_at_k():
    rng = np.random.default_rng(0)
    first = rng.normal(size=(20, 30))
    relevant = [{int(i)} for i in rng.integers(0, 30, size=20)]
    candidates = top_k_candidates(first, 10)
    reranked = reranked_scores(first, candidates, rng.normal(size=candidates.shape))
    assert (
        retrieval_metrics(reranked, relevant, ks=(10,))["recall@10"] == retrieval_metrics(first, relevant, ks=(10,))["recall@10"]
    )


def test_a_perfect_reranker_puts_every_found_answer_first():
    rng = np.random.default_rng(1)
    first = rng.normal(size=(15, 12))
    relevant = [{int(i)} for i in rng.integers(0, 12, size=15)]
    candidates = top_k_candidates(first, 12)
    oracle = np.array([[float(j in relevant[i]) for j in row] for i, row in enumerate(candidates)])
    assert retrieval_metrics(reranked_scores(first, candidates, oracle), relevant, ks=(1,))["recall@1"] == 1.0


def test_cross_encoder_scores_pair_each_query_with_its_candidates():
    scorer = OverlapScorer()
    queries, documents = ["cat sat", "dog ran far"], ["the cat sat", "a dog", "dog ran far away"]
    scores = cross_encoder_scores(scorer, queries, documents, np.array([[0, 1], [2, 1]]))
    assert scores.tolist() == [[2.0, 0.0], [3.0, 1.0]]
    assert scorer.calls == [4]  # one batched call for every pair


def test_rerank_hits_orders_by_the_cross_encoder_and_renumbers():
    hits = [{"rank": 1, "score": 0.9, "text": "a dog"}, {"rank": 2, "score": 0.8, "text": "the cat sat"}]
    reranked = rerank_hits(OverlapScorer(), "cat sat", hits)
    assert [h["text"] for h in reranked] == ["the cat sat", "a dog"]
    assert [h["rank"] for h in reranked] == [1, 2] and reranked[0]["score"] == 0.8 and reranked[0]["rerank_score"] == 2.0
    assert rerank_hits(OverlapScorer(), "cat", []) == []


def test_query_latency_times_one_query_at_a_time_and_scores_k_pairs_each():
    scorer = OverlapScorer()
    corpus = np.ones((5, 2)) / np.sqrt(2)
    times = query_latency(FixedEncoder(), corpus, ["a", "b", "c", "d", "e"], ["q1", "q2", "q3"], scorer, top_k=4)
    assert times.shape == (3,) and (times >= 0).all()
    assert scorer.calls == [4, 4, 4]
    assert query_latency(FixedEncoder(), corpus, ["a"] * 5, ["q1"]).shape == (1,)  # no cross-encoder: retrieval only
