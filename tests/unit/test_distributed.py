"""`train-classifier` and `train-embedder` under `torchrun --nproc_per_node 2` on the CPU (gloo backend).

Each run must finish, train data-parallel (half the optimiser steps of one process: each process sees
half of every epoch), write its artefacts from one process only, and leave a model that loads.
"""

import json
import math
import os
import subprocess
import sys

import pytest

from tests.unit.conftest import toy_frame

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="torchrun's gloo CPU backend is tested on Linux/macOS")


def torchrun(args, tmp_path, timeout=300):
    env = {
        **os.environ,
        "CUDA_VISIBLE_DEVICES": "",  # the CPU path, even on a GPU machine
        "OMP_NUM_THREADS": "1",
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "-m", "ftcourse", *args]
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-4000:]
    # Gloo's threads outliving the interpreter abort a process at exit (seen once in CI): every process closes its group.
    assert "terminate called" not in done.stderr
    return done


def log_steps(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_train_classifier_with_two_processes(tiny_bert_dir, tmp_path):
    data, out = tmp_path / "toy.csv", tmp_path / "model"
    toy_frame(80).drop(columns=["label"]).to_csv(data, index=False)
    done = torchrun(
        [
            "train-classifier",
            "--data",
            str(data),
            "--label-columns",
            "toxic,insult",
            "--base-model",
            str(tiny_bert_dir),
            "--output",
            str(out),
            "--epochs",
            "1",
            "--batch-size",
            "8",
            "--learning-rate",
            "1e-2",
            "--max-length",
            "32",
            "--test-size",
            "0.25",
            "--val-size",
            "0.25",
        ],
        tmp_path,
    )
    assert done.stdout.count("saved to") == 1 and done.stdout.count("test: roc_auc_macro") == 1  # one process reports
    assert done.stdout.count("validation /") == 1
    train_rows = 80 - 20 - 20
    steps = [s for s in log_steps(out / "training_log.jsonl") if "loss" in s]
    # Data parallel: 2 processes x batch 8 -> ceil(40 / 16) steps per epoch, each logged once.
    assert [s["step"] for s in steps] == list(range(1, math.ceil(train_rows / 16) + 1))
    info = json.loads((out / "training_info.json").read_text())
    assert info["train_size"] == train_rows and "test" in json.loads((out / "metrics.json").read_text())
    assert not (out / "checkpoints").exists()

    from ftcourse.predict import predict

    table = predict(out, ["you hate bad", "good cat film"])
    assert table.filter(like="prob_").to_numpy().shape == (2, 2)


def test_train_embedder_with_two_processes(tiny_bert_dir, data_dir, tmp_path):
    from ftcourse.data import load_dataset

    data, out = tmp_path / "faq.jsonl", tmp_path / "embedder"
    load_dataset("covid-faq", "train", data_dir=data_dir).head(40)[["question", "answer"]].to_json(
        data, orient="records", lines=True
    )
    done = torchrun(
        [
            "train-embedder",
            "--data",
            str(data),
            "--base-model",
            str(tiny_bert_dir),
            "--output-dir",
            str(out),
            "--epochs",
            "1",
            "--batch-size",
            "4",
            "--learning-rate",
            "1e-3",
            "--max-seq-length",
            "32",
            "--train-split",
            "0.8",
        ],
        tmp_path,
    )
    assert done.stdout.count("done in") == 1 and done.stdout.count("base vs fine-tuned") == 1  # one process reports
    progress = json.loads((out / "training_progress.json").read_text())
    assert progress["completed"] is True
    steps = [s for s in log_steps(out / "training_log.jsonl") if "loss" in s]
    # Data parallel: 2 processes x batch 4 -> at most ceil(train / 8) steps (one process would take ceil(train / 4)).
    assert [s["step"] for s in steps] == list(range(1, len(steps) + 1)) and 1 <= len(steps) <= math.ceil(
        progress["train_size"] / 8
    )
    assert (out / "train.log").read_text().count("done in") == 1

    from ftcourse.models import load_sentence_transformer

    model = load_sentence_transformer(progress["final_model"])
    assert model.encode(["what is a virus?"]).shape == (1, 32)
