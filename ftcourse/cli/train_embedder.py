"""``ftcourse train-embedder``: fine-tune a sentence-transformers model on pairs and score it on a held-out part."""

from __future__ import annotations

import argparse
import logging
import time
from contextlib import nullcontext
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from ftcourse.cli.options import CONFIG_HELP, add_report_to, positive, report_to, required, resolve, share
from ftcourse.cli.report import print_table, say, short_names, side_by_side
from ftcourse.data import load_table
from ftcourse.errors import UsageError
from ftcourse.files import TRAINING_LOG_FILE as LOG_FILE
from ftcourse.files import check_output, output_run, read_json, write_json
from ftcourse.formats import pair_format
from ftcourse.models import BASE_MODEL, resolve_model
from ftcourse.prepare import split
from ftcourse.runtime import is_main_process

NAME = "train-embedder"

DEFAULTS: dict = {
    "data": None,  # pairs: question/answer, anchor/positive[/negative], sentence1/sentence2/score|label
    "data_dir": None,
    "loss": None,  # default: the loss that suits the format (mnrl, cosent, online_contrastive)
    "base_model": BASE_MODEL,
    "output": "outputs/embedder",
    "epochs": 1,
    "batch_size": 16,
    "learning_rate": 2e-5,
    "warmup_ratio": 0.1,
    "max_length": 128,
    "train_split": 0.9,  # share of rows trained on; the rest is held out and scored before and after
    "resume": False,
    "overwrite": False,  # train again into an output folder that holds an earlier run
    "evaluate_only": False,  # score OUTPUT/model (else the base model) on the held-out part, no training
    "seed": 42,
    "report_to": "none",  # "tensorboard": event files in OUTPUT/runs beside the JSONL log
}

TYPES = {
    "epochs": float,
    "batch_size": int,
    "learning_rate": float,
    "warmup_ratio": float,
    "max_length": int,
    "train_split": float,
    "seed": int,
}

PROGRESS_FILE = "training_progress.json"
LOG_TEXT_FILE = "train.log"


def add_parser(sub) -> None:
    """Register the command; every option defaults to None so that a --config file can fill it and flags win."""
    te = sub.add_parser(
        NAME,
        help="fine-tune a sentence-transformers model on pairs and score it on a held-out part",
        description="Pairs: question/answer or anchor/positive[/negative] (retrieval evaluation), sentence1/sentence2/score in [0, 1] "
        f"(similarity evaluation) or sentence1/sentence2/label 0/1 (binary evaluation). Writes checkpoints, OUTPUT/model, "
        f"{LOG_FILE}, {PROGRESS_FILE}, training_info.json and {LOG_TEXT_FILE}. Runs unchanged under torchrun.",
    )
    te.add_argument("--config", help=CONFIG_HELP)
    te.add_argument("--data", help="a .jsonl/.csv/... file of pairs (or a dataset name such as covid-faq)")
    te.add_argument("--data-dir", help="folder holding the dataset folders, for dataset names")
    te.add_argument(
        "--loss",
        help="a loss of the registry (ftcourse.embedder.losses), e.g. mnrl, cosent, online_contrastive (default: fits the data)",
    )
    te.add_argument("--base-model", help="Hub id or local folder (default: sentence-transformers/all-MiniLM-L6-v2)")
    te.add_argument("--epochs", type=float, help="default: 1")
    te.add_argument("--batch-size", type=int, help="default: 16 (with mnrl: the number of in-batch negatives + 1)")
    te.add_argument("--learning-rate", type=float, help="default: 2e-5")
    te.add_argument("--warmup-ratio", type=float, help="share of steps with a rising learning rate (default: 0.1)")
    te.add_argument("--max-length", "--max-seq-length", dest="max_length", type=int, help="tokens kept per text (default: 128)")
    te.add_argument("--train-split", type=float, help="share of rows trained on; the rest is held out (default: 0.9)")
    te.add_argument("--output", "--output-dir", dest="output", help="default: outputs/embedder")
    te.add_argument("--resume", action="store_true", default=None, help="continue from the last complete checkpoint in OUTPUT")
    te.add_argument(
        "--overwrite", action="store_true", default=None, help="train again into an OUTPUT folder that holds an earlier run"
    )
    te.add_argument(
        "--evaluate-only",
        "--test-only",
        dest="evaluate_only",
        action="store_true",
        default=None,
        help="do not train: score OUTPUT/model (else the base model) on the held-out part",
    )
    add_report_to(te)
    te.add_argument("--seed", type=int, help="default: 42")
    te.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """The command's handler."""
    execute(resolve(DEFAULTS, TYPES, vars(args), args.config))
    return 0


