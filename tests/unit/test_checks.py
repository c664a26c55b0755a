"""Each check accepts a correct answer and rejects the stub and at least one plausible wrong answer."""

import numpy as np
import pandas as pd
import pytest
import torch

from ftcourse import checks
from ftcourse.checks import CheckFailed


def _stub(*args, **kwargs):
    raise NotImplementedError


def _rejects(check, answer, *fragments):
    with pytest.raises(CheckFailed) as info:
        check(answer)
    for fragment in fragments:
        assert fragment in str(info.value)
    assert "Hint:" in str(info.value)


def test_majority_baseline():
    from sklearn.metrics import f1_score

    def majority(train, n):
        return np.full(n, np.bincount(train).argmax())

    checks.check_majority_baseline(majority, lambda t, p: f1_score(t, p, average="macro"))
    with pytest.raises(CheckFailed, match="accuracy"):
        checks.check_majority_baseline(majority, lambda t, p: float((np.asarray(t) == np.asarray(p)).mean()))
    with pytest.raises(CheckFailed, match="weighted"):
        checks.check_majority_baseline(majority, lambda t, p: f1_score(t, p, average="weighted"))
    with pytest.raises(NotImplementedError, match="still the stub"):
        checks.check_majority_baseline(_stub, _stub)


def _pairs(df, n, seed, balanced=True):
    rng = np.random.default_rng(seed)
    rows = []
    groups = {label: g["text"].tolist() for label, g in df.groupby("label")}
    for i in range(n):
        if balanced and i % 2 == 0:
            label = rng.choice([k for k, v in groups.items() if len(v) > 1])
            a, b = rng.choice(groups[label], 2, replace=False)
        elif balanced:
            first, second = rng.choice(list(groups), 2, replace=False)
            a, b = rng.choice(groups[first]), rng.choice(groups[second])
        else:
            a, b = rng.choice(df["text"], 2, replace=False)
        la, lb = df.set_index("text").loc[[a, b], "label"]
        rows.append((a, b, int(la == lb)))
    return pd.DataFrame(rows, columns=["sentence1", "sentence2", "label"])


def test_balanced_pairs():
    checks.check_balanced_pairs(lambda df, n, seed: _pairs(df, n, seed))
    _rejects(checks.check_balanced_pairs, lambda df, n, seed: _pairs(df, n, seed, balanced=False), "positives")
    _rejects(checks.check_balanced_pairs, None, "no value")


def test_pair_features():
    checks.check_pair_features(lambda u, v: np.concatenate([u, v, np.abs(u - v)], axis=1))
    _rejects(checks.check_pair_features, lambda u, v: np.concatenate([u, v, u - v], axis=1), "changes sign")
    _rejects(checks.check_pair_features, lambda u, v: np.concatenate([u, v], axis=1), "shape")


def test_contrastive_loss():
    def right(d, y, m):
        d, y = np.asarray(d), np.asarray(y)
        return float(np.mean(0.5 * (y * d**2 + (1 - y) * np.maximum(0, m - d) ** 2)))

    checks.check_contrastive_loss(right)
    _rejects(checks.check_contrastive_loss, lambda d, y, m: right(d, 1 - np.asarray(y), m), "swapped")
    _rejects(
        checks.check_contrastive_loss,
        lambda d, y, m: float(
            np.mean(0.5 * (np.asarray(y) * np.asarray(d) ** 2 + (1 - np.asarray(y)) * (m - np.asarray(d)) ** 2))
        ),
        "margin",
    )


def test_loss_choice():
    good = {
        "pairs with a similarity score between 0 and 1": "cosent",
        "pairs labelled 1 (paraphrase) or 0 (not)": "online_contrastive",
        "questions with their answers, nothing else": "mnrl",
        "single texts with a class label": "batch_hard_triplet",
    }
    checks.check_loss_choice(good)
    _rejects(checks.check_loss_choice, None, "no value")
    _rejects(checks.check_loss_choice, dict.fromkeys(good), "no loss chosen yet")  # the exercise's starting point, untouched
    # A pair loss for question/answer data: every label would be 1.
    _rejects(
        checks.check_loss_choice, {**good, "questions with their answers, nothing else": "contrastive"}, "only matching pairs"
    )
    # TripletLoss for single labelled texts: it needs triplets built beforehand.
    _rejects(checks.check_loss_choice, {**good, "single texts with a class label": "triplet"}, "mine the triplets")
    # A contrastive loss for graded scores.
    _rejects(checks.check_loss_choice, {**good, "pairs with a similarity score between 0 and 1": "contrastive"}, "graded score")
    _rejects(checks.check_loss_choice, {**good, "single texts with a class label": "cross_entropy"}, "not a loss of")
    _rejects(checks.check_loss_choice, {"scores": "cosent"}, "missing")


def test_loss_choice_descriptions_are_the_exercise_task_data():
    import nbformat

    from tests.conftest import REPO_ROOT

    exercise = nbformat.read(str(REPO_ROOT / "exercises" / "05_similarity_regression_exercise.ipynb"), as_version=4)
    shown = "\n".join(c.source for c in exercise.cells)
    assert all(f'"{description}"' in shown for description in checks.LOSS_CHOICES)


def test_triplet_loss():
    def right(a, p, n, m):
        return float(np.mean(np.maximum(np.linalg.norm(a - p, axis=1) - np.linalg.norm(a - n, axis=1) + m, 0)))

    checks.check_triplet_loss(right)
    _rejects(checks.check_triplet_loss, lambda a, p, n, m: right(a, n, p, m), "swapped")
    _rejects(
        checks.check_triplet_loss,
        lambda a, p, n, m: float(np.mean(np.linalg.norm(a - p, axis=1) - np.linalg.norm(a - n, axis=1) + m)),
        "clip",
    )


def test_in_batch_loss():
    def right(q, d, scale):
        return torch.nn.functional.cross_entropy(scale * q @ d.T, torch.arange(len(q)))

    checks.check_in_batch_loss(right)
    _rejects(checks.check_in_batch_loss, lambda q, d, s: right(q, d, 1.0), "scaled")
    _rejects(
        checks.check_in_batch_loss,
        lambda q, d, s: torch.nn.functional.cross_entropy(s * q @ d.T, torch.zeros(len(q), dtype=torch.long)),
        "arange",
    )


def test_ndcg():
    def right(scores, relevant, k):
        values = []
        for row, rel in zip(scores, relevant, strict=True):
            top = np.argsort(-row)[:k]
            dcg = sum(1 / np.log2(r + 2) for r, doc in enumerate(top) if doc in rel)
            ideal = sum(1 / np.log2(r + 2) for r in range(min(len(rel), k)))
            values.append(dcg / ideal)
        return float(np.mean(values))

    checks.check_ndcg(right)

    def no_ideal(scores, relevant, k):
        return float(
            np.mean(
                [
                    sum(1 / np.log2(r + 2) for r, doc in enumerate(np.argsort(-row)[:k]) if doc in rel)
                    for row, rel in zip(scores, relevant, strict=True)
                ]
            )
        )

    _rejects(checks.check_ndcg, no_ideal)


def test_relevant_answers():
    def right(answers):
        return [{j for j, other in enumerate(answers) if other == text} for text in answers]

    checks.check_relevant_answers(right)
    with pytest.raises(NotImplementedError, match="still the stub"):
        checks.check_relevant_answers(_stub)
    _rejects(checks.check_relevant_answers, lambda answers: [{i} for i in range(len(answers))], "only itself")  # the old exercise
    _rejects(
        checks.check_relevant_answers,
        lambda answers: [{list(dict.fromkeys(answers)).index(text)} for text in answers],
        "distinct answers",
    )
    _rejects(
        checks.check_relevant_answers,
        lambda answers: [{j for j, other in enumerate(answers) if other == text and j != i} for i, text in enumerate(answers)],
        "own answer",
    )


def test_class_weights():
    def right(labels, n):
        w = 1 / np.bincount(labels, minlength=n)
        return w / w.mean()

    checks.check_class_weights(right)
    _rejects(checks.check_class_weights, lambda labels, n: np.bincount(labels, minlength=n) / len(labels), "rare class")
    _rejects(checks.check_class_weights, lambda labels, n: 1 / np.bincount(labels, minlength=n), "mean")


def _tuned(y_true, y_prob, names, min_positives=5):
    from sklearn.metrics import f1_score

    grid = np.linspace(0.01, 0.99, 99)
    return {
        n: 0.5
        if y_true[:, j].sum() < min_positives
        else float(grid[int(np.argmax([f1_score(y_true[:, j], y_prob[:, j] >= t, zero_division=0) for t in grid]))])
        for j, n in enumerate(names)
    }


