"""HAN: heterogeneous graph attention network (Wang et al., WWW 2019)."""

from __future__ import annotations

import dataclasses
import logging

import torch
from torch import nn

from hetgat.datasets.metapath_graphs import metapath_graph, select_metapaths
from hetgat.datasets.metapaths import find_metapaths, resolve_metapaths, spec_for
from hetgat.models.base import AttentionNet
from hetgat.nn import GATConv, attend
from hetgat.nn.semantic import SemanticAttention
from hetgat.records import Attention, SemanticWeights


class HANLayer(nn.Module):
    """Node-level attention inside each meta-path graph, then semantic attention across them.

    Parameters
    ----------
    in_feats : int
        Input size.
    out_feats : int
        Output size per head; the layer outputs ``out_feats * num_heads``.
    num_heads : int
        Heads of each meta-path's GAT layer (concatenated).
    etypes : list of tuple
        The meta-path graph's relations, one per meta-path.
    feat_drop, attn_drop : float
        Dropout of the GAT layers.
    negative_slope : float
        LeakyReLU slope of the node-level score.
    semantic_hidden : int, default 128
        Size of the semantic attention's scoring MLP.
    semantic_fusion : {"softmax", "sigmoid"}, default "softmax"
        How the semantic attention weighs the meta-paths (see :class:`SemanticAttention`).
    """

    def __init__(
        self,
        in_feats,
        out_feats,
        num_heads,
        etypes,
        feat_drop,
        attn_drop,
        negative_slope,
        semantic_hidden: int = 128,
        semantic_fusion: str = "softmax",
    ) -> None:
        super().__init__()
        self.etypes = list(etypes)
        self.convs = nn.ModuleList(
            GATConv(
                in_feats,
                out_feats,
                num_heads,
                feat_drop,
                attn_drop,
                negative_slope,
                activation=nn.functional.elu,
                allow_zero_in_degree=True,
            )
            for _ in self.etypes
        )
        self.semantic = SemanticAttention(out_feats * num_heads, semantic_hidden, semantic_fusion)

    def forward(self, graph, h: torch.Tensor, get_attention: bool = True):
        """``(N, out * heads)``, ``{etype: (E, H)}`` (empty unless ``get_attention``) and the
        :class:`SemanticWeights`."""
        views, attention = self.views(graph, h, get_attention)
        fused, semantic = self.fuse(views)
        return fused, attention, semantic

    def views(self, graph, h: torch.Tensor, get_attention: bool = True):
        """Node-level attention per meta-path: ``(N_dst, P, out * heads)`` and the attention
        (when ``get_attention``).

        ``graph`` may be a DGL block (``h`` then covers its source nodes)."""
        views, attention = [], {}
        for etype, conv in zip(self.etypes, self.convs, strict=True):
            z, a = attend(conv, graph[etype], h, get_attention)
            views.append(z.flatten(1))
            if get_attention:
                attention[etype] = a
        return torch.stack(views, dim=1), attention

    def fuse(self, views: torch.Tensor):
        """Semantic attention over the views of all the nodes given: ``(N, D)`` and weights."""
        fused, beta, per_node = self.semantic(views)
        names = [e[1] for e in self.etypes]
        return fused, SemanticWeights(self.etypes[0][0], names, beta, per_node)


