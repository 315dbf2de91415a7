"""Relation-level attention: attention per relation, then attention across relations."""

from __future__ import annotations

import torch
from torch import nn

from hetgat.models.base import AttentionNet, unused_name
from hetgat.nn import GATConv, attend
from hetgat.nn.semantic import SemanticAttention
from hetgat.nn.typed_linear import TypedLinear
from hetgat.records import Attention, SemanticWeights

SELF = "self"


class RelationAttentionLayer(nn.Module):
    r"""One layer of relation-level attention over a heterogeneous graph.

    For every relation :math:`r = (s, \rho, d)` a GAT layer attends over the ``s``-neighbours of
    each ``d`` node; each destination type then fuses the views it receives with semantic
    attention (HAN's, over relations instead of meta-paths). The node's own projected state is
    one more view, named ``"self"``, so a node keeps information when its neighbours say little
    and a type that no relation reaches still has an output.

    .. math::
        z_i^{r} = \Big\Vert_{k} \sum_{j \in \mathcal{N}_r(i)} \alpha_{ij}^{r,k} W^{r,k} h_j,
        \qquad h_i' = \sigma\Big(\sum_{r \in R(d) \cup \{self\}} \beta_r^{d} z_i^r\Big)

    Parameters
    ----------
    in_feats, out_feats, num_heads : int
        Input size, size per head, heads (outputs ``out_feats * num_heads``).
    canonical_etypes : list of tuple
        The graph's relations.
    node_types : list of str
        The graph's node types.
    feat_drop, attn_drop, negative_slope : float
        As in :class:`~hetgat.nn.GATConv`.
    activation : callable, optional
        Applied to the fused output.
    semantic_hidden : int, default 128
        Size of the semantic attention's scoring MLP.
    semantic_fusion : {"softmax", "sigmoid"}, default "softmax"
        How the semantic attention weighs the relations (see :class:`SemanticAttention`).
    """

    def __init__(
        self,
        in_feats,
        out_feats,
        num_heads,
        canonical_etypes,
        node_types,
        feat_drop,
        attn_drop,
        negative_slope,
        activation=None,
        semantic_hidden: int = 128,
        semantic_fusion: str = "softmax",
    ) -> None:
        super().__init__()
        self.etypes = [tuple(e) for e in canonical_etypes]
        self.node_types = list(node_types)
        # The node's own view is "self", unless a relation of the user's is called so.
        own = unused_name(SELF, [e[1] for e in self.etypes])
        self.self_names = {t: own for t in self.node_types}
        self.convs = nn.ModuleList(
            GATConv(
                in_feats,
                out_feats,
                num_heads,
                feat_drop,
                attn_drop,
                negative_slope,
                allow_zero_in_degree=True,
            )
            for _ in self.etypes
        )
        size = out_feats * num_heads
        self.self_fc = nn.ModuleList(nn.Linear(in_feats, size) for _ in self.node_types)
        self.semantic = nn.ModuleList(
            SemanticAttention(size, semantic_hidden, semantic_fusion) for _ in self.node_types
        )
        self.activation = activation

    def forward(self, graph, h: dict, get_attention: bool = True):
        views = {t: [fc(h[t])] for t, fc in zip(self.node_types, self.self_fc, strict=True)}
        names = {t: [self.self_names[t]] for t in self.node_types}
        attention = {}
        for etype, conv in zip(self.etypes, self.convs, strict=True):
            src, rel, dst = etype
            z, a = attend(conv, graph[etype], (h[src], h[dst]), get_attention)
            views[dst].append(z.flatten(1))
            names[dst].append(rel)
            if get_attention:
                attention[etype] = a
        out, semantic = {}, []
        for t, sem in zip(self.node_types, self.semantic, strict=True):
            fused, beta, per_node = sem(torch.stack(views[t], dim=1))
            out[t] = fused if self.activation is None else self.activation(fused)
            semantic.append(SemanticWeights(t, names[t], beta, per_node))
        return out, attention, semantic


class RGAT(AttentionNet):
    """Relation-level attention network for node classification on heterogeneous graphs.

    Every node type's input is projected to ``hidden * heads`` (learned embeddings for types
    without features), then ``num_layers`` :class:`RelationAttentionLayer` let information flow
    along paths of relations; a linear layer scores the target type's classes.

    Parameters
    ----------
    schema : Schema
        Node and edge types, target type and classes.
    in_feats : dict[str, int]
        Input size per node type.
    hidden, heads : int, default 8, 8
        Size per head and heads of each layer.
    num_layers : int, default 2
        Relation attention layers.
    feat_drop, attn_drop : float, default 0.5
        Dropout on layer inputs and attention.
    negative_slope : float, default 0.2
        LeakyReLU slope.
    semantic_hidden : int, default 128
        Size of the semantic attention's scoring MLP.
    semantic_fusion : {"softmax", "sigmoid"}, default "softmax"
        Softmax over relations, or a sigmoid gate per relation.
    """

    heterogeneous = True
    uses = "all"

    def __init__(
        self,
        schema,
        in_feats: dict,
        *,
        hidden: int = 8,
        heads: int = 8,
        num_layers: int = 2,
        feat_drop: float = 0.5,
        attn_drop: float = 0.5,
        negative_slope: float = 0.2,
        semantic_hidden: int = 128,
        semantic_fusion: str = "softmax",
    ) -> None:
        super().__init__()
        size = hidden * heads
        self.target = schema.target_type
        self.project = TypedLinear(in_feats, size)
        self.layers = nn.ModuleList(
            RelationAttentionLayer(
                size,
                hidden,
                heads,
                schema.canonical_etypes,
                schema.node_types,
                feat_drop,
                attn_drop,
                negative_slope,
                nn.functional.elu,
                semantic_hidden,
                semantic_fusion,
            )
            for _ in range(num_layers)
        )
        self.predict = nn.Linear(size, schema.num_classes)

    def forward(self, graph, h: dict, get_attention: bool = False):
        h = self.project(h)
        edges, semantic = [], []
        for layer in self.layers:
            h, a, s = layer(graph, h, get_attention)
            edges.append(a)
            semantic.append(s)
        logits = self.predict(h[self.target])
        return (logits, Attention(graph, edges, semantic)) if get_attention else logits

    def embed(self, graph, h: dict) -> torch.Tensor:
        h = self.project(h)
        for layer in self.layers:
            h = layer(graph, h, get_attention=False)[0]
        return h[self.target]
