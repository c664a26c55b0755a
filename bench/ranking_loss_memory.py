"""Peak memory, time and quality of MNRL against its cached (GradCache) form, on lesson 07's full-profile setting.

Lesson 07's full profile trains MultipleNegativesRankingLoss at batch 64 and 256 tokens; on a CPU it peaked at
16 GiB. CachedMultipleNegativesRankingLoss computes the same loss and the same gradients: it embeds the batch
without a graph, takes the loss and its gradient with respect to the embeddings, then re-runs the encoder one
mini-batch at a time (replaying the same dropout) to push those gradients through. Activations are held for one
mini-batch instead of the whole batch, at the price of a second forward pass.

Each variant trains in a fresh process (its resident size sampled every 50 ms), on the FAQ's 213 (question,
answer) pairs, or on the triplets lesson 07 mines from them, with lesson 07's full-profile epochs, learning rate,
batch and length, and is scored on the 244 held-out questions (nDCG@10).

Run:  HF_HUB_OFFLINE=1 FTCOURSE_DATA_DIR=../shared/data OMP_NUM_THREADS=1 .venv/bin/python bench/ranking_loss_memory.py
Writes bench/results/ranking_loss_memory.json and .md. Peak memory hardly depends on the load; seconds do.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import psutil
from lora_memory import run_sampled

RESULTS = Path(__file__).resolve().parent / "results"
# name -> (loss, loss keyword arguments, hard negatives?)
VARIANTS = {
    "MNRL, pairs": ("mnrl", {}, False),
    "CachedMNRL mini-batch 16, pairs": ("cached_mnrl", {"mini_batch_size": 16}, False),
    "MNRL, hard-negative triplets": ("mnrl", {}, True),
    "CachedMNRL mini-batch 16, hard-negative triplets": ("cached_mnrl", {"mini_batch_size": 16}, True),
    "Matryoshka MNRL, pairs": ("matryoshka_mnrl", {}, False),
    "Matryoshka CachedMNRL mini-batch 16, pairs": (
        "matryoshka_mnrl",
        {"inner": "cached_mnrl", "inner_kwargs": {"mini_batch_size": 16}},
        False,
    ),
}


def train_one(name: str, result_path: Path) -> None:
    """In a child process: train one variant and write its nDCG@10 and training seconds."""
    from sentence_transformers.util import mine_hard_negatives

    from ftcourse.embedder.evaluators import faq_retrieval_task
    from ftcourse.models import BASE_MODEL, load_sentence_transformer
    from ftcourse.profiles import get_profile
    from ftcourse.train import train_embedder

    loss, loss_kwargs, hard_negatives = VARIANTS[name]
    profile = get_profile("full", device="cpu")
    task = faq_retrieval_task()
    model = load_sentence_transformer(BASE_MODEL, max_seq_length=profile.retrieval_max_seq_length)
    data = task.train
    if hard_negatives:  # lesson 07's mining settings
        from datasets import Dataset

        data = mine_hard_negatives(
            Dataset.from_pandas(data), model, num_negatives=1, range_max=10, relative_margin=0.05,
            sampling_strategy="top", batch_size=32, verbose=False,
        ).to_pandas()  # fmt: skip
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        model, history = train_embedder(
            model, data, loss, output_dir=tmp, epochs=profile.retrieval_epochs, batch_size=max(profile.retrieval_batch_sizes),
            learning_rate=profile.retrieval_learning_rate, warmup_ratio=profile.warmup_ratio, seed=42, save=False,
            show_progress=False, loss_kwargs=loss_kwargs or None,
        )  # fmt: skip
    seconds = time.perf_counter() - start
    ndcg = float(task.per_query_metrics(model)["ndcg@10"].mean())
    result = {"ndcg@10": ndcg, "train_seconds": seconds, "rows": len(data), "steps": int(history["step"].max())}
    result_path.write_text(json.dumps(result))


def measure(names: list[str], workdir: Path) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1")}
    rows = {}
    for i, name in enumerate(names):
        result_path = workdir / f"{i}.json"
        peak_mib, wall, status = run_sampled([sys.executable, __file__, "--child", name, str(result_path)], env)
        rows[name] = {"peak_rss_mib": round(peak_mib, 1), "wall_seconds": round(wall, 1), "exit_status": status}
        rows[name] |= json.loads(result_path.read_text()) if status == 0 else {}
        print(name, rows[name], flush=True)
    return rows


def write(rows: dict, settings: dict) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "ranking_loss_memory.json").write_text(json.dumps({"settings": settings, "variants": rows}, indent=2) + "\n")
    lines = [
        "# MNRL vs CachedMNRL: peak memory, time and quality (lesson 07's full-profile setting)",
        "",
        f"FAQ: 213 pairs (or the triplets mined from them), {settings['epochs']} epochs, batch {settings['batch_size']}, "
        f"{settings['max_seq_length']} tokens, lr {settings['learning_rate']:g}, seed 42; nDCG@10 on the 244 held-out questions.",
        f"Machine: {settings['machine']}; threads {settings['threads']}; measured {settings['when']}; load average at the start "
        f"{settings['load_average']}.",
        "",
        "| variant | peak RSS (MiB) | training (s) | nDCG@10 |",
        "|---|---|---|---|",
    ]
    for name, r in rows.items():
        if r["exit_status"] != 0:
            lines.append(f"| {name} | {r['peak_rss_mib']:.0f} | FAILED (exit {r['exit_status']}) | - |")
            continue
        lines.append(f"| {name} | {r['peak_rss_mib']:.0f} | {r['train_seconds']:.0f} | {r['ndcg@10']:.4f} |")
    lines += ["", "Peak RSS is the whole process (Python, libraries, data, activations), sampled every 50 ms."]
    lines += [settings["note"]] if settings["note"] else []
    (RESULTS / "ranking_loss_memory.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=2, metavar=("VARIANT", "RESULT_JSON"), help=argparse.SUPPRESS)
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS), help="names from VARIANTS (default: all)")
    parser.add_argument("--note", default="", help="the conditions of this run, written under the table")
    args = parser.parse_args()
    if args.child:
        train_one(args.child[0], Path(args.child[1]))
        return
    from ftcourse.profiles import get_profile

    profile = get_profile("full", device="cpu")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="ftcourse-ranking-memory-") as work:
        rows = measure(args.variants, Path(work))
    settings = {
        "epochs": profile.retrieval_epochs,
        "batch_size": max(profile.retrieval_batch_sizes),
        "max_seq_length": profile.retrieval_max_seq_length,
        "learning_rate": profile.retrieval_learning_rate,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB",
        "threads": os.environ.get("OMP_NUM_THREADS", "default"),
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_average": load,
        "note": args.note,
    }
    write(rows, settings)
    print((RESULTS / "ranking_loss_memory.md").read_text())


if __name__ == "__main__":
    main()
