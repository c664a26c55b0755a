"""One path for every command's options: the command's defaults, then a ``--config`` file (JSON or YAML
whose keys are the flag names), then the flags given on the command line; each value converted to its
option's type and checked in one place (:func:`resolve`). Tokens are never options: they come from the
environment.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from ftcourse.errors import UsageError
from ftcourse.tracking import REPORT_TO_CHOICES, check_report_to


def load_config(path: str | os.PathLike, defaults: dict) -> dict:
    """Read a JSON or YAML config whose keys are a command's flag names.

    Args:
        path: the ``.json`` / ``.yaml`` file.
        defaults: the command's defaults (its known options).

    Returns:
        ``{option: value}`` with dashes in keys turned into underscores.

    Raises:
        UsageError: the file is missing, unreadable, not a mapping, or has unknown keys.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise UsageError(f"{path}: config file not found. Fix: pass an existing .json or .yaml file to --config.")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: is not UTF-8 text (byte {exc.start}). Fix: re-save the config file as UTF-8.") from None
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise UsageError(
                f"{path}: reading YAML needs PyYAML. Fix: `pip install pyyaml`, or write the config as JSON."
            ) from None
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise UsageError(f"{path}: is not valid YAML ({exc}). Fix: check the indentation and `key: value` lines.") from None
    else:
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UsageError(
                f"{path}: is not valid JSON ({exc.msg}, line {exc.lineno}). Fix: check quotes and commas, or use a .yaml file."
            ) from None
    if not isinstance(raw, dict):
        raise UsageError(f'{path}: expected a mapping of option -> value, got {type(raw).__name__}. Fix: e.g. {{"epochs": 2}}.')
    options = {str(k).replace("-", "_"): v for k, v in raw.items()}
    unknown = sorted(set(options) - set(defaults))
    if unknown:
        raise UsageError(f"{path}: unknown option(s) {unknown}. Fix: check the spelling; known options: {sorted(defaults)}.")
    return options


def layer_options(defaults: dict, cli: dict, config: dict | None = None) -> dict:
    """``defaults``, then ``config``, then the command line's explicitly given values (not None / False)."""
    options = dict(defaults)
    options.update(config or {})
    options.update({k: v for k, v in cli.items() if k in defaults and v is not None and v is not False})
    return options


# Bounds every command shares for the options it has: (lowest, highest), None = unbounded.
LIMITS = {"seed": (0, 2**32 - 1), "max_rows": (1, None), "batch_size": (1, None), "top_k": (1, None)}


def _fix(key: str, example) -> str:
    return f"Fix: e.g. --{key.replace('_', '-')} {example} (in a config file: {key.replace('_', '-')}: {example})."


def _convert(key: str, value, kind):
    # A config file may hold "32" for 32; a string where a switch or a number belongs is refused, not taken as truthy.
    if kind is None:  # whole sentences: one string, or a list of strings
        if isinstance(value, str) or (isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)):
            return value
        raise UsageError(
            f'option {key!r} takes a text or a list of texts, got {value!r}. Fix: quote it, e.g. {key}: ["a question"].'
        )
    if kind is bool:
        if isinstance(value, bool):
            return value
        raise UsageError(
            f"option {key!r} is a switch: true or false, got {value!r}. Fix: write {key.replace('_', '-')}: true (or false) in the config file."
        )
    if kind is list:
        if isinstance(value, (list, tuple)) and all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value):
            return [str(v) for v in value]
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        raise UsageError(
            f'option {key!r} takes a list (or comma-separated names), got {value!r}. Fix: e.g. {key.replace("_", "-")}: [a, b] or "a,b".'
        )
    if kind in (int, float):
        return _number(key, value, kind)
    if isinstance(value, (list, dict)):
        raise UsageError(f"option {key!r} takes one value, got {value!r}. Fix: give a single value.")
    return str(value)


