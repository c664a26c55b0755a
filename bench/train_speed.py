"""Training speed at the same max_length, and how close training and inference come to this machine's limit (issue 20).

``bench/train_throughput.py`` compares our recipe at 128 tokens with recipes at 512, so most of its ratio is truncation.
Here every recipe gets the same model (all-MiniLM-L6-v2), the same 512 Jigsaw comments, the same 32 steps of 16, the same
threads and the same ``max_length`` (128, then 256):

1. ours: ``train_classifier`` (tokenised once, padded per batch, length-grouped batches, no evaluation: ``checkpoints=False``);
2. the bare transformers ``Trainer`` with ``DataCollatorWithPadding`` (padded per batch, random batches);
3. a plain PyTorch loop that pads every batch to ``max_length``.

The limit: this machine's fp32 matrix-multiply throughput at the same thread count (the best of square products and the
model's own linear-layer products, probed twice: before the recipes run and after them). A step's
work is estimated from the model and the tokens it actually computed, padding included (the batch shapes are recorded
from the collator): a forward pass costs ``2 * P * T + 4 * L * d * T**2`` per sequence of ``T`` tokens (``P`` = encoder
weights, ``L`` layers of width ``d``: the weight multiplies plus attention's two ``T x T`` products), a training step three
times that. Achieved GFLOP/s = that work / the measured time; its share of the matmul limit says how much is left.
Inference (``predict_proba``, length-sorted batches of 64) is scored the same way, forward only.

With ``--no-dropout`` every recipe trains with dropout off and eager attention, as the CPU full profile does
(``cpu_no_dropout``: ``ftcourse.training.dropout_for_training``; the bare Trainer through ``DropoutForTrainingCallback``).

With ``--cpu-bf16`` every recipe trains in bfloat16 autocast (weights and optimiser in fp32, as the full profile does on a
CPU with AMX or AVX512-BF16), inference is timed both as ``predict_proba`` runs it (fp32) and under autocast, and the limit
is measured in both precisions: the achieved GFLOP/s are set against each.

Run:  HF_HUB_OFFLINE=1 FTCOURSE_DATA_DIR=../shared/data .venv/bin/python bench/train_speed.py [--threads 2] [--lengths 128 256] [--cpu-bf16] [--no-dropout]
Writes bench/results/train_speed.json and .md (train_speed_bf16.* with --cpu-bf16; a _no_dropout suffix with --no-dropout).
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch

from ftcourse.data import JIGSAW_LABELS, load_dataset
from ftcourse.models import BASE_MODEL, resolve_model
from ftcourse.predict import from_training, predict_proba
from ftcourse.runtime import use_cpu_bf16, use_cpu_training_without_dropout
from ftcourse.train import train_classifier
from ftcourse.training import DropoutForTrainingCallback, dropout_for_training

RESULTS = Path(__file__).resolve().parent / "results"
ROWS, BATCH, SEED = 512, 16, 42
STEPS = ROWS // BATCH


def model_shape() -> dict:
    """Encoder weights P, layers L and width d of the base model (embeddings are lookups, not multiplies)."""
    from transformers import AutoModel

    model = AutoModel.from_pretrained(resolve_model(BASE_MODEL))
    return {
        "encoder_parameters": sum(p.numel() for p in model.encoder.parameters()),
        "layers": model.config.num_hidden_layers,
        "hidden": model.config.hidden_size,
    }


def forward_gflops(shapes: list[tuple[int, int]], shape: dict) -> float:
    """Forward work of batches of (sequences, padded tokens) in GFLOP."""
    total = 0.0
    for sequences, tokens in shapes:
        total += sequences * (2 * shape["encoder_parameters"] * tokens + 4 * shape["layers"] * shape["hidden"] * tokens**2)
    return total / 1e9


def matmul_limit(threads: int, dtype: torch.dtype = torch.float32) -> dict:
    """Best GEMM throughput (GFLOP/s) in ``dtype`` at ``threads`` threads, over square ``a @ b`` products and the model's own
    products as its layers compute them (``torch.nn.functional.linear``: activations times a transposed weight).

    Each shape is warmed up, then timed for 1.5 s; the probe runs twice and keeps each shape's better round, because an
    earlier one-round ``a @ b`` probe measured less than inference then computed (``train_speed_bf16.md``, 2026-12-05).
    """
    torch.set_num_threads(threads)
    tokens = BATCH * 128
    products = {
        "a @ b, square 1024": (lambda a, b: a @ b, (1024, 1024), (1024, 1024)),
        "a @ b, square 2048": (lambda a, b: a @ b, (2048, 2048), (2048, 2048)),
        "a @ b, (16 x 128 tokens) x 384 x 1536": (lambda a, b: a @ b, (tokens, 384), (384, 1536)),
        "linear, 16 x 128 tokens, 384 -> 384 (attention projections)": (torch.nn.functional.linear, (tokens, 384), (384, 384)),
        "linear, 16 x 128 tokens, 384 -> 1536 (feed-forward in)": (torch.nn.functional.linear, (tokens, 384), (1536, 384)),
        "linear, 16 x 128 tokens, 1536 -> 384 (feed-forward out)": (torch.nn.functional.linear, (tokens, 1536), (384, 1536)),
    }
    best: dict[str, float] = {}
    for _ in range(2):
        for name, (multiply, a_shape, b_shape) in products.items():
            a, b = torch.randn(*a_shape, dtype=dtype), torch.randn(*b_shape, dtype=dtype)
            flop = 2 * a_shape[0] * a_shape[1] * (b_shape[1] if multiply is not torch.nn.functional.linear else b_shape[0])
            for _ in range(3):
                multiply(a, b)  # warm-up
            reps, started = 0, time.perf_counter()
            while time.perf_counter() - started < 1.5:
                multiply(a, b)
                reps += 1
            best[name] = max(best.get(name, 0.0), round(flop * reps / (time.perf_counter() - started) / 1e9, 1))
    return {"by_shape": best, "limit_gflops": max(best.values())}


@contextmanager
def recorded_batch_shapes():
    """Record (rows, padded length) of every batch the padding collator builds (both Trainer recipes use it)."""
    from transformers import DataCollatorWithPadding

    shapes, original = [], DataCollatorWithPadding.__call__

    def recording(self, features):
        batch = original(self, features)
        shapes.append(tuple(batch["input_ids"].shape))
        return batch

    DataCollatorWithPadding.__call__ = recording
    try:
        yield shapes
    finally:
        DataCollatorWithPadding.__call__ = original


def run_ours(train, max_length: int, folder: Path):
    with recorded_batch_shapes() as shapes:
        trained = train_classifier(
            train, train, label_columns=list(JIGSAW_LABELS), output_dir=folder, save=False, epochs=1, batch_size=BATCH,
            max_length=max_length, checkpoints=False, seed=SEED, progress=False,
        )  # fmt: skip
    # The Trainer's own train_runtime, as for the bare Trainer: result["train_seconds"] also counts loading the model,
    # tokenising and the final validation pass. Later batches, if any, are that validation pass.
    seconds = ROWS / trained.result["train_samples_per_second"]
    return seconds, list(shapes)[:STEPS], trained


def run_bare_trainer(train, max_length: int, folder: Path, bf16: bool = False):
    from datasets import Dataset
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        DataCollatorWithPadding,
        Trainer,
        TrainingArguments,
    )

    path = resolve_model(BASE_MODEL)
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=6, problem_type="multi_label_classification")
    data = Dataset.from_dict(
        {"text": train["text"].tolist(), "labels": train[list(JIGSAW_LABELS)].to_numpy(dtype=np.float32).tolist()}
    )
    data = data.map(lambda b: tokenizer(b["text"], truncation=True, max_length=max_length), batched=True, remove_columns=["text"])
    args = TrainingArguments(
        output_dir=str(folder), per_device_train_batch_size=BATCH, max_steps=STEPS, seed=SEED, report_to="none",
        save_strategy="no", disable_tqdm=True, use_cpu=True, bf16=bf16,
    )  # fmt: skip
    trainer = Trainer(
        model=model, args=args, train_dataset=data, processing_class=tokenizer, data_collator=DataCollatorWithPadding(tokenizer),
        callbacks=[DropoutForTrainingCallback()],  # --no-dropout: as the package trains; otherwise it changes nothing
    )  # fmt: skip
    with recorded_batch_shapes() as shapes:
        output = trainer.train()
    return output.metrics["train_runtime"], list(shapes)


def run_plain_loop(train, max_length: int, bf16: bool = False):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    path = resolve_model(BASE_MODEL)
    torch.manual_seed(SEED)
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=6, problem_type="multi_label_classification")
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-5)
    labels = torch.tensor(train[list(JIGSAW_LABELS)].to_numpy(), dtype=torch.float32)
    texts = train["text"].tolist()
    model.train()
    started = time.perf_counter()
    with dropout_for_training(model, "cpu"):  # --no-dropout: as the package trains; otherwise it changes nothing
        _plain_steps(model, optimizer, tokenizer, texts, labels, max_length, bf16)
    return time.perf_counter() - started, [(BATCH, max_length)] * STEPS


def _plain_steps(model, optimizer, tokenizer, texts, labels, max_length: int, bf16: bool) -> None:
    for step in range(STEPS):
        rows = slice(step * BATCH, (step + 1) * BATCH)
        batch = tokenizer(texts[rows], padding="max_length", truncation=True, max_length=max_length, return_tensors="pt")
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = model(**batch).logits
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits.float(), labels[rows])
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()


def inference_shapes(texts: list[str], max_length: int, batch_size: int = 64) -> list[tuple[int, int]]:
    """The (rows, padded length) of predict_proba's length-sorted batches."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(resolve_model(BASE_MODEL))
    lengths = np.sort([len(ids) for ids in tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]], kind="stable")
    return [(len(chunk), int(chunk.max())) for chunk in np.array_split(lengths, range(batch_size, len(lengths), batch_size))]


