"""AugSBERT helpers: BM25 candidates (bm25s), labels from a cross-encoder stand-in, silver pairs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ftcourse.cross_encoder.augment import bm25_candidates, label_candidates, silver_pairs

DOCUMENTS = [
    "wash your hands with soap and water",
    "masks protect other people from droplets",
    "the virus survives on surfaces for hours",
    "dogs and cats rarely catch the virus",
]
QUESTIONS = ["should I wash my hands", "do masks protect people", "can my dogs catch the virus"]


class Scorer:
    def predict(self, pairs, batch_size=32, show_progress_bar=False):
        return np.array([0.9 if "virus" in q and "virus" in d else 0.1 for q, d in pairs])


def test_bm25_finds_the_documents_that_share_words():
    found = bm25_candidates(QUESTIONS, DOCUMENTS, top_k=1)
    assert found.groupby("query_index")["document_index"].first().tolist() == [0, 1, 3]
    assert list(found.columns) == ["query_index", "document_index", "bm25", "rank"]


def test_bm25_skips_the_given_documents_and_keeps_top_k():
    found = bm25_candidates(QUESTIONS, DOCUMENTS, top_k=2, skip=[{0}, {1}, {3}])
    assert not ((found["query_index"] == 0) & (found["document_index"] == 0)).any()
    assert not ((found["query_index"] == 2) & (found["document_index"] == 3)).any()
    assert found.groupby("query_index").size().max() <= 2
    assert found.groupby("query_index")["rank"].min().eq(1).all()


def test_labels_and_silver_pairs_keep_what_the_cross_encoder_accepts():
    found = bm25_candidates(QUESTIONS, DOCUMENTS, top_k=2)
    labelled = label_candidates(Scorer(), found, QUESTIONS, DOCUMENTS)
    assert {"query", "document", "ce_score"} <= set(labelled.columns) and len(labelled) == len(found)
    silver = silver_pairs(labelled, threshold=0.5)
    assert list(silver.columns) == ["anchor", "positive", "ce_score"]
    assert (silver["ce_score"] >= 0.5).all() and all(
        "virus" in a and "virus" in p for a, p in zip(silver["anchor"], silver["positive"], strict=True)
    )
    assert silver_pairs(labelled, threshold=0.95).empty


def test_labelling_nothing_gives_an_empty_table():
    empty = pd.DataFrame(columns=["query_index", "document_index", "bm25", "rank"])
    assert label_candidates(Scorer(), empty, QUESTIONS, DOCUMENTS)["ce_score"].empty


def test_silver_pairs_against_each_querys_own_score():
    found = bm25_candidates(QUESTIONS, DOCUMENTS, top_k=2)
    labelled = label_candidates(Scorer(), found, QUESTIONS, DOCUMENTS)
    # query 2 ("...virus") has its candidates scored 0.9 / 0.1; with its own answer at 0.5 only the 0.9 one passes
    silver = silver_pairs(labelled, reference=[1.0, 1.0, 0.5])
    assert len(silver) == int(((labelled["query_index"] == 2) & (labelled["ce_score"] >= 0.5)).sum()) >= 1
    assert set(silver["anchor"]) == {QUESTIONS[2]}
    assert len(silver_pairs(labelled, reference=[0.0, 0.0, 0.0])) == len(labelled)
