"""The course's datasets: a registry, where the files are found, and validated loaders.

Search order for a dataset's files:
    1. the ``data_dir`` argument,
    2. the ``FTCOURSE_DATA_DIR`` environment variable,
    3. the user cache (``~/.cache/ftcourse/data``, or ``$XDG_CACHE_HOME/ftcourse/data``),
    4. the Hugging Face Hub through ``datasets`` (online users only).

Every loader returns pandas DataFrames with normalised column names and raises one
:class:`~ftcourse.errors.DataError` that names the file, the problem and the fix. Rows that
are removed (empty text) are counted in ``df.attrs["dropped_rows"]`` and reported with a warning.
"""

from __future__ import annotations

import csv
import json
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ftcourse.errors import DataError, plain
from ftcourse.files import read_table
from ftcourse.models import hub_available

DATA_DIR_ENV = "FTCOURSE_DATA_DIR"  # the second place searched for the datasets, after an explicit argument

JIGSAW_LABELS = ("toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate")
DAVIDSON_CLASSES = ("hate", "offensive", "neither")


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset of the course.

    Attributes:
        name: registry name, e.g. ``"davidson"``.
        folder: folder under the data directory holding the files.
        task: what the dataset is for, in a few words.
        columns: the normalised columns every split has.
        splits: split name -> file name(s) inside ``folder``.
        label_names: id -> name for classification data (empty for scores / pairs without labels).
        hub: how online users get it: ``(hub_id, config_or_None)``, or None when no Hub copy exists.
        manual: how to get the files by hand when there is no Hub copy (or it differs).
        licence: short licence statement (full text in the folder).
    """

    name: str
    folder: str
    task: str
    columns: tuple[str, ...]
    splits: dict[str, tuple[str, ...]]
    label_names: tuple[str, ...] = ()
    label_columns: tuple[str, ...] = ()
    hub: tuple[str, str | None] | None = None
    manual: str = ""
    licence: str = ""
    reader: Callable[..., pd.DataFrame] | None = field(default=None, repr=False, compare=False)


# ---------------------------------------------------------------------------------------------
# Reading helpers: each knows one folder's quirks (see the folder's SOURCE.md).


def _read_csv(path: Path, **kwargs) -> pd.DataFrame:
    try:
        return pd.read_csv(path, **kwargs)
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path}: cannot be decoded as UTF-8 (byte {exc.start}). Fix: re-save the file as UTF-8, "
            "e.g. `iconv -f latin1 -t utf-8 in.csv > out.csv`."
        ) from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty. Fix: restore the original file (see SOURCE.md in its folder).") from None
    except pd.errors.ParserError as exc:
        raise DataError(f"{path}: is not valid CSV ({exc}). Fix: check the delimiter and quoting of the file.") from None


def _read_lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: cannot be decoded as UTF-8 (byte {exc.start}). Fix: re-save the file as UTF-8.") from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _require_columns(df: pd.DataFrame, path: Path, required: tuple[str, ...] | list[str]) -> None:
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise DataError(
            f"{path}: missing column(s) {missing}; found {list(df.columns)}. "
            f"Fix: the file needs the columns {list(required)} (see SOURCE.md in its folder)."
        )


def _check_labels(df: pd.DataFrame, path: Path, column: str, allowed) -> None:
    allowed = set(allowed)
    bad = df.loc[~df[column].isin(allowed), column]
    if len(bad):
        raise DataError(
            f"{path}: column {column!r} has {len(bad)} value(s) outside {sorted(allowed)}, e.g. {plain(bad.iloc[0])!r} "
            f"(row {bad.index[0]}). Fix: correct or remove those rows, or map them to a known label."
        )


def _drop_empty_text(df: pd.DataFrame, path: Path, text_columns: tuple[str, ...]) -> pd.DataFrame:
    """Drop rows whose text is missing or blank, counting them in ``df.attrs['dropped_rows']``."""
    empty = pd.Series(False, index=df.index)
    for col in text_columns:
        empty |= df[col].isna() | (df[col].astype(str).str.strip() == "")
    dropped = int(empty.sum())
    out = df.loc[~empty].reset_index(drop=True)
    out.attrs["source"] = str(path)
    out.attrs["dropped_rows"] = {"empty text": dropped} if dropped else {}
    if dropped:
        warnings.warn(f"{path}: dropped {dropped} row(s) with empty text in {list(text_columns)}.", stacklevel=4)
    return out


def _nonempty(path: Path) -> Path:
    if path.stat().st_size == 0:
        raise DataError(f"{path}: the file is empty. Fix: restore the original file (see SOURCE.md in its folder).")
    return path


def _read_davidson(paths: list[Path]) -> pd.DataFrame:
    (path,) = paths
    df = _read_csv(_nonempty(path))
    _require_columns(df, path, ["tweet", "class"])
    _check_labels(df, path, "class", range(3))
    out = pd.DataFrame(
        {
            "text": df["tweet"],
            "label": df["class"].astype(int),
            **{
                f"votes_{name}": df[col]
                for name, col in (("hate", "hate_speech"), ("offensive", "offensive_language"), ("neither", "neither"))
                if col in df
            },
        }
    )
    return _drop_empty_text(out, path, ("text",))


def _read_jigsaw(paths: list[Path]) -> pd.DataFrame:
    (path,) = paths
    df = _read_csv(_nonempty(path))
    _require_columns(df, path, ["comment_text", *JIGSAW_LABELS])
    for label in JIGSAW_LABELS:
        _check_labels(df, path, label, (0, 1))
    out = df.rename(columns={"comment_text": "text"})
    keep = (["id"] if "id" in out else []) + ["text", *JIGSAW_LABELS]
    out = out[keep].astype({label: int for label in JIGSAW_LABELS})
    return _drop_empty_text(out, path, ("text",))


def _read_tweeteval(paths: list[Path]) -> pd.DataFrame:
    text_path, label_path = paths
    texts = [t.strip() for t in _read_lines(_nonempty(text_path))]
    raw_labels = [x.strip() for x in _read_lines(_nonempty(label_path))]
    if len(texts) != len(raw_labels):
        raise DataError(
            f"{text_path}: has {len(texts)} lines but {label_path} has {len(raw_labels)}; the two files must be "
            "line-aligned. Fix: restore both files from the same TweetEval commit."
        )
    try:
        labels = [int(x) for x in raw_labels]
    except ValueError:
        bad = next(x for x in raw_labels if not x.lstrip("-").isdigit())
        raise DataError(f"{label_path}: label {bad!r} is not an integer. Fix: one integer label (0 or 1) per line.") from None
    df = pd.DataFrame({"text": texts, "label": labels})
    _check_labels(df, label_path, "label", (0, 1))
    return _drop_empty_text(df, text_path, ("text",))


def _read_stsb(paths: list[Path]) -> pd.DataFrame:
    (path,) = paths
    df = _read_csv(_nonempty(path), header=None, names=["sentence1", "sentence2", "score"], quoting=csv.QUOTE_MINIMAL)
    scores = pd.to_numeric(df["score"], errors="coerce")
    bad = df.loc[scores.isna() | (scores < 0) | (scores > 5), "score"]
    if len(bad):
        raise DataError(
            f"{path}: column 'score' (third column) has {len(bad)} value(s) that are not numbers in [0, 5], "
            f"e.g. {plain(bad.iloc[0])!r} (row {bad.index[0]}). Fix: STS-B files have no header and three columns: "
            "sentence1, sentence2, score."
        )
    # The Hub copy (sentence-transformers/stsb) scales scores to [0, 1]; so do we, so both paths agree.
    df["score"] = scores / 5.0
    return _drop_empty_text(df, path, ("sentence1", "sentence2"))


def _read_mrpc(paths: list[Path]) -> pd.DataFrame:
    (path,) = paths
    df = _read_csv(_nonempty(path), sep="\t", quoting=csv.QUOTE_NONE, encoding="utf-8-sig")
    _require_columns(df, path, ["Quality", "#1 String", "#2 String"])
    _check_labels(df, path, "Quality", (0, 1))
    out = pd.DataFrame({"sentence1": df["#1 String"], "sentence2": df["#2 String"], "label": df["Quality"].astype(int)})
    return _drop_empty_text(out, path, ("sentence1", "sentence2"))


def _read_faq(paths: list[Path]) -> pd.DataFrame:
    (path,) = paths
    df = _read_csv(_nonempty(path))
    _require_columns(df, path, ["question", "answer"])
    keep = [c for c in ("question", "answer", "source", "category", "link") if c in df]
    return _drop_empty_text(df[keep], path, ("question", "answer"))


def _read_question_similarity(paths: list[Path]) -> pd.DataFrame:
    (path,) = paths
    df = _read_csv(_nonempty(path))
    _require_columns(df, path, ["question_1", "question_2", "similar"])
    _check_labels(df, path, "similar", (0, 1))
    out = pd.DataFrame({"sentence1": df["question_1"], "sentence2": df["question_2"], "label": df["similar"].astype(int)})
    return _drop_empty_text(out, path, ("sentence1", "sentence2"))


def _read_squad(paths: list[Path]) -> pd.DataFrame:
    (path,) = paths
    try:
        raw = json.loads(_nonempty(path).read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: cannot be decoded as UTF-8 (byte {exc.start}). Fix: re-save the file as UTF-8.") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: is not valid JSON ({exc.msg}, line {exc.lineno}). Fix: restore the original file.") from None
    if not isinstance(raw, dict) or "data" not in raw:
        raise DataError(f"{path}: expected SQuAD format with a top-level 'data' list. Fix: use the SQuAD v2 JSON file.")
    rows = []
    for doc in raw["data"]:
        for para in doc.get("paragraphs", []):
            if "context" not in para:
                raise DataError(
                    f"{path}: a paragraph of document {para.get('document_id')!r} has no 'context'. Fix: restore the original SQuAD-format file."
                )
            for qa in para.get("qas", []):
                if "question" not in qa:
                    raise DataError(
                        f"{path}: question entry {qa.get('id')!r} has no 'question' key. Fix: restore the original SQuAD-format file."
                    )
                answer = qa["answers"][0]["text"] if qa.get("answers") else ""
                rows.append(
                    {
                        "id": qa.get("id"),
                        "document_id": para.get("document_id"),
                        "question": qa["question"],
                        "answer": answer,
                        "context": para["context"],
                    }
                )
    return _drop_empty_text(pd.DataFrame(rows), path, ("question", "context"))


# ---------------------------------------------------------------------------------------------
# The registry.

REGISTRY: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in [
        DatasetSpec(
            name="davidson",
            folder="davidson-hate-offensive",
            task="3-class tweets: hate / offensive / neither (hate is 5.8 %)",
            columns=("text", "label"),
            splits={"train": ("labeled_data.csv",)},
            label_names=DAVIDSON_CLASSES,
            hub=("tdavidson/hate_speech_offensive", None),
            licence="MIT (Davidson et al. 2017)",
            reader=_read_davidson,
        ),
        DatasetSpec(
            name="jigsaw-sample",
            folder="jigsaw-toxic-sample",
            task="multi-label toxicity, 6 labels (5,000 Jigsaw comments + 101 Kaggle test comments)",
            columns=("text", *JIGSAW_LABELS),
            splits={"train": ("jigsaw_train_sample_5000.csv",), "kaggle_test": ("kaggle_test_examples_ibm.csv",)},
            label_columns=JIGSAW_LABELS,
            manual=(
                "The 5,000-row sample has no Hub copy. Get the full data from Kaggle: accept the rules at "
                "https://www.kaggle.com/c/jigsaw-toxic-comment-classification-challenge, then "
                "`kaggle competitions download -c jigsaw-toxic-comment-classification-challenge` (token in "
                "~/.kaggle/kaggle.json or KAGGLE_USERNAME/KAGGLE_KEY); unzip train.csv into "
                "<data dir>/jigsaw-toxic-sample/ and pass its name as the train file."
            ),
            licence="CC0 labels; comment text CC BY-SA 3.0 (Wikipedia contributors)",
            reader=_read_jigsaw,
        ),
        DatasetSpec(
            name="tweeteval-hate",
            folder="tweeteval-hate",
            task="binary hate speech (SemEval-2019 HatEval), official splits",
            columns=("text", "label"),
            splits={
                s: (f"{f}_text.txt", f"{f}_labels.txt") for s, f in (("train", "train"), ("validation", "val"), ("test", "test"))
            },
            label_names=("not-hate", "hate"),
            hub=("cardiffnlp/tweet_eval", "hate"),
            licence="TweetEval terms; see the folder's SOURCE.md",
            reader=_read_tweeteval,
        ),
        DatasetSpec(
            name="tweeteval-offensive",
            folder="tweeteval-offensive",
            task="binary offensive language (SemEval-2019 OffensEval), official splits",
            columns=("text", "label"),
            splits={
                s: (f"{f}_text.txt", f"{f}_labels.txt") for s, f in (("train", "train"), ("validation", "val"), ("test", "test"))
            },
            label_names=("not-offensive", "offensive"),
            hub=("cardiffnlp/tweet_eval", "offensive"),
            licence="TweetEval terms; see the folder's SOURCE.md",
            reader=_read_tweeteval,
        ),
        DatasetSpec(
            name="stsb",
            folder="stsb-en",
            task="sentence pairs with a similarity score (scaled to 0-1)",
            columns=("sentence1", "sentence2", "score"),
            splits={"train": ("stsb-en-train.csv",), "validation": ("stsb-en-dev.csv",), "test": ("stsb-en-test.csv",)},
            hub=("sentence-transformers/stsb", None),
            licence="CC BY-SA 4.0 scores; sentences under their source corpora's terms",
            reader=_read_stsb,
        ),
        DatasetSpec(
            name="mrpc",
            folder="mrpc",
            task="paraphrase pairs, label 1 = same meaning",
            columns=("sentence1", "sentence2", "label"),
            splits={"train": ("msr_paraphrase_train.txt",), "test": ("msr_paraphrase_test.txt",)},
            label_names=("not_paraphrase", "paraphrase"),
            # GLUE's test labels are hidden (-1): online, the loader maps GLUE validation -> test.
            hub=("nyu-mll/glue", "mrpc"),
            licence="Microsoft Research terms (research and teaching use); cite Dolan & Brockett 2005",
            reader=_read_mrpc,
        ),
        DatasetSpec(
            name="covid-faq",
            folder="covid-qa",
            task="COVID-19 FAQ question -> answer pairs (retrieval, MNRL)",
            columns=("question", "answer"),
            splits={"train": ("faq_covidbert.csv",)},
            manual=(
                "Download data/faqs/faq_covidbert.csv from https://github.com/deepset-ai/COVID-QA into <data dir>/covid-qa/."
            ),
            licence="Apache-2.0 (deepset COVID-QA)",
            reader=_read_faq,
        ),
        DatasetSpec(
            name="covid-question-pairs",
            folder="covid-qa",
            task="COVID-19 question pairs, label 1 = same meaning",
            columns=("sentence1", "sentence2", "label"),
            splits={"train": ("eval_question_similarity_en.csv",)},
            label_names=("different", "similar"),
            manual=(
                "Download data/eval_question_similarity_en.csv from https://github.com/deepset-ai/COVID-QA into "
                "<data dir>/covid-qa/."
            ),
            licence="Apache-2.0 (deepset COVID-QA)",
            reader=_read_question_similarity,
        ),
        DatasetSpec(
            name="covid-qa",
            folder="covid-qa",
            task="SQuAD-style questions over COVID-19 papers (question -> document retrieval)",
            columns=("question", "answer", "context"),
            splits={"train": ("200423_covidQA.json",)},
            hub=("deepset/covid_qa_deepset", None),
            licence="Apache-2.0 (deepset COVID-QA); contexts from CORD-19",
            reader=_read_squad,
        ),
    ]
}


def list_datasets() -> list[str]:
    """Names of every dataset in the registry."""
    return list(REGISTRY)


def get_spec(name: str) -> DatasetSpec:
    """The registry entry for ``name``; a :class:`DataError` listing the known names otherwise."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise DataError(f"Unknown dataset {name!r}. Known datasets: {', '.join(REGISTRY)}.") from None


