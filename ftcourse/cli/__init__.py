"""The ``ftcourse`` command line.

One module per command in this package, each with ``NAME``, ``add_parser(sub)`` and a handler
``main(args)``; the commands that take many options also have ``DEFAULTS``, ``TYPES`` and
``execute(options)`` (options resolved by :mod:`ftcourse.cli.options`: defaults, then ``--config``,
then flags). Errors the course raises on purpose (:class:`~ftcourse.errors.FtcourseError`) print one
line and exit 2.
"""

from __future__ import annotations

import argparse
import sys

from ftcourse.cli import (
    data,
    env,
    evaluate,
    exercises,
    export,
    predict,
    prepare_data,
    publish,
    run,
    search,
    train_classifier,
    train_cross_encoder,
    train_embedder,
)
from ftcourse.errors import FtcourseError
from ftcourse.runtime import end_distributed_run

COMMANDS = (
    run,
    data,
    env,
    exercises,
    train_classifier,
    predict,
    prepare_data,
    train_embedder,
    train_cross_encoder,
    evaluate,
    search,
    export,
    publish,
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every ``ftcourse`` subcommand."""
    parser = argparse.ArgumentParser(
        prog="ftcourse", description="Fine-tuning course: run lessons, inspect data and environment, train and use models."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``ftcourse`` console script."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command == "search" and not any(e.startswith("-") for e in extra):
        # argparse fills positionals before options only: `search MODEL --corpus F "q1" "q2"` leaves the queries over.
        args.queries = [*(args.queries or []), *extra]
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return args.func(args)
    except FtcourseError as exc:
        print(f"ftcourse {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"ftcourse {args.command}: interrupted (Ctrl-C).{_how_to_resume(args)}", file=sys.stderr)
        return 130
    finally:
        end_distributed_run()


def _how_to_resume(args: argparse.Namespace) -> str:
    # The training commands keep their complete checkpoints: the same command with --resume continues.
    if args.command not in (train_classifier.NAME, train_embedder.NAME):
        return ""
    output = getattr(args, "output", None) or "the --output folder"
    return f" The complete checkpoints are kept in {output}. Fix: run the same command again with --resume to continue."


if __name__ == "__main__":
    sys.exit(main())
