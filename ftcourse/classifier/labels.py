"""Labels of a classifier: single- or multi-label, checking a table, and turning label columns into targets."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ftcourse.errors import DataError, plain
from ftcourse.files import refuse_non_texts

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
    refuse_non_texts(text.tolist(), name, text_column)
    problem_type = problem_type or infer_problem_type(label_columns)
    if problem_type == SINGLE:
        check_label_types(df[label_columns[0]], name, label_columns[0])
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


def check_label_types(values: pd.Series, name: str, column: str) -> None:
    """Raise one :class:`DataError` if a class column mixes numbers and texts (``0``, ``"spam"``): the classes
    cannot be ordered, and ``1`` and ``"1"`` would be two classes."""
    kinds = {
        "number" if isinstance(v, (int, float, np.number)) and not isinstance(v, bool) else type(v).__name__
        for v in values.dropna()
    }
    if len(kinds) > 1:
        examples = {}
        for v in values.dropna():
            examples.setdefault(
                "number" if isinstance(v, (int, float, np.number)) and not isinstance(v, bool) else type(v).__name__, v
            )
        raise DataError(
            f"{name}: label column {column!r} mixes kinds of values ({', '.join(f'{k} {plain(v)!r}' for k, v in examples.items())}). "
            "Fix: write every label the same way (all names, or all numbers)."
        )


def label_key(value) -> str:
    """How a class value is named: a whole-number float is its integer (``1.0`` -> ``"1"``), anything else ``str``."""
    value = plain(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _sorted_classes(values: pd.Series) -> list:
    classes = {label_key(v): plain(v) for v in values.dropna()}
    try:
        return [label_key(v) for v in sorted(classes.values())]
    except TypeError:
        return sorted(classes)


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
    names = _sorted_classes(values) if label_names is None else [str(n) for n in label_names]
    # Values are looked up among the names, never used as ids: labels 1, 5, 9 are three classes. The one
    # exception is a registry dataset whose integer column indexes its named classes (0 -> "hate").
    positional = (
        label_names is not None and pd.api.types.is_integer_dtype(values) and not any(n.lstrip("-").isdigit() for n in names)
    )
    if positional:
        ids = values.to_numpy(dtype=np.int64)
        bad = (ids < 0) | (ids >= len(names))
    else:
        lookup = {n: i for i, n in enumerate(names)}
        ids = np.array([lookup.get(label_key(v), -1) for v in values], dtype=np.int64)
        bad = ids < 0
    if bad.any():
        raise DataError(_unknown_label_message(name, col, values[bad], names))
    return ids, names


def _unknown_label_message(name: str, col: str, bad: pd.Series, names: list[str]) -> str:
    example = plain(bad.iloc[0])
    head = f"{name}: column {col!r} has {len(bad)} value(s) outside the known labels {names}, e.g. {example!r}"
    numbers = all(n.lstrip("-").isdigit() for n in names)
    if numbers and isinstance(example, (int, float)) and not isinstance(example, bool):
        return f"{head} (a negative or unknown number is often a 'missing' marker). Fix: remove or relabel those rows."
    return f"{head}. Fix: labels are fixed by the training split; correct those rows, or retrain with that class in the training data."


def label_counts(targets: np.ndarray, names: list[str], problem_type: str) -> dict[str, int]:
    if problem_type == MULTI:
        return {n: int(c) for n, c in zip(names, np.asarray(targets).sum(axis=0), strict=True)}
    counts = np.bincount(np.asarray(targets), minlength=len(names))
    return {n: int(c) for n, c in zip(names, counts, strict=True)}
