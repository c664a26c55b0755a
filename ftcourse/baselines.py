"""Cheap baselines for text classification, and the "should I fine-tune?" decision they feed.

Lesson 01 compares, on one split: the majority class, TF-IDF + logistic regression (plain and
class-weighted), frozen sentence embeddings + logistic regression or kNN, and a short fine-tune.
:func:`score_predictions` puts each into one row of a results table; :func:`decision_matrix`
turns that table and a learning curve into the decision matrix and a conclusion that follows from
the numbers, whatever they are.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ftcourse.classifier.labels import MULTI, encode_labels, infer_problem_type
from ftcourse.classifier.metrics import evaluation_report
from ftcourse.errors import UsageError
from ftcourse.evaluation import bootstrap_ci, classification_report_table
from ftcourse.models import load_sentence_transformer


def tfidf_logreg(class_weight: str | None = None, seed: int = 0):
    """TF-IDF (word uni- and bigrams, sublinear tf) + logistic regression, as one sklearn Pipeline.

    Args:
        class_weight: None, or ``"balanced"`` to weight each class by the inverse of its frequency
            (rare classes then count as much as common ones in the loss).
        seed: random state of the solver.

    Returns:
        An unfitted :class:`sklearn.pipeline.Pipeline`; ``fit(texts, labels)`` then ``predict(texts)``.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(
        TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=1),
        LogisticRegression(max_iter=2000, class_weight=class_weight, random_state=seed),
    )


def embedding_classifier(kind: str = "logreg", n_neighbors: int = 10, class_weight: str | None = None, seed: int = 0):
    """A classifier for frozen (normalised) sentence embeddings.

    Args:
        kind: ``"logreg"`` (logistic regression) or ``"knn"`` (k nearest neighbours, cosine, distance-weighted votes).
        n_neighbors: k for ``"knn"``.
        class_weight: for ``"logreg"``: None or ``"balanced"``.
        seed: random state of the solver.

    Returns:
        An unfitted sklearn estimator.
    """
    if kind == "logreg":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(max_iter=2000, class_weight=class_weight, random_state=seed)
    if kind == "knn":
        from sklearn.neighbors import KNeighborsClassifier

        return KNeighborsClassifier(n_neighbors=n_neighbors, metric="cosine", weights="distance")
    raise UsageError(f"kind={kind!r}: choose 'logreg' or 'knn'.")


def score_predictions(
    name: str,
    y_true,
    y_pred,
    label_names: Sequence[str],
    seconds: float,
    n_resamples: int = 500,
    seed: int = 0,
    focus_class: int | None = None,
) -> dict:
    """One row of a results table: macro-F1 with a bootstrap 95 % interval, accuracy, and cost.

    Args:
        name: the approach, e.g. ``"TF-IDF + LR"``.
        y_true, y_pred: class ids on the test split.
        label_names: class names in id order.
        seconds: wall time the approach took (training + predicting), measured by the caller.
        n_resamples: bootstrap resamples for the interval.
        seed: bootstrap seed (use the same for every approach).
        focus_class: also report this class's F1 (e.g. the rare ``hate`` class).

    Returns:
        ``{"approach", "macro_f1", "macro_f1_low", "macro_f1_high", "accuracy", "seconds"}`` (+ ``"<class>_f1"``).
    """
    from sklearn.metrics import accuracy_score, f1_score

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    labels = list(range(len(label_names)))
    table, macro = classification_report_table(y_true, y_pred, label_names)
    _, low, high = bootstrap_ci(
        lambda t, p: f1_score(t, p, labels=labels, average="macro", zero_division=0),
        y_true,
        y_pred,
        n_resamples=n_resamples,
        seed=seed,
    )
    row = {
        "approach": name,
        "macro_f1": macro,
        "macro_f1_low": low,
        "macro_f1_high": high,
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "seconds": float(seconds),
    }
    if focus_class is not None:
        row[f"{label_names[focus_class]}_f1"] = float(table.loc[label_names[focus_class], "f1-score"])
    return row


