"""The course's plots. Each function returns a matplotlib ``Figure`` and saves it as PNG when given ``save_to``.

The figures are built with ``matplotlib.figure.Figure`` rather than ``pyplot``: nothing is drawn
behind your back and nothing piles up in memory. In a notebook, make the figure the last
expression of a cell (or call ``display(fig)``) to see it.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ftcourse.calibration import ece, reliability_table
from ftcourse.errors import UsageError

# Columns the Trainer logs that are bookkeeping, not learning curves.
_NOT_CURVES = {
    "step",
    "epoch",
    "time",
    "learning_rate",
    "grad_norm",
    "total_flos",
    "train_runtime",
    "train_samples_per_second",
    "train_steps_per_second",
    "train_loss",
}
_EVAL_BOOKKEEPING = ("_runtime", "_samples_per_second", "_steps_per_second", "_model_preparation_time")


def _figure_png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return buffer.getvalue()


def _show_in_notebooks() -> None:
    """Let IPython display a Figure as PNG even when pyplot (which sets up the inline backend) was never imported."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return
    png = shell.display_formatter.formatters["image/png"]
    try:
        png.lookup_by_type(Figure)
    except KeyError:
        png.for_type(Figure, _figure_png)


def _finish(fig: Figure, save_to: str | os.PathLike | None) -> Figure:
    _show_in_notebooks()
    fig.tight_layout()
    if save_to is not None:
        os.makedirs(os.path.dirname(os.path.abspath(save_to)), exist_ok=True)
        fig.savefig(save_to, dpi=110, format="png")
    return fig


def confusion_matrix_plot(
    y_true, y_pred, label_names: Sequence[str], normalize: str | None = "true", title: str | None = None, save_to=None
) -> Figure:
    """Confusion matrix (rows: true class, columns: predicted class), via sklearn's ConfusionMatrixDisplay.

    Args:
        y_true, y_pred: class ids 0..len(label_names)-1.
        label_names: the name of each class id.
        normalize: ``"true"`` shows each row as shares (recall per class on the diagonal), None shows counts.
        title: optional title.
        save_to: PNG path, or None.
    """
    from sklearn.metrics import ConfusionMatrixDisplay

    size = max(3.5, 1.1 * len(label_names) + 1.5)
    fig = Figure(figsize=(size, size * 0.85))
    ax = fig.add_subplot()
    ConfusionMatrixDisplay.from_predictions(
        y_true,
        y_pred,
        labels=list(range(len(label_names))),
        display_labels=list(label_names),
        normalize=normalize,
        values_format=".2f" if normalize else "d",
        cmap="Blues",
        colorbar=False,
        ax=ax,
    )
    ax.set_title(title or ("confusion matrix (rows sum to 1)" if normalize == "true" else "confusion matrix"))
    return _finish(fig, save_to)


def _per_label(y_true, y_score, label_names):
    """(name, 0/1 truth, score) per curve: binary, multi-label (2-D truth) or multi-class one-vs-rest (1-D ids, 2-D scores)."""
    y_true, y_score = np.asarray(y_true), np.asarray(y_score, dtype=float)
    if y_true.ndim == 1 and y_score.ndim == 2:  # multi-class: one curve per class, one-vs-rest
        y_true = np.eye(y_score.shape[1], dtype=int)[y_true]
    if y_true.ndim == 1:
        y_true, y_score = y_true[:, None], y_score[:, None]
    if y_true.shape != y_score.shape:
        raise UsageError(f"y_true has shape {y_true.shape} but the scores have {y_score.shape}.")
    names = (
        list(label_names)
        if label_names is not None
        else (["positive"] if y_true.shape[1] == 1 else [f"label_{j}" for j in range(y_true.shape[1])])
    )
    if len(names) != y_true.shape[1]:
        raise UsageError(f"{len(names)} label names for {y_true.shape[1]} curves.")
    return [(name, y_true[:, j].astype(int), y_score[:, j]) for j, name in enumerate(names)]


