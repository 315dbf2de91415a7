"""Attention-weighted aggregation without normalising every edge.

GAT layers compute, for every destination ``i`` and head ``k``,

.. math::
    h_i^k = \\sum_j \\operatorname{drop}(\\alpha_{ij}^k)\\, z_j^k, \\qquad
    \\alpha_{ij}^k = \\frac{\\exp(e_{ij}^k)}{\\sum_{j'} \\exp(e_{ij'}^k)}

``dgl.nn.functional.edge_softmax`` builds every :math:`\\alpha_{ij}` (a per-destination max,
a subtraction, an exponential, a sum and a division: five passes over the edges) before the
aggregation reads them once more. Since the denominator does not depend on ``j``, it can be
applied per node instead:

.. math::
    h_i^k = \\frac{1}{1-p} \\cdot
        \\frac{\\sum_j m_{ij}^k \\exp(e_{ij}^k - c^k)\\, z_j^k}{\\sum_j \\exp(e_{ij}^k - c^k)}

with one shift :math:`c` (an upper bound of the scores, so no exponential overflows; none when
the scores are small enough) and the
dropout mask :math:`m` applied to the unnormalised weights, its :math:`1/(1-p)` per node. That is
an exponential, two sums over the edges and a division per node. When the shift is so far above
some node's scores that its sum underflows (scores over ~34 apart), the exact per-edge
softmax is used for that call instead.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from hetgat._dgl import dgl
from hetgat.nn.aggregate import weighted_sum
from hetgat.nn.functional import dropout_mask

fn = dgl.function

#: Below this a node's sum of shifted exponentials is too small: the gradient of 1/sum (-1/sum²)
#: would overflow float32. Each destination then gets its own shift.
_SMALLEST_SUM = 1e-15


def softmax_aggregate(
    graph,
    e,
    z,
    attn_drop: float = 0.0,
    get_attention: bool = False,
    bound=None,
    negative_slope: float | None = None,
):
    """``sum_j drop(softmax_j(e_ij)) z_j`` for every destination; the softmax when asked.

    Parameters
    ----------
    graph : DGLGraph
        A homogeneous graph or block.
    e : torch.Tensor
        ``(E, H, 1)`` attention scores in edge-id order; with ``negative_slope``, the scores
        before their leaky ReLU (applied here, fused with the exponential).
    z : torch.Tensor
        ``(N_src, H, D)`` messages of the source nodes.
    attn_drop : float
        Dropout on the normalised attention (in training; 0 turns it off).
    get_attention : bool
        Also return the ``(E, H, 1)`` normalised attention (before dropout).
    bound : torch.Tensor, optional
        A number no score exceeds (GAT: ``leaky_relu(max e_l + max e_r)``, from node values);
        default: the largest score.
    negative_slope : float, optional
        Apply ``leaky_relu(e, negative_slope)`` first.

    Returns
    -------
    torch.Tensor, torch.Tensor or None
        ``(N_dst, H, D)`` (nodes without in-edges get 0) and the attention or None.
    """
    if negative_slope is not None and bound is None and e.shape[0]:
        bound = F.leaky_relu(e.detach().max(), negative_slope)
    with graph.local_scope():
        top = float(e.detach().max() if bound is None else bound) if e.shape[0] else 0.0
        # exp(e) neither overflows nor underflows with scores in (-20, 60]: no shift then.
        ex = _exp(e, negative_slope, None if -20.0 < top <= 60.0 else top)
        den = dgl.ops.copy_e_sum(graph, ex)
        reached = graph.in_degrees() > 0
        if ex.shape[0] and bool((den[reached] < _SMALLEST_SUM).any()):
            # Scores too far apart for one shift: shift each destination's scores by their own
            # largest (as edge_softmax does), so that every sum is at least 1.
            with torch.no_grad():
                scores = e if negative_slope is None else F.leaky_relu(e, negative_slope)
                shift = dgl.ops.copy_v(graph, dgl.ops.copy_e_max(graph, scores))
            ex = _exp(e, negative_slope, shift)
            den = dgl.ops.copy_e_sum(graph, ex)
        # sum_j m_ij ex_ij z_j, keeping the mask rather than the masked weights.
        mask = dropout_mask(ex.shape, attn_drop, ex.device) if attn_drop else None
        h = weighted_sum(graph, ex, z, mask)
        scale = 1.0 / (1.0 - attn_drop)
        out = h * (den.clamp(min=_SMALLEST_SUM).reciprocal() * scale)
        attention = None
        if get_attention:
            graph.edata["ex"] = ex
            graph.dstdata["den"] = den
            graph.apply_edges(fn.e_div_v("ex", "den", "a"))
            attention = graph.edata["a"]
    return out, attention


def _exp(e, negative_slope, shift):
    """``exp(leaky_relu(e) - shift)`` (no leaky ReLU when ``negative_slope`` is None); ``shift``
    is None (none), a number or a tensor that broadcasts against ``e``."""
    if negative_slope is not None:
        return _LeakyExp.apply(e, negative_slope, shift)
    return torch.exp(e) if shift is None else (e - shift).exp_()


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
