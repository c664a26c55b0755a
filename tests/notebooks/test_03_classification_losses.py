import math

import pytest

from tests.notebooks.conftest import check_effect

pytestmark = pytest.mark.notebook


def test_classification_losses_train_end_to_end(run_lesson):
    m = run_lesson("notebooks/03_classification_losses.ipynb").metrics
    for key in ("pairs_before", "pairs_after", "pairs_probe_after", "texts_before", "texts_after"):
        assert all(math.isfinite(v) for v in m[key].values()), key
    # SoftmaxLoss refuses single texts with a message (it needs pairs)
    assert m["single_texts_refused"]
    # What the fast profile can show (see the lesson): both heads learn something. That they beat the frozen
    # logistic-regression baseline needs the full profile; a dozen steps do not get there.
    assert m["texts_after"]["accuracy"] > m["texts_chance"] + 0.05
    assert m["pairs_after"]["accuracy"] >= m["pairs_majority_rate"] - 0.02
    # the frozen baselines are real baselines, well above chance
    assert m["texts_before"]["accuracy"] > m["texts_chance"] + 0.2


def test_a_linear_probe_start_beats_a_random_head(run_lesson):
    check_effect(run_lesson("notebooks/03_classification_losses.ipynb").metrics["effect"], "clear gain")
