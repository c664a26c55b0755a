"""Where and how a run executes: the process rank, seeds, the device and mixed precision.

torch is imported inside the functions: importing this module (and so the package's light parts,
such as the command-line parser) must not load the training stack.
"""

from __future__ import annotations

import os
import random

import numpy as np


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


def pick_device() -> str:
    """The best device here: ``"cuda"``, then ``"mps"`` (Apple silicon), then ``"cpu"``."""
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def mixed_precision(device: str | None = None) -> dict[str, bool]:
    """Trainer flags for mixed precision: bf16 where the GPU supports it, else fp16; none on CPU/MPS.

    Returns:
        ``{"bf16": bool, "fp16": bool}``, ready to pass to (SentenceTransformer)TrainingArguments.
    """
    import torch

    device = device or pick_device()
    if device != "cuda":
        return {"bf16": False, "fp16": False}
    bf16 = torch.cuda.is_bf16_supported()
    return {"bf16": bf16, "fp16": not bf16}
