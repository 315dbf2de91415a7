"""Full-batch training: every epoch one step on the whole graph, then validation."""

from __future__ import annotations

import contextlib
import time

import torch

from hetgat.config import ModelConfig, TrainConfig
from hetgat.data import GraphData
from hetgat.errors import HetgatError
from hetgat.models import build_model, resolve_config
from hetgat.train.checkpoint import (
    Checkpoint,
    StopRequests,
    TrainingInterrupted,
    rng_state,
    save_checkpoint,
    set_rng_state,
)
from hetgat.train.inference import evaluate, rows_forward
from hetgat.train.loop import (
    EarlyStopping,
    FitResult,
    add_label_input,
    check_device,
    check_loss,
    history_row,
    loss_fn,
    model_inputs,
    probabilities,
    progress_bar,
    seed_everything,
    warn_empty_splits,
)
from hetgat.train.metrics import classification_metrics, one_class
from hetgat.train.smoothing import Smoothing


def row_batches(rows: torch.Tensor, batch_size: int | None) -> list:
    """``rows`` as one batch, or (``batch_size``: a model that pre-computes its inputs, whose
    nodes are independent rows) shuffled into batches of ``batch_size`` target nodes, nothing
    sampled: one optimiser step each."""
    if not batch_size:
        return [rows]
    return list(rows[torch.randperm(len(rows), device=rows.device)].split(batch_size))


def fit_fullbatch(
    data: GraphData,
    model_config: ModelConfig = ModelConfig(),
    train_config: TrainConfig = TrainConfig(),
    *,
    progress: bool = False,
    checkpoint: Checkpoint | None = None,
    resume: dict | None = None,
) -> FitResult:
    """Train a node classifier on ``data`` (full batch, Adam) and evaluate it on every split.

    A model that pre-computes its inputs (``precomputes``: SeHGNN) computes the training rows
    only, and with ``train_config.batch_size`` steps over shuffled batches of that many training
    rows (the history's loss is the last batch's).

    Early stopping: see :class:`EarlyStopping`; ``patience=0`` runs exactly ``epochs`` epochs
    and keeps the weights the same rule chooses. Without validation nodes the training nodes
    stand in for them.

    With ``checkpoint``, the state is saved every ``checkpoint.every`` epochs, and SIGINT or
    SIGTERM stop training at the end of the current epoch: the state is saved and
    :class:`~hetgat.train.checkpoint.TrainingInterrupted` raised. ``resume`` (a state read with
    :func:`~hetgat.train.checkpoint.load_checkpoint`) continues from its epoch; the result is the
    one an uninterrupted run gives.

    With ``train_config.correct_smooth``, every epoch's validation metrics (and so early
    stopping's score) and the final metrics are those of the probabilities after Correct and
    Smooth (:mod:`hetgat.train.smoothing`, from the training labels only); the validation loss
    stays the model's own.
    """
    if not bool(data.train_mask.any()):
        raise HetgatError("no labelled training node: nothing to learn from")
    device = check_device(train_config.device)
    warn_empty_splits(data)
    seed_everything(train_config.seed)
    multilabel = data.multilabel
    model_config = resolve_config(model_config, data)
    model = build_model(model_config, data.schema()).to(device)
    add_label_input(model, data, model_config, train_config.seed)
    data_graph, features = model_inputs(data, device, model)
    graph = model.prepare_graph(data_graph, features)
    labels = data.labels.to(device)
    smoothing = Smoothing.given(data, train_config)  # left to the data: decided after
    every_epoch = smoothing and smoothing.on(data_graph, data.target_type)
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

    def validation_logits(rows: torch.Tensor) -> torch.Tensor:
        if getattr(model.net, "precomputes", False):  # in row chunks: bounded memory
            return rows_forward(model, graph, features, rows, train_config.batch_size)
        return model.rows_logits(graph, features, rows)

    def validate() -> tuple[float, dict]:
        """The validation loss and metrics (of the smoothed probabilities, with smoothing)."""
        if smoothing is None:
            logits = validation_logits(val_idx)
            probs = probabilities(logits, multilabel)
        else:  # smoothing needs every target node's probabilities
            every = torch.arange(len(data.train_mask), device=device)
            logits = validation_logits(every)
            probs = every_epoch.apply(probabilities(logits, multilabel), data, data_graph)
            probs = probs[val_idx]
            logits = logits[val_idx]
        val_loss = loss_fn(logits, labels[val_idx], multilabel).item()
        val = classification_metrics(probs, labels[val_idx], data.num_classes, multilabel)
        val["one_class"] = one_class(probs, labels[val_idx], multilabel)
        return val_loss, val

    def step(epoch: int) -> bool:
        """One full-batch step and its validation; True when early stopping says stop."""
        tick = time.perf_counter()
        model.train()
        for rows in row_batches(train_idx, train_config.batch_size):
            opt.zero_grad(set_to_none=True)
            logits = model.rows_logits(graph, features, rows)
            loss = loss_fn(logits, labels[rows], multilabel)
            check_loss(loss, epoch)
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            val_loss, val = validate()
        history.append(history_row(epoch, loss.item(), val_loss, val, time.perf_counter() - tick))
        score = val["micro_f1"] if multilabel else val["accuracy"]
        if bar is not None:
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}", val=f"{score:.3f}")
        return stopper.step(epoch, score, val_loss, model, val)

    requests = StopRequests()
    bar = progress_bar(train_config.epochs, progress, initial=first)
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
    metrics = evaluate(
        model,
        data,
        device,
        graph=graph,
        chunk_size=train_config.batch_size,
        warn_collapse=True,
        smoothing=smoothing,
    )
    metrics.update(
        best_epoch=stopper.best_epoch,
        epochs_run=len(history),
        seconds_per_epoch=sum(h["seconds"] for h in history) / len(history),
    )
    return FitResult(model=model, metrics=metrics, history=history, model_config=model_config)
