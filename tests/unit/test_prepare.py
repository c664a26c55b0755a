"""ftcourse.prepare on tiny hand-made inputs: cleaning, duplicates, splits, formats, label maps."""

import numpy as np
import pandas as pd
import pytest

from ftcourse import prepare
from ftcourse.errors import DataError

# --- normalize_text -------------------------------------------------------------------------


def test_normalize_text_each_option():
    raw = "RT @some_user:  Tom &amp; Jerry &#8220;live&#8221;\n\nhttp://t.co/abc  www.x.org"
    assert prepare.normalize_text(raw) == "RT @USER: Tom & Jerry \u201clive\u201d URL URL"
    assert "@some_user" in prepare.normalize_text(raw, mentions=False)
    assert "http://t.co/abc" in prepare.normalize_text(raw, urls=False)
    assert "&amp;" in prepare.normalize_text(raw, html_entities=False)
    assert "\n\n" in prepare.normalize_text(raw, whitespace=False)
    assert prepare.normalize_text("A  B", lowercase=True) == "a b"
    assert prepare.normalize_text("&amp;amp;") == "&"  # escaped twice, as some tweets are


def test_normalize_text_series_keeps_index_and_rejects_non_text():
    s = pd.Series(["a  b", "@x hi"], index=[5, 7])
    out = prepare.normalize_text(s)
    assert out.tolist() == ["a b", "@USER hi"] and out.index.tolist() == [5, 7]
    with pytest.raises(DataError, match="string"):
        prepare.normalize_text(None)


# --- near-duplicates -------------------------------------------------------------------------

TEXTS = [
    "the cat sat on the mat today",  # 0
    "the cat sat on the mat today !",  # 1 near-copy of 0 (punctuation only)
    "completely different words here",  # 2
    "the cat sat on the mat today",  # 3 exact copy of 0
    "dogs bark loudly at night",  # 4
]


def test_find_near_duplicates_matches_dense_cosine():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    pairs = prepare.find_near_duplicates(TEXTS, threshold=0.9)
    assert set(zip(pairs["i"], pairs["j"], strict=True)) == {(0, 1), (0, 3), (1, 3)}
    # Reference: the dense matrix (fine for 5 texts) gives the same similarities.
    dense = cosine_similarity(TfidfVectorizer(sublinear_tf=True).fit_transform(TEXTS))
    for i, j, sim in pairs.itertuples(index=False):
        assert sim == pytest.approx(dense[i, j], abs=1e-5)
    assert (pairs["i"] < pairs["j"]).all()


def test_find_near_duplicates_threshold_and_errors():
    assert len(prepare.find_near_duplicates(["a b c", "x y z"], threshold=0.5)) == 0
    assert len(prepare.find_near_duplicates(["only one"])) == 0
    with pytest.raises(ValueError, match="threshold"):
        prepare.find_near_duplicates(TEXTS, threshold=1.5)
    with pytest.raises(DataError, match=r"texts\[1\]"):
        prepare.find_near_duplicates(["a", None])


def test_duplicate_groups_are_connected_components():
    groups = prepare.duplicate_groups(TEXTS)
    assert groups[0] == groups[1] == groups[3]
    assert len({groups[0], groups[2], groups[4]}) == 3


def test_drop_duplicates_reports_each_reason():
    df = pd.DataFrame({"text": TEXTS, "label": [0, 1, 0, 0, 1]})
    out, report = prepare.drop_duplicates(df, "text", near=True, threshold=0.9, label_column="label")
    assert out.index.tolist() == [0, 2, 4]
    assert report == {"rows_in": 5, "exact": 1, "near": 1, "rows_out": 3, "conflicting_groups": 1}
    assert out.attrs["dropped_rows"]["exact duplicate"] == 1
    exact_only, report = prepare.drop_duplicates(df, "text", near=False)
    assert exact_only.index.tolist() == [0, 1, 2, 4] and report["near"] == 0
    with pytest.raises(DataError, match="'tweet'"):
        prepare.drop_duplicates(df, "tweet")


def test_cross_split_duplicates_counts_leaks():
    leaks = prepare.cross_split_duplicates(
        ["the cat sat on the mat today", "dogs bark"], ["the cat sat on the mat today !", "new text"]
    )
    assert leaks[["test", "train"]].values.tolist() == [[0, 0]]


# --- split ------------------------------------------------------------------------------------


def _labelled(n=200, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"text": [f"t{i}" for i in range(n)], "label": rng.choice([0, 1, 2], size=n, p=[0.1, 0.6, 0.3])})


