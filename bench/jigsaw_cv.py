"""Jigsaw sample, every comment scored once: macro PR-AUC of lesson 10's fine-tune against TF-IDF, out of fold.

Lesson 10 scores one 750-comment test split of the 5,000-comment sample. Its severe_toxic column holds 7 positives
there, so the macro PR-AUC difference between the fine-tune and TF-IDF + LR has an interval about 0.15 wide
(reference run: 0.724 -> 0.782, [-0.021, +0.134]). Here five folds each take a turn as the test split: each model is
trained on the other four (15 % of the comments held out of training as the validation split that picks the epoch),
so every comment gets one out-of-fold prediction from each model, and the paired bootstrap runs over all 5,000.

The models and their recipe are lesson 10's on this device (``get_profile("full")``): MiniLM with the sqrt-inverse
weighted loss, a linear-probe head, normalised text, early stopping on validation PR-AUC; the same class-weighted
TF-IDF (word and character n-grams) + one logistic regression per label.

Pooled out-of-fold scores mix five models' calibrations in one ranking; the per-fold differences, each on its own
1,000 comments, are shown beside the pooled figure for that reason.

A third row, fixed before it was first measured (2026-12-06): the mean of the two models' probabilities for each comment and
label, with no weight tuned. The two make different mistakes (the fine-tune reads meaning, TF-IDF keeps rare tell-tale words and
character n-grams of the few threat comments), and averaging is what practitioners do with such a pair. The out-of-fold
probabilities are kept in ``build/jigsaw_cv_predictions.npz`` so that another combination can be scored without training again.

On a CPU with AMX or AVX512-BF16 the fine-tunes train in bfloat16 autocast, as lesson 10's full profile does there
(``FTCOURSE_CPU_BF16=0`` for fp32).

Run:  HF_HUB_OFFLINE=1 FTCOURSE_DATA_DIR=../shared/data .venv/bin/python bench/jigsaw_cv.py
Writes bench/results/jigsaw_cv.json and .md.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from conditions import measured_conditions
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold

from ftcourse.baselines import tfidf_multilabel_baseline
from ftcourse.data import JIGSAW_LABELS, load_dataset
from ftcourse.evaluation import paired_bootstrap
from ftcourse.predict import from_training, predict_proba
from ftcourse.prepare import normalize_text, split
from ftcourse.profiles import get_profile
from ftcourse.runtime import mixed_precision, use_cpu_bf16
from ftcourse.train import train_classifier

RESULTS = Path(__file__).resolve().parent / "results"
PREDICTIONS = Path(__file__).resolve().parent.parent / "build" / "jigsaw_cv_predictions.npz"
LABELS = list(JIGSAW_LABELS)
TFIDF, TUNED, BLEND = "TF-IDF + LR", "fine-tuned MiniLM", "mean of the two"
MODELS = (TFIDF, TUNED, BLEND)
# (key in the result, baseline, treatment): the comparison first
COMPARISONS = (
    ("fine_tuned_minus_tfidf", TFIDF, TUNED),
    ("blend_minus_tfidf", TFIDF, BLEND),
    ("blend_minus_fine_tuned", TUNED, BLEND),
)


def macro_pr_auc(y, p) -> float:
    return float(np.mean([average_precision_score(y[:, j], p[:, j]) for j in range(y.shape[1])]))


def macro_roc_auc(y, p) -> float:
    return float(np.mean([roc_auc_score(y[:, j], p[:, j]) for j in range(y.shape[1])]))


def rarest_label_key(y: np.ndarray) -> np.ndarray:
    """One stratum per comment: its rarest positive label, or 'none'; keeps each fold's few severe_toxic and threat rows."""
    prevalence = y.mean(axis=0)
    order = np.argsort(prevalence)  # rarest first
    key = np.full(len(y), len(LABELS))
    for j in order[::-1]:  # commonest first, so the rarest positive label writes last and wins
        key[y[:, j] == 1] = j
    return key


