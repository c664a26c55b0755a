import math

import pytest

from tests.notebooks.conftest import check_effect

pytestmark = pytest.mark.notebook

# CI's one run of the lesson trains with gradient caching (4 of the batch's 16 pairs at a time), the form the full profile
# uses on a CPU: so the notebook's wiring of it is run here; plain MNRL trains in lessons 12 and 13.
LESSON = "notebooks/07_multiple_negatives_ranking.ipynb"
CACHED = {"MINI_BATCH_SIZE": 4}


def test_mnrl_improves_retrieval_on_held_out_queries(run_lesson):
    m = run_lesson(LESSON, **CACHED).metrics
    for key in ("ndcg@10_before", "ndcg@10_after", "mrr@10_before", "mrr@10_after", "recall@1_before", "recall@1_after"):
        assert math.isfinite(m[key]), key
    # the claim of the lesson: fine-tuning on the FAQ's own pairs helps on users' unseen wordings
    assert m["ndcg@10_after"] > m["ndcg@10_before"] + 0.03
    assert m["mrr@10_after"] > m["mrr@10_before"] + 0.03
    assert m["ndcg@10_gain_ci"][0] > 0, "the bootstrap interval of the gain should exclude zero"
    assert m["ir_evaluator_agrees"]
    assert m["trained_loss"] == "cached_mnrl", "MINI_BATCH_SIZE should switch the headline model to MNRL's cached form"


def test_mechanics_shown_in_the_fast_profile(run_lesson):
    m = run_lesson(LESSON, **CACHED).metrics
    assert m["sampler_batches_with_repeats"]["no_duplicates"] == 0
    assert m["sampler_batches_with_repeats"]["batch_sampler (default)"] > 0
    assert m["cached_mnrl_loss"] == pytest.approx(m["mnrl_loss"], rel=1e-4)
    assert m["cached_gradient_match"]
    by_dim = m["ndcg@10_by_dim"]["base model"]
    assert by_dim["384"] > by_dim["48"], "cutting a normal model to 48 dimensions should cost quality"


def test_the_lesson_effect_is_measured(run_lesson):
    check_effect(run_lesson(LESSON, **CACHED).metrics["effect"], "clear gain")
