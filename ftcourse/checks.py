"""Instant checks for the exercises: each tests a learner's answer against reference behaviour.

A check prints what is right when the answer passes, and raises :class:`CheckFailed` with what is
wrong and a hint when it does not; it never prints the solution. Each check first rejects the
untouched stub (``None``, ``...`` or a function that raises ``NotImplementedError``).
"""

from __future__ import annotations

import math

import numpy as np

from ftcourse.baselines import tfidf_logreg
from ftcourse.calibration import apply_temperature, ece, fit_temperature, probabilities_to_logits
from ftcourse.classifier.metrics import tune_label_thresholds
from ftcourse.course import verdict
from ftcourse.datacentric import uncertainty
from ftcourse.embedder.losses import REGISTRY
from ftcourse.evaluation import bootstrap_ci, label_macro_f1, paired_bootstrap, retrieval_metrics
from ftcourse.prepare import cross_split_duplicates


class CheckFailed(AssertionError):
    """The learner's answer is not right yet; the message says what is wrong and hints at the fix."""


def _fail(problem: str, hint: str) -> None:
    raise CheckFailed(f"Not yet: {problem}\nHint: {hint}")


def _passed(message: str) -> None:
    print(f"Correct: {message}")


def _require_answer(answer, name: str) -> None:
    if answer is None or answer is Ellipsis:
        _fail(f"`{name}` has no value yet.", "replace the `# YOUR CODE HERE` stub above with your code and run that cell first.")


def _call(function, name: str, *args, **kwargs):
    _require_answer(function, name)
    if not callable(function):
        _fail(f"`{name}` should be a function, but it is a {type(function).__name__}.", f"define it with `def {name}(...):`.")
    try:
        return function(*args, **kwargs)
    except NotImplementedError:
        # Keep the stub's own exception type: the exercise stops here, where the work is.
        raise NotImplementedError(
            f"`{name}` is still the stub: replace `# YOUR CODE HERE` and the raise in its body with your implementation."
        ) from None


# ---- 01: baselines -------------------------------------------------------------------------------


def check_majority_baseline(majority_predict, macro_f1) -> None:
    """Lesson 01: a majority-class predictor and a macro-F1 function.

    Args:
        majority_predict: ``majority_predict(train_labels, n) -> array of n predictions``.
        macro_f1: ``macro_f1(y_true, y_pred) -> float``.
    """
    from sklearn.metrics import f1_score

    train = np.array([1] * 70 + [0] * 10 + [2] * 20)
    predictions = np.asarray(_call(majority_predict, "majority_predict", train, 5))
    if predictions.shape != (5,):
        _fail(
            f"majority_predict(train, 5) returned shape {predictions.shape}, expected (5,).",
            "return one prediction per requested example.",
        )
    if not (predictions == 1).all():
        _fail(
            f"on labels where class 1 is 70 % of the data it predicted {predictions.tolist()}.",
            "predict the most frequent training label (np.bincount(...).argmax()).",
        )
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 3, 200)
    y_pred = np.where(rng.random(200) < 0.6, y_true, rng.integers(0, 3, 200))
    y_pred[:40] = 1
    got = _call(macro_f1, "macro_f1", y_true, y_pred)
    expected = f1_score(y_true, y_pred, average="macro")
    if got is None or not math.isclose(float(got), expected, abs_tol=1e-6):
        accuracy = float((y_true == y_pred).mean())
        weighted = f1_score(y_true, y_pred, average="weighted")
        if got is not None and math.isclose(float(got), accuracy, abs_tol=1e-6):
            _fail("macro_f1 returned the accuracy.", "compute F1 per class and average the classes with equal weight.")
        if got is not None and math.isclose(float(got), weighted, abs_tol=1e-6):
            _fail(
                "macro_f1 weights classes by their size (that is weighted-F1).",
                "every class counts the same in a macro average, however rare.",
            )
        _fail(f"macro_f1 gave {got} on a test case.", "F1 per class = 2PR/(P+R); then the unweighted mean over classes.")
    _passed("the majority baseline predicts the most frequent class, and macro-F1 averages classes equally.")


CHALLENGER_EXPERIMENT_KEYS = ("val_predictions", "chosen", "test_predictions", "hate_f1", "difference_ci")


def _lesson01_pipeline(overrides: dict, seed: int):
    return tfidf_logreg(class_weight="balanced", seed=seed).set_params(**overrides)


def _check_refit(name: str, overrides: dict, train, frames: dict, predictions: dict, seed: int, hint: str) -> None:
    """Fail unless the learner's predictions on each frame equal those of the pipeline refitted on ``train``."""
    model = _lesson01_pipeline(overrides, seed).fit(train["text"], train["label"])
    for split_name, frame in frames.items():
        if not np.array_equal(np.asarray(predictions[split_name]), model.predict(frame["text"])):
            _fail(f"the {split_name} predictions of {name!r} are not those of {name} trained on `train` with seed SEED.", hint)


def _check_reported_hate_f1(reported, predictions: dict, y_test, hate: int) -> dict:
    """Fail unless ``reported`` holds each model's test hate F1 recomputed from its predictions; return those."""
    from sklearn.metrics import f1_score

    expected = {name: _hate_f1(y_test, pred, hate) for name, pred in predictions.items()}
    if not isinstance(reported, dict) or set(reported) != set(expected):
        _fail(f"hate_f1 should have the keys {sorted(expected)}.", "the test hate F1 of each model.")
    for name, value in expected.items():
        if _close(reported[name], value):
            continue
        if _close(reported[name], f1_score(y_test, predictions[name], average="macro", zero_division=0)):
            _fail(f"hate_f1[{name!r}] is the macro-F1 over the three classes.", "score the hate class only.")
        _fail(
            f"hate_f1[{name!r}] is {reported[name]}, but your test predictions give {value:.4f}.", "hate_f1(y_test, predictions)."
        )
    return expected


def check_challenger_experiment(experiment: dict, train, val, test, candidates: dict, hate: int, seed: int, n_resamples: int):
    """Exercise 01, Part B: a challenger to lesson 01's class-weighted TF-IDF + LR, chosen on validation, measured on test.

    The check refits the baseline and the chosen candidate on ``train`` (seconds each) to confirm the learner's
    predictions, then recomputes the choice, the test hate F1s and the paired interval.

    Args:
        experiment: the learner's dict with the keys :data:`CHALLENGER_EXPERIMENT_KEYS`: ``val_predictions``
            ({candidate: class ids on ``val``} for every candidate), ``chosen`` (a candidate), ``test_predictions``
            ({"baseline": ..., "challenger": ...} on ``test``), ``hate_f1`` (the same two keys, on test) and
            ``difference_ci`` ((low, high): paired 95 % bootstrap interval of challenger minus baseline hate F1).
        train, val, test: lesson 01's frames (``text``, ``label``).
        candidates: ``{name: set_params overrides of ftcourse.baselines.tfidf_logreg}`` (the exercise's ``CANDIDATES``).
        hate, seed, n_resamples: the hate class id, the notebook's ``SEED`` and ``BOOTSTRAP``.
    """
    from sklearn.metrics import f1_score

    _require_answer(experiment, "experiment")
    if not isinstance(experiment, dict) or set(CHALLENGER_EXPERIMENT_KEYS) - set(experiment):
        missing = sorted(set(CHALLENGER_EXPERIMENT_KEYS) - set(experiment)) if isinstance(experiment, dict) else "all"
        _fail(f"experiment lacks the keys {missing}.", f"build a dict with the keys {list(CHALLENGER_EXPERIMENT_KEYS)}.")
    y_val, y_test = val["label"].to_numpy(), test["label"].to_numpy()
    val_predictions, test_predictions = experiment["val_predictions"], experiment["test_predictions"]
    if not isinstance(val_predictions, dict) or set(val_predictions) != set(candidates):
        _fail(f"val_predictions should hold one entry per candidate {list(candidates)}.", "loop over CANDIDATES.")
    if not isinstance(test_predictions, dict) or set(test_predictions) != {"baseline", "challenger"}:
        _fail("test_predictions should be {'baseline': ..., 'challenger': ...}.", "predict the test tweets with both models.")
    on_val = {name: _hate_f1(y_val, val_predictions[name], hate) for name in candidates}
    best = max(candidates, key=on_val.get)  # the first of equal values
    chosen = experiment["chosen"]
    if chosen != best:
        macro = {name: f1_score(y_val, val_predictions[name], average="macro", zero_division=0) for name in candidates}
        if chosen == max(candidates, key=macro.get):
            _fail(f"'{chosen}' has the best validation macro-F1; the criterion is hate F1.", f"choose '{best}'.")
        _fail(
            f"chosen is {chosen!r}, but validation hate F1 is highest for '{best}' "
            f"({', '.join(f'{n} {v:.3f}' for n, v in on_val.items())}).",
            "pick the candidate with the highest validation hate F1 (the first one on a tie); the test tweets take no part.",
        )
    _check_refit(
        "the baseline",
        {},
        train,
        {"test": test},
        {"test": test_predictions["baseline"]},
        seed,
        "the baseline is lesson 01's class-weighted TF-IDF + LR: tfidf_logreg(class_weight='balanced', seed=SEED), unchanged.",
    )
    _check_refit(
        chosen,
        candidates[chosen],
        train,
        {"validation": val, "test": test},
        {"validation": val_predictions[chosen], "test": test_predictions["challenger"]},
        seed,
        "train each candidate on `train` only, with tfidf_logreg(class_weight='balanced', seed=SEED).set_params(**overrides).",
    )
    pairs = {name: np.asarray(test_predictions[name]) for name in ("baseline", "challenger")}
    expected = _check_reported_hate_f1(experiment["hate_f1"], pairs, y_test, hate)
    paired = _check_paired_interval(
        experiment["difference_ci"],
        y_test == hate,
        pairs["baseline"] == hate,
        pairs["challenger"] == hate,
        seed,
        n_resamples,
        names=("baseline", chosen),
        call="paired_bootstrap(hate_f1, y_test, baseline predictions, challenger predictions, n_resamples=BOOTSTRAP, seed=SEED)",
    )
    _passed(
        f"'{chosen}' chosen on validation only; test hate F1 {expected['baseline']:.3f} (baseline) and "
        f"{expected['challenger']:.3f} ({chosen}), difference {expected['challenger'] - expected['baseline']:+.3f}, "
        f"95 % paired interval [{paired['low']:+.3f}, {paired['high']:+.3f}]."
    )


def check_challenger_decision(answer: dict, experiment: dict) -> None:
    """Exercise 01, Part C: replace lesson 01's baseline only if the challenger's gain is demonstrated.

    Args:
        answer: ``{"ship": "baseline" or the chosen candidate, "difference": challenger minus baseline test hate F1}``.
        experiment: the learner's Part B dict (already checked by :func:`check_challenger_experiment`).
    """
    delta = float(experiment["hate_f1"]["challenger"]) - float(experiment["hate_f1"]["baseline"])
    _check_ship_decision(
        answer, experiment["chosen"], "baseline", delta, experiment["difference_ci"], experiment["hate_f1"]["challenger"]
    )


# ---- 02: pairs -----------------------------------------------------------------------------------


def check_balanced_pairs(build_pairs) -> None:
    """Lesson 02: ``build_pairs(df, n_pairs, seed) -> DataFrame[sentence1, sentence2, label]`` from a text/label frame."""
    import pandas as pd

    df = pd.DataFrame({"text": [f"text {i}" for i in range(60)], "label": [0] * 50 + [1] * 6 + [2] * 4})
    pairs = _call(build_pairs, "build_pairs", df, 40, 0)
    if not isinstance(pairs, pd.DataFrame):
        _fail(f"build_pairs returned a {type(pairs).__name__}.", "return a pandas DataFrame.")
    if list(pairs.columns[:3]) != ["sentence1", "sentence2", "label"]:
        _fail(f"columns are {list(pairs.columns)}.", "the pair format is sentence1, sentence2, label (1 = same class).")
    if len(pairs) != 40:
        _fail(f"asked for 40 pairs, got {len(pairs)}.", "build exactly n_pairs rows.")
    label_of = dict(zip(df["text"], df["label"], strict=True))
    same = np.array([label_of[a] == label_of[b] for a, b in zip(pairs["sentence1"], pairs["sentence2"], strict=True)])
    if not (pairs["label"].to_numpy() == same.astype(int)).all():
        _fail(
            "some pairs have label 1 for different classes (or 0 for the same class).",
            "label = 1 exactly when both texts share a class.",
        )
    if (pairs["sentence1"] == pairs["sentence2"]).any():
        _fail("some pairs match a text with itself.", "a positive needs two different texts of the same class.")
    share = pairs["label"].mean()
    if not 0.4 <= share <= 0.6:
        _fail(
            f"{share:.0%} of the pairs are positives.",
            "sample half the pairs from the same class and half from different classes, instead of pairing at random.",
        )
    _passed(f"{len(pairs)} pairs, {share:.0%} positives, every label consistent with the classes.")


LEAKAGE_EXPERIMENT_KEYS = ("leaked_test", "removed_train", "test_predictions", "accuracy", "difference_ci")


def _positions(value, name: str, n: int) -> np.ndarray:
    """``value`` as sorted unique row positions in ``0..n-1``; fail with the fix when it is not that."""
    try:
        positions = np.unique(np.asarray(list(value), dtype=int))
    except (TypeError, ValueError):
        _fail(f"{name} should be a list of row positions (integers).", "take them from cross_split_duplicates' columns.")
    if positions.size and (positions[0] < 0 or positions[-1] >= n):
        _fail(
            f"{name} holds {positions[-1]}, outside the {n} rows: index labels, not positions.",
            "use the positions cross_split_duplicates returns (0 .. rows - 1), not the DataFrame's index.",
        )
    return positions


def _check_leak_rows(experiment: dict, train, test, threshold: float) -> np.ndarray:
    """Fail unless the learner's leaked test tweets and removed train rows are those of the split; return a train mask."""
    leaks = cross_split_duplicates(train["clean"], test["clean"], threshold=threshold)
    leaked, twins = np.unique(leaks["test"].to_numpy()), np.unique(leaks["train"].to_numpy())
    mine = _positions(experiment["leaked_test"], "leaked_test", len(test))
    if not np.array_equal(mine, leaked):
        if np.array_equal(mine, twins):
            _fail("leaked_test holds the positions of the train copies.", "the test tweets are the 'test' column.")
        _fail(
            f"leaked_test holds {len(mine)} tweets; {len(leaked)} test tweets have a near-duplicate in train at {threshold}.",
            "cross_split_duplicates(train['clean'], test['clean'], threshold=THRESHOLD)['test'].unique(): train first, "
            "the normalised texts, the notebook's threshold.",
        )
    removed = _positions(experiment["removed_train"], "removed_train", len(train))
    if not np.array_equal(removed, twins):
        if np.array_equal(removed, leaked):
            _fail(
                "removed_train holds the positions of the leaked *test* tweets.",
                "remove their copies from the training rows (the 'train' column); the test tweets all stay.",
            )
        _fail(
            f"removed_train holds {len(removed)} rows; {len(twins)} training tweets are near-duplicates of a test tweet.",
            "remove exactly the rows in cross_split_duplicates(...)['train'].unique(), no more.",
        )
    keep = np.ones(len(train), dtype=bool)
    keep[twins] = False
    return keep


