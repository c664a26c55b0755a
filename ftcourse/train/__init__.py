"""Training: ``train_embedder`` (sentence-transformers) and ``train_classifier`` (transformers).

Import from here: ``from ftcourse.train import train_embedder, train_classifier``. The two live in
their own modules because each wraps a different trainer; what they share is in ``common``.
"""

from ftcourse.train.classifier import train_classifier
from ftcourse.train.common import JsonlLogCallback, read_training_log, write_training_info
from ftcourse.train.embedder import train_embedder

__all__ = ["JsonlLogCallback", "read_training_log", "train_classifier", "train_embedder", "write_training_info"]
