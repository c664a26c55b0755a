"""Bias probes: counts, rates and intervals on a table small enough to check by hand."""

from __future__ import annotations

import numpy as np
import pytest

from ftcourse.bias import NEUTRAL_GROUP, NO_GROUP, identity_term_probe, mentions, template_probe, template_summary
from ftcourse.errors import UsageError


def test_mentions_match_whole_words_in_any_case():
    found = mentions(["I am Gay", "gayety is old", "Muslims pray", "nothing here"], ["gay", "muslims"])
    assert found.tolist() == [True, False, True, False]


def _comments():
    # 10 harmless comments about group A (6 flagged), 20 harmless with no group (2 flagged), 6 toxic about A (all flagged)
    texts = ["a gay friend"] * 10 + ["a sunny day"] * 20 + ["gay insult"] * 6
    y = [0] * 30 + [1] * 6
    flagged = [1] * 6 + [0] * 4 + [1] * 2 + [0] * 18 + [1] * 6
    return texts, y, flagged


def test_probe_counts_and_rates_per_group():
    texts, y, flagged = _comments()
    table = identity_term_probe(texts, y, flagged, groups={"A": ("gay",), "B": ("muslim",)}, n_resamples=200, seed=0)
    assert table.loc["A", "harmless comments"] == 10 and table.loc["A", "false-positive rate"] == pytest.approx(0.6)
    assert table.loc[NO_GROUP, "false-positive rate"] == pytest.approx(0.1)
    assert table.loc["A", "difference from no-group rate"] == pytest.approx(0.5)
    low, high = table.loc["A", "difference, 95 % low"], table.loc["A", "difference, 95 % high"]
    assert 0 < low < 0.5 < high <= 0.9  # a real gap of 0.5 on 10 vs 20 comments: the interval holds it and excludes 0
    assert table.loc["A", "miss rate"] == 0.0 and table.loc["A", "toxic comments"] == 6
    # group B is never mentioned: counted as 0, its rates not reported rather than 0 or a crash
    assert table.loc["B", "harmless comments"] == 0 and np.isnan(table.loc["B", "false-positive rate"])


def test_probe_refuses_misaligned_inputs():
    with pytest.raises(UsageError, match="one per comment"):
        identity_term_probe(["a", "b"], [0], [True, False])


def test_template_probe_changes_only_the_term():
    seen = []

    def score(texts):
        seen.extend(texts)
        return np.array([0.9 if "gay" in t else 0.1 for t in texts])

    table = template_probe(score, terms={"g": ("gay",), "neutral": ("tall",)}, templates=("I am {}.", "Being {} is fine."))
    assert seen == ["I am gay.", "Being gay is fine.", "I am tall.", "Being tall is fine."]
    assert table.loc["gay", "mean probability"] == pytest.approx(0.9) and table.loc["tall", "group"] == "neutral"
    with pytest.raises(UsageError, match="'{}'"):
        template_probe(score, templates=("no slot here",))


def test_template_summary_compares_each_group_with_the_neutral_words():
    table = template_probe(
        lambda texts: np.array([0.8 if "gay" in t else 0.2 for t in texts]),
        terms={"g": ("gay",), NEUTRAL_GROUP: ("tall",)},
        templates=("I am {}.",),
    )
    summary = template_summary(table, threshold=0.5)
    assert summary.loc["g", "mean / neutral"] == pytest.approx(4.0) and summary.loc["g", "flagged at the threshold"] == 1
    assert summary.loc[NEUTRAL_GROUP, "flagged at the threshold"] == 0
    with pytest.raises(UsageError, match="neutral"):
        template_summary(table[table["group"] == "g"], threshold=0.5)
