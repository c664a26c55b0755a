import math

import pytest

pytestmark = pytest.mark.notebook


def test_evaluation_lesson(run_lesson):
    metrics = run_lesson("notebooks/08_evaluation.ipynb").metrics
    for model in ("base", "fine-tuned"):
        values = metrics["metrics"][model]
        for name in ("nDCG@10", "MRR@10", "Recall@5", "STS Spearman", "pairs AP", "kNN accuracy (source)", "purity (source)"):
            assert math.isfinite(values[name]), (model, name)
        point, low, high = metrics["ndcg10_ci"][model]
        assert low <= point <= high
    # the fine-tuned model is better on the task it was tuned for, on questions it never saw
    assert metrics["metrics"]["fine-tuned"]["nDCG@10"] > metrics["metrics"]["base"]["nDCG@10"]
    # ... and its gain on the questions it was trained on is larger: that part is memory
    assert metrics["gain_seen"] > metrics["gain_unseen"] + 0.03
    # the interval of a paired difference narrows as the test set grows
    by_size = metrics["noise_by_size"]
    widths = [row["high"] - row["low"] for row in by_size]
    assert widths[0] > widths[-1]
    # a placebo "model" is never declared better
    assert metrics["placebo"]["low"] <= 0 <= metrics["placebo"]["high"] and metrics["placebo"]["p_value"] > 0.05
    # a threshold chosen on the test pairs never looks worse than one chosen on validation pairs
    assert all(value >= 0 for value in metrics["threshold_optimism"].values())
    assert 0 <= metrics["paired_ndcg10"]["p_value"] <= 1 and 0 <= metrics["paired_pairs_ap"]["p_value"] <= 1
