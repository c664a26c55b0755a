import json

import numpy as np
import pytest

from ftcourse.errors import DataError
from ftcourse.predict import load_classifier, predict, predict_proba


def test_reloaded_model_predicts_like_the_trained_one(trained_toy):
    (_, _, _, result), out, df = trained_toy
    table = predict(out, df["text"].iloc[40:].tolist(), batch_size=5)
    probs = table[["prob_toxic", "prob_insult"]].to_numpy()
    np.testing.assert_allclose(probs, result["eval_probabilities"], atol=1e-5)


def test_flags_use_the_saved_thresholds(trained_toy, tmp_path):
    _, out, df = trained_toy
    loaded = load_classifier(out, device="cpu")
    assert loaded.thresholds == json.loads((out / "thresholds.json").read_text())
    loaded.thresholds = {"toxic": 0.0, "insult": 1.01}  # everything toxic, nothing an insult
    table = predict(loaded, ["you hate bad", "good cat"])
    assert table["flag_toxic"].all() and not table["flag_insult"].any()
    assert table["labels"].tolist() == ["toxic", "toxic"]
    assert list(table.columns) == ["text", "prob_toxic", "prob_insult", "flag_toxic", "flag_insult", "labels"]


def test_batching_does_not_change_probabilities(trained_toy):
    _, out, df = trained_toy
    loaded = load_classifier(out)
    texts = df["text"].tolist()[:13]
    np.testing.assert_allclose(predict_proba(loaded, texts, batch_size=1), predict_proba(loaded, texts, batch_size=64), atol=1e-5)
    assert len(predict(loaded, "one string is one text")) == 1
    assert predict_proba(loaded, []).shape == (0, 2)


def test_bad_inputs_give_clear_errors(trained_toy, tmp_path):
    _, out, _ = trained_toy
    with pytest.raises(DataError, match="no such model folder"):
        load_classifier(tmp_path / "missing")
    with pytest.raises(DataError, match="not a saved classifier"):
        load_classifier(tmp_path)
    with pytest.raises(DataError, match="must be strings"):
        predict(out, ["fine", 3])


def test_remote_code_is_never_trusted(trained_toy, monkeypatch):
    import transformers

    seen = []
    original = transformers.AutoModelForSequenceClassification.from_pretrained

    def spy(*args, **kwargs):
        seen.append(kwargs.get("trust_remote_code"))
        return original(*args, **kwargs)

    monkeypatch.setattr(transformers.AutoModelForSequenceClassification, "from_pretrained", spy)
    load_classifier(trained_toy[1])
    assert seen == [False]


def test_from_training_predicts_like_the_saved_model(trained_toy):
    from ftcourse.predict import from_training, load_classifier, predict_proba

    trained, out, df = trained_toy
    in_memory = from_training(trained)
    assert in_memory.thresholds == trained.result["thresholds"] and in_memory.max_length == 32
    texts = df["text"].tolist()[:10]
    np.testing.assert_allclose(
        predict_proba(in_memory, texts), predict_proba(load_classifier(out, device="cpu"), texts), atol=1e-5
    )


def test_length_sorted_batches_return_rows_in_input_order(trained_toy):
    _, out, _ = trained_toy
    loaded = load_classifier(out)
    # Lengths from 1 to 12 words in a shuffled order: sorting must not move any row.
    words = "you hate bad awful not i am very the cat is good".split()
    texts = [" ".join(words[: n + 1]) for n in (7, 0, 11, 3, 9, 1, 5, 10, 2, 8, 4, 6)]
    one_by_one = np.vstack([predict_proba(loaded, [t], batch_size=1) for t in texts])
    np.testing.assert_allclose(predict_proba(loaded, texts, batch_size=4), one_by_one, atol=1e-5)
    np.testing.assert_allclose(predict_proba(loaded, texts, batch_size=4, sort_by_length=False), one_by_one, atol=1e-5)
