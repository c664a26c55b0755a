"""Class weights, positive weights and the focal loss (ftcourse.classifier.losses)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.utils.class_weight import compute_class_weight

from ftcourse.classifier import losses as im
from ftcourse.errors import DataError


def test_class_weights_inverse_matches_sklearn_balanced():
    labels = np.array([0] * 6 + [1] * 24 + [2] * 70)
    expected = compute_class_weight("balanced", classes=np.arange(3), y=labels)
    got = im.class_weights(labels, method="inverse", normalise=False)
    assert got.dtype == torch.float32 and np.allclose(got.numpy(), expected)
    normalised = im.class_weights(labels, method="inverse")
    assert normalised.mean().item() == pytest.approx(1.0)
    assert np.allclose(normalised.numpy() / normalised[0].item(), expected / expected[0], rtol=1e-6)


def test_class_weights_sqrt_and_effective_number():
    labels = np.array([0] * 10 + [1] * 1000)
    sqrt = im.class_weights(labels, method="sqrt_inverse", normalise=False).numpy()
    assert sqrt == pytest.approx([1 / np.sqrt(10), 1 / np.sqrt(1000)])
    effective = im.class_weights(labels, method="effective_number", beta=0.99, normalise=False).numpy()
    assert effective == pytest.approx([(1 - 0.99) / (1 - 0.99**10), (1 - 0.99) / (1 - 0.99**1000)])
    # beta -> 1 approaches inverse frequency; beta = 0 gives equal weights
    near_one = im.class_weights(labels, method="effective_number", beta=0.999999).numpy()
    inverse = im.class_weights(labels, method="inverse").numpy()
    assert near_one == pytest.approx(inverse, rel=1e-3)
    assert im.class_weights(labels, method="effective_number", beta=0.0).numpy() == pytest.approx([1.0, 1.0])
    with pytest.raises(DataError, match=r"\[1\] have no training example"):
        im.class_weights([0, 0, 2])


def test_pos_weights_is_negatives_over_positives():
    y = np.zeros((100, 3), dtype=int)
    y[:50, 0], y[:10, 1], y[:1, 2] = 1, 1, 1
    assert im.pos_weights(y).numpy() == pytest.approx([1.0, 9.0, 99.0])
    assert im.pos_weights(y, method="sqrt_ratio").numpy() == pytest.approx([1.0, 3.0, np.sqrt(99)])
    assert im.pos_weights(y, max_weight=20).numpy() == pytest.approx([1.0, 9.0, 20.0])
    y[:, 2] = 0
    with pytest.raises(DataError, match=r"\[2\]"):
        im.pos_weights(y)


@pytest.fixture
def multiclass():
    torch.manual_seed(0)
    return torch.randn(32, 4), torch.randint(0, 4, (32,))


def test_focal_with_gamma_zero_is_cross_entropy(multiclass):
    logits, targets = multiclass
    assert im.focal_loss(logits, targets, gamma=0.0).item() == pytest.approx(F.cross_entropy(logits, targets).item(), rel=1e-6)
    weights = torch.tensor([0.5, 1.0, 2.0, 4.0])
    assert im.focal_loss(logits, targets, gamma=0.0, alpha=weights).item() == pytest.approx(
        F.cross_entropy(logits, targets, weight=weights).item(), rel=1e-6
    )
    per_example = im.focal_loss(logits, targets, gamma=0.0, reduction="none")
    assert torch.allclose(per_example, F.cross_entropy(logits, targets, reduction="none"), atol=1e-6)


def test_focal_down_weights_easy_examples(multiclass):
    logits, targets = multiclass
    ce = F.cross_entropy(logits, targets, reduction="none")
    focal = im.focal_loss(logits, targets, gamma=2.0, reduction="none")
    p_t = torch.softmax(logits, -1).gather(1, targets[:, None]).squeeze(1)
    assert torch.allclose(focal, (1 - p_t) ** 2 * ce, atol=1e-6)
    assert (focal <= ce + 1e-7).all()
    easy, hard = p_t.argmax(), p_t.argmin()
    assert focal[easy] / ce[easy] < focal[hard] / ce[hard]


def test_sigmoid_focal_matches_bce_and_the_paper_formula():
    torch.manual_seed(1)
    logits, targets = torch.randn(16, 6), torch.randint(0, 2, (16, 6)).float()
    assert im.focal_loss(logits, targets, gamma=0.0).item() == pytest.approx(
        F.binary_cross_entropy_with_logits(logits, targets).item(), rel=1e-6
    )
    pos = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    assert im.focal_loss(logits, targets, gamma=0.0, alpha=pos).item() == pytest.approx(
        F.binary_cross_entropy_with_logits(logits, targets, pos_weight=pos).item(), rel=1e-6
    )
    p = torch.sigmoid(logits)
    p_t = p * targets + (1 - p) * (1 - targets)
    alpha_t = 0.25 * targets + 0.75 * (1 - targets)
    paper = (-alpha_t * (1 - p_t) ** 2 * torch.log(p_t)).mean()
    assert im.focal_loss(logits, targets, gamma=2.0, alpha=0.25).item() == pytest.approx(paper.item(), rel=1e-5)


def test_focal_loss_module_trains_and_reports_config(multiclass):
    logits, targets = multiclass
    module = im.FocalLoss(gamma=2.0, alpha=[1.0, 1.0, 2.0, 2.0])
    assert module(logits, targets).item() == pytest.approx(
        im.focal_loss(logits, targets, 2.0, torch.tensor([1.0, 1.0, 2.0, 2.0])).item()
    )
    assert module.get_config_dict() == {"gamma": 2.0, "alpha": [1.0, 1.0, 2.0, 2.0], "reduction": "mean"}
    assert "alpha" in dict(module.named_buffers())  # moves with .to(device)
    leaf = logits.clone().requires_grad_(True)
    im.FocalLoss(gamma=1.0, alpha=0.25)(leaf[:, :1], (targets[:, None] == 0).float()).backward()
    assert leaf.grad is not None and torch.isfinite(leaf.grad).all()
    with pytest.raises(ValueError, match="do not fit"):
        im.focal_loss(torch.randn(4, 3), torch.randn(4, 2))
