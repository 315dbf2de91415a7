"""What a model returns about its attention, for tables and plots."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class SemanticWeights:
    """Semantic attention of one layer at one destination node type.

    Attributes
    ----------
    dst_type : str
        The node type whose inputs were weighed (HAN: the target type).
    names : list[str]
        What was weighed: meta-path names (HAN) or relation names (relation attention).
    weights : torch.Tensor
        ``(P,)`` the weights used, summing to 1 (sigmoid fusion: gates in (0, 1)).
    per_node : torch.Tensor
        ``(N, P)`` each node's own weights from the same scores (before averaging over nodes).
    prior : torch.Tensor, optional
        ``(P,)`` HGT: the learned relation prior of each relation (mean over heads).
    """

    dst_type: str
    names: list
    weights: torch.Tensor
    per_node: torch.Tensor
    prior: torch.Tensor | None = None


@dataclass
class Attention:
    """Attention of a forward pass.

    Attributes
    ----------
    graph : dgl.DGLGraph
        The graph whose edge ids ``edges`` follow (HAN: its meta-path graph).
    edges : list
        Per layer: ``{canonical etype: (E, H)}`` (or one ``(E, H)`` tensor for a graph with one
        edge type).
    semantic : list
        Per layer: a list of :class:`SemanticWeights` (empty for models without).
    """

    graph: object
    edges: list
    semantic: list = field(default_factory=list)

    def to(self, device) -> Attention:
        def move(x):
            if isinstance(x, dict):
                return {k: move(v) for k, v in x.items()}
            if isinstance(x, list):
                return [move(v) for v in x]
            if isinstance(x, SemanticWeights):
                prior = None if x.prior is None else x.prior.to(device)
                return SemanticWeights(
                    x.dst_type, x.names, x.weights.to(device), x.per_node.to(device), prior
                )
            return x.to(device)

        return Attention(self.graph, move(self.edges), move(self.semantic))
