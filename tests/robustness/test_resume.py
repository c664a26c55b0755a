"""A training run killed after its first checkpoint resumes with --resume and ends where an uninterrupted run ends."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.unit.conftest import toy_frame

TOLERANCE = 1e-4  # resumed runs restore optimizer, scheduler and RNG state: metrics should agree to float noise
ARGS = [
    "--label-columns",
    "toxic,insult",
    "--epochs",
    "5",
    "--batch-size",
    "4",
    "--learning-rate",
    "5e-3",
    "--max-length",
    "32",
    "--test-size",
    "0.2",
    "--val-size",
    "0.2",
    "--seed",
    "3",
    "--no-preprocessing",
]


def _command(csv, model, out, *extra):
    return [
        sys.executable,
        "-m",
        "ftcourse",
        "train-classifier",
        "--data",
        str(csv),
        "--base-model",
        str(model),
        "--output",
        str(out),
        *ARGS,
        *extra,
    ]


def _env():
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TQDM_DISABLE": "1", "OMP_NUM_THREADS": "1"}


def _complete_checkpoints(out):
    folder = out / "checkpoints"
    return sorted(p for p in folder.glob("checkpoint-*") if (p / "trainer_state.json").is_file()) if folder.is_dir() else []


@pytest.fixture(scope="module")
def toy_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("resume") / "toy.csv"
    toy_frame(600, seed=1).drop(columns=["label"]).to_csv(path, index=False)
    return path


def test_killed_run_resumes_to_the_same_metrics(toy_csv, tiny_bert_dir, tmp_path):
    reference = tmp_path / "uninterrupted"
    subprocess.run(_command(toy_csv, tiny_bert_dir, reference), check=True, env=_env(), capture_output=True, timeout=600)
    expected = json.loads((reference / "metrics.json").read_text())["test"]["summary"]

    interrupted = tmp_path / "interrupted"
    process = subprocess.Popen(
        _command(toy_csv, tiny_bert_dir, interrupted), env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.time() + 300
    while not _complete_checkpoints(interrupted) and process.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    assert process.poll() is None, "training finished before its first checkpoint could be interrupted; make the toy run longer"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (interrupted / "metrics.json").exists()
    # A checkpoint cut off mid-write (no trainer_state.json) must be ignored, not resumed from.
    half_written = interrupted / "checkpoints" / "checkpoint-999999"
    half_written.mkdir(parents=True)
    (half_written / "model.safetensors").write_bytes(b"truncated")

    result = subprocess.run(
        _command(toy_csv, tiny_bert_dir, interrupted, "--resume"), env=_env(), capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-2000:]
    resumed = json.loads((interrupted / "metrics.json").read_text())["test"]["summary"]
    for key in ("roc_auc_macro", "pr_auc_macro"):
        assert resumed[key] == pytest.approx(expected[key], abs=TOLERANCE), key
    assert not half_written.exists(), "the half-written checkpoint should be removed"
    leftovers = interrupted / "checkpoints"
    if leftovers.is_dir():
        assert all((p / "trainer_state.json").is_file() for p in leftovers.glob("checkpoint-*"))