def test_thresholds():
    checks.check_thresholds(_tuned)
    with pytest.raises(NotImplementedError, match="still the stub"):
        checks.check_thresholds(_stub)
    _rejects(checks.check_thresholds, lambda y, p, names: dict.fromkeys(names, 0.5), "0.5")
    _rejects(checks.check_thresholds, lambda y, p, names: _tuned(y, p, names, min_positives=1), "two examples is noise")

    def one_for_all(y, p, names):
        # One threshold for every label: the best for the pooled columns.
        pooled = _tuned(y.reshape(-1, 1), p.reshape(-1, 1), ["all"])["all"]
        return dict.fromkeys(names, pooled)

    _rejects(checks.check_thresholds, one_for_all, "own column")


def test_validation_thresholds():
    rng = np.random.default_rng(0)
    names = ["toxic", "obscene", "threat"]

    def split(n, shift):
        y = (rng.random((n, 3)) < [0.2, 0.1, 0.0]).astype(int)
        y[[3, 9], 2] = 1  # threat: two positives, too few to tune on
        return y, np.clip(y * rng.uniform(0.1, 0.5, (n, 3)) + rng.uniform(0, 0.3, (n, 3)) + shift, 0, 1)

    validation, test = split(500, 0.0), split(500, 0.15)  # test shifted, so its best thresholds differ
    checks.check_validation_thresholds(_tuned(*validation, names), validation, test, names)
    with pytest.raises(CheckFailed, match="no value"):
        checks.check_validation_thresholds(None, validation, test, names)
    with pytest.raises(CheckFailed, match="test split"):
        checks.check_validation_thresholds(_tuned(*test, names), validation, test, names)
    with pytest.raises(CheckFailed, match="every threshold is 0.5"):
        checks.check_validation_thresholds(dict.fromkeys(names, 0.5), validation, test, names)
    with pytest.raises(CheckFailed, match="differ"):
        checks.check_validation_thresholds(_tuned(*validation, names, min_positives=1), validation, test, names)


def _threshold_splits():
    rng = np.random.default_rng(0)

    def split(n, shift):
        y = (rng.random((n, 3)) < [0.2, 0.1, 0.0]).astype(int)
        y[[3, 9], 2] = 1  # threat: two positives, not readable
        return y, np.clip(y * rng.uniform(0.1, 0.5, (n, 3)) + rng.uniform(0, 0.3, (n, 3)) + shift, 0, 1)

    return split(400, 0.0), split(400, 0.15), ["toxic", "obscene", "threat"], [0, 1]


def _threshold_experiment(validation, test, names, readable, tune_on=None, seed=7, n_resamples=200):
    from ftcourse.evaluation import label_macro_f1, paired_bootstrap

    thresholds = _tuned(*(tune_on or validation), names)
    y_test, p_test = test
    flags = (p_test >= np.array([thresholds[n] for n in names])).astype(int)
    paired = paired_bootstrap(
        label_macro_f1, y_test[:, readable], (p_test >= 0.5)[:, readable], flags[:, readable], n_resamples=n_resamples, seed=seed
    )
    return {
        "thresholds": thresholds,
        "test_predictions": flags,
        "macro_f1_at_0_5": paired["metric_a"],
        "macro_f1_tuned": paired["metric_b"],
        "difference_ci": (paired["low"], paired["high"]),
    }


def test_threshold_experiment_rejects_the_stub_and_wrong_protocols():
    from ftcourse.evaluation import bootstrap_ci, label_macro_f1

    validation, test, names, readable = _threshold_splits()

    def check(experiment):
        checks.check_threshold_experiment(experiment, validation, test, names, readable, 7, 200)

    right = _threshold_experiment(validation, test, names, readable)
    check(right)
    with pytest.raises(CheckFailed, match="no value"):
        check(None)
    # Tuned on the test rows: the protocol is broken however good the number looks.
    _rejects(check, _threshold_experiment(validation, test, names, readable, tune_on=test), "tuned on the test split")
    # Macro-F1 over every label, the unreadable one included.
    _rejects(check, {**right, "macro_f1_tuned": label_macro_f1(test[0], right["test_predictions"])}, "including labels")
    # The interval of the tuned F1 alone, not of the paired difference.
    alone = bootstrap_ci(label_macro_f1, test[0][:, readable], right["test_predictions"][:, readable], n_resamples=200, seed=7)
    _rejects(check, {**right, "difference_ci": alone[1:]}, "alone")
    # Another seed: close to the interval, not equal.
    _rejects(check, _threshold_experiment(validation, test, names, readable, seed=8), "seed")
    # Flags at 0.5 reported as the tuned flags.
    _rejects(check, {**right, "test_predictions": (test[1] >= 0.5).astype(int)}, "at 0.5")


def test_threshold_decision_follows_the_interval_and_the_number():
    validation, test, names, readable = _threshold_splits()
    experiment = _threshold_experiment(validation, test, names, readable)
    delta = experiment["macro_f1_tuned"] - experiment["macro_f1_at_0_5"]
    holds_zero = {**experiment, "difference_ci": (-0.01, 0.05)}
    checks.check_threshold_decision({"verdict": "no clear difference", "difference": round(delta, 4)}, holds_zero)
    checks.check_threshold_decision({"verdict": "gain", "difference": delta}, {**experiment, "difference_ci": (0.01, 0.05)})

    def check(answer):
        checks.check_threshold_decision(answer, holds_zero)

    with pytest.raises(CheckFailed, match="no value"):
        check(None)
    _rejects(check, {"verdict": "gain", "difference": delta}, "holds 0")  # the point estimate read as a verdict
    _rejects(check, {"verdict": "no clear difference", "difference": -delta}, "wrong sign")
    _rejects(check, {"verdict": "no clear difference", "difference": experiment["macro_f1_tuned"]}, "itself")


def _weighting_case():
    rng = np.random.default_rng(9)
    y_train = rng.choice(3, 600, p=[0.06, 0.77, 0.17])
    y_val, y_test = rng.choice(3, 300, p=[0.1, 0.7, 0.2]), rng.choice(3, 300, p=[0.1, 0.7, 0.2])

    def noisy(y, rate):
        return np.where(rng.random(len(y)) < rate, rng.integers(0, 3, len(y)), y)

    # On validation "inverse" is best; on test "sqrt_inverse" is: choosing on test picks a different option.
    val = {"none": noisy(y_val, 0.7), "sqrt_inverse": noisy(y_val, 0.5), "inverse": noisy(y_val, 0.2)}
    test = {"none": noisy(y_test, 0.7), "sqrt_inverse": noisy(y_test, 0.1), "inverse": noisy(y_test, 0.4)}
    return y_train, y_val, y_test, val, test


def _weighting_experiment(y_train, y_test, val, test, chosen="inverse", seed=7):
    from ftcourse.evaluation import label_macro_f1, paired_bootstrap

    def hate_f1(y, pred):
        return label_macro_f1(np.asarray(y) == 0, np.asarray(pred) == 0)

    counts = np.bincount(y_train, minlength=3)
    inverse, root = 1 / counts, np.sqrt(1 / counts)
    paired = paired_bootstrap(hate_f1, y_test, test["none"], test[chosen], n_resamples=200, seed=seed)
    return {
        "weights": {"none": np.ones(3), "sqrt_inverse": root / root.mean(), "inverse": inverse / inverse.mean()},
        "val_predictions": val,
        "test_predictions": test,
        "chosen": chosen,
        "hate_f1": {"none": paired["metric_a"], "chosen": paired["metric_b"]},
        "difference_ci": (paired["low"], paired["high"]),
    }


def test_weighting_experiment_rejects_the_stub_and_wrong_protocols():
    from sklearn.metrics import f1_score

    y_train, y_val, y_test, val, test = _weighting_case()

    def check(experiment):
        checks.check_weighting_experiment(experiment, y_train, y_val, y_test, 0, 7, 200)

    right = _weighting_experiment(y_train, y_test, val, test)
    check(right)
    with pytest.raises(CheckFailed, match="no value"):
        check(None)
    _rejects(check, _weighting_experiment(y_train, y_test, val, test, chosen="sqrt_inverse"), "best on the test tweets")
    macro = f1_score(y_test, test["inverse"], average="macro")
    _rejects(check, {**right, "hate_f1": {**right["hate_f1"], "chosen": macro}}, "macro-F1 over the three classes")
    # Weights counted on every tweet (validation and test included), not the training tweets.
    everything = np.bincount(np.concatenate([y_train, y_val, y_test]), minlength=3)
    leaked = {**right["weights"], "inverse": (1 / everything) / (1 / everything).mean()}
    _rejects(check, {**right, "weights": leaked}, "training tweets")
    _rejects(check, {**right, "difference_ci": right["difference_ci"][::-1]}, "difference_ci")


def test_weighting_decision_ships_only_a_demonstrated_gain():
    y_train, y_val, y_test, val, test = _weighting_case()
    experiment = _weighting_experiment(y_train, y_test, val, test)
    delta = experiment["hate_f1"]["chosen"] - experiment["hate_f1"]["none"]
    above, holds_zero = {**experiment, "difference_ci": (0.02, 0.3)}, {**experiment, "difference_ci": (-0.02, 0.3)}
    checks.check_weighting_decision({"ship": "inverse", "difference": delta}, above)
    checks.check_weighting_decision({"ship": "none", "difference": round(delta, 4)}, holds_zero)
    with pytest.raises(CheckFailed, match="no value"):
        checks.check_weighting_decision(None, above)
    _rejects(lambda a: checks.check_weighting_decision(a, holds_zero), {"ship": "inverse", "difference": delta}, "holds 0")
    _rejects(lambda a: checks.check_weighting_decision(a, above), {"ship": "none", "difference": delta}, "does not follow")
    _rejects(lambda a: checks.check_weighting_decision(a, above), {"ship": "inverse", "difference": -delta}, "wrong sign")


