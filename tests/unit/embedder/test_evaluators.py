"""The FAQ retrieval task: held-out user wordings as queries, FAQ answers as the corpus."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ftcourse.embedder.evaluators import faq_retrieval_task
from ftcourse.errors import DataError


def test_faq_task_queries_are_never_trained_on(data_dir):
    task = faq_retrieval_task(data_dir)
    assert len(task.corpus) == 213 and len(task.queries) == 244
    assert set(task.relevant) == set(task.queries)
    assert all(task.relevant[q] <= set(task.corpus) and task.relevant[q] for q in task.queries)
    trained = set(task.train["anchor"]) | set(task.train["positive"])
    assert not set(task.queries.values()) & trained - {""}, "a query text also appears in the training pairs"
    assert list(task.train.columns) == ["anchor", "positive"]


def test_faq_task_evaluator_names_its_metrics(data_dir):
    evaluator = faq_retrieval_task(data_dir).evaluator(name="faq", truncate_dim=64)
    assert evaluator.name == "faq" and evaluator.truncate_dim == 64


def test_mismatched_files_are_refused(tmp_path, data_dir):
    folder = tmp_path / "covid-qa"
    folder.mkdir()
    (folder / "faq_covidbert.csv").write_text("question,answer\nWhat is it?,A virus.\n")
    (folder / "eval_question_similarity_en.csv").write_text("question_1,question_2,similar\nSomething else?,Other wording?,1\n")
    with pytest.raises(DataError, match="not in the FAQ"):
        faq_retrieval_task(tmp_path)


class _LookupModel:
    """An encoder whose vectors are given per text: lets a test fix every cosine by hand."""

    def __init__(self, vectors):
        self.vectors = vectors

    def encode(self, texts, batch_size, normalize_embeddings):
        v = np.array([self.vectors[t] for t in texts], dtype=float)
        return v / np.linalg.norm(v, axis=1, keepdims=True) if normalize_embeddings else v


def test_per_query_metrics_score_each_query_against_its_relevant_columns():
    from ftcourse.embedder.evaluators import RetrievalTask

    task = RetrievalTask(
        queries={"qa": "find B", "qb": "find A"},
        corpus={"d9": "doc A", "d2": "doc B", "d5": "doc C"},  # ids out of order: positions follow the dict, not the names
        relevant={"qa": {"d2"}, "qb": {"d9", "d5"}},
        train=pd.DataFrame({"anchor": [], "positive": []}),
    )
    assert task.query_texts == ["find B", "find A"] and task.documents == ["doc A", "doc B", "doc C"]
    assert task.relevant_positions == [{1}, {0, 2}]
    model = _LookupModel({"find B": [0, 1, 0], "find A": [0, 0, 1], "doc A": [1, 0, 0], "doc B": [0, 1, 0], "doc C": [0.1, 0, 1]})
    q, d = task.embed(model)
    assert np.allclose(np.linalg.norm(d, axis=1), 1.0)
    table = task.per_query_metrics(model, ks=(1, 3))
    assert list(table["recall@1"]) == [1.0, 0.5]  # qa finds doc B first; qb finds doc C first, one of its two answers
    assert table["ndcg@1"].iloc[0] == 1.0 and table.shape[0] == 2
