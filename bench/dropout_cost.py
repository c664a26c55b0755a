"""What dropout costs a fine-tune on this CPU, in time and in test score (issue 20: "find what is still slow").

``bench/train_step_profile.py`` found drawing dropout's random masks (``aten::bernoulli_``) to be a fifth to a third of
a MiniLM training step's operator time on a 2-core CPU (pytorch/pytorch#138199 reports the same on other CPUs). Switching
dropout off removes that cost, but it is a recipe change: dropout regularises the fine-tune. This script trains two of the
course's fine-tunes three times, everything else equal (data, seed, threads, bfloat16 autocast as the CPU full profile
trains): with MiniLM's dropout as configured (0.1 on attention and hidden states); with both at 0; and with both at 0 and
transformers' plain ("eager") attention. The third exists because without attention dropout PyTorch's SDPA switches to its
fused CPU kernel, whose bfloat16 backward pass was slower here than the whole dropout it saves (train_step_profile.md).

* classifier: lesson 01's full-profile recipe on a CPU (4,000 Davidson tweets, two epochs, class-weighted loss,
  linear-probe head, 128 tokens, batch 32, lr 2e-5); test macro-F1 and hate-F1;
* embedder: lesson 05's (all 5,749 STS-B pairs, CoSENT, one epoch, batch 16, lr 5e-5); test Spearman.

Each difference (a variant minus dropout as configured) comes with a paired bootstrap interval over the test rows. One seed per
recipe: the interval covers the test sample, not the spread between seeds.

The models without dropout are copies of the base model's folder whose config.json sets both probabilities to 0 (and the
attention implementation), so the package's own training functions run unchanged.

Run:  HF_HUB_OFFLINE=1 FTCOURSE_DATA_DIR=../shared/data .venv/bin/python bench/dropout_cost.py
Writes bench/results/dropout_cost.json and .md (``--seed N`` other than 42: dropout_cost_seedN.json and .md).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from conditions import measured_conditions
from scipy.stats import spearmanr
from sklearn.metrics import f1_score

from ftcourse.data import DAVIDSON_CLASSES, load_dataset
from ftcourse.evaluation import pair_cosines, paired_bootstrap
from ftcourse.models import BASE_MODEL, load_sentence_transformer, resolve_model
from ftcourse.predict import from_training, predict_proba
from ftcourse.prepare import split, stratified_sample
from ftcourse.profiles import get_profile
from ftcourse.runtime import mixed_precision, use_cpu_bf16
from ftcourse.train import train_classifier, train_embedder

RESULTS = Path(__file__).resolve().parent / "results"
HATE = list(DAVIDSON_CLASSES).index("hate")
WITH, WITHOUT, WITHOUT_EAGER = "dropout 0.1 (as configured)", "no dropout", "no dropout, eager attention"
VARIANTS = (WITHOUT, WITHOUT_EAGER)  # each compared with WITH


def without_dropout(folder: Path, attention: str | None = None) -> Path:
    """A copy of the base model whose config switches attention and hidden dropout off (and sets ``attention``, if given)."""
    shutil.copytree(resolve_model(BASE_MODEL), folder)
    config = json.loads((folder / "config.json").read_text())
    config.update(attention_probs_dropout_prob=0.0, hidden_dropout_prob=0.0)
    if attention:
        config["attn_implementation"] = attention
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    return folder


def classifier_runs(models: dict[str, str], seed: int) -> dict:
    profile = get_profile("full", device="cpu")
    davidson = load_dataset("davidson", split="train")
    rest, held_out = split(davidson, test_size=0.2, seed=seed, stratify="label")
    pool, val_pool = split(rest, test_size=0.1, seed=seed, stratify="label")
    train = pool.sample(n=min(profile.train_size, len(pool)), random_state=seed)
    val = stratified_sample(val_pool, "label", min(500, len(val_pool)), seed=seed)
    test = stratified_sample(held_out, "label", profile.eval_size, seed=seed)
    y_test, runs, preds = test["label"].to_numpy(), {}, {}
    for name, base_model in models.items():
        trained = train_classifier(
            train, val, text_column="text", label_columns="label", label_names=list(DAVIDSON_CLASSES), base_model=base_model,
            epochs=profile.epochs, batch_size=profile.batch_size, learning_rate=profile.learning_rate,
            warmup_ratio=profile.warmup_ratio, max_length=profile.max_seq_length, class_weighting="inverse",
            head_init=profile.head_init, seed=seed, save=False, progress=False,
        )  # fmt: skip
        preds[name] = predict_proba(from_training(trained), test["text"].tolist(), batch_size=64).argmax(axis=1)
        runs[name] = {
            "train_seconds": trained.result["train_seconds"],
            "macro_f1": float(f1_score(y_test, preds[name], average="macro")),
            "hate_f1": float(f1_score(y_test == HATE, preds[name] == HATE)),
        }
    diff = {variant: {} for variant in VARIANTS}
    for variant in VARIANTS:
        for metric, fn in (
            ("macro_f1", lambda y, p: f1_score(y, p, average="macro")),
            ("hate_f1", lambda y, p: f1_score(y == HATE, p == HATE)),
        ):
            r = paired_bootstrap(fn, y_test, preds[WITH], preds[variant], n_resamples=1000, seed=seed)
            diff[variant][metric] = {"delta": r["delta"], "low": r["low"], "high": r["high"]}
    return {"train": len(train), "test": len(test), "epochs": profile.epochs, "runs": runs, "minus_with": diff}


def embedder_runs(models: dict[str, str], seed: int, out: Path) -> dict:
    profile = get_profile("full", device="cpu")
    stsb = load_dataset("stsb")
    train, test = stsb["train"][["sentence1", "sentence2", "score"]], stsb["test"]
    gold, runs, cosines = test["score"].to_numpy(), {}, {}
    for name, base_model in models.items():
        start = time.perf_counter()
        model, _ = train_embedder(
            load_sentence_transformer(base_model, max_seq_length=profile.max_seq_length), train, "cosent",
            output_dir=out / f"run{len(runs)}", epochs=profile.sts_epochs, batch_size=16, learning_rate=profile.sts_learning_rate,
            warmup_ratio=profile.warmup_ratio, seed=seed, save=False, show_progress=False,
        )  # fmt: skip
        seconds = time.perf_counter() - start
        cosines[name] = np.asarray(pair_cosines(model, test))
        runs[name] = {"seconds_with_loading": seconds, "test_spearman": float(spearmanr(gold, cosines[name]).statistic)}
    diff = {}
    for variant in VARIANTS:
        r = paired_bootstrap(
            lambda y, c: spearmanr(y, c).statistic, gold, cosines[WITH], cosines[variant], n_resamples=1000, seed=seed
        )
        diff[variant] = {"spearman": {"delta": r["delta"], "low": r["low"], "high": r["high"]}}
    return {"train": len(train), "test": len(test), "epochs": profile.sts_epochs, "runs": runs, "minus_with": diff}


def stem(seed: int) -> str:
    """Results file name: the first seed's run is ``dropout_cost``, other seeds' runs sit beside it."""
    return "dropout_cost" if seed == 42 else f"dropout_cost_seed{seed}"


def write(result: dict) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{stem(result['seed'])}.json").write_text(json.dumps(result, indent=2) + "\n")
    c, e = result["classifier"], result["embedder"]
    rows = []
    for name in (WITH, *VARIANTS):
        cr, er = c["runs"][name], e["runs"][name]
        rows += [
            f"| Davidson classifier (lesson 01, {c['epochs']} epochs, {c['train']:,} / {c['test']:,} tweets) | {name} | "
            f"{cr['train_seconds']:.0f} | {c['runs'][WITH]['train_seconds'] / cr['train_seconds']:.2f}x | "
            f"macro-F1 {cr['macro_f1']:.3f}, hate-F1 {cr['hate_f1']:.3f} |",
            f"| STS-B embedder (lesson 05, CoSENT, {e['epochs']} epoch, {e['train']:,} / {e['test']:,} pairs) | {name} | "
            f"{er['seconds_with_loading']:.0f} | {e['runs'][WITH]['seconds_with_loading'] / er['seconds_with_loading']:.2f}x | "
            f"Spearman {er['test_spearman']:.4f} |",
        ]
    lines = [
        "# What dropout costs a fine-tune on this CPU: time and test score",
        "",
        f"Machine: {result['machine']}, {result['threads']} threads, training in {result['training_precision']}; measured "
        f"{result['measured']}; load average at the end {result['load_average_at_end']}; seed {result['seed']}.",
        "",
        "| fine-tune | dropout | training seconds | speed-up | test score |",
        "|---|---|---|---|---|",
        *sorted(rows, key=lambda line: not line.startswith("| Davidson")),
        "",
        "Each variant minus dropout as configured, paired bootstrap 95 % interval over the test rows (one seed each):",
        "",
        *(
            f"- classifier, {v}, {m}: {d['delta']:+.3f} [{d['low']:+.3f}, {d['high']:+.3f}]"
            for v in VARIANTS
            for m, d in c["minus_with"][v].items()
        ),
        *(
            f"- embedder, {v}, {m}: {d['delta']:+.4f} [{d['low']:+.4f}, {d['high']:+.4f}]"
            for v in VARIANTS
            for m, d in e["minus_with"][v].items()
        ),
        "",
        "The classifier's seconds are train_classifier's (tokenising, the epochs and their validation passes); the embedder's "
        "include loading the model.",
    ]
    (RESULTS / f"{stem(result['seed'])}.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    use_cpu_bf16(get_profile("full", device="cpu").cpu_bf16)  # as the full profile trains on this CPU
    with tempfile.TemporaryDirectory(prefix="ftcourse-dropout-") as tmp:
        models = {
            WITH: resolve_model(BASE_MODEL),
            WITHOUT: str(without_dropout(Path(tmp) / "minilm-no-dropout")),
            WITHOUT_EAGER: str(without_dropout(Path(tmp) / "minilm-no-dropout-eager", attention="eager")),
        }
        result = {
            "seed": args.seed,
            "training_precision": "bf16 autocast" if mixed_precision("cpu")["bf16"] else "fp32",
            "classifier": classifier_runs(models, args.seed),
            "embedder": embedder_runs(models, args.seed, Path(tmp) / "runs"),
        } | measured_conditions()
    write(result)
    print((RESULTS / f"{stem(args.seed)}.md").read_text())


if __name__ == "__main__":
    main()
