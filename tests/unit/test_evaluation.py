"""ftcourse.evaluation: every metric against a scikit-learn / scipy reference, bootstrap on known cases."""

import math

import numpy as np
import pytest
from scipy.stats import pearsonr, spearmanr
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    f1_score,
    ndcg_score,
    precision_score,
    recall_score,
    roc_auc_score,
)

from ftcourse import evaluation as ev


@pytest.fixture
def ranking_case():
    rng = np.random.default_rng(0)
    scores = rng.random((20, 30))  # continuous: no ties, so sklearn's tie averaging does not matter
    relevant = [set(rng.choice(30, size=rng.integers(1, 5), replace=False).tolist()) for _ in range(20)]
    return scores, relevant


def test_ndcg_matches_sklearn(ranking_case):
    scores, relevant = ranking_case
    gains = np.zeros_like(scores)
    for i, rel in enumerate(relevant):
        gains[i, list(rel)] = 1
    got = ev.retrieval_metrics(scores, relevant, ks=(1, 3, 5, 10, 30))
    for k in (1, 3, 5, 10, 30):
        assert got[f"ndcg@{k}"] == pytest.approx(ndcg_score(gains, scores, k=k))


def test_map_at_all_docs_matches_sklearn_average_precision(ranking_case):
    scores, relevant = ranking_case
    per_query = ev.retrieval_metrics(scores, relevant, ks=(30,), per_query=True)
    for i, rel in enumerate(relevant):
        truth = np.isin(np.arange(30), list(rel)).astype(int)
        assert per_query.loc[i, "map@30"] == pytest.approx(average_precision_score(truth, scores[i]))


def test_retrieval_matches_sentence_transformers_information_retrieval_evaluator(ranking_case):
    # The library's own metric code, fed our score matrix: same conventions for MRR, Recall, nDCG and MAP.
    from sentence_transformers.sentence_transformer.evaluation import InformationRetrievalEvaluator

    scores, relevant = ranking_case
    ks = [1, 3, 5, 10]
    queries = {f"q{i:03d}": f"query {i}" for i in range(len(scores))}
    corpus = {f"d{j:03d}": f"doc {j}" for j in range(scores.shape[1])}
    relevant_docs = {f"q{i:03d}": {f"d{j:03d}" for j in rel} for i, rel in enumerate(relevant)}
    evaluator = InformationRetrievalEvaluator(
        queries, corpus, relevant_docs, mrr_at_k=ks, ndcg_at_k=ks, accuracy_at_k=ks, precision_recall_at_k=ks, map_at_k=ks
    )
    results = [[{"corpus_id": f"d{j:03d}", "score": float(row[j])} for j in range(len(row))] for row in scores]
    reference = evaluator.compute_metrics(results)
    got = ev.retrieval_metrics(scores, relevant, ks=ks)
    for k in ks:
        for ours, theirs in (("ndcg", "ndcg@k"), ("mrr", "mrr@k"), ("recall", "recall@k"), ("map", "map@k")):
            assert got[f"{ours}@{k}"] == pytest.approx(reference[theirs][k]), (ours, k)


def test_mrr_and_recall_on_a_hand_checked_ranking():
    scores = np.array([[0.9, 0.8, 0.7, 0.6], [0.1, 0.2, 0.3, 0.4]])
    relevant = [{1, 3}, {0}]  # query 0: hits at ranks 2 and 4; query 1: doc 0 is ranked last (4)
    got = ev.retrieval_metrics(scores, relevant, ks=(1, 2, 4))
    assert got["mrr@1"] == 0
    assert got["mrr@2"] == pytest.approx((1 / 2 + 0) / 2)
    assert got["mrr@4"] == pytest.approx((1 / 2 + 1 / 4) / 2)
    assert got["recall@2"] == pytest.approx((1 / 2 + 0) / 2)
    assert got["recall@4"] == 1
    # AP@4 of query 0 = (1/2 + 2/4) / 2; query 1 = (1/4) / 1
    assert got["map@4"] == pytest.approx(((0.5 + 0.5) / 2 + 0.25) / 2)
    assert "ndcg@10" not in ev.retrieval_metrics(scores, relevant, ks=(10,))  # clipped to n_docs
    assert "ndcg@4" in ev.retrieval_metrics(scores, relevant, ks=(10,))