def _check_leakage_predictions(predictions, train, test, keep, seed: int) -> dict:
    """Fail unless the two models' test predictions are those of lesson 01's TF-IDF + LR refitted here; return them."""
    if not isinstance(predictions, dict) or set(predictions) != {"naive", "decontaminated"}:
        _fail("test_predictions should be {'naive': ..., 'decontaminated': ...}.", "predict the test tweets with both models.")
    predictions = {name: np.asarray(value) for name, value in predictions.items()}
    for name, value in predictions.items():
        if value.shape != (len(test),):
            _fail(
                f"test_predictions[{name!r}] has {value.shape[0] if value.ndim else 0} rows, not the {len(test)} test tweets.",
                "score every test tweet, the leaked ones included: the two models must be compared on the same rows.",
            )
    hint = "tfidf_logreg(class_weight='balanced', seed=SEED).fit(texts['clean'], texts['label']), then predict test['clean']."
    for name, rows in (("naive", train), ("decontaminated", train[keep])):
        expected = tfidf_logreg(class_weight="balanced", seed=seed).fit(rows["clean"], rows["label"]).predict(test["clean"])
        if not np.array_equal(predictions[name], expected):
            if name == "decontaminated" and np.array_equal(predictions[name], predictions["naive"]):
                _fail("the decontaminated model predicts exactly as the naive one.", "train it on train without removed_train.")
            where = "`train`" if name == "naive" else "`train` without the rows of removed_train"
            _fail(f"test_predictions[{name!r}] are not those of the model trained on {where}.", hint)
    return predictions


def check_leakage_experiment(experiment: dict, train, test, threshold: float, seed: int, n_resamples: int) -> None:
    """Exercise 02, Part B: how much does leakage through near-duplicates inflate the naive split's test accuracy?

    The same test tweets are scored by two models: one trained on the naive split's training tweets, one trained on
    them minus every training tweet that is a near-duplicate of a test tweet. The check finds the leaks again, refits
    both models (seconds), and recomputes the accuracies and the paired interval from the learner's predictions.

    Args:
        experiment: the learner's dict with the keys :data:`LEAKAGE_EXPERIMENT_KEYS`: ``leaked_test`` (positions of the
            test tweets with a near-duplicate in train), ``removed_train`` (positions of those training tweets),
            ``test_predictions`` and ``accuracy`` ({"naive": ..., "decontaminated": ...} on the test tweets), and
            ``difference_ci`` ((low, high): paired 95 % bootstrap interval of naive minus decontaminated accuracy).
        train, test: the naive split (columns ``clean``, the normalised text, and ``label``).
        threshold: the near-duplicate threshold (the notebook's ``THRESHOLD``).
        seed, n_resamples: the notebook's ``SEED`` and ``BOOTSTRAP``.
    """
    from sklearn.metrics import f1_score

    _require_answer(experiment, "experiment")
    if not isinstance(experiment, dict) or set(LEAKAGE_EXPERIMENT_KEYS) - set(experiment):
        missing = sorted(set(LEAKAGE_EXPERIMENT_KEYS) - set(experiment)) if isinstance(experiment, dict) else "all"
        _fail(f"experiment lacks the keys {missing}.", f"build a dict with the keys {list(LEAKAGE_EXPERIMENT_KEYS)}.")
    keep = _check_leak_rows(experiment, train, test, threshold)
    predictions = _check_leakage_predictions(experiment["test_predictions"], train, test, keep, seed)
    y_test = test["label"].to_numpy()
    expected = {name: _accuracy(y_test, pred) for name, pred in predictions.items()}
    reported = experiment["accuracy"]
    if not isinstance(reported, dict) or set(reported) != set(expected):
        _fail("accuracy should be {'naive': ..., 'decontaminated': ...}.", "the test accuracy of both models.")
    for name, value in expected.items():
        if not _close(reported[name], value):
            if _close(reported[name], f1_score(y_test, predictions[name], average="macro")):
                _fail(f"accuracy[{name!r}] is the macro-F1.", "the share of test tweets predicted right.")
            _fail(f"accuracy[{name!r}] is {reported[name]}, but your predictions give {value:.4f}.", "score all test tweets.")
    paired = _check_paired_interval(
        experiment["difference_ci"],
        y_test,
        predictions["decontaminated"],
        predictions["naive"],
        seed,
        n_resamples,
        names=("decontaminated", "naive"),
        call="paired_bootstrap(accuracy, y_test, decontaminated predictions, naive predictions, n_resamples=BOOTSTRAP, seed=SEED)",
        metric=_accuracy,
    )
    _passed(
        f"{int((~keep).sum())} training tweets removed for {len(np.unique(experiment['leaked_test']))} leaked test tweets; "
        f"test accuracy {expected['naive']:.3f} (naive) and {expected['decontaminated']:.3f} (decontaminated), difference "
        f"{paired['delta']:+.3f}, 95 % paired interval [{paired['low']:+.3f}, {paired['high']:+.3f}]."
    )


def check_leakage_decision(answer: dict, experiment: dict) -> None:
    """Exercise 02, Part C: is the naive split's accuracy demonstrably inflated by the leak? The verdict and the number.

    Args:
        answer: ``{"verdict": one of VERDICTS, "difference": naive minus decontaminated test accuracy}``
            (a ``"gain"`` here is an inflation).
        experiment: the learner's Part B dict (already checked by :func:`check_leakage_experiment`).
    """
    scores = experiment["accuracy"]
    delta = float(scores["naive"]) - float(scores["decontaminated"])
    _check_verdict(answer, delta, scores["naive"], experiment["difference_ci"], ("decontaminated", "naive"))


# ---- 03: pair features for SoftmaxLoss --------------------------------------------------------------


def check_pair_features(pair_features) -> None:
    """Lesson 03: ``pair_features(u, v) -> concat(u, v, |u - v|)`` along the last axis (SoftmaxLoss's input)."""
    rng = np.random.default_rng(1)
    u, v = rng.normal(size=(4, 8)), rng.normal(size=(4, 8))
    got = np.asarray(_call(pair_features, "pair_features", u, v))
    if got.shape != (4, 24):
        _fail(
            f"for two (4, 8) batches you returned shape {got.shape}.",
            "concatenate three (4, 8) blocks along axis 1: the result is (4, 24).",
        )
    if not np.allclose(got[:, :8], u) or not np.allclose(got[:, 8:16], v):
        _fail("the first two blocks are not u then v.", "keep the order u, v, |u - v|.")
    if np.allclose(got[:, 16:], u - v):
        _fail(
            "the third block is u - v, which changes sign when the pair is swapped.",
            "use the absolute difference, so (a, b) and (b, a) look alike.",
        )
    if not np.allclose(got[:, 16:], np.abs(u - v)):
        _fail("the third block is not |u - v|.", "np.abs(u - v) (or torch.abs).")
    _passed("features are (u, v, |u - v|), the input SoftmaxLoss's classifier sees.")


def check_feature_experiment(experiment: dict, feature_sets, y_dev, y_test, base_test_predictions, seed: int, n_resamples: int):
    """Exercise 03, Part B: pair features chosen on dev accuracy, measured on test against the features (u, v).

    Args:
        experiment: the learner's dict: ``dev_predictions`` ({feature set: predictions of the dev pairs} for every
            set), ``chosen`` (a feature set), ``test_predictions`` ({"base": ..., "chosen": ...} on the test pairs),
            ``accuracy`` (the same keys, on test) and ``difference_ci`` ((low, high): paired 95 % bootstrap interval of
            chosen minus base accuracy).
        feature_sets: the exercise's candidate feature sets (names).
        y_dev, y_test: the 0/1 paraphrase labels of the dev and test pairs.
        base_test_predictions: the (u, v) classifier's test predictions (computed by the notebook).
        seed, n_resamples: of the bootstrap (the notebook's ``SEED`` and ``BOOTSTRAP``).
    """
    spec = {
        "dev": "dev_predictions",
        "test": "test_predictions",
        "score": "accuracy",
        "metric": _accuracy,
        "option": "feature set",
        "base_name": "base_test",
        "call": "paired_bootstrap(accuracy, y_test, base_test, chosen predictions, n_resamples=BOOTSTRAP, seed=SEED)",
    }
    paired = _check_dev_choice(experiment, feature_sets, y_dev, y_test, base_test_predictions, seed, n_resamples, spec)
    _passed_choice(paired, str(paired["best"]), "accuracy", "with (u, v)")


def check_feature_decision(answer: dict, experiment: dict) -> None:
    """Exercise 03, Part C: do the chosen pair features beat (u, v) alone? The verdict and the number, from Part B.

    Args:
        answer: ``{"verdict": one of VERDICTS, "difference": chosen minus (u, v) test accuracy}``.
        experiment: the learner's Part B dict (already checked by :func:`check_feature_experiment`).
    """
    _check_chosen_verdict(answer, experiment, "accuracy")


# ---- 04: contrastive loss -------------------------------------------------------------------------


def _contrastive_reference(distances, labels, margin):
    distances, labels = np.asarray(distances, float), np.asarray(labels, float)
    return float(np.mean(0.5 * (labels * distances**2 + (1 - labels) * np.maximum(0.0, margin - distances) ** 2)))


def check_contrastive_loss(contrastive_loss) -> None:
    """Lesson 04: ``contrastive_loss(distances, labels, margin) -> float`` (mean over pairs, 1 = similar)."""
    rng = np.random.default_rng(2)
    distances, labels = rng.uniform(0, 1.2, 16), rng.integers(0, 2, 16)
    got = _call(contrastive_loss, "contrastive_loss", distances, labels, 0.5)
    expected = _contrastive_reference(distances, labels, 0.5)
    if got is None or not math.isclose(float(got), expected, rel_tol=1e-5):
        swapped = _contrastive_reference(distances, 1 - labels, 0.5)
        if got is not None and math.isclose(float(got), swapped, rel_tol=1e-5):
            _fail(
                "positives and negatives are swapped.",
                "label 1 (similar) should pull pairs together: its term is distance squared.",
            )
        far = np.full(4, 2.0)
        far_negatives = _call(contrastive_loss, "contrastive_loss", far, np.zeros(4), 0.5)
        if far_negatives is not None and float(far_negatives) > 1e-9:
            _fail(
                "negatives already farther apart than the margin still add loss.",
                "clip the negative term at zero: max(0, margin - d) squared.",
            )
        _fail(f"got {got} on a test batch.", "loss = mean of 0.5 * (y * d^2 + (1 - y) * max(0, margin - d)^2).")
    _passed("positives are pulled together, negatives pushed out to the margin and no further.")


def _average_precision(y_true, scores) -> float:
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(np.asarray(y_true), np.asarray(scores)))


def check_loss_experiment(experiment: dict, losses, y_dev, y_test, base_test_scores, seed: int, n_resamples: int) -> None:
    """Exercise 04, Part B: a pair loss chosen on dev average precision, measured on test against the base model.

    Args:
        experiment: the learner's dict: ``dev_scores`` ({loss: cosine similarity of each dev pair} for every loss),
            ``chosen`` (a loss name), ``test_scores`` ({"base": ..., "chosen": ...} cosines of the test pairs),
            ``average_precision`` (the same keys, on test) and ``difference_ci`` ((low, high): paired 95 % bootstrap
            interval of chosen minus base AP).
        losses: the exercise's candidate loss names.
        y_dev, y_test: the 0/1 paraphrase labels of the dev and test pairs.
        base_test_scores: the base model's cosines of the test pairs (computed by the notebook).
        seed, n_resamples: of the bootstrap (the notebook's ``SEED`` and ``BOOTSTRAP``).
    """
    spec = {
        "dev": "dev_scores",
        "test": "test_scores",
        "score": "average_precision",
        "metric": _average_precision,
        "option": "loss",
        "base_name": "base_test",
        "call": "paired_bootstrap(average_precision_score, y_test, base cosines, chosen cosines, n_resamples=BOOTSTRAP, seed=SEED)",
    }
    paired = _check_dev_choice(experiment, losses, y_dev, y_test, base_test_scores, seed, n_resamples, spec)
    _passed_choice(paired, str(paired["best"]), "AP", "(base)")


def check_loss_decision(answer: dict, experiment: dict) -> None:
    """Exercise 04, Part C: does the fine-tune with the chosen loss beat the base model? The verdict and the number.

    Args:
        answer: ``{"verdict": one of VERDICTS, "difference": chosen minus base test AP}``.
        experiment: the learner's Part B dict (already checked by :func:`check_loss_experiment`).
    """
    _check_chosen_verdict(answer, experiment, "average_precision")


# ---- 05: choosing a loss ------------------------------------------------------------------------

LOSS_CHOICES = {
    "pairs with a similarity score between 0 and 1": {"cosine_similarity", "cosent", "angle"},
    "pairs labelled 1 (paraphrase) or 0 (not)": {"contrastive", "online_contrastive"},
    "questions with their answers, nothing else": {"mnrl", "cached_mnrl", "mnsrl", "matryoshka_mnrl"},
    "single texts with a class label": {"batch_all_triplet", "batch_hard_triplet", "batch_semi_hard_triplet"},
}  # exercise 05: each description (the exercise's `descriptions`) and the losses that fit it

_LOSS_CHOICE_MISTAKES = {
    # (description, chosen loss) -> why it does not fit; the plausible mistakes lesson 05's exercise names.
    ("pairs with a similarity score between 0 and 1", "contrastive"): "a contrastive loss reads the label as 0 or 1 (similar or "
    "not); a graded score needs a loss that regresses or ranks it",
    ("pairs with a similarity score between 0 and 1", "online_contrastive"): "a contrastive loss reads the label as 0 or 1 "
    "(similar or not); a graded score needs a loss that regresses or ranks it",
    ("pairs with a similarity score between 0 and 1", "softmax"): "SoftmaxLoss predicts a class id per pair, not a score",
    ("pairs labelled 1 (paraphrase) or 0 (not)", "softmax"): "SoftmaxLoss trains a classifier on top of the pair and leaves the "
    "embedding distances untaught; lesson 04's losses shape the distances themselves",
    (
        "single texts with a class label",
        "triplet",
    ): "TripletLoss needs (anchor, positive, negative) rows built beforehand; single "
    "labelled texts fit the losses that mine the triplets from the labels inside each batch",
    ("single texts with a class label", "softmax"): "SoftmaxLoss classifies pairs of sentences, and this data has no pairs",
    ("questions with their answers, nothing else", "triplet"): "TripletLoss needs a negative column, and this data has none",
}


def _pair_loss_for_positives_only(description: str, answer: str) -> str | None:
    # Every loss with a label column, given only matching pairs, would see the label 1 on every row: nothing to push apart.
    spec = REGISTRY.get(answer)
    if (
        description == "questions with their answers, nothing else"
        and spec is not None
        and spec.texts == ("sentence1", "sentence2")
    ):
        return (
            f"{answer} needs a label on every pair {spec.describe()}, and this data holds only matching pairs: every label "
            "would be 1, so nothing is ever pushed apart. A loss that takes the other answers in the batch as negatives needs none"
        )
    return None


