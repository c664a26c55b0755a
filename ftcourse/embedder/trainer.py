"""``train_embedder``: fine-tune a SentenceTransformer with ``SentenceTransformerTrainer``.

One call with the defaults a course needs: the loss by registry name (its column check runs
first), warmup, evaluation and checkpoints per epoch or every N steps, the best checkpoint kept,
a seed, a batch-sampler choice, mixed precision on a GPU only, a JSONL training log and a
``training_info.json``. It never uses the legacy ``model.fit`` / ``InputExample`` path.
"""

from __future__ import annotations

import numbers
import os
import shutil
import time
from dataclasses import dataclass, fields
from pathlib import Path

import pandas as pd
from sentence_transformers.sentence_transformer import SentenceTransformerTrainer, SentenceTransformerTrainingArguments
from transformers import PrinterCallback

from ftcourse.embedder.losses import check_columns, make_loss
from ftcourse.errors import UsageError
from ftcourse.models import load_sentence_transformer
from ftcourse.runtime import cpu_training_without_dropout, is_main_process, mixed_precision, seed_everything
from ftcourse.tracking import RUNS_DIR, check_report_to, tracking_callbacks
from ftcourse.training import (
    INFO_FILE,
    LOG_FILE,
    JsonlLogCallback,
    dropout_for_training,
    last_complete_checkpoint,
    read_training_log,
    write_training_info,
)

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
        config.update(
            {
                k: v if isinstance(v, (int, float, str, bool, list, tuple)) or v is None else str(v)
                for k, v in loss.get_config_dict().items()
            }
        )
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


@dataclass
class EmbedderSettings:
    """The knobs of :func:`train_embedder`; pass any of them to it as a keyword (``epochs=2``).

    Any other keyword is passed on to ``SentenceTransformerTrainingArguments``.
    """

    epochs: float = 1  # passes over the training data
    batch_size: int = 16  # examples per step; with in-batch-negative losses, the negatives per anchor + 1
    learning_rate: float = 2e-5  # AdamW rate of the encoder
    # Rate of the loss's own parameters, which start from random (SoftmaxLoss's classifier); None = learning_rate.
    # At 2e-5 a fresh head moves so little in a few hundred steps that it predicts the class prior.
    head_learning_rate: float | None = None
    warmup_ratio: float = (
        0.1  # share of steps with a rising rate (passed as a float to warmup_steps: transformers 5 deprecates warmup_ratio)
    )
    weight_decay: float = 0.01
    eval_steps: int | None = None  # evaluate (and checkpoint) every N steps; None = once per epoch
    logging_steps: int | None = None  # log the training loss every N steps; None = about 10 times per epoch
    # "batch_sampler", "no_duplicates" (in-batch-negative losses) or "group_by_label" (batch triplet losses);
    # None = what suits the named loss.
    batch_sampler: str | None = None
    seed: int = 42  # seeds the loss head, data order and dropout
    max_seq_length: int | None = None  # truncate texts to this many tokens (shorter = faster on a CPU)
    # Keep checkpoints, reload the best one at the end and save the final model (output_dir/model);
    # False writes only the log and training_info.json (fast runs in notebooks).
    save: bool = True
    # Evaluate once before training (step 0 of the curve); None = yes when there is something to evaluate.
    # With an evaluator and no metric_for_best_model this always happens: its metric name is known only after one call.
    evaluate_before: bool | None = None
    loss_kwargs: dict | None = None  # keyword arguments of the named loss, e.g. {"margin": 0.5}
    # In-batch-negative ranking losses (mnrl, matryoshka_mnrl) only: compute the same loss and gradients with gradient caching
    # (CachedMultipleNegativesRankingLoss), holding the activations of this many examples at a time instead of the whole batch.
    # Memory falls with it; each step costs one more forward pass. None = the plain loss.
    mini_batch_size: int | None = None
    metric_for_best_model: str | None = None  # default: the evaluator's primary metric, else eval_loss
    show_progress: bool = True  # tqdm bars; False trains quietly (the log file still has every value)
    device: str | None = None  # default: ftcourse.runtime.pick_device
    # Continue from the newest complete checkpoint-<step> in output_dir (half-written ones are ignored).
    resume: bool = False
    log_file: str = LOG_FILE  # name of the JSONL log inside output_dir
    # "tensorboard": also write TensorBoard event files to output_dir/runs (ftcourse.tracking); "none": the JSONL log only.
    report_to: str = "none"

    def __post_init__(self):
        self.report_to = check_report_to(self.report_to)  # an online tracker fails here, before the model loads


