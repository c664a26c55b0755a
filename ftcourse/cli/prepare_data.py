"""``ftcourse prepare-data``: clean a labelled table and write leakage-free train/test JSONL files."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
from ftfy import fix_encoding

from ftcourse.classifier.labels import check_label_types
from ftcourse.cli.options import CONFIG_HELP, required, resolve, share
from ftcourse.cli.report import say
from ftcourse.data import load_table
from ftcourse.errors import DataError, UsageError
from ftcourse.files import check_output, refuse_non_texts, write_jsonl
from ftcourse.imbalance import reduce_majority
from ftcourse.models import hub_token_or_fail
from ftcourse.prepare import drop_duplicates, normalize_text, split

NAME = "prepare-data"

DEFAULTS: dict = {
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

TYPES = {"near_threshold": float, "labels_to_filter": list, "reduce_majority_to": float, "test_size": float, "seed": int}


def add_parser(sub) -> None:
    """Register the command; every option defaults to None so that a --config file can fill it and flags win."""
    pd_ = sub.add_parser(
        NAME,
        help="clean a labelled table (normalise, drop exact and near duplicates) and write train/test JSONL",
        description="Reads CSV/TSV/JSONL/JSON/Parquet, removes rows without text or label, filtered labels and duplicates, "
        "splits stratified by label, optionally reduces the majority class of the train split, writes "
        "<output>_train.jsonl and <output>_test.jsonl (columns text, label) and prints what was removed and why.",
    )
    pd_.add_argument("--config", help=CONFIG_HELP)
    pd_.add_argument("--input", "--data", dest="input", help="the table to clean (or a dataset name such as davidson)")
    pd_.add_argument("--data-dir", help="folder holding the dataset folders, for dataset names")
    pd_.add_argument("--text-column", help="column holding the text (default: text)")
    pd_.add_argument("--label-column", help="column holding the class label (default: label)")
    pd_.add_argument(
        "--output", help="prefix of the output files, e.g. data/clean -> data/clean_train.jsonl, data/clean_test.jsonl"
    )
    pd_.add_argument(
        "--no-normalize",
        "--no-preprocessing",
        dest="no_normalize",
        action="store_true",
        default=None,
        help="keep texts as they are (default: normalise links, @mentions, HTML entities, spaces)",
    )
    pd_.add_argument(
        "--near-threshold",
        type=float,
        help="TF-IDF cosine from which two texts are near-duplicates (default: 0.9; 1 = exact only)",
    )
    pd_.add_argument("--labels-to-filter", help="comma-separated labels whose rows are removed")
    pd_.add_argument(
        "--reduce-majority-to",
        type=float,
        metavar="FRACTION",
        help="keep this share of the largest class, in the train split only",
    )
    pd_.add_argument("--test-size", type=float, help="share of rows in the test split (default: 0.2)")
    pd_.add_argument("--overwrite", action="store_true", default=None, help="replace the output files of an earlier run")
    pd_.add_argument("--seed", type=int, help="default: 42")
    pd_.add_argument(
        "--push-to-hub", metavar="REPO", help="also upload both splits as a Hub dataset (online; token from HF_TOKEN only)"
    )
    pd_.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """The command's handler."""
    execute(resolve(DEFAULTS, TYPES, vars(args), args.config))
    return 0


def execute(options: dict) -> dict:
    """Run ``ftcourse prepare-data`` with resolved ``options`` (see :data:`DEFAULTS`).

    Steps: read, remove rows without text or label (counted), remove ``labels_to_filter``,
    normalise (:func:`ftcourse.prepare.normalize_text`, unless ``no_normalize``), drop exact and
    near duplicates (:func:`ftcourse.prepare.drop_duplicates`), stratified split
    (:func:`ftcourse.prepare.split`), then :func:`ftcourse.imbalance.reduce_majority` on the train
    split only (the test split keeps the real class mix, so its numbers stay honest).

    Returns:
        The report: ``rows_in``, ``removed`` (reason -> rows), ``rows_out``, ``class_counts``
        (split -> label -> rows), ``conflicting_groups``, ``files``; also printed.
    """
    token = _check_options(options)
    df, meta = load_table(options["input"], options["data_dir"])
    data, removed, conflicting, repaired = _clean(df, meta["name"], options)
    train, test = split(data, test_size=options["test_size"], seed=options["seed"], stratify="label")
    if options["reduce_majority_to"] is not None:
        train = reduce_majority(train, "label", fraction=options["reduce_majority_to"], seed=options["seed"])
        info = train.attrs["resampling"]
        removed[f"majority class {info['majority_class']!r} reduced to {options['reduce_majority_to']:g} (train split only)"] = (
            info["rows_removed"]
        )
    prefix = str(options["output"])
    files = {
        part: str(write_jsonl(frame[["text", "label"]], Path(f"{prefix}_{part}.jsonl")))
        for part, frame in (("train", train), ("test", test))
    }
    counts = (
        pd.DataFrame({"train": train["label"].value_counts(), "test": test["label"].value_counts()})
        .fillna(0)
        .astype(int)
        .sort_index()
    )
    report = {
        "input": meta["name"],
        "rows_in": len(df),
        "removed": removed,
        "rows_out": len(train) + len(test),
        "conflicting_groups": conflicting,
        "repaired_encoding": repaired,
        "class_counts": {split_name: {str(k): int(v) for k, v in counts[split_name].items()} for split_name in counts},
        "files": files,
    }
    _print_report(report, counts)
    if token:
        _push(options["push_to_hub"], token, train, test)
        report["pushed_to"] = options["push_to_hub"]
    return report


