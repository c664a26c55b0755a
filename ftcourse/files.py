"""Reading and writing files: JSON (atomic), JSONL, tables and text lists, and the check that an
output can be written before any work starts."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from ftcourse.errors import DataError

# The JSONL training log both trainers write into their output folder (ftcourse.training reads and writes it);
# named here so that light modules (the command line) can name it without loading the training stack.
TRAINING_LOG_FILE = "training_log.jsonl"


def to_jsonable(value):
    """``value`` with numpy scalars and arrays, Paths and tuples turned into plain JSON values (recursively)."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def _default(value):
    # numpy and pandas scalars that to_jsonable does not reach (inside records of a DataFrame).
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def write_json(path: str | os.PathLike, data, sort_keys: bool = False) -> Path:
    """Write ``data`` as indented JSON, atomically: a reader never sees a half-written file.

    Args:
        path: the file; its folder is created if missing.
        data: anything :func:`to_jsonable` turns into JSON (numpy values included).
        sort_keys: sort the keys of every mapping.

    Returns:
        The path.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(to_jsonable(data), indent=2, sort_keys=sort_keys, default=_default), encoding="utf-8")
    tmp.replace(path)
    return path


def read_json(path: str | os.PathLike, default=None):
    """The JSON in ``path``; ``default`` (an empty dict when not given) if the file does not exist."""
    path = Path(path)
    if not path.is_file():
        return {} if default is None else default
    return json.loads(path.read_text(encoding="utf-8"))


def check_output(
    path: str | os.PathLike, kind: str = "folder", overwrite: bool = False, resume: bool = False, flag: str = "--output"
) -> Path:
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
        raise DataError(
            f"{flag} {path}: cannot be written ({exc.strerror or exc} in {existing}). Fix: pass a {flag} in a folder you can write to."
        ) from None
    return path


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read a table from a file: ``.csv``, ``.tsv``, ``.jsonl`` (one JSON object per line), ``.json`` (records) or ``.parquet``.

    Raises:
        DataError: the file is missing, empty, not UTF-8, of an unknown type or not parseable as its type.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise DataError(f"{path}: no such file. Fix: check the path.")
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
        raise DataError(
            f"{path}: cannot be read as {suffix[1:].upper()} ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__}). Fix: check the file's format."
        ) from None
    if len(df) == 0:
        raise DataError(f"{path}: has no rows.")
    return df


def read_texts(path: str | os.PathLike, text_column: str = "text") -> list[str]:
    """Texts to classify from a file: ``.txt`` (one per line) or a table (``.csv``/``.tsv``/``.jsonl``/``.json``/``.parquet``)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise DataError(
            f"{path}: no such file. Fix: pass a .txt file with one text per line, or a CSV with a {text_column!r} column."
        )
    if path.suffix.lower() == ".txt":
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError:
            raise DataError(f"{path}: is not UTF-8 text. Fix: re-save it as UTF-8.") from None
        texts = [line for line in lines if line.strip()]
        if len(texts) < len(lines):
            print(f"[ftcourse] {path}: skipped {len(lines) - len(texts)} blank line(s); {len(texts)} text(s) to classify")
    else:
        df = read_table(path)
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
        raise DataError(
            f"{path}: holds no text. Fix: put one text per line (.txt), or pass a table with a {text_column!r} column."
        )
    return texts


def write_jsonl(df: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write ``df`` as JSON lines (one record per row, UTF-8 kept as is), creating the folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_json(path, orient="records", lines=True, force_ascii=False)
    return path
