"""What the trainers share: a JSONL training log, the training_info file, reading a log back, quiet runs, and the CPU
runs' training without dropout."""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from transformers import TrainerCallback

from ftcourse.errors import DataError
from ftcourse.files import TRAINING_LOG_FILE, to_jsonable
from ftcourse.runtime import cpu_training_without_dropout

LOG_FILE = TRAINING_LOG_FILE  # the JSONL log both trainers write into their output folder
INFO_FILE = "training_info.json"


@contextmanager
def quiet_libraries() -> Iterator[None]:
    """Inside the block, transformers logs errors only and neither it nor datasets draws progress bars; then both are restored.

    For loops that train many small models (active learning): each run's "newly initialized" head report and
    tokenising bars would otherwise bury the loop's own output.
    """
    import datasets
    from transformers.utils import logging as hf_logging

    verbosity, hf_bars, ds_bars = (
        hf_logging.get_verbosity(),
        hf_logging.is_progress_bar_enabled(),
        datasets.is_progress_bar_enabled(),
    )
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    datasets.disable_progress_bars()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if hf_bars:
            hf_logging.enable_progress_bar()
        if ds_bars:
            datasets.enable_progress_bars()


@contextmanager
def dropout_for_training(model, device: str | None = None) -> Iterator[bool]:
    """Inside the block, a CPU run asked to train without dropout (:func:`ftcourse.runtime.cpu_training_without_dropout`)
    has every dropout of the model at 0 and transformers' plain ("eager") attention; both are restored afterwards.

    Plain attention, because without attention dropout PyTorch's fused attention takes a CPU kernel whose bfloat16
    backward pass costs more than the dropout saved (``bench/results/train_step_profile.md``). Adapters' own dropout
    (LoRA's ``lora_dropout``) is kept: it is a setting the learner chose. The saved model's config is unchanged.

    Args:
        model: what the trainer trains (a transformers model, a SentenceTransformer, a CrossEncoder, a PEFT model).
        device: where it trains; default: :func:`ftcourse.runtime.pick_device`.

    Yields:
        Whether dropout was switched off.
    """
    from torch import nn
    from transformers import PreTrainedModel

    if not cpu_training_without_dropout(device):
        yield False
        return
    dropouts = {
        module: module.p
        for name, module in model.named_modules()
        if isinstance(module, nn.Dropout) and "lora_dropout" not in name
    }
    encoders = [m for m in model.modules() if isinstance(m, PreTrainedModel)]
    attention = {encoder: encoder.config._attn_implementation for encoder in encoders}
    try:
        for module in dropouts:
            module.p = 0.0
        for encoder in encoders:
            encoder.set_attn_implementation("eager")
        yield True
    finally:
        for module, p in dropouts.items():
            module.p = p
        for encoder, implementation in attention.items():
            encoder.set_attn_implementation(implementation)


class DropoutForTrainingCallback(TrainerCallback):
    """:func:`dropout_for_training` for a Trainer you build yourself: applied when training begins, undone when it ends.

    It follows the model the Trainer trains, so it also serves ``hyperparameter_search``, where ``model_init`` makes a new
    model for every trial. The package's own trainers use the context manager, which also restores a run that fails.
    """

    def __init__(self):
        self._active = ExitStack()

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        self._active.close()  # a previous run that ended without on_train_end (an exception) is restored first
        self._active.enter_context(dropout_for_training(model, args.device.type))

    def on_train_end(self, args, state, control, **kwargs):
        self._active.close()


