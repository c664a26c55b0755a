"""ftcourse.plots: each function returns a Figure, draws what it should, and saves a PNG."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from ftcourse import plots

PNG_MAGIC = b"\x89PNG"


def _saved(path):
    return path.is_file() and path.read_bytes()[:4] == PNG_MAGIC


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_confusion_matrix(tmp_path, rng):
    y_true = rng.integers(0, 3, 60)
    fig = plots.confusion_matrix_plot(y_true, y_true, ["hate", "offensive", "neither"], save_to=tmp_path / "cm.png")
    assert isinstance(fig, Figure) and _saved(tmp_path / "cm.png")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts.count("1.00") == 3  # perfect predictions: the diagonal of a row-normalised matrix
    counts = plots.confusion_matrix_plot(y_true, y_true, ["a", "b", "c"], normalize=None)
    assert str(int((y_true == 0).sum())) in [t.get_text() for t in counts.axes[0].texts]


@pytest.mark.parametrize("draw", [plots.roc_curves, plots.pr_curves])
def test_curves_binary_multilabel_and_multiclass(tmp_path, rng, draw):
    y = rng.integers(0, 2, 80)
    fig = draw(y, y * 0.5 + rng.random(80), save_to=tmp_path / "binary.png")
    assert isinstance(fig, Figure) and _saved(tmp_path / "binary.png")
    labels = np.column_stack([rng.integers(0, 2, 80), np.zeros(80, dtype=int)])  # second label: no positives
    fig = draw(labels, rng.random((80, 2)), ["toxic", "threat"])
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any("toxic" in t for t in legend) and not any(t.startswith("threat") for t in legend)
    assert "no curve (one class only): threat" in fig.axes[0].get_title()
    ids = rng.integers(0, 3, 90)
    fig = draw(ids, rng.random((90, 3)), ["a", "b", "c"])
    assert sum(1 for line in fig.axes[0].get_lines() if line.get_label().split(" ")[0] in {"a", "b", "c"}) == 3


def test_training_curves_from_a_log(tmp_path):
    history = pd.DataFrame(
        [
            {"step": 10, "epoch": 0.5, "loss": 0.9, "learning_rate": 1e-5, "grad_norm": 3.0},
            {"step": 20, "epoch": 1.0, "loss": 0.6, "learning_rate": 5e-6, "grad_norm": 2.0},
            {"step": 20, "epoch": 1.0, "eval_loss": 0.7, "eval_f1": 0.55, "eval_runtime": 1.2, "eval_samples_per_second": 100.0},
        ]
    )
    fig = plots.training_curves(history, save_to=tmp_path / "curves.png")
    assert isinstance(fig, Figure) and _saved(tmp_path / "curves.png")
    plotted = {line.get_label() for ax in fig.axes for line in ax.get_lines()}
    assert plotted == {"loss", "eval_loss", "eval_f1"}
    only_loss = plots.training_curves(history[["step", "loss"]].iloc[:2])
    assert len(only_loss.axes) == 1
    with pytest.raises(ValueError, match="step"):
        plots.training_curves(pd.DataFrame({"loss": [1.0]}))


@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_embedding_map(tmp_path, rng, method):
    labels = np.repeat([0, 1], 15)
    points = np.eye(2, 8)[labels] * 3 + rng.normal(0, 0.3, (30, 8))
    fig = plots.embedding_map(points, labels, method=method, label_names=["neg", "pos"], save_to=tmp_path / f"{method}.png")
    assert isinstance(fig, Figure) and _saved(tmp_path / f"{method}.png")
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["neg (n=15)", "pos (n=15)"]
    with pytest.raises(ValueError, match="pca"):
        plots.embedding_map(points, labels, method="umap")


def test_comparison_chart_draws_error_bars(tmp_path):
    table = pd.DataFrame({"name": ["base", "fine-tuned"], "value": [0.6, 0.7], "low": [0.55, 0.66], "high": [0.65, 0.74]})
    fig = plots.comparison_chart(table, xlabel="macro-F1", save_to=tmp_path / "cmp.png")
    assert isinstance(fig, Figure) and _saved(tmp_path / "cmp.png")
    assert fig.axes[0].containers  # bars and error bars
    top_to_bottom = sorted(fig.axes[0].get_yticklabels(), key=lambda t: -t.get_position()[1])
    assert [t.get_text() for t in top_to_bottom] == ["base", "fine-tuned"]  # first row on top
    assert isinstance(plots.comparison_chart([{"name": "a", "value": 1.0}]), Figure)  # intervals are optional
    with pytest.raises(ValueError, match="value"):
        plots.comparison_chart(pd.DataFrame({"name": ["a"]}))


def test_score_histograms(tmp_path, rng):
    fig = plots.score_histograms(rng.normal(0.7, 0.1, 50), rng.normal(0.3, 0.1, 70), threshold=0.5, save_to=tmp_path / "hist.png")
    assert isinstance(fig, Figure) and _saved(tmp_path / "hist.png")
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "positive pairs (n=50)" in legend and "threshold 0.50" in legend


def test_figures_display_as_png_in_ipython_without_pyplot(monkeypatch, rng):
    import IPython
    from IPython.core.formatters import PNGFormatter

    formatter = PNGFormatter()
    shell = type("Shell", (), {"display_formatter": type("DF", (), {"formatters": {"image/png": formatter}})()})()
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    fig = plots.score_histograms(rng.random(10), rng.random(10))
    assert formatter(fig)[:4] == PNG_MAGIC


def test_reliability_diagram_draws_one_panel_per_label(tmp_path):
    from ftcourse.plots import reliability_diagram

    rng = np.random.default_rng(0)
    y = (rng.random((200, 2)) < 0.3).astype(int)
    p = rng.random((200, 2))
    fig = reliability_diagram(y, {"before": p, "after": p**2}, ["a", "b"], n_bins=5, save_to=tmp_path / "r.png")
    assert len([ax for ax in fig.axes if ax.get_title()]) == 2
    assert "ECE" in fig.axes[0].get_legend().get_texts()[0].get_text()
    assert (tmp_path / "r.png").stat().st_size > 0
