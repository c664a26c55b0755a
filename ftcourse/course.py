"""What every lesson imports: ``lesson_setup`` (seed, profile, output folder) and ``write_metrics``
(the lesson's key numbers in ``OUTPUT_DIR/metrics.json``, which the tests assert on)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from ftcourse.files import to_jsonable
from ftcourse.profiles import get_profile
from ftcourse.runtime import seed_everything


def lesson_setup(profile: str = "fast", seed: int = 42, output_dir: str | os.PathLike = "outputs", **overrides):
    """The first call of every lesson: seed everything, pick the profile, create the output folder.

    Args:
        profile: ``"fast"`` or ``"full"`` (the notebook's ``PROFILE`` parameter).
        seed: the notebook's ``SEED``.
        output_dir: the notebook's ``OUTPUT_DIR``; created if missing.
        **overrides: profile fields to override (None values are ignored).

    Returns:
        ``(Profile, Path of the output folder)``.
    """
    chosen = get_profile(profile, **overrides)
    seed_everything(seed)
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    return chosen, out


def write_metrics(output_dir: str | os.PathLike, metrics: dict) -> Path:
    """Write a lesson's key numbers to ``output_dir/metrics.json`` (the tests assert on this file).

    Numpy values are converted to plain numbers. Returns the file's path.
    """
    path = Path(output_dir) / "metrics.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_jsonable(metrics), indent=2, sort_keys=True))
    return path