def _challenger_case():
    rng = np.random.default_rng(11)
    words = {0: ["vile", "scum", "hate"], 1: ["damn", "crap", "lol"], 2: ["sunny", "coffee", "news"]}
    filler = ["the", "a", "today", "really", "just", "so", "my", "you", "crap", "hate", "coffee"]

    def frame(n):
        labels = rng.choice(3, n, p=[0.15, 0.6, 0.25])
        # one word of the tweet's class, or of a random class (label noise): hard enough for the candidates to differ
        cue = [y if rng.random() < 0.6 else rng.integers(0, 3) for y in labels]
        texts = [" ".join([rng.choice(words[c]), *rng.choice(filler, 5)]) for c in cue]
        return pd.DataFrame({"text": texts, "label": labels})

    candidates = {"C=0.3": {"logisticregression__C": 0.3}, "word unigrams": {"tfidfvectorizer__ngram_range": (1, 1)}}
    return frame(300), frame(120), frame(150), candidates


def _challenger_experiment(train, val, test, candidates, baseline_weight="balanced", chosen=None, seed=7):
    from ftcourse.baselines import tfidf_logreg
    from ftcourse.evaluation import label_macro_f1, paired_bootstrap

    def hate_f1(y, pred):
        return label_macro_f1(np.asarray(y) == 0, np.asarray(pred) == 0)

    models = {
        n: tfidf_logreg(class_weight="balanced", seed=seed).set_params(**o).fit(train["text"], train["label"])
        for n, o in candidates.items()
    }
    val_predictions = {n: m.predict(val["text"]) for n, m in models.items()}
    chosen = chosen or max(candidates, key=lambda n: hate_f1(val["label"], val_predictions[n]))
    baseline = tfidf_logreg(class_weight=baseline_weight, seed=seed).fit(train["text"], train["label"])
    tests = {"baseline": baseline.predict(test["text"]), "challenger": models[chosen].predict(test["text"])}
    paired = paired_bootstrap(
        hate_f1, test["label"].to_numpy(), tests["baseline"], tests["challenger"], n_resamples=200, seed=seed
    )
    return {
        "val_predictions": val_predictions,
        "chosen": chosen,
        "test_predictions": tests,
        "hate_f1": {"baseline": paired["metric_a"], "challenger": paired["metric_b"]},
        "difference_ci": (paired["low"], paired["high"]),
    }


def test_challenger_experiment_rejects_the_stub_and_wrong_protocols():
    from ftcourse.evaluation import bootstrap_ci, label_macro_f1

    train, val, test, candidates = _challenger_case()

    def check(experiment):
        checks.check_challenger_experiment(experiment, train, val, test, candidates, 0, 7, 200)

    right = _challenger_experiment(train, val, test, candidates)
    check(right)
    with pytest.raises(CheckFailed, match="no value"):
        check(None)
    # An unweighted baseline is not lesson 01's class-weighted one.
    _rejects(check, _challenger_experiment(train, val, test, candidates, baseline_weight=None), "baseline")
    # The candidate that lost on validation.
    loser = next(name for name in candidates if name != right["chosen"])
    val_f1 = {n: label_macro_f1(val["label"] == 0, np.asarray(p) == 0) for n, p in right["val_predictions"].items()}
    assert val_f1[loser] < val_f1[right["chosen"]]
    _rejects(check, {**right, "chosen": loser}, "validation")
    # Challenger predictions from a model trained on train + validation rows.
    from ftcourse.baselines import tfidf_logreg

    both = pd.concat([train, val])
    refit = (
        tfidf_logreg(class_weight="balanced", seed=7).set_params(**candidates[right["chosen"]]).fit(both["text"], both["label"])
    )
    leaked = {**right["test_predictions"], "challenger": refit.predict(test["text"])}
    assert not np.array_equal(leaked["challenger"], right["test_predictions"]["challenger"])
    _rejects(check, {**right, "test_predictions": leaked}, "trained on `train`")
    # The interval of the challenger alone.
    y = test["label"].to_numpy() == 0
    alone = bootstrap_ci(label_macro_f1, y, right["test_predictions"]["challenger"] == 0, n_resamples=200, seed=7)
    _rejects(check, {**right, "difference_ci": alone[1:]}, "alone")


def test_challenger_decision_keeps_the_baseline_without_a_demonstrated_gain():
    train, val, test, candidates = _challenger_case()
    experiment = {**_challenger_experiment(train, val, test, candidates), "hate_f1": {"baseline": 0.40, "challenger": 0.46}}
    chosen = experiment["chosen"]
    delta = experiment["hate_f1"]["challenger"] - experiment["hate_f1"]["baseline"]
    holds_zero, above = {**experiment, "difference_ci": (-0.05, 0.1)}, {**experiment, "difference_ci": (0.01, 0.1)}
    checks.check_challenger_decision({"ship": "baseline", "difference": delta}, holds_zero)
    checks.check_challenger_decision({"ship": chosen, "difference": delta}, above)
    with pytest.raises(CheckFailed, match="no value"):
        checks.check_challenger_decision(None, holds_zero)
    _rejects(lambda a: checks.check_challenger_decision(a, holds_zero), {"ship": chosen, "difference": delta}, "holds 0")
    _rejects(lambda a: checks.check_challenger_decision(a, holds_zero), {"ship": "baseline", "difference": -delta}, "wrong sign")


def _margin_case(seed=7, chosen=None):
    from ftcourse.evaluation import paired_bootstrap

    rng = np.random.default_rng(6)
    y_dev, y_test = rng.integers(0, 3, 150), rng.integers(0, 3, 150)

    def noisy(y, rate):
        return np.where(rng.random(len(y)) < rate, rng.integers(0, 3, len(y)), y)

    dev = {0.5: noisy(y_dev, 0.3), 5.0: noisy(y_dev, 0.6)}  # 0.5 is best on dev
    base, tuned = noisy(y_test, 0.6), {0.5: noisy(y_test, 0.3), 5.0: noisy(y_test, 0.1)}  # 5.0 would be best on test
    chosen = chosen or 0.5
    paired = paired_bootstrap(lambda y, p: float(np.mean(y == p)), y_test, base, tuned[chosen], n_resamples=200, seed=seed)
    experiment = {
        "dev_predictions": dev,
        "chosen": chosen,
        "test_predictions": {"base": base, "chosen": tuned[chosen]},
        "knn_accuracy": {"base": paired["metric_a"], "chosen": paired["metric_b"]},
        "difference_ci": (paired["low"], paired["high"]),
    }
    return experiment, y_dev, y_test, base


def test_margin_experiment_rejects_the_stub_and_wrong_protocols():
    right, y_dev, y_test, base = _margin_case()

    def check(experiment):
        checks.check_margin_experiment(experiment, (0.5, 5.0), y_dev, y_test, base, 7, 200)

    check(right)
    with pytest.raises(CheckFailed, match="no value"):
        check(None)
    _rejects(check, _margin_case(chosen=5.0)[0], "dev score is highest")  # chosen on test
    dev_accuracy = float(np.mean(right["dev_predictions"][0.5] == y_dev))
    _rejects(check, {**right, "knn_accuracy": {**right["knn_accuracy"], "chosen": dev_accuracy}}, "dev score")
    _rejects(check, _margin_case(seed=8)[0], "seed")
    _rejects(
        check, {**right, "test_predictions": {**right["test_predictions"], "base": right["test_predictions"]["chosen"]}}, "base"
    )


def test_margin_decision_reads_the_interval():
    experiment = _margin_case()[0]
    delta = experiment["knn_accuracy"]["chosen"] - experiment["knn_accuracy"]["base"]
    holds_zero = {**experiment, "difference_ci": (-0.01, 0.2)}
    checks.check_margin_decision({"verdict": "no clear difference", "difference": delta}, holds_zero)
    with pytest.raises(CheckFailed, match="no value"):
        checks.check_margin_decision(None, holds_zero)
    _rejects(lambda a: checks.check_margin_decision(a, holds_zero), {"verdict": "gain", "difference": delta}, "holds 0")
    _rejects(
        lambda a: checks.check_margin_decision(a, holds_zero),
        {"verdict": "no clear difference", "difference": -delta},
        "wrong sign",
    )


