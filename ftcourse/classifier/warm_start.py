"""Linear probe, then fine-tune (LP-FT): start the new classification head from a logistic regression.

A fresh head starts from random weights, so the first hundreds of steps of a fine-tune mostly
teach the head, while the gradients it sends back scramble the pretrained encoder. On a short
CPU run that is the whole run: the fine-tune ends below the frozen encoder with a logistic
regression on top. Fitting that logistic regression first, on the very features the head reads,
and copying its weights into the head, starts the fine-tune where the linear probe ends
(Kumar et al., 2022, "Fine-Tuning can Distort Pretrained Features and Underperform Out-of-Distribution").
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression

from ftcourse.classifier.labels import MULTI
from ftcourse.errors import UsageError

NEGATIVE_BIAS = -5.0  # a label with no positive in the training data starts (and probably stays) "never"


def head_inputs(model, tokenizer, texts: Sequence[str], max_length: int, batch_size: int = 64) -> np.ndarray:
    """What the classification head of ``model`` reads for each text, with dropout off: shape ``(n, hidden)``.

    Captured with a forward hook on ``model.classifier``, so it is exactly the head's input
    (BERT-family models: the pooled [CLS] vector) whatever the architecture computes before it.
    """
    head = _linear_head(model)
    captured: list[torch.Tensor] = []
    hook = head.register_forward_hook(lambda module, args, output: captured.append(args[0].detach().float().cpu()))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for start in range(0, len(texts), batch_size):
                batch = tokenizer(
                    list(texts[start : start + batch_size]),
                    truncation=True,
                    max_length=max_length,
                    padding=True,
                    return_tensors="pt",
                )
                model(**{k: v.to(model.device) for k, v in batch.items()})
    finally:
        hook.remove()
        model.train(was_training)
    return torch.cat(captured).numpy()


def fit_probe(
    features: np.ndarray, targets: np.ndarray, problem_type: str, n_labels: int, class_weight: str | None = None, seed: int = 0
):
    """A logistic regression on ``features`` as head weights: ``(weight (n_labels, hidden), bias (n_labels,))``.

    Single-label: one multinomial regression (two classes: the binary one, split symmetrically into
    two logits). Multi-label: one regression per label; a label without positives gets a strongly
    negative bias.
    """
    weight = np.zeros((n_labels, features.shape[1]), dtype=np.float32)
    bias = np.zeros(n_labels, dtype=np.float32)
    if problem_type == MULTI:
        for j in range(n_labels):
            column = np.asarray(targets)[:, j].astype(int)
            if column.min() == column.max():
                bias[j] = NEGATIVE_BIAS if column.max() == 0 else -NEGATIVE_BIAS
                continue
            probe = LogisticRegression(max_iter=2000, class_weight=class_weight, random_state=seed).fit(features, column)
            weight[j], bias[j] = probe.coef_[0], probe.intercept_[0]
        return weight, bias
    probe = LogisticRegression(max_iter=2000, class_weight=class_weight, random_state=seed).fit(features, targets)
    classes = probe.classes_.astype(int)
    if len(classes) == 2:  # sklearn keeps one weight vector for two classes: logit difference w.x + b
        weight[classes[1]], bias[classes[1]] = probe.coef_[0] / 2, probe.intercept_[0] / 2
        weight[classes[0]], bias[classes[0]] = -probe.coef_[0] / 2, -probe.intercept_[0] / 2
    else:
        weight[classes], bias[classes] = probe.coef_, probe.intercept_
    return weight, bias


def warm_start_head(
    model,
    tokenizer,
    texts: Sequence[str],
    targets: np.ndarray,
    problem_type: str,
    max_length: int,
    class_weight: str | None = None,
    seed: int = 0,
) -> dict:
    """Set the head of ``model`` to a logistic regression fitted on the frozen encoder's features of ``texts``.

    Args:
        model: a ``...ForSequenceClassification`` model whose ``classifier`` is one linear layer.
        tokenizer: its tokenizer.
        texts, targets: the training texts and targets (:func:`ftcourse.classifier.labels.encode_labels`).
        problem_type: single- or multi-label.
        max_length: tokens kept per text, as in training.
        class_weight: ``"balanced"`` weights rare classes up in the probe, as a weighted loss does in training.
        seed: random state of the solver.

    Returns:
        ``{"seconds": ..., "train_accuracy": ...}`` of the probe (accuracy: exact-match for multi-label).
    """
    started = time.perf_counter()
    features = head_inputs(model, tokenizer, texts, max_length)
    head = _linear_head(model)
    weight, bias = fit_probe(features, targets, problem_type, head.out_features, class_weight, seed)
    with torch.no_grad():
        head.weight.copy_(torch.as_tensor(weight, dtype=head.weight.dtype))
        head.bias.copy_(torch.as_tensor(bias, dtype=head.bias.dtype))
    logits = features @ weight.T + bias
    predicted = (logits > 0).astype(int) if problem_type == MULTI else logits.argmax(axis=1)
    truth = np.asarray(targets).astype(int)
    accuracy = float((predicted == truth).all(axis=1).mean() if problem_type == MULTI else (predicted == truth).mean())
    return {"seconds": round(time.perf_counter() - started, 2), "train_accuracy": accuracy}


def _linear_head(model) -> torch.nn.Linear:
    head = getattr(model, "classifier", None)
    if not isinstance(head, torch.nn.Linear):
        raise UsageError(
            f"head_init='linear_probe' needs a model whose classifier is one linear layer (BERT, MiniLM); "
            f"{type(model).__name__} has {type(head).__name__}. Fix: leave head_init=None for this model."
        )
    return head
