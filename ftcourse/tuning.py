"""Helpers of lesson 11's hyperparameter study: what a ``max_length`` cuts, and a search's trials as a table.

The search itself is the ``transformers`` Trainer's ``hyperparameter_search(backend="optuna", ...)``;
these functions only read what it did and what the data looks like.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ftcourse.errors import UsageError


def token_lengths(tokenizer, texts: Sequence[str]) -> np.ndarray:
    """The number of tokens of each text, special tokens ([CLS], [SEP]) included, before any truncation."""
    encoded = tokenizer(list(texts), truncation=False, verbose=False)["input_ids"]
    return np.array([len(ids) for ids in encoded], dtype=int)


def truncated_share(lengths: Sequence[int], max_length: int) -> float:
    """The share of texts longer than ``max_length`` tokens: the texts a tokenizer would cut at that length.

    Args:
        lengths: tokens per text (e.g. from :func:`token_lengths`).
        max_length: the budget in tokens, special tokens included.

    Returns:
        A share in [0, 1]; 0.0 for no texts.
    """
    if max_length < 1:
        raise UsageError(f"truncated_share: max_length={max_length} is not a token budget. Fix: pass a length of at least 1.")
    lengths = np.asarray(lengths)
    return float((lengths > max_length).mean()) if lengths.size else 0.0


def truncation_table(lengths: Sequence[int], budgets: Sequence[int]) -> pd.DataFrame:
    """For each budget in ``budgets``: the share of texts cut and the share of all tokens lost.

    Returns:
        A DataFrame with columns ``max_length``, ``texts cut`` and ``tokens lost`` (shares in [0, 1]).
    """
    lengths = np.asarray(lengths)
    total = lengths.sum()
    return pd.DataFrame(
        {
            "max_length": list(budgets),
            "texts cut": [truncated_share(lengths, b) for b in budgets],
            "tokens lost": [float(np.clip(lengths - b, 0, None).sum() / total) if total else 0.0 for b in budgets],
        }
    )


def trials_frame(study) -> pd.DataFrame:
    """An Optuna study's trials as a table: one row per trial, best first.

    Optuna's own ``study.trials_dataframe()``, with the course's column names (``params_`` prefixes dropped,
    the duration in seconds) and sorted by the objective.

    Args:
        study: an ``optuna.Study``, e.g. the one the Trainer's ``hyperparameter_search(backend="optuna",
            storage=..., study_name=...)`` created, reloaded with ``optuna.load_study``.

    Returns:
        A DataFrame with ``trial``, ``state`` (``COMPLETE``, ``PRUNED``, ``FAIL``), ``objective``, ``seconds``
        and one column per hyperparameter, sorted with the best objective first (the study's direction decides
        which is best); trials without a value come last.
    """
    frame = study.trials_dataframe(attrs=("number", "state", "value", "duration", "params"))
    if frame.empty:
        return pd.DataFrame(columns=["trial", "state", "objective", "seconds"])
    frame = frame.rename(columns={"number": "trial", "value": "objective"})
    frame = frame.rename(columns=lambda column: column.removeprefix("params_"))
    frame["seconds"] = frame.pop("duration").dt.total_seconds()
    frame = frame[
        ["trial", "state", "objective", "seconds", *[c for c in frame if c not in ("trial", "state", "objective", "seconds")]]
    ]
    maximise = study.direction.name == "MAXIMIZE"
    return frame.sort_values("objective", ascending=not maximise, na_position="last", ignore_index=True)
