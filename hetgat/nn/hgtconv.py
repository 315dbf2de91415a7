"""The Heterogeneous Graph Transformer layer (Hu et al., WWW 2020)."""

from __future__ import annotations

import math

import torch
from torch import nn

from hetgat.nn.functional import dropout
from hetgat.sparse import Graph, edge_softmax, u_dot_v, weighted_sum
from hetgat.sparse.dgl_interop import one_relation


class HGTConv(nn.Module):
    r"""Transformer attention whose keys, queries and values depend on the node types and whose
    attention and messages depend on the relation.

    From `Heterogeneous Graph Transformer <https://arxiv.org/abs/2003.01332>`_. For an edge
    :math:`s \to t` of relation :math:`r = \phi(e)` and each head :math:`i`:

    .. math::
        \mathrm{att}^i(s, e, t) = \operatorname{softmax}_{s \in \mathcal{N}(t)}
            \Big(K^i_{\tau(s)}(h_s)\, W^{ATT,i}_{r}\, Q^i_{\tau(t)}(h_t)^\top
            \cdot \frac{\mu^i_{r}}{\sqrt{d}}\Big), \qquad
        \mathrm{msg}^i(s, e, t) = V^i_{\tau(s)}(h_s)\, W^{MSG,i}_{r}

    .. math::
        \tilde h_t = \Big\Vert_i \sum_{s} \mathrm{att}^i(s, e, t)\, \mathrm{msg}^i(s, e, t),
        \qquad h'_t = \mathrm{Norm}\big(\alpha_{\tau(t)}\,
            \mathrm{drop}(A_{\tau(t)}(\sigma(\tilde h_t))) + (1 - \alpha_{\tau(t)})\, R(h_t)\big)

    with :math:`\alpha_\tau = \mathrm{sigmoid}(\mathrm{skip}_\tau)` (the learned skip gate),
    :math:`R` the identity, or a learned projection when the sizes differ, and the softmax
    over all in-edges of :math:`t`, whatever their relation. :math:`\mu` is the learned
    relation prior (one per relation and head, initialised to 1).

    With the defaults this is ``dgl.nn.HGTConv`` (no biases, no :math:`\sigma`); with
    ``bias=True, activation=gelu`` and ``in_feats == head_size * num_heads`` it is PyG's
    ``HGTConv`` (see ``tests/nn/test_hgtconv.py``). :math:`K W^{ATT}_r` and :math:`V W^{MSG}_r`
    are computed once per node and relation (for the nodes of the relation's source type) and
    gathered per edge, not per edge as DGL does (the same values, fewer products); the score
    is an SDDMM (:func:`hetgat.sparse.u_dot_v`) and the sum an SpMM, so no ``(E, H, D)``
    tensor beyond a bounded chunk is held.

    Parameters
    ----------
    in_feats : int
        Input size.
    head_size, num_heads : int
        Size per head and heads (output ``head_size * num_heads``).
    num_ntypes, num_etypes : int
        Node types and relations (``ntype``/``etype`` values are below them).
    dropout : float, default 0.2
        Dropout on the target-specific aggregation's output (DGL's ``dropout``).
    attn_drop : float, default 0.0
        Dropout on the attention (not in DGL's or PyG's layer).
    use_norm : bool, default False
        Layer norm of the output (DGL's ``use_norm``).
    bias : bool, default False
        Biases in the K, Q, V and A maps (PyG has them, DGL not).
    activation : callable, optional
        :math:`\sigma` before the A map: None as DGL's code, GELU as the paper and PyG.

    Shapes
    ------
    input ``(N, in)``, node types ``(N,)``, edge types ``(E,)``; output ``(N, H * D)``,
    attention ``(E, H, 1)`` (with ``get_attention``, the shape of DGL's ``GATConv``). On a
    block the input and ``ntype`` cover the source nodes (destinations first) and the output
    the destinations. ``g``: hetgat's :class:`~hetgat.sparse.Graph` or a ``DGLGraph`` with one
    edge type.
    """

    def __init__(
        self,
        in_feats: int,
        head_size: int,
        num_heads: int,
        num_ntypes: int,
        num_etypes: int,
        dropout: float = 0.2,
        attn_drop: float = 0.0,
        use_norm: bool = False,
        bias: bool = False,
        activation=None,
    ) -> None:
        super().__init__()
        out = head_size * num_heads
        self.head_size, self.num_heads = head_size, num_heads
        self.num_ntypes, self.num_etypes = num_ntypes, num_etypes
        # (types, in, out) as DGL's TypedLinear: x_i @ W[type_i]
        self.linear_k = nn.Parameter(torch.empty(num_ntypes, in_feats, out))
        self.linear_q = nn.Parameter(torch.empty(num_ntypes, in_feats, out))
        self.linear_v = nn.Parameter(torch.empty(num_ntypes, in_feats, out))
        self.linear_a = nn.Parameter(torch.empty(num_ntypes, out, out))
        for name in ("k", "q", "v", "a"):
            b = nn.Parameter(torch.zeros(num_ntypes, out)) if bias else None
            self.register_parameter(f"bias_{name}", b)
        self.relation_pri = nn.Parameter(torch.ones(num_etypes, num_heads))
        self.relation_att = nn.Parameter(torch.empty(num_etypes, num_heads, head_size, head_size))
        self.relation_msg = nn.Parameter(torch.empty(num_etypes, num_heads, head_size, head_size))
        self.skip = nn.Parameter(torch.ones(num_ntypes))
        self.dropout, self.attn_drop = dropout, attn_drop
        self.norm = nn.LayerNorm(out) if use_norm else None
        if in_feats != out:
            self.residual_w = nn.Parameter(torch.empty(in_feats, out))
        else:
            self.register_parameter("residual_w", None)
        self.activation = activation
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for w in (self.linear_k, self.linear_q, self.linear_v, self.linear_a):
            for t in range(self.num_ntypes):
                nn.init.xavier_uniform_(w[t])
        for w in (self.relation_att, self.relation_msg):
            for r in range(self.num_etypes):
                for i in range(self.num_heads):
                    nn.init.xavier_uniform_(w[r, i])
        if self.residual_w is not None:
            nn.init.xavier_uniform_(self.residual_w)
        nn.init.ones_(self.relation_pri)
        nn.init.ones_(self.skip)

    def forward(
        self,
        g,
        x: torch.Tensor,
        ntype: torch.Tensor,
        etype: torch.Tensor,
        *,
        presorted: bool = False,
        get_attention: bool = False,
    ):
        """The output ``(N_dst, H * D)``, as ``dgl.nn.HGTConv`` (its argument names too); with
        ``get_attention`` also the attention ``(E, H, 1)`` in edge-id order.

        ``presorted`` is DGL's hint that nodes and edges are sorted by type; accepted and not
        needed (the products are grouped by type whatever the order).
        """
        graph, feat = one_relation(g), x
        heads, size = self.num_heads, self.head_size
        n_dst = graph.num_dst_nodes()  # all nodes, except on a block
        x_dst, dst_type = feat[:n_dst], ntype[:n_dst]
        k = typed_matmul(feat, ntype, self.linear_k, self.bias_k).view(-1, heads, size)
        v = typed_matmul(feat, ntype, self.linear_v, self.bias_v).view(-1, heads, size)
        q = typed_matmul(x_dst, dst_type, self.linear_q, self.bias_q).view(-1, heads, size)
        # K W_att and V W_msg per (relation, source node): sources in a space of one row per
        # relation and node of its source type, and the graph re-pointed into it.
        rows, kr, vr = _per_relation(
            graph, ntype, etype, k, v, self.relation_att, self.relation_msg, self.num_ntypes
        )
        rel = Graph(rows, graph.dst, kr.shape[0], n_dst, check=False)
        prior = self.relation_pri.index_select(0, etype).unsqueeze(-1)  # (E, H, 1)
        e = u_dot_v(rel, kr, q) * prior / math.sqrt(size)
        a = dropout(edge_softmax(rel, e), self.attn_drop, self.training)
        h = weighted_sum(rel, a, vr).flatten(1)
        if self.activation is not None:
            h = self.activation(h)
        h = typed_matmul(h, dst_type, self.linear_a, self.bias_a)
        h = dropout(h, self.dropout, self.training)
        gate = torch.sigmoid(self.skip.index_select(0, dst_type)).unsqueeze(-1)
        res = x_dst if self.residual_w is None else x_dst @ self.residual_w
        h = h * gate + res * (1 - gate)
        if self.norm is not None:
            h = self.norm(h)
        return (h, a) if get_attention else h


