"""The numbers of a classifier on one split: probabilities from logits, the metric that picks the best
checkpoint, per-label thresholds tuned on validation, and the evaluation report."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ftcourse import evaluation
from ftcourse.classifier.labels import MULTI
from ftcourse.evaluation import tune_thresholds


def probabilities(logits: np.ndarray, problem_type: str) -> np.ndarray:
    """Sigmoid (multi-label) or softmax (single-label) of raw logits."""
    logits = np.asarray(logits, dtype=np.float64)
    if problem_type == MULTI:
        return 1.0 / (1.0 + np.exp(-logits))
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def selection_metrics(y_true: np.ndarray, probs: np.ndarray, problem_type: str, min_positives: int = 5) -> dict[str, float]:
    """The validation numbers early stopping watches (and the headline numbers of a split).

    Multi-label: ``roc_auc_macro`` over the labels with at least ``min_positives`` positives
    (:func:`ftcourse.evaluation.multilabel_report`; if none has that many, over every label with one),
    ``pr_auc_macro`` and ``f1_macro`` at 0.5. Single-label: ``f1_macro`` and ``accuracy``.
    """
    from sklearn.metrics import accuracy_score

    if problem_type == MULTI:
        y_true = np.asarray(y_true).astype(int)
        names = [f"label_{j}" for j in range(y_true.shape[1])]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tiny validation splits: "too few positives" is expected here
            _, macro = evaluation.multilabel_report(y_true, probs, names, min_positives=min_positives)
            if macro["n_evaluated"] == 0:
                _, macro = evaluation.multilabel_report(y_true, probs, names, min_positives=1)
            _, f1 = evaluation.f1_at_thresholds(y_true, probs, 0.5, names)
        return {
            "roc_auc_macro": macro["roc_auc"],
            "pr_auc_macro": macro["pr_auc"],
            "f1_macro": f1,
            "labels_scored": macro["n_evaluated"],
        }
    pred = probs.argmax(axis=1)
    names = [str(j) for j in range(probs.shape[1])]
    _, f1 = evaluation.classification_report_table(y_true, pred, names)
    return {"f1_macro": f1, "accuracy": float(accuracy_score(y_true, pred))}


def tune_label_thresholds(y_true: np.ndarray, probs: np.ndarray, names: list[str], min_positives: int = 5) -> dict[str, float]:
    """Per-label F1-maximising thresholds (:func:`ftcourse.evaluation.tune_thresholds`), only where tuning means something.

    A label with fewer than ``min_positives`` positives in the split keeps 0.5: a threshold fitted to
    one or two examples is noise, and would flag unrelated texts on new data.

    Returns:
        ``{label: threshold}``.
    """
    y_true = np.asarray(y_true).astype(int)
    tunable = [j for j, _ in enumerate(names) if y_true[:, j].sum() >= min_positives]
    thresholds = dict.fromkeys(names, 0.5)
    if tunable:
        tuned = tune_thresholds(y_true[:, tunable], np.asarray(probs)[:, tunable], label_names=[names[j] for j in tunable])
        thresholds.update({k: float(v) for k, v in tuned.items()})
    return thresholds


def thresholds_for(problem_type: str, y_true: np.ndarray, probs: np.ndarray, names: list[str]) -> dict[str, float]:
    # Multi-label decisions are one threshold per label, tuned on validation; single-label uses argmax.
    if problem_type != MULTI:
        return {n: 0.5 for n in names}
    return tune_label_thresholds(y_true, probs, names)


def evaluation_report(
    problem_type: str,
    y_true: np.ndarray,
    probs: np.ndarray,
    names: list[str],
    thresholds: dict[str, float] | None = None,
    min_positives: int = 5,
) -> tuple[pd.DataFrame, dict]:
    """How good the model is on one split: a per-label (or per-class) table and headline numbers.

    Multi-label: :func:`ftcourse.evaluation.multilabel_report` (ROC-AUC, PR-AUC; labels with fewer
    than ``min_positives`` positives are not scored) beside F1 at 0.5 and at ``thresholds``
    (:func:`ftcourse.evaluation.f1_at_thresholds`). Single-label:
    :func:`ftcourse.evaluation.classification_report_table` and accuracy.

    Returns:
        ``(table, summary)``: the table has one row per label; ``summary`` holds ``roc_auc_macro``,
        ``pr_auc_macro``, ``f1_macro_at_0.5``, ``f1_macro_tuned``, ``n_evaluated``, ``not_evaluated``
        (multi-label) or ``f1_macro``, ``accuracy`` (single-label).
    """
    if problem_type == MULTI:
        y_true = np.asarray(y_true).astype(int)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a label without positives keeps threshold 0.5; the table says so
            table, macro = evaluation.multilabel_report(y_true, probs, names, min_positives=min_positives)
            at_half, f1_half = evaluation.f1_at_thresholds(y_true, probs, 0.5, names)
            tuned, f1_tuned = evaluation.f1_at_thresholds(y_true, probs, thresholds or dict.fromkeys(names, 0.5), names)
        table = table.assign(f1_at_05=at_half["f1"], threshold=tuned["threshold"], f1_tuned=tuned["f1"])
        table = table[["n_positives", "prevalence", "roc_auc", "pr_auc", "f1_at_05", "threshold", "f1_tuned", "status"]]
        summary = {
            "roc_auc_macro": macro["roc_auc"],
            "pr_auc_macro": macro["pr_auc"],
            "f1_macro_at_0.5": f1_half,
            "f1_macro_tuned": f1_tuned,
            "n_evaluated": macro["n_evaluated"],
            "not_evaluated": macro["not_evaluated"],
        }
        return table, summary
    from sklearn.metrics import accuracy_score

    pred = probs.argmax(axis=1)
    table, f1 = evaluation.classification_report_table(y_true, pred, names)
    return table, {"f1_macro": f1, "accuracy": float(accuracy_score(y_true, pred))}
