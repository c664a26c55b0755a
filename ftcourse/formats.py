"""Labelled text in the shapes the losses want: pairs, (anchor, positive) sets and triplets; the
pair-table formats the command line recognises; and label maps (label <-> id), derived once from
the training split and applied to every other split.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from ftcourse.errors import DataError, UsageError, plain
from ftcourse.prepare import require_columns, require_labels, require_text


def _label_groups(df: pd.DataFrame, label_column: str) -> dict:
    return {label: np.flatnonzero(df[label_column].to_numpy() == label) for label in pd.unique(df[label_column])}


def _check_pairable(df: pd.DataFrame, text_column: str, label_column: str, need_negatives: bool) -> dict:
    require_text(df, text_column)
    require_labels(df, label_column)
    members = _label_groups(df, label_column)
    if not any(len(rows) >= 2 for rows in members.values()):
        raise DataError(
            f"Column {label_column!r}: no label has two rows, so no positive pair exists. Fix: pass more data per label."
        )
    if need_negatives and len(members) < 2:
        raise DataError(
            f"Column {label_column!r} has a single label ({next(iter(members))!r}), so no negative exists. Fix: pass rows of at least two labels."
        )
    return members


def make_pairs(
    df: pd.DataFrame,
    text_column: str = "text",
    label_column: str = "label",
    n_pairs: int = 1000,
    positive_fraction: float = 0.5,
    seed: int = 42,
) -> pd.DataFrame:
    """Labelled pairs for contrastive losses: same class -> 1, different classes -> 0.

    Pairing rows at random gives ``sum(share_c ** 2)`` positives: mostly "different" with many
    classes (20 equal classes: 95 % negatives), mostly "same" when one class dominates. Here the
    share of positives is fixed by ``positive_fraction``. Each pair starts from a uniformly drawn
    row, so classes appear in proportion to their size; no pair repeats and no text is paired with itself.

    Args:
        df: expected columns ``text_column`` and ``label_column``.
        text_column, label_column: the columns to read.
        n_pairs: how many pairs to return.
        positive_fraction: share of same-class pairs, in [0, 1].
        seed: random seed.

    Returns:
        A DataFrame with columns ``sentence1``, ``sentence2``, ``label`` (int 0/1), shuffled.
    """
    if not 0 <= positive_fraction <= 1:
        raise UsageError(f"positive_fraction={positive_fraction!r} must be in [0, 1], e.g. 0.5 for balanced pairs.")
    if n_pairs < 1:
        raise UsageError(f"n_pairs={n_pairs!r} must be a positive integer.")
    members = _check_pairable(df, text_column, label_column, need_negatives=positive_fraction < 1)
    rng = np.random.default_rng(seed)
    labels = df[label_column].to_numpy()
    n_pos = int(round(n_pairs * positive_fraction))
    wanted = {1: n_pos, 0: n_pairs - n_pos}
    pairs: dict[int, set] = {1: set(), 0: set()}
    pairable = np.flatnonzero([len(members[lab]) >= 2 for lab in labels])  # rows whose class has a partner
    for target, count in wanted.items():
        starts = pairable if target == 1 else np.arange(len(df))
        for _ in range(50):  # rounds of vectorised draws; duplicates are discarded
            if len(pairs[target]) >= count:
                break
            for a in rng.choice(starts, size=2 * (count - len(pairs[target])) + 8):
                if target == 1:
                    b = rng.choice(members[labels[a]])
                else:
                    others = [lab for lab in members if lab != labels[a]]
                    b = rng.choice(members[others[rng.integers(len(others))]])
                if a != b:
                    pairs[target].add((min(a, b), max(a, b)))
                if len(pairs[target]) >= count:
                    break
        if len(pairs[target]) < count:
            raise DataError(
                f"Only {len(pairs[target])} distinct {'positive' if target else 'negative'} pairs exist, {count} asked. "
                "Fix: lower n_pairs or pass more rows."
            )
    rows = [(a, b, target) for target in (1, 0) for a, b in sorted(pairs[target])[: wanted[target]]]
    order = rng.permutation(len(rows))
    texts = df[text_column].to_numpy()
    a, b, y = (np.array(col) for col in zip(*[rows[k] for k in order], strict=True)) if rows else ([], [], [])
    # Randomise which text comes first, so position carries no information.
    flip = rng.random(len(a)) < 0.5
    first, second = np.where(flip, b, a), np.where(flip, a, b)
    return pd.DataFrame({"sentence1": texts[first], "sentence2": texts[second], "label": np.asarray(y, dtype=int)})


def make_anchor_positive(
    df: pd.DataFrame, text_column: str = "text", label_column: str = "label", n_pairs: int | None = None, seed: int = 42
) -> pd.DataFrame:
    """(anchor, positive) pairs of the same class, for MultipleNegativesRankingLoss and friends.

    Each row becomes an anchor once (in random order) with a random other row of its class. With few
    classes, other anchors in a batch are often of the same class and act as false negatives: use a
    no-duplicates batch sampler, or prefer :func:`make_pairs` / :func:`make_triplets` for such data.

    Args:
        df: expected columns ``text_column`` and ``label_column``.
        n_pairs: at most this many pairs (None: one per row whose class has another row).
        seed: random seed.

    Returns:
        A DataFrame with columns ``anchor`` and ``positive``.
    """
    members = _check_pairable(df, text_column, label_column, need_negatives=False)
    anchors, positives = _anchor_positive_rows(members, df[label_column].to_numpy(), n_pairs, np.random.default_rng(seed))
    texts = df[text_column].to_numpy()
    return pd.DataFrame({"anchor": texts[anchors], "positive": texts[positives]})


def _anchor_positive_rows(members: dict, labels: np.ndarray, n: int | None, rng) -> tuple[np.ndarray, np.ndarray]:
    """Row positions: each pairable row once as an anchor (random order) with a random other row of its class."""
    anchors = np.array([a for a in rng.permutation(len(labels)) if len(members[labels[a]]) >= 2], dtype=int)
    if n is not None:
        anchors = anchors[:n]
    positives = np.empty(len(anchors), dtype=int)
    for k, a in enumerate(anchors):
        candidates = members[labels[a]]
        # Draw among the class without the anchor itself.
        pick = rng.integers(len(candidates) - 1)
        pick += pick >= np.searchsorted(candidates, a)
        positives[k] = candidates[pick]
    return anchors, positives


def make_triplets(
    df: pd.DataFrame,
    text_column: str = "text",
    label_column: str = "label",
    n_triplets: int | None = None,
    seed: int = 42,
    hard_negatives_from: np.ndarray | None = None,
    n_candidates: int = 10,
) -> pd.DataFrame:
    """(anchor, positive, negative) triplets: positive of the anchor's class, negative of another class.

    Random negatives are mostly easy (the loss is already zero for them). With
    ``hard_negatives_from`` (one embedding per row, e.g. ``model.encode(df[text_column])``) the negative
    is drawn from the ``n_candidates`` other-class rows nearest to the anchor: the confusable ones,
    which teach the model the most. Drawing among a few, not taking the single nearest, makes a
    mislabelled near-copy less likely to be chosen every time.

    Args:
        df: expected columns ``text_column`` and ``label_column``.
        n_triplets: at most this many (None: one per row whose class has another row).
        seed: random seed.
        hard_negatives_from: optional array of shape (len(df), dim).
        n_candidates: how many nearest other-class rows to draw a hard negative from.

    Returns:
        A DataFrame with columns ``anchor``, ``positive``, ``negative``.
    """
    members = _check_pairable(df, text_column, label_column, need_negatives=True)
    rng = np.random.default_rng(seed)
    labels, texts = df[label_column].to_numpy(), df[text_column].to_numpy()
    anchors, positives = _anchor_positive_rows(members, labels, n_triplets, rng)
    if hard_negatives_from is None:
        negatives = []
        for a in anchors:
            other = np.flatnonzero(labels != labels[a])
            negatives.append(other[rng.integers(len(other))])
    else:
        negatives = _hard_negatives(np.asarray(hard_negatives_from), labels, anchors, n_candidates, rng)
    return pd.DataFrame(
        {"anchor": texts[anchors], "positive": texts[positives], "negative": texts[np.asarray(negatives, dtype=int)]}
    )


def _hard_negatives(embeddings: np.ndarray, labels: np.ndarray, anchors: list[int], n_candidates: int, rng) -> list[int]:
    """For each anchor, a random row among the ``n_candidates`` most cosine-similar rows of another class."""
    from sklearn.neighbors import NearestNeighbors

    if embeddings.ndim != 2 or len(embeddings) != len(labels):
        raise DataError(
            f"hard_negatives_from has shape {embeddings.shape}; expected ({len(labels)}, dim): one embedding per row, in row order. "
            "Fix: pass model.encode(df[text_column].tolist())."
        )
    # Enough neighbours that n_candidates of another class are almost always among them.
    k = min(len(labels), max(4 * n_candidates, n_candidates + int(np.bincount(pd.factorize(labels)[0]).max() ** 0.5) + 10))
    nn = NearestNeighbors(n_neighbors=k, metric="cosine").fit(embeddings)
    _, neighbours = nn.kneighbors(embeddings[anchors])
    chosen = []
    for a, row in zip(anchors, neighbours, strict=True):
        other = row[labels[row] != labels[a]][:n_candidates]
        if len(other) == 0:  # the whole neighbourhood is one class: fall back to a random negative
            other = np.flatnonzero(labels != labels[a])
        chosen.append(other[rng.integers(len(other))])
    return chosen


def build_label_map(labels: Iterable) -> dict:
    """``label2id`` from the labels of the TRAINING split: sorted distinct labels -> 0, 1, 2, ...

    Args:
        labels: the training labels (strings or integers; missing values are an error).

    Returns:
        A dict ``{label: id}``.
    """
    values = pd.Series(list(labels))
    if values.empty:
        raise DataError("No labels given. Fix: pass the label column of the training split.")
    if values.isna().any():
        raise DataError(
            f"{int(values.isna().sum())} label(s) are missing. Fix: drop or label those rows before building the label map."
        )
    distinct = sorted(values.unique().tolist(), key=lambda v: (str(type(v)), v))
    return {label: i for i, label in enumerate(distinct)}


def save_label_map(label_map: dict, path: str | os.PathLike) -> Path:
    """Write a label map to JSON, keeping each label's type (JSON object keys would turn ``0`` into ``"0"``).

    The file holds ``labels`` (in id order) plus ``label2id``/``id2label`` as a transformers config expects them.
    """
    labels = sorted(label_map, key=label_map.get)
    if [label_map[label] for label in labels] != list(range(len(labels))):
        raise DataError(
            f"Label ids must be 0..{len(labels) - 1} without gaps; got {sorted(label_map.values())}. Fix: use build_label_map."
        )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    plain = [lab.item() if hasattr(lab, "item") else lab for lab in labels]
    path.write_text(
        json.dumps(
            {
                "labels": plain,
                "label2id": {str(lab): i for i, lab in enumerate(plain)},
                "id2label": {str(i): str(lab) for i, lab in enumerate(plain)},
            },
            indent=2,
        )
    )
    return path


def load_label_map(path: str | os.PathLike) -> dict:
    """Read a label map written by :func:`save_label_map`; returns ``{label: id}`` with the labels' own types."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        raise DataError(
            f"{path}: label map not found. Fix: save it with save_label_map(label_map, path) next to the model."
        ) from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: is not valid JSON ({exc.msg}). Fix: write it with save_label_map.") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("labels"), list):
        raise DataError(
            f"{path}: has no 'labels' list. Fix: write it with save_label_map (a bare {{label: id}} dict loses int labels' type)."
        )
    return {label: i for i, label in enumerate(raw["labels"])}


