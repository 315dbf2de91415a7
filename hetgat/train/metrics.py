"""Classification metrics computed with torch (no scikit-learn needed).

The conventions are scikit-learn's: single-label macro-F1 averages over the classes present in
the true or predicted labels; multi-label macro-F1 averages over all classes, a class with no
true and no predicted positive counting as F1 = 0.
"""

from __future__ import annotations

import torch

THRESHOLD = 0.5


def f1_scores(pred: torch.Tensor, true: torch.Tensor, num_classes: int) -> tuple[float, float]:
    """Macro- and micro-F1 of single-label predictions (micro-F1 equals accuracy here)."""
    if len(true) == 0:
        return float("nan"), float("nan")
    tp = torch.bincount(true[pred == true], minlength=num_classes).double()
    n_pred = torch.bincount(pred, minlength=num_classes).double()
    n_true = torch.bincount(true, minlength=num_classes).double()
    present = (n_pred + n_true) > 0
    f1 = 2 * tp[present] / (n_pred[present] + n_true[present])
    micro = tp.sum() / len(true)
    return float(f1.mean()), float(micro)


def multilabel_f1_scores(pred: torch.Tensor, true: torch.Tensor) -> tuple[float, float]:
    """Macro- and micro-F1 of 0/1 matrices ``(N, C)``."""
    if len(true) == 0:
        return float("nan"), float("nan")
    pred, true = pred.bool(), true.bool()
    tp = (pred & true).sum(0).double()
    fp = (pred & ~true).sum(0).double()
    fn = (~pred & true).sum(0).double()
    denom = 2 * tp + fp + fn
    per_class = torch.where(denom > 0, 2 * tp / denom.clamp(min=1), torch.zeros_like(tp))
    micro_denom = float(denom.sum())
    micro = float(2 * tp.sum() / micro_denom) if micro_denom > 0 else 0.0
    return float(per_class.mean()), micro


def one_class(scores: torch.Tensor, labels: torch.Tensor, multilabel: bool = False) -> bool:
    """Whether ``scores`` ``(N, C)`` give every node the same prediction where the true
    ``labels`` differ (a collapsed model): one class (single-label: the argmax of logits or
    probabilities), or one label set (multi-label: probabilities above 0.5, as
    :func:`classification_metrics` reads them)."""
    if len(labels) < 2 or bool((labels == labels[0]).all()):
        return False
    predicted = scores > THRESHOLD if multilabel else scores.argmax(1)
    return bool((predicted == predicted[0]).all())


def classification_metrics(
    scores: torch.Tensor, labels: torch.Tensor, num_classes: int, multilabel: bool = False
) -> dict:
    """``accuracy``, ``macro_f1`` and ``micro_f1``.

    Single-label: of ``scores.argmax(1)`` (logits or probabilities). Multi-label: ``scores`` are
    probabilities thresholded at 0.5, and accuracy is the share of nodes whose whole label set
    is right (subset accuracy).
    """
    if len(labels) == 0:
        return {"accuracy": float("nan"), "macro_f1": float("nan"), "micro_f1": float("nan")}
    if multilabel:
        pred = scores > THRESHOLD
        macro, micro = multilabel_f1_scores(pred, labels)
        acc = float((pred == labels.bool()).all(1).double().mean())
        return {"accuracy": acc, "macro_f1": macro, "micro_f1": micro}
    pred = scores.argmax(1)
    macro, micro = f1_scores(pred, labels, num_classes)
    acc = float((pred == labels).double().mean())
    return {"accuracy": acc, "macro_f1": macro, "micro_f1": micro}
