"""Encoding (inference) in bfloat16 autocast against fp32 on a CPU: speed, measured alternately, and agreement.

The course trains in bfloat16 autocast on CPUs with AMX or AVX512-BF16 (``cpu_bf16``) but encodes and predicts in fp32.
Encoding is a large part of some lessons (lesson 13 embeds about 25,000 tweets before any experiment; lesson 12 reranks
with a forward pass per candidate). This script measures what bfloat16 autocast would change there, before any lesson
uses it:

* speed: the base MiniLM encodes the same Davidson tweets (128 tokens, batch 64) in fp32 and in bf16 autocast,
  alternating, several rounds, so that a machine whose speed drifts affects both alike; the ratio is taken per round;
* agreement: the cosine between each tweet's fp32 and bf16 embedding, and STS-B test Spearman (cosine of the base
  model's embeddings against the gold scores) under each precision.

Run:  HF_HUB_OFFLINE=1 FTCOURSE_DATA_DIR=../shared/data .venv/bin/python bench/inference_bf16.py
Writes bench/results/inference_bf16.json and .md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np
import torch
from conditions import measured_conditions

from ftcourse.data import load_dataset
from ftcourse.evaluation import pair_cosines, sts_metrics
from ftcourse.models import load_sentence_transformer
from ftcourse.runtime import cpu_bf16_supported, use_cpu_bf16, use_cpu_bf16_inference

RESULTS = Path(__file__).resolve().parent / "results"
MODEL = "sentence-transformers/all-MiniLM-L6-v2"


def use_precision(name: str) -> None:
    # the package's own switch (ftcourse.runtime.cpu_bf16_inference, applied by load_sentence_transformer): what is
    # measured is what a learner would run, the encoder in bfloat16 and pooling in fp32
    use_cpu_bf16(name == "bf16 autocast")
    use_cpu_bf16_inference(name == "bf16 autocast")


def encode(model, texts: list[str], precision: str) -> tuple[np.ndarray, float]:
    use_precision(precision)
    with torch.inference_mode():
        start = time.perf_counter()
        vectors = model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
        return np.asarray(vectors, dtype=np.float32), time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tweets", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    if not cpu_bf16_supported():
        raise SystemExit("This CPU has no native bfloat16 (AMX or AVX512-BF16): nothing to compare.")
    torch.set_num_threads(args.threads)
    tweets = load_dataset("davidson", split="train").sample(args.tweets, random_state=0)["text"].tolist()
    model = load_sentence_transformer(MODEL, max_seq_length=128)
    encode(model, tweets[:256], "fp32")  # warm-up: first-call allocations and kernel selection
    encode(model, tweets[:256], "bf16 autocast")
    rounds, vectors = [], {}
    for i in range(args.rounds):
        order = ("fp32", "bf16 autocast") if i % 2 == 0 else ("bf16 autocast", "fp32")  # neither always goes first
        seconds = {}
        for precision in order:
            vectors[precision], seconds[precision] = encode(model, tweets, precision)
        rounds.append({p: round(len(tweets) / s, 1) for p, s in seconds.items()})
    agreement = np.sum(vectors["fp32"] * vectors["bf16 autocast"], axis=1)
    stsb = load_dataset("stsb", split="test")
    spearman = {}
    for precision in ("fp32", "bf16 autocast"):
        use_precision(precision)
        with torch.inference_mode():
            spearman[precision] = sts_metrics(pair_cosines(model, stsb), stsb["score"])["spearman"]
    ratios = [r["bf16 autocast"] / r["fp32"] for r in rounds]
    result = {
        "tweets": len(tweets),
        "rounds": rounds,
        "speedup_per_round": [round(x, 2) for x in ratios],
        "speedup_median": round(statistics.median(ratios), 2),
        "embedding_cosine_fp32_vs_bf16": {"mean": float(agreement.mean()), "min": float(agreement.min())},
        "stsb_test_spearman": spearman,
        "torch": torch.__version__,
    } | measured_conditions()
    (RESULTS / "inference_bf16.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        "# Encoding in bfloat16 autocast against fp32 (CPU)",
        "",
        f"Base all-MiniLM-L6-v2, {len(tweets):,} Davidson tweets, 128 tokens, batch 64; {result['threads']} threads, "
        f"{result['machine']}, torch {result['torch']}; measured {result['measured']} (load at the end {result['load_average_at_end']}).",
        "",
        "| round | fp32 tweets/s | bf16 autocast tweets/s | bf16 / fp32 |",
        "|---|---|---|---|",
        *(
            f"| {i + 1} | {r['fp32']} | {r['bf16 autocast']} | {x:.2f}x |"
            for i, (r, x) in enumerate(zip(rounds, ratios, strict=True))
        ),
        "",
        f"Median speed-up {result['speedup_median']:.2f}x. Cosine between a tweet's fp32 and bf16 embedding: mean "
        f"{agreement.mean():.4f}, lowest {agreement.min():.4f}. STS-B test Spearman of the base model: fp32 {spearman['fp32']:.4f}, "
        f"bf16 autocast {spearman['bf16 autocast']:.4f}.",
        "",
        "The rounds alternate which precision goes first, so a drifting machine speed shows as a spread of the per-round "
        "ratios rather than as a bias.",
    ]
    (RESULTS / "inference_bf16.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
