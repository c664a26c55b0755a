"""The lesson helpers: setup, metrics, and the evidence blocks every training lesson writes."""

import json

import numpy as np
import pytest
from sklearn.metrics import accuracy_score

from ftcourse import course
from tests.conftest import REPO_ROOT
from tests.unit.tiny_models import tiny_bert_classifier


def test_write_metrics_converts_numpy(tmp_path):
    path = course.write_metrics(tmp_path, {"a": np.int64(3), "b": np.array([0.5, 1.0]), "c": (1, 2)})
    assert json.loads(path.read_text()) == {"a": 3, "b": [0.5, 1.0], "c": [1, 2]}


def test_lesson_setup_creates_output_and_overrides(tmp_path):
    profile, out = course.lesson_setup("fast", 1, tmp_path / "o", train_size=10)
    assert out.is_dir() and profile.train_size == 10


def test_lesson_setup_sets_the_training_precision_from_the_profile(tmp_path, monkeypatch):
    import torch

    from ftcourse import runtime
    from ftcourse.profiles import FULL_ON_CPU

    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: True, raising=False)
    try:
        profile, _ = course.lesson_setup("fast", 1, tmp_path / "a")
        assert not profile.cpu_bf16 and runtime.mixed_precision("cpu")["bf16"] is False  # CI's runs stay fp32
        profile, _ = course.lesson_setup("fast", 1, tmp_path / "b", cpu_bf16=True)
        assert runtime.mixed_precision("cpu")["bf16"] is True
        course.lesson_setup("fast", 1, tmp_path / "c")  # a later lesson in the same kernel does not inherit it
        assert runtime.mixed_precision("cpu")["bf16"] is False
        assert (
            course.lesson_setup("full", 1, tmp_path / "d")[0].cpu_bf16 is FULL_ON_CPU["cpu_bf16"]
            or runtime.pick_device() == "cuda"
        )
    finally:
        runtime.use_cpu_bf16(False)


def test_lesson_setup_sets_training_without_dropout_from_the_profile(tmp_path):
    from ftcourse import runtime
    from ftcourse.profiles import FULL_ON_CPU

    try:
        course.lesson_setup("fast", 1, tmp_path / "a", cpu_no_dropout=True)
        assert runtime.cpu_training_without_dropout("cpu") and not runtime.cpu_training_without_dropout("cuda")
        profile, _ = course.lesson_setup("fast", 1, tmp_path / "b")  # a later lesson in the same kernel does not inherit it
        assert not profile.cpu_no_dropout and not runtime.cpu_training_without_dropout("cpu")  # CI's fast runs keep dropout
        profile, _ = course.lesson_setup("full", 1, tmp_path / "c", device="cpu")
        assert profile.cpu_no_dropout is FULL_ON_CPU.get("cpu_no_dropout", False) is runtime.cpu_training_without_dropout("cpu")
    finally:
        runtime.use_cpu_training_without_dropout(False)
        runtime.use_cpu_bf16(False)  # the full profile asked for it too


def test_lesson_setup_sets_bf16_inference_from_the_profile_and_only_for_that_lesson(tmp_path, monkeypatch):
    import torch

    from ftcourse import runtime
    from ftcourse.models import cpu_bf16_inference

    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: True, raising=False)
    model, ids = cpu_bf16_inference(tiny_bert_classifier()), torch.randint(0, 100, (2, 8))
    try:
        with torch.no_grad():
            fp32 = model(ids).logits
            profile, _ = course.lesson_setup("fast", 1, tmp_path / "a", cpu_bf16=True, cpu_bf16_inference=True)
            assert profile.cpu_bf16_inference and not torch.equal(model(ids).logits, fp32)  # the lesson that asks infers in bf16
            profile, _ = course.lesson_setup("fast", 1, tmp_path / "b", cpu_bf16=True)  # the next lesson in the kernel does not
            assert not profile.cpu_bf16_inference and torch.equal(model(ids).logits, fp32)
            assert not course.lesson_setup("full", 1, tmp_path / "c", device="cpu")[
                0
            ].cpu_bf16_inference  # no profile turns it on
    finally:
        runtime.use_cpu_bf16(False)
        runtime.use_cpu_bf16_inference(False)
        runtime.use_cpu_training_without_dropout(False)


def _effect(treatment_right: float, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 400)
    baseline = np.where(rng.random(400) < 0.7, y, 1 - y)
    treatment = np.where(rng.random(400) < treatment_right, y, 1 - y)
    return course.measure_effect("B beats A", "accuracy", "A", "B", y, baseline, treatment, accuracy_score, n_resamples=300)


def test_measure_effect_has_the_keys_and_a_paired_interval():
    effect = _effect(0.9)
    assert tuple(effect) == course.EFFECT_KEYS
    low, high = effect["difference_ci"]
    assert low <= effect["treatment_score"] - effect["baseline_score"] <= high
    assert course.verdict(effect) == "gain"
    assert course.verdict(_effect(0.5)) == "loss"
    assert course.verdict({**effect, "difference_ci": [-0.01, 0.02]}) == "no clear difference"


