"""Model inputs per node type: given features, or a learned embedding where there are none."""

from __future__ import annotations

import torch
from torch import nn

from hetgat.nn.functional import index_rows, sparse_csr
from hetgat.records import Attention
from hetgat.schema import Schema


class NodeInputs(nn.Module):
    """Input features of every node type.

    Types with features pass them through unchanged (dense or sparse CSR). A type without
    features gets, as is usual for featureless node types (e.g. HGB's term and keyword nodes),
    either a learned embedding ``(N_t, embed_dim)`` or, with ``identity``, one-hot id vectors:
    the sparse identity ``(N_t, N_t)``, so that the model's own input projection of the type
    learns one vector per node (HGB's "id vec" features, which Simple-HGN's published runs
    use). Either way such a model is transductive for those types: it predicts on graphs with
    the same nodes.

    Parameters
    ----------
    schema : Schema
        Node types, their feature sizes (0 = none) and node counts.
    embed_dim : int, default 64
        Size of the learned embeddings (not used with ``identity``).
    use : str, default "all"
        Which types use their given features: ``all``, ``target`` or ``none``; the others are
        featureless.
    identity : bool, default False
        Featureless types get one-hot id vectors instead of an embedding.
    """

    def __init__(
        self, schema: Schema, embed_dim: int = 64, use: str = "all", identity: bool = False
    ) -> None:
        super().__init__()
        keep = {
            "all": lambda t: True,
            "target": lambda t: t == schema.target_type,
            "none": lambda t: False,
        }[use]
        self.featureless = [t for t in schema.node_types if schema.in_feats[t] == 0 or not keep(t)]
        self.identity = identity
        self.num_nodes = {t: schema.num_nodes[t] for t in self.featureless}
        # Indexed by position: user type names may contain "." which module names may not.
        learned = () if identity else self.featureless
        self.embeddings = nn.ModuleList(nn.Embedding(self.num_nodes[t], embed_dim) for t in learned)
        for emb in self.embeddings:
            nn.init.xavier_uniform_(emb.weight)
        size = (lambda t: self.num_nodes[t]) if identity else (lambda t: embed_dim)
        self.out_feats = {
            t: (size(t) if t in self.featureless else schema.in_feats[t]) for t in schema.node_types
        }
        # Where the identities are built (a module without parameters has no device of its own).
        self.register_buffer("_anchor", torch.empty(0), persistent=False)
        self._eye = {}  # ntype -> identity: kept, so that its structure is the same every call

    def forward(self, features: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        out = {t: f for t, f in features.items() if t in self.out_feats}
        for ntype in self.featureless:
            out[ntype] = self._featureless(ntype)
        return out

    def rows(self, features: dict, ntype: str, ids: torch.Tensor) -> torch.Tensor:
        """The inputs of nodes ``ids`` of type ``ntype`` (those rows of :meth:`forward`'s)."""
        if ntype not in self.num_nodes:
            return index_rows(features[ntype], ids)
        if self.identity:
            return index_rows(self._featureless(ntype), ids)
        return self.embeddings[self.featureless.index(ntype)](ids)

    def _featureless(self, ntype: str) -> torch.Tensor:
        if not self.identity:
            return self.embeddings[self.featureless.index(ntype)].weight
        eye = self._eye.get(ntype)
        if eye is None or eye.device != self._anchor.device:
            n = self.num_nodes[ntype]
            ids = torch.arange(n + 1, device=self._anchor.device)
            eye = sparse_csr(ids, ids[:-1], self._anchor.new_ones(n), (n, n))
            self._eye[ntype] = eye
        return eye


class NodeClassifier(nn.Module):
    """A network and its inputs: ``net(graph, inputs(features))``.

    Homogeneous networks (``net.heterogeneous`` False) receive the target type's tensor;
    heterogeneous ones the whole dict.
    """

    def __init__(self, net: nn.Module, inputs: NodeInputs, target_type: str) -> None:
        super().__init__()
        self.net = net
        self.inputs = inputs
        self.target_type = target_type

    def _inputs(self, features):
        h = self.inputs(features)
        return h if getattr(self.net, "uses", "target") == "all" else h[self.target_type]

    def prepare_graph(self, graph):
        """The graph the network runs on (e.g. HAN's meta-path graphs); built once per run."""
        prepare = getattr(self.net, "prepare_graph", None)
        return graph if prepare is None else prepare(graph)

    def forward(self, graph, features: dict, get_attention: bool = False):
        """Logits of the target nodes; with ``get_attention`` also an :class:`Attention`."""
        out = self.net(graph, self._inputs(features), get_attention=get_attention)
        if get_attention and isinstance(out[1], list):  # homogeneous nets: (E, H) per layer
            return out[0], Attention(graph, out[1])
        return out

    def embed(self, graph, features: dict) -> torch.Tensor:
        """The last hidden representation of the target nodes."""
        return self.net.embed(graph, self._inputs(features))
