"""Seeds, device and precision (ftcourse.runtime)."""

from ftcourse import runtime as models


def test_device_and_precision_on_this_machine():
    device = models.pick_device()
    assert device in {"cuda", "mps", "cpu"}
    precision = models.mixed_precision("cpu")
    assert precision == {"bf16": False, "fp16": False}
