import math

import pytest

from tests.notebooks.conftest import check_effect

pytestmark = pytest.mark.notebook
LOSSES = ("triplet", "triplet_hard_negatives", "batch_all_triplet", "batch_hard_triplet")


def test_triplet_losses_bring_classes_together_on_held_out_tweets(run_lesson):
    m = run_lesson("notebooks/06_triplet_losses.ipynb").metrics
    for name in ("base model", *LOSSES):
        assert math.isfinite(m["knn_accuracy"][name]) and math.isfinite(m["triplet_accuracy"][name])
    best = m["best_loss"]
    # the claim: after training, held-out tweets sit nearer tweets of their own class
    assert m["knn_accuracy"][best] > m["knn_accuracy"]["base model"] + 0.02
    assert max(m["triplet_accuracy"][loss] for loss in LOSSES) > m["triplet_accuracy"]["base model"] + 0.02


def test_the_margin_is_measured_not_assumed(run_lesson):
    m = run_lesson("notebooks/06_triplet_losses.ipynb").metrics
    # unit vectors are at most 2 apart: at the library's margin of 5 no held-out triplet can reach a zero loss
    assert m["hinge_share"]["5.0"] == 1.0
    assert m["margin"]["batch_all_triplet_margin_5"] == 5.0 and m["margin"]["batch_all_triplet"] < 2
    assert math.isfinite(m["knn_accuracy"]["batch_all_triplet_margin_5"])


def test_the_lesson_effect_is_measured(run_lesson):
    check_effect(run_lesson("notebooks/06_triplet_losses.ipynb").metrics["effect"], "clear gain")
