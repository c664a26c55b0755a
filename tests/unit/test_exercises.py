"""The generator of exercises: answers become stubs, and the learner's copy keeps the task's data."""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from ftcourse.errors import DataError
from ftcourse.exercises import STUB, exercise_text, strip_solutions, stripped_task_data
from ftcourse.notebooks import list_notebooks
from tests.conftest import REPO_ROOT

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


def _cells(*cells):
    return [new_markdown_cell(text[3:]) if text.startswith("md:") else new_code_cell(text) for text in cells]


def test_strip_solutions_keeps_the_indent_and_the_code_around():
    source = f"def f(x):\n    {BEGIN}\n    return x\n    {END}\n\nprint(f)"
    stripped = strip_solutions(source)
    assert "return x" not in stripped and "print(f)" in stripped
    assert all(f"    {line}" in stripped for line in STUB.splitlines())


def test_task_data_only_inside_a_solution_is_reported():
    # The old exercise 05: the keys the check needs existed only in the solution block.
    cells = _cells(
        "md:## Task: fill in `choices`", f'{BEGIN}\nchoices = {{"pairs with a score": "cosent"}}\n{END}', "check(choices)"
    )
    problems = stripped_task_data(cells)
    assert len(problems) == 1 and "'pairs with a score'" in problems[0]


def test_task_data_outside_the_solution_passes():
    cells = _cells(
        'descriptions = ["pairs with a score"]',
        "md:## Task: fill in `choices`",
        f'choices = dict.fromkeys(descriptions)\n{BEGIN}\nchoices["pairs with a score"] = "cosent"\n{END}',
        "check(choices)",
    )
    assert stripped_task_data(cells) == []


def test_a_name_defined_only_in_the_solution_must_be_the_task():
    hidden = _cells("md:## Task: write `f`", f"{BEGIN}\nrows = [1, 2, 3]\nf = len\n{END}", "check(f, rows)")
    problems = stripped_task_data(hidden)
    assert len(problems) == 1 and "`rows`" in problems[0]
    # Locals of a function body are the answer's own business; names never read later do not matter.
    inside = _cells("md:## Task: `f(x)`", f"def f(x):\n    {BEGIN}\n    y = {{'k': x}}['k']\n    return y\n    {END}", "check(f)")
    assert stripped_task_data(inside) == []


def test_the_generator_refuses_a_solution_that_hides_task_data(tmp_path):
    notebook = new_notebook(
        cells=_cells("md:## Task: `choices`", f'{BEGIN}\nchoices = {{"secret key": 1}}\n{END}', "check(choices)")
    )
    path = tmp_path / "05_x_exercise.ipynb"
    nbformat.write(notebook, str(path))
    with pytest.raises(DataError, match="05_x_exercise.ipynb.*'secret key'.*Fix:"):
        exercise_text(path)


@pytest.mark.parametrize("solution", list_notebooks(REPO_ROOT / "solutions"), ids=lambda p: p.name)
def test_no_solution_hides_its_task_data(solution):
    assert stripped_task_data(nbformat.read(str(solution), as_version=4).cells) == []
