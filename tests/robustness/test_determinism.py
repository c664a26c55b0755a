"""Two runs with the same seed give identical metrics; a different seed may differ."""

import numpy as np

from ftcourse.train import train_classifier
from tests.unit.conftest import toy_frame


def _run(tiny_bert_dir, tmp_path, seed):
    df = toy_frame(96, seed=0)
    trained = train_classifier(
        df.iloc[:64],
        df.iloc[64:],
        label_columns=["toxic", "insult"],
        base_model=str(tiny_bert_dir),
        output_dir=tmp_path / f"run-{seed}",
        epochs=2,
        batch_size=8,
        learning_rate=1e-2,
        max_length=32,
        seed=seed,
        save=False,
        progress=False,
    )
    return trained.result["validation"], trained.result["eval_probabilities"]


def test_same_seed_same_metrics(tiny_bert_dir, tmp_path):
    first, probs_first = _run(tiny_bert_dir, tmp_path / "a", seed=7)
    second, probs_second = _run(tiny_bert_dir, tmp_path / "b", seed=7)
    assert first == second
    np.testing.assert_array_equal(probs_first, probs_second)
    _, probs_other = _run(tiny_bert_dir, tmp_path / "c", seed=8)
    assert not np.array_equal(probs_first, probs_other), "a different seed should change the initialisation and shuffling"


def test_same_seed_same_embedder(tiny_bert_dir, tmp_path):
    from datasets import Dataset
    from sentence_transformers import SentenceTransformer

    from ftcourse.train import train_embedder

    pairs = Dataset.from_dict(
        {
            "anchor": ["the cat sat", "i love this film", "you are bad", "good movie"] * 4,
            "positive": ["a cat on the mat", "great movie", "i hate you", "great film"] * 4,
        }
    )
    outputs = []
    for run in ("a", "b"):
        model = SentenceTransformer(str(tiny_bert_dir), device="cpu")
        trained, _ = train_embedder(model, pairs, "mnrl", output_dir=tmp_path / run, epochs=1, batch_size=4, seed=5, save=False)
        outputs.append(trained.encode(["the cat sat on the mat"]))
    np.testing.assert_array_equal(outputs[0], outputs[1])
