"""LoRA adapters on a tiny classifier and a tiny SentenceTransformer: what trains, merging, saving and loading."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ftcourse.errors import DataError, UsageError
from ftcourse.lora import (
    add_lora,
    add_lora_to_embedder,
    load_adapter,
    lora_config,
    merge_lora,
    parameter_counts,
    save_adapter,
    training_state_mib,
)


def _classifier(folder):
    from transformers import AutoModelForSequenceClassification

    torch.manual_seed(0)
    return AutoModelForSequenceClassification.from_pretrained(folder, num_labels=3)


def _perturb(model):
    # Adapters start as a no-op (B = 0): move B so that the adapted model differs from the base.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_(std=0.5)


def test_lora_trains_the_adapters_and_the_head_only(tiny_bert_dir):
    model = add_lora(_classifier(tiny_bert_dir), r=4)
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n or "classifier" in n for n in trainable)
    counts = parameter_counts(model)
    assert 0 < counts["trainable"] < counts["total"] / 5
    assert counts["trainable_share"] == pytest.approx(counts["trainable"] / counts["total"])


def test_merged_and_reloaded_adapters_give_the_same_logits(tiny_bert_dir, tmp_path):
    model = add_lora(_classifier(tiny_bert_dir), r=4).eval()
    _perturb(model)
    batch = {"input_ids": torch.tensor([[2, 5, 6, 7, 3]]), "attention_mask": torch.ones(1, 5, dtype=torch.long)}
    with torch.no_grad():
        adapted = model(**batch).logits
    save_adapter(model, tmp_path / "adapter")
    assert (tmp_path / "adapter" / "adapter_config.json").is_file()
    reloaded = load_adapter(_classifier(tiny_bert_dir), tmp_path / "adapter")
    merged = merge_lora(model).eval()
    assert not any("lora_" in n for n, _ in merged.named_parameters())
    with torch.no_grad():
        torch.testing.assert_close(reloaded(**batch).logits, adapted, atol=1e-5, rtol=0)
        torch.testing.assert_close(merged(**batch).logits, adapted, atol=1e-5, rtol=0)


def test_embedder_adapters_save_load_and_merge(tiny_bert_dir, tmp_path):
    from sentence_transformers import SentenceTransformer

    texts = ["the cat sat on the mat", "i hate this movie"]
    base = SentenceTransformer(str(tiny_bert_dir)).encode(texts)
    model = add_lora_to_embedder(SentenceTransformer(str(tiny_bert_dir)), r=4)
    assert all(("lora_" in n) == p.requires_grad for n, p in model.named_parameters())
    _perturb(model)
    adapted = model.encode(texts)
    assert np.abs(adapted - base).max() > 1e-3
    save_adapter(model, tmp_path / "emb-adapter")
    reloaded = load_adapter(SentenceTransformer(str(tiny_bert_dir)), tmp_path / "emb-adapter")
    np.testing.assert_allclose(reloaded.encode(texts), adapted, atol=1e-5)
    merge_lora(model[0].auto_model)
    assert not any("lora_" in n for n, _ in model.named_parameters())
    np.testing.assert_allclose(model.encode(texts), adapted, atol=1e-5)


def test_training_state_counts_gradients_and_adam_moments(tiny_bert_dir):
    model = add_lora(_classifier(tiny_bert_dir), r=4)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    model(input_ids=torch.tensor([[2, 5, 3]]), labels=torch.tensor([1])).loss.backward()
    optimizer.step()
    state = training_state_mib(model, optimizer)
    trainable_mib = parameter_counts(model)["trainable"] * 4 / 2**20
    assert state["gradients_mib"] == pytest.approx(trainable_mib)
    assert state["optimizer_state_mib"] == pytest.approx(2 * trainable_mib)  # AdamW: two moments per trainable weight
    assert state["total_mib"] == pytest.approx(state["weights_mib"] + 3 * trainable_mib)


@pytest.mark.parametrize("r", [0, -1, 2.5, True])
def test_a_bad_rank_is_a_usage_error(r):
    with pytest.raises(UsageError, match="rank"):
        lora_config("classifier", r=r)


def test_bad_task_alpha_and_adapter_folder(tmp_path, tiny_bert_dir):
    with pytest.raises(UsageError, match="choose 'classifier' or 'embedder'"):
        lora_config("reranker")
    with pytest.raises(UsageError, match="lora_alpha"):
        lora_config("classifier", r=4, alpha=-1)
    with pytest.raises(DataError, match="adapter_config.json"):
        load_adapter(_classifier(tiny_bert_dir), tmp_path)
