"""`ftcourse prepare-data`, `train-embedder`, `evaluate` and `search` end to end on small real data with the tiny BERT."""

import json

import numpy as np
import pandas as pd
import pytest

from ftcourse.cli import main

TINY_EMBEDDER = [
    "--epochs",
    "1",
    "--batch-size",
    "8",
    "--learning-rate",
    "1e-3",
    "--max-seq-length",
    "32",
    "--train-split",
    "0.8",
]


def _jsonl(path) -> pd.DataFrame:
    return pd.read_json(path, lines=True)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny matrices: one thread is faster, and several fight over a shared CI machine's cores."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("pipeline")


@pytest.fixture(scope="module")
def davidson_csv(data_dir, work):
    """200 real Davidson tweets under other column names, plus 3 exact copies, 1 near copy and 1 empty text."""
    from ftcourse.data import load_dataset

    df = load_dataset("davidson", "train", data_dir=data_dir).sample(200, random_state=0)[["text", "label"]]
    near = df[df["label"] == 1].iloc[[0]]
    extra = pd.concat([df.iloc[:3], near.assign(text=near["text"] + " !!"), pd.DataFrame({"text": ["   "], "label": [1]})])
    path = work / "davidson.csv"
    pd.concat([df, extra]).rename(columns={"text": "tweet", "label": "class"}).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def faq_jsonl(data_dir, work):
    from ftcourse.data import load_dataset

    path = work / "faq.jsonl"
    load_dataset("covid-faq", "train", data_dir=data_dir).head(60)[["question", "answer"]].to_json(
        path, orient="records", lines=True
    )
    return path


@pytest.fixture(scope="module")
def prepared(davidson_csv, work):
    prefix = work / "clean" / "davidson"
    argv = [
        "prepare-data",
        "--input",
        str(davidson_csv),
        "--text-column",
        "tweet",
        "--label-column",
        "class",
        "--output",
        str(prefix),
        "--test-size",
        "0.25",
    ]
    assert main(argv) == 0
    return prefix


@pytest.fixture(scope="module")
def embedder_dir(faq_jsonl, tiny_bert_dir, work):
    out = work / "embedder"
    assert (
        main(
            [
                "train-embedder",
                "--data",
                str(faq_jsonl),
                "--base-model",
                str(tiny_bert_dir),
                "--output-dir",
                str(out),
                *TINY_EMBEDDER,
            ]
        )
        == 0
    )
    return out


@pytest.fixture(scope="module")
def classifier_dir(prepared, tiny_bert_dir, work):
    out = work / "classifier"
    argv = [
        "train-classifier",
        "--data",
        f"{prepared}_train.jsonl",
        "--label-columns",
        "label",
        "--base-model",
        str(tiny_bert_dir),
        "--output",
        str(out),
        "--epochs",
        "1",
        "--batch-size",
        "16",
        "--learning-rate",
        "1e-3",
        "--max-length",
        "32",
    ]
    assert main(argv) == 0
    return out


# ---------------------------------------------------------------------------------------------
# prepare-data


def test_prepare_data_writes_clean_stratified_splits(prepared, davidson_csv):
    train, test = _jsonl(f"{prepared}_train.jsonl"), _jsonl(f"{prepared}_test.jsonl")
    assert list(train.columns) == ["text", "label"] and list(test.columns) == ["text", "label"]
    assert len(train) + len(test) <= 200 and abs(len(test) / (len(train) + len(test)) - 0.25) < 0.02
    both = pd.concat([train, test])
    assert not both["text"].duplicated().any() and (both["text"].str.strip() != "").all()
    assert "@USER" in " ".join(both["text"]) and "&amp;" not in " ".join(both["text"])  # normalised
    # Stratified: each class has (about) the same share on both sides.
    shares = pd.DataFrame(
        {"train": train["label"].value_counts(normalize=True), "test": test["label"].value_counts(normalize=True)}
    ).fillna(0)
    assert (shares["train"] - shares["test"]).abs().max() < 0.05


