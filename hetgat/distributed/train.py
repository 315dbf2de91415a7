"""One trainer's share of distributed training: mini-batches from DGL's ``DistNodeDataLoader``,
gradients averaged by ``DistributedDataParallel`` (gloo), validation and early stopping
decided from every trainer's validation nodes at once.

Inputs come from the graph servers: features as ``DistTensor`` rows, and for node types
without features a ``DistEmbedding`` trained by DGL's ``SparseAdam`` (hetgat's ``NodeInputs``
embedding on one machine). Every trainer takes as many steps per epoch (shares are padded as
by torch's ``DistributedSampler``), computes the same validation figures from the gathered
validation logits and so stops at the same epoch; the stop is agreed on once more, to be
sure.
"""

from __future__ import annotations

import functools
import logging
import math
import time

import torch
from torch import nn

from hetgat.distributed import collective
from hetgat.distributed.blocks import BlockSampler, Layout
from hetgat.errors import HetgatError
from hetgat.train.loop import EarlyStopping, check_loss, history_row, loss_fn, probabilities
from hetgat.train.metrics import classification_metrics
from hetgat.train.minibatch import blocks_forward

log = logging.getLogger("hetgat")


def node_data(graph, ntype: str):
    """``DistGraph`` node data of one type (``ndata`` for a graph of one node type)."""
    return graph.ndata if len(graph.ntypes) == 1 else graph.nodes[ntype].data


def uniform_init(shape, dtype, bound: float):
    """A ``DistEmbedding``'s rows, drawn on the servers: ``U(-bound, bound)``."""
    return torch.empty(shape, dtype=dtype).uniform_(-bound, bound)


class Inputs:
    """First-layer input rows of a model on a ``DistGraph``: ``rows(ntype, ids)``.

    A featureless type's ``DistEmbedding`` starts as ``nn.init.xavier_uniform_`` starts the
    embedding on one machine (same bound); the best epoch's rows are copied aside
    (:meth:`keep_best`), as early stopping keeps the best weights.
    """

    def __init__(self, session, layout: Layout, model) -> None:
        dgl, graph = session.dgl, session.graph
        self.session, self.layout = session, layout
        self.features = {
            t: node_data(graph, t)["feat"]
            for t in layout.ntypes
            if t not in model.inputs.featureless and "feat" in node_data(graph, t)
        }
        self.embeddings, self.best = {}, {}
        for t, emb in zip(model.inputs.featureless, model.inputs.embeddings, strict=True):
            n, d = emb.weight.shape
            policy = graph.get_node_partition_policy(t)
            self.embeddings[t] = dgl.distributed.DistEmbedding(
                n,
                d,
                name=f"hetgat-embedding-{t}",
                init_func=functools.partial(uniform_init, bound=math.sqrt(6 / (n + d))),
                part_policy=policy,
            )
            self.best[t] = dgl.distributed.DistTensor(
                (n, d), torch.float32, f"hetgat-best-{t}", part_policy=policy, persistent=True
            )
        self.use_best = False

    def rows(self, ntype: str, ids: torch.Tensor) -> torch.Tensor:
        if ntype in self.embeddings:
            return self.best[ntype][ids] if self.use_best else self.embeddings[ntype](ids)
        return self.features[ntype][ids]

    def optimizer(self, lr: float):
        """DGL's ``SparseAdam`` over the embeddings (None without any)."""
        if not self.embeddings:
            return None
        return self.session.dgl.distributed.optim.SparseAdam(list(self.embeddings.values()), lr)

    def keep_best(self, ranks_machine) -> None:
        """Copy every embedding row aside (each trainer its share of the rows), collectively."""
        for t, emb in self.embeddings.items():
            ids = torch.arange(self.layout.num_nodes(t))
            owner = collective.owners(self.session, self.layout, self.layout.node_ids(t, ids))
            mine = collective.share(ids, owner, self.session.rank, ranks_machine)
            for start in range(0, len(mine), 1 << 16):
                chunk = mine[start : start + (1 << 16)]
                self.best[t][chunk] = emb.weight[chunk]
        self.session.barrier()


class BlockModule(nn.Module):
    """A network on a mini-batch's blocks: what ``DistributedDataParallel`` wraps."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, layout, rows, blocks, input_nodes):
        return blocks_forward(self.net, layout, rows, blocks, input_nodes)


def split_ids(session, layout, target: str, mask_name: str, ranks_machine, pad: bool):
    """This trainer's share of the target nodes (per-type ids) whose ``mask_name`` is set."""
    mask = node_data(session.graph, target)[mask_name]
    n, step = layout.num_nodes(target), 1 << 20
    chunks = [torch.arange(s, min(s + step, n)) for s in range(0, n, step)]
    ids = torch.cat([c[mask[c].bool()] for c in chunks])
    owner = collective.owners(session, layout, layout.node_ids(target, ids))
    return collective.share(ids, owner, session.rank, ranks_machine, pad=pad), len(ids)


