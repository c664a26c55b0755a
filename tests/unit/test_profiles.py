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


@pytest.mark.parametrize(
    ("field_name", "value", "takes"),
    [
        ("cpu_bf16_inference", "no", "bool"),  # bool("no") would be True: the lesson would infer in bfloat16
        ("cpu_bf16_inference", 1, "bool"),
        ("train_size", True, "int | None"),
        ("train_size", 10.5, "int | None"),
        ("learning_rate", "1e-4", "float"),
        ("learning_curve_sizes", [100, 2.5], "tuple[int, ...]"),
        ("head_init", 3, "str | None"),
    ],
)
def test_an_override_of_the_wrong_type_names_the_field_the_value_and_the_type(field_name, value, takes):
    with pytest.raises(ValueError, match="Profile field") as raised:
        get_profile("fast", device="cpu", **{field_name: value})
    assert (
        repr(field_name) in str(raised.value) and repr(value) in str(raised.value) and f"it takes {takes}." in str(raised.value)
    )


def test_overrides_of_the_right_type_pass_including_ints_for_floats_and_lists_for_tuples():
    profile = get_profile(
        "fast",
        device="cpu",
        train_size=np.int64(10),
        learning_rate=1,
        learning_curve_sizes=[100, 300],
        cpu_bf16=True,
        head_init="linear_probe",
        noise_rates=(0.1, 1),
    )
    assert (profile.train_size, profile.learning_rate, list(profile.learning_curve_sizes)) == (10, 1, [100, 300])


def test_every_profile_value_has_its_fields_type():
    # the full profile on a CPU includes FULL_ON_CPU's sizes
    for name in PROFILES:
        for device in ("cpu", "cuda"):
            profile = get_profile(name, device=device)
            # replaying each value as an override runs it through the same check a notebook's parameter meets
            get_profile(name, device=device, **{k: v for k, v in vars(profile).items() if k != "name"})


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