def _loss_case(seed=7, chosen="online_contrastive"):
    from sklearn.metrics import average_precision_score

    from ftcourse.evaluation import paired_bootstrap

    rng = np.random.default_rng(4)
    y_dev, y_test = rng.integers(0, 2, 200), rng.integers(0, 2, 200)

    def cosines(y, signal):
        return signal * y + rng.normal(0, 1, len(y))

    dev = {"contrastive": cosines(y_dev, 0.8), "online_contrastive": cosines(y_dev, 1.5)}  # online wins on dev
    base, test = cosines(y_test, 0.5), {"contrastive": cosines(y_test, 2.5), "online_contrastive": cosines(y_test, 1.5)}
    paired = paired_bootstrap(average_precision_score, y_test, base, test[chosen], n_resamples=200, seed=seed)
    experiment = {
        "dev_scores": dev,
        "chosen": chosen,
        "test_scores": {"base": base, "chosen": test[chosen]},
        "average_precision": {"base": paired["metric_a"], "chosen": paired["metric_b"]},
        "difference_ci": (paired["low"], paired["high"]),
    }
    return experiment, y_dev, y_test, base


def test_loss_experiment_rejects_the_stub_and_wrong_protocols():
    from sklearn.metrics import average_precision_score

    right, y_dev, y_test, base = _loss_case()

    def check(experiment):
        checks.check_loss_experiment(experiment, ("contrastive", "online_contrastive"), y_dev, y_test, base, 7, 200)

    check(right)
    with pytest.raises(CheckFailed, match="no value"):
        check(None)
    _rejects(check, _loss_case(chosen="contrastive")[0], "dev score is highest")  # the loss that wins on test
    dev_ap = average_precision_score(y_dev, right["dev_scores"]["online_contrastive"])
    _rejects(check, {**right, "average_precision": {**right["average_precision"], "chosen": dev_ap}}, "dev score")
    _rejects(check, {**right, "difference_ci": (-right["difference_ci"][1], -right["difference_ci"][0])}, "base model minus")


def test_loss_decision_reads_the_interval():
    experiment = _loss_case()[0]
    delta = experiment["average_precision"]["chosen"] - experiment["average_precision"]["base"]
    holds_zero, above = {**experiment, "difference_ci": (-0.01, 0.1)}, {**experiment, "difference_ci": (0.01, 0.1)}
    checks.check_loss_decision({"verdict": "no clear difference", "difference": delta}, holds_zero)
    checks.check_loss_decision({"verdict": "gain", "difference": delta}, above)
    with pytest.raises(CheckFailed, match="no value"):
        checks.check_loss_decision(None, holds_zero)
    _rejects(lambda a: checks.check_loss_decision(a, holds_zero), {"verdict": "gain", "difference": delta}, "holds 0")
    _rejects(
        lambda a: checks.check_loss_decision(a, above),
        {"verdict": "gain", "difference": experiment["average_precision"]["chosen"]},
        "itself",
    )


def test_feature_experiment_and_decision():
    right, y_dev, y_test, base = _margin_case()  # the same shape of data: class predictions per row
    sets = {0.5: "u, v, |u - v|", 5.0: "u, v, |u - v|, u * v"}

    def renamed(experiment):
        return {
            **experiment,
            "dev_predictions": {sets[m]: p for m, p in experiment["dev_predictions"].items()},
            "chosen": sets[experiment["chosen"]],
            "accuracy": experiment["knn_accuracy"],
        }

    def check(experiment):
        checks.check_feature_experiment(experiment, list(sets.values()), y_dev, y_test, base, 7, 200)

    experiment = renamed(right)
    check(experiment)
    with pytest.raises(CheckFailed, match="no value"):
        check(None)
    _rejects(check, renamed(_margin_case(chosen=5.0)[0]), "dev score is highest")  # the set that wins on test
    _rejects(check, renamed(_margin_case(seed=8)[0]), "seed")
    delta = experiment["accuracy"]["chosen"] - experiment["accuracy"]["base"]
    holds_zero = {**experiment, "difference_ci": (-0.01, 0.2)}
    checks.check_feature_decision({"verdict": "no clear difference", "difference": delta}, holds_zero)
    _rejects(lambda a: checks.check_feature_decision(a, holds_zero), {"verdict": "gain", "difference": delta}, "holds 0")
    _rejects(lambda a: checks.check_feature_decision(a, experiment), {"verdict": "gain", "difference": -delta}, "wrong sign")


def test_loss_choice_answers_exist_in_the_registry():
    from ftcourse import checks as module
    from ftcourse.embedder.losses import list_losses

    accepted = {
        "cosine_similarity",
        "cosent",
        "angle",
        "contrastive",
        "online_contrastive",
        "mnrl",
        "cached_mnrl",
        "mnsrl",
        "matryoshka_mnrl",
        "batch_all_triplet",
        "batch_hard_triplet",
        "batch_semi_hard_triplet",
    }
    assert accepted <= set(list_losses())
    assert module.check_loss_choice.__doc__


def test_ece():
    from ftcourse.calibration import ece

    checks.check_ece(ece)
    _rejects(checks.check_ece, lambda y, p, n: float(np.mean(np.abs(np.asarray(y) - np.asarray(p)))))  # no bins: the mean error
    _rejects(checks.check_ece, lambda y, p, n: 0.5)
    with pytest.raises(NotImplementedError):
        checks.check_ece(_stub)


def test_legacy_arguments():
    def right(fit, steps_per_epoch):
        return {
            "output_dir": fit["output_path"],
            "num_train_epochs": fit["epochs"],
            "learning_rate": fit["optimizer_params"]["lr"],
            "warmup_steps": fit["warmup_steps"] / (fit["epochs"] * steps_per_epoch),
            "eval_strategy": "steps",
            "eval_steps": fit["evaluation_steps"],
        }

    checks.check_legacy_arguments(right)
    # An exact step count is as right as the share of the steps.
    checks.check_legacy_arguments(lambda fit, n: {**right(fit, n), "warmup_steps": fit["warmup_steps"]})
    with pytest.raises(NotImplementedError):
        checks.check_legacy_arguments(_stub)
    _rejects(checks.check_legacy_arguments, lambda fit, n: {**right(fit, n), "evaluation_strategy": "steps"}, "deprecated")
    _rejects(checks.check_legacy_arguments, lambda fit, n: {**right(fit, n), "warmup_steps": 0.3}, "warmup")
    _rejects(checks.check_legacy_arguments, lambda fit, n: {**right(fit, n), "eval_strategy": "epoch"}, "eval_strategy")


def test_hp_space():
    def right(trial):
        return {
            "learning_rate": trial.suggest_float("learning_rate", 1e-5, 1e-3, log=True),
            "num_train_epochs": trial.suggest_int("num_train_epochs", 1, 3),
            "warmup_steps": trial.suggest_categorical("warmup_steps", [0.0, 0.1, 0.3]),
        }

    checks.check_hp_space(right)
    with pytest.raises(NotImplementedError):
        checks.check_hp_space(_stub)

    def linear(trial):
        return {"learning_rate": trial.suggest_float("learning_rate", 1e-5, 1e-3), "num_train_epochs": 1, "warmup_steps": 0.1}

    def old_name(trial):
        return {**right(trial), "warmup_ratio": 0.1}

    def whole_steps(trial):
        return {
            "learning_rate": trial.suggest_float("learning_rate", 1e-5, 1e-3, log=True),
            "num_train_epochs": 1,
            "warmup_steps": trial.suggest_int("warmup_steps", 0, 100),
        }

    _rejects(checks.check_hp_space, linear, "linear scale")
    _rejects(checks.check_hp_space, old_name, "warmup_ratio")
    _rejects(checks.check_hp_space, whole_steps, "warmup_steps")


def test_rerank():
    def right(first_stage, score_pair, k):
        order = [int(j) for j in np.argsort(-first_stage, kind="stable")]
        return sorted(order[:k], key=lambda j: -score_pair(j)) + order[k:]

    checks.check_rerank(right)
    with pytest.raises(NotImplementedError, match="still the stub"):
        checks.check_rerank(_stub)

    def everything(first_stage, score_pair, k):  # reranks the whole corpus: right order for k = all, but slow
        return sorted(range(len(first_stage)), key=lambda j: -score_pair(j))

    def ascending(first_stage, score_pair, k):
        order = [int(j) for j in np.argsort(-first_stage, kind="stable")]
        return sorted(order[:k], key=score_pair) + order[k:]

    def only_top(first_stage, score_pair, k):
        return right(first_stage, score_pair, k)[:k]

    def rest_by_index(first_stage, score_pair, k):
        head = right(first_stage, score_pair, k)[:k]
        return head + [j for j in range(len(first_stage)) if j not in head]

    _rejects(checks.check_rerank, everything, "scored 7 documents")
    _rejects(checks.check_rerank, ascending, "ascending")
    _rejects(checks.check_rerank, only_top, "only the k")
    _rejects(checks.check_rerank, rest_by_index, "beyond the top k")
    _rejects(
        checks.check_rerank, lambda first_stage, score_pair, k: [int(j) for j in np.argsort(-first_stage)], "kept the first stage"
    )


