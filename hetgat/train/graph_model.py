"""A model built for a graph, for custom training loops: ``model(graph)`` gives the target
logits, ``model(batch)`` those of a mini-batch from :class:`NeighborLoader`.

Whatever the network runs on besides the graph itself (HAN's meta-path graphs, Simple-HGN's
typed graph, HGT's typed view) it prepares on first use and keeps, per graph, for as long as
that graph lives; the label input (``label_hops``) is set from the graph's training labels when
the model is built, as ``fit`` sets it.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from hetgat.config import ModelConfig
from hetgat.data import GraphData
from hetgat.errors import ConfigError
from hetgat.models import build_model, resolve_config
from hetgat.train.loop import add_label_input, model_inputs
from hetgat.train.minibatch import block_logits, make_sampler


@dataclass(frozen=True)
class NodeBatch:
    """A mini-batch of target nodes of ``graph``: ``nodes`` (their indices), sampled with
    ``fanouts`` neighbours per layer (None: all) when the model takes it."""

    graph: GraphData
    nodes: torch.Tensor
    fanouts: tuple | None = None

    @property
    def labels(self) -> torch.Tensor:
        """The labels of :attr:`nodes` (for the loss)."""
        return self.graph.labels[self.nodes]


class NeighborLoader:
    """Mini-batches of target nodes, each sampled around when the model takes it.

    Parameters
    ----------
    graph : GraphData
        The graph.
    nodes : torch.Tensor or sequence of str
        The target nodes to batch: a bool mask, an index tensor, or the user's ids.
    fanouts : sequence of int, optional
        Neighbours sampled per node in each layer, input layer first (one value per layer);
        None takes all neighbours.
    batch_size : int, default 512
        Target nodes per batch.
    shuffle : bool, default False
        Another order of the nodes each pass (drawn from torch's generator).
    """

    def __init__(self, graph: GraphData, nodes, *, fanouts=None, batch_size: int = 512,
                 shuffle: bool = False) -> None:  # fmt: skip
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ConfigError("batch_size", batch_size, "an integer >= 1")
        self.graph, self.batch_size, self.shuffle = graph, batch_size, shuffle
        self.fanouts = None if fanouts is None else tuple(fanouts)
        self.nodes = _node_index(graph, nodes)

    def __len__(self) -> int:
        return (len(self.nodes) + self.batch_size - 1) // self.batch_size

    def __iter__(self):
        nodes = self.nodes[torch.randperm(len(self.nodes))] if self.shuffle else self.nodes
        for start in range(0, len(nodes), self.batch_size):
            yield NodeBatch(self.graph, nodes[start : start + self.batch_size], self.fanouts)


def _node_index(graph: GraphData, nodes) -> torch.Tensor:
    n = len(graph.labels)
    if isinstance(nodes, torch.Tensor):
        if nodes.dtype == torch.bool:
            if nodes.shape != (n,):
                raise ConfigError("nodes", tuple(nodes.shape), f"a mask of {n} values")
            return nodes.nonzero().squeeze(1)
        index = nodes.long()
        if len(index) and (int(index.min()) < 0 or int(index.max()) >= n):
            raise ConfigError("nodes", "an index out of range", f"indices below {n}")
        return index
    ids = np.asarray([str(v) for v in nodes], dtype=object)
    known = graph.node_ids[graph.target_type]
    where = {v: i for i, v in enumerate(known)}
    missing = [v for v in ids if v not in where]
    if missing:
        raise ConfigError("nodes", missing[0], f"an id of a {graph.target_type!r} node")
    return torch.as_tensor([where[v] for v in ids], dtype=torch.long)


class GraphModel(nn.Module):
    """``model(graph)``: the target logits ``(N, C)`` of ``graph``; with ``get_attention``
    also the :class:`~hetgat.records.Attention`; ``model(batch)`` of a :class:`NodeBatch`: the
    logits of its nodes, on blocks sampled around them.

    Built by :func:`build_graph_model`; ``classifier`` is the
    :class:`~hetgat.models.inputs.NodeClassifier` inside (what ``fit`` trains and run folders
    save), ``config`` its configuration.
    """

    def __init__(self, classifier: nn.Module, config: ModelConfig) -> None:
        super().__init__()
        self.classifier = classifier
        self.config = config
        # Prepared graphs per graph object, dropped with it (a weak reference, never an id).
        self._prepared = weakref.WeakKeyDictionary()

    def _device(self) -> torch.device:
        return next(self.classifier.parameters()).device

    def prepared(self, graph: GraphData):
        """``(network's graph, features)`` for ``graph``, built once per graph and device
        (the features with the inputs computed for featureless types)."""
        device = self._device()
        cached = self._prepared.get(graph.graph)
        if cached is None or cached[0] != device:
            g, features = model_inputs(graph, device, self.classifier)
            cached = (device, self.classifier.prepare_graph(g, features), features)
            self._prepared[graph.graph] = cached
        return cached[1], cached[2]

    def forward(self, graph, get_attention: bool = False):
        if isinstance(graph, NodeBatch):
            return self._batch_logits(graph)
        if not isinstance(graph, GraphData):
            raise ConfigError("graph", type(graph).__name__, "a GraphData or a NodeBatch")
        prepared, features = self.prepared(graph)
        return self.classifier(prepared, features, get_attention=get_attention)

    def _batch_logits(self, batch: NodeBatch) -> torch.Tensor:
        net = self.classifier.net
        if not net.supports_blocks:
            raise ConfigError("model", self.config.name, "a model with mini-batches")
        if batch.fanouts is not None and len(batch.fanouts) != self.config.num_layers:
            raise ConfigError(
                "fanouts", batch.fanouts, f"{self.config.num_layers} value(s), one per layer"
            )
        prepared, features = self.prepared(batch.graph)
        seeds = net.block_seeds(prepared, batch.nodes.to(self._device()))
        sampler = make_sampler(batch.fanouts, self.config.num_layers)
        input_nodes, _, blocks = sampler.sample(net.block_graph(prepared), seeds)
        return block_logits(self.classifier, prepared, blocks, input_nodes, features)


def build_graph_model(config: ModelConfig, graph: GraphData, seed: int = 0) -> GraphModel:
    """A :class:`GraphModel` for ``graph`` as ``config`` describes it (HAN's meta-paths found
    on ``graph``; the label input drawn with ``seed``)."""
    graph.validate()
    config = resolve_config(config, graph)
    classifier = build_model(config, graph.schema())
    add_label_input(classifier, graph, config, seed)
    return GraphModel(classifier, config)
