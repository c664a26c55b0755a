"""Calibration maths checked against hand computations and against what temperature scaling must do."""

import numpy as np
import pytest

from ftcourse.calibration import apply_temperature, ece, fit_temperature, macro_ece, probabilities_to_logits, reliability_table
from ftcourse.errors import UsageError

# Six rows, two bins of width 0.5:
#   bin [0, 0.5): p = 0.1, 0.2, 0.3 -> mean 0.2, labels 0, 0, 1 -> rate 1/3, gap +0.1333
#   bin [0.5, 1]: p = 0.6, 0.8, 1.0 -> mean 0.8, labels 1, 1, 0 -> rate 2/3, gap -0.1333
# ECE = 3/6 * 0.1333 + 3/6 * 0.1333 = 0.1333
P = np.array([0.1, 0.2, 0.3, 0.6, 0.8, 1.0])
Y = np.array([0, 0, 1, 1, 1, 0])


def test_reliability_table_by_hand():
    table = reliability_table(Y, P, n_bins=2)
    assert table["count"].tolist() == [3, 3]
    np.testing.assert_allclose(table["mean_probability"], [0.2, 0.8])
    np.testing.assert_allclose(table["positive_rate"], [1 / 3, 2 / 3])
    np.testing.assert_allclose(table["gap"], [1 / 3 - 0.2, 2 / 3 - 0.8])


def test_ece_by_hand():
    assert ece(Y, P, n_bins=2) == pytest.approx(0.4 / 3)
    # Ten bins and probabilities off the edges: every row alone in its bin -> ECE = mean |y - p|.
    assert ece(Y, P - 0.01, n_bins=10) == pytest.approx(np.mean(np.abs(Y - (P - 0.01))))


def test_an_edge_goes_to_the_upper_bin_and_one_to_the_last():
    table = reliability_table([0, 1, 1], [0.5, 0.5, 1.0], n_bins=2)
    assert table["count"].tolist() == [3]
    assert table["low"].tolist() == [0.5]


def test_perfect_calibration_scores_zero_and_macro_averages_columns():
    y = np.array([0, 1, 0, 1])
    p = np.array([0.5, 0.5, 0.5, 0.5])
    assert ece(y, p) == 0.0
    both = macro_ece(np.column_stack([y, Y[:4]]), np.column_stack([p, P[:4]]), n_bins=2)
    assert both == pytest.approx((0 + ece(Y[:4], P[:4], n_bins=2)) / 2)


def test_temperature_one_gives_back_the_probabilities_and_order_is_kept():
    z = probabilities_to_logits(P)
    np.testing.assert_allclose(apply_temperature(z, 1.0), np.clip(P, 1e-7, 1 - 1e-7), atol=1e-9)
    assert np.array_equal(np.argsort(apply_temperature(z, 3.0)), np.argsort(z))


def test_fit_temperature_recovers_an_over_confident_model():
    rng = np.random.default_rng(0)
    true_logits = rng.normal(0, 2, size=20000)
    y = (rng.random(20000) < 1 / (1 + np.exp(-true_logits))).astype(float)
    fitted = fit_temperature(3 * true_logits, y)  # logits three times too large: T should come back near 3
    assert fitted == pytest.approx(3.0, rel=0.05)
    before, after = ece(y, apply_temperature(3 * true_logits, 1.0)), ece(y, apply_temperature(3 * true_logits, fitted))
    assert after < before / 3


def test_fit_temperature_per_label_and_the_nll_minimum():
    rng = np.random.default_rng(1)
    z = rng.normal(0, 2, size=(5000, 2))
    y = (rng.random((5000, 2)) < 1 / (1 + np.exp(-z))).astype(float)
    t = fit_temperature(z * np.array([0.5, 2.0]), y, per_label=True)
    np.testing.assert_allclose(t, [0.5, 2.0], rtol=0.1)

    def nll(temp):
        p = apply_temperature(2 * z[:, 1], temp)
        return -np.mean(y[:, 1] * np.log(p) + (1 - y[:, 1]) * np.log(1 - p))

    assert nll(t[1]) <= min(nll(t[1] * 0.9), nll(t[1] * 1.1))


def test_bad_inputs_are_refused():
    with pytest.raises(UsageError, match="probabilities must lie"):
        ece([0, 1], [0.5, 1.5])
    with pytest.raises(UsageError, match="2 labels but 3"):
        ece([0, 1], [0.5, 0.5, 0.5])
    with pytest.raises(UsageError, match="above 0"):
        apply_temperature([0.0], 0)
