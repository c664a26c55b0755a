"""Reading and writing files: JSON (atomic), JSONL, tables and text lists, and the check that an
output can be written before any work starts."""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from ftcourse.errors import DataError, UsageError

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


# Every folder a training command writes into carries this marker (the command, when it started, when it
# finished): --overwrite and --resume act only on folders that hold it, never on a user's own files.
RUN_MARKER = ".ftcourse-run.json"
# Created with O_EXCL while a run writes into its folder (holds the pid): a second run into the same folder is refused.
RUN_LOCK = ".ftcourse-run.lock"


def run_marker(folder: str | os.PathLike) -> dict | None:
    """The marker of the ftcourse run in ``folder`` (``{"command", "started", "finished", ...}``), or None."""
    path = Path(folder).expanduser() / RUN_MARKER
    try:
        marker = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) else None


def _lock_owner(folder: Path) -> int | None:
    # The pid of a live run holding the folder's lock, else None (no lock, or one left by a killed run).
    try:
        pid = int((folder / RUN_LOCK).read_text().strip())
    except (OSError, ValueError):
        return None
    if pid == os.getpid():
        return pid
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


def _check_folder(path: Path, overwrite: bool, resume: bool, flag: str, ours_only: bool) -> None:
    if path.exists() and not path.is_dir():
        raise DataError(f"{flag} {path}: is a file, not a folder. Fix: pass a folder name to {flag}.")
    if not path.is_dir() or not any(path.iterdir()):
        return
    owner = _lock_owner(path)
    if owner is not None:
        raise UsageError(
            f"{flag} {path}: in use by another run (pid {owner}). Fix: wait for it to finish, or pass another {flag}."
        )
    if ours_only and run_marker(path) is None:
        raise UsageError(
            f"{flag} {path}: already holds files that no ftcourse run wrote (no {RUN_MARKER}); they are left alone, "
            f"whatever the flags. Fix: pass another {flag} (a new or empty folder)."
        )
    if not (overwrite or resume):
        raise DataError(
            f"{flag} {path}: already holds files from an earlier run. Fix: pass --resume to continue that run, "
            f"--overwrite to replace its files, or another {flag}."
        )


def check_output(
    path: str | os.PathLike,
    kind: str = "folder",
    overwrite: bool = False,
    resume: bool = False,
    flag: str = "--output",
    ours_only: bool = True,
) -> Path:
    """Check, before any work is done, that a command can write its results to ``path``.

    A run that trains for an hour and then fails to save, or silently mixes its files with an
    earlier run's, is worse than one that refuses at once.

    Args:
        path: the output folder (``kind="folder"``) or file (``kind="file"``).
        kind: ``"folder"``: refuses a folder that already holds files unless ``overwrite`` or ``resume``,
            and (with ``ours_only``) any non-empty folder without our :data:`RUN_MARKER`, whatever the flags;
            a folder another run holds (:data:`RUN_LOCK`) is refused too. ``"file"``: refuses an existing
            file unless ``overwrite``; the file's folder is created (results are never computed and then lost).
        overwrite: the user asked to replace an earlier run's files.
        resume: the user asked to continue the run in that folder.
        flag: the option named in the error message.
        ours_only: only folders marked by an ftcourse run may be overwritten or resumed.

    Returns:
        The path (a folder is not created: :func:`output_run` makes and marks it when the run starts).

    Raises:
        DataError / UsageError: the path exists (and may not be replaced), is the wrong kind, is in use
            or cannot be written.
    """

    path = Path(path).expanduser()
    if kind == "folder":
        _check_folder(path, overwrite, resume, flag, ours_only)
        folder = path
    else:
        if path.is_dir():
            raise DataError(f"{flag} {path}: is a folder, not a file. Fix: pass a file name to {flag}.")
        if path.exists() and not overwrite:
            raise DataError(f"{flag} {path}: already exists. Fix: pass --overwrite to replace it, or another {flag}.")
        folder = path.parent
    # Probe the nearest folder that exists (a failed check leaves no trace).
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
    if kind == "file":
        folder.mkdir(parents=True, exist_ok=True)
    return path


