"""Data-centric fine-tuning (lesson 13): how much data, label noise, augmentation, active learning.

Every function here works on cheap models (TF-IDF + logistic regression, or logistic regression on
frozen sentence embeddings computed once), so that each question is answered by many small fits
rather than one expensive fine-tune:

* :func:`learning_curve` scores approaches at several training sizes and draws; :func:`crossing_size`
  says from which size one curve stays above another.
* :func:`inject_label_noise` flips a known share of labels (so we know which are wrong);
  :func:`out_of_fold_probabilities` and :func:`suspected_label_issues` run confident learning
  (``cleanlab.filter.find_label_issues``) on probabilities from models that never saw the row they score;
  :func:`detection_scores` measures the flags against the truth where it is known.
* :func:`fine_tune_curve` fine-tunes on nested subsets (pair and retrieval tasks, where a frozen encoder has no
  cheap head to fit): one training run per size and draw, predictions kept for paired intervals.
* :func:`random_deletion`, :func:`random_swap` and :func:`augment_texts`: token-level augmentation;
  :func:`neighbour_copies`: model-based augmentation, each training text's nearest unlabelled neighbour.
* :func:`uncertainty`, :func:`select_batch` and :func:`active_learning`: pool-based uncertainty sampling
  against random sampling, one label budget after another.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from ftcourse.baselines import crossover_k, score_predictions
from ftcourse.errors import DataError, UsageError
from ftcourse.evaluation import label_macro_f1
from ftcourse.fewshot import sample_per_class
from ftcourse.prepare import stratified_sample

UNCERTAINTY_METHODS = ("least_confidence", "margin", "entropy")
STRATEGIES = ("random", *UNCERTAINTY_METHODS)


# ---------------------------------------------------------------------------------------------
# How much data


def learning_curve(
    pool: pd.DataFrame,
    sizes: Sequence[int],
    approaches: Mapping[str, Callable[[pd.DataFrame], np.ndarray]],
    y_test,
    label_names: Sequence[str],
    draws: int = 1,
    seed: int = 0,
    label_column: str = "label",
    focus_class: int | None = None,
    n_resamples: int = 200,
) -> tuple[pd.DataFrame, dict]:
    """Score each approach at each training size, over several stratified draws of the training rows.

    Args:
        pool: the rows training sets are drawn from (never the test rows); expected column: ``label_column``.
        sizes: training sizes (stratified draws hold this many rows, give or take one per class from rounding);
            a size at or above ``len(pool)`` becomes ``len(pool)``: the whole pool, the same rows in every draw.
        approaches: ``{name: fit_predict}``; ``fit_predict(train_rows)`` fits on those rows and returns predicted
            class ids for the test rows (the same test rows for every call).
        y_test: the test rows' class ids.
        label_names: class names in id order.
        draws: training sets drawn per size (seeds ``seed``, ``seed + 1``, ...); every approach gets the same rows.
        seed: the first draw's seed (also the bootstrap's).
        label_column: the class column of ``pool``.
        focus_class: also report this class's F1 (e.g. Davidson's rare ``hate``).
        n_resamples: bootstrap resamples of the 95 % interval, computed for the first draw only (the others give
            the spread over draws).

    Returns:
        ``(curve, predictions)``: one row per approach, size and draw (``approach``, ``train_size``, ``draw``,
        ``macro_f1``, ``macro_f1_low``, ``macro_f1_high`` (NaN after the first draw), ``<class>_f1``); and
        ``{(approach, train_size, draw): predicted ids}``.
    """
    if not sizes or min(sizes) < 1:
        raise UsageError(f"sizes={list(sizes)!r}: give one or more training sizes >= 1.")
    rows, predictions = [], {}
    for size in sorted({min(int(s), len(pool)) for s in sizes}):
        for draw in range(draws):
            train = stratified_sample(pool, label_column, size, seed=seed + draw)
            for name, fit_predict in approaches.items():
                pred = np.asarray(fit_predict(train))
                predictions[(name, size, draw)] = pred
                row = score_predictions(name, y_test, pred, label_names, 0.0, n_resamples, seed, focus_class)
                if draw:
                    row["macro_f1_low"] = row["macro_f1_high"] = float("nan")
                rows.append({**row, "train_size": size, "draw": draw})
    curve = pd.DataFrame(rows).drop(columns=["seconds", "accuracy"])
    return curve, predictions


def crossing_size(curve: pd.DataFrame, first: str, second: str) -> int | None:
    """The smallest training size from which ``second``'s mean macro-F1 reaches ``first``'s and stays there.

    Args:
        curve: columns ``approach``, ``train_size``, ``macro_f1`` (e.g. from :func:`learning_curve`; draws are averaged).
        first, second: the two approaches' names.

    Returns:
        That size, or None when ``second`` is still behind at the largest size (the same rule as
        :func:`ftcourse.baselines.crossover_k`, applied to training sizes instead of examples per class).
    """
    return crossover_k(curve.rename(columns={"train_size": "k"}), first, second)


def fine_tune_curve(
    data: pd.DataFrame,
    sizes: Sequence[int],
    fine_tune: Callable[[pd.DataFrame, int], object],
    predict: Callable[[object], np.ndarray],
    draws: int = 1,
    seed: int = 0,
) -> tuple[dict, pd.DataFrame]:
    """Fine-tune on growing subsets of ``data`` and keep each model's test predictions.

    Within a draw the subsets are nested (the first 100 rows of a shuffled order, then the first 500, ...), so
    a larger size adds rows rather than swapping them: the curve's steps measure more data, not other data.

    Args:
        data: the training rows (e.g. STS-B pairs, FAQ question/answer pairs).
        sizes: subset sizes; one at or above ``len(data)`` becomes ``len(data)``.
        fine_tune: ``fine_tune(rows, draw) -> model``: trains a fresh model on those rows (``draw`` for its seed).
        predict: ``predict(model) -> per-test-row values`` (cosines, per-query nDCG, class ids): the same test rows every call.
        draws: shuffled orders (seeds ``seed``, ``seed + 1``, ...).
        seed: the first draw's seed.

    Returns:
        ``(predictions, runs)``: ``{(size, draw): values}``, and one row per run (``train_size``, ``draw``, ``seconds``).
    """
    if not sizes or min(sizes) < 1:
        raise UsageError(f"sizes={list(sizes)!r}: give one or more training sizes >= 1.")
    if not len(data):
        raise DataError("fine_tune_curve: the training table is empty.")
    predictions, runs = {}, []
    for draw in range(draws):
        order = np.random.default_rng(seed + draw).permutation(len(data))
        for size in sorted({min(int(s), len(data)) for s in sizes}):
            started = time.perf_counter()
            model = fine_tune(data.iloc[order[:size]].reset_index(drop=True), draw)
            predictions[(size, draw)] = np.asarray(predict(model))
            runs.append({"train_size": size, "draw": draw, "seconds": time.perf_counter() - started})
    return predictions, pd.DataFrame(runs)


def mean_f1_over_draws(y_true, predictions, n_classes: int, focus_class: int | None = None) -> float:
    """Macro-F1 (or one class's F1) of each column of predictions, averaged: one draw of the training rows per column.

    The same numbers as ``sklearn.metrics.f1_score(..., labels=range(n_classes), average="macro", zero_division=0)``
    per column, computed from one-hot matrices (:func:`ftcourse.evaluation.label_macro_f1`) so that a paired bootstrap
    over the test rows of several draws at once takes a second, not a minute.

    Args:
        y_true: class ids of the test rows.
        predictions: predicted ids, ``(n_rows,)`` or ``(n_rows, n_draws)``.
        n_classes: how many classes.
        focus_class: score only this class's F1 instead of the macro average.
    """
    y = np.asarray(y_true).astype(int)
    pred = np.asarray(predictions).astype(int)
    pred = pred[:, None] if pred.ndim == 1 else pred
    eye = np.eye(n_classes, dtype=bool)
    columns = range(n_classes) if focus_class is None else [focus_class]
    truth = eye[y][:, columns]
    return float(np.mean([label_macro_f1(truth, eye[pred[:, j]][:, columns]) for j in range(pred.shape[1])]))


# ---------------------------------------------------------------------------------------------
# Label noise and confident learning


def inject_label_noise(labels, rate: float, n_classes: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Flip exactly ``round(rate * n)`` labels, each to another class drawn uniformly (symmetric noise).

    Real annotators' mistakes are not uniform (they confuse neighbouring classes, such as hate and offensive);
    uniform flips are the simplest noise whose truth we know.

    Args:
        labels: class ids ``0 .. n_classes - 1``.
        rate: share of labels to flip, in [0, 1].
        n_classes: how many classes there are (at least 2).
        seed: which labels are flipped and to what.

    Returns:
        ``(noisy_labels, flipped)``: the new labels and a boolean mask of the rows that changed.
    """
    y = np.asarray(labels).astype(int)
    if not 0 <= rate <= 1:
        raise UsageError(f"rate={rate!r}: the share of labels to flip must lie in [0, 1].")
    if n_classes < 2 or y.min(initial=0) < 0 or y.max(initial=0) >= n_classes:
        raise DataError(
            f"labels must be class ids in 0..{n_classes - 1} with n_classes >= 2; got {sorted(set(y.tolist()))[:10]}."
        )
    rng = np.random.default_rng(seed)
    flipped = np.zeros(len(y), dtype=bool)
    flipped[rng.choice(len(y), size=round(rate * len(y)), replace=False)] = True
    noisy = y.copy()
    # An offset in 1..n_classes-1 added modulo n_classes never gives back the original class.
    noisy[flipped] = (y[flipped] + rng.integers(1, n_classes, size=int(flipped.sum()))) % n_classes
    return noisy, flipped


def out_of_fold_probabilities(features, labels, make_model: Callable, folds: int = 5, seed: int = 0) -> np.ndarray:
    """Class probabilities for every row from a model that did not train on that row (``cross_val_predict``).

    Confident learning needs these: a model scoring its own training rows has memorised their labels,
    wrong ones included, and would call them all correct.

    Args:
        features: one row per example (embeddings, or texts for a TF-IDF pipeline).
        labels: class ids; every class needs at least ``folds`` rows.
        make_model: ``make_model()`` returns an unfitted sklearn classifier with ``predict_proba``.
        folds: stratified folds.
        seed: how the rows are shuffled into folds.

    Returns:
        ``(n_rows, n_classes)`` probabilities, columns in class-id order.
    """
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    y = np.asarray(labels)
    counts = np.bincount(y)
    if counts.min() < folds:
        raise DataError(
            f"Each class needs at least folds={folds} rows for out-of-fold probabilities; class counts: {counts.tolist()}."
        )
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return cross_val_predict(make_model(), features, y, cv=cv, method="predict_proba")


def suspected_label_issues(labels, pred_probs, label_names: Sequence[str], texts: Sequence[str] | None = None) -> pd.DataFrame:
    """Rows whose given label confident learning doubts, most suspicious first (``cleanlab.filter.find_label_issues``).

    cleanlab estimates, per class, how confident the model must be to count a row as belonging to it
    (the class's mean self-confidence), counts the rows confidently in another class than their label
    (the confident joint), and flags that many rows per pair of classes, ranked by self-confidence (the
    probability the model gives to the row's own label, lowest first).

    Args:
        labels: the given class ids.
        pred_probs: out-of-fold probabilities (:func:`out_of_fold_probabilities`), columns in class-id order.
        label_names: class names in id order.
        texts: the rows' texts, shown beside the flags when given.

    Returns:
        One row per flagged example: ``position`` (row number in ``labels``), ``given``, ``suggested`` (the class
        with the highest probability), ``self_confidence`` and ``text`` when given.
    """
    from cleanlab.filter import find_label_issues

    y, probs = np.asarray(labels).astype(int), np.asarray(pred_probs, dtype=float)
    if probs.shape != (len(y), len(label_names)):
        raise DataError(
            f"pred_probs has shape {probs.shape}; expected ({len(y)}, {len(label_names)}): one row per label, one column per class."
        )
    # n_jobs=1: with a few classes cleanlab's worker pool saves nothing, and its forked workers each map the whole parent
    # process (a notebook kernel holding several GiB after fine-tunes), which tripled lesson 13's measured peak memory
    ranked = find_label_issues(y, probs, return_indices_ranked_by="self_confidence", n_jobs=1)
    names = np.asarray(label_names)
    table = pd.DataFrame(
        {
            "position": ranked,
            "given": names[y[ranked]],
            "suggested": names[probs[ranked].argmax(axis=1)],
            "self_confidence": probs[ranked, y[ranked]],
        }
    )
    if texts is not None:
        table["text"] = np.asarray(list(texts), dtype=object)[ranked]
    return table


def detection_scores(flagged_positions, truly_wrong) -> dict[str, float]:
    """How well the flags find labels known to be wrong (injected noise): precision, recall and how many of each.

    Args:
        flagged_positions: row numbers a detector flagged.
        truly_wrong: boolean mask, one entry per row, True where the label is known to be wrong.

    Returns:
        ``{"flagged", "wrong", "precision", "recall"}``; precision is the share of flags that are wrong labels,
        recall the share of wrong labels that were flagged.
    """
    from sklearn.metrics import precision_score, recall_score

    wrong = np.asarray(truly_wrong, dtype=bool)
    flagged = np.zeros(len(wrong), dtype=bool)
    flagged[np.asarray(flagged_positions, dtype=int)] = True
    return {
        "flagged": int(flagged.sum()),
        "wrong": int(wrong.sum()),
        "precision": float(precision_score(wrong, flagged, zero_division=0)),
        "recall": float(recall_score(wrong, flagged, zero_division=0)),
    }


# ---------------------------------------------------------------------------------------------
# Token-level augmentation


def random_deletion(text: str, p: float, rng: np.random.Generator) -> str:
    """Drop each whitespace token with probability ``p``, keeping at least one (the order is unchanged).

    Args:
        text: the text.
        p: deletion probability per token, in [0, 1).
        rng: a numpy ``Generator`` (the caller's seed decides which tokens go).
    """
    if not 0 <= p < 1:
        raise UsageError(f"p={p!r}: the deletion probability must lie in [0, 1).")
    tokens = text.split()
    if len(tokens) < 2:
        return text
    kept = [t for t in tokens if rng.random() >= p]
    return " ".join(kept) if kept else tokens[int(rng.integers(len(tokens)))]


def random_swap(text: str, n_swaps: int, rng: np.random.Generator) -> str:
    """Swap two randomly chosen whitespace tokens, ``n_swaps`` times (the tokens themselves are unchanged).

    Args:
        text: the text.
        n_swaps: how many swaps (0 leaves the text as it is).
        rng: a numpy ``Generator``.
    """
    if n_swaps < 0:
        raise UsageError(f"n_swaps={n_swaps!r} must be >= 0.")
    tokens = text.split()
    if len(tokens) < 2:
        return text
    for _ in range(n_swaps):
        i, j = rng.choice(len(tokens), size=2, replace=False)
        tokens[i], tokens[j] = tokens[j], tokens[i]
    return " ".join(tokens)


def augment_texts(texts: Sequence[str], p_delete: float = 0.1, n_swaps: int = 1, seed: int = 0) -> list[str]:
    """One augmented copy of each text: random deletion, then random swaps (EDA's two label-free token edits).

    Wei and Zou (2019, "EDA") also replace and insert synonyms; those need a thesaurus, and on tweets full of
    slang a thesaurus rarely knows the words that carry the label.

    Args:
        texts: the training texts.
        p_delete: deletion probability per token (:func:`random_deletion`).
        n_swaps: swaps per text (:func:`random_swap`).
        seed: the same seed gives the same copies.

    Returns:
        The augmented texts, in the same order (each keeps its original's label).
    """
    rng = np.random.default_rng(seed)
    return [random_swap(random_deletion(str(t), p_delete, rng), n_swaps, rng) for t in texts]


def neighbour_copies(train_vectors, candidate_vectors, min_similarity: float) -> tuple[np.ndarray, np.ndarray]:
    """Model-based augmentation: for each training text, its most similar unlabelled text as a new example.

    The copy takes the original's label. Unlike a token edit, a neighbour is a real text with other words; the
    threshold trades how many copies there are against how often the borrowed label is wrong.

    Args:
        train_vectors: L2-normalised embeddings of the training texts, ``(n_train, dim)``.
        candidate_vectors: L2-normalised embeddings of unlabelled texts (never the training or test rows).
        min_similarity: the cosine a neighbour needs; below it the original itself is repeated.

    Returns:
        ``(neighbour, similarity)``: per training row, the candidate row chosen (``-1`` where none reached the
        threshold) and its cosine.
    """
    train, candidates = np.asarray(train_vectors, dtype=float), np.asarray(candidate_vectors, dtype=float)
    for name, vectors in (("train_vectors", train), ("candidate_vectors", candidates)):
        if vectors.ndim != 2:
            raise DataError(
                f"neighbour_copies: {name} has shape {vectors.shape}; it needs one row per text, (n_texts, dim). "
                "Fix: pass model.encode(list_of_texts, normalize_embeddings=True), not the vector of a single text."
            )
    if not len(candidates):
        raise DataError("neighbour_copies: there are no candidate texts to borrow from.")
    if train.shape[1] != candidates.shape[1]:
        raise DataError(f"train_vectors have {train.shape[1]} dimensions but candidate_vectors {candidates.shape[1]}.")
    similarities = train @ candidates.T
    best = similarities.argmax(axis=1)
    best_similarity = similarities[np.arange(len(train)), best]
    return np.where(best_similarity >= min_similarity, best, -1), best_similarity


# ---------------------------------------------------------------------------------------------
# Active learning


def uncertainty(probabilities, method: str = "margin") -> np.ndarray:
    """How unsure a model is about each row, higher = more unsure.

    Args:
        probabilities: ``(n_rows, n_classes)`` predicted probabilities.
        method: ``"least_confidence"`` (1 - the top probability), ``"margin"`` (1 - (top - second), so a small
            gap between the two best classes is unsure) or ``"entropy"`` (of the whole distribution).

    Returns:
        One score per row.
    """
    probs = np.asarray(probabilities, dtype=float)
    if probs.ndim != 2 or probs.shape[1] < 2:
        raise DataError(f"probabilities must be (rows, classes) with at least two classes; got shape {probs.shape}.")
    ordered = np.sort(probs, axis=1)
    if method == "least_confidence":
        return 1.0 - ordered[:, -1]
    if method == "margin":
        return 1.0 - (ordered[:, -1] - ordered[:, -2])
    if method == "entropy":
        return -(probs * np.log(np.clip(probs, 1e-12, 1.0))).sum(axis=1)
    raise UsageError(f"method={method!r}: choose one of {list(UNCERTAINTY_METHODS)}.")


def select_batch(probabilities, k: int, strategy: str, rng: np.random.Generator) -> np.ndarray:
    """Which ``k`` unlabelled rows to label next: the most uncertain ones, or ``k`` at random.

    Args:
        probabilities: ``(n_unlabelled, n_classes)``: the current model on the unlabelled pool.
        k: rows to pick (all of them when fewer are left).
        strategy: ``"random"`` or an uncertainty method of :func:`uncertainty`.
        rng: a numpy ``Generator`` (random picks, and ties among equally uncertain rows).

    Returns:
        Row numbers into ``probabilities``.
    """
    if strategy not in STRATEGIES:
        raise UsageError(f"strategy={strategy!r}: choose one of {list(STRATEGIES)}.")
    n = len(probabilities)
    k = min(int(k), n)
    if strategy == "random":
        return rng.choice(n, size=k, replace=False)
    scores = uncertainty(probabilities, strategy)
    order = np.lexsort((rng.random(n), -scores))  # most uncertain first; random order among ties
    return order[:k]


def active_learning(
    features,
    labels,
    test_features,
    make_model: Callable,
    strategy: str,
    seed_per_class: int,
    batch_size: int,
    rounds: int,
    seed: int = 0,
    candidates: int | None = None,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Simulated pool-based active learning: start from a small labelled seed set, then label a batch per round.

    The pool's labels are known (we simulate the annotator); the learner only ever sees the labels of the rows
    it picked. Each round fits a fresh model on the labelled rows, predicts the test rows, then picks the next
    batch from the rest of the pool.

    Args:
        features: the pool's features (e.g. frozen embeddings), one row per example.
        labels: the pool's class ids (revealed only for picked rows).
        test_features: the test rows' features.
        make_model: ``make_model()`` -> an unfitted sklearn classifier with ``predict_proba`` (or a
            :class:`ftcourse.classifier.estimator.FineTunedClassifier`, with texts as the features).
        strategy: ``"random"`` or an uncertainty method (:func:`select_batch`).
        seed_per_class: labelled rows per class before the first round (the same for every strategy with the same ``seed``).
        batch_size: rows labelled per round.
        rounds: how many batches are labelled.
        seed: the seed set and the random picks.
        candidates: score only this many unlabelled rows per round, drawn at random (every strategy draws the same way);
            None scores all of them. A fine-tuned model pays a forward pass per scored row.

    Returns:
        ``(picked, test_predictions)``: per budget (seed set, then after each round) the labelled pool rows and the
        model's predicted test ids; ``len(picked[i])`` is the label budget of step ``i``.
    """
    y = np.asarray(labels)
    if len(y) != len(features):
        raise DataError(f"features has {len(features)} rows but labels has {len(y)}.")
    rng = np.random.default_rng(seed)
    labelled = sample_per_class(pd.DataFrame({"label": y}), "label", seed_per_class, seed=seed).index.to_numpy()
    picked, predictions = [], []
    for step in range(rounds + 1):
        model = make_model().fit(features[labelled], y[labelled])
        picked.append(labelled.copy())
        predictions.append(model.predict(test_features))
        unlabelled = np.setdiff1d(np.arange(len(y)), labelled)
        if step == rounds or not len(unlabelled):
            break
        if candidates is not None and candidates < len(unlabelled):
            unlabelled = np.sort(rng.choice(unlabelled, size=candidates, replace=False))
        batch = select_batch(model.predict_proba(features[unlabelled]), batch_size, strategy, rng)
        labelled = np.concatenate([labelled, unlabelled[batch]])
    return picked, predictions