def test_retrieval_rejects_queries_without_relevant_documents():
    with pytest.raises(ValueError, match="query 1 has no relevant document"):
        ev.retrieval_metrics(np.zeros((2, 3)), [{0}, set()])
    with pytest.raises(ValueError, match="outside"):
        ev.retrieval_metrics(np.zeros((1, 3)), [{5}])


def test_sts_matches_scipy():
    rng = np.random.default_rng(1)
    gold = rng.random(50)
    predicted = gold + rng.normal(0, 0.3, 50)
    got = ev.sts_metrics(predicted, gold)
    assert got["spearman"] == pytest.approx(spearmanr(predicted, gold).statistic)
    assert got["pearson"] == pytest.approx(pearsonr(predicted, gold).statistic)
    with pytest.raises(ValueError, match="same examples"):
        ev.sts_metrics([1, 2], [1, 2, 3])


def _brute_force_pairs(scores, labels):
    best_acc = max(accuracy_score(labels, scores >= t) for t in scores)
    best_f1 = max(f1_score(labels, scores >= t) for t in scores)
    return best_acc, best_f1


def test_pair_classification_matches_brute_force_sklearn():
    rng = np.random.default_rng(2)
    labels = rng.integers(0, 2, 80)
    scores = labels * 0.3 + rng.random(80)
    got = ev.pair_classification_metrics(scores, labels)
    best_acc, best_f1 = _brute_force_pairs(scores, labels)
    assert got["accuracy"] == pytest.approx(max(best_acc, 1 - labels.mean()))
    assert got["f1"] == pytest.approx(best_f1)
    assert accuracy_score(labels, scores >= got["accuracy_threshold"]) == pytest.approx(got["accuracy"])
    predicted = scores >= got["f1_threshold"]
    assert f1_score(labels, predicted) == pytest.approx(got["f1"])
    assert precision_score(labels, predicted) == pytest.approx(got["precision"])
    assert recall_score(labels, predicted) == pytest.approx(got["recall"])
    assert got["average_precision"] == pytest.approx(average_precision_score(labels, scores))


def test_pair_classification_agrees_with_sentence_transformers_binary_evaluator():
    from sentence_transformers.sentence_transformer.evaluation import BinaryClassificationEvaluator as Binary

    rng = np.random.default_rng(13)
    labels = rng.integers(0, 2, 120)
    scores = labels * 0.4 + rng.random(120)
    got = ev.pair_classification_metrics(scores, labels)
    accuracy, _ = Binary.find_best_acc_and_threshold(scores, labels, True)
    f1, precision, recall, _ = Binary.find_best_f1_and_threshold(scores, labels, True)
    assert got["accuracy"] == pytest.approx(accuracy)
    assert got["f1"] == pytest.approx(f1)
    assert (got["precision"], got["recall"]) == pytest.approx((precision, recall))


def test_pair_classification_with_distances_flips_the_rule():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 2, 60)
    similarity = labels * 0.5 + rng.random(60)
    as_similarity = ev.pair_classification_metrics(similarity, labels)
    as_distance = ev.pair_classification_metrics(1 - similarity, labels, higher_means_similar=False)
    assert as_distance["f1"] == pytest.approx(as_similarity["f1"])
    assert as_distance["f1_threshold"] == pytest.approx(1 - as_similarity["f1_threshold"])
    assert f1_score(labels, (1 - similarity) <= as_distance["f1_threshold"]) == pytest.approx(as_distance["f1"])


def test_knn_accuracy_separated_and_mixed_classes():
    rng = np.random.default_rng(4)
    centres = np.eye(3, 8) * 10
    labels = np.repeat([0, 1, 2], 20)
    points = centres[labels] + rng.normal(0, 0.5, (60, 8))
    assert ev.knn_accuracy(points[::2], labels[::2], points[1::2], labels[1::2], k=3) == 1.0
    shuffled = rng.permutation(labels)
    assert ev.knn_accuracy(points[::2], shuffled[::2], points[1::2], shuffled[1::2], k=3) < 0.7