def check_loss_choice(choices: dict) -> None:
    """Lesson 05: map each data description (:data:`LOSS_CHOICES`) to a loss name of ``ftcourse.embedder.losses``."""
    _require_answer(choices, "choices")
    if not isinstance(choices, dict):
        _fail(
            f"choices is a {type(choices).__name__}.",
            "start from `choices = dict.fromkeys(descriptions)` and fill in each value.",
        )
    missing, extra = [d for d in LOSS_CHOICES if d not in choices], [d for d in choices if d not in LOSS_CHOICES]
    if missing or extra:
        _fail(
            f"choices should have the four descriptions as keys; missing {missing}, unexpected {extra}.",
            "use the strings of `descriptions` (the cell above the task) as the keys, unchanged.",
        )
    for description, ok in LOSS_CHOICES.items():
        if choices[description] is None or choices[description] is Ellipsis:
            _fail(f"no loss chosen yet for '{description}'.", "write a loss name (the `loss` column of the table) as its value.")
        answer = str(choices[description]).strip().lower()
        if answer not in REGISTRY:
            _fail(
                f"for '{description}' you wrote {answer!r}, which is not a loss of ftcourse.embedder.losses.",
                f"pick one of the names in the `loss` column of the table: {', '.join(REGISTRY)}.",
            )
        if answer not in ok:
            why = _LOSS_CHOICE_MISTAKES.get((description, answer)) or _pair_loss_for_positives_only(description, answer)
            _fail(
                f"for '{description}' you chose {answer!r}"
                + (f": {why}." if why else f", which expects {REGISTRY[answer].describe()}."),
                "compare the columns each loss expects (the `columns` column of the table above) with the columns this data has.",
            )
    _passed("each format goes to a loss that expects exactly its columns.")


def _spearman(y_true, scores) -> float:
    from scipy.stats import spearmanr

    return float(spearmanr(np.asarray(y_true), np.asarray(scores)).statistic)


def check_sts_loss_experiment(experiment: dict, losses, y_dev, y_test, base_test_scores, seed: int, n_resamples: int) -> None:
    """Exercise 05, Part B: a loss for graded pairs chosen on dev Spearman, measured on STS-B test against the base model.

    Args:
        experiment: the learner's dict: ``dev_scores`` ({loss: cosine of each dev pair} for every loss), ``chosen`` (a loss
            name), ``test_scores`` ({"base": ..., "chosen": ...} cosines of the test pairs), ``spearman`` (the same keys, on
            test) and ``difference_ci`` ((low, high): paired 95 % bootstrap interval of chosen minus base Spearman).
        losses: the exercise's candidate loss names (two or more, each a loss for a graded score: :data:`LOSS_CHOICES`).
        y_dev, y_test: the gold 0-1 similarity scores of the dev and test pairs.
        base_test_scores: the base model's cosines of the test pairs (computed by the notebook).
        seed, n_resamples: of the bootstrap (the notebook's ``SEED`` and ``BOOTSTRAP``).
    """
    losses = list(losses)
    graded = LOSS_CHOICES["pairs with a similarity score between 0 and 1"]
    if len(losses) < 2:
        _fail("there is only one loss to choose from.", "put two or more losses in LOSSES.")
    if set(losses) - graded:
        _fail(
            f"{sorted(set(losses) - graded)} do not take a graded similarity score (Part A).",
            f"compare losses that fit STS-B's (sentence1, sentence2, score) rows: {sorted(graded)}.",
        )
    spec = {
        "dev": "dev_scores",
        "test": "test_scores",
        "score": "spearman",
        "metric": _spearman,
        "option": "loss",
        "base_name": "base_test",
        "call": "paired_bootstrap(spearman, y_test, base_test, chosen cosines, n_resamples=BOOTSTRAP, seed=SEED)",
    }
    paired = _check_dev_choice(experiment, losses, y_dev, y_test, base_test_scores, seed, n_resamples, spec)
    _passed_choice(paired, str(paired["best"]), "Spearman", "(base)")


def check_sts_loss_decision(answer: dict, experiment: dict) -> None:
    """Exercise 05, Part C: does the fine-tune with the chosen loss beat the base model on STS-B? The verdict and the number.

    Args:
        answer: ``{"verdict": one of VERDICTS, "difference": chosen minus base test Spearman}``.
        experiment: the learner's Part B dict (already checked by :func:`check_sts_loss_experiment`).
    """
    _check_chosen_verdict(answer, experiment, "spearman")


# ---- 06: triplet loss ---------------------------------------------------------------------------


def check_triplet_loss(triplet_loss) -> None:
    """Lesson 06: ``triplet_loss(anchor, positive, negative, margin) -> float`` with Euclidean distance, mean over the batch."""
    rng = np.random.default_rng(3)
    a, p, n = (rng.normal(size=(8, 5)) for _ in range(3))

    def reference(a, p, n, margin):
        d_ap, d_an = np.linalg.norm(a - p, axis=1), np.linalg.norm(a - n, axis=1)
        return float(np.mean(np.maximum(d_ap - d_an + margin, 0.0)))

    got = _call(triplet_loss, "triplet_loss", a, p, n, 1.0)
    if got is None or not math.isclose(float(got), reference(a, p, n, 1.0), rel_tol=1e-5):
        if got is not None and math.isclose(float(got), reference(a, n, p, 1.0), rel_tol=1e-5):
            _fail(
                "positive and negative are swapped.",
                "the loss falls as the anchor gets closer to the positive: d(a, p) - d(a, n) + margin.",
            )
        if got is not None and math.isclose(
            float(got), float(np.mean(np.linalg.norm(a - p, axis=1) - np.linalg.norm(a - n, axis=1) + 1.0)), rel_tol=1e-5
        ):
            _fail("triplets that are already satisfied give negative loss.", "clip each triplet's loss at zero.")
        _fail(f"got {got} on a test batch.", "mean over the batch of max(d(a, p) - d(a, n) + margin, 0), d = Euclidean distance.")
    _passed("easy triplets cost nothing; hard ones cost by how much they miss the margin.")


def _accuracy(y_true, y_pred) -> float:
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def _check_dev_choice(experiment: dict, options, y_dev, y_test, base_test, seed: int, n_resamples: int, spec: dict) -> dict:
    """Shared by exercises 04-07, 11, 12 and 14: an option chosen on dev, its test outputs compared with a base's.

    ``experiment`` holds ``spec["dev"]`` ({option: dev outputs}), ``chosen``, ``spec["test"]`` ({"base", "chosen"}: test
    outputs), ``spec["score"]`` (the same keys: test scores) and ``difference_ci``. ``spec`` also names the ``metric``
    (``metric(y, outputs)``, higher is better), what an ``option`` is, the ``paired_bootstrap`` ``call`` to show, and
    ``base_name`` (the notebook variable with the base model's test outputs). Returns the paired bootstrap.
    """
    keys = (spec["dev"], "chosen", spec["test"], spec["score"], "difference_ci")
    _require_answer(experiment, "experiment")
    if not isinstance(experiment, dict) or set(keys) - set(experiment):
        missing = sorted(set(keys) - set(experiment)) if isinstance(experiment, dict) else "all"
        _fail(f"experiment lacks the keys {missing}.", f"build a dict with the keys {list(keys)}.")
    options, y_dev, y_test, metric = list(options), np.asarray(y_dev), np.asarray(y_test), spec["metric"]
    dev, test = experiment[spec["dev"]], experiment[spec["test"]]
    if not isinstance(dev, dict) or sorted(map(str, dev)) != sorted(map(str, options)):
        _fail(f"{spec['dev']} should hold one entry per {spec['option']} of {options}.", "loop over every candidate once.")
    if not isinstance(test, dict) or set(test) != {"base", "chosen"}:
        _fail(f"{spec['test']} should be {{'base': ..., 'chosen': ...}}.", "the test outputs of both models.")
    dev = {option: np.asarray(dev[option]) for option in options}
    if any(d.shape != y_dev.shape for d in dev.values()) or any(np.asarray(t).shape != y_test.shape for t in test.values()):
        _fail("some outputs do not have one value per row of their split.", "score every dev (test) row once.")
    on_dev = {option: float(metric(y_dev, dev[option])) for option in options}
    best = max(options, key=on_dev.get)  # the first of equal values
    if experiment["chosen"] != best:
        _fail(
            f"chosen is {experiment['chosen']!r}, but the dev score is highest for {best!r} "
            f"({', '.join(f'{o}: {v:.3f}' for o, v in on_dev.items())}).",
            f"choose the {spec['option']} on the dev rows only (the first on a tie); the test rows measure, once.",
        )
    if not np.allclose(np.asarray(test["base"], dtype=float), np.asarray(base_test, dtype=float)):
        _fail(
            f"{spec['test']}['base'] are not {spec.get('base_label', 'the base model')}'s test outputs.",
            f"use `{spec['base_name']}`, computed above.",
        )
    expected = {name: float(metric(y_test, test[name])) for name in ("base", "chosen")}
    reported = experiment[spec["score"]]
    if not isinstance(reported, dict) or set(reported) != set(expected):
        _fail(f"{spec['score']} should be {{'base': ..., 'chosen': ...}}.", "the test score of both models.")
    for name, value in expected.items():
        if not _close(reported[name], value):
            if name == "chosen" and _close(reported[name], on_dev[best]):
                _fail(f"{spec['score']}['chosen'] is the dev score, which made the choice.", "score the test outputs.")
            _fail(f"{spec['score']}[{name!r}] is {reported[name]}, but your outputs give {value:.4f}.", "score y_test.")
    paired = _check_paired_interval(
        experiment["difference_ci"],
        y_test,
        np.asarray(test["base"]),
        np.asarray(test["chosen"]),
        seed,
        n_resamples,
        names=(spec.get("base_label", "base model"), str(best)),
        call=spec["call"],
        metric=metric,
    )
    print(f"dev scores: {', '.join(f'{o}: {v:.3f}' for o, v in on_dev.items())}")
    return {**paired, "best": best}


def _passed_choice(paired: dict, chosen: str, metric: str, base: str, treatment: str = "") -> None:
    """The success line of a dev-choice experiment: what was chosen, both test scores, the difference and its interval."""
    _passed(
        f"{chosen} chosen on dev only; test {metric} {paired['metric_a']:.3f} {base} and {paired['metric_b']:.3f}{treatment}, "
        f"difference {paired['delta']:+.3f}, 95 % paired interval [{paired['low']:+.3f}, {paired['high']:+.3f}]."
    )


def check_margin_experiment(experiment: dict, margins, y_dev, y_test, base_test_predictions, seed: int, n_resamples: int):
    """Exercise 06, Part B: a triplet margin chosen on dev kNN accuracy, measured on test against the base model.

    Args:
        experiment: the learner's dict with the keys ``dev_predictions``
            ({margin: kNN predictions of the dev tweets} for every margin), ``chosen`` (a margin), ``test_predictions``
            ({"base": ..., "chosen": ...} kNN predictions of the test tweets), ``knn_accuracy`` (the same keys, on test)
            and ``difference_ci`` ((low, high): paired 95 % bootstrap interval of chosen minus base accuracy).
        margins: the exercise's candidate margins.
        y_dev, y_test: labels of the dev and test tweets.
        base_test_predictions: the base model's kNN predictions of the test tweets (computed by the notebook).
        seed, n_resamples: of the bootstrap (the notebook's ``SEED`` and ``BOOTSTRAP``).
    """
    spec = {
        "dev": "dev_predictions",
        "test": "test_predictions",
        "score": "knn_accuracy",
        "metric": _accuracy,
        "option": "margin",
        "base_name": "base_test",
        "call": "paired_bootstrap(accuracy, y_test, base predictions, chosen predictions, n_resamples=BOOTSTRAP, seed=SEED)",
    }
    paired = _check_dev_choice(experiment, margins, y_dev, y_test, base_test_predictions, seed, n_resamples, spec)
    _passed_choice(paired, f"margin {paired['best']}", "kNN accuracy", "(base)")


def check_margin_decision(answer: dict, experiment: dict) -> None:
    """Exercise 06, Part C: does the fine-tune at the chosen margin beat the base model? The verdict and the number.

    Args:
        answer: ``{"verdict": one of VERDICTS, "difference": chosen minus base test kNN accuracy}``.
        experiment: the learner's Part B dict (already checked by :func:`check_margin_experiment`).
    """
    _check_chosen_verdict(answer, experiment, "knn_accuracy")


# ---- 07: in-batch negatives -----------------------------------------------------------------------


def check_in_batch_loss(in_batch_loss) -> None:
    """Lesson 07: ``in_batch_loss(query_emb, doc_emb, scale) -> float``: MNRL on a batch where doc i answers query i."""
    import torch

    torch.manual_seed(0)
    q, d = torch.nn.functional.normalize(torch.randn(6, 4), dim=1), torch.nn.functional.normalize(torch.randn(6, 4), dim=1)
    expected = torch.nn.functional.cross_entropy(20.0 * q @ d.T, torch.arange(6)).item()
    got = _call(in_batch_loss, "in_batch_loss", q, d, 20.0)
    got = float(got.item() if hasattr(got, "item") else got) if got is not None else None
    if got is None or not math.isclose(got, expected, rel_tol=1e-4):
        unscaled = torch.nn.functional.cross_entropy(q @ d.T, torch.arange(6)).item()
        if got is not None and math.isclose(got, unscaled, rel_tol=1e-4):
            _fail(
                "the similarities are not scaled.",
                "multiply the cosine similarities by `scale` before the softmax: cosines in [-1, 1] give too flat a distribution.",
            )
        _fail(
            f"got {got} on a test batch.",
            "scores = scale * (queries @ docs.T); the right document of query i is column i: cross-entropy with targets arange(n).",
        )
    _passed("every other answer in the batch served as a negative for each question.")


def check_batch_size_experiment(
    experiment: dict, batch_sizes, relevant_dev, relevant_test, base_test_scores, seed: int, n_resamples: int
) -> None:
    """Exercise 07, Part B: an MNRL batch size chosen on dev questions' nDCG@10, measured on test against the base model.

    Args:
        experiment: the learner's dict with the keys :data:`RANKING_EXPERIMENT_KEYS`: ``dev_scores`` ({batch size: dev
            question x answer cosines} for every size), ``chosen`` (a size), ``test_scores`` ({"base": ..., "chosen": ...}
            test question x answer cosines), ``ndcg`` (the same keys: test mean nDCG@10) and ``difference_ci`` ((low,
            high): paired 95 % bootstrap interval over test questions, fine-tuned minus base per-question nDCG@10).
        batch_sizes: the exercise's candidate batch sizes (two or more).
        relevant_dev, relevant_test: one set of relevant answer columns per dev (test) question.
        base_test_scores: the base model's test cosine matrix (computed by the notebook).
        seed, n_resamples: of the bootstrap (the notebook's ``SEED`` and ``BOOTSTRAP``).
    """
    spec = {
        "option": "batch size",
        "options_name": "BATCH_SIZES",
        "base_name": "base_test",
        "call": "paired_bootstrap(metric_of_mean, np.zeros(n), base per-question nDCG@10, fine-tuned per-question nDCG@10, "
        "n_resamples=BOOTSTRAP, seed=SEED)",
    }
    relevant = (relevant_dev, relevant_test)
    paired = _check_ranking_choice(experiment, batch_sizes, relevant, base_test_scores, seed, n_resamples, spec)
    _passed(
        f"batch size {paired['best']} chosen on dev questions only; test nDCG@10 {paired['metric_a']:.3f} (base) and "
        f"{paired['metric_b']:.3f}, difference {paired['delta']:+.3f}, 95 % paired interval "
        f"[{paired['low']:+.3f}, {paired['high']:+.3f}]."
    )