def _curve_plot(kind: str, y_true, y_score, label_names, title, save_to) -> Figure:
    from sklearn.metrics import PrecisionRecallDisplay, RocCurveDisplay

    fig = Figure(figsize=(5.5, 4.5))
    ax = fig.add_subplot()
    skipped = []
    for name, truth, score in _per_label(y_true, y_score, label_names):
        n_pos = int(truth.sum())
        if n_pos == 0 or n_pos == len(truth):
            skipped.append(f"{name} (n={n_pos} positives)")  # no curve exists with one class only
            continue
        if kind == "roc":
            RocCurveDisplay.from_predictions(truth, score, name=name, ax=ax, plot_chance_level=False)
        else:
            PrecisionRecallDisplay.from_predictions(truth, score, name=f"{name} (prevalence {n_pos / len(truth):.2f})", ax=ax)
    if kind == "roc":
        ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1, label="chance (AUC = 0.5)")
    else:
        ax.set_ylim(0, 1.02)  # a random ranker's precision equals the prevalence shown in the legend
    ax.set_xlabel("false positive rate" if kind == "roc" else "recall")
    ax.set_ylabel("true positive rate (recall)" if kind == "roc" else "precision")
    ax.legend(fontsize=8, loc="lower right" if kind == "roc" else "lower left")
    title = title or ("ROC curves" if kind == "roc" else "precision-recall curves")
    ax.set_title(title + ("\nno curve (one class only): " + ", ".join(skipped) if skipped else ""), fontsize=10)
    return _finish(fig, save_to)


def roc_curves(y_true, y_score, label_names: Sequence[str] | None = None, title: str | None = None, save_to=None) -> Figure:
    """ROC curve per label (sklearn RocCurveDisplay), with AUC in the legend and the chance diagonal.

    Args:
        y_true: 0/1 vector (binary), 0/1 matrix (n, n_labels) (multi-label), or class ids with a
            score matrix (multi-class, one curve per class against the rest).
        y_score: scores or probabilities, same shape as a 0/1 truth (n,) or (n, n_labels).
        label_names: one name per curve; default ``positive`` / ``label_j``.
        title: optional title.
        save_to: PNG path, or None.

    Labels whose truth has a single class in this data get no curve; the plot says so.
    """
    return _curve_plot("roc", y_true, y_score, label_names, title, save_to)


def pr_curves(y_true, y_score, label_names: Sequence[str] | None = None, title: str | None = None, save_to=None) -> Figure:
    """Precision-recall curve per label (sklearn PrecisionRecallDisplay), with average precision and prevalence.

    Same inputs as :func:`roc_curves`. For rare labels this is the plot to read: a random model's
    precision is the prevalence, so the curve's height above it is what the model adds.
    """
    return _curve_plot("pr", y_true, y_score, label_names, title, save_to)


def training_curves(history: pd.DataFrame, title: str | None = None, save_to=None) -> Figure:
    """Training loss and every logged evaluation metric against the optimiser step.

    Args:
        history: the DataFrame of :func:`ftcourse.train.read_training_log` (columns ``step``,
            ``loss``, ``eval_loss``, ``eval_<metric>`` ...; one row per log event).
        title: optional title.
        save_to: PNG path, or None.

    Returns:
        A figure with the losses on the left and the other eval metrics on the right (when logged).
    """
    if "step" not in history:
        raise UsageError(
            f"history has no 'step' column (columns: {list(history.columns)}); pass the output of read_training_log."
        )
    curves = [
        c
        for c in history.columns
        if c not in _NOT_CURVES
        and not c.endswith(_EVAL_BOOKKEEPING)
        and pd.api.types.is_numeric_dtype(history[c])
        and history[c].notna().any()
    ]
    losses = [c for c in curves if c.endswith("loss")]
    metrics = [c for c in curves if c not in losses]
    if not curves:
        raise UsageError("history holds no loss or eval metric to plot; was logging_steps / eval_strategy set?")
    panels = [(cols, ylabel) for cols, ylabel in ((losses, "loss"), (metrics, "metric")) if cols]
    fig = Figure(figsize=(5.5 * len(panels), 4))
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (columns, ylabel) in zip(axes, panels, strict=True):
        for column in columns:
            points = history[["step", column]].dropna()
            ax.plot(points["step"], points[column], marker="o" if len(points) < 30 else None, markersize=3, label=column)
        ax.set_xlabel("step")
        ax.set_ylabel(ylabel)
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.suptitle(title or "training curves")
    return _finish(fig, save_to)


