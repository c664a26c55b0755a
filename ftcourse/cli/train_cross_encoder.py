"""``ftcourse train-cross-encoder``: fine-tune a reranker on (query, document) pairs, mining negatives where the data has none."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from ftcourse.cli.options import CONFIG_HELP, positive, required, resolve
from ftcourse.cli.report import say
from ftcourse.data import load_table
from ftcourse.errors import DataError, UsageError
from ftcourse.files import check_output, output_run
from ftcourse.models import BASE_MODEL, resolve_model

NAME = "train-cross-encoder"

DEFAULTS: dict = {
    "data": None,  # query/document[/label], question/answer, anchor/positive[/negative], sentence1/sentence2/label|score
    "data_dir": None,
    "loss": "bce",  # bce: labelled pairs (negatives mined for positive-only data); mnrl: the batch's other documents
    "base_model": BASE_MODEL,  # any checkpoint: a bi-encoder's weights get a new scoring head
    "negatives_from": BASE_MODEL,  # the bi-encoder that mines hard negatives for positive-only pairs
    "num_negatives": 3,
    "relative_margin": 0.05,  # a mined negative must score this share below the query's own document
    "output": "outputs/cross-encoder",
    "epochs": 1,
    "batch_size": 16,
    "learning_rate": 5e-5,
    "warmup_ratio": 0.1,
    "max_length": 256,
    "overwrite": False,
    "seed": 42,
}

TYPES = {
    "epochs": float,
    "batch_size": int,
    "learning_rate": float,
    "warmup_ratio": float,
    "max_length": int,
    "num_negatives": int,
    "relative_margin": float,
    "seed": int,
}


def add_parser(sub) -> None:
    """Register the command; every option defaults to None so that a --config file can fill it and flags win."""
    tc = sub.add_parser(
        NAME,
        help="fine-tune a cross-encoder (reranker) on (query, document) pairs",
        description="Pairs: query/document/label (1 relevant, 0 not; scores in [0, 1] allowed), question/answer or "
        "anchor/positive[/negative] (with --loss bce the negatives are mined with --negatives-from), or "
        "sentence1/sentence2/label|score. Writes OUTPUT/model, training_log.jsonl and training_info.json; "
        "use the model with `ftcourse search EMBEDDER --corpus FILE --rerank OUTPUT`.",
    )
    tc.add_argument("--config", help=CONFIG_HELP)
    tc.add_argument("--data", help="a .jsonl/.csv/... file of pairs (or a dataset name such as covid-faq)")
    tc.add_argument("--data-dir", help="folder holding the dataset folders, for dataset names")
    tc.add_argument(
        "--loss", choices=("bce", "mnrl"), help="bce (BinaryCrossEntropyLoss, default) or mnrl (MultipleNegativesRankingLoss)"
    )
    tc.add_argument("--base-model", help="checkpoint to start from (default: sentence-transformers/all-MiniLM-L6-v2, new head)")
    tc.add_argument(
        "--negatives-from", help="bi-encoder that mines hard negatives for positive-only pairs (default: the base model)"
    )
    tc.add_argument("--num-negatives", type=int, help="hard negatives mined per query (default: 3)")
    tc.add_argument(
        "--relative-margin", type=float, help="a mined negative scores at least this share below the positive (default: 0.05)"
    )
    tc.add_argument("--epochs", type=float, help="default: 1")
    tc.add_argument("--batch-size", type=int, help="pairs per step (default: 16)")
    tc.add_argument("--learning-rate", type=float, help="default: 5e-5")
    tc.add_argument("--warmup-ratio", type=float, help="share of steps with a rising learning rate (default: 0.1)")
    tc.add_argument(
        "--max-length", "--max-seq-length", dest="max_length", type=int, help="tokens of query + document (default: 256)"
    )
    tc.add_argument("--output", "--output-dir", dest="output", help="default: outputs/cross-encoder")
    tc.add_argument(
        "--overwrite", action="store_true", default=None, help="train again into an OUTPUT folder that holds an earlier run"
    )
    tc.add_argument("--seed", type=int, help="default: 42")
    tc.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """The command's handler."""
    execute(resolve(DEFAULTS, TYPES, vars(args), args.config))
    return 0


