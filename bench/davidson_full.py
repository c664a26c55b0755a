"""Davidson on the whole data: fine-tuned MiniLM against class-weighted TF-IDF + LR, beside the paper's anchors.

Lesson 01 on a CPU trains on 4,000 tweets (``FULL_ON_CPU``); there the fine-tune's hate-class F1 (0.417) fell below
TF-IDF's (0.434). This script uses every tweet: one leakage-free split (exact and near-duplicate tweets, TF-IDF
cosine >= 0.9, kept on one side) into training, validation and test, lesson 01's fine-tuning recipe (class-weighted
loss, the validation split picks the epoch), and the same class-weighted TF-IDF + LR on the same rows. Each model is
scored on the test split once, with its argmax and with a hate threshold chosen on the validation split (the largest
macro-F1 there; ``ftcourse.evaluation.tune_class_threshold``). The differences come with paired bootstrap intervals.

Anchors: Davidson et al. (2017), logistic regression on their own split, hate-class F1 0.51; issue 20 aims for
hate-F1 >= 0.51 and macro-F1 >= 0.78.

Run:  HF_HUB_OFFLINE=1 FTCOURSE_DATA_DIR=../shared/data OMP_NUM_THREADS=1 .venv/bin/python bench/davidson_full.py
Writes bench/results/davidson_full.json and .md.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from conditions import measured_conditions
from sklearn.metrics import f1_score

from ftcourse.baselines import tfidf_logreg
from ftcourse.data import DAVIDSON_CLASSES, load_dataset
from ftcourse.evaluation import paired_bootstrap, threshold_moving, tune_class_threshold
from ftcourse.predict import from_training, predict_proba
from ftcourse.prepare import duplicate_groups, split
from ftcourse.profiles import get_profile
from ftcourse.train import train_classifier

RESULTS = Path(__file__).resolve().parent / "results"
NAMES = list(DAVIDSON_CLASSES)
HATE = NAMES.index("hate")
ANCHORS = {"hate_f1": 0.51, "macro_f1": 0.78}
FINE_TUNED = "fine-tuned MiniLM"


def recipe_key(recipe: dict) -> str:
    weighting = recipe.get("class_weighting", "inverse") or "unweighted"
    return f"{recipe['epochs']:g} epochs, lr {recipe['learning_rate']:g}, {weighting} loss"


def leakage_free_split(seed: int):
    """Test 20 %, validation 10 % of the rest; near-duplicate groups never straddle two splits."""
    davidson = load_dataset("davidson", split="train").reset_index(drop=True)
    davidson["group"] = duplicate_groups(davidson["text"])
    rest, test = split(davidson, test_size=0.2, seed=seed, stratify="label", groups="group")
    train, val = split(rest, test_size=0.1, seed=seed, stratify="label", groups="group")
    assert not set(train["group"]) & set(test["group"]) and not set(val["group"]) & set(test["group"])
    return train, val, test


def scores(y_true, probabilities, val_y, val_probabilities) -> dict:
    """Test macro-F1 and hate-F1 at the argmax and at the hate threshold the validation split chose."""
    threshold, validation_macro_f1 = tune_class_threshold(val_y, val_probabilities, HATE, objective="macro_f1")
    rows = {}
    for rule, pred in (
        ("argmax", probabilities.argmax(axis=1)),
        ("validation threshold", threshold_moving(probabilities, HATE, threshold)),
    ):
        rows[rule] = {
            "macro_f1": float(f1_score(y_true, pred, average="macro")),
            "hate_f1": float(f1_score(y_true == HATE, pred == HATE)),
            "pred": pred,
        }
    rows["validation threshold"]["threshold"] = threshold
    rows["validation threshold"]["validation_macro_f1"] = float(validation_macro_f1)
    rows["argmax"]["validation_macro_f1"] = float(f1_score(val_y, val_probabilities.argmax(axis=1), average="macro"))
    return rows


def run(seed: int, epochs: float | None, max_rows: int | None, learning_rate: float | None, class_weighting: str | None) -> dict:
    profile = get_profile("full", device="cpu")
    epochs, learning_rate = epochs or profile.epochs, learning_rate or profile.learning_rate
    train, val, test = leakage_free_split(seed)
    if max_rows:  # a smoke run of this script
        train = train.sample(n=max_rows, random_state=seed)
    y_train, y_val, y_test = (d["label"].to_numpy() for d in (train, val, test))
    models = {}
    start = time.perf_counter()
    tfidf = tfidf_logreg(class_weight="balanced", seed=seed).fit(train["text"], y_train)
    models["TF-IDF + LR (class-weighted)"] = (
        tfidf.predict_proba(test["text"]),
        tfidf.predict_proba(val["text"]),
        time.perf_counter() - start,
    )
    start = time.perf_counter()
    trained = train_classifier(
        train, val, text_column="text", label_columns="label", label_names=NAMES, epochs=epochs,
        batch_size=profile.batch_size, learning_rate=learning_rate, warmup_ratio=profile.warmup_ratio,
        max_length=profile.max_seq_length, class_weighting=class_weighting, head_init=profile.head_init, seed=seed, save=False,
        progress=False,
    )  # fmt: skip
    loaded = from_training(trained)
    models[FINE_TUNED] = (
        predict_proba(loaded, test["text"].tolist(), batch_size=64),
        predict_proba(loaded, val["text"].tolist(), batch_size=64),
        time.perf_counter() - start,
    )
    table = {
        name: scores(y_test, p_test, y_val, p_val) | {"seconds": seconds} for name, (p_test, p_val, seconds) in models.items()
    }
    baseline, tuned = table["TF-IDF + LR (class-weighted)"], table[FINE_TUNED]
    differences = {}
    for rule in ("argmax", "validation threshold"):
        for metric, fn in (
            ("macro_f1", lambda y, p: f1_score(y, p, average="macro")),
            ("hate_f1", lambda y, p: f1_score(y == HATE, p == HATE)),
        ):
            r = paired_bootstrap(fn, y_test, baseline[rule]["pred"], tuned[rule]["pred"], n_resamples=1000, seed=seed)
            differences[f"{rule} {metric}"] = {"delta": r["delta"], "low": r["low"], "high": r["high"]}
    for rows in table.values():
        for rule in ("argmax", "validation threshold"):
            rows[rule].pop("pred")
    return {
        "sizes": {"train": len(train), "validation": len(val), "test": len(test)},
        "test_hate_tweets": int((y_test == HATE).sum()),
        "recipe": {
            "epochs": epochs,
            "batch_size": profile.batch_size,
            "learning_rate": learning_rate,
            "class_weighting": class_weighting,
            "max_length": profile.max_seq_length,
            "head_init": profile.head_init,
            "epochs_run": trained.result.get("epochs_run"),
        },  # fmt: skip
        "models": table,
        "fine_tuned_minus_tfidf": differences,
        "seed": seed,
    } | measured_conditions()


def load_runs() -> dict:
    """Earlier runs by recipe; a file from before recipes were recorded holds one class-weighted run."""
    path = RESULTS / "davidson_full.json"
    if not path.exists():
        return {}
    saved = json.loads(path.read_text())
    if "runs" in saved:
        return saved["runs"]
    saved["models"] = {
        name.replace(" (class-weighted)", "") if name.startswith("fine-tuned") else name: rows
        for name, rows in saved["models"].items()
    }
    saved["recipe"].setdefault("class_weighting", "inverse")
    return {recipe_key(saved["recipe"]): saved}


def write(result: dict) -> None:
    """Adds this run to the earlier ones (one per recipe) and renders them all, with the recipe validation would pick."""
    RESULTS.mkdir(exist_ok=True)
    runs = load_runs() | {recipe_key(result["recipe"]): result}
    (RESULTS / "davidson_full.json").write_text(json.dumps({"runs": runs}, indent=2) + "\n")
    first = next(iter(runs.values()))
    s = first["sizes"]
    lines = [
        "# Davidson, whole data: fine-tuned MiniLM vs class-weighted TF-IDF + LR (one leakage-free split)",
        "",
        f"{s['train']:,} training / {s['validation']:,} validation / {s['test']:,} test tweets ({first['test_hate_tweets']} hate in test); "
        "exact and near-duplicate tweets (TF-IDF cosine >= 0.9) stay on one side. Each fine-tune: batch "
        f"{first['recipe']['batch_size']}, {first['recipe']['max_length']} tokens, head {first['recipe']['head_init'] or 'random'}; "
        "validation picks the epoch and the hate threshold. The TF-IDF rows are shown once: the same model on the same split for every run.",
        "",
        "| recipe | model | rule | validation macro-F1 | test macro-F1 | test hate-F1 | seconds | measured |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for index, (key, run) in enumerate(runs.items()):
        for name, rows in run["models"].items():
            if index and name != FINE_TUNED:
                continue  # the same TF-IDF model on the same split each time: shown once
            for rule in ("argmax", "validation threshold"):
                note = f" (hate if p >= {rows[rule]['threshold']:.2f})" if "threshold" in rows[rule] else ""
                val = rows[rule].get("validation_macro_f1")
                lines.append(
                    f"| {key} (ran {run['recipe']['epochs_run']}) | {name} | {rule}{note} | {'' if val is None else f'{val:.3f}'} | "
                    f"{rows[rule]['macro_f1']:.3f} | {rows[rule]['hate_f1']:.3f} | {rows['seconds']:.0f} | "
                    f"{run['measured']}, {run['threads']} thread(s) |"
                )
    for key, run in runs.items():
        lines += ["", f"Fine-tuned minus TF-IDF, {key}, paired bootstrap 95 % interval (1,000 resamples of the test tweets):", ""]
        for name, d in run["fine_tuned_minus_tfidf"].items():
            lines.append(f"- {name}: {d['delta']:+.3f} [{d['low']:+.3f}, {d['high']:+.3f}]")
    chosen = [
        (rows["validation threshold"]["validation_macro_f1"], key, rows["validation threshold"])
        for key, run in runs.items()
        for name, rows in run["models"].items()
        if name == FINE_TUNED and "validation_macro_f1" in rows["validation threshold"]
    ]
    if chosen:
        val, key, rows = max(chosen, key=lambda c: c[0])
        lines += [
            "",
            f"Validation choosing the recipe as well (fine-tune, threshold rule): {key} (validation macro-F1 {val:.3f}); "
            f"its test scores: macro-F1 {rows['macro_f1']:.3f}, hate-F1 {rows['hate_f1']:.3f} "
            f"(among the {len(chosen)} runs that recorded validation scores).",
        ]
    best = max(
        r[rule]["hate_f1"] for run in runs.values() for r in run["models"].values() for rule in ("argmax", "validation threshold")
    )
    best_macro = max(
        r[rule]["macro_f1"]
        for run in runs.values()
        for r in run["models"].values()
        for rule in ("argmax", "validation threshold")
    )
    lines += [
        "",
        f"Anchors: hate-F1 >= {ANCHORS['hate_f1']} (Davidson et al. 2017, their split): best test score here {best:.3f}; "
        f"macro-F1 >= {ANCHORS['macro_f1']} (issue 20): best here {best_macro:.3f}. A best test score over several recipes "
        "is optimistic; the recipe validation picks is the honest figure.",
    ]
    (RESULTS / "davidson_full.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--epochs", type=float, default=None, help="default: the full profile's on this device")
    parser.add_argument("--learning-rate", type=float, default=None, help="default: the full profile's")
    parser.add_argument(
        "--class-weighting", default="inverse", help="'inverse' (default) or 'none' (leave the threshold to do the work)"
    )
    parser.add_argument("--max-rows", type=int, default=None, help="training rows (smoke runs only; default: all)")
    args = parser.parse_args()
    weighting = None if args.class_weighting == "none" else args.class_weighting
    result = run(args.seed, args.epochs, args.max_rows, args.learning_rate, weighting)
    if args.max_rows:
        print(json.dumps(result, indent=2))
        return
    write(result)
    print((RESULTS / "davidson_full.md").read_text())


if __name__ == "__main__":
    main()
