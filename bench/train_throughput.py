"""Training and inference throughput of the classifier recipe, measured side by side in one process.

Training, same model (all-MiniLM-L6-v2), same 512 Jigsaw comments, same number of steps (batch 16):
  1. ``ftcourse.train.train_classifier``: dynamic padding, length grouping, max_length 128;
  2. a plain PyTorch loop that pads every batch to 512 tokens (the recipe of one source pipeline);
  3. the bare Hugging Face ``Trainer`` with default arguments (texts truncated at 512, padded per batch).
Inference before/after the length-sorted batches of ``ftcourse.predict`` (the bottleneck this found).
Inference: ``ftcourse.predict`` examples/s at batch sizes 1, 8 and 64; then torchao dynamic int8, ONNX
Runtime fp32 and ONNX Runtime dynamic int8 (the ``bench`` extra), each with its change in macro ROC-AUC.

Install the ``bench`` extra in a virtual environment of its own: once torchao is installed, transformers
and sentence-transformers import it, and every lesson then prints its warnings.

Run:  pip install -e '.[bench]' (torchao) or '.' (onnx, onnxruntime)   then   HF_HUB_OFFLINE=1 FTCOURSE_DATA_DIR=../shared/data .venv/bin/python bench/train_throughput.py
Writes bench/results/train_throughput.json and .md; --inference-only reruns the inference part.
"""

from __future__ import annotations

import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from memory import peak_rss  # noqa: E402

from ftcourse.data import JIGSAW_LABELS, load_dataset  # noqa: E402
from ftcourse.evaluation import multilabel_report  # noqa: E402
from ftcourse.models import BASE_MODEL, resolve_model  # noqa: E402
from ftcourse.predict import load_classifier, predict_proba  # noqa: E402
from ftcourse.prepare import split  # noqa: E402
from ftcourse.train import train_classifier  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
TRAIN_ROWS, BATCH, SEED = 512, 16, 42
STEPS = TRAIN_ROWS // BATCH
QUALITY_ROWS = 2000  # training comments of the model whose predictions the inference part times and scores


def _frames():
    df = load_dataset("jigsaw-sample", "train")
    rest, test = split(df, test_size=0.2, seed=SEED, label_columns=list(JIGSAW_LABELS))
    train = rest.sample(TRAIN_ROWS, random_state=SEED)
    val = rest.drop(train.index).sample(64, random_state=SEED)
    return (
        train.reset_index(drop=True),
        val.reset_index(drop=True),
        test.reset_index(drop=True),
        rest.drop(val.index).reset_index(drop=True),
    )


def train_quality_model(pool, val, folder: Path) -> Path:
    """A classifier trained the way lesson 10 trains it, for the inference part.

    The 32-step models of the training comparison barely rank the labels (macro ROC-AUC near 0.5),
    so a quantised model's change in ROC-AUC would mean nothing on them.
    """
    train_classifier(
        pool.sample(QUALITY_ROWS, random_state=SEED),
        val,
        label_columns=list(JIGSAW_LABELS),
        output_dir=folder,
        epochs=2,
        batch_size=BATCH,
        learning_rate=5e-5,
        head_learning_rate=1e-3,
        max_length=128,
        early_stopping_patience=None,
        seed=SEED,
        progress=False,
    )
    return folder


def run_ftcourse(train, val, folder):
    with peak_rss() as memory:
        trained = train_classifier(
            train,
            val,
            label_columns=list(JIGSAW_LABELS),
            output_dir=folder,
            epochs=1,
            batch_size=BATCH,
            max_length=128,
            early_stopping_patience=None,
            seed=SEED,
            progress=False,
        )
    seconds = trained.result["train_seconds"]
    return {
        "examples_per_s": round(TRAIN_ROWS / seconds, 2),
        "train_seconds": round(seconds, 1),
        "peak_rss_delta_mib": memory["delta_mib"],
    }


