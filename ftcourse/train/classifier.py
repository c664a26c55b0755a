"""``train_classifier``: fine-tune a transformer for single-label or multi-label text classification.

The recipe (one place, used by lesson 10, the CLI and anyone importing the package):

* ``AutoModelForSequenceClassification`` on :func:`ftcourse.models.resolve_model` (any Hub id online,
  the packaged MiniLM offline), ``problem_type`` set so the head uses softmax or sigmoid;
* AdamW (lr 2e-5, weight decay 0.01), linear warmup over 10 % of the steps, gradient clipping at 1.0;
* evaluation every epoch (or every ``eval_steps``), early stopping with patience 2 on validation
  macro ROC-AUC (multi-label) or macro-F1 (single-label), the best checkpoint reloaded at the end;
* optional class weighting (inverse-frequency ``pos_weight`` for BCE, class weights for cross-entropy,
  both from :mod:`ftcourse.imbalance`) or any loss module (e.g. a focal loss);
* tokenised once, padded per batch, batches grouped by length; fp16/bf16 only on a GPU;
* a JSONL log, resumable checkpoints, and the artefacts a user needs to ship the model.

Artefacts written to ``output_dir`` (when ``save=True``): the model and tokenizer (safetensors),
``labels.json``, ``thresholds.json``, ``training_info.json``, ``metrics.json``, ``training_log.jsonl``
and a model card ``README.md``.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from transformers import Trainer

from ftcourse.errors import DataError, plain
from ftcourse.models import BASE_MODEL

SINGLE = "single_label_classification"
MULTI = "multi_label_classification"
CHECKPOINT_DIR = "checkpoints"
LOG_FILE = "training_log.jsonl"


class TrainedClassifier(NamedTuple):
    """What :func:`train_classifier` returns; unpacks as ``model, tokenizer, history, result``."""

    model: Any  # the best model (a PreTrainedModel), on the training device, in eval mode
    tokenizer: Any
    history: pd.DataFrame  # one row per log event: loss, learning_rate, eval_* metrics
    result: dict  # label names, thresholds, validation metrics and probabilities, sizes, timing


# ---------------------------------------------------------------------------------------------
# Data checks and label encoding.


def infer_problem_type(label_columns: Sequence[str]) -> str:
    """``multi_label_classification`` for several 0/1 columns, ``single_label_classification`` for one column."""
    return MULTI if len(label_columns) > 1 else SINGLE



def check_frame(df: pd.DataFrame, text_column: str, label_columns: Sequence[str], name: str = "data", problem_type: str | None = None) -> None:
    """Raise one :class:`DataError` if ``df`` cannot be used for classification.

    Args:
        df: the table; needs ``text_column`` (non-empty strings) and every column of ``label_columns``
            (0/1 integers for multi-label; any hashable class value for single-label).
        text_column: the column holding the text.
        label_columns: one column of classes, or several 0/1 columns.
        name: how the table is called in the message (a file name, "train split", ...).
        problem_type: defaults to :func:`infer_problem_type`.
    """
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"{name}: expected a pandas DataFrame, got {type(df).__name__}.")
    if len(df) == 0:
        raise DataError(f"{name}: has no rows. Fix: check the file and the split sizes.")
    missing = [c for c in [text_column, *label_columns] if c not in df.columns]
    if missing:
        raise DataError(
            f"{name}: missing column(s) {missing}; found {list(df.columns)}. "
            "Fix: pass the right --text-column / --label-columns (text_column / label_columns)."
        )
    text = df[text_column]
    empty = text.isna() | (text.astype(str).str.strip() == "")
    if empty.any():
        raise DataError(
            f"{name}: column {text_column!r} has {int(empty.sum())} empty or missing text(s) (first at row {empty.idxmax()!r}). "
            "Fix: remove or fill those rows before training; nothing is dropped silently."
        )
    problem_type = problem_type or infer_problem_type(label_columns)
    for col in label_columns:
        values = df[col]
        if values.isna().any():
            raise DataError(f"{name}: label column {col!r} has {int(values.isna().sum())} missing value(s). Fix: label every row.")
        if problem_type == MULTI:
            bad = values[~values.isin([0, 1, True, False])]
            if len(bad):
                raise DataError(
                    f"{name}: multi-label column {col!r} must hold 0/1, but has {len(bad)} other value(s), e.g. {bad.iloc[0]!r}. "
                    "Fix: one 0/1 column per label (or a single class column for single-label data)."
                )


def encode_labels(
    df: pd.DataFrame, label_columns: Sequence[str], problem_type: str, label_names: Sequence[str] | None = None, name: str = "data"
) -> tuple[np.ndarray, list[str]]:
    """Turn the label columns of ``df`` into model targets.

    Args:
        df: the table (checked with :func:`check_frame`).
        label_columns: several 0/1 columns (multi-label) or one class column (single-label).
        problem_type: ``multi_label_classification`` or ``single_label_classification``.
        label_names: multi-label: display names of the columns (default: the column names);
            single-label: the class names in id order. Integer classes are ids into it; string classes
            are looked up in it. Default: sorted classes found in ``df`` (derive them from the
            training split, then pass them for every other split).
        name: used in error messages.

    Returns:
        ``(targets, label_names)``: a float ``(n, n_labels)`` 0/1 matrix, or an int ``(n,)`` vector of ids.

    Raises:
        DataError: a class outside ``label_names`` (an unseen label is an error, not a new id).
    """
    if problem_type == MULTI:
        names = list(label_names) if label_names is not None else list(label_columns)
        if len(names) != len(label_columns):
            raise DataError(f"{name}: {len(label_columns)} label columns but {len(names)} label names. Fix: pass one name per column.")
        return df[list(label_columns)].to_numpy(dtype=np.float32), names
    (col,) = label_columns
    values = df[col]
    if label_names is None:
        classes = sorted(values.unique().tolist())
        if pd.api.types.is_integer_dtype(values) and classes != list(range(len(classes))):
            classes = list(range(max(classes) + 1))
        names = [str(c) for c in classes]
    else:
        names = [str(n) for n in label_names]
    if pd.api.types.is_integer_dtype(values):
        ids = values.to_numpy(dtype=np.int64)
        bad = (ids < 0) | (ids >= len(names))
    else:
        lookup = {n: i for i, n in enumerate(names)}
        ids = np.array([lookup.get(str(v), -1) for v in values], dtype=np.int64)
        bad = ids < 0
    if bad.any():
        example = values[bad].iloc[0]
        example = example.item() if hasattr(example, "item") else example  # show 9, not np.int64(9)
        raise DataError(
            f"{name}: column {col!r} has {int(bad.sum())} value(s) outside the known labels {names}, e.g. {example!r}. "
            "Fix: labels are fixed by the training split; correct those rows or add the class to the training data."
        )
    return ids, names


# ---------------------------------------------------------------------------------------------
# Loss and trainer.


def head_parameters(model) -> list:
    """The parameters of a ``...ForSequenceClassification`` model outside its pretrained encoder (the head).

    The encoder lives under ``model.base_model_prefix`` (``bert``, ``roberta``, ...); everything else
    (``classifier``, DistilBERT's ``pre_classifier``, a decoder's ``score``) starts from random.
    """
    prefix = f"{model.base_model_prefix}."
    return [p for name, p in model.named_parameters() if not name.startswith(prefix)]


class WeightedLossTrainer(Trainer):
    """A ``Trainer`` whose loss is a given module applied to ``(logits, labels)``.

    Args:
        loss_fn: an ``nn.Module`` (or callable) ``loss_fn(logits, labels) -> scalar``, e.g.
            ``BCEWithLogitsLoss(pos_weight=...)``, weighted ``CrossEntropyLoss`` or a focal loss.
            None keeps the model's own loss.
        problem_type: decides the label dtype: float 0/1 for multi-label, class ids for single-label.
        head_learning_rate: learning rate of the parameters outside the pretrained encoder (the new
            classification head); None = the training arguments' rate for everything.
        **kwargs: passed to ``Trainer``.
    """

    def __init__(self, *args, loss_fn=None, problem_type: str = SINGLE, head_learning_rate: float | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_fn = loss_fn
        self.problem_type = problem_type
        self.head_learning_rate = head_learning_rate
        # Classification heads average their loss over the batch and ignore num_items_in_batch. Left True
        # (their forward takes **kwargs), the Trainer would multiply the loss by the number of processes
        # under torchrun, doubling the logged loss and the gradients with 2 processes.
        self.model_accepts_loss_kwargs = False
        if loss_fn is not None:
            # Our loss is a per-batch mean: the Trainer must still divide it by the accumulation steps.
            self.loss_is_scaled_for_ga = False

    def create_optimizer(self, model=None):
        fresh = self.optimizer is None
        optimizer = super().create_optimizer(model)
        if fresh and self.head_learning_rate is not None:
            head = {id(p) for p in head_parameters(self.model)}
            extra = []
            for group in optimizer.param_groups:  # keep each group's weight decay, move the head into its own groups
                moved = [p for p in group["params"] if id(p) in head]
                if moved:
                    group["params"] = [p for p in group["params"] if id(p) not in head]
                    extra.append({**{k: v for k, v in group.items() if k != "params"}, "params": moved, "lr": self.head_learning_rate})
            optimizer.param_groups[:] = [g for g in optimizer.param_groups if g["params"]]
            for group in extra:
                optimizer.add_param_group(group)
        return optimizer

    def _get_eval_sampler(self, eval_dataset):
        # Evaluate in row order whatever the training sampler (transformers 5 groups evaluation by length
        # too): the probabilities recorded at each evaluation then line up with the validation table.
        if self.args.world_size <= 1 and eval_dataset is not None:
            from torch.utils.data import SequentialSampler

            return SequentialSampler(eval_dataset)
        return super()._get_eval_sampler(eval_dataset)

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        if self.loss_fn is None:
            return super().compute_loss(model, inputs, return_outputs=return_outputs, num_items_in_batch=num_items_in_batch)
        inputs = dict(inputs)
        labels = inputs.pop("labels")
        outputs = model(**inputs)
        logits = outputs.logits
        if self.problem_type == MULTI:
            labels = labels.to(logits.dtype)
        else:
            labels = labels.long().view(-1)
        loss_fn = self.loss_fn.to(logits.device) if hasattr(self.loss_fn, "to") else self.loss_fn
        loss = loss_fn(logits, labels)
        return (loss, outputs) if return_outputs else loss


def build_loss(
    problem_type: str, targets: np.ndarray, n_labels: int, class_weighting: str | None = None, loss=None, max_pos_weight: float | None = 50.0
):
    """The loss module for training, or None for the model's own unweighted loss.

    Args:
        problem_type: single- or multi-label.
        targets: the training targets from :func:`encode_labels`.
        n_labels: number of classes / labels.
        class_weighting: None (unweighted) or a method. Single-label: ``"inverse"``, ``"sqrt_inverse"``
            or ``"effective_number"`` (:func:`ftcourse.imbalance.class_weights`, normalised to mean 1)
            for a weighted cross-entropy. Multi-label: ``"inverse"`` (negatives / positives per label)
            or ``"sqrt_inverse"`` (its square root) as ``pos_weight`` of ``BCEWithLogitsLoss``
            (:func:`ftcourse.imbalance.pos_weights`).
        loss: a ready loss module; wins over ``class_weighting``.
        max_pos_weight: cap on a multi-label ``pos_weight``: a label with 6 positives in 3,500 rows
            would otherwise weigh ~600 and make training unstable.
    """
    import torch

    if loss is not None:
        return loss
    if not class_weighting:
        return None
    if problem_type == MULTI:
        from ftcourse.imbalance import pos_weights

        methods = {"inverse": "ratio", "ratio": "ratio", "sqrt_inverse": "sqrt_ratio", "sqrt_ratio": "sqrt_ratio"}
        if class_weighting not in methods:
            raise ValueError(f"class_weighting={class_weighting!r} for multi-label data: choose one of {sorted(methods)}.")
        weights = pos_weights(np.asarray(targets).astype(int), method=methods[class_weighting], max_weight=max_pos_weight)
        return torch.nn.BCEWithLogitsLoss(pos_weight=torch.as_tensor(weights, dtype=torch.float32))
    from ftcourse.imbalance import class_weights

    weights = class_weights(np.asarray(targets), n_classes=n_labels, method=class_weighting)
    return torch.nn.CrossEntropyLoss(weight=torch.as_tensor(weights, dtype=torch.float32))


# ---------------------------------------------------------------------------------------------
# Metrics used to pick the best checkpoint.


def probabilities(logits: np.ndarray, problem_type: str) -> np.ndarray:
    """Sigmoid (multi-label) or softmax (single-label) of raw logits."""
    logits = np.asarray(logits, dtype=np.float64)
    if problem_type == MULTI:
        return 1.0 / (1.0 + np.exp(-logits))
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def selection_metrics(y_true: np.ndarray, probs: np.ndarray, problem_type: str, min_positives: int = 5) -> dict[str, float]:
    """The validation numbers early stopping watches (and the headline numbers of a split).

    Multi-label: ``roc_auc_macro`` over the labels with at least ``min_positives`` positives
    (:func:`ftcourse.evaluation.multilabel_report`; if none has that many, over every label with one),
    ``pr_auc_macro`` and ``f1_macro`` at 0.5. Single-label: ``f1_macro`` and ``accuracy``.
    """
    from sklearn.metrics import accuracy_score

    from ftcourse import evaluation

    if problem_type == MULTI:
        y_true = np.asarray(y_true).astype(int)
        names = [f"label_{j}" for j in range(y_true.shape[1])]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tiny validation splits: "too few positives" is expected here
            _, macro = evaluation.multilabel_report(y_true, probs, names, min_positives=min_positives)
            if macro["n_evaluated"] == 0:
                _, macro = evaluation.multilabel_report(y_true, probs, names, min_positives=1)
            _, f1 = evaluation.f1_at_thresholds(y_true, probs, 0.5, names)
        return {"roc_auc_macro": macro["roc_auc"], "pr_auc_macro": macro["pr_auc"], "f1_macro": f1, "labels_scored": macro["n_evaluated"]}
    pred = probs.argmax(axis=1)
    names = [str(j) for j in range(probs.shape[1])]
    _, f1 = evaluation.classification_report_table(y_true, pred, names)
    return {"f1_macro": f1, "accuracy": float(accuracy_score(y_true, pred))}


# ---------------------------------------------------------------------------------------------
# Training.


def _tokenised_dataset(texts: Sequence[str], targets: np.ndarray, tokenizer, max_length: int):
    # Tokenise once (not per epoch) without padding: the collator pads each batch to its longest text.
    from datasets import Dataset

    labels = targets.tolist()
    ds = Dataset.from_dict({"text": list(texts), "labels": labels})
    return ds.map(lambda batch: tokenizer(batch["text"], truncation=True, max_length=max_length), batched=True, remove_columns=["text"])


def _texts(column: pd.Series, normalize: bool) -> list[str]:
    texts = column.astype(str)
    if normalize:
        from ftcourse.prepare import normalize_text

        texts = normalize_text(texts)
    return texts.tolist()


def _last_checkpoint(folder: Path) -> Path | None:
    # Not transformers' get_last_checkpoint: it would pick a checkpoint cut off mid-write by a kill.
    from ftcourse.train.common import is_main_process, last_complete_checkpoint

    # Under torchrun only the main process removes a half-written checkpoint (no two rmtree races).
    return last_complete_checkpoint(folder, remove_incomplete=is_main_process())


def train_classifier(
    train_df: pd.DataFrame,
    eval_df: pd.DataFrame,
    text_column: str = "text",
    label_columns: Sequence[str] = ("label",),
    label_names: Sequence[str] | None = None,
    base_model: str = BASE_MODEL,
    output_dir: str | os.PathLike = "outputs/classifier",
    epochs: float = 3,
    batch_size: int = 16,
    learning_rate: float = 2e-5,
    head_learning_rate: float | None = None,
    weight_decay: float = 0.01,
    warmup_ratio: float = 0.1,
    max_length: int = 128,
    class_weighting: str | None = None,
    loss=None,
    early_stopping_patience: int | None = 2,
    eval_steps: int | None = None,
    seed: int = 42,
    resume: bool = False,
    save: bool = True,
    problem_type: str | None = None,
    max_grad_norm: float = 1.0,
    dataset_name: str = "",
    data_licence: str = "",
    progress: bool = True,
    keep_checkpoints: bool = False,
    normalize: bool = False,
    max_pos_weight: float | None = 50.0,
) -> TrainedClassifier:
    """Fine-tune ``base_model`` for text classification with the Hugging Face ``Trainer``.

    Args:
        train_df, eval_df: tables with ``text_column`` and ``label_columns``. ``eval_df`` (validation)
            picks the best epoch, stops training early and tunes thresholds: keep the test split out of it.
        text_column: the column holding the text.
        label_columns: several 0/1 columns (multi-label, e.g. the six Jigsaw labels) or one class column.
        label_names: see :func:`encode_labels` (default: the column names / the training classes).
        base_model: a Hub id or local folder (resolved with :func:`ftcourse.models.resolve_model`).
        output_dir: where artefacts, the log and checkpoints go.
        epochs: maximum passes over ``train_df`` (early stopping may stop sooner).
        batch_size: examples per step (evaluation uses twice as many).
        learning_rate, weight_decay: AdamW settings.
        head_learning_rate: AdamW rate of the new classification head (see :func:`head_parameters`);
            the encoder keeps ``learning_rate``. None = ``learning_rate`` for both. A fresh head at
            2e-5 needs thousands of steps; 1e-3 lets it keep up with a short fine-tune.
        warmup_ratio: share of steps with a linearly rising learning rate (then linear decay).
        max_length: tokens kept per text.
        class_weighting: None, ``"inverse"`` or ``"sqrt_inverse"`` (see :func:`build_loss`).
        max_pos_weight: cap on multi-label positive weights (see :func:`build_loss`).
        loss: a custom loss module ``loss(logits, labels)``, e.g. ``ftcourse.imbalance.FocalLoss``.
        early_stopping_patience: evaluations without improvement before stopping; None disables it.
        eval_steps: evaluate (and checkpoint) every N steps instead of every epoch.
        seed: seeds the head's initialisation, shuffling and dropout.
        resume: continue from the last checkpoint in ``output_dir/checkpoints`` if there is one.
        save: write the artefacts to ``output_dir``; False trains in a temporary folder.
        problem_type: default :func:`infer_problem_type`.
        max_grad_norm: gradient clipping.
        dataset_name, data_licence: recorded in the model card.
        progress: show tqdm progress bars.
        keep_checkpoints: keep ``output_dir/checkpoints`` after a successful run (they are large).
        normalize: clean texts with :func:`ftcourse.prepare.normalize_text` (links, entities, spaces)
            before tokenising; recorded in ``labels.json`` so that :mod:`ftcourse.predict` does the same.

    Returns:
        :class:`TrainedClassifier` ``(model, tokenizer, history, result)``. ``result`` holds
        ``problem_type``, ``label_names``, ``thresholds`` (tuned on validation for multi-label),
        ``validation`` (best-model summary), ``validation_report`` (per-label DataFrame),
        ``eval_probabilities`` (array), ``best_checkpoint``, ``epochs_run``, ``train_seconds``,
        ``train_size``, ``eval_size`` and ``output_dir``.

    Raises:
        DataError: missing columns, empty texts, labels that are not 0/1 or unseen in training.
    """
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        DataCollatorWithPadding,
        EarlyStoppingCallback,
        TrainingArguments,
    )

    from ftcourse.config import seed_everything
    from ftcourse.models import mixed_precision, pick_device, resolve_model
    from ftcourse.train.common import JsonlLogCallback, is_main_process, read_training_log, write_training_info

    label_columns = [label_columns] if isinstance(label_columns, str) else list(label_columns)
    problem_type = problem_type or infer_problem_type(label_columns)
    if problem_type not in (SINGLE, MULTI):
        raise ValueError(f"problem_type must be {SINGLE!r} or {MULTI!r}, not {problem_type!r}.")
    check_frame(train_df, text_column, label_columns, "train split", problem_type)
    if problem_type == SINGLE and train_df[label_columns[0]].nunique() < 2:
        raise DataError(
            f"train split: column {label_columns[0]!r} holds a single class ({plain(train_df[label_columns[0]].iloc[0])!r}), "
            "so there is nothing to tell apart. Fix: add rows of at least one other class, or check the label column."
        )
    check_frame(eval_df, text_column, label_columns, "validation split", problem_type)
    y_train, names = encode_labels(train_df, label_columns, problem_type, label_names, "train split")
    y_eval, _ = encode_labels(eval_df, label_columns, problem_type, names, "validation split")

    started = time.perf_counter()
    seed_everything(seed)
    device = pick_device()
    model_path = resolve_model(base_model)
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    model = AutoModelForSequenceClassification.from_pretrained(
        model_path,
        num_labels=len(names),
        problem_type=problem_type,
        id2label=dict(enumerate(names)),
        label2id={n: i for i, n in enumerate(names)},
    )
    train_ds = _tokenised_dataset(_texts(train_df[text_column], normalize), y_train, tokenizer, max_length)
    eval_ds = _tokenised_dataset(_texts(eval_df[text_column], normalize), y_eval, tokenizer, max_length)
    loss_fn = build_loss(problem_type, y_train, len(names), class_weighting, loss, max_pos_weight)

    scratch = None if save else tempfile.TemporaryDirectory(prefix="ftcourse-classifier-")
    out = Path(output_dir) if save else Path(scratch.name)
    out.mkdir(parents=True, exist_ok=True)
    checkpoints = out / CHECKPOINT_DIR
    log_path = out / LOG_FILE
    resume_from = _last_checkpoint(checkpoints) if resume else None
    if resume_from is None and is_main_process():
        # A fresh run: old checkpoints or log lines would mix two runs.
        shutil.rmtree(checkpoints, ignore_errors=True)
        log_path.unlink(missing_ok=True)

    steps_per_epoch = math.ceil(len(train_ds) / batch_size)
    total_steps = max(1, math.ceil(steps_per_epoch * epochs))
    metric = "roc_auc_macro" if problem_type == MULTI else "f1_macro"
    strategy = "steps" if eval_steps else "epoch"
    args = TrainingArguments(
        output_dir=str(checkpoints),
        num_train_epochs=epochs,
        per_device_train_batch_size=batch_size,
        per_device_eval_batch_size=batch_size * 2,
        learning_rate=learning_rate,
        weight_decay=weight_decay,
        optim="adamw_torch",
        lr_scheduler_type="linear",
        warmup_steps=float(warmup_ratio),  # transformers 5: a float below 1 is a share of the steps
        max_grad_norm=max_grad_norm,
        eval_strategy=strategy,
        save_strategy=strategy,
        eval_steps=eval_steps,
        save_steps=eval_steps,
        save_total_limit=2,  # the best and the latest: enough to resume and to reload the best
        load_best_model_at_end=True,
        metric_for_best_model=metric,
        greater_is_better=True,
        logging_strategy="steps",
        logging_steps=max(1, min(50, total_steps // 20)),
        train_sampling_strategy="group_by_length",
        seed=seed,
        data_seed=seed,
        report_to="none",
        disable_tqdm=not progress,
        dataloader_pin_memory=device == "cuda",
        use_cpu=device == "cpu",  # without it, torchrun on a CPU-only machine would train N separate copies
        **mixed_precision(device),
    )

    recorded: dict[int, np.ndarray] = {}  # validation probabilities per evaluation step

    def compute_metrics(prediction):
        probs = probabilities(prediction.predictions, problem_type)
        recorded[trainer.state.global_step] = probs
        return selection_metrics(prediction.label_ids, probs, problem_type)

    callbacks = [JsonlLogCallback(log_path)]
    if early_stopping_patience:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=early_stopping_patience))
    trainer = WeightedLossTrainer(
        model=model,
        args=args,
        train_dataset=train_ds,
        eval_dataset=eval_ds,
        processing_class=tokenizer,
        data_collator=DataCollatorWithPadding(tokenizer),
        compute_metrics=compute_metrics,
        callbacks=callbacks,
        loss_fn=loss_fn,
        problem_type=problem_type,
        head_learning_rate=head_learning_rate,
    )
    if not progress:
        from transformers.trainer_callback import PrinterCallback

        # Without progress bars the Trainer prints every log line instead; the JSONL log already has them.
        trainer.remove_callback(PrinterCallback)
    train_output = trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    train_seconds = time.perf_counter() - started

    model = trainer.model.eval()
    # The best checkpoint's validation probabilities were recorded when it was evaluated (in row order);
    # scoring the validation split again would double the evaluation time. They are recomputed only
    # when missing (best checkpoint from before a resume, or several processes).
    best_step = int(Path(trainer.state.best_model_checkpoint).name.split("-")[-1]) if trainer.state.best_model_checkpoint else None
    eval_probs = recorded.get(best_step)
    if eval_probs is None or len(eval_probs) != len(eval_df):
        from ftcourse.predict import LoadedClassifier, predict_proba

        in_memory = LoadedClassifier(model, tokenizer, names, problem_type, max_length=max_length, normalize_text=normalize, device=str(model.device))
        eval_probs = predict_proba(in_memory, eval_df[text_column].astype(str).tolist(), batch_size=batch_size * 2)
    thresholds = _tune_thresholds(problem_type, y_eval, eval_probs, names)
    report, summary = evaluation_report(problem_type, y_eval, eval_probs, names, thresholds)
    history = read_training_log(log_path)
    epochs_run = float(trainer.state.epoch or 0)
    result = {
        "problem_type": problem_type,
        "label_names": names,
        "thresholds": thresholds,
        "validation": summary,
        "validation_report": report,
        "eval_probabilities": eval_probs,
        "best_checkpoint": trainer.state.best_model_checkpoint,
        "best_metric": trainer.state.best_metric,
        "epochs_run": epochs_run,
        "stopped_early": epochs_run < float(epochs) - 1e-9,
        "train_seconds": round(train_seconds, 1),
        "train_loss": float(train_output.training_loss),
        "train_size": len(train_df),
        "eval_size": len(eval_df),
        "output_dir": str(out) if save else None,
        "device": device,
        "max_length": max_length,
        "normalize_text": normalize,
    }
    if save:
        trainer.save_model(str(out))  # model + tokenizer, safetensors; the Trainer writes on the main process only
    if save and trainer.is_world_process_zero():
        # Under torchrun every process gets here: only one writes the artefacts.
        (out / "training_args.bin").unlink(missing_ok=True)  # a pickle; the same settings are in training_info.json
        (out / "labels.json").write_text(
            json.dumps(
                {
                    "label_names": names,
                    "problem_type": problem_type,
                    "text_column": text_column,
                    "label_columns": label_columns,
                    "max_length": max_length,
                    "normalize_text": normalize,
                },
                indent=2,
            )
        )
        write_thresholds(out, thresholds)
        write_training_info(
            out / "training_info.json",
            base_model=str(base_model),
            resolved_from=model_path,
            problem_type=problem_type,
            label_names=names,
            dataset=dataset_name,
            data_licence=data_licence,
            train_size=len(train_df),
            eval_size=len(eval_df),
            label_counts_train=_label_counts(y_train, names, problem_type),
            hyperparameters={
                "epochs": epochs,
                "batch_size": batch_size,
                "learning_rate": learning_rate,
                "head_learning_rate": head_learning_rate,
                "weight_decay": weight_decay,
                "warmup_ratio": warmup_ratio,
                "max_length": max_length,
                "max_grad_norm": max_grad_norm,
                "class_weighting": class_weighting,
                "max_pos_weight": max_pos_weight if class_weighting and problem_type == MULTI else None,
                "loss": type(loss).__name__ if loss is not None else (type(loss_fn).__name__ if loss_fn is not None else "model default"),
                "early_stopping_patience": early_stopping_patience,
                "metric_for_best_model": metric,
                "seed": seed,
                **mixed_precision(device),
            },
            device=device,
            epochs_run=epochs_run,
            best_checkpoint=trainer.state.best_model_checkpoint,
            duration_seconds=round(train_seconds, 1),
            resumed_from=str(resume_from) if resume_from else None,
            final_metrics={"validation": summary},
        )
        update_metrics(out, "validation", summary, report)
        if not keep_checkpoints:
            shutil.rmtree(checkpoints, ignore_errors=True)
    elif not save:
        scratch.cleanup()
    return TrainedClassifier(model, tokenizer, history, result)


def _label_counts(targets: np.ndarray, names: list[str], problem_type: str) -> dict[str, int]:
    if problem_type == MULTI:
        return {n: int(c) for n, c in zip(names, np.asarray(targets).sum(axis=0), strict=True)}
    counts = np.bincount(np.asarray(targets), minlength=len(names))
    return {n: int(c) for n, c in zip(names, counts, strict=True)}


# ---------------------------------------------------------------------------------------------
# Thresholds, reports and the model card.


def tune_label_thresholds(y_true: np.ndarray, probs: np.ndarray, names: list[str], min_positives: int = 5) -> dict[str, float]:
    """Per-label F1-maximising thresholds (:func:`ftcourse.evaluation.tune_thresholds`), only where tuning means something.

    A label with fewer than ``min_positives`` positives in the split keeps 0.5: a threshold fitted to
    one or two examples is noise, and would flag unrelated texts on new data.

    Returns:
        ``{label: threshold}``.
    """
    from ftcourse.evaluation import tune_thresholds

    y_true = np.asarray(y_true).astype(int)
    tunable = [j for j, _ in enumerate(names) if y_true[:, j].sum() >= min_positives]
    thresholds = dict.fromkeys(names, 0.5)
    if tunable:
        tuned = tune_thresholds(y_true[:, tunable], np.asarray(probs)[:, tunable], label_names=[names[j] for j in tunable])
        thresholds.update({k: float(v) for k, v in tuned.items()})
    return thresholds


def _tune_thresholds(problem_type: str, y_true: np.ndarray, probs: np.ndarray, names: list[str]) -> dict[str, float]:
    # Multi-label decisions are one threshold per label, tuned on validation; single-label uses argmax.
    if problem_type != MULTI:
        return {n: 0.5 for n in names}
    return tune_label_thresholds(y_true, probs, names)


def evaluation_report(
    problem_type: str, y_true: np.ndarray, probs: np.ndarray, names: list[str], thresholds: dict[str, float] | None = None, min_positives: int = 5
) -> tuple[pd.DataFrame, dict]:
    """How good the model is on one split: a per-label (or per-class) table and headline numbers.

    Multi-label: :func:`ftcourse.evaluation.multilabel_report` (ROC-AUC, PR-AUC; labels with fewer
    than ``min_positives`` positives are not scored) beside F1 at 0.5 and at ``thresholds``
    (:func:`ftcourse.evaluation.f1_at_thresholds`). Single-label:
    :func:`ftcourse.evaluation.classification_report_table` and accuracy.

    Returns:
        ``(table, summary)``: the table has one row per label; ``summary`` holds ``roc_auc_macro``,
        ``pr_auc_macro``, ``f1_macro_at_0.5``, ``f1_macro_tuned``, ``n_evaluated``, ``not_evaluated``
        (multi-label) or ``f1_macro``, ``accuracy`` (single-label).
    """
    from ftcourse import evaluation

    if problem_type == MULTI:
        y_true = np.asarray(y_true).astype(int)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a label without positives keeps threshold 0.5; the table says so
            table, macro = evaluation.multilabel_report(y_true, probs, names, min_positives=min_positives)
            at_half, f1_half = evaluation.f1_at_thresholds(y_true, probs, 0.5, names)
            tuned, f1_tuned = evaluation.f1_at_thresholds(y_true, probs, thresholds or dict.fromkeys(names, 0.5), names)
        table = table.assign(f1_at_05=at_half["f1"], threshold=tuned["threshold"], f1_tuned=tuned["f1"])
        table = table[["n_positives", "prevalence", "roc_auc", "pr_auc", "f1_at_05", "threshold", "f1_tuned", "status"]]
        summary = {
            "roc_auc_macro": macro["roc_auc"],
            "pr_auc_macro": macro["pr_auc"],
            "f1_macro_at_0.5": f1_half,
            "f1_macro_tuned": f1_tuned,
            "n_evaluated": macro["n_evaluated"],
            "not_evaluated": macro["not_evaluated"],
        }
        return table, summary
    from sklearn.metrics import accuracy_score

    pred = probs.argmax(axis=1)
    table, f1 = evaluation.classification_report_table(y_true, pred, names)
    return table, {"f1_macro": f1, "accuracy": float(accuracy_score(y_true, pred))}


def write_thresholds(model_dir: str | os.PathLike, thresholds: dict[str, float]) -> Path:
    """Write ``thresholds.json`` (label -> decision threshold) into ``model_dir``."""
    path = Path(model_dir) / "thresholds.json"
    path.write_text(json.dumps({k: float(v) for k, v in thresholds.items()}, indent=2))
    return path


def update_metrics(model_dir: str | os.PathLike, split: str, summary: dict, report: pd.DataFrame | None = None) -> Path:
    """Add one split's numbers to ``metrics.json`` and rewrite the model card.

    Args:
        model_dir: a folder written by :func:`train_classifier`.
        split: e.g. ``"validation"`` or ``"test"``.
        summary: headline numbers (macro ROC-AUC, macro-F1, ...).
        report: the per-label table from :func:`evaluation_report` (optional).
    """
    from ftcourse.course import _jsonable

    path = Path(model_dir) / "metrics.json"
    metrics = json.loads(path.read_text()) if path.is_file() else {}
    entry = {"summary": summary}
    if report is not None:
        entry["per_label"] = report.reset_index().to_dict(orient="records")
    metrics[split] = entry
    path.write_text(json.dumps(_jsonable(metrics), indent=2, default=_json_default))
    write_model_card(model_dir)
    return path


def _json_default(value):
    # numpy and pandas scalars that _jsonable does not reach (inside records).
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def _markdown_table(records: list[dict]) -> str:
    if not records:
        return "(no rows)"
    columns = list(records[0])

    def cell(v):
        if isinstance(v, float):
            return "n/a" if not math.isfinite(v) else f"{v:.3f}"
        return "n/a" if v is None else str(v)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(r.get(c)) for c in columns) + " |" for r in records]
    return "\n".join(lines)


def write_model_card(model_dir: str | os.PathLike) -> Path:
    """Write ``README.md`` (a model card) from the folder's labels, training info and metrics files."""
    folder = Path(model_dir)

    def load(name):
        p = folder / name
        return json.loads(p.read_text()) if p.is_file() else {}

    labels, info, metrics, thresholds = load("labels.json"), load("training_info.json"), load("metrics.json"), load("thresholds.json")
    hp = info.get("hyperparameters", {})
    problem = labels.get("problem_type", "")
    task = "multi-label (one sigmoid per label)" if problem == MULTI else "single-label (softmax over classes)"
    parts = [
        f"# {folder.name}: text classifier fine-tuned with ftcourse",
        "",
        f"- **Base model:** `{info.get('base_model', '?')}`",
        f"- **Task:** {task}; labels: {', '.join(f'`{n}`' for n in labels.get('label_names', []))}",
        f"- **Data:** {info.get('dataset') or 'user-supplied table'}; {info.get('train_size', '?')} training and "
        f"{info.get('eval_size', '?')} validation examples",
        f"- **Data licence:** {info.get('data_licence') or 'not stated: check the licence of your data before sharing this model'}",
        f"- **Training:** {info.get('epochs_run', '?')} epoch(s) of at most {hp.get('epochs', '?')}, batch size {hp.get('batch_size', '?')}, "
        f"AdamW lr {hp.get('learning_rate', '?')}, weight decay {hp.get('weight_decay', '?')}, warmup {hp.get('warmup_ratio', '?')}, "
        f"max length {hp.get('max_length', '?')}, loss {hp.get('loss', '?')}, seed {hp.get('seed', '?')}, "
        f"{info.get('duration_seconds', '?')} s on {info.get('device', '?')}",
        "",
        "## Evaluation",
    ]
    for split, entry in metrics.items():
        summary = entry.get("summary", {})
        parts += ["", f"### {split}", "", ", ".join(f"{k} = {v:.3f}" if isinstance(v, float) else f"{k} = {v}" for k, v in summary.items())]
        if entry.get("per_label"):
            parts += ["", _markdown_table(entry["per_label"])]
    if problem == MULTI and thresholds:
        parts += ["", "Decision thresholds (tuned on the validation split): " + ", ".join(f"{k} {v:.2f}" for k, v in thresholds.items())]
    parts += [
        "",
        "## Use",
        "",
        "```python",
        "from ftcourse.predict import predict",
        f'predict("{folder}", ["some text to classify"])  # probabilities and flags per label',
        "```",
        "",
        "Or with transformers alone: `AutoModelForSequenceClassification.from_pretrained(folder)`, then a "
        + ("sigmoid per label and the thresholds in `thresholds.json`." if problem == MULTI else "softmax over the classes."),
        "",
        "## Limitations",
        "",
        "Labels too rare in the evaluation split to measure are reported as n/a, not as zero or one: do not rely on them. "
        "The model inherits the biases of its training data; review its errors on your own data before use.",
    ]
    path = folder / "README.md"
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return path
