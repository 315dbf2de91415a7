"""Full-batch training with early stopping on validation, and evaluation."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import logging
import random
import sys
import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from hetgat._dgl import dgl
from hetgat.checkpoint import (
    Checkpoint,
    StopRequests,
    TrainingInterrupted,
    rng_state,
    save_checkpoint,
    set_rng_state,
)
from hetgat.config import EARLY_STOPPING_RULES, ModelConfig, TrainConfig
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
    model : NodeClassifier
        The model with the best validation weights restored, in eval mode.
    metrics : dict
        ``<split>_accuracy``, ``<split>_macro_f1``, ``<split>_micro_f1`` for each split, plus
        ``best_epoch``, ``epochs_run`` and ``seconds_per_epoch``.
    history : list of dict
        One row per epoch: ``epoch, train_loss, val_loss, val_accuracy, val_macro_f1,
        val_micro_f1, seconds``.
    model_config : ModelConfig
        The configuration the model was built from (HAN: with its meta-paths resolved).
    """

    model: torch.nn.Module
    metrics: dict
    history: list = field(default_factory=list)
    model_config: ModelConfig | None = None


class EarlyStopping:
    """Early stopping on validation, by one of two rules (``rule``).

    ``"loss+score"`` (the GAT paper's, the default): the patience counter restarts whenever the
    loss or the score (accuracy; micro-F1 if multi-label) improves; the weights kept are those
    of the last epoch at which both were at least as good as ever before.

    ``"loss"`` (HGB's, Simple-HGN's default): the counter restarts whenever the loss is at least
    as low as ever; the weights kept are those of the last epoch with the lowest loss.
    """

    def __init__(self, patience: int, rule: str = "loss+score") -> None:
        if rule not in EARLY_STOPPING_RULES:
            raise ValueError(f"rule must be one of {EARLY_STOPPING_RULES}, not {rule!r}")
        self.patience, self.rule = patience, rule
        self.best_score, self.best_loss = -float("inf"), float("inf")
        self.best_state, self.best_epoch, self.waited = None, 0, 0

    def step(self, epoch: int, score: float, loss: float, model: torch.nn.Module) -> bool:
        """Record one epoch; True when training should stop."""
        if self.rule == "loss":
            improved = keep = loss <= self.best_loss or self.best_state is None
        else:
            improved = score >= self.best_score or loss <= self.best_loss
            keep = score >= self.best_score and loss <= self.best_loss
        if improved:
            if keep:
                self.best_state = copy.deepcopy(model.state_dict())
                self.best_epoch = epoch
            self.best_score = max(self.best_score, score)
            self.best_loss = min(self.best_loss, loss)
            self.waited = 0
        else:
            self.waited += 1
        return bool(self.patience) and self.waited >= self.patience

    def state_dict(self) -> dict:
        return {
            "best_score": self.best_score,
            "best_loss": self.best_loss,
            "best_state": self.best_state,
            "best_epoch": self.best_epoch,
            "waited": self.waited,
        }

    def load_state_dict(self, state: dict) -> None:
        self.best_score, self.best_loss = state["best_score"], state["best_loss"]
        self.best_state, self.best_epoch = state["best_state"], state["best_epoch"]
        self.waited = state["waited"]


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy, torch and DGL (DGL's samplers draw from their own generator)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    dgl.seed(seed)


def model_inputs(data: GraphData, device: str = "cpu"):
    """The graph and the features of every node type, on ``device``."""
    return data.graph.to(device), {t: f.to(device) for t, f in data.features.items()}


def resolve_config(config: ModelConfig, data: GraphData) -> ModelConfig:
    """Fill in what depends on the data: HAN's meta-paths (found, or checked for size)."""
    if config.name != "han":
        return config
    from hetgat.metapaths import select_metapaths

    paths = select_metapaths(
        data.graph,
        data.schema(),
        config.metapaths,
        length=config.metapath_length,
        max_edges=config.max_metapath_edges,
        log=logging.getLogger("hetgat").warning,
    )
    if config.metapaths is not None:
        return config
    return dataclasses.replace(config, metapaths=tuple(p.spec() for p in paths))


def loss_fn(logits: torch.Tensor, labels: torch.Tensor, multilabel: bool) -> torch.Tensor:
    """Cross-entropy, or binary cross-entropy per class for multi-label targets."""
    if multilabel:
        return F.binary_cross_entropy_with_logits(logits, labels)
    return F.cross_entropy(logits, labels)


def check_loss(loss: torch.Tensor, epoch: int) -> None:
    """Stop with a message naming the epoch when the training loss is NaN or infinite."""
    if not torch.isfinite(loss):
        raise HetgatError(
            f"the training loss became {loss.item()} at epoch {epoch}: features with huge "
            "values (try --normalize) or too high a learning rate (--lr)"
        )


def history_row(epoch: int, train_loss: float, val_loss: float, val: dict, seconds: float) -> dict:
    """One row of ``history.csv``."""
    return {
        "epoch": epoch,
        "train_loss": train_loss,
        "val_loss": val_loss,
        "val_accuracy": val["accuracy"],
        "val_macro_f1": val["macro_f1"],
        "val_micro_f1": val["micro_f1"],
        "seconds": seconds,
    }


def probabilities(logits: torch.Tensor, multilabel: bool) -> torch.Tensor:
    return torch.sigmoid(logits) if multilabel else torch.softmax(logits, 1)


def fit(
    data: GraphData,
    model_config: ModelConfig = ModelConfig(),
    train_config: TrainConfig = TrainConfig(),
    *,
    progress: bool = False,
    checkpoint: Checkpoint | None = None,
    resume: dict | None = None,
) -> FitResult:
    """Train a node classifier on ``data`` (full batch, Adam) and evaluate it on every split.

    Early stopping: see :class:`EarlyStopping`; ``patience=0`` runs exactly ``epochs`` epochs
    and keeps the weights the same rule chooses. Without validation nodes the training nodes
    stand in for them.

    With ``checkpoint``, the state is saved every ``checkpoint.every`` epochs, and SIGINT or
    SIGTERM stop training at the end of the current epoch: the state is saved and
    :class:`~hetgat.checkpoint.TrainingInterrupted` raised. ``resume`` (a state read with
    :func:`~hetgat.checkpoint.load_checkpoint`) continues from its epoch; the result is the
    one an uninterrupted run gives.
    """
    if train_config.batch_size:  # mini-batches of sampled blocks: hetgat.minibatch
        from hetgat.minibatch import fit_minibatch

        kwargs = {"progress": progress, "checkpoint": checkpoint, "resume": resume}
        return fit_minibatch(data, model_config, train_config, **kwargs)
    if not bool(data.train_mask.any()):
        raise HetgatError("no labelled training node: nothing to learn from")
    seed_everything(train_config.seed)
    device, multilabel = train_config.device, data.multilabel
    model_config = resolve_config(model_config, data)
    model = build_model(model_config, data.schema()).to(device)
    graph, features = model_inputs(data, device)
    graph = model.prepare_graph(graph)
    labels = data.labels.to(device)
    train_idx = data.train_mask.nonzero().squeeze(1).to(device)
    val_idx = data.val_mask.nonzero().squeeze(1).to(device)
    if len(val_idx) == 0:
        val_idx = train_idx
    opt = torch.optim.Adam(
        model.parameters(), lr=train_config.lr, weight_decay=train_config.weight_decay
    )
    stopper = EarlyStopping(train_config.patience, train_config.early_stopping)
    history, first = [], 0
    if resume is not None:
        model.load_state_dict(resume["model"])
        opt.load_state_dict(resume["optimizer"])
        stopper.load_state_dict(resume["stopper"])
        history, first = list(resume["history"]), resume["epoch"] + 1
        set_rng_state(resume["rng"])

    def state(epoch: int) -> dict:
        return {
            "epoch": epoch,
            "model": model.state_dict(),
            "optimizer": opt.state_dict(),
            "stopper": stopper.state_dict(),
            "history": history,
            "rng": rng_state(),
        }

    def step(epoch: int) -> bool:
        """One full-batch step and its validation; True when early stopping says stop."""
        tick = time.perf_counter()
        model.train()
        opt.zero_grad(set_to_none=True)
        logits = model(graph, features)
        loss = loss_fn(logits[train_idx], labels[train_idx], multilabel)
        check_loss(loss, epoch)
        loss.backward()
        opt.step()
        model.eval()
        with torch.no_grad():
            logits = model(graph, features)[val_idx]
            val_loss = loss_fn(logits, labels[val_idx], multilabel).item()
            val = classification_metrics(
                probabilities(logits, multilabel), labels[val_idx], data.num_classes, multilabel
            )
        history.append(history_row(epoch, loss.item(), val_loss, val, time.perf_counter() - tick))
        score = val["micro_f1"] if multilabel else val["accuracy"]
        if bar is not None:
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}", val=f"{score:.3f}")
        return stopper.step(epoch, score, val_loss, model)

    requests = StopRequests()
    bar = _progress_bar(train_config.epochs, progress, initial=first)
    try:
        with contextlib.ExitStack() as stack:
            if checkpoint is not None:
                stack.enter_context(requests.installed())
            for epoch in range(first, train_config.epochs):
                if step(epoch):
                    break
                if checkpoint is not None and (checkpoint.due(epoch) or requests.signum):
                    save_checkpoint(checkpoint.path, state(epoch))
                if requests.signum:
                    raise TrainingInterrupted(
                        requests.signum, epoch, stopper.best_epoch, checkpoint.path
                    )
    finally:
        if bar is not None:
            bar.close()
    model.load_state_dict(stopper.best_state)
    model.eval()
    metrics = evaluate(model, data, device, graph=graph)
    metrics.update(
        best_epoch=stopper.best_epoch,
        epochs_run=len(history),
        seconds_per_epoch=sum(h["seconds"] for h in history) / len(history),
    )
    return FitResult(model=model, metrics=metrics, history=history, model_config=model_config)


