"""What ``ftcourse train-classifier`` and ``ftcourse predict`` do, as functions a notebook can call too.

``train-classifier``: read a table (a registry name or a CSV/TSV/JSONL/Parquet file), split it
train/validation/test (stratified; iterative stratification for multi-label), fine-tune with
:func:`ftcourse.train.train_classifier`, evaluate on the test split, and optionally compare with
the base model (its frozen embeddings + logistic regression, trained on the same train split).

Options come from three places, later ones winning: :data:`TRAIN_DEFAULTS`, a config file (JSON
or YAML whose keys are the flag names, ``batch-size`` or ``batch_size``), then the command line.
Access tokens are never options: online users set ``HF_TOKEN`` in the environment.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ftcourse.errors import DataError
from ftcourse.models import BASE_MODEL

TRAIN_DEFAULTS: dict = {
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
    "no_preprocessing": False,
    "evaluate_only": None,
    "compare": False,
    "resume": False,
    "overwrite": False,  # replace an earlier run's files in --output
    "seed": 42,
    "max_rows": None,  # train on the first N rows (after shuffling with the seed): quick tries
}


# ---------------------------------------------------------------------------------------------
# Where results go.


def check_output(path: str | os.PathLike, kind: str = "folder", overwrite: bool = False, resume: bool = False, flag: str = "--output") -> Path:
    """Check, before any work is done, that a command can write its results to ``path``.

    A run that trains for an hour and then fails to save, or silently mixes its files with an
    earlier run's, is worse than one that refuses at once.

    Args:
        path: the output folder (``kind="folder"``) or file (``kind="file"``).
        kind: ``"folder"``: refuses a folder that already holds files unless ``overwrite`` or ``resume``;
            ``"file"``: refuses an existing file unless ``overwrite``.
        overwrite: the user asked to replace an earlier run's files.
        resume: the user asked to continue the run in that folder.
        flag: the option named in the error message.

    Returns:
        The path (nothing is created: the command makes its folder when it writes).

    Raises:
        DataError: the path exists (and may not be replaced), is the wrong kind, or cannot be written.
    """
    import tempfile

    path = Path(path).expanduser()
    if kind == "folder":
        if path.exists() and not path.is_dir():
            raise DataError(f"{flag} {path}: is a file, not a folder. Fix: pass a folder name to {flag}.")
        if path.is_dir() and any(path.iterdir()) and not (overwrite or resume):
            raise DataError(
                f"{flag} {path}: already holds files from an earlier run. Fix: pass --resume to continue that run, "
                f"--overwrite to replace its files, or another {flag}."
            )
        folder = path
    else:
        if path.is_dir():
            raise DataError(f"{flag} {path}: is a folder, not a file. Fix: pass a file name to {flag}.")
        if path.exists() and not overwrite:
            raise DataError(f"{flag} {path}: already exists. Fix: pass --overwrite to replace it, or another {flag}.")
        folder = path.parent
    # Nothing is created here: probe the nearest folder that exists (a failed check leaves no trace).
    existing = next((p for p in (folder, *folder.parents) if p.exists()), Path("."))
    if not existing.is_dir():
        raise DataError(f"{flag} {path}: {existing} is a file, so no folder can be made inside it. Fix: pass another {flag}.")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        raise DataError(f"{flag} {path}: cannot be written ({exc.strerror or exc} in {existing}). Fix: pass a {flag} in a folder you can write to.") from None
    return path


# ---------------------------------------------------------------------------------------------
# Options.


def load_config(path: str | os.PathLike, defaults: dict | None = None) -> dict:
    """Read a JSON or YAML config whose keys are a command's flag names.

    Args:
        path: the ``.json`` / ``.yaml`` file.
        defaults: the command's defaults (its known options); default :data:`TRAIN_DEFAULTS`
            (``train-classifier``). Other commands pass theirs (see :mod:`ftcourse.pipeline`).

    Returns:
        ``{option: value}`` with dashes in keys turned into underscores.

    Raises:
        DataError: the file is missing, unreadable, not a mapping, or has unknown keys.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise DataError(f"{path}: config file not found. Fix: pass an existing .json or .yaml file to --config.")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: is not UTF-8 text (byte {exc.start}). Fix: re-save the config file as UTF-8.") from None
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise DataError(f"{path}: reading YAML needs PyYAML. Fix: `pip install pyyaml`, or write the config as JSON.") from None
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise DataError(f"{path}: is not valid YAML ({exc}). Fix: check the indentation and `key: value` lines.") from None
    else:
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}: is not valid JSON ({exc.msg}, line {exc.lineno}). Fix: check quotes and commas, or use a .yaml file.") from None
    if not isinstance(raw, dict):
        raise DataError(f"{path}: expected a mapping of option -> value, got {type(raw).__name__}. Fix: e.g. {{\"epochs\": 2}}.")
    options = {str(k).replace("-", "_"): v for k, v in raw.items()}
    known = TRAIN_DEFAULTS if defaults is None else defaults
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise DataError(f"{path}: unknown option(s) {unknown}. Fix: check the spelling; known options: {sorted(known)}.")
    return options