def _slope_per_doubling(curve: pd.DataFrame, approach: str) -> float:
    """Macro-F1 gained per doubling of the training set between the two largest sizes of ``approach``."""
    points = curve[curve["approach"] == approach].sort_values("train_size").tail(2)
    if len(points) < 2:
        return float("nan")
    (n0, f0), (n1, f1) = points[["train_size", "macro_f1"]].to_numpy()
    return float((f1 - f0) / np.log2(n1 / n0))


def decision_matrix(
    results: pd.DataFrame,
    curve: pd.DataFrame,
    comparison: dict,
    fine_tuned: str,
    tfidf: str,
    frozen: str,
    cheap: Sequence[str],
    significance: float = 0.05,
    little_data: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, str]:
    """Fill the fine-tune decision matrix with measured numbers and write the conclusion they support.

    Args:
        results: rows from :func:`score_predictions` (columns ``approach``, ``macro_f1``,
            ``macro_f1_low``, ``macro_f1_high``, ``seconds``).
        curve: the learning curve, columns ``approach``, ``train_size``, ``macro_f1``.
        comparison: :func:`ftcourse.evaluation.paired_bootstrap` of the best cheap approach (A)
            against the fine-tuned model (B) on the same test rows.
        fine_tuned, tfidf, frozen: the approach names of the fine-tuned model, the best TF-IDF model
            and the best frozen-embedding model (as in ``results`` and ``curve``).
        cheap: the approach names that count as cheap alternatives.
        significance: one-sided p-value below which a difference counts as real.
        little_data: rows from :func:`little_data_rows` (lesson 14), appended: the matrix then runs from no labels to many.

    Returns:
        ``(matrix, conclusion)``: one row per factor (domain, data size, baseline quality, budget, and the
        little-data rows when given) with the evidence and what it points to, and a short paragraph.
    """
    by = results.set_index("approach")
    for name in (fine_tuned, tfidf, frozen, *cheap):
        if name not in by.index:
            raise UsageError(f"approach {name!r} is not in results (which has {list(by.index)}).")
    best_cheap = by.loc[list(cheap), "macro_f1"].idxmax()
    ft, base = by.loc[fine_tuned], by.loc[best_cheap]
    delta, p = comparison["delta"], comparison["p_value"]
    quality = _quality(p, significance)
    gap = by.loc[frozen, "macro_f1"] - by.loc[tfidf, "macro_f1"]
    domain = (
        "pretrained features transfer: frozen embeddings may be enough"
        if gap > 0
        else "general-purpose embeddings miss the task's cues: adapt the model (fine-tune) or stay lexical"
    )
    slope_ft, slope_tfidf = _slope_per_doubling(curve, fine_tuned), _slope_per_doubling(curve, tfidf)
    growing = np.nanmax([slope_ft, slope_tfidf]) > 0.02
    size = (
        "more labelled data is still paying off"
        if growing
        else "the curves have flattened: more data of this kind will not change the ranking much"
    )
    cost_ratio = ft["seconds"] / max(by.loc[best_cheap, "seconds"], 1e-9)
    budget = _budget(cost_ratio)
    matrix = pd.DataFrame(
        [
            {
                "factor": "domain",
                "evidence": f"frozen embeddings {by.loc[frozen, 'macro_f1']:.3f} vs TF-IDF {by.loc[tfidf, 'macro_f1']:.3f} macro-F1 ({gap:+.3f})",
                "points to": domain,
            },
            {
                "factor": "data size",
                "evidence": f"macro-F1 gained per doubling of the data at the largest size: fine-tuned {slope_ft:+.3f}, TF-IDF {slope_tfidf:+.3f}",
                "points to": size,
            },
            {
                "factor": "baseline quality",
                "evidence": f"best cheap approach {best_cheap}: {base['macro_f1']:.3f} [{base['macro_f1_low']:.3f}, {base['macro_f1_high']:.3f}]; fine-tuned {ft['macro_f1']:.3f} [{ft['macro_f1_low']:.3f}, {ft['macro_f1_high']:.3f}]; paired difference {delta:+.3f}; the fine-tune is ahead in {1 - p:.0%} of paired bootstrap resamples",
                "points to": quality,
            },
            {
                "factor": "budget",
                "evidence": f"fine-tune {ft['seconds']:.0f} s vs {best_cheap} {base['seconds']:.1f} s on this machine ({cost_ratio:.0f}x)",
                "points to": budget,
            },
        ]
    ).set_index("factor")
    if little_data is not None:
        matrix = pd.concat([matrix, little_data])
    slope = float(np.nanmax([slope_ft, slope_tfidf]))
    return matrix, _conclusion(quality, best_cheap, delta, p, cost_ratio, slope if growing else None)