def test_labeled_pairs():
    import pandas as pd

    def right(triplets):
        rows = [{"query": a, "document": p, "label": 1} for a, p in zip(triplets["anchor"], triplets["positive"], strict=True)]
        for column in [c for c in triplets.columns if c.startswith("negative")]:
            rows += [{"query": a, "document": n, "label": 0} for a, n in zip(triplets["anchor"], triplets[column], strict=True)]
        return pd.DataFrame(rows)

    checks.check_labeled_pairs(right)
    with pytest.raises(NotImplementedError, match="still the stub"):
        checks.check_labeled_pairs(_stub)

    def first_negative_only(triplets):
        return right(triplets.drop(columns=["negative_2"]))

    def all_ones(triplets):
        return right(triplets).assign(label=1)

    def negatives_only(triplets):
        table = right(triplets)
        return table[table["label"] == 0]

    _rejects(checks.check_labeled_pairs, first_negative_only, "first negative")
    _rejects(checks.check_labeled_pairs, all_ones, "labelled 1")
    _rejects(checks.check_labeled_pairs, negatives_only, "positive is missing")
    _rejects(checks.check_labeled_pairs, lambda t: t, "not a DataFrame")


def test_setfit_pairs():
    from ftcourse.fewshot import setfit_pairs

    checks.check_setfit_pairs(lambda texts, labels, n, seed: setfit_pairs(texts, labels, num_iterations=n, seed=seed))

    def positives_only(texts, labels, n, seed):
        pairs = setfit_pairs(texts, labels, num_iterations=n, seed=seed)
        return pairs[pairs["score"] == 1.0]

    def flipped(texts, labels, n, seed):
        return setfit_pairs(texts, labels, num_iterations=n, seed=seed).assign(score=lambda d: 1.0 - d["score"])

    def with_self(texts, labels, n, seed):
        return pd.DataFrame({"sentence1": texts * n, "sentence2": texts * n, "score": 1.0})

    _rejects(checks.check_setfit_pairs, positives_only, "different-class pairs")
    _rejects(checks.check_setfit_pairs, flipped, "scores")
    _rejects(checks.check_setfit_pairs, with_self, "itself")
    _rejects(checks.check_setfit_pairs, lambda t, lab, n, s: pd.DataFrame({"a": [1]}), "columns")
    _rejects(checks.check_setfit_pairs, None, "no value")
    with pytest.raises(NotImplementedError):
        checks.check_setfit_pairs(_stub)


def test_lora_parameters():
    checks.check_lora_parameters(lambda d_in, d_out, r: r * (d_in + d_out))
    _rejects(checks.check_lora_parameters, lambda d_in, d_out, r: d_in * d_out, "frozen layer")
    _rejects(checks.check_lora_parameters, lambda d_in, d_out, r: r * d_in)
    _rejects(checks.check_lora_parameters, lambda d_in, d_out, r: r * (d_in + d_out) + d_out)  # a bias LoRA does not add
    with pytest.raises(NotImplementedError):
        checks.check_lora_parameters(_stub)


def _description_case(seed=7, chosen="mine"):
    from sklearn.metrics import f1_score

    from ftcourse.evaluation import paired_bootstrap

    rng = np.random.default_rng(9)
    y_dev, y_test = rng.integers(0, 3, 150), rng.integers(0, 3, 150)

    def noisy(y, rate):
        return np.where(rng.random(len(y)) < rate, rng.integers(0, 3, len(y)), y)

    dev = {"lesson": noisy(y_dev, 0.7), "mine": noisy(y_dev, 0.4)}  # "mine" is best on dev
    frozen, zero_shot = noisy(y_test, 0.4), {"lesson": noisy(y_test, 0.2), "mine": noisy(y_test, 0.5)}  # "lesson" best on test

    def macro_f1(y, p):
        return float(f1_score(y, p, labels=np.unique(y), average="macro", zero_division=0))

    paired = paired_bootstrap(macro_f1, y_test, frozen, zero_shot[chosen], n_resamples=200, seed=seed)
    experiment = {
        "dev_predictions": dev,
        "chosen": chosen,
        "test_predictions": {"base": frozen, "chosen": zero_shot[chosen]},
        "macro_f1": {"base": paired["metric_a"], "chosen": paired["metric_b"]},
        "difference_ci": (paired["low"], paired["high"]),
    }
    return experiment, y_dev, y_test, frozen


def test_description_experiment_rejects_the_stub_and_wrong_protocols():
    right, y_dev, y_test, frozen = _description_case()

    def check(experiment, sets=("lesson", "mine")):
        checks.check_description_experiment(experiment, sets, y_dev, y_test, frozen, 7, 200)

    check(right)
    with pytest.raises(CheckFailed, match="no value"):
        check(None)
    _rejects(lambda e: check(e, sets=("lesson",)), right, "only one set")
    _rejects(check, _description_case(chosen="lesson")[0], "dev score is highest")  # chosen on test
    _rejects(check, _description_case(seed=8)[0], "seed")
    swapped = {**right, "test_predictions": {**right["test_predictions"], "base": right["test_predictions"]["chosen"]}}
    _rejects(check, swapped, "frozen + LR")


def test_description_decision_reads_the_interval():
    experiment = _description_case()[0]
    delta = experiment["macro_f1"]["chosen"] - experiment["macro_f1"]["base"]
    below = {**experiment, "difference_ci": (-0.3, -0.05)}
    checks.check_description_decision({"verdict": "loss", "difference": delta}, below)
    with pytest.raises(CheckFailed, match="no value"):
        checks.check_description_decision(None, below)
    _rejects(lambda a: checks.check_description_decision(a, below), {"verdict": "no clear difference", "difference": delta}, "")
    _rejects(lambda a: checks.check_description_decision(a, below), {"verdict": "loss", "difference": -delta}, "wrong sign")


def _leakage_case():
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(60)]

    def tweet(label):
        pool = words[label * 20 : label * 20 + 20] if rng.random() < 0.7 else words
        return " ".join(rng.choice(pool, 6))

    labels = rng.integers(0, 3, 200)
    train = pd.DataFrame({"clean": [tweet(y) for y in labels[:150]], "label": labels[:150]}, index=np.arange(150) * 3)
    test = pd.DataFrame({"clean": [tweet(y) for y in labels[150:]], "label": labels[150:]}, index=np.arange(50) * 7)
    test.iloc[:8, 0] = [train["clean"].iloc[i] + " extra" for i in range(8)]  # eight leaked test tweets
    test.iloc[:8, 1] = train["label"].iloc[:8].to_numpy()
    return train, test, 0.8


def _leakage_experiment(train, test, threshold, seed=7, n_resamples=200, remove="train"):
    from ftcourse.baselines import tfidf_logreg
    from ftcourse.evaluation import paired_bootstrap
    from ftcourse.prepare import cross_split_duplicates

    leaks = cross_split_duplicates(train["clean"], test["clean"], threshold=threshold)
    removed = leaks[remove].unique()
    keep = np.ones(len(train), dtype=bool)
    keep[removed[removed < len(train)]] = False
    predictions = {
        name: tfidf_logreg(class_weight="balanced", seed=seed).fit(rows["clean"], rows["label"]).predict(test["clean"])
        for name, rows in (("naive", train), ("decontaminated", train[keep]))
    }
    y = test["label"].to_numpy()
    paired = paired_bootstrap(
        lambda a, b: float(np.mean(a == b)), y, predictions["decontaminated"], predictions["naive"], n_resamples, seed=seed
    )
    return {
        "leaked_test": leaks["test"].unique().tolist(),
        "removed_train": removed.tolist(),
        "test_predictions": predictions,
        "accuracy": {"naive": paired["metric_b"], "decontaminated": paired["metric_a"]},
        "difference_ci": (paired["low"], paired["high"]),
    }


def test_leakage_experiment_rejects_the_stub_and_wrong_protocols():
    from sklearn.metrics import f1_score

    train, test, threshold = _leakage_case()

    def check(experiment):
        checks.check_leakage_experiment(experiment, train, test, threshold, 7, 200)

    right = _leakage_experiment(train, test, threshold)
    assert len(right["leaked_test"]) >= 8
    check(right)
    with pytest.raises(CheckFailed, match="no value"):
        check(None)
    # The leaked test tweets removed instead of their training copies.
    _rejects(check, {**right, "removed_train": right["leaked_test"]}, "test* tweets")
    # The decontaminated model trained on everything after all.
    twice_naive = {"naive": right["test_predictions"]["naive"], "decontaminated": right["test_predictions"]["naive"]}
    _rejects(check, {**right, "test_predictions": twice_naive}, "exactly as the naive")
    # The leaked tweets dropped from the test set: the two models no longer answer the same rows.
    clean_rows = np.setdiff1d(np.arange(len(test)), right["leaked_test"])
    dropped = {**right["test_predictions"], "decontaminated": right["test_predictions"]["decontaminated"][clean_rows]}
    _rejects(check, {**right, "test_predictions": dropped}, "same rows")
    # Index labels instead of positions.
    _rejects(check, {**right, "leaked_test": test.index[right["leaked_test"]].tolist()}, "index labels")
    # Macro-F1 reported as accuracy; the interval of one model alone; another seed.
    macro = f1_score(test["label"], right["test_predictions"]["naive"], average="macro")
    _rejects(check, {**right, "accuracy": {**right["accuracy"], "naive": macro}}, "macro-F1")
    reversed_ci = (-right["difference_ci"][1], -right["difference_ci"][0])
    _rejects(check, {**right, "difference_ci": reversed_ci}, "decontaminated minus naive")
    _rejects(check, {**right, "difference_ci": (0.5, 0.9)}, "paired interval is")


