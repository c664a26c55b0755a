"""Publishing a trained classifier: write the exact folder a user would download, read it, then push it.

``huggingface_hub`` uploads a folder as it is, so the safe order is a dry run first: :func:`publish_folder` copies what a user
needs (weights, tokenizer, labels, thresholds, model card, metrics) and leaves out what they do not (checkpoints, logs with
this machine's paths, hidden marker files), adds the sections and files you pass, and lists every file with its size.
:func:`push_folder` then uploads that folder, online only, with the token from ``HF_TOKEN``: never from a flag, a config
file or a notebook cell.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd

from ftcourse.classifier.artifacts import check_model_dir
from ftcourse.errors import UsageError
from ftcourse.files import write_json
from ftcourse.models import hub_token_or_fail

LEFT_OUT_SUFFIXES = (".jsonl",)  # training logs: per-step lines with this machine's paths and timings


def publish_folder(
    model_dir: str | os.PathLike,
    output: str | os.PathLike,
    card_sections: dict[str, str] | None = None,
    extra_files: dict[str, dict] | None = None,
) -> pd.DataFrame:
    """Write the folder that would be published, and list it.

    Args:
        model_dir: a folder written by ``train_classifier`` (checked: a clear error names what is missing).
        output: a new or empty folder.
        card_sections: heading -> markdown text, appended to the copied model card (``README.md``), e.g. calibration
            results or a bias probe.
        extra_files: file name -> JSON-serialisable content, written beside the weights (e.g. ``calibration.json``).

    Returns:
        One row per file written: ``file`` and ``KiB``.
    """
    model_dir, output = check_model_dir(model_dir), Path(output).expanduser()
    if output.resolve() == model_dir.resolve():
        raise UsageError(f"{output}: is the model folder itself. Fix: publish into a new, empty folder.")
    if output.is_dir() and any(output.iterdir()):
        raise UsageError(
            f"{output}: already holds files. Fix: pass a new or empty folder (a publish folder is never merged into)."
        )
    output.mkdir(parents=True, exist_ok=True)
    for path in sorted(model_dir.iterdir()):
        if path.is_file() and not path.name.startswith(".") and path.suffix not in LEFT_OUT_SUFFIXES:
            shutil.copy2(path, output / path.name)
    for name, content in (extra_files or {}).items():
        write_json(output / name, content)
    if card_sections:
        with open(output / "README.md", "a", encoding="utf-8") as card:
            for heading, text in card_sections.items():
                card.write(f"\n## {heading}\n\n{text.strip()}\n")
    return pd.DataFrame(
        [{"file": p.name, "KiB": round(p.stat().st_size / 1024, 1)} for p in sorted(output.iterdir()) if p.is_file()]
    )


def push_folder(folder: str | os.PathLike, repo_id: str) -> str:
    """Upload ``folder`` (written by :func:`publish_folder`) to the model repository ``repo_id``; return its URL.

    The token comes from ``HF_TOKEN`` only; offline, or without a token, a clear error says what to do instead.
    """
    token = hub_token_or_fail(f"push to {repo_id}", "publish the folder now (a dry run) and push it later, online")
    folder = Path(folder)
    if not (folder / "README.md").is_file():
        raise UsageError(f"{folder}: has no README.md (model card). Fix: write the folder with publish_folder first.")
    from huggingface_hub import HfApi  # only online users get here

    api = HfApi(token=token)
    api.create_repo(repo_id, repo_type="model", exist_ok=True)
    api.upload_folder(folder_path=str(folder), repo_id=repo_id, repo_type="model")
    return f"https://huggingface.co/{repo_id}"