def train_embedder(
    model_or_name,
    train_dataset,
    loss,
    *,
    eval_dataset=None,
    evaluator=None,
    output_dir: str | os.PathLike = "outputs/embedder",
    **settings,
):
    """Fine-tune a SentenceTransformer with ``SentenceTransformerTrainer`` and return it with its training history.

    Args:
        model_or_name: a ``SentenceTransformer`` or a model name/path (loaded with
            :func:`ftcourse.models.load_sentence_transformer`).
        train_dataset: ``datasets.Dataset`` or DataFrame in the loss's format (see
            :mod:`ftcourse.embedder.losses`): text columns in order, then ``label`` / ``score`` if the loss needs one.
        loss: a registry name (e.g. ``"cosent"``, ``"mnrl"``; the columns are checked against it
            first) or a ready loss module (then the check is skipped: you built it for your data).
        eval_dataset: optional dataset in the same format; its loss is logged as ``eval_loss``.
        evaluator: optional sentence-transformers evaluator (e.g. ``EmbeddingSimilarityEvaluator``);
            its primary metric chooses the best checkpoint.
        output_dir: where the log, ``training_info.json`` and (with ``save``) checkpoints and the
            final model (``output_dir/model``) go.
        **settings: any field of :class:`EmbedderSettings`; other keywords go to
            ``SentenceTransformerTrainingArguments``.

    Returns:
        ``(model, history)``: the trained model (the best checkpoint when ``save`` and there is
        something to evaluate) and a DataFrame of the log (one row per event: ``step``, ``epoch``,
        ``loss``, ``learning_rate``, ``eval_*`` metrics).

    Raises:
        DataError: the training (or eval) dataset does not fit the named loss.
    """
    known = {f.name for f in fields(EmbedderSettings)}
    cfg = EmbedderSettings(**{k: v for k, v in settings.items() if k in known})
    training_args = {k: v for k, v in settings.items() if k not in known}
    train_dataset, eval_dataset = _as_dataset(train_dataset), _as_dataset(eval_dataset)
    seed_everything(cfg.seed)
    model, loss, loss_name, batch_sampler = _model_and_loss(model_or_name, train_dataset, eval_dataset, loss, cfg)
    if cfg.head_learning_rate is not None:
        training_args["learning_rate_mapping"] = _head_rate(loss, loss_name, cfg.head_learning_rate)
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    log_path = out / cfg.log_file
    resume_from = _start_log(out, log_path, cfg.resume)
    evaluating = evaluator is not None or eval_dataset is not None
    # The evaluator's metric name (e.g. "sts-dev_spearman_cosine") is only known after one call,
    # so with an evaluator and no explicit metric we always evaluate once before training.
    must_probe = evaluator is not None and cfg.metric_for_best_model is None
    evaluate_before = must_probe or (evaluating if cfg.evaluate_before is None else cfg.evaluate_before)
    keep_best = bool(cfg.save and evaluating)
    args = _training_arguments(out, cfg, model, _rows(train_dataset), evaluating, keep_best, batch_sampler, training_args)
    callbacks = [JsonlLogCallback(log_path), *tracking_callbacks(cfg.report_to, out / RUNS_DIR)]
    trainer = SentenceTransformerTrainer(
        model, args, train_dataset, eval_dataset, loss=loss, evaluator=evaluator, callbacks=callbacks
    )
    if not cfg.show_progress:
        trainer.remove_callback(PrinterCallback)  # without tqdm, transformers prints every log dict; the JSONL log has them
    baseline = trainer.evaluate() if evaluate_before else None  # logged at step 0 by the callback
    metric = _best_model_metric(trainer, evaluator, cfg, keep_best, must_probe)
    start = time.perf_counter()
    with dropout_for_training(model, trainer.args.device.type):
        result = trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    seconds = time.perf_counter() - start
    final = trainer.evaluate() if evaluating else {}
    history = read_training_log(log_path)
    if not trainer.is_world_process_zero():
        return model, history  # under torchrun only the main process writes the model and files
    run = {"result": result, "best_metric": trainer.state.best_metric, "seconds": seconds, "baseline": baseline}
    run.update(final=final, metric=metric, resume_from=resume_from)
    _save_run(out, cfg, model, model_or_name, (loss, loss_name, batch_sampler), (train_dataset, eval_dataset, evaluator), run)
    return model, history


