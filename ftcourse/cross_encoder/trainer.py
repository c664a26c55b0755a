"""``train_cross_encoder``: fine-tune a reranker with ``CrossEncoderTrainer`` on labelled (query, document) pairs.

A cross-encoder reads the query and the document together and returns one relevance score. Built from a
bi-encoder checkpoint (such as all-MiniLM-L6-v2) it keeps the encoder's weights and gets a new, randomly
initialised scoring head (``num_labels=1``), so it must be trained before it is useful.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from ftcourse.errors import DataError, UsageError
from ftcourse.formats import pair_format
from ftcourse.models import BASE_MODEL, resolve_model
from ftcourse.runtime import cpu_training_without_dropout, mixed_precision, pick_device, seed_everything
from ftcourse.training import (
    INFO_FILE,
    LOG_FILE,
    DivergenceCallback,
    JsonlLogCallback,
    check_converged,
    dropout_for_training,
    read_training_log,
    write_training_info,
)

MODEL_DIR = "model"
PAIR_COLUMNS = ("query", "document", "label")  # the table a reranker trains on
CROSS_ENCODER_LOSSES = (
    "bce",
    "mnrl",
)  # BinaryCrossEntropyLoss on labelled pairs; MultipleNegativesRankingLoss on (query, document) pairs


@dataclass
class CrossEncoderSettings:
    """How :func:`train_cross_encoder` trains (every field has the course's default)."""

    epochs: float = 1  # passes over the training pairs
    batch_size: int = 16  # pairs per step
    learning_rate: float = 5e-5  # AdamW; the new head starts from random, so a little higher than for an embedder
    warmup_ratio: float = 0.1  # share of the steps with a rising learning rate
    max_length: int | None = None  # tokens kept of query + document together; None = the model's limit
    seed: int = 42
    save: bool = True  # write the model to output_dir/model
    show_progress: bool = True
    device: str | None = None


def load_cross_encoder(name: str | os.PathLike = BASE_MODEL, max_length: int | None = None, device: str | None = None):
    """A ``CrossEncoder`` with one output (the relevance score) through :func:`ftcourse.models.resolve_model`.

    A saved cross-encoder loads as it was trained; any other checkpoint (a plain BERT, a SentenceTransformer folder)
    keeps its encoder and gets a new randomly initialised head: train it before trusting its scores.

    Args:
        name: a cross-encoder folder (or ``train-cross-encoder`` output folder), a checkpoint or a Hub id.
        max_length: tokens kept of each (query, document) pair.
        device: default :func:`ftcourse.runtime.pick_device`.
    """
    from sentence_transformers.cross_encoder import CrossEncoder

    # not prepared for bfloat16 inference (cpu_bf16_inference): a reranker's scores are what lesson 12 ranks by, and its
    # bf16 runs were not shown to keep them (its drop, 0.441 -> 0.407, came with the bi-encoder in bf16, reranker in fp32)
    return CrossEncoder(
        resolve_model(cross_encoder_path(name)), num_labels=1, max_length=max_length, device=device or pick_device()
    )


def cross_encoder_path(model_dir: str | os.PathLike) -> str:
    """The model inside a ``train-cross-encoder`` output folder (``<dir>/model``), else ``model_dir`` itself."""
    folder = Path(model_dir).expanduser()
    if (folder / MODEL_DIR / "config.json").is_file():
        return str(folder / MODEL_DIR)
    return str(model_dir)


def check_pairs(table: pd.DataFrame, loss: str = "bce", source: str = "the training table") -> pd.DataFrame:
    """Check a reranker's training table and return its columns in order.

    Args:
        table: ``bce``: columns ``query``, ``document``, ``label`` (1 relevant, 0 not; scores in [0, 1] are allowed).
            ``mnrl``: ``query``, ``document`` (each document relevant to its query; the others in the batch are negatives).
        loss: ``"bce"`` or ``"mnrl"``.
        source: named in the error (the file or dataset).

    Raises:
        UsageError: an unknown loss. DataError: a missing column, an empty table, empty texts or labels outside [0, 1].
    """
    if loss not in CROSS_ENCODER_LOSSES:
        raise UsageError(f"unknown cross-encoder loss {loss!r}. Fix: choose one of {list(CROSS_ENCODER_LOSSES)}.")
    needed = list(PAIR_COLUMNS if loss == "bce" else PAIR_COLUMNS[:2])
    negatives = [c for c in table.columns if str(c).startswith("negative")] if loss == "mnrl" else []
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise DataError(
            f"{source}: has no column(s) {missing} (it has {list(table.columns)}). Fix: give columns {needed} "
            "(train-cross-encoder also reads question/answer pairs and mines their negatives)."
        )
    if table.empty:
        raise DataError(f"{source}: has no rows. Fix: give at least one (query, document) pair.")
    for column in [*needed[:2], *negatives]:
        texts = table[column]
        if not texts.map(lambda t: isinstance(t, str) and bool(t.strip())).all():
            raise DataError(f"{source}: column {column!r} holds empty or non-text values. Fix: drop those rows.")
    if loss == "bce":
        labels = pd.to_numeric(table["label"], errors="coerce")
        if labels.isna().any() or not labels.between(0, 1).all():
            raise DataError(
                f"{source}: column 'label' must hold numbers in [0, 1] (1 = relevant), e.g. {table['label'].iloc[0]!r} is not. "
                "Fix: map the labels to 0/1."
            )
        if labels.nunique() < 2:
            raise DataError(
                f"{source}: every label is {labels.iloc[0]:g} (a single class), so the reranker cannot learn to tell relevant from "
                "irrelevant. Fix: add label-0 rows, or give question/answer pairs without a label and let negatives be mined."
            )
        return pd.DataFrame({"query": table["query"], "document": table["document"], "label": labels.astype(float)})
    return table[[*needed, *negatives]].reset_index(drop=True)


def mine_reranker_pairs(
    pairs: pd.DataFrame,
    bi_encoder,
    num_negatives: int = 3,
    range_max: int = 20,
    relative_margin: float = 0.05,
    batch_size: int = 32,
    labeled: bool = True,
) -> pd.DataFrame:
    """(query, document, label) rows for a reranker: each pair's document (label 1) and hard negatives (label 0).

    With ``labeled=False``: one row per query, columns ``query``, ``document``, ``negative_1`` ... ``negative_n``
    (for ``mnrl``; queries with fewer than ``num_negatives`` negatives outside the margin are left out).

    The negatives are the documents of *other* pairs that ``bi_encoder`` ranks highest for the query
    (``sentence_transformers.util.mine_hard_negatives``), skipping any that score within ``relative_margin``
    of the positive (likely a second right answer).

    Args:
        pairs: columns ``anchor`` and ``positive`` (one relevant document per query).
        bi_encoder: the SentenceTransformer that ranks the candidates.
        num_negatives: negatives per query.
        range_max: negatives are taken from the top ``range_max`` candidates.
        relative_margin: a negative must score at least this share below the positive.
    """
    import datasets
    from sentence_transformers.util import mine_hard_negatives

    for column in ("anchor", "positive"):
        if column not in pairs.columns:
            raise DataError(
                f"pairs to mine from have no {column!r} column (they have {list(pairs.columns)}). Fix: rename the columns."
            )
    mined = mine_hard_negatives(
        datasets.Dataset.from_pandas(pairs[["anchor", "positive"]], preserve_index=False),
        bi_encoder,
        anchor_column_name="anchor",
        positive_column_name="positive",
        num_negatives=num_negatives,
        range_max=range_max,
        relative_margin=relative_margin,
        sampling_strategy="top",
        output_format="labeled-pair" if labeled else "n-tuple",
        batch_size=batch_size,
        verbose=False,
    ).to_pandas()
    if not labeled:
        return mined.rename(columns={"anchor": "query", "positive": "document"})
    mined.columns = list(PAIR_COLUMNS)
    mined["label"] = mined["label"].astype(float)
    return mined


def train_cross_encoder(
    model_or_name, train_pairs: pd.DataFrame, loss: str = "bce", *, output_dir="outputs/cross-encoder", **settings
):
    """Fine-tune a cross-encoder with ``CrossEncoderTrainer`` and return it with its training history.

    Args:
        model_or_name: a ``CrossEncoder`` or a name/path for :func:`load_cross_encoder`.
        train_pairs: see :func:`check_pairs` (``query``, ``document``[, ``label``]).
        loss: ``"bce"`` (``BinaryCrossEntropyLoss``) or ``"mnrl"`` (``MultipleNegativesRankingLoss``: the other
            documents of the batch are the negatives).
        output_dir: where ``training_log.jsonl``, ``training_info.json`` and (with ``save``) ``model/`` go.
        **settings: fields of :class:`CrossEncoderSettings`.

    Returns:
        ``(model, history)``: the trained model and its log as a DataFrame (``step``, ``epoch``, ``loss``, ...).

    Raises:
        DataError: the table does not fit the loss, or training diverged (no model is saved).
    """
    from sentence_transformers.cross_encoder import CrossEncoderTrainer

    unknown = set(settings) - set(CrossEncoderSettings.__dataclass_fields__)
    if unknown:
        raise UsageError(f"unknown setting(s) {sorted(unknown)}; known: {sorted(CrossEncoderSettings.__dataclass_fields__)}.")
    cfg = CrossEncoderSettings(**settings)
    table = check_pairs(train_pairs, loss)
    seed_everything(cfg.seed)
    model = model_or_name
    if isinstance(model_or_name, (str, os.PathLike)):
        model = load_cross_encoder(model_or_name, max_length=cfg.max_length, device=cfg.device)
    elif cfg.max_length:
        model.max_seq_length = cfg.max_length
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / LOG_FILE).unlink(missing_ok=True)
    divergence = DivergenceCallback()
    trainer = CrossEncoderTrainer(
        model=model,
        args=_training_arguments(out, cfg, model, len(table)),
        train_dataset=_dataset(table),
        loss=_make_loss(loss, model),
        callbacks=[JsonlLogCallback(out / LOG_FILE), divergence],
    )
    if not cfg.show_progress:
        from transformers import PrinterCallback

        trainer.remove_callback(PrinterCallback)
    start = time.perf_counter()
    with dropout_for_training(model, trainer.args.device.type):
        result = trainer.train()
    check_converged(model, divergence)
    if cfg.save:
        model.save_pretrained(str(out / MODEL_DIR))
    write_training_info(
        out / INFO_FILE,
        base_model=str(getattr(model_or_name, "name_or_path", model_or_name)),
        loss=loss,
        train_rows=len(table),
        hyperparameters=asdict(cfg)
        | {"max_length": model.max_seq_length, "dropout_off": cpu_training_without_dropout(model.device.type)},
        device=model.device.type,
        steps=result.global_step,
        duration_seconds=round(time.perf_counter() - start, 2),
        train_loss=result.training_loss,
        saved_model=str(out / MODEL_DIR) if cfg.save else None,
    )
    return model, read_training_log(out / LOG_FILE)