def layer_options(defaults: dict, cli: dict, config: dict | None = None) -> dict:
    """``defaults``, then ``config``, then the command line's explicitly given values (not None / False)."""
    options = dict(defaults)
    options.update(config or {})
    options.update({k: v for k, v in cli.items() if k in defaults and v is not None and v is not False})
    return options


def coerce_numbers(options: dict, kinds: dict) -> dict:
    """Convert ``options[key]`` with ``kinds[key]`` (int, float) in place; a config file may hold ``"32"``."""
    for key, kind in kinds.items():
        if options.get(key) is None:
            continue
        try:
            options[key] = kind(options[key])
        except (TypeError, ValueError):
            raise DataError(f"option {key!r} must be a number, got {options[key]!r}.") from None
    return options


def merge_options(cli: dict, config: dict | None = None) -> dict:
    """Defaults, then ``config``, then the command line's explicitly given values (not None)."""
    options = layer_options(TRAIN_DEFAULTS, cli, config)
    if isinstance(options["label_columns"], str):
        options["label_columns"] = [c.strip() for c in options["label_columns"].split(",") if c.strip()]
    for key in ("epochs", "batch_size", "learning_rate", "max_length", "test_size", "val_size", "seed"):
        if options[key] is None:
            raise DataError(f"option {key!r} must be a number, got None.")
    coerce_numbers(options, {"epochs": float, "batch_size": int, "learning_rate": float, "max_length": int, "test_size": float, "val_size": float, "seed": int})
    for key in ("test_size", "val_size"):
        if not 0 < options[key] < 1:
            raise DataError(f"option {key!r} must be a share in (0, 1), got {options[key]}. Fix: e.g. --{key.replace('_', '-')} 0.15.")
    if options["test_size"] + options["val_size"] >= 0.9:
        raise DataError("test_size + val_size leave less than 10 % of the data for training. Fix: lower them.")
    for key in ("epochs", "batch_size", "learning_rate", "max_length"):
        if options[key] <= 0:
            raise DataError(f"option {key!r} must be positive, got {options[key]}.")
    return options


# ---------------------------------------------------------------------------------------------
# Data.