def crossover_k(curve: pd.DataFrame, few_shot: str, fine_tuned: str) -> int | None:
    """The smallest examples-per-class ``k`` from which ``fine_tuned``'s mean macro-F1 reaches ``few_shot``'s and stays there.

    Args:
        curve: columns ``approach``, ``k``, ``macro_f1`` (one row per run or per mean; runs are averaged per k).
        few_shot, fine_tuned: the two approaches' names in ``curve``.

    Returns:
        That ``k``, or None when the fine-tuned model is behind at the largest k measured.
    """
    means = curve.groupby(["approach", "k"])["macro_f1"].mean().unstack("approach")
    missing = [a for a in (few_shot, fine_tuned) if a not in means.columns]
    if missing:
        raise UsageError(f"approach(es) {missing} are not in the curve (which has {list(means.columns)}).")
    ahead = (means[fine_tuned] >= means[few_shot]).sort_index()
    if not ahead.iloc[-1]:
        return None
    behind = ahead[~ahead]
    return int(ahead.index[0] if behind.empty else ahead.index[ahead.index > behind.index[-1]][0])


def little_data_rows(
    curve: pd.DataFrame,
    zero_shot: dict,
    examples_per_class: int,
    few_shot: str = "SetFit",
    fine_tuned: str = "fine-tuned head",
    frozen: str = "frozen + LR",
    crossover_intervals: dict | None = None,
) -> pd.DataFrame:
    """Decision-matrix rows for little data: zero-shot, the few-shot methods at your data size, and the crossover.

    Args:
        curve: the few-shot curve, columns ``approach``, ``k``, ``macro_f1`` (one row per run; averaged per k).
        zero_shot: ``{"macro_f1", "macro_f1_low", "macro_f1_high", "majority_macro_f1"}`` of the zero-shot baseline
            (label descriptions) and of the majority class, on the same test rows.
        examples_per_class: how many labelled examples per class you have (the row uses the largest measured k
            not above it, or the smallest k).
        few_shot, fine_tuned, frozen: the approaches' names in ``curve``.
        crossover_intervals: ``{k: (low, high)}``, the 95 % paired interval of ``fine_tuned`` minus ``few_shot`` at each k.
            With them the crossover row points to fine-tuning only from the k where the interval lies above 0
            (:func:`clear_crossover_k`); a crossover of the means alone is reported as not yet clear.

    Returns:
        Rows indexed by ``factor`` with ``evidence`` and ``points to``, the columns of :func:`decision_matrix`.
    """
    means = curve.groupby(["approach", "k"])["macro_f1"].mean().unstack("approach")
    usable = zero_shot["macro_f1_low"] > zero_shot["majority_macro_f1"]
    ks = means.index.to_numpy()
    k = int(ks[ks <= examples_per_class].max()) if (ks <= examples_per_class).any() else int(ks.min())
    at_k = means.loc[k, [few_shot, fine_tuned, frozen]]
    cross = crossover_k(curve, few_shot, fine_tuned)
    return pd.DataFrame(
        [
            {
                "factor": "no labels (zero-shot)",
                "evidence": f"label descriptions {zero_shot['macro_f1']:.3f} [{zero_shot['macro_f1_low']:.3f}, {zero_shot['macro_f1_high']:.3f}] "
                f"macro-F1 vs the majority class {zero_shot['majority_macro_f1']:.3f}",
                "points to": "a usable start before any labelling"
                if usable
                else "not enough on its own: label a few examples per class",
            },
            {
                "factor": f"few labels ({k} per class)",
                "evidence": ", ".join(f"{name} {value:.3f}" for name, value in at_k.items()) + " mean macro-F1",
                "points to": f"{at_k.idxmax()} at this data size",
            },
            _crossover_row(cross, int(ks.max()), few_shot, fine_tuned, crossover_intervals),
        ]
    ).set_index("factor")


