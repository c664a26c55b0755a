"""Instant checks for the exercises: each tests a learner's answer against reference behaviour.

A check prints what is right when the answer passes, and raises :class:`CheckFailed` with what is
wrong and a hint when it does not; it never prints the solution. Each check first rejects the
untouched stub (``None``, ``...`` or a function that raises ``NotImplementedError``).
"""

from __future__ import annotations

import math

import numpy as np

from ftcourse.calibration import ece
from ftcourse.classifier.metrics import tune_label_thresholds
from ftcourse.embedder.losses import REGISTRY


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


def check_validation_thresholds(thresholds: dict, validation: tuple, test: tuple, label_names) -> None:
    """Lesson 10: thresholds tuned on the validation split's real probabilities, as lesson 10 tunes them.

    Args:
        thresholds: the learner's ``{label: threshold}``.
        validation, test: ``(y_true, y_prob)`` of each split (0/1 matrix, probability matrix, one column per label).
        label_names: one name per column.
    """
    _require_answer(thresholds, "thresholds")
    names = list(label_names)
    if not isinstance(thresholds, dict) or set(thresholds) != set(names):
        _fail("thresholds should have one entry per label.", f"tune on the validation split: keys {names}.")
    mine = {name: round(float(thresholds[name]), 2) for name in names}
    lesson = {name: round(value, 2) for name, value in tune_label_thresholds(*validation, names).items()}
    if mine == lesson:
        _passed("your thresholds equal lesson 10's, tuned on the same validation probabilities.")
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