class JsonlLogCallback(TrainerCallback):
    """Append every Trainer log event (loss, learning rate, eval metrics) to a JSONL file.

    Each line holds ``step``, ``epoch``, ``time`` (seconds since training started) and the logged
    values. Only the main process writes, so the file is correct under ``torchrun`` too.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._start = time.perf_counter()

    def on_train_begin(self, args, state, control, **kwargs):
        self._start = time.perf_counter()
        if state.is_world_process_zero:
            self.path.parent.mkdir(parents=True, exist_ok=True)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero or not logs:
            return
        record = {"step": state.global_step, "epoch": state.epoch, "time": round(time.perf_counter() - self._start, 3)}
        record.update({k: _finite(v) for k, v in logs.items()})
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")


class DivergenceCallback(TrainerCallback):
    """Stop training at the first non-finite loss or gradient norm (a learning rate far too high), before
    the run evaluates or checkpoints NaN weights; :func:`check_converged` then raises."""

    def __init__(self):
        self.diverged_at: tuple | None = None  # (step, what, value)

    def on_log(self, args, state, control, logs=None, **kwargs):
        for key in ("loss", "grad_norm"):
            value = (logs or {}).get(key)
            if self.diverged_at is None and isinstance(value, (int, float)) and not math.isfinite(value):
                self.diverged_at = (state.global_step, key, value)
        return self._halt(control)

    def on_step_end(self, args, state, control, **kwargs):
        return self._halt(control)

    def on_epoch_end(self, args, state, control, **kwargs):
        return self._halt(control)

    def _halt(self, control):
        if self.diverged_at is not None:
            control.should_training_stop = True
            control.should_evaluate = control.should_save = False
        return control


def diverged(where: str, flag: str = "--learning-rate") -> DataError:
    """The error of a run whose loss or weights stopped being finite (``where``: the step and the value)."""
    return DataError(
        f"training diverged ({where}): the loss or the weights are not finite, so no model is saved. "
        f"Fix: lower {flag} (learning_rate), e.g. 2e-5 for the encoder, and run again with --overwrite."
    )


def check_converged(model, callback: DivergenceCallback, flag: str = "--learning-rate") -> None:
    """Raise :func:`diverged`'s DataError if ``callback`` saw a non-finite loss or ``model`` holds a non-finite weight."""
    import torch

    if callback.diverged_at is not None:
        step, key, value = callback.diverged_at
        raise diverged(f"at step {step}, {key} {value}", flag)
    with torch.no_grad():
        if not all(bool(torch.isfinite(p).all()) for p in model.parameters()):
            raise diverged("non-finite weights after training", flag)


def _finite(value):
    # JSON has no NaN/inf; keep the file parseable by every reader.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def read_training_log(path: str | os.PathLike):
    """Read a JSONL training log into a DataFrame (one row per log event)."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        return pd.DataFrame(columns=["step", "epoch"])
    return pd.DataFrame([json.loads(line) for line in path.read_text().splitlines() if line.strip()])


def write_training_info(path: str | os.PathLike, **info) -> Path:
    """Write ``info`` (base model, data sizes, hyperparameters, duration, final metrics) as JSON."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_jsonable(info), indent=2, sort_keys=True))
    return path


def last_complete_checkpoint(folder: str | os.PathLike, remove_incomplete: bool = True) -> Path | None:
    """The newest checkpoint in ``folder`` that was written to the end, or None.

    The Trainer writes ``trainer_state.json`` last, so a checkpoint without it was cut off (a kill
    or a full disk mid-save) and would crash a resume. Such folders are removed when
    ``remove_incomplete`` is true, so no half-written checkpoint is left behind.

    Args:
        folder: the Trainer's ``output_dir`` (it holds ``checkpoint-<step>`` folders).
        remove_incomplete: delete checkpoints that lack ``trainer_state.json``.
    """
    import shutil

    folder = Path(folder)
    if not folder.is_dir():
        return None
    complete = []
    for checkpoint in folder.glob("checkpoint-*"):
        step = checkpoint.name.removeprefix("checkpoint-")
        if not checkpoint.is_dir() or not step.isdigit():
            continue
        if (checkpoint / "trainer_state.json").is_file():
            complete.append((int(step), checkpoint))
        elif remove_incomplete:
            shutil.rmtree(checkpoint)
    return max(complete)[1] if complete else None
