"""The full-profile quality table: each headline score of the course, base vs fine-tuned, with its anchor.

The numbers come from the lessons themselves, run in the full profile by bench/course_runtime.py
(same code as the learner runs, same splits), so this script trains nothing: it reads
bench/results/course_runtime_full.json and writes bench/results/quality_full.json and .md. The rows of the
studies that train outside the lessons (bench/stsb_recipe.py, bench/davidson_full.py, bench/jigsaw_cv.py) are read from their results.

Run (after the full course run):
    HF_HUB_OFFLINE=1 FTCOURSE_DATA_DIR=../shared/data .venv/bin/python bench/course_runtime.py --profile full
    .venv/bin/python bench/quality.py
"""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"

# Published or reported figures to read our numbers against. Each says where it comes from and
# how its setting differs from ours; none is on our exact split.
ANCHORS = {
    "stsb": "all-MiniLM-L6-v2 before fine-tuning: about 0.82 (course issue 4); the course aims for 0.86 or more after",
    "davidson_hate": "Davidson et al. (2017), logistic regression on their own split: hate-class F1 0.51 (precision 0.44, recall 0.61)",
    "jigsaw": "CleanSpeech milestone report (seed document): mDeBERTa-v3-base on 95,000 Jigsaw comments, 2 x T4 GPUs: macro ROC-AUC 0.982 (per-label table; its summary says 0.989); TF-IDF + LR about 0.95 here",
    "faq": "no published figure for this FAQ split",
    "mrpc": "no comparable published figure (GLUE reports cross-encoders' accuracy/F1, not embedding cosine)",
}


def _lesson(run: dict, stem: str) -> dict | None:
    entry = run["notebooks"].get(stem)
    return entry["metrics"] if entry and entry.get("ok") and entry.get("metrics") else None