def check_batch_size_decision(answer: dict, experiment: dict) -> None:
    """Exercise 07, Part C: does the MNRL fine-tune at the chosen batch size beat the base model? The verdict and the number.

    Args:
        answer: ``{"verdict": one of VERDICTS, "difference": fine-tuned minus base test nDCG@10}``.
        experiment: the learner's Part B dict (already checked by :func:`check_batch_size_experiment`).
    """
    _check_chosen_verdict(answer, experiment, "ndcg")


# ---- 08: nDCG@k ---------------------------------------------------------------------------------


def check_ndcg(ndcg_at_k) -> None:
    """Lesson 08: ``ndcg_at_k(scores, relevant, k) -> float``: mean nDCG@k over queries, binary relevance."""
    from sklearn.metrics import ndcg_score

    rng = np.random.default_rng(4)
    scores = rng.random((5, 12))
    relevant = [set(rng.choice(12, size=int(rng.integers(1, 4)), replace=False).tolist()) for _ in range(5)]
    truth = np.zeros_like(scores)
    for i, docs in enumerate(relevant):
        truth[i, list(docs)] = 1
    expected = float(ndcg_score(truth, scores, k=10))
    got = _call(ndcg_at_k, "ndcg_at_k", scores, relevant, 10)
    if got is None or not math.isclose(float(got), expected, rel_tol=1e-6):
        if got is not None and float(got) > 1.0 + 1e-9:
            _fail(f"got {got}, above 1.", "divide each query's DCG by its ideal DCG (all relevant documents ranked first).")
        _fail(
            f"got {got} on a test case.",
            "DCG@k = sum over the top-k ranks r (1-based) of rel / log2(r + 1); nDCG = DCG / ideal DCG; average over queries.",
        )
    _passed("nDCG@10 agrees with scikit-learn's ndcg_score.")


def check_relevant_answers(relevant_answers) -> None:
    """Lesson 08: ``relevant_answers(answers) -> list of sets``: for row i, every row whose answer text equals row i's.

    Lesson 08 counts relevance this way: the FAQ repeats some answers word for word, and a search that
    ranks the other copy first has found the right answer.
    """
    answers = ["wash your hands", "stay home", "wash your hands", "wear a mask", "stay home", "stay home"]
    expected = [{0, 2}, {1, 4, 5}, {0, 2}, {3}, {1, 4, 5}, {1, 4, 5}]
    got = _call(relevant_answers, "relevant_answers", list(answers))
    try:
        got = [set(int(i) for i in rel) for rel in got]
    except TypeError:
        _fail(
            f"relevant_answers returned {type(got).__name__} items that are not sets of row numbers.", "return one set per row."
        )
    if len(got) != len(answers):
        _fail(f"for {len(answers)} answers you returned {len(got)} sets.", "return one set of row numbers per row, in row order.")
    if got == [{i} for i in range(len(answers))]:
        _fail(
            "each row counts only itself as relevant, but rows 0 and 2 hold the same answer (and rows 1, 4 and 5).",
            "lesson 08 counts every copy of the answer: the rows whose answer text equals row i's, row i included.",
        )
    codes = {text: code for code, text in enumerate(dict.fromkeys(answers))}
    if got == [{codes[text]} for text in answers]:
        _fail("the sets hold ids of distinct answers, not row numbers.", "the documents searched are the rows: give row numbers.")
    if any(i not in rel for i, rel in enumerate(got)):
        _fail("some row's own answer is missing from its set.", "row i's own answer is relevant to question i: include i.")
    if got != expected:
        _fail(f"got {got}.", "relevant[i] = {j : answers[j] == answers[i]}, comparing the texts exactly.")
    _passed("every copy of a repeated answer counts as relevant, as in lesson 08.")


LENGTH_EXPERIMENT_KEYS = ("scores", "ndcg", "separate_ci", "difference_ci")


def _mean_of_values(_unused, values) -> float:
    return float(np.mean(values))


def _per_question_ndcg(scores, relevant) -> np.ndarray:
    return retrieval_metrics(scores, relevant, ks=(10,), per_query=True)["ndcg@10"].to_numpy()


def _check_length_scores(scores, short_scores, relevant) -> dict:
    """Fail unless ``scores`` holds both settings' question x answer scores over the whole FAQ; return per-question nDCG."""
    if not isinstance(scores, dict) or set(scores) != {"short", "long"}:
        _fail("scores should be {'short': ..., 'long': ...}.", "the question x answer cosine matrices of both settings.")
    scores = {name: np.asarray(value, dtype=float) for name, value in scores.items()}
    n = len(relevant)
    for name, value in scores.items():
        if value.shape != (n, n):
            _fail(
                f"scores[{name!r}] has shape {value.shape}, not ({n}, {n}): every FAQ question against every answer.",
                "neither model is trained on these questions, so all of them are test questions: encode them all.",
            )
    if not np.allclose(scores["short"], short_scores, atol=1e-4):
        _fail("scores['short'] are not the base model's scores at the short length.", "use `all_scores`, computed above.")
    if np.allclose(scores["long"], short_scores, atol=1e-4):
        _fail(
            "scores['long'] equal the short ones.",
            "set model.max_seq_length = LONG, then encode the questions and the answers again.",
        )
    return {name: _per_question_ndcg(value, relevant) for name, value in scores.items()}


def check_length_experiment(experiment: dict, answers, short_scores, seed: int, n_resamples: int) -> None:
    """Exercise 08, Part B: nDCG@10 with answers cut short vs long, two separate intervals vs one paired interval.

    Args:
        experiment: the learner's dict with the keys :data:`LENGTH_EXPERIMENT_KEYS`: ``scores`` ({"short", "long"}:
            question x answer cosine matrices over the whole FAQ), ``ndcg`` (the same keys: mean nDCG@10),
            ``separate_ci`` (the same keys: each mean's own 95 % bootstrap interval) and ``difference_ci``
            ((low, high): the paired 95 % bootstrap interval of long minus short).
        answers: the FAQ's answer texts, one per row (every copy of an answer counts as relevant, as in lesson 08).
        short_scores: the notebook's score matrix at the short length.
        seed, n_resamples: the notebook's ``SEED`` and ``BOOTSTRAP``.
    """
    _require_answer(experiment, "experiment")
    if not isinstance(experiment, dict) or set(LENGTH_EXPERIMENT_KEYS) - set(experiment):
        missing = sorted(set(LENGTH_EXPERIMENT_KEYS) - set(experiment)) if isinstance(experiment, dict) else "all"
        _fail(f"experiment lacks the keys {missing}.", f"build a dict with the keys {list(LENGTH_EXPERIMENT_KEYS)}.")
    rows_of: dict = {}
    for row, text in enumerate(answers):
        rows_of.setdefault(text, set()).add(row)
    relevant = [rows_of[text] for text in answers]
    per_question = _check_length_scores(experiment["scores"], short_scores, relevant)
    ndcg, separate = experiment["ndcg"], experiment["separate_ci"]
    for key, value in (("ndcg", ndcg), ("separate_ci", separate)):
        if not isinstance(value, dict) or set(value) != {"short", "long"}:
            _fail(f"{key} should be {{'short': ..., 'long': ...}}.", "one entry per setting.")
    for name, values in per_question.items():
        if not _close(ndcg[name], values.mean()):
            own = _per_question_ndcg(experiment["scores"][name], [{i} for i in range(len(relevant))]).mean()
            if _close(ndcg[name], own):
                _fail(f"ndcg[{name!r}] counts one relevant answer per question.", "count every copy: relevant_answers (Part A).")
            _fail(
                f"ndcg[{name!r}] is {ndcg[name]}, but your scores give {values.mean():.4f}.", "the mean of per-question nDCG@10."
            )
        _, low, high = bootstrap_ci(np.mean, values, n_resamples=n_resamples, seed=seed)
        if not _same_interval(separate[name], low, high):
            _fail(
                f"separate_ci[{name!r}] is {separate[name]}; the bootstrap of your per-question values gives [{low:.4f}, {high:.4f}].",
                "bootstrap_ci(np.mean, per-question nDCG@10 of that setting, n_resamples=BOOTSTRAP, seed=SEED)[1:].",
            )
    paired = _check_paired_interval(
        experiment["difference_ci"],
        np.zeros(len(relevant)),
        per_question["short"],
        per_question["long"],
        seed,
        n_resamples,
        names=("short", "long"),
        call="paired_bootstrap(metric_of_mean, np.zeros(n), short per-question nDCG, long per-question nDCG, "
        "n_resamples=BOOTSTRAP, seed=SEED)",
        metric=_mean_of_values,
    )
    _passed(
        f"nDCG@10 over {len(relevant)} questions {paired['metric_a']:.3f} (short) and {paired['metric_b']:.3f} (long); separate "
        f"intervals [{separate['short'][0]:.3f}, {separate['short'][1]:.3f}] and [{separate['long'][0]:.3f}, "
        f"{separate['long'][1]:.3f}]; difference {paired['delta']:+.3f}, paired [{paired['low']:+.3f}, {paired['high']:+.3f}]."
    )


def check_length_decision(answer: dict, experiment: dict) -> None:
    """Exercise 08, Part C: is the longer cut's gain real? The paired verdict, the number, and what the separate intervals show.

    Args:
        answer: ``{"verdict": one of VERDICTS (from the paired interval), "difference": long minus short nDCG@10,
            "separate_intervals_overlap": True or False}``.
        experiment: the learner's Part B dict (already checked by :func:`check_length_experiment`).
    """
    _require_answer(answer, "answer")
    if not isinstance(answer, dict) or {"verdict", "difference", "separate_intervals_overlap"} - set(answer):
        _fail(
            "answer should be a dict with the keys 'verdict', 'difference' and 'separate_intervals_overlap'.",
            "fill in the three values of the cell's dict.",
        )
    (short_low, short_high), (long_low, long_high) = (_interval(experiment["separate_ci"][k]) for k in ("short", "long"))
    overlap = short_low <= long_high and long_low <= short_high
    if not isinstance(answer["separate_intervals_overlap"], bool | np.bool_):
        _fail("separate_intervals_overlap should be True or False.", "compare the two intervals of separate_ci.")
    if bool(answer["separate_intervals_overlap"]) != overlap:
        _fail(
            f"the separate intervals [{short_low:.3f}, {short_high:.3f}] and [{long_low:.3f}, {long_high:.3f}] "
            f"{'do' if overlap else 'do not'} overlap.",
            "two intervals overlap when each one's low end lies below the other's high end.",
        )
    low, high = _interval(experiment["difference_ci"])
    if str(answer["verdict"]).strip().lower() == "no clear difference" and overlap and low > 0:
        _fail(
            "the separate intervals overlap, but the paired interval lies above 0: the gain is demonstrated.",
            "read the verdict off the paired interval: both settings answer the same questions, and the paired "
            "bootstrap keeps what the two share (easy and hard questions) out of the difference.",
        )
    ndcg = experiment["ndcg"]
    _check_verdict(answer, float(ndcg["long"]) - float(ndcg["short"]), ndcg["long"], (low, high), ("short", "long"))


# ---- 09: class weights ----------------------------------------------------------------------------


def check_class_weights(class_weights) -> None:
    """Lesson 09: ``class_weights(labels, n_classes) -> array``: inverse frequency, normalised to mean 1."""
    labels = np.array([0] * 6 + [1] * 80 + [2] * 14)
    got = np.asarray(_call(class_weights, "class_weights", labels, 3), dtype=float)
    counts = np.bincount(labels, minlength=3)
    expected = (1 / counts) / (1 / counts).mean()
    if got.shape != (3,):
        _fail(
            f"returned shape {got.shape}, expected one weight per class (3,).",
            "np.bincount(labels, minlength=n_classes) counts each class.",
        )
    if got[0] < got[1]:
        _fail("the rare class gets a smaller weight than the common one.", "invert the frequency: weight = 1 / count.")
    if not np.allclose(got, expected, rtol=1e-6):
        if np.allclose(got / got.mean(), expected, rtol=1e-6):
            _fail(
                f"the weights have mean {got.mean():.3g}.",
                "normalise them to mean 1 so the loss keeps its usual scale and learning rate.",
            )
        _fail(f"got {np.round(got, 3).tolist()}.", "weight_c = (1 / count_c), then divide by the mean of those weights.")
    _passed("the rare class weighs most, and the weights average to 1.")


WEIGHTINGS = ("none", "sqrt_inverse", "inverse")  # exercise 09's candidates, simplest first (ties go to the simpler)
WEIGHTING_EXPERIMENT_KEYS = ("weights", "val_predictions", "test_predictions", "chosen", "hate_f1", "difference_ci")


def _inverse_weights(labels, n_classes: int, power: float = 1.0) -> np.ndarray:
    counts = np.bincount(np.asarray(labels, dtype=int), minlength=n_classes).astype(float)
    weights = (1.0 / counts) ** power
    return weights / weights.mean()


def _hate_f1(y_true, y_pred, hate: int) -> float:
    return label_macro_f1(np.asarray(y_true) == hate, np.asarray(y_pred) == hate)


def _check_weights(weights, train_labels, n_classes: int) -> None:
    expected = {
        "none": np.ones(n_classes),
        "sqrt_inverse": _inverse_weights(train_labels, n_classes, 0.5),
        "inverse": _inverse_weights(train_labels, n_classes),
    }
    for option, wanted in expected.items():
        got = np.asarray(weights[option], dtype=float)
        if got.shape != wanted.shape or not np.allclose(got, wanted, rtol=1e-6):
            if got.shape == wanted.shape and option != "none" and np.allclose(got / got.mean(), wanted, rtol=1e-6):
                _fail(f"weights[{option!r}] do not average to 1.", "divide by their mean, as in Part A.")
            _fail(
                f"weights[{option!r}] is {np.round(got, 3).tolist()}, not the {option} weighting of the training tweets.",
                "none: all 1; inverse: your class_weights(train labels, 3); sqrt_inverse: the square root of 1 / count, "
                "divided by its mean. Count the training tweets only.",
            )


def _check_weighting_choice(chosen, val_predictions: dict, test_predictions: dict, y_val, y_test, hate: int) -> None:
    from sklearn.metrics import f1_score

    on_val = {option: _hate_f1(y_val, val_predictions[option], hate) for option in WEIGHTINGS}
    best = max(WEIGHTINGS, key=lambda option: (on_val[option], -WEIGHTINGS.index(option)))
    if chosen == best:
        return
    on_test = {option: _hate_f1(y_test, test_predictions[option], hate) for option in WEIGHTINGS}
    if chosen == max(WEIGHTINGS, key=on_test.get):
        _fail(f"'{chosen}' is the best on the test tweets; on validation '{best}' is.", "choose on val_predictions only.")
    macro = {option: f1_score(y_val, val_predictions[option], average="macro", zero_division=0) for option in WEIGHTINGS}
    if chosen == max(WEIGHTINGS, key=macro.get):
        _fail(f"'{chosen}' has the best validation macro-F1; the task's criterion is hate F1.", f"choose '{best}'.")
    _fail(
        f"chosen is {chosen!r}, but validation hate F1 is highest for '{best}' "
        f"({', '.join(f'{o} {v:.3f}' for o, v in on_val.items())}).",
        "pick the option with the highest validation hate F1 (the simpler one on a tie).",
    )


