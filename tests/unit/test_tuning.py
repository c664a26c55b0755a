"""ftcourse.tuning: the share of texts a max_length cuts, and an Optuna study's trials as a table."""

from __future__ import annotations

import math

import pytest

from ftcourse.errors import UsageError
from ftcourse.tuning import token_lengths, trials_frame, truncated_share, truncation_table


def test_truncated_share_counts_texts_strictly_longer_than_the_budget():
    assert truncated_share([3, 5, 8, 13], 5) == 0.5  # 5 tokens fit in 5
    assert truncated_share([3, 5], 100) == 0.0
    assert truncated_share([], 8) == 0.0
    with pytest.raises(UsageError, match="Fix"):
        truncated_share([3], 0)


def test_truncation_table_reports_texts_cut_and_tokens_lost():
    table = truncation_table([2, 4, 10], [4, 8])
    assert table["texts cut"].tolist() == pytest.approx([1 / 3, 1 / 3])
    assert table["tokens lost"].tolist() == pytest.approx([6 / 16, 2 / 16])


def test_token_lengths_include_special_tokens(tiny_bert_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_bert_dir)
    assert token_lengths(tokenizer, ["the cat", "the cat sat on the mat"]).tolist() == [4, 8]  # [CLS] ... [SEP]


@pytest.mark.parametrize("direction, best", [("maximize", 0.3), ("minimize", -0.2)])
def test_trials_frame_puts_the_best_trial_first(direction, best):
    optuna = pytest.importorskip("optuna")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction=direction, sampler=optuna.samplers.RandomSampler(seed=0))
    for value in (0.1, 0.3, -0.2):
        study.enqueue_trial({"learning_rate": abs(value) + 1e-5})
    study.optimize(lambda trial: trial.suggest_float("learning_rate", 1e-5, 1.0) * (1 if trial.number != 2 else -1), n_trials=3)
    table = trials_frame(study)
    assert list(table.columns[:4]) == ["trial", "state", "objective", "seconds"]
    assert table["objective"].iloc[0] == pytest.approx(best, abs=1e-4)
    assert set(table["state"]) == {"COMPLETE"} and "learning_rate" in table.columns
    assert all(math.isfinite(s) and s >= 0 for s in table["seconds"])


def test_trials_frame_of_an_empty_study_is_an_empty_table():
    optuna = pytest.importorskip("optuna")
    assert trials_frame(optuna.create_study()).empty
