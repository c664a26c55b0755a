"""Metrics for every task of the course, as plain functions: numpy arrays in, numbers or tables out.

Each function names the scikit-learn or scipy routine it relies on, and the unit tests check the
maths against those references. Groups:

* embeddings: :func:`retrieval_metrics`, :func:`sts_metrics`, :func:`pair_classification_metrics`,
  :func:`knn_accuracy`, :func:`clustering_scores`;
* classifiers: :func:`top_k_accuracy`, :func:`classification_report_table`, :func:`multilabel_report`,
  :func:`tune_thresholds`, :func:`f1_at_thresholds`, :func:`label_macro_f1`;
* honest comparisons: :func:`bootstrap_ci`, :func:`paired_bootstrap`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from ftcourse.errors import DataError, UsageError

# ---------------------------------------------------------------------------------------------
# Embedding models


def retrieval_metrics(scores, relevant: Sequence[set], ks: Sequence[int] = (1, 3, 5, 10), per_query: bool = False):
    """nDCG@k, MRR@k, Recall@k and MAP@k of a ranking, from a query x document score matrix.

    Documents are ranked by descending score (ties keep the lower document index first). Relevance
    is binary. Definitions, per query, averaged over queries:

    * ``ndcg@k``: DCG of the top k (gain 1 / log2(rank + 1)) divided by the DCG of an ideal ranking
      (as :func:`sklearn.metrics.ndcg_score` with binary relevance and no ties);
    * ``mrr@k``: 1 / rank of the first relevant document in the top k, 0 if none;
    * ``recall@k``: share of the query's relevant documents found in the top k;
    * ``map@k``: mean of the precision at each relevant hit in the top k, divided by
      ``min(k, n_relevant)`` (the convention of sentence-transformers' InformationRetrievalEvaluator).

    Args:
        scores: array (n_queries, n_docs); higher = more relevant (e.g. cosine similarity).
        relevant: one set of relevant document indices per query; none may be empty.
        ks: cut-offs; values larger than n_docs are clipped to n_docs.
        per_query: return one row per query instead of the means (for bootstrap CIs over queries).

    Returns:
        ``{"ndcg@10": ..., "mrr@10": ..., "recall@10": ..., "map@10": ..., ...}`` (means over queries),
        or, with ``per_query=True``, a DataFrame with those columns and one row per query.

    Raises:
        ValueError: shapes disagree, a query has no relevant document, or an index is out of range.
    """
    scores = np.asarray(scores, dtype=float)
    if scores.ndim != 2:
        raise UsageError(f"scores must be a 2-D array (n_queries, n_docs); got shape {scores.shape}.")
    n_queries, n_docs = scores.shape
    if len(relevant) != n_queries:
        raise UsageError(f"relevant has {len(relevant)} entries but scores has {n_queries} query rows; give one set per query.")
    for i, rel in enumerate(relevant):
        if not rel:
            raise UsageError(
                f"query {i} has no relevant document: its metrics are undefined. Fix: remove the query from the evaluation set."
            )
        bad = [d for d in rel if not 0 <= int(d) < n_docs]
        if bad:
            raise UsageError(f"query {i}: relevant document index {bad[0]} is outside 0..{n_docs - 1}.")
    ks = sorted({min(int(k), n_docs) for k in ks})
    max_k = ks[-1]
    # Stable sort of the negated scores: ties are broken by document index, reproducibly.
    ranking = np.argsort(-scores, axis=1, kind="stable")[:, :max_k]
    hits = np.array([[doc in rel for doc in row] for row, rel in zip(ranking, relevant, strict=True)], dtype=float)
    n_relevant = np.array([len(rel) for rel in relevant], dtype=float)
    discounts = 1.0 / np.log2(np.arange(2, max_k + 2))
    ranks = np.arange(1, max_k + 1)
    rows = {}
    for k in ks:
        h = hits[:, :k]
        dcg = (h * discounts[:k]).sum(axis=1)
        ideal = np.array([discounts[: int(min(k, n))].sum() for n in n_relevant])
        first = np.where(h.any(axis=1), h.argmax(axis=1) + 1, np.inf)
        precision_at_hits = np.cumsum(h, axis=1) / ranks[:k] * h
        rows[f"ndcg@{k}"] = dcg / ideal
        rows[f"mrr@{k}"] = 1.0 / first
        rows[f"recall@{k}"] = h.sum(axis=1) / n_relevant
        rows[f"map@{k}"] = precision_at_hits.sum(axis=1) / np.minimum(k, n_relevant)
    table = pd.DataFrame(rows)
    if per_query:
        return table
    return {name: float(values.mean()) for name, values in table.items()}


def sts_metrics(predicted, gold) -> dict[str, float]:
    """Spearman and Pearson correlation between predicted similarities and gold scores (scipy).

    Spearman (rank correlation) is the usual STS metric: a model only needs to order pairs correctly.

    Args:
        predicted: one predicted similarity per pair (e.g. cosine similarity).
        gold: the gold score per pair (any scale).

    Returns:
        ``{"spearman": float, "pearson": float}``.
    """
    from scipy.stats import pearsonr, spearmanr

    predicted, gold = _same_length(predicted, gold, "predicted", "gold")
    return {"spearman": float(spearmanr(predicted, gold).statistic), "pearson": float(pearsonr(predicted, gold).statistic)}


def pair_cosines(
    model, pairs: pd.DataFrame, first: str = "sentence1", second: str = "sentence2", batch_size: int = 64
) -> np.ndarray:
    """Cosine similarity of each row's two texts under a SentenceTransformer, shape ``(len(pairs),)``.

    Both columns are encoded once each, with unit-length embeddings, so the cosine is a dot product.
    Lessons 04 and 05 and ``bench/stsb_recipe.py`` score pairs with it.
    """
    missing = [c for c in (first, second) if c not in pairs.columns]
    if missing:
        raise DataError(
            f"pair_cosines: missing column(s) {missing}; found {list(pairs.columns)}. Fix: pass first=/second= with the two text columns."
        )
    a = model.encode(pairs[first].tolist(), batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True)
    b = model.encode(pairs[second].tolist(), batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True)
    return (a * b).sum(axis=1)


def pair_classification_metrics(similarities, labels, higher_means_similar: bool = True) -> dict[str, float]:
    """Binary pair classification from a similarity per pair: the best thresholds and average precision.

    A pair is predicted positive when ``similarity >= threshold`` (or ``<=`` for distances, with
    ``higher_means_similar=False``). The thresholds are chosen on the same data, so report them from a
    validation split and apply them to the test split when the exact numbers matter.

    Args:
        similarities: one score per pair.
        labels: 1 for a positive pair (same meaning), 0 otherwise.
        higher_means_similar: False when the scores are distances.

    Returns:
        ``accuracy``, ``accuracy_threshold``, ``f1``, ``f1_threshold``, ``precision`` and ``recall``
        (at the F1 threshold), and ``average_precision`` (sklearn, threshold-free).
    """
    from sklearn.metrics import average_precision_score, precision_recall_curve, roc_curve

    scores, labels = _same_length(similarities, labels, "similarities", "labels")
    labels = _binary(labels, "labels")
    sign = 1.0 if higher_means_similar else -1.0
    s = sign * scores
    n_pos, n_neg = labels.sum(), (1 - labels).sum()
    # Every threshold at once: roc_curve gives TPR and FPR for "score >= t" at each distinct score.
    fpr, tpr, roc_thresholds = roc_curve(labels, s, drop_intermediate=False)
    accuracy = (tpr * n_pos + (1 - fpr) * n_neg) / len(labels)
    best = int(np.argmax(accuracy))
    # roc_curve's first threshold is +inf ("nothing positive"); report a finite equivalent.
    acc_threshold = roc_thresholds[best] if np.isfinite(roc_thresholds[best]) else np.nextafter(s.max(), np.inf)
    precision, recall, pr_thresholds = precision_recall_curve(labels, s)
    precision, recall = precision[:-1], recall[:-1]  # the last point has no threshold
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    best_f1 = int(np.argmax(f1))
    return {
        "accuracy": float(accuracy[best]),
        "accuracy_threshold": float(sign * acc_threshold),
        "f1": float(f1[best_f1]),
        "f1_threshold": float(sign * pr_thresholds[best_f1]),
        "precision": float(precision[best_f1]),
        "recall": float(recall[best_f1]),
        "average_precision": float(average_precision_score(labels, s)),
    }


def knn_predictions(train_embeddings, train_labels, test_embeddings, k: int = 5) -> np.ndarray:
    """The majority-of-k label of each test example among the labelled neighbours (cosine distance, sklearn).

    Args:
        train_embeddings, train_labels: the labelled neighbours (n_train, dim) and (n_train,).
        test_embeddings: the examples to classify (n_test, dim).
        k: neighbours voting; clipped to the number of training examples.
    """
    from sklearn.neighbors import KNeighborsClassifier

    train_embeddings, train_labels = _same_length(train_embeddings, train_labels, "train_embeddings", "train_labels", flat=False)
    knn = KNeighborsClassifier(n_neighbors=min(k, len(train_labels)), metric="cosine")
    return knn.fit(train_embeddings, train_labels).predict(np.asarray(test_embeddings))


def knn_accuracy(train_embeddings, train_labels, test_embeddings, test_labels, k: int = 5) -> float:
    """Accuracy of a k-nearest-neighbour classifier (cosine distance) on embeddings (:func:`knn_predictions`).

    Measures whether texts of the same class sit close together, without training anything on top.

    Returns:
        The share of test examples whose majority-of-k label is right.
    """
    test_embeddings, test_labels = _same_length(test_embeddings, test_labels, "test_embeddings", "test_labels", flat=False)
    return float(np.mean(knn_predictions(train_embeddings, train_labels, test_embeddings, k) == test_labels))


def clustering_scores(embeddings, labels, seed: int = 0) -> dict[str, float]:
    """How well the classes separate in embedding space: KMeans purity and the silhouette of the labels.

    * ``purity``: run KMeans with as many clusters as there are labels; each cluster votes for its
      most common label; purity is the share of examples in their cluster's majority label
      (1 = clusters match classes; the floor is the share of the largest class).
    * ``silhouette``: :func:`sklearn.metrics.silhouette_score` of the *gold* labels with cosine
      distance, in [-1, 1]: above 0 means examples are closer to their own class than to the next.

    Args:
        embeddings: (n, dim) array.
        labels: (n,) class of each example; at least two classes.
        seed: KMeans random state.

    Returns:
        ``{"purity": float, "silhouette": float}``.
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from sklearn.metrics.cluster import contingency_matrix

    embeddings, labels = _same_length(embeddings, labels, "embeddings", "labels", flat=False)
    n_labels = len(np.unique(labels))
    if n_labels < 2:
        raise UsageError("clustering_scores needs at least two different labels.")
    # KMeans is Euclidean: on unit vectors that orders pairs exactly like cosine distance.
    unit = embeddings / np.clip(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-12, None)
    clusters = KMeans(n_clusters=n_labels, n_init=10, random_state=seed).fit_predict(unit)
    table = contingency_matrix(labels, clusters)  # rows: labels, columns: clusters
    purity = table.max(axis=0).sum() / table.sum()
    return {"purity": float(purity), "silhouette": float(silhouette_score(embeddings, labels, metric="cosine"))}


# ---------------------------------------------------------------------------------------------
# Classifiers


def top_k_accuracy(probabilities, labels, k: int = 2) -> float:
    """Share of examples whose true class is among the k highest-scored classes.

    Computed in numpy rather than with sklearn's ``top_k_accuracy_score``, which reads two classes as
    a binary task and refuses an (n, 2) score matrix: every binary classifier would fail.

    Args:
        probabilities: (n, n_classes) scores or probabilities; column i is class i.
        labels: (n,) true class ids in 0..n_classes-1.
        k: how many guesses count (k >= n_classes gives 1.0).
    """
    probabilities, labels = _same_length(probabilities, labels, "probabilities", "labels", flat=False)
    probabilities = np.asarray(probabilities, dtype=float).reshape(len(labels), -1)
    labels = np.asarray(labels).astype(int)
    top = np.argsort(-probabilities, axis=1, kind="stable")[:, : max(int(k), 1)]
    return float((top == labels[:, None]).any(axis=1).mean()) if len(labels) else float("nan")


def classification_report_table(y_true, y_pred, label_names: Sequence[str]) -> tuple[pd.DataFrame, float]:
    """Per-class precision, recall, F1 and support as a table, and the macro-F1 (sklearn).

    Macro-F1 averages the classes' F1 with equal weight, so a rare class counts as much as a common one.
    A class that is never predicted gets precision 0 (not a warning).

    Args:
        y_true, y_pred: class ids 0..len(label_names)-1.
        label_names: the name of each class id.

    Returns:
        ``(table, macro_f1)``: one row per class plus ``macro avg`` and ``weighted avg``; columns
        precision, recall, f1-score, support.
    """
    from sklearn.metrics import classification_report

    y_true, y_pred = _same_length(y_true, y_pred, "y_true", "y_pred")
    ids = list(range(len(label_names)))
    report = classification_report(y_true, y_pred, labels=ids, target_names=list(label_names), output_dict=True, zero_division=0)
    report.pop("accuracy", None)
    report.pop("micro avg", None)  # sklearn adds it when some labels are absent; macro is what we report
    table = pd.DataFrame(report).T
    table["support"] = table["support"].astype(int)
    return table, float(table.loc["macro avg", "f1-score"])


def multilabel_report(y_true, y_prob, label_names: Sequence[str], min_positives: int = 5) -> tuple[pd.DataFrame, dict]:
    """Per-label ROC-AUC and PR-AUC of a multi-label classifier, refusing labels too rare to measure.

    A label with fewer than ``min_positives`` positives (or no negatives) in this split gets NaN
    metrics and a status such as ``"too few positives (n=3)"``: an AUC from three examples is noise,
    and reporting it would mislead. Macro averages are taken over the evaluable labels only, and the
    second return value says which labels were left out.

    PR-AUC is sklearn's average precision (a step-wise area); its chance level is the label's
    prevalence, shown beside it.

    Args:
        y_true: (n, n_labels) 0/1 matrix.
        y_prob: (n, n_labels) predicted probabilities (or any scores).
        label_names: one name per column.
        min_positives: fewest positives for a label to be scored.

    Returns:
        ``(table, macro)``: the table has one row per label (index = label name) with n_positives,
        prevalence, roc_auc, pr_auc, status; ``macro`` is ``{"roc_auc", "pr_auc", "n_evaluated",
        "not_evaluated": [label names]}`` (NaN averages when no label is evaluable).
    """
    from sklearn.metrics import average_precision_score, roc_auc_score

    y_true, y_prob = _label_matrices(y_true, y_prob, label_names)
    rows = []
    for j, name in enumerate(label_names):
        t, p = y_true[:, j], y_prob[:, j]
        n_pos, n_neg = int(t.sum()), int(len(t) - t.sum())
        row = {"label": name, "n_positives": n_pos, "prevalence": n_pos / len(t), "roc_auc": math.nan, "pr_auc": math.nan}
        if n_pos < min_positives:
            row["status"] = f"too few positives (n={n_pos})"
        elif n_neg == 0:
            row["status"] = "no negatives"
        else:
            row.update(roc_auc=float(roc_auc_score(t, p)), pr_auc=float(average_precision_score(t, p)), status="ok")
        rows.append(row)
    table = pd.DataFrame(rows).set_index("label")
    ok = table["status"] == "ok"
    macro = {
        "roc_auc": float(table.loc[ok, "roc_auc"].mean()) if ok.any() else math.nan,
        "pr_auc": float(table.loc[ok, "pr_auc"].mean()) if ok.any() else math.nan,
        "n_evaluated": int(ok.sum()),
        "not_evaluated": list(table.index[~ok]),
    }
    return table, macro


DEFAULT_THRESHOLD_GRID = np.round(np.arange(0.01, 1.0, 0.01), 2)


def tune_thresholds(y_true, y_prob, label_names: Sequence[str], grid=None) -> dict[str, float]:
    """Per-label decision thresholds that maximise F1 on a validation split.

    Tune on validation, then apply the thresholds to the test split with :func:`f1_at_thresholds`:
    tuning on the test split would report an optimistic F1. A label with no positives in the
    validation split cannot be tuned; it keeps 0.5 and a warning says so.

    Args:
        y_true: (n, n_labels) 0/1 matrix (a 1-D array is one label).
        y_prob: (n, n_labels) probabilities.
        label_names: one name per column.
        grid: candidate thresholds; default 0.01, 0.02, ..., 0.99. Ties go to the lowest threshold.

    Returns:
        ``{label name: threshold}``.
    """
    y_true, y_prob = _label_matrices(y_true, y_prob, label_names)
    grid = DEFAULT_THRESHOLD_GRID if grid is None else np.asarray(grid, dtype=float)
    thresholds = {}
    untuned = []
    for j, name in enumerate(label_names):
        t = y_true[:, j].astype(bool)
        if not t.any():
            thresholds[name] = 0.5
            untuned.append(name)
            continue
        predicted = y_prob[:, j][None, :] >= grid[:, None]  # (len(grid), n)
        tp = (predicted & t).sum(axis=1)
        f1 = 2 * tp / (predicted.sum(axis=1) + t.sum())
        thresholds[name] = float(grid[int(np.argmax(f1))])
    if untuned:
        warnings.warn(
            f"tune_thresholds: no positives for {untuned} in this split; kept the default threshold 0.5 for them.", stacklevel=2
        )
    return thresholds


def f1_at_thresholds(y_true, y_prob, thresholds, label_names: Sequence[str] | None = None) -> tuple[pd.DataFrame, float]:
    """Precision, recall and F1 per label when each label is cut at its own threshold.

    Args:
        y_true: (n, n_labels) 0/1 matrix (a 1-D array is one label).
        y_prob: (n, n_labels) probabilities.
        thresholds: one float for every label, a sequence (one per column), or a dict
            ``{label name: threshold}`` as returned by :func:`tune_thresholds`.
        label_names: column names; required with a dict, default ``label_0, label_1, ...``.

    Returns:
        ``(table, macro_f1)``: one row per label with threshold, n_positives, precision, recall, f1
        (sklearn, zero_division=0); macro-F1 is the mean over labels that have positives.
    """
    from sklearn.metrics import f1_score, precision_score, recall_score

    y_true, y_prob = np.asarray(y_true), np.asarray(y_prob, dtype=float)
    if label_names is None:
        if isinstance(thresholds, dict):
            label_names = list(thresholds)
        else:
            label_names = [f"label_{j}" for j in range(y_true.shape[1] if y_true.ndim == 2 else 1)]
    y_true, y_prob = _label_matrices(y_true, y_prob, label_names)
    if isinstance(thresholds, dict):
        missing = [n for n in label_names if n not in thresholds]
        if missing:
            raise UsageError(f"thresholds has no value for {missing}; pass one per label.")
        cut = np.array([thresholds[n] for n in label_names], dtype=float)
    else:
        cut = np.broadcast_to(np.asarray(thresholds, dtype=float), (len(label_names),))
    predicted = (y_prob >= cut).astype(int)
    rows = []
    for j, name in enumerate(label_names):
        t, p = y_true[:, j], predicted[:, j]
        rows.append(
            {
                "label": name,
                "threshold": float(cut[j]),
                "n_positives": int(t.sum()),
                "precision": float(precision_score(t, p, zero_division=0)),
                "recall": float(recall_score(t, p, zero_division=0)),
                "f1": float(f1_score(t, p, zero_division=0)),
            }
        )
    table = pd.DataFrame(rows).set_index("label")
    has_pos = table["n_positives"] > 0
    return table, float(table.loc[has_pos, "f1"].mean()) if has_pos.any() else math.nan


def label_macro_f1(y_true, y_pred) -> float:
    """Macro-F1 of 0/1 label columns: the mean over columns of each column's F1 (0 where a column has no positive at all).

    The same number as ``np.mean([sklearn.metrics.f1_score(y_true[:, j], y_pred[:, j], zero_division=0) ...])``,
    computed in one pass, so that a bootstrap of 1,000 resamples takes well under a second.

    Args:
        y_true, y_pred: (n, n_labels) 0/1 matrices (a 1-D array is one label).

    Returns:
        The macro-F1 (a float).
    """
    y_true, y_pred = np.asarray(y_true).astype(bool), np.asarray(y_pred).astype(bool)
    if y_true.shape != y_pred.shape:
        raise UsageError(f"y_true has shape {y_true.shape} and y_pred {y_pred.shape}; pass the same rows and labels.")
    if y_true.ndim == 1:
        y_true, y_pred = y_true[:, None], y_pred[:, None]
    tp = (y_true & y_pred).sum(axis=0)
    denominator = y_true.sum(axis=0) + y_pred.sum(axis=0)
    f1 = np.divide(2 * tp, denominator, out=np.zeros(len(tp)), where=denominator > 0)
    return float(f1.mean())


# ---------------------------------------------------------------------------------------------
# Confidence intervals and paired comparisons


def bootstrap_ci(
    metric: Callable, *arrays, n_resamples: int = 1000, confidence: float = 0.95, seed: int = 0
) -> tuple[float, float, float]:
    """A percentile bootstrap confidence interval for any metric computed on rows of a test set.

    Rows are resampled with replacement, the same rows from every array (so y_true stays aligned
    with y_pred). The interval says how much the metric would move on another test set of the
    same size drawn from the same population; it does not cover a shift in the population.

    Args:
        metric: ``metric(*arrays) -> float``, e.g. ``sklearn.metrics.f1_score`` or ``np.mean``.
        *arrays: equally long arrays (first axis = rows), e.g. ``y_true, y_pred``.
        n_resamples: bootstrap samples; 1000 gives stable 95 % limits.
        confidence: e.g. 0.95 for a 95 % interval.
        seed: random seed (the result is reproducible).

    Returns:
        ``(point, low, high)``: the metric on the full data and the interval limits. Resamples on
        which the metric is undefined (e.g. ROC-AUC of a resample with one class) are skipped and
        counted in a warning.
    """
    arrays = _rows(arrays)
    point = float(metric(*arrays))
    values = _resample(lambda idx: metric(*(a[idx] for a in arrays)), len(arrays[0]), n_resamples, seed)
    low, high = _percentiles(values, confidence)
    return point, low, high


def paired_bootstrap(
    metric: Callable, y_true, pred_a, pred_b, n_resamples: int = 1000, confidence: float = 0.95, seed: int = 0
) -> dict[str, float]:
    """Does model B beat model A on the same test set, or is the difference noise?

    Both models are scored on the *same* resampled rows each time, so the variation that the two
    share (easy or hard test sets) cancels out; this is much more sensitive than comparing two
    separate confidence intervals.

    Args:
        metric: ``metric(y_true, predictions) -> float``, higher is better.
        y_true: the gold labels (first axis = rows).
        pred_a, pred_b: the two models' predictions (labels, probabilities, ...) on the same rows.
        n_resamples, confidence, seed: as in :func:`bootstrap_ci`.

    Returns:
        ``{"metric_a", "metric_b", "delta" (B - A on the full data), "low", "high" (interval of the
        delta), "p_value"}``. ``p_value`` is the share of resamples in which B does *not* beat A
        (delta <= 0): a one-sided bootstrap share, often loosely called a p-value (it is not the p-value
        of a test against a stated null hypothesis); read the interval first.
    """
    y_true, pred_a, pred_b = _rows((y_true, pred_a, pred_b))
    metric_a, metric_b = float(metric(y_true, pred_a)), float(metric(y_true, pred_b))
    deltas = _resample(
        lambda idx: metric(y_true[idx], pred_b[idx]) - metric(y_true[idx], pred_a[idx]), len(y_true), n_resamples, seed
    )
    low, high = _percentiles(deltas, confidence)
    return {
        "metric_a": metric_a,
        "metric_b": metric_b,
        "delta": metric_b - metric_a,
        "low": low,
        "high": high,
        "p_value": float(np.mean(deltas <= 0)),
    }


def _resample(fn: Callable, n: int, n_resamples: int, seed: int) -> np.ndarray:
    """fn(row indices) over n_resamples bootstrap samples; undefined results are dropped and counted."""
    if n < 2:
        raise UsageError(f"bootstrap needs at least 2 rows; got {n}.")
    rng = np.random.default_rng(seed)
    values, failed = [], 0
    for _ in range(n_resamples):
        idx = rng.integers(0, n, size=n)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # e.g. sklearn's "only one class present" on a resample
                value = float(fn(idx))
        except ValueError:
            value = math.nan
        if math.isnan(value):
            failed += 1
        else:
            values.append(value)
    if failed:
        warnings.warn(
            f"bootstrap: the metric was undefined on {failed} of {n_resamples} resamples; they were skipped.", stacklevel=3
        )
    if not values:
        raise UsageError("bootstrap: the metric was undefined on every resample (e.g. a class with almost no examples).")
    return np.asarray(values)


def _percentiles(values: np.ndarray, confidence: float) -> tuple[float, float]:
    if not 0 < confidence < 1:
        raise UsageError(f"confidence must be between 0 and 1 (e.g. 0.95); got {confidence}.")
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def _rows(arrays) -> list[np.ndarray]:
    """Arrays as numpy with one shared number of rows (lists of sets become object arrays)."""
    out = []
    for a in arrays:
        try:
            arr = np.asarray(a)
        except ValueError:  # ragged lists, e.g. lists of relevant ids of different lengths
            arr = None
        if arr is None or arr.ndim == 0:
            arr = np.empty(len(a), dtype=object)
            arr[:] = list(a)
        out.append(arr)
    lengths = {len(a) for a in out}
    if len(lengths) != 1:
        raise UsageError(f"all arrays must have the same number of rows; got lengths {[len(a) for a in out]}.")
    return out


def _same_length(a, b, name_a: str, name_b: str, flat: bool = True) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a), np.asarray(b)
    if flat:
        a, b = a.ravel(), b.ravel()
    if len(a) != len(b):
        raise UsageError(f"{name_a} has {len(a)} rows but {name_b} has {len(b)}; they must describe the same examples.")
    if len(a) == 0:
        raise UsageError(f"{name_a} is empty: nothing to evaluate.")
    return a, b


