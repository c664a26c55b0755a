"""Fixtures of the classifier tests: a toy multi-label table and one tiny model trained on it per session."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

GOOD = "the cat is good i love this movie great film ok".split()
BAD = "hate you bad awful not i am very".split()


def toy_frame(n: int = 64, seed: int = 0) -> pd.DataFrame:
    """``text`` plus two 0/1 labels (``toxic`` every third row, ``insult`` every sixth) and a class column ``label``."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        toxic = i % 3 == 0
        insult = toxic and i % 2 == 0
        words = rng.choice(BAD if toxic else GOOD, 6)
        if insult:
            words[0] = "you"
        rows.append({"text": " ".join(words), "toxic": int(toxic), "insult": int(insult), "label": "bad" if toxic else "good"})
    return pd.DataFrame(rows)


TINY_TRAINING = {"epochs": 3, "batch_size": 8, "learning_rate": 1e-2, "max_length": 32, "progress": False}


@pytest.fixture(scope="session")
def trained_toy(tiny_bert_dir, tmp_path_factory):
    """A tiny multi-label classifier (toxic, insult) trained once, saved to a temp folder."""
    from ftcourse.train import train_classifier

    df = toy_frame()
    out = tmp_path_factory.mktemp("toy-classifier")
    trained = train_classifier(
        df.iloc[:40],
        df.iloc[40:],
        label_columns=["toxic", "insult"],
        base_model=str(tiny_bert_dir),
        output_dir=out,
        class_weighting="inverse",
        dataset_name="toy",
        data_licence="CC0 (made up in the test)",
        **TINY_TRAINING,
    )
    return trained, out, df
