"""bfloat16 autocast against fp32 when training on a CPU: speed and quality, same data, seed and threads.

CPUs with Intel AMX tiles (or AVX512-BF16) multiply bfloat16 matrices natively: this script measures how much of that
reaches a fine-tune of MiniLM, and whether the model is as good. Two of the course's fine-tunes, each trained twice
in one process (fp32 first, then bfloat16 autocast; weights and optimiser stay fp32 either way):

* classifier: Davidson tweets with lesson 01's recipe (class-weighted loss, linear-probe head, 128 tokens, batch 32,
  lr 2e-5, one epoch); test macro-F1 and hate-F1 with a paired bootstrap of bf16 minus fp32;
* embedder: STS-B pairs with CosineSimilarityLoss (batch 16, lr 5e-5, one epoch); test Spearman.

Scoring (predict_proba, encode) runs in fp32 for both models, so only the training precision differs.
The switch is ``ftcourse.runtime.use_cpu_bf16``: the profile field ``cpu_bf16`` that ``lesson_setup`` passes to it.

Run:  HF_HUB_OFFLINE=1 FTCOURSE_DATA_DIR=../shared/data OMP_NUM_THREADS=1 .venv/bin/python bench/cpu_bf16.py
Writes bench/results/cpu_bf16.json and .md.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from conditions import measured_conditions
from sklearn.metrics import f1_score

from ftcourse.data import DAVIDSON_CLASSES, load_dataset
from ftcourse.evaluation import pair_cosines, paired_bootstrap, sts_metrics
from ftcourse.models import load_sentence_transformer
from ftcourse.predict import from_training, predict_proba
from ftcourse.prepare import split, stratified_sample
from ftcourse.profiles import get_profile
from ftcourse.runtime import cpu_bf16_supported, use_cpu_bf16
from ftcourse.train import train_classifier, train_embedder

RESULTS = Path(__file__).resolve().parent / "results"
MODEL = "sentence-transformers/all-MiniLM-L6-v2"
PRECISIONS = {"fp32": False, "bf16 autocast": True}
HATE = list(DAVIDSON_CLASSES).index("hate")


def classifier_runs(train_size: int, test_size: int, seed: int) -> dict:
    profile = get_profile("full", device="cpu")
    davidson = load_dataset("davidson", split="train")
    rest, held_out = split(davidson, test_size=0.2, seed=seed, stratify="label")
    pool, val_pool = split(rest, test_size=0.1, seed=seed, stratify="label")
    train = pool.sample(n=min(train_size, len(pool)), random_state=seed)
    val = stratified_sample(val_pool, "label", min(500, len(val_pool)), seed=seed)
    test = stratified_sample(held_out, "label", test_size, seed=seed)
    y_test, runs = test["label"].to_numpy(), {}
    for name, bf16 in PRECISIONS.items():
        use_cpu_bf16(bf16)
        start = time.perf_counter()
        trained = train_classifier(
            train, val, text_column="text", label_columns="label", label_names=list(DAVIDSON_CLASSES), epochs=1,
            batch_size=profile.batch_size, learning_rate=profile.learning_rate, warmup_ratio=profile.warmup_ratio,
            max_length=profile.max_seq_length, class_weighting="inverse", head_init=profile.head_init, seed=seed, save=False,
            progress=False,
        )  # fmt: skip
        seconds = time.perf_counter() - start
        use_cpu_bf16(False)
        pred = predict_proba(from_training(trained), test["text"].tolist(), batch_size=64).argmax(axis=1)
        runs[name] = {
            "train_seconds": trained.result["train_seconds"],
            "seconds_with_setup": seconds,
            "macro_f1": float(f1_score(y_test, pred, average="macro")),
            "hate_f1": float(f1_score(y_test == HATE, pred == HATE)),
            "pred": pred,
        }
    diff = {}
    for metric, fn in (
        ("macro_f1", lambda y, p: f1_score(y, p, average="macro")),
        ("hate_f1", lambda y, p: f1_score(y == HATE, p == HATE)),
    ):
        r = paired_bootstrap(fn, y_test, runs["fp32"]["pred"], runs["bf16 autocast"]["pred"], n_resamples=1000, seed=seed)
        diff[metric] = {"delta": r["delta"], "low": r["low"], "high": r["high"]}
    for run in runs.values():
        run.pop("pred")
    return {"train": len(train), "validation": len(val), "test": len(test), "runs": runs, "bf16_minus_fp32": diff}


def embedder_runs(train_size: int, seed: int, out: Path) -> dict:
    stsb = load_dataset("stsb")
    train = stsb["train"].sample(n=min(train_size, len(stsb["train"])), random_state=seed).reset_index(drop=True)
    test = stsb["test"]
    runs = {}
    for name, bf16 in PRECISIONS.items():
        use_cpu_bf16(bf16)
        start = time.perf_counter()
        model, _ = train_embedder(
            load_sentence_transformer(MODEL, max_seq_length=128), train[["sentence1", "sentence2", "score"]], "cosine_similarity",
            output_dir=out / name.split()[0], epochs=1, batch_size=16, learning_rate=5e-5, warmup_ratio=0.1, seed=seed,
            save=False, show_progress=False,
        )  # fmt: skip
        seconds = time.perf_counter() - start
        use_cpu_bf16(False)
        runs[name] = {"seconds": seconds, "test_spearman": sts_metrics(pair_cosines(model, test), test["score"])["spearman"]}
    return {"train": len(train), "test": len(test), "runs": runs}


def write(result: dict) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "cpu_bf16.json").write_text(json.dumps(result, indent=2) + "\n")
    c, e = result["classifier"], result["embedder"]
    cf, cb = c["runs"]["fp32"], c["runs"]["bf16 autocast"]
    ef, eb = e["runs"]["fp32"], e["runs"]["bf16 autocast"]
    lines = [
        "# bfloat16 autocast against fp32, training MiniLM on a CPU",
        "",
        f"CPU with native bfloat16 (AMX or AVX512-BF16): {result['cpu_bf16_supported']}. Machine: {result['machine']}, "
        f"{result['threads']} thread(s); measured {result['measured']}; load average at the end {result['load_average_at_end']}; "
        f"seed {result['seed']}. Each pair trained in one process, fp32 first; scoring in fp32 for both.",
        "",
        "| fine-tune | data | precision | training seconds | speed-up | test score |",
        "|---|---|---|---|---|---|",
        f"| Davidson classifier, lesson 01's recipe, 1 epoch | {c['train']:,} train / {c['test']:,} test tweets | fp32 | "
        f"{cf['train_seconds']:.0f} | 1.00x | macro-F1 {cf['macro_f1']:.3f}, hate-F1 {cf['hate_f1']:.3f} |",
        f"| | | bf16 autocast | {cb['train_seconds']:.0f} | {cf['train_seconds'] / cb['train_seconds']:.2f}x | "
        f"macro-F1 {cb['macro_f1']:.3f}, hate-F1 {cb['hate_f1']:.3f} |",
        f"| STS-B, CosineSimilarityLoss, 1 epoch | {e['train']:,} train / {e['test']:,} test pairs | fp32 | {ef['seconds']:.0f} | "
        f"1.00x | Spearman {ef['test_spearman']:.4f} |",
        f"| | | bf16 autocast | {eb['seconds']:.0f} | {ef['seconds'] / eb['seconds']:.2f}x | Spearman {eb['test_spearman']:.4f} |",
        "",
        "Classifier, bf16 minus fp32, paired bootstrap 95 % interval (1,000 resamples of the test tweets): "
        + "; ".join(f"{m} {d['delta']:+.3f} [{d['low']:+.3f}, {d['high']:+.3f}]" for m, d in c["bf16_minus_fp32"].items())
        + ".",
        "",
        "The classifier's seconds are train_classifier's training time (tokenising, the epoch and its validation pass); "
        "the embedder's include loading the model.",
    ]
    (RESULTS / "cpu_bf16.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--classifier-train", type=int, default=3000)
    parser.add_argument("--classifier-test", type=int, default=1500)
    parser.add_argument("--embedder-train", type=int, default=2000)
    parser.add_argument("--output", default="/tmp/ftcourse-cpu-bf16", help="scratch folder for the training logs")
    args = parser.parse_args()
    if not cpu_bf16_supported():
        raise SystemExit("This CPU has no native bfloat16 (AMX or AVX512-BF16): nothing to compare.")
    result = {
        "cpu_bf16_supported": True,
        "torch": torch.__version__,
        "seed": args.seed,
        "classifier": classifier_runs(args.classifier_train, args.classifier_test, args.seed),
        "embedder": embedder_runs(args.embedder_train, args.seed, Path(args.output)),
    } | measured_conditions()
    write(result)
    print((RESULTS / "cpu_bf16.md").read_text())


if __name__ == "__main__":
    main()