def load_table(data: str | os.PathLike, data_dir: str | os.PathLike | None = None) -> tuple[pd.DataFrame, dict]:
    """Read labelled data from a registry name (e.g. ``jigsaw-sample``) or a file.

    Files: ``.csv``, ``.tsv``, ``.jsonl`` (one JSON object per line), ``.json`` (records) or ``.parquet``.

    Returns:
        ``(df, meta)``: ``meta`` has ``name``, ``licence``, ``label_columns`` and ``label_names``
        (from the registry; empty for files).
    """
    from ftcourse.data import REGISTRY, load_dataset

    if data is None:
        raise DataError("no data given. Fix: --data jigsaw-sample (a dataset name) or --data my.csv (a file).")
    text = str(data)
    if text in REGISTRY:
        spec = REGISTRY[text]
        split = "train" if "train" in spec.splits else next(iter(spec.splits))
        df = load_dataset(text, split=split, data_dir=data_dir)
        columns = list(spec.label_columns) or ["label"]
        return df, {"name": text, "licence": spec.licence, "label_columns": columns, "label_names": list(spec.label_names) or None}
    path = Path(text).expanduser()
    if not path.is_file():
        raise DataError(f"{path}: no such file, and {text!r} is not a dataset name ({', '.join(REGISTRY)}). Fix: check the path.")
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".tsv", ".txt"):
            df = pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
        elif suffix == ".jsonl":
            df = pd.read_json(path, lines=True)
        elif suffix == ".json":
            df = pd.read_json(path)
        elif suffix == ".parquet":
            df = pd.read_parquet(path)
        else:
            raise DataError(f"{path}: unknown file type {suffix!r}. Fix: use .csv, .tsv, .jsonl, .json or .parquet.")
    except DataError:
        raise
    except UnicodeDecodeError:
        raise DataError(f"{path}: is not UTF-8 text. Fix: re-save it as UTF-8.") from None
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{path}: cannot be read as {suffix[1:].upper()} ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__}). Fix: check the file's format.") from None
    if len(df) == 0:
        raise DataError(f"{path}: has no rows.")
    return df, {"name": path.name, "licence": "", "label_columns": ["label"], "label_names": None}


