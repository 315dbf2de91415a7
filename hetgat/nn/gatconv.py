"""Graph attention layer (GAT), edge-wise: on hetgat's graphs or DGL's, any device."""

from __future__ import annotations

import torch
from torch import nn

from hetgat.nn.functional import CSRTranspose, dropout, linear, take_rows
from hetgat.sparse import Graph, softmax_aggregate, u_add_v
from hetgat.sparse.dgl_interop import one_relation


class GATConv(nn.Module):
    r"""Graph attention layer from `Graph Attention Networks <https://arxiv.org/abs/1710.10903>`_.

    .. math::
        h_i' = \Big\Vert_{k=1}^{H} \sum_{j \in \mathcal{N}(i)} \alpha_{ij}^{k} W^{k} h_j,
        \qquad
        \alpha_{ij}^{k} = \operatorname{softmax}_{j \in \mathcal{N}(i)}
            \mathrm{LeakyReLU}\big(a^{k\top} [W^{k} h_i \,\Vert\, W^{k} h_j]\big)

    Attention is computed per edge (node terms added on the edges, then the softmax over each
    node's in-edges folded into the aggregation: :func:`hetgat.sparse.softmax_aggregate`) and
    never as an ``N x N`` matrix; the kernels are plain torch or DGL's, chosen per device
    (:mod:`hetgat.sparse`). A drop-in for :class:`dgl.nn.GATConv`: the same parameter names and
    shapes (a state dict moves between the two), the same ``forward(graph, feat, edge_weight,
    get_attention)``, attention ``(E, H, 1)``, ``set_allow_zero_in_degree``, a ``DGLGraph`` or
    block as input. It also takes PyG's ``conv(x, edge_index)`` (see :meth:`forward`).

    Parameters
    ----------
    in_feats : int or (int, int)
        Input feature size; a pair ``(src, dst)`` for bipartite graphs with their own projections.
    out_feats : int
        Output size per head ``D``.
    num_heads : int
        Number of heads ``H``.
    feat_drop : float, default 0.0
        Dropout on the input features (kept sparse when the input is a sparse CSR tensor).
    attn_drop : float, default 0.0
        Dropout on the normalised attention coefficients.
    negative_slope : float, default 0.2
        LeakyReLU slope in the score.
    residual : bool, default False
        Add the (projected, when sizes differ) input of the destination node.
    activation : callable, optional
        Applied to the output.
    bias : bool, default True
        Learnable output bias.
    allow_zero_in_degree : bool, default False
        When False, a node without in-edges raises ``ValueError`` (its output would be only
        bias and residual); add self-loops or set True.
    msg_drop : float, default 0.0
        Dropout on the projected source features ``W h_j`` before they are aggregated (the
        scores use them undropped), as the GAT paper's reference implementation does; DGL's
        layer has no such dropout, so 0 keeps the two equal.

    Shapes
    ------
    - input: ``(N, in)`` dense or sparse CSR, or a pair ``((N_src, in_src), (N_dst, in_dst))``
    - output: ``(N_dst, H, D)``; attention ``(E, H, 1)`` in the graph's edge-id order (a block
      with no source or destination nodes gives empty outputs).
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
        allow_zero_in_degree: bool = False,
        msg_drop: float = 0.0,
    ) -> None:
        super().__init__()
        self._num_heads = num_heads
        self.msg_drop = msg_drop
        self._out_feats = out_feats
        self._in_src_feats, self._in_dst_feats = (
            in_feats if isinstance(in_feats, tuple) else (in_feats, in_feats)
        )
        self._allow_zero_in_degree = allow_zero_in_degree
        if isinstance(in_feats, tuple):
            self.fc_src = nn.Linear(self._in_src_feats, out_feats * num_heads, bias=False)
            self.fc_dst = nn.Linear(self._in_dst_feats, out_feats * num_heads, bias=False)
        else:
            self.fc = nn.Linear(self._in_src_feats, out_feats * num_heads, bias=False)
        self.attn_l = nn.Parameter(torch.empty(1, num_heads, out_feats))
        self.attn_r = nn.Parameter(torch.empty(1, num_heads, out_feats))
        self.feat_drop = feat_drop
        self.attn_drop = nn.Dropout(attn_drop)
        self.negative_slope = negative_slope
        self.has_linear_res = False
        if residual and self._in_dst_feats != out_feats * num_heads:
            self.res_fc = nn.Linear(self._in_dst_feats, out_feats * num_heads, bias=bias)
            self.has_linear_res = True
        elif residual:
            self.res_fc = nn.Identity()
        else:
            self.register_buffer("res_fc", None)
        if bias and not self.has_linear_res:
            self.bias = nn.Parameter(torch.empty(num_heads * out_feats))
        else:
            self.register_buffer("bias", None)
        self.activation = activation
        self._transpose = CSRTranspose()  # sparse inputs: x.T's structure, kept across epochs
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Glorot-normal weights (gain of ReLU) and zero biases, as in DGL."""
        gain = nn.init.calculate_gain("relu")
        for lin in (getattr(self, n, None) for n in ("fc", "fc_src", "fc_dst")):
            if lin is not None:
                nn.init.xavier_normal_(lin.weight, gain=gain)
        nn.init.xavier_normal_(self.attn_l, gain=gain)
        nn.init.xavier_normal_(self.attn_r, gain=gain)
        if self.bias is not None:
            nn.init.zeros_(self.bias)
        if isinstance(self.res_fc, nn.Linear):
            nn.init.xavier_normal_(self.res_fc.weight, gain=gain)
            if self.res_fc.bias is not None:
                nn.init.zeros_(self.res_fc.bias)

    def _project(self, graph, feat):
        """Dropout and projection: ``(h_dst, W h_src, W h_dst)`` with heads split out."""
        heads, out = self._num_heads, self._out_feats
        if isinstance(feat, tuple):
            h_src = dropout(feat[0], self.feat_drop, self.training)
            h_dst = dropout(feat[1], self.feat_drop, self.training)
            w_src = self.fc.weight if hasattr(self, "fc") else self.fc_src.weight
            w_dst = self.fc.weight if hasattr(self, "fc") else self.fc_dst.weight
            ft_src = linear(h_src, w_src, transpose=self._transpose).view(-1, heads, out)
            ft_dst = linear(h_dst, w_dst, transpose=self._transpose).view(-1, heads, out)
            return h_dst, ft_src, ft_dst
        h_src = dropout(feat, self.feat_drop, self.training)
        ft_src = linear(h_src, self.fc.weight, transpose=self._transpose).view(-1, heads, out)
        if graph.is_block:
            n_dst = graph.num_dst_nodes()
            return take_rows(h_src, n_dst), ft_src, ft_src[:n_dst]
        return h_src, ft_src, ft_src

    def set_allow_zero_in_degree(self, set_value: bool) -> None:
        """Allow nodes without in-edges (DGL's API; ``dgl.nn.HeteroGraphConv`` calls it)."""
        self._allow_zero_in_degree = set_value

    def forward(self, graph, feat, edge_weight=None, get_attention: bool = False):
        """Compute the layer; with ``get_attention`` also return the ``(E, H, 1)`` attention.

        Parameters
        ----------
        graph : Graph or DGLGraph, or Tensor
            hetgat's :class:`~hetgat.sparse.Graph` or a ``DGLGraph``/block with one edge type;
            or, in PyG's calling form ``conv(x, edge_index)``, the features ``x`` (a tensor, or a
            ``(x_src, x_dst)`` pair for a bipartite graph).
        feat : Tensor or (Tensor, Tensor)
            ``(N, in)`` features, or ``(src, dst)`` features; in PyG's form the ``(2, E)``
            ``edge_index`` (sources in row 0, no self-loops added, unlike PyG's default). That
            form builds a :class:`~hetgat.sparse.Graph` (checked, sorted) on every call: for
            many calls on one graph, build it once and pass it as ``graph``.
        edge_weight : Tensor, optional
            ``(E,)`` multiplies the normalised attention, as in DGL.
        get_attention : bool, default False
            Also return the attention ``(E, H, 1)``, in edge-id (``edge_index`` column) order.
        """
        graph, feat = graph_and_features(graph, feat)
        g = check_graph(graph, self._allow_zero_in_degree)
        heads, out = self._num_heads, self._out_feats
        h_dst, ft_src, ft_dst = self._project(g, feat)
        # a^T [W h_i || W h_j] = a_r^T W h_i + a_l^T W h_j: per node, then added per edge.
        el = (ft_src * self.attn_l).sum(-1, keepdim=True)
        er = (ft_dst * self.attn_r).sum(-1, keepdim=True)
        if self.msg_drop and self.training:
            ft_src = dropout(ft_src, self.msg_drop, True)
        drop = self.attn_drop.p if self.training else 0.0
        if g.num_edges() == 0:  # nothing to attend to: zeros, then residual and bias
            rst, a = ft_src.new_zeros(g.num_dst_nodes(), heads, out), ft_src.new_zeros(0, heads, 1)
        else:
            # leaky_relu is increasing: no score exceeds leaky_relu(max e_l + max e_r).
            bound = nn.functional.leaky_relu(
                el.detach().max() + er.detach().max(), self.negative_slope
            )
            # The leaky ReLU is fused with the softmax's exp (the scores are not kept).
            rst, a = softmax_aggregate(
                g,
                u_add_v(g, el, er),
                ft_src,
                drop,
                get_attention,
                bound=bound,
                negative_slope=self.negative_slope,
                edge_weight=None if edge_weight is None else edge_weight.view(-1, 1, 1),
            )
        if self.res_fc is not None:
            rst = rst + _residual(self.res_fc, h_dst).view(rst.shape)
        if self.bias is not None:
            rst = rst + self.bias.view(1, heads, out)
        if self.activation is not None:
            rst = self.activation(rst)
        if get_attention:
            return rst, a
        return rst