def typed_matmul(x: torch.Tensor, xtype: torch.Tensor, weight, bias=None) -> torch.Tensor:
    """``x_i @ weight[xtype_i] (+ bias[xtype_i])`` per row: one product per type present."""
    out = x.new_zeros(x.shape[0], weight.shape[2])
    for t in torch.unique(xtype).tolist():
        idx = (xtype == t).nonzero().squeeze(1)
        y = x.index_select(0, idx) @ weight[t]
        out = out.index_copy(0, idx, y if bias is None else y + bias[t])
    return out


def _per_relation(graph: Graph, ntype, etype, k, v, w_att, w_msg, num_ntypes: int):
    """Per edge the row of its (relation, source) pair, and those rows of ``k @ w_att[r]``
    and ``v @ w_msg[r]`` (``(M, H, D)``): for each (relation, source type) present, every node
    of that type. A relation's edges usually leave one node type; any mix is handled."""
    src_type = ntype.index_select(0, graph.src)
    group = etype * num_ntypes + src_type
    counts = torch.bincount(ntype, minlength=num_ntypes)
    order = torch.argsort(ntype, stable=True)
    starts = torch.cumsum(counts, 0) - counts
    local = torch.empty_like(ntype)
    local[order] = torch.arange(len(ntype), device=ntype.device) - starts[ntype[order]]
    present = torch.nonzero(torch.bincount(group, minlength=w_att.shape[0] * num_ntypes))
    present = present.squeeze(1)
    sizes = counts[present % num_ntypes]
    offsets = torch.zeros(w_att.shape[0] * num_ntypes, dtype=torch.long, device=ntype.device)
    offsets[present] = torch.cumsum(sizes, 0) - sizes
    rows = offsets.index_select(0, group) + local.index_select(0, graph.src)
    ks, vs = [], []
    for g in present.tolist():
        r, t = divmod(g, num_ntypes)
        nodes = order[int(starts[t]) : int(starts[t] + counts[t])]
        ks.append(torch.einsum("nhd,hde->nhe", k.index_select(0, nodes), w_att[r]))
        vs.append(torch.einsum("nhd,hde->nhe", v.index_select(0, nodes), w_msg[r]))
    if not ks:
        empty = k.new_zeros(0, k.shape[1], k.shape[2])
        return rows, empty, empty
    return rows, torch.cat(ks), torch.cat(vs)
