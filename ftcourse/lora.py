"""LoRA adapters (``peft``) on a classifier or on a SentenceTransformer, and what training them costs.

LoRA freezes the pretrained weights and learns, beside chosen linear layers, a low-rank update
``B @ A`` (rank ``r``, scaled by ``alpha / r``). Only the adapters (and, for a classifier, the new
head) are trained, so gradients and optimiser state shrink with them; the forward pass does not.

* :func:`add_lora` wraps an ``AutoModelForSequenceClassification`` (peft's ``get_peft_model``; the
  head is trained in full as a ``modules_to_save`` module);
* :func:`add_lora_to_embedder` injects adapters into a SentenceTransformer's transformer in place
  (``peft.inject_adapter_in_model``): the model stays a SentenceTransformer, so its trainer and
  ``encode`` work unchanged;
* :func:`save_adapter` / :func:`load_adapter` write and read the adapter alone (a few hundred kB);
* :func:`parameter_counts` and :func:`training_state_mib` are the numbers lesson 14 compares.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from ftcourse.errors import DataError, UsageError

ADAPTER_DIR = "adapter"  # where train_classifier(lora_r=...) saves the adapter beside the merged model


def _check_rank(r: int, alpha: float | None) -> float:
    if isinstance(r, bool) or not isinstance(r, int) or r < 1:
        raise UsageError(f"LoRA rank r={r!r}: must be a whole number >= 1 (e.g. 8).")
    alpha = float(2 * r if alpha is None else alpha)
    if alpha <= 0:
        raise UsageError(f"lora_alpha={alpha!r}: must be > 0 (the usual choice is twice the rank).")
    return alpha


def lora_config(task: str, r: int = 8, alpha: float | None = None, dropout: float = 0.1, target_modules=None):
    """A ``peft.LoraConfig``.

    Args:
        task: ``"classifier"`` (sequence classification: the head is trained in full) or ``"embedder"``.
        r: rank of each low-rank update.
        alpha: scaling numerator (the update is multiplied by ``alpha / r``); default ``2 * r``.
        dropout: dropout on the adapters' input.
        target_modules: names of the linear layers to adapt; default: peft's choice for the
            architecture (``query`` and ``value`` for BERT-style models).
    """
    from peft import LoraConfig, TaskType

    alpha = _check_rank(r, alpha)
    kinds = {"classifier": TaskType.SEQ_CLS, "embedder": TaskType.FEATURE_EXTRACTION}
    if task not in kinds:
        raise UsageError(f"task={task!r}: choose 'classifier' or 'embedder'.")
    if target_modules is None and task == "embedder":
        target_modules = ["query", "value"]  # inject_adapter_in_model has no per-architecture default
    return LoraConfig(task_type=kinds[task], r=r, lora_alpha=alpha, lora_dropout=dropout, target_modules=target_modules)


def add_lora(model, r: int = 8, alpha: float | None = None, dropout: float = 0.1, target_modules=None):
    """Wrap a ``...ForSequenceClassification`` model with LoRA adapters; returns the ``PeftModel``.

    The encoder's weights are frozen; the adapters and the classification head train.
    """
    from peft import get_peft_model

    config = lora_config("classifier", r, alpha, dropout, target_modules)
    with warnings.catch_warnings():
        # peft 0.21 asks transformers 5 for `is_gradient_checkpointing`, which transformers 5 deprecates: their mismatch, not ours.
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
        return get_peft_model(model, config)


def merge_lora(model):
    """The plain model with each adapter folded into its weights (``W + B @ A * alpha / r``); no peft needed to load it.

    A ``PeftModel`` (from :func:`add_lora`) is merged and unwrapped; a module given adapters in place (a
    SentenceTransformer's transformer, :func:`add_lora_to_embedder`) has each adapted layer merged and put back
    as the plain layer it wraps. Returns the plain model.
    """
    if hasattr(model, "merge_and_unload"):
        return model.merge_and_unload()
    from peft.tuners.lora import LoraLayer

    for name, module in list(model.named_modules()):
        if isinstance(module, LoraLayer):
            module.merge()
            parent_name, _, child = name.rpartition(".")
            setattr(model.get_submodule(parent_name) if parent_name else model, child, module.get_base_layer())
    if hasattr(model, "peft_config"):
        del model.peft_config  # the adapters are gone: a saved copy must not claim them
    return model


def add_lora_to_embedder(model, r: int = 8, alpha: float | None = None, dropout: float = 0.1, target_modules=None):
    """Inject LoRA adapters into a SentenceTransformer's transformer, in place, and freeze everything else.

    sentence-transformers 6 has ``model.add_adapter``, but it goes through transformers' integration, which
    asks for peft >= 0.22 (0.21 is the newest that installs here); ``peft.inject_adapter_in_model`` does the same
    job on the module itself.

    Returns:
        The same model (now training only its adapters).
    """
    from peft import inject_adapter_in_model

    config = lora_config("embedder", r, alpha, dropout, target_modules)
    transformer = model[0].auto_model
    inject_adapter_in_model(config, transformer)
    for name, parameter in model.named_parameters():
        parameter.requires_grad = "lora_" in name
    return model


def parameter_counts(model) -> dict:
    """``{"trainable", "total", "trainable_share"}``: the parameters the optimiser updates, against all of them."""
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return {"trainable": int(trainable), "total": int(total), "trainable_share": trainable / max(total, 1)}


def training_state_mib(model, optimizer=None) -> dict:
    """Memory a training run holds, in MiB: the weights, one gradient per trainable weight, the optimiser's state.

    The optimiser's state is read from ``optimizer.state`` (AdamW keeps two moments per trainable weight), so it is
    what the run really allocated; activations come on top and depend on batch size and length, not on LoRA.
    """
    weights = sum(p.numel() * p.element_size() for p in model.parameters())
    gradients = sum(p.numel() * p.element_size() for p in model.parameters() if p.requires_grad)
    state = 0
    if optimizer is not None:
        for values in optimizer.state.values():
            state += sum(v.numel() * v.element_size() for v in values.values() if hasattr(v, "numel") and v.dim() > 0)
    mib = 2**20
    return {
        "weights_mib": weights / mib,
        "gradients_mib": gradients / mib,
        "optimizer_state_mib": state / mib,
        "total_mib": (weights + gradients + state) / mib,
    }


def save_adapter(model, folder: str | os.PathLike) -> Path:
    """Save only the adapter weights and their config (``adapter_model.safetensors``, ``adapter_config.json``).

    Works for a ``PeftModel`` (from :func:`add_lora`) and for a SentenceTransformer given adapters by
    :func:`add_lora_to_embedder`.
    """
    from peft import get_peft_model_state_dict
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if hasattr(model, "peft_config") and hasattr(model, "save_pretrained") and not hasattr(model, "encode"):
        model.save_pretrained(str(folder))
        return folder
    transformer = model[0].auto_model
    state = get_peft_model_state_dict(transformer)
    save_file({k: v.contiguous() for k, v in state.items()}, str(folder / "adapter_model.safetensors"))
    transformer.peft_config["default"].save_pretrained(str(folder))
    return folder


def load_adapter(base, folder: str | os.PathLike):
    """Put a saved adapter back on a fresh base model.

    Args:
        base: a fresh ``...ForSequenceClassification`` model (returns a ``PeftModel``) or a fresh
            SentenceTransformer (adapters injected in place; returns it).
        folder: written by :func:`save_adapter`.
    """
    folder = Path(folder)
    if not (folder / "adapter_config.json").is_file():
        raise DataError(
            f"{folder}: no adapter_config.json. Fix: pass a folder written by save_adapter (or OUTPUT/{ADAPTER_DIR})."
        )
    if not hasattr(base, "encode"):
        from peft import PeftModel

        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
            return PeftModel.from_pretrained(base, str(folder)).eval()
    from peft import LoraConfig, inject_adapter_in_model, set_peft_model_state_dict
    from safetensors.torch import load_file

    config = LoraConfig.from_pretrained(str(folder))
    transformer = base[0].auto_model
    inject_adapter_in_model(config, transformer)
    set_peft_model_state_dict(transformer, load_file(str(folder / "adapter_model.safetensors")))
    return base.eval()