def test_leakage_decision_reads_the_paired_interval():
    train, test, threshold = _leakage_case()
    experiment = _leakage_experiment(train, test, threshold)
    delta = experiment["accuracy"]["naive"] - experiment["accuracy"]["decontaminated"]
    holds_zero = {**experiment, "difference_ci": (-0.02, 0.06)}
    checks.check_leakage_decision({"verdict": "no clear difference", "difference": delta}, holds_zero)
    checks.check_leakage_decision({"verdict": "gain", "difference": delta}, {**experiment, "difference_ci": (0.01, 0.06)})

    def check(answer):
        checks.check_leakage_decision(answer, holds_zero)

    with pytest.raises(CheckFailed, match="no value"):
        check(None)
    if delta > 0:
        _rejects(check, {"verdict": "gain", "difference": delta}, "holds 0")
    _rejects(check, {"verdict": "no clear difference", "difference": -delta - 0.01}, "Part B gives")
    _rejects(check, {"verdict": "no clear difference", "difference": experiment["accuracy"]["naive"]}, "itself")


def _length_case():
    rng = np.random.default_rng(5)
    answers = [f"answer {i % 25}" for i in range(30)]  # rows 25-29 repeat answers 0-4
    short = rng.normal(size=(30, 30)) + 1.5 * np.eye(30)
    long = short + rng.normal(scale=0.4, size=(30, 30)) + 0.8 * np.eye(30)  # the same questions, a little better
    return answers, short, long


def _length_experiment(answers, short, long, seed=7, n_resamples=200, relevant=None):
    from ftcourse.evaluation import bootstrap_ci, paired_bootstrap, retrieval_metrics

    relevant = relevant or [{j for j, other in enumerate(answers) if other == text} for text in answers]
    per = {
        n: retrieval_metrics(s, relevant, ks=(10,), per_query=True)["ndcg@10"].to_numpy()
        for n, s in [("short", short), ("long", long)]
    }
    paired = paired_bootstrap(
        lambda _, v: float(np.mean(v)), np.zeros(len(answers)), per["short"], per["long"], n_resamples=n_resamples, seed=seed
    )
    return {
        "scores": {"short": short, "long": long},
        "ndcg": {name: float(v.mean()) for name, v in per.items()},
        "separate_ci": {name: bootstrap_ci(np.mean, v, n_resamples=n_resamples, seed=seed)[1:] for name, v in per.items()},
        "difference_ci": (paired["low"], paired["high"]),
    }


def test_length_experiment_rejects_the_stub_and_wrong_protocols():
    answers, short, long = _length_case()

    def check(experiment):
        checks.check_length_experiment(experiment, answers, short, 7, 200)

    right = _length_experiment(answers, short, long)
    check(right)
    with pytest.raises(CheckFailed, match="no value"):
        check(None)
    # One relevant answer per question (the old exercise 08).
    _rejects(
        check,
        {**right, "ndcg": _length_experiment(answers, short, long, relevant=[{i} for i in range(30)])["ndcg"]},
        "one relevant",
    )
    # Only some questions scored (lesson 08's test split), and the long scores never recomputed.
    _rejects(check, {**right, "scores": {"short": short[:10], "long": long[:10]}}, "every FAQ question")
    _rejects(check, {**right, "scores": {"short": short, "long": short}}, "max_seq_length")
    # The paired interval given as a separate one; the long setting's interval given as the difference's; another seed.
    _rejects(check, {**right, "separate_ci": {**right["separate_ci"], "long": right["difference_ci"]}}, "separate_ci['long']")
    _rejects(check, {**right, "difference_ci": right["separate_ci"]["long"]}, "alone")
    _rejects(check, _length_experiment(answers, short, long, seed=8), "seed")


def test_length_decision_reads_the_paired_interval_not_the_overlap():
    answers, short, long = _length_case()
    experiment = _length_experiment(answers, short, long)
    delta = experiment["ndcg"]["long"] - experiment["ndcg"]["short"]
    overlapping = {**experiment, "separate_ci": {"short": (0.4, 0.7), "long": (0.5, 0.8)}, "difference_ci": (0.02, 0.1)}
    checks.check_length_decision({"verdict": "gain", "difference": delta, "separate_intervals_overlap": True}, overlapping)

    def check(answer):
        checks.check_length_decision(answer, overlapping)

    with pytest.raises(CheckFailed, match="no value"):
        check(None)
    # The overlap of two separate intervals read as "no difference".
    _rejects(check, {"verdict": "no clear difference", "difference": delta, "separate_intervals_overlap": True}, "overlap, but")
    _rejects(check, {"verdict": "gain", "difference": delta, "separate_intervals_overlap": False}, "do overlap")
    _rejects(check, {"verdict": "gain", "difference": -delta, "separate_intervals_overlap": True}, "wrong sign")
    holds_zero = {**overlapping, "difference_ci": (-0.01, 0.1)}
    if delta > 0:
        _rejects(
            lambda a: checks.check_length_decision(a, holds_zero),
            {"verdict": "gain", "difference": delta, "separate_intervals_overlap": True},
            "holds 0",
        )


def _temperature_case():
    rng = np.random.default_rng(15)

    def split(n):
        truth = rng.beta(0.5, 2.0, n)  # mostly low probabilities, as for a rare label
        y = (rng.random(n) < truth).astype(int)
        logits = 2.5 * np.log(truth / (1 - truth))  # over-confident: a temperature of about 2.5 would undo it
        return y, 1 / (1 + np.exp(-logits))

    return split(600), split(600)


def _temperature_experiment(validation, test, fit_on=None, seed=7, n_resamples=200):
    from ftcourse.calibration import apply_temperature, ece, fit_temperature, probabilities_to_logits
    from ftcourse.evaluation import paired_bootstrap

    y, p = fit_on or validation
    temperature = fit_temperature(probabilities_to_logits(p), y)
    scaled = apply_temperature(probabilities_to_logits(test[1]), temperature)
    paired = paired_bootstrap(lambda a, b: ece(a, b, 10), test[0], test[1], scaled, n_resamples=n_resamples, seed=seed)
    return {
        "temperature": temperature,
        "test_probabilities": scaled,
        "ece": {"before": paired["metric_a"], "after": paired["metric_b"]},
        "difference_ci": (paired["low"], paired["high"]),
    }


def test_temperature_experiment_rejects_the_stub_and_wrong_protocols():
    from ftcourse.calibration import ece

    validation, test = _temperature_case()

    def check(experiment):
        checks.check_temperature_experiment(experiment, validation, test, 10, 7, 200)

    right = _temperature_experiment(validation, test)
    check(right)
    with pytest.raises(CheckFailed, match="no value"):
        check(None)
    # The temperature fitted on the test comments.
    _rejects(check, _temperature_experiment(validation, test, fit_on=test), "fitted on the test")
    # The unscaled probabilities, and the ECE after scaling read with other bins.
    _rejects(check, {**right, "test_probabilities": test[1]}, "unscaled")
    wrong_bins = {**right["ece"], "after": ece(test[0], right["test_probabilities"], 15)}
    _rejects(check, {**right, "ece": wrong_bins}, "N_BINS=10")
    # The interval of after alone, and another seed.
    _rejects(check, {**right, "difference_ci": (0.0, right["ece"]["after"])}, "paired interval is")
    _rejects(check, _temperature_experiment(validation, test, seed=8), "seed")


def test_temperature_decision_ships_only_a_demonstrated_improvement():
    validation, test = _temperature_case()
    experiment = _temperature_experiment(validation, test)
    delta = experiment["ece"]["after"] - experiment["ece"]["before"]
    lower = {**experiment, "difference_ci": (-0.05, -0.01)}
    holds_zero = {**experiment, "difference_ci": (-0.05, 0.01)}
    higher = {**experiment, "difference_ci": (0.01, 0.05)}
    checks.check_temperature_decision({"ship": "temperature", "difference": delta}, lower)
    checks.check_temperature_decision({"ship": "none", "difference": delta}, holds_zero)
    with pytest.raises(CheckFailed, match="no value"):
        checks.check_temperature_decision(None, lower)
    _rejects(lambda a: checks.check_temperature_decision(a, holds_zero), {"ship": "temperature", "difference": delta}, "holds 0")
    _rejects(lambda a: checks.check_temperature_decision(a, lower), {"ship": "none", "difference": delta}, "demonstrably")
    _rejects(
        lambda a: checks.check_temperature_decision(a, higher), {"ship": "temperature", "difference": delta}, "lower is better"
    )
    _rejects(lambda a: checks.check_temperature_decision(a, lower), {"ship": "temperature", "difference": -delta}, "wrong sign")


