"""Exercises are generated from solutions; solutions pass their checks; exercises stop at their first stub."""

import hashlib
import json

import nbformat
import pytest
from papermill.exceptions import PapermillExecutionError

from ftcourse.exercises import MANIFEST, STUB, generate_exercises
from ftcourse.notebooks import list_notebooks, run_notebook
from tests.conftest import REPO_ROOT

SOLUTIONS = [
    "solutions/01_when_to_fine_tune_exercise.ipynb",
    "solutions/02_data_formats_exercise.ipynb",
    "solutions/03_classification_losses_exercise.ipynb",
    "solutions/04_contrastive_losses_exercise.ipynb",
    "solutions/05_similarity_regression_exercise.ipynb",
    "solutions/06_triplet_losses_exercise.ipynb",
    "solutions/07_multiple_negatives_ranking_exercise.ipynb",
    "solutions/08_evaluation_exercise.ipynb",
    "solutions/09_class_imbalance_exercise.ipynb",
    "solutions/10_toxicity_milestone_exercise.ipynb",
    "solutions/11_training_loop_exercise.ipynb",
    "solutions/12_cross_encoders_exercise.ipynb",
    "solutions/13_data_centric_exercise.ipynb",
    "solutions/14_little_data_exercise.ipynb",
    "solutions/15_shipping_exercise.ipynb",
]


def test_every_lesson_has_an_exercise():
    lessons = {p.name.split("_")[0] for p in list_notebooks(REPO_ROOT / "notebooks")} - {"00"}
    exercises = {p.name.split("_")[0] for p in list_notebooks(REPO_ROOT / "solutions")}
    assert lessons <= exercises, f"lessons without an exercise: {sorted(lessons - exercises)}"
    assert sorted(str(p.relative_to(REPO_ROOT)) for p in list_notebooks(REPO_ROOT / "solutions")) == SOLUTIONS


def test_exercises_are_in_sync_with_solutions(tmp_path):
    generate_exercises(REPO_ROOT / "solutions", tmp_path)
    committed = sorted(p.name for p in (REPO_ROOT / "exercises").glob("*.ipynb"))
    assert committed == sorted(p.name for p in tmp_path.glob("*.ipynb")), "run `make exercises` and commit exercises/"
    for name in committed:
        fresh = json.loads((tmp_path / name).read_text())
        shipped = json.loads((REPO_ROOT / "exercises" / name).read_text())
        assert fresh == shipped, f"exercises/{name} differs from its solution: run `make exercises` and commit"
    # The committed manifest knows every shipped exercise, so `make exercises` in a fresh checkout replaces them after a solution
    # changes instead of taking them for a learner's work.
    manifest = json.loads((REPO_ROOT / "exercises" / MANIFEST).read_text())
    for name in committed:
        digest = hashlib.sha256((REPO_ROOT / "exercises" / name).read_text(encoding="utf-8").encode("utf-8")).hexdigest()
        assert manifest.get(name) == digest, (
            f"exercises/{MANIFEST} does not record exercises/{name}: run `make exercises` and commit"
        )


def test_exercises_contain_no_answers():
    for path in (REPO_ROOT / "exercises").glob("*.ipynb"):
        text = path.read_text()
        assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
        assert "NotImplementedError" in text


@pytest.mark.notebook
@pytest.mark.parametrize("solution", SOLUTIONS)
def test_solution_runs_and_passes_its_checks(solution, data_dir, tmp_path):
    run = run_notebook(REPO_ROOT / solution, tmp_path / "executed", tmp_path / "outputs", profile="fast")
    assert run.metrics, f"{solution} wrote no metrics.json"
    executed = nbformat.read(str(run.executed), as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", []))
    # Every check call (Parts A, B and C) prints one "Correct:" line when it passes, and raises otherwise.
    calls = sum(
        line.lstrip().startswith("checks.check_")
        for c in executed.cells
        if c.cell_type == "code"
        for line in c.source.splitlines()
    )
    assert calls >= 1 and printed.count("Correct:") >= calls, f"{solution}: {printed.count('Correct:')} checks passed of {calls}"


@pytest.mark.notebook
@pytest.mark.parametrize("solution", SOLUTIONS)
def test_exercise_stops_at_its_first_stub(solution, data_dir, tmp_path):
    exercise = REPO_ROOT / "exercises" / solution.split("/")[1]
    with pytest.raises(PapermillExecutionError) as info:
        run_notebook(exercise, tmp_path / "executed", tmp_path / "outputs", profile="fast")
    assert info.value.ename == "NotImplementedError", (
        f"{exercise.name} failed earlier, with {info.value.ename}: {info.value.evalue}"
    )
    executed = nbformat.read(str(tmp_path / "executed" / exercise.name), as_version=4)
    code_cells = [c for c in executed.cells if c.cell_type == "code"]
    first_stub = next(i for i, c in enumerate(code_cells) if STUB.splitlines()[0] in c.source)
    failing = next(i for i, c in enumerate(code_cells) if any(o.get("output_type") == "error" for o in c.get("outputs", [])))
    # The stub is inside a function: the first call of it is the check cell right after.
    assert failing in (first_stub, first_stub + 1)
