"""The two training calls a learner types: ``from ftcourse.train import train_classifier, train_embedder``.

A thin re-export kept for that reason only: the code lives in :mod:`ftcourse.classifier.trainer` and
:mod:`ftcourse.embedder.trainer`, and what both share in :mod:`ftcourse.training`.
"""

from ftcourse.classifier.trainer import train_classifier
from ftcourse.embedder.trainer import train_embedder

__all__ = ["train_classifier", "train_embedder"]
