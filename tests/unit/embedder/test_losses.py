"""The loss registry: every entry builds its library loss, and bad columns are refused clearly."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from ftcourse.embedder.losses import (
    REGISTRY,
    check_columns,
    default_matryoshka_dims,
    get_loss_spec,
    list_losses,
    loss_table,
    make_loss,
)
from ftcourse.errors import DataError


@pytest.fixture(scope="module")
def tiny_model(tiny_bert_dir):
    from sentence_transformers.sentence_transformer import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer

    word = Transformer(str(tiny_bert_dir), processor_kwargs={"model_max_length": 16})
    return SentenceTransformer(modules=[word, Pooling(word.get_embedding_dimension(), pooling_mode="mean")], device="cpu")


def _sample(spec) -> pd.DataFrame:
    """A small dataset in the canonical format of ``spec``."""
    texts = [
        "the cat sat on the mat",
        "a dog is good",
        "i love this film",
        "this movie is awful",
        "the mat is bad",
        "you are great",
    ]
    data = {col: [texts[(i + j) % len(texts)] for i in range(6)] for j, col in enumerate(spec.texts)}
    if spec.label == "binary":
        data["label"] = [0, 1, 0, 1, 0, 1]
    elif spec.label == "score":
        data["score"] = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    elif spec.label == "class":
        data["label"] = [0, 0, 1, 1, 2, 2]
    return pd.DataFrame(data)


def _batch(model, df: pd.DataFrame):
    label_col = next((c for c in ("label", "score") if c in df), None)
    features = [model.preprocess(df[c].tolist()) for c in df.columns if c != label_col]
    labels = torch.tensor(df[label_col].to_numpy()) if label_col else None
    return features, labels


@pytest.mark.parametrize("name", list(REGISTRY))
def test_each_loss_builds_and_gives_a_finite_loss_on_its_format(tiny_model, name):
    spec = get_loss_spec(name)
    df = _sample(spec)
    assert check_columns(df, name) is spec
    kwargs = {"mini_batch_size": 2} if name == "cached_mnrl" else {}
    loss = make_loss(name, tiny_model, df, **kwargs)
    assert type(loss).__name__ == spec.class_name
    features, labels = _batch(tiny_model, df)
    if name == "cached_mnrl":  # its forward needs autograd state; one backward proves it runs
        value = loss(features, labels)
        value.backward()
    else:
        value = loss(features, labels)
    assert torch.isfinite(value).all()


def test_softmax_counts_classes_from_the_data(tiny_model):
    loss = make_loss("softmax", tiny_model, _sample(get_loss_spec("softmax")))
    assert loss.classifier.out_features == 3
    assert loss.classifier.in_features == 3 * tiny_model.get_embedding_dimension()  # [u, v, |u-v|]
    with pytest.raises(ValueError, match="num_labels"):
        make_loss("softmax", tiny_model)


def test_matryoshka_dims_default_to_halvings_of_the_model_size(tiny_model):
    assert default_matryoshka_dims(384) == [384, 192, 96, 48]
    loss = make_loss("matryoshka_mnrl", tiny_model)
    assert list(loss.matryoshka_dims) == [32]
    assert type(loss.loss).__name__ == "MultipleNegativesRankingLoss"


def test_datasets_dataset_is_accepted():
    from datasets import Dataset

    ds = Dataset.from_pandas(_sample(get_loss_spec("cosent")), preserve_index=False)
    assert check_columns(ds, "cosent").name == "cosent"
    assert check_columns({"stsb": ds}, "cosent").name == "cosent"


def test_pairs_given_to_a_triplet_loss_say_which_format_and_lesson():
    pairs = _sample(get_loss_spec("contrastive"))
    with pytest.raises(DataError) as err:
        check_columns(pairs, "triplet")
    message = str(err.value)
    assert "(anchor, positive, negative)" in message
    assert "make_triplets" in message and "02_data_formats" in message
    assert "label" in message  # the stray label column is named


@pytest.mark.parametrize(
    ("name", "change", "expected"),
    [
        ("contrastive", lambda df: df.assign(label=[0, 1, 2, 1, 0, 1]), "must be 0 or 1"),
        ("cosine_similarity", lambda df: df.assign(score=df["score"] * 5), r"\[0, 1\]"),
        ("cosent", lambda df: df.drop(columns="score"), "no label column"),
        ("cosent", lambda df: df.assign(score=["x"] * 6), "non-numeric"),
        ("softmax", lambda df: df.assign(label=[0.5] * 6), "integer class ids"),
        ("mnrl", lambda df: df.drop(columns="positive"), "needs 2 to 10"),
        ("mnrl", lambda df: df.assign(anchor=[None, "a", "b", "c", "d", "e"]), "missing text"),
        ("contrastive", lambda df: df.assign(idx=range(6))[["sentence1", "sentence2", "idx", "label"]], "not text"),
        ("batch_hard_triplet", lambda df: df.assign(label=[0, 0, 1, 1, 2, 3]), "single example"),
        ("contrastive", lambda df: df.assign(score=0.5), "both"),
    ],
)
def test_bad_columns_are_refused_with_the_reason(name, change, expected):
    with pytest.raises(DataError, match=expected):
        check_columns(change(_sample(get_loss_spec(name))), name)


def test_unknown_loss_lists_the_known_ones():
    with pytest.raises(ValueError, match="cosent"):
        check_columns(pd.DataFrame({"a": ["x"]}), "no-such-loss")


def test_table_lists_every_loss_with_its_lesson():
    table = loss_table()
    assert list(table["loss"]) == list_losses()
    assert table["lesson"].str.match(r"0[3-7]_").all()


@pytest.mark.parametrize("name", ["triplet", "batch_all_triplet", "batch_hard_triplet"])
def test_every_triplet_loss_takes_its_margin_as_margin(tiny_model, name):
    # TripletLoss's own keyword is triplet_margin; lesson 06 passes one name to all three.
    loss = make_loss(name, tiny_model, margin=0.5)
    assert getattr(loss, "triplet_margin", getattr(loss, "margin", None)) == 0.5
