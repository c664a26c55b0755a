"""The sentence-transformers losses of the course, by name, with the dataset each one expects.

Every loss of ``sentence_transformers.sentence_transformer.losses`` reads its training data by
column *position*: the text columns in order, then an optional label column named ``label`` or
``score``. A dataset in the wrong shape does not fail loudly: a pair dataset fed to a triplet loss
trains on garbage. :func:`check_columns` refuses it first, with a message that names the format the
loss needs and the lesson that shows how to build it.

    >>> from ftcourse.embedder.losses import make_loss, check_columns
    >>> check_columns(train_df, "cosent")            # DataError if the columns do not fit
    >>> loss = make_loss("cosent", model)             # the library's CoSENTLoss(model)

Formats (canonical column names; the names of the text columns may differ, their order matters):

==================  =============================================  ==========================
loss                columns                                        label
==================  =============================================  ==========================
softmax             sentence1, sentence2, label                    class id 0..n-1
contrastive,        sentence1, sentence2, label                    0 / 1
online_contrastive
cosine_similarity,  sentence1, sentence2, score                    float in [0, 1]
cosent, angle
triplet             anchor, positive, negative                     none
batch_*_triplet     text, label                                    class id (>= 2 per class)
mnrl, cached_mnrl,  anchor, positive[, negative ...]               none
mnsrl (symmetric),
matryoshka_mnrl
==================  =============================================  ==========================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from ftcourse.errors import DataError, UsageError, plain

LABEL_COLUMNS = ("label", "score")  # the names the sentence-transformers collator treats as the target
BUILD_LESSON = (
    "02_data_formats"  # where every format is built (ftcourse.prepare: make_pairs, make_triplets, make_anchor_positive)
)


@dataclass(frozen=True)
class LossSpec:
    """One registry entry.

    Attributes:
        name: registry name, e.g. ``"cosent"``.
        class_name: the class in ``sentence_transformers.sentence_transformer.losses``.
        texts: canonical names of the text columns, in order (the required ones).
        label: what the label column holds: ``"binary"`` (0/1), ``"score"`` (float in [0, 1]),
            ``"class"`` (integer class ids) or None (no label column).
        builder: how to build the format (the ``ftcourse.prepare`` function, lesson 02).
        lesson: the lesson that trains with this loss.
        extra_texts: how many more text columns are allowed (e.g. hard negatives for MNRL).
        sampler: the batch sampler that suits it: ``"no_duplicates"`` for in-batch negatives (a
            duplicate in a batch would be a false negative), ``"group_by_label"`` for the batch
            triplet losses (each batch needs two texts of a class), else ``"batch_sampler"``.
        build: ``build(model, train_dataset, **kwargs) -> loss``.
    """

    name: str
    class_name: str
    texts: tuple[str, ...]
    label: str | None
    builder: str
    lesson: str
    extra_texts: int = 0
    sampler: str = "batch_sampler"  # the batch sampler that suits the loss (see BatchSamplers)
    build: Callable | None = None

    @property
    def label_name(self) -> str | None:
        """The canonical label column name: ``score`` for float targets, ``label`` otherwise."""
        if self.label is None:
            return None
        return "score" if self.label == "score" else "label"

    @property
    def columns(self) -> tuple[str, ...]:
        """The canonical columns, label last."""
        return self.texts + ((self.label_name,) if self.label_name else ())

    def describe(self) -> str:
        """The format in one line, e.g. ``(sentence1, sentence2, score: float in [0, 1])``."""
        label = {"binary": "0 or 1", "score": "float in [0, 1]", "class": "integer class id", None: ""}[self.label]
        texts = list(self.texts) + ([f"[{self.extra_texts} more text column(s), e.g. negative]"] if self.extra_texts else [])
        cols = ", ".join(texts) + (f", {self.label_name}: {label}" if self.label else "")
        return f"({cols})"


def _losses():
    # Nested import: the course uses the current module layout of sentence-transformers >= 5.
    from sentence_transformers.sentence_transformer import losses

    return losses


def _simple(class_name: str) -> Callable:
    def build(model, train_dataset=None, **kwargs):
        return getattr(_losses(), class_name)(model, **kwargs)

    return build


def _softmax(model, train_dataset=None, num_labels: int | None = None, **kwargs):
    # SoftmaxLoss owns a fresh linear classifier over [u, v, |u-v|]; it needs the class count up front.
    if num_labels is None:
        if train_dataset is None:
            raise UsageError("SoftmaxLoss needs num_labels (or a train_dataset to count the classes in its 'label' column).")
        num_labels = int(max(_column_values(train_dataset, "label"))) + 1
    return _losses().SoftmaxLoss(model, embedding_dimension=model.get_embedding_dimension(), num_labels=num_labels, **kwargs)


def default_matryoshka_dims(dimension: int) -> list[int]:
    """Halvings of the model's embedding size down to 32, e.g. 384 -> [384, 192, 96, 48]... (largest first)."""
    dims, d = [], dimension
    while d >= 32:
        dims.append(d)
        d //= 2
    return dims or [dimension]