def test_prepare_data_report_counts_every_removed_row(davidson_csv, work, capsys):
    from ftcourse.cli.options import resolve
    from ftcourse.cli.prepare_data import DEFAULTS as PREPARE_DEFAULTS
    from ftcourse.cli.prepare_data import execute as run_prepare_data

    config = work / "prepare.yaml"
    config.write_text(
        f"input: {davidson_csv}\ntext-column: tweet\nlabel-column: class\ntest-size: 0.5\nreduce-majority-to: 0.5\n"
    )
    from ftcourse.cli.prepare_data import TYPES

    options = resolve(
        PREPARE_DEFAULTS, TYPES, {"output": str(work / "reduced"), "labels_to_filter": "0", "test_size": 0.3}, str(config)
    )
    assert options["test_size"] == 0.3 and options["text_column"] == "tweet"  # the flag beats the file
    report = run_prepare_data(options)
    removed = report["removed"]
    assert (
        report["rows_in"] == 205
        and removed["empty text"] == 1
        and removed["exact duplicate"] >= 3
        and removed["near duplicate"] >= 1
    )
    assert removed["label in ['0']"] > 0 and "0" not in report["class_counts"]["train"]
    reduced = next(k for k in removed if k.startswith("majority class 1"))
    counts = pd.DataFrame(report["class_counts"])
    share = counts / counts.sum()
    # The majority is halved in train only; the test split keeps the real class mix.
    assert removed[reduced] > 0 and share.loc["1", "train"] < share.loc["1", "test"] - 0.05
    assert report["rows_in"] - sum(removed.values()) == report["rows_out"]
    printed = capsys.readouterr().out
    assert "205 rows in" in printed and "exact duplicate" in printed and "train" in printed and "test" in printed


