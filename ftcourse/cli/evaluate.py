"""``ftcourse evaluate``: score a saved classifier or an embedding model on a labelled file."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from ftcourse.cli.options import CONFIG_HELP, positive, required, resolve
from ftcourse.cli.report import print_table, say, short_names, side_by_side
from ftcourse.data import load_table
from ftcourse.errors import UsageError
from ftcourse.files import check_output, write_json, write_jsonl
from ftcourse.formats import pair_format

NAME = "evaluate"

DEFAULTS: dict = {
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

TYPES = {"label_columns": list, "top_k": int, "batch_size": int}


def add_parser(sub) -> None:
    """Register the command; every option defaults to None so that a --config file can fill it and flags win."""
    ev = sub.add_parser(
        NAME,
        help="score a saved classifier or embedding model on a labelled file",
        description="Classifier folder (from train-classifier): top-1/2/3 accuracy, macro-F1, per-label ROC-AUC, and with --output one "
        "JSON line per example with its top-k labels and scores. Embedding model: the evaluator that fits the pairs.",
    )
    ev.add_argument("model_dir", nargs="?", help="an --output folder of train-classifier or train-embedder")
    ev.add_argument("--config", help=CONFIG_HELP)
    ev.add_argument("--data", help="labelled file: text + label column(s) for a classifier, pairs for an embedder")
    ev.add_argument("--data-dir", help="folder holding the dataset folders, for dataset names")
    ev.add_argument("--text-column", help="classifier: text column (default: as in training)")
    ev.add_argument("--label-columns", help="classifier: label column(s) (default: as in training)")
    ev.add_argument("--output", help="classifier: per-example predictions (.jsonl); embedder: metrics (.json)")
    ev.add_argument(
        "--compare",
        metavar="BASE_MODEL",
        help="also score this model (embedder: the base model; classifier: another saved classifier)",
    )
    ev.add_argument("--overwrite", action="store_true", default=None, help="replace an existing --output file")
    ev.add_argument("--top-k", type=int, help="labels kept per example (default: 3)")
    ev.add_argument("--batch-size", type=int, help="default: 32")
    ev.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """The command's handler."""
    execute(resolve(DEFAULTS, TYPES, vars(args), args.config))
    return 0


def execute(options: dict) -> dict:
    """Run ``ftcourse evaluate`` with resolved ``options`` (see :data:`DEFAULTS`).

    A classifier folder (``labels.json``): top-1/2/3 accuracy (single-label), macro-F1 and per-label
    ROC-AUC are printed; ``output`` gets one JSON line per example with its top-k labels and scores;
    ``compare`` names another saved classifier scored the same way. Anything else is loaded as a
    sentence-transformers model and scored by the evaluator that fits the data
    (:func:`ftcourse.formats.pair_format`); ``compare`` names the base model to print beside it.

    Returns:
        ``{"kind": "classifier" | "embedder", "metrics": {...}, "compare": {...}?}``.
    """
    # The model stack loads only when a command needs it (see ftcourse.cli.train_classifier).
    from ftcourse.classifier.artifacts import is_classifier_dir

    required(options, "model_dir", "MODEL_DIR")
    required(options, "data", "--data test.jsonl")
    positive(options, "top_k", "batch_size")
    folder = Path(options["model_dir"]).expanduser()
    if not folder.exists() and (
        str(options["model_dir"]).startswith((".", "/", "~")) or str(options["model_dir"]).count("/") != 1
    ):
        # Not a folder and not shaped like a Hub id ("org/name", which is scored as an embedder).
        raise UsageError(f"{folder}: no such model folder. Fix: pass the --output of train-classifier or of train-embedder.")
    if options["output"]:
        check_output(options["output"], kind="file", overwrite=options["overwrite"])
    df, meta = load_table(options["data"], options["data_dir"])
    if is_classifier_dir(folder):
        return _evaluate_classifier(folder, df, meta["name"], options)
    return _evaluate_embedder(folder, df, meta["name"], options)


def _evaluate_classifier(folder: Path, df: pd.DataFrame, name: str, options: dict) -> dict:
    from ftcourse.classifier.artifacts import is_classifier_dir

    headline, per_label, examples = classifier_scores(folder, df, options, name)
    result: dict = {"kind": "classifier", "metrics": headline}
    print_table(f"per label, {folder} on {name} ({len(df)} rows)", per_label, digits=4)
    columns = {str(folder): headline}
    if options["compare"]:
        other = Path(options["compare"]).expanduser()
        if not is_classifier_dir(other):
            raise UsageError(
                f"--compare {other}: not a saved classifier folder. Fix: compare with another train-classifier output, or score the "
                "frozen base model with `ftcourse train-classifier --evaluate-only MODEL_DIR --compare`."
            )
        result["compare"], _, _ = classifier_scores(other, df, options, name)
        columns = {f"{other} (compare)": result["compare"], str(folder): headline}
    print_table("headline", side_by_side(columns), digits=4)
    if options["output"]:
        write_jsonl(pd.DataFrame(examples), options["output"])
        say(f"{len(examples)} prediction(s) with top-{len(examples[0]['top_labels'])} labels written to {options['output']}")
    return result


def classifier_scores(
    model_dir: Path, df: pd.DataFrame, options: dict, name: str = "evaluation data"
) -> tuple[dict, pd.DataFrame, list[dict]]:
    """Headline numbers, a per-label table and per-example top-k predictions of one saved classifier."""
    from ftcourse.classifier.artifacts import read_labels
    from ftcourse.classifier.labels import MULTI, check_frame, encode_labels, infer_problem_type
    from ftcourse.classifier.predict import evaluate_saved, load_classifier
    from ftcourse.evaluation import multilabel_report, top_k_accuracy

    saved = read_labels(model_dir)
    text_column = options["text_column"] or saved.get("text_column", "text")
    label_columns = list(options["label_columns"] or saved.get("label_columns") or saved["label_names"])
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
    truth = (
        [[names[j] for j in np.flatnonzero(row)] for row in y.astype(int)]
        if loaded.problem_type == MULTI
        else [names[i] for i in y]
    )
    examples = [
        {"text": t, "true": tr, "top_labels": [names[j] for j in row], "top_scores": [round(float(probs[i, j]), 6) for j in row]}
        for i, (t, tr, row) in enumerate(zip(texts, truth, order, strict=True))
    ]
    return headline, per_label, examples


def _evaluate_embedder(folder: Path, df: pd.DataFrame, name: str, options: dict) -> dict:
    from ftcourse.embedder.evaluators import make_evaluator
    from ftcourse.embedder.search import check_model_exists, embedder_path
    from ftcourse.models import load_sentence_transformer

    pairs, kind, _ = pair_format(df, name)
    evaluator = make_evaluator(pairs, kind, "eval", batch_size=options["batch_size"])
    model_path = embedder_path(folder)
    metrics = short_names(evaluator(load_sentence_transformer(model_path)), "eval")
    result = {"kind": "embedder", "evaluation": kind, "metrics": metrics}
    columns = {model_path: metrics}
    if options["compare"]:
        check_model_exists(options["compare"])
        result["compare"] = short_names(evaluator(load_sentence_transformer(embedder_path(options["compare"]))), "eval")
        columns = {f"{options['compare']} (compare)": result["compare"], model_path: metrics}
    print_table(f"{kind} evaluation on {name} ({len(pairs)} rows)", side_by_side(columns), digits=4)
    if options["output"]:
        write_json(options["output"], result)
        say(f"metrics written to {options['output']}")
    return result
