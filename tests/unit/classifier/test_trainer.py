import json

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.metrics import roc_auc_score

from ftcourse.classifier.labels import MULTI, SINGLE, check_frame, encode_labels
from ftcourse.classifier.losses import build_loss
from ftcourse.classifier.metrics import evaluation_report
from ftcourse.classifier.trainer import WeightedLossTrainer, train_classifier
from ftcourse.errors import DataError, UsageError
from tests.unit.conftest import TINY_TRAINING, toy_frame


def test_multilabel_training_writes_every_artefact(trained_toy):
    (model, tokenizer, history, result), out, _ = trained_toy
    for name in [
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "labels.json",
        "thresholds.json",
        "training_info.json",
        "metrics.json",
        "README.md",
        "training_log.jsonl",
    ]:
        assert (out / name).is_file(), name
    assert not list(out.glob("*.bin")) and not (out / "checkpoints").exists()  # safetensors only; checkpoints removed
    labels = json.loads((out / "labels.json").read_text())
    assert labels["label_names"] == ["toxic", "insult"] and labels["problem_type"] == MULTI
    assert set(json.loads((out / "thresholds.json").read_text())) == {"toxic", "insult"}
    info = json.loads((out / "training_info.json").read_text())
    assert info["train_size"] == 40 and info["eval_size"] == 24
    assert info["hyperparameters"]["weight_decay"] == 0.01 and info["hyperparameters"]["max_grad_norm"] == 1.0
    assert info["hyperparameters"]["loss"] == "BCEWithLogitsLoss"
    assert "validation" in json.loads((out / "metrics.json").read_text())
    card = (out / "README.md").read_text()
    assert "CC0 (made up in the test)" in card and "| label |" in card
    assert model.config.problem_type == MULTI and model.config.id2label == {0: "toxic", 1: "insult"}
    assert result["eval_probabilities"].shape == (24, 2)
    assert {"loss", "eval_roc_auc_macro"} <= set(history.columns)


def test_the_tiny_model_learns_the_toy_task(trained_toy):
    (_, _, _, result), _, _ = trained_toy
    assert result["validation"]["roc_auc_macro"] > 0.7


def test_selection_metric_and_best_model(trained_toy):
    (_, _, history, result), _, _ = trained_toy
    evals = history.dropna(subset=["eval_roc_auc_macro"])
    assert result["best_metric"] == pytest.approx(evals["eval_roc_auc_macro"].max())


def test_single_label_with_class_weights_and_string_classes(tiny_bert_dir):
    df = toy_frame(48)
    model, _, history, result = train_classifier(
        df.iloc[:32],
        df.iloc[32:],
        label_columns=["label"],
        base_model=str(tiny_bert_dir),
        save=False,
        class_weighting="inverse",
        early_stopping_patience=None,
        **{**TINY_TRAINING, "epochs": 1},
    )
    assert result["problem_type"] == SINGLE and result["label_names"] == ["bad", "good"]
    assert model.config.problem_type == SINGLE
    assert 0 <= result["validation"]["f1_macro"] <= 1
    assert result["output_dir"] is None


def test_custom_loss_module_is_used(tiny_bert_dir):
    from ftcourse.classifier.losses import FocalLoss

    df = toy_frame(32)
    *_, result = train_classifier(
        df.iloc[:16],
        df.iloc[16:],
        label_columns=["toxic", "insult"],
        base_model=str(tiny_bert_dir),
        save=False,
        loss=FocalLoss(gamma=2.0),
        early_stopping_patience=None,
        **{**TINY_TRAINING, "epochs": 1},
    )
    assert np.isfinite(result["train_loss"])


