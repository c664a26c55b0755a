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
