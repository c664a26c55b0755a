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
import json
import os
import shutil
import subprocess
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from course_runtime import PeakKernelMemory
from course_runtime import record as record_runtime

from ftcourse.course import EFFECT_KEYS, MAKING_REFERENCE_ENV, REFERENCE_DIR
from ftcourse.files import write_json
from ftcourse.notebooks import REPO_ROOT, STYLESHEET, render_html, run_notebook
from ftcourse.profiles import get_profile
from ftcourse.runtime import (
    cpu_training_without_dropout,
    mixed_precision,
    pick_device,
    use_cpu_bf16,
    use_cpu_training_without_dropout,
)

HTML_DIR = REPO_ROOT / "docs" / "reference"
MAX_HTML_BYTES = 1_500_000


def _commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True)
    dirty = subprocess.run(
        # the reference runs' own outputs do not count: a second lesson in one call would otherwise read as uncommitted code
        ["git", "status", "--porcelain", "--untracked-files=no", "ftcourse", "notebooks", ":!notebooks/reference"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return done.stdout.strip() + ("+uncommitted" if dirty else "")


KEPT_DIR = REPO_ROOT / "build" / "reference"  # executed notebooks, kept so that an hour's run is never lost to its page


def training_precision(profile: str) -> str:
    """What the lesson's kernel trains in: the profile's ``cpu_bf16`` on a CPU with native bfloat16, else the device's own."""
    device = pick_device()
    use_cpu_bf16(get_profile(profile, device=device).cpu_bf16)  # as the kernel's lesson_setup will, so the same rule decides
    precision = mixed_precision(device)
    if device == "cpu":
        return "bf16 autocast" if precision["bf16"] else "fp32"
    return "bf16" if precision["bf16"] else "fp16" if precision["fp16"] else "fp32"


def training_dropout(profile: str) -> str:
    """Whether the lesson's kernel trains with the model's dropout: the profile's ``cpu_no_dropout`` decides on a CPU."""
    device = pick_device()
    use_cpu_training_without_dropout(get_profile(profile, device=device).cpu_no_dropout)  # as the kernel's lesson_setup will
    return "off, eager attention" if cpu_training_without_dropout(device) else "as configured"


def inference_precision(notebook: Path, profile: str) -> str:
    """What the lesson's kernel encodes and predicts in: bf16 autocast where it trains in it and the lesson's
    ``BF16_INFERENCE`` parameter asks (``lesson_setup`` passes it to the profile's ``cpu_bf16_inference``), else fp32."""
    import papermill

    asked = papermill.inspect_notebook(str(notebook)).get("BF16_INFERENCE", {}).get("default") == "True"
    return "bf16 autocast" if asked and training_precision(profile) == "bf16 autocast" else "fp32"


def reference_run(notebook: Path, profile: str = "full") -> Path:
    """Run ``notebook`` in ``profile``; write its reference JSON and HTML page; return the JSON's path.

    The executed notebook is kept in ``build/reference/`` and the JSON and runtime row are written before the page is
    rendered: a page over the size limit stops the command with its message, but the measurement is already saved, and
    ``--render-only build/reference/<lesson>.ipynb`` renders the page again once the notebook's outputs are smaller.
    """
    os.environ[MAKING_REFERENCE_ENV] = notebook.stem  # the kernel inherits it: the page calls itself the reference run
    with tempfile.TemporaryDirectory(prefix="ftcourse-reference-") as work, PeakKernelMemory() as peak:
        started = time.perf_counter()
        run = run_notebook(notebook, Path(work) / "executed", Path(work) / "outputs", profile=profile)
        seconds = time.perf_counter() - started
        KEPT_DIR.mkdir(parents=True, exist_ok=True)
        kept = KEPT_DIR / run.executed.name
        shutil.copyfile(run.executed, kept)
    effect = run.metrics.get("effect")
    if not effect or set(EFFECT_KEYS) - set(effect):
        raise SystemExit(
            f"{notebook.name}: metrics.json has no complete 'effect' block; add one before committing a reference run."
        )
    record = {
        **{key: effect[key] for key in EFFECT_KEYS},
        "profile": profile,
        "device": pick_device(),
        "training_precision": training_precision(profile),
        "training_dropout": training_dropout(profile),
        "inference_precision": inference_precision(notebook, profile),
        "commit": _commit(),
        "seconds": round(seconds),
        "peak_kernel_rss_mib": round(peak.mib),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
    }
    threads = os.environ.get("OMP_NUM_THREADS")
    note = "reference run (bench/reference_runs.py)" + (f", OMP_NUM_THREADS={threads}" if threads else "")
    if record["training_precision"] == "bf16 autocast":
        note += ", training in bfloat16 autocast (cpu_bf16)"
    if record["training_dropout"] != "as configured":
        note += ", dropout off with eager attention (cpu_no_dropout)"
    if record["inference_precision"] == "bf16 autocast":
        note += ", encoding and prediction in bfloat16 autocast (BF16_INFERENCE)"
    measured = {
        "seconds": round(seconds, 1),
        "peak_kernel_rss_mib": round(peak.mib, 1),
        "ok": True,
        "error": None,
        "metrics": run.metrics,
    }
    record_runtime(notebook.stem, profile, measured, note)  # bench/results/course_runtime_<profile>: the lesson's time and memory
    path = write_json(REFERENCE_DIR / f"{notebook.stem}.json", record)
    render_page(kept)
    return path


def render_page(executed: Path) -> Path:
    """Render an executed notebook to ``docs/reference/<lesson>.html``, refusing a page over :data:`MAX_HTML_BYTES`."""
    with tempfile.TemporaryDirectory(prefix="ftcourse-reference-html-") as work:
        page = render_html(executed, work)
        size = page.stat().st_size
        if size > MAX_HTML_BYTES:
            biggest = sorted(
                (
                    (len(json.dumps(cell.get("outputs", []))), i)
                    for i, cell in enumerate(json.loads(executed.read_text())["cells"])
                ),
                reverse=True,
            )[:3]
            raise SystemExit(
                f"{executed.name}: rendered page is {size / 1e6:.2f} MB (limit {MAX_HTML_BYTES / 1e6:.1f} MB); the reference "
                f"JSON and runtime row are written, the executed notebook is kept at {executed}. Largest outputs: "
                + ", ".join(f"cell {i} ({n / 1e3:.0f} kB)" for n, i in biggest)
                + ". Fix: shrink those outputs, then rerun the lesson, or edit the kept notebook and run "
                f"bench/reference_runs.py --render-only {executed}."
            )
        HTML_DIR.mkdir(parents=True, exist_ok=True)
        sheet, shared = page.parent / STYLESHEET, HTML_DIR / STYLESHEET
        if sheet.is_file():  # every page links one copy of nbconvert's theme
            if shared.is_file() and shared.read_bytes() != sheet.read_bytes():
                raise SystemExit(
                    f"{shared} differs from the styles nbconvert writes now (another nbconvert version?). "
                    "Fix: render every reference page again (--render-only on each kept notebook), or compare the two files."
                )
            shared.write_bytes(sheet.read_bytes())
        target = HTML_DIR / f"{executed.stem}.html"
        target.write_bytes(page.read_bytes())
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="lesson notebooks to run in the full profile")
    parser.add_argument("--render-only", type=Path, help="render a kept executed notebook (build/reference/) to its page; no run")
    args = parser.parse_args()
    if args.render_only:
        print(f"[reference] wrote {render_page(args.render_only.resolve()).relative_to(REPO_ROOT)}")
        return
    for notebook in args.notebooks:
        path = reference_run(notebook.resolve())
        print(f"[reference] {notebook.name}: wrote {path.relative_to(REPO_ROOT)} and docs/reference/{notebook.stem}.html")


if __name__ == "__main__":
    main()
