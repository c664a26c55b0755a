import random

import numpy as np
import pytest
import torch

from ftcourse.config import PROFILES, get_profile, seed_everything


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
