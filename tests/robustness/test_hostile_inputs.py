"""Issue 21: hostile but realistic inputs, each finding one test asserting the CORRECT behaviour.

Black-box on purpose: only ``ftcourse.cli.main`` (through the ``cli`` fixture), files on disk and
the data helpers of conftest.py. A refused input must give exit status 2, one line
``ftcourse <command>: error: ...`` naming the file / column / option and the fix, no traceback,
and leave the user's files as they were (:func:`conftest.assert_clean_error`, :func:`conftest.snapshot`).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests.robustness.hostile import (
    KINDS,
    TINY,
    assert_clean_error,
    assert_ok,
    binary_frame,
    multiclass_frame,
    snapshot,
    text_rows,
)


def write_csv(path: Path, frame: pd.DataFrame) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def labels_json(model: Path) -> dict:
    return json.loads((model / "labels.json").read_text())


def notebook(path: Path, *sources: str, kernelspec: bool = True) -> Path:
    """A small notebook of code cells (nbformat is a Jupyter library, not ftcourse)."""
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    if kernelspec:
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def pairs_frame(n: int = 24, same_question: bool = False) -> pd.DataFrame:
    questions = text_rows(n, 11)
    answers = text_rows(n, 12)
    return pd.DataFrame({"question": [questions[0]] * n if same_question else questions, "answer": answers})


# =============================================================================================
# Severe: a core command crashes on the commonest case. Every command on every kind of model.


@pytest.mark.parametrize("kind", list(KINDS))
def test_evaluate_scores_every_kind_of_classifier(kind, trained, data_files, tmp_path, cli):
    """`evaluate` on a binary model crashed in top_k_accuracy ("y_true is binary while y_score is 2d")."""
    out = tmp_path / "preds.jsonl"
    r = cli("evaluate", trained[kind], "--data", data_files[kind], "--output", out, "--compare", trained[kind])
    assert_ok(r)
    rows = read_jsonl(out)
    assert len(rows) == len(pd.read_csv(data_files[kind])) and rows[0]["top_labels"]


@pytest.mark.parametrize("kind", list(KINDS))
def test_predict_works_on_every_kind_of_classifier(kind, trained, tmp_path, cli):
    assert_ok(cli("predict", trained[kind], "good cat film", "you hate bad"))
    texts = tmp_path / "texts.txt"
    texts.write_text("good cat\nawful dog\n")
    out = tmp_path / "p.csv"
    assert_ok(cli("predict", trained[kind], "--file", texts, "--output", out))
    assert len(pd.read_csv(out)) == 2


@pytest.mark.parametrize("kind", list(KINDS))
def test_evaluate_only_works_on_every_kind_of_classifier(kind, trained, data_files, cli):
    labels = KINDS[kind][1]
    r = cli(
        "train-classifier",
        "--data",
        data_files[kind],
        "--label-columns",
        labels,
        "--evaluate-only",
        trained[kind],
        "--compare",
        *TINY,
    )
    assert_ok(r)
    assert "base vs fine-tuned" in r.out


# =============================================================================================
# Severe: wrong results or lost work with exit status 0.


def _qa_corpus(folder: Path) -> Path:
    # The query is word for word one *answer*; no question resembles it.
    questions = [
        "is this movie good",
        "am i very bad",
        "that dog is awful",
        "you love this film",
        "not a great film",
        "the dog is ok",
    ]
    answers = ["a film i love", "you are not bad", "the cat sat on the mat", "i hate that dog", "great movie", "very ok"]
    return write_csv(folder / "faq.csv", pd.DataFrame({"question": questions, "answer": answers}))


def test_search_cache_is_keyed_on_the_text_column(word_bert_dir, tmp_path, user_cache, cli):
    corpus = _qa_corpus(tmp_path / "corpus")
    assert_ok(cli("search", word_bert_dir, "--corpus", corpus, "--text-column", "question", "the cat sat on the mat"))
    r = cli("search", word_bert_dir, "--corpus", corpus, "--text-column", "answer", "the cat sat on the mat", "--top-k", "1")
    assert_ok(r)
    hit = [line for line in r.out.splitlines() if line.strip().startswith("1.")]
    assert hit and "1.000  the cat sat on the mat" in hit[0], (
        f"the answer column was searched with the question column's vectors: {hit}"
    )


def test_search_writes_nothing_beside_the_corpus(word_bert_dir, tmp_path, user_cache, cli):
    corpus = _qa_corpus(tmp_path / "shared-data")
    before = snapshot(corpus.parent)
    assert_ok(cli("search", word_bert_dir, "--corpus", corpus, "--text-column", "answer", "good film"))
    assert snapshot(corpus.parent) == before, (
        f"search wrote into the data folder: {sorted(set(snapshot(corpus.parent)) - set(before))}"
    )


def test_search_works_on_a_read_only_corpus_folder(word_bert_dir, read_only_folder, user_cache, cli):
    folder, lock = read_only_folder
    corpus = _qa_corpus(folder)
    lock()
    assert_ok(cli("search", word_bert_dir, "--corpus", corpus, "--text-column", "answer", "good film"))


def _user_folder(tmp_path: Path) -> Path:
    # A folder of the user's own, not an ftcourse run: their notes, their checkpoints, their metrics.
    folder = tmp_path / "my-project"
    (folder / "checkpoints").mkdir(parents=True)
    (folder / "checkpoints" / "my-best-model.bin").write_bytes(b"weights of a week of work")
    (folder / "notes.txt").write_text("do not lose me")
    (folder / "metrics.json").write_text('["my", "own", "results"]')
    (folder / "README.md").write_text("# my project\n")
    return folder


@pytest.mark.parametrize("command", ["train-classifier", "train-embedder"])
def test_overwrite_refuses_a_folder_that_is_not_our_run(command, tmp_path, data_files, word_bert_dir, cli):
    folder = _user_folder(tmp_path)
    before = snapshot(folder)
    if command == "train-classifier":
        r = cli(
            "train-classifier",
            "--data",
            data_files["binary"],
            "--output",
            folder,
            "--overwrite",
            "--base-model",
            word_bert_dir,
            *TINY,
        )
        flag = "--output"
    else:
        pairs = write_csv(tmp_path / "pairs.csv", pairs_frame())
        r = cli(
            "train-embedder",
            "--data",
            pairs,
            "--output-dir",
            folder,
            "--overwrite",
            "--base-model",
            word_bert_dir,
            "--epochs",
            "1",
            "--batch-size",
            "8",
            "--max-seq-length",
            "16",
        )
        flag = "--output-dir"
    assert_clean_error(r, flag, "my-project")
    assert snapshot(folder) == before, "the user's files were changed or removed"


def test_overwrite_still_replaces_our_own_finished_run(model_copy, data_files, base_args, cli):
    """The control for the marker-file fix: our own run folder may still be overwritten."""
    folder = model_copy("binary")
    assert_ok(cli("train-classifier", "--data", data_files["binary"], "--output", folder, "--overwrite", *base_args))
    assert (folder / "labels.json").is_file()


def test_resume_on_a_finished_run_with_other_data_is_refused(model_copy, tmp_path, base_args, cli):
    folder = model_copy("binary")
    before = snapshot(folder)
    other = write_csv(tmp_path / "other.csv", pd.DataFrame({"text": text_rows(40, 99), "label": [i % 2 for i in range(40)]}))
    r = cli("train-classifier", "--data", other, "--output", folder, "--resume", *base_args)
    assert_clean_error(r, "--resume", ("other.csv", "data"))
    assert snapshot(folder) == before, "--resume retrained and replaced a finished model"


def test_resume_with_other_labels_is_refused(model_copy, data_files, base_args, cli):
    """A run cut off after a checkpoint of a binary model, resumed on 3-class data: torch size mismatch today."""
    folder = model_copy("binary")
    checkpoint = folder / "checkpoints" / "checkpoint-3"
    checkpoint.mkdir(parents=True)
    for name in ("config.json", "model.safetensors"):
        shutil.copy(folder / name, checkpoint / name)
    (checkpoint / "trainer_state.json").write_text(
        json.dumps({"global_step": 3, "epoch": 1.0, "log_history": [], "best_model_checkpoint": None})
    )
    before = snapshot(folder)
    r = cli("train-classifier", "--data", data_files["multiclass"], "--output", folder, "--resume", *base_args)
    assert_clean_error(r, "--resume", "label")
    assert snapshot(folder) == before


def test_diverging_training_is_not_saved_as_success(tmp_path, data_files, base_args, cli):
    out = tmp_path / "diverged"
    r = cli("train-classifier", "--data", data_files["binary"], "--output", out, *base_args, "--learning-rate", "1e9")
    assert_clean_error(
        r, ("learning-rate", "learning rate", "learning_rate"), ("nan", "non-finite", "diverge", "not finite", "infinite")
    )
    assert not list(out.glob("*.safetensors")), "a model with NaN weights was saved"


def test_two_runs_into_one_output_at_once(tmp_path, word_bert_dir):
    """Both reported success today: one model is lost and the training log interleaves both. Lock the folder."""
    import os
    import subprocess
    import sys

    data = write_csv(tmp_path / "big.csv", binary_frame(800))
    out = tmp_path / "shared-output"
    argv = [
        sys.executable,
        "-m",
        "ftcourse",
        "train-classifier",
        "--data",
        str(data),
        "--output",
        str(out),
        "--base-model",
        str(word_bert_dir),
        *TINY,
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    runs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for _ in range(2)]
    results = [(run.wait(timeout=300), *run.communicate()) for run in runs]
    codes = sorted(rc for rc, _, _ in results)
    assert codes == [0, 2], f"exit statuses {codes}: two runs wrote into {out} at once"
    refused = next(err for rc, _, err in results if rc == 2)
    assert "Traceback" not in refused and str(out.name) in refused
    steps = [json.loads(line).get("step", 0) for line in (out / "training_log.jsonl").read_text().splitlines() if line.strip()]
    assert steps == sorted(steps), "the training log interleaves two runs"


def _solutions(folder: Path) -> Path:
    # the answer is used inside the solution block: the generator refuses a solution-only name read later without a named task
    notebook(folder / "01_first_exercise.ipynb", "x = 1\n### BEGIN SOLUTION\nanswer = x + 1\nprint(answer)\n### END SOLUTION")
    return folder


def test_exercises_regenerate_unchanged_exercises(tmp_path, cli):
    """The control: regenerating exercises nobody touched is fine."""
    solutions, exercises = _solutions(tmp_path / "solutions"), tmp_path / "exercises"
    assert_ok(cli("exercises", "--solutions", solutions, "--exercises", exercises))
    assert_ok(cli("exercises", "--solutions", solutions, "--exercises", exercises))
    assert (exercises / "01_first_exercise.ipynb").is_file()


def test_exercises_refuse_to_replace_a_learners_work(tmp_path, cli):
    solutions, exercises = _solutions(tmp_path / "solutions"), tmp_path / "exercises"
    assert_ok(cli("exercises", "--solutions", solutions, "--exercises", exercises))
    mine = exercises / "01_first_exercise.ipynb"
    nb = json.loads(mine.read_text())
    nb["cells"][0]["source"] = "x = 1\nanswer = x + 1  # my own answer, an hour of work\nprint(answer)"
    mine.write_text(json.dumps(nb))
    before = snapshot(exercises)
    r = cli("exercises", "--solutions", solutions, "--exercises", exercises)
    assert_clean_error(r, "01_first_exercise.ipynb")
    assert snapshot(exercises) == before, "the learner's exercise was overwritten"


def test_predict_output_into_a_new_folder(trained, tmp_path, cli):
    """Today every prediction is computed, then lost: to_csv fails on the missing folder."""
    out = tmp_path / "new" / "dir" / "p.csv"
    r = cli("predict", trained["binary"], "good cat", "bad dog", "--output", out)
    if r.rc == 0:
        assert_ok(r)
        assert len(pd.read_csv(out)) == 2
    else:  # refusing before the work is the other acceptable fix
        assert_clean_error(r, "--output", "new")


# =============================================================================================
# Data read wrongly, quietly.

NA_WORDS = ["NA", "null", "None", "N/A"]


def _na_table(n: int = 36) -> pd.DataFrame:
    texts = text_rows(n, 21)
    texts[:4] = NA_WORDS  # tweets whose whole text is one of pandas' missing-value words
    return pd.DataFrame({"text": texts, "label": [("NA", "pos", "neg")[i % 3] for i in range(n)]})  # a real class named NA


def test_prepare_data_keeps_na_words_as_texts_and_labels(tmp_path, cli):
    table = write_csv(tmp_path / "tweets.csv", _na_table())
    prefix = tmp_path / "clean"
    r = cli("prepare-data", "--input", table, "--output", prefix, "--near-threshold", "1", "--test-size", "0.25")
    assert_ok(r)
    rows = read_jsonl(f"{prefix}_train.jsonl") + read_jsonl(f"{prefix}_test.jsonl")
    assert len(rows) == 36, f"{36 - len(rows)} row(s) dropped as missing"
    assert set(NA_WORDS) <= {row["text"] for row in rows}
    assert {"NA", "pos", "neg"} == {row["label"] for row in rows}


def test_train_classifier_keeps_na_words_as_texts_and_labels(tmp_path, base_args, cli):
    table = write_csv(tmp_path / "tweets.csv", _na_table())
    out = tmp_path / "model"
    assert_ok(cli("train-classifier", "--data", table, "--output", out, *base_args))
    assert sorted(labels_json(out)["label_names"]) == ["NA", "neg", "pos"]


def test_predict_file_keeps_na_words_as_texts(trained, tmp_path, cli):
    texts = write_csv(tmp_path / "texts.csv", pd.DataFrame({"text": NA_WORDS + ["good cat"]}))
    out = tmp_path / "p.csv"
    assert_ok(cli("predict", trained["multiclass"], "--file", texts, "--output", out))
    assert pd.read_csv(out, keep_default_na=False)["text"].tolist() == NA_WORDS + ["good cat"]


@pytest.mark.parametrize("labels", [[1, 5, 9], [1, 2, 3, 4, 5]], ids=["sparse-1-5-9", "one-to-five"])
def test_integer_labels_are_mapped_to_ids_not_used_as_ids(labels, tmp_path, base_args, cli):
    n = 12 * len(labels)
    table = write_csv(
        tmp_path / "ints.csv", pd.DataFrame({"text": text_rows(n, 31), "label": [labels[i % len(labels)] for i in range(n)]})
    )
    out = tmp_path / "model"
    assert_ok(cli("train-classifier", "--data", table, "--output", out, *base_args))
    assert labels_json(out)["label_names"] == [str(v) for v in labels]
    assert len(json.loads((out / "config.json").read_text())["id2label"]) == len(labels), (
        "the head is wider than the number of classes"
    )


def flags_without(flags: list[str], values: dict) -> list[str]:
    """``flags`` minus the ones a config sets (flags win over a config, so they would hide it)."""
    out, skip = [], False
    for flag in flags:
        if skip:
            skip = False
        elif flag.startswith("--") and flag[2:] in values:
            skip = True
        else:
            out.append(flag)
    return out


def _config(tmp_path: Path, values: dict) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(values))
    return path


def test_config_string_for_a_boolean_is_not_truthy_classifier(trained, data_files, tmp_path, cli):
    """`compare: "false"` in a config ran the comparison: any non-empty string is truthy."""
    config = _config(tmp_path, {"compare": "false"})
    r = cli(
        "train-classifier",
        "--config",
        config,
        "--data",
        data_files["multiclass"],
        "--evaluate-only",
        trained["multiclass"],
        *TINY,
    )
    if r.rc == 0:  # reading "false" as false is a fix too
        assert "base vs fine-tuned" not in r.out, 'compare: "false" ran the comparison'
    else:
        assert_clean_error(r, "compare", ("true", "bool"))


def test_config_string_for_a_boolean_is_not_truthy_prepare_data(tmp_path, cli):
    """`no-normalize: "no"` skipped normalisation."""
    table = write_csv(
        tmp_path / "t.csv",
        pd.DataFrame(
            {"text": [f"tom &amp; jerry {i}  http://x.org/{i}" for i in range(20)], "label": [i % 2 for i in range(20)]}
        ),
    )
    config = _config(tmp_path, {"no-normalize": "no"})
    r = cli("prepare-data", "--config", config, "--input", table, "--output", tmp_path / "clean", "--near-threshold", "1")
    if r.rc == 0:
        texts = [row["text"] for row in read_jsonl(tmp_path / "clean_train.jsonl")]
        assert not any("&amp;" in t for t in texts), 'no-normalize: "no" switched normalisation off'
    else:
        assert_clean_error(r, ("no_normalize", "no-normalize"), ("true", "bool"))


@pytest.mark.parametrize(
    "command, values, option",
    [
        ("train-classifier", {"label-columns": 5}, ("label_columns", "label-columns")),
        ("train-classifier", {"epochs": [1, 2]}, "epochs"),
        ("train-classifier", {"max-rows": "ten"}, ("max_rows", "max-rows")),
        ("evaluate", {"top-k": True}, ("top_k", "top-k")),
        ("search", {"queries": 42}, "queries"),
        ("prepare-data", {"labels-to-filter": True}, ("labels_to_filter", "labels-to-filter")),
    ],
    ids=["label-columns-number", "epochs-list", "max-rows-string", "top-k-bool", "queries-number", "labels-to-filter-bool"],
)
def test_config_value_of_the_wrong_type_is_one_clear_error(
    command, values, option, trained, data_files, word_bert_dir, tmp_path, cli
):
    config = _config(tmp_path, values)
    data = data_files["multiclass"]
    argv = {
        "train-classifier": [
            "--data",
            data,
            "--output",
            tmp_path / "out",
            "--base-model",
            word_bert_dir,
            *flags_without(TINY, values),
        ],
        "evaluate": [trained["multiclass"], "--data", data],
        "search": [word_bert_dir, "--corpus", data],
        "prepare-data": ["--input", data, "--output", tmp_path / "clean"],
    }[command]
    r = cli(command, "--config", config, *argv)
    assert_clean_error(r, option)
    assert not (tmp_path / "out").exists()


def _odd_texts() -> list[dict]:
    rows = [{"text": t, "label": i % 2} for i, t in enumerate(text_rows(20, 41))]
    rows[0]["text"] = {"user": "bob", "body": "nested object"}
    rows[1]["text"] = 7
    rows[2]["text"] = ["a", "list"]
    return rows


@pytest.mark.parametrize("command", ["prepare-data", "predict"])
def test_texts_that_are_not_strings_are_refused(command, trained, tmp_path, cli):
    data = write_jsonl(tmp_path / "odd.jsonl", _odd_texts())
    if command == "prepare-data":
        r = cli("prepare-data", "--input", data, "--output", tmp_path / "clean")
    else:
        r = cli("predict", trained["binary"], "--file", data, "--output", tmp_path / "p.csv")
    assert_clean_error(r, "odd.jsonl", "text")
    assert not list(tmp_path.glob("clean*")) and not (tmp_path / "p.csv").exists()


def test_numeric_looking_texts_are_kept_as_written(trained, tmp_path, cli):
    """A CSV text column of codes ("007") was read as numbers: the model classified "7"."""
    data = tmp_path / "codes.csv"
    data.write_text("text\n007\n0042\n1e3\n")
    out = tmp_path / "p.csv"
    r = cli("predict", trained["binary"], "--file", data, "--output", out)
    assert_ok(r)
    assert pd.read_csv(out, dtype=str)["text"].tolist() == ["007", "0042", "1e3"]


@pytest.mark.parametrize("texts", [["good cat", "   "], [""], ["good cat", "\t\n"]], ids=["spaces", "empty", "tab-newline"])
def test_inline_predict_texts_follow_the_file_rule(texts, trained, cli):
    r = cli("predict", trained["binary"], *texts)
    assert_clean_error(r, ("empty", "blank"))


# =============================================================================================
# Tracebacks where one clear line belongs.


@pytest.mark.parametrize("command", ["train-classifier", "prepare-data"])
def test_mixed_type_label_column(command, tmp_path, base_args, cli):
    rows = [{"text": t, "label": (0, 1, "spam", 2.5)[i % 4]} for i, t in enumerate(text_rows(32, 51))]
    data = write_jsonl(tmp_path / "mixed.jsonl", rows)
    if command == "train-classifier":
        r = cli("train-classifier", "--data", data, "--output", tmp_path / "out", *base_args)
    else:
        r = cli("prepare-data", "--input", data, "--output", tmp_path / "clean")
    # Reading every label as a string is a fix; a traceback is not.
    if r.rc == 0:
        assert_ok(r)
    else:
        assert_clean_error(r, "label", "mixed.jsonl")


@pytest.mark.parametrize("command", ["train-classifier", "prepare-data"])
def test_splits_too_small_for_their_classes(command, tmp_path, base_args, cli):
    data = write_csv(tmp_path / "small.csv", multiclass_frame(12))
    if command == "train-classifier":
        r = cli(
            "train-classifier",
            "--data",
            data,
            "--output",
            tmp_path / "out",
            *base_args,
            "--test-size",
            "0.1",
            "--val-size",
            "0.1",
        )
    else:
        r = cli("prepare-data", "--input", data, "--output", tmp_path / "clean", "--test-size", "0.1", "--near-threshold", "1")
    assert_clean_error(r, ("test-size", "test_size"))
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["train-classifier", "prepare-data", "train-embedder"])
def test_negative_seed(command, tmp_path, data_files, base_args, word_bert_dir, cli):
    if command == "train-classifier":
        r = cli("train-classifier", "--data", data_files["binary"], "--output", tmp_path / "out", *base_args, "--seed", "-1")
    elif command == "prepare-data":
        r = cli("prepare-data", "--input", data_files["binary"], "--output", tmp_path / "clean", "--seed", "-1")
    else:
        pairs = write_csv(tmp_path / "pairs.csv", pairs_frame())
        r = cli(
            "train-embedder",
            "--data",
            pairs,
            "--output-dir",
            tmp_path / "out",
            "--base-model",
            word_bert_dir,
            "--seed",
            "-1",
            "--epochs",
            "1",
        )
    assert_clean_error(r, "seed")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("rows", ["0", "-5"])
def test_max_rows_zero_or_negative(rows, tmp_path, data_files, base_args, cli):
    r = cli("train-classifier", "--data", data_files["binary"], "--output", tmp_path / "out", *base_args, "--max-rows", rows)
    assert_clean_error(r, ("max-rows", "max_rows"))
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("epochs", ["inf", "nan"])
def test_infinite_or_nan_epochs(epochs, tmp_path, data_files, base_args, cli):
    out = tmp_path / "out"
    r = cli("train-classifier", "--data", data_files["binary"], "--output", out, *base_args, "--epochs", epochs)
    assert_clean_error(r, "epochs")
    assert not out.exists(), "a refused run left an empty output folder behind"


def test_ctrl_c_during_training_says_how_to_resume(tmp_path, word_bert_dir, capsys):
    """Ctrl-C (SIGINT) once training has begun: today a KeyboardInterrupt traceback from deep inside the Trainer."""
    import os
    import signal
    import threading
    import time

    from ftcourse.cli import main

    data = write_csv(tmp_path / "big.csv", binary_frame(2000))
    out = tmp_path / "out"
    done = threading.Event()

    def press_ctrl_c():
        deadline = time.monotonic() + 20
        while not done.is_set() and time.monotonic() < deadline:
            if list(out.glob("*.jsonl")) or list(out.glob("checkpoints/checkpoint-*")):  # training has begun
                break
            time.sleep(0.05)
        # Pressed again every half second, as a user would: a KeyboardInterrupt that lands while Python runs a finaliser
        # (garbage collection) is printed and dropped by CPython, and one full test run saw training finish (exit 0).
        while not done.is_set() and time.monotonic() < deadline + 20:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.5)

    def interrupt(signum, frame):  # Python's own handler, quiet once the command has returned
        if not done.is_set():
            raise KeyboardInterrupt

    previous_handler = signal.signal(signal.SIGINT, interrupt)
    watcher = threading.Thread(target=press_ctrl_c, daemon=True)
    watcher.start()
    interrupted = None
    try:
        rc = main(
            [
                "train-classifier",
                "--data",
                str(data),
                "--output",
                str(out),
                "--base-model",
                str(word_bert_dir),
                *TINY,
                "--epochs",
                "3",
            ]
        )
    except KeyboardInterrupt as exc:
        rc, interrupted = "uncaught KeyboardInterrupt", exc
    finally:
        done.set()
        watcher.join()
        signal.signal(signal.SIGINT, previous_handler)
    err = capsys.readouterr().err
    assert interrupted is None, "Ctrl-C ended in a KeyboardInterrupt traceback"
    assert rc in (2, 130), f"exit status {rc!r} after Ctrl-C"
    assert "--resume" in err and "Traceback" not in err


@pytest.mark.parametrize("size", ["0", "-4"])
def test_predict_batch_size_zero_or_negative(size, trained, cli):
    r = cli("predict", trained["binary"], "good cat", "--batch-size", size)
    assert_clean_error(r, ("batch-size", "batch_size"))


@pytest.mark.parametrize(
    "kind, name, content",
    [
        ("multilabel", "thresholds.json", "{not json"),
        ("multilabel", "thresholds.json", json.dumps({"toxic": "high", "insult": 0.5})),
        ("multilabel", "labels.json", None),  # one label name more than the model has outputs
        ("multiclass", "labels.json", None),
    ],
    ids=["thresholds-not-json", "threshold-not-a-number", "multilabel-extra-label", "multiclass-missing-label"],
)
def test_hand_edited_model_files_that_do_not_match_the_model(kind, name, content, model_copy, cli):
    folder = model_copy(kind)
    if content is None:
        saved = labels_json(folder)
        saved["label_names"] = [*saved["label_names"], "threat"] if kind == "multilabel" else saved["label_names"][:2]
        content = json.dumps(saved)
    (folder / name).write_text(content)
    r = cli("predict", folder, "good cat")
    assert_clean_error(r, name)


@pytest.mark.parametrize(
    "content",
    [
        json.dumps({"cells": "not a list", "metadata": {}, "nbformat": 4, "nbformat_minor": 5}),
        json.dumps({"nbformat": 4, "nbformat_minor": 5}),
        json.dumps([1, 2, 3]),
    ],
    ids=["cells-not-a-list", "no-cells-no-metadata", "json-list"],
)
def test_run_on_an_invalid_notebook(content, tmp_path, cli):
    bad = tmp_path / "broken.ipynb"
    bad.write_text(content)
    r = cli("run", bad, "--build-dir", tmp_path / "build")
    assert_clean_error(r, "broken.ipynb")


def test_run_on_a_notebook_without_kernelspec(tmp_path, cli):
    nb = notebook(tmp_path / "plain.ipynb", "print('hello')", kernelspec=False)
    r = cli("run", nb, "--build-dir", tmp_path / "build")
    if r.rc == 0:  # running it in the course's kernel is a fix too
        assert_ok(r)
    else:
        assert_clean_error(r, "plain.ipynb", "kernel")


def test_run_a_failing_cell_shows_the_cell_and_the_error(tmp_path, cli):
    nb = notebook(tmp_path / "fails.ipynb", "x = 1", "raise ValueError('boom in my cell')")
    r = cli("run", nb, "--build-dir", tmp_path / "build")
    assert r.rc == 2 and "Traceback (most recent call last)" not in r.text, (
        f"papermill's traceback instead of the cell and its error: {r!r}"
    )
    assert "fails.ipynb" in r.err and "boom in my cell" in r.err


def test_run_refuses_two_notebooks_with_the_same_name(tmp_path, cli):
    first = notebook(tmp_path / "a" / "lesson.ipynb", "print('a')")
    second = notebook(tmp_path / "b" / "lesson.ipynb", "print('b')")
    r = cli("run", first, second, "--build-dir", tmp_path / "build")
    assert_clean_error(r, "lesson.ipynb")
    assert not (tmp_path / "build" / "executed").exists(), "notebooks ran before the clash was noticed"


@pytest.mark.parametrize(
    "source",
    [
        "x = 1\n### BEGIN SOLUTION\nanswer = 2\n",
        "### END SOLUTION\nx = 1",
        "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION",
    ],
    ids=["begin-without-end", "end-without-begin", "nested"],
)
def test_unbalanced_solution_marker(source, tmp_path, cli):
    solutions = tmp_path / "solutions"
    notebook(solutions / "03_broken_exercise.ipynb", source)
    r = cli("exercises", "--solutions", solutions, "--exercises", tmp_path / "exercises")
    assert_clean_error(r, "03_broken_exercise.ipynb", "SOLUTION")


# =============================================================================================
# Misleading messages.


@pytest.mark.parametrize("value", [-1])
def test_label_outside_the_map_does_not_suggest_adding_a_class(value, trained, tmp_path, cli):
    """-1 for a 0/1 model is a wrong (or "missing") value, not a class to add to the training data."""
    data = binary_frame(10)
    data.loc[3, "label"] = value
    path = write_csv(tmp_path / "eval.csv", data)
    r = cli("evaluate", trained["binary"], "--data", path)
    assert_clean_error(r, "label", str(value))
    assert "add the class to the training data" not in r.err


def test_float_labels_of_an_integer_model_are_read_as_their_integers(trained, tmp_path, cli):
    """A CSV label column with gaps reads as 1.0/0.0: the model's classes are 0 and 1."""
    path = write_csv(tmp_path / "eval.csv", binary_frame(10).assign(label=lambda d: d["label"].astype(float)))
    r = cli("evaluate", trained["binary"], "--data", path)
    if r.rc == 0:
        assert_ok(r)
    else:
        assert_clean_error(r, "label", ("1.0", "0.0"))
        assert "add the class to the training data" not in r.err