def apply_label_map(df: pd.DataFrame, label_map: dict, column: str = "label", new_column: str = "label") -> pd.DataFrame:
    """Map ``column`` through ``label_map`` into integer ids in ``new_column`` (a copy of ``df``).

    An unseen label is an error, not a silent new id or a missing value.

    Args:
        df: expected column ``column``.
        label_map: ``{label: id}`` from :func:`build_label_map` on the training split.
        column: the label column to read.
        new_column: where to write the ids (default: replace ``column``).

    Returns:
        A copy of ``df`` with integer ids in ``new_column``.
    """
    require_columns(df, column)
    unseen = sorted({v for v in df[column].unique().tolist() if v not in label_map}, key=str)
    if unseen:
        rows = int(df[column].isin(unseen).sum())
        known = list(label_map)[:10]
        hint = ""
        if all(isinstance(k, str) for k in label_map) and all(not isinstance(u, str) for u in unseen):
            hint = " The map's labels are strings but the column holds numbers: was it saved as a bare JSON dict? Use save_label_map/load_label_map."
        raise DataError(
            f"Column {column!r}: label(s) {unseen[:10]} ({rows} row(s)) are not in the label map, whose labels are {known}.{hint} "
            "Fix: build the map from the training split and make sure every split uses the same label names; remove or "
            "relabel rows with labels the model was not trained on."
        )
    out = df.copy()
    out[new_column] = df[column].map(label_map).astype(int)
    return out