def test_split_random_and_stratified():
    df = _labelled()
    train, test = prepare.split(df, test_size=0.25, seed=1)
    assert len(test) == 50 and len(train) == 150 and set(train.index).isdisjoint(test.index)
    train, test = prepare.split(df, test_size=0.25, seed=1, stratify="label")
    overall = df["label"].value_counts(normalize=True)
    assert (test["label"].value_counts(normalize=True) - overall).abs().max() < 0.03


def test_split_group_aware_keeps_groups_whole():
    df = _labelled().assign(group=np.arange(200) // 4)
    for stratify in (None, "label"):
        train, test = prepare.split(df, test_size=0.2, seed=3, stratify=stratify, groups="group")
        assert set(train["group"]).isdisjoint(test["group"])
        assert 0.1 < len(test) / len(df) < 0.3
    train, test = prepare.split(df, test_size=0.2, seed=3, groups=df["group"].to_numpy())
    assert set(train["group"]).isdisjoint(test["group"])


def test_split_multilabel_iterative_stratification():
    rng = np.random.default_rng(0)
    n = 400
    df = pd.DataFrame({"a": (rng.random(n) < 0.3).astype(int), "b": (rng.random(n) < 0.05).astype(int), "rare": 0})
    df.loc[rng.choice(n, 5, replace=False), "rare"] = 1
    train, test = prepare.split(df, test_size=0.2, seed=0, label_columns=["a", "b", "rare"])
    assert len(test) == 80 and len(train) == 320
    for label in ("a", "b", "rare"):
        assert abs(test[label].sum() - 0.2 * df[label].sum()) <= 1, label
    assert test["rare"].sum() == 1


def test_split_rejects_bad_input():
    df = _labelled()
    with pytest.raises(DataError, match="'nope'"):
        prepare.split(df, stratify="nope")
    with pytest.raises(ValueError, match="test_size"):
        prepare.split(df, test_size=1.5)
    with pytest.raises(DataError, match="single row"):
        prepare.split(pd.concat([df, pd.DataFrame({"text": ["x"], "label": [9]})]), stratify="label")
    with pytest.raises(DataError, match="0/1"):
        prepare.split(df, label_columns=["label"])
    with pytest.raises(DataError, match="one group id per row"):
        prepare.split(df, groups=[1, 2])


# --- pairs, triplets, anchor-positive --------------------------------------------------------


# --- label maps -------------------------------------------------------------------------------


def test_stratified_sample_keeps_class_shares():
    from ftcourse.prepare import stratified_sample

    df = pd.DataFrame({"text": [f"t{i}" for i in range(1000)], "label": [0] * 900 + [1] * 100})
    sample = stratified_sample(df, "label", 200, seed=1)
    assert abs(len(sample) - 200) <= 2
    assert sample["label"].value_counts().to_dict() == {0: 180, 1: 20}
    assert stratified_sample(df, "label", None) is df
    with pytest.raises(DataError, match="not found"):
        stratified_sample(df, "class", 10)


def test_milestone_split_is_lesson_10s_split():
    from ftcourse.prepare import milestone_split, split, three_way_split

    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {"text": [f"comment number {i}" for i in range(400)], "a": rng.random(400) < 0.3, "b": rng.random(400) < 0.1}
    )
    df[["a", "b"]] = df[["a", "b"]].astype(int)
    train, val, test = milestone_split(df, ["a", "b"], train_size=100, eval_size=30, seed=3)
    full_train, full_val, full_test = three_way_split(df, ["a", "b"], test_size=0.15, val_size=0.15, seed=3)
    assert test.index.equals(full_test.index)  # test stays whole
    expected, _ = split(full_train, test_size=1 - 100 / len(full_train), seed=3, label_columns=["a", "b"])
    assert train.index.equals(expected.index)
    assert abs(len(val) - 30) <= 2 and set(val.index) <= set(full_val.index)
    assert not (set(train.index) | set(val.index)) & set(test.index)


def test_normalize_text_repairs_mojibake_and_leaves_correct_text_alone():
    assert prepare.normalize_text("it\u201aÄôs a good film") == "it\u2019s a good film"  # Mac Roman read, UTF-8 saved
    assert prepare.normalize_text("café naïve “quoted” — ok") == "café naïve “quoted” — ok"
    assert prepare.normalize_text("it\u201aÄôs", encoding=False) == "it\u201aÄôs"
