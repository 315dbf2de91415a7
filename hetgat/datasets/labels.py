r"""The leak-free label input: the training labels of a node's neighbourhood, as features.

Models that also see the labels of neighbouring training nodes do better on HGB (SeHGNN's label
features, RemoveDiag and Echoless label propagation), but propagated naively a training node's
own label comes back to it (the echo: paper -> author -> paper returns to the paper), and the
model learns to read its own label. Here the training nodes are split at random into
``partitions`` parts; the input of a training node of part :math:`p` is propagated from the
labels of the training nodes *outside* :math:`p` only, so no path, however long, carries its
own label (or that of any node of its part) back to it. Validation and test nodes (and
unlabelled ones) get the input propagated from every training label. Validation and test labels
are never read.

Propagation runs over the whole graph as one (every node type, every relation, reverses
included), ``hops`` times a mean over in-neighbours:

.. math::
    Y^{(0)} = \text{the one-hot (multi-hot) training labels, 0 elsewhere}, \qquad
    Y^{(l)} = D^{-1} A\, Y^{(l-1)}

and the input of a target node is :math:`[Y^{(1)} \Vert \dots \Vert Y^{(hops)}]`
(``hops * C`` columns). A training node's input is scaled by ``P / (P - 1)``: it was
propagated from about :math:`(P-1)/P` of the labels that validation and test nodes see.
"""

from __future__ import annotations

import torch

from hetgat.data import GraphData
from hetgat.errors import ConfigError


def label_input(data: GraphData, hops: int, partitions: int, seed: int):
    """``(input, partition)``: the label input ``(N_target, hops * C)`` of every target node
    and each node's part (``-1``: not a training node), drawn with ``seed``.

    Parameters
    ----------
    data : GraphData
        The graph, its labels and its split; only ``labels[train_mask]`` is read.
    hops : int
        Propagation steps (>= 1).
    partitions : int
        Parts the training nodes are split into (>= 2).
    seed : int
        Seeds the split into parts.
    """
    if isinstance(hops, bool) or not isinstance(hops, int) or hops < 1:
        raise ConfigError("label_hops", hops, "an integer >= 1")
    if isinstance(partitions, bool) or not isinstance(partitions, int) or partitions < 2:
        raise ConfigError("label_partitions", partitions, "an integer >= 2")
    train, known, part = training_labels(data, partitions, seed)

    def propagate(keep: torch.Tensor) -> torch.Tensor:
        return propagate_labels(data, train[keep], known[keep], hops)

    return leave_own_part_out(propagate, train, part, partitions), part


def propagate_labels(data: GraphData, nodes: torch.Tensor, known: torch.Tensor, hops: int):
    """``[Y^(1) || ... || Y^(hops)]`` of every target node, ``(N_target, hops * C)``: the
    labels ``known`` (``(len(nodes), C)``) of the target nodes ``nodes``, propagated ``hops``
    times as a mean over in-neighbours across the whole graph (the module's equation)."""
    graph, _, _, ntype, _ = data.graph.to_homogeneous()
    target = list(data.graph.ntypes).index(data.target_type)
    rows = (ntype == target).nonzero().squeeze(1)  # the target nodes, in their id order
    degree = torch.bincount(graph.dst, minlength=graph.num_nodes()).clamp(min=1)
    y = torch.zeros(graph.num_nodes(), known.shape[1], dtype=torch.float32)
    y[rows[nodes]] = known.float()
    out = []
    for _ in range(hops):
        y = torch.zeros_like(y).index_add_(0, graph.dst, y.index_select(0, graph.src))
        y = y / degree.unsqueeze(1)
        out.append(y.index_select(0, rows))
    return torch.cat(out, dim=1)


def training_labels(data: GraphData, partitions: int, seed: int):
    """``(train, known, part)``: the training nodes, their one-hot (multi-hot) labels and every
    target node's part (``-1``: not a training node), the parts drawn with ``seed``."""
    train = data.train_mask.nonzero().squeeze(1)
    gen = torch.Generator().manual_seed(seed)
    part = torch.full((len(data.train_mask),), -1, dtype=torch.long)
    part[train] = torch.randperm(len(train), generator=gen) % partitions
    return train, _one_hot(data, train), part


def leave_own_part_out(propagate, train, part, partitions: int) -> torch.Tensor:
    """The label input of every target node: ``propagate(keep)`` (the input propagated from
    the training labels ``keep`` selects) from every training label, except for a training
    node, whose input comes from the labels outside its part, scaled by ``P / (P - 1)``."""
    out = propagate(torch.ones(len(train), dtype=torch.bool))
    scale = partitions / (partitions - 1)
    for p in range(partitions):
        mine = part[train] == p
        if mine.any():
            out[train[mine]] = propagate(~mine)[train[mine]] * scale
    return out


def _one_hot(data: GraphData, nodes: torch.Tensor) -> torch.Tensor:
    if data.multilabel:
        return data.labels[nodes].float()
    return torch.nn.functional.one_hot(data.labels[nodes], data.num_classes).float()
