"""The ``ftcourse`` command line.

Each subcommand is a ``_cmd_<name>(args)`` function registered in :func:`build_parser`. Errors the
course raises on purpose (:class:`~ftcourse.errors.FtcourseError`) print one line and exit 2.
"""

from __future__ import annotations

import argparse
import sys

from ftcourse.errors import FtcourseError


def _cmd_run(args: argparse.Namespace) -> int:
    from ftcourse.course import run_course

    runs = run_course(args.notebooks or None, profile=args.profile, build_dir=args.build_dir, seed=args.seed)
    total = sum(r.seconds for r in runs)
    print(f"[ftcourse] {len(runs)} notebook(s) in {total:.0f} s; open {args.build_dir}/html/index.html")
    return 0


def _cmd_data(args: argparse.Namespace) -> int:
    import pandas as pd

    from ftcourse.data import summary

    table = summary(args.data_dir)
    with pd.option_context("display.max_rows", None, "display.max_colwidth", 90, "display.width", 250):
        print(table.to_string(index=False))
    return 1 if table["found in"].str.startswith("NOT FOUND").any() else 0


def _cmd_env(args: argparse.Namespace) -> int:
    from ftcourse.environment import environment_report

    for key, value in environment_report().items():
        print(f"{key:>24}: {value}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every ``ftcourse`` subcommand."""
    parser = argparse.ArgumentParser(prog="ftcourse", description="Fine-tuning course: run lessons, inspect data and environment.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="execute notebooks with papermill and render HTML")
    run.add_argument("notebooks", nargs="*", help="notebooks to run (default: every lesson in notebooks/)")
    run.add_argument("--profile", choices=["fast", "full"], default="fast")
    run.add_argument("--build-dir", default="build")
    run.add_argument("--seed", type=int, default=42)
    run.set_defaults(func=_cmd_run)

    data = sub.add_parser("data", help="table of every dataset: where found, rows per split, label counts")
    data.add_argument("--data-dir", default=None, help="folder holding the dataset folders (default: FTCOURSE_DATA_DIR, then cache)")
    data.set_defaults(func=_cmd_data)

    env = sub.add_parser("env", help="versions, device, model path and data directory")
    env.set_defaults(func=_cmd_env)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``ftcourse`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except FtcourseError as exc:
        print(f"ftcourse {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
