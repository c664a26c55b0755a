"""Does torch.compile speed up MiniLM training steps on this CPU? Eager against compiled, on the same batches.

Issue 20 asks whether ``torch.compile`` helps on a CPU. ``train_classifier`` groups texts by length, so batch shapes vary
from step to step; a compiled model must then either recompile per shape or compile with dynamic shapes. This script
trains the classifier MiniLM on length-grouped batches of Jigsaw comments (as ``train_classifier`` builds them) with a
plain AdamW loop, first eager and then compiled (``dynamic=True``), and reports the compile time (the first pass over the
batches) and the examples/s of a second pass over the same batches, where a compiled model runs its cached graphs.

Run:  HF_HUB_OFFLINE=1 FTCOURSE_DATA_DIR=../shared/data .venv/bin/python bench/compile_speed.py --threads 2
Writes bench/results/compile_speed.json and .md. Run it on an otherwise idle machine: it measures speed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch

from ftcourse.data import load_dataset
from ftcourse.models import BASE_MODEL, resolve_model

RESULTS = Path(__file__).resolve().parent / "results"
ROWS, BATCH, SEED = int(os.environ.get("COMPILE_SPEED_ROWS", 512)), 16, 42  # a smaller ROWS only to try the script


def length_grouped_batches(texts: list[str], tokenizer, max_length: int) -> list[dict]:
    """Batches of similar length, each padded to its own longest text (what the length-grouped sampler gives)."""
    lengths = [len(ids) for ids in tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]]
    order = np.argsort(lengths, kind="stable")
    batches = [order[i : i + BATCH] for i in range(0, len(order), BATCH)]
    np.random.default_rng(SEED).shuffle(batches)  # the sampler shuffles the groups
    return [
        tokenizer([texts[i] for i in b], truncation=True, max_length=max_length, padding=True, return_tensors="pt")
        for b in batches
    ]


def one_pass(model, optimiser, batches, labels) -> float:
    """Train one step per batch; return the seconds."""
    started = time.perf_counter()
    for batch, y in zip(batches, labels, strict=True):
        loss = torch.nn.functional.cross_entropy(model(**batch).logits, y)
        loss.backward()
        optimiser.step()
        optimiser.zero_grad()
    return time.perf_counter() - started


def measure(compiled: bool, batches, labels) -> dict:
    from transformers import AutoModelForSequenceClassification

    torch.manual_seed(SEED)
    model = AutoModelForSequenceClassification.from_pretrained(resolve_model(BASE_MODEL), num_labels=2)
    model.train()
    optimiser = torch.optim.AdamW(model.parameters(), lr=2e-5, fused=True)
    runner = torch.compile(model, dynamic=True) if compiled else model
    first = one_pass(runner, optimiser, batches, labels)  # compiles, when compiled
    second = one_pass(runner, optimiser, batches, labels)
    examples = sum(len(y) for y in labels)
    return {"first_pass_s": round(first, 1), "second_pass_s": round(second, 1), "examples_per_s": round(examples / second, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--max-length", type=int, default=128)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from transformers import AutoTokenizer

    texts = load_dataset("jigsaw-sample", "train").sample(ROWS, random_state=SEED)["text"].tolist()
    tokenizer = AutoTokenizer.from_pretrained(resolve_model(BASE_MODEL))
    batches = length_grouped_batches(texts, tokenizer, args.max_length)
    rng = np.random.default_rng(SEED)
    labels = [torch.as_tensor(rng.integers(0, 2, len(b["input_ids"]))) for b in batches]  # speed only: any labels will do
    result = {
        "machine": f"{platform.machine()}, {args.threads} threads, torch {torch.__version__}",
        "setup": {
            "rows": ROWS,
            "batch_size": BATCH,
            "max_length": args.max_length,
            "distinct_shapes": len({tuple(b["input_ids"].shape) for b in batches}),
        },
        "load_average_at_start": ", ".join(f"{x:.1f}" for x in os.getloadavg()),
        "eager": measure(False, batches, labels),
        "compiled": measure(True, batches, labels),
        "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    result["speed_up"] = round(result["compiled"]["examples_per_s"] / result["eager"]["examples_per_s"], 2)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "compile_speed.json").write_text(json.dumps(result, indent=2) + "\n")
    e, c, s = result["eager"], result["compiled"], result["setup"]
    lines = [
        "# torch.compile on a CPU: MiniLM training steps, eager vs compiled (dynamic shapes)",
        "",
        f"Machine: {result['machine']}; {s['rows']} Jigsaw comments in length-grouped batches of {s['batch_size']} "
        f"(up to {s['max_length']} tokens, {s['distinct_shapes']} distinct batch shapes); plain AdamW loop; measured {result['measured']}, "
        f"load average at the start {result['load_average_at_start']}.",
        "",
        "| model | first pass (s, includes compiling) | second pass (s) | examples/s (second pass) |",
        "|---|---|---|---|",
        f"| eager | {e['first_pass_s']} | {e['second_pass_s']} | {e['examples_per_s']} |",
        f"| torch.compile(dynamic=True) | {c['first_pass_s']} | {c['second_pass_s']} | {c['examples_per_s']} |",
        "",
        f"Compiled / eager on the second pass: {result['speed_up']}x.",
    ]
    (RESULTS / "compile_speed.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
