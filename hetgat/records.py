"""What a model returns about its attention, for tables and plots."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
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


def per_etype_softmax(parts, graph) -> bool:
    """Whether the weights ``parts`` (``((dst_type, name), dst, (E, H) weights)`` per edge
    type) sum to 1 per edge type and destination (GAT, HAN, RGAT), rather than only over all
    of a node's in-edges (Simple-HGN)."""
    for (dst_type, _), dst, a in parts:
        sums = np.stack(
            [
                np.bincount(dst, weights=a[:, h], minlength=graph.num_nodes(dst_type))
                for h in range(a.shape[1])
            ]
        )
        has = np.bincount(dst, minlength=graph.num_nodes(dst_type)) > 0
        if not np.allclose(sums[:, has], 1.0, atol=1e-4):
            return False
    return True


def softmax_degrees(attention) -> list[dict]:
    """Per layer, ``{canonical edge type: in-edges of each destination node}`` counted over
    the edges its softmax runs over: the edge type's own (GAT, HAN, RGAT), or every in-edge of
    the node whatever its type where the weights sum to 1 only over all of them (Simple-HGN).

    ``1 / degree`` is the weight of uniform attention, against which a learned weight reads:
    0.2 on one of 3 in-edges is below uniform, on one of 50 ten times above it.
    """
    graph, out = attention.graph, []
    for per_layer in attention.edges:
        if not isinstance(per_layer, dict):
            per_layer = {graph.canonical_etypes[0]: per_layer}
        own, parts = {}, []
        for etype, a in per_layer.items():
            dst = graph.edges(etype=etype, order="eid")[1].numpy()
            own[etype] = np.bincount(dst, minlength=graph.num_nodes(etype[2]))
            parts.append(((etype[2], etype[1]), dst, a.detach().double().cpu().numpy()))
        if not per_etype_softmax(parts, graph):
            pooled = {}
            for etype, degree in own.items():
                pooled[etype[2]] = pooled.get(etype[2], 0) + degree
            own = {etype: pooled[etype[2]] for etype in own}
        out.append(own)
    return out
