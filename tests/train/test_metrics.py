"""Metrics against hand computations (no scikit-learn)."""

import pytest
import torch

from hetgat.train.metrics import (
    classification_metrics,
    f1_scores,
    multilabel_f1_scores,
    one_class,
)


def test_single_label_hand_computed():
    true = torch.tensor([0, 0, 1, 1, 2, 2])
    pred = torch.tensor([0, 1, 1, 1, 0, 2])
    # class 0: tp 1, fp 1, fn 1 -> 0.5; class 1: tp 2, fp 1, fn 0 -> 0.8; class 2: tp 1, fn 1 -> 2/3
    macro, micro = f1_scores(pred, true, 4)  # class 3 absent from both: not averaged
    assert macro == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)
    assert micro == pytest.approx(4 / 6)


def test_single_label_from_logits():
    logits = torch.tensor([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0]])
    m = classification_metrics(logits, torch.tensor([0, 0, 0]), 2)
    assert m["accuracy"] == pytest.approx(2 / 3)
    # class 0: tp 2, fn 1 -> 0.8; class 1: fp 1 -> 0
    assert m["macro_f1"] == pytest.approx(0.4)


def test_multilabel_hand_computed():
    true = torch.tensor([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 0]], dtype=torch.float32)
    probs = torch.tensor([[0.9, 0.2, 0.4], [0.1, 0.8, 0.6], [0.7, 0.3, 0.1], [0.2, 0.1, 0.3]])
    pred = probs > 0.5
    # class 0: tp 2 -> F1 1; class 1: tp 1, fn 1 -> 2/3; class 2: fp 1, fn 1 -> 0
    macro, micro = multilabel_f1_scores(pred, true)
    assert macro == pytest.approx((1 + 2 / 3 + 0) / 3)
    # totals: tp 3, fp 1, fn 2 -> 6 / 9
    assert micro == pytest.approx(6 / 9)
    m = classification_metrics(probs, true, 3, multilabel=True)
    assert m["accuracy"] == pytest.approx(1 / 4)  # only the all-negative row is exactly right
    assert m["micro_f1"] == pytest.approx(6 / 9)


def test_multilabel_class_without_positives_counts_as_zero():
    true = torch.tensor([[1, 0], [1, 0]], dtype=torch.float32)
    macro, micro = multilabel_f1_scores(true.bool(), true)
    assert macro == pytest.approx(0.5) and micro == pytest.approx(1.0)


def test_empty_split_is_nan():
    m = classification_metrics(torch.zeros(0, 3), torch.zeros(0, dtype=torch.long), 3)
    assert all(v != v for v in m.values())


def test_one_class_means_collapsed_where_the_labels_are_not():
    scores = torch.tensor([[0.9, 0.1], [0.8, 0.2], [0.7, 0.3]])
    assert one_class(scores, torch.tensor([0, 1, 0]))
    assert not one_class(scores, torch.tensor([0, 0, 0]))  # right, not collapsed
    assert not one_class(torch.tensor([[0.9, 0.1], [0.2, 0.8]]), torch.tensor([0, 1]))
    assert not one_class(scores[:1], torch.tensor([0]))
    # multi-label: one label set (probabilities above 0.5) for every node
    labels = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    same = torch.tensor([[0.9, 0.2, 0.6], [0.7, 0.4, 0.8], [0.6, 0.1, 0.9]])  # {0, 2} each
    assert one_class(same, labels, multilabel=True)
    assert not one_class(same, labels[[0, 0, 0]], multilabel=True)  # right, not collapsed
    assert not one_class(labels * 0.8, labels, multilabel=True)  # three different sets
    nothing = torch.full((3, 3), 0.1)  # no label for any node: collapsed too
    assert one_class(nothing, labels, multilabel=True)
