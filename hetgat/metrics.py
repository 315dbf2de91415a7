"""Classification metrics computed with torch (no scikit-learn needed)."""

from __future__ import annotations

import torch


def f1_scores(pred: torch.Tensor, true: torch.Tensor, num_classes: int) -> tuple[float, float]:
    """Macro- and micro-F1 of single-label predictions.

    Macro-F1 averages the per-class F1 over the classes present in ``true`` or ``pred`` (as
    scikit-learn does); a class with no true and no predicted node does not count. Micro-F1 of
    single-label predictions equals accuracy.
    """
    if len(true) == 0:
        return float("nan"), float("nan")
    tp = torch.bincount(true[pred == true], minlength=num_classes).double()
    n_pred = torch.bincount(pred, minlength=num_classes).double()
    n_true = torch.bincount(true, minlength=num_classes).double()
    present = (n_pred + n_true) > 0
    f1 = 2 * tp[present] / (n_pred[present] + n_true[present])
    micro = tp.sum() / len(true)
    return float(f1.mean()), float(micro)


def classification_metrics(logits: torch.Tensor, labels: torch.Tensor, num_classes: int) -> dict:
    """``accuracy``, ``macro_f1`` and ``micro_f1`` of ``logits.argmax(1)`` against ``labels``."""
    pred = logits.argmax(1)
    macro, micro = f1_scores(pred, labels, num_classes)
    acc = float((pred == labels).double().mean()) if len(labels) else float("nan")
    return {"accuracy": acc, "macro_f1": macro, "micro_f1": micro}