def graph_and_features(graph, feat):
    """``(graph, feat)`` of a call in DGL's form, or of one in PyG's form ``(x, edge_index)``
    (told apart by the first argument: a tensor or a pair of tensors is never a graph)."""
    pair = isinstance(graph, (tuple, list)) and len(graph) == 2
    if not isinstance(graph, torch.Tensor) and not (
        pair and all(isinstance(x, torch.Tensor) for x in graph)
    ):
        return graph, feat
    x, edge_index = (tuple(graph) if pair else graph), feat
    if (
        not isinstance(edge_index, torch.Tensor)
        or edge_index.dim() != 2
        or edge_index.shape[0] != 2
        or edge_index.is_floating_point()
        or edge_index.dtype == torch.bool
    ):
        got = (
            f"shape {tuple(edge_index.shape)}, {edge_index.dtype}"
            if isinstance(edge_index, torch.Tensor)
            else type(edge_index).__name__
        )
        raise ValueError(
            "called as conv(x, edge_index) (PyG's form), edge_index must be a (2, E) integer "
            f"tensor of source and destination rows; got {got}"
        )
    n_src, n_dst = (x[0].shape[0], x[1].shape[0]) if pair else (x.shape[0], x.shape[0])
    return Graph(edge_index[0], edge_index[1], n_src, n_dst), x


