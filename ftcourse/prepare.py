"""Preparing labelled text for training: cleaning, duplicates and leakage-safe splits.

:mod:`ftcourse.data` loads the datasets; this module cleans a loaded DataFrame and splits it, in the
order of the data flow:

    normalise text -> remove exact and near-duplicates -> split (stratified, group-aware or
    multi-label; three_way_split for train / validation / test)

and :mod:`ftcourse.formats` then builds pairs / triplets / (anchor, positive) and label maps.

Near-duplicates are found with TF-IDF vectors and scikit-learn's sparse nearest-neighbour
search, so memory grows with the number of similar pairs, never with ``n x n``.
Every function validates its inputs and raises :class:`~ftcourse.errors.DataError` naming the
column, the problem and the fix; rows are never dropped without being counted.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from ftfy import fix_encoding

from ftcourse.errors import DataError, UsageError

URL_TOKEN = "URL"  # what normalize_text puts in place of a link
MENTION_TOKEN = "@USER"  # ... and of a user name (the same placeholder TweetEval uses, upper-cased)

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MENTION = re.compile(r"@\w+")
_SPACE = re.compile(r"\s+")


# ---------------------------------------------------------------------------------------------
# Input checks shared by every function.


def require_columns(df: pd.DataFrame, *columns: str | None) -> None:
    """Raise :class:`DataError` unless ``df`` is a DataFrame holding every named column (None entries are skipped)."""
    if not isinstance(df, pd.DataFrame):
        raise DataError(
            f"Expected a pandas DataFrame, got {type(df).__name__}. Fix: pass e.g. load_dataset('davidson', 'train')."
        )
    missing = [c for c in columns if c is not None and c not in df.columns]
    if missing:
        raise DataError(
            f"Column(s) {missing} not found; the DataFrame has {list(df.columns)}. Fix: pass the name of an existing column."
        )


def require_text(df: pd.DataFrame, column: str) -> None:
    """Raise :class:`DataError` unless every value of ``df[column]`` is a string."""
    require_columns(df, column)
    bad = df[column].isna() | ~df[column].map(lambda v: isinstance(v, str))
    if bad.any():
        raise DataError(
            f"Column {column!r} has {int(bad.sum())} value(s) that are not text (e.g. {df.loc[bad, column].iloc[0]!r} at row "
            f"{df.index[bad][0]!r}). Fix: drop or fill those rows first, e.g. df = df.dropna(subset=[{column!r}])."
        )


def require_labels(df: pd.DataFrame, column: str) -> None:
    """Raise :class:`DataError` if ``df[column]`` has missing labels."""
    require_columns(df, column)
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
    encoding: bool = True,
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
        encoding: repair mojibake, text decoded with the wrong codec and saved again (``it‚Äôs`` -> ``it’s``;
            STS-B has 17 such sentences), with ftfy's ``fix_encoding``, which leaves correct text untouched.

    Returns:
        The normalised string, or Series of strings.
    """
    if isinstance(text, pd.Series):
        return text.map(lambda t: normalize_text(t, urls, mentions, html_entities, whitespace, lowercase, encoding))
    if not isinstance(text, str):
        raise DataError(f"normalize_text expects a string or a pandas Series of strings, got {type(text).__name__}: {text!r}.")
    if encoding:
        text = fix_encoding(text)
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
        raise UsageError(
            f"threshold={threshold!r} must be a cosine similarity in (0, 1]; 0.9 is a good start for near-duplicates."
        )


def _as_texts(texts, name: str = "texts") -> list[str]:
    texts = list(texts)
    bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
    if bad:
        raise DataError(
            f"{name}[{bad[0]}] is {texts[bad[0]]!r}, not a string ({len(bad)} such value(s)). Fix: drop or fill missing texts first."
        )
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
        pd.DataFrame(
            {
                "i": graph.row[keep].astype(int),
                "j": graph.col[keep].astype(int),
                "similarity": 1.0 - graph.data[keep].astype(float),
            }
        )
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
    df: pd.DataFrame, text_column: str = "text", near: bool = True, threshold: float = 0.9, label_column: str | None = None
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
    require_text(df, text_column)
    if label_column is not None:
        require_labels(df, label_column)
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
    out.attrs = {
        **df.attrs,
        "dropped_rows": {
            **df.attrs.get("dropped_rows", {}),
            "exact duplicate": report["exact"],
            "near duplicate": report["near"],
        },
    }
    return out, report


