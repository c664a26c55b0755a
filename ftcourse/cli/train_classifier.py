"""``ftcourse train-classifier``: read a table, split it train/validation/test, fine-tune, evaluate on the
test split, and optionally compare with the frozen base model.

The training stack (torch, transformers) is imported inside :func:`execute`, as in every command
module: ``ftcourse --help`` and the other commands stay quick.
"""

from __future__ import annotations

import argparse
from contextlib import nullcontext
from pathlib import Path

import pandas as pd

from ftcourse.cli.options import CONFIG_HELP, add_report_to, positive, report_to, resolve, share
from ftcourse.cli.report import headline, print_table, say, scalars
from ftcourse.data import load_table
from ftcourse.errors import DataError, UsageError
from ftcourse.files import check_output, output_run, read_json, run_marker, write_json
from ftcourse.models import BASE_MODEL
from ftcourse.prepare import normalize_text, three_way_split
from ftcourse.runtime import is_main_process

NAME = "train-classifier"

DEFAULTS: dict = {
    "data": None,
    "data_dir": None,
    "text_column": "text",
    "label_columns": None,  # default: the dataset's label columns, else "label"
    "base_model": BASE_MODEL,
    "output": "outputs/classifier",
    "epochs": 3,
    "batch_size": 16,
    "learning_rate": 2e-5,
    "max_length": 128,
    "test_size": 0.15,
    "val_size": 0.15,
    "balance_classes": False,
    "no_normalize": False,
    "evaluate_only": None,  # a saved classifier folder: score it instead of training
    "compare": False,
    "resume": False,
    "overwrite": False,  # replace an earlier run's files in --output
    "seed": 42,
    "report_to": "none",  # "tensorboard": event files in OUTPUT/runs beside the JSONL log
    "max_rows": None,  # train on a random sample of N rows (drawn with the seed): quick tries
    "head_init": None,  # "linear_probe": start the head from a logistic regression on the frozen features
    "method": "finetune",  # "setfit": contrastive pairs + logistic regression (ftcourse.fewshot), single-label only
    "lora": False,  # train LoRA adapters (ftcourse.lora) instead of every weight: of the classifier, or of SetFit's encoder
    "lora_r": 8,  # rank of the LoRA updates (with --lora)
    "setfit_iterations": 20,  # SetFit's pairing rounds: 2 x iterations x training rows pairs
}

METHODS = ("finetune", "setfit")

TYPES = {
    "label_columns": list,
    "epochs": float,
    "batch_size": int,
    "learning_rate": float,
    "max_length": int,
    "test_size": float,
    "val_size": float,
    "seed": int,
    "max_rows": int,
    "lora_r": int,
    "setfit_iterations": int,
}