def test_compare_with_reference_reads_both_runs(tmp_path):
    effect = _effect(0.9)
    table, reading = course.compare_with_reference(effect, "99_lesson", folder=tmp_path)
    assert list(table.columns) == ["your run"] and "No reference run" in reading
    (tmp_path / "99_lesson.json").write_text(
        json.dumps({**_effect(0.95, seed=1), "profile": "full", "device": "cpu", "commit": "abc"})
    )
    table, reading = course.compare_with_reference(effect, "99_lesson", folder=tmp_path)
    assert table.shape[1] == 2 and "agree" in reading
    (tmp_path / "99_lesson.json").write_text(
        json.dumps({**_effect(0.5, seed=1), "profile": "full", "device": "cpu", "commit": "abc"})
    )
    _, reading = course.compare_with_reference(effect, "99_lesson", folder=tmp_path)
    assert "'gain'" in reading and "'loss'" in reading


def test_a_disagreement_says_which_side_the_reference_run_moved(tmp_path):
    mine = {**_effect(0.9), "baseline_score": 0.60, "treatment_score": 0.70, "difference_ci": [0.02, 0.18]}
    reference = {**mine, "baseline_score": 0.68, "treatment_score": 0.71, "difference_ci": [-0.01, 0.07]}
    (tmp_path / "99_lesson.json").write_text(json.dumps({**reference, "profile": "full", "device": "cpu", "commit": "abc"}))
    _, reading = course.compare_with_reference(mine, "99_lesson", folder=tmp_path)
    assert "baseline moved +0.080 and the treatment +0.010" in reading
    assert "from +0.100 to +0.030" in reading and "the baseline is what changed most" in reading


def test_the_reference_run_itself_is_not_compared_with_the_file_it_replaces(tmp_path, monkeypatch):
    (tmp_path / "99_lesson.json").write_text(
        json.dumps({**_effect(0.5, seed=1), "profile": "full", "device": "cpu", "commit": "a"})
    )
    monkeypatch.setenv(course.MAKING_REFERENCE_ENV, "99_lesson")
    table, reading = course.compare_with_reference(_effect(0.9), "99_lesson", folder=tmp_path)
    assert (
        list(table.columns) == ["this reference run"] and "is the reference run of 99_lesson" in reading and "'gain'" in reading
    )
    monkeypatch.setenv(course.MAKING_REFERENCE_ENV, "98_other_lesson")
    table, _ = course.compare_with_reference(_effect(0.9), "99_lesson", folder=tmp_path)
    assert table.shape[1] == 2


@pytest.mark.parametrize("path", sorted(course.REFERENCE_DIR.glob("*.json")), ids=lambda p: p.stem)
def test_committed_reference_runs_have_the_effect_keys(path):
    reference = json.loads(path.read_text())
    assert set(course.EFFECT_KEYS) | {"profile", "device", "commit"} <= set(reference)
    assert reference["profile"] == "full" and len(reference["difference_ci"]) == 2


def test_a_broken_reference_file_is_one_clear_error(tmp_path):
    from ftcourse.errors import DataError

    (tmp_path / "99_lesson.json").write_text('{"claim": "x"}')
    with pytest.raises(DataError, match="lacks"):
        course.compare_with_reference(_effect(0.9), "99_lesson", folder=tmp_path)
    (tmp_path / "99_lesson.json").write_text('{"claim": ')
    with pytest.raises(DataError, match="not valid JSON"):
        course.load_reference("99_lesson", folder=tmp_path)


EFFECT_LESSONS = sorted(
    p.stem for p in (REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb") if "measure_effect(" in p.read_text()
)


# Lessons whose full-profile run is not made yet, with the issue that will make it. The list may only shrink: a test
# below fails once a listed lesson's reference is committed, so the entry cannot outlive its reason.
REFERENCE_PENDING: dict[str, str] = {}  # every lesson that measures an effect has its reference run (2026-12-05)


@pytest.mark.parametrize("lesson", sorted(set(EFFECT_LESSONS) - set(REFERENCE_PENDING)))
def test_every_lesson_that_measures_an_effect_has_its_reference_run_committed(lesson):
    """The lesson's closing table reads notebooks/reference/<lesson>.json; readers who run nothing get docs/reference/<lesson>.html."""
    assert (course.REFERENCE_DIR / f"{lesson}.json").is_file(), f"run bench/reference_runs.py notebooks/{lesson}.ipynb and commit"
    page = REPO_ROOT / "docs" / "reference" / f"{lesson}.html"
    assert page.is_file() and page.stat().st_size <= 1_500_000, page
    assert f"(docs/reference/{lesson}.html)" in (REPO_ROOT / "README.md").read_text(), "link the page from the README syllabus"


def test_the_training_lessons_all_measure_their_effect():
    assert {"01", "03", "04", "05", "06", "07", "09", "10"} <= {lesson[:2] for lesson in EFFECT_LESSONS}


@pytest.mark.parametrize("lesson", sorted(REFERENCE_PENDING))
def test_a_pending_reference_is_really_missing(lesson):
    assert lesson in EFFECT_LESSONS, f"{lesson} measures no effect: drop it from REFERENCE_PENDING"
    assert not (course.REFERENCE_DIR / f"{lesson}.json").exists(), (
        f"{lesson}'s reference is committed: drop it from REFERENCE_PENDING"
    )