def check_weighting_experiment(experiment: dict, train_labels, y_val, y_test, hate: int, seed: int, n_resamples: int) -> None:
    """Exercise 09, Part B: a class weighting chosen on validation hate F1, measured on test against no weighting.

    Args:
        experiment: the learner's dict with the keys :data:`WEIGHTING_EXPERIMENT_KEYS`: ``weights`` and
            ``val_predictions`` / ``test_predictions`` ({option: ...} for each of :data:`WEIGHTINGS`), ``chosen``
            (an option), ``hate_f1`` ({"none": ..., "chosen": ...} on test) and ``difference_ci`` ((low, high):
            paired 95 % bootstrap interval of the chosen option's test hate F1 minus no weighting's).
        train_labels, y_val, y_test: class ids of the training, validation and test tweets.
        hate: the hate class's id.
        seed, n_resamples: of the bootstrap (the notebook's ``SEED`` and ``BOOTSTRAP``).
    """
    from sklearn.metrics import f1_score

    _require_answer(experiment, "experiment")
    if not isinstance(experiment, dict) or set(WEIGHTING_EXPERIMENT_KEYS) - set(experiment):
        missing = sorted(set(WEIGHTING_EXPERIMENT_KEYS) - set(experiment)) if isinstance(experiment, dict) else "all"
        _fail(f"experiment lacks the keys {missing}.", f"build a dict with the keys {list(WEIGHTING_EXPERIMENT_KEYS)}.")
    y_val, y_test = np.asarray(y_val), np.asarray(y_test)
    for key, rows in (("weights", None), ("val_predictions", len(y_val)), ("test_predictions", len(y_test))):
        value = experiment[key]
        if not isinstance(value, dict) or set(value) != set(WEIGHTINGS):
            _fail(f"experiment[{key!r}] should hold one entry per option {list(WEIGHTINGS)}.", "loop over WEIGHTINGS.")
        if rows is not None and any(np.asarray(value[o]).shape != (rows,) for o in WEIGHTINGS):
            _fail(f"experiment[{key!r}] should hold {rows} class ids per option.", "predict every tweet of that split.")
    _check_weights(experiment["weights"], train_labels, len(experiment["weights"]["none"]))
    chosen = experiment["chosen"]
    if chosen not in WEIGHTINGS:
        _fail(f"chosen is {chosen!r}.", f"one of {list(WEIGHTINGS)}.")
    _check_weighting_choice(chosen, experiment["val_predictions"], experiment["test_predictions"], y_val, y_test, hate)
    none_pred, chosen_pred = (np.asarray(experiment["test_predictions"][o]) for o in ("none", chosen))
    expected = {"none": _hate_f1(y_test, none_pred, hate), "chosen": _hate_f1(y_test, chosen_pred, hate)}
    reported = experiment["hate_f1"]
    if not isinstance(reported, dict) or set(reported) != set(expected):
        _fail("hate_f1 should be {'none': ..., 'chosen': ...}.", "the test hate F1 of no weighting and of your choice.")
    for key, value in expected.items():
        if _close(reported[key], value):
            continue
        pred = none_pred if key == "none" else chosen_pred
        if _close(reported[key], f1_score(y_test, pred, average="macro", zero_division=0)):
            _fail(f"hate_f1[{key!r}] is the macro-F1 over the three classes.", "score the hate class only.")
        _fail(
            f"hate_f1[{key!r}] is {reported[key]}, but your test predictions give {value:.4f}.", "hate_f1(y_test, predictions)."
        )
    paired = _check_paired_interval(
        experiment["difference_ci"],
        y_test == hate,
        none_pred == hate,
        chosen_pred == hate,
        seed,
        n_resamples,
        names=("no weighting", chosen),
        call="paired_bootstrap(hate_f1, y_test, predictions of none, predictions of your choice, n_resamples=BOOTSTRAP, seed=SEED)",
    )
    _passed(
        f"'{chosen}' chosen on validation only; test hate F1 {expected['none']:.3f} without weights and {expected['chosen']:.3f} "
        f"with, difference {expected['chosen'] - expected['none']:+.3f}, 95 % paired interval [{paired['low']:+.3f}, {paired['high']:+.3f}]."
    )


def _check_ship_decision(answer, chosen: str, current: str, delta: float, interval, value_b) -> str:
    """Fail unless ``answer`` ships ``chosen`` exactly when the whole interval lies above 0 (``current`` otherwise)."""
    _require_answer(answer, "answer")
    if not isinstance(answer, dict) or {"ship", "difference"} - set(answer):
        _fail("answer should be a dict with the keys 'ship' and 'difference'.", "fill in both values of the cell's dict.")
    _check_difference(answer["difference"], delta, value_b, (current, chosen))
    low, high = _interval(interval)
    expected = chosen if low > 0 else current
    if answer["ship"] != expected:
        if answer["ship"] == chosen:
            _fail(
                f"'{chosen}' beats '{current}' by {delta:+.3f}, but the interval [{low:+.3f}, {high:+.3f}] holds 0.",
                f"ship a change only when the whole interval lies above 0; otherwise keep '{current}'.",
            )
        _fail(
            f"'{answer['ship']}' does not follow from Part B: '{chosen}' won on validation and its test "
            f"interval is [{low:+.3f}, {high:+.3f}].",
            f"ship '{chosen}' when the whole interval lies above 0, otherwise '{current}'.",
        )
    _passed(f"ship '{expected}': a test hate-F1 difference of {delta:+.3f}, interval [{low:+.3f}, {high:+.3f}].")
    return expected


def check_weighting_decision(answer: dict, experiment: dict) -> None:
    """Exercise 09, Part C: ship the chosen weighting only if its gain over no weighting is demonstrated.

    Args:
        answer: ``{"ship": an option of WEIGHTINGS, "difference": chosen minus none test hate F1}``.
        experiment: the learner's Part B dict (already checked by :func:`check_weighting_experiment`).
    """
    delta = float(experiment["hate_f1"]["chosen"]) - float(experiment["hate_f1"]["none"])
    _check_ship_decision(
        answer, experiment["chosen"], "none", delta, experiment["difference_ci"], experiment["hate_f1"]["chosen"]
    )


# ---- 10: per-label thresholds -----------------------------------------------------------------------


def check_thresholds(tune_thresholds) -> None:
    """Lesson 10: ``tune_thresholds(y_true, y_prob, label_names, min_positives=5) -> {label: threshold}``.

    Each label with at least ``min_positives`` positives gets the threshold of the grid 0.01 ... 0.99 that
    maximises its F1 on the given (validation) rows; a label with fewer keeps 0.5, as in lesson 10.
    """
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(5)
    y_true = (rng.random((400, 3)) < [0.3, 0.05, 0.0]).astype(int)
    y_true[[7, 11], 2] = 1  # a label with two positives: too few to tune on
    y_prob = np.clip(y_true * rng.uniform(0.05, 0.45, (400, 3)) + rng.uniform(0, 0.3, (400, 3)), 0, 1)
    y_prob[:, 1] *= 0.4  # the rare label's probabilities run low, as with real rare labels: one threshold cannot suit both
    names = ["toxic", "insult", "threat"]
    got = _call(tune_thresholds, "tune_thresholds", y_true, y_prob, names)
    if not isinstance(got, dict) or set(got) != set(names):
        _fail(
            f"returned {type(got).__name__} with keys {sorted(got) if isinstance(got, dict) else '-'}.",
            "return a dict with one threshold per label name.",
        )
    grid = np.linspace(0.01, 0.99, 99)
    for j, name in enumerate(names[:2]):
        best = max(f1_score(y_true[:, j], y_prob[:, j] >= t, zero_division=0) for t in grid)
        mine = f1_score(y_true[:, j], y_prob[:, j] >= float(got[name]), zero_division=0)
        if math.isclose(float(got[name]), 0.5) and mine < best - 0.02:
            _fail(
                f"{name}: the threshold is still 0.5 (F1 {mine:.2f}; {best:.2f} is reachable).",
                "try many thresholds per label and keep the one with the best F1.",
            )
        if mine < best - 0.02:
            _fail(
                f"{name}: your threshold gives F1 {mine:.2f}, while {best:.2f} is reachable.",
                "search each label on its own column: a threshold per label, not one for all.",
            )
    if not math.isclose(float(got["threat"]), 0.5):
        _fail(
            f"threat has 2 positives in these rows, and you tuned its threshold to {float(got['threat']):.2f}.",
            "a label with fewer than min_positives positives keeps 0.5: a threshold fitted to two examples is noise.",
        )
    _passed("each label has its own threshold, close to the best F1, and a label with too few positives keeps 0.5.")


def _validation_tuned_problem(thresholds, validation: tuple, test: tuple, names: list) -> None:
    """Fail unless ``thresholds`` are lesson 10's, tuned on ``validation`` (rounded to the grid's 0.01)."""
    _require_answer(thresholds, "thresholds")
    if not isinstance(thresholds, dict) or set(thresholds) != set(names):
        _fail("thresholds should have one entry per label.", f"tune on the validation split: keys {names}.")
    mine = {name: round(float(thresholds[name]), 2) for name in names}
    lesson = {name: round(value, 2) for name, value in tune_label_thresholds(*validation, names).items()}
    if mine == lesson:
        return
    if mine == {name: round(value, 2) for name, value in tune_label_thresholds(*test, names).items()}:
        _fail("these thresholds were tuned on the test split.", "tune on (y_val, p_val); the test split only measures.")
    if all(value == 0.5 for value in mine.values()):
        _fail("every threshold is 0.5.", "call your tune_thresholds on the validation labels and probabilities.")
    differ = [name for name in names if mine[name] != lesson[name]]
    _fail(
        f"thresholds differ from lesson 10's for {differ} (yours {[mine[n] for n in differ]}, lesson {[lesson[n] for n in differ]}).",
        "tune every label on its own validation column, the grid 0.01 ... 0.99, lowest threshold on ties, and 0.5 for a "
        "label with fewer than 5 validation positives.",
    )


def check_validation_thresholds(thresholds: dict, validation: tuple, test: tuple, label_names) -> None:
    """Lesson 10: thresholds tuned on the validation split's real probabilities, as lesson 10 tunes them.

    Args:
        thresholds: the learner's ``{label: threshold}``.
        validation, test: ``(y_true, y_prob)`` of each split (0/1 matrix, probability matrix, one column per label).
        label_names: one name per column.
    """
    _validation_tuned_problem(thresholds, validation, test, list(label_names))
    _passed("your thresholds equal lesson 10's, tuned on the same validation probabilities.")


THRESHOLD_EXPERIMENT_KEYS = ("thresholds", "test_predictions", "macro_f1_at_0_5", "macro_f1_tuned", "difference_ci")


def _close(value, expected: float, tol: float = 1e-6) -> bool:
    try:
        return math.isclose(float(value), float(expected), abs_tol=tol)
    except (TypeError, ValueError):
        return False


def _interval(value) -> tuple[float, float] | None:
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        return None
    return low, high


def _same_interval(value, low: float, high: float, tol: float = 1e-6) -> bool:
    interval = _interval(value)
    return interval is not None and _close(interval[0], low, tol) and _close(interval[1], high, tol)


def _check_difference(difference, delta: float, value_b, names) -> None:
    """Fail unless ``difference`` is ``delta`` (B minus A) to 3 decimals; name the sign error and B's own score."""
    a, b = names
    if _close(difference, delta, 5e-4):
        return
    if _close(difference, -delta, 5e-4):
        _fail(f"difference has the wrong sign: it is {a} minus {b}.", f"report {b} minus {a}, as the interval does.")
    if _close(difference, value_b, 5e-4):
        _fail(f"difference is the score of {b} itself, not the change.", f"subtract the score of {a}.")
    _fail(f"difference is {difference}, but Part B gives {delta:+.4f}.", f"take {b} minus {a} from your experiment.")


def _check_paired_interval(
    interval, y_true, flags_a, flags_b, seed: int, n_resamples: int, names=("0.5", "tuned"), call="", metric=None
) -> dict:
    """Fail unless ``interval`` is the paired bootstrap interval of label macro-F1, B minus A; return the bootstrap.

    ``names``: what A and B are, for the messages; ``call``: the paired_bootstrap call the exercise asks for;
    ``metric``: ``metric(y_true, predictions)``, default :func:`ftcourse.evaluation.label_macro_f1`.
    """
    a, b = names
    metric = metric or label_macro_f1
    paired = paired_bootstrap(metric, y_true, flags_a, flags_b, n_resamples=n_resamples, seed=seed)
    if _same_interval(interval, paired["low"], paired["high"]):
        return paired
    _, low, high = bootstrap_ci(metric, y_true, flags_b, n_resamples=n_resamples, seed=seed)
    if _same_interval(interval, low, high):
        _fail(
            f"difference_ci is the interval of the {b} score alone, not of the difference.",
            f"{call}: the low and high of {b} minus {a}, both scored on the same resampled rows.",
        )
    if _same_interval(interval, -paired["high"], -paired["low"]):
        _fail(f"difference_ci is {a} minus {b}.", f"pass the predictions of {a} first and of {b} second: {b} minus {a}.")
    if _interval(interval) is not None and _close(_interval(interval)[0], paired["low"], 0.05):
        _fail(
            "difference_ci is close to the paired interval, but not equal: another seed or number of resamples.",
            f"pass n_resamples=BOOTSTRAP and seed=SEED ({n_resamples}, {seed}).",
        )
    _fail(
        f"difference_ci is {interval}; from your predictions the paired interval is [{paired['low']:.4f}, {paired['high']:.4f}].",
        f"{call}.",
    )