def _dataset(table: pd.DataFrame):
    import datasets

    return datasets.Dataset.from_pandas(table, preserve_index=False)


def _make_loss(name: str, model):
    from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss, MultipleNegativesRankingLoss

    if name == "bce":
        return BinaryCrossEntropyLoss(model)
    return MultipleNegativesRankingLoss(model)


def _training_arguments(out: Path, cfg: CrossEncoderSettings, model, n_rows: int):
    from sentence_transformers.cross_encoder import CrossEncoderTrainingArguments

    steps_per_epoch = max(1, -(-n_rows // cfg.batch_size))
    return CrossEncoderTrainingArguments(
        output_dir=str(out),
        num_train_epochs=cfg.epochs,
        per_device_train_batch_size=cfg.batch_size,
        learning_rate=cfg.learning_rate,
        warmup_steps=float(cfg.warmup_ratio),  # a float < 1 is a share of the total steps
        seed=cfg.seed,
        data_seed=cfg.seed,
        save_strategy="no",
        eval_strategy="no",
        logging_strategy="steps",
        logging_steps=max(1, steps_per_epoch // 10),
        logging_first_step=True,
        disable_tqdm=not cfg.show_progress,
        dataloader_pin_memory=model.device.type == "cuda",
        use_cpu=model.device.type == "cpu",
        report_to="none",
        **mixed_precision(model.device.type),
    )


def check_cross_encoder(model: str | os.PathLike) -> str:
    """The loadable path of a reranker given to ``search --rerank``; a clear error for what cannot be one.

    A local folder must hold a scoring head (``*ForSequenceClassification`` in ``config.json``): loading a
    bi-encoder as a cross-encoder would silently add a random head and rerank by noise.

    Raises:
        UsageError: no such folder, or a folder without a scoring head.
    """
    text = str(model)
    path = Path(cross_encoder_path(text)).expanduser()
    looks_local = text.startswith((".", "/", "~")) or text.count("/") > 1 or path.exists()
    if not looks_local:
        return text  # a Hub id, e.g. cross-encoder/ms-marco-MiniLM-L6-v2 (online)
    if not path.exists():
        raise UsageError(
            f"{text}: no such reranker folder. Fix: pass the --output of `ftcourse train-cross-encoder` or a Hub id."
        )
    config = path / "config.json"
    architectures = []
    if config.is_file():
        try:
            architectures = json.loads(config.read_text()).get("architectures") or []
        except ValueError:
            architectures = []
    if not any(str(a).endswith("ForSequenceClassification") for a in architectures):
        raise UsageError(
            f"{text}: is not a cross-encoder (its config.json names no sequence-classification head, so it would rerank "
            "with a random one). Fix: train one with `ftcourse train-cross-encoder --data PAIRS --output DIR` and pass DIR."
        )
    return str(path)


def reranker_table(df: pd.DataFrame, name: str, loss: str = "bce") -> tuple[pd.DataFrame, bool]:
    """Bring a table to a reranker's columns (:func:`check_pairs`); say whether its negatives must be mined.

    Accepts ``query``/``document``[/``label``] as they are; ``question``/``answer`` or ``anchor``/``positive``
    (with an optional ``negative`` column, which becomes label-0 rows); ``sentence1``/``sentence2``/``label`` (0/1)
    or ``score`` (in [0, 1], a soft label).

    Returns:
        ``(table, needs_mining)``: ``needs_mining`` is true for positive-only pairs under ``bce``
        (:func:`mine_reranker_pairs` adds their negatives; the table then has ``anchor``/``positive`` columns).

    Raises:
        DataError: no known format (the message lists them), or bad texts/labels.
    """
    if {"query", "document"} <= set(df.columns):
        return check_pairs(df, loss, name), False
    pairs, kind, _ = pair_format(df, name)
    if kind == "retrieval":
        if loss == "mnrl":
            return check_pairs(pairs.rename(columns={"anchor": "query", "positive": "document"}), loss, name), False
        if "negative" not in pairs:
            return pairs[["anchor", "positive"]], True
        rows = [
            pairs[["anchor", "positive"]].assign(label=1.0),
            pairs[["anchor", "negative"]].rename(columns={"negative": "positive"}).assign(label=0.0),
        ]
        table = pd.concat(rows, ignore_index=True).rename(columns={"anchor": "query", "positive": "document"})
        return check_pairs(table, loss, name), False
    label = "score" if kind == "similarity" else "label"
    table = pairs.rename(columns={"sentence1": "query", "sentence2": "document", label: "label"})
    if loss == "mnrl":
        table = table[pd.to_numeric(table["label"], errors="coerce") >= 0.5]
    return check_pairs(table, loss, name), False
