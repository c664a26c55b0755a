"""``ftcourse publish``: write the exact folder that would go to the Hub (a dry run), and push it when asked, online."""

from __future__ import annotations

import argparse
from pathlib import Path

from ftcourse.cli.options import CONFIG_HELP, required, resolve
from ftcourse.cli.report import say
from ftcourse.files import check_output

NAME = "publish"

DEFAULTS: dict = {
    "model_dir": None,
    "output": None,  # a new (or empty) folder: what a user of the model would download
    "push_to_hub": None,  # a Hub model repo id (online users; HF_TOKEN from the environment); without it, a dry run
}

TYPES: dict = {}


def add_parser(sub) -> None:
    """Register the command."""
    pub = sub.add_parser(
        NAME,
        help="write the folder that would be published (dry run); with --push-to-hub, upload it",
        description="Copies what a user needs from a train-classifier folder (weights, tokenizer, labels, thresholds, model card, "
        "metrics), leaves out training logs and marker files, and lists every file. With --push-to-hub REPO it then uploads "
        "that folder; the token comes from HF_TOKEN, never from a flag.",
    )
    pub.add_argument("model_dir", nargs="?", help="folder written by train-classifier (--output)")
    pub.add_argument("--config", help=CONFIG_HELP)
    pub.add_argument("--output", "--output-dir", dest="output", help="the publish folder (new or empty)")
    pub.add_argument("--push-to-hub", dest="push_to_hub", help="Hub model repo id, e.g. your-name/toxicity-minilm (online only)")
    pub.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """The command's handler."""
    execute(resolve(DEFAULTS, TYPES, vars(args), args.config))
    return 0


def execute(options: dict) -> dict:
    """Check the inputs (and, before any work, the token when pushing), write the folder, list it, push it if asked."""
    from ftcourse.classifier.artifacts import check_model_dir
    from ftcourse.models import hub_token_or_fail
    from ftcourse.publish import publish_folder, push_folder

    required(options, "model_dir", "MODEL_DIR")
    required(options, "output", "--output DIR")
    check_model_dir(options["model_dir"])
    # an existing or unwritable folder is refused before any work
    check_output(Path(options["output"]).expanduser(), kind="folder")
    repo = options["push_to_hub"]
    if repo:
        hub_token_or_fail(f"--push-to-hub {repo}", "run without --push-to-hub (a dry run) and push the folder later, online")
    listing = publish_folder(options["model_dir"], options["output"])
    for row in listing.itertuples():
        say(f"{row.KiB:>10.1f} KiB  {row.file}")
    say(f"{len(listing)} files, {listing['KiB'].sum() / 1024:.1f} MiB in {options['output']}")
    report = {"output": str(options["output"]), "files": listing["file"].tolist(), "pushed_to": None}
    if repo:
        report["pushed_to"] = push_folder(options["output"], repo)
        say(f"pushed to {report['pushed_to']}")
    else:
        say("dry run: nothing pushed (add --push-to-hub REPO online, with HF_TOKEN set, to upload this folder)")
    return report