def attach_log_file(path: Path) -> logging.Handler:
    """Send our messages and the libraries' warnings to the run's text log (the console keeps tqdm)."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    for name in ("ftcourse", "transformers", "sentence_transformers"):
        logging.getLogger(name).addHandler(handler)
    logging.getLogger("ftcourse").setLevel(logging.INFO)
    return handler


def detach_log_file(handler: logging.Handler) -> None:
    """Undo :func:`attach_log_file`."""
    for name in ("ftcourse", "transformers", "sentence_transformers"):
        logging.getLogger(name).removeHandler(handler)
    handler.close()


def write_progress(out: Path, **fields) -> None:
    """Update ``training_progress.json`` in ``out`` with ``fields`` (atomically: never half-written)."""
    path = out / PROGRESS_FILE
    write_json(path, {**read_json(path), **fields})


def execute(options: dict) -> dict:
    """Run ``ftcourse train-embedder`` with resolved ``options`` (see :data:`DEFAULTS`).

    Splits the pairs into a trained part and a held-out part (``train_split``; rows sharing an
    anchor stay on one side), keeps 10 % of the trained part as validation for choosing the best
    checkpoint, trains with :func:`ftcourse.embedder.trainer.train_embedder`, and scores the held-out
    part with the evaluator that fits the data before and after. Under ``torchrun`` every process
    trains; only rank 0 writes files and reports.

    Writes to ``output``: ``checkpoint-*`` while training, ``model/`` (the final model),
    ``training_log.jsonl`` (loss, learning rate and validation metrics per log step),
    ``training_info.json``, ``training_progress.json`` (completed, duration, sizes, final model
    path, held-out metrics) and ``train.log``.

    Returns:
        ``{"before": metrics, "after": metrics, "output_dir": ..., ...}`` (held-out metrics).
    """
    # The training stack loads only when a command needs it (see ftcourse.cli.train_classifier).
    from ftcourse.embedder.evaluators import make_evaluator
    from ftcourse.embedder.losses import REGISTRY as LOSSES
    from ftcourse.embedder.losses import check_columns
    from ftcourse.embedder.search import check_model_exists

    _check_options(options, LOSSES)
    out = Path(options["output"])
    saved = out / "model"
    model_name = str(saved) if options["evaluate_only"] and (saved / "modules.json").is_file() else options["base_model"]
    check_model_exists(model_name)
    options["model_name"] = model_name
    resolve_model(model_name)  # fail before any data work when the model cannot be had
    if not options["evaluate_only"] and is_main_process():
        check_output(out, overwrite=options["overwrite"], resume=options["resume"], flag="--output-dir")
    df, meta = load_table(options["data"], options["data_dir"])
    pairs, kind, default_loss = pair_format(df, meta["name"])
    loss = options["loss"] or default_loss
    check_columns(pairs, loss)
    train, val, held_out = _split_pairs(pairs, options)
    documents = pairs["positive"].tolist() if kind == "retrieval" else []
    test_eval = make_evaluator(held_out, kind, "held-out", documents, options["batch_size"]) if held_out is not None else None
    handler = None
    ours = is_main_process() and not options["evaluate_only"]
    with output_run(out, NAME, "--output-dir", data=meta["name"]) if ours else nullcontext():
        if is_main_process():
            out.mkdir(parents=True, exist_ok=True)
            handler = attach_log_file(out / LOG_TEXT_FILE)
        return _run_or_evaluate(options, (train, val, held_out), kind, documents, test_eval, loss, meta["name"], handler)


def _run_or_evaluate(options: dict, parts: tuple, kind: str, documents: list, test_eval, loss: str, name: str, handler) -> dict:
    from ftcourse.embedder.evaluators import make_evaluator

    train, val, held_out = parts
    out = Path(options["output"])
    try:
        sizes = {
            "train_size": len(train),
            "validation_size": len(val) if val is not None else 0,
            "test_size": len(held_out) if held_out is not None else 0,
        }
        say(
            f"{name}: {kind} pairs; {sizes['train_size']} train / {sizes['validation_size']} validation / {sizes['test_size']} held-out rows; loss {loss}"
        )
        if options["evaluate_only"]:
            return _evaluate_only(options, options["model_name"], test_eval, out)
        val_eval = make_evaluator(val, kind, "validation", documents, options["batch_size"]) if val is not None else None
        return _train(options, train, loss, val_eval, test_eval, sizes, name)
    finally:
        if handler is not None:
            detach_log_file(handler)


def _check_options(options: dict, losses) -> None:
    required(options, "data", "--data pairs.jsonl")
    share(options, "train_split", upper_inclusive=True)
    if not 0 <= options["warmup_ratio"] < 1:
        raise UsageError(f"option 'warmup_ratio' must be in [0, 1), got {options['warmup_ratio']}. Fix: e.g. --warmup-ratio 0.1.")
    positive(options, "epochs", "batch_size", "learning_rate", "max_length")
    report_to(options)
    if options["loss"] and options["loss"] not in losses:
        raise UsageError(f"--loss {options['loss']!r} is not in the registry. Fix: choose one of {sorted(losses)}.")


def _split_pairs(pairs: pd.DataFrame, options: dict):
    # Grouped by anchor: the same question must not be trained on and then tested.
    seed = options["seed"]
    if options["train_split"] < 1:
        anchor = pairs.columns[0]
        if pairs[anchor].nunique() < 2:
            raise UsageError(
                f"every pair has the same question (column {anchor!r}: {str(pairs[anchor].iloc[0])[:60]!r}); a held-out part needs "
                "at least 2 different questions (pairs sharing one stay on one side). "
                "Fix: --train-split 1 (no held-out part), or add pairs of other questions."
            )
        train, held_out = split(pairs, test_size=1 - options["train_split"], seed=seed, groups=pairs.iloc[:, 0].to_numpy())
    else:
        train, held_out = pairs, None
    val = None
    if len(train) >= 20 and not options["evaluate_only"]:
        train, val = split(train, test_size=0.1, seed=seed, groups=train.iloc[:, 0].to_numpy())
    return train, val, held_out


def _evaluate_only(options: dict, model_name: str, test_eval, out: Path) -> dict:
    from ftcourse.models import load_sentence_transformer

    if test_eval is None:
        raise UsageError("--evaluate-only needs a held-out part. Fix: --train-split below 1, e.g. 0.9.")
    model = load_sentence_transformer(model_name, max_seq_length=options["max_length"])
    metrics = short_names(test_eval(model), "held-out")
    print_table(f"held-out metrics of {model_name}", pd.DataFrame({"value": metrics}), digits=4)
    return {"after": metrics, "model": model_name, "output_dir": str(out)}


def _train(options: dict, train: pd.DataFrame, loss: str, val_eval, test_eval, sizes: dict, data_name: str) -> dict:
    from ftcourse.embedder.trainer import train_embedder
    from ftcourse.models import load_sentence_transformer

    out = Path(options["output"])
    saved = out / "model"
    started = time.perf_counter()
    if is_main_process():
        write_progress(
            out,
            completed=False,
            started=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            finished=None,
            base_model=options["base_model"],
            loss=loss,
            data=data_name,
            **sizes,
            final_model=None,
            resume_requested=options["resume"],
        )
    model, _ = train_embedder(
        options["base_model"],
        train,
        loss,
        evaluator=val_eval,
        output_dir=out,
        epochs=options["epochs"],
        batch_size=options["batch_size"],
        learning_rate=options["learning_rate"],
        warmup_ratio=options["warmup_ratio"],
        max_seq_length=options["max_length"],
        seed=options["seed"],
        resume=options["resume"],
        report_to=options["report_to"],
        show_progress=False,
    )
    if not is_main_process():
        return {"output_dir": str(out)}
    seconds = time.perf_counter() - started
    report: dict = {"output_dir": str(out), "final_model": str(saved), "loss": loss, **sizes}
    if test_eval is not None:
        base = load_sentence_transformer(options["base_model"], max_seq_length=options["max_length"])
        report["before"] = short_names(test_eval(base), "held-out")
        report["after"] = short_names(test_eval(model), "held-out")
        print_table(
            f"held-out ({sizes['test_size']} rows): base vs fine-tuned",
            side_by_side({"base": report["before"], "fine-tuned": report["after"]}),
            digits=4,
        )
    if (out / "eval").is_dir() and not any((out / "eval").iterdir()):
        (out / "eval").rmdir()  # the trainer makes it for evaluator CSVs, which we do not write
    write_progress(
        out,
        completed=True,
        finished=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        duration_seconds=round(seconds, 1),
        final_model=str(saved),
        held_out_before=report.get("before"),
        held_out_after=report.get("after"),
    )
    say(f"done in {seconds:.0f} s; model saved to {saved} (log: {out / LOG_TEXT_FILE}, metrics: {out / LOG_FILE})")
    return report
