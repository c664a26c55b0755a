import math

import pytest

pytestmark = pytest.mark.notebook


@pytest.fixture(scope="module")
def metrics(run_lesson):
    return run_lesson("notebooks/02_data_formats.ipynb").metrics


def test_round_trips_and_the_traps_they_show(metrics):
    table = metrics["roundtrip"]
    for shape, row in table.items():
        assert row["datasets.Dataset"] == row["CSV (keep_default_na=False)"] == "identical", shape
        assert row["JSONL"] in ("identical", "floats rounded"), shape
    assert table["text 'null' (trap)"]["CSV (defaults)"] == "CHANGED"  # the text "null" becomes NaN


def test_balanced_pairs_and_harder_negatives(metrics):
    assert all(share == 0.5 for share in metrics["pairs_balanced_positive_share"].values())
    random_share = metrics["pairs_random_positive_share"]
    assert min(random_share.values()) < 0.1  # many categories: random pairs are >90 % "different"
    assert metrics["triplets_hard_sim_negative"] > metrics["triplets_random_sim_negative"]
    assert metrics["triplets_hard_already_right"] < metrics["triplets_random_already_right"]


def test_duplicates_found_and_normalisation_reveals_more(metrics):
    raw, clean = metrics["duplicates_raw"], metrics["duplicates_normalised"]
    assert clean["exact"] + clean["near"] > raw["exact"] + raw["near"] > 0
    assert clean["rows_out"] == clean["rows_in"] - clean["exact"] - clean["near"]


def test_group_aware_split_leaves_no_cross_split_near_duplicates(metrics):
    assert metrics["leakage_before"] > 0
    assert metrics["leakage_after"] == 0
    for name in ("naive", "group-aware"):
        assert math.isfinite(metrics["scores"][name]["macro-F1"])


def test_label_map_errors_are_caught(metrics):
    assert metrics["label_map"] == {"hate": 0, "neither": 1, "offensive": 2}
    assert metrics["unseen_label_caught"] and metrics["one_label_bug_caught"]


def test_iterative_stratification_beats_random_on_rare_labels(metrics):
    deviation = metrics["multilabel_max_deviation"]
    assert deviation["iterative"] < deviation["random"]
    assert metrics["multilabel_splits_with_absent_label"]["iterative"] == 0
    assert min(metrics["multilabel_test_counts"]["iterative"].values()) >= 1