def cache_dir() -> Path:
    """The user cache for course data: ``$XDG_CACHE_HOME/ftcourse/data`` (default ``~/.cache/ftcourse/data``)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ftcourse" / "data"


def candidate_dirs(data_dir: str | os.PathLike | None = None) -> list[tuple[str, Path]]:
    """The local places searched for data, in order, each as ``(where it came from, path)``."""
    places = []
    if data_dir is not None:
        places.append(("argument", Path(data_dir).expanduser()))
    if os.environ.get(DATA_DIR_ENV):
        places.append((DATA_DIR_ENV, Path(os.environ[DATA_DIR_ENV]).expanduser()))
    places.append(("cache", cache_dir()))
    return places


def locate(name: str, data_dir: str | os.PathLike | None = None) -> tuple[str, Path] | None:
    """Find the local folder holding dataset ``name``.

    Returns:
        ``(where it came from, folder path)`` or None when no local copy exists.
    """
    spec = get_spec(name)
    first_file = next(iter(spec.splits.values()))[0]
    if data_dir is None:
        for origin, base in candidate_dirs():
            folder = base / spec.folder
            if (folder / first_file).is_file():
                return origin, folder
        return None
    base = Path(data_dir).expanduser()
    if not (base / spec.folder / first_file).is_file():
        # An explicit folder is a promise: do not fall back silently to another copy.
        raise DataError(
            f"{base / spec.folder / first_file}: not found, so dataset {name!r} is not in the data_dir you passed. "
            f"Fix: pass the folder that contains {spec.folder}/ (e.g. ../shared/data), or leave data_dir unset."
        )
    return "argument", base / spec.folder


def load_dataset(name: str, split: str | None = None, data_dir: str | os.PathLike | None = None):
    """Load a course dataset with normalised columns.

    Args:
        name: a registry name (see :func:`list_datasets`).
        split: one split (e.g. ``"train"``, ``"test"``); None returns every split.
        data_dir: a folder holding the dataset folders; overrides ``FTCOURSE_DATA_DIR``.

    Returns:
        A DataFrame for one split, or a dict ``{split: DataFrame}``. Columns per dataset:
        ``text``/``label`` (davidson, tweeteval-*), ``text`` + six 0/1 labels (jigsaw-sample),
        ``sentence1``/``sentence2``/``score`` in [0, 1] (stsb), ``sentence1``/``sentence2``/``label``
        (mrpc, covid-question-pairs), ``question``/``answer`` (covid-faq), ``question``/``answer``/``context`` (covid-qa).

    Raises:
        DataError: unknown dataset or split, a missing or malformed file, or no source available.
    """
    spec = get_spec(name)
    if split is not None and split not in spec.splits:
        raise DataError(f"Dataset {name!r} has no split {split!r}; its splits are {list(spec.splits)}.")
    wanted = [split] if split else list(spec.splits)
    found = locate(name, data_dir)
    if found is not None:
        _, folder = found
        frames = {}
        for s in wanted:
            paths = [folder / f for f in spec.splits[s]]
            for p in paths:
                if not p.is_file():
                    raise DataError(
                        f"{p}: not found (split {s!r} of {name!r}). Fix: restore the file; see {folder / 'SOURCE.md'}."
                    )
            frames[s] = spec.reader(paths)
    else:
        frames = _load_from_hub(spec, wanted)
    return frames[split] if split else frames


def _load_from_hub(spec: DatasetSpec, splits: list[str]) -> dict[str, pd.DataFrame]:
    searched = ", ".join(
        f"{origin}: {path}" + ("" if path.is_absolute() else f" = {path.resolve()}, read from the current folder")
        for origin, path in candidate_dirs()
    )
    if spec.hub is None or not hub_available():
        how = (
            spec.manual or f"go online (unset HF_HUB_OFFLINE) to fetch {spec.hub[0]!r} from the Hugging Face Hub"
            if spec.hub
            else spec.manual
        )
        raise DataError(
            f"Dataset {spec.name!r}: no local copy of {spec.folder}/ found (searched {searched}). "
            f"Fix: set FTCOURSE_DATA_DIR to the absolute path of the folder that contains {spec.folder}/ (in this repo: the absolute path of ../shared/data)"
            + (f". Or: {how.rstrip('.')}" if how else "")
            + "."
        )
    import datasets

    hub_id, config = spec.hub
    ds = datasets.load_dataset(hub_id, config)
    return {s: _normalise_hub_split(spec, ds, s) for s in splits}


def _normalise_hub_split(spec: DatasetSpec, ds, split: str) -> pd.DataFrame:
    # Map each Hub copy's own column and split names onto ours.
    if spec.name == "mrpc":
        hub_split = {"train": "train", "test": "validation"}[split]
        df = ds[hub_split].to_pandas()[["sentence1", "sentence2", "label"]]
    elif spec.name == "davidson":
        df = ds["train"].to_pandas().rename(columns={"tweet": "text", "class": "label"})
        df = df.rename(
            columns={
                "hate_speech_count": "votes_hate",
                "offensive_language_count": "votes_offensive",
                "neither_count": "votes_neither",
            }
        )
        df = df[[c for c in ("text", "label", "votes_hate", "votes_offensive", "votes_neither") if c in df]]
    elif spec.name == "covid-qa":
        df = ds["train"].to_pandas()
        df = pd.DataFrame(
            {
                "id": df["id"],
                "document_id": df["document_id"],
                "question": df["question"],
                "answer": [a["text"][0] if len(a["text"]) else "" for a in df["answers"]],
                "context": df["context"],
            }
        )
    else:
        df = ds[split].to_pandas()[list(spec.columns)]
    df.attrs["source"] = f"hf://{spec.hub[0]}" + (f"/{spec.hub[1]}" if spec.hub[1] else "")
    df.attrs["dropped_rows"] = {}
    return df


def label_counts(df: pd.DataFrame, spec: DatasetSpec) -> dict[str, int]:
    """Examples per label for a classification split (per label column for multi-label data); {} otherwise."""
    if spec.label_columns:
        return {c: int(df[c].sum()) for c in spec.label_columns}
    if "label" in df and spec.label_names:
        counts = df["label"].value_counts().sort_index()
        return {spec.label_names[int(k)]: int(v) for k, v in counts.items()}
    return {}


def summary(data_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """A table of every dataset: where it was found, rows per split and label counts.

    ``rows in file`` counts the rows as stored (it matches the folder's SOURCE.md); ``rows kept`` is
    what :func:`load_dataset` returns after removing rows with empty text. A dataset that cannot be found appears with its error message instead of counts.
    """
    rows = []
    for name, spec in REGISTRY.items():
        try:
            found = locate(name, data_dir)
            where = f"{found[0]}: {found[1]}" if found else f"hub: {spec.hub[0] if spec.hub else '-'}"
            frames = load_dataset(name, data_dir=data_dir)
            for split, df in frames.items():
                dropped = sum(df.attrs.get("dropped_rows", {}).values())
                rows.append(
                    {
                        "dataset": name,
                        "split": split,
                        "rows in file": len(df) + dropped,
                        "rows kept": len(df),
                        "dropped (empty text)": dropped,
                        "labels": label_counts(df, spec) or "",
                        "found in": where,
                    }
                )
        except DataError as exc:
            rows.append(
                {
                    "dataset": name,
                    "split": "-",
                    "rows in file": 0,
                    "rows kept": 0,
                    "dropped (empty text)": 0,
                    "labels": "",
                    "found in": f"NOT FOUND: {exc}",
                }
            )
    return pd.DataFrame(rows)


def load_table(data: str | os.PathLike, data_dir: str | os.PathLike | None = None) -> tuple[pd.DataFrame, dict]:
    """Read labelled data from a registry name (e.g. ``jigsaw-sample``) or a file (:func:`ftcourse.files.read_table`).

    Returns:
        ``(df, meta)``: ``meta`` has ``name``, ``licence``, ``label_columns`` and ``label_names``
        (from the registry; defaults for files).
    """
    if data is None:
        raise DataError("no data given. Fix: --data jigsaw-sample (a dataset name) or --data my.csv (a file).")
    text = str(data)
    if text in REGISTRY:
        spec = REGISTRY[text]
        split = "train" if "train" in spec.splits else next(iter(spec.splits))
        df = load_dataset(text, split=split, data_dir=data_dir)
        columns = list(spec.label_columns) or ["label"]
        return df, {
            "name": text,
            "licence": spec.licence,
            "label_columns": columns,
            "label_names": list(spec.label_names) or None,
        }
    path = Path(text).expanduser()
    if not path.is_file():
        raise DataError(f"{path}: no such file, and {text!r} is not a dataset name ({', '.join(REGISTRY)}). Fix: check the path.")
    return read_table(path), {"name": path.name, "licence": "", "label_columns": ["label"], "label_names": None}
