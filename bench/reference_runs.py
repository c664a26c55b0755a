"""Commit a lesson's reference run: execute it in the full profile, keep its effect block and its rendered page.

Each training lesson ends by putting the learner's run beside the committed full-profile run of the same lesson
(``ftcourse.course.compare_with_reference``). This script makes that run:

* ``notebooks/reference/<lesson>.json``: the lesson's ``effect`` block (claim, metric, baseline, treatment, both scores,
  the paired 95 % interval of the difference) plus ``profile``, ``device``, ``commit``, ``seconds`` and the date;
* ``bench/results/course_runtime_<profile>.{json,md}``: the run's wall time and peak kernel memory;
* ``docs/reference/<lesson>.html``: the executed notebook rendered with its plots, for readers who have not run anything
  (refused when over 1.5 MB, so the repository stays small).

Run (one lesson takes minutes to half an hour on a 2-core CPU; a GPU takes the whole data):
    HF_HUB_OFFLINE=1 FTCOURSE_DATA_DIR=../shared/data .venv/bin/python bench/reference_runs.py notebooks/10_toxicity_milestone.ipynb
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from course_runtime import PeakKernelMemory
from course_runtime import record as record_runtime

from ftcourse.course import EFFECT_KEYS, MAKING_REFERENCE_ENV, REFERENCE_DIR
from ftcourse.files import write_json
from ftcourse.notebooks import REPO_ROOT, render_html, run_notebook
from ftcourse.runtime import pick_device

HTML_DIR = REPO_ROOT / "docs" / "reference"
MAX_HTML_BYTES = 1_500_000


def _commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True)
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no", "ftcourse", "notebooks"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return done.stdout.strip() + ("+uncommitted" if dirty else "")


def reference_run(notebook: Path, profile: str = "full") -> Path:
    """Run ``notebook`` in ``profile``; write its reference JSON and HTML page; return the JSON's path."""
    os.environ[MAKING_REFERENCE_ENV] = notebook.stem  # the kernel inherits it: the page calls itself the reference run
    with tempfile.TemporaryDirectory(prefix="ftcourse-reference-") as work, PeakKernelMemory() as peak:
        started = time.perf_counter()
        run = run_notebook(notebook, Path(work) / "executed", Path(work) / "outputs", profile=profile)
        seconds = time.perf_counter() - started
        effect = run.metrics.get("effect")
        if not effect or set(EFFECT_KEYS) - set(effect):
            raise SystemExit(
                f"{notebook.name}: metrics.json has no complete 'effect' block; add one before committing a reference run."
            )
        page = render_html(run.executed, Path(work) / "html")
        size = page.stat().st_size
        if size > MAX_HTML_BYTES:
            raise SystemExit(
                f"{notebook.name}: rendered page is {size / 1e6:.1f} MB (limit {MAX_HTML_BYTES / 1e6:.1f} MB); shrink its plots."
            )
        HTML_DIR.mkdir(parents=True, exist_ok=True)
        (HTML_DIR / f"{notebook.stem}.html").write_bytes(page.read_bytes())
    record = {
        **{key: effect[key] for key in EFFECT_KEYS},
        "profile": profile,
        "device": pick_device(),
        "commit": _commit(),
        "seconds": round(seconds),
        "peak_kernel_rss_mib": round(peak.mib),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
    }
    threads = os.environ.get("OMP_NUM_THREADS")
    note = (
        f"reference run (bench/reference_runs.py), OMP_NUM_THREADS={threads}"
        if threads
        else "reference run (bench/reference_runs.py)"
    )
    measured = {
        "seconds": round(seconds, 1),
        "peak_kernel_rss_mib": round(peak.mib, 1),
        "ok": True,
        "error": None,
        "metrics": run.metrics,
    }
    record_runtime(notebook.stem, profile, measured, note)  # bench/results/course_runtime_<profile>: the lesson's time and memory
    return write_json(REFERENCE_DIR / f"{notebook.stem}.json", record)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path, help="lesson notebooks to run in the full profile")
    args = parser.parse_args()
    for notebook in args.notebooks:
        path = reference_run(notebook.resolve())
        print(f"[reference] {notebook.name}: wrote {path.relative_to(REPO_ROOT)} and docs/reference/{notebook.stem}.html")


if __name__ == "__main__":
    main()
