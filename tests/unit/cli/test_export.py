"""`ftcourse export` on the tiny trained classifier: the ONNX folder predicts like PyTorch; bad inputs exit 2 with one line."""

import numpy as np
import pytest

from ftcourse.cli import main


@pytest.fixture(scope="module")
def exported(trained_toy, tmp_path_factory):
    _, model_dir, df = trained_toy
    out = tmp_path_factory.mktemp("export") / "onnx"
    assert main(["export", str(model_dir), "--output", str(out), "--quantize"]) == 0
    return model_dir, out, df


def test_the_export_folder_holds_what_serving_needs(exported):
    _, out, _ = exported
    names = {p.name for p in out.iterdir()}
    assert {"model.onnx", "model_int8.onnx", "labels.json", "thresholds.json", "tokenizer.json"} <= names


def test_onnx_predicts_like_pytorch(exported):
    from ftcourse.export import load_onnx_classifier
    from ftcourse.predict import load_classifier, predict, predict_proba

    model_dir, out, df = exported
    texts = df["text"].tolist()
    torch_probs = predict_proba(load_classifier(model_dir, device="cpu"), texts, batch_size=7)
    onnx_probs = predict_proba(load_onnx_classifier(out), texts, batch_size=7)  # odd batch: the axes are dynamic
    int8_probs = predict_proba(load_onnx_classifier(out, "model_int8.onnx"), texts, batch_size=64)
    np.testing.assert_allclose(onnx_probs, torch_probs, atol=1e-5)
    assert np.abs(int8_probs - torch_probs).max() < 0.05
    table = predict(load_onnx_classifier(out), texts[:3])  # thresholds and labels travel with the export
    assert list(table.columns[:3]) == ["text", "prob_toxic", "prob_insult"]


@pytest.mark.parametrize(
    "case, expect",
    [
        ("missing", "no such model folder"),
        ("not a classifier", "not a saved classifier"),
        ("output exists", "already exists and holds files"),
        ("no output", "'output' is required"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(case, expect, trained_toy, tmp_path, capsys):
    _, model_dir, _ = trained_toy
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "x.txt").write_text("an earlier file")
    argv = {
        "missing": ["export", str(tmp_path / "nowhere"), "--output", str(tmp_path / "o")],
        "not a classifier": ["export", str(taken), "--output", str(tmp_path / "o")],
        "output exists": ["export", str(model_dir), "--output", str(taken)],
        "no output": ["export", str(model_dir)],
    }[case]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and expect in err and "Fix:" in err, err
    assert not (tmp_path / "o").exists()  # refused before any work
