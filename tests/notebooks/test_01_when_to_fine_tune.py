import math

import pytest

from tests.notebooks.conftest import check_effect

pytestmark = pytest.mark.notebook

APPROACHES = [
    "majority class",
    "TF-IDF + LR",
    "TF-IDF + LR (class-weighted)",
    "frozen MiniLM + LR (class-weighted)",
    "frozen MiniLM + kNN (k=10)",
    "fine-tuned MiniLM (class-weighted)",
]


@pytest.fixture(scope="module")
def metrics(run_lesson):
    return run_lesson("notebooks/01_when_to_fine_tune.ipynb").metrics


def test_every_baseline_is_scored_with_its_cost(metrics):
    baselines = metrics["baselines"]
    assert sorted(baselines) == sorted(APPROACHES)
    for name, row in baselines.items():
        for key in ("macro_f1", "macro_f1_low", "macro_f1_high", "hate_f1", "accuracy", "seconds"):
            assert math.isfinite(row[key]), (name, key)
        assert row["macro_f1_low"] <= row["macro_f1"] <= row["macro_f1_high"], name


def test_trained_baselines_beat_the_majority_class(metrics):
    baselines = metrics["baselines"]
    majority = baselines["majority class"]["macro_f1"]
    for name in ("TF-IDF + LR (class-weighted)", "frozen MiniLM + LR (class-weighted)"):
        assert baselines[name]["macro_f1"] > majority + 0.1, name
    # Class weighting is what lets the linear model find the rare class at all.
    assert baselines["TF-IDF + LR (class-weighted)"]["hate_f1"] > baselines["TF-IDF + LR"]["hate_f1"]


def test_learning_curve_and_decision(metrics):
    curve = metrics["learning_curve"]
    assert set(curve) == {"TF-IDF + LR (class-weighted)", "fine-tuned MiniLM (class-weighted)"}
    for points in curve.values():
        assert len(points) >= 2 and str(metrics["train_size"]) in points
    tfidf = curve["TF-IDF + LR (class-weighted)"]
    sizes = sorted(tfidf, key=int)
    assert tfidf[sizes[-1]] > tfidf[sizes[0]]  # more data helps the baseline
    assert set(metrics["decision"]) == {"domain", "data size", "baseline quality", "budget"}
    assert metrics["decision"]["baseline quality"] in ("fine-tune", "baseline", "no clear winner")
    assert metrics["conclusion"].startswith(("Fine-tune.", "Do not fine-tune yet.", "No decision from quality alone"))


def test_the_fine_tune_beats_the_best_cheap_approach(metrics):
    check_effect(metrics["effect"], "gain")
    assert metrics["effect"]["treatment"] == "fine-tuned MiniLM (class-weighted)"
