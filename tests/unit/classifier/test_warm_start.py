"""Linear probe, then fine-tune: the head starts where a logistic regression on its own inputs ends."""

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from ftcourse.classifier.labels import MULTI, SINGLE
from ftcourse.classifier.warm_start import fit_probe, head_inputs, warm_start_head
from ftcourse.errors import UsageError
from tests.unit.conftest import toy_frame


@pytest.fixture
def tiny_classifier(tiny_bert_dir):
    def make(n_labels, problem_type):
        torch.manual_seed(0)
        model = AutoModelForSequenceClassification.from_pretrained(tiny_bert_dir, num_labels=n_labels, problem_type=problem_type)
        return model, AutoTokenizer.from_pretrained(tiny_bert_dir)

    return make


def test_head_inputs_are_what_the_head_reads(tiny_classifier):
    model, tokenizer = tiny_classifier(3, SINGLE)
    texts = toy_frame(10)["text"].tolist()
    features = head_inputs(model, tokenizer, texts, max_length=16, batch_size=4)
    model.eval()
    with torch.no_grad():
        batch = tokenizer(texts, truncation=True, max_length=16, padding=True, return_tensors="pt")
        logits = model(**batch).logits.numpy()
    head = model.classifier
    np.testing.assert_allclose(features @ head.weight.detach().numpy().T + head.bias.detach().numpy(), logits, atol=1e-5)
    assert model.training is False  # left as it was found (eval here)


def test_binary_probe_gives_the_same_probabilities_as_the_regression():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 5))
    y = (x[:, 0] + 0.3 * rng.normal(size=80) > 0).astype(int)
    weight, bias = fit_probe(x, y, SINGLE, 2)
    logits = x @ weight.T + bias
    softmax = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    reference = LogisticRegression(max_iter=2000, random_state=0).fit(x, y).predict_proba(x)
    np.testing.assert_allclose(softmax, reference, atol=1e-5)


def test_multilabel_probe_one_regression_per_label_and_no_positive_means_never():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(60, 4))
    y = np.stack([(x[:, 1] > 0).astype(int), np.zeros(60, dtype=int)], axis=1)
    weight, bias = fit_probe(x, y, MULTI, 2)
    reference = LogisticRegression(max_iter=2000, random_state=0).fit(x, y[:, 0])
    np.testing.assert_allclose(weight[0], reference.coef_[0], rtol=1e-4, atol=1e-6)
    assert bias[1] < 0 and not weight[1].any()


def test_warm_start_sets_the_head_and_reports_the_probe(tiny_classifier):
    df = toy_frame(48)
    targets = (df["label"] == "bad").astype(int).to_numpy()
    model, tokenizer = tiny_classifier(2, SINGLE)
    before = model.classifier.weight.detach().clone()
    report = warm_start_head(model, tokenizer, df["text"].tolist(), targets, SINGLE, max_length=16)
    assert not torch.equal(before, model.classifier.weight)
    assert 0 <= report["train_accuracy"] <= 1 and report["seconds"] >= 0
    model.eval()
    with torch.no_grad():
        batch = tokenizer(df["text"].tolist(), truncation=True, max_length=16, padding=True, return_tensors="pt")
        predicted = model(**batch).logits.argmax(dim=1).numpy()
    assert (predicted == targets).mean() == pytest.approx(report["train_accuracy"])


def test_a_head_that_is_not_linear_is_refused(tiny_classifier):
    model, tokenizer = tiny_classifier(2, SINGLE)
    model.classifier = torch.nn.Sequential(torch.nn.Linear(32, 2))
    with pytest.raises(UsageError, match="head_init"):
        warm_start_head(model, tokenizer, ["a b"], np.array([0]), SINGLE, max_length=8)
