"""SeHGNN: simple and efficient heterogeneous graph neural network (Yang et al., AAAI 2023).

Neighbour aggregation is done once, before training: every relation path into the target type
gets its mean-aggregated features (:mod:`hetgat.datasets.path_features`). Training then sees
rows only: one projection per path, a transformer across each node's paths (the semantic
fusion, :class:`hetgat.nn.pathtransformer.PathTransformer`), and an MLP. No epoch touches the
graph.
"""

from __future__ import annotations

import torch
from torch import nn

from hetgat.datasets.featureless import FeaturelessInputs
from hetgat.datasets.path_features import PathInputs, path_features, relation_paths
from hetgat.datasets.path_labels import label_paths
from hetgat.errors import ConfigError
from hetgat.models.base import AttentionNet
from hetgat.nn.functional import CSRTranspose, Dropout, dropout, linear, sparse_csr
from hetgat.nn.pathlinear import PathLinear
from hetgat.nn.pathtransformer import PathTransformer
from hetgat.nn.taskhead import SeHGNNHead
from hetgat.records import Attention, SemanticWeights


def identity(n: int, device) -> torch.Tensor:
    """The ``(n, n)`` identity as sparse CSR: one-hot ids, whose path products are the paths'
    mean operators."""
    ids = torch.arange(n, device=device)
    crow = torch.arange(n + 1, device=device)
    return sparse_csr(crow, ids, torch.ones(n, device=device), (n, n))


