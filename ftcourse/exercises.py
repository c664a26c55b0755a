"""Exercises from solutions: the single source is ``solutions/``; answers between markers become stubs."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ftcourse.errors import DataError
from ftcourse.files import read_json, write_json
from ftcourse.notebooks import REPO_ROOT, list_notebooks

SOLUTION_BEGIN = "### BEGIN SOLUTION"


SOLUTION_END = "### END SOLUTION"


STUB = '# YOUR CODE HERE\nraise NotImplementedError("Replace this line with your code, then run the check cell below.")'


MANIFEST = ".generated.json"  # in the exercises folder: {notebook name: SHA-256 of the text we generated}


def strip_solutions(source: str) -> str:
    """Replace each ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` block by a stub that raises.

    The stub keeps the indentation of the ``BEGIN`` marker, so a solution inside a function body
    becomes a stub inside the same body.

    Raises:
        DataError: a ``BEGIN`` marker without its ``END``, the reverse, or nested markers.
    """
    out, inside, indent = [], False, ""
    for line in source.splitlines():
        marker = line.strip()
        if marker == SOLUTION_BEGIN:
            if inside:
                raise DataError(f"nested {SOLUTION_BEGIN!r} markers. Fix: close the first block with {SOLUTION_END!r}.")
            inside, indent = True, line[: len(line) - len(line.lstrip())]
            out.extend(indent + stub_line for stub_line in STUB.splitlines())
        elif marker == SOLUTION_END:
            if not inside:
                raise DataError(f"{SOLUTION_END!r} without {SOLUTION_BEGIN!r}. Fix: add the missing {SOLUTION_BEGIN!r} above it.")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise DataError(f"{SOLUTION_BEGIN!r} without {SOLUTION_END!r}. Fix: add the missing {SOLUTION_END!r} after the answer.")
    return "\n".join(out)


def exercise_text(solution: str | os.PathLike) -> str:
    """The learner's version of a solution notebook, as notebook text: answers stubbed, outputs cleared.

    Raises:
        DataError: the notebook cannot be read, or a cell's solution markers do not pair up.
    """
    import nbformat

    try:
        nb = nbformat.read(str(solution), as_version=4)
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds for a broken file
        raise DataError(
            f"{solution}: is not a readable notebook ({type(exc).__name__}). Fix: repair or replace the file."
        ) from None
    for number, cell in enumerate(nb.cells, 1):
        if cell.cell_type == "code":
            try:
                cell.source = strip_solutions(cell.source)
            except DataError as exc:
                raise DataError(f"{Path(solution).name}: cell {number} (id {cell.get('id', '?')}): {exc}") from None
            cell.outputs = []
            cell.execution_count = None
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def make_exercise(solution: str | os.PathLike, exercise: str | os.PathLike) -> Path:
    """Write the learner's version of a solution notebook (:func:`exercise_text`)."""
    exercise = Path(exercise)
    exercise.parent.mkdir(parents=True, exist_ok=True)
    exercise.write_text(exercise_text(solution), encoding="utf-8")
    return exercise


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def generate_exercises(
    solutions_dir: str | os.PathLike = REPO_ROOT / "solutions",
    exercises_dir: str | os.PathLike = REPO_ROOT / "exercises",
    force: bool = False,
) -> list[Path]:
    """Regenerate every ``exercises/*.ipynb`` from ``solutions/`` (the single source of truth).

    Every solution is checked before any exercise is written. An exercise the learner changed (its text
    is neither what we generated last, as recorded in ``exercises/.generated.json``, nor what we would
    generate now) is not replaced unless ``force``.

    Raises:
        DataError: no solution notebook, a solution whose markers do not pair up, or (without ``force``)
            an exercise changed by the learner.
    """
    solutions = list_notebooks(solutions_dir) if Path(solutions_dir).is_dir() else []
    if not solutions:
        raise DataError(
            f"{solutions_dir}: no solution notebooks (NN_*.ipynb) found. Fix: pass --solutions with the repository's solutions/ folder."
        )
    exercises_dir = Path(exercises_dir)
    texts = {path.name: exercise_text(path) for path in solutions}
    manifest = read_json(exercises_dir / MANIFEST)
    changed = [
        name
        for name, text in texts.items()
        if (exercises_dir / name).is_file()
        and _digest((exercises_dir / name).read_text(encoding="utf-8")) not in (manifest.get(name), _digest(text))
    ]
    if changed and not force:
        raise DataError(
            f"{exercises_dir}: {', '.join(changed)} changed since it was generated (your work?); it is left as it is. "
            "Fix: move or rename it to keep it, or pass --force to replace it with a fresh exercise."
        )
    written = []
    for name, text in texts.items():
        (exercises_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (exercises_dir / name).write_text(text, encoding="utf-8")
        written.append(exercises_dir / name)
    write_json(exercises_dir / MANIFEST, {**manifest, **{name: _digest(text) for name, text in texts.items()}}, sort_keys=True)
    return written
