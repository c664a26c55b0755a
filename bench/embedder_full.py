"""Measure the embedding lessons (04, 05, 07) in a profile: before/after quality and wall time.

Runs the lesson notebooks with papermill (the same code the learner runs) and writes
bench/results/embedder_<profile>.json with, per lesson, the base model's and the fine-tuned
models' held-out scores and the notebook's wall time:

* 05: STS-B test Spearman, base vs CosineSimilarity / CoSENT / AnglE (the base scores about 0.82);
* 04: MRPC test accuracy / F1 / average precision, base vs Contrastive / OnlineContrastive;
* 07: FAQ retrieval on held-out user questions (nDCG@10, MRR@10, Recall@1), base vs MNRL.

Usage (from the repository root, data and offline model as for the course; a GPU makes the full
profile take minutes instead of an hour or more on a CPU):
    HF_HUB_OFFLINE=1 FTCOURSE_DATA_DIR=../shared/data python bench/embedder_full.py [--profile full] [--lessons 05 07]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LESSONS = {
    "04": "notebooks/04_contrastive_losses.ipynb",
    "05": "notebooks/05_similarity_regression.ipynb",
    "07": "notebooks/07_multiple_negatives_ranking.ipynb",
}


def _summary(lesson: str, m: dict) -> dict:
    if lesson == "05":
        return {"stsb_test_spearman_before": m["spearman_before"], "stsb_test_spearman_after": m["spearman_after"], "train_pairs": m["train_pairs"], "test_pairs": m["test_pairs"]}
    if lesson == "04":
        return {key: m[key] for key in ("ap_mrpc", "accuracy_mrpc", "f1_mrpc", "ap_covid", "train_pairs")}
    return {key: m[key] for key in m if key.startswith(("ndcg@10", "mrr@10", "recall@1")) or key in ("train_pairs", "queries")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="full", choices=["fast", "full"])
    parser.add_argument("--lessons", nargs="+", default=sorted(LESSONS), choices=sorted(LESSONS))
    parser.add_argument("--build-dir", default="/tmp/ftcourse-bench-embedder")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    import torch

    from ftcourse.course import run_notebook
    from ftcourse.models import pick_device

    build = Path(args.build_dir)
    result = {
        "profile": args.profile,
        "seed": args.seed,
        "device": pick_device(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "cpu_threads": torch.get_num_threads(),
        "machine": platform.platform(),
        "lessons": {},
    }
    out = ROOT / "bench" / "results" / f"embedder_{args.profile}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    for lesson in args.lessons:
        start = time.perf_counter()
        run = run_notebook(ROOT / LESSONS[lesson], build / "executed", build / "outputs", profile=args.profile, seed=args.seed)
        result["lessons"][lesson] = {"notebook": LESSONS[lesson], "wall_seconds": round(time.perf_counter() - start, 1), **_summary(lesson, run.metrics)}
        out.write_text(json.dumps(result, indent=2))  # written after each lesson: a long run keeps what it measured
        print(json.dumps(result["lessons"][lesson], indent=2), flush=True)
    print("wrote", out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
