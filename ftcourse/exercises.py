"""Exercises from solutions: the single source is ``solutions/``; answers between markers become stubs."""

from __future__ import annotations

import ast
import hashlib
import os
import re
import textwrap
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


def _solution_blocks(source: str) -> list[tuple[bool, str]]:
    """(at top level?, dedented text) of each solution block of a cell; markers assumed paired (strip_solutions checks)."""
    blocks, lines, indent = [], None, ""
    for line in source.splitlines():
        if line.strip() == SOLUTION_BEGIN:
            lines, indent = [], line[: len(line) - len(line.lstrip())]
        elif line.strip() == SOLUTION_END and lines is not None:
            blocks.append((indent == "", textwrap.dedent("\n".join(lines))))
            lines = None
        elif lines is not None:
            lines.append(line)
    return blocks


def _parse(source: str) -> ast.Module | None:
    # IPython magics and shell lines are not Python; a cell that still does not parse is left out of the audit.
    kept = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    try:
        return ast.parse(kept)
    except SyntaxError:
        return None


def _bound_names(tree: ast.AST, top_level_only: bool = False) -> set[str]:
    """Names a piece of code binds (assignments, loop targets, defs, imports); ``top_level_only``: module level only."""
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    names = set()
    for node in nodes:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif top_level_only and isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.With)):
            names.update(_bound_names(node))
    return names


def _literal_keys(tree: ast.AST) -> set[str]:
    """String keys the code writes: keys of dict displays and of subscript assignments (``d["key"] = ...``)."""
    keys = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            keys.update(k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str))
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store):
            if isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
                keys.add(node.slice.value)
    return keys


def stripped_task_data(cells: list) -> list[str]:
    """What the learner's copy would lack: task data that exists only inside solution blocks.

    Two rules, on a notebook's cells (``nbformat`` cells of the solution):

    * a name bound at the top level of a solution block and read by a later cell must either be bound
      outside every solution block too, or be the learner's task: named in backticks in a markdown cell
      above (``## Task: fill in `choices```);
    * a string key the solution writes (``{"key": ...}``, ``d["key"] = ...``) names the shape the check
      expects, so it must appear somewhere in the learner's copy (a cell outside the solution blocks).

    Returns:
        One message per problem (empty when the learner's copy holds everything the task needs).
    """
    learner = [(cell.cell_type, strip_solutions(cell.source) if cell.cell_type == "code" else cell.source) for cell in cells]
    learner_text = "\n".join(text for _, text in learner)
    learner_trees = [_parse(text) if kind == "code" else None for kind, text in learner]
    bound_outside = set().union(*(_bound_names(tree) for tree in learner_trees if tree is not None))
    problems = []
    for number, cell in enumerate(cells):
        if cell.cell_type != "code":
            continue
        announced = {
            name for kind, text in learner[:number] if kind == "markdown" for name in re.findall(r"`([A-Za-z_]\w*)", text)
        }
        read_later = {
            node.id
            for tree in learner_trees[number:]
            if tree is not None
            for node in ast.walk(tree)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
        }
        for top_level, block in _solution_blocks(cell.source):
            tree = _parse(block)
            if tree is None:
                continue
            hidden = (_bound_names(tree, top_level_only=True) if top_level else set()) & read_later
            problems += [
                f"cell {number + 1}: `{name}` is defined only in the solution and read later, but no task above names it"
                for name in sorted(hidden - bound_outside - announced)
            ]
            problems += [
                f"cell {number + 1}: the key {key!r} is written only in the solution; the learner cannot guess it"
                for key in sorted(_literal_keys(tree))
                if key not in learner_text
            ]
    return problems


def exercise_text(solution: str | os.PathLike) -> str:
    """The learner's version of a solution notebook, as notebook text: answers stubbed, outputs cleared.

    Raises:
        DataError: the notebook cannot be read, a cell's solution markers do not pair up, or the solution
            holds task data the learner's copy would lack (:func:`stripped_task_data`).
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
                strip_solutions(cell.source)  # each cell's markers checked first, so the error names the cell
            except DataError as exc:
                raise DataError(f"{Path(solution).name}: cell {number} (id {cell.get('id', '?')}): {exc}") from None
    problems = stripped_task_data(nb.cells)
    if problems:
        raise DataError(
            f"{Path(solution).name}: the exercise would lack what its task needs: {'; '.join(problems)}. Fix: move the task "
            "data (the list, the keys) into a cell or line outside the solution markers, or name the learner's answer in the "
            "task's markdown (`name`)."
        )
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source)
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