def clear_crossover_k(intervals: dict) -> int | None:
    """The smallest ``k`` from which every paired interval of (treatment minus baseline) lies above 0.

    Used for fine-tuned minus few-shot per examples-per-class ``k`` (lesson 14) and for fine-tuned minus
    the base model per training-set size (lesson 13's pair and retrieval curves).

    Args:
        intervals: ``{k: (low, high)}``, one 95 % interval of the difference per ``k``.

    Returns:
        That ``k``, or None when the interval at the largest k still reaches 0 or below.
    """
    clear = {int(k): float(low) > 0 for k, (low, _high) in intervals.items()}
    ks = sorted(clear)
    if not ks or not clear[ks[-1]]:
        return None
    unclear = [k for k in ks if not clear[k]]
    return ks[0] if not unclear else min(k for k in ks if k > unclear[-1])


def _crossover_row(cross: int | None, largest_k: int, few_shot: str, fine_tuned: str, intervals: dict | None) -> dict:
    if cross is None:
        return {
            "factor": "few-shot crossover",
            "evidence": f"{fine_tuned} is still behind {few_shot} at k = {largest_k} per class",
            "points to": f"{few_shot} up to the largest k measured; measure again with more data",
        }
    evidence = f"{fine_tuned}'s mean reaches {few_shot}'s from k = {cross} per class"
    if intervals is None:
        return {
            "factor": "few-shot crossover",
            "evidence": evidence,
            "points to": f"fine-tune the usual way from about {cross} examples per class",
        }
    if cross not in intervals:
        raise UsageError(
            f"crossover_intervals has no interval for k = {cross} (it has k = {sorted(intervals)}). "
            "Fix: pass one (low, high) per k of the curve."
        )
    clear = clear_crossover_k(intervals)
    low, high = intervals[cross]
    evidence += f" (difference [{low:+.3f}, {high:+.3f}] there)"
    if clear is None:
        return {
            "factor": "few-shot crossover",
            "evidence": evidence,
            "points to": f"no clear crossover up to k = {largest_k}: either works; measure on your own data before labelling more",
        }
    if clear != cross:
        evidence += f"; clearly ahead from k = {clear}"
    return {
        "factor": "few-shot crossover",
        "evidence": evidence,
        "points to": f"fine-tune the usual way from {clear} examples per class",
    }


def _quality(p: float, significance: float) -> str:
    # One-sided: a small p favours the fine-tune, a large one the baseline, anything between is noise.
    if p < significance:
        return "fine-tune"
    if p > 1 - significance:
        return "baseline"
    return "no clear winner"


def _budget(cost_ratio: float) -> str:
    if cost_ratio > 10:
        return "fine-tuning costs far more here"
    if cost_ratio > 2:
        return "fine-tuning costs several times more"
    return "fine-tuning costs about as much as the baseline"


