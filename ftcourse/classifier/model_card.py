"""The model card (``README.md``) of a saved classifier, written from its labels, training info and metrics files."""

from __future__ import annotations

import math
import os
from pathlib import Path

from ftcourse.classifier.labels import MULTI
from ftcourse.files import read_json


def _markdown_table(records: list[dict]) -> str:
    if not records:
        return "(no rows)"
    columns = list(records[0])

    def cell(v):
        if isinstance(v, float):
            return "n/a" if not math.isfinite(v) else f"{v:.3f}"
        return "n/a" if v is None else str(v)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(r.get(c)) for c in columns) + " |" for r in records]
    return "\n".join(lines)


def write_model_card(model_dir: str | os.PathLike) -> Path:
    """Write ``README.md`` (a model card) from the folder's labels, training info and metrics files."""
    folder = Path(model_dir)

    labels, info, metrics, thresholds = (
        read_json(folder / name) for name in ("labels.json", "training_info.json", "metrics.json", "thresholds.json")
    )
    hp = info.get("hyperparameters", {})
    problem = labels.get("problem_type", "")
    task = "multi-label (one sigmoid per label)" if problem == MULTI else "single-label (softmax over classes)"
    parts = [
        f"# {folder.name}: text classifier fine-tuned with ftcourse",
        "",
        f"- **Base model:** `{info.get('base_model', '?')}`",
        f"- **Task:** {task}; labels: {', '.join(f'`{n}`' for n in labels.get('label_names', []))}",
        f"- **Data:** {info.get('dataset') or 'user-supplied table'}; {info.get('train_size', '?')} training and "
        f"{info.get('eval_size', '?')} validation examples",
        f"- **Data licence:** {info.get('data_licence') or 'not stated: check the licence of your data before sharing this model'}",
        f"- **Training:** {info.get('epochs_run', '?')} epoch(s) of at most {hp.get('epochs', '?')}, batch size {hp.get('batch_size', '?')}, "
        f"AdamW lr {hp.get('learning_rate', '?')}, weight decay {hp.get('weight_decay', '?')}, warmup {hp.get('warmup_ratio', '?')}, "
        f"max length {hp.get('max_length', '?')}, loss {hp.get('loss', '?')}, seed {hp.get('seed', '?')}, "
        f"{info.get('duration_seconds', '?')} s on {info.get('device', '?')}",
        "",
        "## Evaluation",
    ]
    for split, entry in metrics.items():
        summary = entry.get("summary", {})
        parts += [
            "",
            f"### {split}",
            "",
            ", ".join(f"{k} = {v:.3f}" if isinstance(v, float) else f"{k} = {v}" for k, v in summary.items()),
        ]
        if entry.get("per_label"):
            parts += ["", _markdown_table(entry["per_label"])]
    if problem == MULTI and thresholds:
        parts += [
            "",
            "Decision thresholds (tuned on the validation split): " + ", ".join(f"{k} {v:.2f}" for k, v in thresholds.items()),
        ]
    parts += [
        "",
        "## Use",
        "",
        "```python",
        "from ftcourse.predict import predict",
        f'predict("{folder}", ["some text to classify"])  # probabilities and flags per label',
        "```",
        "",
        "Or with transformers alone: `AutoModelForSequenceClassification.from_pretrained(folder)`, then a "
        + ("sigmoid per label and the thresholds in `thresholds.json`." if problem == MULTI else "softmax over the classes."),
        "",
        "## Limitations",
        "",
        "Labels too rare in the evaluation split to measure are reported as n/a, not as zero or one: do not rely on them. "
        "The model inherits the biases of its training data; review its errors on your own data before use.",
    ]
    path = folder / "README.md"
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return path
