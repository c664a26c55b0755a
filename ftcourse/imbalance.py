"""Class imbalance: resampling a training split, class weights, a focal loss and threshold moving.

Resample the *training* split only: a resampled validation or test split no longer measures the
real class mix. Every resampler returns a new DataFrame whose ``attrs["resampling"]`` records the
class counts before and after and how many rows were added or removed, so nothing changes silently.

The losses here are plain ``torch.nn.Module`` objects called as ``loss(logits, labels)``; the course's
classifier Trainer (``ftcourse.train.classifier``) accepts any of them, as well as
``torch.nn.CrossEntropyLoss(weight=class_weights(...))`` and
``torch.nn.BCEWithLogitsLoss(pos_weight=pos_weights(...))``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from ftcourse.errors import DataError

# ---------------------------------------------------------------------------------------------
# Resampling


def _counts(df: pd.DataFrame, label_column: str) -> dict:
    return {(k.item() if hasattr(k, "item") else k): int(v) for k, v in df[label_column].value_counts().sort_index().items()}


def _check(df: pd.DataFrame, label_column: str) -> None:
    if label_column not in df.columns:
        raise DataError(f"column {label_column!r} not found; the DataFrame has {list(df.columns)}. Fix: pass the name of the label column.")
    if df[label_column].isna().any():
        raise DataError(f"column {label_column!r} has {int(df[label_column].isna().sum())} missing label(s). Fix: drop or label those rows first.")
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
        raise ValueError(f"fraction must be in (0, 1] (the share of the majority class to keep); got {fraction}.")
    counts = df[label_column].value_counts()
    majority = counts.index[0]
    is_majority = df[label_column] == majority
    kept = df[is_majority].sample(n=max(1, round(counts.iloc[0] * fraction)), random_state=seed)
    out = pd.concat([df[~is_majority], kept])
    majority = majority.item() if hasattr(majority, "item") else majority
    return _finish(out, df, label_column, f"reduce_majority({fraction})", seed, majority_class=majority, rows_removed=len(df) - len(out))


# ---------------------------------------------------------------------------------------------
# Weights


def class_weights(labels, n_classes: int | None = None, method: str = "inverse", beta: float = 0.999, normalise: bool = True) -> torch.Tensor:
    """One loss weight per class, larger for rarer classes: pass it to ``nn.CrossEntropyLoss(weight=...)``.

    Methods, for a class with ``n_c`` examples out of ``n``, ``C`` classes:

    * ``"inverse"``: ``n / (C * n_c)`` (sklearn's ``compute_class_weight("balanced")``);
    * ``"sqrt_inverse"``: ``1 / sqrt(n_c)``, a milder correction;
    * ``"effective_number"``: ``(1 - beta) / (1 - beta ** n_c)`` (Cui et al., 2019): beyond a point,
      more examples of a class add little new information; beta near 1 approaches ``"inverse"``.

    Args:
        labels: class ids of the training examples (0..C-1).
        n_classes: C; default ``max(labels) + 1``.
        method: one of the above.
        beta: the effective-number hyperparameter, in [0, 1).
        normalise: rescale so that the weights average 1 (the loss keeps its usual size, so the
            learning rate need not change).

    Returns:
        A float32 tensor of C weights.

    Raises:
        DataError: a class has no training example (its weight would be infinite).
    """
    labels = np.asarray(labels).astype(int).ravel()
    n_classes = int(labels.max()) + 1 if n_classes is None else n_classes
    counts = np.bincount(labels, minlength=n_classes).astype(float)
    if (counts == 0).any():
        raise DataError(f"class(es) {np.flatnonzero(counts == 0).tolist()} have no training example, so no weight can be computed. Fix: check the split and the label map.")
    if method == "inverse":
        weights = counts.sum() / (n_classes * counts)
    elif method == "sqrt_inverse":
        weights = 1.0 / np.sqrt(counts)
    elif method == "effective_number":
        if not 0 <= beta < 1:
            raise ValueError(f"beta must be in [0, 1); got {beta}.")
        weights = (1.0 - beta) / (1.0 - np.power(beta, counts))
    else:
        raise ValueError(f"method must be 'inverse', 'sqrt_inverse' or 'effective_number'; got {method!r}.")
    if normalise:
        weights = weights * n_classes / weights.sum()
    return torch.tensor(weights, dtype=torch.float32)


def pos_weights(label_matrix, method: str = "ratio", max_weight: float | None = None) -> torch.Tensor:
    """Per-label positive weights for multi-label ``nn.BCEWithLogitsLoss(pos_weight=...)``.

    Each label's binary loss is separate, so the weight balances that label's positives against its
    own negatives (PyTorch's recommendation): ``"ratio"`` = n_negatives / n_positives (the inverse
    frequency odds; total positive and negative weight become equal), ``"sqrt_ratio"`` = its square
    root, a milder correction. Normalising across labels would change nothing useful (each label's
    balance is what matters), so instead very rare labels can be capped with ``max_weight``:
    8 positives in 5,000 rows give a ratio of 624, which makes training unstable.

    Args:
        label_matrix: (n, n_labels) 0/1 matrix of the training split.
        method: ``"ratio"`` or ``"sqrt_ratio"``.
        max_weight: cap on each weight; None = no cap.

    Returns:
        A float32 tensor of n_labels weights.

    Raises:
        DataError: a label has no positive (or no negative) example in the training split.
    """
    y = np.asarray(label_matrix)
    if y.ndim != 2:
        raise ValueError(f"label_matrix must be 2-D (n_examples, n_labels); got shape {y.shape}.")
    positives = y.sum(axis=0).astype(float)
    negatives = len(y) - positives
    empty = np.flatnonzero((positives == 0) | (negatives == 0)).tolist()
    if empty:
        raise DataError(f"label column(s) {empty} have no positive or no negative example in this split, so no weight can be computed. Fix: use a larger training split or drop the label.")
    ratio = negatives / positives
    if method == "sqrt_ratio":
        ratio = np.sqrt(ratio)
    elif method != "ratio":
        raise ValueError(f"method must be 'ratio' or 'sqrt_ratio'; got {method!r}.")
    if max_weight is not None:
        ratio = np.minimum(ratio, max_weight)
    return torch.tensor(ratio, dtype=torch.float32)


# ---------------------------------------------------------------------------------------------
# Focal loss


def focal_loss(logits: torch.Tensor, targets: torch.Tensor, gamma: float = 2.0, alpha=None, reduction: str = "mean") -> torch.Tensor:
    """Focal loss (Lin et al., 2017): cross-entropy scaled by ``(1 - p_t) ** gamma``.

    Confident, correct predictions (p_t near 1) contribute almost nothing, so training concentrates
    on the hard examples, which in imbalanced data are mostly the rare class. ``gamma = 0`` is plain
    cross-entropy.

    Two cases, chosen by the targets:

    * single-label: ``logits`` (N, C), ``targets`` (N,) integer class ids; softmax. ``alpha`` is None
      or a tensor of C class weights (e.g. :func:`class_weights`); the mean is then weighted like
      ``F.cross_entropy(weight=alpha)``.
    * binary / multi-label: ``logits`` and float 0/1 ``targets`` of the same shape; sigmoid. ``alpha``
      is None, a float in (0, 1) weighting positives by alpha and negatives by 1 - alpha (as in the
      paper), or a tensor of per-label positive weights broadcast over the last dimension.

    Args:
        logits: raw model outputs.
        targets: as above.
        gamma: focusing strength, >= 0 (2 in the paper).
        alpha: class balancing, as above.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.

    Returns:
        The loss (a scalar unless ``reduction="none"``).
    """
    if gamma < 0:
        raise ValueError(f"gamma must be >= 0; got {gamma}.")
    if targets.dtype in (torch.long, torch.int, torch.int16, torch.int8, torch.uint8) and logits.dim() == targets.dim() + 1:
        log_p = F.log_softmax(logits, dim=-1)
        log_pt = log_p.gather(-1, targets.long().unsqueeze(-1)).squeeze(-1)
        weight = torch.ones_like(log_pt) if alpha is None else torch.as_tensor(alpha, dtype=logits.dtype, device=logits.device)[targets.long()]
    elif logits.shape == targets.shape:
        targets = targets.to(logits.dtype)
        # log p_t for a sigmoid output, computed stably from the logits.
        log_pt = -F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
        if alpha is None:
            weight = torch.ones_like(log_pt)
        elif isinstance(alpha, float | int):
            weight = alpha * targets + (1 - alpha) * (1 - targets)
        else:
            pos = torch.as_tensor(alpha, dtype=logits.dtype, device=logits.device)
            weight = pos * targets + (1 - targets)
    else:
        raise ValueError(
            f"focal_loss: logits {tuple(logits.shape)} and targets {tuple(targets.shape)} do not fit: use (N, C) logits with (N,) "
            "integer class ids, or logits and 0/1 float targets of the same shape."
        )
    loss = -weight * (1 - log_pt.exp()) ** gamma * log_pt
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.sum() / weight.sum() if alpha is not None and logits.dim() == targets.dim() + 1 else loss.mean()
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none'; got {reduction!r}.")


class FocalLoss(nn.Module):
    """``loss(logits, targets)`` computing :func:`focal_loss`; a drop-in for ``nn.CrossEntropyLoss`` or ``nn.BCEWithLogitsLoss``.

    Args:
        gamma: focusing strength (0 = cross-entropy).
        alpha: class balancing; see :func:`focal_loss`. A tensor is stored as a buffer so it moves
            with the module to the GPU.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.
    """

    def __init__(self, gamma: float = 2.0, alpha=None, reduction: str = "mean"):
        super().__init__()
        self.gamma = gamma
        self.reduction = reduction
        self.alpha_scalar = float(alpha) if isinstance(alpha, float | int) else None
        self.register_buffer("alpha", None if alpha is None or self.alpha_scalar is not None else torch.as_tensor(alpha, dtype=torch.float32))

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        alpha = self.alpha_scalar if self.alpha_scalar is not None else self.alpha
        return focal_loss(logits, targets, gamma=self.gamma, alpha=alpha, reduction=self.reduction)

    def get_config_dict(self) -> dict:
        """The hyperparameters, for logging and model cards."""
        alpha = self.alpha_scalar if self.alpha_scalar is not None else (None if self.alpha is None else self.alpha.tolist())
        return {"gamma": self.gamma, "alpha": alpha, "reduction": self.reduction}


# ---------------------------------------------------------------------------------------------
# Threshold moving for single-label classifiers
# (multi-label thresholds per label: ftcourse.evaluation.tune_thresholds)


def threshold_moving(probabilities, class_index: int, threshold: float) -> np.ndarray:
    """Predict ``class_index`` whenever its probability reaches ``threshold``, else the most likely other class.

    Argmax predicts the rare class only when it beats every other class, which for a 5 % class is
    rare; lowering its threshold trades precision for recall without retraining.

    Args:
        probabilities: (n, C) class probabilities (rows sum to 1).
        class_index: the class to favour (e.g. the "hate" id).
        threshold: its decision threshold; ``1 / C`` is close to argmax, lower favours the class more.

    Returns:
        (n,) predicted class ids.
    """
    probabilities = np.asarray(probabilities, dtype=float)
    others = probabilities.copy()
    others[:, class_index] = -np.inf
    return np.where(probabilities[:, class_index] >= threshold, class_index, others.argmax(axis=1))


def tune_class_threshold(y_true, probabilities, class_index: int, objective: str = "class_f1", grid: Sequence[float] | None = None) -> tuple[float, float]:
    """The threshold for :func:`threshold_moving` that maximises an objective on a validation split.

    Args:
        y_true: (n,) true class ids of the validation split.
        probabilities: (n, C) probabilities on the same split.
        class_index: the favoured class.
        objective: ``"class_f1"`` (F1 of that class) or ``"macro_f1"``.
        grid: candidate thresholds; default 0.01 ... 0.99.

    Returns:
        ``(threshold, objective value on this split)``; apply the threshold to the test split.
    """
    from sklearn.metrics import f1_score

    from ftcourse.evaluation import DEFAULT_THRESHOLD_GRID

    y_true = np.asarray(y_true).astype(int)
    grid = DEFAULT_THRESHOLD_GRID if grid is None else np.asarray(grid, dtype=float)
    if objective == "class_f1":
        score = lambda pred: f1_score(y_true == class_index, pred == class_index, zero_division=0)  # noqa: E731
    elif objective == "macro_f1":
        labels = list(range(np.asarray(probabilities).shape[1]))
        score = lambda pred: f1_score(y_true, pred, labels=labels, average="macro", zero_division=0)  # noqa: E731
    else:
        raise ValueError(f"objective must be 'class_f1' or 'macro_f1'; got {objective!r}.")
    values = [score(threshold_moving(probabilities, class_index, t)) for t in grid]
    best = int(np.argmax(values))
    return float(grid[best]), float(values[best])
