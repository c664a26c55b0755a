"""Held-out evaluation sets for the embedding lessons (05-07) and ``bench/embedder_full.py``.

Built once here, so the lessons and the benchmark score exactly the same queries and documents.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ftcourse.data import load_dataset
from ftcourse.errors import DataError
from ftcourse.evaluation import retrieval_metrics


@dataclass
class RetrievalTask:
    """Queries, a corpus and the relevant documents of each query (the inputs of an IR evaluator).

    Attributes:
        queries: query id -> text.
        corpus: document id -> text.
        relevant: query id -> set of relevant document ids.
        train: the (anchor, positive) training pairs that go with the corpus.
    """

    queries: dict[str, str]
    corpus: dict[str, str]
    relevant: dict[str, set[str]]
    train: pd.DataFrame

    def evaluator(self, name: str = "faq", truncate_dim: int | None = None, batch_size: int = 32):
        """A sentence-transformers ``InformationRetrievalEvaluator`` (nDCG@10, MRR@10, Recall@1/5/10, MAP@100).

        Args:
            name: prefix of its metric names (e.g. ``faq_cosine_ndcg@10``).
            truncate_dim: score with the first ``truncate_dim`` embedding dimensions (Matryoshka).
            batch_size: encoding batch size.
        """
        from sentence_transformers.sentence_transformer.evaluation import InformationRetrievalEvaluator

        return InformationRetrievalEvaluator(
            self.queries,
            self.corpus,
            self.relevant,
            name=name,
            mrr_at_k=[10],
            ndcg_at_k=[10],
            accuracy_at_k=[1, 5, 10],
            precision_recall_at_k=[1, 5, 10],
            map_at_k=[100],
            truncate_dim=truncate_dim,
            batch_size=batch_size,
            show_progress_bar=False,
            write_csv=False,
        )

    @property
    def query_texts(self) -> list[str]:
        """The query texts, in the order of ``queries`` (the rows of every score matrix below)."""
        return list(self.queries.values())

    @property
    def documents(self) -> list[str]:
        """The document texts, in the order of ``corpus`` (the columns of every score matrix below)."""
        return list(self.corpus.values())

    @property
    def relevant_positions(self) -> list[set[int]]:
        """For each query, the column numbers of its relevant documents (what :func:`retrieval_metrics` takes)."""
        column = {doc_id: j for j, doc_id in enumerate(self.corpus)}
        return [{column[doc_id] for doc_id in self.relevant.get(query_id, ())} for query_id in self.queries]

    def embed(self, model, query_batch_size: int = 64, document_batch_size: int = 32) -> tuple[np.ndarray, np.ndarray]:
        """Normalised embeddings of the queries and of the documents (so ``q @ d.T`` is the cosine score matrix).

        Documents get a smaller batch than queries: they are longer, and a CPU's memory grows with batch x length.
        """
        q = model.encode(self.query_texts, batch_size=query_batch_size, normalize_embeddings=True)
        d = model.encode(self.documents, batch_size=document_batch_size, normalize_embeddings=True)
        return np.asarray(q), np.asarray(d)

    def per_query_metrics(self, model, ks: Sequence[int] = (10,)) -> pd.DataFrame:
        """nDCG@k, MRR@k, Recall@k and MAP@k of ``model`` for each query (one row each, for bootstrap intervals).

        Args:
            model: anything with a sentence-transformers ``encode`` (the base model or a fine-tuned one).
            ks: the cut-offs.

        Returns:
            The DataFrame of :func:`ftcourse.evaluation.retrieval_metrics` with ``per_query=True``.
        """
        q, d = self.embed(model)
        return retrieval_metrics(q @ d.T, self.relevant_positions, ks=ks, per_query=True)


def faq_retrieval_task(data_dir: str | os.PathLike | None = None) -> RetrievalTask:
    """COVID FAQ retrieval: find the FAQ answer for a question a user phrased in their own words.

    Training pairs are the FAQ's own (question, answer) rows. The queries are the *other* wording of
    each positive pair in ``covid-question-pairs`` (``sentence2``; its ``sentence1`` is an FAQ question),
    so no query text is ever trained on; the relevant documents are the answers of the matching FAQ
    question. This is the everyday FAQ-bot setting: the answers are known (and trained on), the users'
    wordings are new.

    Args:
        data_dir: passed to :func:`ftcourse.data.load_dataset`.

    Returns:
        A :class:`RetrievalTask` (corpus = every FAQ answer; ``train`` columns ``anchor``, ``positive``).

    Raises:
        DataError: a question pair whose FAQ question is not in the FAQ (the two files do not match).
    """
    faq = load_dataset("covid-faq", split="train", data_dir=data_dir).reset_index(drop=True)
    pairs = load_dataset("covid-question-pairs", split="train", data_dir=data_dir)
    corpus = {f"a{i}": answer for i, answer in enumerate(faq["answer"])}
    answers_of: dict[str, set[str]] = {}
    for i, question in enumerate(faq["question"].str.strip()):
        answers_of.setdefault(question, set()).add(f"a{i}")
    positives = pairs[pairs["label"] == 1].reset_index(drop=True)
    missing = positives.loc[~positives["sentence1"].str.strip().isin(answers_of), "sentence1"]
    if len(missing):
        raise DataError(
            f"covid-question-pairs: {len(missing)} positive pair(s) start with a question that is not in the FAQ, e.g. "
            f"{missing.iloc[0]!r}. Fix: use eval_question_similarity_en.csv and faq_covidbert.csv from the same COVID-QA commit."
        )
    queries = {f"q{i}": text for i, text in enumerate(positives["sentence2"])}
    relevant = {f"q{i}": answers_of[q.strip()] for i, q in enumerate(positives["sentence1"])}
    train = pd.DataFrame({"anchor": faq["question"], "positive": faq["answer"]})
    return RetrievalTask(queries, corpus, relevant, train)


def make_evaluator(pairs: pd.DataFrame, kind: str, name: str = "eval", extra_documents: Sequence[str] = (), batch_size: int = 32):
    """The sentence-transformers evaluator that fits ``pairs`` (as returned by :func:`pair_format`).

    * ``retrieval``: ``InformationRetrievalEvaluator``; queries = the distinct anchors, corpus = every
      positive (and negative) plus ``extra_documents``, relevant = the anchor's positives.
    * ``similarity``: ``EmbeddingSimilarityEvaluator`` (Spearman of cosine similarity vs the score).
    * ``binary``: ``BinaryClassificationEvaluator`` (accuracy, F1, AP of cosine similarity vs the label).
    """
    from sentence_transformers.sentence_transformer.evaluation import BinaryClassificationEvaluator, EmbeddingSimilarityEvaluator

    if kind == "similarity":
        return EmbeddingSimilarityEvaluator(
            pairs["sentence1"].tolist(),
            pairs["sentence2"].tolist(),
            pairs["score"].astype(float).tolist(),
            batch_size=batch_size,
            name=name,
            write_csv=False,
        )
    if kind == "binary":
        return BinaryClassificationEvaluator(
            pairs["sentence1"].tolist(),
            pairs["sentence2"].tolist(),
            pairs["label"].astype(int).tolist(),
            name=name,
            batch_size=batch_size,
            write_csv=False,
        )
    documents = list(dict.fromkeys([*pairs["positive"], *(pairs["negative"] if "negative" in pairs else []), *extra_documents]))
    doc_id = {text: f"d{i}" for i, text in enumerate(documents)}
    anchors = list(dict.fromkeys(pairs["anchor"]))
    query_id = {text: f"q{i}" for i, text in enumerate(anchors)}
    relevant: dict[str, set[str]] = {}
    for anchor, positive in zip(pairs["anchor"], pairs["positive"], strict=True):
        relevant.setdefault(query_id[anchor], set()).add(doc_id[positive])
    task = RetrievalTask({q: a for a, q in query_id.items()}, {d: t for t, d in doc_id.items()}, relevant, train=pairs)
    return task.evaluator(name, batch_size=batch_size)