def _save_run(out: Path, cfg: EmbedderSettings, model, model_or_name, losses: tuple, data: tuple, run: dict) -> None:
    # The final model (the best checkpoint, reloaded) and training_info.json; the checkpoints go.
    (loss, loss_name, batch_sampler), (train_dataset, eval_dataset, evaluator) = losses, data
    if cfg.save:
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
        hyperparameters=_hyperparameters(cfg, model, batch_sampler),
        device=model.device.type,
        steps=run["result"].global_step,
        duration_seconds=round(run["seconds"], 2),
        train_loss=run["result"].training_loss,
        baseline_metrics=run["baseline"],
        final_metrics=run["final"],
        metric_for_best_model=run["metric"],
        best_metric=run["best_metric"],
        saved_model=str(out / MODEL_DIR) if cfg.save else None,
        resumed_from=str(run["resume_from"]) if run["resume_from"] else None,
    )


def _best_model_metric(trainer, evaluator, cfg: EmbedderSettings, keep_best: bool, must_probe: bool) -> str | None:
    # After the first evaluation the evaluator knows its metric name: tell the trainer which one picks the best checkpoint.
    if must_probe:
        metric = f"eval_{_primary_metric(evaluator)}"
        if keep_best:
            trainer.args.metric_for_best_model = metric
            trainer.args.greater_is_better = bool(getattr(evaluator, "greater_is_better", True))
        return metric
    return trainer.args.metric_for_best_model if keep_best else cfg.metric_for_best_model


def _start_log(out: Path, log_path: Path, resume: bool) -> Path | None:
    # The checkpoint to resume from; a fresh run starts a fresh log (the callback appends, a resumed run continues it).
    resume_from = last_complete_checkpoint(out, remove_incomplete=is_main_process()) if resume else None
    if resume_from is None and is_main_process():
        log_path.unlink(missing_ok=True)
        shutil.rmtree(out / RUNS_DIR, ignore_errors=True)  # an earlier run's event files would join this run's curves
    return resume_from


def _model_and_loss(model_or_name, train_dataset, eval_dataset, loss, cfg: EmbedderSettings):
    # A named loss checks the columns first (a wrong table fails before the model loads) and picks its batch sampler.
    loss_name = loss if isinstance(loss, str) else None
    batch_sampler = cfg.batch_sampler
    if loss_name is not None:
        spec = check_columns(train_dataset, loss_name)
        if eval_dataset is not None:
            check_columns(eval_dataset, loss_name)
        batch_sampler = batch_sampler or spec.sampler
    if isinstance(model_or_name, (str, os.PathLike)):
        model = load_sentence_transformer(str(model_or_name), device=cfg.device, max_seq_length=cfg.max_seq_length)
    else:
        model = model_or_name
        if cfg.device:
            model.to(cfg.device)
        if cfg.max_seq_length:
            model.max_seq_length = cfg.max_seq_length
    if loss_name is not None:
        loss_name, loss_kwargs = cached_form(loss_name, cfg.loss_kwargs or {}, cfg.mini_batch_size)
        loss = make_loss(loss_name, model, train_dataset, **loss_kwargs)
    elif cfg.mini_batch_size is not None:
        raise UsageError(
            "mini_batch_size needs a named loss ('mnrl' or 'matryoshka_mnrl'); a ready loss module is used as built."
        )
    return model, loss, loss_name, batch_sampler or "batch_sampler"


