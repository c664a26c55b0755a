"""Shared fixtures: the real data folder and a tiny BERT built from a config (no download)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

# `make test` runs the tests in pytest-xdist processes (TEST_WORKERS, default 2): each of them, and every notebook kernel it
# starts, gets its share of the CPU's threads, so that the workers do not fight over the cores. Unless OMP_NUM_THREADS is set.
if os.environ.get("PYTEST_XDIST_WORKER_COUNT") and "OMP_NUM_THREADS" not in os.environ:
    CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1  # macOS has no affinity
    os.environ["OMP_NUM_THREADS"] = str(max(1, CORES // int(os.environ["PYTEST_XDIST_WORKER_COUNT"])))

# The thread and hub settings as the test run was started, before any test module is imported: every notebook kernel inherits the
# pytest process's environment, so a module that changed these while pytest collected would change how every lesson test runs.
KERNEL_SETTINGS_AT_START = {
    name: os.environ.get(name) for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "TOKENIZERS_PARALLELISM", "HF_HUB_OFFLINE")
}


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real course data (FTCOURSE_DATA_DIR, as set by .ci/run and the Makefile)."""
    value = os.environ.get("FTCOURSE_DATA_DIR")
    if not value or not Path(value).is_dir():
        pytest.skip("FTCOURSE_DATA_DIR is not set to the course data folder (make test sets it to ../shared/data)")
    return Path(value)


@pytest.fixture(scope="session")
def tiny_bert_dir(tmp_path_factory) -> Path:
    """A 2-layer, 32-dim BERT with a small vocabulary, saved as a SentenceTransformer-loadable folder."""
    words = "the a cat dog sat on mat is good bad hate love you i am not very this that movie film great awful ok".split()
    return build_tiny_bert(tmp_path_factory.mktemp("tiny-bert"), words)


def build_tiny_bert(folder: Path, words) -> Path:
    """Save a 2-layer, 32-dim BERT whose vocabulary is ``words`` (plus the special tokens) into ``folder``."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]
    (folder / "vocab.txt").write_text("\n".join(vocab))
    # transformers 5 ignores `vocab_file=` here (every word would become [UNK]); `vocab=` loads the file.
    tokenizer = BertTokenizerFast(vocab=str(folder / "vocab.txt"), do_lower_case=True)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    torch.manual_seed(0)
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