def rows_from(run: dict) -> list[dict]:
    """One row per headline score: what, data, base / baseline, fine-tuned, anchor, source lesson."""
    rows = []
    m = _lesson(run, "05_similarity_regression")
    if m:
        best = m["best_loss"]
        rows.append(
            {
                "score": "STS-B test Spearman",
                "data": f"{m['train_pairs']} train / {m['test_pairs']} test pairs",
                "base or baseline": m["spearman_before"],
                "fine-tuned": m["spearman_after"][best],
                "model": f"MiniLM + {best}",
                "all runs": m["spearman_after"],
                "anchor": ANCHORS["stsb"],
                "lesson": "05",
            }
        )
    m = _lesson(run, "04_contrastive_losses")
    if m:
        trained = {k: v for k, v in m["ap_mrpc"].items() if not k.startswith("base")}
        best = max(trained, key=trained.get)
        base_key = next((k for k in m["ap_mrpc"] if k.startswith("base")), None)
        rows.append(
            {
                "score": "MRPC test average precision (cosine)",
                "data": f"{m['train_pairs']} train pairs / MRPC test",
                "base or baseline": m["ap_mrpc"].get(base_key) if base_key else None,
                "fine-tuned": trained[best],
                "model": f"MiniLM + {best}",
                "all runs": {"ap": m["ap_mrpc"], "f1": m["f1_mrpc"], "accuracy": m["accuracy_mrpc"]},
                "anchor": ANCHORS["mrpc"],
                "lesson": "04",
            }
        )
    m = _lesson(run, "01_when_to_fine_tune")
    if m:
        tfidf, tuned = m["baselines"]["TF-IDF + LR (class-weighted)"], m["baselines"]["fine-tuned MiniLM (class-weighted)"]
        data = f"{m['train_size']} train / {m['test_size']} test tweets"
        rows.append(
            {
                "score": "Davidson macro-F1",
                "data": data,
                "base or baseline": tfidf["macro_f1"],
                "fine-tuned": tuned["macro_f1"],
                "model": "TF-IDF + LR vs MiniLM, both class-weighted",
                "anchor": "",
                "lesson": "01",
            }
        )
        rows.append(
            {
                "score": "Davidson hate-class F1",
                "data": data,
                "base or baseline": tfidf["hate_f1"],
                "fine-tuned": tuned["hate_f1"],
                "model": "TF-IDF + LR vs MiniLM, both class-weighted",
                "anchor": ANCHORS["davidson_hate"],
                "lesson": "01",
            }
        )
    m = _lesson(run, "09_class_imbalance")
    if m:
        methods = m["methods"]
        best = m["best_hate_f1_method"]
        rows.append(
            {
                "score": "Davidson hate-class F1, best imbalance treatment",
                "data": f"{m['train_size']} train / {m['test_size']} test tweets",
                "base or baseline": methods["no treatment"]["hate_f1"],
                "fine-tuned": methods[best]["hate_f1"],
                "model": f"MiniLM, no treatment vs {best}",
                "all runs": {k: v["hate_f1"] for k, v in methods.items()},
                "anchor": ANCHORS["davidson_hate"],
                "lesson": "09",
            }
        )
    m = _lesson(run, "10_toxicity_milestone")
    if m:
        rows.append(
            {
                "score": "Jigsaw sample macro ROC-AUC",
                "data": f"{m['train_size']} train / {m['test_size']} test comments",
                "base or baseline": m["baseline_macro_auc"],
                "fine-tuned": m["transformer_macro_auc"],
                "model": "TF-IDF + LR vs fine-tuned MiniLM",
                "all runs": {
                    "transformer_ci": m["transformer_macro_auc_ci"],
                    "baseline_ci": m["baseline_macro_auc_ci"],
                    "labels_not_evaluated": m["labels_not_evaluated"],
                },
                "anchor": ANCHORS["jigsaw"],
                "lesson": "10",
            }
        )
        if "transformer_macro_pr_auc" in m:
            rows.append(
                {
                    "score": "Jigsaw sample macro PR-AUC",
                    "data": f"{m['train_size']} train / {m['test_size']} test comments",
                    "base or baseline": m["baseline_macro_pr_auc"],
                    "fine-tuned": m["transformer_macro_pr_auc"],
                    "model": "TF-IDF + LR vs fine-tuned MiniLM",
                    "anchor": "issue 20: a gain whose paired interval excludes 0 (lesson 10's reference page gives the interval)",
                    "lesson": "10",
                }
            )
    m = _lesson(run, "07_multiple_negatives_ranking")
    if m:
        rows.append(
            {
                "score": "COVID FAQ retrieval nDCG@10 (held-out questions)",
                "data": f"{m['train_pairs']} train pairs / {m['queries']} queries",
                "base or baseline": m["ndcg@10_before"],
                "fine-tuned": m["ndcg@10_after"],
                "model": "MiniLM + MNRL",
                "all runs": {"gain_ci": m["ndcg@10_gain_ci"], "by_batch_size": m["ndcg@10_by_batch_size"]},
                "anchor": ANCHORS["faq"],
                "lesson": "07",
            }
        )
    return rows


def rows_from_studies() -> list[dict]:
    """Rows from the quality studies that train outside the lessons (bench/stsb_recipe.py, davidson_full.py, jigsaw_cv.py)."""
    rows = []
    stsb = RESULTS / "stsb_recipe.json"
    if stsb.is_file():
        recipes = json.loads(stsb.read_text())["recipes"]
        for name, r in sorted(recipes.items()):
            if "train=" in name:  # smoke runs of the script
                continue
            rows.append(
                {
                    "score": "STS-B test Spearman, dev-selected epoch",
                    "data": f"{r['train_pairs']} train / {r['test_pairs']} test pairs",
                    "base or baseline": r["test_spearman_before"],
                    "fine-tuned": r["test_spearman_after"],
                    "model": name,
                    "anchor": ANCHORS["stsb"],
                    "lesson": "bench/stsb_recipe.py",
                }
            )
    rows += davidson_rows(RESULTS / "davidson_full.json") + jigsaw_cv_rows(RESULTS / "jigsaw_cv.json")
    return rows


