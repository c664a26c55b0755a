"""A SetFit model as one torch module, so that it is saved, loaded and predicted like any classifier.

SetFit's model is a sentence encoder (transformer, mean pooling, unit length) followed by a logistic
regression. :class:`SetFitModule` holds both: the logistic regression's coefficients become a linear layer
whose logits, through the softmax :func:`ftcourse.classifier.predict.predict_proba` applies, give the
logistic regression's own probabilities. The folder it is saved to holds the encoder as a plain
transformers model (``config.json``, ``model.safetensors``, tokenizer) plus ``setfit_head.safetensors``;
``labels.json`` says ``"method": "setfit"`` and :func:`ftcourse.classifier.predict.load_classifier` reads it.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch

from ftcourse.errors import DataError

HEAD_FILE = "setfit_head.safetensors"
METHOD = "setfit"


def head_weights(logistic_regression, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """A fitted sklearn ``LogisticRegression`` as ``(weight (n_classes, dim), bias (n_classes,))`` of a softmax layer.

    A binary model has one coefficient row ``w`` with ``p(1) = sigmoid(w.x + b)``, which is the softmax of the logits
    ``(0, w.x + b)``. Classes absent from training (never the case in SetFit's sampling) get a logit of -1e4.
    """
    coef, intercept = np.asarray(logistic_regression.coef_), np.asarray(logistic_regression.intercept_)
    classes = list(logistic_regression.classes_)
    if len(classes) == 2 and coef.shape[0] == 1:
        coef = np.vstack([np.zeros_like(coef[0]), coef[0]])
        intercept = np.array([0.0, intercept[0]])
    weight = np.zeros((n_classes, coef.shape[1]), dtype=np.float32)
    bias = np.full(n_classes, -1e4, dtype=np.float32)
    for row, cls in enumerate(classes):
        weight[int(cls)] = coef[row]
        bias[int(cls)] = intercept[row]
    return weight, bias


class SetFitModule(torch.nn.Module):
    """Encoder + mean pooling + unit length + a linear layer; ``forward(**tokenized).logits`` like a classifier.

    Args:
        encoder: a transformers ``AutoModel`` (e.g. ``sentence_transformer[0].auto_model``).
        weight, bias: the logistic regression as a softmax layer (:func:`head_weights`).
    """

    def __init__(self, encoder, weight, bias):
        super().__init__()
        self.encoder = encoder
        self.head = torch.nn.Linear(weight.shape[1], weight.shape[0])
        with torch.no_grad():
            self.head.weight.copy_(torch.as_tensor(weight, dtype=torch.float32))
            self.head.bias.copy_(torch.as_tensor(bias, dtype=torch.float32))
        self.config = SimpleNamespace(num_labels=weight.shape[0])

    @property
    def device(self):
        return self.head.weight.device

    def embed(self, input_ids, attention_mask, **kwargs):
        """Mean of the token embeddings over the real tokens, scaled to unit length (as the SentenceTransformer does)."""
        tokens = self.encoder(input_ids=input_ids, attention_mask=attention_mask, **kwargs).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
        pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, p=2, dim=1)

    def forward(self, input_ids, attention_mask, **kwargs):
        return SimpleNamespace(logits=self.head(self.embed(input_ids, attention_mask, **kwargs).to(self.head.weight.dtype)))


def save_setfit_module(module: SetFitModule, tokenizer, folder: str | os.PathLike) -> Path:
    """Write the encoder (transformers format), the tokenizer and ``setfit_head.safetensors`` into ``folder``."""
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    module.encoder.save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    state = {"weight": module.head.weight.detach().cpu().contiguous(), "bias": module.head.bias.detach().cpu().contiguous()}
    save_file(state, str(folder / HEAD_FILE))
    return folder


def load_setfit_module(folder: str | os.PathLike, device: str = "cpu") -> SetFitModule:
    """The :class:`SetFitModule` saved in ``folder`` by :func:`save_setfit_module`, in eval mode on ``device``."""
    from safetensors.torch import load_file
    from transformers import AutoModel

    folder = Path(folder)
    if not (folder / HEAD_FILE).is_file():
        raise DataError(
            f"{folder}: labels.json says this is a SetFit model, but {HEAD_FILE} is missing. "
            "Fix: pass the whole folder written by `ftcourse train-classifier --method setfit`, or train again."
        )
    head = load_file(str(folder / HEAD_FILE))
    encoder = AutoModel.from_pretrained(str(folder), trust_remote_code=False, use_safetensors=True)
    return SetFitModule(encoder, head["weight"].numpy(), head["bias"].numpy()).to(device).eval()
