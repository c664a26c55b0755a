"""The ``ftcourse`` command line.

Each subcommand is a ``_cmd_<name>(args)`` function registered in :func:`build_parser`. Errors the
course raises on purpose (:class:`~ftcourse.errors.FtcourseError`) print one line and exit 2.
"""

from __future__ import annotations

import argparse
import sys

from ftcourse.errors import FtcourseError


def _cmd_run(args: argparse.Namespace) -> int:
    from ftcourse.course import run_course

    runs = run_course(args.notebooks or None, profile=args.profile, build_dir=args.build_dir, seed=args.seed)
    total = sum(r.seconds for r in runs)
    print(f"[ftcourse] {len(runs)} notebook(s) in {total:.0f} s; open {args.build_dir}/html/index.html")
    return 0


def _cmd_data(args: argparse.Namespace) -> int:
    import pandas as pd

    from ftcourse.data import summary

    table = summary(args.data_dir)
    with pd.option_context("display.max_rows", None, "display.max_colwidth", 90, "display.width", 250):
        print(table.to_string(index=False))
    return 1 if table["found in"].str.startswith("NOT FOUND").any() else 0


def _cmd_env(args: argparse.Namespace) -> int:
    from ftcourse.environment import environment_report

    for key, value in environment_report().items():
        print(f"{key:>24}: {value}")
    return 0


def _cmd_exercises(args: argparse.Namespace) -> int:
    from ftcourse.course import generate_exercises

    for path in generate_exercises(args.solutions, args.exercises):
        print(f"[ftcourse] wrote {path}")
    return 0


def _cmd_train_classifier(args: argparse.Namespace) -> int:
    from ftcourse.workflow import load_config, merge_options, run_train_classifier

    config = load_config(args.config) if args.config else {}
    run_train_classifier(merge_options(vars(args), config))
    return 0


def _cmd_predict(args: argparse.Namespace) -> int:
    from ftcourse.workflow import run_predict

    run_predict(args.model_dir, args.texts, file=args.file, text_column=args.text_column, batch_size=args.batch_size, output=args.output, overwrite=args.overwrite)
    return 0


def _pipeline(runner: str, defaults: str, numbers: dict):
    # One handler per pipeline command: defaults, then --config, then flags (ftcourse.pipeline.options_for).
    def handler(args: argparse.Namespace) -> int:
        from ftcourse import pipeline

        # An empty positional list (no queries typed) must not hide the config file's list.
        cli = {k: v for k, v in vars(args).items() if k not in ("func", "command", "config") and v != []}
        options = pipeline.options_for(getattr(pipeline, defaults), cli, args.config, numbers)
        getattr(pipeline, runner)(options)
        return 0

    return handler


_cmd_prepare_data = _pipeline("run_prepare_data", "PREPARE_DEFAULTS", {"near_threshold": float, "reduce_majority_to": float, "test_size": float, "seed": int})
_cmd_train_embedder = _pipeline(
    "run_train_embedder", "EMBEDDER_DEFAULTS",
    {"epochs": float, "batch_size": int, "learning_rate": float, "warmup_ratio": float, "max_seq_length": int, "train_split": float, "seed": int},
)
_cmd_evaluate = _pipeline("run_evaluate", "EVALUATE_DEFAULTS", {"top_k": int, "batch_size": int})
_cmd_search = _pipeline("run_search", "SEARCH_DEFAULTS", {"top_k": int, "batch_size": int})

_CONFIG_HELP = "JSON or YAML file whose keys are this command's flag names (e.g. test-size: 0.2); flags override it"


