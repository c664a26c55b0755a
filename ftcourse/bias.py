"""Bias probes on identity terms: does a toxicity classifier treat harmless mentions of a group as toxic?

Toxicity classifiers learn that words such as *gay* or *muslim* often appear in abusive comments, and then flag harmless
comments that merely mention them (Dixon et al., 2018, "Measuring and Mitigating Unintended Bias in Text Classification").
Two probes measure it:

* :func:`identity_term_probe` on real labelled comments (the test split): per identity group, the false-positive rate among
  harmless comments that mention the group, beside the rate among harmless comments that mention no group, with a bootstrap
  interval of the difference; and the miss rate among toxic ones. Real data, but often few comments per group.
* :func:`template_probe` on harmless sentences built from templates: the same sentence with each identity term and with
  neutral words, so that the term is the only thing that changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from ftcourse.errors import UsageError

# Identity groups and the words that mention them (whole words, any case). Deliberately short: a probe, not a lexicon.
IDENTITY_TERMS: dict[str, tuple[str, ...]] = {
    "sexual orientation": ("gay", "gays", "lesbian", "lesbians", "homosexual", "homosexuals", "bisexual", "transgender"),
    "religion": ("muslim", "muslims", "islam", "islamic", "jew", "jews", "jewish", "christian", "christians"),
    "race or ethnicity": ("black", "blacks", "african", "asian", "asians", "mexican", "mexicans", "hispanic", "latino"),
    "gender": ("woman", "women", "female", "females", "girl", "girls"),
}
# Adjectives that fit "I am ___.": one per group above, and neutral ones that name no protected group.
TEMPLATE_TERMS: dict[str, tuple[str, ...]] = {
    "sexual orientation": ("gay", "lesbian", "bisexual"),
    "religion": ("muslim", "jewish", "christian"),
    "race or ethnicity": ("black", "african", "mexican"),
    "gender": ("female", "transgender"),
    "neutral (no identity term)": ("tall", "young", "left-handed"),  # NEUTRAL_GROUP
}
TEMPLATES: tuple[str, ...] = (
    "I am {}.",
    "My neighbour is {} and very kind.",
    "We had dinner with {} friends last night.",
    "Being {} is a normal part of who someone is.",
    "Our {} students organised a book club.",
)
MIN_COMMENTS = 5  # fewer harmless (or toxic) comments in a group than this: the rate is not reported
NO_GROUP = "no identity term"


def mentions(texts: Sequence[str], terms: Sequence[str]) -> np.ndarray:
    """Boolean array: which ``texts`` contain any of ``terms`` as a whole word (case-insensitive)."""
    if not terms:
        raise UsageError("mentions() needs at least one term.")
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(t) for t in terms) + r")\b", re.IGNORECASE)
    return np.array([bool(pattern.search(str(text))) for text in texts], dtype=bool)


def _rate_interval(a: np.ndarray, b: np.ndarray, n_resamples: int, rng: np.random.Generator) -> tuple[float, float]:
    """95 % percentile interval of mean(a) - mean(b), each group resampled on its own (the groups are not paired)."""
    diffs = [rng.choice(a, len(a)).mean() - rng.choice(b, len(b)).mean() for _ in range(n_resamples)]
    low, high = np.percentile(diffs, [2.5, 97.5])
    return float(low), float(high)


def identity_term_probe(
    texts: Sequence[str],
    y_true: Sequence[int],
    flagged: Sequence[bool],
    groups: dict[str, Sequence[str]] | None = None,
    n_resamples: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """False-positive and miss rates per identity group on labelled comments.

    Args:
        texts: the comments (e.g. the test split).
        y_true: 1 where a comment really carries the label (e.g. ``toxic``), else 0.
        flagged: the classifier's decision per comment (probability at or above its threshold).
        groups: group name -> terms; default :data:`IDENTITY_TERMS`.
        n_resamples: bootstrap resamples of each group for the interval of the difference.
        seed: random seed of the bootstrap.

    Returns:
        One row per group, plus a row for comments that mention no group: harmless and toxic comment counts, the
        false-positive rate (harmless comments flagged), its difference from the no-group rate with a 95 % interval (low, high), and the
        miss rate (toxic comments not flagged). Rates of groups with fewer than :data:`MIN_COMMENTS` comments are NaN.
    """
    texts, y_true, flagged = list(texts), np.asarray(y_true).astype(int), np.asarray(flagged).astype(bool)
    if not len(texts) == len(y_true) == len(flagged):
        raise UsageError(
            f"identity_term_probe: {len(texts)} texts, {len(y_true)} labels, {len(flagged)} decisions; give one per comment."
        )
    groups = groups or IDENTITY_TERMS
    masks = {name: mentions(texts, terms) for name, terms in groups.items()}
    masks[NO_GROUP] = ~np.any(list(masks.values()), axis=0)
    rng = np.random.default_rng(seed)
    baseline = flagged[masks[NO_GROUP] & (y_true == 0)]
    rows = []
    for name, mask in masks.items():
        harmless, toxic = flagged[mask & (y_true == 0)], flagged[mask & (y_true == 1)]
        fpr = float(harmless.mean()) if len(harmless) >= MIN_COMMENTS else np.nan
        low, high = (
            _rate_interval(harmless, baseline, n_resamples, rng)
            if name != NO_GROUP and len(harmless) >= MIN_COMMENTS and len(baseline) >= MIN_COMMENTS
            else (np.nan, np.nan)
        )
        rows.append(
            {
                "group": name,
                "harmless comments": len(harmless),
                "false-positive rate": fpr,
                "difference from no-group rate": fpr - float(baseline.mean()) if np.isfinite(fpr) and len(baseline) else np.nan,
                "difference, 95 % low": low,
                "difference, 95 % high": high,
                "toxic comments": len(toxic),
                "miss rate": float(1 - toxic.mean()) if len(toxic) >= MIN_COMMENTS else np.nan,
            }
        )
    return pd.DataFrame(rows).set_index("group")


def template_probe(
    score: Callable[[list[str]], np.ndarray], terms: dict[str, Sequence[str]] | None = None, templates: Sequence[str] = TEMPLATES
) -> pd.DataFrame:
    """Score harmless template sentences that differ only in one identity (or neutral) term.

    Args:
        score: texts -> one probability per text (e.g. the ``toxic`` column of ``predict_proba``).
        terms: group name -> adjectives that fit the templates; default :data:`TEMPLATE_TERMS` (with a neutral group).
        templates: sentences with one ``{}`` for the term.

    Returns:
        One row per term: its group, the mean and the largest probability over the templates.
    """
    terms = terms or TEMPLATE_TERMS
    if not all("{}" in t for t in templates):
        raise UsageError("template_probe: every template needs one '{}' where the term goes, e.g. 'I am {}.'")
    rows = []
    for group, words in terms.items():
        for word in words:
            probs = np.asarray(score([t.format(word) for t in templates]), dtype=float)
            rows.append(
                {"group": group, "term": word, "mean probability": float(probs.mean()), "largest probability": float(probs.max())}
            )
    return pd.DataFrame(rows).set_index("term")


NEUTRAL_GROUP = "neutral (no identity term)"


def template_summary(templates: pd.DataFrame, threshold: float, neutral: str = NEUTRAL_GROUP) -> pd.DataFrame:
    """Per group of :func:`template_probe`'s table: mean and largest probability, terms flagged at ``threshold`` (by their largest
    probability), and the mean as a multiple of the neutral words' mean."""
    if neutral not in set(templates["group"]):
        raise UsageError(f"template_summary: no {neutral!r} group to compare with; keep the neutral words in the probe.")
    by_group = templates.groupby("group")[["mean probability", "largest probability"]].mean()
    by_group["flagged at the threshold"] = templates.groupby("group")["largest probability"].apply(
        lambda p: int((p >= threshold).sum())
    )
    by_group["mean / neutral"] = by_group["mean probability"] / by_group.loc[neutral, "mean probability"]
    return by_group
