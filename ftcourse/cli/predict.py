"""``ftcourse predict``: classify texts given inline or in a file with a saved classifier."""

from __future__ import annotations

import argparse
import time

import pandas as pd

from ftcourse.cli.options import CONFIG_HELP, positive, required, resolve
from ftcourse.cli.report import say
from ftcourse.errors import UsageError
from ftcourse.files import check_output, check_texts, read_texts, write_json

NAME = "predict"
PROGRESS_FROM = 256  # texts: from here on a progress bar shows the batches

DEFAULTS: dict = {
    "model_dir": None,
    "texts": None,
    "file": None,  # a .txt file (one text per line) or a table with a text column
    "text_column": "text",
    "batch_size": 32,
    "output": None,  # a CSV file; default: print the table
    "report": None,  # a JSON file with the run's rows, seconds and texts/s, for scripts that size a batch job
    "overwrite": False,
}

TYPES = {"texts": None, "batch_size": int}


def add_parser(sub) -> None:
    """Register the command."""
    pr = sub.add_parser(NAME, help="classify texts with a model saved by train-classifier")
    pr.add_argument("model_dir", help="folder written by train-classifier (--output)")
    pr.add_argument("texts", nargs="*", help="texts to classify (quote each one)")
    pr.add_argument("--config", help=CONFIG_HELP)
    pr.add_argument("--file", help="a .txt file (one text per line) or a table with a text column")
    pr.add_argument("--text-column", help="text column of --file when it is a table (default: text)")
    pr.add_argument("--batch-size", type=int, help="default: 32")
    pr.add_argument("--output", help="write the predictions to this CSV instead of printing them")
    pr.add_argument("--report", help="also write rows, seconds, texts/s, batch size and device to this JSON file")
    pr.add_argument("--overwrite", action="store_true", default=None, help="replace an existing --output (or --report) file")
    pr.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """The command's handler."""
    cli = {k: v for k, v in vars(args).items() if v != []}  # no texts typed must not hide the config file's list
    execute(resolve(DEFAULTS, TYPES, cli, args.config))
    return 0


def execute(options: dict) -> pd.DataFrame:
    """Classify the texts given inline and/or in ``options["file"]``; print the table or write it to ``output``."""
    # The model stack loads only when a command needs it (see ftcourse.cli.train_classifier).
    from ftcourse.classifier.predict import load_classifier, predict

    required(options, "model_dir", "MODEL_DIR")
    positive(options, "batch_size")
    texts = check_texts(options["texts"] or [], "the texts on the command line", "TEXTS") if options["texts"] else []
    if options["file"]:
        texts += read_texts(options["file"], options["text_column"])
    if not texts:
        raise UsageError('no texts to classify. Fix: ftcourse predict MODEL_DIR "some text" ..., or --file texts.txt.')
    for flag in ("output", "report"):
        if options[flag]:
            check_output(options[flag], kind="file", overwrite=options["overwrite"], flag=f"--{flag}")
    classifier = load_classifier(options["model_dir"])
    # A long file shows its progress (stderr, so a printed table stays clean).
    started = time.perf_counter()
    table = predict(classifier, texts, batch_size=options["batch_size"], progress=len(texts) > PROGRESS_FROM)
    seconds = time.perf_counter() - started
    if options["report"]:
        write_json(options["report"], throughput_report(options, len(table), seconds, classifier.device))
    if options["output"]:
        table.to_csv(options["output"], index=False)
        # The throughput of a batch job, model loading excluded: what sizing a nightly run needs.
        say(
            f"{len(table)} prediction(s) written to {options['output']} in {seconds:.1f} s "
            f"({len(table) / max(seconds, 1e-9):.0f} texts/s at batch size {options['batch_size']}, on {classifier.device})"
        )
    else:
        shown = table.assign(text=table["text"].str.slice(0, 60))
        with pd.option_context("display.width", 200, "display.max_columns", 30, "display.float_format", "{:.3f}".format):
            print(shown.drop(columns=[c for c in shown.columns if c.startswith("flag_")]).to_string(index=False))
    return table


def throughput_report(options: dict, rows: int, seconds: float, device: str) -> dict:
    """What ``--report`` writes: the batch job's size, time and rate (model loading excluded), and where it ran."""
    return {
        "model_dir": str(options["model_dir"]),
        "rows": rows,
        "seconds": seconds,
        "texts_per_second": rows / max(seconds, 1e-9),
        "batch_size": options["batch_size"],
        "device": str(device),
        "output": options["output"],
    }
