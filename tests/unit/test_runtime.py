"""Seeds, device and precision (ftcourse.runtime)."""

import pytest

from ftcourse import runtime as models
from tests.unit.tiny_models import tiny_bert_classifier


def test_device_and_precision_on_this_machine():
    device = models.pick_device()
    assert device in {"cuda", "mps", "cpu"}
    precision = models.mixed_precision("cpu")
    assert precision == {"bf16": False, "fp16": False}


def test_cpu_bf16_is_off_until_asked_for_and_only_where_supported(monkeypatch):
    import torch

    try:
        assert models.mixed_precision("cpu") == {"bf16": False, "fp16": False}
        monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: True, raising=False)
        assert models.use_cpu_bf16(True) is True
        assert models.mixed_precision("cpu") == {"bf16": True, "fp16": False}
        assert models.mixed_precision("mps") == {"bf16": False, "fp16": False}  # MPS stays fp32 whatever is asked
        monkeypatch.setenv("FTCOURSE_CPU_BF16", "0")  # the environment can switch it off for a before/after run
        assert models.mixed_precision("cpu") == {"bf16": False, "fp16": False}
        monkeypatch.setenv("FTCOURSE_CPU_BF16", "off")
        assert models.mixed_precision("cpu")["bf16"] is False  # "off" means off, not "set, so on"
        monkeypatch.setenv("FTCOURSE_CPU_BF16", "1")
        assert models.mixed_precision("cpu")["bf16"] is True
        monkeypatch.setenv("FTCOURSE_CPU_BF16", "fp32")
        from ftcourse.errors import UsageError

        with pytest.raises(UsageError, match="FTCOURSE_CPU_BF16='fp32' is not understood.*set it to 0"):
            models.mixed_precision("cpu")
        monkeypatch.delenv("FTCOURSE_CPU_BF16")
        # a CPU without native bfloat16 would emulate it, slower than fp32: asking changes nothing there
        monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False, raising=False)
        monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False, raising=False)
        assert models.cpu_bf16_supported() is False
        assert models.use_cpu_bf16(True) is False
        assert models.mixed_precision("cpu") == {"bf16": False, "fp16": False}
        # a torch without the probes at all reads as unsupported, not as an error
        monkeypatch.delattr(torch.cpu, "_is_amx_tile_supported")
        monkeypatch.delattr(torch.cpu, "_is_avx512_bf16_supported")
        assert models.cpu_bf16_supported() is False
    finally:
        models.use_cpu_bf16(False)


def test_end_distributed_run_closes_the_process_group(tmp_path):
    import torch.distributed as dist

    models.end_distributed_run()  # no group: nothing to do
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1)
    assert dist.is_initialized()
    models.end_distributed_run()
    assert not dist.is_initialized()


def test_cpu_bf16_inference_changes_only_inference_and_only_when_active(monkeypatch):
    import copy

    import torch

    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: True, raising=False)
    model, ids = tiny_bert_classifier(), torch.randint(0, 100, (4, 12))
    with torch.no_grad():
        fp32 = model(ids).logits
    try:
        assert models.cpu_bf16_inference(model) is model
        assert "forward" in vars(model.bert) and "forward" not in vars(model)  # the encoder only: the head stays fp32
        with torch.no_grad():
            assert torch.equal(model(ids).logits, fp32)  # cpu_bf16 not asked for: fp32
        models.use_cpu_bf16(True)
        with torch.no_grad():
            assert torch.equal(model(ids).logits, fp32)  # training in bf16 alone leaves inference in fp32
        models.use_cpu_bf16_inference(True)
        with torch.no_grad():
            bf16 = model(ids).logits
        assert bf16.dtype == torch.float32 and not torch.equal(bf16, fp32) and torch.allclose(bf16, fp32, atol=0.05)
        assert not torch.equal(bf16.to(torch.bfloat16).float(), bf16)  # scores keep fp32 resolution: no rounding into ties
        assert torch.equal(model(ids).logits.detach(), fp32)  # recording gradients (training): fp32
        with models.inference_in_fp32(), torch.no_grad():  # an ONNX export asks for fp32
            assert torch.equal(model(ids).logits, fp32)
        with torch.no_grad():
            assert torch.equal(model(ids).logits, bf16)  # and the block restores bf16
        model.train()
        with torch.no_grad():
            assert torch.equal(model(ids).logits, fp32)  # train mode, even without gradients (a cached loss's first pass)
        model.eval()
        monkeypatch.setenv("FTCOURSE_CPU_BF16", "0")
        with torch.no_grad():
            assert torch.equal(model(ids).logits, fp32)
        monkeypatch.delenv("FTCOURSE_CPU_BF16")
        twin = copy.deepcopy(model)  # a copy calls its own weights, not the original's
        with torch.no_grad():
            twin.classifier.weight.zero_()
            twin.classifier.bias.zero_()
            assert torch.count_nonzero(twin(ids).logits) == 0 and torch.count_nonzero(model(ids).logits) > 0
    finally:
        models.use_cpu_bf16(False)
        models.use_cpu_bf16_inference(False)


def test_embedders_are_prepared_for_bf16_inference_rerankers_are_not():
    from ftcourse.cross_encoder.trainer import load_cross_encoder
    from ftcourse.models import load_sentence_transformer

    embedder, reranker = load_sentence_transformer(device="cpu"), load_cross_encoder(device="cpu")
    assert "forward" in vars(embedder[0].auto_model)
    assert "forward" not in vars(reranker.model.base_model)  # rerankers score in fp32 (lesson 12 measured a loss in bf16)


def test_classifiers_fresh_from_training_infer_in_bf16_when_asked(monkeypatch):
    import torch

    from ftcourse.classifier.predict import from_training

    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: True, raising=False)
    model, ids = tiny_bert_classifier(), torch.randint(0, 100, (4, 12))
    with torch.no_grad():
        fp32 = model(ids).logits
    result = {
        "label_names": ["a", "b", "c"],
        "problem_type": "single_label_classification",
        "thresholds": {},
        "max_length": 16,
        "normalize_text": False,
    }
    loaded = from_training((model, None, None, result))  # lesson 13's active-learning loop predicts through these
    try:
        models.use_cpu_bf16(True)
        models.use_cpu_bf16_inference(True)
        with torch.no_grad():
            assert loaded.model is model and not torch.equal(loaded.model(ids).logits, fp32)
    finally:
        models.use_cpu_bf16(False)
        models.use_cpu_bf16_inference(False)
