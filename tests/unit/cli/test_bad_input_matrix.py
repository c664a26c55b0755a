"""The bad-input matrix: every loader and every CLI command against every kind of bad input.

Each cell of ``MATRIX`` is either a case (how to produce the bad input, what must happen) or
``NotApplicable`` with the reason. ``test_the_matrix_is_complete`` fails when a loader, command or
kind of input has no cell, so a new command cannot be added without deciding how it meets bad input.

What must happen:
* a loader raises one ``DataError`` whose message names the file, the problem and a fix, or (empty
  text) drops the rows, counts them in ``df.attrs["dropped_rows"]`` and warns with the count;
* a command exits with status 2 and prints one line ``ftcourse <command>: error: ...`` naming the
  problem and the fix; nothing is silently dropped.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from ftcourse.cli import main
from ftcourse.cli.options import load_config
from ftcourse.cli.train_classifier import DEFAULTS as TRAIN_DEFAULTS
from ftcourse.data import REGISTRY, load_dataset, load_table
from ftcourse.errors import FtcourseError

KINDS = (
    "missing file",
    "missing column",
    "empty file",
    "empty text",
    "label outside the label map",
    "single class",
    "non-UTF-8 bytes",
    "malformed config",
    "output exists",
    "output not writable",
)
LOADERS = (*(f"load_dataset({name})" for name in REGISTRY), "load_table", "load_config")
COMMANDS = (
    "train-classifier",
    "predict",
    "prepare-data",
    "train-embedder",
    "train-cross-encoder",
    "evaluate",
    "search",
    "run",
    "data",
    "exercises",
    "env",
    "export",
    "publish",
    # lesson 14's options change what train-classifier trains: each meets every kind of bad input as the plain command does
    "train-classifier --method setfit",
    "train-classifier --lora",
)
VARIANT_FLAGS = {"train-classifier --method setfit": ("--method", "setfit"), "train-classifier --lora": ("--lora",)}


@dataclass(frozen=True)
class NotApplicable:
    reason: str


@dataclass(frozen=True)
class Case:
    """``make(tmp, fixtures)`` writes the bad input and returns a callable (loaders) or an argv (commands)."""

    make: Callable
    expect: str  # a phrase the message must contain
    dropped: int = 0  # loaders: rows that must be counted and reported instead of raising


# ---------------------------------------------------------------------------------------------
# Registry loaders: small files in each dataset's own on-disk format, broken one way at a time.

GOOD_ROWS = {
    "davidson": pd.DataFrame(
        {
            "count": [3, 3, 3],
            "hate_speech": [0, 1, 0],
            "offensive_language": [3, 2, 0],
            "neither": [0, 0, 3],
            "class": [1, 1, 2],
            "tweet": ["you are rude", "so rude", "nice day"],
        }
    ),
    "jigsaw-sample": pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "comment_text": ["you idiot", "thanks a lot", "go away"],
            **{lab: [1, 0, 1] for lab in ("toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate")},
        }
    ),
    "covid-faq": pd.DataFrame(
        {"question": ["What is covid?", "How does it spread?", "Masks?"], "answer": ["A virus.", "By air.", "Yes."]}
    ),
    "covid-question-pairs": pd.DataFrame(
        {
            "question_1": ["What is covid?", "Masks?", "Fever?"],
            "question_2": ["What is corona?", "Do masks help?", "Cough?"],
            "similar": [1, 1, 0],
        }
    ),
}
TEXT_COLUMN = {"davidson": "tweet", "jigsaw-sample": "comment_text", "covid-faq": "answer", "covid-question-pairs": "question_2"}
KEY_COLUMN = {"davidson": "class", "jigsaw-sample": "threat", "covid-faq": "answer", "covid-question-pairs": "similar"}
LABEL_COLUMN = {"davidson": ("class", 7), "jigsaw-sample": ("threat", 2), "covid-question-pairs": ("similar", 2)}


def _write(tmp: Path, name: str, kind: str) -> None:
    """Write the train split of ``name`` under ``tmp``, broken as ``kind`` says."""
    spec = REGISTRY[name]
    folder = tmp / spec.folder
    folder.mkdir(parents=True, exist_ok=True)
    if name.startswith("tweeteval"):
        texts, labels = ["first tweet", "second tweet", "third tweet"], ["0", "1", "0"]
        if kind == "missing column":
            labels = labels[:2]  # line-aligned files: a missing label is a missing line
        if kind == "empty text":
            texts[1] = "   "
        if kind == "label outside the label map":
            labels[1] = "5"
        (folder / "train_text.txt").write_text("\n".join(texts) + "\n")
        (folder / "train_labels.txt").write_text("\n".join(labels) + "\n")
        if kind == "non-UTF-8 bytes":
            (folder / "train_text.txt").write_bytes("caf\u00e9 tweet\nsecond\nthird\n".encode("latin-1"))
        if kind == "empty file":
            (folder / "train_text.txt").write_text("")
        if kind == "missing file":
            (folder / "train_labels.txt").unlink()
        return
    path = folder / spec.splits["train"][0]
    if name == "stsb":
        rows = [
            ["A man plays.", "A man is playing.", "4.8"],
            ["A cat sits.", "A dog runs.", "0.4"],
            ["It rains.", "Rain falls.", "4.0"],
        ]
        if kind == "missing column":
            rows = [r[:2] for r in rows]
        if kind == "empty text":
            rows[1][1] = ""
        if kind == "label outside the label map":
            rows[1][2] = "9"
        pd.DataFrame(rows).to_csv(path, header=False, index=False)
    elif name == "mrpc":
        header = ["Quality", "#1 ID", "#2 ID", "#1 String", "#2 String"]
        rows = [
            ["1", "1", "2", "He said yes.", "He agreed."],
            ["0", "3", "4", "It is red.", "It rains."],
            ["1", "5", "6", "Go now.", "Leave now."],
        ]
        if kind == "missing column":
            header, rows = header[1:], [r[1:] for r in rows]
        if kind == "empty text":
            rows[1][4] = ""
        if kind == "label outside the label map":
            rows[1][0] = "3"
        path.write_text("\ufeff" + "\n".join("\t".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    elif name == "covid-qa":
        qas = [
            {"id": 1, "question": "What is it?", "answers": [{"text": "A virus"}]},
            {"id": 2, "question": "Where?", "answers": []},
        ]
        if kind == "missing column":
            del qas[0]["question"]
        if kind == "empty text":
            qas[1]["question"] = " "
        path.write_text(
            json.dumps(
                {"data": [{"paragraphs": [{"document_id": 7, "context": "Covid is a virus found everywhere.", "qas": qas}]}]}
            )
        )
    else:
        df = GOOD_ROWS[name].copy()
        if kind == "missing column":
            df = df.drop(columns=KEY_COLUMN[name])
        if kind == "empty text":
            df.loc[1, TEXT_COLUMN[name]] = ""
        if kind == "label outside the label map":
            column, value = LABEL_COLUMN[name]
            df.loc[1, column] = value
        df.to_csv(path, index=False)
    if kind == "non-UTF-8 bytes":
        path.write_bytes(path.read_bytes().rstrip(b"\n") + "\u00e9\n".encode("latin-1"))  # a Latin-1 byte in the last field
    if kind == "empty file":
        path.write_text("")
    if kind == "missing file":
        path.unlink()


def _loader_case(name: str, kind: str, expect: str, dropped: int = 0) -> Case:
    def make(tmp, fx):
        _write(tmp, name, kind)
        return lambda: load_dataset(name, "train", data_dir=tmp)

    return Case(make, expect, dropped)


NO_LABELS = NotApplicable("the file has no label column (texts or question/answer pairs only)")
NO_CONFIG = NotApplicable("a loader takes no config file; load_config is its own row")
NO_OUTPUT = NotApplicable("a loader writes nothing")
ONE_CLASS_LOADER = NotApplicable(
    "a loader returns whatever classes the file holds; training refuses a single class (the command rows)"
)

MATRIX: dict[tuple[str, str], Case | NotApplicable] = {}
for _name in REGISTRY:
    _row = f"load_dataset({_name})"
    _has_labels = _name not in ("covid-faq", "covid-qa")
    MATRIX.update(
        {
            (_row, "missing file"): _loader_case(_name, "missing file", "not found"),
            (_row, "missing column"): _loader_case(
                _name,
                "missing column",
                {"stsb": "score", "covid-qa": "question"}.get(_name, "missing column")
                if not _name.startswith("tweeteval")
                else "line-aligned",
            ),
            (_row, "empty file"): _loader_case(_name, "empty file", "empty"),
            (_row, "empty text"): _loader_case(_name, "empty text", "", dropped=1),
            (_row, "label outside the label map"): _loader_case(
                _name, "label outside the label map", "[0, 5]" if _name == "stsb" else "outside"
            )
            if _has_labels
            else NO_LABELS,
            (_row, "single class"): ONE_CLASS_LOADER,
            (_row, "non-UTF-8 bytes"): _loader_case(_name, "non-UTF-8 bytes", "UTF-8"),
            (_row, "malformed config"): NO_CONFIG,
            (_row, "output exists"): NO_OUTPUT,
            (_row, "output not writable"): NO_OUTPUT,
        }
    )


def _table_case(content: bytes | str | None, suffix: str, expect: str) -> Case:
    def make(tmp, fx):
        path = tmp / f"table{suffix}"
        if content is not None:
            path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return lambda: load_table(str(path))

    return Case(make, expect)


def _config_case(content: str, suffix: str, expect: str) -> Case:
    def make(tmp, fx):
        path = tmp / f"config{suffix}"
        path.write_text(content)
        return lambda: load_config(path, TRAIN_DEFAULTS)

    return Case(make, expect)


MATRIX.update(
    {
        ("load_table", "missing file"): _table_case(None, ".csv", "no such file"),
        ("load_table", "missing column"): NotApplicable(
            "load_table reads any columns; each command checks the columns it needs (command rows)"
        ),
        ("load_table", "empty file"): _table_case("", ".csv", "cannot be read as CSV"),
        ("load_table", "empty text"): NotApplicable("load_table keeps every row; each command decides (command rows)"),
        ("load_table", "label outside the label map"): NotApplicable("load_table knows no label map (command rows)"),
        ("load_table", "single class"): NotApplicable("load_table knows no classes (command rows)"),
        ("load_table", "non-UTF-8 bytes"): _table_case(b"text,label\ncaf\xe9,1\n", ".csv", "not UTF-8"),
        ("load_table", "malformed config"): _table_case(
            '{"text": "a", "label": 1}\n{"text": oops\n', ".jsonl", "cannot be read as JSONL"
        ),
        ("load_table", "output exists"): NO_OUTPUT,
        ("load_table", "output not writable"): NO_OUTPUT,
        ("load_config", "missing file"): Case(
            lambda tmp, fx: lambda: load_config(tmp / "nowhere.yaml", TRAIN_DEFAULTS), "config file not found"
        ),
        ("load_config", "missing column"): _config_case("learning-speed: 3\n", ".yaml", "unknown option(s) ['learning_speed']"),
        ("load_config", "empty file"): _config_case("", ".yaml", "expected a mapping"),
        ("load_config", "empty text"): NotApplicable("a config holds options, not texts"),
        ("load_config", "label outside the label map"): NotApplicable("a config holds options, not labels"),
        ("load_config", "single class"): NotApplicable("a config holds options, not labels"),
        ("load_config", "non-UTF-8 bytes"): Case(
            lambda tmp, fx: (
                (tmp / "c.yaml").write_bytes(b"epochs: 2 # caf\xe9\n") and (lambda: load_config(tmp / "c.yaml", TRAIN_DEFAULTS))
            ),
            "not UTF-8",
        ),
        ("load_config", "malformed config"): _config_case("{epochs: 2,", ".json", "is not valid JSON"),
        ("load_config", "output exists"): NO_OUTPUT,
        ("load_config", "output not writable"): NO_OUTPUT,
    }
)


# ---------------------------------------------------------------------------------------------
# Commands: ftcourse ... with the tiny BERT, exit 2 and one line.


def _files(tmp: Path) -> None:
    """Input files shared by the command cases, each broken in one way."""
    good = pd.DataFrame(
        {
            "text": [f"the cat is good {i}" if i % 2 else f"i hate you bad {i}" for i in range(24)],
            "label": [i % 2 for i in range(24)],
        }
    )
    good.assign(toxic=good["label"], insult=good["label"]).to_csv(tmp / "good.csv", index=False)
    good.to_json(tmp / "good.jsonl", orient="records", lines=True)
    good.assign(label=1).to_csv(tmp / "one_class.csv", index=False)
    good.assign(toxic=1, insult=1).to_csv(tmp / "one_class_multi.csv", index=False)
    holes = good.assign(toxic=good["label"], insult=good["label"])
    holes.loc[3, "text"] = None
    holes.to_csv(tmp / "holes.csv", index=False)
    good.assign(toxic=good["label"], insult=good["label"] * 2).to_csv(tmp / "label2.csv", index=False)
    (tmp / "empty.csv").write_text("")
    (tmp / "empty.txt").write_text("")
    (tmp / "latin1.csv").write_bytes(b"text,label,toxic,insult\ncaf\xe9 bad,1,1,1\nnice,0,0,0\n")
    (tmp / "latin1.txt").write_bytes(b"caf\xe9 bad\n")
    (tmp / "broken.json").write_text("{epochs: 2,")
    (tmp / "no_text.csv").write_text("comment,label\nhello,1\nbye,0\n")
    pairs = pd.DataFrame(
        {
            "question": [f"what is {w}" for w in "the cat dog mat film movie good bad love hate".split()],
            "answer": [f"{w} is a word" for w in "the cat dog mat film movie good bad love hate".split()],
        }
    )
    pairs.to_json(tmp / "pairs.jsonl", orient="records", lines=True)
    pairs.assign(answer=[a if i != 2 else "" for i, a in enumerate(pairs["answer"])]).to_json(
        tmp / "pairs_holes.jsonl", orient="records", lines=True
    )
    pd.DataFrame(
        {
            "sentence1": ["a cat", "a dog", "the mat", "a film"] * 3,
            "sentence2": ["the cat", "a mat", "a mat", "a movie"] * 3,
            "label": [1] * 12,
        }
    ).to_csv(tmp / "pairs_one_class.csv", index=False)
    pd.DataFrame({"sentence1": ["a cat", "a dog"] * 3, "sentence2": ["the cat", "a mat"] * 3, "label": [1, 3] * 3}).to_csv(
        tmp / "pairs_label3.csv", index=False
    )
    reranker_pairs = pd.DataFrame({"query": ["a cat", "a dog"] * 3, "document": ["the cat", "a mat"] * 3, "label": [1, 0] * 3})
    reranker_pairs.assign(label=[1, 3] * 3).to_csv(tmp / "ce_label3.csv", index=False)
    reranker_pairs.assign(label=1).to_csv(tmp / "ce_one_class.csv", index=False)
    import nbformat

    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]), tmp / "tiny.ipynb")
    (tmp / "a_file").write_text("I am a file, not a folder")
    (tmp / "taken").mkdir(exist_ok=True)
    (tmp / "taken" / "model.safetensors").write_text("an earlier run")
    (tmp / "taken.csv").write_text("an earlier output")
    (tmp / "taken_train.jsonl").write_text("an earlier output")


def cmd(expect: str, *argv: str) -> Case:
    """A command case: ``argv`` with ``{t}`` (the case's temp folder), ``{tiny}`` (tiny BERT) and ``{clf}`` (a trained classifier)."""
    return Case(lambda tmp, fx: [a.format(t=tmp, **fx) for a in argv], expect)


TRAIN = ("--base-model", "{tiny}", "--epochs", "1", "--batch-size", "8", "--max-length", "32")
EMBED = ("--base-model", "{tiny}", "--epochs", "1", "--batch-size", "4", "--max-seq-length", "32")
RERANK = ("--base-model", "{tiny}", "--negatives-from", "{tiny}", "--epochs", "1", "--batch-size", "4", "--max-length", "32")
NO_LABELS_CMD = NotApplicable("the command reads no labels")
NO_CONFIG_CMD = NotApplicable("the command has no --config")
WRITES_NOTHING = NotApplicable("the command writes no output file")

MATRIX.update(
    {
        # train-classifier
        ("train-classifier", "missing file"): cmd("no such file", "train-classifier", "--data", "{t}/nowhere.csv", *TRAIN),
        ("train-classifier", "missing column"): cmd(
            "missing column(s) ['nope']", "train-classifier", "--data", "{t}/good.csv", "--label-columns", "toxic,nope", *TRAIN
        ),
        ("train-classifier", "empty file"): cmd("cannot be read as CSV", "train-classifier", "--data", "{t}/empty.csv", *TRAIN),
        ("train-classifier", "empty text"): cmd(
            "empty",
            "train-classifier",
            "--data",
            "{t}/holes.csv",
            "--label-columns",
            "toxic,insult",
            "--output",
            "{t}/out",
            *TRAIN,
        ),
        ("train-classifier", "label outside the label map"): cmd(
            "must hold 0/1", "train-classifier", "--data", "{t}/label2.csv", "--label-columns", "toxic,insult", *TRAIN
        ),
        ("train-classifier", "single class"): cmd(
            "single class",
            "train-classifier",
            "--data",
            "{t}/one_class.csv",
            "--label-columns",
            "label",
            "--output",
            "{t}/out",
            *TRAIN,
        ),
        ("train-classifier", "non-UTF-8 bytes"): cmd(
            "not UTF-8", "train-classifier", "--data", "{t}/latin1.csv", "--label-columns", "toxic,insult", *TRAIN
        ),
        ("train-classifier", "malformed config"): cmd(
            "is not valid JSON", "train-classifier", "--data", "{t}/good.csv", "--config", "{t}/broken.json", *TRAIN
        ),
        ("train-classifier", "output exists"): cmd(
            "already holds files",
            "train-classifier",
            "--data",
            "{t}/good.csv",
            "--label-columns",
            "toxic,insult",
            "--output",
            "{t}/taken",
            *TRAIN,
        ),
        ("train-classifier", "output not writable"): cmd(
            "is a file",
            "train-classifier",
            "--data",
            "{t}/good.csv",
            "--label-columns",
            "toxic,insult",
            "--output",
            "{t}/a_file/model",
            *TRAIN,
        ),
        # predict
        ("predict", "missing file"): cmd("no such file", "predict", "{clf}", "--file", "{t}/nowhere.txt"),
        ("predict", "missing column"): cmd("no column 'text'", "predict", "{clf}", "--file", "{t}/no_text.csv"),
        ("predict", "empty file"): cmd("holds no text", "predict", "{clf}", "--file", "{t}/empty.txt"),
        ("predict", "empty text"): cmd("is empty in 1 row(s)", "predict", "{clf}", "--file", "{t}/holes.csv"),
        ("predict", "label outside the label map"): NO_LABELS_CMD,
        ("predict", "single class"): NO_LABELS_CMD,
        ("predict", "non-UTF-8 bytes"): cmd("not UTF-8", "predict", "{clf}", "--file", "{t}/latin1.txt"),
        ("predict", "malformed config"): NO_CONFIG_CMD,
        ("predict", "output exists"): cmd("already exists", "predict", "{clf}", "some text", "--output", "{t}/taken.csv"),
        ("predict", "output not writable"): cmd("is a file", "predict", "{clf}", "some text", "--output", "{t}/a_file/p.csv"),
        # prepare-data
        ("prepare-data", "missing file"): cmd("no such file", "prepare-data", "--input", "{t}/nowhere.csv", "--output", "{t}/o"),
        ("prepare-data", "missing column"): cmd(
            "missing column(s) ['text']", "prepare-data", "--input", "{t}/no_text.csv", "--output", "{t}/o"
        ),
        ("prepare-data", "empty file"): cmd(
            "cannot be read as CSV", "prepare-data", "--input", "{t}/empty.csv", "--output", "{t}/o"
        ),
        ("prepare-data", "empty text"): NotApplicable(
            "prepare-data removes rows without text by design, counts them and prints the count (test_cli_pipeline: report counts every removed row)"
        ),
        ("prepare-data", "label outside the label map"): cmd(
            "not in column 'label'", "prepare-data", "--input", "{t}/good.csv", "--output", "{t}/o", "--labels-to-filter", "7"
        ),
        ("prepare-data", "single class"): cmd(
            "single class", "prepare-data", "--input", "{t}/one_class.csv", "--output", "{t}/o"
        ),
        ("prepare-data", "non-UTF-8 bytes"): cmd("not UTF-8", "prepare-data", "--input", "{t}/latin1.csv", "--output", "{t}/o"),
        ("prepare-data", "malformed config"): cmd("is not valid JSON", "prepare-data", "--config", "{t}/broken.json"),
        ("prepare-data", "output exists"): cmd(
            "already exists", "prepare-data", "--input", "{t}/good.csv", "--output", "{t}/taken"
        ),
        ("prepare-data", "output not writable"): cmd(
            "is a file", "prepare-data", "--input", "{t}/good.csv", "--output", "{t}/a_file/clean"
        ),
        # train-embedder
        ("train-embedder", "missing file"): cmd("no such file", "train-embedder", "--data", "{t}/nowhere.jsonl", *EMBED),
        ("train-embedder", "missing column"): cmd(
            "not a pair table", "train-embedder", "--data", "{t}/good.jsonl", "--output-dir", "{t}/e", *EMBED
        ),
        ("train-embedder", "empty file"): cmd(
            "cannot be read as CSV", "train-embedder", "--data", "{t}/empty.csv", "--output-dir", "{t}/e", *EMBED
        ),
        ("train-embedder", "empty text"): cmd(
            "empty or missing text", "train-embedder", "--data", "{t}/pairs_holes.jsonl", "--output-dir", "{t}/e", *EMBED
        ),
        ("train-embedder", "label outside the label map"): cmd(
            "must be 0 or 1", "train-embedder", "--data", "{t}/pairs_label3.csv", "--output-dir", "{t}/e", *EMBED
        ),
        ("train-embedder", "single class"): cmd(
            "single class", "train-embedder", "--data", "{t}/pairs_one_class.csv", "--output-dir", "{t}/e", *EMBED
        ),
        ("train-embedder", "non-UTF-8 bytes"): cmd(
            "not UTF-8", "train-embedder", "--data", "{t}/latin1.csv", "--output-dir", "{t}/e", *EMBED
        ),
        ("train-embedder", "malformed config"): cmd("is not valid JSON", "train-embedder", "--config", "{t}/broken.json"),
        ("train-embedder", "output exists"): cmd(
            "already holds files", "train-embedder", "--data", "{t}/pairs.jsonl", "--output-dir", "{t}/taken", *EMBED
        ),
        ("train-embedder", "output not writable"): cmd(
            "is a file", "train-embedder", "--data", "{t}/pairs.jsonl", "--output-dir", "{t}/a_file/e", *EMBED
        ),
        # evaluate
        ("evaluate", "missing file"): cmd("no such file", "evaluate", "{clf}", "--data", "{t}/nowhere.csv"),
        ("evaluate", "missing column"): cmd("missing column(s)", "evaluate", "{clf}", "--data", "{t}/no_text.csv"),
        ("evaluate", "empty file"): cmd("cannot be read as CSV", "evaluate", "{clf}", "--data", "{t}/empty.csv"),
        ("evaluate", "empty text"): cmd("empty", "evaluate", "{clf}", "--data", "{t}/holes.csv"),
        ("evaluate", "label outside the label map"): cmd("must hold 0/1", "evaluate", "{clf}", "--data", "{t}/label2.csv"),
        ("evaluate", "single class"): NotApplicable(
            "scoring a test set with one class is allowed: labels without both classes are reported as not evaluable (test_evaluation)"
        ),
        ("evaluate", "non-UTF-8 bytes"): cmd("not UTF-8", "evaluate", "{clf}", "--data", "{t}/latin1.csv"),
        ("evaluate", "malformed config"): cmd("is not valid JSON", "evaluate", "{clf}", "--config", "{t}/broken.json"),
        ("evaluate", "output exists"): cmd(
            "already exists", "evaluate", "{clf}", "--data", "{t}/good.csv", "--output", "{t}/taken.csv"
        ),
        ("evaluate", "output not writable"): cmd(
            "is a file", "evaluate", "{clf}", "--data", "{t}/good.csv", "--output", "{t}/a_file/p.jsonl"
        ),
        # train-cross-encoder
        ("train-cross-encoder", "missing file"): cmd(
            "no such file", "train-cross-encoder", "--data", "{t}/nowhere.jsonl", *RERANK
        ),
        ("train-cross-encoder", "missing column"): cmd(
            "not a pair table", "train-cross-encoder", "--data", "{t}/good.jsonl", "--output-dir", "{t}/c", *RERANK
        ),
        ("train-cross-encoder", "empty file"): cmd(
            "cannot be read as CSV", "train-cross-encoder", "--data", "{t}/empty.csv", "--output-dir", "{t}/c", *RERANK
        ),
        ("train-cross-encoder", "empty text"): cmd(
            "empty or missing text", "train-cross-encoder", "--data", "{t}/pairs_holes.jsonl", "--output-dir", "{t}/c", *RERANK
        ),
        ("train-cross-encoder", "label outside the label map"): cmd(
            "numbers in [0, 1]", "train-cross-encoder", "--data", "{t}/ce_label3.csv", "--output-dir", "{t}/c", *RERANK
        ),
        ("train-cross-encoder", "single class"): cmd(
            "single class", "train-cross-encoder", "--data", "{t}/ce_one_class.csv", "--output-dir", "{t}/c", *RERANK
        ),
        ("train-cross-encoder", "non-UTF-8 bytes"): cmd(
            "not UTF-8", "train-cross-encoder", "--data", "{t}/latin1.csv", "--output-dir", "{t}/c", *RERANK
        ),
        ("train-cross-encoder", "malformed config"): cmd(
            "is not valid JSON", "train-cross-encoder", "--config", "{t}/broken.json"
        ),
        ("train-cross-encoder", "output exists"): cmd(
            "already holds files", "train-cross-encoder", "--data", "{t}/pairs.jsonl", "--output-dir", "{t}/taken", *RERANK
        ),
        ("train-cross-encoder", "output not writable"): cmd(
            "is a file", "train-cross-encoder", "--data", "{t}/pairs.jsonl", "--output-dir", "{t}/a_file/c", *RERANK
        ),
        # search
        ("search", "missing file"): cmd("no such file", "search", "{tiny}", "--corpus", "{t}/nowhere.txt", "query"),
        ("search", "missing column"): cmd("no column 'text'", "search", "{tiny}", "--corpus", "{t}/no_text.csv", "query"),
        ("search", "empty file"): cmd("holds no text", "search", "{tiny}", "--corpus", "{t}/empty.txt", "query"),
        ("search", "empty text"): cmd("is empty in 1 row(s)", "search", "{tiny}", "--corpus", "{t}/holes.csv", "query"),
        ("search", "label outside the label map"): NO_LABELS_CMD,
        ("search", "single class"): NO_LABELS_CMD,
        ("search", "non-UTF-8 bytes"): cmd("not UTF-8", "search", "{tiny}", "--corpus", "{t}/latin1.txt", "query"),
        ("search", "malformed config"): cmd("is not valid JSON", "search", "--config", "{t}/broken.json"),
        ("search", "output exists"): NotApplicable("search writes only its embedding cache, which it is meant to reuse"),
        ("search", "output not writable"): NotApplicable(
            "search still answers when its cache cannot be written (it warns); tested in test_cli_pipeline"
        ),
        # run / data / exercises / env
        ("run", "missing file"): cmd("no such notebook", "run", "{t}/nowhere.ipynb", "--build-dir", "{t}/build"),
        ("run", "missing column"): NotApplicable("run executes notebooks; it reads no table"),
        ("run", "empty file"): cmd("not a notebook", "run", "{t}/empty.txt", "--build-dir", "{t}/build"),
        ("run", "empty text"): NotApplicable("run reads no table"),
        ("run", "label outside the label map"): NO_LABELS_CMD,
        ("run", "single class"): NO_LABELS_CMD,
        ("run", "non-UTF-8 bytes"): cmd("not a notebook", "run", "{t}/latin1.txt", "--build-dir", "{t}/build"),
        ("run", "malformed config"): NO_CONFIG_CMD,
        ("run", "output exists"): NotApplicable("re-running the course into its build folder is the point of `make course`"),
        ("run", "output not writable"): cmd("is a file", "run", "{t}/tiny.ipynb", "--build-dir", "{t}/a_file/build"),
        ("data", "missing file"): NotApplicable(
            "a missing dataset is a row 'NOT FOUND ... Fix: ...' of the table, and exit status 1 (test_cli)"
        ),
        ("data", "missing column"): NotApplicable("the loaders' rows cover each dataset's files"),
        ("data", "empty file"): NotApplicable("the loaders' rows cover each dataset's files"),
        ("data", "empty text"): NotApplicable("the loaders' rows cover each dataset's files"),
        ("data", "label outside the label map"): NotApplicable("the loaders' rows cover each dataset's files"),
        ("data", "single class"): NotApplicable("the loaders' rows cover each dataset's files"),
        ("data", "non-UTF-8 bytes"): NotApplicable("the loaders' rows cover each dataset's files"),
        ("data", "malformed config"): NO_CONFIG_CMD,
        ("data", "output exists"): WRITES_NOTHING,
        ("data", "output not writable"): WRITES_NOTHING,
        ("exercises", "missing file"): cmd(
            "no solution notebooks", "exercises", "--solutions", "{t}/nowhere", "--exercises", "{t}/ex"
        ),
        ("exercises", "missing column"): NotApplicable("exercises reads notebooks, not tables"),
        ("exercises", "empty file"): NotApplicable("covered by the unbalanced-marker check of strip_solutions (test_course)"),
        ("exercises", "empty text"): NotApplicable("exercises reads notebooks, not tables"),
        ("exercises", "label outside the label map"): NO_LABELS_CMD,
        ("exercises", "single class"): NO_LABELS_CMD,
        ("exercises", "non-UTF-8 bytes"): NotApplicable("notebooks are JSON, UTF-8 by definition; nbformat's own error applies"),
        ("exercises", "malformed config"): NO_CONFIG_CMD,
        ("exercises", "output exists"): NotApplicable("regenerating exercises/ over the old copies is the point of the command"),
        ("exercises", "output not writable"): NotApplicable("exercises/ is a folder of the repository"),
        **{("env", kind): NotApplicable("env takes no input and writes nothing") for kind in KINDS},
    }
)

# export and publish read a folder written by train-classifier and write a new folder
for _command in ("export", "publish"):
    MATRIX.update(
        {
            (_command, "missing file"): cmd("no such model folder", _command, "{t}/nowhere", "--output", "{t}/o"),
            (_command, "missing column"): NotApplicable(f"{_command} reads a model folder, not a table"),
            # the closest thing to an empty input: a folder that holds no saved classifier
            (_command, "empty file"): cmd("not a saved classifier", _command, "{t}/taken", "--output", "{t}/o"),
            (_command, "empty text"): NotApplicable(f"{_command} reads no texts"),
            (_command, "label outside the label map"): NO_LABELS_CMD,
            (_command, "single class"): NO_LABELS_CMD,
            (_command, "non-UTF-8 bytes"): NotApplicable("the model folder's files are written by train-classifier"),
            (_command, "malformed config"): cmd("is not valid JSON", _command, "--config", "{t}/broken.json"),
            (_command, "output exists"): cmd("holds files", _command, "{clf}", "--output", "{t}/taken"),
            (_command, "output not writable"): cmd("is a file", _command, "{clf}", "--output", "{t}/a_file/o"),
        }
    )


def _with_flags(cell, flags: tuple):
    # The plain command's case with the variant's flags appended (the same bad input, the same expected message).
    if not isinstance(cell, Case):
        return cell
    return Case(lambda tmp, fx: [*cell.make(tmp, fx), *flags], cell.expect)


for _variant, _flags in VARIANT_FLAGS.items():
    MATRIX.update({(_variant, kind): _with_flags(MATRIX[("train-classifier", kind)], _flags) for kind in KINDS})


def test_the_matrix_is_complete():
    expected = {(target, kind) for target in (*LOADERS, *COMMANDS) for kind in KINDS}
    assert set(MATRIX) == expected, sorted(expected ^ set(MATRIX))


CASES = sorted(key for key, cell in MATRIX.items() if isinstance(cell, Case))


@pytest.fixture(scope="module")
def command_fixtures(tiny_bert_dir, trained_toy):
    return {"tiny": str(tiny_bert_dir), "clf": str(trained_toy[1])}


@pytest.mark.parametrize("target, kind", CASES, ids=[f"{t} | {k}" for t, k in CASES])
def test_bad_input(target, kind, tmp_path, monkeypatch, capsys, request):
    cell = MATRIX[(target, kind)]
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)  # default output folders land in the temp folder
    if target in COMMANDS:
        _files(tmp_path)
        argv = cell.make(tmp_path, request.getfixturevalue("command_fixtures"))
        capsys.readouterr()  # the fixtures' own progress bars
        assert main(argv) == 2, f"{argv} did not fail"
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"ftcourse {target.split()[0]}: error:") and len(err.splitlines()) == 1, err
        assert cell.expect in err and "Fix" in err, err
        return
    load = cell.make(tmp_path, {})
    if cell.dropped:
        with pytest.warns(UserWarning, match=f"dropped {cell.dropped} row"):
            df = load()
        assert sum(df.attrs["dropped_rows"].values()) == cell.dropped
        return
    with pytest.raises(FtcourseError) as error:  # DataError for data, UsageError for a config file
        load()
    message = str(error.value)
    assert cell.expect in message and "Fix" in message, message
    if target.startswith("load_dataset"):
        assert str(tmp_path) in message, message  # names the file


