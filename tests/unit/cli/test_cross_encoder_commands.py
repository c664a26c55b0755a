"""ftcourse train-cross-encoder and search --rerank end to end on a tiny BERT (built in the test) and FAQ rows."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from ftcourse.cli import main

TINY = ["--epochs", "1", "--batch-size", "8", "--max-length", "32"]


@pytest.fixture(scope="module")
def faq(tmp_path_factory):
    words = "the cat dog mat film movie good bad love hate".split()
    folder = tmp_path_factory.mktemp("faq")
    pairs = pd.DataFrame({"question": [f"what is {w}" for w in words], "answer": [f"{w} is a word i love" for w in words]})
    pairs.to_json(folder / "faq.jsonl", orient="records", lines=True)
    (folder / "corpus.txt").write_text("\n".join(pairs["answer"]) + "\n")
    return folder


@pytest.fixture(scope="module")
def reranker_dir(faq, tiny_bert_dir):
    out = faq / "reranker"
    argv = ["train-cross-encoder", "--data", str(faq / "faq.jsonl"), "--base-model", str(tiny_bert_dir)]
    argv += [
        "--negatives-from",
        str(tiny_bert_dir),
        "--num-negatives",
        "2",
        "--relative-margin",
        "0",
        "--output-dir",
        str(out),
        *TINY,
    ]
    assert main(argv) == 0
    return out


def test_train_cross_encoder_mines_negatives_and_saves_a_reranker(reranker_dir):
    info = json.loads((reranker_dir / "training_info.json").read_text())
    assert info["loss"] == "bce" and info["train_rows"] > 10  # 10 positives plus their mined negatives
    assert (reranker_dir / "model" / "config.json").is_file()
    assert json.loads((reranker_dir / ".ftcourse-run.json").read_text())["finished"]


def test_train_cross_encoder_refuses_its_own_earlier_run_without_overwrite(reranker_dir, faq, tiny_bert_dir, capsys):
    argv = [
        "train-cross-encoder",
        "--data",
        str(faq / "faq.jsonl"),
        "--base-model",
        str(tiny_bert_dir),
        "--output-dir",
        str(reranker_dir),
    ]
    assert main(argv) == 2
    assert "--overwrite" in capsys.readouterr().err


def test_search_rerank_reorders_the_candidates_with_the_reranker(reranker_dir, faq, tiny_bert_dir, capsys):
    from ftcourse.cli.search import DEFAULTS, execute

    options = DEFAULTS | {
        "model_dir": str(tiny_bert_dir),
        "corpus": str(faq / "corpus.txt"),
        "queries": ["what is a cat"],
        "top_k": 3,
        "rerank": str(reranker_dir),
        "candidates": 6,
    }
    [hits] = execute(options)
    assert [h["rank"] for h in hits] == [1, 2, 3]
    scores = [h["rerank_score"] for h in hits]
    assert scores == sorted(scores, reverse=True)  # the reranker's order, not the embedder's
    assert "rerank" in capsys.readouterr().out
