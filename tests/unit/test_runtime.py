"""Seeds, device and precision (ftcourse.runtime)."""

import pytest

from ftcourse import runtime as models


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