def three_way_split(
    df: pd.DataFrame,
    label_columns: Sequence[str],
    test_size: float = 0.15,
    val_size: float = 0.15,
    seed: int = 42,
    text_column: str = "text",
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Train / validation / test split, stratified on the labels (:func:`ftcourse.prepare.split`).

    Several 0/1 columns use iterative (multi-label) stratification; one class column uses ordinary
    stratification. ``test_size`` and ``val_size`` are shares of the whole table. Copies of a text
    (after normalisation) stay in one of the three parts.
    """
    from ftcourse.prepare import split

    label_columns = list(label_columns)
    keys = {"label_columns": label_columns} if len(label_columns) > 1 else {"stratify": label_columns[0]}
    rest, test = split(df, test_size=test_size, seed=seed, text_column=text_column, **keys)
    train, val = split(rest, test_size=val_size / (1 - test_size), seed=seed, text_column=text_column, **keys)
    return train, val, test


# ---------------------------------------------------------------------------------------------
# Evaluation and comparison.


def evaluate_saved(model, df: pd.DataFrame, text_column: str | None = None, label_columns: Sequence[str] | None = None, batch_size: int = 32):
    """Score a saved classifier on a labelled table with its saved thresholds.

    Args:
        model: a model folder or a :class:`ftcourse.predict.LoadedClassifier`.
        df: the table; needs the text column and the label columns used in training
            (default: as recorded in the folder's ``labels.json``).

    Returns:
        ``(table, summary, probabilities)`` as in :func:`ftcourse.train.classifier.evaluation_report`.
    """
    from ftcourse.predict import LoadedClassifier, load_classifier, predict_proba
    from ftcourse.train.classifier import check_frame, encode_labels, evaluation_report

    loaded = model if isinstance(model, LoadedClassifier) else load_classifier(model)
    saved = json.loads((loaded.model_dir / "labels.json").read_text()) if loaded.model_dir else {}
    text_column = text_column or saved.get("text_column", "text")
    label_columns = list(label_columns or saved.get("label_columns") or loaded.label_names)
    check_frame(df, text_column, label_columns, "evaluation data", loaded.problem_type)
    y, _ = encode_labels(df, label_columns, loaded.problem_type, loaded.label_names, "evaluation data")
    probs = predict_proba(loaded, df[text_column].astype(str).tolist(), batch_size)
    table, summary = evaluation_report(loaded.problem_type, y, probs, loaded.label_names, loaded.thresholds)
    return table, summary, probs


def frozen_base_baseline(
    base_model: str, train_df: pd.DataFrame, test_df: pd.DataFrame, text_column: str, label_columns: Sequence[str],
    label_names: Sequence[str] | None = None, max_length: int = 128, balance: bool = False, batch_size: int = 32,
):
    """The base model without fine-tuning: its frozen sentence embeddings + logistic regression.

    This is the honest "before" for a fine-tune: a freshly initialised classification head on the
    base model scores at chance, which says nothing. Multi-label uses one logistic regression per label.

    Returns:
        ``(table, summary, probabilities)`` on ``test_df`` (see :func:`evaluate_saved`).
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    from ftcourse.models import load_sentence_transformer
    from ftcourse.train.classifier import MULTI, encode_labels, evaluation_report, infer_problem_type

    problem_type = infer_problem_type(label_columns)
    y_train, names = encode_labels(train_df, label_columns, problem_type, label_names, "train split")
    y_test, _ = encode_labels(test_df, label_columns, problem_type, names, "test split")
    encoder = load_sentence_transformer(base_model, max_seq_length=max_length)
    x_train = encoder.encode(train_df[text_column].astype(str).tolist(), batch_size=batch_size, normalize_embeddings=True)
    x_test = encoder.encode(test_df[text_column].astype(str).tolist(), batch_size=batch_size, normalize_embeddings=True)
    head = LogisticRegression(max_iter=2000, class_weight="balanced" if balance else None)
    if problem_type == MULTI:
        clf = OneVsRestClassifier(head).fit(x_train, y_train.astype(int))
        probs = clf.predict_proba(x_test)
    else:
        clf = head.fit(x_train, y_train)
        probs = np.zeros((len(x_test), len(names)))
        probs[:, clf.classes_] = clf.predict_proba(x_test)
    table, summary = evaluation_report(problem_type, y_test, probs, names, dict.fromkeys(names, 0.5))
    return table, summary, probs


def tfidf_multilabel_baseline(class_weight: str | None = "balanced", max_features: int = 200_000, seed: int = 0):
    """TF-IDF of word 1-2-grams and character 2-5-grams + one logistic regression per label.

    The classic strong baseline for toxic comments: character n-grams catch obfuscated spellings
    ("f*ck", "stuupid") that word features miss. Fit with ``fit(texts, label_matrix)``;
    ``predict_proba(texts)`` gives one probability column per label.

    Args:
        class_weight: ``"balanced"`` weights each label's rare positives up (None = unweighted).
        max_features: vocabulary cap of each of the two vectorisers.
        seed: random state of the solvers.

    Returns:
        An unfitted :class:`sklearn.pipeline.Pipeline`.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline, make_union

    features = make_union(
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, min_df=2, max_features=max_features),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2, max_features=max_features),
    )
    head = LogisticRegression(C=4.0, max_iter=2000, class_weight=class_weight, random_state=seed)
    return make_pipeline(features, OneVsRestClassifier(head))


# ---------------------------------------------------------------------------------------------
# The two commands.


def _headline(summary: dict) -> str:
    keys = ("roc_auc_macro", "pr_auc_macro", "f1_macro_at_0.5", "f1_macro_tuned", "f1_macro", "accuracy")
    return ", ".join(f"{k} {summary[k]:.3f}" for k in keys if k in summary and isinstance(summary[k], float))


def _print_table(title: str, table: pd.DataFrame) -> None:
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format", "{:.3f}".format):
        print(f"\n{title}\n{table.to_string()}")


def run_train_classifier(options: dict) -> dict:
    """Run ``ftcourse train-classifier`` with merged ``options`` (see :func:`merge_options`).

    Returns:
        ``{"test": summary, "compare": {...}?, "output": folder}``; also printed.
    """
    from ftcourse.models import resolve_model
    from ftcourse.predict import check_model_dir
    from ftcourse.prepare import normalize_text
    from ftcourse.train.classifier import MULTI, check_frame, infer_problem_type, train_classifier, update_metrics

    if options["evaluate_only"]:
        saved = check_model_dir(options["evaluate_only"]) / "labels.json"
        if not options["label_columns"]:
            options["label_columns"] = json.loads(saved.read_text()).get("label_columns")
    else:
        resolve_model(options["base_model"])  # fail before any data work when the model cannot be had
        from ftcourse.train.common import is_main_process

        if is_main_process():  # under torchrun, the other ranks would see rank 0's probe file
            check_output(options["output"], overwrite=bool(options["overwrite"]), resume=bool(options["resume"]))
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
        df = df.sample(n=min(int(options["max_rows"]), len(df)), random_state=options["seed"]).sort_index()
    train, val, test = three_way_split(df, label_columns, options["test_size"], options["val_size"], options["seed"], text_column=text_column)
    from ftcourse.train.common import is_main_process

    if is_main_process():  # under torchrun, one process reports
        print(f"[ftcourse] {meta['name']}: {len(train)} train / {len(val)} validation / {len(test)} test rows; labels {label_columns}")
    report: dict = {}

    if options["evaluate_only"]:
        model_dir = Path(options["evaluate_only"])
        # The saved model applies its own preprocessing (labels.json "normalize_text") when predicting.
        table, summary, _ = evaluate_saved(model_dir, test, text_column, label_columns)
        _print_table(f"test split, {model_dir}", table)
        print(f"[ftcourse] test: {_headline(summary)}")
        report.update(test=summary, output=str(model_dir))
    else:
        trained = train_classifier(
            train,
            val,
            text_column=text_column,
            label_columns=label_columns,
            label_names=meta["label_names"] if len(label_columns) == 1 else None,
            base_model=options["base_model"],
            output_dir=options["output"],
            epochs=options["epochs"],
            batch_size=options["batch_size"],
            learning_rate=options["learning_rate"],
            max_length=options["max_length"],
            # Multi-label: square-root positive weights (the plain ratio reaches ~600 for Jigsaw's threat label).
            class_weighting=("sqrt_inverse" if len(label_columns) > 1 else "inverse") if options["balance_classes"] else None,
            seed=options["seed"],
            resume=bool(options["resume"]),
            dataset_name=meta["name"],
            data_licence=meta["licence"],
            normalize=not options["no_preprocessing"],
        )
        if not is_main_process():
            return {"output": options["output"]}  # under torchrun, rank 0 alone evaluates and reports
        model_dir = Path(options["output"])
        table, summary, _ = evaluate_saved(model_dir, test, text_column, label_columns)
        update_metrics(model_dir, "test", summary, table)
        _print_table("test split", table)
        print(f"[ftcourse] validation: {_headline(trained.result['validation'])}")
        print(f"[ftcourse] test: {_headline(summary)}")
        print(f"[ftcourse] saved to {model_dir} (model card: {model_dir / 'README.md'})")
        report.update(test=summary, output=str(model_dir))

    if options["compare"]:
        fine_tuned = report["test"]
        normalize = not options["no_preprocessing"]
        tr = train.assign(**{text_column: normalize_text(train[text_column].astype(str))}) if normalize else train
        te = test.assign(**{text_column: normalize_text(test[text_column].astype(str))}) if normalize else test
        base_model = options["base_model"]
        if options["evaluate_only"]:
            info = Path(options["evaluate_only"]) / "training_info.json"
            if info.is_file():
                base_model = json.loads(info.read_text()).get("base_model", base_model)
        _, base_summary, _ = frozen_base_baseline(
            base_model, tr, te, text_column, label_columns,
            label_names=meta["label_names"] if len(label_columns) == 1 else None,
            max_length=options["max_length"], balance=bool(options["balance_classes"]),
        )
        metric = "roc_auc_macro" if infer_problem_type(label_columns) == MULTI else "f1_macro"
        rows = pd.DataFrame([{"model": f"base (frozen {base_model} + logistic regression)", **_scalars(base_summary)}, {"model": "fine-tuned", **_scalars(fine_tuned)}])
        _print_table(f"base vs fine-tuned on the same {len(test)} test rows", rows.set_index("model"))
        report["compare"] = {"metric": metric, "base": base_summary, "fine_tuned": fine_tuned, "gain": fine_tuned[metric] - base_summary[metric]}
        out = Path(report["output"])
        out.mkdir(parents=True, exist_ok=True)
        from ftcourse.course import _jsonable

        (out / "comparison.json").write_text(json.dumps(_jsonable(report["compare"]), indent=2))
        print(f"[ftcourse] {metric}: base {base_summary[metric]:.3f} -> fine-tuned {fine_tuned[metric]:.3f}")
    return report


def _scalars(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def read_texts_file(path: str | os.PathLike, text_column: str = "text") -> list[str]:
    """Texts to classify from a file: ``.txt`` (one per line) or a table (``.csv``/``.tsv``/``.jsonl``/``.json``/``.parquet``)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise DataError(f"{path}: no such file. Fix: pass a .txt file with one text per line, or a CSV with a {text_column!r} column.")
    if path.suffix.lower() == ".txt":
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError:
            raise DataError(f"{path}: is not UTF-8 text. Fix: re-save it as UTF-8.") from None
        texts = [line for line in lines if line.strip()]
        if len(texts) < len(lines):
            print(f"[ftcourse] {path}: skipped {len(lines) - len(texts)} blank line(s); {len(texts)} text(s) to classify")
    else:
        df, _ = load_table(path)
        if text_column not in df.columns:
            raise DataError(f"{path}: no column {text_column!r}; found {list(df.columns)}. Fix: pass --text-column.")
        empty = df[text_column].isna() | (df[text_column].astype(str).str.strip() == "")
        if empty.any():
            raise DataError(
                f"{path}: column {text_column!r} is empty in {int(empty.sum())} row(s) (first: row {int(np.flatnonzero(empty)[0])}). "
                "Fix: remove those rows or fill in their text."
            )
        texts = df[text_column].astype(str).tolist()
    if not texts:
        raise DataError(f"{path}: holds no text. Fix: put one text per line (.txt), or pass a table with a {text_column!r} column.")
    return texts


def run_predict(
    model_dir: str | os.PathLike,
    texts: Sequence[str],
    file: str | None = None,
    text_column: str = "text",
    batch_size: int = 32,
    output: str | None = None,
    overwrite: bool = False,
) -> pd.DataFrame:
    """Run ``ftcourse predict``: classify texts given inline and/or in a file; print (or write) the table."""
    from ftcourse.predict import predict

    texts = list(texts or [])
    if file:
        texts += read_texts_file(file, text_column)
    if not texts:
        raise DataError('no texts to classify. Fix: ftcourse predict MODEL_DIR "some text" ..., or --file texts.txt.')
    if output:
        check_output(output, kind="file", overwrite=overwrite)
    table = predict(model_dir, texts, batch_size=batch_size)
    if output:
        table.to_csv(output, index=False)
        print(f"[ftcourse] {len(table)} prediction(s) written to {output}")
    else:
        shown = table.assign(text=table["text"].str.slice(0, 60))
        with pd.option_context("display.width", 200, "display.max_columns", 30, "display.float_format", "{:.3f}".format):
            print(shown.drop(columns=[c for c in shown.columns if c.startswith("flag_")]).to_string(index=False))
    return table
