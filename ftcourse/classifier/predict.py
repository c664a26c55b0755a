"""Load a classifier saved by :func:`ftcourse.classifier.trainer.train_classifier` and classify new texts.

``predict(model_dir, texts)`` returns one row per text with a probability and a flag per label.
Multi-label flags use the per-label thresholds saved in ``thresholds.json`` (tuned on validation);
single-label flags mark the most probable class. Remote code is never executed
(``trust_remote_code`` stays off): a saved folder holds weights and configuration only.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ftcourse.classifier.artifacts import check_model_dir, read_labels, read_thresholds
from ftcourse.classifier.labels import MULTI, check_frame, encode_labels
from ftcourse.classifier.metrics import evaluation_report
from ftcourse.classifier.setfit_head import METHOD as SETFIT
from ftcourse.classifier.setfit_head import load_setfit_module
from ftcourse.errors import DataError
from ftcourse.prepare import normalize_text
from ftcourse.runtime import cpu_bf16_inference, pick_device


@dataclass
class LoadedClassifier:
    """A saved classifier, ready to predict."""

    model: object  # AutoModelForSequenceClassification, in eval mode on ``device``
    tokenizer: object
    label_names: list[str]
    problem_type: str  # "multi_label_classification" or "single_label_classification"
    thresholds: dict[str, float] = field(default_factory=dict)
    max_length: int = 128
    normalize_text: bool = False  # apply ftcourse.prepare.normalize_text, as in training
    device: str = "cpu"
    model_dir: Path | None = None


def from_training(trained) -> LoadedClassifier:
    """Wrap what :func:`ftcourse.train.train_classifier` returned, so it predicts without a save and reload.

    Args:
        trained: the ``TrainedClassifier`` (model, tokenizer, history, result).

    Returns:
        A :class:`LoadedClassifier` with the training's labels, tuned thresholds, max length and
        text normalisation, on the model's device.
    """
    model, tokenizer, _, result = trained
    return LoadedClassifier(
        model=cpu_bf16_inference(model),  # as load_classifier: bfloat16 inference only where the lesson asked for it
        tokenizer=tokenizer,
        label_names=list(result["label_names"]),
        problem_type=result["problem_type"],
        thresholds=dict(result["thresholds"]),
        max_length=result["max_length"],
        normalize_text=result["normalize_text"],
        device=str(model.device),
    )


def load_classifier(model_dir: str | os.PathLike, device: str | None = None) -> LoadedClassifier:
    """Load the model, tokenizer, label names and thresholds from a folder written by ``train_classifier``.

    Args:
        model_dir: the folder (it holds ``config.json``, ``model.safetensors``, ``labels.json``, ``thresholds.json``).
        device: force a device; default :func:`ftcourse.models.pick_device`.

    Raises:
        DataError: the folder is missing or is not a saved classifier.
    """
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    folder = check_model_dir(model_dir)
    labels = read_labels(folder)
    names = list(labels["label_names"])
    device = device or pick_device()
    tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=False)
    if labels.get("method") == SETFIT:  # an encoder + logistic regression (train-classifier --method setfit)
        model = load_setfit_module(folder, device)
    else:
        model = cpu_bf16_inference(
            AutoModelForSequenceClassification.from_pretrained(folder, trust_remote_code=False, use_safetensors=True)
            .to(device)
            .eval()
        )
    if not isinstance(labels.get("label_names"), list) or len(names) != model.config.num_labels:
        raise DataError(
            f"{folder / 'labels.json'}: lists {len(names)} label name(s) {names}, but the model has {model.config.num_labels} outputs. "
            "Fix: restore labels.json as train-classifier wrote it (one name per output, in order)."
        )
    return LoadedClassifier(
        model=model,
        tokenizer=tokenizer,
        label_names=names,
        problem_type=labels.get("problem_type", MULTI),
        thresholds=read_thresholds(folder, names),
        max_length=int(labels.get("max_length", 128)),
        normalize_text=bool(labels.get("normalize_text", False)),
        device=device,
        model_dir=folder,
    )


def predict_proba(
    classifier: LoadedClassifier, texts: Sequence[str], batch_size: int = 32, sort_by_length: bool = True, progress: bool = False
) -> np.ndarray:
    """Probabilities, shape ``(len(texts), n_labels)``: a sigmoid per label, or a softmax over classes.

    Args:
        classifier: from :func:`load_classifier` or :func:`from_training`.
        texts: the texts, in any order; rows of the result follow it.
        batch_size: texts per forward pass.
        sort_by_length: batch texts of similar length together, so that a batch is padded to its
            own longest text rather than to the longest of a random mix (bench/train_throughput.py
            measures the gain); ``False`` keeps the input order.
        progress: show a tqdm bar of the batches (the command line turns it on for long files).
    """
    import torch

    texts = _as_texts(texts)
    if classifier.normalize_text:
        texts = [normalize_text(t) for t in texts]
    if not texts:
        return np.zeros((0, len(classifier.label_names)))
    model, tokenizer = classifier.model, classifier.tokenizer
    order = np.arange(len(texts))
    if sort_by_length:
        lengths = [len(ids) for ids in tokenizer(texts, truncation=True, max_length=classifier.max_length)["input_ids"]]
        order = np.argsort(lengths, kind="stable")
    chunks = []
    with torch.inference_mode():
        for start in tqdm(range(0, len(texts), batch_size), desc="predicting", unit="batch", disable=not progress):
            rows = order[start : start + batch_size]
            batch = tokenizer(
                [texts[i] for i in rows], truncation=True, max_length=classifier.max_length, padding=True, return_tensors="pt"
            )
            logits = model(**batch.to(classifier.device)).logits.float()
            probs = torch.sigmoid(logits) if classifier.problem_type == MULTI else torch.softmax(logits, dim=-1)
            chunks.append(probs.cpu().numpy())
    result = np.empty((len(texts), chunks[0].shape[1]), dtype=chunks[0].dtype)
    result[order] = np.concatenate(chunks)
    return result


def predict(
    model_dir_or_loaded: str | os.PathLike | LoadedClassifier,
    texts: Sequence[str],
    batch_size: int = 32,
    device: str | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Classify ``texts`` with a saved classifier.

    Args:
        model_dir_or_loaded: a folder written by ``train_classifier``, or a :class:`LoadedClassifier`
            (load once with :func:`load_classifier` when predicting many times).
        texts: the texts (a string is one text).
        batch_size: texts per forward pass.
        device: force a device when loading from a folder.
        progress: show a progress bar of the batches.

    Returns:
        One row per text: ``text``, ``prob_<label>`` per label, ``flag_<label>`` per label (bool) and
        ``labels`` (the flagged label names joined by ", "; "" when none).
    """
    classifier = (
        model_dir_or_loaded if isinstance(model_dir_or_loaded, LoadedClassifier) else load_classifier(model_dir_or_loaded, device)
    )
    texts = _as_texts(texts)
    probs = predict_proba(classifier, texts, batch_size, progress=progress)
    names = classifier.label_names
    if classifier.problem_type == MULTI:
        cut = np.array([classifier.thresholds.get(n, 0.5) for n in names])
        flags = probs >= cut
    else:
        flags = np.zeros_like(probs, dtype=bool)
        if len(probs):
            flags[np.arange(len(probs)), probs.argmax(axis=1)] = True
    table = pd.DataFrame({"text": texts})
    for j, name in enumerate(names):
        table[f"prob_{name}"] = probs[:, j]
    for j, name in enumerate(names):
        table[f"flag_{name}"] = flags[:, j]
    table["labels"] = [", ".join(n for n, f in zip(names, row, strict=True) if f) for row in flags]
    return table


