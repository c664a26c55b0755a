"""``train_embedder``: fine-tune a SentenceTransformer with ``SentenceTransformerTrainer``.

One call with the defaults a course needs: the loss by registry name (its column check runs
first), warmup, evaluation and checkpoints per epoch or every N steps, the best checkpoint kept,
a seed, a batch-sampler choice, mixed precision on a GPU only, a JSONL training log and a
``training_info.json``. It never uses the legacy ``model.fit`` / ``InputExample`` path.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pandas as pd

from ftcourse.train.common import (
    JsonlLogCallback,
    is_main_process,
    last_complete_checkpoint,
    read_training_log,
    write_training_info,
)

LOG_FILE = "training_log.jsonl"
INFO_FILE = "training_info.json"
MODEL_DIR = "model"


def _as_dataset(data):
    # DataFrames are the course's everyday format; the trainer wants a datasets.Dataset.
    if data is None or not isinstance(data, pd.DataFrame):
        return data
    from datasets import Dataset

    return Dataset.from_pandas(data.reset_index(drop=True), preserve_index=False)


def _rows(data) -> int | None:
    if data is None:
        return None
    if isinstance(data, dict):
        return sum(len(d) for d in data.values())
    return len(data)


def _base_model_name(model, given) -> str:
    if isinstance(given, (str, os.PathLike)):
        return str(given)
    card = getattr(model, "model_card_data", None)
    if card is not None and getattr(card, "base_model", None):
        return str(card.base_model)
    try:
        return str(model[0].auto_model.config._name_or_path)
    except Exception:  # a custom first module: fall back to the class name
        return type(model).__name__


def _loss_config(loss) -> dict:
    config = {"class": type(loss).__name__}
    try:
        config.update({k: v if isinstance(v, (int, float, str, bool, list, tuple)) or v is None else str(v) for k, v in loss.get_config_dict().items()})
    except Exception:  # losses without get_config_dict: the class name is enough
        pass
    return config


def _primary_metric(evaluator) -> str:
    # Under torchrun the trainer runs the evaluator on rank 0 only, so only there does it know its
    # metric name: share it, or the other processes would look for "eval_None".
    import torch.distributed as dist

    name = [evaluator.primary_metric]
    if dist.is_available() and dist.is_initialized():
        dist.broadcast_object_list(name, src=0)
    return name[0]


def train_embedder(
    model_or_name,
    train_dataset,
    loss,
    *,
    eval_dataset=None,
    evaluator=None,
    output_dir: str | os.PathLike = "outputs/embedder",
    epochs: int = 1,
    batch_size: int = 16,
    learning_rate: float = 2e-5,
    head_learning_rate: float | None = None,
    warmup_ratio: float = 0.1,
    weight_decay: float = 0.01,
    eval_steps: int | None = None,
    logging_steps: int | None = None,
    batch_sampler: str | None = None,
    seed: int = 42,
    max_seq_length: int | None = None,
    save: bool = True,
    evaluate_before: bool | None = None,
    loss_kwargs: dict | None = None,
    metric_for_best_model: str | None = None,
    show_progress: bool = True,
    device: str | None = None,
    resume: bool = False,
    log_file: str = LOG_FILE,
    **training_args,
):
    """Fine-tune a SentenceTransformer and return it with its training history.

    Args:
        model_or_name: a ``SentenceTransformer`` or a model name/path (loaded with
            :func:`ftcourse.models.load_sentence_transformer`).
        train_dataset: ``datasets.Dataset`` or DataFrame in the loss's format (see
            :mod:`ftcourse.losses`): text columns in order, then ``label`` / ``score`` if the loss needs one.
        loss: a registry name (e.g. ``"cosent"``, ``"mnrl"``; the columns are checked against it
            first) or a ready loss module (then the check is skipped: you built it for your data).
        eval_dataset: optional dataset in the same format; its loss is logged as ``eval_loss``.
        evaluator: optional sentence-transformers evaluator (e.g. ``EmbeddingSimilarityEvaluator``);
            its primary metric chooses the best checkpoint.
        output_dir: where the log, ``training_info.json`` and (with ``save``) checkpoints and the
            final model (``output_dir/model``) go.
        epochs, batch_size, learning_rate, weight_decay: the usual AdamW training knobs.
        head_learning_rate: learning rate of the loss's own parameters, which start from random
            (SoftmaxLoss's classifier); the encoder keeps ``learning_rate``. None = ``learning_rate``.
            At 2e-5 a fresh head moves so little in a few hundred steps that it predicts the class prior.
        warmup_ratio: share of the steps with a rising learning rate (passed as a float to
            ``warmup_steps``: transformers 5 deprecates ``warmup_ratio``).
        eval_steps: evaluate (and checkpoint) every N steps; None = once per epoch.
        logging_steps: log the training loss every N steps; None = about 10 times per epoch.
        batch_sampler: ``"batch_sampler"``, ``"no_duplicates"`` (in-batch-negative losses) or
            ``"group_by_label"`` (batch triplet losses); None = what suits the named loss.
        seed: seeds the loss head, data order and dropout.
        max_seq_length: truncate texts to this many tokens (shorter = faster on a CPU).
        save: keep checkpoints, reload the best one at the end and save the final model; False
            writes only the log and ``training_info.json`` (fast runs in notebooks).
        evaluate_before: evaluate once before training (step 0 of the curve). None = yes when
            there is an evaluator or eval dataset. With an evaluator and no ``metric_for_best_model``
            this always happens: the evaluator's metric name is only known after one call.
        loss_kwargs: keyword arguments for the named loss (e.g. ``{"margin": 0.5}``).
        metric_for_best_model: override the metric that picks the best checkpoint
            (default: the evaluator's primary metric, else ``eval_loss``).
        show_progress: show tqdm progress bars; False trains quietly (the log file still has every value).
        device: force a device (default: :func:`ftcourse.models.pick_device`).
        resume: continue from the newest complete ``checkpoint-<step>`` in ``output_dir``
            (:func:`ftcourse.train.common.last_complete_checkpoint`; half-written ones are ignored).
        log_file: name of the JSONL log inside ``output_dir``.
        **training_args: any other ``SentenceTransformerTrainingArguments`` field.

    Returns:
        ``(model, history)``: the trained model (the best checkpoint when ``save`` and there is
        something to evaluate) and a DataFrame of the log (one row per event: ``step``, ``epoch``,
        ``loss``, ``learning_rate``, ``eval_*`` metrics).

    Raises:
        DataError: the training (or eval) dataset does not fit the named loss.
    """
    from sentence_transformers.sentence_transformer import SentenceTransformerTrainer, SentenceTransformerTrainingArguments

    from ftcourse.config import seed_everything
    from ftcourse.losses import check_columns, make_loss
    from ftcourse.models import load_sentence_transformer, mixed_precision

    train_dataset = _as_dataset(train_dataset)
    eval_dataset = _as_dataset(eval_dataset)
    loss_name = loss if isinstance(loss, str) else None
    if loss_name is not None:
        spec = check_columns(train_dataset, loss_name)
        if eval_dataset is not None:
            check_columns(eval_dataset, loss_name)
        batch_sampler = batch_sampler or spec.sampler
    batch_sampler = batch_sampler or "batch_sampler"

    seed_everything(seed)
    if isinstance(model_or_name, (str, os.PathLike)):
        model = load_sentence_transformer(str(model_or_name), device=device, max_seq_length=max_seq_length)
    else:
        model = model_or_name
        if device:
            model.to(device)
        if max_seq_length:
            model.max_seq_length = max_seq_length
    if loss_name is not None:
        loss = make_loss(loss_name, model, train_dataset, **(loss_kwargs or {}))
    if head_learning_rate is not None:
        # learning_rate_mapping matches the loss module's parameter names; the encoder's start with "model."
        head = [name for name, _ in loss.named_parameters() if not name.startswith("model.")]
        if not head:
            raise ValueError(
                f"head_learning_rate was given, but the loss {loss_name or type(loss).__name__} has no parameters of its own "
                "(only the encoder's). Fix: leave head_learning_rate=None; it is for losses with a classifier, such as 'softmax'."
            )
        training_args = {**training_args, "learning_rate_mapping": {r"^(?!model\.)": head_learning_rate}}

    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    log_path = out / log_file
    resume_from = last_complete_checkpoint(out, remove_incomplete=is_main_process()) if resume else None
    if resume_from is None and is_main_process():
        log_path.unlink(missing_ok=True)  # one log per run: the callback appends (a resumed run continues it)

    steps_per_epoch = max(1, -(-_rows(train_dataset) // batch_size))
    evaluating = evaluator is not None or eval_dataset is not None
    # The evaluator's metric name (e.g. "sts-dev_spearman_cosine") is only known after one call,
    # so with an evaluator and no explicit metric we always evaluate once before training.
    must_probe = evaluator is not None and metric_for_best_model is None
    evaluate_before = must_probe or (evaluating if evaluate_before is None else evaluate_before)
    keep_best = bool(save and evaluating)

    strategy = ("steps" if eval_steps else "epoch") if evaluating else "no"
    args = SentenceTransformerTrainingArguments(
        output_dir=str(out),
        num_train_epochs=epochs,
        per_device_train_batch_size=batch_size,
        per_device_eval_batch_size=batch_size,
        learning_rate=learning_rate,
        warmup_steps=float(warmup_ratio),  # a float < 1 is a share of the total steps
        weight_decay=weight_decay,
        batch_sampler=batch_sampler,
        seed=seed,
        data_seed=seed,
        eval_strategy=strategy,
        eval_steps=eval_steps,
        save_strategy=strategy if save else "no",
        save_steps=eval_steps,
        save_total_limit=1 if save else None,
        load_best_model_at_end=keep_best,
        metric_for_best_model=metric_for_best_model if keep_best else None,
        logging_strategy="steps",
        logging_steps=logging_steps or max(1, steps_per_epoch // 10),
        logging_first_step=True,
        disable_tqdm=not show_progress,
        dataloader_pin_memory=model.device.type == "cuda",  # pinning only helps a GPU (and warns on a CPU)
        use_cpu=model.device.type == "cpu",  # without it, torchrun on a CPU-only machine would train N separate copies
        report_to="none",
        **mixed_precision(model.device.type),
        **training_args,
    )
    trainer = SentenceTransformerTrainer(
        model=model,
        args=args,
        train_dataset=train_dataset,
        eval_dataset=eval_dataset,
        loss=loss,
        evaluator=evaluator,
        callbacks=[JsonlLogCallback(log_path)],
    )
    if not show_progress:
        from transformers import PrinterCallback

        trainer.remove_callback(PrinterCallback)  # without tqdm, transformers prints every log dict; the JSONL log has them
    baseline = trainer.evaluate() if evaluate_before else None  # logged at step 0 by the callback
    if must_probe:
        metric_for_best_model = f"eval_{_primary_metric(evaluator)}"
        if keep_best:
            args.metric_for_best_model = metric_for_best_model
            args.greater_is_better = bool(getattr(evaluator, "greater_is_better", True))
    elif keep_best:
        metric_for_best_model = args.metric_for_best_model
    start = time.perf_counter()
    result = trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    seconds = time.perf_counter() - start
    final = trainer.evaluate() if evaluating else {}
    history = read_training_log(log_path)
    if not trainer.is_world_process_zero():
        return model, history  # under torchrun only the main process writes the model and files

    if save:
        model.save(str(out / MODEL_DIR))
        for checkpoint in out.glob("checkpoint-*"):
            shutil.rmtree(checkpoint, ignore_errors=True)  # the best one is now out/model
    write_training_info(
        out / INFO_FILE,
        base_model=_base_model_name(model, model_or_name),
        loss=loss_name or type(loss).__name__,
        loss_config=_loss_config(loss),
        train_rows=_rows(train_dataset),
        eval_rows=_rows(eval_dataset),
        evaluator=type(evaluator).__name__ if evaluator is not None else None,
        hyperparameters={
            "epochs": epochs,
            "batch_size": batch_size,
            "learning_rate": learning_rate,
            "head_learning_rate": head_learning_rate,
            "warmup_ratio": warmup_ratio,
            "weight_decay": weight_decay,
            "eval_steps": eval_steps,
            "batch_sampler": str(getattr(batch_sampler, "value", batch_sampler)),
            "seed": seed,
            "max_seq_length": model.max_seq_length,
            **mixed_precision(model.device.type),
        },
        device=model.device.type,
        steps=result.global_step,
        duration_seconds=round(seconds, 2),
        train_loss=result.training_loss,
        baseline_metrics=baseline,
        final_metrics=final,
        metric_for_best_model=metric_for_best_model,
        best_metric=trainer.state.best_metric,
        saved_model=str(out / MODEL_DIR) if save else None,
        resumed_from=str(resume_from) if resume_from else None,
    )
    return model, history
