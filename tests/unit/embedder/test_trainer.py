"""train_embedder on a tiny BERT: a few steps, the log, training_info, best-model choice, column check."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ftcourse.errors import DataError
from ftcourse.train import train_embedder


@pytest.fixture()
def tiny_model(tiny_bert_dir):
    from sentence_transformers.sentence_transformer import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer

    word = Transformer(str(tiny_bert_dir), processor_kwargs={"model_max_length": 16})
    return SentenceTransformer(modules=[word, Pooling(word.get_embedding_dimension(), pooling_mode="mean")], device="cpu")


def _scored_pairs(n: int = 24) -> pd.DataFrame:
    words = "the a cat dog sat on mat is good bad love film movie great awful".split()
    rows = [
        {
            "sentence1": f"{words[i % 15]} {words[(i + 3) % 15]} {words[(i + 5) % 15]}",
            "sentence2": f"{words[(i + 1) % 15]} {words[(i + 3) % 15]}",
            "score": (i % 5) / 4,
        }
        for i in range(n)
    ]
    return pd.DataFrame(rows)


def test_trains_a_few_steps_and_writes_log_and_info(tiny_model, tmp_path):
    from sentence_transformers.sentence_transformer.evaluation import EmbeddingSimilarityEvaluator

    train, dev = _scored_pairs(24), _scored_pairs(8)
    evaluator = EmbeddingSimilarityEvaluator(
        dev["sentence1"].tolist(), dev["sentence2"].tolist(), dev["score"].tolist(), name="dev"
    )
    before = [p.detach().clone() for p in tiny_model.parameters()]
    model, history = train_embedder(
        tiny_model,
        train,
        "cosent",
        evaluator=evaluator,
        output_dir=tmp_path,
        epochs=2,
        batch_size=8,
        learning_rate=1e-3,
        seed=0,
        show_progress=False,
    )
    assert any((a != b).any() for a, b in zip(before, model.parameters(), strict=True)), "no weight changed"
    # the log: step 0 evaluation, training losses, one evaluation per epoch
    assert {"step", "epoch", "loss", "eval_dev_spearman_cosine"} <= set(history.columns)
    evals = history.dropna(subset=["eval_dev_spearman_cosine"])
    assert list(evals["step"])[:3] == [0, 3, 6]
    assert history["loss"].notna().sum() >= 2
    info = json.loads((tmp_path / "training_info.json").read_text())
    assert info["train_rows"] == 24 and info["loss"] == "cosent" and info["steps"] == 6
    assert info["hyperparameters"]["warmup_ratio"] == 0.1 and info["hyperparameters"]["bf16"] is False
    assert info["metric_for_best_model"] == "eval_dev_spearman_cosine"
    assert info["best_metric"] == pytest.approx(evals["eval_dev_spearman_cosine"].iloc[1:3].max())
    assert (tmp_path / "model" / "config.json").is_file() or (tmp_path / "model" / "modules.json").is_file()
    assert not list(tmp_path.glob("checkpoint-*"))


def test_no_save_writes_no_model_and_eval_every_n_steps(tiny_model, tmp_path):
    from datasets import Dataset

    train = Dataset.from_pandas(_scored_pairs(32), preserve_index=False)
    _, history = train_embedder(
        tiny_model,
        train,
        "cosine_similarity",
        eval_dataset=_scored_pairs(8),
        output_dir=tmp_path,
        batch_size=8,
        eval_steps=2,
        save=False,
        show_progress=False,
    )
    assert list(history.dropna(subset=["eval_loss"])["step"]) == [0, 2, 4, 4]  # before, every 2 steps, final
    assert not (tmp_path / "model").exists()
    assert json.loads((tmp_path / "training_info.json").read_text())["saved_model"] is None


def test_no_duplicates_sampler_is_chosen_for_mnrl(tiny_model, tmp_path):
    pairs = pd.DataFrame(
        {
            "anchor": ["the cat", "a dog", "the film", "a movie"] * 2,
            "positive": ["cat sat", "dog sat", "film good", "movie bad"] * 2,
        }
    )
    _, history = train_embedder(tiny_model, pairs, "mnrl", output_dir=tmp_path, batch_size=4, save=False, show_progress=False)
    info = json.loads((tmp_path / "training_info.json").read_text())
    assert info["hyperparameters"]["batch_sampler"] == "no_duplicates"
    assert history["loss"].notna().any()


def test_wrong_columns_are_refused_before_training(tiny_model, tmp_path):
    with pytest.raises(DataError, match="make_triplets"):
        train_embedder(tiny_model, _scored_pairs(8), "triplet", output_dir=tmp_path, show_progress=False)
    assert not (tmp_path / "training_log.jsonl").exists()


def _class_pairs(n: int = 16) -> pd.DataFrame:
    pairs = _scored_pairs(n)
    return pairs.assign(label=[i % 2 for i in range(n)])[["sentence1", "sentence2", "label"]]


def test_head_learning_rate_moves_the_softmax_head_faster_than_the_encoder(tiny_model, tmp_path):
    import copy

    import torch

    from ftcourse.embedder.losses import make_loss

    moved = {}
    for head_rate in (None, 1e-2):
        model = copy.deepcopy(tiny_model)
        loss = make_loss("softmax", model, _class_pairs())
        torch.manual_seed(0)
        loss.classifier.reset_parameters()
        head_before = loss.classifier.weight.detach().clone()
        encoder_before = [p.detach().clone() for p in model.parameters()]
        train_embedder(
            model,
            _class_pairs(),
            loss,
            output_dir=tmp_path / str(head_rate),
            batch_size=8,
            learning_rate=1e-4,
            head_learning_rate=head_rate,
            warmup_ratio=0.0,
            save=False,
            show_progress=False,
        )
        moved[head_rate] = (
            (loss.classifier.weight - head_before).abs().max().item(),
            max((p - b).abs().max().item() for p, b in zip(model.parameters(), encoder_before, strict=True)),
        )
    # Adam moves each weight by about the learning rate per step: 2 steps at 1e-2 vs 1e-4.
    assert moved[1e-2][0] > 20 * moved[None][0]
    assert moved[1e-2][1] == pytest.approx(moved[None][1], rel=0.5), "the encoder keeps learning_rate"
    info = json.loads((tmp_path / str(1e-2) / "training_info.json").read_text())
    assert info["hyperparameters"]["head_learning_rate"] == 1e-2


def test_head_learning_rate_on_a_loss_without_a_head_is_refused(tiny_model, tmp_path):
    with pytest.raises(ValueError, match="has no parameters of its own.*Fix"):
        train_embedder(
            tiny_model, _scored_pairs(8), "cosent", output_dir=tmp_path, head_learning_rate=1e-3, save=False, show_progress=False
        )


def test_mini_batch_size_trains_the_cached_form_of_mnrl_and_records_it(tiny_model, tmp_path):
    pairs = pd.DataFrame(
        {
            "anchor": ["the cat", "a dog", "the film", "a movie"] * 2,
            "positive": ["cat sat", "dog sat", "film good", "movie bad"] * 2,
        }
    )
    _, history = train_embedder(
        tiny_model, pairs, "mnrl", output_dir=tmp_path, batch_size=4, mini_batch_size=2, save=False, show_progress=False
    )
    info = json.loads((tmp_path / "training_info.json").read_text())
    assert info["loss"] == "cached_mnrl" and info["hyperparameters"]["mini_batch_size"] == 2
    assert history["loss"].notna().any()


def test_cached_form_maps_ranking_losses_and_refuses_the_others():
    from ftcourse.embedder.trainer import cached_form
    from ftcourse.errors import UsageError

    assert cached_form("mnrl", {"scale": 20.0}, None) == ("mnrl", {"scale": 20.0})
    assert cached_form("mnrl", {"scale": 20.0}, 8) == ("cached_mnrl", {"scale": 20.0, "mini_batch_size": 8})
    name, kwargs = cached_form("matryoshka_mnrl", {"matryoshka_dims": [8, 4]}, 16)
    assert name == "matryoshka_mnrl" and kwargs == {
        "matryoshka_dims": [8, 4],
        "inner": "cached_mnrl",
        "inner_kwargs": {"mini_batch_size": 16},
    }
    with pytest.raises(UsageError, match="no form for the loss 'cosent'"):
        cached_form("cosent", {}, 8)
    for wrong in (0, "sixteen", "16", 16.5, True):
        with pytest.raises(UsageError, match="positive whole number"):
            cached_form("mnrl", {}, wrong)
    assert cached_form("mnrl", {}, np.int64(8))[1] == {"mini_batch_size": 8}  # a whole number from numpy is fine