def davidson_rows(path: Path) -> list[dict]:
    """bench/davidson_full.py: one block of rows per recipe it ran (older files held one class-weighted run)."""
    if not path.is_file():
        return []
    saved = json.loads(path.read_text())
    runs = saved["runs"] if "runs" in saved else {"2 epochs, lr 2e-05, inverse loss": saved}
    rows = []
    for recipe, d in runs.items():
        models = {("TF-IDF" if name.startswith("TF-IDF") else "MiniLM"): rows for name, rows in d["models"].items()}
        data = f"{d['sizes']['train']} train / {d['sizes']['test']} test tweets, whole data, leakage-free split"
        for rule in ("argmax", "validation threshold"):
            for metric, label, anchor in (
                ("macro_f1", "Davidson macro-F1", "issue 20 aims for 0.78 or more"),
                ("hate_f1", "Davidson hate-class F1", ANCHORS["davidson_hate"]),
            ):
                diff = d["fine_tuned_minus_tfidf"][f"{rule} {metric}"]
                rows.append(
                    {
                        "score": f"{label} ({rule})",
                        "data": data,
                        "base or baseline": models["TF-IDF"][rule][metric],
                        "fine-tuned": models["MiniLM"][rule][metric],
                        "model": f"class-weighted TF-IDF + LR vs MiniLM ({recipe}); difference [{diff['low']:+.3f}, {diff['high']:+.3f}]",
                        "anchor": anchor,
                        "lesson": "bench/davidson_full.py",
                    }
                )
    return rows


def jigsaw_cv_rows(path: Path) -> list[dict]:
    """bench/jigsaw_cv.py: macro PR-AUC and ROC-AUC on out-of-fold predictions for every comment of the sample.

    One row per metric for the fine-tune against TF-IDF, and (runs since 2026-12-06) one for the mean of the two models.
    """
    if not path.is_file():
        return []
    d = json.loads(path.read_text())
    comparisons = [("fine_tuned_minus_tfidf", "fine-tuned MiniLM", "fine-tuned MiniLM")]
    if "blend_minus_tfidf" in d:
        comparisons.append(("blend_minus_tfidf", "mean of the two", "the mean of its and the fine-tune's probabilities"))
    rows = []
    for metric, label, anchor in (
        ("macro_pr_auc", "Jigsaw sample macro PR-AUC, out of fold", "issue 20: a gain whose paired interval excludes 0"),
        ("macro_roc_auc", "Jigsaw sample macro ROC-AUC, out of fold", ANCHORS["jigsaw"]),
    ):
        for key, model, described in comparisons:
            diff = d[key][metric]
            rows.append(
                {
                    "score": label,
                    "data": f"{d['comments']} comments, {d['folds']} folds, each scored once",
                    "base or baseline": d["pooled"]["TF-IDF + LR"][metric],
                    "fine-tuned": d["pooled"][model][metric],
                    "model": f"TF-IDF + LR vs {described}; difference [{diff['low']:+.3f}, {diff['high']:+.3f}]",
                    "anchor": anchor,
                    "lesson": "bench/jigsaw_cv.py",
                }
            )
    return rows


def _fmt(value) -> str:
    return f"{value:.3f}" if isinstance(value, float) else ("-" if value is None else str(value))


def main() -> None:
    source = RESULTS / "course_runtime_full.json"
    run = json.loads(source.read_text())
    rows = rows_from(run) + rows_from_studies()
    out = {"source": str(source.name), "machine": run.get("machine"), "device": run.get("device"), "rows": rows}
    (RESULTS / "quality_full.json").write_text(json.dumps(out, indent=2))
    lines = [
        "# Quality, full profile",
        "",
        f"From `{source.name}` (the lessons run in the full profile; machine: {run.get('machine')}, device: {run.get('device')}).",
        "On a CPU the full profile uses the slices of `ftcourse.profiles.FULL_ON_CPU`; a GPU takes the whole data.",
        "",
        "| score | data | base / baseline | fine-tuned | compared | anchor | lesson |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['score']} | {r['data']} | {_fmt(r['base or baseline'])} | {_fmt(r['fine-tuned'])} | {r['model']} | {r['anchor'] or '-'} | {r['lesson']} |"
        for r in rows
    ]
    missing = sorted({"01", "04", "05", "07", "09", "10"} - {r["lesson"] for r in rows})
    if missing:
        lines += ["", f"Not measured yet (lesson not in the full run, or it failed): {', '.join(missing)}."]
    (RESULTS / "quality_full.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