def add_parser(sub) -> None:
    """Register the command; every option defaults to None so that a --config file can fill it and flags win."""
    tc = sub.add_parser(
        NAME,
        help="fine-tune a text classifier (single- or multi-label), evaluate it on a held-out test split",
        description="Options come from the defaults, then --config, then flags. "
        "Hub models need no token for public ids; for private ones set HF_TOKEN in the environment.",
    )
    tc.add_argument("--config", help=CONFIG_HELP)
    tc.add_argument("--data", help="a dataset name (e.g. jigsaw-sample, davidson) or a .csv/.tsv/.jsonl/.json/.parquet file")
    tc.add_argument("--data-dir", help="folder holding the dataset folders (default: FTCOURSE_DATA_DIR, then cache)")
    tc.add_argument("--text-column", help="column holding the text (default: text)")
    tc.add_argument(
        "--label-columns", help="comma-separated 0/1 columns (multi-label) or one class column (default: the dataset's)"
    )
    tc.add_argument("--base-model", help="Hub id or local folder (default: sentence-transformers/all-MiniLM-L6-v2)")
    tc.add_argument(
        "--output", "--output-dir", dest="output", help="folder for the model and its artefacts (default: outputs/classifier)"
    )
    tc.add_argument("--epochs", type=float, help="maximum epochs; early stopping may stop sooner (default: 3)")
    tc.add_argument("--batch-size", type=int, help="default: 16")
    tc.add_argument("--learning-rate", type=float, help="AdamW learning rate (default: 2e-5)")
    tc.add_argument("--max-length", "--max-seq-length", dest="max_length", type=int, help="tokens kept per text (default: 128)")
    tc.add_argument("--test-size", type=float, help="share of rows held out for the test split (default: 0.15)")
    tc.add_argument("--val-size", type=float, help="share of rows for validation: early stopping, thresholds (default: 0.15)")
    tc.add_argument(
        "--head-init",
        choices=["linear_probe"],
        help="start the classification head from a logistic regression on the frozen encoder's features (default: a random head)",
    )
    tc.add_argument(
        "--method",
        choices=METHODS,
        help="finetune: a classification head trained with the encoder (default); setfit: few-shot, contrastive pairs from the "
        "training rows tune the encoder, then a logistic regression (single-label)",
    )
    tc.add_argument(
        "--lora",
        action="store_true",
        default=None,
        help="train LoRA adapters instead of every weight (the saved model has them merged; OUTPUT/adapter holds them alone)",
    )
    tc.add_argument("--lora-r", type=int, help="rank of the LoRA updates (default: 8)")
    tc.add_argument("--setfit-iterations", type=int, help="--method setfit: pairing rounds per training row (default: 20)")
    tc.add_argument("--max-rows", type=int, help="use a random sample of this many rows (quick tries)")
    tc.add_argument(
        "--balance-classes",
        action="store_true",
        default=None,
        help="weight the loss against class imbalance (ftcourse.classifier.losses)",
    )
    tc.add_argument(
        "--no-normalize",
        "--no-preprocessing",
        dest="no_normalize",
        action="store_true",
        default=None,
        help="keep texts as they are (default: normalise links, HTML entities and spaces)",
    )
    tc.add_argument("--evaluate-only", metavar="MODEL_DIR", help="do not train: evaluate a saved model on the test split")
    tc.add_argument(
        "--compare", action="store_true", default=None, help="also score the base model (frozen embeddings + logistic regression)"
    )
    tc.add_argument("--resume", action="store_true", default=None, help="continue from the last checkpoint in OUTPUT/checkpoints")
    tc.add_argument(
        "--overwrite", action="store_true", default=None, help="train again into an OUTPUT folder that holds an earlier run"
    )
    add_report_to(tc)
    tc.add_argument("--seed", type=int, help="default: 42")
    tc.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """The command's handler: options from defaults, --config and flags, then :func:`execute`."""
    execute(options_from(vars(args), args.config))
    return 0


def options_from(cli: dict, config_path: str | None = None) -> dict:
    """The command's options (defaults, then ``config_path``, then ``cli``), typed and checked."""
    options = resolve(DEFAULTS, TYPES, cli, config_path)
    for key in ("epochs", "batch_size", "learning_rate", "max_length", "test_size", "val_size", "seed"):
        if options[key] is None:
            raise UsageError(f"option {key!r} must be a number, got None.")
    share(options, "test_size")
    share(options, "val_size")
    if options["test_size"] + options["val_size"] >= 0.9:
        raise UsageError("test_size + val_size leave less than 10 % of the data for training. Fix: lower them.")
    positive(options, "epochs", "batch_size", "learning_rate", "max_length", "lora_r", "setfit_iterations")
    report_to(options)
    _check_method(options)
    return options


def _check_method(options: dict) -> None:
    # The options --method setfit and --lora cannot be combined with: refused before any data or model loads.
    if options["method"] not in METHODS:
        raise UsageError(f"method {options['method']!r}: choose one of {list(METHODS)}. Fix: e.g. --method setfit.")
    if options["lora"] and options["resume"]:
        raise UsageError(
            "--lora with --resume: a LoRA run cannot be resumed yet. Fix: drop --resume and pass --overwrite to train again."
        )
    if options["method"] != "setfit":
        return
    clashes = {"resume": "--resume", "head_init": "--head-init", "evaluate_only": "--evaluate-only"}
    given = [flag for key, flag in clashes.items() if options[key]]
    if options["report_to"] != "none":
        given.append("--report-to")
    if given:
        raise UsageError(
            f"--method setfit does not take {', '.join(given)} (they belong to fine-tuning a head). Fix: drop them, or use --method finetune."
        )


