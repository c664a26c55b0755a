"""What a learner types to use a saved classifier: ``from ftcourse.predict import predict``.

A thin re-export kept for that reason only (model cards and lessons show this import); the code
lives in :mod:`ftcourse.classifier.predict`.
"""

from ftcourse.classifier.predict import LoadedClassifier, from_training, load_classifier, predict, predict_proba

__all__ = ["LoadedClassifier", "from_training", "load_classifier", "predict", "predict_proba"]