def _learning_rate_case(seed=7, chosen=2e-4):
    from sklearn.metrics import f1_score

    from ftcourse.evaluation import paired_bootstrap

    rng = np.random.default_rng(11)
    y_dev, y_test = rng.integers(0, 3, 120), rng.integers(0, 3, 180)

    def noisy(y, rate):
        return np.where(rng.random(len(y)) < rate, rng.integers(0, 3, len(y)), y)

    dev = {1e-5: noisy(y_dev, 0.8), 2e-4: noisy(y_dev, 0.4)}  # 2e-4 is best on dev
    default, test = noisy(y_test, 0.5), {1e-5: noisy(y_test, 0.2), 2e-4: noisy(y_test, 0.4)}  # 1e-5 best on test

    def macro_f1(y, p):
        return float(f1_score(y, p, labels=[0, 1, 2], average="macro", zero_division=0))

    paired = paired_bootstrap(macro_f1, y_test, default, test[chosen], n_resamples=200, seed=seed)
    experiment = {
        "dev_predictions": dev,
        "chosen": chosen,
        "test_predictions": {"base": default, "chosen": test[chosen]},
        "macro_f1": {"base": paired["metric_a"], "chosen": paired["metric_b"]},
        "difference_ci": (paired["low"], paired["high"]),
    }
    return experiment, y_dev, y_test, default


def test_learning_rate_experiment_rejects_the_stub_and_wrong_protocols():
    right, y_dev, y_test, default = _learning_rate_case()

    def check(experiment, rates=(1e-5, 2e-4)):
        checks.check_learning_rate_experiment(experiment, rates, y_dev, y_test, default, 7, 200)

    check(right)
    with pytest.raises(CheckFailed, match="no value"):
        check(None)
    _rejects(lambda e: check(e, rates=(2e-4,)), right, "only one learning rate")
    _rejects(check, _learning_rate_case(chosen=1e-5)[0], "dev score is highest")  # chosen on test
    _rejects(check, _learning_rate_case(seed=8)[0], "seed")
    swapped = {**right, "test_predictions": {**right["test_predictions"], "base": right["test_predictions"]["chosen"]}}
    _rejects(check, swapped, "default recipe")
    dev_f1 = float(checks._macro_f1(y_dev, right["dev_predictions"][2e-4]))
    _rejects(check, {**right, "macro_f1": {**right["macro_f1"], "chosen": dev_f1}}, "dev score")


def test_learning_rate_decision_reads_the_interval():
    experiment = _learning_rate_case()[0]
    delta = experiment["macro_f1"]["chosen"] - experiment["macro_f1"]["base"]
    holds_zero = {**experiment, "difference_ci": (-0.05, 0.08)}
    checks.check_learning_rate_decision({"verdict": "no clear difference", "difference": delta}, holds_zero)
    with pytest.raises(CheckFailed, match="no value"):
        checks.check_learning_rate_decision(None, holds_zero)
    decide = lambda a: checks.check_learning_rate_decision(a, holds_zero)  # noqa: E731
    _rejects(decide, {"verdict": "gain" if delta > 0 else "loss", "difference": delta}, "")
    _rejects(decide, {"verdict": "no clear difference", "difference": -delta}, "wrong sign")


def _sts_case(seed=7, chosen="cosent"):
    from scipy.stats import spearmanr

    from ftcourse.evaluation import paired_bootstrap

    rng = np.random.default_rng(5)
    y_dev, y_test = rng.random(120), rng.random(160)

    def noisy(y, noise):
        return y + rng.normal(0, noise, len(y))

    dev = {"cosine_similarity": noisy(y_dev, 0.6), "cosent": noisy(y_dev, 0.2)}  # cosent is best on dev
    base, test = noisy(y_test, 0.4), {"cosine_similarity": noisy(y_test, 0.1), "cosent": noisy(y_test, 0.3)}

    def spearman(y, s):
        return float(spearmanr(y, s).statistic)

    paired = paired_bootstrap(spearman, y_test, base, test[chosen], n_resamples=200, seed=seed)
    experiment = {
        "dev_scores": dev,
        "chosen": chosen,
        "test_scores": {"base": base, "chosen": test[chosen]},
        "spearman": {"base": paired["metric_a"], "chosen": paired["metric_b"]},
        "difference_ci": (paired["low"], paired["high"]),
    }
    return experiment, y_dev, y_test, base


def test_sts_loss_experiment_rejects_the_stub_and_wrong_protocols():
    right, y_dev, y_test, base = _sts_case()

    def check(experiment, losses=("cosine_similarity", "cosent")):
        checks.check_sts_loss_experiment(experiment, losses, y_dev, y_test, base, 7, 200)

    check(right)
    with pytest.raises(CheckFailed, match="no value"):
        check(None)
    _rejects(lambda e: check(e, losses=("cosent",)), right, "only one loss")
    _rejects(lambda e: check(e, losses=("cosent", "contrastive")), right, "graded")
    _rejects(check, _sts_case(chosen="cosine_similarity")[0], "dev score is highest")  # chosen on test
    _rejects(check, _sts_case(seed=8)[0], "seed")
    swapped = {**right, "test_scores": {**right["test_scores"], "base": right["test_scores"]["chosen"]}}
    _rejects(check, swapped, "base model")
    separate = checks.bootstrap_ci(checks._spearman, y_test, right["test_scores"]["chosen"], n_resamples=200, seed=7)
    _rejects(check, {**right, "difference_ci": separate[1:]}, "alone")


def test_sts_loss_decision_reads_the_interval():
    experiment = _sts_case()[0]
    delta = experiment["spearman"]["chosen"] - experiment["spearman"]["base"]
    above = {**experiment, "difference_ci": (0.01, 0.2)}
    checks.check_sts_loss_decision({"verdict": "gain", "difference": delta}, above)
    with pytest.raises(CheckFailed, match="no value"):
        checks.check_sts_loss_decision(None, above)
    _rejects(lambda a: checks.check_sts_loss_decision(a, above), {"verdict": "no clear difference", "difference": delta}, "")
    _rejects(lambda a: checks.check_sts_loss_decision(a, above), {"verdict": "gain", "difference": -delta}, "wrong sign")


def _first_stage_case(seed=7, chosen="fusion"):
    # fusion is best on dev, bm25 on test
    return _ranking_case({"bi-encoder": 1.0, "bm25": 0.2, "fusion": 3.0}, {"bm25": 4.0, "fusion": 1.5}, chosen, seed)


def _ranking_case(dev_strength: dict, test_strength: dict, chosen, seed):
    """Exercises 07 and 12: random question x answer matrices where the right answer gets a bonus of this strength."""
    from ftcourse.evaluation import paired_bootstrap, retrieval_metrics

    rng = np.random.default_rng(12)
    n_docs = 30
    relevant_dev = [{int(j)} for j in rng.integers(0, n_docs, 40)]
    relevant_test = [{int(j)} for j in rng.integers(0, n_docs, 50)]

    def matrix(relevant, strength):
        scores = rng.normal(size=(len(relevant), n_docs))
        for row, right in enumerate(relevant):
            scores[row, list(right)] += strength
        return scores

    dev = {option: matrix(relevant_dev, strength) for option, strength in dev_strength.items()}
    bi_test = matrix(relevant_test, 1.0)
    test = {option: matrix(relevant_test, strength) for option, strength in test_strength.items()}

    def per_question(scores):
        return retrieval_metrics(scores, relevant_test, ks=(10,), per_query=True)["ndcg@10"].to_numpy()

    mean = lambda _unused, values: float(np.mean(values))  # noqa: E731
    zeros = np.zeros(len(relevant_test))
    paired = paired_bootstrap(mean, zeros, per_question(bi_test), per_question(test[chosen]), n_resamples=200, seed=seed)
    experiment = {
        "dev_scores": dev,
        "chosen": chosen,
        "test_scores": {"base": bi_test, "chosen": test[chosen]},
        "ndcg": {"base": paired["metric_a"], "chosen": paired["metric_b"]},
        "difference_ci": (paired["low"], paired["high"]),
    }
    return experiment, relevant_dev, relevant_test, bi_test


def test_first_stage_experiment_rejects_the_stub_and_wrong_protocols():
    right, relevant_dev, relevant_test, bi_test = _first_stage_case()
    stages = ("bi-encoder", "bm25", "fusion")

    def check(experiment, first_stages=stages):
        checks.check_first_stage_experiment(experiment, first_stages, relevant_dev, relevant_test, bi_test, 7, 200)

    check(right)
    with pytest.raises(CheckFailed, match="no value"):
        check(None)
    _rejects(lambda e: check(e, first_stages=("fusion",)), right, "only one first stage")
    _rejects(check, _first_stage_case(chosen="bm25")[0], "dev score is highest")  # chosen on test
    _rejects(check, _first_stage_case(seed=8)[0], "seed")
    swapped = {**right, "test_scores": {**right["test_scores"], "base": right["test_scores"]["chosen"]}}
    _rejects(check, swapped, "the bi-encoder")
    on_dev = {**right, "test_scores": {**right["test_scores"], "chosen": right["dev_scores"]["fusion"]}}
    _rejects(check, on_dev, "not one row per question")  # the dev matrix measured as if it were test