def train(session, model, layout: Layout, model_config, train_config):
    """Train ``model.net`` on this trainer's share; return ``(inputs, stopper, history,
    seconds)`` with the best weights loaded and the best embedding rows in use."""
    dgl, graph, schema = session.dgl, session.graph, session.parts.schema
    target, multilabel = schema.target_type, schema.multilabel
    ranks_machine = collective.machines(session)
    train_ids, n_train = split_ids(session, layout, target, "train_mask", ranks_machine, True)
    if n_train < session.world_size:
        raise HetgatError(
            f"{n_train} labelled training node(s) for {session.world_size} trainers: "
            "use fewer trainers"
        )
    val_ids, n_val = split_ids(session, layout, target, "val_mask", ranks_machine, False)
    if n_val == 0:
        val_ids = train_ids
    labels = node_data(graph, target)["label"]
    net, inputs = model.net, Inputs(session, layout, model)
    ddp = nn.parallel.DistributedDataParallel(
        BlockModule(net), find_unused_parameters=net.heterogeneous
    )
    sampler = BlockSampler(graph, layout, _fanouts(train_config, model_config))
    loader = dgl.dataloading.DistNodeDataLoader(
        graph,
        train_ids if len(graph.ntypes) == 1 else {target: train_ids},
        sampler,
        batch_size=train_config.batch_size,
        shuffle=True,
        drop_last=False,
    )
    opt = torch.optim.Adam(
        ddp.parameters(), lr=train_config.lr, weight_decay=train_config.weight_decay
    )
    sparse_opt = inputs.optimizer(train_config.lr)
    stopper = EarlyStopping(train_config.patience, train_config.early_stopping)
    offset = int(layout.nodes.offsets[layout.ntypes.index(target)])
    history, start = [], time.perf_counter()
    for epoch in range(train_config.epochs):
        tick = time.perf_counter()
        ddp.train()
        total, count = 0.0, 0
        for input_nodes, output_nodes, blocks in loader:
            opt.zero_grad(set_to_none=True)
            logits = ddp(layout, inputs.rows, blocks, input_nodes)
            loss = loss_fn(logits, _targets(labels, output_nodes - offset, multilabel), multilabel)
            check_loss(loss, epoch)
            loss.backward()
            opt.step()
            if sparse_opt is not None:
                sparse_opt.step()
            total, count = total + loss.item() * len(output_nodes), count + len(output_nodes)
        total, count = collective.all_sum([total, count])
        val_loss, val = validate(
            net, layout, sampler, inputs, labels, val_ids, offset, schema, train_config.batch_size
        )
        history.append(history_row(epoch, total / count, val_loss, val, time.perf_counter() - tick))
        score = val["micro_f1"] if multilabel else val["accuracy"]
        stop = stopper.step(epoch, score, val_loss, net, val)
        if stopper.best_epoch == epoch and inputs.embeddings:
            inputs.keep_best(ranks_machine)
        if session.rank == 0:
            log.info(
                f"epoch {epoch + 1}/{train_config.epochs}: train loss {total / count:.4f}, "
                f"val loss {val_loss:.4f}, val {'micro-F1' if multilabel else 'accuracy'} "
                f"{score:.4f} ({history[-1]['seconds']:.1f} s)"
            )
        if collective.all_max(int(stop)):
            break
    seconds = time.perf_counter() - start
    net.load_state_dict(stopper.best_state)
    net.eval()
    inputs.use_best = True
    return inputs, stopper, history, seconds


def _fanouts(train_config, model_config) -> list:
    fanouts = train_config.fanouts
    return list(fanouts) if fanouts is not None else [None] * model_config.num_layers


def _targets(labels, ids: torch.Tensor, multilabel: bool) -> torch.Tensor:
    rows = labels[ids]
    return rows.float() if multilabel else rows.long()


@torch.no_grad()
def validate(net, layout, sampler, inputs, labels, ids, offset, schema, batch_size):
    """Validation loss and metrics over every trainer's validation nodes, on every trainer."""
    net.eval()
    logits, targets = [], []
    for start in range(0, len(ids), batch_size):
        seeds = ids[start : start + batch_size]
        input_nodes, _, blocks = sampler.sample(seeds + offset)
        logits.append(blocks_forward(net, layout, inputs.rows, blocks, input_nodes))
        targets.append(_targets(labels, seeds, schema.multilabel))
    width = schema.num_classes
    logits = collective.gather_rows(torch.cat(logits) if logits else torch.zeros(0, width))
    empty = torch.zeros((0, width) if schema.multilabel else 0)
    targets = collective.gather_rows(torch.cat(targets) if targets else empty)
    if not schema.multilabel:
        targets = targets.long()
    loss = loss_fn(logits, targets, schema.multilabel).item()
    probs = probabilities(logits, schema.multilabel)
    return loss, classification_metrics(probs, targets, schema.num_classes, schema.multilabel)