@pytest.mark.parametrize(
    ("flags", "expect"),
    [
        (["--rerank", "{t}/nowhere"], "no such reranker folder"),
        (["--rerank", "{tiny}"], "is not a cross-encoder"),  # a bi-encoder would rerank with a random head
        (["--rerank", "{tiny}", "--top-k", "5", "--candidates", "3"], "below --top-k"),
        (["--rerank", "{tiny}", "--candidates", "0"], "candidates"),
    ],
)
def test_search_rerank_refuses_what_cannot_rerank(flags, expect, tmp_path, monkeypatch, capsys, tiny_bert_dir):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "corpus.txt").write_text("the cat sat\na dog\n")
    argv = ["search", str(tiny_bert_dir), "--corpus", str(tmp_path / "corpus.txt"), "a query"]
    argv += [f.format(t=tmp_path, tiny=tiny_bert_dir) for f in flags]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ftcourse search: error:") and len(err.splitlines()) == 1, err
    assert expect in err and "Fix" in err, err


def test_an_unwritable_folder_is_refused_before_any_work(tmp_path, capsys, monkeypatch):
    if os.geteuid() == 0:
        pytest.skip("root may write anywhere; the 'parent is a file' cases cover unwritable outputs")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert main(["prepare-data", "--input", str(tmp_path / "x.csv"), "--output", str(locked / "clean")]) == 2
    assert "cannot be written" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# Flags whose values are checked beyond their type: a bad value on the command line (argparse's
