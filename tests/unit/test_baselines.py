"""ftcourse.baselines: the baseline estimators, the results row, and the decision matrix's logic."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, f1_score

from ftcourse import baselines

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
