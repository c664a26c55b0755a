import numpy as np
import pytest

from ftcourse.explain import highlight_html, occlusion_scores
from ftcourse.predict import load_classifier, predict_proba


def test_occlusion_is_the_probability_drop_without_each_word(trained_toy):
    _, out, _ = trained_toy
    loaded = load_classifier(out)
    table = occlusion_scores(loaded, "you hate good cat", "toxic")
    assert table["word"].tolist() == ["you", "hate", "good", "cat"]
    full, without_hate = predict_proba(loaded, ["you hate good cat", "you good cat"])[:, 0]
    assert table.attrs["probability"] == pytest.approx(full, abs=1e-6)
    assert table.loc[1, "importance"] == pytest.approx(full - without_hate, abs=1e-6)
    with pytest.raises(ValueError, match="not one of"):
        occlusion_scores(loaded, "x", "threat")


def test_highlight_escapes_and_colours():
    page = highlight_html(["<b>", "ok"], np.array([0.5, -0.25]))
    assert "&lt;b&gt;" in page and "rgba(220, 40, 40, 1.00)" in page and "rgba(40, 90, 220, 0.50)" in page