def _take_lock(folder: Path, flag: str) -> None:
    # The lock appears with its pid already inside (written to a private file, then hard-linked into place, which fails
    # atomically when the lock exists): a lock created empty and filled a moment later was read as "left by a killed
    # run" by a second run starting at the same instant, which removed it and ran too.
    lock = folder / RUN_LOCK
    pending = folder / f"{RUN_LOCK}.{os.getpid()}"
    pending.write_text(str(os.getpid()))
    try:
        for _ in range(2):
            try:
                os.link(pending, lock)
                return
            except FileExistsError:
                owner = _lock_owner(folder)
                if owner is not None:
                    raise UsageError(
                        f"{flag} {folder}: in use by another run (pid {owner}). Fix: wait for it to finish, or pass another {flag}."
                    ) from None
                lock.unlink(missing_ok=True)  # left by a run that was killed
        raise UsageError(f"{flag} {folder}: in use by another run. Fix: wait for it to finish, or pass another {flag}.")
    finally:
        pending.unlink(missing_ok=True)


@contextmanager
def output_run(folder: str | os.PathLike, command: str, flag: str = "--output", **facts):
    """Make ``folder``, lock it (:data:`RUN_LOCK`, created atomically) and mark it as ``command``'s run
    (:data:`RUN_MARKER`: command, start time, ``facts``) for the duration of the ``with`` block.

    The marker records ``finished`` when the block ends without an error; the lock is removed however it ends.

    Raises:
        UsageError: another run holds the folder.
    """
    folder = Path(folder).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    _take_lock(folder, flag)
    marker = {"command": command, "started": _now(), "finished": None, "pid": os.getpid(), **to_jsonable(facts)}
    try:
        write_json(folder / RUN_MARKER, marker)
        yield folder
        write_json(folder / RUN_MARKER, {**marker, "finished": _now()})
    finally:
        (folder / RUN_LOCK).unlink(missing_ok=True)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


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
            # Strings as written: no missing-value words (a class named NA, a tweet "null"), no "007" -> 7.
            df = pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",", dtype=str, keep_default_na=False, na_values=[""])
            df = df.apply(_lossless_numbers)
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


_INTEGER = r"-?(?:0|[1-9][0-9]*)"


def _lossless_numbers(column: pd.Series) -> pd.Series:
    # A column read as strings becomes numbers only when nothing is lost: "7" -> 7 and "0.5" -> 0.5, but
    # "007", "1e3" or "+1" stay as written (they would print back differently).
    values = column.dropna()
    if len(values) == 0:
        return column
    if values.str.fullmatch(_INTEGER).all():
        return column.astype("int64") if len(values) == len(column) else column.astype(float)
    try:
        numbers = values.astype(float)
    except ValueError:
        return column
    if all(repr(n) == v for n, v in zip(numbers, values, strict=True)):
        return column.astype(float)
    return column


def _is_text(value) -> bool:
    # A string, or a whole number (taken as its digits: nothing is lost).
    return isinstance(value, str) or (isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)))


def refuse_non_texts(values, where: str, column: str) -> None:
    """Raise one :class:`DataError` naming ``where`` (a file), ``column`` and the first row whose value is
    present but not a text (an object, a list, a boolean, a decimal number): such values are refused, not stringified."""
    for row, value in enumerate(values):
        if value is None or (isinstance(value, float) and value != value) or _is_text(value):
            continue
        raise DataError(
            f"{where}: column {column!r} holds a value that is not a text in row {row} ({type(value).__name__} {str(value)[:60]!r}). "
            "Fix: make every value of that column a string (quote it in JSON), or remove those rows."
        )


def check_texts(values, where: str, column: str) -> list[str]:
    """``values`` as a list of texts, or one :class:`DataError` naming ``where`` and ``column``: a value that is not
    a text (:func:`refuse_non_texts`), or one that is missing, empty or only whitespace."""
    values = list(values)
    refuse_non_texts(values, where, column)
    texts = [str(v) if _is_text(v) else "" for v in values]
    blank = [row for row, text in enumerate(texts) if not text.strip()]
    if blank:
        raise DataError(
            f"{where}: column {column!r} is empty in {len(blank)} row(s) (blank or whitespace only; first: row {blank[0]}). "
            "Fix: remove those rows or fill in their text."
        )
    return texts


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
        texts = check_texts(df[text_column].tolist(), str(path), text_column)
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
