"""Measure lesson 10 (the toxicity milestone) in a profile: quality, wall time and peak memory.

Runs notebooks/10_toxicity_milestone.ipynb with papermill, then writes
bench/results/milestone_<profile>.json with the macro ROC-AUC of the transformer and of the
TF-IDF baseline on the same test split (with 95 % bootstrap intervals), the per-label numbers,
the wall time and the notebook kernel's peak resident memory.

Usage (from the repository root, data and offline model as for the course):
    HF_HUB_OFFLINE=1 FTCOURSE_DATA_DIR=../shared/data python bench/milestone_full.py [--profile full]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="full", choices=["fast", "full"])
    parser.add_argument("--build-dir", default="/tmp/ftcourse-bench-milestone")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    import torch

    from ftcourse.course import run_notebook
    from ftcourse.models import pick_device

    build = Path(args.build_dir)
    start = time.perf_counter()
    run = run_notebook(ROOT / "notebooks/10_toxicity_milestone.ipynb", build / "executed", build / "outputs", profile=args.profile, seed=args.seed)
    wall = time.perf_counter() - start
    # The kernel is a child process that has exited: ru_maxrss of the children is its peak (KiB on Linux).
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    m = run.metrics
    result = {
        "what": "lesson 10 toxicity milestone, jigsaw-sample (5,000 comments), transformer vs TF-IDF baseline on the same test split",
        "profile": args.profile,
        "seed": args.seed,
        "transformer_macro_roc_auc": m["transformer_macro_auc"],
        "transformer_macro_roc_auc_ci95": m["transformer_macro_auc_ci"],
        "baseline_macro_roc_auc": m["baseline_macro_auc"],
        "baseline_macro_roc_auc_ci95": m["baseline_macro_auc_ci"],
        "labels_evaluated": m["labels_evaluated"],
        "labels_not_evaluated": m["labels_not_evaluated"],
        "transformer_roc_auc_per_label": m["transformer_auc"],
        "baseline_roc_auc_per_label": m["baseline_auc"],
        "transformer_macro_pr_auc": m["transformer_macro_pr_auc"],
        "baseline_macro_pr_auc": m["baseline_macro_pr_auc"],
        "transformer_macro_f1_at_0.5": m["transformer_f1_at_05"],
        "transformer_macro_f1_tuned": m["transformer_f1_tuned"],
        "train_size": m["train_size"],
        "test_size": m["test_size"],
        "transformer_train_seconds": m["train_seconds"],
        "baseline_seconds": m["baseline_seconds"],
        "notebook_wall_seconds": round(wall, 1),
        "peak_memory_mib": round(peak_mib, 1),
        "device": pick_device(),
        "torch_threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "load_average_at_end": os.getloadavg(),
        "platform": platform.platform(),
        "measured_at_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": f"python bench/milestone_full.py --profile {args.profile}",
    }
    target = ROOT / "bench" / "results" / f"milestone_{args.profile}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    print(f"written to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