def _number(key: str, value, kind):
    example = 2 if kind is int else 0.5
    if isinstance(value, (bool, list, dict)):
        raise UsageError(f"option {key!r} must be a number, got {value!r}. {_fix(key, example)}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"option {key!r} must be a number, got {value!r}. {_fix(key, example)}") from None
    if not math.isfinite(number):
        raise UsageError(f"option {key!r} must be a finite number, got {value!r}. {_fix(key, example)}")
    if kind is int:
        if number != int(number):
            raise UsageError(f"option {key!r} must be a whole number, got {value!r}. {_fix(key, example)}")
        number = int(number)
    low, high = LIMITS.get(key, (None, None))
    if (low is not None and number < low) or (high is not None and number > high):
        bounds = f"at least {low}" if high is None else f"between {low} and {high}"
        raise UsageError(
            f"option {key!r} must be {bounds}, got {value!r}. {_fix(key, max(low, 1) if low is not None else example)}"
        )
    return number


def coerce(options: dict, types: dict) -> dict:
    """Convert each option to its type, in place: ``types[key]`` (int, float, list, str; None: a text or a
    list of texts), or bool when the default is a bool; None stays None (not given). Numbers are checked
    against :data:`LIMITS`. Raises :class:`UsageError` naming the option and the fix."""
    for key, value in options.items():
        if value is None:
            continue
        options[key] = _convert(key, value, types.get(key, str))
    return options


def resolve(defaults: dict, types: dict, cli: dict, config_path: str | None = None) -> dict:
    """A command's options: ``defaults``, then the ``config_path`` file, then the flags in ``cli``, typed.

    Args:
        defaults: the command's ``DEFAULTS`` (its known options).
        types: ``{option: int | float | bool | list}``; options not named are strings (switches are
            the options whose default is ``False``).
        cli: ``vars(args)`` of the parsed command line (None = not given).
        config_path: a JSON/YAML file whose keys are the flag names (``batch-size`` or ``batch_size``).

    Raises:
        UsageError: an unknown key in the config file, or a value of the wrong type.
    """
    config = load_config(config_path, defaults) if config_path else {}
    kinds = {k: bool for k, v in defaults.items() if isinstance(v, bool)} | dict(types)
    return coerce(layer_options(defaults, cli, config), kinds)


def required(options: dict, key: str, example: str) -> None:
    """Raise :class:`UsageError` unless ``options[key]`` is given; ``example`` shows the flag in use."""
    if options.get(key) in (None, "", []):
        raise UsageError(
            f"option {key!r} is required. Fix: pass {example} (or set {key.replace('_', '-')} in the --config file)."
        )


def share(options: dict, key: str, upper_inclusive: bool = False) -> None:
    """Raise :class:`UsageError` unless ``options[key]`` lies in (0, 1) (or (0, 1] with ``upper_inclusive``)."""
    value = options[key]
    if not (0 < value <= 1 if upper_inclusive else 0 < value < 1):
        bound = "(0, 1]" if upper_inclusive else "(0, 1)"
        raise UsageError(f"option {key!r} must be a share in {bound}, got {value}. Fix: e.g. --{key.replace('_', '-')} 0.2.")


def positive(options: dict, *keys: str) -> None:
    """Raise :class:`UsageError` unless each named option is a number above 0."""
    for key in keys:
        if options[key] is None or options[key] <= 0:
            raise UsageError(f"option {key!r} must be positive, got {options[key]}. {_fix(key, 2)}")


def as_sentences(value) -> list[str]:
    """A list of whole sentences (queries): a single string is one sentence, commas included."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


CONFIG_HELP = "JSON or YAML file whose keys are this command's flag names (e.g. batch-size: 32); flags override it"


def add_report_to(parser) -> None:
    """Register ``--report-to`` (where a training run sends its logs, beside its JSONL log) on a training command."""
    parser.add_argument(
        "--report-to",
        choices=list(REPORT_TO_CHOICES),
        help="tensorboard: also write TensorBoard event files to OUTPUT/runs (view: tensorboard --logdir OUTPUT/runs); "
        "default: none",
    )


def report_to(options: dict) -> None:
    """Check ``options["report_to"]`` (a --config file bypasses the flag's choices) and normalise it in place."""
    options["report_to"] = check_report_to(options.get("report_to"))
