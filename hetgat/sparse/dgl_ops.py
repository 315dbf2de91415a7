"""Message passing on DGL's compiled CPU kernels: the fast path where DGL is installed.

Functions take a ``DGLGraph`` (:func:`hetgat.sparse.dgl_interop.to_dgl` of hetgat's graph);
:mod:`hetgat.sparse` chooses them or :mod:`hetgat.sparse.torch_ops` per device.

The softmax folded into the aggregation
---------------------------------------
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

The weighted sum
----------------
Every attention layer ends in this sum (DGL: ``update_all(u_mul_e, sum)``). DGL's CPU kernel
for it walks the ``(E, H, 1) x (N, H, D)`` broadcast element by element, so its cost grows with
``H * D`` at well under a multiply-add per nanosecond: on HGB's ACM as one graph (559 k edges,
Simple-HGN's 8 heads x 64) a forward sum took 560 ms. As ``H`` products of a sparse CSR matrix
with a dense ``(N, D)`` block (``torch.mm``, on DGL's own CSC of the graph), the same sum takes
89 ms and the same bits (both add each row's terms in edge order); the gradient of the weights,
an SDDMM, becomes ``torch.sparse.sampled_addmm`` per head (75 ms against DGL's 174).

For small ``D`` (GAT's 8 per head) the per-head products stop paying for the copies they need
(the weights gathered into CSC order, head by head): there DGL's kernels are used
(:data:`MIN_FEATS`). On other devices than the CPU, DGL's kernels are used throughout.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from hetgat.sparse.csr import sparse_csr
from hetgat.sparse.dgl_interop import load_dgl
from hetgat.sparse.masks import dropout_mask
from hetgat.sparse.torch_ops import SMALLEST_SUM, leaky_exp


def _backend():
    return load_dgl().backend


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
        A graph with one edge type, or a block.
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
    dgl = load_dgl()
    with graph.local_scope():
        top = float(e.detach().max() if bound is None else bound) if e.shape[0] else 0.0
        # exp(e) neither overflows nor underflows with scores in (-20, 60]: no shift then.
        ex = leaky_exp(e, negative_slope, None if -20.0 < top <= 60.0 else top)
        den = dgl.ops.copy_e_sum(graph, ex)
        reached = graph.in_degrees() > 0
        if ex.shape[0] and bool((den[reached] < SMALLEST_SUM).any()):
            # Scores too far apart for one shift: shift each destination's scores by their own
            # largest (as edge_softmax does), so that every sum is at least 1.
            with torch.no_grad():
                scores = e if negative_slope is None else F.leaky_relu(e, negative_slope)
                shift = dgl.ops.copy_v(graph, dgl.ops.copy_e_max(graph, scores))
            ex = leaky_exp(e, negative_slope, shift)
            den = dgl.ops.copy_e_sum(graph, ex)
        # sum_j m_ij ex_ij z_j, keeping the mask rather than the masked weights.
        mask = dropout_mask(ex.shape, attn_drop, ex.device) if attn_drop else None
        h = weighted_sum(graph, ex, z, mask)
        scale = 1.0 / (1.0 - attn_drop)
        out = h * (den.clamp(min=SMALLEST_SUM).reciprocal() * scale)
        attention = None
        if get_attention:
            graph.edata["ex"] = ex
            graph.dstdata["den"] = den
            graph.apply_edges(dgl.function.e_div_v("ex", "den", "a"))
            attention = graph.edata["a"]
    return out, attention


#: From this many features per head on, the CPU sums run as per-head CSR products
#: (``python -m benchmarks.speed_aggregate``, 8 heads, forward + backward, BENCHMARKS.md): with
#: D = 8 and 16 they are up to 1.9x slower on Cora, HAN's PAP and PSP graphs (faster on HGB ACM);
#: with D = 32 0.26-0.71x DGL's time on the large graphs, 1.09x on Cora; with D = 64 0.18-0.88x.
MIN_FEATS = 32


def weighted_sum(graph, w: torch.Tensor, z: torch.Tensor, mask: torch.Tensor | None = None):
    """``h_i = sum_j mask_ij w_ij z_j`` for every destination node of ``graph``.

    Parameters
    ----------
    graph : DGLGraph
        A graph with one edge type, or a block.
    w : torch.Tensor
        ``(E, H, 1)`` edge weights in edge-id order.
    z : torch.Tensor
        ``(N_src, H, D)`` source features.
    mask : torch.Tensor, optional
        ``(E, H, 1)`` boolean dropout mask; kept instead of the masked weights for the
        backward pass, which rebuilds them.

    Returns
    -------
    torch.Tensor
        ``(N_dst, H, D)``; a node without in-edges gets 0.
    """
    return _WeightedSum.apply(graph, w, mask, z)


class _WeightedSum(torch.autograd.Function):
    """:func:`weighted_sum`: the backward pass is the sum over the reversed graph for ``z``
    and an SDDMM ``dot`` for ``w`` (DGL's own rule for ``u_mul_e`` + ``sum``). The CSR path
    keeps ``z`` head-major ``(H, N, D)`` for it, instead of ``(N, H, D)``: the same bytes."""

    @staticmethod
    def forward(ctx, graph, w, mask, z):
        ctx.graph = graph
        ctx.csr = z.device.type == "cpu" and z.shape[-1] >= MIN_FEATS
        if not ctx.csr:
            ctx.save_for_backward(w, mask, z)
            return _backend().gspmm(graph._graph, "mul", "sum", z, _apply_mask(w, mask))
        z_heads = z.transpose(0, 1).contiguous()
        ctx.save_for_backward(w, mask, z_heads)
        out = _csr_spmm(graph, "csc", _apply_mask(w, mask), z_heads, graph.num_dst_nodes())
        return out.transpose(0, 1).contiguous()

    @staticmethod
    def backward(ctx, grad):
        w, mask, z = ctx.saved_tensors
        graph = ctx.graph
        grad_w = grad_z = None
        if not ctx.csr:
            if ctx.needs_input_grad[3]:
                grad_z = _backend().gspmm(
                    graph._graph.reverse(), "mul", "sum", grad, _apply_mask(w, mask)
                )
            if ctx.needs_input_grad[1]:
                grad_w = _backend().gsddmm(graph._graph, "dot", z, grad.contiguous(), "u", "v")
        else:
            grad_heads = grad.transpose(0, 1).contiguous()
            if ctx.needs_input_grad[3]:
                n_src = graph.num_src_nodes()
                grad_z = _csr_spmm(graph, "csr", _apply_mask(w, mask), grad_heads, n_src)
                grad_z = grad_z.transpose(0, 1).contiguous()
            if ctx.needs_input_grad[1]:
                grad_w = _csr_sddmm_dot(graph, z, grad_heads)
        if grad_w is not None and mask is not None:
            grad_w.mul_(mask)
        return None, grad_w, None, grad_z


def _apply_mask(w, mask):
    return w if mask is None else w * mask


def _csr_spmm(graph, fmt: str, w, x_heads, rows: int):
    """``(H, rows, D)``: per head, the ``(rows, N)`` matrix of weights ``w`` (CSC: rows are
    destinations, CSR: sources) times ``x_heads[k]``."""
    indptr, indices, eids = _structure(graph, fmt)
    heads = x_heads.shape[0]
    # (E, H, 1) in edge-id order -> (H, E) in the structure's order.
    values = w.reshape(-1, heads).t().contiguous().index_select(1, eids)
    out = x_heads.new_empty(heads, rows, x_heads.shape[2])
    for k in range(heads):
        matrix = sparse_csr(indptr, indices, values[k], (rows, x_heads.shape[1]))
        torch.mm(matrix, x_heads[k], out=out[k])
    return out


def _csr_sddmm_dot(graph, z_heads, grad_heads):
    """``(E, H, 1)``: ``<z_src, grad_dst>`` per edge and head (a strided view)."""
    indptr, indices, eids = _structure(graph, "csc")
    heads = z_heads.shape[0]
    pattern_values = z_heads.new_ones(indices.shape[0])
    shape = (graph.num_dst_nodes(), graph.num_src_nodes())
    out = z_heads.new_empty(heads, indices.shape[0])
    for k in range(heads):
        pattern = sparse_csr(indptr, indices, pattern_values, shape)
        dots = torch.sparse.sampled_addmm(pattern, grad_heads[k], z_heads[k].t(), beta=0.0)
        out[k] = dots.values()
    in_edge_order = torch.empty_like(out)
    in_edge_order[:, eids] = out
    return in_edge_order.t().unsqueeze(-1)


def _structure(graph, fmt: str):
    """``(indptr, indices, edge ids)`` of DGL's CSC (rows = destinations) or CSR (rows =
    sources); DGL keeps the format it builds, so later calls read it."""
    indptr, indices, eids = graph.adj_tensors(fmt, etype=graph.canonical_etypes[0])
    if eids.numel() != indices.numel():  # no edge-id array: edges in structure order
        eids = torch.arange(indices.numel(), dtype=indices.dtype, device=indices.device)
    return indptr, indices, eids