def _add_pipeline_commands(sub) -> None:
    # Every option defaults to None (store_true: None) so that a --config file can fill it and flags win.
    pd_ = sub.add_parser(
        "prepare-data",
        help="clean a labelled table (normalise, drop exact and near duplicates) and write train/test JSONL",
        description="Reads CSV/TSV/JSONL/JSON/Parquet, removes rows without text or label, filtered labels and duplicates, "
        "splits stratified by label, optionally reduces the majority class of the train split, writes "
        "<output>_train.jsonl and <output>_test.jsonl (columns text, label) and prints what was removed and why.",
    )
    pd_.add_argument("--config", help=_CONFIG_HELP)
    pd_.add_argument("--input", help="the table to clean (or a dataset name such as davidson)")
    pd_.add_argument("--data-dir", help="folder holding the dataset folders, for dataset names")
    pd_.add_argument("--text-column", help="column holding the text (default: text)")
    pd_.add_argument("--label-column", help="column holding the class label (default: label)")
    pd_.add_argument("--output", help="prefix of the output files, e.g. data/clean -> data/clean_train.jsonl, data/clean_test.jsonl")
    pd_.add_argument("--no-normalize", action="store_true", default=None, help="keep texts as they are (default: normalise links, @mentions, HTML entities, spaces)")
    pd_.add_argument("--near-threshold", type=float, help="TF-IDF cosine from which two texts are near-duplicates (default: 0.9; 1 = exact only)")
    pd_.add_argument("--labels-to-filter", help="comma-separated labels whose rows are removed")
    pd_.add_argument("--reduce-majority-to", type=float, metavar="FRACTION", help="keep this share of the largest class, in the train split only")
    pd_.add_argument("--test-size", type=float, help="share of rows in the test split (default: 0.2)")
    pd_.add_argument("--overwrite", action="store_true", default=None, help="replace the output files of an earlier run")
    pd_.add_argument("--seed", type=int, help="default: 42")
    pd_.add_argument("--push-to-hub", metavar="REPO", help="also upload both splits as a Hub dataset (online; token from HF_TOKEN only)")
    pd_.set_defaults(func=_cmd_prepare_data)

    te = sub.add_parser(
        "train-embedder",
        help="fine-tune a sentence-transformers model on pairs and score it on a held-out part",
        description="Pairs: question/answer or anchor/positive[/negative] (retrieval evaluation), sentence1/sentence2/score in [0, 1] "
        "(similarity evaluation) or sentence1/sentence2/label 0/1 (binary evaluation). Writes checkpoints, OUTPUT_DIR/model, "
        "training_metrics.jsonl, training_progress.json, training_info.json and train.log. Runs unchanged under torchrun.",
    )
    te.add_argument("--config", help=_CONFIG_HELP)
    te.add_argument("--data", help="a .jsonl/.csv/... file of pairs (or a dataset name such as covid-faq)")
    te.add_argument("--data-dir", help="folder holding the dataset folders, for dataset names")
    te.add_argument("--loss", help="a loss of the registry (ftcourse.losses), e.g. mnrl, cosent, online_contrastive (default: fits the data)")
    te.add_argument("--base-model", help="Hub id or local folder (default: sentence-transformers/all-MiniLM-L6-v2)")
    te.add_argument("--epochs", type=float, help="default: 1")
    te.add_argument("--batch-size", type=int, help="default: 16 (with mnrl: the number of in-batch negatives + 1)")
    te.add_argument("--learning-rate", type=float, help="default: 2e-5")
    te.add_argument("--warmup-ratio", type=float, help="share of steps with a rising learning rate (default: 0.1)")
    te.add_argument("--max-seq-length", type=int, help="tokens kept per text (default: 128)")
    te.add_argument("--train-split", type=float, help="share of rows trained on; the rest is held out (default: 0.9)")
    te.add_argument("--output-dir", help="default: outputs/embedder")
    te.add_argument("--resume", action="store_true", default=None, help="continue from the last complete checkpoint in OUTPUT_DIR")
    te.add_argument("--overwrite", action="store_true", default=None, help="train again into an OUTPUT_DIR that holds an earlier run")
    te.add_argument("--test-only", action="store_true", default=None, help="do not train: score OUTPUT_DIR/model (else the base model) on the held-out part")
    te.add_argument("--seed", type=int, help="default: 42")
    te.set_defaults(func=_cmd_train_embedder)

    ev = sub.add_parser(
        "evaluate",
        help="score a saved classifier or embedding model on a labelled file",
        description="Classifier folder (from train-classifier): top-1/2/3 accuracy, macro-F1, per-label ROC-AUC, and with --output one "
        "JSON line per example with its top-k labels and scores. Embedding model: the evaluator that fits the pairs.",
    )
    ev.add_argument("model_dir", nargs="?", help="a train-classifier --output or train-embedder --output-dir folder")
    ev.add_argument("--config", help=_CONFIG_HELP)
    ev.add_argument("--data", help="labelled file: text + label column(s) for a classifier, pairs for an embedder")
    ev.add_argument("--data-dir", help="folder holding the dataset folders, for dataset names")
    ev.add_argument("--text-column", help="classifier: text column (default: as in training)")
    ev.add_argument("--label-columns", help="classifier: label column(s) (default: as in training)")
    ev.add_argument("--output", help="classifier: per-example predictions (.jsonl); embedder: metrics (.json)")
    ev.add_argument("--compare", metavar="BASE_MODEL", help="also score this model (embedder: the base model; classifier: another saved classifier)")
    ev.add_argument("--overwrite", action="store_true", default=None, help="replace an existing --output file")
    ev.add_argument("--top-k", type=int, help="labels kept per example (default: 3)")
    ev.add_argument("--batch-size", type=int, help="default: 32")
    ev.set_defaults(func=_cmd_evaluate)

    se = sub.add_parser(
        "search",
        help="semantic search: the corpus texts closest to each query",
        description="Corpus embeddings are cached next to the corpus (<corpus>.<model>.embeddings.npz) and reused while "
        "neither the corpus file nor the model changed.",
    )
    se.add_argument("model_dir", nargs="?", help="a train-embedder --output-dir, a model folder or a Hub id")
    se.add_argument("queries", nargs="*", help="queries (quote each one)")
    se.add_argument("--config", help=_CONFIG_HELP)
    se.add_argument("--corpus", help="a .txt file (one text per line) or a table with a text column")
    se.add_argument("--text-column", help="text column of a table corpus (default: text)")
    se.add_argument("--top-k", type=int, help="results per query (default: 5)")
    se.add_argument("--batch-size", type=int, help="default: 32")
    se.set_defaults(func=_cmd_search)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every ``ftcourse`` subcommand."""
    parser = argparse.ArgumentParser(prog="ftcourse", description="Fine-tuning course: run lessons, inspect data and environment.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="execute notebooks with papermill and render HTML")
    run.add_argument("notebooks", nargs="*", help="notebooks to run (default: every lesson in notebooks/)")
    run.add_argument("--profile", choices=["fast", "full"], default="fast")
    run.add_argument("--build-dir", default="build")
    run.add_argument("--seed", type=int, default=42)
    run.set_defaults(func=_cmd_run)

    data = sub.add_parser("data", help="table of every dataset: where found, rows per split, label counts")
    data.add_argument("--data-dir", default=None, help="folder holding the dataset folders (default: FTCOURSE_DATA_DIR, then cache)")
    data.set_defaults(func=_cmd_data)

    env = sub.add_parser("env", help="versions, device, model path and data directory")
    env.set_defaults(func=_cmd_env)

    exercises = sub.add_parser("exercises", help="regenerate exercises/ from solutions/ (answers replaced by stubs)")
    exercises.add_argument("--solutions", default="solutions")
    exercises.add_argument("--exercises", default="exercises")
    exercises.set_defaults(func=_cmd_exercises)

    # train-classifier: every option defaults to None so that a --config file can fill it and flags win.
    tc = sub.add_parser(
        "train-classifier",
        help="fine-tune a text classifier (single- or multi-label), evaluate it on a held-out test split",
        description="Options come from ftcourse.workflow.TRAIN_DEFAULTS, then --config, then flags. "
        "Hub models need no token for public ids; for private ones set HF_TOKEN in the environment.",
    )
    tc.add_argument("--config", help="JSON or YAML file whose keys are these flags' names (e.g. batch-size: 32)")
    tc.add_argument("--data", help="a dataset name (e.g. jigsaw-sample, davidson) or a .csv/.tsv/.jsonl/.json/.parquet file")
    tc.add_argument("--data-dir", help="folder holding the dataset folders (default: FTCOURSE_DATA_DIR, then cache)")
    tc.add_argument("--text-column", help="column holding the text (default: text)")
    tc.add_argument("--label-columns", help="comma-separated 0/1 columns (multi-label) or one class column (default: the dataset's)")
    tc.add_argument("--base-model", help="Hub id or local folder (default: sentence-transformers/all-MiniLM-L6-v2)")
    tc.add_argument("--output", help="folder for the model and its artefacts (default: outputs/classifier)")
    tc.add_argument("--epochs", type=float, help="maximum epochs; early stopping may stop sooner (default: 3)")
    tc.add_argument("--batch-size", type=int, help="default: 16")
    tc.add_argument("--learning-rate", type=float, help="AdamW learning rate (default: 2e-5)")
    tc.add_argument("--max-length", type=int, help="tokens kept per text (default: 128)")
    tc.add_argument("--test-size", type=float, help="share of rows held out for the test split (default: 0.15)")
    tc.add_argument("--val-size", type=float, help="share of rows for validation: early stopping, thresholds (default: 0.15)")
    tc.add_argument("--max-rows", type=int, help="use a random sample of this many rows (quick tries)")
    tc.add_argument("--balance-classes", action="store_true", default=None, help="inverse-frequency class weights in the loss")
    tc.add_argument("--no-preprocessing", action="store_true", default=None, help="do not normalise links, HTML entities and spaces")
    tc.add_argument("--evaluate-only", metavar="MODEL_DIR", help="do not train: evaluate a saved model on the test split")
    tc.add_argument("--compare", action="store_true", default=None, help="also score the base model (frozen embeddings + logistic regression)")
    tc.add_argument("--resume", action="store_true", default=None, help="continue from the last checkpoint in OUTPUT/checkpoints")
    tc.add_argument("--overwrite", action="store_true", default=None, help="train again into an OUTPUT folder that holds an earlier run")
    tc.add_argument("--seed", type=int, help="default: 42")
    tc.set_defaults(func=_cmd_train_classifier)

    pr = sub.add_parser("predict", help="classify texts with a model saved by train-classifier")
    pr.add_argument("model_dir", help="folder written by train-classifier (--output)")
    pr.add_argument("texts", nargs="*", help="texts to classify (quote each one)")
    pr.add_argument("--file", help="a .txt file (one text per line) or a table with a text column")
    pr.add_argument("--text-column", default="text", help="text column of --file when it is a table")
    pr.add_argument("--batch-size", type=int, default=32)
    pr.add_argument("--output", help="write the predictions to this CSV instead of printing them")
    pr.add_argument("--overwrite", action="store_true", help="replace an existing --output file")
    pr.set_defaults(func=_cmd_predict)

    _add_pipeline_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``ftcourse`` console script."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command == "search" and not any(e.startswith("-") for e in extra):
        # argparse fills positionals before options only: `search MODEL --corpus F "q1" "q2"` leaves the queries over.
        args.queries = [*(args.queries or []), *extra]
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return args.func(args)
    except FtcourseError as exc:
        print(f"ftcourse {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
