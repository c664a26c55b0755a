"""``train_classifier``: fine-tune a transformer for single-label or multi-label text classification.

The recipe (one place, used by lesson 10, the CLI and anyone importing the package):

* ``AutoModelForSequenceClassification`` on :func:`ftcourse.models.resolve_model` (any Hub id online,
  the packaged MiniLM offline), ``problem_type`` set so the head uses softmax or sigmoid;
* AdamW (lr 2e-5, weight decay 0.01), linear warmup over 10 % of the steps, gradient clipping at 1.0;
* evaluation every epoch (or every ``eval_steps``), early stopping with patience 2 on validation
  macro ROC-AUC (multi-label) or macro-F1 (single-label), the best checkpoint reloaded at the end;
* optional class weighting (inverse-frequency ``pos_weight`` for BCE, class weights for cross-entropy,
  both from :mod:`ftcourse.classifier.losses`) or any loss module (e.g. a focal loss);
* tokenised once, padded per batch, batches grouped by length; mixed precision from
  :func:`ftcourse.runtime.mixed_precision` (fp16/bf16 on a GPU, bf16 autocast on a CPU only when asked for);
* a JSONL log, resumable checkpoints, and the artefacts a user needs to ship the model.

Artefacts written to ``output_dir`` (when ``save=True``): the model and tokenizer (safetensors),
``labels.json``, ``thresholds.json``, ``training_info.json``, ``metrics.json``, ``training_log.jsonl``
and a model card ``README.md``.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    DataCollatorWithPadding,
    EarlyStoppingCallback,
    PrinterCallback,
    Trainer,
    TrainingArguments,
)

from ftcourse.classifier.artifacts import CHECKPOINT_DIR, update_metrics, write_labels, write_thresholds
from ftcourse.classifier.labels import MULTI, SINGLE, check_frame, encode_labels, infer_problem_type, label_counts
from ftcourse.classifier.losses import build_loss
from ftcourse.classifier.metrics import evaluation_report, probabilities, selection_metrics, thresholds_for
from ftcourse.classifier.predict import LoadedClassifier, predict_proba
from ftcourse.classifier.warm_start import warm_start_head
from ftcourse.errors import DataError, UsageError, plain
from ftcourse.lora import ADAPTER_DIR, add_lora, merge_lora, parameter_counts, save_adapter, training_state_mib
from ftcourse.models import BASE_MODEL, resolve_model
from ftcourse.prepare import normalize_text
from ftcourse.runtime import cpu_training_without_dropout, is_main_process, mixed_precision, pick_device, seed_everything
from ftcourse.tracking import RUNS_DIR, check_report_to, tracking_callbacks
from ftcourse.training import (
    LOG_FILE,
    DivergenceCallback,
    JsonlLogCallback,
    check_converged,
    diverged,
    dropout_for_training,
    last_complete_checkpoint,
    read_training_log,
    write_training_info,
)


class TrainedClassifier(NamedTuple):
    """What :func:`train_classifier` returns; unpacks as ``model, tokenizer, history, result``."""

    model: Any  # the best model (a PreTrainedModel), on the training device, in eval mode
    tokenizer: Any
    history: pd.DataFrame  # one row per log event: loss, learning_rate, eval_* metrics
    result: dict  # label names, thresholds, validation metrics and probabilities, sizes, timing


# ---------------------------------------------------------------------------------------------
# Data checks and label encoding.


# ---------------------------------------------------------------------------------------------
# Loss and trainer.


def head_parameters(model) -> list:
    """The parameters of a ``...ForSequenceClassification`` model outside its pretrained encoder (the head).

    The encoder lives under ``model.base_model_prefix`` (``bert``, ``roberta``, ...); everything else
    (``classifier``, DistilBERT's ``pre_classifier``, a decoder's ``score``) starts from random.
    """
    prefix = f"{model.base_model_prefix}."  # a LoRA-wrapped model's names start "base_model.model.<prefix>"
    return [p for name, p in model.named_parameters() if not (name.startswith(prefix) or f".{prefix}" in name)]


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
                    extra.append(
                        {**{k: v for k, v in group.items() if k != "params"}, "params": moved, "lr": self.head_learning_rate}
                    )
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


# ---------------------------------------------------------------------------------------------
# Metrics used to pick the best checkpoint.


# ---------------------------------------------------------------------------------------------
# Training.


def _tokenised_dataset(texts: Sequence[str], targets: np.ndarray, tokenizer, max_length: int):
    # Tokenise once (not per epoch) without padding: the collator pads each batch to its longest text.
    from datasets import Dataset

    labels = targets.tolist()
    ds = Dataset.from_dict({"text": list(texts), "labels": labels})
    return ds.map(
        lambda batch: tokenizer(batch["text"], truncation=True, max_length=max_length), batched=True, remove_columns=["text"]
    )


def _texts(column: pd.Series, normalize: bool) -> list[str]:
    texts = column.astype(str)
    if normalize:
        texts = normalize_text(texts)
    return texts.tolist()


def _last_checkpoint(folder: Path) -> Path | None:
    # Not transformers' get_last_checkpoint: it would pick a checkpoint cut off mid-write by a kill.
    # Under torchrun only the main process removes a half-written checkpoint (no two rmtree races).
    return last_complete_checkpoint(folder, remove_incomplete=is_main_process())


@dataclass
class ClassifierSettings:
    """The knobs of :func:`train_classifier`; pass any of them to it as a keyword (``epochs=2``)."""

    base_model: str = BASE_MODEL  # a Hub id or local folder (resolved with ftcourse.models.resolve_model)
    epochs: float = 3  # maximum passes over the training table; early stopping may stop sooner
    batch_size: int = 16  # examples per step (evaluation uses twice as many)
    learning_rate: float = 2e-5  # AdamW rate of the encoder
    # AdamW rate of the new classification head (head_parameters); None = learning_rate. A fresh head
    # at 2e-5 needs thousands of steps; 1e-3 lets it keep up with a short fine-tune.
    head_learning_rate: float | None = None
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1  # share of steps with a linearly rising learning rate (then linear decay)
    max_length: int = 128  # tokens kept per text
    class_weighting: str | None = (
        None  # None, "inverse", "sqrt_inverse" or "effective_number" (ftcourse.classifier.losses.build_loss)
    )
    max_pos_weight: float | None = 50.0  # cap on multi-label positive weights (build_loss)
    early_stopping_patience: int | None = 2  # evaluations without improvement before stopping; None disables it
    eval_steps: int | None = None  # evaluate (and checkpoint) every N steps instead of every epoch
    # False: no evaluation, checkpoint or early stopping during training; the last weights are the model (few-shot runs,
    # where the "validation split" is the training examples themselves and writing a checkpoint per epoch costs more than training).
    checkpoints: bool = True
    seed: int = 42  # seeds the head's initialisation, shuffling and dropout
    max_grad_norm: float = 1.0  # gradient clipping
    # Clean texts with ftcourse.prepare.normalize_text (links, entities, spaces) before tokenising;
    # recorded in labels.json so that prediction does the same.
    normalize: bool = False
    progress: bool = True  # tqdm progress bars
    keep_checkpoints: bool = False  # keep output_dir/checkpoints after a successful run (they are large)
    # "linear_probe": before fine-tuning, fit a logistic regression on the frozen encoder's features of the
    # training texts and start the head from it (linear probe, then fine-tune; ftcourse.classifier.warm_start).
    # A random head on a short run mostly scrambles the encoder; None keeps the random head.
    head_init: str | None = None
    # "tensorboard": also write TensorBoard event files to output_dir/runs (ftcourse.tracking); "none" writes only the JSONL log.
    report_to: str = "none"
    # Train LoRA adapters of this rank (ftcourse.lora) and the head instead of every weight; None = full fine-tuning.
    # The saved folder holds the merged model (loads like any classifier) and the adapter alone in output_dir/adapter.
    lora_r: int | None = None
    lora_alpha: float | None = None  # LoRA scaling numerator; None = 2 * lora_r
    dataset_name: str = ""  # recorded in the model card
    data_licence: str = ""  # recorded in the model card

    def __post_init__(self):
        self.report_to = check_report_to(self.report_to)  # an online tracker fails here, before the model loads


def train_classifier(
    train_df: pd.DataFrame,
    eval_df: pd.DataFrame,
    text_column: str = "text",
    label_columns: Sequence[str] = ("label",),
    label_names: Sequence[str] | None = None,
    output_dir: str | os.PathLike = "outputs/classifier",
    loss=None,
    problem_type: str | None = None,
    resume: bool = False,
    save: bool = True,
    **settings,
) -> TrainedClassifier:
    """Fine-tune a transformer for text classification with the Hugging Face ``Trainer`` (the recipe above).

    Args:
        train_df, eval_df: tables with ``text_column`` and ``label_columns``. ``eval_df`` (validation)
            picks the best epoch, stops training early and tunes thresholds: keep the test split out of it.
        text_column: the column holding the text.
        label_columns: several 0/1 columns (multi-label, e.g. the six Jigsaw labels) or one class column.
        label_names: see :func:`ftcourse.classifier.labels.encode_labels` (default: the column names / the training classes).
        output_dir: where artefacts, the log and checkpoints go.
        loss: a custom loss module ``loss(logits, labels)``, e.g. ``ftcourse.classifier.losses.FocalLoss``.
        problem_type: default :func:`ftcourse.classifier.labels.infer_problem_type`.
        resume: continue from the last checkpoint in ``output_dir/checkpoints`` if there is one.
        save: write the artefacts to ``output_dir``; False trains in a temporary folder.
        **settings: any field of :class:`ClassifierSettings` (epochs, batch_size, learning_rate, ...).

    Returns:
        :class:`TrainedClassifier` ``(model, tokenizer, history, result)``. ``result`` holds
        ``problem_type``, ``label_names``, ``thresholds`` (tuned on validation for multi-label),
        ``validation`` (best-model summary), ``validation_report`` (per-label DataFrame),
        ``eval_probabilities`` (array), ``best_checkpoint``, ``epochs_run``, ``train_seconds``, ``output_dir``, ...

    Raises:
        DataError: missing columns, empty texts, labels that are not 0/1 or unseen in training.
        UsageError: a keyword that is not a setting.
    """

    cfg = _settings(settings)
    label_columns = [label_columns] if isinstance(label_columns, str) else list(label_columns)
    problem_type = problem_type or infer_problem_type(label_columns)
    y_train, y_eval, names = _checked_targets(train_df, eval_df, text_column, label_columns, label_names, problem_type)
    started = time.perf_counter()
    seed_everything(cfg.seed)
    device, model_path = pick_device(), resolve_model(cfg.base_model)
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    model = _fresh_model(model_path, names, problem_type)
    train_texts = _texts(train_df[text_column], cfg.normalize)
    probe = (
        warm_start_head(model, tokenizer, train_texts, y_train, problem_type, cfg.max_length, seed=cfg.seed)
        if cfg.head_init
        else None
    )
    if cfg.lora_r:
        model = add_lora(model, cfg.lora_r, cfg.lora_alpha)  # after the probe: the head starts from it, the encoder freezes
    train_ds = _tokenised_dataset(train_texts, y_train, tokenizer, cfg.max_length)
    eval_ds = _tokenised_dataset(_texts(eval_df[text_column], cfg.normalize), y_eval, tokenizer, cfg.max_length)
    loss_fn = build_loss(problem_type, y_train, len(names), cfg.class_weighting, loss, cfg.max_pos_weight)
    hp = _hyperparameters(cfg, problem_type, loss, loss_fn)
    scratch = None if save else tempfile.TemporaryDirectory(prefix="ftcourse-classifier-")
    out = Path(output_dir) if save else Path(scratch.name)
    resume_from = _start_output(out, resume)
    recorded: dict[int, np.ndarray] = {}  # validation probabilities per evaluation step
    trainer = _build_trainer(model, tokenizer, (train_ds, eval_ds), out, hp, device, cfg, problem_type, loss_fn, recorded)
    train_output = _train_watched(trainer, out, resume_from)
    history = read_training_log(out / LOG_FILE)
    model = trainer.model.eval()
    eval_probs = _best_validation_probabilities(trainer, recorded, eval_df[text_column], names, problem_type, cfg)
    thresholds = thresholds_for(problem_type, y_eval, eval_probs, names)
    report, summary = evaluation_report(problem_type, y_eval, eval_probs, names, thresholds)
    result = {"problem_type": problem_type, "label_names": names, "thresholds": thresholds, "validation": summary}
    result.update(validation_report=report, eval_probabilities=eval_probs, **_run_facts(trainer, train_output, cfg, started))
    result.update(train_size=len(train_df), eval_size=len(eval_df), output_dir=str(out) if save else None, device=device)
    result["linear_probe"] = probe
    if save:
        model = _save(trainer, out, cfg, result, (text_column, label_columns), y_train, hp, (model_path, resume_from))
    else:
        scratch.cleanup()
    return TrainedClassifier(model, tokenizer, history, result)


def _train_watched(trainer, out: Path, resume_from: Path | None):
    # A diverged run (non-finite loss or weights) leaves no model and no checkpoints of NaN weights behind.
    watch = next(c for c in trainer.callback_handler.callbacks if isinstance(c, DivergenceCallback))
    try:
        with dropout_for_training(trainer.model, trainer.args.device.type):
            train_output = trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
        check_converged(trainer.model, watch)
    except DataError:
        if is_main_process():
            shutil.rmtree(out / CHECKPOINT_DIR, ignore_errors=True)
        raise
    return train_output


def _run_facts(trainer, train_output, cfg: ClassifierSettings, started: float) -> dict:
    # How the run went, for the result and training_info.json.
    epochs_run = float(trainer.state.epoch or 0)
    return {
        "best_checkpoint": trainer.state.best_model_checkpoint,
        "best_metric": trainer.state.best_metric,
        "epochs_run": epochs_run,
        "stopped_early": epochs_run < float(cfg.epochs) - 1e-9,
        "train_seconds": round(time.perf_counter() - started, 1),
        "train_loss": float(train_output.training_loss),
        "train_samples_per_second": float(train_output.metrics.get("train_samples_per_second", float("nan"))),
        "parameters": parameter_counts(trainer.model),
        "training_state_mib": training_state_mib(trainer.model, trainer.optimizer),
        "max_length": cfg.max_length,
        "normalize_text": cfg.normalize,
    }


def _save_model(trainer, out: Path, cfg: ClassifierSettings):
    # Model + tokenizer, safetensors; the Trainer writes on the main process only. A LoRA run saves its adapter
    # alone (out/adapter) and the merged model, which loads like any classifier, without peft.
    if not cfg.lora_r:
        trainer.save_model(str(out))
        return trainer.model
    if trainer.is_world_process_zero():
        save_adapter(trainer.model, out / ADAPTER_DIR)
    merged = merge_lora(trainer.model).eval()
    if trainer.is_world_process_zero():
        merged.save_pretrained(str(out))
        trainer.processing_class.save_pretrained(str(out))
    return merged


def _save(
    trainer, out: Path, cfg: ClassifierSettings, result: dict, labels: tuple, y_train, hyperparameters: dict, provenance: tuple
):
    # Writes the artefacts; returns the model to hand back (the merged one after LoRA).
    model = _save_model(trainer, out, cfg)
    if not trainer.is_world_process_zero():
        return model  # under torchrun every process gets here: only one writes the artefacts
    (text_column, label_columns), (model_path, resume_from) = labels, provenance
    names, problem_type, device = result["label_names"], result["problem_type"], result["device"]
    write_labels(out, names, problem_type, text_column, label_columns, cfg.max_length, cfg.normalize)
    write_thresholds(out, result["thresholds"])
    write_training_info(
        out / "training_info.json",
        base_model=str(cfg.base_model),
        resolved_from=model_path,
        problem_type=problem_type,
        label_names=names,
        dataset=cfg.dataset_name,
        data_licence=cfg.data_licence,
        train_size=result["train_size"],
        eval_size=result["eval_size"],
        label_counts_train=label_counts(y_train, names, problem_type),
        hyperparameters={**hyperparameters, **mixed_precision(device), "dropout_off": cpu_training_without_dropout(device)},
        device=device,
        epochs_run=result["epochs_run"],
        best_checkpoint=result["best_checkpoint"],
        duration_seconds=result["train_seconds"],
        resumed_from=str(resume_from) if resume_from else None,
        final_metrics={"validation": result["validation"]},
    )
    update_metrics(out, "validation", result["validation"], result["validation_report"])
    (out / "training_args.bin").unlink(missing_ok=True)  # a pickle; the same settings are in training_info.json
    if not cfg.keep_checkpoints:
        shutil.rmtree(out / CHECKPOINT_DIR, ignore_errors=True)
    return model


def _fresh_model(model_path: str, names: list[str], problem_type: str):
    # The pretrained encoder with a new head of len(names) outputs, named so that a reloaded model reports labels.
    return AutoModelForSequenceClassification.from_pretrained(
        model_path,
        num_labels=len(names),
        problem_type=problem_type,
        id2label=dict(enumerate(names)),
        label2id={n: i for i, n in enumerate(names)},
    )


def _settings(settings: dict) -> ClassifierSettings:
    known = {f.name for f in fields(ClassifierSettings)}
    if settings.get("head_init") not in (None, "linear_probe"):
        raise UsageError(f"head_init={settings['head_init']!r}: choose None (a random head) or 'linear_probe'.")
    unknown = sorted(set(settings) - known)
    if unknown:
        raise UsageError(
            f"train_classifier: unknown setting(s) {unknown}. Fix: use the names of ClassifierSettings: {sorted(known)}."
        )
    return ClassifierSettings(**settings)


def _hyperparameters(cfg: ClassifierSettings, problem_type: str, loss, loss_fn) -> dict:
    # What training_info.json records: the settings that change the model, not the bookkeeping ones.
    kept = (
        "epochs",
        "batch_size",
        "learning_rate",
        "head_learning_rate",
        "weight_decay",
        "warmup_ratio",
        "max_length",
        "max_grad_norm",
        "class_weighting",
        "early_stopping_patience",
        "seed",
        "head_init",
        "report_to",
        "lora_r",
        "lora_alpha",
    )
    record = {k: getattr(cfg, k) for k in kept}
    record["max_pos_weight"] = cfg.max_pos_weight if cfg.class_weighting and problem_type == MULTI else None
    record["metric_for_best_model"] = "roc_auc_macro" if problem_type == MULTI else "f1_macro"
    chosen = loss if loss is not None else loss_fn
    record["loss"] = type(chosen).__name__ if chosen is not None else "model default"
    return record


def _checked_targets(train_df, eval_df, text_column, label_columns, label_names, problem_type):
    # Every check before the model loads: a wrong table fails in a second, not after a download.
    if problem_type not in (SINGLE, MULTI):
        raise UsageError(f"problem_type must be {SINGLE!r} or {MULTI!r}, not {problem_type!r}.")
    check_frame(train_df, text_column, label_columns, "train split", problem_type)
    if problem_type == SINGLE and train_df[label_columns[0]].nunique() < 2:
        raise DataError(
            f"train split: column {label_columns[0]!r} holds a single class ({plain(train_df[label_columns[0]].iloc[0])!r}), "
            "so there is nothing to tell apart. Fix: add rows of at least one other class, or check the label column."
        )
    check_frame(eval_df, text_column, label_columns, "validation split", problem_type)
    y_train, names = encode_labels(train_df, label_columns, problem_type, label_names, "train split")
    y_eval, _ = encode_labels(eval_df, label_columns, problem_type, names, "validation split")
    return y_train, y_eval, names


def _start_output(out: Path, resume: bool) -> Path | None:
    # The checkpoint to resume from, or None for a fresh run (whose old checkpoints and log lines would mix two runs).
    out.mkdir(parents=True, exist_ok=True)
    resume_from = _last_checkpoint(out / CHECKPOINT_DIR) if resume else None
    if resume_from is None and is_main_process():
        shutil.rmtree(out / CHECKPOINT_DIR, ignore_errors=True)
        shutil.rmtree(out / RUNS_DIR, ignore_errors=True)  # event files of an earlier run would join this run's curves
        (out / LOG_FILE).unlink(missing_ok=True)
    return resume_from


def _build_trainer(
    model, tokenizer, datasets: tuple, out: Path, hp: dict, device: str, cfg, problem_type: str, loss_fn, recorded: dict
):
    train_ds, eval_ds = datasets
    eval_steps, progress = cfg.eval_steps, cfg.progress
    steps_per_epoch = math.ceil(len(train_ds) / hp["batch_size"])
    total_steps = max(1, math.ceil(steps_per_epoch * hp["epochs"]))
    strategy = ("steps" if eval_steps else "epoch") if cfg.checkpoints else "no"
    args = TrainingArguments(
        output_dir=str(out / CHECKPOINT_DIR),
        num_train_epochs=hp["epochs"],
        per_device_train_batch_size=hp["batch_size"],
        per_device_eval_batch_size=hp["batch_size"] * 2,
        learning_rate=hp["learning_rate"],
        weight_decay=hp["weight_decay"],
        # transformers' default on torch >= 2.8: one fused kernel per step instead of a loop over tensors; on 2 CPU cores it
        # trained 14 % (128 tokens) to 38 % (32 tokens) more examples/s than "adamw_torch" (bench/results/train_speed.md)
        optim="adamw_torch_fused",
        lr_scheduler_type="linear",
        warmup_steps=float(hp["warmup_ratio"]),  # transformers 5: a float below 1 is a share of the steps
        max_grad_norm=hp["max_grad_norm"],
        eval_strategy=strategy,
        save_strategy=strategy,
        eval_steps=eval_steps,
        save_steps=eval_steps,
        save_total_limit=2,  # the best and the latest: enough to resume and to reload the best
        load_best_model_at_end=cfg.checkpoints,
        metric_for_best_model=hp["metric_for_best_model"],
        greater_is_better=True,
        logging_strategy="steps",
        logging_steps=max(1, min(50, total_steps // 20)),
        train_sampling_strategy="group_by_length",
        seed=hp["seed"],
        data_seed=hp["seed"],
        report_to="none",
        disable_tqdm=not progress,
        dataloader_pin_memory=device == "cuda",
        use_cpu=device == "cpu",  # without it, torchrun on a CPU-only machine would train N separate copies
        **mixed_precision(device),
    )

    def compute_metrics(prediction):
        probs = probabilities(prediction.predictions, problem_type)
        if not np.isfinite(probs).all():
            raise diverged(f"non-finite validation scores at step {trainer.state.global_step}")
        recorded[trainer.state.global_step] = probs
        return selection_metrics(prediction.label_ids, probs, problem_type)

    callbacks = [JsonlLogCallback(out / LOG_FILE), DivergenceCallback(), *tracking_callbacks(cfg.report_to, out / RUNS_DIR)]
    if hp["early_stopping_patience"] and cfg.checkpoints:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=hp["early_stopping_patience"]))
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
        head_learning_rate=hp["head_learning_rate"],
    )
    if not progress:
        # Without progress bars the Trainer prints every log line instead; the JSONL log already has them.
        trainer.remove_callback(PrinterCallback)
    return trainer


def _best_validation_probabilities(trainer, recorded: dict, texts: pd.Series, names, problem_type, cfg) -> np.ndarray:
    # The best checkpoint's validation probabilities were recorded when it was evaluated (in row order);
    # scoring the validation split again would double the evaluation time. They are recomputed only
    # when missing (best checkpoint from before a resume, or several processes).
    best = trainer.state.best_model_checkpoint
    best_step = int(Path(best).name.split("-")[-1]) if best else None
    probs = recorded.get(best_step)
    if probs is None or len(probs) != len(texts):
        model = trainer.model
        in_memory = LoadedClassifier(
            model,
            trainer.processing_class,
            names,
            problem_type,
            max_length=cfg.max_length,
            normalize_text=cfg.normalize,
            device=str(model.device),
        )
        probs = predict_proba(in_memory, texts.astype(str).tolist(), batch_size=cfg.batch_size * 2)
    return probs