def test_clustering_scores():
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(5)
    labels = np.repeat([0, 1, 2], 15)
    points = np.eye(3, 6)[labels] * 5 + rng.normal(0, 0.3, (45, 6))
    got = ev.clustering_scores(points, labels)
    assert got["purity"] == 1.0
    assert got["silhouette"] == pytest.approx(silhouette_score(points, labels, metric="cosine"))
    noise = ev.clustering_scores(rng.normal(size=(45, 6)), labels)
    assert noise["purity"] < 0.8 and noise["silhouette"] < 0.1


def test_top_k_accuracy_by_hand():
    probs = np.array([[0.5, 0.3, 0.2], [0.1, 0.3, 0.6], [0.2, 0.5, 0.3]])
    labels = np.array([1, 2, 0])
    assert ev.top_k_accuracy(probs, labels, k=1) == pytest.approx(1 / 3)
    assert ev.top_k_accuracy(probs, labels, k=2) == pytest.approx(2 / 3)


def test_classification_report_table_macro_f1():
    y_true = np.array([0, 0, 1, 1, 2, 2, 2, 0])
    y_pred = np.array([0, 1, 1, 1, 2, 0, 2, 0])
    table, macro = ev.classification_report_table(y_true, y_pred, ["hate", "offensive", "neither"])
    assert macro == pytest.approx(f1_score(y_true, y_pred, average="macro"))
    assert table.loc["hate", "support"] == 3
    assert table.loc["offensive", "f1-score"] == pytest.approx(f1_score(y_true == 1, y_pred == 1))
    # a class never predicted and never present still gets a row (0, not a crash)
    table, _ = ev.classification_report_table([0, 0, 1], [0, 0, 1], ["a", "b", "c"])
    assert table.loc["c", "support"] == 0


def test_multilabel_report_refuses_rare_labels():
    rng = np.random.default_rng(6)
    y_true = np.zeros((100, 3), dtype=int)
    y_true[:30, 0] = 1
    y_true[:3, 1] = 1  # only 3 positives
    y_true[:, 2] = 1  # no negatives
    y_prob = np.clip(y_true * 0.4 + rng.random((100, 3)) * 0.6, 0, 1)
    table, macro = ev.multilabel_report(y_true, y_prob, ["toxic", "threat", "always"], min_positives=5)
    assert table.loc["toxic", "roc_auc"] == pytest.approx(roc_auc_score(y_true[:, 0], y_prob[:, 0]))
    assert table.loc["toxic", "pr_auc"] == pytest.approx(average_precision_score(y_true[:, 0], y_prob[:, 0]))
    assert table.loc["threat", "status"] == "too few positives (n=3)"
    assert math.isnan(table.loc["threat", "roc_auc"]) and math.isnan(table.loc["threat", "pr_auc"])
    assert table.loc["always", "status"] == "no negatives"
    assert macro["n_evaluated"] == 1 and macro["not_evaluated"] == ["threat", "always"]
    assert macro["roc_auc"] == pytest.approx(table.loc["toxic", "roc_auc"])
    assert table.loc["toxic", "prevalence"] == pytest.approx(0.3)


def test_tune_thresholds_beats_half_and_warns_without_positives():
    rng = np.random.default_rng(7)
    y_true = np.zeros((200, 2), dtype=int)
    y_true[:20, 0] = 1
    y_prob = np.column_stack([y_true[:, 0] * 0.3 + rng.random(200) * 0.3, rng.random(200)])  # label 0 never above 0.6
    with pytest.warns(UserWarning, match="no positives"):
        thresholds = ev.tune_thresholds(y_true, y_prob, ["rare", "empty"])
    assert thresholds["empty"] == 0.5
    grid = ev.DEFAULT_THRESHOLD_GRID
    brute = max(f1_score(y_true[:, 0], y_prob[:, 0] >= t) for t in grid)
    table, macro = ev.f1_at_thresholds(y_true, y_prob, thresholds)
    assert table.loc["rare", "f1"] == pytest.approx(brute)
    assert table.loc["rare", "f1"] > ev.f1_at_thresholds(y_true, y_prob, 0.5, ["rare", "empty"])[0].loc["rare", "f1"]
    assert macro == pytest.approx(table.loc["rare", "f1"])  # "empty" has no positives: left out of the mean


