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

    run_predict(args.model_dir, args.texts, file=args.file, text_column=args.text_column, batch_size=args.batch_size, output=args.output)
    return 0


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
    tc.add_argument("--seed", type=int, help="default: 42")
    tc.set_defaults(func=_cmd_train_classifier)

    pr = sub.add_parser("predict", help="classify texts with a model saved by train-classifier")
    pr.add_argument("model_dir", help="folder written by train-classifier (--output)")
    pr.add_argument("texts", nargs="*", help="texts to classify (quote each one)")
    pr.add_argument("--file", help="a .txt file (one text per line) or a table with a text column")
    pr.add_argument("--text-column", default="text", help="text column of --file when it is a table")
    pr.add_argument("--batch-size", type=int, default=32)
    pr.add_argument("--output", help="write the predictions to this CSV instead of printing them")
    pr.set_defaults(func=_cmd_predict)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``ftcourse`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except FtcourseError as exc:
        print(f"ftcourse {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
