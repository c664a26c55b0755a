import math

import pytest

from tests.notebooks.conftest import check_effect

pytestmark = pytest.mark.notebook


@pytest.fixture(scope="module")
def metrics(run_lesson):
    return run_lesson("notebooks/14_little_data.ipynb").metrics


def test_zero_shot_beats_the_majority_class(metrics):
    # Label descriptions alone must carry signal, or the "no labels" row of the decision matrix would teach nothing.
    for task, scores in metrics["zero_shot"].items():
        assert scores["macro_f1"] > scores["majority_macro_f1"], task


def test_a_threshold_from_a_handful_of_pairs_transfers(metrics):
    pairs = metrics["pairs"]
    assert pairs["handful"] <= 32
    assert pairs["accuracy"] <= pairs["test_threshold_accuracy"] + 1e-9  # the test-chosen threshold is a ceiling
    assert pairs["accuracy"] > 0.5


def test_the_few_shot_curve_holds_every_method_at_every_k(metrics):
    curve = metrics["few_shot"]
    ks = sorted({int(key.split("|")[2]) for key in curve})
    assert len(ks) >= 2
    for k in ks:
        for approach in ("SetFit", "fine-tuned head", "frozen + LR"):
            assert math.isfinite(curve[f"davidson|{approach}|{k}"]["mean"])
    # More labels help the frozen baseline (averaged over its draws): the curve has a direction.
    assert curve[f"davidson|frozen + LR|{ks[-1]}"]["mean"] > curve[f"davidson|frozen + LR|{ks[0]}"]["mean"]


def test_crossover_intervals_are_intervals_and_the_clear_crossover_follows_them(metrics):
    for key, (low, high) in metrics["crossover_intervals"].items():
        assert low <= high, key
    for task, clear in metrics["crossover_clear"].items():
        lows = {
            int(key.split("|")[1]): low for key, (low, _) in metrics["crossover_intervals"].items() if key.startswith(f"{task}|")
        }
        if clear is None:
            assert lows[max(lows)] <= 0, task  # the interval at the largest k still reaches 0
        else:
            assert all(low > 0 for k, low in lows.items() if k >= clear), task


def test_lora_trains_a_small_share_and_holds_less_state(metrics):
    runs = metrics["lora"]["classifier"]
    full, lora = (runs[name] for name in sorted(runs, key=lambda n: n.startswith("LoRA")))
    assert lora["trainable parameters"] < full["trainable parameters"] / 20
    assert lora["optimizer state (MiB)"] < full["optimizer state (MiB)"] / 20
    assert lora["training state (MiB)"] < full["training state (MiB)"]
    assert metrics["lora"]["adapter_max_probability_difference"] < 1e-4  # base + adapter == merged model
    assert metrics["lora"]["adapter folder (MiB)"] < metrics["lora"]["merged model (MiB)"] / 10
    for variant, numbers in metrics["lora"]["embedder"].items():  # every number measured, none left blank
        assert all(math.isfinite(value) and value > 0 for value in numbers.values()), variant


def test_the_effect_block_is_complete(metrics):
    check_effect(metrics["effect"], direction="any")
