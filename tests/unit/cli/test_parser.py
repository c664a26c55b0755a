"""The command line's shape: every command registered, quick to start, one flag name per meaning."""

import subprocess
import sys

import pytest

from ftcourse.cli import COMMANDS, build_parser


def test_the_parser_loads_without_the_training_stack():
    # `ftcourse --help` must answer at once: the commands load torch/transformers only when they run.
    code = "import sys, ftcourse.cli; print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_every_command_module_is_registered():
    names = {command.NAME for command in COMMANDS}
    assert names == {
        "run",
        "data",
        "env",
        "exercises",
        "train-classifier",
        "predict",
        "prepare-data",
        "train-embedder",
        "train-cross-encoder",
        "evaluate",
        "search",
        "export",
        "publish",
    }


@pytest.mark.parametrize(
    "argv, key, value",
    [
        (["train-embedder", "--output-dir", "x"], "output", "x"),
        (["train-embedder", "--max-seq-length", "64"], "max_length", 64),
        (["train-embedder", "--test-only"], "evaluate_only", True),
        (["train-classifier", "--no-preprocessing"], "no_normalize", True),
        (["prepare-data", "--no-preprocessing"], "no_normalize", True),
        (["train-classifier", "--max-seq-length", "32"], "max_length", 32),
        (["train-cross-encoder", "--output-dir", "x"], "output", "x"),
        (["train-cross-encoder", "--max-seq-length", "64"], "max_length", 64),
    ],
)
def test_old_flag_spellings_are_aliases_of_the_common_names(argv, key, value):
    assert getattr(build_parser().parse_args(argv), key) == value


@pytest.mark.parametrize("command", ["train-classifier", "train-embedder"])
def test_both_training_commands_take_report_to_and_refuse_an_online_tracker(command, tmp_path):
    from ftcourse.cli.options import report_to
    from ftcourse.errors import UsageError

    assert build_parser().parse_args([command, "--report-to", "tensorboard"]).report_to == "tensorboard"
    with pytest.raises(SystemExit):
        build_parser().parse_args([command, "--report-to", "wandb"])
    options = {"report_to": "wandb"}  # as a --config file would give it, past the flag's choices
    with pytest.raises(UsageError, match="tensorboard"):
        report_to(options)


def test_train_cross_encoder_and_search_rerank_parse_their_flags():
    args = build_parser().parse_args(["train-cross-encoder", "--data", "faq.csv", "--loss", "mnrl", "--num-negatives", "5"])
    assert (args.data, args.loss, args.num_negatives) == ("faq.csv", "mnrl", 5)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train-cross-encoder", "--loss", "lambda"])
    args = build_parser().parse_args(["search", "emb", "q", "--corpus", "c.txt", "--rerank", "ce", "--candidates", "30"])
    assert (args.rerank, args.candidates, args.queries) == ("ce", 30, ["q"])


def test_train_classifier_takes_lesson_14s_method_and_lora_flags():
    from ftcourse.cli.train_classifier import DEFAULTS, options_from

    args = build_parser().parse_args(
        ["train-classifier", "--method", "setfit", "--lora", "--lora-r", "4", "--setfit-iterations", "5"]
    )
    assert (args.method, args.lora, args.lora_r, args.setfit_iterations) == ("setfit", True, 4, 5)
    plain = build_parser().parse_args(["train-classifier"])
    assert plain.method is None and plain.lora is None  # unset flags leave the config file and the defaults in charge
    assert (DEFAULTS["method"], DEFAULTS["lora"], DEFAULTS["lora_r"]) == ("finetune", False, 8)
    options = options_from({"data": "davidson", "method": "setfit", "lora": True, "lora_r": "16"})
    assert options["lora_r"] == 16 and options["method"] == "setfit"
