"""Lesson 13's data-centric helpers on tiny data built here: learning curves, noise, confident learning, augmentation, active learning."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from ftcourse.datacentric import (
    active_learning,
    augment_texts,
    crossing_size,
    detection_scores,
    fine_tune_curve,
    inject_label_noise,
    learning_curve,
    mean_f1_over_draws,
    neighbour_copies,
    out_of_fold_probabilities,
    random_deletion,
    random_swap,
    select_batch,
    suspected_label_issues,
    uncertainty,
)
from ftcourse.errors import DataError, UsageError


def blobs(n_per_class: int = 40, classes: int = 3, seed: int = 0, spread: float = 0.6):
    """Points around one centre per class (well separated): features, labels."""
    rng = np.random.default_rng(seed)
    centres = np.eye(classes, 4) * 3
    y = np.repeat(np.arange(classes), n_per_class)
    return centres[y] + rng.normal(scale=spread, size=(len(y), 4)), y


def test_inject_label_noise_flips_exactly_the_share_asked_to_other_classes():
    y = np.repeat([0, 1, 2], 100)
    noisy, flipped = inject_label_noise(y, 0.1, 3, seed=1)
    assert flipped.sum() == 30
    assert (noisy[flipped] != y[flipped]).all() and (noisy[~flipped] == y[~flipped]).all()
    assert set(noisy.tolist()) <= {0, 1, 2}
    again, _ = inject_label_noise(y, 0.1, 3, seed=1)
    assert (again == noisy).all()
    assert (inject_label_noise(y, 0.0, 3)[0] == y).all()
    with pytest.raises(UsageError, match="share"):
        inject_label_noise(y, 1.5, 3)
    with pytest.raises(DataError, match="class ids"):
        inject_label_noise([0, 3], 0.5, 3)


def test_learning_curve_draws_the_sizes_and_the_bigger_set_scores_higher():
    x, y = blobs(60, spread=2.0)
    test_x, test_y = blobs(30, seed=9, spread=2.0)
    pool = pd.DataFrame({"row": np.arange(len(y)), "label": y})

    def fit_predict(train):
        return LogisticRegression().fit(x[train["row"]], train["label"]).predict(test_x)

    curve, predictions = learning_curve(pool, [6, 150], {"LR": fit_predict}, test_y, ["a", "b", "c"], draws=3, focus_class=0)
    assert sorted(curve["train_size"].unique()) == [6, 150]
    assert len(curve) == 6 and len(predictions) == 6 and "a_f1" in curve
    assert ("LR", 150, 2) in predictions
    assert sorted(learning_curve(pool, [6, 500, 900], {"LR": fit_predict}, test_y, ["a", "b", "c"])[0]["train_size"]) == [6, 180]
    first = curve[curve["draw"] == 0]
    assert (first["macro_f1_low"] <= first["macro_f1"]).all() and (first["macro_f1"] <= first["macro_f1_high"]).all()
    assert curve[curve["draw"] > 0]["macro_f1_low"].isna().all()  # intervals for the first draw only
    means = curve.groupby("train_size")["macro_f1"].mean()
    assert means[150] >= means[6]
    with pytest.raises(UsageError):
        learning_curve(pool, [], {"LR": fit_predict}, test_y, ["a", "b", "c"])


def test_crossing_size_is_where_the_second_curve_catches_up_and_stays():
    curve = pd.DataFrame(
        {"approach": ["A"] * 3 + ["B"] * 3, "train_size": [100, 300, 1000] * 2, "macro_f1": [0.5, 0.6, 0.65, 0.4, 0.62, 0.7]}
    )
    assert crossing_size(curve, "A", "B") == 300
    assert crossing_size(curve, "B", "A") is None


def test_confident_learning_finds_injected_flips_on_separable_data():
    x, y = blobs(60, spread=0.5)
    noisy, flipped = inject_label_noise(y, 0.1, 3, seed=0)
    probs = out_of_fold_probabilities(x, noisy, LogisticRegression, folds=5, seed=0)
    assert probs.shape == (len(y), 3) and np.allclose(probs.sum(axis=1), 1)
    issues = suspected_label_issues(noisy, probs, ["a", "b", "c"], texts=[f"t{i}" for i in range(len(y))])
    assert list(issues.columns) == ["position", "given", "suggested", "self_confidence", "text"]
    assert issues["self_confidence"].is_monotonic_increasing  # most suspicious first
    scores = detection_scores(issues["position"], flipped)
    assert scores["wrong"] == 18 and scores["precision"] > 0.8 and scores["recall"] > 0.8
    with pytest.raises(DataError, match="shape"):
        suspected_label_issues(noisy, probs[:, :2], ["a", "b", "c"])
    with pytest.raises(DataError, match="at least folds"):
        out_of_fold_probabilities(x[:8], [0, 0, 0, 0, 1, 1, 1, 1], LogisticRegression, folds=5)


def test_detection_scores_against_sklearn_by_hand():
    wrong = np.array([True, True, False, False, False])
    assert detection_scores([0, 2], wrong) == {"flagged": 2, "wrong": 2, "precision": 0.5, "recall": 0.5}
    assert detection_scores([], wrong)["precision"] == 0.0


def test_random_deletion_keeps_order_and_at_least_one_token():
    rng = np.random.default_rng(0)
    text = "one two three four five six seven eight"
    out = random_deletion(text, 0.5, rng).split()
    assert 1 <= len(out) < 8
    assert out == [t for t in text.split() if t in out]  # a subsequence in the original order
    assert random_deletion("alone", 0.9, rng) == "alone"
    assert len(random_deletion("a b c", 0.999, np.random.default_rng(3)).split()) == 1
    assert random_deletion(text, 0.0, rng) == text
    with pytest.raises(UsageError):
        random_deletion(text, 1.0, rng)


def test_random_swap_keeps_the_tokens_and_moves_them():
    text = "one two three four five"
    out = random_swap(text, 2, np.random.default_rng(1))
    assert sorted(out.split()) == sorted(text.split()) and out != text
    assert random_swap(text, 0, np.random.default_rng(1)) == text
    assert random_swap("single", 3, np.random.default_rng(1)) == "single"
    with pytest.raises(UsageError):
        random_swap(text, -1, np.random.default_rng(1))


def test_augment_texts_is_reproducible_and_one_copy_per_text():
    texts = ["the cat sat on the mat today", "hello there", "x"]
    out = augment_texts(texts, p_delete=0.2, n_swaps=1, seed=5)
    assert len(out) == 3 and out == augment_texts(texts, p_delete=0.2, n_swaps=1, seed=5)
    assert out[2] == "x"
    assert set(out[0].split()) <= set(texts[0].split())
    assert augment_texts(texts, p_delete=0.0, n_swaps=0) == texts


def test_uncertainty_scores_by_hand():
    probs = np.array([[0.9, 0.05, 0.05], [0.4, 0.35, 0.25], [0.5, 0.5, 0.0]])
    assert np.allclose(uncertainty(probs, "least_confidence"), [0.1, 0.6, 0.5])
    assert np.allclose(uncertainty(probs, "margin"), [0.15, 0.95, 1.0])
    entropy = uncertainty(probs, "entropy")
    assert entropy[1] > entropy[0] and np.isclose(entropy[2], np.log(2))
    with pytest.raises(UsageError, match="choose"):
        uncertainty(probs, "variance")
    with pytest.raises(DataError):
        uncertainty(np.array([0.2, 0.8]))


def test_select_batch_picks_the_most_uncertain_or_random_rows():
    probs = np.array([[0.9, 0.1], [0.55, 0.45], [0.99, 0.01], [0.5, 0.5]])
    assert sorted(select_batch(probs, 2, "margin", np.random.default_rng(0)).tolist()) == [1, 3]
    picks = select_batch(probs, 3, "random", np.random.default_rng(0))
    assert len(set(picks.tolist())) == 3
    assert len(select_batch(probs, 10, "least_confidence", np.random.default_rng(0))) == 4
    with pytest.raises(UsageError, match="strategy"):
        select_batch(probs, 2, "greedy", np.random.default_rng(0))


def test_active_learning_grows_the_budget_and_never_picks_a_row_twice():
    x, y = blobs(50, spread=1.5)
    test_x, _ = blobs(10, seed=3)
    for strategy in ("random", "margin"):
        picked, predictions = active_learning(
            x, y, test_x, LogisticRegression, strategy, seed_per_class=2, batch_size=5, rounds=3, seed=0
        )
        assert [len(p) for p in picked] == [6, 11, 16, 21]
        assert all(len(np.unique(p)) == len(p) for p in picked)
        assert all(set(a) <= set(b) for a, b in zip(picked, picked[1:], strict=False))
        assert len(predictions) == 4 and predictions[0].shape == (30,)
    # Both strategies start from the same seed set.
    first_random = active_learning(x, y, test_x, LogisticRegression, "random", 2, 5, 1, seed=0)[0][0]
    first_margin = active_learning(x, y, test_x, LogisticRegression, "margin", 2, 5, 1, seed=0)[0][0]
    assert sorted(first_random) == sorted(first_margin)
    with pytest.raises(DataError, match="rows"):
        active_learning(x[:5], y, test_x, LogisticRegression, "margin", 2, 5, 1)


def test_margin_sampling_picks_rows_near_the_boundary():
    # One round: the margin picks must sit closer to the decision boundary (x = 0) than random picks do, on average.
    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 3, size=(400, 1))
    y = (x[:, 0] > 0).astype(int)
    pick = {s: active_learning(x, y, x[:5], LogisticRegression, s, 3, 20, 1, seed=1)[0][1][6:] for s in ("margin", "random")}
    assert np.abs(x[pick["margin"], 0]).mean() < np.abs(x[pick["random"], 0]).mean()


def test_mean_f1_over_draws_agrees_with_sklearn():
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 200)
    preds = np.column_stack([np.where(rng.random(200) < 0.7, y, rng.integers(0, 3, 200)) for _ in range(3)])
    preds[:, 2] = np.where(preds[:, 2] == 0, 1, preds[:, 2])  # a draw that never predicts class 0
    expected = np.mean([f1_score(y, preds[:, j], labels=[0, 1, 2], average="macro", zero_division=0) for j in range(3)])
    assert np.isclose(mean_f1_over_draws(y, preds, 3), expected)
    focus = np.mean([f1_score(y, preds[:, j], labels=[0], average="macro", zero_division=0) for j in range(3)])
    assert np.isclose(mean_f1_over_draws(y, preds, 3, focus_class=0), focus)
    assert np.isclose(mean_f1_over_draws(y, preds[:, 0], 3), f1_score(y, preds[:, 0], average="macro"))


def test_fine_tune_curve_trains_nested_subsets_per_draw():
    data = pd.DataFrame({"x": np.arange(50)})
    seen = {}

    def fine_tune(rows, draw):
        seen[(len(rows), draw)] = set(rows["x"])
        return rows["x"].sum()

    predictions, runs = fine_tune_curve(data, [10, 30, 99], fine_tune, lambda model: np.array([model]), draws=2, seed=4)
    assert sorted(predictions) == [(10, 0), (10, 1), (30, 0), (30, 1), (50, 0), (50, 1)]
    assert seen[(10, 0)] < seen[(30, 0)] < seen[(50, 0)]  # nested within a draw
    assert seen[(10, 0)] != seen[(10, 1)]  # another order per draw
    assert predictions[(50, 1)][0] == sum(range(50))
    assert list(runs.columns) == ["train_size", "draw", "seconds"] and len(runs) == 6
    with pytest.raises(UsageError, match="sizes"):
        fine_tune_curve(data, [0], fine_tune, len)
    with pytest.raises(DataError, match="empty"):
        fine_tune_curve(data.iloc[:0], [5], fine_tune, len)


def test_neighbour_copies_take_the_nearest_candidate_above_the_threshold():
    def unit(*rows):
        v = np.array(rows, dtype=float)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    train = unit([1, 0], [0, 1], [-1, 0])
    candidates = unit([0.9, 0.1], [0.2, 1.0], [1, 1])
    neighbour, similarity = neighbour_copies(train, candidates, min_similarity=0.5)
    assert list(neighbour) == [0, 1, -1]  # the third has no candidate above 0.5
    assert np.isclose(similarity[0], candidates[0] @ train[0])
    with pytest.raises(DataError, match="dimensions"):
        neighbour_copies(train, np.ones((2, 3)), 0.5)
    with pytest.raises(DataError, match="no candidate"):
        neighbour_copies(train, np.zeros((0, 2)), 0.5)
    with pytest.raises(DataError, match="train_vectors has shape"):
        neighbour_copies(train[0], candidates, 0.5)  # one text's vector instead of a matrix


def test_active_learning_scores_only_the_candidates_asked_for():
    scored = []

    class Recorder(LogisticRegression):
        def predict_proba(self, features):
            scored.append(len(features))
            return super().predict_proba(features)

    x, y = blobs(50)
    picked, _ = active_learning(x, y, x[:5], Recorder, "margin", 2, 5, 2, seed=0, candidates=20)
    assert scored == [20, 20] and [len(p) for p in picked] == [6, 11, 16]
    assert all(len(np.unique(p)) == len(p) for p in picked)


def test_fine_tuned_classifier_runs_inside_active_learning(tiny_bert_dir, tmp_path):
    from ftcourse.classifier.estimator import FineTunedClassifier

    words = {0: "good nice fine", 1: "bad awful poor"}
    texts = np.array([f"{words[i % 2]} {i}" for i in range(24)], dtype=object)
    y = np.arange(24) % 2

    def make_model():
        return FineTunedClassifier(
            ["good", "bad"], tmp_path / "al", base_model=str(tiny_bert_dir), epochs=1, batch_size=4, max_length=16, seed=0
        )

    picked, predictions = active_learning(texts, y, texts[:6], make_model, "margin", 2, 4, 1, seed=0, candidates=10)
    assert [len(p) for p in picked] == [4, 8]
    assert predictions[-1].shape == (6,) and set(predictions[-1]) <= {0, 1}
    probabilities = make_model().fit(texts[:8], y[:8]).predict_proba(texts[:3])
    assert probabilities.shape == (3, 2) and np.allclose(probabilities.sum(axis=1), 1)
    with pytest.raises(DataError, match="labels"):
        make_model().fit(texts[:4], y[:3])
    with pytest.raises(DataError, match="fit"):
        make_model().predict(texts[:2])


def test_quiet_libraries_silences_and_then_restores_both_libraries():
    import datasets
    from transformers.utils import logging as hf_logging

    from ftcourse.training import quiet_libraries

    before = (hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled(), datasets.is_progress_bar_enabled())
    with quiet_libraries():
        assert hf_logging.get_verbosity() == hf_logging.ERROR
        assert not hf_logging.is_progress_bar_enabled() and not datasets.is_progress_bar_enabled()
    assert (hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled(), datasets.is_progress_bar_enabled()) == before


def test_confident_learning_runs_in_this_process(monkeypatch):
    # a forked worker maps the whole parent: a notebook kernel holding GiB after fine-tunes counted three times over (lesson 13)
    import multiprocessing

    def no_pool(*args, **kwargs):
        raise AssertionError("suspected_label_issues started a process pool")

    monkeypatch.setattr(multiprocessing, "Pool", no_pool)
    x, y = blobs(60, spread=0.5)
    noisy, _ = inject_label_noise(y, 0.1, 3, seed=0)
    probs = out_of_fold_probabilities(x, noisy, LogisticRegression, folds=5, seed=0)
    assert len(suspected_label_issues(noisy, probs, ["a", "b", "c"])) > 0