# choices) or in a --config file (the package's own check) stops the command with one clear line.

FLAG_CASES = {
    ("predict", "--report file exists"): ("already exists", ("predict", "{clf}", "some text", "--report", "{t}/taken.csv")),
    ("predict", "--report not writable"): ("is a file", ("predict", "{clf}", "some text", "--report", "{t}/a_file/r.json")),
    ("train-classifier", "--report-to an online tracker"): (
        "invalid choice: 'wandb'",
        ("train-classifier", "--data", "{t}/good.csv", "--report-to", "wandb", *TRAIN),
    ),
    ("train-classifier", "report_to in --config"): (
        "report_to='wandb' is not supported",
        ("train-classifier", "--data", "{t}/good.csv", "--label-columns", "toxic,insult", "--config", "{t}/wandb.json", *TRAIN),
    ),
    ("train-embedder", "--report-to an online tracker"): (
        "invalid choice: 'wandb'",
        ("train-embedder", "--data", "{t}/pairs.jsonl", "--report-to", "wandb", *EMBED),
    ),
    ("train-embedder", "report_to in --config"): (
        "report_to='wandb' is not supported",
        ("train-embedder", "--data", "{t}/pairs.jsonl", "--config", "{t}/wandb.json", *EMBED),
    ),
}


@pytest.mark.parametrize("command, flag", sorted(FLAG_CASES), ids=[f"{c} | {f}" for c, f in sorted(FLAG_CASES)])
def test_bad_flag_value(command, flag, tmp_path, monkeypatch, capsys, command_fixtures):
    expect, argv = FLAG_CASES[(command, flag)]
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)
    _files(tmp_path)
    (tmp_path / "wandb.json").write_text('{"report_to": "wandb"}')
    argv = [part.format(t=tmp_path, **command_fixtures) for part in argv]
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as stop:  # argparse refuses a value outside the flag's choices itself
        code = stop.code
    assert code == 2, f"{argv} did not fail"
    err = capsys.readouterr().err.strip()
    last = err.splitlines()[-1]
    assert last.startswith(f"ftcourse {command}: error:") and expect in last, err
    assert "Fix" in last or "choose from" in last, err  # the fix: the choices, or the message's own Fix
