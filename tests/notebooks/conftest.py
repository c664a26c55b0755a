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


def check_effect(effect: dict, direction: str = "gain") -> None:
    """A lesson's ``effect`` block is complete and points the way the lesson teaches.

    ``direction="gain"``: the treatment scores above the baseline and the paired interval is not below 0
    (a short fast run may leave it touching 0; the reference run beside it says what more data shows).
    ``direction="clear gain"``: the interval must lie above 0.
    """
    from ftcourse.course import EFFECT_KEYS, verdict

    assert set(effect) == set(EFFECT_KEYS)  # write_metrics sorts the keys: the order is not part of the block
    low, high = effect["difference_ci"]
    assert low <= effect["treatment_score"] - effect["baseline_score"] <= high + 1e-9
    if direction in ("gain", "clear gain"):
        assert effect["treatment_score"] > effect["baseline_score"], effect
        assert verdict(effect) != "loss", effect
    if direction == "clear gain":  # lessons whose fast interval clears 0 by a wide margin (measured): it must stay above 0
        assert verdict(effect) == "gain", effect