def _as_texts(texts) -> list[str]:
    if isinstance(texts, str):
        return [texts]
    texts = list(texts)
    bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
    if bad:
        raise DataError(
            f"predict: texts must be strings; item {bad[0]} is {type(texts[bad[0]]).__name__}. Fix: pass a list of str."
        )
    return texts


def evaluate_saved(
    model, df: pd.DataFrame, text_column: str | None = None, label_columns: Sequence[str] | None = None, batch_size: int = 32
):
    """Score a saved classifier on a labelled table with its saved thresholds.

    Args:
        model: a model folder or a :class:`LoadedClassifier`.
        df: the table; needs the text column and the label columns used in training
            (default: as recorded in the folder's ``labels.json``).

    Returns:
        ``(table, summary, probabilities)`` as in :func:`ftcourse.classifier.metrics.evaluation_report`.
    """
    loaded = model if isinstance(model, LoadedClassifier) else load_classifier(model)
    saved = read_labels(loaded.model_dir) if loaded.model_dir else {}
    text_column = text_column or saved.get("text_column", "text")
    label_columns = list(label_columns or saved.get("label_columns") or loaded.label_names)
    check_frame(df, text_column, label_columns, "evaluation data", loaded.problem_type)
    y, _ = encode_labels(df, label_columns, loaded.problem_type, loaded.label_names, "evaluation data")
    probs = predict_proba(loaded, df[text_column].astype(str).tolist(), batch_size)
    table, summary = evaluation_report(loaded.problem_type, y, probs, loaded.label_names, loaded.thresholds)
    return table, summary, probs
