"""Which words drive a classifier's score: word occlusion, shown as highlighted text.

Occlusion asks the model directly: remove one word, re-score the text, and the drop in the
label's probability is that word's importance. It needs no gradients and works for any model
:mod:`ftcourse.classifier.predict` can load; the price is one forward pass per word (batched).
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from ftcourse.classifier.predict import predict_proba
from ftcourse.errors import UsageError


def occlusion_scores(classifier, text: str, label: str, batch_size: int = 64, max_words: int = 80) -> pd.DataFrame:
    """Importance of each word of ``text`` for ``label``: probability with the word minus without it.

    Args:
        classifier: a :class:`ftcourse.classifier.predict.LoadedClassifier`.
        text: the text to explain.
        label: one of ``classifier.label_names``.
        batch_size: occluded copies scored per forward pass.
        max_words: explain only the first N words (longer texts are cut by the model anyway).

    Returns:
        One row per word: ``word``, ``importance`` (positive = the word raises the label's
        probability), and ``attrs["probability"]`` the full text's probability.
    """
    if label not in classifier.label_names:
        raise UsageError(f"label {label!r} is not one of the model's labels {classifier.label_names}.")
    column = classifier.label_names.index(label)
    words = text.split()[:max_words]
    variants = [" ".join(words)] + [" ".join(words[:i] + words[i + 1 :]) for i in range(len(words))]
    probs = predict_proba(classifier, variants, batch_size=batch_size)[:, column]
    table = pd.DataFrame({"word": words, "importance": probs[0] - probs[1:]})
    table.attrs["probability"] = float(probs[0])
    table.attrs["label"] = label
    return table


def highlight_html(words, importance, scale: float | None = None) -> str:
    """HTML of the words on a background whose red (raises the score) or blue (lowers it) shows importance.

    Args:
        words: the words, in order.
        importance: one number per word (e.g. from :func:`occlusion_scores`).
        scale: the importance shown at full colour; default the largest absolute importance.
    """
    importance = np.asarray(importance, dtype=float)
    scale = scale or float(np.abs(importance).max()) or 1.0
    spans = []
    for word, value in zip(words, importance, strict=True):
        alpha = min(abs(value) / scale, 1.0)
        colour = f"rgba(220, 40, 40, {alpha:.2f})" if value > 0 else f"rgba(40, 90, 220, {alpha:.2f})"
        spans.append(
            f'<span style="background:{colour};padding:1px 2px;border-radius:3px" title="{value:+.3f}">{html.escape(word)}</span>'
        )
    return '<div style="line-height:1.9">' + " ".join(spans) + "</div>"