def test_f1_at_thresholds_matches_sklearn():
    rng = np.random.default_rng(8)
    y_true = rng.integers(0, 2, (50, 3))
    y_prob = rng.random((50, 3))
    table, macro = ev.f1_at_thresholds(y_true, y_prob, [0.3, 0.5, 0.7], ["a", "b", "c"])
    predicted = y_prob >= np.array([0.3, 0.5, 0.7])
    assert list(table["f1"]) == pytest.approx([f1_score(y_true[:, j], predicted[:, j]) for j in range(3)])
    assert macro == pytest.approx(f1_score(y_true, predicted, average="macro"))
    with pytest.raises(ValueError, match="no value"):
        ev.f1_at_thresholds(y_true, y_prob, {"a": 0.5}, ["a", "b", "c"])


def test_label_macro_f1_matches_sklearn_with_an_empty_column():
    rng = np.random.default_rng(9)
    y_true, y_pred = rng.integers(0, 2, (60, 4)), rng.integers(0, 2, (60, 4))
    y_true[:, 3], y_pred[:, 3] = 0, 0  # no positive on either side: F1 0, as sklearn's zero_division=0
    expected = np.mean([f1_score(y_true[:, j], y_pred[:, j], zero_division=0) for j in range(4)])
    assert ev.label_macro_f1(y_true, y_pred) == pytest.approx(expected)
    assert ev.label_macro_f1(y_true[:, 0], y_pred[:, 0]) == pytest.approx(f1_score(y_true[:, 0], y_pred[:, 0]))
    with pytest.raises(ValueError, match="same rows"):
        ev.label_macro_f1(y_true, y_pred[:10])


def test_bootstrap_ci_of_a_mean_covers_truth_and_narrows_with_n():
    rng = np.random.default_rng(9)
    small, large = rng.normal(3.0, 1.0, 100), rng.normal(3.0, 1.0, 2000)
    point, low, high = ev.bootstrap_ci(np.mean, small)
    assert point == pytest.approx(small.mean()) and low < 3.0 < high
    _, low_l, high_l = ev.bootstrap_ci(np.mean, large)
    assert low_l < 3.0 < high_l
    assert (high_l - low_l) < (high - low) / 3  # width shrinks like 1/sqrt(n): sqrt(20) ~ 4.5
    # the normal-theory interval of a mean is +-1.96 standard errors
    assert (high - low) == pytest.approx(2 * 1.96 * small.std(ddof=1) / np.sqrt(100), rel=0.15)


def _accuracy(y_true, y_pred):
    # numpy accuracy: the same number as sklearn's accuracy_score, without its input checks (thousands of calls here)
    return float(np.mean(y_true == y_pred))


def test_bootstrap_ci_agrees_with_scipy_percentile_bootstrap():
    from scipy.stats import bootstrap

    rng = np.random.default_rng(10)
    y_true = rng.integers(0, 2, 300)
    y_pred = np.where(rng.random(300) < 0.8, y_true, 1 - y_true)
    point, low, high = ev.bootstrap_ci(_accuracy, y_true, y_pred, n_resamples=2000)
    ref = bootstrap((y_true, y_pred), _accuracy, paired=True, vectorized=False, n_resamples=2000, method="percentile", rng=0)
    assert point == pytest.approx(accuracy_score(y_true, y_pred))
    assert low == pytest.approx(ref.confidence_interval.low, abs=0.01)
    assert high == pytest.approx(ref.confidence_interval.high, abs=0.01)
    assert ev.bootstrap_ci(_accuracy, y_true, y_pred, seed=3) == ev.bootstrap_ci(_accuracy, y_true, y_pred, seed=3)


def test_bootstrap_skips_undefined_resamples_with_a_warning():
    y_true = np.array([1] + [0] * 19)
    scores = np.linspace(0, 1, 20)
    with pytest.warns(UserWarning, match="undefined on"):
        point, low, high = ev.bootstrap_ci(roc_auc_score, y_true, scores, n_resamples=200)
    assert low <= point <= high


