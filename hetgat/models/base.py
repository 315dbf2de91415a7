"""The contract every network in :mod:`hetgat.models` fulfils, written down once.

Training, inference, run folders and insight call networks only through this class; a new
model subclasses it, overrides what it needs and is added to the registry
(:data:`hetgat.config.MODEL_SPECS`).

Full-graph API (every model)
----------------------------
``prepare_graph(graph)``
    The graph the network runs on, built once per run from the data's graph (HAN: its
    meta-path graphs; Simple-HGN: the typed homogeneous graph). Default: the graph itself.
``prepare_graph(graph, features)`` (``precomputes``)
    A network whose inputs are computed once from the graph *and* the features (SeHGNN: the
    mean-aggregated features of every relation path) receives the given features of the types
    that use theirs (a dict, rows in node-id order) and returns what ``forward`` takes as its
    graph. Training, inference and insight call it once per graph
    (``NodeClassifier.prepare_graph(graph, features)``), never per epoch; nothing is cached
    between graphs: what it returns is a pure function of the graph and the features, so a
    graph met again in another row order gives its rows in that order. Such a network's nodes
    are independent once their inputs exist: ``forward_rows(graph, h, own, rows)`` gives the
    logits of target rows ``rows`` alone (``h``: the learned embeddings per type; ``own``: the
    target's input of those rows), so that a training step costs the training rows only
    (``NodeClassifier.rows_logits``); ``forward_rows(..., get_attention=True)`` adds the
    rows' part of the attention record, and ``rows_attention(graph, parts)`` makes the record
    of every row's parts concatenated in row order (inference in row chunks, bounded memory).
``forward(graph, h, get_attention=False)``
    Logits ``(N_target, C)`` of the target nodes; with ``get_attention`` also the attention: a
    list of ``(E, H)`` per layer (homogeneous models) or an :class:`~hetgat.records.Attention`.
    ``h`` is the target type's input (``uses = "target"``) or a dict of every type's
    (``uses = "all"``).
``embed(graph, h)``
    The last hidden representation of the target nodes (None without a hidden layer).

Layer-wise API (``supports_blocks``: mini-batch training and chunked inference)
-----------------------------------------------------------------------------
``block_graph(graph)``
    The single-edge-type graph blocks are sampled from, given the prepared graph.
``block_seeds(graph, nodes)``
    Ids in that graph of the target-type nodes ``nodes``.
``block_input(graph, rows, nodes)``
    The first layer's input of those nodes; ``rows(ntype, ids)`` gives a type's input rows.
``layer_forward(i, block, h, graph, prev)``
    Layer ``i`` on a block: ``(h_dst, attention of the block's edges)``; ``prev`` is the previous
    layer's ``(edge ids, attention)`` (``previous_attention``: Simple-HGN's attention residual).
``layer_finish(i, h)``
    What needs all of a layer's destinations at once (``needs_all_destinations``: HAN's semantic
    attention): ``(h, semantic records)``. Default: nothing to do.
``block_output(h)``, ``block_attention(graph, edges, semantic)``
    Logits from the last layer's output, and the attention record of a layer-wise pass.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import nn


def unused_name(name: str, taken) -> str:
    """``name``, or ``name`` with primes added until it is none of ``taken``: hetgat's own
    relations and views (Simple-HGN's ``self-loop``, RGAT's ``self``) never take the name of a
    relation of the user's, whatever it is called."""
    taken = set(taken)
    while name in taken:
        name += "'"
    return name


class AttentionNet(nn.Module):
    """Base class of hetgat's node classifiers (see the module notes for the contract)."""

    #: Runs on several node or edge types (``heterogeneous``).
    heterogeneous: ClassVar[bool] = False
    #: The input it takes: the target type's tensor (``"target"``) or every type's (``"all"``).
    uses: ClassVar[str] = "target"
    #: Has the layer-wise API: mini-batch training and chunked inference.
    supports_blocks: ClassVar[bool] = False
    #: Each layer needs the previous layer's attention (``layer_forward``'s ``prev``).
    previous_attention: ClassVar[bool] = False
    #: ``prepare_graph`` also takes the features (inputs pre-computed once per graph: SeHGNN).
    precomputes: ClassVar[bool] = False
    #: ``layer_finish`` needs all destinations of a layer at once.
    needs_all_destinations: ClassVar[bool] = False

    @classmethod
    def resolve_config(cls, config, data):
        """The model configuration with what depends on the data filled in (HAN: the
        meta-paths), checked before anything is written. Default: unchanged."""
        return config

    def prepare_graph(self, graph):
        return graph

    def embed(self, graph, h) -> torch.Tensor | None:
        raise NotImplementedError

    def block_graph(self, graph):
        return graph

    def block_seeds(self, graph, nodes: torch.Tensor) -> torch.Tensor:
        return nodes

    def block_input(self, graph, rows, nodes: torch.Tensor):
        raise NotImplementedError(f"{type(self).__name__} has no layer-wise API")

    def layer_forward(self, i: int, block, h, graph=None, prev=None):
        raise NotImplementedError(f"{type(self).__name__} has no layer-wise API")

    def layer_finish(self, i: int, h):
        return h, []

    def block_output(self, h: torch.Tensor) -> torch.Tensor:
        return h

    def block_attention(self, graph, edges: list, semantic: list):
        return edges
