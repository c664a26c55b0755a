"""Exercises from solutions: the single source is ``solutions/``; answers between markers become stubs."""

from __future__ import annotations

import os
from pathlib import Path

from ftcourse.errors import DataError, UsageError
from ftcourse.notebooks import REPO_ROOT, list_notebooks

SOLUTION_BEGIN = "### BEGIN SOLUTION"


SOLUTION_END = "### END SOLUTION"


STUB = '# YOUR CODE HERE\nraise NotImplementedError("Replace this line with your code, then run the check cell below.")'


def strip_solutions(source: str) -> str:
    """Replace each ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` block by a stub that raises.

    The stub keeps the indentation of the ``BEGIN`` marker, so a solution inside a function body
    becomes a stub inside the same body.

    Raises:
        ValueError: a ``BEGIN`` marker without its ``END`` (or the reverse).
    """
    out, inside, indent = [], False, ""
    for line in source.splitlines():
        marker = line.strip()
        if marker == SOLUTION_BEGIN:
            if inside:
                raise UsageError(f"nested {SOLUTION_BEGIN!r} markers")
            inside, indent = True, line[: len(line) - len(line.lstrip())]
            out.extend(indent + stub_line for stub_line in STUB.splitlines())
        elif marker == SOLUTION_END:
            if not inside:
                raise UsageError(f"{SOLUTION_END!r} without {SOLUTION_BEGIN!r}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise UsageError(f"{SOLUTION_BEGIN!r} without {SOLUTION_END!r}")
    return "\n".join(out)


def make_exercise(solution: str | os.PathLike, exercise: str | os.PathLike) -> Path:
    """Write the learner's version of a solution notebook: answers stubbed, outputs cleared."""
    import nbformat

    nb = nbformat.read(str(solution), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            try:
                cell.source = strip_solutions(cell.source)
            except ValueError as exc:
                raise UsageError(f"{solution}: cell {cell.get('id', '?')}: {exc}") from None
            cell.outputs = []
            cell.execution_count = None
    exercise = Path(exercise)
    exercise.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(exercise))
    return exercise


def generate_exercises(
    solutions_dir: str | os.PathLike = REPO_ROOT / "solutions", exercises_dir: str | os.PathLike = REPO_ROOT / "exercises"
) -> list[Path]:
    """Regenerate every ``exercises/*.ipynb`` from ``solutions/`` (the single source of truth).

    Raises:
        DataError: ``solutions_dir`` holds no solution notebook.
    """
    solutions = list_notebooks(solutions_dir) if Path(solutions_dir).is_dir() else []
    if not solutions:
        raise DataError(
            f"{solutions_dir}: no solution notebooks (NN_*.ipynb) found. Fix: pass --solutions with the repository's solutions/ folder."
        )
    return [make_exercise(path, Path(exercises_dir) / path.name) for path in solutions]