def test_push_to_hub_offline_is_a_clear_error(davidson_csv, work, capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    argv = [
        "prepare-data",
        "--input",
        str(davidson_csv),
        "--text-column",
        "tweet",
        "--label-column",
        "class",
        "--output",
        str(work / "x"),
        "--push-to-hub",
        "me/data",
    ]
    assert main(argv) == 2
    assert "cannot be reached" in capsys.readouterr().err
    assert not (work / "x_train.jsonl").exists()  # checked before any work


# ---------------------------------------------------------------------------------------------
# train-embedder


def test_train_embedder_writes_every_artefact(embedder_dir):
    progress = json.loads((embedder_dir / "training_progress.json").read_text())
    assert progress["completed"] is True and progress["duration_seconds"] > 0
    assert progress["train_size"] + progress["validation_size"] + progress["test_size"] == 60 and progress["test_size"] >= 10
    assert progress["final_model"] == str(embedder_dir / "model") and (embedder_dir / "model" / "modules.json").is_file()
    assert "cosine_ndcg@10" in progress["held_out_before"] and "cosine_ndcg@10" in progress["held_out_after"]
    steps = [json.loads(line) for line in (embedder_dir / "training_log.jsonl").read_text().splitlines()]
    assert any("loss" in s for s in steps) and any("eval_validation_cosine_ndcg@10" in s for s in steps)
    assert "done in" in (embedder_dir / "train.log").read_text()
    assert not list(embedder_dir.glob("checkpoint-*")) and not (embedder_dir / "eval").exists()  # the final model replaces them


def test_train_embedder_test_only_scores_the_saved_model(embedder_dir, faq_jsonl, capsys):
    before = (embedder_dir / "model" / "model.safetensors").stat().st_mtime_ns
    assert (
        main(["train-embedder", "--data", str(faq_jsonl), "--output-dir", str(embedder_dir), "--test-only", *TINY_EMBEDDER]) == 0
    )
    printed = capsys.readouterr().out
    assert f"held-out metrics of {embedder_dir / 'model'}" in printed and "cosine_ndcg@10" in printed
    assert (embedder_dir / "model" / "model.safetensors").stat().st_mtime_ns == before


def test_train_embedder_resumes_from_the_last_complete_checkpoint(faq_jsonl, tiny_bert_dir, tmp_path, monkeypatch):
    import ftcourse.embedder.trainer as embedder

    out = tmp_path / "emb"
    argv = [
        "train-embedder",
        "--data",
        str(faq_jsonl),
        "--base-model",
        str(tiny_bert_dir),
        "--output-dir",
        str(out),
        *TINY_EMBEDDER,
    ]

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # stands in for a kill after the first epoch's checkpoint

    with monkeypatch.context() as patch:
        patch.setattr(embedder, "read_training_log", killed)
        assert main(argv) == 130  # Ctrl-C: one line saying how to resume, not a traceback
    assert json.loads((out / "training_progress.json").read_text())["completed"] is False
    (complete,) = out.glob("checkpoint-*")
    (out / "checkpoint-999").mkdir()  # half-written: no trainer_state.json
    first_run_steps = len((out / "training_log.jsonl").read_text().splitlines())
    assert main([*argv, "--epochs", "2", "--resume"]) == 0
    info = json.loads((out / "training_info.json").read_text())
    assert info["resumed_from"] == str(complete) and info["steps"] == 2 * int(complete.name.split("-")[1])
    assert len((out / "training_log.jsonl").read_text().splitlines()) > first_run_steps  # the log goes on
    assert json.loads((out / "training_progress.json").read_text())["completed"] is True


# ---------------------------------------------------------------------------------------------
# evaluate


def test_evaluate_classifier_writes_top_k_predictions(classifier_dir, prepared, tmp_path, capsys):
    out = tmp_path / "predictions.jsonl"
    assert (
        main(
            [
                "evaluate",
                str(classifier_dir),
                "--data",
                f"{prepared}_test.jsonl",
                "--output",
                str(out),
                "--compare",
                str(classifier_dir),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    for name in ("top1_accuracy", "top2_accuracy", "f1_macro", "roc_auc_macro", "roc_auc", "(compare)"):
        assert name in printed
    rows = _jsonl(out)
    test = _jsonl(f"{prepared}_test.jsonl")
    assert len(rows) == len(test) and rows["top_labels"].map(len).eq(3).all()
    assert rows["top_scores"].map(lambda s: s == sorted(s, reverse=True)).all()
    # Top-1 accuracy printed = share of rows whose first label is the true one.
    top1 = float((rows["top_labels"].str[0] == rows["true"].astype(str)).mean())
    assert f"{top1:.4f}" in printed


def test_evaluate_embedder_fits_the_data_and_compares(embedder_dir, tiny_bert_dir, faq_jsonl, data_dir, tmp_path, capsys):
    from ftcourse.data import load_dataset

    metrics = tmp_path / "m.json"
    assert (
        main(["evaluate", str(embedder_dir), "--data", str(faq_jsonl), "--compare", str(tiny_bert_dir), "--output", str(metrics)])
        == 0
    )
    result = json.loads(metrics.read_text())
    assert result["evaluation"] == "retrieval" and set(result["metrics"]) == set(result["compare"])
    assert "change" in capsys.readouterr().out
    sts = tmp_path / "sts.csv"
    load_dataset("stsb", "validation", data_dir=data_dir).head(30).to_csv(sts, index=False)
    assert main(["evaluate", str(embedder_dir), "--data", str(sts)]) == 0
    printed = capsys.readouterr().out
    assert "similarity evaluation" in printed and "spearman_cosine" in printed
    mrpc = tmp_path / "mrpc.jsonl"
    load_dataset("mrpc", "train", data_dir=data_dir).head(30).to_json(mrpc, orient="records", lines=True)
    assert main(["evaluate", str(embedder_dir), "--data", str(mrpc)]) == 0
    assert "binary evaluation" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------------
# search


def test_search_caches_corpus_embeddings_until_the_corpus_changes(embedder_dir, faq_jsonl, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    caches = tmp_path / "user-cache" / "ftcourse" / "embeddings"
    from ftcourse.cli.options import resolve
    from ftcourse.cli.search import DEFAULTS as SEARCH_DEFAULTS
    from ftcourse.cli.search import execute as run_search

    corpus = tmp_path / "answers.txt"
    answers = _jsonl(faq_jsonl)["answer"].str.replace(r"\s+", " ", regex=True).tolist()
    corpus.write_text("\n".join(answers) + "\n")
    argv = [
        "search",
        str(embedder_dir),
        "--corpus",
        str(corpus),
        "What is a novel coronavirus?",
        "How does the virus spread?",
        "--top-k",
        "3",
    ]
    assert main(argv) == 0
    assert "computed and cached" in capsys.readouterr().out
    (cache,) = caches.glob("*.npz")  # in the user's cache folder, nothing beside the corpus
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers.txt", "user-cache"]
    assert main(argv) == 0
    assert "reused from" in capsys.readouterr().out
    from ftcourse.cli.search import TYPES

    results = run_search(
        resolve(
            SEARCH_DEFAULTS, TYPES, {"model_dir": str(embedder_dir), "corpus": str(corpus), "queries": [answers[5]], "top_k": 2}
        )
    )
    capsys.readouterr()
    (hits,) = results
    assert answers[5] in [h["text"] for h in hits] and hits[0]["score"] == pytest.approx(
        1.0, abs=1e-3
    )  # a corpus text finds itself
    assert hits[0]["score"] >= hits[1]["score"]
    corpus.write_text("\n".join(answers[:10]) + "\n")
    assert main(argv) == 0
    assert "computed and cached" in capsys.readouterr().out
    (new,) = set(caches.glob("*.npz")) - {cache}  # keyed on the texts: a new entry
    assert np.load(new)["embeddings"].shape[0] == 10


# ---------------------------------------------------------------------------------------------
# Errors: one clear line and exit status 2.


@pytest.fixture(scope="module")
def broken_files(work):
    (work / "garbage.csv").write_bytes(b"\xff\xfe\x00\x81 not text \x00\x9d")
    (work / "broken.jsonl").write_text('{"text": "ok", "label": 1}\n{"text": oops\n')
    (work / "empty.csv").write_text("")
    (work / "unknown_key.yaml").write_text("learning-speed: 3\n")
    (work / "triples.jsonl").write_text('{"a": "x", "b": "y"}\n')
    (work / "holes.jsonl").write_text('{"question": "q", "answer": ""}\n{"question": "q2", "answer": "a2"}\n')
    (work / "scores5.csv").write_text("sentence1,sentence2,score\na,b,4.5\nc,d,1.0\n")
    (work / "not_a_model").mkdir(exist_ok=True)
    (work / "unseen.jsonl").write_text('{"text": "the cat", "label": 9}\n')
    return work


@pytest.mark.parametrize(
    "argv, message",
    [
        (["prepare-data", "--input", "{w}/nowhere.csv", "--output", "{w}/o"], "no such file"),
        (["prepare-data", "--input", "{w}/garbage.csv", "--output", "{w}/o"], "not UTF-8"),
        (["prepare-data", "--input", "{w}/broken.jsonl", "--output", "{w}/o"], "cannot be read as JSONL"),
        (["prepare-data", "--input", "{w}/empty.csv", "--output", "{w}/o"], "cannot be read as CSV"),
        (["prepare-data", "--input", "{davidson}", "--output", "{w}/o"], "missing column(s) ['text', 'label']"),
        (["prepare-data", "--input", "{davidson}", "--text-column", "tweet", "--label-column", "class"], "'output' is required"),
        (
            [
                "prepare-data",
                "--input",
                "{davidson}",
                "--text-column",
                "tweet",
                "--label-column",
                "class",
                "--output",
                "{w}/o",
                "--labels-to-filter",
                "7",
            ],
            "not in column 'class'",
        ),
        (
            [
                "prepare-data",
                "--input",
                "{davidson}",
                "--text-column",
                "tweet",
                "--label-column",
                "class",
                "--output",
                "{w}/o",
                "--test-size",
                "1.2",
            ],
            "test_size",
        ),
        (["prepare-data", "--input", "{davidson}", "--output", "{w}/o", "--reduce-majority-to", "0"], "reduce_majority_to"),
        (["prepare-data", "--config", "{w}/unknown_key.yaml"], "unknown option(s) ['learning_speed']"),
        (["prepare-data", "--config", "{w}/missing.yaml"], "config file not found"),
        (["train-embedder", "--data", "{w}/triples.jsonl", "--base-model", "{tiny}"], "not a pair table"),
        (["train-embedder", "--data", "{w}/holes.jsonl", "--base-model", "{tiny}"], "empty or missing text"),
        (["train-embedder", "--data", "{w}/scores5.csv", "--base-model", "{tiny}"], "scale it"),
        (["train-embedder", "--data", "{faq}", "--base-model", "{tiny}", "--loss", "magic"], "not in the registry"),
        (["train-embedder", "--data", "{faq}", "--base-model", "{tiny}", "--loss", "cosent"], "no label column"),
        (["train-embedder", "--data", "{faq}", "--base-model", "{tiny}", "--train-split", "0"], "train_split"),
        (["train-embedder", "--data", "{faq}", "--base-model", "{w}/no-model"], "no such model folder"),
        (
            ["train-embedder", "--data", "{faq}", "--base-model", "{tiny}", "--train-split", "1", "--test-only"],
            "needs a held-out part",
        ),
        (["train-embedder", "--base-model", "{tiny}"], "'data' is required"),
        (["evaluate", "{w}/no-model", "--data", "{faq}"], "no such model folder"),
        (["evaluate", "{tiny}", "--data", "{w}/triples.jsonl"], "not a pair table"),
        (["evaluate", "{tiny}", "--data", "{w}/garbage.csv"], "not UTF-8"),
        (["evaluate", "--data", "{faq}"], "'model_dir' is required"),
        (["evaluate", "{clf}", "--data", "{faq}"], "missing column(s) ['text', 'label']"),
        (["evaluate", "{clf}", "--data", "{w}/unseen.jsonl"], "outside the known labels"),
        (["search", "{tiny}", "--corpus", "{w}/nowhere.txt", "query"], "no such file"),
        (["search", "{tiny}", "--corpus", "{faq}", "query"], "no column 'text'"),
        (["search", "{tiny}", "--corpus", "{faq}"], "no query given"),
        (["search", "{w}/no-model", "--corpus", "{faq}", "--text-column", "answer", "query"], "no such model folder"),
    ],
)
def test_bad_input_exits_2_with_one_clear_line(
    argv, message, broken_files, davidson_csv, faq_jsonl, tiny_bert_dir, classifier_dir, tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)  # default output folders (outputs/...) land here, never in the repository
    names = {"w": broken_files, "davidson": davidson_csv, "faq": faq_jsonl, "tiny": tiny_bert_dir, "clf": classifier_dir}
    argv = [a.format(**names) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and err.startswith(f"ftcourse {argv[0]}: error:") and len(err.splitlines()) == 1, err


@pytest.mark.parametrize(
    "argv",
    [
        ["prepare-data", "--test-size", "a lot"],
        ["prepare-data", "--no-such-flag"],
        ["train-embedder", "--epochs", "two"],
        ["train-embedder", "--resume", "yes"],
        ["evaluate", "m", "--top-k", "3.5"],
        ["search", "m", "--top-k", "many", "q"],
        ["search", "m", "--corpus", "c.txt", "q", "--bogus"],
    ],
)
def test_argparse_rejects_bad_flags(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["prepare-data", "train-embedder", "evaluate", "search"])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert "--config" in capsys.readouterr().out


def test_evaluate_multilabel_classifier(trained_toy, tmp_path, capsys):
    _, model_dir, df = trained_toy
    data, out = tmp_path / "toy.csv", tmp_path / "pred.jsonl"
    df.iloc[40:].to_csv(data, index=False)
    assert main(["evaluate", str(model_dir), "--data", str(data), "--output", str(out), "--top-k", "2"]) == 0
    printed = capsys.readouterr().out
    assert "roc_auc_macro" in printed and "f1_macro" in printed and "top1_accuracy" not in printed  # top-k is for single-label
    rows = _jsonl(out)
    assert (
        len(rows) == len(df) - 40
        and rows["true"].map(set).le({"toxic", "insult"}).all()
        and rows["top_labels"].map(len).eq(2).all()
    )


def test_search_reads_model_corpus_and_queries_from_a_config_file(embedder_dir, faq_jsonl, tmp_path, capsys):
    corpus = tmp_path / "answers.csv"
    _jsonl(faq_jsonl)[["answer"]].head(20).to_csv(corpus, index=False)
    config = tmp_path / "search.json"
    config.write_text(
        json.dumps(
            {
                "model-dir": str(embedder_dir),
                "corpus": str(corpus),
                "text-column": "answer",
                "queries": ["What is a novel coronavirus?"],
                "top-k": 1,
            }
        )
    )
    assert main(["search", "--config", str(config)]) == 0
    printed = capsys.readouterr().out
    assert "query: What is a novel coronavirus?" in printed and " 1. " in printed and " 2. " not in printed
