"""Whole lessons in the full profile on a CPU, trained in fp32 and then in bfloat16 autocast: time, memory and effect.

``bench/cpu_bf16.py`` times single fine-tunes. This script runs whole lessons the way a learner does (papermill, the full
profile of ``ftcourse.profiles.FULL_ON_CPU``), twice in a row on the same machine and threads: first with
``FTCOURSE_CPU_BF16=0`` (fp32, the profile before ``cpu_bf16``), then as the profile asks. Each row keeps the lesson's
effect block, so the table shows whether the lesson still tells the same story.

Run:  HF_HUB_OFFLINE=1 FTCOURSE_DATA_DIR=../shared/data .venv/bin/python bench/lesson_bf16.py notebooks/10_toxicity_milestone.ipynb
Writes bench/results/lesson_bf16.json and .md (merged with earlier lessons).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import torch
from conditions import measured_conditions
from course_runtime import PeakKernelMemory
from course_runtime import record as record_runtime

from ftcourse.notebooks import run_notebook
from ftcourse.runtime import CPU_BF16_ENV, cpu_bf16_supported

RESULTS = Path(__file__).resolve().parent / "results"
PRECISIONS = {"fp32": "0", "bf16 autocast": "1"}


def run_lesson(notebook: Path, precision_env: str) -> dict:
    os.environ[CPU_BF16_ENV] = precision_env  # the kernel inherits it
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="ftcourse-lesson-bf16-") as work, PeakKernelMemory() as peak:
        started = time.perf_counter()
        run = run_notebook(notebook, Path(work) / "executed", Path(work) / "outputs", profile="full")
        seconds = time.perf_counter() - started
    effect = run.metrics.get("effect") or {}
    return {
        "seconds": round(seconds, 1),
        "peak_kernel_rss_mib": round(peak.mib, 1),
        "load_average_at_start": load,
        "effect": {
            k: effect.get(k) for k in ("metric", "baseline", "treatment", "baseline_score", "treatment_score", "difference_ci")
        },
        "metrics": run.metrics,
    }


def write(results: dict) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "lesson_bf16.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [
        "# Whole lessons, full profile on a CPU: fp32 against bfloat16 autocast",
        "",
        "Each lesson ran twice in a row, fp32 first (`FTCOURSE_CPU_BF16=0`), then in bfloat16 autocast (the profile's `cpu_bf16`), "
        "with the same threads; the effect columns are the lesson's own headline comparison (baseline -> treatment, paired 95 % "
        "interval of the difference).",
        "",
        "| lesson | precision | minutes | speed-up | peak kernel memory (GiB) | effect | measured |",
        "|---|---|---|---|---|---|---|",
    ]
    for lesson, row in results["lessons"].items():
        fp32 = row["runs"]["fp32"]["seconds"]
        for name, run in row["runs"].items():
            e = run["effect"]
            effect = (
                f"{e['metric']}: {e['baseline_score']:.3f} -> {e['treatment_score']:.3f} "
                f"[{e['difference_ci'][0]:+.3f}, {e['difference_ci'][1]:+.3f}]"
                if e.get("difference_ci")
                else "-"
            )
            lines.append(
                f"| {lesson} | {name} | {run['seconds'] / 60:.1f} | {fp32 / run['seconds']:.2f}x | "
                f"{run['peak_kernel_rss_mib'] / 1024:.1f} | {effect} | {row['measured']}, {row['threads']} thread(s), "
                f"load {run['load_average_at_start']} at the start |"
            )
    (RESULTS / "lesson_bf16.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--record", action="store_true", help="also write each bf16 run into bench/results/course_runtime_full")
    args = parser.parse_args()
    if not cpu_bf16_supported():
        raise SystemExit("This CPU has no native bfloat16 (AMX or AVX512-BF16): nothing to compare.")
    path = RESULTS / "lesson_bf16.json"
    results = json.loads(path.read_text()) if path.is_file() else {"lessons": {}}
    for notebook in args.notebooks:
        runs = {name: run_lesson(notebook, env) for name, env in PRECISIONS.items()}
        results["lessons"][notebook.stem] = {"runs": runs, "torch": torch.__version__} | measured_conditions()
        write(results)
        if args.record:  # the bf16 run is the full profile as it now is: its row in course_runtime_full
            bf16 = runs["bf16 autocast"]
            threads = results["lessons"][notebook.stem]["threads"]
            record_runtime(
                notebook.stem, "full",
                {"seconds": bf16["seconds"], "peak_kernel_rss_mib": bf16["peak_kernel_rss_mib"], "ok": True, "error": None, "metrics": bf16["metrics"]},
                f"bench/lesson_bf16.py, bfloat16 autocast (cpu_bf16), {threads} thread(s), run right after the same lesson in fp32 "
                f"({runs['fp32']['seconds'] / 60:.1f} min); load {bf16['load_average_at_start']} at the start",
            )  # fmt: skip
    print((RESULTS / "lesson_bf16.md").read_text())


if __name__ == "__main__":
    main()
