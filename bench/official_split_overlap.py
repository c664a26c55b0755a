"""Texts shared between the official splits of the course datasets (which our own splits cannot fix).

Our `ftcourse.prepare.split` keeps copies of a text on one side (tests/robustness/test_no_leakage.py);
datasets that ship their own train/test files are used as published, so this script reports how
many normalised texts those files share. A lesson that scores on such a test split should say so.

Run:  HF_HUB_OFFLINE=1 FTCOURSE_DATA_DIR=../shared/data .venv/bin/python bench/official_split_overlap.py
Writes bench/results/official_split_overlap.json and .md.
"""

from __future__ import annotations

import json
import warnings
from itertools import combinations
from pathlib import Path

import pandas as pd

from ftcourse.data import REGISTRY, load_dataset
from ftcourse.prepare import normalize_text

RESULTS = Path(__file__).resolve().parent / "results"


def _texts(df: pd.DataFrame) -> set[str]:
    columns = [c for c in ("text", "sentence1", "sentence2", "question") if c in df.columns]
    return {t for c in columns for t in normalize_text(df[c].astype(str), lowercase=True)}


def main() -> None:
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the loaders' "dropped N empty rows" notes are not the point here
        for name in REGISTRY:
            loaded = load_dataset(name)
            if not isinstance(loaded, dict) or len(loaded) < 2:
                continue
            texts = {split: _texts(df) for split, df in loaded.items()}
            for a, b in combinations(texts, 2):
                rows.append(
                    {
                        "dataset": name,
                        "splits": f"{a} / {b}",
                        "texts": f"{len(texts[a])} / {len(texts[b])}",
                        "shared": len(texts[a] & texts[b]),
                    }
                )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "official_split_overlap.json").write_text(json.dumps(rows, indent=2))
    lines = [
        "# Texts shared between official splits",
        "",
        "Distinct texts after `normalize_text(..., lowercase=True)` (pair datasets: both sentences) per split, and how many occur in both.",
        "",
        "| dataset | splits | distinct texts | shared |",
        "|---|---|---|---|",
    ]
    lines += [f"| {r['dataset']} | {r['splits']} | {r['texts']} | {r['shared']} |" for r in rows]
    (RESULTS / "official_split_overlap.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
