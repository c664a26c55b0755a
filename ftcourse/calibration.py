"""Calibration of a classifier's probabilities: does "0.8" mean right 80 % of the time?

Multi-label outputs are one sigmoid per label, so each label is a binary problem: its predicted
probability ``p`` is compared with how often the label is really present among the rows that got
about ``p``. ``reliability_table`` bins the probabilities, ``ece`` (expected calibration error) is
the row-weighted mean gap between the two, and temperature scaling (Guo et al., 2017) divides the
logits by one number ``T`` fitted on validation: ``T > 1`` softens over-confident probabilities
towards 0.5, ``T < 1`` sharpens under-confident ones. Dividing by ``T > 0`` never reorders the
rows, so ROC-AUC and PR-AUC stay exactly as they were; only what the numbers mean changes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar

from ftcourse.errors import UsageError

_EPS = 1e-7  # probabilities are clipped to [eps, 1 - eps] before taking logits or logs


def _binary_inputs(y_true, y_prob) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true, dtype=float).ravel()
    p = np.asarray(y_prob, dtype=float).ravel()
    if y.shape != p.shape:
        raise UsageError(f"calibration: {y.size} labels but {p.size} probabilities. Fix: pass one probability per label.")
    if p.size and (np.nanmin(p) < 0 or np.nanmax(p) > 1):
        raise UsageError("calibration: probabilities must lie in [0, 1]. Fix: apply the sigmoid (or softmax) to logits first.")
    return y, p


def reliability_table(y_true, y_prob, n_bins: int = 10) -> pd.DataFrame:
    """Bin one label's probabilities and compare each bin's mean probability with its share of positives.

    Args:
        y_true: 0/1 labels, one per row.
        y_prob: the predicted probability of the positive label, one per row.
        n_bins: equal-width bins over [0, 1]; a probability on an inner edge goes to the upper bin, 1.0 to the last.

    Returns:
        One row per non-empty bin: ``low``, ``high`` (the bin's edges), ``count``, ``mean_probability``
        (confidence), ``positive_rate`` (accuracy of that confidence) and ``gap`` (positive_rate - mean_probability:
        above 0 means under-confident, below 0 over-confident).
    """
    y, p = _binary_inputs(y_true, y_prob)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    index = np.clip(np.digitize(p, edges[1:-1], right=False), 0, n_bins - 1)
    rows = []
    for b in range(n_bins):
        mask = index == b
        if mask.any():
            mean_p, rate = float(p[mask].mean()), float(y[mask].mean())
            rows.append(
                {
                    "low": edges[b],
                    "high": edges[b + 1],
                    "count": int(mask.sum()),
                    "mean_probability": mean_p,
                    "positive_rate": rate,
                    "gap": rate - mean_p,
                }
            )
    return pd.DataFrame(rows, columns=["low", "high", "count", "mean_probability", "positive_rate", "gap"])


def ece(y_true, y_prob, n_bins: int = 10) -> float:
    """Expected calibration error of one label: sum over bins of (rows in bin / rows) * |positive rate - mean probability|.

    0 is perfect calibration; the worst possible is 1. See :func:`reliability_table` for the bins.
    """
    table = reliability_table(y_true, y_prob, n_bins)
    if table.empty:
        return float("nan")
    return float((table["count"] * table["gap"].abs()).sum() / table["count"].sum())


def macro_ece(y_true, y_prob, n_bins: int = 10) -> float:
    """The mean of :func:`ece` over the columns (labels) of two ``(rows, labels)`` arrays."""
    y, p = np.asarray(y_true), np.asarray(y_prob)
    if y.ndim == 1:
        return ece(y, p, n_bins)
    return float(np.mean([ece(y[:, j], p[:, j], n_bins) for j in range(y.shape[1])]))


def probabilities_to_logits(y_prob) -> np.ndarray:
    """The inverse of the sigmoid, with probabilities clipped to [1e-7, 1 - 1e-7] so that 0 and 1 stay finite."""
    p = np.clip(np.asarray(y_prob, dtype=float), _EPS, 1 - _EPS)
    return np.log(p) - np.log1p(-p)


def apply_temperature(logits, temperature) -> np.ndarray:
    """Sigmoid probabilities of ``logits / temperature`` (a number, or one per column of ``logits``)."""
    t = np.asarray(temperature, dtype=float)
    if np.any(t <= 0):
        raise UsageError(f"temperature must be above 0, got {temperature!r}.")
    return 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=float) / t))


def _nll(logits: np.ndarray, y: np.ndarray, temperature: float) -> float:
    p = np.clip(apply_temperature(logits, temperature), _EPS, 1 - _EPS)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)))


def fit_temperature(logits, y_true, per_label: bool = False, bounds: tuple[float, float] = (0.05, 20.0)):
    """The temperature that minimises the binary cross-entropy (negative log-likelihood) of ``y_true``.

    Fit it on validation, never on test: it is a parameter learnt from data like any other.

    Args:
        logits: ``(rows,)`` or ``(rows, labels)`` logits (use :func:`probabilities_to_logits` on saved probabilities).
        y_true: 0/1 labels of the same shape.
        per_label: one temperature per column instead of one shared by all (noisier on rare labels).
        bounds: the search interval of ``T``; the search runs over ``log T``, bounded by scipy's Brent method.

    Returns:
        A float, or an array with one temperature per column when ``per_label``.
    """
    z, y = np.asarray(logits, dtype=float), np.asarray(y_true, dtype=float)
    if z.shape != y.shape:
        raise UsageError(f"fit_temperature: logits of shape {z.shape} but labels of shape {y.shape}. Fix: pass matching arrays.")
    if per_label and z.ndim == 2:
        return np.array([fit_temperature(z[:, j], y[:, j], bounds=bounds) for j in range(z.shape[1])])
    result = minimize_scalar(
        lambda log_t: _nll(z, y, float(np.exp(log_t))), bounds=tuple(np.log(bounds)), method="bounded", options={"xatol": 1e-5}
    )
    return float(np.exp(result.x))
