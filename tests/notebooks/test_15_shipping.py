import math

import pytest

from tests.notebooks.conftest import check_effect

pytestmark = pytest.mark.notebook


@pytest.fixture(scope="module")
def metrics(run_lesson):
    return run_lesson("notebooks/15_shipping.ipynb").metrics


def test_calibration_numbers_are_finite_and_ranking_is_untouched(metrics):
    assert "threat" not in metrics["labels_scored"]  # one or two test positives: not scored
    assert 0 < metrics["temperature"] < 20
    for key in ("macro_ece_before", "macro_ece_after"):
        assert 0 <= metrics[key] < 1 and math.isfinite(metrics[key]), key
    for label in metrics["labels_scored"]:
        assert math.isfinite(metrics["ece_before"][label]) and math.isfinite(metrics["ece_after"][label]), label
    # Dividing logits by T > 0 keeps their order: ROC-AUC cannot move.
    assert metrics["macro_auc_after_scaling"] == pytest.approx(metrics["macro_auc_before_scaling"], abs=1e-9)


def test_temperature_scaling_lowers_the_test_ece(metrics):
    # Measured in the fast profile: T fitted on validation lowers test ECE with an interval above 0.
    check_effect(metrics["effect"], direction="gain")
    assert metrics["effect"]["metric"].startswith("negative macro ECE")


def test_onnx_matches_pytorch_and_int8_stays_close(metrics):
    diff = metrics["max_prob_diff_by_variant"]
    auc = metrics["macro_auc_by_variant"]
    assert diff["ONNX Runtime fp32"] < 1e-4
    assert metrics["export_check_max_abs_difference"]["model.onnx"] < 1e-4
    assert abs(auc["ONNX Runtime int8"] - auc["PyTorch fp32"]) < 0.02  # int8 moves single probabilities, barely the ranking
    assert metrics["file_mib"]["model_int8.onnx"] < metrics["file_mib"]["model.onnx"] / 2


def test_every_variant_was_timed_at_both_batch_sizes(metrics):
    for name, speeds in metrics["examples_per_s"].items():
        assert set(speeds) == {"1", "64"}, name
        assert all(math.isfinite(v) and v > 0 for v in speeds.values()), name


def test_the_embedder_exports_too_and_int8_keeps_its_ranking_close(metrics):
    embedder = metrics["embedder"]
    assert embedder["export_check_max_abs_difference"]["model.onnx"] < 1e-4
    spearman = embedder["sts_spearman"]
    assert spearman["ONNX Runtime fp32"] == pytest.approx(spearman["PyTorch fp32"], abs=1e-4)  # the same function, up to rounding
    assert spearman["PyTorch fp32"] > 0.7  # the base MiniLM on STS-B test (lesson 05: 0.82 on all pairs)
    assert abs(spearman["ONNX Runtime int8"] - spearman["PyTorch fp32"]) < 0.03
    low, high = embedder["int8_spearman_change_ci"]
    assert low <= high and high - low < 0.05  # a paired interval over the pairs, not a typed number
    for name, speeds in embedder["texts_per_s"].items():
        assert speeds["1"] > 0 and speeds["64"] > 0, name


def test_the_command_line_scored_every_test_comment_and_reported_its_rate(metrics):
    cli = metrics["cli_predict"]
    assert cli["rows"] == metrics["test_size"]
    assert cli["texts_per_s"] > 0 and cli["command_seconds"] > 0


def test_the_publishing_dry_run_holds_what_a_user_needs(metrics):
    files = set(metrics["published_files"])
    assert {"README.md", "model.safetensors", "config.json", "labels.json", "thresholds.json", "calibration.json"} <= files
    assert not any(name.endswith(".jsonl") or name.startswith(".") for name in files)
    assert metrics["card_has"]["bias probes (identity terms)"] is False  # what the lesson points out as missing


def test_the_bias_probe_counts_every_test_comment_and_scores_the_templates(metrics):
    counts = metrics["bias_probe_harmless_comments"]
    assert {"sexual orientation", "religion", "race or ethnicity", "gender", "no identity term"} <= set(counts)
    assert counts["no identity term"] > 0 and all(n >= 0 for n in counts.values())
    rates = [r for r in metrics["bias_probe_false_positive_rate"].values() if r is not None and math.isfinite(r)]
    assert rates and all(0 <= r <= 1 for r in rates)
    templates = metrics["template_probe_mean_probability"]
    assert "neutral (no identity term)" in templates and all(0 <= p <= 1 for p in templates.values())
