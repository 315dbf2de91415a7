"""Simple-HGN's edge-type-aware attention layer (Lv et al., KDD 2021)."""

from __future__ import annotations

import torch
from torch import nn

from hetgat.nn.functional import dropout
from hetgat.sparse import edge_softmax, u_add_v, weighted_sum
from hetgat.sparse.dgl_interop import one_relation


class SimpleHGNConv(nn.Module):
    r"""GAT layer whose attention score also sees the edge's type, with attention residual.

    From `Are we really making much progress? Revisiting, benchmarking, and refining
    heterogeneous graph neural networks <https://arxiv.org/abs/2112.14936>`_:

    .. math::
        \hat\alpha_{ij} = \operatorname{softmax}_j \mathrm{LeakyReLU}\big(
            a^\top [W h_i \,\Vert\, W h_j \,\Vert\, W_r r_{\psi(i,j)}]\big), \qquad
        \alpha_{ij} = (1 - \beta)\,\hat\alpha_{ij} + \beta\,\alpha^{(l-1)}_{ij}

    where :math:`r_\psi` is a learned embedding of the edge type. The edge-type term is computed
    once per type ``(R, H)`` and gathered per edge, like the node terms are computed per node.

    Parameters
    ----------
    edge_feats : int
        Size of the edge-type embedding.
    num_etypes : int
        Number of edge types.
    in_feats, out_feats, num_heads : int
        Input size, size per head, heads.
    feat_drop, attn_drop : float, default 0.0
        Dropout on inputs and on attention.
    negative_slope : float, default 0.2
        LeakyReLU slope (Simple-HGN uses 0.05).
    residual : bool, default False
        Node residual (projected when the sizes differ).
    activation : callable, optional
        Applied to the output.
    beta : float, default 0.0
        Weight of the previous layer's attention (attention residual); ``res_attn`` rows that
        are NaN mark edges without one.

    Shapes
    ------
    input ``(N, in)``, edge types ``(E,)``; output ``(N, H, D)``, attention ``(E, H)``. On a
    block the input covers the source nodes (destinations first) and the output the destinations.
    ``graph``: hetgat's :class:`~hetgat.sparse.Graph` or a ``DGLGraph`` with one edge type.
    """

    def __init__(
        self,
        edge_feats: int,
        num_etypes: int,
        in_feats: int,
        out_feats: int,
        num_heads: int,
        feat_drop: float = 0.0,
        attn_drop: float = 0.0,
        negative_slope: float = 0.2,
        residual: bool = False,
        activation=None,
        beta: float = 0.0,
    ) -> None:
        super().__init__()
        self._num_heads, self._out_feats, self._edge_feats = num_heads, out_feats, edge_feats
        self.edge_emb = nn.Embedding(num_etypes, edge_feats)
        self.fc = nn.Linear(in_feats, out_feats * num_heads, bias=False)
        self.fc_e = nn.Linear(edge_feats, edge_feats * num_heads, bias=False)
        self.attn_l = nn.Parameter(torch.empty(1, num_heads, out_feats))
        self.attn_r = nn.Parameter(torch.empty(1, num_heads, out_feats))
        self.attn_e = nn.Parameter(torch.empty(1, num_heads, edge_feats))
        self.feat_drop = feat_drop
        self.attn_drop = nn.Dropout(attn_drop)
        self.negative_slope = negative_slope
        if residual:
            self.res_fc = nn.Linear(in_feats, out_feats * num_heads, bias=False)
        else:
            self.register_buffer("res_fc", None)
        self.activation = activation
        self.beta = beta
        self.reset_parameters()

    def reset_parameters(self) -> None:
        gain = nn.init.calculate_gain("relu")
        for w in (self.fc.weight, self.fc_e.weight, self.attn_l, self.attn_r, self.attn_e):
            nn.init.xavier_normal_(w, gain=gain)
        if self.res_fc is not None:
            nn.init.xavier_normal_(self.res_fc.weight, gain=gain)

    def forward(
        self, graph, feat: torch.Tensor, etype: torch.Tensor, res_attn: torch.Tensor | None = None
    ):
        """Output ``(N, H, D)`` and the attention used ``(E, H)``."""
        graph = one_relation(graph)
        heads, out = self._num_heads, self._out_feats
        h = dropout(feat, self.feat_drop, self.training)
        ft = self.fc(h).view(-1, heads, out)
        el = (ft * self.attn_l).sum(-1, keepdim=True)
        n_dst = graph.num_dst_nodes()  # all nodes, except on a block
        er = (ft[:n_dst] * self.attn_r).sum(-1, keepdim=True)
        # One score per edge type and head, then gathered: (R, H, 1) -> (E, H, 1).
        emb = self.fc_e(self.edge_emb.weight).view(-1, heads, self._edge_feats)
        # index_select, not [etype]: its gradient is an index_add_, where indexing's sorts the
        # E indices into the R rows (on a GPU 90 % of a Simple-HGN step on HGB ACM).
        ee = (emb * self.attn_e).sum(-1, keepdim=True).index_select(0, etype)
        e = nn.functional.leaky_relu(u_add_v(graph, el, er) + ee, self.negative_slope)
        a = dropout(edge_softmax(graph, e), self.attn_drop.p, self.training)
        if res_attn is not None:  # NaN rows: no previous attention, keep this layer's
            res = res_attn.unsqueeze(-1)
            a = torch.where(res.isnan(), a, a * (1 - self.beta) + res * self.beta)
        rst = weighted_sum(graph, a, ft)
        if self.res_fc is not None:
            rst = rst + self.res_fc(h[:n_dst]).view(rst.shape)
        if self.activation is not None:
            rst = self.activation(rst)
        return rst, a.squeeze(-1)
