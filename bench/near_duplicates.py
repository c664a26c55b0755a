"""Benchmark: near-duplicate search over all 24,783 Davidson tweets (wall time and peak memory).

Run by hand, not in the tests:
    HF_HUB_OFFLINE=1 FTCOURSE_DATA_DIR=../shared/data python bench/near_duplicates.py

Each case runs in a fresh subprocess so that its peak resident memory (ru_maxrss) is its own.
Writes bench/results/near_duplicates.json and bench/results/near_duplicates.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def run_case(normalise: bool, threshold: float, chunk_mib: int) -> dict:
    """Load Davidson, optionally normalise, search near-duplicates; time and memory of the search alone."""
    import resource
    import tracemalloc

    from ftcourse import prepare
    from ftcourse.data import load_dataset

    texts = load_dataset("davidson", "train")["text"]
    if normalise:
        texts = prepare.normalize_text(texts)
    texts = texts.tolist()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    start = time.perf_counter()
    pairs = prepare.find_near_duplicates(texts, threshold=threshold, chunk_mib=chunk_mib)
    seconds = time.perf_counter() - start
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    groups = prepare.duplicate_groups(texts, threshold)
    import numpy as np

    sizes = np.bincount(groups)
    return {
        "texts": len(texts),
        "normalised": normalise,
        "threshold": threshold,
        "chunk_mib": chunk_mib,
        "seconds": round(seconds, 2),
        "tracemalloc_peak_mib": round(traced_peak / 2**20, 1),
        "process_peak_rss_mib": round(rss_after / 1024, 1),
        "rss_before_search_mib": round(rss_before / 1024, 1),
        "pairs": len(pairs),
        "groups_with_duplicates": int((sizes > 1).sum()),
        "rows_in_such_groups": int(sizes[sizes > 1].sum()),
        "dense_float32_matrix_mib": round(len(texts) ** 2 * 4 / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=0.9)
    parser.add_argument("--case", choices=["raw", "normalised"], help=argparse.SUPPRESS)
    parser.add_argument("--chunk-mib", type=int, default=256, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:  # child process: one case, JSON on stdout
        print(json.dumps(run_case(args.case == "normalised", args.threshold, args.chunk_mib)))
        return
    cases = []
    # The default block size (256 MiB), both texts; then scikit-learn's own default (1024 MiB) for comparison.
    for case, chunk in (("raw", 256), ("normalised", 256), ("raw", 1024)):
        load = os.getloadavg()[0]
        command = [sys.executable, __file__, "--case", case, "--threshold", str(args.threshold), "--chunk-mib", str(chunk)]
        out = subprocess.run(command, check=True, capture_output=True, text=True)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        result["load_average_1min_before"] = round(load, 2)
        cases.append(result)
        print(result, flush=True)
    import sklearn

    info = {
        "benchmark": "ftcourse.prepare.find_near_duplicates on all Davidson tweets (TF-IDF + sparse radius NearestNeighbors, cosine)",
        "command": "HF_HUB_OFFLINE=1 FTCOURSE_DATA_DIR=../shared/data python bench/near_duplicates.py",
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
        },
        "note": "Wall times depend on what else runs on the 2 cores: read them with the 1-minute load average recorded per case (below 1 means an idle machine).",
        "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
        "cases": cases,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "near_duplicates.json").write_text(json.dumps(info, indent=2))
    lines = [
        "# Near-duplicate search over all Davidson tweets",
        "",
        f"`{info['command']}` on {info['date_utc']} UTC, {os.cpu_count()} CPUs, scikit-learn {sklearn.__version__}.",
        "",
        "| texts | normalised | threshold | block (MiB) | wall time (s) | tracemalloc peak (MiB) | process peak RSS (MiB) | pairs | duplicate groups | rows in them | 1-min load before |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in cases:
        lines.append(
            f"| {c['texts']:,} | {c['normalised']} | {c['threshold']} | {c['chunk_mib']} | {c['seconds']} | {c['tracemalloc_peak_mib']} | {c['process_peak_rss_mib']} "
            f"| {c['pairs']:,} | {c['groups_with_duplicates']:,} | {c['rows_in_such_groups']:,} | {c['load_average_1min_before']} |"
        )
    lines += [
        "",
        f"A dense float32 similarity matrix for these texts would need {cases[0]['dense_float32_matrix_mib']:,} MiB; the sparse search never builds it "
        "(scikit-learn computes distances in row blocks of `chunk_mib`; `find_near_duplicates` uses 256 MiB, scikit-learn's own default is 1024 MiB).",
        "",
        f"Note: {info['note']}",
        "",
    ]
    (RESULTS / "near_duplicates.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
