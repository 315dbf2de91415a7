"""Mini-batch training on sampled neighbourhoods (blocks).

Each step takes ``batch_size`` labelled target nodes, samples ``fanouts[l]`` in-neighbours per
node for layer ``l`` (all neighbours without fanouts; :mod:`hetgat.sparse.sampling`), and runs
the model on the resulting blocks, so memory grows with the batch and the fanouts, not with the
graph. Final metrics, predictions and attention come from exact layer-wise inference over all
nodes in chunks (:mod:`hetgat.train.inference`).

The model's layer-wise API is :mod:`hetgat.models.base`'s (``supports_blocks``).

Distributed training
--------------------
Sampling goes through one function, :func:`node_loader`, passed to :func:`fit_minibatch` as
``loader``. For DistDGL, pass a function with the same signature that returns
``dgl.dataloading.DistNodeDataLoader(graph, seeds, sampler, batch_size=..., shuffle=...)`` over a
``dgl.distributed.DistGraph``; models and the training loop stay as they are (feature rows are
taken with ``features[t][ids]``, which ``DistTensor`` supports).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import torch

from hetgat.config import ModelConfig, TrainConfig
from hetgat.data import GraphData
from hetgat.errors import ConfigError, HetgatError
from hetgat.models import MODELS, build_model, resolve_config
from hetgat.sparse.sampling import BlockLoader, NeighborSampler, block_eids
from hetgat.train.inference import evaluate
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


def check_minibatch(model_config: ModelConfig, train_config: TrainConfig) -> None:
    """Raise :class:`ConfigError` unless ``model_config`` can train with ``train_config``'s
    batches: a model with the layer-wise API, and one fanout per layer."""
    if train_config.batch_size is None:
        return
    cls = MODELS.get(model_config.name)
    if cls is not None and cls.precomputes:  # batches of rows (fit_fullbatch), nothing sampled
        if train_config.fanouts is not None:
            raise ConfigError(
                "fanouts",
                train_config.fanouts,
                f"none for {model_config.name}: its mini-batches are rows of pre-computed "
                "inputs, no neighbour is sampled",
            )
        return
    if cls is not None and not cls.supports_blocks:
        supported = ", ".join(n for n, c in MODELS.items() if c.supports_blocks)
        raise ConfigError("model", model_config.name, f"one of {supported} for mini-batch training")
    fanouts = train_config.fanouts
    if fanouts is not None and len(fanouts) != model_config.num_layers:
        raise ConfigError(
            "fanouts",
            ",".join(map(str, fanouts)),
            f"{model_config.num_layers} value(s), one per layer of {model_config.name}",
        )


def make_sampler(fanouts: tuple | None, num_layers: int) -> NeighborSampler:
    """``NeighborSampler(fanouts)``, or all neighbours in every layer without fanouts."""
    return NeighborSampler(fanouts if fanouts is not None else [None] * num_layers)


def node_loader(graph, seeds: torch.Tensor, sampler, *, batch_size: int, shuffle: bool, device):
    """The iterable of ``(input_nodes, output_nodes, blocks)`` that training draws from.

    This is the one place hetgat builds a data loader; replace it (``fit_minibatch(loader=...)``)
    to sample elsewhere, e.g. with DistDGL's ``DistNodeDataLoader`` on a ``DistGraph`` (its DGL
    blocks are converted with :func:`hetgat.sparse.dgl_interop.from_dgl`).
    """
    return BlockLoader(graph, seeds, sampler, batch_size=batch_size, shuffle=shuffle, device=device)


def block_logits(model, graph, blocks: list, input_nodes: torch.Tensor, features: dict):
    """Logits of a mini-batch's output nodes: the model's layers on ``blocks`` in turn.

    ``graph`` is the model's prepared graph, ``input_nodes`` the first block's source nodes.
    """
    return blocks_forward(model.net, graph, model.input_rows(features), blocks, input_nodes)


def blocks_forward(net, graph, rows, blocks: list, input_nodes: torch.Tensor):
    """A network's layers on ``blocks`` in turn (the layer-wise API of
    :mod:`hetgat.models.base`): logits of the last block's destinations.

    ``rows(ntype, ids)`` gives a node type's input rows (features, or learned embeddings), so
    the inputs may live elsewhere than in this process (DistDGL's servers).
    """
    h = net.block_input(graph, rows, input_nodes)
    prev = None
    for i, block in enumerate(blocks):
        h, a = net.layer_forward(i, block, h, graph, prev)
        h, _ = net.layer_finish(i, h)
        prev = (block_eids(block), a)
    return net.block_output(h)


def fit_minibatch(
    data: GraphData,
    model_config: ModelConfig = ModelConfig(),
    train_config: TrainConfig = TrainConfig(),
    *,
    progress: bool = False,
    loader: Callable = node_loader,
    checkpoint=None,
    resume: dict | None = None,
) -> FitResult:
    """Train like :func:`hetgat.train.fit`, on mini-batches of sampled blocks.

    An epoch is one shuffled pass over the training nodes in batches of
    ``train_config.batch_size``. Validation after each epoch runs in eval mode on blocks drawn
    by the same sampler around the validation nodes, so it stays within the batch's memory;
    early stopping, history rows and the returned :class:`FitResult` are those of ``fit``.
    The final metrics come from exact layer-wise inference over all nodes
    (:func:`hetgat.train.inference.layerwise_forward`, chunks of ``batch_size`` nodes); with
    ``train_config.correct_smooth`` they are of the smoothed probabilities, while each epoch's
    validation (on sampled blocks, not every node) is of the model's own.

    Parameters
    ----------
    loader : callable, default :func:`node_loader`
        ``loader(graph, seeds, sampler, batch_size=, shuffle=, device=)``; see the module notes.
    checkpoint, resume
        As in ``fit``, except that mini-batch runs are not checkpointed yet: DGL's sampler
        state cannot be saved, so a resumed run would not be the uninterrupted one. A
        checkpoint that saves only on interruption is accepted (Ctrl-C then just stops).
    """
    if not bool(data.train_mask.any()):
        raise HetgatError("no labelled training node: nothing to learn from")
    if resume is not None:
        raise ConfigError("resume", "a mini-batch run", "a full-batch run (no batch_size)")
    if checkpoint is not None and checkpoint.every:
        raise ConfigError("checkpoint_every", checkpoint.every, "0 with a batch_size")
    check_minibatch(model_config, train_config)
    device = check_device(train_config.device)
    warn_empty_splits(data)
    seed_everything(train_config.seed)
    multilabel = data.multilabel
    model_config = resolve_config(model_config, data)
    model = build_model(model_config, data.schema()).to(device)
    add_label_input(model, data, model_config, train_config.seed)
    graph, features = model_inputs(data, device, model)
    graph = model.prepare_graph(graph, features)
    net = model.net
    sample_graph = net.block_graph(graph)
    targets = net.block_seeds(graph, torch.arange(len(data.train_mask), device=device))
    position = torch.full((_num_nodes(sample_graph),), -1, dtype=torch.long, device=device)
    position[targets] = torch.arange(len(targets), device=device)
    labels = data.labels.to(device)
    train_idx = data.train_mask.nonzero().squeeze(1).to(device)
    val_idx = data.val_mask.nonzero().squeeze(1).to(device)
    if len(val_idx) == 0:
        val_idx = train_idx
    sampler = make_sampler(train_config.fanouts, model_config.num_layers)
    batches = {
        name: loader(
            sample_graph,
            targets[idx],
            sampler,
            batch_size=train_config.batch_size,
            shuffle=name == "train",
            device=device,
        )  # fmt: skip
        for name, idx in (("train", train_idx), ("val", val_idx))
    }
    opt = torch.optim.Adam(
        model.parameters(), lr=train_config.lr, weight_decay=train_config.weight_decay
    )
    stopper = EarlyStopping(train_config.patience, train_config.early_stopping)
    history = []
    bar = progress_bar(train_config.epochs, progress)
    start = time.perf_counter()
    for epoch in range(train_config.epochs):
        tick = time.perf_counter()
        model.train()
        total, count = 0.0, 0
        for input_nodes, output_nodes, blocks in batches["train"]:
            opt.zero_grad(set_to_none=True)
            logits = block_logits(model, graph, blocks, input_nodes, features)
            loss = loss_fn(logits, labels[position[output_nodes]], multilabel)
            check_loss(loss, epoch)
            loss.backward()
            opt.step()
            total, count = total + loss.item() * len(output_nodes), count + len(output_nodes)
        val_loss, val = _validate(model, graph, batches["val"], features, labels, position, data)
        history.append(history_row(epoch, total / count, val_loss, val, time.perf_counter() - tick))
        score = val["micro_f1"] if multilabel else val["accuracy"]
        stop = stopper.step(epoch, score, val_loss, model, val)
        if bar is not None:
            bar.update(1)
            bar.set_postfix(loss=f"{total / count:.3f}", val=f"{score:.3f}")
        if stop:
            break
    if bar is not None:
        bar.close()
    elapsed = time.perf_counter() - start
    model.load_state_dict(stopper.best_state)
    model.eval()
    metrics = evaluate(
        model,
        data,
        device,
        graph=graph,
        chunk_size=train_config.batch_size,
        warn_collapse=True,
        smoothing=Smoothing.given(data, train_config),
    )
    metrics.update(
        best_epoch=stopper.best_epoch,
        epochs_run=len(history),
        seconds_per_epoch=elapsed / len(history),
    )
    return FitResult(model=model, metrics=metrics, history=history, model_config=model_config)


@torch.no_grad()
def _validate(model, graph, batches, features, labels, position, data):
    """Validation loss and metrics over sampled blocks, in eval mode."""
    model.eval()
    logits, targets = [], []
    for input_nodes, output_nodes, blocks in batches:
        logits.append(block_logits(model, graph, blocks, input_nodes, features))
        targets.append(labels[position[output_nodes]])
    logits, targets = torch.cat(logits), torch.cat(targets)
    loss = loss_fn(logits, targets, data.multilabel).item()
    probs = probabilities(logits, data.multilabel)
    metrics = classification_metrics(probs, targets, data.num_classes, data.multilabel)
    return loss, {**metrics, "one_class": one_class(probs, targets, data.multilabel)}


def _num_nodes(graph) -> int:
    """Nodes of a one-node-type graph (a :class:`Graph` or such a :class:`HeteroGraph`)."""
    return graph.num_nodes()
