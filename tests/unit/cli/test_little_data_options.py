"""`ftcourse train-classifier --method setfit` and `--lora`: the same artefacts, so `predict` and `evaluate` work unchanged."""

from __future__ import annotations

import json

import pytest

from ftcourse.cli import main
from tests.unit.cli.test_train_classifier import TINY
from tests.unit.conftest import toy_frame


@pytest.fixture(scope="module")
def class_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("little") / "toy.csv"
    toy_frame(80).to_csv(path, index=False)  # a class column (label) and two 0/1 columns (toxic, insult)
    return path


def _train(class_csv, tiny_bert_dir, out, *flags):
    argv = ["train-classifier", "--data", str(class_csv), "--label-columns", "label", "--base-model", str(tiny_bert_dir)]
    assert main([*argv, "--output", str(out), *TINY, *flags]) == 0
    return out


@pytest.mark.parametrize(
    "flags, method, adapter",
    [
        (["--method", "setfit", "--setfit-iterations", "2"], "setfit", False),
        (["--method", "setfit", "--setfit-iterations", "2", "--lora", "--lora-r", "2"], "setfit", False),
        (["--lora", "--lora-r", "4"], None, True),
    ],
    ids=["setfit", "setfit+lora", "lora"],
)
def test_new_methods_write_the_same_artefacts_and_predict_evaluate_work(
    flags, method, adapter, class_csv, tiny_bert_dir, tmp_path, capsys
):
    out = _train(class_csv, tiny_bert_dir, tmp_path / "model", *flags)
    assert {
        "config.json",
        "model.safetensors",
        "labels.json",
        "thresholds.json",
        "training_info.json",
        "metrics.json",
        "README.md",
    } <= {p.name for p in out.iterdir()}
    assert json.loads((out / "labels.json").read_text()).get("method") == method
    assert (out / "adapter" / "adapter_config.json").is_file() == adapter
    metrics = json.loads((out / "metrics.json").read_text())
    assert {"validation", "test"} <= set(metrics) and 0 <= metrics["test"]["summary"]["f1_macro"] <= 1
    capsys.readouterr()
    assert main(["predict", str(out), "you hate bad", "good cat film"]) == 0
    assert "prob_good" in capsys.readouterr().out
    assert main(["evaluate", str(out), "--data", str(class_csv)]) == 0
    assert "f1_macro" in capsys.readouterr().out
    hyperparameters = json.loads((out / "training_info.json").read_text())["hyperparameters"]
    assert hyperparameters.get("lora_r") == (int(flags[flags.index("--lora-r") + 1]) if "--lora" in flags else None)


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--method", "setfit", "--label-columns", "toxic,insult"], "--method setfit is single-label"),
        (["--method", "setfit", "--resume"], "does not take --resume"),
        (["--method", "setfit", "--head-init", "linear_probe"], "does not take --head-init"),
        (["--method", "setfit", "--report-to", "tensorboard"], "does not take --report-to"),
        (["--lora", "--resume"], "cannot be resumed yet"),
        (["--lora", "--lora-r", "0"], "option 'lora_r' must be positive"),
        (["--method", "setfit", "--setfit-iterations", "0"], "option 'setfit_iterations' must be positive"),
        (["--config", "{method_config}"], "method 'few-shot': choose one of ['finetune', 'setfit']"),
    ],
)
def test_bad_uses_of_the_new_options_exit_2_with_one_clear_line(
    flags, message, class_csv, tiny_bert_dir, tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "method.json").write_text(json.dumps({"method": "few-shot"}))
    flags = [f.format(method_config=tmp_path / "method.json") for f in flags]
    argv = ["train-classifier", "--data", str(class_csv), "--base-model", str(tiny_bert_dir), *TINY]
    if "--label-columns" not in flags:
        argv += ["--label-columns", "label"]
    capsys.readouterr()
    assert main([*argv, *flags, "--output", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ftcourse train-classifier: error:") and len(err.splitlines()) == 1, err
    assert message in err and "Fix" in err, err
    assert not (tmp_path / "out" / "model.safetensors").exists()


def test_argparse_refuses_an_unknown_method(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train-classifier", "--method", "few-shot"])
    assert exit_info.value.code == 2
