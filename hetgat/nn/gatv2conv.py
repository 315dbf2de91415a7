"""GATv2 attention layer, edge-wise: on hetgat's graphs or DGL's, any device."""

from __future__ import annotations

import torch
from torch import nn

from hetgat.nn.functional import CSRTranspose, dropout, linear, take_rows
from hetgat.nn.gatconv import _residual, check_graph, graph_and_features
from hetgat.sparse import pair_scores, softmax_aggregate


class GATv2Conv(nn.Module):
    r"""GATv2 layer from `How Attentive are Graph Attention Networks?
    <https://arxiv.org/abs/2105.14491>`_ (Brody et al., ICLR 2022).

    .. math::
        h_i' = \Big\Vert_{k=1}^{H} \sum_{j \in \mathcal{N}(i)} \alpha_{ij}^{k} W_s^{k} h_j,
        \qquad
        \alpha_{ij}^{k} = \operatorname{softmax}_{j}
            \, a^{k\top} \mathrm{LeakyReLU}\big(W_s^{k} h_j + W_t^{k} h_i\big)

    The nonlinearity sits between the projection and ``a``, so the ranking of neighbours can
    depend on the query node ("dynamic" attention). The score needs the ``(E, H, D)`` sum per
    edge, so unlike GAT it cannot be split into per-node halves (on large graphs it is made in
    chunks of edges: :func:`hetgat.sparse.pair_scores`). A drop-in for
    :class:`dgl.nn.GATv2Conv` (parameter names and shapes, ``forward(graph, feat,
    get_attention)`` with attention ``(E, H, 1)``, ``set_allow_zero_in_degree``); an extra
    ``edge_weight``, after DGL 1.1's arguments, and PyG's ``conv(x, edge_index)``, as
    :class:`~hetgat.nn.GATConv`.

    Parameters
    ----------
    in_feats : int or (int, int)
        Input feature size, or ``(src, dst)`` sizes.
    out_feats : int
        Output size per head ``D``.
    num_heads : int
        Number of heads ``H``.
    feat_drop, attn_drop : float, default 0.0
        Dropout on the inputs and on the attention coefficients.
    negative_slope : float, default 0.2
        LeakyReLU slope.
    residual : bool, default False
        Add the (projected) destination input.
    activation : callable, optional
        Applied to the output.
    bias : bool, default True
        Biases in the projections (``W_s``, ``W_t`` and the residual), as in DGL.
    share_weights : bool, default False
        Use one projection for sources and destinations.
    allow_zero_in_degree : bool, default False
        See :class:`~hetgat.nn.GATConv`.
    msg_drop : float, default 0.0
        Dropout on the aggregated source features only (see :class:`~hetgat.nn.GATConv`).

    Shapes
    ------
    output ``(N_dst, H, D)``; attention ``(E, H, 1)`` in edge-id order.
    """

    def __init__(
        self,
        in_feats: int | tuple[int, int],
        out_feats: int,
        num_heads: int,
        feat_drop: float = 0.0,
        attn_drop: float = 0.0,
        negative_slope: float = 0.2,
        residual: bool = False,
        activation=None,
        bias: bool = True,
        share_weights: bool = False,
        allow_zero_in_degree: bool = False,
        msg_drop: float = 0.0,
    ) -> None:
        super().__init__()
        self.msg_drop = msg_drop
        self._num_heads = num_heads
        self._out_feats = out_feats
        in_src, in_dst = in_feats if isinstance(in_feats, tuple) else (in_feats, in_feats)
        self._allow_zero_in_degree = allow_zero_in_degree
        self.share_weights = share_weights
        self.fc_src = nn.Linear(in_src, out_feats * num_heads, bias=bias)
        if share_weights and not isinstance(in_feats, tuple):
            self.fc_dst = self.fc_src
        else:
            self.fc_dst = nn.Linear(in_dst, out_feats * num_heads, bias=bias)
        self.attn = nn.Parameter(torch.empty(1, num_heads, out_feats))
        self.feat_drop = feat_drop
        self.attn_drop = nn.Dropout(attn_drop)
        self.negative_slope = negative_slope
        if residual and in_dst != out_feats * num_heads:
            self.res_fc = nn.Linear(in_dst, out_feats * num_heads, bias=bias)
        elif residual:
            self.res_fc = nn.Identity()
        else:
            self.register_buffer("res_fc", None)
        self.activation = activation
        self._transpose = CSRTranspose()  # sparse inputs: x.T's structure, kept across epochs
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Glorot-normal weights (gain of ReLU) and zero biases, as in DGL."""
        gain = nn.init.calculate_gain("relu")
        for lin in {id(m): m for m in (self.fc_src, self.fc_dst)}.values():
            nn.init.xavier_normal_(lin.weight, gain=gain)
            if lin.bias is not None:
                nn.init.zeros_(lin.bias)
        nn.init.xavier_normal_(self.attn, gain=gain)
        if isinstance(self.res_fc, nn.Linear):
            nn.init.xavier_normal_(self.res_fc.weight, gain=gain)
            if self.res_fc.bias is not None:
                nn.init.zeros_(self.res_fc.bias)

    def set_allow_zero_in_degree(self, set_value: bool) -> None:
        """Allow nodes without in-edges (DGL's API; ``dgl.nn.HeteroGraphConv`` calls it)."""
        self._allow_zero_in_degree = set_value

    def forward(self, graph, feat, get_attention: bool = False, edge_weight=None):
        """Compute the layer; with ``get_attention`` also return the ``(E, H, 1)`` attention.

        DGL 1.1's order ``(graph, feat, get_attention)``, then ``edge_weight`` ``(E,)`` (which
        DGL 1.1's layer lacks); ``graph``, ``feat`` (or PyG's ``x, edge_index``) and
        ``edge_weight`` as in :meth:`hetgat.nn.GATConv.forward`.
        """
        graph, feat = graph_and_features(graph, feat)
        g = check_graph(graph, self._allow_zero_in_degree)
        heads, out = self._num_heads, self._out_feats
        if isinstance(feat, tuple):
            h_src = dropout(feat[0], self.feat_drop, self.training)
            h_dst = dropout(feat[1], self.feat_drop, self.training)
        else:
            h_src = h_dst = dropout(feat, self.feat_drop, self.training)
            if g.is_block:
                h_dst = take_rows(h_src, g.num_dst_nodes())
        ft_src = linear(h_src, self.fc_src.weight, self.fc_src.bias, self._transpose)
        ft_src = ft_src.view(-1, heads, out)
        if self.share_weights and h_dst is h_src:
            ft_dst = ft_src
        else:
            ft_dst = linear(h_dst, self.fc_dst.weight, self.fc_dst.bias, self._transpose)
            ft_dst = ft_dst.view(-1, heads, out)
        ft_dst = ft_dst[: g.num_dst_nodes()]
        z = ft_src
        if self.msg_drop and self.training:
            z = dropout(ft_src, self.msg_drop, True)
        drop = self.attn_drop.p if self.training else 0.0
        if g.num_edges() == 0:
            rst, a = z.new_zeros(g.num_dst_nodes(), heads, out), z.new_zeros(0, heads, 1)
        else:
            e = pair_scores(g, ft_src, ft_dst, self.attn, self.negative_slope)  # (E, H, 1)
            weight = None if edge_weight is None else edge_weight.view(-1, 1, 1)
            rst, a = softmax_aggregate(g, e, z, drop, get_attention, edge_weight=weight)
        if self.res_fc is not None:
            rst = rst + _residual(self.res_fc, h_dst).view(rst.shape)
        if self.activation is not None:
            rst = self.activation(rst)
        if get_attention:
            return rst, a
        return rst
