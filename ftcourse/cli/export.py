"""``ftcourse export``: a saved classifier to an ONNX serving folder (optionally int8), checked against PyTorch."""

from __future__ import annotations

import argparse
from pathlib import Path

from ftcourse.cli.options import CONFIG_HELP, required, resolve
from ftcourse.cli.report import say
from ftcourse.errors import UsageError
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
        help="export a classifier saved by train-classifier to ONNX (optionally int8)",
        description="Writes model.onnx (and with --quantize model_int8.onnx), the tokenizer, labels.json and thresholds.json, "
        "then checks the ONNX probabilities against PyTorch's on a few texts. Needs onnx, onnxscript and onnxruntime.",
    )
    ex.add_argument("model_dir", nargs="?", help="folder written by train-classifier (--output)")
    ex.add_argument("--config", help=CONFIG_HELP)
    ex.add_argument("--output", "--output-dir", dest="output", help="the export folder (new or empty)")
    ex.add_argument("--quantize", action="store_true", default=None, help="also write model_int8.onnx (dynamic int8)")
    ex.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """The command's handler."""
    execute(resolve(DEFAULTS, TYPES, vars(args), args.config))
    return 0


def execute(options: dict) -> dict:
    """Check the inputs, export, and print the files written and the largest probability difference of each ONNX file."""
    # Loaded here, not at the top: `ftcourse --help` must not wait for the model stack.
    from ftcourse.classifier.artifacts import check_model_dir
    from ftcourse.export import export_classifier

    required(options, "model_dir", "MODEL_DIR")
    required(options, "output", "--output DIR")
    check_model_dir(options["model_dir"])
    output = Path(options["output"]).expanduser()
    if output.is_dir() and any(output.iterdir()):  # an export is never merged into, nor replaces, an earlier folder
        raise UsageError(f"--output {output}: already exists and holds files. Fix: pass a new or empty folder to --output.")
    check_output(output, kind="folder")
    report = export_classifier(options["model_dir"], options["output"], quantize=options["quantize"])
    say(f"exported to {options['output']}: {', '.join(report['files'])}")
    for name, difference in report["max_abs_difference"].items():
        say(f"{name}: largest probability difference from PyTorch on the check texts {difference:.1e}")
    return report