def _matryoshka(model, train_dataset=None, matryoshka_dims=None, inner: str = "mnrl", inner_kwargs: dict | None = None, **kwargs):
    inner_loss = make_loss(inner, model, train_dataset, **(inner_kwargs or {}))
    dims = list(matryoshka_dims or default_matryoshka_dims(model.get_embedding_dimension()))
    return _losses().MatryoshkaLoss(model, inner_loss, matryoshka_dims=dims, **kwargs)


def _triplet(model, train_dataset=None, margin: float | None = None, **kwargs):
    # TripletLoss calls its margin ``triplet_margin`` where the batch triplet losses say ``margin``; accept one name for all.
    if margin is not None:
        kwargs["triplet_margin"] = margin
    return _losses().TripletLoss(model, **kwargs)


def _symmetric_mnrl(model, train_dataset=None, **kwargs):
    # The old MultipleNegativesSymmetricRankingLoss class is deprecated: MNRL scores both directions instead.
    kwargs = {"directions": ("query_to_doc", "doc_to_query"), "partition_mode": "per_direction", **kwargs}
    return _losses().MultipleNegativesRankingLoss(model, **kwargs)


_PAIR = ("sentence1", "sentence2")
_AP = ("anchor", "positive")
REGISTRY: dict[str, LossSpec] = {
    spec.name: spec
    for spec in [
        LossSpec("softmax", "SoftmaxLoss", _PAIR, "class", "make_pairs", "03_classification_losses", build=_softmax),
        LossSpec("contrastive", "ContrastiveLoss", _PAIR, "binary", "make_pairs", "04_contrastive_losses"),
        LossSpec("online_contrastive", "OnlineContrastiveLoss", _PAIR, "binary", "make_pairs", "04_contrastive_losses"),
        LossSpec("cosine_similarity", "CosineSimilarityLoss", _PAIR, "score", "make_pairs", "05_similarity_regression"),
        LossSpec("cosent", "CoSENTLoss", _PAIR, "score", "make_pairs", "05_similarity_regression"),
        LossSpec("angle", "AnglELoss", _PAIR, "score", "make_pairs", "05_similarity_regression"),
        LossSpec(
            "triplet",
            "TripletLoss",
            ("anchor", "positive", "negative"),
            None,
            "make_triplets",
            "06_triplet_losses",
            build=_triplet,
        ),
        LossSpec(
            "batch_all_triplet",
            "BatchAllTripletLoss",
            ("text",),
            "class",
            "the labelled texts themselves",
            "06_triplet_losses",
            sampler="group_by_label",
        ),
        LossSpec(
            "batch_hard_triplet",
            "BatchHardTripletLoss",
            ("text",),
            "class",
            "the labelled texts themselves",
            "06_triplet_losses",
            sampler="group_by_label",
        ),
        LossSpec(
            "batch_semi_hard_triplet",
            "BatchSemiHardTripletLoss",
            ("text",),
            "class",
            "the labelled texts themselves",
            "06_triplet_losses",
            sampler="group_by_label",
        ),
        LossSpec(
            "mnrl",
            "MultipleNegativesRankingLoss",
            _AP,
            None,
            "make_anchor_positive",
            "07_multiple_negatives_ranking",
            extra_texts=8,
            sampler="no_duplicates",
        ),
        LossSpec(
            "cached_mnrl",
            "CachedMultipleNegativesRankingLoss",
            _AP,
            None,
            "make_anchor_positive",
            "07_multiple_negatives_ranking",
            extra_texts=8,
            sampler="no_duplicates",
        ),
        LossSpec(
            "mnsrl",
            "MultipleNegativesRankingLoss",
            _AP,
            None,
            "make_anchor_positive",
            "07_multiple_negatives_ranking",
            extra_texts=8,
            sampler="no_duplicates",
            build=_symmetric_mnrl,
        ),
        LossSpec(
            "matryoshka_mnrl",
            "MatryoshkaLoss",
            _AP,
            None,
            "make_anchor_positive",
            "07_multiple_negatives_ranking",
            extra_texts=8,
            sampler="no_duplicates",
            build=_matryoshka,
        ),
    ]
}


