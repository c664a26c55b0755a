"""``ftcourse env``: versions, device, model path and data folder."""

from __future__ import annotations

import argparse

from ftcourse.environment import environment_report

NAME = "env"


def add_parser(sub) -> None:
    """Register the command."""
    env = sub.add_parser(NAME, help="versions, device, model path and data directory")
    env.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Print the environment report."""
    for key, value in environment_report().items():
        print(f"{key:>24}: {value}")
    return 0