class HAN(AttentionNet):
    """HAN node classifier over the meta-path graphs of the target type.

    The meta-paths are resolved against the schema when the model is built; their graphs are
    built once per run by :meth:`prepare_graph` (one relation per meta-path, named after it).
    Defaults follow DGL's HAN example: one layer, 8 heads x 8 hidden, dropout 0.6.

    Parameters
    ----------
    schema : Schema
        Node and edge types, target type and classes.
    in_feats : dict[str, int]
        Input size per node type (only the target type's is used).
    metapaths : sequence of str, optional
        Meta-paths as node types (``paper-author-paper``) or relation names; default: every
        symmetric meta-path of length 2 through the target type.
    hidden, heads : int, default 8, 8
        Size per head and heads of each layer.
    num_layers : int, default 1
        HAN layers; a linear layer then gives the class scores.
    feat_drop, attn_drop : float, default 0.6
        Dropout of the node-level GAT layers.
    negative_slope : float, default 0.2
        LeakyReLU slope.
    semantic_hidden : int, default 128
        Size of the semantic attention's scoring MLP.
    semantic_fusion : {"softmax", "sigmoid"}, default "softmax"
        The HAN paper's softmax over meta-paths, or the sigmoid gates of HGB's IMDB code.
    """

    heterogeneous = True
    uses = "target"
    supports_blocks = True
    needs_all_destinations = True

    @classmethod
    def resolve_config(cls, config, data):
        """The meta-paths, found (when not given) and checked for size against the data."""
        paths = select_metapaths(
            data.graph,
            data.schema(),
            config.metapaths,
            length=config.metapath_length,
            max_edges=config.max_metapath_edges,
            log=logging.getLogger("hetgat").warning,
        )
        if config.metapaths is not None:
            return config
        schema = data.schema()
        return dataclasses.replace(config, metapaths=tuple(spec_for(p, schema) for p in paths))

    def __init__(
        self,
        schema,
        in_feats: dict,
        *,
        metapaths=None,
        hidden: int = 8,
        heads: int = 8,
        num_layers: int = 1,
        feat_drop: float = 0.6,
        attn_drop: float = 0.6,
        negative_slope: float = 0.2,
        semantic_hidden: int = 128,
        semantic_fusion: str = "softmax",
    ) -> None:
        super().__init__()
        self.target = schema.target_type
        if metapaths:
            self.metapaths = resolve_metapaths(metapaths, schema)
        else:  # the symmetric meta-paths of length 2 (fit() also checks their sizes)
            self.metapaths = find_metapaths(schema)
        etypes = [(self.target, p.name, self.target) for p in self.metapaths]
        size = in_feats[self.target]
        self.layers = nn.ModuleList()
        for _ in range(num_layers):
            self.layers.append(
                HANLayer(
                    size,
                    hidden,
                    heads,
                    etypes,
                    feat_drop,
                    attn_drop,
                    negative_slope,
                    semantic_hidden,
                    semantic_fusion,
                )
            )
            size = hidden * heads
        self.predict = nn.Linear(size, schema.num_classes)

    def prepare_graph(self, graph):
        """The meta-path graph: one relation per meta-path over the target type."""
        return metapath_graph(graph.cpu(), self.metapaths).to(graph.device)

    def forward(self, graph, h: torch.Tensor, get_attention: bool = False):
        edges, semantic = [], []
        for layer in self.layers:
            h, a, s = layer(graph, h, get_attention)
            edges.append(a)
            semantic.append([s])
        logits = self.predict(h)
        return (logits, Attention(graph, edges, semantic)) if get_attention else logits

    def embed(self, graph, h: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            h = layer(graph, h, get_attention=False)[0]
        return h

    # Layer-wise API (see hetgat.models.base) on blocks of the meta-path graph. The semantic
    # weights average over the nodes given to layer_finish: a mini-batch's destinations in
    # training (as in DGL's HAN sampling example), all nodes in chunked inference (exact).

    def block_input(self, graph, rows, nodes: torch.Tensor) -> torch.Tensor:
        return rows(self.target, nodes)

    def layer_forward(self, i: int, block, h, graph=None, prev=None):
        """Layer ``i``'s node-level attention on ``block``: views ``(N_dst, P, D)``."""
        return self.layers[i].views(block, h)

    def layer_finish(self, i: int, views: torch.Tensor):
        """Layer ``i``'s semantic attention over ``views`` of several nodes."""
        fused, semantic = self.layers[i].fuse(views)
        return fused, [semantic]

    def block_output(self, h: torch.Tensor) -> torch.Tensor:
        return self.predict(h)

    def block_attention(self, graph, edges: list, semantic: list):
        return Attention(graph, edges, semantic)
