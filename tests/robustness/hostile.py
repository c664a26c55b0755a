"""Helpers of the hostile-input tests (issue 21): black-box, through ``ftcourse.cli.main`` only.

Nothing here imports ftcourse internals: the models are built with transformers directly (a 2-layer,
32-dim BERT saved from a config, as tests/conftest.py's ``word_bert_dir``), the data are written by
the helpers below, and the three classifiers (binary, multi-class, multi-label) are trained once per
session by ``ftcourse train-classifier`` itself, 1 epoch on a few dozen rows.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

# What these tests run under, set by the package-scoped fixture in conftest.py for tests/robustness only: this module is
# imported while pytest collects, and a variable set here would reach every notebook kernel the lesson tests start.
HOSTILE_ENVIRONMENT = {"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


@contextmanager
def one_torch_thread() -> Iterator[None]:
    """Train the tiny models on one thread (threads only add overhead at 32 dimensions), then restore the count.

    Scoped, not set at import: this module is imported while pytest collects, and a process-wide setting would reach every
    other test, and through OMP_NUM_THREADS every notebook kernel the lesson tests start.
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


GOOD = "the cat is good i love this movie great film ok".split()
BAD = "hate you bad awful not i am very".split()
WORDS = "the a cat dog sat on mat is good bad hate love you i am not very this that movie film great awful ok".split()

# 1 epoch, tiny batches, short texts: a few seconds per training on one CPU thread.
TINY = [
    "--epochs",
    "1",
    "--batch-size",
    "8",
    "--learning-rate",
    "1e-3",
    "--max-length",
    "16",
    "--test-size",
    "0.25",
    "--val-size",
    "0.25",
]


# ---------------------------------------------------------------------------------------------
# Running the command line.


class Result:
    """What one ``main(argv)`` call did: exit status, stdout, stderr (an uncaught exception is a traceback)."""

    def __init__(self, rc, out: str, err: str, exc: BaseException | None = None):
        self.rc, self.out, self.err, self.exc = rc, out, err, exc

    @property
    def text(self) -> str:
        return self.out + self.err

    def __repr__(self) -> str:  # shown by pytest when an assertion fails
        tail = "\n".join(self.text.strip().splitlines()[-12:])
        where = ""
        if self.exc is not None:
            frames = [f for f in traceback.extract_tb(self.exc.__traceback__) if "/ftcourse/" in f.filename]
            if frames:
                f = frames[-1]
                where = f", raised below ftcourse at {f.filename.split('/ftcourse/')[-1]}:{f.lineno} in {f.name}(): {type(self.exc).__name__}: {str(self.exc)[:200]}"
        return f"Result(rc={self.rc!r}{where}, last lines:\n{tail})"


def assert_clean_error(result: Result, *words) -> None:
    """Exit status 2, no traceback, the error on one line of stderr naming each of ``words``.

    A word may be a tuple of alternatives (any one of them must appear). Matching is case-insensitive.
    """
    assert "Traceback" not in result.text, f"a traceback instead of one clear line: {result!r}"
    assert result.rc == 2, f"expected exit status 2, got {result!r}"
    errors = [line for line in result.err.splitlines() if "error:" in line]
    assert len(errors) == 1, f"expected one error line on stderr, got {result.err!r}"
    line = errors[0].lower()
    for word in words:
        options = word if isinstance(word, tuple) else (word,)
        assert any(str(o).lower() in line for o in options), f"the error does not name {word!r}: {errors[0]!r}"
    assert "fix" in line, f"the error says no fix: {errors[0]!r}"


def assert_ok(result: Result) -> None:
    assert "Traceback" not in result.text and result.rc == 0, f"expected success: {result!r}"


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> bytes): compare before and after to prove nothing changed."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(Path(folder).rglob("*")) if p.is_file()}


# ---------------------------------------------------------------------------------------------
# Data helpers (public: tests build their own variants with them).


def text_rows(n: int, seed: int = 0) -> list[str]:
    """``n`` distinct short texts from the tiny vocabulary (a row number keeps copies apart)."""
    import random

    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(5)) + f" {i}" for i in range(n)]


def binary_frame(n: int = 40) -> pd.DataFrame:
    texts = text_rows(n, 1)
    return pd.DataFrame({"text": texts, "label": [i % 2 for i in range(n)]})


def multiclass_frame(n: int = 48, classes=("neg", "meh", "pos")) -> pd.DataFrame:
    texts = text_rows(n, 2)
    return pd.DataFrame({"text": texts, "label": [classes[i % len(classes)] for i in range(n)]})


def multilabel_frame(n: int = 48) -> pd.DataFrame:
    texts = text_rows(n, 3)
    return pd.DataFrame(
        {"text": texts, "toxic": [int(i % 2 == 0) for i in range(n)], "insult": [int(i % 4 == 0) for i in range(n)]}
    )


KINDS = {
    "binary": (binary_frame, "label"),
    "multiclass": (multiclass_frame, "label"),
    "multilabel": (multilabel_frame, "toxic,insult"),
}
