r"""Message passing in plain torch: SDDMM, segment softmax and SpMM over a :class:`Graph`.

The primitives every attention layer needs, named as the math (``dgl.sparse``'s vocabulary):

- :func:`u_add_v` (an SDDMM with ``+``): ``e_ij = el_j + er_i``, node terms gathered per edge;
- :func:`u_dot_v` (an SDDMM with a dot product): ``e_ij = <k_j, q_i>`` per head (HGT's score);
- :func:`edge_softmax`: ``softmax_j(e_ij)`` over each destination's in-edges;
- :func:`weighted_sum` (SpMM): ``h_i = sum_j w_ij z_j`` per head, with its own backward
  (``dz`` = the transposed SpMM, ``dw`` = an SDDMM dot);
- :func:`softmax_aggregate`: the softmax folded into the sum, ``h_i = sum_j m_ij exp(e_ij - c)
  z_j / sum_j exp(e_ij - c)``, without normalising every edge (see
  :mod:`hetgat.sparse.dgl_ops` for the derivation; the semantics are the same).

They run on any device torch runs on. Memory: no ``(E, H, D)`` tensor beyond a bounded chunk;
the sum and its gradients live in :mod:`hetgat.sparse.spmm`. Reductions over edges use
``index_add_`` / ``scatter_reduce_`` on ``(E, H)`` tensors.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
import torch.utils.checkpoint

from hetgat.sparse.graph import Graph
from hetgat.sparse.masks import dropout_mask
from hetgat.sparse.spmm import CHUNK_ELEMENTS, weighted_sum

#: Below this a node's sum of shifted exponentials is too small: the gradient of 1/sum (-1/sum²)
#: would overflow float32. Each destination then gets its own shift.
SMALLEST_SUM = 1e-15


def u_add_v(graph: Graph, el: torch.Tensor, er: torch.Tensor) -> torch.Tensor:
    """``el[src] + er[dst]`` per edge: source and destination terms added on the edges."""
    return el.index_select(0, graph.src) + er.index_select(0, graph.dst)


def u_dot_v(graph: Graph, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """``(E, H, 1)``: ``<u_src, v_dst>`` per edge and head (``u``: ``(N_src, H, D)``, ``v``:
    ``(N_dst, H, D)``), in chunks of edges recomputed in the backward pass above
    :data:`CHUNK_ELEMENTS`, as :func:`pair_scores`."""

    def score(src, dst):
        return (u.index_select(0, src) * v.index_select(0, dst)).sum(-1, keepdim=True)

    return _chunked(graph, score, u.shape[1] * u.shape[2])


def _chunked(graph: Graph, score, size: int) -> torch.Tensor:
    """``score(src, dst)`` of every edge, chunk by chunk (activation checkpointing) when the
    ``(E, size)`` tensor it builds on the way would exceed :data:`CHUNK_ELEMENTS`."""
    edges = graph.num_edges()
    if edges * size <= CHUNK_ELEMENTS:
        return score(graph.src, graph.dst)
    step = max(1, CHUNK_ELEMENTS // size)
    parts = [
        torch.utils.checkpoint.checkpoint(
            score, graph.src[a : a + step], graph.dst[a : a + step], use_reentrant=False
        )
        for a in range(0, edges, step)
    ]
    return torch.cat(parts)


def pair_scores(
    graph: Graph,
    src_term: torch.Tensor,
    dst_term: torch.Tensor,
    attn: torch.Tensor,
    negative_slope: float,
) -> torch.Tensor:
    """``(E, H, 1)``: ``a^T LeakyReLU(s_j + t_i)`` per edge and head (GATv2's score).

    The ``(E, H, D)`` sum cannot be split into node terms; above :data:`CHUNK_ELEMENTS` it is
    made chunk by chunk of edges and recomputed in the backward pass (activation
    checkpointing), so no more than one chunk of it is ever held.
    """

    def score(src, dst):
        pair = src_term.index_select(0, src) + dst_term.index_select(0, dst)
        return (F.leaky_relu(pair, negative_slope) * attn).sum(-1, keepdim=True)

    return _chunked(graph, score, src_term.shape[1] * src_term.shape[2])


def segment_sum(graph: Graph, x: torch.Tensor) -> torch.Tensor:
    """``(N_dst, ...)``: the sum of ``x`` (edge values, ``(E, ...)``) over each node's in-edges."""
    out = x.new_zeros((graph.num_dst_nodes(), *x.shape[1:]))
    return out.index_add_(0, graph.dst, x)


def segment_max(graph: Graph, x: torch.Tensor) -> torch.Tensor:
    """``(N_dst, ...)``: the largest of ``x`` over each node's in-edges (-inf without any)."""
    out = x.new_full((graph.num_dst_nodes(), *x.shape[1:]), float("-inf"))
    index = graph.dst.view(-1, *([1] * (x.dim() - 1))).expand_as(x)
    return out.scatter_reduce_(0, index, x, "amax", include_self=True)


def edge_softmax(graph: Graph, e: torch.Tensor) -> torch.Tensor:
    """``softmax_j(e_ij)`` over the in-edges of every destination ``i``; ``e`` is ``(E, ...)``.

    Shifted by each destination's largest score (no overflow); differentiable through torch's
    own gather and ``index_add_``.
    """
    if e.shape[0] == 0:
        return e.clone()
    with torch.no_grad():
        shift = segment_max(graph, e).index_select(0, graph.dst)
    ex = (e - shift).exp()
    return ex / segment_sum(graph, ex).index_select(0, graph.dst)


def softmax_aggregate(
    graph: Graph,
    e: torch.Tensor,
    z: torch.Tensor,
    attn_drop: float = 0.0,
    get_attention: bool = False,
    bound=None,
    negative_slope: float | None = None,
    edge_weight: torch.Tensor | None = None,
):
    """``sum_j drop(softmax_j(e_ij)) z_j`` for every destination; the softmax when asked.

    Arguments and result as :func:`hetgat.sparse.dgl_ops.softmax_aggregate`; ``edge_weight``
    (``(E, 1, 1)`` or ``(E, H, 1)``) multiplies the normalised attention (DGL's GATConv
    ``edge_weight``), in the sum and in the attention returned.
    """
    if _sync_free(e):
        # No round trip to the host (a GPU keeps queueing work): every destination is shifted
        # by its own largest score, which is exact and can neither overflow nor underflow.
        ex = leaky_exp(e, negative_slope, _own_shift(graph, e, negative_slope))
        den = segment_sum(graph, ex)
        return _finish(graph, ex, den, z, attn_drop, get_attention, edge_weight)
    if negative_slope is not None and bound is None and e.shape[0]:
        bound = F.leaky_relu(e.detach().max(), negative_slope)
    top = float(e.detach().max() if bound is None else bound) if e.shape[0] else 0.0
    # exp(e) neither overflows nor underflows with scores in (-20, 60]: no shift then.
    ex = leaky_exp(e, negative_slope, None if -20.0 < top <= 60.0 else top)
    den = segment_sum(graph, ex)
    reached = graph.in_degrees() > 0
    if ex.shape[0] and bool((den[reached] < SMALLEST_SUM).any()):
        # Scores too far apart for one shift: each destination gets its own largest.
        ex = leaky_exp(e, negative_slope, _own_shift(graph, e, negative_slope))
        den = segment_sum(graph, ex)
    return _finish(graph, ex, den, z, attn_drop, get_attention, edge_weight)


#: Whether softmax_aggregate avoids host round trips: None decides by device (not on a CPU,
#: where a round trip is cheap and one shared shift saves a pass); tests set True or False.
SYNC_FREE: bool | None = None


def _sync_free(e: torch.Tensor) -> bool:
    return e.device.type != "cpu" if SYNC_FREE is None else SYNC_FREE


def _own_shift(graph: Graph, e: torch.Tensor, negative_slope) -> torch.Tensor:
    """``(E, ...)``: each edge's destination's largest (leaky-ReLU'd) score, no gradient."""
    with torch.no_grad():
        scores = e if negative_slope is None else F.leaky_relu(e, negative_slope)
        return segment_max(graph, scores).index_select(0, graph.dst)


def _finish(graph, ex, den, z, attn_drop, get_attention, edge_weight):
    """The weighted sum of the unnormalised weights ``ex``, divided per node by ``den``."""
    weights = ex if edge_weight is None else ex * edge_weight
    mask = dropout_mask(ex.shape, attn_drop, ex.device) if attn_drop else None
    h = weighted_sum(graph, weights, z, mask)
    scale = 1.0 / (1.0 - attn_drop)
    out = h * (den.clamp(min=SMALLEST_SUM).reciprocal() * scale)
    attention = None
    if get_attention:
        attention = weights / den.index_select(0, graph.dst)
    return out, attention


def leaky_exp(e, negative_slope, shift):
    """``exp(leaky_relu(e) - shift)`` (no leaky ReLU when ``negative_slope`` is None); ``shift``
    is None (none), a number or a tensor that broadcasts against ``e``."""
    if negative_slope is not None and e.device.type == "cpu":
        return _LeakyExp.apply(e, negative_slope, shift)
    if negative_slope is not None:  # elsewhere fewer kernels beat the smaller saved state
        e = F.leaky_relu(e, negative_slope)
    return torch.exp(e) if shift is None else (e - shift).exp()


class _LeakyExp(torch.autograd.Function):
    """``exp(leaky_relu(s) - shift)``, keeping for the backward pass only its result and where
    ``s > 0`` (5 bytes per score; leaky ReLU then exp keep both arrays: 8)."""

    @staticmethod
    def forward(ctx, s, negative_slope: float, shift):
        positive = s > 0
        ex = F.leaky_relu(s, negative_slope)
        if shift is not None:
            ex.sub_(shift)
        ex.exp_()
        ctx.save_for_backward(ex, positive)
        ctx.negative_slope = negative_slope
        return ex

    @staticmethod
    def backward(ctx, grad):
        ex, positive = ctx.saved_tensors
        # (1 where s > 0, else the slope) * exp * grad, in one new array.
        slope = ctx.negative_slope
        g = positive.to(ex.dtype).mul_(1.0 - slope).add_(slope).mul_(ex).mul_(grad)
        return g, None, None
