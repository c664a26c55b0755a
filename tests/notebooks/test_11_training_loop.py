import math

import pytest

from tests.notebooks.conftest import check_effect

pytestmark = pytest.mark.notebook


@pytest.fixture(scope="module")
def metrics(run_lesson):
    return run_lesson("notebooks/11_training_loop.ipynb").metrics


def test_the_hand_built_runs_are_the_package_runs(metrics):
    # Same settings, same seed: the same computation, up to floating-point rounding.
    assert metrics["embedder"]["max_abs_embedding_difference"] < 1e-4
    assert metrics["embedder"]["by_hand_spearman"] == pytest.approx(metrics["embedder"]["package_spearman"], abs=1e-4)
    assert metrics["classifier"]["max_abs_probability_difference"] < 1e-4
    assert metrics["classifier"]["by_hand_dev_f1"] == pytest.approx(metrics["classifier"]["package_dev_f1"], abs=1e-6)


def test_the_search_found_a_recipe_that_learned_more_than_the_majority_class(metrics):
    # Always answering the majority class scores below 0.3 macro-F1 on three classes: a flat search would teach nothing.
    assert metrics["search"]["best_dev_f1"] > 0.35


def test_the_search_ran_every_trial_from_the_default_recipe(metrics):
    search = metrics["search"]
    assert search["trials"] == search["trials_requested"] == search["trials_complete"]
    assert search["best_dev_f1"] >= search["default_dev_f1"]  # trial 0 is the default recipe: the best can only match or beat it
    assert math.isfinite(search["best_dev_f1"])


def test_early_stopping_stopped_before_the_budget_after_overfitting(metrics):
    stop = metrics["early_stopping"]
    assert stop["epochs_run"] < stop["epoch_budget"]
    assert stop["best_epoch"] < stop["epochs_run"]  # it waited `patience` evaluations past the best one
    assert stop["dev_loss_last"] > stop["dev_loss_best"]  # the dev loss turned up: overfitting, seen
    assert stop["train_loss_last"] < stop["train_loss_first"]


def test_the_event_files_hold_every_logged_step(metrics):
    board = metrics["tensorboard"]
    assert board["event_file_steps"] == board["logged_steps"] and board["logged_steps"]
    assert board["package_train_loss_points"] == board["package_logged_losses"] > 0
    assert {"train/loss", "eval/loss", "eval/f1_macro"} <= set(board["package_tags"])


def test_max_length_share_is_a_share(metrics):
    assert 0 <= metrics["max_length"]["share_cut"] < 0.5


def test_the_effect_block_is_complete(metrics):
    # The search may keep the default recipe (difference 0) or pick another; either way the block must be whole and paired.
    check_effect(metrics["effect"], direction="any")


def test_both_recipes_are_scored_over_several_seeds_and_the_effect_is_their_mean(metrics):
    runs = metrics["test_seeds"]
    seeds = runs["seeds"]
    assert len(seeds) >= 3 and len(set(seeds)) == len(seeds)
    assert len(runs["default_recipe"]) == len(runs["dev_chosen_recipe"]) == len(seeds)
    effect = metrics["effect"]
    assert effect["baseline_score"] == pytest.approx(sum(runs["default_recipe"]) / len(seeds), abs=1e-9)
    assert effect["treatment_score"] == pytest.approx(sum(runs["dev_chosen_recipe"]) / len(seeds), abs=1e-9)
    assert f"mean of {len(seeds)} seeds" in effect["metric"]
    # The first default-recipe run is section 2's hand-built one: the same model, so the same test predictions.
    assert runs["default_recipe"][0] == pytest.approx(metrics["classifier"]["by_hand_test_f1"], abs=1e-9)


def test_a_linear_probe_start_beats_a_random_head_on_a_short_run(metrics):
    head = metrics["head"]
    assert all(math.isfinite(v) for v in head.values())
    assert head["linear_probe_dev_f1"] > head["random_dev_f1"]  # why the lessons default to head_init="linear_probe"
