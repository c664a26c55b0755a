"""Fast run beside reference run, per training lesson: do the learner's run and the full run reach the same verdict?

Reads the fast profile's measured effects (``bench/results/course_runtime_fast.json``, written by
``bench/course_runtime.py --profile fast``) and the committed full-profile reference runs (``notebooks/reference/``,
written by ``bench/reference_runs.py``). Writes ``bench/results/verdicts.md`` and ``.json``: per lesson, both scores, both
paired 95 % intervals, both verdicts, whether they agree, and the fast wall time.

Run (after the two scripts above):
    .venv/bin/python bench/verdicts.py
or, from the fast runs of a test session kept with ``PYTEST_ARGS="--basetemp=DIR"`` (each lesson's executed notebook and
``metrics.json`` under ``DIR``; the wall time is papermill's, recorded in the executed notebook):
    .venv/bin/python bench/verdicts.py --from-test-run DIR
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timezone
from pathlib import Path

from ftcourse.course import load_reference, verdict
from ftcourse.files import write_json
from ftcourse.notebooks import REPO_ROOT, list_notebooks

RESULTS = Path(__file__).resolve().parent / "results"
TRAINING_LESSONS = (
    "01_when_to_fine_tune",
    "03_classification_losses",
    "04_contrastive_losses",
    "05_similarity_regression",
    "06_triplet_losses",
    "07_multiple_negatives_ranking",
    "09_class_imbalance",
    "10_toxicity_milestone",
    "11_training_loop",  # dev-chosen hyperparameters vs the default recipe (issue of lesson 11)
    "12_cross_encoders",  # bi-encoder alone vs its top 10 reranked by a cross-encoder (issue 17)
    "13_data_centric",  # N/2 clean labels vs N labels with 30 % flipped, at the same labelling cost (issue 17)
    "14_little_data",  # SetFit vs a fine-tuned head at the smallest k (issue 18)
    "15_shipping",  # the shipping lesson measures its own effect (issue 16), beside the eight training lessons of issue 15
)


def _scores(effect: dict | None) -> str:
    if not effect:
        return "-"
    low, high = effect["difference_ci"]
    return f"{effect['treatment_score']:.3f} vs {effect['baseline_score']:.3f} [{low:+.3f}, {high:+.3f}]"


def lesson_row(lesson: str, fast_runs: dict) -> dict:
    """One lesson's fast and reference effects with their verdicts (None where a run is missing)."""
    run = fast_runs.get(lesson, {})
    fast = (run.get("metrics") or {}).get("effect")
    reference = load_reference(lesson)
    return {
        "lesson": lesson,
        "comparison": f"{fast['treatment']} vs {fast['baseline']}, {fast['metric']}" if fast else "-",
        "fast": _scores(fast),
        "fast verdict": verdict(fast) if fast else None,
        "fast seconds": run.get("seconds"),
        "fast measured": run.get("measured"),
        "reference": _scores(reference),
        "reference verdict": verdict(reference) if reference else None,
        "reference seconds": reference.get("seconds") if reference else None,
        # None when either run is missing: a lesson without a reference run neither agrees nor disagrees.
        "agree": (verdict(fast) == verdict(reference)) if fast and reference else None,
    }


def runs_from_test_session(folder: Path) -> dict:
    """Fast runs kept by a pytest session (``--basetemp``): lesson -> {"seconds", "measured", "metrics"}."""
    runs = {}
    for executed in sorted(folder.glob("**/executed/*.ipynb")):  # one folder per xdist worker under the basetemp
        metrics = executed.parent.parent / "outputs" / executed.stem / "metrics.json"
        if metrics.is_file():
            papermill = json.loads(executed.read_text())["metadata"].get("papermill", {})
            runs[executed.stem] = {
                "seconds": round(papermill.get("duration") or 0, 1),
                "measured": datetime.fromtimestamp(metrics.stat().st_mtime, timezone.utc).strftime("%Y-%m-%d %H:%M"),
                "metrics": json.loads(metrics.read_text()),
            }
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from-test-run", type=Path, help="a pytest --basetemp folder holding the lessons' fast runs")
    args = parser.parse_args()
    runtime = RESULTS / "course_runtime_fast.json"
    if args.from_test_run:
        fast_runs, source = runs_from_test_session(args.from_test_run), f"a test session's fast runs ({args.from_test_run})"
    else:
        fast_runs = json.loads(runtime.read_text())["notebooks"] if runtime.is_file() else {}
        source = f"`{runtime.relative_to(RESULTS.parent.parent)}`"
    rows = [lesson_row(lesson, fast_runs) for lesson in TRAINING_LESSONS]
    write_json(RESULTS / "verdicts.json", rows)
    columns = list(rows[0])
    lines = [
        "# Fast run beside reference run",
        "",
        "Treatment vs baseline score and the paired 95 % interval of the difference; verdict: gain / loss / no clear difference.",
        f"Fast runs: {source}; reference runs: `notebooks/reference/`.",
        "",
        "| " + " | ".join(columns) + " |",
        "|" + "---|" * len(columns),
    ]
    lines += ["| " + " | ".join("-" if row[c] is None else str(row[c]) for c in columns) + " |" for row in rows]
    paired = [row for row in rows if row["agree"] is not None]
    agree = sum(row["agree"] for row in paired)
    gains = sum(row["reference verdict"] == "gain" for row in paired)
    missing = ", ".join(row["lesson"] for row in rows if row["agree"] is None) or "none"
    lines += [
        "",
        f"Same verdict: {agree} of the {len(paired)} lessons with both runs. Reference runs with a gain (interval above 0): "
        f"{gains} of {len(paired)}. Without a reference run (or a fast run) here: {missing}.",
    ]
    lessons = {path.stem for path in list_notebooks(REPO_ROOT / "notebooks")}
    for kind, names in (("lessons", lessons), ("exercise solutions", {name for name in fast_runs if name.endswith("_exercise")})):
        timed = {name: run["seconds"] for name, run in fast_runs.items() if name in names and run.get("seconds")}
        if timed:
            total = sum(timed.values())
            lines += ["", f"Fast wall time of the {len(timed)} {kind} found: {total:.0f} s ({total / 60:.1f} min)."]
            lines += [f"- {name}: {seconds:.0f} s" for name, seconds in sorted(timed.items())]
    (RESULTS / "verdicts.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
