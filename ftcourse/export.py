"""Export a saved classifier or embedder to ONNX, quantise it to int8, and run it with ONNX Runtime.

``export_classifier(model_dir, output_dir)`` writes a folder that serves without PyTorch's model
code: ``model.onnx`` (traced by ``torch.onnx.export(..., dynamo=True)`` with dynamic batch and
sequence axes), optionally ``model_int8.onnx`` (ONNX Runtime's dynamic quantisation: int8 weights,
activations quantised on the fly), the tokenizer, ``labels.json`` and ``thresholds.json``.
``load_onnx_classifier(folder)`` returns a :class:`~ftcourse.classifier.predict.LoadedClassifier`
whose model is an ONNX Runtime session, so :func:`~ftcourse.classifier.predict.predict_proba` and
``predict`` work on it unchanged.

``export_embedder(model, output_dir)`` does the same for a SentenceTransformer (the encoder, its pooling
and its normalisation in one graph that returns the sentence embedding), and ``load_onnx_embedder``
gives back an object with the ``encode`` call the course's evaluation helpers make. The
sentence-transformers ONNX backend (``SentenceTransformer(..., backend="onnx")``) would do this through
``optimum``, whose releases to date require transformers 4, so the course exports with PyTorch's own
exporter. Needs ``onnx``, ``onnxscript`` (the exporter) and ``onnxruntime``.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from ftcourse.classifier.artifacts import LABELS_FILE, THRESHOLDS_FILE, check_model_dir, read_labels, read_thresholds
from ftcourse.classifier.labels import MULTI
from ftcourse.classifier.predict import LoadedClassifier, load_classifier, predict_proba
from ftcourse.errors import DataError
from ftcourse.runtime import inference_in_fp32

ONNX_FILE = "model.onnx"
INT8_FILE = "model_int8.onnx"
EMBEDDER_FILE = "embedder.json"  # what an exported embedder needs besides the graph: max_seq_length, normalize
_EXAMPLES = ["an example comment", "a second, longer example comment to give the sequence axis two sizes"]


class OnnxLogits:
    """An ONNX Runtime session behind the ``model(**batch).logits`` call that ``predict_proba`` makes."""

    def __init__(self, path: str | os.PathLike, threads: int | None = None):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self.path = Path(path)
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.input_names = [i.name for i in self.session.get_inputs()]

    def __call__(self, **batch):
        import torch

        feed = {name: batch[name].cpu().numpy() for name in self.input_names}
        return SimpleNamespace(logits=torch.from_numpy(self.session.run(None, feed)[0]))


def export_onnx(classifier: LoadedClassifier, path: str | os.PathLike) -> Path:
    """Trace ``classifier.model`` (on the CPU, in eval mode) to an ONNX file with dynamic batch and sequence axes.

    The graph takes the tokenizer's inputs (``input_ids``, ``attention_mask`` and, for BERT-like
    models, ``token_type_ids``) and returns ``logits``.
    """
    import torch

    names = [n for n in classifier.tokenizer.model_input_names if n in classifier.tokenizer(_EXAMPLES[0])]
    model = classifier.model.to("cpu").eval()

    class LogitsOnly(torch.nn.Module):  # the exporter needs tensors in, a tensor out
        def __init__(self):
            super().__init__()
            self.inner = model

        def forward(self, *inputs):
            return self.inner(**dict(zip(names, inputs, strict=True))).logits

    return trace_to_onnx(LogitsOnly().eval(), classifier.tokenizer, names, "logits", path)


def trace_to_onnx(module, tokenizer, names: Sequence[str], output_name: str, path: str | os.PathLike) -> Path:
    """``torch.onnx.export(..., dynamo=True)`` of ``module(*inputs)`` (inputs in the order of ``names``) to one ONNX file,
    with dynamic batch and sequence axes, traced on the tokenizer's encoding of two example texts."""
    import torch

    example = tokenizer(_EXAMPLES, padding=True, return_tensors="pt")
    batch, seq = torch.export.Dim("batch"), torch.export.Dim("seq")
    path = Path(path)
    with inference_in_fp32():  # a model that infers in bfloat16 on this CPU would put its casts into the file
        torch.onnx.export(
            module,
            tuple(example[n] for n in names),
            str(path),
            input_names=list(names),
            output_names=[output_name],
            dynamic_shapes=(tuple({0: batch, 1: seq} for _ in names),),  # one entry: the *inputs tuple
            dynamo=True,
            external_data=False,  # one self-contained file (models under 2 GB)
            verbose=False,
        )
    return path


