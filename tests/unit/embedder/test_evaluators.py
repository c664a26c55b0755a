"""The FAQ retrieval task: held-out user wordings as queries, FAQ answers as the corpus."""

from __future__ import annotations

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