def test_paired_bootstrap_identical_models_and_a_real_gain():
    rng = np.random.default_rng(11)
    y_true = rng.integers(0, 2, 400)
    pred_a = np.where(rng.random(400) < 0.7, y_true, 1 - y_true)
    same = ev.paired_bootstrap(_accuracy, y_true, pred_a, pred_a.copy())
    assert same["delta"] == 0 and same["low"] == 0 and same["high"] == 0 and same["p_value"] == 1.0
    pred_b = np.where(rng.random(400) < 0.5, y_true, pred_a)  # fixes about half of A's errors
    gain = ev.paired_bootstrap(_accuracy, y_true, pred_a, pred_b)
    assert gain["delta"] > 0.1 and gain["low"] > 0 and gain["p_value"] < 0.01
    assert gain["metric_b"] - gain["metric_a"] == pytest.approx(gain["delta"])


def test_bootstrap_over_queries_with_ragged_relevance_sets():
    per_query = ev.retrieval_metrics(
        np.random.default_rng(12).random((30, 10)), [{i % 10} for i in range(30)], ks=(3,), per_query=True
    )
    point, low, high = ev.bootstrap_ci(np.mean, per_query["ndcg@3"].to_numpy())
    assert low <= point <= high


def test_pair_cosines_match_the_library_cosine_per_row():
    import pandas as pd
    from sentence_transformers.util import cos_sim

    from ftcourse.errors import DataError
    from ftcourse.models import load_sentence_transformer

    model = load_sentence_transformer("sentence-transformers/all-MiniLM-L6-v2")
    pairs = pd.DataFrame(
        {
            "sentence1": ["a cat sat on the mat", "stocks fell sharply", "hello"],
            "sentence2": ["a cat was sitting on a mat", "the weather is nice", "hello"],
        }
    )
    got = ev.pair_cosines(model, pairs)
    a, b = model.encode(pairs["sentence1"].tolist()), model.encode(pairs["sentence2"].tolist())
    expected = [float(cos_sim(a[i], b[i])) for i in range(len(pairs))]
    assert got.shape == (3,) and np.allclose(got, expected, atol=1e-5)
    assert got[0] > got[1] and got[2] == pytest.approx(1.0, abs=1e-5)  # the paraphrase beats the unrelated pair
    with pytest.raises(DataError, match="missing column.*sentence2.*Fix"):
        ev.pair_cosines(model, pairs.rename(columns={"sentence2": "other"}))


def test_threshold_moving_and_tuning():
    rng = np.random.default_rng(0)
    n = 600
    y = rng.choice(3, size=n, p=[0.06, 0.74, 0.20])
    probs = rng.dirichlet([1, 1, 1], size=n)
    probs[:, 0] += (y == 0) * 0.25  # the rare class 0 scores higher when true, but rarely wins argmax
    probs /= probs.sum(axis=1, keepdims=True)
    assert (ev.threshold_moving(probs, 0, 1.01) != 0).all()  # unreachable threshold: never predicted
    low = ev.threshold_moving(probs, 0, 0.0)
    assert (low == 0).all()
    mid = ev.threshold_moving(probs, 0, 0.4)
    others = probs[:, 1:].argmax(axis=1) + 1
    assert np.array_equal(mid, np.where(probs[:, 0] >= 0.4, 0, others))
    threshold, best = ev.tune_class_threshold(y, probs, 0, objective="class_f1")
    argmax_f1 = f1_score(y == 0, probs.argmax(axis=1) == 0)
    assert best >= argmax_f1 and best == pytest.approx(f1_score(y == 0, ev.threshold_moving(probs, 0, threshold) == 0))
    _, macro = ev.tune_class_threshold(y, probs, 0, objective="macro_f1")
    assert 0 < macro <= 1


def test_knn_predictions_match_sklearn_and_the_accuracy():
    from sklearn.neighbors import KNeighborsClassifier

    rng = np.random.default_rng(3)
    points, labels = rng.normal(size=(60, 4)), rng.integers(0, 3, 60)
    ours = ev.knn_predictions(points[:40], labels[:40], points[40:], k=5)
    reference = KNeighborsClassifier(n_neighbors=5, metric="cosine").fit(points[:40], labels[:40]).predict(points[40:])
    assert (ours == reference).all()
    assert ev.knn_accuracy(points[:40], labels[:40], points[40:], labels[40:], k=5) == pytest.approx(
        float(np.mean(ours == labels[40:]))
    )
