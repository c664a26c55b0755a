import math

import pytest

from tests.notebooks.conftest import check_effect

pytestmark = pytest.mark.notebook
LOSSES = ("cosine_similarity", "cosent", "angle")


def test_each_loss_fits_its_pairs_and_the_best_holds_up_on_the_test_split(run_lesson):
    m = run_lesson("notebooks/05_similarity_regression.ipynb").metrics
    assert 0.75 < m["spearman_before"] < 0.9  # all-MiniLM-L6-v2 on STS-B test: about 0.82
    assert m["dev_spearman_ours"] == pytest.approx(m["dev_spearman_evaluator"], abs=1e-4)  # same maths as the library evaluator
    for loss in LOSSES:
        assert math.isfinite(m["spearman_after"][loss]) and math.isfinite(m["fit_after"][loss])
        # what ten steps can show: each loss orders the pairs it trained on better than the base model ...
        assert m["fit_after"][loss] > m["fit_before"], loss
        # ... without wrecking the held-out test split (a real test gain needs the full profile; see the lesson)
        assert m["spearman_after"][loss] > m["spearman_before"] - 0.03, loss
    # the best loss of the run is not worse than the base model on held-out pairs
    assert m["spearman_after"][m["best_loss"]] >= m["spearman_before"]


def test_cosent_raises_the_test_spearman(run_lesson):
    check_effect(run_lesson("notebooks/05_similarity_regression.ipynb").metrics["effect"], "gain")
