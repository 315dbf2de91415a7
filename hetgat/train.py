"""Full-batch training with early stopping on validation, and evaluation."""

from __future__ import annotations

import copy
import random
import sys
import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from hetgat._dgl import dgl
from hetgat.config import ModelConfig, TrainConfig
from hetgat.data import GraphData
from hetgat.errors import HetgatError
from hetgat.metrics import classification_metrics
from hetgat.models import build_model

SPLITS = ("train", "val", "test")


@dataclass
class FitResult:
    """What :func:`fit` returns.

    Attributes
    ----------
    model : torch.nn.Module
        The model with the best validation weights restored, in eval mode.
    metrics : dict
        ``<split>_accuracy``, ``<split>_macro_f1``, ``<split>_micro_f1`` for each split, plus
        ``best_epoch``, ``epochs_run`` and ``seconds_per_epoch``.
    history : list of dict
        One row per epoch: ``epoch, train_loss, val_loss, val_accuracy, val_macro_f1, seconds``.
    """

    model: torch.nn.Module
    metrics: dict
    history: list = field(default_factory=list)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy, torch and DGL (DGL's samplers draw from their own generator)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    dgl.seed(seed)


def model_inputs(data: GraphData, device: str = "cpu"):
    """The graph and the features of every node type, on ``device``."""
    return data.graph.to(device), {t: f.to(device) for t, f in data.features.items()}


def fit(
    data: GraphData,
    model_config: ModelConfig = ModelConfig(),
    train_config: TrainConfig = TrainConfig(),
    *,
    progress: bool = False,
) -> FitResult:
    """Train a node classifier on ``data`` and evaluate it on every split.

    Early stopping follows the GAT paper: the patience counter restarts whenever validation
    loss or validation accuracy improves, and the weights kept are those of the last epoch at
    which both were at least as good as ever. ``patience=0`` runs exactly ``epochs`` epochs and
    keeps the weights chosen by the same rule.
    """
    if not bool(data.train_mask.any()):
        raise HetgatError("no labelled training node: nothing to learn from")
    seed_everything(train_config.seed)
    device = train_config.device
    graph, features = model_inputs(data, device)
    labels = data.labels.to(device)
    masks = {s: getattr(data, f"{s}_mask").to(device) for s in SPLITS}
    model = build_model(model_config, data.schema()).to(device)
    opt = torch.optim.Adam(
        model.parameters(), lr=train_config.lr, weight_decay=train_config.weight_decay
    )
    train_idx = masks["train"].nonzero().squeeze(1)
    val_idx = masks["val"].nonzero().squeeze(1)
    has_val = len(val_idx) > 0
    best_acc, best_loss = -1.0, float("inf")
    best_state, best_epoch, waited = None, 0, 0
    history = []
    bar = _progress_bar(train_config.epochs, progress)
    start = time.perf_counter()
    for epoch in range(train_config.epochs):
        tick = time.perf_counter()
        model.train()
        opt.zero_grad(set_to_none=True)
        logits = model(graph, features)
        loss = F.cross_entropy(logits[train_idx], labels[train_idx])
        if not torch.isfinite(loss):
            raise HetgatError(f"the training loss became {loss.item()} at epoch {epoch}")
        loss.backward()
        opt.step()
        model.eval()
        with torch.no_grad():
            logits = model(graph, features)
            idx = val_idx if has_val else train_idx
            val_loss = float(F.cross_entropy(logits[idx], labels[idx]))
            val = classification_metrics(logits[idx], labels[idx], data.num_classes)
        history.append(
            {
                "epoch": epoch,
                "train_loss": loss.item(),
                "val_loss": val_loss,
                "val_accuracy": val["accuracy"],
                "val_macro_f1": val["macro_f1"],
                "seconds": time.perf_counter() - tick,
            }
        )
        if val["accuracy"] >= best_acc or val_loss <= best_loss:
            if val["accuracy"] >= best_acc and val_loss <= best_loss:
                best_state = copy.deepcopy(model.state_dict())
                best_epoch = epoch
            best_acc, best_loss = max(best_acc, val["accuracy"]), min(best_loss, val_loss)
            waited = 0
        else:
            waited += 1
        if bar is not None:
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}", val_acc=f"{val['accuracy']:.3f}")
        if train_config.patience and waited >= train_config.patience:
            break
    if bar is not None:
        bar.close()
    elapsed = time.perf_counter() - start
    model.load_state_dict(best_state)
    model.eval()
    metrics = evaluate(model, data, device)
    metrics.update(
        best_epoch=best_epoch,
        epochs_run=len(history),
        seconds_per_epoch=elapsed / len(history),
    )
    return FitResult(model=model, metrics=metrics, history=history)


@torch.no_grad()
def predict(model, data: GraphData, device: str = "cpu", get_attention: bool = False):
    """Class probabilities ``(N, C)`` of the target type in eval mode; with ``get_attention``
    also the list of per-layer ``(E, H)`` attention tensors."""
    model.eval()
    graph, features = model_inputs(data, device)
    logits, attention = model(graph, features, get_attention=True)
    probs = torch.softmax(logits, 1).cpu()
    if get_attention:
        return probs, [a.cpu() for a in attention]
    return probs


@torch.no_grad()
def evaluate(model, data: GraphData, device: str = "cpu") -> dict:
    """Accuracy, macro-F1 and micro-F1 on each split, keyed ``<split>_<metric>``."""
    probs = predict(model, data, device)
    out = {}
    for split in SPLITS:
        mask = getattr(data, f"{split}_mask")
        scores = classification_metrics(probs[mask], data.labels[mask], data.num_classes)
        out.update({f"{split}_{k}": v for k, v in scores.items()})
    return out


def _progress_bar(total: int, enabled: bool):
    if not enabled or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, file=sys.stderr, unit="epoch", leave=False)
