"""The saved classifier folder's schema, with one reader and one writer per file.

A folder written by :func:`ftcourse.classifier.trainer.train_classifier` holds the model and tokenizer
(safetensors), ``labels.json``, ``thresholds.json``, ``training_info.json``, ``metrics.json``,
``training_log.jsonl`` (:data:`ftcourse.training.LOG_FILE`) and a model card ``README.md``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from ftcourse.classifier.model_card import write_model_card
from ftcourse.errors import DataError
from ftcourse.files import read_json, write_json

CHECKPOINT_DIR = "checkpoints"
LABELS_FILE = "labels.json"
THRESHOLDS_FILE = "thresholds.json"
METRICS_FILE = "metrics.json"


def is_classifier_dir(folder: str | os.PathLike) -> bool:
    """True when ``folder`` looks like a saved classifier (``labels.json`` beside a ``config.json``)."""
    folder = Path(folder)
    return (folder / LABELS_FILE).is_file() and (folder / "config.json").is_file()


def check_model_dir(model_dir: str | os.PathLike) -> Path:
    """The folder as a Path if it holds a saved classifier; one clear :class:`DataError` otherwise."""
    folder = Path(model_dir).expanduser()
    if not folder.is_dir():
        raise DataError(f"{folder}: no such model folder. Fix: pass the --output folder of `ftcourse train-classifier`.")
    missing = [name for name in ("config.json", LABELS_FILE) if not (folder / name).is_file()]
    if missing or not any(folder.glob("*.safetensors")):
        raise DataError(
            f"{folder}: not a saved classifier (missing {missing or ['*.safetensors']}). "
            "Fix: pass a folder written by train_classifier / `ftcourse train-classifier`."
        )
    return folder


def write_labels(
    model_dir: str | os.PathLike,
    label_names,
    problem_type: str,
    text_column: str,
    label_columns,
    max_length: int,
    normalize_text: bool,
    method: str | None = None,
) -> Path:
    """Write ``labels.json``: what a reloaded model needs to turn logits into named labels, as in training.

    ``method="setfit"`` marks an encoder + logistic regression (:mod:`ftcourse.classifier.setfit_head`); None, a fine-tuned classifier.
    """
    record = {
        "label_names": list(label_names),
        "problem_type": problem_type,
        "text_column": text_column,
        "label_columns": list(label_columns),
        "max_length": max_length,
        "normalize_text": normalize_text,
    }
    if method:
        record["method"] = method
    return write_json(Path(model_dir) / LABELS_FILE, record)


def read_labels(model_dir: str | os.PathLike) -> dict:
    """The ``labels.json`` of a saved classifier (``label_names``, ``problem_type``, ``text_column``, ...).

    Raises:
        DataError: the file is missing or not valid JSON.
    """
    path = Path(model_dir) / LABELS_FILE
    if not path.is_file():
        raise DataError(f"{path}: missing. Fix: pass a folder written by `ftcourse train-classifier`.")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: is not valid JSON ({exc.msg}). Fix: retrain or restore the file.") from None


def write_thresholds(model_dir: str | os.PathLike, thresholds: dict[str, float]) -> Path:
    """Write ``thresholds.json`` (label -> decision threshold) into ``model_dir``."""
    return write_json(Path(model_dir) / THRESHOLDS_FILE, {k: float(v) for k, v in thresholds.items()})


def read_thresholds(model_dir: str | os.PathLike, label_names) -> dict[str, float]:
    """The decision threshold of each label (0.5 where ``thresholds.json`` has none)."""
    path = Path(model_dir) / THRESHOLDS_FILE
    try:
        saved = read_json(path)
    except ValueError as exc:
        raise DataError(
            f"{path}: is not valid JSON ({exc}). Fix: restore the file written by train-classifier, or delete it (0.5 is used)."
        ) from None
    if not isinstance(saved, dict):
        raise DataError(f'{path}: expected a mapping of label -> threshold. Fix: e.g. {{"toxic": 0.5}}, or delete the file.')
    thresholds = {}
    for name in label_names:
        value = saved.get(name, 0.5)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise DataError(f'{path}: the threshold of {name!r} is {value!r}, not a number in [0, 1]. Fix: e.g. "{name}": 0.5.')
        thresholds[name] = float(value)
    return thresholds


def update_metrics(model_dir: str | os.PathLike, split: str, summary: dict, report: pd.DataFrame | None = None) -> Path:
    """Add one split's numbers to ``metrics.json`` and rewrite the model card.

    Args:
        model_dir: a folder written by :func:`ftcourse.classifier.trainer.train_classifier`.
        split: e.g. ``"validation"`` or ``"test"``.
        summary: headline numbers (macro ROC-AUC, macro-F1, ...).
        report: the per-label table from :func:`ftcourse.classifier.metrics.evaluation_report` (optional).
    """
    path = Path(model_dir) / METRICS_FILE
    metrics = read_json(path)
    entry = {"summary": summary}
    if report is not None:
        entry["per_label"] = report.reset_index().to_dict(orient="records")
    metrics[split] = entry
    write_json(path, metrics)
    write_model_card(model_dir)
    return path