def run_plain_loop(train):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    path = resolve_model(BASE_MODEL)
    torch.manual_seed(SEED)
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=6, problem_type="multi_label_classification")
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-5)
    labels = torch.tensor(train[list(JIGSAW_LABELS)].to_numpy(), dtype=torch.float32)
    texts = train["text"].tolist()
    model.train()
    with peak_rss() as memory:
        start = time.perf_counter()
        for step in range(STEPS):
            batch = tokenizer(
                texts[step * BATCH : (step + 1) * BATCH],
                padding="max_length",
                truncation=True,
                max_length=512,
                return_tensors="pt",
            )
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                model(**batch).logits, labels[step * BATCH : (step + 1) * BATCH]
            )
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
        seconds = time.perf_counter() - start
    return {
        "examples_per_s": round(TRAIN_ROWS / seconds, 2),
        "train_seconds": round(seconds, 1),
        "peak_rss_delta_mib": memory["delta_mib"],
    }


def run_bare_trainer(train, folder):
    from datasets import Dataset
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, Trainer, TrainingArguments

    path = resolve_model(BASE_MODEL)
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=6, problem_type="multi_label_classification")
    data = Dataset.from_dict(
        {"text": train["text"].tolist(), "labels": train[list(JIGSAW_LABELS)].to_numpy(dtype=np.float32).tolist()}
    )
    data = data.map(lambda b: tokenizer(b["text"], truncation=True), batched=True, remove_columns=["text"])
    # Only what makes the comparison fair is set: batch size, number of steps and seed; everything else is the default.
    args = TrainingArguments(
        output_dir=str(folder),
        per_device_train_batch_size=BATCH,
        max_steps=STEPS,
        seed=SEED,
        report_to="none",
        save_strategy="no",
        disable_tqdm=True,
    )
    trainer = Trainer(model=model, args=args, train_dataset=data, processing_class=tokenizer)
    with peak_rss() as memory:
        output = trainer.train()
    seconds = output.metrics["train_runtime"]
    return {
        "examples_per_s": round(TRAIN_ROWS / seconds, 2),
        "train_seconds": round(seconds, 1),
        "peak_rss_delta_mib": memory["delta_mib"],
    }


class _OnnxAsModel:
    """An ONNX Runtime session behind the ``model(**batch).logits`` call that ``predict_proba`` makes."""

    def __init__(self, path: Path):
        import onnxruntime

        self.session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]

    def __call__(self, **batch):
        from types import SimpleNamespace

        logits = self.session.run(None, {name: batch[name].numpy() for name in self.inputs})[0]
        return SimpleNamespace(logits=torch.from_numpy(logits))


def _export_onnx(model, tokenizer, folder: Path) -> Path:
    """Export the classifier to ONNX with dynamic batch and sequence axes (the dynamo exporter)."""

    class LogitsOnly(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).logits

    example = tokenizer(["an example comment", "a second, longer example comment"], padding=True, return_tensors="pt")
    batch, seq = torch.export.Dim("batch"), torch.export.Dim("seq")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    path = folder / "model.onnx"
    torch.onnx.export(
        LogitsOnly(model.eval()),
        tuple(example[n] for n in names),
        str(path),
        input_names=names,
        output_names=["logits"],
        dynamic_shapes={n: {0: batch, 1: seq} for n in names},
        dynamo=True,
        verbose=False,
    )
    return path


def _timed_predictions(classifier, texts, batch_size=64):
    predict_proba(classifier, texts[:batch_size], batch_size=batch_size)  # warm-up: first-call allocations and kernel selection
    start = time.perf_counter()
    probs = predict_proba(classifier, texts, batch_size=batch_size)
    return probs, len(texts) / (time.perf_counter() - start)


