import pytest

pytestmark = pytest.mark.notebook


def test_setup_finds_model_and_every_dataset(run_lesson):
    metrics = run_lesson("notebooks/00_setup.ipynb").metrics
    assert metrics["embedding_dim"] == 384
    assert metrics["similarity_paraphrase"] > metrics["similarity_unrelated"] + 0.3
    assert len(metrics["datasets_found"]) == 9
    assert metrics["rows"]["davidson/train"] == 24783