def check_threshold_experiment(
    experiment: dict, validation: tuple, test: tuple, label_names, readable, seed: int, n_resamples: int
) -> None:
    """Exercise 10, Part B: tuned thresholds vs 0.5 on the test comments, with a paired bootstrap interval.

    The protocol is checked (thresholds chosen on validation only; the test split only measures; the
    notebook's seed and resamples), and every number is recomputed from the learner's own artefacts.

    Args:
        experiment: the learner's dict with the keys :data:`THRESHOLD_EXPERIMENT_KEYS`: ``thresholds``
            ({label: threshold}), ``test_predictions`` (0/1 matrix, test rows x labels, at those thresholds),
            ``macro_f1_at_0_5`` and ``macro_f1_tuned`` (test macro-F1 over the ``readable`` labels), and
            ``difference_ci`` ((low, high): 95 % paired bootstrap interval of tuned minus 0.5).
        validation, test: ``(y_true, y_prob)`` of each split.
        label_names: one name per column.
        readable: column indices of the labels with enough test positives to be read.
        seed, n_resamples: of the bootstrap (the notebook's ``SEED`` and ``BOOTSTRAP``).
    """
    _require_answer(experiment, "experiment")
    names, cols = list(label_names), list(readable)
    if not isinstance(experiment, dict) or set(THRESHOLD_EXPERIMENT_KEYS) - set(experiment):
        missing = sorted(set(THRESHOLD_EXPERIMENT_KEYS) - set(experiment)) if isinstance(experiment, dict) else "all"
        _fail(f"experiment lacks the keys {missing}.", f"build a dict with the keys {list(THRESHOLD_EXPERIMENT_KEYS)}.")
    for key in THRESHOLD_EXPERIMENT_KEYS:
        if experiment[key] is None or experiment[key] is Ellipsis:
            _fail(f"experiment[{key!r}] has no value yet.", "fill in every key of the task's table.")
    _validation_tuned_problem(experiment["thresholds"], validation, test, names)
    (y_val, p_val), (y_test, p_test) = validation, test
    cut = np.array([float(experiment["thresholds"][name]) for name in names])
    predictions = np.asarray(experiment["test_predictions"])
    if predictions.shape != y_test.shape:
        where = "the validation comments" if predictions.shape == y_val.shape else "other rows"
        _fail(
            f"test_predictions has shape {predictions.shape}: predictions for {where}, not the {y_test.shape[0]} test comments.",
            "cut p_test (test rows x labels) at your thresholds.",
        )
    at_half = (p_test >= 0.5).astype(int)
    if not np.array_equal(predictions.astype(int), (p_test >= cut).astype(int)):
        if np.array_equal(predictions.astype(int), at_half):
            _fail(
                "test_predictions are the flags at 0.5, not at your thresholds.",
                "compare each column of p_test with its own threshold.",
            )
        _fail(
            "test_predictions do not follow from your thresholds and p_test.",
            "flag a comment for a label when its probability is >= that label's threshold: (p_test >= cut).astype(int).",
        )
    tuned_f1 = label_macro_f1(y_test[:, cols], predictions[:, cols])
    half_f1 = label_macro_f1(y_test[:, cols], at_half[:, cols])
    for key, expected, preds in (("macro_f1_tuned", tuned_f1, predictions), ("macro_f1_at_0_5", half_f1, at_half)):
        value = experiment[key]
        if _close(value, expected):
            continue
        if _close(value, label_macro_f1(y_test, preds)):
            _fail(
                f"{key} averages all {len(names)} labels, including labels with fewer than 5 test positives.",
                "average only the readable labels: label_macro_f1(y_test[:, readable], ...[:, readable]).",
            )
        if key == "macro_f1_tuned" and _close(value, label_macro_f1(y_val[:, cols], (p_val >= cut).astype(int)[:, cols])):
            _fail(f"{key} is the F1 on the validation comments, which chose the thresholds.", "score the test predictions.")
        _fail(
            f"{key} is {value}, but your predictions give {expected:.4f}.",
            "label_macro_f1(y_test[:, readable], ...[:, readable]).",
        )
    paired = _check_paired_interval(
        experiment["difference_ci"],
        y_test[:, cols],
        at_half[:, cols],
        predictions[:, cols],
        seed,
        n_resamples,
        call="paired_bootstrap(label_macro_f1, y_test[:, readable], flags at 0.5, your flags, n_resamples=BOOTSTRAP, seed=SEED)",
    )
    _passed(
        f"thresholds chosen on validation only; test macro-F1 over {len(cols)} labels {half_f1:.3f} at 0.5 and {tuned_f1:.3f} "
        f"tuned, difference {tuned_f1 - half_f1:+.3f}, 95 % paired interval [{paired['low']:+.3f}, {paired['high']:+.3f}]."
    )


VERDICTS = ("gain", "loss", "no clear difference")  # ftcourse.course.verdict's words


def _check_verdict(answer, delta: float, value_b, interval, names) -> str:
    """Fail unless ``answer`` holds the verdict of ``interval`` and the difference ``delta`` (B minus A)."""
    _require_answer(answer, "answer")
    if not isinstance(answer, dict) or {"verdict", "difference"} - set(answer):
        _fail("answer should be a dict with the keys 'verdict' and 'difference'.", "fill in both values of the cell's dict.")
    if answer["verdict"] is None or answer["difference"] is None:
        _fail("answer has an empty value.", f"write the verdict (one of {list(VERDICTS)}) and the difference from Part B.")
    _check_difference(answer["difference"], delta, value_b, names)
    low, high = _interval(interval)
    expected = verdict({"difference_ci": [low, high]})
    given = str(answer["verdict"]).strip().lower()
    if given not in VERDICTS:
        _fail(f"the verdict {answer['verdict']!r} is not one of {list(VERDICTS)}.", "pick one of the three words.")
    if given != expected:
        if given == "gain" and low <= 0 < delta:
            _fail(
                f"the difference is positive ({delta:+.3f}), but its interval [{low:+.3f}, {high:+.3f}] holds 0.",
                "a gain is demonstrated only when the whole interval lies above 0.",
            )
        _fail(
            f"'{given}' does not follow from your interval [{low:+.3f}, {high:+.3f}].",
            "gain: the whole interval above 0; loss: below 0; no clear difference: it holds 0.",
        )
    _passed(f"'{given}': a difference of {delta:+.3f} with the interval [{low:+.3f}, {high:+.3f}].")
    return given


def _check_chosen_verdict(answer, experiment: dict, score_key: str, names=("base", "chosen")) -> str:
    """Part C of a dev-choice experiment: the verdict and the difference (chosen minus base) of ``experiment[score_key]``."""
    scores = experiment[score_key]
    delta = float(scores["chosen"]) - float(scores["base"])
    return _check_verdict(answer, delta, scores["chosen"], experiment["difference_ci"], names)


def check_threshold_decision(answer: dict, experiment: dict) -> None:
    """Exercise 10, Part C: does tuning demonstrably help on this test split? The verdict and the number, from Part B.

    Args:
        answer: ``{"verdict": one of VERDICTS, "difference": tuned minus 0.5 test macro-F1}``.
        experiment: the learner's Part B dict (already checked by :func:`check_threshold_experiment`).
    """
    delta = float(experiment["macro_f1_tuned"]) - float(experiment["macro_f1_at_0_5"])
    _check_verdict(answer, delta, experiment["macro_f1_tuned"], experiment["difference_ci"], ("0.5", "tuned"))


# ---- 15: calibration -----------------------------------------------------------------------------


def check_ece(expected_calibration_error) -> None:
    """Lesson 15: ``expected_calibration_error(y_true, y_prob, n_bins) -> float`` for one 0/1 label, equal-width bins."""
    rng = np.random.default_rng(15)
    y_prob = rng.random(200)
    y_true = (rng.random(200) < y_prob**2).astype(int)  # over-confident on purpose: positives are rarer than predicted
    expected = ece(y_true, y_prob, 10)
    got = _call(expected_calibration_error, "expected_calibration_error", y_true, y_prob, 10)
    if got is None or not math.isclose(float(got), expected, rel_tol=1e-6, abs_tol=1e-9):
        perfect = _call(
            expected_calibration_error, "expected_calibration_error", np.array([0, 1, 0, 1]), np.array([0.0, 1.0, 0.0, 1.0]), 10
        )
        if perfect is not None and not math.isclose(float(perfect), 0.0, abs_tol=1e-9):
            _fail(
                f"a perfectly calibrated model (probabilities 0 and 1, all right) scores {perfect}, not 0.",
                "the gap of a bin is |share of positives - mean probability|.",
            )
        _fail(
            f"got {got} on a test case.",
            "bin by probability into n_bins equal-width bins over [0, 1] (1.0 goes to the last bin); weight each bin's |share of positives - "
            "mean probability| by its share of the rows; empty bins count nothing.",
        )
    _passed("your ECE agrees with ftcourse.calibration.ece.")


TEMPERATURE_EXPERIMENT_KEYS = ("temperature", "test_probabilities", "ece", "difference_ci")


def _check_temperature(temperature, validation: tuple, test: tuple) -> float:
    """Fail unless ``temperature`` is the one fitted on the validation probabilities; return it."""
    fitted = fit_temperature(probabilities_to_logits(validation[1]), validation[0])
    if _close(temperature, fitted, 1e-3 * fitted):
        return float(temperature)
    if _close(temperature, fit_temperature(probabilities_to_logits(test[1]), test[0]), 1e-3 * fitted):
        _fail("this temperature was fitted on the test comments.", "fit it on (y_val, val_prob); the test comments only measure.")
    _fail(
        f"temperature is {temperature}; fitted on the validation comments it is {fitted:.4f}.",
        "fit_temperature(probabilities_to_logits(val_prob), y_val).",
    )


def check_temperature_experiment(experiment: dict, validation: tuple, test: tuple, n_bins: int, seed: int, n_resamples: int):
    """Exercise 15, Part B: test ECE before and after a temperature fitted on validation, with a paired interval.

    Args:
        experiment: the learner's dict with the keys :data:`TEMPERATURE_EXPERIMENT_KEYS`: ``temperature`` (fitted on
            validation), ``test_probabilities`` (the test probabilities after scaling), ``ece`` ({"before": ...,
            "after": ...} on test) and ``difference_ci`` ((low, high): paired 95 % bootstrap interval of after minus before).
        validation, test: ``(y_true, y_prob)`` of each split (one label: 0/1 and the classifier's probabilities).
        n_bins: the ECE's bins (the notebook's ``N_BINS``).
        seed, n_resamples: the notebook's ``SEED`` and ``BOOTSTRAP``.
    """
    _require_answer(experiment, "experiment")
    if not isinstance(experiment, dict) or set(TEMPERATURE_EXPERIMENT_KEYS) - set(experiment):
        missing = sorted(set(TEMPERATURE_EXPERIMENT_KEYS) - set(experiment)) if isinstance(experiment, dict) else "all"
        _fail(f"experiment lacks the keys {missing}.", f"build a dict with the keys {list(TEMPERATURE_EXPERIMENT_KEYS)}.")
    (y_val, p_val), (y_test, p_test) = (tuple(np.asarray(a, dtype=float) for a in split) for split in (validation, test))
    temperature = _check_temperature(experiment["temperature"], (y_val, p_val), (y_test, p_test))
    scaled = np.asarray(experiment["test_probabilities"], dtype=float)
    if scaled.shape != p_test.shape:
        where = "the validation comments" if scaled.shape == p_val.shape else "other rows"
        _fail(f"test_probabilities has shape {scaled.shape}: {where}, not the {len(p_test)} test comments.", "scale test_prob.")
    if not np.allclose(scaled, apply_temperature(probabilities_to_logits(p_test), temperature), atol=1e-6):
        if np.allclose(scaled, p_test):
            _fail(
                "test_probabilities are the unscaled ones.", "apply_temperature(probabilities_to_logits(test_prob), temperature)."
            )
        _fail(
            "test_probabilities do not follow from your temperature.",
            "apply_temperature(probabilities_to_logits(test_prob), temperature): logits divided by T, then the sigmoid.",
        )
    expected = {"before": ece(y_test, p_test, n_bins), "after": ece(y_test, scaled, n_bins)}
    reported = experiment["ece"]
    if not isinstance(reported, dict) or set(reported) != set(expected):
        _fail("ece should be {'before': ..., 'after': ...}.", "the test ECE without and with the temperature.")
    for name, value in expected.items():
        if not _close(reported[name], value):
            if name == "after" and _close(
                reported[name], ece(y_val, apply_temperature(probabilities_to_logits(p_val), temperature), n_bins)
            ):
                _fail("ece['after'] is measured on the validation comments, which fitted the temperature.", "measure on test.")
            _fail(
                f"ece[{name!r}] is {reported[name]}, but your probabilities give {value:.4f}.",
                f"ece(y_test, ..., N_BINS={n_bins}).",
            )
    paired = _check_paired_interval(
        experiment["difference_ci"],
        y_test,
        p_test,
        scaled,
        seed,
        n_resamples,
        names=("before", "after"),
        call="paired_bootstrap(ece_of, y_test, test_prob, calibrated test probabilities, n_resamples=BOOTSTRAP, seed=SEED)",
        metric=lambda y, p: ece(y, p, n_bins),
    )
    _passed(
        f"temperature {temperature:.3f} fitted on validation only; test ECE {expected['before']:.4f} -> {expected['after']:.4f}, "
        f"difference {paired['delta']:+.4f}, 95 % paired interval [{paired['low']:+.4f}, {paired['high']:+.4f}]."
    )


def check_temperature_decision(answer: dict, experiment: dict) -> None:
    """Exercise 15, Part C: ship the temperature only if it demonstrably lowers the test ECE.

    Args:
        answer: ``{"ship": "temperature" or "none", "difference": after minus before test ECE}``.
        experiment: the learner's Part B dict (already checked by :func:`check_temperature_experiment`).
    """
    _require_answer(answer, "answer")
    if not isinstance(answer, dict) or {"ship", "difference"} - set(answer):
        _fail("answer should be a dict with the keys 'ship' and 'difference'.", "fill in both values of the cell's dict.")
    delta = float(experiment["ece"]["after"]) - float(experiment["ece"]["before"])
    _check_difference(answer["difference"], delta, experiment["ece"]["after"], ("before", "after"))
    low, high = _interval(experiment["difference_ci"])
    expected = "temperature" if high < 0 else "none"
    if answer["ship"] not in ("temperature", "none"):
        _fail(f"ship is {answer['ship']!r}.", "answer 'temperature' or 'none'.")
    if answer["ship"] != expected:
        if expected == "none" and low > 0:
            _fail(
                f"the ECE rose by {delta:+.4f} (interval [{low:+.4f}, {high:+.4f}]): ECE is an error, lower is better.",
                "ship the temperature only when the whole interval of after minus before lies below 0.",
            )
        if expected == "none":
            _fail(
                f"the ECE moved by {delta:+.4f}, but the interval [{low:+.4f}, {high:+.4f}] holds 0.",
                "ship the temperature only when the whole interval lies below 0; otherwise keep the model as it is.",
            )
        _fail(
            f"the whole interval [{low:+.4f}, {high:+.4f}] lies below 0: the temperature demonstrably lowers the ECE.",
            "ship 'temperature' when the whole interval of after minus before lies below 0.",
        )
    _passed(f"ship '{expected}': test ECE {delta:+.4f}, interval [{low:+.4f}, {high:+.4f}].")


# ---- 11: the training loop ------------------------------------------------------------------------

LEGACY_FIT = {
    "epochs": 2,
    "warmup_steps": 30,
    "optimizer_params": {"lr": 3e-5},
    "evaluation_steps": 25,
    "output_path": "outputs/legacy",
    "use_amp": False,
}  # the exercise's task data: a model.fit(...) call from an older tutorial


def _same(value, expected) -> bool:
    # Numbers up to rounding (3e-5 may come back as 3.0000000000000004e-05), anything else exactly.
    if isinstance(expected, str) or value is None:
        return value == expected
    return math.isclose(float(value), float(expected))


def check_legacy_arguments(legacy_to_arguments) -> None:
    """Lesson 11: ``legacy_to_arguments(fit_kwargs, steps_per_epoch) -> dict`` of today's training-argument keywords.

    The keywords must build ``SentenceTransformerTrainingArguments`` and mean what the old ``fit`` call meant:
    epochs, learning rate, warmup (an exact step count or the same share of the steps), evaluation every N steps, output folder.
    """
    steps_per_epoch = 60
    got = _call(legacy_to_arguments, "legacy_to_arguments", dict(LEGACY_FIT), steps_per_epoch)
    if not isinstance(got, dict):
        _fail(f"legacy_to_arguments returned a {type(got).__name__}.", "return a dict of keyword arguments.")
    for old, new in (("evaluation_strategy", "eval_strategy"), ("warmup_ratio", "warmup_steps (a float below 1 is a share)")):
        if old in got:
            _fail(f"`{old}` is a deprecated name in transformers 5.", f"use `{new}`.")
    for old in ("epochs", "optimizer_params", "evaluation_steps", "output_path", "use_amp"):
        if old in got:
            _fail(
                f"`{old}` is a `fit` argument, not a training argument.",
                "map it to its TrainingArguments name (see the lesson's table).",
            )
    from sentence_transformers.sentence_transformer import SentenceTransformerTrainingArguments

    try:
        args = SentenceTransformerTrainingArguments(**got)
    except (TypeError, ValueError) as err:
        _fail(f"SentenceTransformerTrainingArguments(**result) fails: {err}", "check each name against the lesson's table.")
    total = LEGACY_FIT["epochs"] * steps_per_epoch
    warmup = args.warmup_steps * total if isinstance(args.warmup_steps, float) and args.warmup_steps < 1 else args.warmup_steps
    wanted = {
        "num_train_epochs": (args.num_train_epochs, LEGACY_FIT["epochs"], "epochs"),
        "learning_rate": (args.learning_rate, LEGACY_FIT["optimizer_params"]["lr"], "optimizer_params['lr']"),
        "warmup": (warmup, LEGACY_FIT["warmup_steps"], "warmup_steps: 30 steps, or 30 / (epochs x steps_per_epoch) as a float"),
        "eval_steps": (args.eval_steps, LEGACY_FIT["evaluation_steps"], "evaluation_steps, with eval_strategy='steps'"),
        "output_dir": (args.output_dir, LEGACY_FIT["output_path"], "output_path"),
    }
    for name, (value, expected, source) in wanted.items():
        if not _same(value, expected):
            _fail(f"{name} is {value!r}, but the fit call asked for {expected!r}.", f"it comes from {source}.")
    if str(getattr(args.eval_strategy, "value", args.eval_strategy)) != "steps":
        _fail(
            f"eval_strategy is {args.eval_strategy!r}: the evaluator would not run every 25 steps.", "set eval_strategy='steps'."
        )
    _passed("the old fit call, spelled in today's training arguments.")


