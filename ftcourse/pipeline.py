"""What ``ftcourse prepare-data``, ``train-embedder``, ``evaluate`` and ``search`` do, as functions.

The command-line pipeline for users who outgrow notebooks. Every step reuses the package:
reading (:func:`ftcourse.workflow.load_table`), cleaning and splitting (:mod:`ftcourse.prepare`),
majority reduction (:mod:`ftcourse.imbalance`), losses (:mod:`ftcourse.losses`), training
(:func:`ftcourse.train.train_embedder`), classifier scoring (:func:`ftcourse.workflow.evaluate_saved`)
and metrics (:mod:`ftcourse.evaluation`). Embedding models are scored with the
sentence-transformers evaluator that fits the data: information retrieval for
(question, answer) / (anchor, positive) pairs, similarity correlation for scored pairs, binary
classification for 0/1 pairs.

Options come from each command's ``*_DEFAULTS``, then a ``--config`` file (JSON or YAML whose keys
are the flag names), then the flags (:func:`ftcourse.workflow.layer_options`). Tokens are never
options: ``--push-to-hub`` reads ``HF_TOKEN`` from the environment.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from ftcourse.errors import DataError
from ftcourse.models import BASE_MODEL
from ftcourse.train.common import is_main_process
from ftcourse.workflow import check_output, coerce_numbers, layer_options, load_table

log = logging.getLogger("ftcourse.pipeline")

PREPARE_DEFAULTS: dict = {
    "input": None,  # a .csv/.tsv/.jsonl/.json/.parquet file (or a dataset name such as davidson)
    "data_dir": None,
    "text_column": "text",
    "label_column": "label",
    "output": None,  # prefix: writes <output>_train.jsonl and <output>_test.jsonl
    "no_normalize": False,
    "near_threshold": 0.9,  # TF-IDF cosine at which two texts count as near-duplicates
    "labels_to_filter": None,  # labels whose rows are removed (comma-separated)
    "reduce_majority_to": None,  # keep this share of the largest class in the train split
    "test_size": 0.2,
    "seed": 42,
    "overwrite": False,  # replace the output files of an earlier run
    "push_to_hub": None,  # a Hub dataset repo id (online users; HF_TOKEN from the environment)
}

EMBEDDER_DEFAULTS: dict = {
    "data": None,  # pairs: question/answer, anchor/positive[/negative], sentence1/sentence2/score|label
    "data_dir": None,
    "loss": None,  # default: the loss that suits the format (mnrl, cosent, online_contrastive)
    "base_model": BASE_MODEL,
    "output_dir": "outputs/embedder",
    "epochs": 1,
    "batch_size": 16,
    "learning_rate": 2e-5,
    "warmup_ratio": 0.1,
    "max_seq_length": 128,
    "train_split": 0.9,  # share of rows trained on; the rest is held out and scored before and after
    "resume": False,
    "overwrite": False,  # train again into an output folder that holds an earlier run
    "test_only": False,
    "seed": 42,
}

EVALUATE_DEFAULTS: dict = {
    "model_dir": None,
    "data": None,
    "data_dir": None,
    "text_column": None,  # classifier: default as saved in labels.json
    "label_columns": None,
    "output": None,  # classifier: per-example predictions (JSONL); embedder: metrics (JSON)
    "compare": None,
    "top_k": 3,
    "batch_size": 32,
    "overwrite": False,  # replace an existing output file
}

SEARCH_DEFAULTS: dict = {
    "model_dir": None,
    "corpus": None,
    "queries": None,
    "text_column": "text",
    "top_k": 5,
    "batch_size": 32,
}

PROGRESS_FILE = "training_progress.json"
METRICS_FILE = "training_metrics.jsonl"
LOG_TEXT_FILE = "train.log"


def options_for(defaults: dict, cli: dict, config_path: str | None = None, numbers: dict | None = None) -> dict:
    """A command's options: ``defaults``, then the ``config_path`` file, then the flags in ``cli``.

    Args:
        defaults: the command's ``*_DEFAULTS``.
        cli: ``vars(args)`` of the parsed command line (None = not given).
        config_path: a JSON/YAML file whose keys are the flag names (``batch-size`` or ``batch_size``).
        numbers: ``{option: int | float}`` conversions (a config file may hold strings).
    """
    from ftcourse.workflow import load_config

    config = load_config(config_path, defaults) if config_path else {}
    return coerce_numbers(layer_options(defaults, cli, config), numbers or {})


def _required(options: dict, key: str, example: str) -> None:
    if options.get(key) in (None, "", []):
        raise DataError(f"option {key!r} is required. Fix: pass {example} (or set {key.replace('_', '-')} in the --config file).")


def _share(options: dict, key: str, upper_inclusive: bool = False) -> None:
    value = options[key]
    if not (0 < value <= 1 if upper_inclusive else 0 < value < 1):
        bound = "(0, 1]" if upper_inclusive else "(0, 1)"
        raise DataError(f"option {key!r} must be a share in {bound}, got {value}. Fix: e.g. --{key.replace('_', '-')} 0.2.")


def _positive(options: dict, *keys: str) -> None:
    for key in keys:
        if options[key] is None or options[key] <= 0:
            raise DataError(f"option {key!r} must be positive, got {options[key]}.")


def _as_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value]


def _write_jsonl(df: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_json(path, orient="records", lines=True, force_ascii=False)
    return path


# ---------------------------------------------------------------------------------------------
# prepare-data


def _hub_token_or_fail(repo: str) -> str:
    # Checked before any work: a clean run that then fails to upload wastes the user's time.
    from ftcourse.models import hub_available

    if not hub_available():
        raise DataError(
            f"--push-to-hub {repo}: the Hugging Face Hub cannot be reached (offline, or HF_HUB_OFFLINE is set). "
            "Fix: drop --push-to-hub and upload the written JSONL files later, or run online."
        )
    token = os.environ.get("HF_TOKEN")
    if not token:
        raise DataError(f"--push-to-hub {repo}: no token. Fix: export HF_TOKEN=<a write token> (tokens are never read from flags or config files).")
    return token


def run_prepare_data(options: dict) -> dict:
    """Run ``ftcourse prepare-data`` with merged ``options`` (see :data:`PREPARE_DEFAULTS`).

    Steps: read, remove rows without text or label (counted), remove ``labels_to_filter``,
    normalise (:func:`ftcourse.prepare.normalize_text`, unless ``no_normalize``), drop exact and
    near duplicates (:func:`ftcourse.prepare.drop_duplicates`), stratified split
    (:func:`ftcourse.prepare.split`), then :func:`ftcourse.imbalance.reduce_majority` on the train
    split only (the test split keeps the real class mix, so its numbers stay honest).

    Returns:
        The report: ``rows_in``, ``removed`` (reason -> rows), ``rows_out``, ``class_counts``
        (split -> label -> rows), ``conflicting_groups``, ``files``; also printed.
    """
    from ftcourse.imbalance import reduce_majority
    from ftcourse.prepare import drop_duplicates, normalize_text, split

    _required(options, "input", "--input data.csv")
    _required(options, "output", "--output data/clean (writes data/clean_train.jsonl and data/clean_test.jsonl)")
    _share(options, "test_size")
    if options["reduce_majority_to"] is not None:
        _share(options, "reduce_majority_to", upper_inclusive=True)
    if not 0 < options["near_threshold"] <= 1:
        raise DataError(f"option 'near_threshold' must be in (0, 1], got {options['near_threshold']}. Fix: e.g. 0.9 (1 = exact duplicates only).")
    token = _hub_token_or_fail(options["push_to_hub"]) if options["push_to_hub"] else None
    for part in ("train", "test"):
        check_output(f"{options['output']}_{part}.jsonl", kind="file", overwrite=bool(options["overwrite"]))

    df, meta = load_table(options["input"], options["data_dir"])
    text, label = options["text_column"], options["label_column"]
    missing = [c for c in (text, label) if c not in df.columns]
    if missing:
        raise DataError(f"{meta['name']}: missing column(s) {missing}; found {list(df.columns)}. Fix: pass --text-column / --label-column.")
    data = df[[text, label]].rename(columns={text: "text", label: "label"})
    removed: dict[str, int] = {}

    no_text = data["text"].isna() | (data["text"].astype(str).str.strip() == "")
    removed["empty text"] = int(no_text.sum())
    no_label = data["label"].isna()
    removed["missing label"] = int((no_label & ~no_text).sum())
    data = data[~no_text & ~no_label].assign(text=lambda d: d["text"].astype(str))
    if pd.api.types.is_float_dtype(data["label"]) and (data["label"] == data["label"].round()).all():
        data = data.assign(label=data["label"].astype(int))  # a CSV column with gaps reads as float: 1.0 -> 1

    unwanted = _as_list(options["labels_to_filter"])
    if unwanted:
        present = set(data["label"].astype(str))
        unknown = [u for u in unwanted if u not in present]
        if unknown:
            raise DataError(f"--labels-to-filter: label(s) {unknown} not in column {label!r}, whose labels are {sorted(present)}. Fix: check the spelling.")
        drop = data["label"].astype(str).isin(unwanted)
        removed[f"label in {unwanted}"] = int(drop.sum())
        data = data[~drop]

    if not options["no_normalize"]:
        data = data.assign(text=normalize_text(data["text"]))
    data, dup = drop_duplicates(data, "text", near=options["near_threshold"] < 1, threshold=options["near_threshold"], label_column="label")
    removed["exact duplicate"] = dup["exact"]
    removed["near duplicate"] = dup["near"]

    if data["label"].nunique() < 2:
        raise DataError(
            f"{meta['name']}: after cleaning, column {label!r} holds a single class ({data['label'].tolist()[0]!r}); a classifier needs at least two. "
            "Fix: check --label-column and --labels-to-filter, or add rows of another class."
        )
    train, test = split(data, test_size=options["test_size"], seed=options["seed"], stratify="label")
    if options["reduce_majority_to"] is not None:
        train = reduce_majority(train, "label", fraction=options["reduce_majority_to"], seed=options["seed"])
        info = train.attrs["resampling"]
        removed[f"majority class {info['majority_class']!r} reduced to {options['reduce_majority_to']:g} (train split only)"] = info["rows_removed"]

    prefix = str(options["output"])
    files = {"train": str(_write_jsonl(train[["text", "label"]], Path(prefix + "_train.jsonl"))), "test": str(_write_jsonl(test[["text", "label"]], Path(prefix + "_test.jsonl")))}
    counts = pd.DataFrame({"train": train["label"].value_counts(), "test": test["label"].value_counts()}).fillna(0).astype(int).sort_index()
    report = {
        "input": meta["name"],
        "rows_in": len(df),
        "removed": removed,
        "rows_out": len(train) + len(test),
        "conflicting_groups": dup.get("conflicting_groups", 0),
        "class_counts": {split_name: {str(k): int(v) for k, v in counts[split_name].items()} for split_name in counts},
        "files": files,
    }
    print(f"[ftcourse] {meta['name']}: {len(df)} rows in")
    for reason, n in removed.items():
        print(f"  removed {n:>7}  {reason}")
    print(f"[ftcourse] {report['rows_out']} rows out: {len(train)} train / {len(test)} test"
          + (f"; {report['conflicting_groups']} duplicate group(s) had disagreeing labels (first row kept)" if report["conflicting_groups"] else ""))
    print(counts.assign(total=counts.sum(axis=1)).rename_axis("label").to_string())
    for name, path in files.items():
        print(f"[ftcourse] wrote {path} ({name})")

    if token:
        from datasets import Dataset, DatasetDict

        parts = DatasetDict({name: Dataset.from_pandas(part[["text", "label"]].reset_index(drop=True), preserve_index=False) for name, part in (("train", train), ("test", test))})
        parts.push_to_hub(options["push_to_hub"], token=token)
        print(f"[ftcourse] pushed to https://huggingface.co/datasets/{options['push_to_hub']}")
        report["pushed_to"] = options["push_to_hub"]
    return report


# ---------------------------------------------------------------------------------------------
# Pair data and the evaluator that fits it.

# (columns in the file, the kind of evaluation, the default loss). First match wins.
PAIR_FORMATS: list[tuple[tuple[str, ...], str, str]] = [
    (("question", "answer"), "retrieval", "mnrl"),
    (("anchor", "positive"), "retrieval", "mnrl"),
    (("sentence1", "sentence2", "score"), "similarity", "cosent"),
    (("sentence1", "sentence2", "label"), "binary", "online_contrastive"),
]


def pair_format(df: pd.DataFrame, name: str = "data") -> tuple[pd.DataFrame, str, str]:
    """Recognise a pair table and bring it to the loss's canonical columns.

    Args:
        df: columns ``question``/``answer``, ``anchor``/``positive`` (optional ``negative``),
            ``sentence1``/``sentence2``/``score`` (similarity in [0, 1]) or
            ``sentence1``/``sentence2``/``label`` (0/1); other columns are ignored.
        name: the file or dataset, for messages.

    Returns:
        ``(pairs, kind, default_loss)``: ``pairs`` has ``anchor, positive[, negative]`` (kind
        ``"retrieval"``) or ``sentence1, sentence2, score|label`` (``"similarity"`` / ``"binary"``).

    Raises:
        DataError: no known format, or empty / missing texts.
    """
    for columns, kind, loss in PAIR_FORMATS:
        if set(columns) <= set(df.columns):
            if kind == "retrieval":
                keep = [*columns, *(["negative"] if "negative" in df.columns else [])]
                pairs = df[keep].rename(columns={"question": "anchor", "answer": "positive"})
            else:
                pairs = df[list(columns)].copy()
            texts = [c for c in pairs.columns if c not in ("score", "label")]
            empty = pairs[texts].isna() | pairs[texts].astype(str).apply(lambda s: s.str.strip() == "")
            if empty.any().any():
                col = empty.any().idxmax()
                raise DataError(f"{name}: column {col!r} has {int(empty[col].sum())} empty or missing text(s). Fix: remove or fill those rows first; nothing is dropped silently.")
            if kind == "binary" and pairs["label"].nunique() < 2:
                raise DataError(
                    f"{name}: column 'label' holds a single class ({pairs['label'].tolist()[0]!r}), so a contrastive loss has nothing to push apart "
                    "and the evaluation has no threshold to find. Fix: add pairs of the other class (ftcourse.prepare.make_pairs builds both)."
                )
            return pairs.reset_index(drop=True), kind, loss
    formats = "; ".join("/".join(c) for c, _, _ in PAIR_FORMATS)
    raise DataError(f"{name}: not a pair table; found columns {list(df.columns)}. Fix: provide one of these column sets: {formats} (negative optional with anchor/positive).")


def make_evaluator(pairs: pd.DataFrame, kind: str, name: str = "eval", extra_documents: Sequence[str] = (), batch_size: int = 32):
    """The sentence-transformers evaluator that fits ``pairs`` (as returned by :func:`pair_format`).

    * ``retrieval``: ``InformationRetrievalEvaluator``; queries = the distinct anchors, corpus = every
      positive (and negative) plus ``extra_documents``, relevant = the anchor's positives.
    * ``similarity``: ``EmbeddingSimilarityEvaluator`` (Spearman of cosine similarity vs the score).
    * ``binary``: ``BinaryClassificationEvaluator`` (accuracy, F1, AP of cosine similarity vs the label).
    """
    from sentence_transformers.sentence_transformer.evaluation import (
        BinaryClassificationEvaluator,
        EmbeddingSimilarityEvaluator,
        InformationRetrievalEvaluator,
    )

    if kind == "similarity":
        return EmbeddingSimilarityEvaluator(pairs["sentence1"].tolist(), pairs["sentence2"].tolist(), pairs["score"].astype(float).tolist(), batch_size=batch_size, name=name, write_csv=False)
    if kind == "binary":
        return BinaryClassificationEvaluator(pairs["sentence1"].tolist(), pairs["sentence2"].tolist(), pairs["label"].astype(int).tolist(), name=name, batch_size=batch_size, write_csv=False)
    documents = list(dict.fromkeys([*pairs["positive"], *(pairs["negative"] if "negative" in pairs else []), *extra_documents]))
    doc_id = {text: f"d{i}" for i, text in enumerate(documents)}
    anchors = list(dict.fromkeys(pairs["anchor"]))
    query_id = {text: f"q{i}" for i, text in enumerate(anchors)}
    relevant: dict[str, set[str]] = {}
    for anchor, positive in zip(pairs["anchor"], pairs["positive"], strict=True):
        relevant.setdefault(query_id[anchor], set()).add(doc_id[positive])
    return InformationRetrievalEvaluator(
        {q: a for a, q in query_id.items()}, {d: t for t, d in doc_id.items()}, relevant, name=name,
        mrr_at_k=[10], ndcg_at_k=[10], accuracy_at_k=[1, 5, 10], precision_recall_at_k=[1, 5, 10], map_at_k=[100],
        batch_size=batch_size, show_progress_bar=False, write_csv=False,
    )


def _short(metrics: dict, name: str) -> dict:
    # "eval_cosine_ndcg@10" -> "cosine_ndcg@10": the evaluator's prefix says nothing to the reader.
    prefix = f"{name}_"
    return {k.removeprefix("eval_").removeprefix(prefix): float(v) for k, v in metrics.items() if isinstance(v, (int, float))}


def _side_by_side(columns: dict[str, dict]) -> pd.DataFrame:
    table = pd.DataFrame(columns)
    if table.shape[1] == 2:
        table["change"] = table.iloc[:, 1] - table.iloc[:, 0]
    return table


def _print_table(title: str, table: pd.DataFrame) -> None:
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.max_rows", 200, "display.float_format", "{:.4f}".format):
        print(f"\n{title}\n{table.to_string()}")


# ---------------------------------------------------------------------------------------------
# train-embedder


def _attach_log_file(path: Path) -> logging.Handler:
    # Our messages plus the libraries' warnings go to the run's text log (the console keeps tqdm).
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    for name in ("ftcourse", "transformers", "sentence_transformers"):
        logging.getLogger(name).addHandler(handler)
    logging.getLogger("ftcourse").setLevel(logging.INFO)
    return handler


def _detach_log_file(handler: logging.Handler) -> None:
    for name in ("ftcourse", "transformers", "sentence_transformers"):
        logging.getLogger(name).removeHandler(handler)
    handler.close()


def _say(message: str) -> None:
    if is_main_process():  # under torchrun, one voice
        print(f"[ftcourse] {message}")
        log.info(message)


def _write_progress(out: Path, **fields) -> None:
    from ftcourse.course import _jsonable

    path = out / PROGRESS_FILE
    progress = json.loads(path.read_text()) if path.is_file() else {}
    progress.update(fields)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(_jsonable(progress), indent=2))
    tmp.replace(path)  # never a half-written progress file


def embedder_path(model_dir: str | os.PathLike) -> str:
    """The model inside a ``train-embedder`` output folder (``<dir>/model``), else ``model_dir`` itself."""
    folder = Path(model_dir).expanduser()
    if (folder / "model" / "modules.json").is_file():
        return str(folder / "model")
    return str(model_dir)


def _check_model_exists(model: str) -> None:
    # A path that cannot be a Hub id ("org/name") and is not there: say so, instead of a Hub lookup error.
    text = str(model)
    looks_local = text.startswith((".", "/", "~")) or text.count("/") > 1 or "\\" in text
    if looks_local and not Path(text).expanduser().exists():
        raise DataError(f"{text}: no such model folder. Fix: pass the --output-dir of `ftcourse train-embedder`, a saved model folder or a Hub id.")


def run_train_embedder(options: dict) -> dict:
    """Run ``ftcourse train-embedder`` with merged ``options`` (see :data:`EMBEDDER_DEFAULTS`).

    Splits the pairs into a trained part and a held-out part (``train_split``; rows sharing an
    anchor stay on one side), keeps 10 % of the trained part as validation for choosing the best
    checkpoint, trains with :func:`ftcourse.train.train_embedder`, and scores the held-out part with
    the evaluator that fits the data before and after. Under ``torchrun`` every process trains;
    only rank 0 writes files and reports.

    Writes to ``output_dir``: ``checkpoint-*`` while training, ``model/`` (the final model),
    ``training_metrics.jsonl`` (loss, learning rate and validation metrics per log step),
    ``training_info.json``, ``training_progress.json`` (completed, duration, sizes, final model
    path, held-out metrics) and ``train.log``.

    Returns:
        ``{"before": metrics, "after": metrics, "output_dir": ..., ...}`` (held-out metrics).
    """
    from ftcourse.losses import REGISTRY as LOSSES
    from ftcourse.losses import check_columns
    from ftcourse.models import load_sentence_transformer, resolve_model
    from ftcourse.prepare import split
    from ftcourse.train import train_embedder

    _required(options, "data", "--data pairs.jsonl")
    _share(options, "train_split", upper_inclusive=True)
    if not 0 <= options["warmup_ratio"] < 1:
        raise DataError(f"option 'warmup_ratio' must be in [0, 1), got {options['warmup_ratio']}. Fix: e.g. --warmup-ratio 0.1.")
    _positive(options, "epochs", "batch_size", "learning_rate", "max_seq_length")
    if options["loss"] and options["loss"] not in LOSSES:
        raise DataError(f"--loss {options['loss']!r} is not in the registry. Fix: choose one of {sorted(LOSSES)}.")
    out = Path(options["output_dir"])
    saved = out / "model"
    model_name = str(saved) if options["test_only"] and (saved / "modules.json").is_file() else options["base_model"]
    _check_model_exists(model_name)
    resolve_model(model_name)  # fail before any data work when the model cannot be had
    if not options["test_only"] and is_main_process():
        check_output(out, overwrite=bool(options["overwrite"]), resume=bool(options["resume"]), flag="--output-dir")

    df, meta = load_table(options["data"], options["data_dir"])
    pairs, kind, default_loss = pair_format(df, meta["name"])
    loss = options["loss"] or default_loss
    check_columns(pairs, loss)
    seed = options["seed"]
    if options["train_split"] < 1:
        # Group by anchor: the same question must not be trained on and then tested.
        train, held_out = split(pairs, test_size=1 - options["train_split"], seed=seed, groups=pairs.iloc[:, 0].to_numpy())
    else:
        train, held_out = pairs, None
    val = None
    if len(train) >= 20 and not options["test_only"]:
        train, val = split(train, test_size=0.1, seed=seed, groups=train.iloc[:, 0].to_numpy())
    all_documents = pairs["positive"].tolist() if kind == "retrieval" else []
    test_eval = make_evaluator(held_out, kind, "held-out", all_documents, options["batch_size"]) if held_out is not None else None

    main = is_main_process()
    handler = None
    if main:
        out.mkdir(parents=True, exist_ok=True)
        handler = _attach_log_file(out / LOG_TEXT_FILE)
    try:
        sizes = {"train_size": len(train), "validation_size": len(val) if val is not None else 0, "test_size": len(held_out) if held_out is not None else 0}
        _say(f"{meta['name']}: {kind} pairs; {sizes['train_size']} train / {sizes['validation_size']} validation / {sizes['test_size']} held-out rows; loss {loss}")
        if options["test_only"]:
            if test_eval is None:
                raise DataError("--test-only needs a held-out part. Fix: --train-split below 1, e.g. 0.9.")
            model = load_sentence_transformer(model_name, max_seq_length=options["max_seq_length"])
            metrics = _short(test_eval(model), "held-out")
            _print_table(f"held-out metrics of {model_name}", pd.DataFrame({"value": metrics}))
            return {"after": metrics, "model": model_name, "output_dir": str(out)}

        started = time.perf_counter()
        if main:
            _write_progress(
                out, completed=False, started=datetime.now(timezone.utc).isoformat(timespec="seconds"), finished=None,
                base_model=options["base_model"], loss=loss, data=meta["name"], **sizes, final_model=None, resume_requested=bool(options["resume"]),
            )
        val_eval = make_evaluator(val, kind, "validation", all_documents, options["batch_size"]) if val is not None else None
        model, _ = train_embedder(
            options["base_model"], train, loss, evaluator=val_eval, output_dir=out, epochs=options["epochs"],
            batch_size=options["batch_size"], learning_rate=options["learning_rate"], warmup_ratio=options["warmup_ratio"],
            max_seq_length=options["max_seq_length"], seed=seed, resume=bool(options["resume"]), log_file=METRICS_FILE,
            show_progress=False,
        )
        if not main:
            return {"output_dir": str(out)}
        seconds = time.perf_counter() - started
        report: dict = {"output_dir": str(out), "final_model": str(saved), "loss": loss, **sizes}
        if test_eval is not None:
            base = load_sentence_transformer(options["base_model"], max_seq_length=options["max_seq_length"])
            report["before"] = _short(test_eval(base), "held-out")
            report["after"] = _short(test_eval(model), "held-out")
            _print_table(f"held-out ({sizes['test_size']} rows): base vs fine-tuned", _side_by_side({"base": report["before"], "fine-tuned": report["after"]}))
        if (out / "eval").is_dir() and not any((out / "eval").iterdir()):
            (out / "eval").rmdir()  # the trainer makes it for evaluator CSVs, which we do not write
        _write_progress(
            out, completed=True, finished=datetime.now(timezone.utc).isoformat(timespec="seconds"), duration_seconds=round(seconds, 1),
            final_model=str(saved), held_out_before=report.get("before"), held_out_after=report.get("after"),
        )
        _say(f"done in {seconds:.0f} s; model saved to {saved} (log: {out / LOG_TEXT_FILE}, metrics: {out / METRICS_FILE})")
        return report
    finally:
        if handler is not None:
            _detach_log_file(handler)


# ---------------------------------------------------------------------------------------------
# evaluate


def _is_classifier(folder: Path) -> bool:
    return (folder / "labels.json").is_file() and (folder / "config.json").is_file()


def _classifier_scores(model_dir: Path, df: pd.DataFrame, options: dict, name: str = "evaluation data") -> tuple[dict, pd.DataFrame, list[dict]]:
    """Headline numbers, a per-label table and per-example top-k predictions of one saved classifier."""
    from ftcourse.evaluation import multilabel_report, top_k_accuracy
    from ftcourse.predict import MULTI, load_classifier
    from ftcourse.train.classifier import check_frame, encode_labels, infer_problem_type
    from ftcourse.workflow import evaluate_saved

    saved = json.loads((model_dir / "labels.json").read_text())
    text_column = options["text_column"] or saved.get("text_column", "text")
    label_columns = _as_list(options["label_columns"]) or list(saved.get("label_columns") or saved["label_names"])
    problem_type = saved.get("problem_type") or infer_problem_type(label_columns)
    # The data is checked before the weights are loaded: a wrong file fails in a second, not after a load.
    check_frame(df, text_column, label_columns, name, problem_type)
    y, names = encode_labels(df, label_columns, problem_type, saved["label_names"], name)
    loaded = load_classifier(model_dir)
    table, summary, probs = evaluate_saved(loaded, df, text_column, label_columns, options["batch_size"])
    headline: dict = {}
    if loaded.problem_type == MULTI:
        per_label = table[["n_positives", "roc_auc", "pr_auc", "f1_tuned", "status"]]
        headline.update(f1_macro=summary["f1_macro_tuned"], roc_auc_macro=summary["roc_auc_macro"])
    else:
        # Top-k with k = the number of classes is always 1: stop one short of it.
        for k in range(1, max(1, min(options["top_k"], len(names) - 1)) + 1):
            headline[f"top{k}_accuracy"] = top_k_accuracy(probs, y, k=k)
        headline["f1_macro"] = summary["f1_macro"]
        # One-vs-rest ROC-AUC per class: how well the class's probability ranks its own examples.
        auc, macro = multilabel_report(np.eye(len(names), dtype=int)[y], probs, names)
        per_label = auc[["n_positives", "roc_auc", "pr_auc", "status"]].assign(f1=table.loc[names, "f1-score"].to_numpy())
        headline["roc_auc_macro"] = macro["roc_auc"]
    k = min(options["top_k"], len(names))
    order = np.argsort(-probs, axis=1, kind="stable")[:, :k]
    texts = df[text_column].astype(str).tolist()
    truth = [[names[j] for j in np.flatnonzero(row)] for row in y.astype(int)] if loaded.problem_type == MULTI else [names[i] for i in y]
    examples = [
        {"text": t, "true": tr, "top_labels": [names[j] for j in row], "top_scores": [round(float(probs[i, j]), 6) for j in row]}
        for i, (t, tr, row) in enumerate(zip(texts, truth, order, strict=True))
    ]
    return headline, per_label, examples


def run_evaluate(options: dict) -> dict:
    """Run ``ftcourse evaluate`` with merged ``options`` (see :data:`EVALUATE_DEFAULTS`).

    A classifier folder (``labels.json``): top-1/2/3 accuracy (single-label), macro-F1 and per-label
    ROC-AUC are printed; ``output`` gets one JSON line per example with its top-k labels and scores;
    ``compare`` names another saved classifier scored the same way. Anything else is loaded as a
    sentence-transformers model and scored by the evaluator that fits the data
    (:func:`pair_format`); ``compare`` names the base model to print beside it.

    Returns:
        ``{"kind": "classifier" | "embedder", "metrics": {...}, "compare": {...}?}``.
    """
    from ftcourse.models import load_sentence_transformer

    _required(options, "model_dir", "MODEL_DIR")
    _required(options, "data", "--data test.jsonl")
    _positive(options, "top_k", "batch_size")
    folder = Path(options["model_dir"]).expanduser()
    if not folder.exists() and (str(options["model_dir"]).startswith((".", "/", "~")) or str(options["model_dir"]).count("/") != 1):
        # Not a folder and not shaped like a Hub id ("org/name", which is scored as an embedder).
        raise DataError(f"{folder}: no such model folder. Fix: pass the --output of train-classifier or the --output-dir of train-embedder.")
    if options["output"]:
        check_output(options["output"], kind="file", overwrite=bool(options["overwrite"]))
    df, meta = load_table(options["data"], options["data_dir"])

    if _is_classifier(folder):
        headline, per_label, examples = _classifier_scores(folder, df, options, meta["name"])
        result: dict = {"kind": "classifier", "metrics": headline}
        _print_table(f"per label, {folder} on {meta['name']} ({len(df)} rows)", per_label)
        columns = {str(folder): headline}
        if options["compare"]:
            other = Path(options["compare"]).expanduser()
            if not _is_classifier(other):
                raise DataError(
                    f"--compare {other}: not a saved classifier folder. Fix: compare with another train-classifier output, or score the "
                    "frozen base model with `ftcourse train-classifier --evaluate-only MODEL_DIR --compare`."
                )
            result["compare"], _, _ = _classifier_scores(other, df, options, meta["name"])
            columns = {f"{other} (compare)": result["compare"], str(folder): headline}
        _print_table("headline", _side_by_side(columns))
        if options["output"]:
            _write_jsonl(pd.DataFrame(examples), Path(options["output"]))
            print(f"[ftcourse] {len(examples)} prediction(s) with top-{len(examples[0]['top_labels'])} labels written to {options['output']}")
        return result

    pairs, kind, _ = pair_format(df, meta["name"])
    evaluator = make_evaluator(pairs, kind, "eval", batch_size=options["batch_size"])
    model_path = embedder_path(folder)
    metrics = _short(evaluator(load_sentence_transformer(model_path)), "eval")
    result = {"kind": "embedder", "evaluation": kind, "metrics": metrics}
    columns = {model_path: metrics}
    if options["compare"]:
        _check_model_exists(options["compare"])
        result["compare"] = _short(evaluator(load_sentence_transformer(embedder_path(options["compare"]))), "eval")
        columns = {f"{options['compare']} (compare)": result["compare"], model_path: metrics}
    _print_table(f"{kind} evaluation on {meta['name']} ({len(pairs)} rows)", _side_by_side(columns))
    if options["output"]:
        from ftcourse.course import _jsonable

        Path(options["output"]).parent.mkdir(parents=True, exist_ok=True)
        Path(options["output"]).write_text(json.dumps(_jsonable(result), indent=2))
        print(f"[ftcourse] metrics written to {options['output']}")
    return result


# ---------------------------------------------------------------------------------------------
# search


def _model_fingerprint(model_path: str) -> str:
    # A local model changes when its weights or config change; a Hub id is its own fingerprint.
    folder = Path(model_path)
    if not folder.is_dir():
        return model_path
    stats = sorted((str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file() and p.suffix in (".safetensors", ".json", ".bin", ".txt"))
    return f"{folder.resolve()}|{stats}"


def corpus_embeddings(model, model_path: str, corpus: str | os.PathLike, texts: Sequence[str], batch_size: int = 32) -> tuple[np.ndarray, Path, bool]:
    """Embeddings of ``texts`` (read from ``corpus``), cached next to the corpus file.

    The cache ``<corpus>.<model hash>.embeddings.npz`` stores a key: the SHA-256 of the corpus
    file's bytes, the model's fingerprint (path, file sizes and times) and the texts' count. It is
    reused while the key matches and rewritten (atomically) when the corpus or the model changed.

    Returns:
        ``(embeddings (n, dim) normalised, cache path, reused: bool)``.
    """
    corpus = Path(corpus)
    model_id = _model_fingerprint(model_path)
    key = hashlib.sha256(corpus.read_bytes() + b"\0" + model_id.encode() + f"\0{len(texts)}".encode()).hexdigest()
    cache = corpus.with_name(f"{corpus.name}.{hashlib.sha256(model_id.encode()).hexdigest()[:10]}.embeddings.npz")
    if cache.is_file():
        try:
            with np.load(cache) as stored:
                if str(stored["key"]) == key:
                    return stored["embeddings"], cache, True
        except (OSError, ValueError, KeyError):
            pass  # an unreadable cache is rebuilt
    embeddings = model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True)
    tmp = cache.with_name(cache.name + ".tmp.npz")
    np.savez(tmp, embeddings=embeddings, key=np.array(key))
    tmp.replace(cache)
    return embeddings, cache, False


def run_search(options: dict) -> list[list[dict]]:
    """Run ``ftcourse search`` with merged ``options`` (see :data:`SEARCH_DEFAULTS`).

    Encodes the queries with the model, ranks the corpus by cosine similarity
    (``sentence_transformers.util.semantic_search``) and prints the top ``top_k`` per query.

    Returns:
        One list per query of ``{"rank", "score", "text", "corpus_id"}``.
    """
    from sentence_transformers.util import semantic_search

    from ftcourse.models import load_sentence_transformer
    from ftcourse.workflow import read_texts_file

    _required(options, "model_dir", "MODEL_DIR")
    _required(options, "corpus", "--corpus corpus.txt")
    queries = [q for q in _as_list_keep_commas(options["queries"]) if q.strip()]
    if not queries:
        raise DataError('no query given. Fix: ftcourse search MODEL_DIR --corpus corpus.txt "your question" ...')
    _positive(options, "top_k", "batch_size")
    texts = read_texts_file(options["corpus"], options["text_column"])
    model_path = embedder_path(options["model_dir"])
    _check_model_exists(model_path)
    model = load_sentence_transformer(model_path)
    embeddings, cache, reused = corpus_embeddings(model, model_path, options["corpus"], texts, options["batch_size"])
    print(f"[ftcourse] corpus of {len(texts)} texts; embeddings {'reused from' if reused else 'computed and cached in'} {cache}")
    query_embeddings = model.encode(queries, batch_size=options["batch_size"], normalize_embeddings=True, convert_to_numpy=True)
    hits = semantic_search(query_embeddings, embeddings, top_k=min(options["top_k"], len(texts)))
    results = []
    for query, found in zip(queries, hits, strict=True):
        rows = [{"rank": r + 1, "score": round(float(h["score"]), 4), "text": texts[h["corpus_id"]], "corpus_id": int(h["corpus_id"])} for r, h in enumerate(found)]
        results.append(rows)
        print(f"\nquery: {query}")
        for row in rows:
            print(f"  {row['rank']:>2}. {row['score']:.3f}  {row['text'][:110]}")
    return results


def _as_list_keep_commas(value) -> list[str]:
    # Queries are whole sentences: commas inside them are not separators.
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]
