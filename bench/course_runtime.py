"""Wall time and peak memory of every lesson notebook, in one profile, on this machine.

The notebook runs in a Jupyter kernel (a child process), so memory is the peak resident size of
this process's children, sampled every 0.2 s.

Run:  HF_HUB_OFFLINE=1 FTCOURSE_DATA_DIR=../shared/data .venv/bin/python bench/course_runtime.py --profile fast [NOTEBOOK ...]
Writes bench/results/course_runtime_<profile>.json (with each notebook's metrics.json) and .md, after every
notebook, merged with earlier runs of other notebooks. On a CPU the full profile uses ftcourse.profiles.FULL_ON_CPU.
The solution notebooks' times (the instructor guide's time per exercise):
    .venv/bin/python bench/course_runtime.py --results exercise_runtime --note "..." --cell-timeout 180 solutions/*.ipynb
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import psutil

from ftcourse.notebooks import list_notebooks, run_notebook

RESULTS = Path(__file__).resolve().parent / "results"


def _children_rss_mib() -> float:
    total = 0
    for child in psutil.Process().children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.Error:
            pass
    return total / 2**20


class PeakKernelMemory:
    """``with PeakKernelMemory() as peak:`` samples the children's resident size every 0.2 s; ``peak.mib`` is the highest."""

    def __init__(self):
        self.mib, self._stop = 0.0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while not self._stop.is_set():
            self.mib = max(self.mib, _children_rss_mib())
            time.sleep(0.2)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def measure(notebook: Path, profile: str, workdir: Path, cell_timeout: int | None = None) -> dict:
    """Run one notebook; return its wall time, peak kernel memory, whether it succeeded and its metrics.json.

    ``cell_timeout`` (seconds per cell) stops a notebook that runs far longer than expected; that is a result too.
    """
    start = time.perf_counter()
    error, metrics = None, None
    with PeakKernelMemory() as peak:
        try:
            metrics = run_notebook(
                notebook, workdir / "executed", workdir / "outputs", profile=profile, timeout=cell_timeout
            ).metrics
        except Exception as exc:  # a failing notebook is a result too
            error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
    seconds = time.perf_counter() - start
    return {
        "seconds": round(seconds, 1),
        "peak_kernel_rss_mib": round(peak.mib, 1),
        "ok": error is None,
        "error": error,
        "metrics": metrics,
    }


def record(notebook_stem: str, profile: str, measured: dict, note: str | None = None, results: str = "course_runtime") -> Path:
    """Merge one notebook's measurement into ``bench/results/<results>_<profile>.json`` (and its .md); return the path."""
    from ftcourse.runtime import pick_device

    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{results}_{profile}.json"
    summary = json.loads(path.read_text()) if path.is_file() else {"notebooks": {}}
    for row in summary["notebooks"].values():  # an older file kept one note for all its rows
        row.setdefault("note", summary.get("note"))
    summary["machine"] = f"{platform.machine()}, {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB"
    summary["device"] = pick_device()
    summary["notebooks"][notebook_stem] = {
        **measured,
        "measured": time.strftime("%Y-%m-%d %H:%M"),
        "commit": _commit(),
        "note": note,
    }
    write_summary(summary, profile, path)
    return path


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True, cwd=RESULTS.parent
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def write_summary(results: dict, profile: str, path: Path) -> None:
    """Write the JSON and a markdown table (run after every notebook, so a long run keeps what it measured)."""
    results.pop("note", None)  # notes belong to each notebook's row since runs are merged
    results["total_seconds"] = round(sum(r["seconds"] for r in results["notebooks"].values()), 1)
    path.write_text(json.dumps(results, indent=2, sort_keys=True))
    lines = [
        f"# {'Exercise solutions' if path.stem.startswith('exercise') else 'Course'} runtime, {profile} profile",
        "",
        f"Machine: {results['machine']}; device: {results['device']}.",
        "",
        "| notebook | wall time (s) | peak kernel memory (MiB) | ok | measured (commit) |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {k} | {v['seconds']} | {v['peak_kernel_rss_mib']} | {'yes' if v['ok'] else 'NO: ' + str(v['error'])} | {v['measured']} ({v.get('commit', '?')}) |"
        for k, v in sorted(results["notebooks"].items())
    ]
    lines += ["", f"Total: {results['total_seconds']} s ({results['total_seconds'] / 60:.1f} min)."]
    notes = [f"- {k}: {v['note']}" for k, v in sorted(results["notebooks"].items()) if v.get("note")]
    lines += ["", "Conditions:", *notes] if notes else []
    path.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines), flush=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*")
    parser.add_argument("--profile", choices=["fast", "full"], default="fast")
    parser.add_argument("--workdir", default=None, help="keep the executed notebooks and outputs here (default: a temp folder)")
    parser.add_argument("--results", default="course_runtime", help="results file stem under bench/results (+ _<profile>)")
    parser.add_argument(
        "--note", default=None, help="a sentence on the conditions (e.g. the CPU was shared), kept in the results"
    )
    parser.add_argument("--cell-timeout", type=int, default=None, help="seconds allowed per cell (default: no limit)")
    args = parser.parse_args(argv)
    notebooks = [Path(n) for n in args.notebooks] or list_notebooks()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(args.workdir or tmp)
        for notebook in notebooks:
            print(f"{notebook.name} ({args.profile}) ...", flush=True)
            record(
                notebook.stem, args.profile, measure(notebook, args.profile, workdir, args.cell_timeout), args.note, args.results
            )


if __name__ == "__main__":
    main()
