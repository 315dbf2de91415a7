"""Simple-HGN (Lv et al., KDD 2021): GAT over the whole heterogeneous graph."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from hetgat.models.base import AttentionNet, unused_name
from hetgat.nn.simplehgnconv import SimpleHGNConv
from hetgat.nn.typed_linear import TypedLinear
from hetgat.records import Attention
from hetgat.sparse.graph import Graph
from hetgat.sparse.hetero import HeteroGraph

SELF_LOOP = "self-loop"


@dataclass
class TypedGraph:
    """A heterogeneous graph with one ``self-loop`` relation per node type, and the same graph
    as one homogeneous graph (what Simple-HGN runs on): per edge its type index and its id
    within that type, per node its type index and its id within that type."""

    hetero: HeteroGraph
    homo: Graph
    etype: torch.Tensor
    eid: torch.Tensor
    ntype: torch.Tensor
    nid: torch.Tensor

    def to(self, device):
        return TypedGraph(
            self.hetero.to(device),
            self.homo.to(device),
            *(t.to(device) for t in (self.etype, self.eid, self.ntype, self.nid)),
        )


def typed_graph(graph: HeteroGraph, self_loops: bool = True) -> TypedGraph:
    """Add a self-loop relation to every node type (unless not ``self_loops``: HGT) and
    flatten the graph (types kept as ids)."""
    data = {e: graph.edges(etype=e) for e in graph.canonical_etypes}
    own = unused_name(SELF_LOOP, [e[1] for e in data])  # one name, no user relation's
    for t in graph.ntypes if self_loops else ():
        nodes = torch.arange(graph.num_nodes(t), device=graph.device)
        data[(t, own, t)] = (nodes, nodes)
    hetero = HeteroGraph(data, {t: graph.num_nodes(t) for t in graph.ntypes}, check=False)
    return TypedGraph(hetero, *hetero.to_homogeneous())


class TypedBlocks:
    """The layer-wise API (see :mod:`hetgat.models.base`) of a model that runs on the
    homogeneous form of a :class:`TypedGraph` (Simple-HGN, HGT): blocks of that graph, seeds
    offset to the target type, inputs projected per type by :meth:`typed_input`."""

    def typed_input(self, h: dict) -> dict:
        """The model's projected input of each type's rows ``h``."""
        raise NotImplementedError

    def block_graph(self, graph: TypedGraph):
        return graph.homo

    def block_seeds(self, graph: TypedGraph, nodes: torch.Tensor) -> torch.Tensor:
        ntypes = graph.hetero.ntypes
        start = sum(graph.hetero.num_nodes(t) for t in ntypes[: ntypes.index(self.target)])
        return nodes + start

    def block_input(self, graph: TypedGraph, rows, nodes: torch.Tensor) -> torch.Tensor:
        """Projected inputs of the homogeneous graph's nodes ``nodes`` (of mixed types)."""
        ntype = graph.ntype[nodes]
        local = graph.nid[nodes]
        masks = {t: ntype == k for k, t in enumerate(graph.hetero.ntypes)}
        x = self.typed_input({t: rows(t, local[m]) for t, m in masks.items()})
        out = next(iter(x.values())).new_empty(len(nodes), self.project.fcs[0].out_features)
        for t, m in masks.items():
            out[m] = x[t]
        return out