def check_graph(graph, allow_zero_in_degree: bool) -> Graph:
    """hetgat's form of a one-edge-type ``graph``; a node without in-edges is refused unless
    ``allow_zero_in_degree`` (its output would be only bias and residual)."""
    g = one_relation(graph)
    if not allow_zero_in_degree and bool((g.in_degrees() == 0).any()):
        raise ValueError(
            "the graph has nodes with no in-edges; add self-loops or pass allow_zero_in_degree=True"
        )
    return g


def attend(conv: nn.Module, graph, feat, get_attention: bool):
    """``conv(graph, feat)`` as ``(output, attention)`` for hetgat's models and tables: the
    attention ``(E, H)`` (the layer's DGL shape ``(E, H, 1)`` squeezed), or None unless
    ``get_attention``: normalising every edge is a pass and an array that training can skip."""
    if not get_attention:
        return conv(graph, feat), None
    out, a = conv(graph, feat, get_attention=True)
    return out, a.squeeze(-1)


def _residual(res_fc: nn.Module, h_dst: torch.Tensor) -> torch.Tensor:
    if isinstance(res_fc, nn.Linear):
        return linear(h_dst, res_fc.weight, res_fc.bias)
    return h_dst.to_dense() if h_dst.layout == torch.sparse_csr else h_dst