def fold_predictions(df, train_idx, test_idx, seed: int, profile, epochs: float | None, fold: int) -> dict:
    rest, test = df.iloc[train_idx], df.iloc[test_idx]
    train, val = split(rest, test_size=0.15 * len(df) / len(rest), seed=seed + fold, label_columns=LABELS)
    start = time.perf_counter()
    tfidf = tfidf_multilabel_baseline(seed=seed).fit(normalize_text(train["text"]).tolist(), train[LABELS].to_numpy())
    tfidf_test = tfidf.predict_proba(normalize_text(test["text"]).tolist())
    tfidf_seconds = time.perf_counter() - start
    start = time.perf_counter()
    trained = train_classifier(
        train, val, text_column="text", label_columns=LABELS, epochs=epochs or profile.epochs, batch_size=profile.batch_size,
        learning_rate=profile.milestone_learning_rate, max_length=profile.max_seq_length, class_weighting="sqrt_inverse",
        head_init=profile.head_init, seed=seed, normalize=True, save=False, progress=False,
    )  # fmt: skip
    tuned_test = predict_proba(from_training(trained), test["text"].tolist(), batch_size=64)
    return {
        "positions": np.asarray(test_idx),
        TFIDF: tfidf_test,
        TUNED: tuned_test,
        BLEND: (tfidf_test + tuned_test) / 2,
        "sizes": {"train": len(train), "validation": len(val), "test": len(test)},
        "seconds": {TFIDF: tfidf_seconds, TUNED: time.perf_counter() - start},
        "epochs_run": trained.result.get("epochs_run"),
    }


def run(seed: int, folds: int, epochs: float | None, max_rows: int | None) -> dict:
    profile = get_profile("full", device="cpu")
    use_cpu_bf16(profile.cpu_bf16)  # as lesson 10's lesson_setup does: bfloat16 autocast where the CPU has it natively
    df = load_dataset("jigsaw-sample", split="train").reset_index(drop=True)
    if max_rows:  # a smoke run of this script
        df = df.sample(n=max_rows, random_state=seed).reset_index(drop=True)
    y = df[LABELS].to_numpy()
    pooled = {name: np.zeros(y.shape) for name in MODELS}
    per_fold = []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for fold, (train_idx, test_idx) in enumerate(splitter.split(np.zeros(len(df)), rarest_label_key(y))):
        part = fold_predictions(df, train_idx, test_idx, seed, profile, epochs, fold)
        y_fold = y[part["positions"]]
        measurable = [j for j in range(len(LABELS)) if 0 < y_fold[:, j].sum() < len(y_fold)]
        for name in MODELS:
            pooled[name][part["positions"]] = part[name]
        per_fold.append({
            "fold": fold, "sizes": part["sizes"], "seconds": part["seconds"], "epochs_run": part["epochs_run"],
            "positives": dict(zip(LABELS, y_fold.sum(axis=0).astype(int).tolist(), strict=True)),
            "labels_measured": [LABELS[j] for j in measurable],
            "macro_pr_auc": {name: macro_pr_auc(y_fold[:, measurable], part[name][:, measurable]) for name in MODELS},
        })  # fmt: skip
        print(f"fold {fold}: {per_fold[-1]['macro_pr_auc']} ({part['seconds']['fine-tuned MiniLM']:.0f} s)", flush=True)
    pooled_scores = {
        name: {
            "macro_pr_auc": macro_pr_auc(y, pooled[name]),
            "macro_roc_auc": macro_roc_auc(y, pooled[name]),
            "pr_auc": {label: float(average_precision_score(y[:, j], pooled[name][:, j])) for j, label in enumerate(LABELS)},
        }
        for name in MODELS
    }
    PREDICTIONS.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(PREDICTIONS, labels=y, **{name.replace(" ", "_"): pooled[name] for name in MODELS})
    differences = {key: {} for key, _, _ in COMPARISONS}
    for key, baseline, treatment in COMPARISONS:
        for metric, fn in (("macro_pr_auc", macro_pr_auc), ("macro_roc_auc", macro_roc_auc)):
            r = paired_bootstrap(fn, y, pooled[baseline], pooled[treatment], n_resamples=1000, seed=seed)
            differences[key][metric] = {"delta": r["delta"], "low": r["low"], "high": r["high"]}
    return {
        "comments": len(df),
        "positives": dict(zip(LABELS, y.sum(axis=0).astype(int).tolist(), strict=True)),
        "folds": folds,
        "recipe": {
            "epochs": epochs or profile.epochs,
            "batch_size": profile.batch_size,
            "learning_rate": profile.milestone_learning_rate,
            "max_length": profile.max_seq_length,
            "head_init": profile.head_init,
            "class_weighting": "sqrt_inverse",
            "training_precision": "bf16 autocast" if mixed_precision("cpu")["bf16"] else "fp32",
        },  # fmt: skip
        "pooled": pooled_scores,
        **differences,
        "per_fold": per_fold,
        "seed": seed,
    } | measured_conditions()


