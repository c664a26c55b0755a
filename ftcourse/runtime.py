"""Where and how a run executes: the process rank, seeds, the device and mixed precision.

torch is imported inside the functions: importing this module (and so the package's light parts,
such as the command-line parser) must not load the training stack.
"""

from __future__ import annotations

import contextlib
import os
import random
import sys
from collections.abc import Iterator

import numpy as np

from ftcourse.errors import UsageError


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and PyTorch (CPU and GPU) so that a run can be repeated.

    Args:
        seed: any integer.
    """
    random.seed(seed)
    np.random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    import torch

    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def is_main_process() -> bool:
    """True unless this is a secondary process of a ``torchrun`` / ``accelerate launch`` run.

    Those launchers set ``RANK`` for every process; only rank 0 writes artefacts, so files are
    written once and never half-overwritten by a twin process. Usable before a Trainer exists.
    """
    return int(os.environ.get("RANK", "0")) == 0


def end_distributed_run() -> None:
    """Shut down the process group of a ``torchrun`` run before this process exits.

    The Trainer opens the group and never closes it; left open, a process can abort at exit
    ("terminate called without an active exception") while its communication threads still run,
    and torchrun then reports the whole run as failed. Does nothing in a single process.
    """
    if "torch" not in sys.modules:  # commands that never loaded torch started no process group
        return
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        # No barrier first: after a failure in one process the others may be inside a collective.
        dist.destroy_process_group()


def pick_device() -> str:
    """The best device here: ``"cuda"``, then ``"mps"`` (Apple silicon), then ``"cpu"``."""
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


# Whether training on a CPU may use bfloat16 autocast (set by lesson_setup from the profile, or by use_cpu_bf16).
_CPU_BF16 = {"wanted": False, "inference_in_fp32": False, "inference": False}


def cpu_bf16_supported() -> bool:
    """True when this CPU multiplies bfloat16 matrices natively (Intel AMX tiles or AVX512-BF16).

    There, ``bench/results/cpu_bf16.md`` measures bfloat16 autocast training faster than fp32 with the same quality. Other
    CPUs have no bfloat16 matrix instructions and were not measured, so it is not used there. torch has no public probe for
    these instruction sets yet: its ``torch.cpu`` checks are read defensively.
    """
    import torch

    probes = ("_is_amx_tile_supported", "_is_avx512_bf16_supported")
    return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in probes)


def use_cpu_bf16(wanted: bool) -> bool:
    """Ask for bfloat16 autocast when training on a CPU that supports it (see :func:`cpu_bf16_supported`).

    Args:
        wanted: True to use it where supported; False for fp32 everywhere on a CPU (the default).

    Returns:
        Whether training on this CPU will now use bfloat16.
    """
    _CPU_BF16["wanted"] = bool(wanted)
    return cpu_bf16_active()


CPU_BF16_ENV = "FTCOURSE_CPU_BF16"  # "0": fp32 on a CPU whatever the profile asks (a before/after measurement, a suspect result)
_OFF, _ON = {"0", "false", "off", "no"}, {"", "1", "true", "on", "yes"}


def cpu_bf16_active() -> bool:
    """True when a CPU training run here uses bfloat16 autocast: asked for by :func:`use_cpu_bf16`, supported, and not
    switched off with ``FTCOURSE_CPU_BF16=0`` in the environment.

    Raises:
        UsageError: ``FTCOURSE_CPU_BF16`` holds something other than 0/1 (or false/true, off/on, no/yes).
    """
    setting = os.environ.get(CPU_BF16_ENV, "").strip().lower()
    if setting not in _OFF | _ON:
        raise UsageError(
            f"{CPU_BF16_ENV}={os.environ[CPU_BF16_ENV]!r} is not understood. Fix: set it to 0 to train in fp32 on a CPU, "
            "or unset it to let the profile's cpu_bf16 decide."
        )
    if setting in _OFF:
        return False
    return _CPU_BF16["wanted"] and cpu_bf16_supported()


def _forward_in_bf16_when_inferring(self, *args, **kwargs):
    # Bound to one model instance (types.MethodType), so that a deepcopy of the model calls its own weights.
    import torch
    from accelerate.utils import convert_outputs_to_fp32

    forward = type(self).forward.__get__(self)
    if (
        self.training
        or torch.is_grad_enabled()
        or _CPU_BF16["inference_in_fp32"]
        or not _CPU_BF16["inference"]
        or not cpu_bf16_active()
        or self.device.type != "cpu"
    ):
        return forward(*args, **kwargs)
    return convert_outputs_to_fp32(torch.autocast("cpu", dtype=torch.bfloat16)(forward))(*args, **kwargs)


def use_cpu_bf16_inference(wanted: bool) -> bool:
    """Ask models prepared by :func:`cpu_bf16_inference` to infer in bfloat16 where :func:`cpu_bf16_active` holds (off by
    default; ``lesson_setup`` sets it from the profile's ``cpu_bf16_inference``, which a lesson turns on with its
    ``BF16_INFERENCE`` parameter).

    Encoding is about twice as fast with embeddings at cosine 0.9999 to fp32 (``bench/results/inference_bf16.md``), and lesson 13's
    full run kept its effect to three decimals; but in lesson 12 the reranker trained on negatives mined with bfloat16
    embeddings scored nDCG@10 0.407 against 0.441, which is unexplained. Returns the setting now in force.
    """
    _CPU_BF16["inference"] = bool(wanted)
    return _CPU_BF16["inference"]


@contextlib.contextmanager
def inference_in_fp32() -> Iterator[None]:
    """Inside the block, models prepared by :func:`cpu_bf16_inference` infer in fp32 (an ONNX export traces fp32 ops)."""
    previous = _CPU_BF16["inference_in_fp32"]
    _CPU_BF16["inference_in_fp32"] = True
    try:
        yield
    finally:
        _CPU_BF16["inference_in_fp32"] = previous


def cpu_bf16_inference(model):
    """Make ``model`` (a SentenceTransformer, CrossEncoder or transformers model) infer in bfloat16 autocast on a CPU
    where :func:`cpu_bf16_active` holds, once :func:`use_cpu_bf16_inference` asked for it; returns the same object.

    Only inference changes: a forward pass in eval mode without gradients (``encode``, ``predict``) runs the encoder of each
    transformers model inside (its ``base_model``) under bfloat16 autocast and hands fp32 states on, so pooling, normalising
    and classification heads compute in fp32. Training, other devices, and runs without both switches are untouched; the
    switches are read at each call, so a model loaded before they change follows them. Measured:
    ``bench/results/inference_bf16.md``.
    """
    import types

    from transformers import PreTrainedModel

    inner = [model] if isinstance(model, PreTrainedModel) else []
    if not inner:
        found = [(name, m) for name, m in model.named_modules() if isinstance(m, PreTrainedModel)]
        inner = [m for name, m in found if not any(name.startswith(other + ".") for other, _ in found if other != name)]
    for module in inner:
        # the encoder only: a head computing in bfloat16 would round its scores to about three significant digits, enough
        # to tie examples that a threshold or a ranking metric must order
        encoder = module.base_model
        encoder.forward = types.MethodType(_forward_in_bf16_when_inferring, encoder)
    return model


# Whether training on a CPU switches dropout off (set by lesson_setup from the profile's cpu_no_dropout, or by
# use_cpu_training_without_dropout); ftcourse.training.dropout_for_training applies it around each trainer.train().
_CPU_NO_DROPOUT = {"wanted": False}


def use_cpu_training_without_dropout(wanted: bool) -> bool:
    """Ask CPU training runs to train with dropout off and plain ("eager") attention; False restores dropout (the default).

    Drawing dropout's random masks was the largest single cost of a bfloat16 training step on this course's 2-core CPU
    (``bench/results/train_step_profile.md``); ``bench/results/dropout_cost*.md`` measures the fine-tunes without it.
    GPUs are never affected. Returns the setting now in force.
    """
    _CPU_NO_DROPOUT["wanted"] = bool(wanted)
    return _CPU_NO_DROPOUT["wanted"]


def cpu_training_without_dropout(device: str | None = None) -> bool:
    """True when a training run on ``device`` (default: :func:`pick_device`) trains without dropout: a CPU, and asked for."""
    return _CPU_NO_DROPOUT["wanted"] and (device or pick_device()) == "cpu"


def mixed_precision(device: str | None = None) -> dict[str, bool]:
    """Trainer flags for mixed precision: bf16 where the GPU supports it, else fp16; on a CPU, bf16 only when asked for.

    A CPU trains in bfloat16 only after :func:`use_cpu_bf16` asked for it (``lesson_setup`` does so when the profile's
    ``cpu_bf16`` is on) and the CPU supports it natively; MPS trains in fp32.

    Returns:
        ``{"bf16": bool, "fp16": bool}``, ready to pass to (SentenceTransformer)TrainingArguments.
    """
    import torch

    device = device or pick_device()
    if device == "cpu":
        return {"bf16": cpu_bf16_active(), "fp16": False}
    if device != "cuda":
        return {"bf16": False, "fp16": False}
    bf16 = torch.cuda.is_bf16_supported()
    return {"bf16": bf16, "fp16": not bf16}