def _check_options(options: dict) -> str | None:
    required(options, "input", "--input data.csv")
    required(options, "output", "--output data/clean (writes data/clean_train.jsonl and data/clean_test.jsonl)")
    share(options, "test_size")
    if options["reduce_majority_to"] is not None:
        share(options, "reduce_majority_to", upper_inclusive=True)
    if not 0 < options["near_threshold"] <= 1:
        raise UsageError(
            f"option 'near_threshold' must be in (0, 1], got {options['near_threshold']}. Fix: e.g. 0.9 (1 = exact duplicates only)."
        )
    token = (
        hub_token_or_fail(
            f"--push-to-hub {options['push_to_hub']}",
            "drop --push-to-hub and upload the written JSONL files later, or run online",
        )
        if options["push_to_hub"]
        else None
    )
    for part in ("train", "test"):
        check_output(f"{options['output']}_{part}.jsonl", kind="file", overwrite=options["overwrite"])
    return token


def _clean(df: pd.DataFrame, name: str, options: dict) -> tuple[pd.DataFrame, dict[str, int], int, int]:
    # Every row removed is counted under its reason: the report is how the user sees nothing vanished silently.
    text, label = options["text_column"], options["label_column"]
    missing = [c for c in (text, label) if c not in df.columns]
    if missing:
        raise DataError(
            f"{name}: missing column(s) {missing}; found {list(df.columns)}. Fix: pass --text-column / --label-column."
        )
    refuse_non_texts(df[text].tolist(), name, text)
    check_label_types(df[label], name, label)
    data = df[[text, label]].rename(columns={text: "text", label: "label"})
    removed: dict[str, int] = {}
    no_text = data["text"].isna() | (data["text"].astype(str).str.strip() == "")
    removed["empty text"] = int(no_text.sum())
    no_label = data["label"].isna()
    removed["missing label"] = int((no_label & ~no_text).sum())
    data = data[~no_text & ~no_label].assign(text=lambda d: d["text"].astype(str))
    if pd.api.types.is_float_dtype(data["label"]) and (data["label"] == data["label"].round()).all():
        data = data.assign(label=data["label"].astype(int))  # a CSV column with gaps reads as float: 1.0 -> 1
    unwanted = options["labels_to_filter"] or []
    if unwanted:
        present = set(data["label"].astype(str))
        unknown = [u for u in unwanted if u not in present]
        if unknown:
            raise UsageError(
                f"--labels-to-filter: label(s) {unknown} not in column {label!r}, whose labels are {sorted(present)}. Fix: check the spelling."
            )
        drop = data["label"].astype(str).isin(unwanted)
        removed[f"label in {unwanted}"] = int(drop.sum())
        data = data[~drop]
    repaired = 0
    if not options["no_normalize"]:
        repaired = int((data["text"].map(fix_encoding) != data["text"]).sum())  # counted: a repair changes the user's text
        data = data.assign(text=normalize_text(data["text"]))
    data, dup = drop_duplicates(
        data, "text", near=options["near_threshold"] < 1, threshold=options["near_threshold"], label_column="label"
    )
    removed["exact duplicate"] = dup["exact"]
    removed["near duplicate"] = dup["near"]
    if data["label"].nunique() < 2:
        raise DataError(
            f"{name}: after cleaning, column {label!r} holds a single class ({data['label'].tolist()[0]!r}); a classifier needs at least two. "
            "Fix: check --label-column and --labels-to-filter, or add rows of another class."
        )
    return data, removed, dup.get("conflicting_groups", 0), repaired


def _print_report(report: dict, counts: pd.DataFrame) -> None:
    say(f"{report['input']}: {report['rows_in']} rows in")
    for reason, n in report["removed"].items():
        print(f"  removed {n:>7}  {reason}")
    if report["repaired_encoding"]:
        print(f"  repaired {report['repaired_encoding']:>6}  text(s) with broken encoding (mojibake such as ‚Äô for ’; ftfy)")
    conflicts = report["conflicting_groups"]
    n_train, n_test = sum(report["class_counts"]["train"].values()), sum(report["class_counts"]["test"].values())
    say(
        f"{report['rows_out']} rows out: {n_train} train / {n_test} test"
        + (f"; {conflicts} duplicate group(s) had disagreeing labels (first row kept)" if conflicts else "")
    )
    print(counts.assign(total=counts.sum(axis=1)).rename_axis("label").to_string())
    for name, path in report["files"].items():
        say(f"wrote {path} ({name})")


def _push(repo: str, token: str, train: pd.DataFrame, test: pd.DataFrame) -> None:
    from datasets import Dataset, DatasetDict  # online users only: datasets loads the Arrow stack

    parts = DatasetDict(
        {
            name: Dataset.from_pandas(part[["text", "label"]].reset_index(drop=True), preserve_index=False)
            for name, part in (("train", train), ("test", test))
        }
    )
    parts.push_to_hub(repo, token=token)
    say(f"pushed to https://huggingface.co/datasets/{repo}")
