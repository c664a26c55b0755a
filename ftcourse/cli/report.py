"""How commands print: tables, headline numbers, side-by-side comparisons, one voice under torchrun."""

from __future__ import annotations

import logging

import pandas as pd

from ftcourse.runtime import is_main_process

log = logging.getLogger("ftcourse.cli")


def headline(summary: dict) -> str:
    """The headline numbers of a classifier's summary on one line (``roc_auc_macro 0.912, f1_macro 0.701``)."""
    keys = ("roc_auc_macro", "pr_auc_macro", "f1_macro_at_0.5", "f1_macro_tuned", "f1_macro", "accuracy")
    return ", ".join(f"{k} {summary[k]:.3f}" for k in keys if k in summary and isinstance(summary[k], float))


def print_table(title: str, table: pd.DataFrame, digits: int = 3) -> None:
    """Print ``table`` under ``title`` with ``digits`` decimals, wide enough not to wrap."""
    with pd.option_context(
        "display.width",
        200,
        "display.max_columns",
        20,
        "display.max_rows",
        200,
        "display.float_format",
        f"{{:.{digits}f}}".format,
    ):
        print(f"\n{title}\n{table.to_string()}")


def scalars(summary: dict) -> dict:
    """The plain numbers of ``summary`` (lists, tables and flags left out)."""
    return {k: v for k, v in summary.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def short_names(metrics: dict, name: str) -> dict:
    """Evaluator metrics with their prefixes removed: ``eval_held-out_cosine_ndcg@10`` -> ``cosine_ndcg@10``."""
    prefix = f"{name}_"
    return {k.removeprefix("eval_").removeprefix(prefix): float(v) for k, v in metrics.items() if isinstance(v, (int, float))}


def side_by_side(columns: dict[str, dict]) -> pd.DataFrame:
    """One column per model (metric -> value); with two models, a ``change`` column (second minus first)."""
    table = pd.DataFrame(columns)
    if table.shape[1] == 2:
        table["change"] = table.iloc[:, 1] - table.iloc[:, 0]
    return table


def say(message: str) -> None:
    """Print ``[ftcourse] message`` and log it, from the main process only (under torchrun, one voice)."""
    if is_main_process():
        print(f"[ftcourse] {message}")
        log.info(message)