class SimpleHGN(TypedBlocks, AttentionNet):
    """Simple-HGN node classifier.

    Each node type is projected to ``hidden``; ``num_layers - 1`` :class:`SimpleHGNConv` layers
    of ``heads`` heads and one output layer of one head run on the whole graph with learned
    edge-type embeddings in the score, node residuals (from the second layer on) and attention
    residuals (weight ``beta``); the output is L2-normalised. Self-loops are added as one
    relation per node type. Defaults are those of HGB's reference run (``run_new.py``).

    Parameters
    ----------
    schema : Schema
        Node and edge types, target type and classes.
    in_feats : dict[str, int]
        Input size per node type.
    hidden : int, default 64
        Size per head.
    heads : int, default 8
        Heads of the hidden layers.
    num_layers : int, default 4
        Attention layers, the output layer included.
    feat_drop, attn_drop : float, default 0.5
        Dropout on layer inputs and on attention.
    negative_slope : float, default 0.05
        LeakyReLU slope.
    edge_feats : int, default 64
        Size of the edge-type embedding.
    beta : float, default 0.05
        Attention residual weight.
    """

    heterogeneous = True
    uses = "all"
    supports_blocks = True
    #: Each layer's attention is needed by the next (attention residual).
    previous_attention = True

    def __init__(
        self,
        schema,
        in_feats: dict,
        *,
        hidden: int = 64,
        heads: int = 8,
        num_layers: int = 4,
        feat_drop: float = 0.5,
        attn_drop: float = 0.5,
        negative_slope: float = 0.05,
        edge_feats: int = 64,
        beta: float = 0.05,
    ) -> None:
        super().__init__()
        self.node_types = list(schema.node_types)
        self.target = schema.target_type
        num_etypes = len(schema.canonical_etypes) + len(self.node_types)
        self.project = TypedLinear(in_feats, hidden)
        self.layers = nn.ModuleList()
        size = hidden
        for i in range(num_layers - 1):
            self.layers.append(
                SimpleHGNConv(
                    edge_feats,
                    num_etypes,
                    size,
                    hidden,
                    heads,
                    feat_drop,
                    attn_drop,
                    negative_slope,
                    residual=i > 0,
                    activation=nn.functional.elu,
                    beta=beta,
                )
            )
            size = hidden * heads
        self.layers.append(
            SimpleHGNConv(
                edge_feats,
                num_etypes,
                size,
                schema.num_classes,
                1,
                feat_drop,
                attn_drop,
                negative_slope,
                residual=True,
                activation=None,
                beta=beta,
            )
        )

    def prepare_graph(self, graph) -> TypedGraph:
        return typed_graph(graph)

    def _run(self, graph: TypedGraph, h: dict):
        x = self.project(h)
        # to_homogeneous orders nodes by type, in the heterograph's type order.
        x = torch.cat([x[t] for t in graph.hetero.ntypes], dim=0)
        attention, res_attn = [], None
        hidden = None
        for i, layer in enumerate(self.layers):
            last = i == len(self.layers) - 1
            x, a = layer(graph.homo, x, graph.etype, None if last else res_attn)
            attention.append(a)
            res_attn = a.detach()
            if not last:
                x = x.flatten(1)
                hidden = x
        logits = x.mean(1)
        logits = logits / logits.norm(dim=1, keepdim=True).clamp(min=1e-12)
        start = sum(
            graph.hetero.num_nodes(t)
            for t in graph.hetero.ntypes[: graph.hetero.ntypes.index(self.target)]
        )
        rows = slice(start, start + graph.hetero.num_nodes(self.target))
        return logits[rows], attention, (None if hidden is None else hidden[rows])

    def forward(self, graph: TypedGraph, h: dict, get_attention: bool = False):
        logits, attention, _ = self._run(graph, h)
        if not get_attention:
            return logits
        return logits, Attention(graph.hetero, [split_attention(graph, a) for a in attention])

    def embed(self, graph: TypedGraph, h: dict) -> torch.Tensor:
        return self._run(graph, h)[2]

    def typed_input(self, h: dict) -> dict:
        return self.project(h)

    def layer_forward(self, i: int, block, h, graph: TypedGraph = None, prev=None):
        """Layer ``i`` on ``block``. ``prev`` is the previous layer's ``(edge ids, attention)``
        (edge ids None: indexed by edge id); an edge that the previous block lacks (sampled
        neighbourhoods differ per layer) gets no attention residual."""
        eids = block.eid
        last = i == len(self.layers) - 1
        res = None if last or prev is None else _previous(prev, eids)
        x, a = self.layers[i](block, h, graph.etype[eids], res)
        return (x.mean(1) if last else x.flatten(1)), a

    def block_output(self, h: torch.Tensor) -> torch.Tensor:
        return h / h.norm(dim=1, keepdim=True).clamp(min=1e-12)

    def block_attention(self, graph: TypedGraph, edges: list, semantic: list):
        return Attention(graph.hetero, [split_attention(graph, a) for a in edges])


def _previous(prev, eids: torch.Tensor) -> torch.Tensor:
    """The previous layer's attention of edges ``eids``; NaN rows where it has none."""
    prev_eids, att = prev
    att = att.detach()
    if prev_eids is None:
        return att[eids]
    order = torch.argsort(prev_eids)
    ordered = prev_eids[order]
    pos = torch.searchsorted(ordered, eids).clamp(max=len(ordered) - 1)
    found = ordered[pos] == eids
    out = att.new_full((len(eids), att.shape[1]), float("nan"))
    out[found] = att[order[pos[found]]]
    return out


def split_attention(graph: TypedGraph, a: torch.Tensor) -> dict:
    """Homogeneous edge attention back to ``{canonical etype: (E_r, H)}`` in edge-id order."""
    out, eids = {}, graph.eid
    for k, etype in enumerate(graph.hetero.canonical_etypes):
        mask = graph.etype == k
        part = torch.empty(
            graph.hetero.num_edges(etype), a.shape[1], dtype=a.dtype, device=a.device
        )
        part[eids[mask]] = a[mask]
        out[etype] = part
    return out