def check_hp_space(hp_space) -> None:
    """Lesson 11: ``hp_space(trial) -> dict`` for ``Trainer.hyperparameter_search(backend="optuna")``.

    Every key must be a ``TrainingArguments`` field; the learning rate drawn on a log scale between 1e-5 and 1e-3,
    ``num_train_epochs`` an integer from 1 to 3, ``warmup_steps`` a share of the steps below 1.
    """
    import dataclasses

    import optuna
    from transformers import TrainingArguments

    _require_answer(hp_space, "hp_space")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    drawn = []
    study.optimize(lambda trial: drawn.append(_call(hp_space, "hp_space", trial)) or 0.0, n_trials=20)
    fields = {f.name for f in dataclasses.fields(TrainingArguments)}
    if not all(isinstance(d, dict) for d in drawn):
        _fail("hp_space did not return a dict.", "return {training-argument name: trial.suggest_...(...)}.")
    unknown = sorted({key for d in drawn for key in d} - fields)
    if unknown:
        _fail(
            f"{unknown} are not TrainingArguments fields: the search would set nothing.",
            "use names like learning_rate, num_train_epochs.",
        )
    rate = study.trials[0].distributions.get("learning_rate")  # the name the draw was given in trial.suggest_float
    if "learning_rate" not in drawn[0] or rate is None or not isinstance(rate, optuna.distributions.FloatDistribution):
        _fail(
            "no learning rate drawn with trial.suggest_float.",
            "add 'learning_rate': trial.suggest_float('learning_rate', 1e-5, 1e-3, log=True).",
        )
    if not rate.log:
        _fail(
            "the learning rate is drawn on a linear scale: 9 draws in 10 land above 1e-4.",
            "pass log=True: each decade gets the same share.",
        )
    if not (math.isclose(rate.low, 1e-5) and math.isclose(rate.high, 1e-3)):
        _fail(f"the learning rate range is [{rate.low:g}, {rate.high:g}].", "search from 1e-5 to 1e-3.")
    epochs = {d.get("num_train_epochs") for d in drawn}
    if not epochs <= {1, 2, 3} or not all(isinstance(e, int) for e in epochs):
        _fail(f"num_train_epochs took the values {sorted(epochs, key=str)}.", "use trial.suggest_int('num_train_epochs', 1, 3).")
    warmups = {d.get("warmup_steps") for d in drawn}
    if not all(isinstance(w, float) and 0 <= w < 1 for w in warmups):
        _fail(
            f"warmup_steps took {sorted(warmups, key=str)}.",
            "draw a share of the steps: floats in [0, 1), e.g. suggest_categorical over [0.0, 0.1, 0.3].",
        )
    _passed(f"a search space of {len(drawn[0])} training arguments, the learning rate on a log scale.")


def check_learning_rate_experiment(
    experiment: dict, learning_rates, y_dev, y_test, default_test_predictions, seed: int, n_resamples: int
) -> None:
    """Exercise 11, Part B: a learning rate chosen on dev macro-F1, measured on test against the default recipe.

    Args:
        experiment: the learner's dict with the keys ``dev_predictions`` ({rate: class ids of the dev tweets} for every
            rate), ``chosen`` (a rate), ``test_predictions`` ({"base": the default recipe's, "chosen": the chosen rate's}
            class ids of the test tweets), ``macro_f1`` (the same keys, on test) and ``difference_ci`` ((low, high): paired
            95 % bootstrap interval of chosen minus default).
        learning_rates: the exercise's candidate rates (two or more).
        y_dev, y_test: labels of the dev and test tweets.
        default_test_predictions: the default recipe's test predictions (computed by the notebook).
        seed, n_resamples: of the bootstrap (the notebook's ``SEED`` and ``BOOTSTRAP``).
    """
    if len(list(learning_rates)) < 2:
        _fail("there is only one learning rate to choose from.", "put two or more rates in LEARNING_RATES.")
    spec = {
        "dev": "dev_predictions",
        "test": "test_predictions",
        "score": "macro_f1",
        "metric": _macro_f1,
        "option": "learning rate",
        "base_name": "default_test",
        "base_label": "the default recipe",
        "call": "paired_bootstrap(macro_f1, y_test, default_test, chosen predictions, n_resamples=BOOTSTRAP, seed=SEED)",
    }
    paired = _check_dev_choice(experiment, learning_rates, y_dev, y_test, default_test_predictions, seed, n_resamples, spec)
    _passed_choice(paired, f"learning rate {paired['best']:g}", "macro-F1", "(default recipe)")


def check_learning_rate_decision(answer: dict, experiment: dict) -> None:
    """Exercise 11, Part C: does the dev-chosen learning rate beat the default recipe on test? The verdict and the number.

    Args:
        answer: ``{"verdict": one of VERDICTS, "difference": chosen minus default test macro-F1}``.
        experiment: the learner's Part B dict (already checked by :func:`check_learning_rate_experiment`).
    """
    _check_chosen_verdict(answer, experiment, "macro_f1", ("the default recipe", "the chosen rate"))


# ---- 12: cross-encoders -------------------------------------------------------------------------


def check_rerank(rerank) -> None:
    """Lesson 12: ``rerank(first_stage, score_pair, k) -> list of document indices``, the full final ranking.

    ``first_stage`` holds one query's bi-encoder score per document; ``score_pair(j)`` is the cross-encoder's score
    of (query, document j). The top ``k`` by ``first_stage`` come first in the cross-encoder's order (highest first),
    then every other document in ``first_stage`` order.
    """
    first = np.array([0.10, 0.90, 0.50, 0.70, 0.30, 0.80, 0.20])
    cross = {0: 0.0, 1: 0.2, 2: 0.9, 3: 0.1, 4: 0.95, 5: 0.6, 6: 0.3}
    calls: list[int] = []

    def score_pair(j):
        calls.append(int(j))
        return cross[int(j)]

    expected = [5, 1, 3, 2, 4, 6, 0]  # top 3 by first stage: 1, 5, 3 -> by cross-encoder 5, 1, 3; then 2, 4, 6, 0
    got = _call(rerank, "rerank", first.copy(), score_pair, 3)
    try:
        got = [int(j) for j in got]
    except TypeError:
        _fail(f"rerank returned a {type(got).__name__}, not a list of document indices.", "return a list of ints, best first.")
    if len(set(calls)) > 3:
        _fail(
            f"the cross-encoder scored {len(set(calls))} documents for k = 3.",
            "score only the first stage's top k: one forward pass per scored document is what makes a cross-encoder slow.",
        )
    if got == expected[:3]:
        _fail("only the k reranked documents were returned.", "append every other document after them, in first-stage order.")
    if sorted(got) != list(range(len(first))):
        _fail(
            f"got {got}: not every document exactly once.", "return all documents, each once: the reranked top k, then the rest."
        )
    if got[:3] == [3, 1, 5]:
        _fail("the top k are in ascending cross-encoder order.", "sort by the cross-encoder's score from high to low.")
    if got[:3] == [1, 5, 3]:
        _fail("the top k kept the first stage's order.", "reorder the top k by score_pair(j), highest first.")
    if got[3:] != expected[3:]:
        _fail(
            f"after the top k you returned {got[3:]}.",
            "the documents beyond the top k keep the first stage's order (highest first).",
        )
    if got != expected:
        _fail(
            f"got {got}.",
            "take the first stage's top k, sort them by score_pair(j) descending, then append the rest in first-stage order.",
        )
    _passed("the cross-encoder reordered only the first stage's top k; the rest kept their place.")


def check_labeled_pairs(to_labeled_pairs) -> None:
    """Lesson 12: ``to_labeled_pairs(triplets) -> DataFrame(query, document, label)`` from mined n-tuples.

    ``triplets`` has columns ``anchor``, ``positive``, ``negative_1`` ... ``negative_n`` (as ``mine_hard_negatives``
    writes with ``output_format="n-tuple"``); the answer has one row per positive (label 1) and one per negative (label 0).
    """
    import pandas as pd

    triplets = pd.DataFrame(
        {
            "anchor": ["can dogs get it", "do masks help"],
            "positive": ["pets rarely catch it", "masks cut droplets"],
            "negative_1": ["wash your hands", "pets rarely catch it"],
            "negative_2": ["stay home", "wash your hands"],
        }
    )
    got = _call(to_labeled_pairs, "to_labeled_pairs", triplets.copy())
    if not isinstance(got, pd.DataFrame) or not {"query", "document", "label"} <= set(got.columns):
        _fail(
            "the answer is not a DataFrame with columns query, document, label.",
            "build pd.DataFrame(rows) with those three columns.",
        )
    rows = {(q, d, int(float(label))) for q, d, label in zip(got["query"], got["document"], got["label"], strict=True)}
    expected = {(a, p, 1) for a, p in zip(triplets["anchor"], triplets["positive"], strict=True)}
    expected |= {
        (a, n, 0) for column in ("negative_1", "negative_2") for a, n in zip(triplets["anchor"], triplets[column], strict=True)
    }
    if any(label == 1 for q, d, label in rows if (q, d, 0) in expected):
        _fail("a negative is labelled 1.", "negatives get label 0; only each query's own positive gets 1.")
    if not {r for r in expected if r[2] == 1} <= rows:
        _fail(
            "a query's positive is missing.",
            "add one (anchor, positive, 1) row per query: the reranker must see what is right too.",
        )
    if len(got) == 4 and rows <= expected:
        _fail(
            "only the first negative of each query made it into the table.",
            "loop over every column whose name starts with 'negative'.",
        )
    if rows != expected or len(got) != len(expected):
        _fail(
            f"got {len(got)} rows; expected {len(expected)} (one positive and two negatives per query).",
            "one row per (query, document) pair, no duplicates.",
        )
    _passed("each query has its positive (label 1) and every mined negative (label 0): ready for BinaryCrossEntropyLoss.")


RANKING_EXPERIMENT_KEYS = ("dev_scores", "chosen", "test_scores", "ndcg", "difference_ci")


def _per_question_of(matrices, relevant, key: str) -> dict:
    """Per-question nDCG@10 of each question x answer score matrix in ``matrices``; fail on a matrix of the wrong split."""
    if not isinstance(matrices, dict):
        _fail(f"{key} should be a dict of question x answer score matrices.", "one matrix per first stage.")
    per_question = {}
    for option, scores in matrices.items():
        scores = np.asarray(scores, dtype=float)
        if scores.ndim != 2 or scores.shape[0] != len(relevant):
            _fail(
                f"{key}[{option!r}] has shape {scores.shape}, not one row per question of its split ({len(relevant)}).",
                "score the dev questions for the choice and the test questions for the measurement, every answer each.",
            )
        per_question[option] = _per_question_ndcg(scores, relevant)
    return per_question


def _check_ranking_choice(experiment: dict, options, relevant: tuple, base_test_scores, seed: int, n_resamples: int, spec: dict):
    """Shared by exercises 07 and 12: question x answer score matrices, an option chosen on dev nDCG@10, test vs a base.

    ``relevant``: (dev, test) lists of each question's relevant answer columns. ``spec`` as for :func:`_check_dev_choice`,
    less ``metric``, ``dev``, ``test`` and ``score``. Returns the paired bootstrap over test questions.
    """
    _require_answer(experiment, "experiment")
    keys = RANKING_EXPERIMENT_KEYS
    if not isinstance(experiment, dict) or set(keys) - set(experiment):
        missing = sorted(set(keys) - set(experiment)) if isinstance(experiment, dict) else "all"
        _fail(f"experiment lacks the keys {missing}.", f"build a dict with the keys {list(keys)}.")
    if len(list(options)) < 2:
        _fail(f"there is only one {spec['option']} to choose from.", f"compare two or more in {spec['options_name']}.")
    relevant_dev, relevant_test = relevant
    per_question = {
        **experiment,
        "dev_scores": _per_question_of(experiment["dev_scores"], relevant_dev, "dev_scores"),
        "test_scores": _per_question_of(experiment["test_scores"], relevant_test, "test_scores"),
    }
    spec = {**spec, "dev": "dev_scores", "test": "test_scores", "score": "ndcg", "metric": _mean_of_values}
    base = _per_question_ndcg(np.asarray(base_test_scores, dtype=float), relevant_test)
    y_dev, y_test = np.zeros(len(relevant_dev)), np.zeros(len(relevant_test))
    return _check_dev_choice(per_question, options, y_dev, y_test, base, seed, n_resamples, spec)


def check_first_stage_experiment(
    experiment: dict, first_stages, relevant_dev, relevant_test, bi_encoder_test_scores, seed: int, n_resamples: int
) -> None:
    """Exercise 12, Part B: a first stage (bi-encoder, BM25 or their fusion) chosen on dev nDCG@10, vs the bi-encoder on test.

    Args:
        experiment: the learner's dict with the keys :data:`RANKING_EXPERIMENT_KEYS`: ``dev_scores`` ({first stage:
            dev question x answer scores} for every stage), ``chosen`` (a stage), ``test_scores`` ({"base": the
            bi-encoder's, "chosen": the chosen stage's} test question x answer scores), ``ndcg`` (the same keys: test
            mean nDCG@10) and ``difference_ci`` ((low, high): paired 95 % bootstrap interval over test questions of the
            chosen stage's per-question nDCG@10 minus the bi-encoder's).
        first_stages: the exercise's candidate names (two or more).
        relevant_dev, relevant_test: one set of relevant answer columns per dev (test) question.
        bi_encoder_test_scores: the bi-encoder's test score matrix (computed by the notebook).
        seed, n_resamples: of the bootstrap (the notebook's ``SEED`` and ``BOOTSTRAP``).
    """
    spec = {
        "option": "first stage",
        "options_name": "FIRST_STAGES",
        "base_name": "bi_test",
        "base_label": "the bi-encoder",
        "call": "paired_bootstrap(metric_of_mean, np.zeros(n), bi-encoder per-question nDCG@10, chosen per-question "
        "nDCG@10, n_resamples=BOOTSTRAP, seed=SEED)",
    }
    relevant = (relevant_dev, relevant_test)
    paired = _check_ranking_choice(experiment, first_stages, relevant, bi_encoder_test_scores, seed, n_resamples, spec)
    _passed(
        f"{paired['best']} chosen on dev questions only; test nDCG@10 {paired['metric_a']:.3f} (bi-encoder) and "
        f"{paired['metric_b']:.3f}, difference {paired['delta']:+.3f}, 95 % paired interval "
        f"[{paired['low']:+.3f}, {paired['high']:+.3f}]."
    )


