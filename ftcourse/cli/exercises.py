"""``ftcourse exercises``: regenerate the learner's exercise notebooks from the solutions."""

from __future__ import annotations

import argparse

from ftcourse.exercises import generate_exercises

NAME = "exercises"


def add_parser(sub) -> None:
    """Register the command."""
    exercises = sub.add_parser(NAME, help="regenerate exercises/ from solutions/ (answers replaced by stubs)")
    exercises.add_argument("--solutions", default="solutions")
    exercises.add_argument("--exercises", default="exercises")
    exercises.add_argument(
        "--force", action="store_true", help="replace exercises you changed (they are refused otherwise: your work is kept)"
    )
    exercises.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Write every exercise and print its path."""
    for path in generate_exercises(args.solutions, args.exercises, force=args.force):
        print(f"[ftcourse] wrote {path}")
    return 0