def execute(options: dict) -> dict:
    """Run ``ftcourse train-classifier`` with resolved ``options`` (see :func:`options_from`).

    Returns:
        ``{"test": summary, "compare": {...}?, "output": folder}``; also printed.
    """
    from ftcourse.classifier.artifacts import check_model_dir, read_labels

    if options["evaluate_only"]:
        if not options["label_columns"]:
            options["label_columns"] = read_labels(check_model_dir(options["evaluate_only"])).get("label_columns")
    else:
        from ftcourse.models import resolve_model

        resolve_model(options["base_model"])  # fail before any data work when the model cannot be had
        if is_main_process():  # under torchrun, the other ranks would see rank 0's probe file
            check_output(options["output"], overwrite=options["overwrite"], resume=options["resume"])
    task = _load_and_split(options)
    if options["method"] == "setfit" and len(task["label_columns"]) != 1:
        raise UsageError(
            f"--method setfit is single-label, but {len(task['label_columns'])} label columns were given {task['label_columns']}. "
            "Fix: pass one class column with --label-columns, or use --method finetune for multi-label data."
        )
    if options["evaluate_only"]:
        report = _evaluate_only(options, task)
        if options["compare"] and report.get("test"):
            report["compare"] = _compare_with_base(options, task, report["test"], Path(report["output"]))
        return report
    if options["resume"]:
        _check_resume(options, task)
    run = output_run(options["output"], NAME, data=task["meta"]["name"]) if is_main_process() else nullcontext()
    with run:
        report = _train(options, task)
        if options["compare"] and report.get("test"):
            report["compare"] = _compare_with_base(options, task, report["test"], Path(report["output"]))
    return report


def _check_resume(options: dict, task: dict) -> None:
    # --resume continues a run cut off mid-training, on the same labels; never a finished run, never other labels.
    from ftcourse.classifier.artifacts import CHECKPOINT_DIR
    from ftcourse.classifier.labels import SINGLE, encode_labels
    from ftcourse.training import last_complete_checkpoint

    out, data = Path(options["output"]), task["meta"]["name"]
    checkpoint = last_complete_checkpoint(out / CHECKPOINT_DIR, remove_incomplete=False)
    if checkpoint is not None:
        saved = read_json(checkpoint / "config.json").get("id2label") or {}
        saved_names = [saved[k] for k in sorted(saved, key=int)]
        problem = SINGLE if len(task["label_columns"]) == 1 else None
        names = (
            encode_labels(task["train"], task["label_columns"], problem, task["label_names"], data)[1]
            if problem
            else task["label_columns"]
        )
        if saved_names != list(names):
            raise DataError(
                f"--resume {out}: the checkpoint was trained on the labels {saved_names}, but {data} has the labels {list(names)}. "
                "Fix: resume with the data the run started on, or pass --overwrite to train afresh."
            )
    marker = run_marker(out) or {}
    if checkpoint is None or marker.get("finished"):
        state = "finished" if marker.get("finished") else "has no checkpoint"
        raise DataError(
            f"--resume {out}: nothing to resume (the run {state}); resuming would retrain on {data} and replace its model. "
            "Fix: pass --overwrite to train again on this data, or another --output."
        )


def _load_and_split(options: dict) -> dict:
    from ftcourse.classifier.labels import check_frame

    df, meta = load_table(options["data"], options["data_dir"])
    label_columns = list(options["label_columns"] or meta["label_columns"])
    text_column = options["text_column"]
    check_frame(df, text_column, label_columns, meta["name"])
    if not options["evaluate_only"] and len(label_columns) == 1 and df[label_columns[0]].nunique() < 2:
        raise DataError(
            f"{meta['name']}: column {label_columns[0]!r} holds a single class ({df[label_columns[0]].tolist()[0]!r}), so there is nothing "
            "to learn. Fix: add rows of at least one other class, or pass the right --label-columns."
        )
    if options["max_rows"]:
        df = df.sample(n=min(options["max_rows"], len(df)), random_state=options["seed"]).sort_index()
    train, val, test = three_way_split(
        df, label_columns, options["test_size"], options["val_size"], options["seed"], text_column=text_column
    )
    say(f"{meta['name']}: {len(train)} train / {len(val)} validation / {len(test)} test rows; labels {label_columns}")
    label_names = meta["label_names"] if len(label_columns) == 1 else None
    return {
        "meta": meta,
        "train": train,
        "val": val,
        "test": test,
        "text_column": text_column,
        "label_columns": label_columns,
        "label_names": label_names,
    }


def _evaluate_only(options: dict, task: dict) -> dict:
    from ftcourse.classifier.predict import evaluate_saved

    model_dir = Path(options["evaluate_only"])
    # The saved model applies its own preprocessing (labels.json "normalize_text") when predicting.
    table, summary, _ = evaluate_saved(model_dir, task["test"], task["text_column"], task["label_columns"])
    print_table(f"test split, {model_dir}", table)
    say(f"test: {headline(summary)}")
    return {"test": summary, "output": str(model_dir)}