def embedding_map(
    embeddings,
    labels,
    method: str = "pca",
    label_names: Sequence[str] | None = None,
    seed: int = 0,
    title: str | None = None,
    save_to=None,
) -> Figure:
    """Embeddings projected to 2-D, one colour per label.

    PCA keeps global distances (a straight projection); t-SNE keeps neighbourhoods (clusters are
    meaningful, distances between clusters and cluster sizes are not).

    Args:
        embeddings: (n, dim) array.
        labels: (n,) label per point (ids or names).
        method: ``"pca"`` or ``"tsne"`` (sklearn).
        label_names: names for integer label ids.
        seed: random state of t-SNE.
        title: optional title.
        save_to: PNG path, or None.
    """
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    embeddings, labels = np.asarray(embeddings, dtype=float), np.asarray(labels)
    if len(embeddings) != len(labels):
        raise UsageError(f"{len(embeddings)} embeddings but {len(labels)} labels.")
    if method == "pca":
        points = PCA(n_components=2, random_state=seed).fit_transform(embeddings)
    elif method == "tsne":
        perplexity = float(min(30, max(2, (len(embeddings) - 1) // 3)))  # t-SNE needs perplexity < n
        points = TSNE(n_components=2, perplexity=perplexity, metric="cosine", init="pca", random_state=seed).fit_transform(
            embeddings
        )
    else:
        raise UsageError(f"method must be 'pca' or 'tsne'; got {method!r}.")
    fig = Figure(figsize=(5.5, 4.5))
    ax = fig.add_subplot()
    for value in np.unique(labels):
        mask = labels == value
        name = label_names[int(value)] if label_names is not None and np.issubdtype(labels.dtype, np.integer) else str(value)
        ax.scatter(points[mask, 0], points[mask, 1], s=10, alpha=0.7, label=f"{name} (n={int(mask.sum())})")
    ax.legend(fontsize=8, markerscale=2)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title or f"embedding map ({method.upper() if method == 'pca' else 't-SNE'})")
    return _finish(fig, save_to)


def comparison_chart(
    table,
    name: str = "name",
    value: str = "value",
    low: str = "low",
    high: str = "high",
    xlabel: str = "metric",
    title: str | None = None,
    save_to=None,
) -> Figure:
    """Horizontal bars of one metric per model/setting, with confidence intervals as error bars.

    Overlapping intervals are a warning sign, not proof: use :func:`ftcourse.evaluation.paired_bootstrap`
    to test a difference on the same test set.

    Args:
        table: DataFrame (or list of dicts) with columns ``name``, ``value`` and optionally ``low``/``high``
            (e.g. from :func:`ftcourse.evaluation.bootstrap_ci`).
        name, value, low, high: the column names to use.
        xlabel: the metric's name for the axis.
        title: optional title.
        save_to: PNG path, or None.
    """
    table = pd.DataFrame(table)
    missing = [c for c in (name, value) if c not in table]
    if missing:
        raise UsageError(f"comparison_chart needs columns {missing}; got {list(table.columns)}.")
    fig = Figure(figsize=(6.5, 0.5 * len(table) + 1.5))
    ax = fig.add_subplot()
    y = np.arange(len(table))[::-1]
    errors = None
    if low in table and high in table:
        errors = np.vstack([table[value] - table[low], table[high] - table[value]])
    ax.barh(y, table[value], xerr=errors, capsize=4, color="steelblue", alpha=0.8)
    for yi, v in zip(y, table[value], strict=True):
        ax.text(v, yi + 0.25, f" {v:.3f}", va="center", fontsize=8)
    ax.set_yticks(y, table[name].astype(str))
    ax.set_xlabel(xlabel + (" (bars: 95 % CI)" if errors is not None else ""))
    ax.set_title(title or "comparison")
    ax.grid(axis="x", alpha=0.3)
    return _finish(fig, save_to)


def score_histograms(
    scores_pos,
    scores_neg,
    threshold: float | None = None,
    xlabel: str = "cosine similarity",
    title: str | None = None,
    save_to=None,
) -> Figure:
    """Histograms of a score (similarity or distance) for positive and negative pairs.

    The less the two histograms overlap, the better any threshold separates the pairs; a
    fine-tuned embedder should push them apart.

    Args:
        scores_pos: scores of the positive pairs (same meaning / same class).
        scores_neg: scores of the negative pairs.
        threshold: optional decision threshold, drawn as a vertical line.
        xlabel: what the score is.
        title: optional title.
        save_to: PNG path, or None.
    """
    scores_pos, scores_neg = np.asarray(scores_pos, dtype=float), np.asarray(scores_neg, dtype=float)
    fig = Figure(figsize=(5.5, 3.8))
    ax = fig.add_subplot()
    bins = np.histogram_bin_edges(np.concatenate([scores_pos, scores_neg]), bins=30)
    ax.hist(scores_neg, bins=bins, alpha=0.6, density=True, color="tab:red", label=f"negative pairs (n={len(scores_neg)})")
    ax.hist(scores_pos, bins=bins, alpha=0.6, density=True, color="tab:green", label=f"positive pairs (n={len(scores_pos)})")
    if threshold is not None:
        ax.axvline(threshold, color="black", linestyle="--", linewidth=1, label=f"threshold {threshold:.2f}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("density")
    ax.legend(fontsize=8)
    ax.set_title(title or f"{xlabel}: positive vs negative pairs")
    return _finish(fig, save_to)


def reliability_diagram(
    y_true, probabilities: dict, label_names: Sequence[str], n_bins: int = 10, title: str | None = None, save_to=None
) -> Figure:
    """One panel per label: each bin's mean predicted probability against its share of positives.

    A calibrated model lies on the diagonal; points above it are under-confident (the label is present
    more often than predicted), points below over-confident. Marker area grows with the rows in the bin,
    and the legend gives each model's ECE (:func:`ftcourse.calibration.ece`).

    Args:
        y_true: ``(rows, labels)`` 0/1 array.
        probabilities: ``{model name: (rows, labels) probabilities}``, e.g. before and after temperature scaling.
        label_names: one name per column.
        n_bins: equal-width probability bins.
        title, save_to: optional title; PNG path, or None.
    """
    y = np.asarray(y_true)
    names = list(label_names)
    cols = min(3, len(names))
    rows = int(np.ceil(len(names) / cols))
    fig = Figure(figsize=(3.6 * cols, 3.4 * rows))
    for j, label in enumerate(names):
        ax = fig.add_subplot(rows, cols, j + 1)
        ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1)
        for name, probs in probabilities.items():
            table = reliability_table(y[:, j], np.asarray(probs)[:, j], n_bins)
            size = 8 + 200 * table["count"] / max(len(y), 1)
            line = ax.plot(table["mean_probability"], table["positive_rate"], marker=None, alpha=0.8)[0]
            ax.scatter(
                table["mean_probability"],
                table["positive_rate"],
                s=size,
                color=line.get_color(),
                label=f"{name} (ECE {ece(y[:, j], np.asarray(probs)[:, j], n_bins):.3f})",
            )
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_title(f"{label} ({int(y[:, j].sum())} positives)", fontsize=9)
        ax.set_xlabel("mean predicted probability", fontsize=8)
        ax.set_ylabel("share of positives", fontsize=8)
        ax.legend(fontsize=7, loc="upper left")
        ax.grid(alpha=0.3)
    fig.suptitle(title or "reliability diagram (diagonal = calibrated)")
    return _finish(fig, save_to)
