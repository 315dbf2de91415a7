"""HGT (Hu et al., WWW 2020): transformer attention over the whole heterogeneous graph."""

from __future__ import annotations

import torch
from torch import nn

from hetgat.models.base import AttentionNet
from hetgat.models.simplehgn import TypedBlocks, TypedGraph, split_attention, typed_graph
from hetgat.nn.functional import Dropout
from hetgat.nn.hgtconv import HGTConv
from hetgat.nn.typed_linear import TypedLinear
from hetgat.records import Attention, SemanticWeights


class HGT(TypedBlocks, AttentionNet):
    """Heterogeneous Graph Transformer node classifier.

    Each node type's input is projected to ``hidden * heads`` (a learned embedding for types
    without features) and passed through GELU, as in the paper's code; ``num_layers``
    :class:`~hetgat.nn.hgtconv.HGTConv` layers of ``heads`` heads (GELU before the
    target-specific map, skip gate, layer norm) run on the whole graph as one typed graph
    (no self-loops: a node keeps its state through the skip gate); a linear layer scores the
    target type's classes.

    Parameters
    ----------
    schema : Schema
        Node and edge types, target type and classes.
    in_feats : dict[str, int]
        Input size per node type.
    hidden : int, default 32
        Size per head.
    heads : int, default 4
        Heads of every layer.
    num_layers : int, default 2
        HGT layers.
    feat_drop : float, default 0.2
        Dropout on the projected input and after each layer's target-specific map.
    attn_drop : float, default 0.0
        Dropout on the attention.
    use_norm : bool, default True
        Layer norm of each layer's output.
    """

    heterogeneous = True
    uses = "all"
    supports_blocks = True

    def __init__(
        self,
        schema,
        in_feats: dict,
        *,
        hidden: int = 32,
        heads: int = 4,
        num_layers: int = 2,
        feat_drop: float = 0.2,
        attn_drop: float = 0.0,
        use_norm: bool = True,
    ) -> None:
        super().__init__()
        size = hidden * heads
        self.target = schema.target_type
        self.feat_drop = Dropout(feat_drop)  # hetgat's: a boolean mask, faster on the CPU
        self.project = TypedLinear(in_feats, size)
        num_ntypes = len(schema.node_types)
        num_etypes = len(schema.canonical_etypes)
        self.layers = nn.ModuleList(
            HGTConv(
                size,
                hidden,
                heads,
                num_ntypes,
                num_etypes,
                dropout=feat_drop,
                attn_drop=attn_drop,
                use_norm=use_norm,
                activation=nn.functional.gelu,
            )
            for _ in range(num_layers)
        )
        self.predict = nn.Linear(size, schema.num_classes)

    def prepare_graph(self, graph) -> TypedGraph:
        return typed_graph(graph, self_loops=False)

    def typed_input(self, h: dict) -> dict:
        return {t: self.feat_drop(nn.functional.gelu(x)) for t, x in self.project(h).items()}

    def _run(self, graph: TypedGraph, h: dict, get_attention: bool):
        x = self.typed_input(h)
        # to_homogeneous orders nodes by type, in the heterograph's type order.
        x = torch.cat([x[t] for t in graph.hetero.ntypes], dim=0)
        attention = []
        for layer in self.layers:
            out = layer(graph.homo, x, graph.ntype, graph.etype, get_attention=get_attention)
            if get_attention:
                x, a = out
                attention.append(a.squeeze(-1))  # hetgat's records keep (E, H)
            else:
                x = out
        ntypes = graph.hetero.ntypes
        start = sum(graph.hetero.num_nodes(t) for t in ntypes[: ntypes.index(self.target)])
        return x[start : start + graph.hetero.num_nodes(self.target)], attention

    def forward(self, graph: TypedGraph, h: dict, get_attention: bool = False):
        x, attention = self._run(graph, h, get_attention)
        logits = self.predict(x)
        if not get_attention:
            return logits
        return logits, self.block_attention(graph, attention, [])

    def embed(self, graph: TypedGraph, h: dict) -> torch.Tensor:
        return self._run(graph, h, False)[0]

    # Layer-wise API: TypedBlocks (blocks of the homogeneous typed graph) and this.

    def layer_forward(self, i: int, block, h, graph: TypedGraph = None, prev=None):
        """Layer ``i`` on ``block``: ``(h_dst, (E_block, H) attention)``."""
        layer = self.layers[i]
        ntype, etype = graph.ntype[block.src_nid], graph.etype[block.eid]
        h, a = layer(block, h, ntype, etype, get_attention=True)
        return h, a.squeeze(-1)

    def block_output(self, h: torch.Tensor) -> torch.Tensor:
        return self.predict(h)

    def block_attention(self, graph: TypedGraph, edges: list, semantic: list):
        per_etype = [split_attention(graph, a) for a in edges]
        priors = [layer.relation_pri.detach() for layer in self.layers]
        shares = [
            relation_shares(graph.hetero, a, p) for a, p in zip(per_etype, priors, strict=True)
        ]
        return Attention(graph.hetero, per_etype, shares)


def relation_shares(graph, attention: dict, prior: torch.Tensor) -> list:
    """The relation-level summary of one layer: for each destination type, the share of each
    node's attention (mean over heads) that each relation into it carries (``per_node``, rows
    summing to 1 for nodes with in-edges, 0 without) and its mean over the nodes with in-edges
    (``weights``); ``prior`` ``(R, H)`` is the layer's learned relation prior, kept per
    relation as its mean over heads."""
    out = []
    for t in graph.ntypes:
        into = [e for e in graph.canonical_etypes if e[2] == t]
        if not into:
            continue
        n = graph.num_nodes(t)
        per_node = torch.stack(
            [
                torch.zeros(n, dtype=attention[e].dtype, device=attention[e].device).index_add_(
                    0, graph.edges(etype=e, order="eid")[1], attention[e].detach().mean(1)
                )
                for e in into
            ],
            dim=1,
        )
        reached = per_node.sum(1) > 0
        weights = per_node[reached].mean(0) if reached.any() else per_node.sum(0)
        rel = [graph.canonical_etypes.index(e) for e in into]
        out.append(SemanticWeights(t, [e[1] for e in into], weights, per_node, prior[rel].mean(1)))
    return out