def check_label_distribution(
    labels: Iterable, expected: Iterable | dict | None = None, name: str = "label", min_count: int = 1
) -> pd.Series:
    """Catch the "every example ended up with one label" bug before training on it.

    Args:
        labels: the label (or id) column about to be trained on.
        expected: the labels (or a ``{label: id}`` map, whose ids are then expected) that should all appear.
        name: the column's name, for the message.
        min_count: each expected label needs at least this many rows.

    Returns:
        The counts per label (a Series), when all is well.

    Raises:
        DataError: missing values, a single distinct label, or an expected label absent.
    """
    values = pd.Series(list(labels))
    if values.isna().any():
        raise DataError(
            f"Column {name!r}: {int(values.isna().sum())} of {len(values)} label(s) are missing (NaN), often a label map that did not match. Fix: use apply_label_map, which names the unmatched labels."
        )
    counts = values.value_counts().sort_index()
    if len(values) > 1 and len(counts) == 1:
        raise DataError(
            f"Column {name!r}: all {len(values)} rows have the same label {plain(counts.index[0])!r}. A classifier trained on this learns "
            "nothing. Usual cause: a label map applied with .map() on mismatched types ('0' vs 0) followed by fillna. "
            "Fix: apply the map with apply_label_map and check the label column before training."
        )
    if expected is not None:
        wanted = list(expected.values()) if isinstance(expected, dict) else list(expected)
        short = {plain(lab): int(counts.get(lab, 0)) for lab in wanted if counts.get(lab, 0) < min_count}
        if short:
            raise DataError(
                f"Column {name!r}: label(s) with fewer than {min_count} row(s): {short}; counts are {counts.to_dict()}. Fix: check the label mapping and the split."
            )
    return counts


