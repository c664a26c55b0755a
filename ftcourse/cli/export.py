"""``ftcourse export``: a saved classifier or embedder to an ONNX serving folder (optionally int8), checked against PyTorch."""

from __future__ import annotations

import argparse
from pathlib import Path

from ftcourse.cli.options import CONFIG_HELP, required, resolve
from ftcourse.cli.report import say
from ftcourse.errors import DataError, UsageError
from ftcourse.files import check_output

NAME = "export"

DEFAULTS: dict = {
    "model_dir": None,
    "output": None,  # a new (or empty) folder: model.onnx, tokenizer, labels.json, thresholds.json
    "quantize": False,  # also write model_int8.onnx (ONNX Runtime dynamic int8)
}

TYPES: dict = {}


def add_parser(sub) -> None:
    """Register the command."""
    ex = sub.add_parser(
        NAME,
        help="export a classifier (train-classifier) or an embedder (train-embedder) to ONNX (optionally int8)",
        description="Writes model.onnx (and with --quantize model_int8.onnx) and the tokenizer; for a classifier also labels.json "
        "and thresholds.json, for an embedder embedder.json. Then checks the ONNX outputs against PyTorch's on a few texts. "
        "Needs onnx, onnxscript and onnxruntime.",
    )
    ex.add_argument("model_dir", nargs="?", help="folder written by train-classifier (--output) or train-embedder (--output-dir)")
    ex.add_argument("--config", help=CONFIG_HELP)
    ex.add_argument("--output", "--output-dir", dest="output", help="the export folder (new or empty)")
    ex.add_argument("--quantize", action="store_true", default=None, help="also write model_int8.onnx (dynamic int8)")
    ex.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """The command's handler."""
    execute(resolve(DEFAULTS, TYPES, vars(args), args.config))
    return 0


def execute(options: dict) -> dict:
    """Check the inputs, export, and print the files written and the largest difference of each ONNX file from PyTorch."""
    # Loaded here, not at the top: `ftcourse --help` must not wait for the model stack.
    from ftcourse.classifier.artifacts import check_model_dir
    from ftcourse.export import export_classifier, export_embedder, is_embedder_dir

    required(options, "model_dir", "MODEL_DIR")
    required(options, "output", "--output DIR")
    embedder = is_embedder_dir(options["model_dir"])
    if not embedder:
        try:
            check_model_dir(options["model_dir"])
        except DataError as error:
            raise DataError(
                f"{error} An embedder folder (train-embedder's --output-dir, with modules.json) exports too."
            ) from None
    output = Path(options["output"]).expanduser()
    if output.is_dir() and any(output.iterdir()):  # an export is never merged into, nor replaces, an earlier folder
        raise UsageError(f"--output {output}: already exists and holds files. Fix: pass a new or empty folder to --output.")
    check_output(output, kind="folder")
    export = export_embedder if embedder else export_classifier
    report = export(options["model_dir"], options["output"], quantize=options["quantize"])
    say(f"exported the {'embedder' if embedder else 'classifier'} to {options['output']}: {', '.join(report['files'])}")
    what = "embedding" if embedder else "probability"
    for name, difference in report["max_abs_difference"].items():
        say(f"{name}: largest {what} difference from PyTorch on the check texts {difference:.1e}")
    return report