def execute(options: dict) -> dict:
    """Run ``ftcourse train-cross-encoder`` with resolved ``options`` (see :data:`DEFAULTS`).

    Checks the options, the output folder and the table before loading any model; mines hard negatives with
    ``negatives_from`` for positive-only pairs under ``bce``; trains with
    :func:`ftcourse.cross_encoder.trainer.train_cross_encoder` and saves ``OUTPUT/model``.

    Returns:
        ``{"output_dir", "model", "train_rows", "positives", "steps", "seconds"}``.
    """
    # The training stack loads only when a command needs it (see ftcourse.cli.train_classifier).
    from ftcourse.cross_encoder.trainer import MODEL_DIR, mine_reranker_pairs, reranker_table, train_cross_encoder
    from ftcourse.embedder.search import check_model_exists

    required(options, "data", "--data pairs.jsonl")
    positive(options, "epochs", "batch_size", "learning_rate", "max_length", "num_negatives")
    if not 0 <= options["relative_margin"] < 1:
        raise UsageError(
            f"option 'relative_margin' must be in [0, 1), got {options['relative_margin']}. Fix: e.g. --relative-margin 0.05."
        )
    if not 0 <= options["warmup_ratio"] < 1:
        raise UsageError(f"option 'warmup_ratio' must be in [0, 1), got {options['warmup_ratio']}. Fix: e.g. --warmup-ratio 0.1.")
    if options["loss"] not in ("bce", "mnrl"):
        raise UsageError(f"--loss {options['loss']!r} is not a cross-encoder loss. Fix: --loss bce or --loss mnrl.")
    for key in ("base_model", "negatives_from"):
        check_model_exists(options[key])
        resolve_model(options[key])  # fail before any data work when a model cannot be had
    out = Path(options["output"])
    check_output(out, overwrite=options["overwrite"], flag="--output-dir")
    df, meta = load_table(options["data"], options["data_dir"])
    table, needs_mining = reranker_table(df, meta["name"], options["loss"])
    with output_run(out, NAME, "--output-dir", data=meta["name"]):
        if needs_mining:
            from ftcourse.models import load_sentence_transformer

            bi_encoder = load_sentence_transformer(options["negatives_from"], max_seq_length=options["max_length"])
            table = mine_reranker_pairs(
                table, bi_encoder, num_negatives=options["num_negatives"], relative_margin=options["relative_margin"]
            )
            if not (table["label"] == 0).any():
                raise DataError(
                    f"{meta['name']}: mining with {options['negatives_from']} found no negative within the margin for any query. "
                    "Fix: a lower --relative-margin (e.g. 0), another --negatives-from, or --loss mnrl (in-batch negatives)."
                )
            say(f"mined {int((table['label'] == 0).sum())} hard negatives with {options['negatives_from']}")
        say(f"{meta['name']}: {len(table)} pairs; loss {options['loss']}")
        start = time.perf_counter()
        _, history = train_cross_encoder(
            options["base_model"],
            table,
            options["loss"],
            output_dir=out,
            epochs=options["epochs"],
            batch_size=options["batch_size"],
            learning_rate=options["learning_rate"],
            warmup_ratio=options["warmup_ratio"],
            max_length=options["max_length"],
            seed=options["seed"],
            show_progress=False,
        )
        seconds = time.perf_counter() - start
    say(f"done in {seconds:.0f} s; reranker saved to {out / MODEL_DIR}")
    return {
        "output_dir": str(out),
        "model": str(out / MODEL_DIR),
        "train_rows": len(table),
        "positives": int((table["label"] >= 0.5).sum()) if "label" in table else len(table),
        "steps": int(history["step"].max()) if len(history) else 0,
        "seconds": round(seconds, 1),
    }
