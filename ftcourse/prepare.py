"""Preparing labelled text for training: cleaning, duplicates, leakage-safe splits, loss formats, label maps.

:mod:`ftcourse.data` loads the datasets; this module turns a loaded DataFrame into what a trainer
needs, in the order of the data flow:

    normalise text -> remove exact and near-duplicates -> split (stratified, group-aware or
    multi-label) -> build pairs / triplets / (anchor, positive) -> map labels to ids.

Near-duplicates are found with TF-IDF vectors and scikit-learn's sparse nearest-neighbour
search, so memory grows with the number of similar pairs, never with ``n x n``.
Every function validates its inputs and raises :class:`~ftcourse.errors.DataError` naming the
column, the problem and the fix; rows are never dropped without being counted.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ftcourse.errors import DataError, plain

URL_TOKEN = "URL"  # what normalize_text puts in place of a link
MENTION_TOKEN = "@USER"  # ... and of a user name (the same placeholder TweetEval uses, upper-cased)

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MENTION = re.compile(r"@\w+")
_SPACE = re.compile(r"\s+")


# ---------------------------------------------------------------------------------------------
# Input checks shared by every function.



def _require(df: pd.DataFrame, *columns: str | None) -> None:
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"Expected a pandas DataFrame, got {type(df).__name__}. Fix: pass e.g. load_dataset('davidson', 'train').")
    missing = [c for c in columns if c is not None and c not in df.columns]
    if missing:
        raise DataError(f"Column(s) {missing} not found; the DataFrame has {list(df.columns)}. Fix: pass the name of an existing column.")


def _require_text(df: pd.DataFrame, column: str) -> None:
    _require(df, column)
    bad = df[column].isna() | ~df[column].map(lambda v: isinstance(v, str))
    if bad.any():
        raise DataError(
            f"Column {column!r} has {int(bad.sum())} value(s) that are not text (e.g. {df.loc[bad, column].iloc[0]!r} at row "
            f"{df.index[bad][0]!r}). Fix: drop or fill those rows first, e.g. df = df.dropna(subset=[{column!r}])."
        )


def _require_labels(df: pd.DataFrame, column: str) -> None:
    _require(df, column)
    if df[column].isna().any():
        raise DataError(
            f"Column {column!r} has {int(df[column].isna().sum())} missing label(s). Fix: drop or label those rows first."
        )


# ---------------------------------------------------------------------------------------------
# Cleaning.


def normalize_text(
    text: str | pd.Series,
    urls: bool = True,
    mentions: bool = True,
    html_entities: bool = True,
    whitespace: bool = True,
    lowercase: bool = False,
) -> str | pd.Series:
    """Normalise a text (or every text of a Series) for deduplication and training.

    Args:
        text: one string, or a pandas Series of strings (a Series comes back, same index).
        urls: replace links (``http://...``, ``www...``) with ``"URL"``.
        mentions: replace ``@user_name`` with ``"@USER"``: keeps "this was addressed to someone"
            while making retweets of the same text by different users identical.
        html_entities: decode ``&amp;``, ``&#8220;`` ... (twice, since some tweets are escaped twice).
        whitespace: collapse runs of spaces, tabs and newlines into one space and strip the ends.
        lowercase: lower-case everything (off by default: cased models use the case).

    Returns:
        The normalised string, or Series of strings.
    """
    if isinstance(text, pd.Series):
        return text.map(lambda t: normalize_text(t, urls, mentions, html_entities, whitespace, lowercase))
    if not isinstance(text, str):
        raise DataError(f"normalize_text expects a string or a pandas Series of strings, got {type(text).__name__}: {text!r}.")
    if html_entities:
        text = html.unescape(html.unescape(text))
    if urls:
        text = _URL.sub(URL_TOKEN, text)
    if mentions:
        text = _MENTION.sub(MENTION_TOKEN, text)
    if whitespace:
        text = _SPACE.sub(" ", text).strip()
    if lowercase:
        text = text.lower()
    return text


def _tfidf(texts: Sequence[str]):
    from sklearn.feature_extraction.text import TfidfVectorizer

    # Word unigrams with sublinear tf: two tweets that differ by a mention or an emoji still score ~0.9.
    # Rows are L2-normalised, so cosine similarity is a dot product.
    return TfidfVectorizer(sublinear_tf=True, dtype=np.float32).fit(texts)


def _tfidf_matrix(texts: Sequence[str]):
    """TF-IDF rows of ``texts``, or None when no text has a word (only symbols, single letters)."""
    try:
        return _tfidf(texts).transform(texts)
    except ValueError as exc:  # sklearn: "empty vocabulary"
        if "empty vocabulary" in str(exc):
            return None
        raise


def _check_threshold(threshold: float) -> None:
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold={threshold!r} must be a cosine similarity in (0, 1]; 0.9 is a good start for near-duplicates.")


def _as_texts(texts, name: str = "texts") -> list[str]:
    texts = list(texts)
    bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
    if bad:
        raise DataError(f"{name}[{bad[0]}] is {texts[bad[0]]!r}, not a string ({len(bad)} such value(s)). Fix: drop or fill missing texts first.")
    return texts


def find_near_duplicates(texts: Iterable[str], threshold: float = 0.9, chunk_mib: int = 256) -> pd.DataFrame:
    """Pairs of texts whose TF-IDF cosine similarity is at least ``threshold``.

    A radius search with :class:`sklearn.neighbors.NearestNeighbors` on the sparse TF-IDF matrix:
    scikit-learn computes distances in row blocks, so the dense ``n x n`` similarity matrix is
    never built (for the 24,783 Davidson tweets it would take 2.5 GB in float32).

    Args:
        texts: the texts (a list or a Series; positions, not index labels, are reported).
        threshold: minimum cosine similarity in (0, 1]; exact duplicates score 1.
        chunk_mib: memory for one block of distances (scikit-learn's ``working_memory``); the peak
            memory of the search is about this plus the sparse matrix. Larger is not faster here.

    Returns:
        A DataFrame with columns ``i``, ``j`` (positions, ``i < j``) and ``similarity``, one row
        per pair, sorted by ``i`` then ``j``.
    """
    import sklearn
    from sklearn.neighbors import NearestNeighbors

    _check_threshold(threshold)
    texts = _as_texts(texts)
    if len(texts) < 2:
        return pd.DataFrame({"i": pd.Series(dtype=int), "j": pd.Series(dtype=int), "similarity": pd.Series(dtype=float)})
    matrix = _tfidf_matrix(texts)
    if matrix is None:
        return pd.DataFrame({"i": pd.Series(dtype=int), "j": pd.Series(dtype=int), "similarity": pd.Series(dtype=float)})
    # A tiny tolerance so that pairs exactly at the threshold are kept despite float rounding.
    nn = NearestNeighbors(radius=1 - threshold + 1e-6, metric="cosine", algorithm="brute").fit(matrix)
    with sklearn.config_context(working_memory=chunk_mib):
        graph = nn.radius_neighbors_graph(matrix, mode="distance").tocoo()
    keep = graph.row < graph.col
    # Texts with no known word (only a URL, only emoji) have an all-zero vector: they match nothing.
    return (
        pd.DataFrame({"i": graph.row[keep].astype(int), "j": graph.col[keep].astype(int), "similarity": 1.0 - graph.data[keep].astype(float)})
        .sort_values(["i", "j"])
        .reset_index(drop=True)
    )


def _components(n: int, pairs: pd.DataFrame) -> np.ndarray:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(pairs)), (pairs["i"].to_numpy(), pairs["j"].to_numpy())), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return labels


def duplicate_groups(texts: Iterable[str], threshold: float = 0.9) -> np.ndarray:
    """A group id per text: texts linked by a chain of near-duplicate pairs share one id.

    Use the ids as ``groups`` in :func:`split` so that every group lands on one side.

    Args:
        texts: the texts.
        threshold: as in :func:`find_near_duplicates`.

    Returns:
        An integer array, one id per text (a text without duplicates has a group of its own).
    """
    texts = _as_texts(texts)
    return _components(len(texts), find_near_duplicates(texts, threshold))


def drop_duplicates(
    df: pd.DataFrame,
    text_column: str = "text",
    near: bool = True,
    threshold: float = 0.9,
    label_column: str | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Remove exact duplicates, then near-duplicates, keeping the first row of each group.

    Args:
        df: the data; expected columns: ``text_column`` (and ``label_column`` if given).
        text_column: the text to compare (normalise it first with :func:`normalize_text` if you want
            ``&amp;`` and ``@someone`` differences ignored).
        near: also remove near-duplicates (TF-IDF cosine >= ``threshold``).
        threshold: see :func:`find_near_duplicates`.
        label_column: if given, the report also counts duplicate groups whose labels disagree
            (annotation noise worth a look: which label did we keep?).

    Returns:
        ``(deduplicated DataFrame (original index kept), report)``; the report holds ``rows_in``,
        ``exact`` and ``near`` (rows removed for each reason), ``rows_out`` and, with a label column,
        ``conflicting_groups``. The same counts are stored in ``df.attrs["dropped_rows"]``.
    """
    _require_text(df, text_column)
    if label_column is not None:
        _require_labels(df, label_column)
    _check_threshold(threshold)
    exact_dup = df[text_column].duplicated(keep="first").to_numpy()
    # Group ids over all rows: exact copies share an id, and near-duplicates join them.
    _, exact_ids = np.unique(df[text_column].to_numpy(dtype=object).astype(str), return_inverse=True)
    if near:
        first = df.loc[~exact_dup]
        near_pairs = find_near_duplicates(first[text_column], threshold)
        ids_first = _components(len(first), near_pairs)
        # Map every exact copy onto the group of its first occurrence.
        group_of_exact = pd.Series(ids_first, index=exact_ids[~exact_dup])
        groups = group_of_exact.loc[exact_ids].to_numpy()
    else:
        groups = exact_ids
    keep = ~pd.Series(groups).duplicated(keep="first").to_numpy()
    out = df.loc[keep].copy()
    report = {
        "rows_in": len(df),
        "exact": int(exact_dup.sum()),
        "near": int((~keep).sum() - exact_dup.sum()),
        "rows_out": len(out),
    }
    if label_column is not None:
        labels_per_group = pd.Series(df[label_column].to_numpy()).groupby(groups).nunique()
        report["conflicting_groups"] = int((labels_per_group > 1).sum())
    out.attrs = {**df.attrs, "dropped_rows": {**df.attrs.get("dropped_rows", {}), "exact duplicate": report["exact"], "near duplicate": report["near"]}}
    return out, report


def cross_split_duplicates(train_texts: Iterable[str], test_texts: Iterable[str], threshold: float = 0.9, chunk_mib: int = 256) -> pd.DataFrame:
    """Near-duplicate pairs with one text in each split: the leakage a split lets through.

    Args:
        train_texts, test_texts: the texts of the two splits.
        threshold, chunk_mib: see :func:`find_near_duplicates`.

    Returns:
        A DataFrame with columns ``test`` and ``train`` (positions within each split) and
        ``similarity``; ``result["test"].nunique()`` is the number of leaked test texts.
    """
    import sklearn
    from sklearn.neighbors import NearestNeighbors

    _check_threshold(threshold)
    train, test = _as_texts(train_texts, "train_texts"), _as_texts(test_texts, "test_texts")
    empty = pd.DataFrame({"test": pd.Series(dtype=int), "train": pd.Series(dtype=int), "similarity": pd.Series(dtype=float)})
    if not train or not test:
        return empty
    # One vocabulary for both sides, as duplicate_groups uses, so the two agree.
    try:
        vectorizer = _tfidf(train + test)
    except ValueError:  # empty vocabulary: no words, so no word-level duplicates
        return empty
    nn = NearestNeighbors(radius=1 - threshold + 1e-6, metric="cosine", algorithm="brute").fit(vectorizer.transform(train))
    with sklearn.config_context(working_memory=chunk_mib):
        graph = nn.radius_neighbors_graph(vectorizer.transform(test), mode="distance").tocoo()
    return pd.DataFrame({"test": graph.row.astype(int), "train": graph.col.astype(int), "similarity": 1.0 - graph.data.astype(float)})


# ---------------------------------------------------------------------------------------------
# Splitting.


def _iterative_stratification(y: np.ndarray, test_size: float, rng: np.random.Generator) -> np.ndarray:
    """Boolean test mask for multi-label ``y`` (n x L, 0/1): rarest label first (Sechidis et al., 2011)."""
    n = len(y)
    wanted_rows = np.array([n * (1 - test_size), n * test_size])  # still wanted per side: train, test
    wanted_pos = np.outer([1 - test_size, test_size], y.sum(axis=0)).astype(float)  # side x label
    side = np.full(n, -1)
    while True:
        left = side < 0
        counts = y[left].sum(axis=0)
        if counts.max() == 0:
            break
        # The rarest label still unassigned decides first: it has the fewest ways to be balanced.
        label = int(np.argmin(np.where(counts > 0, counts, np.inf)))
        for row in rng.permutation(np.flatnonzero(left & (y[:, label] == 1))):
            need = wanted_pos[:, label]
            best = np.flatnonzero(need == need.max())
            if len(best) > 1:
                best = best[wanted_rows[best] == wanted_rows[best].max()]
            chosen = int(rng.choice(best))
            side[row] = chosen
            wanted_pos[chosen] -= y[row]
            wanted_rows[chosen] -= 1
    # Rows without any positive label fill what each side still needs.
    rest = rng.permutation(np.flatnonzero(side < 0))
    n_test = int(np.clip(round(wanted_rows[1]), 0, len(rest)))
    side[rest[:n_test]] = 1
    side[rest[n_test:]] = 0
    return side == 1


def _same_text_keys(df: pd.DataFrame, text_column: str | None) -> np.ndarray | None:
    # One integer per row, equal for rows with the same normalised text; None when every text is distinct.
    if text_column is None or text_column not in df.columns:
        return None
    _require_text(df, text_column)
    keys = pd.factorize(normalize_text(df[text_column], lowercase=True))[0]
    return keys if keys.max() + 1 < len(keys) else None


def _merge_partitions(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    # Group ids of the finest partition that never separates rows sharing either id: link every row
    # to the first row of its group in each partition, then take connected components.
    rows = np.arange(len(first))
    links = [np.column_stack([rows, np.unique(codes, return_index=True)[1][codes]]) for codes in (pd.factorize(first)[0], pd.factorize(second)[0])]
    return _components(len(first), pd.DataFrame(np.vstack(links), columns=["i", "j"]))


def split(
    df: pd.DataFrame,
    test_size: float = 0.2,
    seed: int = 42,
    stratify: str | None = None,
    groups: str | Sequence | np.ndarray | None = None,
    label_columns: Sequence[str] | None = None,
    text_column: str | None = "text",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split a DataFrame in two, optionally stratified, group-aware or multi-label stratified.

    Rows whose ``text_column`` is identical after ``normalize_text(..., lowercase=True)`` always land
    on the same side, whatever the mode: a retweet in train and its copy in test would make the test
    score partly a memory test (Davidson has 206 such rows). When the data has such duplicates, sizes
    and class shares are those of the distinct texts, so they can differ slightly from ``test_size``.

    * ``stratify="label"``: each class keeps its share on both sides (``train_test_split``).
    * ``groups``: every group lands on one side (``GroupShuffleSplit``; with ``stratify`` as well,
      the first fold of ``StratifiedGroupKFold`` with ``round(1 / test_size)`` folds). Sizes are then
      approximate because whole groups move. Use :func:`duplicate_groups` to stop near-duplicates leaking.
    * ``label_columns``: multi-label data (one 0/1 column per label): iterative stratification keeps
      each label's positives in proportion, rarest label first.

    Args:
        df: the data; expected columns: ``stratify`` / ``label_columns`` / ``groups`` when named.
        test_size: share of rows in the second part, in (0, 1).
        seed: random seed.
        stratify: a single-label column to stratify on.
        groups: a column name, or one group id per row.
        label_columns: 0/1 label columns for multi-label stratification.
        text_column: the column whose exact (normalised) duplicates are kept together; ignored when
            the table has no such column; ``None`` turns the grouping off (only to show what leaks).

    Returns:
        ``(train, test)`` DataFrames; the original index is kept so rows can be traced back.
    """
    from sklearn.model_selection import GroupShuffleSplit, StratifiedGroupKFold, train_test_split

    _require(df, stratify, *(label_columns or []), *([groups] if isinstance(groups, str) else []))
    if not 0 < test_size < 1:
        raise ValueError(f"test_size={test_size!r} must be a share of the rows in (0, 1), e.g. 0.2.")
    if len(df) < 2:
        raise DataError(f"Cannot split {len(df)} row(s). Fix: pass at least two rows.")
    if stratify is not None and label_columns:
        raise ValueError("Pass either stratify (one label column) or label_columns (multi-label), not both.")
    positions = np.arange(len(df))
    text_keys = _same_text_keys(df, text_column)
    if text_keys is not None and groups is None:
        # Split one representative row per distinct text, then bring each text's copies along.
        first_rows = np.unique(text_keys, return_index=True)[1]
        kept = df.iloc[first_rows].reset_index(drop=True)
        _, test_part = split(kept, test_size, seed, stratify=stratify, label_columns=label_columns, text_column=None)
        key_in_test = np.zeros(len(first_rows), dtype=bool)
        key_in_test[test_part.index.to_numpy()] = True
        is_test = key_in_test[text_keys]
        return df.iloc[positions[~is_test]], df.iloc[positions[is_test]]
    if stratify is not None:
        _require_labels(df, stratify)
        counts = df[stratify].value_counts()
        if (counts < 2).any():
            raise DataError(
                f"Column {stratify!r}: class(es) {counts[counts < 2].index.tolist()} have a single row, which cannot be on both "
                "sides of a stratified split. Fix: remove or merge those classes, or split without stratify."
            )
    if groups is not None:
        group_ids = df[groups].to_numpy() if isinstance(groups, str) else np.asarray(groups)
        if len(group_ids) != len(df):
            raise DataError(f"groups has {len(group_ids)} values for {len(df)} rows. Fix: pass one group id per row (e.g. duplicate_groups(df['text'])).")
        if pd.isna(group_ids).any():
            raise DataError("groups has missing values. Fix: give every row a group id (a row alone can be its own group).")
        if text_keys is not None:
            group_ids = _merge_partitions(group_ids, text_keys)
        if label_columns:
            raise ValueError("Group-aware multi-label splitting is not supported. Fix: split by groups with stratify=None, or remove duplicates first.")
        if len(np.unique(group_ids)) < 2:
            raise DataError("Every row is in the same group, so no group-aware split exists. Fix: check the group ids (threshold too low?).")
        if stratify is not None:
            n_splits = max(2, round(1 / test_size))
            folds = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
            train_pos, test_pos = next(folds.split(positions, df[stratify].to_numpy(), group_ids))
        else:
            splitter = GroupShuffleSplit(n_splits=1, test_size=test_size, random_state=seed)
            train_pos, test_pos = next(splitter.split(positions, groups=group_ids))
    elif label_columns:
        y = df[list(label_columns)].to_numpy()
        if not np.isin(y, (0, 1)).all():
            raise DataError(f"label_columns {list(label_columns)} must hold only 0/1 values. Fix: binarise them first (e.g. (df[c] > 0).astype(int)).")
        is_test = _iterative_stratification(y.astype(int), test_size, np.random.default_rng(seed))
        train_pos, test_pos = positions[~is_test], positions[is_test]
    else:
        strata = df[stratify].to_numpy() if stratify is not None else None
        train_pos, test_pos = train_test_split(positions, test_size=test_size, random_state=seed, stratify=strata)
    return df.iloc[np.sort(train_pos)], df.iloc[np.sort(test_pos)]


# ---------------------------------------------------------------------------------------------
# Formats for the losses.


def _label_groups(df: pd.DataFrame, label_column: str) -> dict:
    return {label: np.flatnonzero(df[label_column].to_numpy() == label) for label in pd.unique(df[label_column])}


def _check_pairable(df: pd.DataFrame, text_column: str, label_column: str, need_negatives: bool) -> dict:
    _require_text(df, text_column)
    _require_labels(df, label_column)
    members = _label_groups(df, label_column)
    if not any(len(rows) >= 2 for rows in members.values()):
        raise DataError(f"Column {label_column!r}: no label has two rows, so no positive pair exists. Fix: pass more data per label.")
    if need_negatives and len(members) < 2:
        raise DataError(f"Column {label_column!r} has a single label ({next(iter(members))!r}), so no negative exists. Fix: pass rows of at least two labels.")
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
        raise ValueError(f"positive_fraction={positive_fraction!r} must be in [0, 1], e.g. 0.5 for balanced pairs.")
    if n_pairs < 1:
        raise ValueError(f"n_pairs={n_pairs!r} must be a positive integer.")
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
    df: pd.DataFrame,
    text_column: str = "text",
    label_column: str = "label",
    n_pairs: int | None = None,
    seed: int = 42,
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
    return pd.DataFrame({"anchor": texts[anchors], "positive": texts[positives], "negative": texts[np.asarray(negatives, dtype=int)]})


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


# ---------------------------------------------------------------------------------------------
# Label maps.


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
        raise DataError(f"{int(values.isna().sum())} label(s) are missing. Fix: drop or label those rows before building the label map.")
    distinct = sorted(values.unique().tolist(), key=lambda v: (str(type(v)), v))
    return {label: i for i, label in enumerate(distinct)}


def save_label_map(label_map: dict, path: str | os.PathLike) -> Path:
    """Write a label map to JSON, keeping each label's type (JSON object keys would turn ``0`` into ``"0"``).

    The file holds ``labels`` (in id order) plus ``label2id``/``id2label`` as a transformers config expects them.
    """
    labels = sorted(label_map, key=label_map.get)
    if [label_map[label] for label in labels] != list(range(len(labels))):
        raise DataError(f"Label ids must be 0..{len(labels) - 1} without gaps; got {sorted(label_map.values())}. Fix: use build_label_map.")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    plain = [lab.item() if hasattr(lab, "item") else lab for lab in labels]
    path.write_text(json.dumps({"labels": plain, "label2id": {str(lab): i for i, lab in enumerate(plain)}, "id2label": {str(i): str(lab) for i, lab in enumerate(plain)}}, indent=2))
    return path


def load_label_map(path: str | os.PathLike) -> dict:
    """Read a label map written by :func:`save_label_map`; returns ``{label: id}`` with the labels' own types."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        raise DataError(f"{path}: label map not found. Fix: save it with save_label_map(label_map, path) next to the model.") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: is not valid JSON ({exc.msg}). Fix: write it with save_label_map.") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("labels"), list):
        raise DataError(f"{path}: has no 'labels' list. Fix: write it with save_label_map (a bare {{label: id}} dict loses int labels' type).")
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
    _require(df, column)
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


def check_label_distribution(labels: Iterable, expected: Iterable | dict | None = None, name: str = "label", min_count: int = 1) -> pd.Series:
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
        raise DataError(f"Column {name!r}: {int(values.isna().sum())} of {len(values)} label(s) are missing (NaN), often a label map that did not match. Fix: use apply_label_map, which names the unmatched labels.")
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
            raise DataError(f"Column {name!r}: label(s) with fewer than {min_count} row(s): {short}; counts are {counts.to_dict()}. Fix: check the label mapping and the split.")
    return counts


def stratified_sample(df: pd.DataFrame, label_column: str, n: int | None, seed: int = 42) -> pd.DataFrame:
    """About ``n`` rows of ``df`` with every class in its original share (all rows when ``n`` is None or too large).

    Args:
        df: the data; expected column: ``label_column``.
        label_column: the class column to keep proportions of.
        n: rows wanted; None keeps everything.
        seed: random seed.

    Returns:
        The sample (original index kept). Each class is sampled with the same fraction, so the total
        can differ from ``n`` by rounding, by at most one row per class.
    """
    _require(df, label_column)
    if n is None or n >= len(df):
        return df
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}.")
    return df.groupby(label_column, group_keys=False).sample(frac=n / len(df), random_state=seed)