def cross_split_duplicates(
    train_texts: Iterable[str], test_texts: Iterable[str], threshold: float = 0.9, chunk_mib: int = 256
) -> pd.DataFrame:
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
    return pd.DataFrame(
        {"test": graph.row.astype(int), "train": graph.col.astype(int), "similarity": 1.0 - graph.data.astype(float)}
    )


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
    require_text(df, text_column)
    keys = pd.factorize(normalize_text(df[text_column], lowercase=True))[0]
    return keys if keys.max() + 1 < len(keys) else None


def _merge_partitions(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    # Group ids of the finest partition that never separates rows sharing either id: link every row
    # to the first row of its group in each partition, then take connected components.
    rows = np.arange(len(first))
    links = [
        np.column_stack([rows, np.unique(codes, return_index=True)[1][codes]])
        for codes in (pd.factorize(first)[0], pd.factorize(second)[0])
    ]
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
    from sklearn.model_selection import train_test_split

    require_columns(df, stratify, *(label_columns or []), *([groups] if isinstance(groups, str) else []))
    if not 0 < test_size < 1:
        raise UsageError(f"test_size={test_size!r} must be a share of the rows in (0, 1), e.g. 0.2.")
    if len(df) < 2:
        raise DataError(f"Cannot split {len(df)} row(s). Fix: pass at least two rows.")
    if stratify is not None and label_columns:
        raise UsageError("Pass either stratify (one label column) or label_columns (multi-label), not both.")
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
        require_labels(df, stratify)
        counts = df[stratify].value_counts()
        if (counts < 2).any():
            raise DataError(
                f"Column {stratify!r}: class(es) {counts[counts < 2].index.tolist()} have a single row, which cannot be on both "
                "sides of a stratified split. Fix: add rows of those classes, or remove their rows (prepare-data: --labels-to-filter)."
            )
    if groups is not None:
        train_pos, test_pos = _group_split(df, positions, groups, text_keys, test_size, seed, stratify, label_columns)
    elif label_columns:
        y = df[list(label_columns)].to_numpy()
        if not np.isin(y, (0, 1)).all():
            raise DataError(
                f"label_columns {list(label_columns)} must hold only 0/1 values. Fix: binarise them first (e.g. (df[c] > 0).astype(int))."
            )
        is_test = _iterative_stratification(y.astype(int), test_size, np.random.default_rng(seed))
        train_pos, test_pos = positions[~is_test], positions[is_test]
    else:
        strata = df[stratify].to_numpy() if stratify is not None else None
        if strata is not None:
            _check_room_for_classes(len(df), test_size, int(pd.Series(strata).nunique()), stratify)
        train_pos, test_pos = train_test_split(positions, test_size=test_size, random_state=seed, stratify=strata)
    return df.iloc[np.sort(train_pos)], df.iloc[np.sort(test_pos)]


def _check_room_for_classes(n: int, test_size: float, classes: int, column: str) -> None:
    # sklearn would fail with a traceback: a stratified split needs a row of every class on each side.
    n_test = math.ceil(test_size * n)
    if min(n_test, n - n_test) < classes:
        needed = classes / n
        raise DataError(
            f"Column {column!r}: {n} rows split with a share of {test_size:.2f} give {n_test} held-out and {n - n_test} kept row(s), "
            f"fewer than its {classes} classes. Fix: raise --test-size / --val-size to at least {needed:.2f} "
            f"(and keep them below {1 - needed:.2f}), or add rows."
        )


def _group_split(
    df: pd.DataFrame, positions: np.ndarray, groups, text_keys, test_size: float, seed: int, stratify, label_columns
):
    # Whole groups on one side: stratified group folds with a label column, else a group shuffle split.
    from sklearn.model_selection import GroupShuffleSplit, StratifiedGroupKFold

    group_ids = df[groups].to_numpy() if isinstance(groups, str) else np.asarray(groups)
    if len(group_ids) != len(df):
        raise DataError(
            f"groups has {len(group_ids)} values for {len(df)} rows. Fix: pass one group id per row (e.g. duplicate_groups(df['text']))."
        )
    if pd.isna(group_ids).any():
        raise DataError("groups has missing values. Fix: give every row a group id (a row alone can be its own group).")
    if text_keys is not None:
        group_ids = _merge_partitions(group_ids, text_keys)
    if label_columns:
        raise UsageError(
            "Group-aware multi-label splitting is not supported. Fix: split by groups with stratify=None, or remove duplicates first."
        )
    if len(np.unique(group_ids)) < 2:
        raise DataError(
            "Every row is in the same group, so no group-aware split exists. Fix: give the rows at least two distinct group ids."
        )
    if stratify is not None:
        folds = StratifiedGroupKFold(n_splits=max(2, round(1 / test_size)), shuffle=True, random_state=seed)
        return next(folds.split(positions, df[stratify].to_numpy(), group_ids))
    return next(GroupShuffleSplit(n_splits=1, test_size=test_size, random_state=seed).split(positions, groups=group_ids))


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
    require_columns(df, label_column)
    if n is None or n >= len(df):
        return df
    if n <= 0:
        raise UsageError(f"n must be positive, got {n}.")
    return df.groupby(label_column, group_keys=False).sample(frac=n / len(df), random_state=seed)


def three_way_split(
    df: pd.DataFrame,
    label_columns: Sequence[str],
    test_size: float = 0.15,
    val_size: float = 0.15,
    seed: int = 42,
    text_column: str = "text",
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Train / validation / test split, stratified on the labels (:func:`ftcourse.prepare.split`).

    Several 0/1 columns use iterative (multi-label) stratification; one class column uses ordinary
    stratification. ``test_size`` and ``val_size`` are shares of the whole table. Copies of a text
    (after normalisation) stay in one of the three parts.
    """
    label_columns = list(label_columns)
    keys = {"label_columns": label_columns} if len(label_columns) > 1 else {"stratify": label_columns[0]}
    rest, test = split(df, test_size=test_size, seed=seed, text_column=text_column, **keys)
    train, val = split(rest, test_size=val_size / (1 - test_size), seed=seed, text_column=text_column, **keys)
    return train, val, test


def milestone_split(
    df: pd.DataFrame, label_columns: Sequence[str], train_size: int | None = None, eval_size: int | None = None, seed: int = 42
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Lesson 10's split of the Jigsaw sample, for every lesson that reuses its classifier (lesson 15).

    A 70/15/15 :func:`three_way_split`, then, when the profile asks for fewer, a training part of
    ``train_size`` rows and a validation part of ``eval_size`` rows drawn from theirs with the same
    multi-label stratification. The test part always stays whole.

    Args:
        df: the table (``text`` and the 0/1 label columns), e.g. ``load_dataset("jigsaw-sample", "train")``.
        label_columns: the label columns, e.g. ``ftcourse.data.JIGSAW_LABELS``.
        train_size, eval_size: the profile's ``milestone_train_size`` and ``eval_size`` (None: the whole part).
        seed: the lesson's ``SEED``.

    Returns:
        ``(train, validation, test)``.
    """
    label_columns = list(label_columns)
    train, val, test = three_way_split(df, label_columns, test_size=0.15, val_size=0.15, seed=seed)
    if train_size and train_size < len(train):
        train, _ = split(train, test_size=1 - train_size / len(train), seed=seed, label_columns=label_columns)
    if eval_size and eval_size < len(val):
        val, _ = split(val, test_size=1 - eval_size / len(val), seed=seed, label_columns=label_columns)
    return train, val, test
