r"""The weighted neighbour sum (SpMM) of :mod:`hetgat.sparse.torch_ops`, with its own backward.

``h_i = sum_j w_ij z_j`` per head. Small sums are a gather and an ``index_add_``; large ones one
CSR product of a block-diagonal matrix (one ``N_dst x N_src`` block of weights per head, stored
as one CSR of ``H * E`` entries whose structure is built once per graph and head count) with the
head-major features ``(H * N_src, D)``: a single ``torch.sparse.mm`` (cuSPARSE on a GPU) instead
of ``H`` calls or an ``(E, H, D)`` message tensor. Its transpose gives ``dz`` the same way;
``dw`` is an SDDMM dot (``sampled_addmm``, or gathers in chunks of :data:`CHUNK_ELEMENTS` so the
buffer stays bounded on any graph).
"""

from __future__ import annotations

import warnings

import torch

from hetgat.sparse.graph import Graph

#: Elements of the largest per-edge buffer a chunked gather makes (2^26: 256 MB in float32).
CHUNK_ELEMENTS = 1 << 26


def weighted_sum(
    graph: Graph, w: torch.Tensor, z: torch.Tensor, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """``h_i = sum_j mask_ij w_ij z_j`` for every destination node.

    Parameters
    ----------
    graph : Graph
        One edge type (a graph, a bipartite relation or a block).
    w : torch.Tensor
        ``(E, H, 1)`` or ``(E, H)`` edge weights in edge-id order.
    z : torch.Tensor
        ``(N_src, H, D)`` source features.
    mask : torch.Tensor, optional
        Boolean dropout mask shaped like ``w``; kept instead of the masked weights.

    Returns
    -------
    torch.Tensor
        ``(N_dst, H, D)``; a node without in-edges gets 0.
    """
    return _WeightedSum.apply(graph, w, mask, z)


#: Up to this many ``E * H * D`` elements the sum is a gather and an ``index_add_`` (fewer
#: kernels: faster on small graphs, on a GPU twice as fast on Cora); above, sparse products
#: (``python -m benchmarks.gpu_profile``: on HGB ACM's 559 k edges x 8 x 64, 4.1 ms against 8.1
#: on an H200, and the weights' gradient by ``sampled_addmm`` 0.4 ms against 2.7 gathered).
GATHER_ELEMENTS = 1 << 22


class _WeightedSum(torch.autograd.Function):
    @staticmethod
    def forward(ctx, graph, w, mask, z):
        ctx.graph, ctx.w_shape = graph, w.shape
        ctx.gather = graph.num_edges() * z.shape[1] * z.shape[2] <= GATHER_ELEMENTS
        ctx.save_for_backward(w, mask, z)
        weights = _flat(w if mask is None else w * mask, z.shape[1])
        if ctx.gather:
            return _gather_sum(graph.src, graph.dst, weights, z, graph.num_dst_nodes())
        return _spmm(graph, "csc", weights, z, graph.num_dst_nodes())

    @staticmethod
    def backward(ctx, grad):
        w, mask, z = ctx.saved_tensors
        graph = ctx.graph
        grad = grad.contiguous()
        grad_w = grad_z = None
        if ctx.needs_input_grad[3]:
            weights = _flat(w if mask is None else w * mask, z.shape[1])
            if ctx.gather:
                grad_z = _gather_sum(graph.dst, graph.src, weights, grad, graph.num_src_nodes())
            else:
                grad_z = _spmm(graph, "csr", weights, grad, graph.num_src_nodes())
        if ctx.needs_input_grad[1]:
            if ctx.gather:
                grad_w = _sddmm_dot(graph, z, grad)
            else:
                grad_w = _sampled_dot(graph, z, grad)
            grad_w = grad_w.view(ctx.w_shape)
            if mask is not None:
                grad_w = grad_w * mask
        return None, grad_w, None, grad_z


def _gather_sum(src, dst, weights, x, rows: int) -> torch.Tensor:
    """``(rows, H, D)``: ``sum over edges of weights_e x[src_e]`` into ``dst_e``."""
    out = x.new_zeros(rows, x.shape[1], x.shape[2])
    return out.index_add_(0, dst, x.index_select(0, src) * weights.unsqueeze(-1))


def _sampled_dot(graph: Graph, z: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
    """``(E, H)``: ``<z_src, grad_dst>`` per edge and head as one SDDMM
    (``sampled_addmm``) on the block-diagonal pattern of the graph's CSC."""
    heads, feats = z.shape[1], z.shape[2]
    edges = graph.num_edges()
    if edges == 0:
        return z.new_zeros(0, heads)
    crow, col, perm, rows, cols = _block_diagonal(graph, "csc", heads)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch's "beta state" notice
        pattern = torch.sparse_csr_tensor(
            crow, col, z.new_ones(len(col)), (heads * rows, heads * cols), check_invariants=False
        )
        grad_heads = grad.transpose(0, 1).reshape(heads * rows, feats)
        z_heads = z.transpose(0, 1).reshape(heads * cols, feats)
        dots = torch.sparse.sampled_addmm(pattern, grad_heads, z_heads.t(), beta=0.0)
    out = z.new_empty(edges, heads)
    out[perm] = dots.values().view(heads, edges).t()
    return out


def _flat(w: torch.Tensor, heads: int) -> torch.Tensor:
    return w.reshape(w.shape[0], heads)


def _block_diagonal(graph: Graph, fmt: str, heads: int):
    """``(crow, col, perm)`` of the block-diagonal CSR over ``heads`` copies of the graph's
    CSC (rows = destinations) or CSR (rows = sources); built once per graph and head count."""
    cache = graph.__dict__.setdefault("_block_diagonal", {})
    key = (fmt, heads)
    if key not in cache:
        indptr, indices, perm = graph.csc() if fmt == "csc" else graph.csr()
        rows = graph.num_dst_nodes() if fmt == "csc" else graph.num_src_nodes()
        cols = graph.num_src_nodes() if fmt == "csc" else graph.num_dst_nodes()
        edges = indices.shape[0]
        offsets = torch.arange(heads, device=indptr.device)
        starts = (indptr[:-1] + offsets[:, None] * edges).reshape(-1)
        crow = torch.cat([starts, indptr.new_tensor([heads * edges])])
        col = (indices[None, :] + offsets[:, None] * cols).reshape(-1)
        cache[key] = (crow, col, perm, rows, cols)
    return cache[key]


def _spmm(graph: Graph, fmt: str, weights: torch.Tensor, x: torch.Tensor, rows: int):
    """``(rows, H, D)``: per head, the weights as a sparse matrix (CSC: rows are destinations,
    CSR: sources) times ``x[:, head]``; one block-diagonal product for all heads."""
    heads, feats = x.shape[1], x.shape[2]
    if weights.shape[0] == 0 or rows == 0 or x.shape[0] == 0:
        return x.new_zeros(rows, heads, feats)
    crow, col, perm, n_rows, n_cols = _block_diagonal(graph, fmt, heads)
    values = weights.index_select(0, perm).t().reshape(-1)  # (H * E) head-major
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch's "beta state" notice
        matrix = torch.sparse_csr_tensor(
            crow, col, values, (heads * n_rows, heads * n_cols), check_invariants=False
        )
    x_heads = x.transpose(0, 1).reshape(heads * n_cols, feats)
    out = torch.sparse.mm(matrix, x_heads)
    return out.view(heads, n_rows, feats).transpose(0, 1).contiguous()


def _sddmm_dot(graph: Graph, z: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
    """``(E, H)``: ``<z_src, grad_dst>`` per edge and head, in chunks of edges."""
    edges, heads, feats = graph.num_edges(), z.shape[1], z.shape[2]
    out = z.new_empty(edges, heads)
    step = max(1, CHUNK_ELEMENTS // max(1, heads * feats))
    for start in range(0, edges, step):
        src, dst = graph.src[start : start + step], graph.dst[start : start + step]
        out[start : start + step] = (z.index_select(0, src) * grad.index_select(0, dst)).sum(-1)
    return out
