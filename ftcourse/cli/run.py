"""``ftcourse run``: execute notebooks with papermill and render them to HTML."""

from __future__ import annotations

import argparse

NAME = "run"


def add_parser(sub) -> None:
    """Register the command."""
    run = sub.add_parser(NAME, help="execute notebooks with papermill and render HTML")
    run.add_argument("notebooks", nargs="*", help="notebooks to run (default: every lesson in notebooks/)")
    run.add_argument("--profile", choices=["fast", "full"], default="fast")
    run.add_argument("--build-dir", default="build")
    run.add_argument("--seed", type=int, default=42)
    run.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Run the notebooks and print where the HTML went."""
    from ftcourse.notebooks import run_course  # papermill and nbconvert load only for this command

    runs = run_course(args.notebooks or None, profile=args.profile, build_dir=args.build_dir, seed=args.seed)
    total = sum(r.seconds for r in runs)
    print(f"[ftcourse] {len(runs)} notebook(s) in {total:.0f} s; open {args.build_dir}/html/index.html")
    return 0
