"""Wall time and peak memory of every lesson notebook, in one profile, on this machine.

The notebook runs in a Jupyter kernel (a child process), so memory is the peak resident size of
this process's children, sampled every 0.2 s.

Run:  HF_HUB_OFFLINE=1 FTCOURSE_DATA_DIR=../shared/data .venv/bin/python bench/course_runtime.py --profile fast [NOTEBOOK ...]
Writes bench/results/course_runtime_<profile>.json and .md (merged with earlier runs of other notebooks).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import threading
import time
from pathlib import Path

import psutil

from ftcourse.course import list_notebooks, run_notebook

RESULTS = Path(__file__).resolve().parent / "results"


def _children_rss_mib() -> float:
    total = 0
    for child in psutil.Process().children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.Error:
            pass
    return total / 2**20


def measure(notebook: Path, profile: str, workdir: Path) -> dict:
    """Run one notebook; return its wall time, peak kernel memory and whether it succeeded."""
    peak, stop = [0.0], threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], _children_rss_mib())
            time.sleep(0.2)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    start = time.perf_counter()
    error = None
    try:
        run_notebook(notebook, workdir / "executed", workdir / "outputs", profile=profile)
    except Exception as exc:  # a failing notebook is a result too
        error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
    seconds = time.perf_counter() - start
    stop.set()
    thread.join()
    return {"seconds": round(seconds, 1), "peak_kernel_rss_mib": round(peak[0], 1), "ok": error is None, "error": error}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*")
    parser.add_argument("--profile", choices=["fast", "full"], default="fast")
    args = parser.parse_args(argv)
    notebooks = [Path(n) for n in args.notebooks] or list_notebooks()
    path = RESULTS / f"course_runtime_{args.profile}.json"
    results = json.loads(path.read_text()) if path.is_file() else {"notebooks": {}}
    results["machine"] = f"{platform.machine()}, {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB"
    with tempfile.TemporaryDirectory() as tmp:
        for notebook in notebooks:
            print(f"{notebook.name} ({args.profile}) ...", flush=True)
            results["notebooks"][notebook.stem] = {**measure(notebook, args.profile, Path(tmp)), "measured": time.strftime("%Y-%m-%d %H:%M")}
            print(f"  {results['notebooks'][notebook.stem]}", flush=True)
    results["total_seconds"] = round(sum(r["seconds"] for r in results["notebooks"].values()), 1)
    RESULTS.mkdir(exist_ok=True)
    path.write_text(json.dumps(results, indent=2, sort_keys=True))
    lines = [f"# Course runtime, {args.profile} profile", "", f"Machine: {results['machine']}.", "",
             "| notebook | wall time (s) | peak kernel memory (MiB) | ok | measured |", "|---|---|---|---|---|"]
    lines += [f"| {k} | {v['seconds']} | {v['peak_kernel_rss_mib']} | {'yes' if v['ok'] else 'NO: ' + str(v['error'])} | {v['measured']} |"
              for k, v in sorted(results["notebooks"].items())]
    lines += ["", f"Total: {results['total_seconds']} s."]
    path.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
