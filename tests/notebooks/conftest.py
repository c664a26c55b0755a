"""Run a notebook once per test session with papermill in the fast profile, into a temp dir."""

from __future__ import annotations

import pytest

from ftcourse.notebooks import run_notebook
from tests.conftest import REPO_ROOT

_cache: dict = {}


@pytest.fixture(scope="session")
def run_lesson(tmp_path_factory, data_dir):
    """``run_lesson("notebooks/00_setup.ipynb")`` -> NotebookRun (metrics in ``.metrics``)."""

    def _run(relative_path: str, **parameters):
        key = (relative_path, tuple(sorted(parameters.items())))
        if key not in _cache:
            root = tmp_path_factory.mktemp("nb")
            _cache[key] = run_notebook(
                REPO_ROOT / relative_path,
                root / "executed",
                root / "outputs",
                profile="fast",
                seed=42,
                extra_parameters=parameters,
            )
        return _cache[key]

    return _run
