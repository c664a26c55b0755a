"""Retrieve and rerank: a bi-encoder ranks the whole corpus from cached embeddings, a cross-encoder re-scores its top k.

The ranking maths are plain numpy functions (tested on small arrays); the timing helper runs one query at a
time, as a search service answers them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np


def top_k_candidates(scores: np.ndarray, top_k: int) -> np.ndarray:
    """The column indices of each row's ``top_k`` highest scores, best first (ties keep the lower index first).

    Args:
        scores: ``(n_queries, n_documents)`` first-stage scores (e.g. cosine similarities).
        top_k: candidates kept per query (at most ``n_documents``).

    Returns:
        ``(n_queries, min(top_k, n_documents))`` integer array.
    """
    if top_k < 1:
        raise ValueError(f"top_k must be at least 1, got {top_k}")
    return np.argsort(-scores, axis=1, kind="stable")[:, : min(top_k, scores.shape[1])]


def cross_encoder_scores(
    model, queries: Sequence[str], documents: Sequence[str], candidates: np.ndarray, batch_size: int = 64
) -> np.ndarray:
    """The cross-encoder's score of every (query, candidate document) pair, shaped like ``candidates``.

    Args:
        model: a sentence-transformers ``CrossEncoder``.
        queries: the query texts (one per row of ``candidates``).
        documents: the corpus texts (``candidates`` index into it).
        candidates: ``(n_queries, k)`` document indices, e.g. from :func:`top_k_candidates`.
    """
    pairs = [(queries[i], documents[j]) for i, row in enumerate(candidates) for j in row]
    flat = model.predict(pairs, batch_size=batch_size, show_progress_bar=False, convert_to_numpy=True)
    return np.asarray(flat, dtype=float).reshape(candidates.shape)


def reranked_scores(first_stage: np.ndarray, candidates: np.ndarray, rerank: np.ndarray, top_k: int | None = None) -> np.ndarray:
    """A score matrix whose ranking is "the top k by the cross-encoder, then the rest in first-stage order".

    Feed it to :func:`ftcourse.evaluation.retrieval_metrics` like any score matrix.

    Args:
        first_stage: ``(n_queries, n_documents)`` first-stage scores.
        candidates: ``(n_queries, K)`` each query's first-stage top K, best first (:func:`top_k_candidates`).
        rerank: ``(n_queries, K)`` cross-encoder scores of those candidates.
        top_k: rerank only the first ``top_k <= K`` candidates (one cross-encoder pass serves every smaller k);
            default K.

    Returns:
        ``(n_queries, n_documents)``: the value is ``n_documents - position`` in the final ranking (higher is better).
    """
    k = candidates.shape[1] if top_k is None else min(top_k, candidates.shape[1])
    n_queries, n_documents = first_stage.shape
    order = np.argsort(-first_stage, axis=1, kind="stable")
    out = np.empty_like(first_stage, dtype=float)
    for i in range(n_queries):
        head = candidates[i, :k][np.argsort(-rerank[i, :k], kind="stable")]
        rest = order[i][~np.isin(order[i], head)]
        out[i, np.concatenate([head, rest])] = n_documents - np.arange(n_documents)
    return out


def query_latency(
    bi_encoder,
    corpus_embeddings: np.ndarray,
    documents: Sequence[str],
    queries: Sequence[str],
    cross_encoder=None,
    top_k: int = 10,
) -> np.ndarray:
    """Milliseconds per query of retrieve (and rerank), one query at a time, as a search service answers them.

    Each query is embedded, scored against the cached ``corpus_embeddings`` and cut to its ``top_k``; with a
    ``cross_encoder`` those ``top_k`` (query, document) pairs are then scored in one batch. The corpus embeddings
    are computed once in advance and are not timed.

    Returns:
        One latency per query (ms).
    """
    times = []
    for query in queries:
        start = time.perf_counter()
        embedded = bi_encoder.encode([query], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        candidates = top_k_candidates(embedded @ corpus_embeddings.T, top_k)[0]
        if cross_encoder is not None:
            cross_encoder.predict(
                [(query, documents[j]) for j in candidates], batch_size=len(candidates), show_progress_bar=False
            )
        times.append(1000 * (time.perf_counter() - start))
    return np.asarray(times)


def rerank_hits(cross_encoder, query: str, hits: list[dict], batch_size: int = 32) -> list[dict]:
    """Re-order one query's search hits (dicts with ``text``, as :func:`ftcourse.embedder.search.search` returns) by
    the cross-encoder's score, kept as ``rerank_score``; ``rank`` is renumbered, the first-stage ``score`` kept."""
    if not hits:
        return []
    scores = cross_encoder.predict([(query, hit["text"]) for hit in hits], batch_size=batch_size, show_progress_bar=False)
    ordered = sorted(zip(hits, scores, strict=True), key=lambda pair: -float(pair[1]))
    return [{**hit, "rank": r + 1, "rerank_score": round(float(score), 4)} for r, (hit, score) in enumerate(ordered)]