def check_first_stage_decision(answer: dict, experiment: dict) -> None:
    """Exercise 12, Part C: does the dev-chosen first stage beat the bi-encoder on test questions? Verdict and number.

    Args:
        answer: ``{"verdict": one of VERDICTS, "difference": chosen minus bi-encoder test nDCG@10}``.
        experiment: the learner's Part B dict (already checked by :func:`check_first_stage_experiment`).
    """
    _check_chosen_verdict(answer, experiment, "ndcg", ("the bi-encoder", "the chosen first stage"))


# ---- 14: little data ------------------------------------------------------------------------------


def check_setfit_pairs(make_setfit_pairs) -> None:
    """Lesson 14: ``make_setfit_pairs(texts, labels, num_iterations, seed) -> DataFrame`` (sentence1, sentence2, score).

    Each round pairs every example with one other example of its class (score 1.0, when its class has another member) and with
    one example of another class (score 0.0).
    """
    texts = [f"tweet {i}" for i in range(7)]
    labels = [0, 0, 0, 1, 1, 2, 2]
    label_of = dict(zip(texts, labels, strict=True))
    pairs = _call(make_setfit_pairs, "make_setfit_pairs", texts, labels, 3, 0)
    columns = list(getattr(pairs, "columns", []))
    if columns[:3] != ["sentence1", "sentence2", "score"]:
        _fail(
            f"the columns are {columns}.",
            "return a DataFrame with the columns sentence1, sentence2, score (the cosine_similarity loss's format).",
        )
    if (pairs["sentence1"] == pairs["sentence2"]).any():
        _fail(
            "a text is paired with itself.", "a positive partner is another example of the same class, never the example itself."
        )
    same = (pairs["sentence1"].map(label_of) == pairs["sentence2"].map(label_of)).to_numpy()
    scores = pairs["score"].astype(float).to_numpy()
    if not np.array_equal(scores, same.astype(float)):
        _fail(
            "some scores do not say whether the two texts share a class.",
            "score 1.0 for a same-class pair, 0.0 for a pair of different classes.",
        )
    positives, negatives = int(same.sum()), int((~same).sum())
    if negatives != 3 * len(texts):
        _fail(
            f"{negatives} different-class pairs from 7 examples and 3 rounds.",
            "each round gives every example exactly one partner of another class.",
        )
    if positives != 3 * len(texts):
        _fail(
            f"{positives} same-class pairs from 7 examples (every class has two or more) and 3 rounds.",
            "each round gives every example one partner of its own class too.",
        )
    _passed("your pairs are SetFit's: one same-class and one other-class partner per example and round.")


def check_lora_parameters(lora_parameters) -> None:
    """Lesson 14: ``lora_parameters(d_in, d_out, r) -> int``, the trainable weights LoRA adds beside one ``d_in -> d_out`` linear layer."""
    cases = [(384, 384, 8), (384, 1536, 4), (768, 768, 16), (10, 3, 1)]
    for d_in, d_out, r in cases:
        got = _call(lora_parameters, "lora_parameters", d_in, d_out, r)
        expected = r * (d_in + d_out)
        if got == d_in * d_out:
            _fail(
                f"lora_parameters({d_in}, {d_out}, {r}) = {got}: that is the frozen layer's own weight matrix.",
                "count the two low-rank factors A (r x d_in) and B (d_out x r) instead.",
            )
        if got != expected:
            _fail(
                f"lora_parameters({d_in}, {d_out}, {r}) = {got}.", "LoRA adds A (r x d_in) and B (d_out x r); no bias of its own."
            )
    _passed("your count matches LoRA's two low-rank factors.")


def _macro_f1(y_true, y_pred) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(y_true, y_pred, labels=np.unique(y_true), average="macro", zero_division=0))


def check_description_experiment(
    experiment: dict, description_sets, y_dev, y_test, frozen_test_predictions, seed: int, n_resamples: int
) -> None:
    """Exercise 14, Part B: label descriptions chosen on dev macro-F1, zero-shot on test against frozen + LR on k labels.

    Args:
        experiment: the learner's dict with the keys ``dev_predictions`` ({set name: zero-shot predictions of the dev
            tweets} for every description set), ``chosen`` (a set name), ``test_predictions`` ({"base": frozen + LR,
            "chosen": zero-shot with the chosen set}, predictions of the test tweets), ``macro_f1`` (the same keys, on
            test) and ``difference_ci`` ((low, high): paired 95 % bootstrap interval of zero-shot minus frozen + LR).
        description_sets: the names of the candidate description sets (two or more).
        y_dev, y_test: labels of the dev and test tweets.
        frozen_test_predictions: frozen embeddings + LR on the k labelled tweets per class, on the test tweets.
        seed, n_resamples: of the bootstrap (the notebook's ``SEED`` and ``BOOTSTRAP``).
    """
    if len(list(description_sets)) < 2:
        _fail("there is only one set of descriptions to choose from.", "add your own set to DESCRIPTION_SETS (two or more).")
    spec = {
        "dev": "dev_predictions",
        "test": "test_predictions",
        "score": "macro_f1",
        "metric": _macro_f1,
        "option": "description set",
        "base_name": "frozen_test",
        "base_label": "frozen + LR",
        "call": "paired_bootstrap(macro_f1, y_test, frozen_test, zero-shot predictions, n_resamples=BOOTSTRAP, seed=SEED)",
    }
    paired = _check_dev_choice(experiment, description_sets, y_dev, y_test, frozen_test_predictions, seed, n_resamples, spec)
    _passed_choice(paired, f"descriptions {paired['best']!r}", "macro-F1", "(frozen + LR)", " (zero-shot)")


def check_description_decision(answer: dict, experiment: dict) -> None:
    """Exercise 14, Part C: does zero-shot with the best descriptions match k labels per class? The verdict and the number.

    Args:
        answer: ``{"verdict": one of VERDICTS, "difference": zero-shot minus frozen + LR test macro-F1}``.
        experiment: the learner's Part B dict (already checked by :func:`check_description_experiment`).
    """
    _check_chosen_verdict(answer, experiment, "macro_f1", ("frozen + LR", "zero-shot"))


# ---- 13: data-centric -----------------------------------------------------------------------------


def check_most_uncertain(most_uncertain) -> None:
    """Lesson 13: ``most_uncertain(probabilities, k) -> row numbers``: the k rows whose two best classes are closest (margin).

    ``probabilities`` is ``(rows, classes)``; the answer lists the k rows with the smallest gap between the top probability
    and the second, most uncertain first.
    """
    probabilities = np.array(
        [
            [0.90, 0.05, 0.05],  # sure
            [0.40, 0.35, 0.25],  # gap 0.05: the most uncertain by margin
            [0.34, 0.33, 0.33],  # gap 0.01, and the least confident (top 0.34)
            [0.60, 0.30, 0.10],  # gap 0.30
            [0.46, 0.06, 0.48],  # gap 0.02: the best two are columns 2 and 0, not 0 and 1
            [0.45, 0.45, 0.10],  # gap 0.00
        ]
    )
    expected = [5, 2, 4]
    got = _call(most_uncertain, "most_uncertain", probabilities.copy(), 3)
    try:
        got = [int(i) for i in got]
    except TypeError:
        _fail(f"most_uncertain returned a {type(got).__name__}, not row numbers.", "return a list (or array) of row indices.")
    if len(got) != 3:
        _fail(f"{len(got)} rows for k = 3.", "return exactly k row numbers.")
    ordered = np.sort(probabilities, axis=1)
    most_confident = np.argsort(-(ordered[:, -1] - ordered[:, -2]), kind="stable")[:3]
    if sorted(got) == sorted(int(i) for i in most_confident):
        _fail("these are the most confident rows.", "sort by the gap from small to large: a small gap means unsure.")
    if got == [5, 2, 1]:
        _fail(
            "row 4's gap was read as top minus column 1.", "sort each row's probabilities first; the second best can be anywhere."
        )
    if sorted(got) != sorted(expected):
        _fail(
            f"got rows {got}.",
            "margin = top probability minus the second highest (np.sort along axis 1); take the k smallest margins.",
        )
    if got != expected:
        _fail(f"got rows {got}: the right rows, not most uncertain first.", "order them by margin, smallest first.")
    _passed("your picks are margin sampling's: the rows whose two best classes are closest.")


def _margin_batch(probabilities, unlabelled: np.ndarray, k: int) -> set[int]:
    margin_uncertainty = uncertainty(probabilities, "margin")  # lesson 13's own margin: higher = less sure
    return {int(i) for i in unlabelled[np.argsort(-margin_uncertainty, kind="stable")[:k]]}


def _check_picks(picked, n_pool: int, budget: int, strategy: str) -> list[int]:
    """Fail unless ``picked`` is ``budget`` distinct pool row numbers; return them as ints."""
    try:
        rows = [int(i) for i in picked]
    except (TypeError, ValueError):
        _fail(
            f"picked['{strategy}'] is not a list of pool row numbers.", "collect the positions (0 .. len(pool) - 1) you picked."
        )
    if len(rows) != budget:
        _fail(
            f"picked['{strategy}'] holds {len(rows)} tweets; the budget is ROUNDS x BATCH = {budget}.",
            "both strategies label the same number of tweets: BATCH per round, ROUNDS rounds.",
        )
    if len(set(rows)) != len(rows):
        hint = "choose each round's batch from the tweets not labelled yet"
        if strategy == "margin":  # the usual causes: the labelled rows scored again, or positions taken for pool rows
            hint += ": score X_pool[unlabelled] only, and map most_uncertain's positions back with unlabelled[positions]"
        _fail(f"picked['{strategy}'] picks a tweet twice.", hint + ".")
    if min(rows) < 0 or max(rows) >= n_pool:
        _fail(f"picked['{strategy}'] holds row numbers outside the pool (0 .. {n_pool - 1}).", "pick positions in X_pool only.")
    return rows


def _check_margin_rounds(rows: list[int], fit_on, pool_features, batch: int) -> None:
    """Replay margin sampling round by round; fail at the first batch that is not the most uncertain one."""
    for start in range(0, len(rows), batch):
        unlabelled = np.setdiff1d(np.arange(len(pool_features)), rows[:start])
        probabilities = fit_on(rows[:start]).predict_proba(pool_features[unlabelled])
        if set(rows[start : start + batch]) == _margin_batch(probabilities, unlabelled, batch):
            continue
        round_number = start // batch + 1
        first_model = fit_on([]).predict_proba(pool_features[unlabelled])
        if start and set(rows[start : start + batch]) == _margin_batch(first_model, unlabelled, batch):
            _fail(
                f"round {round_number}'s batch comes from the model of round 1.",
                "refit the model on every label bought so far (fit_on(picked)) before scoring the pool again.",
            )
        _fail(
            f"round {round_number}'s batch is not the {batch} unlabelled tweets with the smallest margins.",
            "each round: fit_on(picked so far), predict_proba on the unlabelled pool rows only, most_uncertain(..., BATCH), "
            "then map the positions back to pool rows.",
        )


def check_active_learning_experiment(
    experiment: dict, fit_on, pool_features, test_features, y_test, rounds: int, batch: int, seed: int, n_resamples: int
) -> None:
    """Exercise 13, Part B: margin sampling against random sampling at the same label budget, scored once on test.

    Args:
        experiment: the learner's dict with ``picked`` ({"random": [...], "margin": [...]}: pool rows in the order they
            were labelled), ``test_predictions`` ({"base": random, "chosen": margin}), ``macro_f1`` (the same keys) and
            ``difference_ci`` ((low, high): paired 95 % bootstrap interval of margin minus random).
        fit_on: ``fit_on(pool_rows) -> fitted model`` on the seed set plus those pool rows (the exercise's helper).
        pool_features, test_features: embeddings of the unlabelled pool and of the test tweets.
        y_test: test labels.
        rounds, batch: the exercise's ``ROUNDS`` and ``BATCH``.
        seed, n_resamples: of the bootstrap (``SEED`` and ``BOOTSTRAP``).
    """
    _require_answer(experiment, "experiment")
    needed = {"picked", "test_predictions", "macro_f1", "difference_ci"}
    if not isinstance(experiment, dict) or needed - set(experiment):
        _fail(f"experiment should be a dict with the keys {sorted(needed)}.", "fill in every key of the cell's dict.")
    picked, predictions = experiment["picked"], experiment["test_predictions"]
    if not isinstance(picked, dict) or {"random", "margin"} - set(picked):
        _fail("picked should hold the keys 'random' and 'margin'.", "one list of pool rows per strategy.")
    for name in ("test_predictions", "macro_f1"):
        if not isinstance(experiment[name], dict) or {"base", "chosen"} - set(experiment[name]):
            _fail(f"{name} should hold the keys 'base' (random) and 'chosen' (margin).", "one entry per strategy.")
    rows = {s: _check_picks(picked[s], len(pool_features), rounds * batch, s) for s in ("random", "margin")}
    if rows["random"] == rows["margin"]:
        _fail("the random picks are the margin picks.", "draw the random batches with the generator, not with most_uncertain.")
    _check_margin_rounds(rows["margin"], fit_on, pool_features, batch)
    for key, strategy in (("base", "random"), ("chosen", "margin")):
        expected = fit_on(rows[strategy]).predict(test_features)
        if np.asarray(predictions.get(key)).shape != expected.shape or not np.array_equal(predictions[key], expected):
            _fail(
                f"test_predictions['{key}'] are not those of a model trained on the seed set and the {strategy} picks.",
                f"after the last round, fit_on(picked['{strategy}']) and predict X_test.",
            )
        if not _close(experiment["macro_f1"].get(key), _macro_f1(y_test, expected), 1e-6):
            _fail(
                f"macro_f1['{key}'] is not the test macro-F1 of those predictions.",
                "f1_score(y_test, predictions, average='macro').",
            )
    call = "paired_bootstrap(macro_f1, y_test, random predictions, margin predictions, n_resamples=BOOTSTRAP, seed=SEED)"
    paired = _check_paired_interval(
        experiment["difference_ci"], y_test, predictions["base"], predictions["chosen"], seed, n_resamples,
        names=("random", "margin"), call=call, metric=_macro_f1,
    )  # fmt: skip
    _passed(
        f"{rounds} rounds of {batch}, picks replayed: margin {paired['metric_b']:.3f} vs random {paired['metric_a']:.3f} test macro-F1, "
        f"difference {paired['delta']:+.3f}, 95 % paired interval [{paired['low']:+.3f}, {paired['high']:+.3f}]."
    )


def check_active_learning_decision(answer: dict, experiment: dict) -> None:
    """Exercise 13, Part C: is margin sampling worth paying for at this budget? The verdict and the number, from Part B.

    Args:
        answer: ``{"verdict": one of VERDICTS, "difference": margin minus random test macro-F1}``.
        experiment: the learner's Part B dict (already checked by :func:`check_active_learning_experiment`).
    """
    _check_chosen_verdict(answer, experiment, "macro_f1", ("random", "margin"))
