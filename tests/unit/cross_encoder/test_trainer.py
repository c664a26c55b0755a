"""train_cross_encoder on a tiny BERT (built in the test, a new random head), the table checks, and pair mining."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ftcourse.cross_encoder.trainer import (
    check_pairs,
    cross_encoder_path,
    load_cross_encoder,
    mine_reranker_pairs,
    train_cross_encoder,
)
from ftcourse.errors import DataError, UsageError


def _pairs(n: int = 24) -> pd.DataFrame:
    words = "the a cat dog sat on mat is good bad love film movie great awful".split()
    rows = []
    for i in range(n):
        query = f"{words[i % 15]} {words[(i + 4) % 15]}"
        rows.append({"query": query, "document": f"{query} {words[(i + 7) % 15]}", "label": 1})
        rows.append({"query": query, "document": f"{words[(i + 9) % 15]} {words[(i + 11) % 15]}", "label": 0})
    return pd.DataFrame(rows)


def test_trains_saves_and_loads_back(tiny_bert_dir, tmp_path):
    model, history = train_cross_encoder(
        str(tiny_bert_dir),
        _pairs(),
        "bce",
        output_dir=tmp_path,
        epochs=2,
        batch_size=8,
        learning_rate=1e-3,
        max_length=16,
        show_progress=False,
    )
    assert history["step"].max() == 12 and history["loss"].notna().any()
    info = json.loads((tmp_path / "training_info.json").read_text())
    assert info["loss"] == "bce" and info["train_rows"] == 48 and info["steps"] == 12
    assert cross_encoder_path(tmp_path) == str(tmp_path / "model")
    reloaded = load_cross_encoder(tmp_path, device="cpu")
    pairs = [("cat sat", "cat sat mat"), ("cat sat", "good film")]
    assert np.allclose(reloaded.predict(pairs), model.predict(pairs), atol=1e-5)
    assert reloaded.num_labels == 1


def test_mnrl_trains_on_query_document_pairs(tiny_bert_dir, tmp_path):
    positives = _pairs().query("label == 1")[["query", "document"]]
    _, history = train_cross_encoder(
        str(tiny_bert_dir),
        positives,
        "mnrl",
        output_dir=tmp_path,
        epochs=1,
        batch_size=8,
        max_length=16,
        save=False,
        show_progress=False,
    )
    assert history["step"].max() == 3 and not (tmp_path / "model").exists()


@pytest.mark.parametrize(
    ("table", "loss", "error", "says"),
    [
        (pd.DataFrame({"query": ["a"], "label": [1]}), "bce", DataError, "document"),
        (pd.DataFrame({"query": ["a"], "document": ["b"], "label": [3]}), "bce", DataError, "[0, 1]"),
        (pd.DataFrame({"query": ["a"], "document": ["b"], "label": ["yes"]}), "bce", DataError, "label"),
        (pd.DataFrame({"query": [" "], "document": ["b"], "label": [1]}), "bce", DataError, "empty"),
        (pd.DataFrame({"query": [], "document": [], "label": []}), "bce", DataError, "no rows"),
        (pd.DataFrame({"query": ["a"], "document": ["b"]}), "listnet", UsageError, "bce"),
    ],
)
def test_check_pairs_names_the_problem(table, loss, error, says):
    with pytest.raises(error, match=None) as caught:
        check_pairs(table, loss, source="pairs.csv")
    assert says in str(caught.value)


def test_check_pairs_returns_float_labels_in_order():
    checked = check_pairs(pd.DataFrame({"label": ["1", "0"], "document": ["b", "c"], "query": ["a", "a"]}))
    assert list(checked.columns) == ["query", "document", "label"] and checked["label"].tolist() == [1.0, 0.0]


def test_unknown_setting_is_refused(tiny_bert_dir, tmp_path):
    with pytest.raises(UsageError, match="epochz"):
        train_cross_encoder(str(tiny_bert_dir), _pairs(), output_dir=tmp_path, epochz=1)


def test_mined_pairs_hold_each_positive_and_its_negatives(tiny_bert_dir):
    from sentence_transformers.sentence_transformer import SentenceTransformer

    bi_encoder = SentenceTransformer(str(tiny_bert_dir), device="cpu")
    positives = _pairs(12).query("label == 1").rename(columns={"query": "anchor", "document": "positive"})
    mined = mine_reranker_pairs(positives, bi_encoder, num_negatives=2, range_max=6, relative_margin=0.0)
    assert list(mined.columns) == ["query", "document", "label"]
    assert set(mined["label"]) <= {0.0, 1.0} and mined["label"].sum() >= 1
    for _, row in mined[mined["label"] == 0].iterrows():  # a negative is never the query's own document
        assert row["document"] not in set(positives.loc[positives["anchor"] == row["query"], "positive"])
    with pytest.raises(DataError, match="anchor"):
        mine_reranker_pairs(positives.rename(columns={"anchor": "q"}), bi_encoder)


def test_mnrl_keeps_mined_negative_columns(tiny_bert_dir, tmp_path):
    from sentence_transformers.sentence_transformer import SentenceTransformer

    bi_encoder = SentenceTransformer(str(tiny_bert_dir), device="cpu")
    positives = _pairs(12).query("label == 1").rename(columns={"query": "anchor", "document": "positive"})
    tuples = mine_reranker_pairs(positives, bi_encoder, num_negatives=1, range_max=6, relative_margin=0.0, labeled=False)
    assert list(tuples.columns) == ["query", "document", "negative_1"]
    assert list(check_pairs(tuples, "mnrl").columns) == ["query", "document", "negative_1"]
    _, history = train_cross_encoder(
        str(tiny_bert_dir),
        tuples,
        "mnrl",
        output_dir=tmp_path,
        epochs=1,
        batch_size=4,
        max_length=16,
        save=False,
        show_progress=False,
    )
    assert history["step"].max() >= 1