def test_compute_loss_accepts_num_items_in_batch_and_applies_the_loss(trained_toy, tmp_path):
    from transformers import TrainingArguments

    (model, tokenizer, _, _), _, _ = trained_toy
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor([2.0, 5.0]))
    # An explicit output_dir: without arguments the Trainer makes ./tmp_trainer in the checkout.
    args = TrainingArguments(output_dir=str(tmp_path), report_to="none", use_cpu=True)
    trainer = WeightedLossTrainer(model=model, args=args, loss_fn=loss_fn, problem_type=MULTI)
    batch = tokenizer(["you hate bad", "good cat"], padding=True, return_tensors="pt")
    labels = torch.tensor([[1, 1], [0, 0]])
    loss, outputs = trainer.compute_loss(model, {**batch, "labels": labels}, return_outputs=True, num_items_in_batch=2)
    assert loss.item() == pytest.approx(loss_fn(outputs.logits, labels.float()).item())
    assert trainer.loss_is_scaled_for_ga is False


def test_resume_continues_from_the_last_checkpoint(tiny_bert_dir, tmp_path):
    df = toy_frame(32)
    common = dict(
        label_columns=["toxic", "insult"],
        base_model=str(tiny_bert_dir),
        output_dir=tmp_path,
        early_stopping_patience=None,
        **{**TINY_TRAINING, "epochs": 1},
    )
    train_classifier(df.iloc[:16], df.iloc[16:], keep_checkpoints=True, **common)
    assert list((tmp_path / "checkpoints").glob("checkpoint-*"))
    common["epochs"] = 2
    *_, result = train_classifier(df.iloc[:16], df.iloc[16:], resume=True, **common)
    info = json.loads((tmp_path / "training_info.json").read_text())
    assert info["resumed_from"].endswith("checkpoint-2") and result["epochs_run"] == 2


def test_build_loss_weights():
    y = np.array([[1, 0], [0, 0], [0, 0], [0, 1]] * 5 + [[0, 0]] * 80, dtype=float)
    bce = build_loss(MULTI, y, 2, "inverse", max_pos_weight=50.0)
    assert isinstance(bce, torch.nn.BCEWithLogitsLoss)
    assert bce.pos_weight.tolist() == pytest.approx([19.0, 19.0])
    ce = build_loss(SINGLE, np.array([0, 0, 0, 1]), 2, "inverse")
    assert ce.weight[1] > ce.weight[0]
    assert build_loss(MULTI, y, 2, None) is None
    with pytest.raises(ValueError, match="class_weighting"):
        build_loss(MULTI, y, 2, "effective_number")


def test_bad_frames_raise_one_clear_error():
    df = toy_frame(8)
    with pytest.raises(DataError, match="missing column"):
        check_frame(df, "comment", ["toxic"], "train split")
    with pytest.raises(DataError, match="empty or missing text"):
        check_frame(df.assign(text=[""] + df["text"].tolist()[1:]), "text", ["toxic", "insult"])
    with pytest.raises(DataError, match="must hold 0/1"):
        check_frame(df.assign(toxic=2), "text", ["toxic", "insult"])
    with pytest.raises(DataError, match="outside the known labels"):
        encode_labels(pd.DataFrame({"label": ["good", "neutral"]}), ["label"], SINGLE, ["bad", "good"], "validation split")
    ids, names = encode_labels(pd.DataFrame({"label": [0, 2, 1]}), ["label"], SINGLE, ["a", "b", "c"])
    assert ids.tolist() == [0, 2, 1] and names == ["a", "b", "c"]


def test_evaluation_report_matches_sklearn():
    rng = np.random.default_rng(0)
    y = np.column_stack([rng.integers(0, 2, 60), np.r_[np.ones(3), np.zeros(57)]]).astype(int)
    probs = np.clip(y * 0.3 + rng.random((60, 2)) * 0.7, 0, 1)
    table, summary = evaluation_report(MULTI, y, probs, ["a", "rare"], {"a": 0.4, "rare": 0.5})
    assert table.loc["a", "roc_auc"] == pytest.approx(roc_auc_score(y[:, 0], probs[:, 0]))
    assert np.isnan(table.loc["rare", "roc_auc"]) and summary["not_evaluated"] == ["rare"]
    assert summary["roc_auc_macro"] == pytest.approx(table.loc["a", "roc_auc"])
    assert table.loc["a", "threshold"] == 0.4


