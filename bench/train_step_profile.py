"""Where a MiniLM training step spends its time on this CPU, by kind of operation (issue 20: "find what is still slow").

``bench/train_speed.py`` measures how much of the machine's matmul throughput a training step reaches (about half at best).
This script says where the rest goes: it trains the classifier the way ``train_classifier`` does (512 Jigsaw comments in
length-sorted batches of 16, padded per batch, fused AdamW, optionally bfloat16 autocast) and records 16 steps with
``torch.profiler``. Each operator's own time (self CPU time, children excluded) is put in one group:

* matrix multiplies (``mm``, ``addmm``, ``bmm``, ...): the work the FLOP estimate counts;
* attention's softmax, GELU, layer norm, dropout, adds and other element-wise kernels (memory-bound);
* dtype casts (autocast's copies of weights and activations to bfloat16 and back);
* fused attention: SDPA's flash kernel, which PyTorch runs on a CPU only when attention dropout is off;
* the optimizer step (fused AdamW over every weight, the 11.7 M-row embedding table included);
* the rest (embedding lookups and their gradient, loss, copies, Python overhead the profiler sees as ops).

The matmul group's time also gives the GFLOP/s the multiplies themselves reach, against the probe of
``bench/train_speed.py``: if the multiplies alone run near the limit, what is slow is everything between them.

``--attention-dropout 0`` / ``--hidden-dropout 0`` train with that dropout switched off (the model's config says 0.1 for
both), to time what drawing dropout's random masks (``aten::bernoulli_``) costs a step. A recipe change, not a free speed-up:
dropout regularises the fine-tune, so switching it off has to be judged on test scores too.

Run:  HF_HUB_OFFLINE=1 FTCOURSE_DATA_DIR=../shared/data .venv/bin/python bench/train_step_profile.py [--threads 2] [--cpu-bf16]
Writes bench/results/train_step_profile.json and .md (both precisions in one file: the last run of each is kept).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from conditions import measured_conditions
from train_speed import BATCH, ROWS, SEED, forward_gflops, model_shape

from ftcourse.data import JIGSAW_LABELS, load_dataset
from ftcourse.models import BASE_MODEL, resolve_model
from ftcourse.runtime import cpu_bf16_supported

RESULTS = Path(__file__).resolve().parent / "results"
WARMUP_STEPS, PROFILED_STEPS = 4, 16
GROUPS = {  # the first group whose words appear in an operator's name takes its time
    # without attention dropout, SDPA runs its fused CPU kernel; with it, the math path (bmm, softmax, dropout) below
    "fused attention (SDPA flash kernel, forward and backward)": ("scaled_dot_product",),
    "matrix multiplies": ("aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm", "aten::matmul", "mkldnn_", "aten::linear"),
    "dtype casts": ("aten::to", "aten::_to_copy", "aten::copy_"),
    "optimizer step": ("adam", "optimizer"),
    "softmax, GELU, layer norm, dropout, element-wise": (
        "softmax",
        "gelu",
        "layer_norm",
        "dropout",
        "aten::add",
        "aten::mul",
        "aten::div",
        "aten::sub",
        "aten::where",
        "aten::masked_fill",
        "aten::native_",
        "aten::bernoulli",
        "aten::tanh",
        "aten::rsub",
        "aten::sum",
        "aten::fill_",
        "aten::zero_",
        "aten::clamp",
        "aten::sqrt",
        "aten::pow",
        "aten::neg",
        "aten::exp",
        "aten::lt",
        "aten::gt",
    ),  # fmt: skip
}


def group_of(name: str) -> str:
    lowered = name.lower()
    for group, words in GROUPS.items():
        if any(word.lower() in lowered for word in words):
            return group
    return "the rest (embeddings, loss, copies, other ops)"


def batches(max_length: int):
    """Length-sorted batches of 16, padded per batch, as train_classifier's group_by_length sampler builds them (roughly)."""
    from transformers import AutoTokenizer

    df = load_dataset("jigsaw-sample", "train").sample(ROWS, random_state=SEED).reset_index(drop=True)
    tokenizer = AutoTokenizer.from_pretrained(resolve_model(BASE_MODEL))
    encoded = tokenizer(df["text"].tolist(), truncation=True, max_length=max_length)
    order = np.argsort([len(ids) for ids in encoded["input_ids"]], kind="stable")
    labels = torch.tensor(df[list(JIGSAW_LABELS)].to_numpy(), dtype=torch.float32)
    out = []
    for start in range(0, ROWS, BATCH):
        rows = order[start : start + BATCH]
        padded = tokenizer.pad({"input_ids": [encoded["input_ids"][i] for i in rows],
                                "attention_mask": [encoded["attention_mask"][i] for i in rows]}, return_tensors="pt")  # fmt: skip
        out.append((padded, labels[rows]))
    rng = np.random.default_rng(SEED)
    return [out[i] for i in rng.permutation(len(out))]  # batches of similar lengths, in random order


