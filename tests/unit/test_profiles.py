import random

import numpy as np
import pytest
import torch

from ftcourse.profiles import PROFILES, get_profile
from ftcourse.runtime import seed_everything


def test_fast_profile_is_smaller_than_full():
    fast, full = PROFILES["fast"], PROFILES["full"]
    assert fast.train_size is not None and full.train_size is None
    assert fast.epochs <= full.epochs
    assert fast.max_seq_length <= full.max_seq_length


def test_overrides_replace_fields_and_none_means_keep():
    profile = get_profile("fast", train_size=123, epochs=None)
    assert profile.train_size == 123
    assert profile.epochs == PROFILES["fast"].epochs


def test_unknown_profile_and_field_are_clear_errors():
    with pytest.raises(ValueError, match="choose one of"):
        get_profile("medium")
    with pytest.raises(ValueError, match="Unknown profile field"):
        get_profile("fast", trian_size=3)


def test_seed_everything_repeats_random_draws():
    seed_everything(7)
    first = (random.random(), np.random.rand(), torch.rand(1).item())
    seed_everything(7)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == first


def test_full_profile_takes_the_whole_data_on_a_gpu_and_cpu_sized_slices_elsewhere():
    from ftcourse.profiles import FULL_ON_CPU, get_profile

    on_gpu, on_cpu = get_profile("full", device="cuda"), get_profile("full", device="cpu")
    assert on_gpu.train_size is None and on_gpu.imbalance_train_size is None and on_gpu.epochs == 3
    for field_name, value in FULL_ON_CPU.items():
        assert getattr(on_cpu, field_name) == value
    assert get_profile("full", device="mps").train_size == FULL_ON_CPU["train_size"]
    # A notebook parameter still wins over the CPU size.
    assert get_profile("full", device="cpu", train_size=123).train_size == 123
    assert get_profile("fast", device="cuda") == get_profile("fast", device="cpu")