@torch.no_grad()
def predict(
    model,
    data: GraphData,
    device: str = "cpu",
    get_attention: bool = False,
    graph=None,
    chunk_size: int | None = None,
):
    """Class probabilities ``(N, C)`` of the target type in eval mode (softmax, or sigmoid if
    multi-label); with ``get_attention`` also the :class:`~hetgat.records.Attention`.

    ``graph`` is the model's prepared graph when the caller has it already. With
    ``chunk_size``, the same values are computed layer by layer in chunks of that many nodes
    (:func:`hetgat.inference.layerwise_forward`), for graphs too large for one forward pass.
    """
    if chunk_size:
        from hetgat.inference import predict_chunked

        return predict_chunked(model, data, device, chunk_size, get_attention, graph)
    model.eval()
    g, features = model_inputs(data, device)
    if graph is None:
        graph = model.prepare_graph(g)
    logits, attention = model(graph, features, get_attention=True)
    probs = probabilities(logits, data.multilabel).cpu()
    if get_attention:
        return probs, attention.to("cpu")
    return probs


@torch.no_grad()
def evaluate(model, data: GraphData, device: str = "cpu", graph=None, chunk_size=None) -> dict:
    """Accuracy, macro-F1 and micro-F1 on each split, keyed ``<split>_<metric>``
    (``chunk_size``: see :func:`predict`)."""
    probs = predict(model, data, device, graph=graph, chunk_size=chunk_size)
    out = {}
    for split in SPLITS:
        mask = getattr(data, f"{split}_mask")
        scores = classification_metrics(
            probs[mask], data.labels[mask], data.num_classes, data.multilabel
        )
        out.update({f"{split}_{k}": v for k, v in scores.items()})
    return out


def _progress_bar(total: int, enabled: bool, initial: int = 0):
    if not enabled or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, file=sys.stderr, unit="epoch", leave=False)
