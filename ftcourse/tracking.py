"""Experiment tracking that works offline: TensorBoard event files written during training and read back.

Both trainers take ``report_to="tensorboard"`` (``ClassifierSettings`` / ``EmbedderSettings``, and the
``--report-to`` flag of ``train-classifier`` and ``train-embedder``). The event files then go to
``<output>/runs``, a folder the trainers never delete (checkpoints are removed after a run; logs stay).
:func:`read_scalars` reads them back into a table, so a notebook can plot a curve without starting the
TensorBoard server (``tensorboard --logdir <output>/runs`` shows the same curves in a browser).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from ftcourse.errors import UsageError

REPORT_TO_CHOICES = ("none", "tensorboard")  # trackers that need no account and no network
RUNS_DIR = "runs"  # the event files' folder inside a training run's output folder


def check_report_to(report_to: str | None) -> str:
    """Return ``report_to`` as one of :data:`REPORT_TO_CHOICES` (None means ``"none"``), or raise a UsageError."""
    chosen = "none" if report_to is None else str(report_to).lower()
    if chosen not in REPORT_TO_CHOICES:
        raise UsageError(
            f"report_to={report_to!r} is not supported. Fix: choose one of {list(REPORT_TO_CHOICES)} "
            "(--report-to or report_to in --config; the course tracks runs offline, and TensorBoard needs no account)."
        )
    return chosen


def tracking_callbacks(report_to: str | None, log_dir: str | os.PathLike) -> list:
    """The ``transformers`` callbacks that send a run's logs to ``report_to``, writing into ``log_dir``.

    The trainers keep their own ``report_to="none"`` and add these instead: transformers 5 no longer takes
    a ``logging_dir`` argument, and its default folder (``<output_dir>/runs``) would sit inside the
    classifier's checkpoint folder, which is removed after training.

    Args:
        report_to: ``"none"`` (or None) or ``"tensorboard"``.
        log_dir: the folder for the event files (created on the first log).

    Returns:
        A list of callbacks (empty for ``"none"``).
    """
    if check_report_to(report_to) == "none":
        return []
    from transformers.integrations import TensorBoardCallback

    callback = TensorBoardCallback()
    callback.logging_dir = str(log_dir)  # read by the callback when training begins
    return [callback]


def event_folders(log_dir: str | os.PathLike) -> list[Path]:
    """Every folder under ``log_dir`` (itself included) that holds a TensorBoard event file, sorted."""
    root = Path(log_dir)
    return sorted({path.parent for path in root.rglob("events.out.tfevents.*")})


def read_scalars(log_dir: str | os.PathLike) -> pd.DataFrame:
    """Read every scalar logged under ``log_dir`` back from its TensorBoard event files.

    Args:
        log_dir: a run's ``runs`` folder (or any folder above event files); each sub-folder with event
            files is one run (the hyperparameter search writes one per trial).

    Returns:
        A DataFrame with columns ``run`` (the folder relative to ``log_dir``, ``"."`` for ``log_dir`` itself),
        ``tag`` (e.g. ``train/loss``, ``eval/f1_macro``), ``step``, ``value`` and ``wall_time``, sorted by run, tag and step.

    Raises:
        UsageError: ``log_dir`` holds no event file (the run did not track, or the folder is wrong).
    """
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    folders = event_folders(log_dir)
    if not folders:
        raise UsageError(
            f"No TensorBoard event files under {log_dir}. Fix: train with report_to='tensorboard' "
            "(--report-to tensorboard) and pass the run's 'runs' folder."
        )
    rows = []
    for folder in folders:
        accumulator = EventAccumulator(str(folder), size_guidance={"scalars": 0})  # 0 keeps every point, not a sample
        accumulator.Reload()
        run = str(folder.relative_to(log_dir))
        for tag in accumulator.Tags()["scalars"]:
            rows += [
                {"run": run, "tag": tag, "step": e.step, "value": e.value, "wall_time": e.wall_time}
                for e in accumulator.Scalars(tag)
            ]
    columns = ["run", "tag", "step", "value", "wall_time"]
    return pd.DataFrame(rows, columns=columns).sort_values(["run", "tag", "step"], ignore_index=True)


def scalar_curves(scalars: pd.DataFrame, tags: list[str] | tuple[str, ...], run: str | None = None) -> pd.DataFrame:
    """One column per tag, indexed by step: the shape ``ftcourse.plots.training_curves`` and ``DataFrame.plot`` take.

    Args:
        scalars: the output of :func:`read_scalars`.
        tags: the tags to keep, e.g. ``("train/loss", "eval/loss")``.
        run: the run to keep; default: the only run (a UsageError when there are several).
    """
    runs = sorted(scalars["run"].unique())
    if run is None:
        if len(runs) != 1:
            raise UsageError(f"{len(runs)} runs in the table: pass run= one of {runs}.")
        run = runs[0]
    kept = scalars[(scalars["run"] == run) & scalars["tag"].isin(tags)]
    missing = sorted(set(tags) - set(kept["tag"]))
    if missing:
        raise UsageError(f"run {run!r} logged no {missing}; it logged {sorted(scalars['tag'].unique())}.")
    return kept.pivot_table(index="step", columns="tag", values="value").reset_index()
