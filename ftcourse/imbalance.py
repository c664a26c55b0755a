"""Class imbalance in the data: oversampling, undersampling and majority reduction of a training split.

Resample the *training* split only: a resampled validation or test split no longer measures the
real class mix. Every resampler returns a new DataFrame whose ``attrs["resampling"]`` records the
class counts before and after and how many rows were added or removed, so nothing changes silently.

Imbalance in the loss (class weights, positive weights, the focal loss) lives in
:mod:`ftcourse.classifier.losses`; moving a decision threshold in :mod:`ftcourse.evaluation`.
"""

from __future__ import annotations

import pandas as pd

from ftcourse.errors import DataError, UsageError

# ---------------------------------------------------------------------------------------------
# Resampling


def _counts(df: pd.DataFrame, label_column: str) -> dict:
    return {(k.item() if hasattr(k, "item") else k): int(v) for k, v in df[label_column].value_counts().sort_index().items()}


def _check(df: pd.DataFrame, label_column: str) -> None:
    if label_column not in df.columns:
        raise DataError(
            f"column {label_column!r} not found; the DataFrame has {list(df.columns)}. Fix: pass the name of the label column."
        )
    if df[label_column].isna().any():
        raise DataError(
            f"column {label_column!r} has {int(df[label_column].isna().sum())} missing label(s). Fix: drop or label those rows first."
        )
    if len(df) == 0:
        raise DataError("the DataFrame is empty: nothing to resample.")


def _finish(out: pd.DataFrame, before: pd.DataFrame, label_column: str, method: str, seed: int, **extra) -> pd.DataFrame:
    out = out.sample(frac=1.0, random_state=seed).reset_index(drop=True)  # mix the classes again
    out.attrs = dict(before.attrs)
    out.attrs["resampling"] = {
        "method": method,
        "before": _counts(before, label_column),
        "after": _counts(out, label_column),
        "rows_before": len(before),
        "rows_after": len(out),
        **extra,
    }
    return out


def oversample(df: pd.DataFrame, label_column: str = "label", seed: int = 0) -> pd.DataFrame:
    """Random oversampling: repeat rows of every smaller class until each has as many as the largest.

    Copies add no information: the model sees the same rare texts many times and can memorise them
    (watch the gap between training and validation loss).

    Args:
        df: the training split; one row per example, a column of class labels.
        label_column: the label column.
        seed: random seed.

    Returns:
        A new shuffled DataFrame (original rows plus copies); ``attrs["resampling"]`` has the counts
        before/after and ``rows_added``.
    """
    _check(df, label_column)
    target = df[label_column].value_counts().max()
    parts = [df]
    for _, group in df.groupby(label_column, sort=True):
        if len(group) < target:
            parts.append(group.sample(n=target - len(group), replace=True, random_state=seed))
    out = pd.concat(parts)
    return _finish(out, df, label_column, "oversample", seed, rows_added=len(out) - len(df))


def undersample(df: pd.DataFrame, label_column: str = "label", seed: int = 0) -> pd.DataFrame:
    """Random undersampling: keep, from every class, as many rows as the smallest class has.

    Balanced, but throws data away: with a 5 % class, most of the training set is removed.

    Args:
        df: the training split; one row per example, a column of class labels.
        label_column: the label column.
        seed: random seed.

    Returns:
        A new shuffled DataFrame; ``attrs["resampling"]`` has the counts before/after and ``rows_removed``.
    """
    _check(df, label_column)
    target = df[label_column].value_counts().min()
    out = pd.concat([group.sample(n=target, random_state=seed) for _, group in df.groupby(label_column, sort=True)])
    return _finish(out, df, label_column, "undersample", seed, rows_removed=len(df) - len(out))


def reduce_majority(df: pd.DataFrame, label_column: str = "label", fraction: float = 0.5, seed: int = 0) -> pd.DataFrame:
    """Keep only ``fraction`` of the largest class (a random subset); other classes are untouched.

    A gentler alternative to :func:`undersample`: it shrinks the dominant class without discarding
    most of the data.

    Args:
        df: the training split; one row per example, a column of class labels.
        label_column: the label column.
        fraction: share of the majority class to keep, in (0, 1].
        seed: random seed.

    Returns:
        A new shuffled DataFrame; ``attrs["resampling"]`` has the counts before/after, the
        ``majority_class`` and ``rows_removed``.
    """
    _check(df, label_column)
    if not 0 < fraction <= 1:
        raise UsageError(f"fraction must be in (0, 1] (the share of the majority class to keep); got {fraction}.")
    counts = df[label_column].value_counts()
    majority = counts.index[0]
    is_majority = df[label_column] == majority
    kept = df[is_majority].sample(n=max(1, round(counts.iloc[0] * fraction)), random_state=seed)
    out = pd.concat([df[~is_majority], kept])
    majority = majority.item() if hasattr(majority, "item") else majority
    return _finish(
        out, df, label_column, f"reduce_majority({fraction})", seed, majority_class=majority, rows_removed=len(df) - len(out)
    )


# ---------------------------------------------------------------------------------------------
# Weights


# ---------------------------------------------------------------------------------------------
# Focal loss


# ---------------------------------------------------------------------------------------------
# Threshold moving for single-label classifiers
# (multi-label thresholds per label: ftcourse.evaluation.tune_thresholds)