def _conclusion(quality: str, best_cheap: str, delta: float, p: float, cost_ratio: float, slope: float | None) -> str:
    # The paragraph under the decision matrix; slope is the learning curve's gain per doubling when it still rises.
    if quality == "fine-tune":
        conclusion = (
            f"Fine-tune. On this split the fine-tuned model beats the best cheap approach ({best_cheap}) by {delta:+.3f} macro-F1, "
            f"and came out ahead in {1 - p:.0%} of the paired bootstrap resamples of the test set, for {cost_ratio:.0f}x the compute."
        )
    elif quality == "baseline":
        conclusion = (
            f"Do not fine-tune yet. The best cheap approach ({best_cheap}) beats the fine-tuned model by {-delta:.3f} macro-F1 (the fine-tune came "
            f"out ahead in only {1 - p:.0%} of the paired bootstrap resamples), at 1/{max(cost_ratio, 1):.0f} of the compute."
        )
    else:
        conclusion = (
            f"No decision from quality alone: the fine-tuned model and {best_cheap} differ by {delta:+.3f} macro-F1, within the noise of this "
            f"test set (the fine-tune came out ahead in {1 - p:.0%} of the paired bootstrap resamples). On budget, {best_cheap} takes "
            f"1/{max(cost_ratio, 1):.0f} of the compute of the fine-tune."
        )
    if slope is not None:
        conclusion += f" The learning curve still rises ({slope:+.3f} macro-F1 per doubling), so more labelled data may still change the ranking: decide at the data size you will have."
    return conclusion


def frozen_base_baseline(
    base_model: str,
    train_df: pd.DataFrame,
    test_df: pd.DataFrame,
    text_column: str,
    label_columns: Sequence[str],
    label_names: Sequence[str] | None = None,
    max_length: int = 128,
    balance: bool = False,
    batch_size: int = 32,
):
    """The base model without fine-tuning: its frozen sentence embeddings + logistic regression.

    This is the honest "before" for a fine-tune: a freshly initialised classification head on the
    base model scores at chance, which says nothing. Multi-label uses one logistic regression per label.

    Returns:
        ``(table, summary, probabilities)`` on ``test_df`` (see :func:`evaluate_saved`).
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    problem_type = infer_problem_type(label_columns)
    y_train, names = encode_labels(train_df, label_columns, problem_type, label_names, "train split")
    y_test, _ = encode_labels(test_df, label_columns, problem_type, names, "test split")
    encoder = load_sentence_transformer(base_model, max_seq_length=max_length)
    x_train = encoder.encode(train_df[text_column].astype(str).tolist(), batch_size=batch_size, normalize_embeddings=True)
    x_test = encoder.encode(test_df[text_column].astype(str).tolist(), batch_size=batch_size, normalize_embeddings=True)
    head = LogisticRegression(max_iter=2000, class_weight="balanced" if balance else None)
    if problem_type == MULTI:
        clf = OneVsRestClassifier(head).fit(x_train, y_train.astype(int))
        probs = clf.predict_proba(x_test)
    else:
        clf = head.fit(x_train, y_train)
        probs = np.zeros((len(x_test), len(names)))
        probs[:, clf.classes_] = clf.predict_proba(x_test)
    table, summary = evaluation_report(problem_type, y_test, probs, names, dict.fromkeys(names, 0.5))
    return table, summary, probs


def tfidf_multilabel_baseline(class_weight: str | None = "balanced", max_features: int = 200_000, seed: int = 0):
    """TF-IDF of word 1-2-grams and character 2-5-grams + one logistic regression per label.

    The classic strong baseline for toxic comments: character n-grams catch obfuscated spellings
    ("f*ck", "stuupid") that word features miss. Fit with ``fit(texts, label_matrix)``;
    ``predict_proba(texts)`` gives one probability column per label.

    Args:
        class_weight: ``"balanced"`` weights each label's rare positives up (None = unweighted).
        max_features: vocabulary cap of each of the two vectorisers.
        seed: random state of the solvers.

    Returns:
        An unfitted :class:`sklearn.pipeline.Pipeline`.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline, make_union

    features = make_union(
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, min_df=2, max_features=max_features),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2, max_features=max_features),
    )
    head = LogisticRegression(C=4.0, max_iter=2000, class_weight=class_weight, random_state=seed)
    return make_pipeline(features, OneVsRestClassifier(head))