def quantize_int8(source: str | os.PathLike, target: str | os.PathLike) -> Path:
    """ONNX Runtime's dynamic int8 quantisation of ``source`` into ``target`` (weights int8, activations on the fly)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8)
    return Path(target)


def export_classifier(model_dir: str | os.PathLike, output_dir: str | os.PathLike, quantize: bool = False) -> dict:
    """Export a folder written by ``train_classifier`` to an ONNX serving folder, and check it against PyTorch.

    Args:
        model_dir: the saved classifier.
        output_dir: the new folder (created; an existing file there is replaced).
        quantize: also write ``model_int8.onnx``.

    Returns:
        ``{"files": [...], "max_abs_difference": {"model.onnx": ..., "model_int8.onnx": ...}}``: the largest
        difference between each ONNX file's probabilities and PyTorch's on a few example texts.
    """
    folder = check_model_dir(model_dir)
    out = Path(output_dir).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    classifier = load_classifier(folder, device="cpu")
    with inference_in_fp32():  # the file must hold fp32 operations, and its reference is the fp32 model
        export_onnx(classifier, out / ONNX_FILE)
        reference = predict_proba(classifier, _EXAMPLES)
    if quantize:
        quantize_int8(out / ONNX_FILE, out / INT8_FILE)
    classifier.tokenizer.save_pretrained(out)
    for name in (LABELS_FILE, THRESHOLDS_FILE):
        if (folder / name).is_file():
            shutil.copy2(folder / name, out / name)
    differences = {}
    for name in (ONNX_FILE, INT8_FILE) if quantize else (ONNX_FILE,):
        differences[name] = float(np.abs(predict_proba(load_onnx_classifier(out, name), _EXAMPLES) - reference).max())
    return {"files": sorted(p.name for p in out.iterdir()), "max_abs_difference": differences}


def load_onnx_classifier(folder: str | os.PathLike, file: str = ONNX_FILE, threads: int | None = None) -> LoadedClassifier:
    """A :class:`LoadedClassifier` that runs ``folder/file`` with ONNX Runtime on the CPU.

    Args:
        folder: written by :func:`export_classifier` (``model.onnx``, tokenizer, ``labels.json``).
        file: ``"model.onnx"`` or ``"model_int8.onnx"``.
        threads: ONNX Runtime's intra-op threads (default: its own choice, all cores).
    """
    from transformers import AutoTokenizer

    folder = Path(folder).expanduser()
    if not (folder / file).is_file():
        raise DataError(
            f"{folder / file}: missing. Fix: run `ftcourse export MODEL_DIR --output {folder}` (with --quantize for int8)."
        )
    labels = read_labels(folder)
    names = list(labels["label_names"])
    return LoadedClassifier(
        model=OnnxLogits(folder / file, threads),
        tokenizer=AutoTokenizer.from_pretrained(folder),
        label_names=names,
        problem_type=labels.get("problem_type", MULTI),
        thresholds=read_thresholds(folder, names),
        max_length=int(labels.get("max_length", 128)),
        normalize_text=bool(labels.get("normalize_text", False)),
        device="cpu",
        model_dir=folder,
    )


def examples_per_second(classifier: LoadedClassifier, texts: Sequence[str], batch_size: int, min_seconds: float = 0.0) -> float:
    """Throughput of :func:`predict_proba` on ``texts`` at ``batch_size``, after one warm-up batch.

    The warm-up pays for first-call allocations and kernel choices, which a server pays once. With
    ``min_seconds``, the texts are scored again until that much time has passed (steadier numbers).
    """
    return texts_per_second(lambda batch: predict_proba(classifier, batch, batch_size=batch_size), texts, batch_size, min_seconds)


def texts_per_second(score, texts: Sequence[str], batch_size: int, min_seconds: float = 0.0) -> float:
    """Throughput of ``score(texts)`` (any call that batches by ``batch_size`` itself), after one warm-up batch.

    See :func:`examples_per_second`; this is its general form, for an embedder's ``encode`` as well.
    """
    texts = list(texts)
    score(texts[:batch_size])
    done, start = 0, time.perf_counter()
    while True:
        score(texts)
        done += len(texts)
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return done / elapsed


class OnnxEmbedder:
    """An exported embedder run by ONNX Runtime, with the part of ``SentenceTransformer.encode`` the course uses.

    Texts are sorted by length before batching (less padding), tokenised like the original model
    (its ``max_seq_length``), and the embeddings come back in input order.
    """

    def __init__(self, folder: str | os.PathLike, file: str = ONNX_FILE, threads: int | None = None):
        import json

        from transformers import AutoTokenizer

        folder = Path(folder).expanduser()
        if not (folder / file).is_file() or not (folder / EMBEDDER_FILE).is_file():
            raise DataError(
                f"{folder}: no exported embedder ({file} and {EMBEDDER_FILE}). "
                f"Fix: run `ftcourse export EMBEDDER_DIR --output {folder}` (with --quantize for int8)."
            )
        settings = json.loads((folder / EMBEDDER_FILE).read_text())
        self.max_seq_length = int(settings["max_seq_length"])
        self.normalized = bool(settings["normalize"])
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        self.session = OnnxLogits(folder / file, threads)

    def encode(
        self, texts, batch_size: int = 32, normalize_embeddings: bool = False, convert_to_numpy: bool = True, **_
    ) -> np.ndarray:
        """Embeddings of ``texts`` (one row per text), unit length when ``normalize_embeddings``; always a NumPy array."""
        single = isinstance(texts, str)
        texts = [texts] if single else list(texts)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        rows = []
        for start in range(0, len(texts), batch_size):
            batch = [texts[i] for i in order[start : start + batch_size]]
            encoded = self.tokenizer(batch, padding=True, truncation=True, max_length=self.max_seq_length, return_tensors="pt")
            rows.append(self.session(**encoded).logits.numpy())
        embeddings = np.empty((len(texts), rows[0].shape[1]), dtype=np.float32) if rows else np.zeros((0, 0), np.float32)
        if rows:
            embeddings[order] = np.concatenate(rows)
        if normalize_embeddings and not self.normalized:
            embeddings /= np.clip(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-12, None)
        return embeddings[0] if single else embeddings


def export_embedder(model, output_dir: str | os.PathLike, quantize: bool = False) -> dict:
    """Export a SentenceTransformer (object or saved folder) to an ONNX folder, and check it against PyTorch.

    The graph takes the tokenizer's inputs and returns the ``sentence_embedding`` (pooling and, when the
    model has it, normalisation included).

    Args:
        model: a ``SentenceTransformer`` or the folder ``train_embedder`` saved it to.
        output_dir: the new folder (created; an existing file there is replaced).
        quantize: also write ``model_int8.onnx``.

    Returns:
        ``{"files": [...], "max_abs_difference": {file: ...}, "min_cosine": {file: ...}}``: the largest
        difference between each file's embeddings and PyTorch's on a few texts, and their lowest cosine.
    """
    import json

    import torch
    from sentence_transformers import SentenceTransformer

    if not isinstance(model, SentenceTransformer):
        model = SentenceTransformer(str(check_embedder_dir(model)), device="cpu")
    model = model.to("cpu").eval()
    out = Path(output_dir).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = model.tokenizer
    names = [n for n in tokenizer.model_input_names if n in tokenizer(_EXAMPLES[0])]

    class SentenceEmbedding(torch.nn.Module):  # the exporter needs tensors in, a tensor out
        def __init__(self):
            super().__init__()
            self.inner = model

        def forward(self, *inputs):
            return self.inner(dict(zip(names, inputs, strict=True)))["sentence_embedding"]

    trace_to_onnx(SentenceEmbedding().eval(), tokenizer, names, "sentence_embedding", out / ONNX_FILE)
    if quantize:
        quantize_int8(out / ONNX_FILE, out / INT8_FILE)
    tokenizer.save_pretrained(out)
    normalized = any(type(module).__name__ == "Normalize" for module in model)
    (out / EMBEDDER_FILE).write_text(json.dumps({"max_seq_length": model.max_seq_length, "normalize": normalized}, indent=2))
    with inference_in_fp32():  # the fp32 model is the reference
        reference = model.encode(_EXAMPLES, convert_to_numpy=True, normalize_embeddings=True)
    report = {"files": sorted(p.name for p in out.iterdir()), "max_abs_difference": {}, "min_cosine": {}}
    for name in (ONNX_FILE, INT8_FILE) if quantize else (ONNX_FILE,):
        exported = OnnxEmbedder(out, name).encode(_EXAMPLES, normalize_embeddings=True)
        report["max_abs_difference"][name] = float(np.abs(exported - reference).max())
        report["min_cosine"][name] = float((exported * reference).sum(axis=1).min())
    return report


def load_onnx_embedder(folder: str | os.PathLike, file: str = ONNX_FILE, threads: int | None = None) -> OnnxEmbedder:
    """The embedder exported to ``folder`` by :func:`export_embedder`, run by ONNX Runtime (``file``: fp32 or int8)."""
    return OnnxEmbedder(folder, file, threads)


def check_embedder_dir(folder: str | os.PathLike) -> Path:
    """``folder`` as a Path if it holds a saved SentenceTransformer (``modules.json``), else a DataError with the fix."""
    path = Path(folder).expanduser()
    if not (path / "modules.json").is_file():
        raise DataError(
            f"{path}: not a saved sentence-transformers model (no modules.json). "
            "Fix: pass the folder train-embedder wrote (--output-dir), or a classifier folder written by train-classifier."
        )
    return path


def is_embedder_dir(folder: str | os.PathLike) -> bool:
    """True when ``folder`` holds a saved SentenceTransformer rather than a classifier."""
    return (Path(folder).expanduser() / "modules.json").is_file()