def list_losses() -> list[str]:
    """Names of every loss in the registry."""
    return list(REGISTRY)


def get_loss_spec(name: str) -> LossSpec:
    """The registry entry for ``name``; a ValueError listing the known names otherwise."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise UsageError(f"Unknown loss {name!r}. Known losses: {', '.join(REGISTRY)}.") from None


def loss_table() -> pd.DataFrame:
    """The registry as a table: loss, class, expected columns, label, how to build it, lesson."""
    return pd.DataFrame(
        [
            {"loss": s.name, "class": s.class_name, "columns": s.describe(), "built with": s.builder, "lesson": s.lesson}
            for s in REGISTRY.values()
        ]
    )


def make_loss(name: str, model, train_dataset=None, **kwargs):
    """Build the named loss for ``model``.

    Args:
        name: a registry name (see :func:`list_losses`).
        model: the SentenceTransformer being trained.
        train_dataset: optional; ``softmax`` counts its classes from it when ``num_labels`` is not given.
        **kwargs: passed to the loss class (e.g. ``margin=0.5``, ``scale=20.0``, ``mini_batch_size=8``,
            ``matryoshka_dims=[384, 128, 32]``).

    Returns:
        The loss module (a ``torch.nn.Module`` holding the model).
    """
    spec = get_loss_spec(name)
    build = spec.build or _simple(spec.class_name)
    return build(model, train_dataset, **kwargs)


# ---------------------------------------------------------------------------------------------
# Column checks.


def _column_names(data) -> list[str]:
    if isinstance(data, pd.DataFrame):
        return [str(c) for c in data.columns]
    if hasattr(data, "column_names") and isinstance(data.column_names, list):
        return list(data.column_names)
    raise DataError(f"Expected a pandas DataFrame or a datasets.Dataset, got {type(data).__name__}.")


def _column_values(data, column: str) -> pd.Series:
    if isinstance(data, pd.DataFrame):
        return data[column]
    return pd.Series(data[column])


def _is_text(values: pd.Series) -> bool:
    present = values.dropna()
    return len(present) == 0 or bool(present.map(lambda v: isinstance(v, str)).all())


def _fail(spec: LossSpec, found: list[str], problem: str) -> DataError:
    if spec.builder.startswith("make_"):
        fix = f"build that format with ftcourse.prepare.{spec.builder} (lesson {BUILD_LESSON} shows how; lesson {spec.lesson} trains with it)"
    else:
        fix = f"keep one text column and one integer 'label' column (lesson {BUILD_LESSON} builds label maps; lesson {spec.lesson} trains with it)"
    return DataError(
        f"Loss {spec.name!r} ({spec.class_name}) cannot train on this dataset: {problem}. "
        f"It needs the columns {spec.describe()}, in this order; found {found}. Fix: {fix}."
    )


def check_columns(data, loss_name: str) -> LossSpec:
    """Check that a training dataset has the columns and label values the named loss expects.

    sentence-transformers feeds the text columns to the loss by position and takes the column
    named ``label`` or ``score`` as the target, so this checks: the number of text columns, that
    they hold strings (no missing values), that the label column is there (or absent) as the
    loss needs, and that its values fit (0/1, a float in [0, 1], or integer class ids).

    Args:
        data: a ``pandas.DataFrame`` or ``datasets.Dataset`` (a dict of them: each is checked).
        loss_name: a registry name (see :func:`list_losses`).

    Returns:
        The :class:`LossSpec` of the loss.

    Raises:
        DataError: the columns do not fit; the message gives the format needed and the lesson
            that builds it.
        ValueError: unknown loss name.
    """
    spec = get_loss_spec(loss_name)
    if isinstance(data, dict) or (
        hasattr(data, "keys") and not isinstance(data, pd.DataFrame) and not hasattr(data, "column_names")
    ):
        for part in data.values():
            check_columns(part, loss_name)
        return spec
    found = _column_names(data)
    labels = [c for c in found if c in LABEL_COLUMNS]
    texts = [c for c in found if c not in LABEL_COLUMNS]
    if len(labels) > 1:
        raise _fail(spec, found, f"it has both {labels}; the trainer would use only the first. Keep one")
    if spec.label is None and labels:
        raise _fail(
            spec, found, f"it has a {labels[0]!r} column but this loss takes no label (it would be read as a target and ignored)"
        )
    if spec.label is not None and not labels:
        raise _fail(spec, found, f"it has no label column (named {spec.label_name!r})")
    for col in texts:
        values = _column_values(data, col)
        if not _is_text(values):
            example = values.dropna().map(type).iloc[0].__name__
            raise _fail(
                spec,
                found,
                f"column {col!r} is not text (it holds {example} values); every column except the label is fed to the model as text",
            )
        missing = int(values.isna().sum())
        if missing:
            raise _fail(spec, found, f"column {col!r} has {missing} missing text value(s); remove or fill those rows first")
    low, high = len(spec.texts), len(spec.texts) + spec.extra_texts
    if not low <= len(texts) <= high:
        need = f"{low}" if low == high else f"{low} to {high}"
        raise _fail(spec, found, f"it has {len(texts)} text column(s) {texts}, the loss needs {need}")
    if labels:
        _check_label_values(spec, found, _column_values(data, labels[0]), labels[0])
    return spec


def _check_label_values(spec: LossSpec, found: list[str], values: pd.Series, column: str) -> None:
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.isna().any():
        bad = values[numeric.isna()].iloc[0]
        raise _fail(spec, found, f"column {column!r} has a non-numeric or missing value {bad!r}")
    if spec.label == "binary":
        bad = numeric[~numeric.isin([0, 1])]
        if len(bad):
            raise _fail(
                spec, found, f"column {column!r} must be 0 or 1 but holds e.g. {plain(bad.iloc[0])!r} ({len(bad)} such rows)"
            )
    elif spec.label == "score":
        bad = numeric[(numeric < 0) | (numeric > 1)]
        if len(bad):
            raise _fail(
                spec,
                found,
                f"column {column!r} must be a similarity in [0, 1] but holds e.g. {plain(bad.iloc[0])!r}; scale it (STS-B: score / 5)",
            )
    elif spec.label == "class":
        if not (numeric == numeric.round()).all() or (numeric < 0).any():
            raise _fail(
                spec, found, f"column {column!r} must hold integer class ids 0..n-1; map label names to ids with a label map"
            )
        if spec.class_name.startswith("Batch"):
            counts = numeric.value_counts()
            if (counts < 2).any():
                raise _fail(
                    spec,
                    found,
                    f"class(es) {sorted(counts[counts < 2].index.astype(int).tolist())} have a single example; a triplet needs two of a class",
                )
