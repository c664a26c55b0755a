"""Zero-shot by label descriptions, SetFit's pairs and training, and the SetFit folder read back as a classifier."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ftcourse.errors import DataError, UsageError
from ftcourse.fewshot import pair_threshold, sample_per_class, save_setfit, setfit_pairs, train_setfit, zero_shot_scores
from tests.unit.conftest import toy_frame

TINY_SETFIT = {"num_iterations": 2, "epochs": 1, "batch_size": 8, "learning_rate": 1e-3, "max_length": 32}


def test_sample_per_class_draws_k_of_each_class_reproducibly():
    df = toy_frame(60)
    sample = sample_per_class(df, "label", 5, seed=3)
    assert sample["label"].value_counts().to_dict() == {"bad": 5, "good": 5}
    assert sample.index.equals(sample_per_class(df, "label", 5, seed=3).index)
    assert not sample.index.equals(sample_per_class(df, "label", 5, seed=4).index)
    assert len(sample_per_class(df, "label", 1000)) == len(df)  # a class with fewer rows gives them all
    with pytest.raises(UsageError, match="whole number"):
        sample_per_class(df, "label", 0)
    with pytest.raises(DataError, match="no column"):
        sample_per_class(df, "class", 5)


def test_setfit_pairs_pair_each_example_with_its_class_and_another():
    texts = [f"t{i}" for i in range(6)]
    labels = [0, 0, 0, 1, 1, 2]
    pairs = setfit_pairs(texts, labels, num_iterations=3, seed=0)
    label_of = dict(zip(texts, labels, strict=True))
    same = pairs["sentence1"].map(label_of) == pairs["sentence2"].map(label_of)
    assert (pairs["score"] == same.astype(float)).all()  # 1.0 exactly for same-class pairs
    assert (pairs["sentence1"] != pairs["sentence2"]).all()
    # 3 rounds x 6 examples x one negative, plus one positive for each example whose class has another member (5 of 6).
    assert (pairs["score"] == 0).sum() == 18 and (pairs["score"] == 1).sum() == 15
    assert len(setfit_pairs(texts, labels, num_iterations=3, max_pairs=10)) == 10
    with pytest.raises(DataError, match="single class"):
        setfit_pairs(texts[:3], [0, 0, 0])


def test_pair_threshold_separates_a_handful_of_pairs():
    assert 0.4 < pair_threshold([0.9, 0.8, 0.7, 0.3, 0.2, 0.4], [1, 1, 1, 0, 0, 0]) <= 0.7


def test_zero_shot_picks_the_nearest_description(tiny_bert_dir):
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(tiny_bert_dir))
    texts = ["the cat sat on the mat", "i hate you"]
    scores = zero_shot_scores(model, texts, {"a": texts[0], "b": [texts[1], texts[1]]})
    assert scores.shape == (2, 2)
    assert list(scores.argmax(axis=1)) == [0, 1]  # each text is nearest its own description
    np.testing.assert_allclose(np.diag(scores), 1.0, atol=1e-5)
    with pytest.raises(UsageError, match="empty"):
        zero_shot_scores(model, texts, {"a": " "})


@pytest.fixture(scope="module")
def trained_setfit(tiny_bert_dir):
    df = toy_frame(48)
    return train_setfit(df.iloc[:24], base_model=str(tiny_bert_dir), seed=0, **TINY_SETFIT), df


def test_setfit_probabilities_are_the_logistic_regression_on_the_tuned_embeddings(trained_setfit):
    from sklearn.linear_model import LogisticRegression

    from ftcourse.classifier.predict import predict_proba

    trained, df = trained_setfit
    train_texts, test_texts = df["text"].tolist()[:24], df["text"].tolist()[24:]
    y = (df["label"].iloc[:24] == "good").astype(int)  # classes in sorted order: bad = 0, good = 1
    encode = lambda texts: trained.encoder.encode(texts, normalize_embeddings=True)  # noqa: E731
    head = LogisticRegression(max_iter=2000, random_state=0).fit(encode(train_texts), y)
    np.testing.assert_allclose(predict_proba(trained.classifier, test_texts), head.predict_proba(encode(test_texts)), atol=1e-4)
    assert trained.result["pairs"] == 2 * 2 * 24 and trained.result["trainable_parameters"] > 0


def test_a_saved_setfit_model_predicts_and_evaluates_like_a_classifier(trained_setfit, tmp_path):
    from ftcourse.classifier.artifacts import read_labels
    from ftcourse.classifier.predict import evaluate_saved, load_classifier, predict, predict_proba

    trained, df = trained_setfit
    folder = save_setfit(trained, tmp_path / "setfit", validation=df.iloc[24:36], dataset_name="toy")
    assert read_labels(folder)["method"] == "setfit"
    assert {
        "README.md",
        "metrics.json",
        "training_info.json",
        "training_log.jsonl",
        "thresholds.json",
        "setfit_head.safetensors",
    } <= {p.name for p in folder.iterdir()}
    from ftcourse.training import read_training_log

    history = read_training_log(folder / "training_log.jsonl")
    assert len(history) and "loss" in history.columns  # the contrastive stage's log, as train-classifier writes one
    texts = df["text"].tolist()[36:]
    loaded = load_classifier(folder, device="cpu")
    np.testing.assert_allclose(predict_proba(loaded, texts), predict_proba(trained.classifier, texts), atol=1e-5)
    table = predict(folder, texts)
    assert set(table["labels"]) <= {"bad", "good"}
    _, summary, _ = evaluate_saved(folder, df.iloc[36:])
    assert 0 <= summary["f1_macro"] <= 1


def test_a_setfit_folder_without_its_head_is_a_clear_error(trained_setfit, tmp_path):
    from ftcourse.classifier.predict import load_classifier

    folder = save_setfit(trained_setfit[0], tmp_path / "setfit")
    (folder / "setfit_head.safetensors").unlink()
    with pytest.raises(DataError, match="setfit_head.safetensors is missing"):
        load_classifier(folder, device="cpu")


def test_setfit_with_lora_trains_fewer_weights(tiny_bert_dir):
    df = toy_frame(24)
    full = train_setfit(df, base_model=str(tiny_bert_dir), **TINY_SETFIT)
    lora = train_setfit(df, base_model=str(tiny_bert_dir), lora_r=2, **TINY_SETFIT)
    assert lora.result["trainable_parameters"] < full.result["trainable_parameters"] / 5
    assert not any("lora_" in n for n, _ in lora.encoder.named_parameters())  # merged before the head is fitted
    assert isinstance(lora.result["pair_examples_per_second"], float)


def test_setfit_refuses_a_single_class(tiny_bert_dir):
    df = pd.DataFrame({"text": ["the cat", "a dog"], "label": ["good", "good"]})
    with pytest.raises(DataError, match="single class"):
        train_setfit(df, base_model=str(tiny_bert_dir), **TINY_SETFIT)
