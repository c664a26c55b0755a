"""Labels of a classifier: single- or multi-label, checking a table, and turning label columns into targets."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ftcourse.errors import DataError

SINGLE = "single_label_classification"


MULTI = "multi_label_classification"


def infer_problem_type(label_columns: Sequence[str]) -> str:
    """``multi_label_classification`` for several 0/1 columns, ``single_label_classification`` for one column."""
    return MULTI if len(label_columns) > 1 else SINGLE


def check_frame(
    df: pd.DataFrame, text_column: str, label_columns: Sequence[str], name: str = "data", problem_type: str | None = None
) -> None:
    """Raise one :class:`DataError` if ``df`` cannot be used for classification.

    Args:
        df: the table; needs ``text_column`` (non-empty strings) and every column of ``label_columns``
            (0/1 integers for multi-label; any hashable class value for single-label).
        text_column: the column holding the text.
        label_columns: one column of classes, or several 0/1 columns.
        name: how the table is called in the message (a file name, "train split", ...).
        problem_type: defaults to :func:`infer_problem_type`.
    """
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"{name}: expected a pandas DataFrame, got {type(df).__name__}.")
    if len(df) == 0:
        raise DataError(f"{name}: has no rows. Fix: check the file and the split sizes.")
    missing = [c for c in [text_column, *label_columns] if c not in df.columns]
    if missing:
        raise DataError(
            f"{name}: missing column(s) {missing}; found {list(df.columns)}. "
            "Fix: pass the right --text-column / --label-columns (text_column / label_columns)."
        )
    text = df[text_column]
    empty = text.isna() | (text.astype(str).str.strip() == "")
    if empty.any():
        raise DataError(
            f"{name}: column {text_column!r} has {int(empty.sum())} empty or missing text(s) (first at row {empty.idxmax()!r}). "
            "Fix: remove or fill those rows before training; nothing is dropped silently."
        )
    problem_type = problem_type or infer_problem_type(label_columns)
    for col in label_columns:
        values = df[col]
        if values.isna().any():
            raise DataError(
                f"{name}: label column {col!r} has {int(values.isna().sum())} missing value(s). Fix: label every row."
            )
        if problem_type == MULTI:
            bad = values[~values.isin([0, 1, True, False])]
            if len(bad):
                raise DataError(
                    f"{name}: multi-label column {col!r} must hold 0/1, but has {len(bad)} other value(s), e.g. {bad.iloc[0]!r}. "
                    "Fix: one 0/1 column per label (or a single class column for single-label data)."
                )


def encode_labels(
    df: pd.DataFrame,
    label_columns: Sequence[str],
    problem_type: str,
    label_names: Sequence[str] | None = None,
    name: str = "data",
) -> tuple[np.ndarray, list[str]]:
    """Turn the label columns of ``df`` into model targets.

    Args:
        df: the table (checked with :func:`check_frame`).
        label_columns: several 0/1 columns (multi-label) or one class column (single-label).
        problem_type: ``multi_label_classification`` or ``single_label_classification``.
        label_names: multi-label: display names of the columns (default: the column names);
            single-label: the class names in id order. Integer classes are ids into it; string classes
            are looked up in it. Default: sorted classes found in ``df`` (derive them from the
            training split, then pass them for every other split).
        name: used in error messages.

    Returns:
        ``(targets, label_names)``: a float ``(n, n_labels)`` 0/1 matrix, or an int ``(n,)`` vector of ids.

    Raises:
        DataError: a class outside ``label_names`` (an unseen label is an error, not a new id).
    """
    if problem_type == MULTI:
        names = list(label_names) if label_names is not None else list(label_columns)
        if len(names) != len(label_columns):
            raise DataError(
                f"{name}: {len(label_columns)} label columns but {len(names)} label names. Fix: pass one name per column."
            )
        return df[list(label_columns)].to_numpy(dtype=np.float32), names
    (col,) = label_columns
    values = df[col]
    if label_names is None:
        classes = sorted(values.unique().tolist())
        if pd.api.types.is_integer_dtype(values) and classes != list(range(len(classes))):
            classes = list(range(max(classes) + 1))
        names = [str(c) for c in classes]
    else:
        names = [str(n) for n in label_names]
    if pd.api.types.is_integer_dtype(values):
        ids = values.to_numpy(dtype=np.int64)
        bad = (ids < 0) | (ids >= len(names))
    else:
        lookup = {n: i for i, n in enumerate(names)}
        ids = np.array([lookup.get(str(v), -1) for v in values], dtype=np.int64)
        bad = ids < 0
    if bad.any():
        example = values[bad].iloc[0]
        example = example.item() if hasattr(example, "item") else example  # show 9, not np.int64(9)
        raise DataError(
            f"{name}: column {col!r} has {int(bad.sum())} value(s) outside the known labels {names}, e.g. {example!r}. "
            "Fix: labels are fixed by the training split; correct those rows or add the class to the training data."
        )
    return ids, names


def label_counts(targets: np.ndarray, names: list[str], problem_type: str) -> dict[str, int]:
    if problem_type == MULTI:
        return {n: int(c) for n, c in zip(names, np.asarray(targets).sum(axis=0), strict=True)}
    counts = np.bincount(np.asarray(targets), minlength=len(names))
    return {n: int(c) for n, c in zip(names, counts, strict=True)}