def test_thresholds_are_tuned_only_for_labels_with_enough_positives():
    from ftcourse.classifier.metrics import tune_label_thresholds
    from ftcourse.evaluation import tune_thresholds

    rng = np.random.default_rng(1)
    y = np.column_stack([rng.integers(0, 2, 50), np.r_[1, 1, np.zeros(48)]]).astype(int)
    probs = rng.random((50, 2))
    thresholds = tune_label_thresholds(y, probs, ["common", "rare"])
    assert thresholds["rare"] == 0.5
    assert thresholds["common"] == tune_thresholds(y[:, :1], probs[:, :1], ["common"])["common"]


def test_unseen_numeric_label_is_shown_as_a_plain_number():
    with pytest.raises(DataError, match=r"e\.g\. 9\. Fix"):
        encode_labels(pd.DataFrame({"label": [0, 9]}), ["label"], SINGLE, ["a", "b", "c"], "test split")


def test_head_learning_rate_gives_only_the_new_head_its_own_rate(trained_toy, tmp_path):
    from transformers import TrainingArguments

    from ftcourse.classifier.trainer import head_parameters

    (model, *_), _, _ = trained_toy
    names = {id(p): n for n, p in model.named_parameters()}
    assert sorted(names[id(p)] for p in head_parameters(model)) == ["classifier.bias", "classifier.weight"]
    args = TrainingArguments(output_dir=str(tmp_path), learning_rate=2e-5, weight_decay=0.01, use_cpu=True, report_to="none")
    optimizer = WeightedLossTrainer(model=model, args=args, head_learning_rate=1e-3).create_optimizer()
    rate = {names[id(p)]: (g["lr"], g["weight_decay"]) for g in optimizer.param_groups for p in g["params"]}
    assert len(rate) == len(names) == sum(len(g["params"]) for g in optimizer.param_groups), (
        "every parameter in exactly one group"
    )
    assert rate["classifier.weight"] == (1e-3, 0.01) and rate["classifier.bias"] == (1e-3, 0.0)  # weight decay kept per group
    assert {r for n, r in rate.items() if not n.startswith("classifier.")} == {(2e-5, 0.01), (2e-5, 0.0)}
    plain = WeightedLossTrainer(model=model, args=args).create_optimizer()
    assert {g["lr"] for g in plain.param_groups} == {2e-5}


def test_head_learning_rate_is_recorded(tiny_bert_dir, tmp_path):
    df = toy_frame(32)
    train_classifier(
        df.iloc[:16],
        df.iloc[16:],
        label_columns=["toxic", "insult"],
        base_model=str(tiny_bert_dir),
        output_dir=tmp_path,
        early_stopping_patience=None,
        head_learning_rate=5e-3,
        **{**TINY_TRAINING, "epochs": 1},
    )
    info = json.loads((tmp_path / "training_info.json").read_text())
    assert info["hyperparameters"]["head_learning_rate"] == 5e-3


def test_linear_probe_head_init_is_run_and_recorded(tiny_bert_dir, tmp_path):
    df = toy_frame(48)
    common = {"base_model": str(tiny_bert_dir), "label_columns": "label", "save": False, **TINY_TRAINING}
    *_, result = train_classifier(df.iloc[:32], df.iloc[32:], head_init="linear_probe", **common)
    assert set(result["linear_probe"]) == {"seconds", "train_accuracy"}
    *_, plain_result = train_classifier(df.iloc[:32], df.iloc[32:], **common)
    assert plain_result["linear_probe"] is None


def test_unknown_head_init_is_refused(tiny_bert_dir):
    df = toy_frame(16)
    with pytest.raises(UsageError, match="head_init"):
        train_classifier(df.iloc[:8], df.iloc[8:], label_columns="label", base_model=str(tiny_bert_dir), head_init="zeros")