def test_first_stage_decision_reads_the_interval():
    experiment = _first_stage_case()[0]
    delta = experiment["ndcg"]["chosen"] - experiment["ndcg"]["base"]
    holds_zero = {**experiment, "difference_ci": (-0.02, 0.05)}
    checks.check_first_stage_decision({"verdict": "no clear difference", "difference": delta}, holds_zero)
    with pytest.raises(CheckFailed, match="no value"):
        checks.check_first_stage_decision(None, holds_zero)
    decide = lambda a: checks.check_first_stage_decision(a, holds_zero)  # noqa: E731
    _rejects(decide, {"verdict": "gain" if delta > 0 else "loss", "difference": delta}, "")
    _rejects(decide, {"verdict": "no clear difference", "difference": -delta}, "wrong sign")


def _batch_size_case(seed=7, chosen=16):
    return _ranking_case({4: 0.5, 16: 2.0}, {4: 4.0, 16: 1.5}, chosen, seed)  # 16 is best on dev, 4 on test


def test_batch_size_experiment_rejects_the_stub_and_wrong_protocols():
    right, relevant_dev, relevant_test, base = _batch_size_case()

    def check(experiment, sizes=(4, 16)):
        checks.check_batch_size_experiment(experiment, sizes, relevant_dev, relevant_test, base, 7, 200)

    check(right)
    with pytest.raises(CheckFailed, match="no value"):
        check(None)
    _rejects(lambda e: check(e, sizes=(16,)), right, "only one batch size")
    _rejects(check, _batch_size_case(chosen=4)[0], "dev score is highest")  # chosen on test
    _rejects(check, _batch_size_case(seed=8)[0], "seed")
    swapped = {**right, "test_scores": {**right["test_scores"], "base": right["test_scores"]["chosen"]}}
    _rejects(check, swapped, "base model")
    dev_ndcg = float(np.mean(checks._per_question_ndcg(right["dev_scores"][16], relevant_dev)))
    _rejects(check, {**right, "ndcg": {**right["ndcg"], "chosen": dev_ndcg}}, "dev score")


def test_batch_size_decision_reads_the_interval():
    experiment = _batch_size_case()[0]
    delta = experiment["ndcg"]["chosen"] - experiment["ndcg"]["base"]
    above = {**experiment, "difference_ci": (0.02, 0.2)}
    checks.check_batch_size_decision({"verdict": "gain", "difference": delta}, above)
    with pytest.raises(CheckFailed, match="no value"):
        checks.check_batch_size_decision(None, above)
    decide = lambda a: checks.check_batch_size_decision(a, above)  # noqa: E731
    _rejects(decide, {"verdict": "no clear difference", "difference": delta}, "")
    _rejects(decide, {"verdict": "gain", "difference": -delta}, "wrong sign")


def test_most_uncertain():
    def right(probabilities, k):
        ordered = np.sort(probabilities, axis=1)
        return list(np.argsort(ordered[:, -1] - ordered[:, -2], kind="stable")[:k])

    checks.check_most_uncertain(right)
    with pytest.raises(NotImplementedError, match="still the stub"):
        checks.check_most_uncertain(_stub)

    def most_confident(probabilities, k):
        ordered = np.sort(probabilities, axis=1)
        return list(np.argsort(-(ordered[:, -1] - ordered[:, -2]), kind="stable")[:k])

    def column_one(probabilities, k):  # top minus column 1, not minus the second best
        return list(np.argsort(probabilities.max(axis=1) - probabilities[:, 1], kind="stable")[:k])

    def least_confidence(probabilities, k):
        return list(np.argsort(probabilities.max(axis=1), kind="stable")[:k])

    _rejects(checks.check_most_uncertain, most_confident, "most confident")
    _rejects(checks.check_most_uncertain, column_one, "")
    _rejects(checks.check_most_uncertain, least_confidence, "")
    _rejects(checks.check_most_uncertain, lambda p, k: right(p, k)[::-1], "")


def _active_learning_case(rounds=3, batch=4, seed=7, n_resamples=200, how="right"):
    """Blobs as embeddings: a seed set, a pool, a test set; the learner's loop done right or in one of the wrong ways."""
    from sklearn.linear_model import LogisticRegression

    from ftcourse.evaluation import paired_bootstrap

    rng = np.random.default_rng(0)
    centres = np.eye(3, 5) * 2

    def blobs(n):
        y = rng.integers(0, 3, n)
        return centres[y] + rng.normal(scale=1.2, size=(n, 5)), y

    (x_seed, y_seed), (x_pool, y_pool), (x_test, y_test) = blobs(9), blobs(60), blobs(80)

    def fit_on(rows):
        rows = list(rows)
        return LogisticRegression(max_iter=500).fit(np.vstack([x_seed, x_pool[rows]]), np.r_[y_seed, y_pool[rows]])

    def margins(model, rows):
        ordered = np.sort(model.predict_proba(x_pool[rows]), axis=1)
        return ordered[:, -1] - ordered[:, -2]

    picks = {}
    for strategy in ("random", "margin"):
        picked, draw = [], np.random.default_rng(seed)
        for _ in range(rounds):
            unlabelled = np.setdiff1d(np.arange(len(x_pool)), picked)
            if strategy == "random":
                batch_rows = draw.choice(unlabelled, size=batch, replace=False)
            else:
                model = fit_on([] if how == "stale model" else picked)
                scored = np.arange(len(x_pool)) if how == "whole pool" else unlabelled
                order = np.argsort(margins(model, scored), kind="stable")
                chosen = order[-batch:] if how == "most confident" else order[:batch]
                batch_rows = chosen if how == "positions kept" else scored[chosen]
            picked.extend(int(i) for i in batch_rows)
        picks[strategy] = picked
    predictions = {"base": fit_on(picks["random"]).predict(x_test), "chosen": fit_on(picks["margin"]).predict(x_test)}
    if how == "seed-only predictions":
        predictions["chosen"] = fit_on([]).predict(x_test)
    scores = {k: checks._macro_f1(y_test, p) for k, p in predictions.items()}
    paired = paired_bootstrap(
        checks._macro_f1, y_test, predictions["base"], predictions["chosen"], n_resamples=n_resamples, seed=seed
    )
    experiment = {
        "picked": picks,
        "test_predictions": predictions,
        "macro_f1": scores,
        "difference_ci": (paired["low"], paired["high"]),
    }
    return experiment, fit_on, x_pool, x_test, y_test


def test_active_learning_experiment_replays_the_picks_and_rejects_wrong_protocols():
    right, fit_on, x_pool, x_test, y_test = _active_learning_case()

    def check(experiment):
        checks.check_active_learning_experiment(experiment, fit_on, x_pool, x_test, y_test, 3, 4, 7, 200)

    check(right)
    with pytest.raises(CheckFailed, match="no value"):
        check(None)
    _rejects(check, _active_learning_case(how="most confident")[0], "smallest margins")
    _rejects(check, _active_learning_case(how="stale model")[0], "model of round 1")
    _rejects(check, _active_learning_case(how="seed-only predictions")[0], "margin picks")
    # most_uncertain's positions index the unlabelled rows, not the pool; and labelled rows must not be scored again
    _rejects(check, _active_learning_case(how="positions kept")[0], "twice", "unlabelled[positions]")
    _rejects(check, _active_learning_case(how="whole pool")[0], "twice", "X_pool[unlabelled]")
    _rejects(check, {**right, "picked": {**right["picked"], "margin": right["picked"]["margin"][:-1]}}, "budget")
    twice = right["picked"]["random"][:-1] + right["picked"]["random"][:1]
    _rejects(check, {**right, "picked": {**right["picked"], "random": twice}}, "twice")
    _rejects(check, {**right, "picked": {**right["picked"], "random": right["picked"]["margin"]}}, "random picks are the margin")
    _rejects(check, _active_learning_case(seed=8)[0], "")  # other random picks or another bootstrap seed
    low, high = right["difference_ci"]
    _rejects(check, {**right, "difference_ci": (-high, -low)}, "random minus margin")


def test_active_learning_decision_reads_the_interval():
    experiment = _active_learning_case()[0]
    delta = experiment["macro_f1"]["chosen"] - experiment["macro_f1"]["base"]
    above = {**experiment, "difference_ci": (0.01, 0.2)}
    checks.check_active_learning_decision({"verdict": "gain", "difference": delta}, above)
    with pytest.raises(CheckFailed, match="no value"):
        checks.check_active_learning_decision(None, above)
    _rejects(
        lambda a: checks.check_active_learning_decision(a, above), {"verdict": "no clear difference", "difference": delta}, ""
    )
    _rejects(lambda a: checks.check_active_learning_decision(a, above), {"verdict": "gain", "difference": -delta}, "wrong sign")
