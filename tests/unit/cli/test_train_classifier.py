"""`ftcourse train-classifier` and `ftcourse predict` end to end on a toy table with the tiny BERT."""

import json
import re

import pytest

from ftcourse.cli import main
from ftcourse.cli.options import load_config
from ftcourse.cli.train_classifier import DEFAULTS, options_from
from tests.unit.conftest import toy_frame

TINY = [
    "--epochs",
    "1",
    "--batch-size",
    "8",
    "--learning-rate",
    "1e-2",
    "--max-length",
    "32",
    "--test-size",
    "0.25",
    "--val-size",
    "0.25",
]


@pytest.fixture(scope="module")
def toy_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "toy.csv"
    toy_frame(80).drop(columns=["label"]).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def trained_dir(toy_csv, tiny_bert_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("cli-model")
    argv = [
        "train-classifier",
        "--data",
        str(toy_csv),
        "--label-columns",
        "toxic,insult",
        "--base-model",
        str(tiny_bert_dir),
        "--output",
        str(out),
        "--compare",
        *TINY,
    ]
    assert main(argv) == 0
    return out


def test_train_writes_model_metrics_and_comparison(trained_dir):
    metrics = json.loads((trained_dir / "metrics.json").read_text())
    assert {"validation", "test"} <= set(metrics)
    assert 0 <= metrics["test"]["summary"]["roc_auc_macro"] <= 1
    comparison = json.loads((trained_dir / "comparison.json").read_text())
    assert comparison["metric"] == "roc_auc_macro" and "roc_auc_macro" in comparison["base"]
    assert json.loads((trained_dir / "labels.json").read_text())["normalize_text"] is True
    assert "### test" in (trained_dir / "README.md").read_text()


def test_evaluate_only_and_compare_reuse_the_saved_model(trained_dir, toy_csv, capsys):
    before = (trained_dir / "model.safetensors").stat().st_mtime_ns
    assert main(["train-classifier", "--data", str(toy_csv), "--evaluate-only", str(trained_dir), "--compare", *TINY]) == 0
    printed = capsys.readouterr().out
    assert "test: roc_auc_macro" in printed and "base vs fine-tuned" in printed
    assert (trained_dir / "model.safetensors").stat().st_mtime_ns == before  # nothing retrained


def test_predict_texts_and_file(trained_dir, tmp_path, capsys):
    assert main(["predict", str(trained_dir), "you hate bad", "good cat film"]) == 0
    assert "prob_toxic" in capsys.readouterr().out
    texts = tmp_path / "texts.txt"
    texts.write_text("you awful\n\ngreat movie\n")
    out_csv = tmp_path / "pred.csv"
    capsys.readouterr()
    assert main(["predict", str(trained_dir), "--file", str(texts), "--output", str(out_csv)]) == 0
    assert re.search(
        r"2 prediction\(s\) written to .* in [0-9.]+ s \([0-9]+ texts/s at batch size 32, on cpu\)", capsys.readouterr().out
    )
    import pandas as pd

    table = pd.read_csv(out_csv)
    assert table["text"].tolist() == ["you awful", "great movie"] and "flag_insult" in table
    report = tmp_path / "throughput.json"
    assert main(["predict", str(trained_dir), "--file", str(texts), "--report", str(report)]) == 0  # printed table + report
    numbers = json.loads(report.read_text())
    assert (numbers["rows"], numbers["batch_size"], numbers["device"], numbers["output"]) == (2, 32, "cpu", None)
    assert numbers["texts_per_second"] == pytest.approx(2 / numbers["seconds"], rel=1e-3)


def test_config_file_fills_options_and_flags_win(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("data: jigsaw-sample\nbatch-size: 32\nepochs: 1\nlabel_columns: toxic,insult\n")
    options = options_from({"epochs": 4.0, "batch_size": None}, str(config))
    assert options["batch_size"] == 32 and options["epochs"] == 4.0 and options["label_columns"] == ["toxic", "insult"]
    assert options["learning_rate"] == 2e-5  # the recipe's default
    (tmp_path / "c.json").write_text(json.dumps({"max-length": 64}))
    assert load_config(tmp_path / "c.json", DEFAULTS) == {"max_length": 64}


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--data", "nowhere.csv"], "no such file"),
        (["--data", "{csv}", "--label-columns", "toxic,nope"], "missing column(s) ['nope']"),
        (["--data", "{csv}", "--test-size", "1.5"], "test_size"),
        (["--data", "{csv}", "--config", "missing.yaml"], "config file not found"),
        (["--data", "{csv}", "--config", "{bad_config}"], "unknown option(s) ['learning_speed']"),
        (["--data", "{csv}", "--config", "{broken_json}"], "is not valid JSON"),
        (["--data", "{bad_labels}", "--label-columns", "toxic,insult"], "must hold 0/1"),
        (["--data", "{csv}", "--evaluate-only", "{tmp}/no-model"], "no such model folder"),
        (["--data", "{csv}", "--label-columns", "toxic", "--base-model", "no-such-org/no-such-model"], "cannot be reached"),
        (["--data", "{unknown_type}"], "unknown file type"),
    ],
)
def test_bad_options_and_files_exit_2_with_one_clear_line(argv, message, toy_csv, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)  # the default --output (outputs/classifier) lands here, never in the repository
    (tmp_path / "bad.json").write_text(json.dumps({"learning_speed": 1}))
    (tmp_path / "broken.json").write_text("{epochs: 2,}")
    toy_frame(20).assign(toxic=2).to_csv(tmp_path / "bad_labels.csv", index=False)
    (tmp_path / "data.xlsx").write_text("x")
    names = {
        "csv": toy_csv,
        "bad_config": tmp_path / "bad.json",
        "broken_json": tmp_path / "broken.json",
        "bad_labels": tmp_path / "bad_labels.csv",
        "tmp": tmp_path,
        "unknown_type": tmp_path / "data.xlsx",
    }
    argv = [a.format(**names) for a in argv]
    assert main(["train-classifier", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and err.startswith("ftcourse train-classifier: error:") and len(err.splitlines()) == 1


def test_predict_errors(tmp_path, capsys):
    assert main(["predict", str(tmp_path / "none"), "text"]) == 2
    assert "no such model folder" in capsys.readouterr().err
    assert main(["predict", str(tmp_path)]) == 2
    assert "no texts to classify" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["train-classifier", "--epochs", "two"], ["train-classifier", "--no-such-flag"], ["predict"]])
def test_argparse_rejects_bad_flags(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_a_long_predict_file_shows_its_progress(trained_toy, tmp_path, capsys):
    from ftcourse.cli.predict import PROGRESS_FROM

    _, model_dir, df = trained_toy
    texts = tmp_path / "many.txt"
    texts.write_text("\n".join(df["text"].tolist() * (PROGRESS_FROM // len(df) + 1)))
    assert main(["predict", str(model_dir), "--file", str(texts), "--output", str(tmp_path / "p.csv")]) == 0
    assert "predicting" in capsys.readouterr().err
    assert main(["predict", str(model_dir), "a short one"]) == 0
    assert "predicting" not in capsys.readouterr().err
