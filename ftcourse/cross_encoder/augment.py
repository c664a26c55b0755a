"""Augmented SBERT: mine candidate (query, document) pairs with BM25, label them with a cross-encoder (silver pairs).

The cross-encoder reads each pair in full, so it judges relevance better than a bi-encoder, but it is too slow to
search with. AugSBERT spends its time once, offline: it labels pairs a cheap sampler proposes, and the bi-encoder
then trains on the gold pairs plus the silver ones it accepted.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def bm25_candidates(
    queries: Sequence[str], documents: Sequence[str], top_k: int = 5, skip: Sequence[set[int]] | None = None
) -> pd.DataFrame:
    """The ``top_k`` documents BM25 (``bm25s``, English stop words) finds for each query, without those in ``skip``.

    Args:
        queries: the query texts.
        documents: the corpus.
        top_k: candidates kept per query (after skipping).
        skip: per query, the document indices to leave out (e.g. its gold document).

    Returns:
        One row per candidate: ``query_index``, ``document_index``, ``bm25`` (the score; 0 = no word in common), ``rank``.
    """
    import bm25s

    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(list(documents), stopwords="en", show_progress=False), show_progress=False)
    skip = skip or [set()] * len(queries)
    depth = min(len(documents), top_k + max((len(s) for s in skip), default=0))
    found, scores = retriever.retrieve(
        bm25s.tokenize(list(queries), stopwords="en", show_progress=False), k=depth, show_progress=False
    )
    rows = []
    for i, (docs, values) in enumerate(zip(found, scores, strict=True)):
        kept = [(int(d), float(s)) for d, s in zip(docs, values, strict=True) if int(d) not in skip[i]][:top_k]
        rows.extend({"query_index": i, "document_index": d, "bm25": s, "rank": r + 1} for r, (d, s) in enumerate(kept))
    return pd.DataFrame(rows, columns=["query_index", "document_index", "bm25", "rank"])


def label_candidates(
    cross_encoder, candidates: pd.DataFrame, queries: Sequence[str], documents: Sequence[str], batch_size: int = 64
) -> pd.DataFrame:
    """``candidates`` (from :func:`bm25_candidates`) with the texts and the cross-encoder's score ``ce_score`` added."""
    labelled = candidates.copy()
    labelled["query"] = [queries[i] for i in labelled["query_index"]]
    labelled["document"] = [documents[j] for j in labelled["document_index"]]
    if len(labelled):
        pairs = list(zip(labelled["query"], labelled["document"], strict=True))
        labelled["ce_score"] = np.asarray(
            cross_encoder.predict(pairs, batch_size=batch_size, show_progress_bar=False), dtype=float
        )
    else:
        labelled["ce_score"] = np.array([], dtype=float)
    return labelled


def silver_pairs(labelled: pd.DataFrame, threshold: float = 0.5, reference: Sequence[float] | None = None) -> pd.DataFrame:
    """The labelled candidates the cross-encoder accepts, as (anchor, positive) pairs.

    Args:
        labelled: from :func:`label_candidates` (columns ``query_index``, ``query``, ``document``, ``ce_score``).
        threshold: without ``reference``: the lowest accepted score (a sigmoid output: 0.5 = "more likely relevant than not").
        reference: one score per query (indexed by ``query_index``), e.g. the cross-encoder's score of the query's own
            gold document: a candidate is accepted when it scores at least as high, whatever the scale of the scores
            (a briefly trained cross-encoder is rarely calibrated).

    Returns:
        Columns ``anchor``, ``positive``, ``ce_score``, best first: the format MNRL trains on.
    """
    if reference is not None:
        bar = np.asarray(reference, dtype=float)[labelled["query_index"].to_numpy(dtype=int)]
        kept = labelled[labelled["ce_score"].to_numpy() >= bar]
    else:
        kept = labelled[labelled["ce_score"] >= threshold]
    kept = kept.sort_values("ce_score", ascending=False)
    return pd.DataFrame({"anchor": kept["query"], "positive": kept["document"], "ce_score": kept["ce_score"]}).reset_index(
        drop=True
    )