def _faster_inference_variants(classifier, texts, y_true, folder: Path) -> dict:
    """Examples/s and macro ROC-AUC of each CPU inference variant against the fp32 PyTorch model.

    torchao's dynamic int8 replaces ``torch.ao.quantization.quantize_dynamic`` (deprecated in torch 2.13);
    ONNX Runtime runs the exported graph in fp32 and with its own dynamic int8 weights. Each needs the
    ``bench`` extra; a missing one is reported, not fatal.
    """
    import copy

    fp32_model = classifier.model
    labels = list(JIGSAW_LABELS)

    def torchao_int8():
        from torchao.quantization import Int8DynamicActivationInt8WeightConfig, quantize_

        model = copy.deepcopy(fp32_model)
        quantize_(model, Int8DynamicActivationInt8WeightConfig())
        return model

    def onnx_fp32():
        return _OnnxAsModel(_export_onnx(fp32_model, classifier.tokenizer, folder))

    def onnx_int8():
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(folder / "model.onnx", folder / "model_int8.onnx", weight_type=QuantType.QInt8)
        return _OnnxAsModel(folder / "model_int8.onnx")

    rows = {}
    for name, build in [
        ("pytorch fp32", lambda: fp32_model),
        ("torchao int8 dynamic", torchao_int8),
        ("onnxruntime fp32", onnx_fp32),
        ("onnxruntime int8 dynamic", onnx_int8),
    ]:
        try:
            classifier.model = build()
        except ImportError as exc:
            rows[name] = {"error": f"not installed ({exc.name}): pip install -e '.[bench]' (torchao) or '.' (onnx, onnxruntime)"}
            continue
        probs, speed = _timed_predictions(classifier, texts)
        _, macro = multilabel_report(y_true, probs, labels)
        rows[name] = {"examples_per_s": round(speed, 1), "macro_roc_auc": round(macro["roc_auc"], 4)}
    classifier.model = fp32_model
    base = rows["pytorch fp32"]
    for row in rows.values():
        if "error" not in row:
            row["speedup"] = round(row["examples_per_s"] / base["examples_per_s"], 2)
            row["roc_auc_change"] = round(row["macro_roc_auc"] - base["macro_roc_auc"], 4)
            row["within_0_005_roc_auc"] = abs(row["roc_auc_change"]) <= 0.005
    return rows


def run_inference(model_dir, test, folder: Path):
    texts = test["text"].tolist()[:256]
    y_true = test[list(JIGSAW_LABELS)].to_numpy()
    classifier = load_classifier(model_dir, device="cpu")
    speed = {}
    for batch_size in (1, 8, 64):
        start = time.perf_counter()
        predict_proba(classifier, texts, batch_size=batch_size)
        speed[batch_size] = round(len(texts) / (time.perf_counter() - start), 1)
    # The bottleneck fixed in ftcourse.predict: batches of similar length instead of input order.
    all_texts = test["text"].tolist()
    start = time.perf_counter()
    unsorted = predict_proba(classifier, all_texts, batch_size=64, sort_by_length=False)
    unsorted_speed = len(all_texts) / (time.perf_counter() - start)
    start = time.perf_counter()
    fp32 = predict_proba(classifier, all_texts, batch_size=64)
    sorted_speed = len(all_texts) / (time.perf_counter() - start)
    length_sorting = {
        "test_texts": len(all_texts),
        "examples_per_s_input_order": round(unsorted_speed, 1),
        "examples_per_s_length_sorted": round(sorted_speed, 1),
        "speedup": round(sorted_speed / unsorted_speed, 2),
        "max_abs_probability_difference": float(np.abs(unsorted - fp32).max()),
    }
    return {
        "predict_examples_per_s_by_batch_size": speed,
        "test_rows": len(test),
        "length_sorted_batches": length_sorting,
        "variants_batch_64": _faster_inference_variants(classifier, all_texts, y_true, folder),
    }