def write(result: dict) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "jigsaw_cv.json").write_text(json.dumps(result, indent=2) + "\n")
    r, p = result["recipe"], result["pooled"]
    positives = ", ".join(f"{label} {n}" for label, n in result["positives"].items())
    lines = [
        "# Jigsaw sample, out of fold: fine-tuned MiniLM vs TF-IDF + LR on every comment",
        "",
        f"{result['comments']:,} comments ({positives} positives), {result['folds']} folds stratified by each comment's rarest "
        "label; each fold is scored by models trained on the others (15 % of all comments held out of training for validation).",
        f"Fine-tune: lesson 10's recipe on a CPU: {r['epochs']} epochs at most, batch {r['batch_size']}, lr {r['learning_rate']:g}, "
        f"{r['max_length']} tokens, head {r['head_init'] or 'random'}, {r['class_weighting']} class weights, "
        f"{r.get('training_precision', 'fp32')}. The third row averages the two models' probabilities (no weight tuned).",
        f"Machine: {result['machine']}, {result['threads']} thread(s); measured {result['measured']}; seed {result['seed']}; "
        f"load average at the end {result['load_average_at_end']}.",
        "",
        "| model | macro PR-AUC | macro ROC-AUC | " + " | ".join(f"PR-AUC {label}" for label in LABELS) + " |",
        "|---|---|---|" + "---|" * len(LABELS),
    ]
    for name, s in p.items():
        lines.append(
            f"| {name} | {s['macro_pr_auc']:.3f} | {s['macro_roc_auc']:.3f} | "
            + " | ".join(f"{s['pr_auc'][label]:.3f}" for label in LABELS)
            + " |"
        )
    lines += [
        "",
        "Differences on the pooled out-of-fold predictions, paired bootstrap 95 % interval (1,000 resamples of the comments):",
        "",
    ]
    for key, baseline, treatment in COMPARISONS:
        if key in result:
            lines += [f"- {treatment} minus {baseline}: " + "; ".join(
                f"{metric} {x['delta']:+.3f} [{x['low']:+.3f}, {x['high']:+.3f}]" for metric, x in result[key].items())]  # fmt: skip
    per_fold_models = [name for name in MODELS if name in result["per_fold"][0]["macro_pr_auc"]]
    lines += ["", "Per fold (macro PR-AUC over the labels with positives in that fold; fine-tune seconds at the thread count above):", "",
              "| fold | test comments | severe_toxic / threat positives | " + " | ".join(per_fold_models) + " | epochs run | seconds |",
              "|---|---|---|" + "---|" * len(per_fold_models) + "---|---|"]  # fmt: skip
    for f in result["per_fold"]:
        scores = " | ".join(f"{f['macro_pr_auc'][name]:.3f}" for name in per_fold_models)
        lines.append(
            f"| {f['fold']} | {f['sizes']['test']} | {f['positives']['severe_toxic']} / {f['positives']['threat']} | {scores} | "
            f"{f['epochs_run']} | {f['seconds'][TUNED]:.0f} |"
        )
    lines.append("")
    for key, baseline, treatment in COMPARISONS[:2]:
        if key not in result:
            continue
        wins = sum(f["macro_pr_auc"][treatment] > f["macro_pr_auc"][baseline] for f in result["per_fold"])
        low = result[key]["macro_pr_auc"]["low"]
        lines.append(
            f"- {treatment} against {baseline}: higher macro PR-AUC in {wins} of {len(result['per_fold'])} folds; a gain whose pooled "
            f"interval excludes 0 (issue 20): {'met' if low > 0 else 'not met'} (low end {low:+.3f})."
        )
    (RESULTS / "jigsaw_cv.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--epochs", type=float, default=None, help="default: the full profile's on this device")
    parser.add_argument("--max-rows", type=int, default=None, help="comments used (smoke runs only; default: all)")
    args = parser.parse_args()
    result = run(args.seed, args.folds, args.epochs, args.max_rows)
    if args.max_rows:
        print(json.dumps({k: v for k, v in result.items() if k != "per_fold"}, indent=2))
        return
    write(result)
    print((RESULTS / "jigsaw_cv.md").read_text())


if __name__ == "__main__":
    main()