def _binary(labels: np.ndarray, name: str) -> np.ndarray:
    values = set(np.unique(labels).tolist())
    if not values <= {0, 1}:
        raise UsageError(f"{name} must be 0/1; found values {sorted(values)[:5]}.")
    return labels.astype(int)


def _label_matrices(y_true, y_prob, label_names) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_prob = np.asarray(y_true), np.asarray(y_prob, dtype=float)
    if y_true.ndim == 1:
        y_true = y_true[:, None]
    if y_prob.ndim == 1:
        y_prob = y_prob[:, None]
    if y_true.shape != y_prob.shape:
        raise UsageError(
            f"y_true has shape {y_true.shape} but y_prob has {y_prob.shape}; they must match (n_examples, n_labels)."
        )
    if y_true.shape[1] != len(label_names):
        raise UsageError(f"{len(label_names)} label names for {y_true.shape[1]} label columns; give one name per column.")
    return _binary(y_true, "y_true"), y_prob


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


def tune_class_threshold(
    y_true, probabilities, class_index: int, objective: str = "class_f1", grid: Sequence[float] | None = None
) -> tuple[float, float]:
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

    y_true = np.asarray(y_true).astype(int)
    grid = DEFAULT_THRESHOLD_GRID if grid is None else np.asarray(grid, dtype=float)
    if objective == "class_f1":
        score = lambda pred: f1_score(y_true == class_index, pred == class_index, zero_division=0)  # noqa: E731
    elif objective == "macro_f1":
        labels = list(range(np.asarray(probabilities).shape[1]))
        score = lambda pred: f1_score(y_true, pred, labels=labels, average="macro", zero_division=0)  # noqa: E731
    else:
        raise UsageError(f"objective must be 'class_f1' or 'macro_f1'; got {objective!r}.")
    values = [score(threshold_moving(probabilities, class_index, t)) for t in grid]
    best = int(np.argmax(values))
    return float(grid[best]), float(values[best])
