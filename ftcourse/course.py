"""What every lesson imports: ``lesson_setup`` (seed, profile, output folder), ``write_metrics`` (the
lesson's key numbers in ``OUTPUT_DIR/metrics.json``, which the tests assert on), and the evidence
helpers: ``measure_effect`` (the lesson's claim, measured with a paired interval) and
``compare_with_reference`` (the learner's run beside the committed full-profile run)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from ftcourse.errors import DataError
from ftcourse.evaluation import paired_bootstrap
from ftcourse.files import read_json, write_json
from ftcourse.notebooks import REPO_ROOT
from ftcourse.profiles import get_profile
from ftcourse.runtime import seed_everything, use_cpu_bf16, use_cpu_bf16_inference, use_cpu_training_without_dropout

REFERENCE_DIR = REPO_ROOT / "notebooks" / "reference"  # one committed full-profile run per lesson: <lesson>.json
# Set by bench/reference_runs.py to the lesson it is running: that run becomes the reference, so its page must not be
# compared with the file it is about to replace.
MAKING_REFERENCE_ENV = "FTCOURSE_MAKING_REFERENCE"
EFFECT_KEYS = ("claim", "metric", "baseline", "treatment", "baseline_score", "treatment_score", "difference_ci")


def lesson_setup(profile: str = "fast", seed: int = 42, output_dir: str | os.PathLike = "outputs", **overrides):
    """The first call of every lesson: seed everything, pick the profile and its precision, create the output folder.

    Args:
        profile: ``"fast"`` or ``"full"`` (the notebook's ``PROFILE`` parameter).
        seed: the notebook's ``SEED``.
        output_dir: the notebook's ``OUTPUT_DIR``; created if missing.
        **overrides: profile fields to override (None values are ignored).

    Returns:
        ``(Profile, Path of the output folder)``.
    """
    chosen = get_profile(profile, **overrides)
    use_cpu_bf16(chosen.cpu_bf16)  # set on every call, so that a fast run after a full one in the same kernel trains in fp32
    use_cpu_training_without_dropout(chosen.cpu_no_dropout)  # likewise: a fast run after a full one trains with dropout
    use_cpu_bf16_inference(chosen.cpu_bf16_inference)  # likewise: only the lesson that asks for it infers in bfloat16
    seed_everything(seed)
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    return chosen, out


def write_metrics(output_dir: str | os.PathLike, metrics: dict) -> Path:
    """Write a lesson's key numbers to ``output_dir/metrics.json`` (the tests assert on this file).

    Numpy values are converted to plain numbers. Returns the file's path.
    """
    return write_json(Path(output_dir) / "metrics.json", metrics, sort_keys=True)


def measure_effect(
    claim: str,
    metric: str,
    baseline: str,
    treatment: str,
    y_true,
    baseline_pred,
    treatment_pred,
    score: Callable,
    n_resamples: int = 1000,
    seed: int = 0,
) -> dict:
    """The effect a lesson teaches, measured: treatment vs baseline on the same test rows.

    Args:
        claim: the lesson's claim in one sentence (what the treatment does to ``metric``).
        metric: the metric's name, e.g. ``"macro-F1"``.
        baseline, treatment: the two approaches' names.
        y_true: the gold labels (first axis = test rows); for per-row scores, anything with one row per score.
        baseline_pred, treatment_pred: each approach's predictions (or per-row scores) on those rows.
        score: ``score(y_true, pred) -> float``, higher is better (e.g. macro-F1, or the mean of per-query nDCG).
        n_resamples, seed: of the paired bootstrap (:func:`ftcourse.evaluation.paired_bootstrap`).

    Returns:
        ``{claim, metric, baseline, treatment, baseline_score, treatment_score, difference_ci}``:
        ``difference_ci`` is the 95 % paired-bootstrap interval of treatment minus baseline.
    """
    paired = paired_bootstrap(score, y_true, baseline_pred, treatment_pred, n_resamples=n_resamples, seed=seed)
    return {
        "claim": claim,
        "metric": metric,
        "baseline": baseline,
        "treatment": treatment,
        "baseline_score": paired["metric_a"],
        "treatment_score": paired["metric_b"],
        "difference_ci": [paired["low"], paired["high"]],
    }


def verdict(effect: dict) -> str:
    """``"gain"`` when the interval lies above 0, ``"loss"`` when below, ``"no clear difference"`` when it holds 0."""
    low, high = effect["difference_ci"]
    if low > 0:
        return "gain"
    if high < 0:
        return "loss"
    return "no clear difference"


def load_reference(lesson: str, folder: str | os.PathLike = REFERENCE_DIR) -> dict | None:
    """The committed full-profile run of ``lesson`` (e.g. ``"01_when_to_fine_tune"``), or None if there is none yet."""
    path = Path(folder) / f"{lesson}.json"
    try:
        reference = read_json(path, default=None)
    except ValueError as exc:  # json.JSONDecodeError: a hand-edited or cut-off file
        raise DataError(f"{path}: is not valid JSON ({exc}). Fix: re-create it with bench/reference_runs.py.") from None
    if reference and set(EFFECT_KEYS) - set(reference):
        missing = sorted(set(EFFECT_KEYS) - set(reference))
        raise DataError(f"{path}: lacks {missing}. Fix: re-create it with bench/reference_runs.py {lesson}.ipynb.")
    return reference or None


def compare_with_reference(effect: dict, lesson: str, folder: str | os.PathLike = REFERENCE_DIR) -> tuple[pd.DataFrame, str]:
    """The learner's run beside the lesson's committed reference run, and a reading generated from both.

    Returns:
        ``(table, reading)``: one row per run (scores, interval, verdict); the reading says whether the
        two runs reach the same verdict and, where they do not, why that can happen.
    """
    if os.environ.get(MAKING_REFERENCE_ENV) == lesson:
        table = pd.DataFrame({"this reference run": _summary(effect)})
        return table, (
            f"This run is the reference run of {lesson}: a learner's run of the lesson is compared with these numbers. "
            f"Its verdict: '{verdict(effect)}' for {effect['treatment']} against {effect['baseline']} on {effect['metric']}."
        )
    reference = load_reference(lesson, folder)
    runs = {"your run": effect} | (
        {f"reference ({reference.get('profile', '?')}, {reference.get('device', '?')})": reference} if reference else {}
    )
    table = pd.DataFrame({name: _summary(run) for name, run in runs.items()})
    if reference is None:
        return table, f"No reference run of {lesson} is committed yet: your run's verdict is '{verdict(effect)}'."
    mine, theirs = verdict(effect), verdict(reference)
    if mine == theirs:
        reading = f"Your run and the reference run agree: '{mine}' for {effect['treatment']} against {effect['baseline']} on {effect['metric']}."
    else:
        reading = (
            f"Your run says '{mine}', the reference run says '{theirs}'. The reference trains on more data for longer; a short run "
            "on a few hundred examples can hide a real effect (its interval is wide) or show one that more data removes. "
            + _what_moved(effect, reference)
        )
    return table, reading


def _summary(run: dict) -> dict:
    return {
        run["baseline"]: run["baseline_score"],
        run["treatment"]: run["treatment_score"],
        "difference, 95 % interval": f"[{run['difference_ci'][0]:+.3f}, {run['difference_ci'][1]:+.3f}]",
        "verdict": verdict(run),
    }


def _what_moved(mine: dict, reference: dict) -> str:
    # Which side of the comparison the larger run moved: the reason two verdicts differ, read from the numbers.
    gap_mine = mine["treatment_score"] - mine["baseline_score"]
    gap_reference = reference["treatment_score"] - reference["baseline_score"]
    baseline_moved = reference["baseline_score"] - mine["baseline_score"]
    treatment_moved = reference["treatment_score"] - mine["treatment_score"]
    mover = "baseline" if abs(baseline_moved) > abs(treatment_moved) else "treatment"
    return (
        f"From your run to the reference run the baseline moved {baseline_moved:+.3f} and the treatment {treatment_moved:+.3f}, "
        f"so the difference went from {gap_mine:+.3f} to {gap_reference:+.3f}: the {mover} is what changed most."
    )