def profile_steps(max_length: int, bf16: bool, dropout: dict[str, float] | None = None, attention: str | None = None) -> dict:
    from transformers import AutoModelForSequenceClassification

    torch.manual_seed(SEED)
    model = AutoModelForSequenceClassification.from_pretrained(
        resolve_model(BASE_MODEL),
        num_labels=len(JIGSAW_LABELS),
        problem_type="multi_label_classification",
        **(dropout or {}),
        **({"attn_implementation": attention} if attention else {}),
    )
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-5, fused=True)
    data = batches(max_length)

    def step(batch, labels):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = model(**batch).logits
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits.float(), labels)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    for batch, labels in data[:WARMUP_STEPS]:
        step(batch, labels)
    profiled = data[WARMUP_STEPS : WARMUP_STEPS + PROFILED_STEPS]
    started = time.perf_counter()
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        for batch, labels in profiled:
            step(batch, labels)
    wall = time.perf_counter() - started
    shapes = [tuple(batch["input_ids"].shape) for batch, _ in profiled]
    self_us: dict[str, float] = {}
    top = []
    for event in prof.key_averages():
        group = group_of(event.key)
        self_us[group] = self_us.get(group, 0.0) + event.self_cpu_time_total
        top.append((event.self_cpu_time_total, event.key, group))
    total_us = sum(self_us.values())
    work = 3 * forward_gflops(shapes, model_shape())  # forward + backward, as train_speed.py counts a step
    return {
        "max_length": max_length,
        "precision": "bf16 autocast" if bf16 else "fp32",
        "dropout": {"attention": model.config.attention_probs_dropout_prob, "hidden": model.config.hidden_dropout_prob},
        "attention": model.config._attn_implementation,
        "steps": PROFILED_STEPS,
        "tokens_computed": int(sum(s * t for s, t in shapes)),
        "wall_seconds": round(wall, 2),
        "gflops_per_s_whole_step": round(work / wall, 1),
        # shares of the operators' summed self time; the profiler records each op on the thread that called it
        "share_by_group": {g: round(us / total_us, 3) for g, us in sorted(self_us.items(), key=lambda kv: -kv[1])},
        "matmul_gflops_per_s_estimate": round(work / (self_us.get("matrix multiplies", 0.0) / total_us * wall), 1),
        "top_ops": [{"op": k, "group": g, "share": round(us / total_us, 3)} for us, k, g in sorted(top, reverse=True)[:12]],
    }


def dropout_label(dropout: dict | None) -> str:
    if not dropout:
        return "as configured"
    return f"attention {dropout['attention']:g}, hidden {dropout['hidden']:g}"


def write(results: dict) -> None:
    lines = [
        "# Where a training step's time goes (torch.profiler, self CPU time by kind of operation)",
        "",
        f"MiniLM classifier, {ROWS} Jigsaw comments in length-sorted batches of {BATCH}, fused AdamW; {WARMUP_STEPS} warm-up steps, "
        f"then {PROFILED_STEPS} profiled. Machine: {results['conditions']['machine']}, {results['conditions']['threads']} threads.",
        "",
    ]
    for run in results["runs"].values():
        lines += [
            f"## {run['precision']}, {run['max_length']} tokens, dropout {dropout_label(run.get('dropout'))}, {run.get('attention', 'sdpa')} attention "
            f"(measured {run['measured']})",
            "",
            f"{run['steps']} steps in {run['wall_seconds']} s; the whole step computes {run['gflops_per_s_whole_step']} GFLOP/s "
            f"(train_speed.py's count); the multiplies alone, at their share of the time, about {run['matmul_gflops_per_s_estimate']} GFLOP/s.",
            "",
            "| kind of operation | share of the step's operator time |",
            "|---|---|",
            *(f"| {g} | {share:.0%} |" for g, share in run["share_by_group"].items()),
            "",
            "Largest operators: " + "; ".join(f"`{t['op']}` {t['share']:.0%}" for t in run["top_ops"][:8]) + ".",
            "",
        ]
    (RESULTS / "train_step_profile.md").write_text("\n".join(lines))
    print("\n".join(lines))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--cpu-bf16", action="store_true", help="train under bfloat16 autocast (CPUs with AMX or AVX512-BF16)")
    parser.add_argument(
        "--attention-dropout", type=float, default=None, help="override the config's attention_probs_dropout_prob"
    )
    parser.add_argument("--hidden-dropout", type=float, default=None, help="override the config's hidden_dropout_prob")
    parser.add_argument(
        "--attention", choices=["sdpa", "eager"], default=None, help="attention implementation (transformers' default: sdpa)"
    )
    args = parser.parse_args(argv)
    if args.cpu_bf16 and not cpu_bf16_supported():
        raise SystemExit("--cpu-bf16: this CPU has no native bfloat16 (AMX or AVX512-BF16); nothing to measure.")
    torch.set_num_threads(args.threads)
    path = RESULTS / "train_step_profile.json"
    results = json.loads(path.read_text()) if path.is_file() else {"runs": {}}
    overrides = {"attention_probs_dropout_prob": args.attention_dropout, "hidden_dropout_prob": args.hidden_dropout}
    run = profile_steps(args.max_length, args.cpu_bf16, {k: v for k, v in overrides.items() if v is not None}, args.attention)
    results["conditions"] = measured_conditions()
    key = f"{run['precision']} {run['max_length']} dropout {dropout_label(run['dropout'])} {run['attention']}"
    results["runs"][key] = run | {"measured": results["conditions"]["measured"]}
    RESULTS.mkdir(exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")
    write(results)


if __name__ == "__main__":
    main()
