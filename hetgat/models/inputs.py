"""Model inputs per node type: given features, or a learned embedding where there are none."""

from __future__ import annotations

import torch
from torch import nn

from hetgat.data import Schema
from hetgat.datasets.featureless import FeaturelessInputs
from hetgat.records import Attention
from hetgat.sparse.csr import index_rows


class NodeInputs(nn.Module):
    """Input features of every node type.

    Types with features pass them through unchanged (dense or sparse CSR); a type without
    features gets a learned embedding ``(N_t, embed_dim)``, as is usual for featureless node
    types (e.g. HGB's term and keyword nodes). Such a model is transductive for those types: it
    predicts on graphs with the same nodes.

    Parameters
    ----------
    schema : Schema
        Node types, their feature sizes (0 = none) and node counts.
    embed_dim : int, default 64
        Size of the learned embeddings.
    use : str, default "all"
        Which types use their given features: ``all``, ``target`` or ``none``; the others get
        learned embeddings.
    label_feats : int, default 0
        Columns of the leak-free label input (:mod:`hetgat.datasets.labels`) appended to the
        target type's input; 0: none. The input is a buffer ``label_input`` (with each node's
        part, ``label_partition``), set at training (:meth:`set_label_input`) and saved with the
        weights, so a saved model reads the same input later (transductive for the target type).
    featureless : str, default "embedding"
        Inputs of featureless types: learned embeddings, or inputs computed from the graph
        (``random``, ``propagated``, ``degree``, joined by ``+``; :attr:`recipe` computes them,
        see :mod:`hetgat.datasets.featureless`), which then arrive in ``features`` like given
        ones: nothing is kept per node.
    """

    def __init__(
        self,
        schema: Schema,
        embed_dim: int = 64,
        use: str = "all",
        label_feats: int = 0,
        featureless: str = "embedding",
    ) -> None:
        super().__init__()
        #: How the features this module reads are made from the data (``model_inputs``).
        self.recipe = FeaturelessInputs(featureless, use, embed_dim)
        self.target_type = schema.target_type
        if label_feats:
            n = schema.num_nodes[schema.target_type]
            self.register_buffer("label_input", torch.zeros(n, label_feats))
            self.register_buffer("label_partition", torch.full((n,), -1, dtype=torch.long))
        else:
            self.label_input = self.label_partition = None
        #: The types with a learned embedding (computed inputs arrive with the features).
        self.featureless = self.recipe.learned_types(schema)
        computed = {} if self.recipe.learned else self.recipe.sizes(schema)
        # Indexed by position: user type names may contain "." which module names may not.
        self.embeddings = nn.ModuleList(
            nn.Embedding(schema.num_nodes[t], embed_dim) for t in self.featureless
        )
        for emb in self.embeddings:
            nn.init.xavier_uniform_(emb.weight)
        self.out_feats = {
            t: (embed_dim if t in self.featureless else computed.get(t, schema.in_feats[t]))
            for t in schema.node_types
        }
        self.out_feats[schema.target_type] += label_feats

    def per_node_state(self) -> dict[str, str]:
        """``{state_dict key: node type}`` of every tensor kept per node (one row a node, in
        the training graph's node order): the learned embeddings and the label input. A run
        meeting a graph again gathers these rows by node id (:mod:`hetgat.runs.align`)."""
        state = {f"embeddings.{i}.weight": t for i, t in enumerate(self.featureless)}
        if self.label_input is not None:
            state["label_input"] = state["label_partition"] = self.target_type
        return state

    def set_label_input(self, values: torch.Tensor, partition: torch.Tensor) -> None:
        """Set the label input (see :func:`hetgat.datasets.labels.label_input`)."""
        self.label_input.copy_(values)
        self.label_partition.copy_(partition)

    def with_labels(self, x: torch.Tensor, ids: torch.Tensor | None = None) -> torch.Tensor:
        """The target type's input ``x`` (of nodes ``ids``; all if None) with the label input
        appended (a sparse ``x`` becomes dense)."""
        if self.label_input is None:
            return x
        if x.layout != torch.strided:
            x = x.to_dense()
        labels = self.label_input if ids is None else self.label_input[ids]
        return torch.cat([x, labels.to(x.dtype)], dim=1)

    def forward(self, features: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        out = {t: f for t, f in features.items() if t in self.out_feats}
        for ntype, emb in zip(self.featureless, self.embeddings, strict=True):
            out[ntype] = emb.weight
        if self.label_input is not None:
            out[self.target_type] = self.with_labels(out[self.target_type])
        return out


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
        return h if self.net.uses == "all" else h[self.target_type]

    def prepare_graph(self, graph, features: dict | None = None):
        """The graph the network runs on (e.g. HAN's meta-path graphs); built once per run.

        A network that pre-computes from the features (``precomputes``: SeHGNN's path
        features) needs ``features``, and receives the given ones of the types that use theirs.
        """
        if not getattr(self.net, "precomputes", False):
            return self.net.prepare_graph(graph)
        if features is None:
            raise TypeError(f"{type(self.net).__name__}.prepare_graph needs the features")
        featureless = set(self.inputs.featureless)
        return self.net.prepare_graph(
            graph, {t: f for t, f in features.items() if t not in featureless}
        )

    def per_node_state(self) -> dict[str, str]:
        """``{state_dict key: node type}`` of every tensor kept per node (see
        :meth:`NodeInputs.per_node_state`)."""
        return {f"inputs.{k}": t for k, t in self.inputs.per_node_state().items()}

    def input_rows(self, features: dict):
        """``rows(ntype, ids)``: the input rows of nodes ``ids`` of type ``ntype`` (given
        features, or the learned embedding of a featureless type), for the layer-wise API."""
        embeddings = dict(zip(self.inputs.featureless, self.inputs.embeddings, strict=True))

        def given(ntype: str, ids: torch.Tensor) -> torch.Tensor:
            if ntype in embeddings:
                return embeddings[ntype](ids)
            return index_rows(features[ntype], ids)

        def rows(ntype: str, ids: torch.Tensor) -> torch.Tensor:
            if ntype == self.target_type:
                return self.inputs.with_labels(given(ntype, ids), ids)
            return given(ntype, ids)

        return rows

    def forward(self, graph, features: dict, get_attention: bool = False):
        """Logits of the target nodes; with ``get_attention`` also an :class:`Attention`."""
        out = self.net(graph, self._inputs(features), get_attention=get_attention)
        if get_attention and isinstance(out[1], list):  # homogeneous nets: (E, H) per layer
            return out[0], Attention(graph, out[1])
        return out

    def rows_logits(self, graph, features: dict, rows: torch.Tensor, get_attention=False):
        """Logits of the target nodes ``rows``: the full pass's rows, or, for a network whose
        nodes are independent once its inputs are pre-computed (``precomputes``), those rows
        alone (a training step then costs the training nodes' rows only). With
        ``get_attention`` (``precomputes`` only) also the rows' part of the attention record
        (the network's ``rows_attention`` makes the record of the parts)."""
        if not getattr(self.net, "precomputes", False):
            return self(graph, features)[rows]
        inputs = self.inputs
        h = {t: e.weight for t, e in zip(inputs.featureless, inputs.embeddings, strict=True)}
        own = self.input_rows(features)(self.target_type, rows)
        if get_attention:
            return self.net.forward_rows(graph, h, own, rows, get_attention=True)
        return self.net.forward_rows(graph, h, own, rows)

    def embed(self, graph, features: dict) -> torch.Tensor:
        """The last hidden representation of the target nodes."""
        return self.net.embed(graph, self._inputs(features))