def cached_form(loss_name: str, loss_kwargs: dict, mini_batch_size: int | None) -> tuple[str, dict]:
    """The gradient-cached form of an in-batch-negative ranking loss, with its mini-batch size.

    Args:
        loss_name: a registry name; ``mnrl`` and ``cached_mnrl`` become ``cached_mnrl``, ``matryoshka_mnrl`` keeps its
            name with ``cached_mnrl`` inside.
        loss_kwargs: the loss's other keyword arguments (kept).
        mini_batch_size: examples embedded with gradients at a time; None returns the loss unchanged.

    Returns:
        ``(loss_name, loss_kwargs)`` for :func:`ftcourse.embedder.losses.make_loss`.

    Raises:
        UsageError: a mini-batch size for a loss without a cached form, or below 1.
    """
    if mini_batch_size is None:
        return loss_name, loss_kwargs
    # bool is an int to Python, and "16" or 16.5 would be silently coerced by int(): only a whole number passes
    if isinstance(mini_batch_size, bool) or not isinstance(mini_batch_size, numbers.Integral) or mini_batch_size < 1:
        raise UsageError(
            f"mini_batch_size must be a positive whole number of examples (for example 16); got {mini_batch_size!r}. "
            "Fix: pass an int, or None for the plain loss."
        )
    size = int(mini_batch_size)
    if loss_name in ("mnrl", "cached_mnrl"):
        return "cached_mnrl", {**loss_kwargs, "mini_batch_size": size}
    if loss_name == "matryoshka_mnrl" and loss_kwargs.get("inner", "mnrl") in ("mnrl", "cached_mnrl"):
        inner_kwargs = {**(loss_kwargs.get("inner_kwargs") or {}), "mini_batch_size": size}
        return loss_name, {**loss_kwargs, "inner": "cached_mnrl", "inner_kwargs": inner_kwargs}
    raise UsageError(
        f"mini_batch_size (gradient caching) has no form for the loss {loss_name!r}. "
        "Fix: use it with 'mnrl' or 'matryoshka_mnrl', or leave it None."
    )


def _head_rate(loss, loss_name: str | None, rate: float) -> dict:
    # learning_rate_mapping matches the loss module's parameter names; the encoder's start with "model."
    head = [name for name, _ in loss.named_parameters() if not name.startswith("model.")]
    if not head:
        raise UsageError(
            f"head_learning_rate was given, but the loss {loss_name or type(loss).__name__} has no parameters of its own "
            "(only the encoder's). Fix: leave head_learning_rate=None; it is for losses with a classifier, such as 'softmax'."
        )
    return {r"^(?!model\.)": rate}


def _training_arguments(
    out: Path, cfg: EmbedderSettings, model, n_rows: int, evaluating: bool, keep_best: bool, batch_sampler, extra: dict
):
    steps_per_epoch = max(1, -(-n_rows // cfg.batch_size))
    strategy = ("steps" if cfg.eval_steps else "epoch") if evaluating else "no"
    return SentenceTransformerTrainingArguments(
        output_dir=str(out),
        num_train_epochs=cfg.epochs,
        per_device_train_batch_size=cfg.batch_size,
        per_device_eval_batch_size=cfg.batch_size,
        learning_rate=cfg.learning_rate,
        warmup_steps=float(cfg.warmup_ratio),  # a float < 1 is a share of the total steps
        weight_decay=cfg.weight_decay,
        batch_sampler=batch_sampler,
        seed=cfg.seed,
        data_seed=cfg.seed,
        eval_strategy=strategy,
        eval_steps=cfg.eval_steps,
        save_strategy=strategy if cfg.save else "no",
        save_steps=cfg.eval_steps,
        save_total_limit=1 if cfg.save else None,
        load_best_model_at_end=keep_best,
        metric_for_best_model=cfg.metric_for_best_model if keep_best else None,
        logging_strategy="steps",
        logging_steps=cfg.logging_steps or max(1, steps_per_epoch // 10),
        logging_first_step=True,
        disable_tqdm=not cfg.show_progress,
        dataloader_pin_memory=model.device.type == "cuda",  # pinning only helps a GPU (and warns on a CPU)
        use_cpu=model.device.type == "cpu",  # without it, torchrun on a CPU-only machine would train N separate copies
        report_to="none",
        **mixed_precision(model.device.type),
        **extra,
    )


def _hyperparameters(cfg: EmbedderSettings, model, batch_sampler) -> dict:
    kept = (
        "epochs",
        "batch_size",
        "learning_rate",
        "head_learning_rate",
        "warmup_ratio",
        "weight_decay",
        "eval_steps",
        "seed",
        "mini_batch_size",
        "report_to",
    )
    return {
        **{k: getattr(cfg, k) for k in kept},
        "batch_sampler": str(getattr(batch_sampler, "value", batch_sampler)),
        "max_seq_length": model.max_seq_length,
        **mixed_precision(model.device.type),
        "dropout_off": cpu_training_without_dropout(model.device.type),
    }
