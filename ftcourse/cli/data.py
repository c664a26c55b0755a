"""``ftcourse data``: where each dataset was found, with its rows per split and label counts."""

from __future__ import annotations

import argparse

import pandas as pd

from ftcourse.data import summary

NAME = "data"


def add_parser(sub) -> None:
    """Register the command."""
    data = sub.add_parser(NAME, help="table of every dataset: where found, rows per split, label counts")
    data.add_argument(
        "--data-dir", default=None, help="folder holding the dataset folders (default: FTCOURSE_DATA_DIR, then cache)"
    )
    data.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Print the table; exit 1 when a dataset was not found."""
    table = summary(args.data_dir)
    with pd.option_context("display.max_rows", None, "display.max_colwidth", 90, "display.width", 250):
        print(table.to_string(index=False))
    return 1 if table["found in"].str.startswith("NOT FOUND").any() else 0