class SeHGNN(AttentionNet):
    """SeHGNN node classifier on pre-computed relation-path features.

    .. math::
        z_p = \\mathrm{MLP}_p(W_p X_p), \\qquad
        (z'_1 \\dots z'_P) = \\mathrm{Transformer}(z_1 \\dots z_P), \\qquad
        y = \\mathrm{MLP}(W [z'_1 \\Vert \\dots \\Vert z'_P] \\,(+\\, W_r x))

    Tokens: one per relation path of at most ``hops`` edges into the target, then (with
    ``label_hops``) one per hop of the leak-free label input (:mod:`hetgat.datasets.labels`;
    ``labels-1`` ... ``labels-k``), which never leaves the target type, so no training node's
    own label reaches it.

    A path from a type without features (or whose features ``input_features`` leaves out)
    averages that type's learned embedding (:class:`~hetgat.models.inputs.NodeInputs`: kept per
    node, matched by id): its mean operator :math:`\\hat A_{r_k} \\cdots \\hat A_{r_1}` (SeHGNN's
    averaged one-hot ids) is pre-computed, and multiplied by the embedding at every step, the
    only per-step sparse product (``nnz`` of the operator x ``embed_dim``).

    Its attention: each node's ``(H, P, P)`` attention across paths, summarised as the
    attention each path receives (mean over the node's query paths and the heads; it sums to
    1 per node): the semantic attention record, per node and its mean over nodes. It has no
    neighbour (edge) attention: the neighbours are averaged before training.

    Parameters
    ----------
    schema : Schema
        Node and edge types, target type and classes.
    in_feats : dict[str, int]
        Input size per type (the target's includes the label input's columns).
    hops : int, default 2
        Longest relation path (SeHGNN's HGB commands: 2 on DBLP, 4 on ACM and IMDB).
    hidden : int, default 512
        Width of every path's embedding and of the MLP.
    heads : int, default 1
        Heads of the transformer across paths.
    num_layers : int, default 2
        Layers of the MLP head (the last gives the class scores).
    feat_drop : float, default 0.5
        Dropout on the inputs and in the MLPs.
    attn_drop : float, default 0.0
        Dropout on the attention across paths.
    residual : bool, default False
        Add a projection of the target's own features after the fusion (SeHGNN on DBLP).
    label_hops : int, default 0
        Hops of the label input (one token each).
    input_features : str, default "all"
        Which types use their features (the others: a learned embedding of ``embed_dim``).
    embed_dim : int, default 64
        Size of the learned embeddings.
    featureless : str, default "embedding"
        The inputs of types without features (``--featureless``): under ``embedding`` their
        paths average the learned embedding through the pre-computed mean operator; under the
        computed inputs (``random``, ``propagated``, ``degree``) those inputs start the paths
        as given features do (RpHGNN's random features), nothing kept per node.
    task_head : {"hetgat", "sehgnn"}, default "hetgat"
        The MLP after the fusion: linear, layer norm, PReLU, dropout per hidden layer
        (``hetgat``), or SeHGNN's: batch norm without affine weights in the hidden layers,
        residual hidden layers for a multi-label task, and the class scores normalised (batch
        norm per class for single-label tasks, its running statistics at evaluation; layer
        norm across the classes per node for multi-label ones).
    input_drop : float, optional
        Dropout on each path's projection (SeHGNN's input dropout, 0 on IMDB in its commands);
        None (default): ``feat_drop`` on the raw inputs instead.
    path_relations : tuple of str, optional
        The relations paths may take (feature and label paths); None (default): all.
    label_form : {"hops", "paths"}, default "hops"
        With ``label_hops``: one label token per hop, or one per relation path from the
        target back to it (SeHGNN's label features, :mod:`hetgat.datasets.path_labels`).
    path_norm : {"path", "node"}, default "path"
        The per-path layers' layer norms: over each path's embedding, or over all of a node's
        path embeddings at once (SeHGNN's; :class:`~hetgat.nn.pathlinear.PathLinear`).
    """

    heterogeneous = True
    uses = "all"
    precomputes = True

    def __init__(
        self,
        schema,
        in_feats: dict,
        *,
        hops: int = 2,
        hidden: int = 512,
        heads: int = 1,
        num_layers: int = 2,
        feat_drop: float = 0.5,
        attn_drop: float = 0.0,
        residual: bool = False,
        label_hops: int = 0,
        input_features: str = "all",
        embed_dim: int = 64,
        featureless: str = "embedding",
        label_form: str = "hops",
        task_head: str = "hetgat",
        input_drop: float | None = None,
        path_relations: tuple | None = None,
        path_norm: str = "path",
    ) -> None:
        super().__init__()
        if hidden % heads:
            raise ConfigError("hidden", hidden, f"a multiple of heads ({heads}) for sehgnn")
        self.target = schema.target_type
        # as NodeInputs decides: types without (used) features, under learned embeddings
        self.learned = FeaturelessInputs(featureless, input_features).learned_types(schema)
        self.paths = relation_paths(schema, hops, relations=path_relations)
        self.num_classes, self.embed_dim = schema.num_classes, embed_dim
        self.names = [p.name for p in self.paths]
        if label_hops and label_form == "paths":  # one token per path back to the target
            paths = label_paths(schema, label_hops, path_relations)
            labels = [f"labels:{p.name}" for p in paths]
        else:
            labels = [f"labels-{k + 1}" for k in range(label_hops)]
        self.names += labels
        self.label_cols = len(labels) * schema.num_classes
        given = {**in_feats, self.target: in_feats[self.target] - self.label_cols}
        dims = [embed_dim if p.source in self.learned else given[p.source]
                for p in self.paths]  # fmt: skip
        dims += [schema.num_classes] * len(labels)
        self.feat_drop = feat_drop
        self.input_drop = input_drop  # None: feat_drop on the raw inputs
        self.embed_paths = nn.ModuleList(nn.Linear(d, hidden) for d in dims)
        self._transpose = [CSRTranspose() for _ in dims]  # sparse path features, per path
        self.path_mlp = PathLinear(len(dims), hidden, feat_drop, path_norm)
        self.fusion = PathTransformer(hidden, heads, attn_drop)
        self.merge = nn.Linear(len(dims) * hidden, hidden)
        # the target's own given features are the first path
        own = self.paths[0].hops == 0 and self.target not in self.learned
        self.residual = nn.Linear(dims[0], hidden, bias=False) if residual and own else None
        self.act = nn.PReLU()
        if task_head not in ("hetgat", "sehgnn"):
            raise ConfigError("task_head", task_head, "hetgat or sehgnn")
        if task_head == "sehgnn":
            self.head = SeHGNNHead(hidden, num_layers, feat_drop, schema.multilabel)
        else:
            layers = []
            for _ in range(num_layers - 1):
                layers += [nn.Linear(hidden, hidden), nn.LayerNorm(hidden), nn.PReLU()]
                layers.append(Dropout(feat_drop))
            self.head = nn.Sequential(*layers)
        self.predict = nn.Linear(hidden, schema.num_classes)
        # SeHGNN normalises the class scores: over the batch per class (single-label), over
        # the classes per node (multi-label)
        self.out_norm = None
        if task_head == "sehgnn":
            c = schema.num_classes
            multi = schema.multilabel
            self.out_norm = nn.LayerNorm(c, elementwise_affine=False) if multi else (
                nn.BatchNorm1d(c, affine=False))  # fmt: skip

    def prepare_graph(self, graph, features: dict) -> PathInputs:
        """Every path's features (or, from a type with a learned embedding, its mean operator),
        computed once; ``features``: the given ones of the types that use theirs."""
        inputs = {t: f for t, f in features.items() if t not in self.learned}
        device = next(iter(features.values())).device if features else graph.device
        for t in self.learned:
            inputs[t] = identity(graph.num_nodes(t), device)
        return PathInputs(graph, self.names, path_features(graph, inputs, self.paths))

    def hidden_rows(self, inputs: PathInputs, h: dict, own: torch.Tensor, rows=None):
        """The last hidden layer ``(n, hidden)`` of target rows ``rows`` (all if None) and the
        attention across paths ``(n, H, P, P)``. ``h``: every type's input (a learned type's:
        its whole embedding, label input columns after it for the target); ``own``: the
        target's input of those rows."""
        x = list(inputs.features) if rows is None else inputs.rows(rows)
        width = own.shape[1] - self.label_cols  # the label input: the last columns
        for i, p in enumerate(self.paths):
            if p.source in self.learned:
                emb = h[p.source][:, : self.embed_dim]  # never the target's label columns
                x[i] = torch.sparse.mm(x[i], emb) if x[i].layout != torch.strided else x[i] @ emb
        if self.label_cols:  # one token per hop
            x = x + list(own[:, width:].split(self.num_classes, 1))
        raw = self.feat_drop if self.input_drop is None else 0.0
        tokens = [
            linear(dropout(xp, raw, self.training), fc.weight, fc.bias, tr)
            for xp, fc, tr in zip(x, self.embed_paths, self._transpose, strict=True)
        ]
        if self.input_drop is not None:  # SeHGNN's place: after each path's projection
            tokens = [dropout(t, self.input_drop, self.training) for t in tokens]
        z, alpha = self.fusion(self.path_mlp(torch.stack(tokens, dim=1)))
        out = self.merge(z.flatten(1))
        if self.residual is not None:
            out = out + linear(x[0], self.residual.weight)
        out = dropout(self.act(out), self.feat_drop, self.training)
        return self.head(out), alpha

    def forward(self, graph: PathInputs, h: dict, get_attention: bool = False):
        out, alpha = self.hidden_rows(graph, h, h[self.target])
        logits = self.scores(out)
        if not get_attention:
            return logits
        return logits, self.attention(graph, alpha)

    def forward_rows(
        self,
        graph: PathInputs,
        h: dict,
        own: torch.Tensor,
        rows: torch.Tensor,
        get_attention: bool = False,
    ):
        """Logits of target rows ``rows`` alone (``h``: the learned types' embeddings; ``own``:
        the target's input of those rows); with ``get_attention`` also each row's path shares
        ``(n, P)`` (:func:`path_shares`; :meth:`rows_attention` makes the record of them)."""
        out, alpha = self.hidden_rows(graph, h, own, rows)
        logits = self.scores(out)
        return (logits, path_shares(alpha)) if get_attention else logits

    def scores(self, out: torch.Tensor) -> torch.Tensor:
        """The class scores of the last hidden layer (normalised with ``task_head`` sehgnn)."""
        logits = self.predict(out)
        return logits if self.out_norm is None else self.out_norm(logits)

    def attention(self, graph: PathInputs, alpha: torch.Tensor) -> Attention:
        """The record of one pass: no edge attention (an empty dict for the one layer) and the
        semantic weights (each path's received attention per node, and their mean)."""
        return self.rows_attention(graph, path_shares(alpha))

    def rows_attention(self, graph: PathInputs, per_node: torch.Tensor) -> Attention:
        """The record of every target node's path shares ``(N, P)`` (chunks of
        :meth:`forward_rows`, in row order)."""
        weights = per_node.mean(0)
        semantic = SemanticWeights(self.target, list(self.names), weights, per_node)
        return Attention(graph.graph, [{}], [[semantic]])

    def embed(self, graph: PathInputs, h: dict) -> torch.Tensor:
        return self.hidden_rows(graph, h, h[self.target])[0]


def path_shares(alpha: torch.Tensor) -> torch.Tensor:
    """The attention each path receives, ``(N, P)`` summing to 1 per node: ``alpha``
    ``(N, H, P, P)`` averaged over the heads and the query paths."""
    return alpha.detach().mean(dim=(1, 2))
