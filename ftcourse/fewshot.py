"""Little labelled data: zero-shot by label descriptions, and SetFit's few-shot recipe (lesson 14).

* Zero-shot: embed one description per label and give each text the label whose description is
  nearest (cosine); for sentence pairs, the base model's cosine with a threshold picked on a handful
  of labelled pairs (:func:`pair_threshold`).
* SetFit (Tunstall et al., 2022): from k labelled examples per class, generate pairs (same class ->
  similarity 1, different classes -> 0), fine-tune the sentence encoder on them with a contrastive
  loss (``CosineSimilarityLoss``, through :func:`ftcourse.embedder.trainer.train_embedder`), then fit
  a logistic regression on the tuned embeddings of the same k examples.

The ``setfit`` package implements this recipe, but its latest release pins transformers and
sentence-transformers below the versions the course uses; this module is the same algorithm on the
package's own trainer. :func:`train_setfit` returns a classifier that the rest of the package treats
like any other (``predict_proba``, ``evaluate_saved``, the command line), and :func:`save_setfit`
writes the same artefacts as ``train_classifier``.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from ftcourse.classifier.artifacts import update_metrics, write_labels, write_thresholds
from ftcourse.classifier.labels import SINGLE, check_frame, encode_labels, label_counts
from ftcourse.classifier.metrics import evaluation_report
from ftcourse.classifier.model_card import write_model_card
from ftcourse.classifier.predict import LoadedClassifier, predict_proba
from ftcourse.classifier.setfit_head import METHOD, SetFitModule, head_weights, save_setfit_module
from ftcourse.embedder.trainer import train_embedder
from ftcourse.errors import DataError, UsageError
from ftcourse.evaluation import pair_classification_metrics
from ftcourse.files import TRAINING_LOG_FILE
from ftcourse.lora import add_lora_to_embedder, merge_lora
from ftcourse.models import BASE_MODEL, load_sentence_transformer, resolve_model
from ftcourse.prepare import normalize_text
from ftcourse.runtime import seed_everything
from ftcourse.training import write_training_info


def sample_per_class(df: pd.DataFrame, label_column: str, k: int, seed: int = 42) -> pd.DataFrame:
    """``k`` random rows of each class (every row of a class that has fewer), in a shuffled order.

    Args:
        df: the pool to draw from (a training split: never the test split); expected column: ``label_column``.
        label_column: the class column.
        k: examples per class.
        seed: which examples are drawn; the same seed gives the same rows.
    """
    if label_column not in df.columns:
        raise DataError(f"sample_per_class: no column {label_column!r}; found {list(df.columns)}.")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise UsageError(f"k={k!r}: examples per class must be a whole number >= 1.")
    parts = [group.sample(n=min(int(k), len(group)), random_state=seed) for _, group in df.groupby(label_column, sort=True)]
    return pd.concat(parts).sample(frac=1.0, random_state=seed)


def label_embeddings(model, descriptions: Mapping[str, str | Sequence[str]]) -> np.ndarray:
    """One unit-length embedding per label, shape ``(len(descriptions), dim)``, in the order of ``descriptions``.

    Args:
        model: a SentenceTransformer.
        descriptions: label -> a description, or several (their unit embeddings are averaged, then scaled to unit length).
    """
    if not descriptions:
        raise UsageError("descriptions is empty: give one description per label, e.g. {'hate': 'hate speech ...'}.")
    prototypes = []
    for label, text in descriptions.items():
        variants = [text] if isinstance(text, str) else list(text)
        if not variants or not all(isinstance(v, str) and v.strip() for v in variants):
            raise UsageError(f"the description of {label!r} is empty: write a sentence saying what the label means.")
        mean = model.encode(variants, normalize_embeddings=True, convert_to_numpy=True).mean(axis=0)
        prototypes.append(mean / np.linalg.norm(mean))
    return np.vstack(prototypes)


def zero_shot_scores(
    model, texts: Sequence[str], descriptions: Mapping[str, str | Sequence[str]], batch_size: int = 64, embeddings=None
) -> np.ndarray:
    """Cosine similarity of each text to each label's description, shape ``(len(texts), len(descriptions))``.

    The zero-shot prediction is the argmax over labels.

    Args:
        model: a SentenceTransformer.
        texts: the texts to label.
        descriptions: label -> a description (or several), in label-id order (see :func:`label_embeddings`).
        batch_size: texts per encoding batch.
        embeddings: the texts' unit-length embeddings under ``model``, when already computed (they are then not encoded again).
    """
    prototypes = label_embeddings(model, descriptions)
    if embeddings is None:
        embeddings = model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True)
    return np.asarray(embeddings) @ prototypes.T


def pair_threshold(similarities, labels) -> float:
    """The cosine threshold that classifies a handful of labelled pairs best (accuracy; ``>=`` threshold means positive).

    Pick it on a few training pairs, then apply it unchanged to the test pairs.
    """
    return pair_classification_metrics(similarities, labels)["accuracy_threshold"]


def setfit_pairs(
    texts: Sequence[str], labels: Sequence, num_iterations: int = 20, max_pairs: int | None = None, seed: int = 0
) -> pd.DataFrame:
    """SetFit's training pairs: for every example, ``num_iterations`` times, one same-class and one other-class partner.

    Args:
        texts, labels: the few labelled examples.
        num_iterations: rounds of pairing (SetFit's default is 20); ``2 * num_iterations * len(texts)`` pairs in all.
        max_pairs: keep a random subset of this many pairs (a CPU budget); None keeps all.
        seed: the random partners.

    Returns:
        Columns ``sentence1``, ``sentence2``, ``score`` (1.0 same class, 0.0 different), shuffled:
        the format of the ``cosine_similarity`` loss.
    """
    texts, labels = list(texts), np.asarray(list(labels))
    if len(texts) != len(labels):
        raise DataError(f"setfit_pairs: {len(texts)} texts but {len(labels)} labels.")
    classes = np.unique(labels)
    if len(classes) < 2:
        raise DataError(
            "setfit_pairs: the examples hold a single class, so there is no negative pair. Fix: add examples of another class."
        )
    rng = np.random.default_rng(seed)
    by_class = {c: np.flatnonzero(labels == c) for c in classes}
    rows = []
    for _ in range(num_iterations):
        for i, label in enumerate(labels):
            same = by_class[label][by_class[label] != i]
            other = np.flatnonzero(labels != label)
            if len(same):
                rows.append((texts[i], texts[rng.choice(same)], 1.0))
            rows.append((texts[i], texts[rng.choice(other)], 0.0))
    pairs = pd.DataFrame(rows, columns=["sentence1", "sentence2", "score"])
    pairs = pairs.sample(frac=1.0, random_state=int(rng.integers(2**31)))
    if max_pairs is not None and len(pairs) > max_pairs:
        pairs = pairs.iloc[:max_pairs]
    return pairs.reset_index(drop=True)


class TrainedSetFit(NamedTuple):
    """What :func:`train_setfit` returns: a classifier ready for ``predict_proba`` and the run's facts."""

    classifier: LoadedClassifier  # model = SetFitModule (tuned encoder + logistic regression as a softmax layer)
    encoder: object  # the tuned SentenceTransformer (for embedding plots, kNN, ...)
    result: dict  # label_names, pairs, train_seconds, examples_per_second, trainable parameters, settings


def train_setfit(
    train_df: pd.DataFrame,
    text_column: str = "text",
    label_column: str = "label",
    label_names: Sequence[str] | None = None,
    base_model: str = BASE_MODEL,
    num_iterations: int = 20,
    max_pairs: int | None = None,
    epochs: float = 1,
    batch_size: int = 16,
    learning_rate: float = 2e-5,
    max_length: int = 128,
    class_weight: str | None = None,
    lora_r: int | None = None,
    normalize: bool = False,
    seed: int = 42,
) -> TrainedSetFit:
    """SetFit: contrastive fine-tuning of the encoder on pairs from the few examples, then a logistic regression.

    Args:
        train_df: the few labelled examples; columns ``text_column`` and ``label_column`` (one class per row).
        label_names: class names in id order (default: the sorted training classes).
        base_model: a Hub id or folder of a sentence-transformers model.
        num_iterations, max_pairs: pairs generated (:func:`setfit_pairs`).
        epochs, batch_size, learning_rate, max_length: of the contrastive stage (CosineSimilarityLoss).
        class_weight: of the logistic regression: None or ``"balanced"``.
        lora_r: train LoRA adapters of this rank instead of the whole encoder (merged before the head is fitted).
        normalize: clean texts with :func:`ftcourse.prepare.normalize_text` first (and when predicting).
        seed: pairs, training order and the solver.

    Returns:
        :class:`TrainedSetFit`.
    """
    check_frame(train_df, text_column, [label_column], "train split", SINGLE)
    y, names = encode_labels(train_df, [label_column], SINGLE, label_names, "train split")
    texts = train_df[text_column].astype(str)
    texts = (normalize_text(texts) if normalize else texts).tolist()
    started = time.perf_counter()
    seed_everything(seed)
    encoder = load_sentence_transformer(resolve_model(base_model), max_seq_length=max_length)
    if lora_r:
        add_lora_to_embedder(encoder, r=lora_r)
    trainable = sum(p.numel() for p in encoder.parameters() if p.requires_grad)
    pairs = setfit_pairs(texts, y, num_iterations, max_pairs, seed)
    settings = {"epochs": epochs, "batch_size": batch_size, "learning_rate": learning_rate, "seed": seed}
    tune_seconds, training_log = _tune_encoder(encoder, pairs, settings, lora_r)
    encoder.eval()
    head = _fit_head(encoder, texts, y, class_weight, seed, batch_size)
    module = SetFitModule(encoder[0].auto_model, *head_weights(head, len(names))).eval()
    classifier = LoadedClassifier(
        module,
        encoder.tokenizer,
        list(names),
        SINGLE,
        max_length=max_length,
        normalize_text=normalize,
        device=str(encoder.device),
    )
    result = {
        "label_names": list(names),
        "train_size": len(texts),
        "label_counts_train": label_counts(y, names, SINGLE),
        "pairs": len(pairs),
        "train_seconds": round(time.perf_counter() - started, 2),
        "pair_examples_per_second": len(pairs) * float(epochs) / max(tune_seconds, 1e-9),
        "trainable_parameters": int(trainable),
        "hyperparameters": {
            **settings,
            "num_iterations": num_iterations,
            "max_pairs": max_pairs,
            "max_length": max_length,
            "loss": "CosineSimilarityLoss",
            "class_weight": class_weight,
            "lora_r": lora_r,
        },
        "base_model": str(base_model),
        "normalize_text": normalize,
        "training_log": training_log,  # the contrastive stage's JSONL log (loss, learning rate per step), as text
    }
    return TrainedSetFit(classifier, encoder, result)


def _tune_encoder(encoder, pairs: pd.DataFrame, settings: dict, lora_r: int | None) -> tuple[float, str]:
    # SetFit's first stage: CosineSimilarityLoss on the pairs; LoRA adapters are folded into the weights afterwards.
    # The scratch folder goes; its training log is kept so that save_setfit writes it like every other trainer.
    with tempfile.TemporaryDirectory(prefix="ftcourse-setfit-") as scratch:
        started = time.perf_counter()
        train_embedder(encoder, pairs, "cosine_similarity", output_dir=scratch, save=False, show_progress=False, **settings)
        seconds = time.perf_counter() - started
        log_path = Path(scratch) / TRAINING_LOG_FILE
        training_log = log_path.read_text(encoding="utf-8") if log_path.is_file() else ""
    if lora_r:
        merge_lora(encoder[0].auto_model)  # in place: the encoder keeps its plain layers, with the updates folded in
    return seconds, training_log


def _fit_head(encoder, texts: list[str], y: np.ndarray, class_weight: str | None, seed: int, batch_size: int):
    # The logistic regression on the tuned, unit-length embeddings of the same few examples (SetFit's second stage).
    from sklearn.linear_model import LogisticRegression

    features = encoder.encode(texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True)
    return LogisticRegression(max_iter=2000, class_weight=class_weight, random_state=seed).fit(features, y)


def save_setfit(
    trained: TrainedSetFit,
    folder: str | os.PathLike,
    text_column: str = "text",
    label_column: str = "label",
    validation: pd.DataFrame | None = None,
    dataset_name: str = "",
    data_licence: str = "",
) -> Path:
    """Write the artefacts ``train_classifier`` writes, so ``predict``, ``evaluate`` and ``load_classifier`` work on them.

    The folder gets the encoder and tokenizer, ``setfit_head.safetensors``, ``labels.json`` (``"method": "setfit"``),
    ``thresholds.json``, ``training_info.json``, ``training_log.jsonl`` (the contrastive stage), ``metrics.json`` (validation
    scores when ``validation`` is given) and a model card ``README.md``.
    """
    classifier, _, result = trained
    folder = Path(folder)
    save_setfit_module(classifier.model, classifier.tokenizer, folder)
    names = classifier.label_names
    write_labels(
        folder, names, SINGLE, text_column, [label_column], classifier.max_length, classifier.normalize_text, method=METHOD
    )
    write_thresholds(folder, dict.fromkeys(names, 0.5))
    (folder / TRAINING_LOG_FILE).write_text(result.get("training_log", ""), encoding="utf-8")
    summary = None
    if validation is not None and len(validation):
        y_val, _ = encode_labels(validation, [label_column], SINGLE, names, "validation split")
        probs = predict_proba(classifier, validation[text_column].astype(str).tolist())
        report, summary = evaluation_report(SINGLE, y_val, probs, names, dict.fromkeys(names, 0.5))
    hp = {**result["hyperparameters"], "method": METHOD}
    write_training_info(
        folder / "training_info.json",
        base_model=result["base_model"],
        problem_type=SINGLE,
        label_names=names,
        dataset=dataset_name,
        data_licence=data_licence,
        train_size=result["train_size"],
        eval_size=0 if validation is None else len(validation),
        label_counts_train=result["label_counts_train"],
        hyperparameters=hp,
        pairs=result["pairs"],
        device=classifier.device,
        epochs_run=hp["epochs"],
        duration_seconds=result["train_seconds"],
        final_metrics={"validation": summary} if summary else {},
    )
    if summary:
        update_metrics(folder, "validation", summary, report)  # also writes the model card
    else:
        write_model_card(folder)
    return folder