def test_single_row_class_message_names_a_real_fix(tmp_path, cli):
    """'split without stratify' names no flag any command has."""
    frame = multiclass_frame(20)
    frame.loc[0, "label"] = "lonely"
    data = write_csv(tmp_path / "t.csv", frame)
    r = cli("prepare-data", "--input", data, "--output", tmp_path / "clean", "--near-threshold", "1")
    assert_clean_error(r, "lonely")
    assert "without stratify" not in r.err


def test_one_shared_question_message_does_not_blame_a_threshold(tmp_path, word_bert_dir, cli):
    pairs = write_csv(tmp_path / "pairs.csv", pairs_frame(same_question=True))
    r = cli("train-embedder", "--data", pairs, "--output-dir", tmp_path / "out", "--base-model", word_bert_dir, "--epochs", "1")
    assert_clean_error(r, "question")
    assert "threshold too low" not in r.err


# =============================================================================================
# Also.


def test_prepare_data_repairs_mojibake(tmp_path, cli):
    frame = binary_frame(20)
    frame.loc[0, "text"] = "it\u201aÄôs a good film"  # "it’s" read as Mac Roman then saved as UTF-8 (STS-B has 19 such rows)
    data = write_csv(tmp_path / "t.csv", frame)
    r = cli("prepare-data", "--input", data, "--output", tmp_path / "clean", "--near-threshold", "1")
    assert_ok(r)
    texts = [row["text"] for row in read_jsonl(tmp_path / "clean_train.jsonl") + read_jsonl(tmp_path / "clean_test.jsonl")]
    assert not any("\u201aÄô" in t for t in texts) and any(t.startswith(("it\u2019s", "it's")) for t in texts)
