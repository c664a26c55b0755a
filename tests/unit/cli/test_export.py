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


@pytest.fixture(scope="module")
def exported_embedder(tiny_bert_dir, tmp_path_factory):
    from sentence_transformers.sentence_transformer import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    word = Transformer(str(tiny_bert_dir), processor_kwargs={"model_max_length": 16})
    model = SentenceTransformer(
        modules=[word, Pooling(word.get_embedding_dimension(), pooling_mode="mean"), Normalize()], device="cpu"
    )
    model_dir = tmp_path_factory.mktemp("embedder") / "model"
    model.save(str(model_dir))
    out = model_dir.parent / "onnx"
    assert main(["export", str(model_dir), "--output", str(out), "--quantize"]) == 0
    return model, out


def test_an_embedder_folder_exports_to_onnx_that_embeds_like_pytorch(exported_embedder):
    from ftcourse.evaluation import pair_cosines
    from ftcourse.export import load_onnx_embedder

    model, out = exported_embedder
    assert {"model.onnx", "model_int8.onnx", "embedder.json", "tokenizer.json"} <= {p.name for p in out.iterdir()}
    texts = ["the cat sat", "a much longer sentence about a dog on a mat that the tokenizer will cut", "good", "bad film"]
    torch_vectors = model.encode(texts, convert_to_numpy=True, normalize_embeddings=True)
    onnx_vectors = load_onnx_embedder(out).encode(texts, batch_size=3)  # rows in input order across sorted, odd batches
    np.testing.assert_allclose(onnx_vectors, torch_vectors, atol=1e-5)
    assert np.allclose(np.linalg.norm(onnx_vectors, axis=1), 1, atol=1e-5)  # the Normalize module travels in the graph
    int8 = load_onnx_embedder(out, "model_int8.onnx")
    assert int8.encode("good").shape == torch_vectors[2].shape  # one text in, one vector out, as SentenceTransformer.encode
    pairs = __import__("pandas").DataFrame({"sentence1": texts[:2], "sentence2": texts[2:]})
    np.testing.assert_allclose(pair_cosines(load_onnx_embedder(out), pairs), pair_cosines(model, pairs), atol=1e-5)


def test_loading_a_folder_without_an_exported_embedder_names_the_fix(tmp_path):
    from ftcourse.errors import DataError
    from ftcourse.export import load_onnx_embedder

    with pytest.raises(DataError, match="ftcourse export"):
        load_onnx_embedder(tmp_path)
