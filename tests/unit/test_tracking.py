"""ftcourse.tracking: event files written during training (both trainers, report_to) and read back."""

from __future__ import annotations

import pandas as pd
import pytest

from ftcourse.errors import UsageError
from ftcourse.tracking import check_report_to, event_folders, read_scalars, scalar_curves, tracking_callbacks
from tests.unit.conftest import TINY_TRAINING, toy_frame


def _write_events(folder, tag: str, values: list[float]) -> None:
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(log_dir=str(folder))
    for step, value in enumerate(values, start=1):
        writer.add_scalar(tag, value, step)
    writer.close()


def test_scalars_come_back_with_their_steps_per_run(tmp_path):
    _write_events(tmp_path / "trial-0", "train/loss", [0.9, 0.7, 0.5])
    _write_events(tmp_path / "trial-1", "train/loss", [1.0, 0.2])
    scalars = read_scalars(tmp_path)
    assert event_folders(tmp_path) == [tmp_path / "trial-0", tmp_path / "trial-1"]
    assert list(scalars.columns) == ["run", "tag", "step", "value", "wall_time"]
    first = scalars[scalars["run"] == "trial-0"]
    assert first["step"].tolist() == [1, 2, 3]
    assert first["value"].tolist() == pytest.approx([0.9, 0.7, 0.5])
    assert len(scalars[scalars["run"] == "trial-1"]) == 2


def test_curves_pivot_one_run_and_name_what_is_missing(tmp_path):
    _write_events(tmp_path, "train/loss", [0.9, 0.7])
    _write_events(tmp_path, "eval/loss", [0.8, 0.75])
    curves = scalar_curves(read_scalars(tmp_path), ["train/loss", "eval/loss"])
    assert curves["step"].tolist() == [1, 2]
    assert curves["eval/loss"].tolist() == pytest.approx([0.8, 0.75])
    with pytest.raises(UsageError, match="eval/f1"):
        scalar_curves(read_scalars(tmp_path), ["eval/f1"])


def test_a_folder_without_event_files_is_one_clear_error(tmp_path):
    with pytest.raises(UsageError, match="report_to='tensorboard'"):
        read_scalars(tmp_path)


def test_only_offline_trackers_are_accepted():
    assert check_report_to(None) == "none"
    assert check_report_to("TensorBoard") == "tensorboard"
    assert tracking_callbacks("none", "unused") == []
    with pytest.raises(UsageError, match="wandb"):
        check_report_to("wandb")


def test_the_classifier_logs_every_logged_step_to_tensorboard(tiny_bert_dir, tmp_path):
    from ftcourse.train import train_classifier

    df = toy_frame(48)
    trained = train_classifier(
        df.iloc[:32], df.iloc[32:], label_columns=["label"], base_model=str(tiny_bert_dir), output_dir=tmp_path,
        report_to="tensorboard", **TINY_TRAINING,
    )  # fmt: skip
    scalars = read_scalars(tmp_path / "runs")  # outside the checkpoint folder, which is removed after the run
    logged = trained.history.dropna(subset=["loss"])
    assert scalars[scalars["tag"] == "train/loss"]["step"].tolist() == logged["step"].astype(int).tolist()
    assert {"eval/f1_macro", "eval/loss"} <= set(scalars["tag"])
    assert not (tmp_path / "checkpoints").exists()


def test_the_embedder_logs_to_tensorboard_and_a_fresh_run_starts_fresh_curves(tiny_bert_dir, tmp_path):
    from sentence_transformers.sentence_transformer import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer

    from ftcourse.train import train_embedder

    word = Transformer(str(tiny_bert_dir), processor_kwargs={"model_max_length": 16})
    model = SentenceTransformer(modules=[word, Pooling(word.get_embedding_dimension())], device="cpu")
    words = "the cat dog sat on mat is good bad love film".split()
    pairs = pd.DataFrame({"anchor": [f"{w} {words[(i + 2) % 11]}" for i, w in enumerate(words * 2)], "positive": words * 2})
    settings = dict(epochs=1, batch_size=4, logging_steps=1, save=False, show_progress=False, report_to="tensorboard")
    for _ in range(2):  # the second run replaces the first one's event files
        train_embedder(model, pairs, "mnrl", output_dir=tmp_path, **settings)
    scalars = read_scalars(tmp_path / "runs")
    assert len(event_folders(tmp_path / "runs")) == 1
    assert scalars[scalars["tag"] == "train/loss"]["step"].tolist() == list(range(1, 7))


def test_train_classifier_command_writes_event_files_with_report_to(tiny_bert_dir, tmp_path):
    from ftcourse.cli import main

    data = tmp_path / "toy.csv"
    toy_frame(64).drop(columns=["label"]).to_csv(data, index=False)
    out = tmp_path / "model"
    argv = ["train-classifier", "--data", str(data), "--label-columns", "toxic,insult", "--base-model", str(tiny_bert_dir)]
    argv += ["--output", str(out), "--epochs", "1", "--batch-size", "8", "--max-length", "32", "--report-to", "tensorboard"]
    assert main(argv) == 0
    scalars = read_scalars(out / "runs")
    assert "train/loss" in set(scalars["tag"]) and "eval/roc_auc_macro" in set(scalars["tag"])