# (columns in the file, the kind of evaluation, the default loss). First match wins.
PAIR_FORMATS: list[tuple[tuple[str, ...], str, str]] = [
    (("question", "answer"), "retrieval", "mnrl"),
    (("anchor", "positive"), "retrieval", "mnrl"),
    (("sentence1", "sentence2", "score"), "similarity", "cosent"),
    (("sentence1", "sentence2", "label"), "binary", "online_contrastive"),
]


def pair_format(df: pd.DataFrame, name: str = "data") -> tuple[pd.DataFrame, str, str]:
    """Recognise a pair table and bring it to the loss's canonical columns.

    Args:
        df: columns ``question``/``answer``, ``anchor``/``positive`` (optional ``negative``),
            ``sentence1``/``sentence2``/``score`` (similarity in [0, 1]) or
            ``sentence1``/``sentence2``/``label`` (0/1); other columns are ignored.
        name: the file or dataset, for messages.

    Returns:
        ``(pairs, kind, default_loss)``: ``pairs`` has ``anchor, positive[, negative]`` (kind
        ``"retrieval"``) or ``sentence1, sentence2, score|label`` (``"similarity"`` / ``"binary"``).

    Raises:
        DataError: no known format, or empty / missing texts.
    """
    for columns, kind, loss in PAIR_FORMATS:
        if set(columns) <= set(df.columns):
            if kind == "retrieval":
                keep = [*columns, *(["negative"] if "negative" in df.columns else [])]
                pairs = df[keep].rename(columns={"question": "anchor", "answer": "positive"})
            else:
                pairs = df[list(columns)].copy()
            texts = [c for c in pairs.columns if c not in ("score", "label")]
            empty = pairs[texts].isna() | pairs[texts].astype(str).apply(lambda s: s.str.strip() == "")
            if empty.any().any():
                col = empty.any().idxmax()
                raise DataError(
                    f"{name}: column {col!r} has {int(empty[col].sum())} empty or missing text(s). Fix: remove or fill those rows first; nothing is dropped silently."
                )
            if kind == "binary" and pairs["label"].nunique() < 2:
                raise DataError(
                    f"{name}: column 'label' holds a single class ({pairs['label'].tolist()[0]!r}), so a contrastive loss has nothing to push apart "
                    "and the evaluation has no threshold to find. Fix: add pairs of the other class (ftcourse.prepare.make_pairs builds both)."
                )
            return pairs.reset_index(drop=True), kind, loss
    formats = "; ".join("/".join(c) for c, _, _ in PAIR_FORMATS)
    raise DataError(
        f"{name}: not a pair table; found columns {list(df.columns)}. Fix: provide one of these column sets: {formats} (negative optional with anchor/positive)."
    )
