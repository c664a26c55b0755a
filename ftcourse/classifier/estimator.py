"""A fine-tuned transformer classifier behind scikit-learn's ``fit`` / ``predict_proba`` / ``predict``.

Code written for cheap models (``ftcourse.datacentric.active_learning`` calls ``make_model().fit(X, y)``)
then runs unchanged with a fine-tune per call: the features are the texts themselves.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ftcourse.classifier.predict import from_training, predict_proba
from ftcourse.classifier.trainer import train_classifier
from ftcourse.errors import DataError
from ftcourse.training import quiet_libraries


class FineTunedClassifier:
    """Fine-tune a fresh classifier on every ``fit``, with fixed epochs and no checkpoints.

    With a few hundred labels there is no validation split to stop on, so training runs its epochs and the last
    weights are the model (``checkpoints=False``, as in lesson 14's few-shot head).

    Args:
        label_names: the class names in id order (``fit`` takes ids into it).
        output_dir: a scratch folder for the training log (nothing else is written: ``save=False``).
        **settings: any :class:`ftcourse.classifier.trainer.ClassifierSettings` field (epochs, batch_size,
            learning_rate, class_weighting, head_init, base_model, seed, ...).
    """

    def __init__(self, label_names: Sequence[str], output_dir: str | os.PathLike = "outputs/fine_tuned_estimator", **settings):
        self.label_names = list(label_names)
        self.output_dir = output_dir
        self.settings = {"progress": False, **settings, "checkpoints": False}
        self.classifier_ = None

    def fit(self, texts, y):
        """Fine-tune on ``texts`` with class ids ``y``; returns ``self``."""
        texts = [str(t) for t in texts]
        if len(texts) != len(y):
            raise DataError(f"FineTunedClassifier.fit: {len(texts)} texts but {len(y)} labels.")
        frame = pd.DataFrame({"text": texts, "label": np.asarray(y).astype(int)})
        with quiet_libraries():
            trained = train_classifier(
                frame, frame, label_names=self.label_names, output_dir=self.output_dir, save=False, **self.settings
            )
        self.classifier_ = from_training(trained)
        return self

    def predict_proba(self, texts) -> np.ndarray:
        """Class probabilities, ``(len(texts), n_classes)``, columns in ``label_names`` order."""
        if self.classifier_ is None:
            raise DataError("FineTunedClassifier: call fit before predict_proba.")
        return predict_proba(self.classifier_, [str(t) for t in texts])

    def predict(self, texts) -> np.ndarray:
        """The most probable class id of each text."""
        return self.predict_proba(texts).argmax(axis=1)
