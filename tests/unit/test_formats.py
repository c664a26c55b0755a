"""Pairs, triplets, (anchor, positive) sets and label maps (ftcourse.formats)."""

import numpy as np
import pandas as pd
import pytest

from ftcourse import formats
from ftcourse.errors import DataError


def test_make_pairs_balanced_and_correctly_labelled():
    df = _classes()
    pairs = formats.make_pairs(df, n_pairs=100, positive_fraction=0.5, seed=0)
    assert list(pairs.columns) == ["sentence1", "sentence2", "label"] and len(pairs) == 100
    assert pairs["label"].mean() == 0.5
    same = pairs["sentence1"].str[0] == pairs["sentence2"].str[0]
    assert (same == (pairs["label"] == 1)).all()
    assert (pairs["sentence1"] != pairs["sentence2"]).all()
    keys = {tuple(sorted(p)) for p in zip(pairs["sentence1"], pairs["sentence2"], strict=True)}
    assert len(keys) == 100  # no pair repeats
    assert formats.make_pairs(df, n_pairs=20, positive_fraction=0.2, seed=0)["label"].sum() == 4


def test_make_pairs_errors():
    with pytest.raises(DataError, match="single label"):
        formats.make_pairs(pd.DataFrame({"text": ["a", "b"], "label": [1, 1]}), n_pairs=1)
    with pytest.raises(DataError, match="distinct positive pairs"):
        formats.make_pairs(pd.DataFrame({"text": ["a", "b", "c"], "label": [1, 1, 2]}), n_pairs=4, positive_fraction=0.5)


def test_make_anchor_positive_same_class():
    ap = formats.make_anchor_positive(_classes(), seed=1)
    assert len(ap) == 30 and list(ap.columns) == ["anchor", "positive"]
    assert (ap["anchor"].str[0] == ap["positive"].str[0]).all() and (ap["anchor"] != ap["positive"]).all()
    assert len(formats.make_anchor_positive(_classes(), n_pairs=7)) == 7


def test_make_triplets_random_and_hard():
    df = _classes()
    trip = formats.make_triplets(df, seed=0)
    assert list(trip.columns) == ["anchor", "positive", "negative"] and len(trip) == 30
    assert (trip["anchor"].str[0] == trip["positive"].str[0]).all()
    assert (trip["anchor"].str[0] != trip["negative"].str[0]).all()
    # Embeddings where class c's nearest other class is always "b" for "a" rows: hard negatives come from b.
    centres = {"a": [1.0, 0.0], "b": [0.9, 0.45], "c": [-1.0, 0.2]}
    rng = np.random.default_rng(0)
    emb = np.array([centres[lab] for lab in df["label"]]) + rng.normal(0, 0.01, (30, 2))
    hard = formats.make_triplets(df, seed=0, hard_negatives_from=emb, n_candidates=5)
    from_a = hard[hard["anchor"].str[0] == "a"]
    assert (from_a["negative"].str[0] == "b").all()
    with pytest.raises(DataError, match="one embedding per row"):
        formats.make_triplets(df, hard_negatives_from=emb[:5])


def test_label_map_round_trip_keeps_int_labels(tmp_path):
    label_map = formats.build_label_map([2, 0, 1, 1])
    assert label_map == {0: 0, 1: 1, 2: 2}
    path = formats.save_label_map(label_map, tmp_path / "labels.json")
    assert formats.load_label_map(path) == label_map
    str_map = formats.build_label_map(["offensive", "hate", "neither"])
    assert str_map == {"hate": 0, "neither": 1, "offensive": 2}
    assert formats.load_label_map(formats.save_label_map(str_map, tmp_path / "s.json")) == str_map


def test_apply_label_map_and_unseen_label():
    df = pd.DataFrame({"label": ["hate", "neither", "hate"]})
    label_map = formats.build_label_map(["hate", "neither"])
    assert formats.apply_label_map(df, label_map)["label"].tolist() == [0, 1, 0]
    assert formats.apply_label_map(df, label_map, new_column="id")["label"].tolist() == ["hate", "neither", "hate"]
    with pytest.raises(DataError, match=r"\['spam'\].*Fix"):
        formats.apply_label_map(pd.DataFrame({"label": ["hate", "spam"]}), label_map)
    with pytest.raises(DataError, match="strings but the column holds numbers"):
        formats.apply_label_map(pd.DataFrame({"label": [0, 1]}), {"0": 0, "1": 1})
    with pytest.raises(DataError, match="load_label_map|save_label_map"):
        formats.load_label_map("/nonexistent/labels.json")


def test_check_label_distribution_catches_single_label_bug():
    assert formats.check_label_distribution([0, 1, 1, 2]).to_dict() == {0: 1, 1: 2, 2: 1}
    with pytest.raises(DataError, match="same label 0"):
        formats.check_label_distribution([0] * 50)
    with pytest.raises(DataError, match="missing"):
        formats.check_label_distribution([0, None, 1])
    with pytest.raises(DataError, match=r"\{2: 0\}"):
        formats.check_label_distribution([0, 1, 1], expected={"a": 0, "b": 1, "c": 2})


def _classes():
    return pd.DataFrame({"text": [f"{c}{i}" for c in "abc" for i in range(10)], "label": [c for c in "abc" for _ in range(10)]})