def _train(options: dict, task: dict) -> dict:
    from ftcourse.classifier.artifacts import update_metrics
    from ftcourse.classifier.predict import evaluate_saved

    trained = _train_setfit(options, task) if options["method"] == "setfit" else _fine_tune(options, task)
    if not is_main_process():
        return {"output": options["output"]}  # under torchrun, rank 0 alone evaluates and reports
    model_dir = Path(options["output"])
    table, summary, _ = evaluate_saved(model_dir, task["test"], task["text_column"], task["label_columns"])
    update_metrics(model_dir, "test", summary, table)
    print_table("test split", table)
    if trained.get("validation"):
        say(f"validation: {headline(trained['validation'])}")
    say(f"test: {headline(summary)}")
    say(f"saved to {model_dir} (model card: {model_dir / 'README.md'})")
    return {"test": summary, "output": str(model_dir)}


def _train_setfit(options: dict, task: dict) -> dict:
    from ftcourse.fewshot import save_setfit, train_setfit

    label_column = task["label_columns"][0]
    trained = train_setfit(
        task["train"],
        text_column=task["text_column"],
        label_column=label_column,
        label_names=task["label_names"],
        base_model=options["base_model"],
        num_iterations=options["setfit_iterations"],
        epochs=options["epochs"],
        batch_size=options["batch_size"],
        learning_rate=options["learning_rate"],
        max_length=options["max_length"],
        class_weight="balanced" if options["balance_classes"] else None,
        lora_r=options["lora_r"] if options["lora"] else None,
        normalize=not options["no_normalize"],
        seed=options["seed"],
    )
    folder = save_setfit(
        trained,
        options["output"],
        task["text_column"],
        label_column,
        validation=task["val"],
        dataset_name=task["meta"]["name"],
        data_licence=task["meta"]["licence"],
    )
    return {"validation": read_json(folder / "metrics.json").get("validation", {}).get("summary")}


def _fine_tune(options: dict, task: dict) -> dict:
    from ftcourse.classifier.losses import balanced_weighting
    from ftcourse.classifier.trainer import train_classifier

    trained = train_classifier(
        task["train"],
        task["val"],
        text_column=task["text_column"],
        label_columns=task["label_columns"],
        label_names=task["label_names"],
        base_model=options["base_model"],
        output_dir=options["output"],
        epochs=options["epochs"],
        batch_size=options["batch_size"],
        learning_rate=options["learning_rate"],
        max_length=options["max_length"],
        class_weighting=balanced_weighting(task["label_columns"]) if options["balance_classes"] else None,
        head_init=options["head_init"],
        report_to=options["report_to"],
        seed=options["seed"],
        resume=options["resume"],
        dataset_name=task["meta"]["name"],
        data_licence=task["meta"]["licence"],
        normalize=not options["no_normalize"],
        lora_r=options["lora_r"] if options["lora"] else None,
    )
    return {"validation": trained.result["validation"]}


def _compare_with_base(options: dict, task: dict, fine_tuned: dict, out: Path) -> dict:
    from ftcourse.baselines import frozen_base_baseline
    from ftcourse.classifier.labels import MULTI, infer_problem_type

    text_column, train, test = task["text_column"], task["train"], task["test"]
    if not options["no_normalize"]:
        train = train.assign(**{text_column: normalize_text(train[text_column].astype(str))})
        test = test.assign(**{text_column: normalize_text(test[text_column].astype(str))})
    base_model = options["base_model"]
    if options["evaluate_only"]:
        base_model = read_json(Path(options["evaluate_only"]) / "training_info.json").get("base_model", base_model)
    _, base_summary, _ = frozen_base_baseline(
        base_model,
        train,
        test,
        text_column,
        task["label_columns"],
        label_names=task["label_names"],
        max_length=options["max_length"],
        balance=options["balance_classes"],
    )
    metric = "roc_auc_macro" if infer_problem_type(task["label_columns"]) == MULTI else "f1_macro"
    rows = pd.DataFrame(
        [
            {"model": f"base (frozen {base_model} + logistic regression)", **scalars(base_summary)},
            {"model": "fine-tuned", **scalars(fine_tuned)},
        ]
    )
    print_table(f"base vs fine-tuned on the same {len(test)} test rows", rows.set_index("model"))
    comparison = {
        "metric": metric,
        "base": base_summary,
        "fine_tuned": fine_tuned,
        "gain": fine_tuned[metric] - base_summary[metric],
    }
    write_json(out / "comparison.json", comparison)
    say(f"{metric}: base {base_summary[metric]:.3f} -> fine-tuned {fine_tuned[metric]:.3f}")
    return comparison