def row(name: str, seconds: float, shapes, real_tokens: int, shape: dict, limit: float, training: bool = True,
        bf16_limit: float | None = None) -> dict:  # fmt: skip
    work = forward_gflops(shapes, shape) * (3 if training else 1)
    computed = sum(s * t for s, t in shapes)
    extra = {"share_of_bf16_limit": round(work / seconds / bf16_limit, 3)} if bf16_limit else {}
    return {
        "recipe": name,
        "seconds": round(seconds, 2),
        "examples_per_s": round(sum(s for s, _ in shapes) / seconds, 1),
        "tokens_computed": computed,
        "padding_share": round(1 - real_tokens / computed, 3),
        "gflop": round(work, 1),
        "gflops_per_s": round(work / seconds, 1),
        "share_of_limit": round(work / seconds / limit, 3),
        **extra,
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--lengths", type=int, nargs="+", default=[128, 256])
    parser.add_argument("--cpu-bf16", action="store_true", help="train every recipe in bfloat16 autocast; set both limits")
    parser.add_argument("--no-dropout", action="store_true", help="train every recipe with dropout off and eager attention")
    args = parser.parse_args(argv)
    use_cpu_training_without_dropout(args.no_dropout)
    torch.set_num_threads(args.threads)
    if args.cpu_bf16 and not use_cpu_bf16(True):
        raise SystemExit("--cpu-bf16: this CPU has no native bfloat16 (AMX or AVX512-BF16); nothing to measure.")
    bf16 = args.cpu_bf16
    df = load_dataset("jigsaw-sample", "train").sample(ROWS, random_state=SEED).reset_index(drop=True)
    texts = df["text"].tolist()
    shape, limit = model_shape(), matmul_limit(args.threads)
    bf16_limit = matmul_limit(args.threads, torch.bfloat16) if bf16 else None
    limits = {"limit": limit["limit_gflops"], "bf16_limit": bf16_limit["limit_gflops"] if bf16 else None}
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(resolve_model(BASE_MODEL))
    full_lengths = [len(ids) for ids in tokenizer(texts)["input_ids"]]
    results = {
        "machine": f"{platform.machine()}, {args.threads} threads, torch {torch.__version__}",
        "setup": {"rows": ROWS, "batch_size": BATCH, "steps": STEPS, "model": BASE_MODEL, **shape},
        "matmul": limit,
        "precision": "bf16 autocast" if bf16 else "fp32",
        "dropout": "off, eager attention" if args.no_dropout else "as configured",
        **({"matmul_bf16": bf16_limit} if bf16 else {}),
        "runs": [],
    }
    with tempfile.TemporaryDirectory() as tmp:
        for max_length in args.lengths:
            real = int(np.minimum(full_lengths, max_length).sum())
            seconds, shapes, trained = run_ours(df, max_length, Path(tmp) / f"ours{max_length}")
            ours = row("ours (train_classifier)", seconds, shapes, real, shape, **limits)
            bare = row("bare Trainer + padding collator", *run_bare_trainer(df, max_length, Path(tmp) / f"bare{max_length}", bf16), real,
                       shape, **limits)  # fmt: skip
            plain = row(f"plain loop padded to {max_length}", *run_plain_loop(df, max_length, bf16), real, shape, **limits)
            entries = [ours, bare, plain]
            for autocast in (False, True) if bf16 else (False,):
                started = time.perf_counter()
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
                    predict_proba(from_training(trained), texts, batch_size=64)
                name = "inference (predict_proba, batch 64" + (", under bf16 autocast)" if autocast else ")")
                entries.append(row(name, time.perf_counter() - started, inference_shapes(texts, max_length), real, shape, training=False,
                                   **limits))  # fmt: skip
            for entry in entries:
                results["runs"].append({"max_length": max_length, **entry})
            results[f"ratios_at_{max_length}"] = {
                "ours_vs_bare_trainer": round(ours["examples_per_s"] / bare["examples_per_s"], 2),
                "ours_vs_plain_loop": round(ours["examples_per_s"] / plain["examples_per_s"], 2),
            }
            RESULTS.mkdir(exist_ok=True)
            (RESULTS / f"{stem(bf16, args.no_dropout)}.json").write_text(json.dumps(results, indent=2) + "\n")
    # the probe again, after the recipes: a limit that only held at the start would flatter every share
    results["matmul"] = better_probe(limit, matmul_limit(args.threads))
    if bf16:
        results["matmul_bf16"] = better_probe(bf16_limit, matmul_limit(args.threads, torch.bfloat16))
    for entry in results["runs"]:
        entry["share_of_limit"] = round(entry["gflops_per_s"] / results["matmul"]["limit_gflops"], 3)
        if bf16:
            entry["share_of_bf16_limit"] = round(entry["gflops_per_s"] / results["matmul_bf16"]["limit_gflops"], 3)
    (RESULTS / f"{stem(bf16, args.no_dropout)}.json").write_text(json.dumps(results, indent=2) + "\n")
    write_markdown(results)


def better_probe(before: dict, after: dict) -> dict:
    """Each shape's better GFLOP/s of the probe before and after the recipes; the limit is the best of them."""
    best = {name: max(value, after["by_shape"][name]) for name, value in before["by_shape"].items()}
    return {
        "by_shape": best,
        "limit_gflops": max(best.values()),
        "before": before["limit_gflops"],
        "after": after["limit_gflops"],
    }


def stem(bf16: bool, no_dropout: bool = False) -> str:
    return ("train_speed_bf16" if bf16 else "train_speed") + ("_no_dropout" if no_dropout else "")


def write_markdown(results: dict) -> None:
    limit, bf16 = results["matmul"], results.get("precision") == "bf16 autocast"
    no_dropout = results.get("dropout", "as configured") != "as configured"
    limits = f"fp32 matmul limit: {limit['limit_gflops']} GFLOP/s (best probe before the recipes {limit.get('before')}, after {limit.get('after')}; by shape: {limit['by_shape']})"
    if bf16:
        limits += f"; bfloat16 matmul limit: {results['matmul_bf16']['limit_gflops']} GFLOP/s (by shape: {results['matmul_bf16']['by_shape']})"
    lines = [
        "# Training speed at the same max_length, against this machine's matmul limit"
        + (" (training in bfloat16 autocast)" if bf16 else "")
        + (" (dropout off, eager attention)" if no_dropout else ""),
        "",
        f"Machine: {results['machine']}. {results['setup']['rows']} Jigsaw comments, {results['setup']['steps']} steps of "
        f"{results['setup']['batch_size']}, all-MiniLM-L6-v2 ({results['setup']['encoder_parameters']:,} encoder weights). {limits}.",
        "",
        "| max_length | recipe | examples/s | padding share | GFLOP/s | share of the fp32 limit |"
        + (" share of the bf16 limit |" if bf16 else ""),
        "|---|---|---|---|---|---|" + ("---|" if bf16 else ""),
        *(
            f"| {r['max_length']} | {r['recipe']} | {r['examples_per_s']} | {r['padding_share']:.0%} | {r['gflops_per_s']} | {r['share_of_limit']:.0%} |"
            + (f" {r['share_of_bf16_limit']:.0%} |" if bf16 else "")
            for r in results["runs"]
        ),
        "",
        *(
            f"At {key.split('_')[-1]} tokens: ours is {v['ours_vs_bare_trainer']}x the bare Trainer and {v['ours_vs_plain_loop']}x the "
            "plain padded loop."
            for key, v in results.items()
            if key.startswith("ratios_at_")
        ),  # fmt: skip
        "",
        "GFLOP/s count the work the recipe actually computed, padding included: a recipe that pads more does more work for the same "
        "examples, so its GFLOP/s can be high while its examples/s are low.",
    ]
    (RESULTS / f"{stem(bf16, no_dropout)}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
