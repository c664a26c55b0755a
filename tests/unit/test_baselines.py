"""ftcourse.baselines: the baseline estimators, the results row, and the decision matrix's logic."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, f1_score

from ftcourse import baselines
from ftcourse.errors import UsageError

NAMES = ["hate", "offensive", "neither"]


def test_tfidf_logreg_learns_a_separable_toy_task():
    texts = ["i love this", "love it so much", "great and lovely", "i hate this", "hate it so much", "awful and hateful"] * 3
    labels = [0, 0, 0, 1, 1, 1] * 3
    model = baselines.tfidf_logreg(class_weight="balanced").fit(texts, labels)
    assert model.predict(["so much love", "so much hate"]).tolist() == [0, 1]


def test_embedding_classifiers():
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(1, 0.1, (10, 4)), rng.normal(-1, 0.1, (10, 4))])
    y = np.array([0] * 10 + [1] * 10)
    for kind in ("logreg", "knn"):
        assert (baselines.embedding_classifier(kind, n_neighbors=3).fit(x, y).predict(x) == y).all()
    with pytest.raises(ValueError, match="logreg"):
        baselines.embedding_classifier("svm")


def test_score_predictions_matches_sklearn():
    rng = np.random.default_rng(1)
    y_true = rng.integers(0, 3, 200)
    y_pred = np.where(rng.random(200) < 0.7, y_true, rng.integers(0, 3, 200))
    row = baselines.score_predictions("x", y_true, y_pred, NAMES, seconds=1.5, n_resamples=200, focus_class=0)
    assert row["macro_f1"] == pytest.approx(f1_score(y_true, y_pred, average="macro"))
    assert row["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred))
    assert row["hate_f1"] == pytest.approx(f1_score(y_true, y_pred, average=None)[0])
    assert row["macro_f1_low"] <= row["macro_f1"] <= row["macro_f1_high"] and row["seconds"] == 1.5


def _results(ft=0.70, tfidf=0.60, frozen=0.55, ft_seconds=100.0):
    rows = [
        ("majority class", 0.29, 0.0),
        ("TF-IDF + LR", tfidf, 1.0),
        ("frozen + LR", frozen, 10.0),
        ("fine-tuned", ft, ft_seconds),
    ]
    return pd.DataFrame(
        [{"approach": a, "macro_f1": f, "macro_f1_low": f - 0.05, "macro_f1_high": f + 0.05, "seconds": s} for a, f, s in rows]
    )


def _curve(slope):
    return pd.DataFrame(
        [
            {"approach": a, "train_size": n, "macro_f1": 0.5 + slope * np.log2(n / 100)}
            for a in ("TF-IDF + LR", "fine-tuned")
            for n in (100, 200, 400)
        ]
    )


@pytest.mark.parametrize(
    "p_value,expected,opening",
    [
        (0.01, "fine-tune", "Fine-tune."),
        (0.99, "baseline", "Do not fine-tune yet."),
        (0.4, "no clear winner", "No decision from quality alone"),
    ],
)
def test_decision_follows_the_paired_test(p_value, expected, opening):
    comparison = {"delta": 0.1 if p_value < 0.5 else -0.1, "p_value": p_value}
    matrix, text = baselines.decision_matrix(
        _results(), _curve(0.0), comparison, "fine-tuned", "TF-IDF + LR", "frozen + LR", cheap=["TF-IDF + LR", "frozen + LR"]
    )
    assert list(matrix.index) == ["domain", "data size", "baseline quality", "budget"]
    assert matrix.loc["baseline quality", "points to"] == expected
    assert text.startswith(opening)
    assert "TF-IDF + LR" in matrix.loc["baseline quality", "evidence"]  # the best cheap approach is named
    assert "100x" in matrix.loc["budget", "evidence"]
    assert "re-run" not in text  # flat learning curve


def test_decision_mentions_a_rising_curve_and_the_domain_gap():
    matrix, text = baselines.decision_matrix(
        _results(frozen=0.65),
        _curve(0.05),
        {"delta": 0.0, "p_value": 0.5},
        "fine-tuned",
        "TF-IDF + LR",
        "frozen + LR",
        cheap=["TF-IDF + LR", "frozen + LR"],
    )
    assert "more labelled data may still change the ranking" in text and "+0.050" in text
    assert matrix.loc["domain", "points to"].startswith("pretrained features transfer")
    with pytest.raises(ValueError, match="not in results"):
        baselines.decision_matrix(
            _results(), _curve(0.0), {"delta": 0, "p_value": 0.5}, "nope", "TF-IDF + LR", "frozen + LR", cheap=["TF-IDF + LR"]
        )


def _few_shot_curve(setfit, head, frozen, ks=(8, 16, 64)) -> pd.DataFrame:
    rows = []
    for approach, scores in (("SetFit", setfit), ("fine-tuned head", head), ("frozen + LR", frozen)):
        for k, score in zip(ks, scores, strict=True):
            rows += [
                {"approach": approach, "k": k, "macro_f1": score - 0.01},
                {"approach": approach, "k": k, "macro_f1": score + 0.01},
            ]
    return pd.DataFrame(rows)


def test_crossover_is_where_the_fine_tune_catches_up_for_good():
    curve = _few_shot_curve(setfit=[0.5, 0.55, 0.6], head=[0.4, 0.56, 0.65], frozen=[0.45, 0.5, 0.55])
    assert baselines.crossover_k(curve, "SetFit", "fine-tuned head") == 16
    # Ahead at 8 by luck, behind at 16, ahead at 64: the crossover is 64, not 8.
    curve = _few_shot_curve(setfit=[0.5, 0.55, 0.6], head=[0.51, 0.5, 0.65], frozen=[0.45, 0.5, 0.55])
    assert baselines.crossover_k(curve, "SetFit", "fine-tuned head") == 64
    curve = _few_shot_curve(setfit=[0.5, 0.55, 0.6], head=[0.4, 0.5, 0.55], frozen=[0.45, 0.5, 0.55])
    assert baselines.crossover_k(curve, "SetFit", "fine-tuned head") is None
    with pytest.raises(ValueError, match="not in the curve"):
        baselines.crossover_k(curve, "SetFit", "nope")


def test_clear_crossover_needs_the_interval_above_zero_from_that_k_on():
    assert baselines.clear_crossover_k({8: (-0.1, 0.05), 16: (0.01, 0.1), 64: (0.03, 0.2)}) == 16
    assert baselines.clear_crossover_k({8: (0.01, 0.1), 16: (-0.02, 0.1), 64: (0.03, 0.2)}) == 64  # a dip resets it
    assert baselines.clear_crossover_k({8: (0.01, 0.1), 16: (0.02, 0.1), 64: (-0.01, 0.2)}) is None
    assert baselines.clear_crossover_k({8: (0.0, 0.1)}) is None  # touching 0 is not above it
    assert baselines.clear_crossover_k({}) is None


def test_little_data_rows_join_the_decision_matrix():
    curve = _few_shot_curve(setfit=[0.5, 0.55, 0.6], head=[0.4, 0.5, 0.65], frozen=[0.45, 0.5, 0.55])
    zero_shot = {"macro_f1": 0.4, "macro_f1_low": 0.35, "macro_f1_high": 0.45, "majority_macro_f1": 0.28}
    rows = baselines.little_data_rows(curve, zero_shot, examples_per_class=20)
    assert list(rows.index) == ["no labels (zero-shot)", "few labels (16 per class)", "few-shot crossover"]
    assert rows.loc["no labels (zero-shot)", "points to"].startswith("a usable start")
    assert rows.loc["few labels (16 per class)", "points to"] == "SetFit at this data size"
    assert "k = 64" in rows.loc["few-shot crossover", "evidence"]
    assert rows.loc["few-shot crossover", "points to"] == "fine-tune the usual way from about 64 examples per class"
    unclear = baselines.little_data_rows(
        curve, zero_shot, 20, crossover_intervals={8: (-0.2, -0.05), 16: (-0.1, 0.0), 64: (-0.01, 0.1)}
    )
    assert unclear.loc["few-shot crossover", "points to"].startswith("no clear crossover up to k = 64")
    assert "[-0.010, +0.100]" in unclear.loc["few-shot crossover", "evidence"]
    clear = baselines.little_data_rows(
        curve, zero_shot, 20, crossover_intervals={8: (-0.2, -0.05), 16: (-0.1, 0.0), 64: (0.02, 0.1)}
    )
    assert clear.loc["few-shot crossover", "points to"] == "fine-tune the usual way from 64 examples per class"
    with pytest.raises(UsageError, match="no interval for k = 64"):
        baselines.little_data_rows(curve, zero_shot, 20, crossover_intervals={8: (-0.2, -0.05)})
    weak = baselines.little_data_rows(curve, {**zero_shot, "macro_f1_low": 0.2}, examples_per_class=2)
    assert weak.loc["no labels (zero-shot)", "points to"].startswith("not enough")
    assert "few labels (8 per class)" in weak.index  # below the smallest k: the smallest k measured
    matrix, _ = baselines.decision_matrix(
        _results(),
        _curve(0.0),
        {"delta": 0.1, "p_value": 0.01},
        "fine-tuned",
        "TF-IDF + LR",
        "frozen + LR",
        cheap=["TF-IDF + LR", "frozen + LR"],
        little_data=rows,
    )
    assert list(matrix.index)[:4] == ["domain", "data size", "baseline quality", "budget"] and len(matrix) == 7