def main(argv=None):
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--inference-only", action="store_true", help="rerun the inference part; keep the training figures already in the results"
    )
    args = parser.parse_args(argv)
    train, val, test, pool = _frames()
    path = RESULTS / "train_throughput.json"
    with tempfile.TemporaryDirectory() as tmp:
        if args.inference_only:
            results = json.loads(path.read_text())
        else:
            results = {
                "machine": f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}",
                "setup": {"train_rows": TRAIN_ROWS, "batch_size": BATCH, "steps": STEPS, "model": BASE_MODEL},
                "ftcourse_train_classifier": run_ftcourse(train, val, Path(tmp) / "ours"),
                "plain_loop_pad_512": run_plain_loop(train),
                "bare_hf_trainer_defaults": run_bare_trainer(train, Path(tmp) / "bare"),
            }
            ours = results["ftcourse_train_classifier"]["examples_per_s"]
            results["speedup_vs_plain_loop"] = round(ours / results["plain_loop_pad_512"]["examples_per_s"], 2)
            results["speedup_vs_bare_trainer"] = round(ours / results["bare_hf_trainer_defaults"]["examples_per_s"], 2)
            RESULTS.mkdir(exist_ok=True)
            path.write_text(json.dumps(results, indent=2))  # kept if the inference part fails
        from transformers import AutoTokenizer

        lengths = [
            len(ids) for ids in AutoTokenizer.from_pretrained(resolve_model(BASE_MODEL))(train["text"].tolist())["input_ids"]
        ]
        results["setup"]["share_of_comments_over_128_tokens"] = round(float(np.mean(np.array(lengths) > 128)), 3)
        model_dir = train_quality_model(pool, val, Path(tmp) / "quality")
        results["inference"] = {
            "model": f"train_classifier, {QUALITY_ROWS} comments, 2 epochs, lr 5e-5, head 1e-3",
            **run_inference(model_dir, test, Path(tmp)),
        }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "train_throughput.json").write_text(json.dumps(results, indent=2))
    inf = results["inference"]
    lines = [
        "# Training and inference throughput",
        "",
        f"Machine: {results['machine']}. Same model, {TRAIN_ROWS} Jigsaw comments, {STEPS} steps of {BATCH}.",
        "",
        "These three training recipes cut texts at different lengths (128 against 512 tokens), so their ratio is mostly "
        "truncation, not speed. For recipes compared at the same max_length, and against this machine's matmul limit, read "
        "`train_speed.md` (`bench/train_speed.py`); this file's inference part stands.",
        "",
        "| recipe | examples/s | train s | peak RSS delta (MiB) |",
        "|---|---|---|---|",
        *(
            f"| {k} | {v['examples_per_s']} | {v['train_seconds']} | {v['peak_rss_delta_mib']} |"
            for k, v in results.items()
            if isinstance(v, dict) and "examples_per_s" in v
        ),
        "",
        f"train_classifier is {results['speedup_vs_plain_loop']}x the plain 512-padded loop and {results['speedup_vs_bare_trainer']}x the bare Trainer. "
        f"Part of that is its 128-token limit (the other two keep up to 512): {results['setup']['share_of_comments_over_128_tokens']:.1%} of these "
        "comments are longer and get cut, which lesson 10's quality numbers include.",
        "",
        f"Inference (ftcourse.predict, CPU; model: {inf['model']}): {inf['predict_examples_per_s_by_batch_size']} examples/s by batch size.",
        "",
        "Faster CPU inference (whole test split, batch 64, length-sorted; change in macro ROC-AUC against PyTorch fp32):",
        "",
        "| variant | examples/s | speed-up | macro ROC-AUC | change | within 0.005 |",
        "|---|---|---|---|---|---|",
        *(
            f"| {k} | {v['error']} | | | | |"
            if "error" in v
            else f"| {k} | {v['examples_per_s']} | {v['speedup']}x | {v['macro_roc_auc']} | {v['roc_auc_change']:+.4f} | {'yes' if v['within_0_005_roc_auc'] else 'no'} |"
            for k, v in inf["variants_batch_64"].items()
        ),
        "",
        f"Bottleneck fixed: `predict_proba` now batches texts of similar length. On the {inf['length_sorted_batches']['test_texts']} test comments at batch 64: "
        f"{inf['length_sorted_batches']['examples_per_s_input_order']} examples/s in input order (before) -> "
        f"{inf['length_sorted_batches']['examples_per_s_length_sorted']} length-sorted (after), {inf['length_sorted_batches']['speedup']}x; "
        f"largest probability difference {inf['length_sorted_batches']['max_abs_probability_difference']:.1e}.",
    ]
    (RESULTS / "train_throughput.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
