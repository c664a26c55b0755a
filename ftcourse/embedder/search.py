"""Semantic search with an embedding model: where a trained model lives, corpus embeddings cached in the
user's cache folder, and the ranked hits of each query."""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ftcourse.data import cache_dir
from ftcourse.errors import UsageError


def embedder_path(model_dir: str | os.PathLike) -> str:
    """The model inside a ``train-embedder`` output folder (``<dir>/model``), else ``model_dir`` itself."""
    folder = Path(model_dir).expanduser()
    if (folder / "model" / "modules.json").is_file():
        return str(folder / "model")
    return str(model_dir)


def check_model_exists(model: str) -> None:
    """Raise :class:`UsageError` for a path that cannot be a Hub id (``org/name``) and does not exist,
    instead of letting a Hub lookup fail with a long error."""
    text = str(model)
    looks_local = text.startswith((".", "/", "~")) or text.count("/") > 1 or "\\" in text
    if looks_local and not Path(text).expanduser().exists():
        raise UsageError(
            f"{text}: no such model folder. Fix: pass the --output of `ftcourse train-embedder`, a saved model folder or a Hub id."
        )


def _model_fingerprint(model_path: str) -> str:
    # A local model changes when its weights or config change; a Hub id is its own fingerprint.
    folder = Path(model_path)
    if not folder.is_dir():
        return model_path
    stats = sorted(
        (str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file() and p.suffix in (".safetensors", ".json", ".bin", ".txt")
    )
    return f"{folder.resolve()}|{stats}"


def embeddings_cache_dir() -> Path:
    """Where corpus embeddings are cached: ``$XDG_CACHE_HOME/ftcourse/embeddings`` (default ``~/.cache/ftcourse/embeddings``),
    never beside the corpus (its folder may be read-only or shared)."""
    return cache_dir().parent / "embeddings"


def corpus_embeddings(model, model_path: str, texts: Sequence[str], batch_size: int = 32) -> tuple[np.ndarray, Path | None, bool]:
    """Normalised embeddings of ``texts``, cached in :func:`embeddings_cache_dir`.

    The cache file is named by the SHA-256 of what changes the vectors: the texts themselves (so the
    column searched, the rows and their order count) and the model's fingerprint (path, file sizes
    and times). A cache that cannot be written is a warning, not an error: the search still runs.

    Returns:
        ``(embeddings (n, dim), cache path or None when it could not be written, reused: bool)``.
    """
    digest = hashlib.sha256(_model_fingerprint(model_path).encode())
    for text in texts:
        digest.update(b"\0" + str(text).encode("utf-8", "surrogatepass"))
    cache = embeddings_cache_dir() / f"{digest.hexdigest()}.npz"
    if cache.is_file():
        try:
            with np.load(cache) as stored:
                if stored["embeddings"].shape[0] == len(texts):
                    return stored["embeddings"], cache, True
        except (OSError, ValueError, KeyError):
            pass  # an unreadable cache is rebuilt
    embeddings = model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f"{cache.stem}.{os.getpid()}.tmp.npz")
        np.savez(tmp, embeddings=embeddings)
        tmp.replace(cache)
    except OSError as exc:
        warnings.warn(
            f"corpus embeddings not cached ({exc.strerror or exc} in {cache.parent}); they will be computed again next time",
            stacklevel=2,
        )
        return embeddings, None, False
    return embeddings, cache, False


def search(
    model, queries: Sequence[str], corpus_embeddings_: np.ndarray, texts: Sequence[str], top_k: int = 5, batch_size: int = 32
) -> list[list[dict]]:
    """Rank ``texts`` (whose normalised embeddings are ``corpus_embeddings_``) for each query by cosine similarity.

    Returns:
        One list per query of ``{"rank", "score", "text", "corpus_id"}``, best first.
    """
    from sentence_transformers.util import semantic_search

    query_embeddings = model.encode(list(queries), batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True)
    hits = semantic_search(query_embeddings, corpus_embeddings_, top_k=min(top_k, len(texts)))
    return [
        [
            {"rank": r + 1, "score": round(float(h["score"]), 4), "text": texts[h["corpus_id"]], "corpus_id": int(h["corpus_id"])}
            for r, h in enumerate(found)
        ]
        for found in hits
    ]
