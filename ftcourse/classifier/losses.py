"""Every way a classifier's loss is weighted, in one place: class weights (cross-entropy), positive
weights (BCE), the focal loss, and the ``--balance-classes`` policy that picks among them."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ftcourse.classifier.labels import MULTI
from ftcourse.errors import DataError, UsageError


def class_weights(
    labels, n_classes: int | None = None, method: str = "inverse", beta: float = 0.999, normalise: bool = True
) -> torch.Tensor:
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
        raise DataError(
            f"class(es) {np.flatnonzero(counts == 0).tolist()} have no training example, so no weight can be computed. Fix: check the split and the label map."
        )
    if method == "inverse":
        weights = counts.sum() / (n_classes * counts)
    elif method == "sqrt_inverse":
        weights = 1.0 / np.sqrt(counts)
    elif method == "effective_number":
        if not 0 <= beta < 1:
            raise UsageError(f"beta must be in [0, 1); got {beta}.")
        weights = (1.0 - beta) / (1.0 - np.power(beta, counts))
    else:
        raise UsageError(f"method must be 'inverse', 'sqrt_inverse' or 'effective_number'; got {method!r}.")
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
        raise UsageError(f"label_matrix must be 2-D (n_examples, n_labels); got shape {y.shape}.")
    positives = y.sum(axis=0).astype(float)
    negatives = len(y) - positives
    empty = np.flatnonzero((positives == 0) | (negatives == 0)).tolist()
    if empty:
        raise DataError(
            f"label column(s) {empty} have no positive or no negative example in this split, so no weight can be computed. Fix: use a larger training split or drop the label."
        )
    ratio = negatives / positives
    if method == "sqrt_ratio":
        ratio = np.sqrt(ratio)
    elif method != "ratio":
        raise UsageError(f"method must be 'ratio' or 'sqrt_ratio'; got {method!r}.")
    if max_weight is not None:
        ratio = np.minimum(ratio, max_weight)
    return torch.tensor(ratio, dtype=torch.float32)


def focal_loss(
    logits: torch.Tensor, targets: torch.Tensor, gamma: float = 2.0, alpha=None, reduction: str = "mean"
) -> torch.Tensor:
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
        raise UsageError(f"gamma must be >= 0; got {gamma}.")
    if targets.dtype in (torch.long, torch.int, torch.int16, torch.int8, torch.uint8) and logits.dim() == targets.dim() + 1:
        log_p = F.log_softmax(logits, dim=-1)
        log_pt = log_p.gather(-1, targets.long().unsqueeze(-1)).squeeze(-1)
        weight = (
            torch.ones_like(log_pt)
            if alpha is None
            else torch.as_tensor(alpha, dtype=logits.dtype, device=logits.device)[targets.long()]
        )
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
        raise UsageError(
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
    raise UsageError(f"reduction must be 'mean', 'sum' or 'none'; got {reduction!r}.")


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
        self.register_buffer(
            "alpha", None if alpha is None or self.alpha_scalar is not None else torch.as_tensor(alpha, dtype=torch.float32)
        )

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        alpha = self.alpha_scalar if self.alpha_scalar is not None else self.alpha
        return focal_loss(logits, targets, gamma=self.gamma, alpha=alpha, reduction=self.reduction)

    def get_config_dict(self) -> dict:
        """The hyperparameters, for logging and model cards."""
        alpha = self.alpha_scalar if self.alpha_scalar is not None else (None if self.alpha is None else self.alpha.tolist())
        return {"gamma": self.gamma, "alpha": alpha, "reduction": self.reduction}


def build_loss(
    problem_type: str,
    targets: np.ndarray,
    n_labels: int,
    class_weighting: str | None = None,
    loss=None,
    max_pos_weight: float | None = 50.0,
):
    """The loss module for training, or None for the model's own unweighted loss.

    Args:
        problem_type: single- or multi-label.
        targets: the training targets from :func:`encode_labels`.
        n_labels: number of classes / labels.
        class_weighting: None (unweighted) or a method. Single-label: ``"inverse"``, ``"sqrt_inverse"``
            or ``"effective_number"`` (:func:`class_weights`, normalised to mean 1)
            for a weighted cross-entropy. Multi-label: ``"inverse"`` (negatives / positives per label)
            or ``"sqrt_inverse"`` (its square root) as ``pos_weight`` of ``BCEWithLogitsLoss``
            (:func:`pos_weights`).
        loss: a ready loss module; wins over ``class_weighting``.
        max_pos_weight: cap on a multi-label ``pos_weight``: a label with 6 positives in 3,500 rows
            would otherwise weigh ~600 and make training unstable.
    """
    if loss is not None:
        return loss
    if not class_weighting:
        return None
    if problem_type == MULTI:
        methods = {"inverse": "ratio", "ratio": "ratio", "sqrt_inverse": "sqrt_ratio", "sqrt_ratio": "sqrt_ratio"}
        if class_weighting not in methods:
            raise UsageError(f"class_weighting={class_weighting!r} for multi-label data: choose one of {sorted(methods)}.")
        weights = pos_weights(np.asarray(targets).astype(int), method=methods[class_weighting], max_weight=max_pos_weight)
        return torch.nn.BCEWithLogitsLoss(pos_weight=torch.as_tensor(weights, dtype=torch.float32))
    weights = class_weights(np.asarray(targets), n_classes=n_labels, method=class_weighting)
    return torch.nn.CrossEntropyLoss(weight=torch.as_tensor(weights, dtype=torch.float32))


def balanced_weighting(label_columns) -> str:
    """The ``class_weighting`` that ``--balance-classes`` picks: ``"inverse"`` for one class column;
    ``"sqrt_inverse"`` for several 0/1 columns (the plain ratio reaches ~600 for Jigsaw's threat label)."""
    return "sqrt_inverse" if len(list(label_columns)) > 1 else "inverse"
