"""Message passing for hetgat's layers: one function per primitive, two kernels behind each.

- ``"torch"``: plain torch (:mod:`hetgat.sparse.torch_ops`), on any device torch runs on;
- ``"dgl"``: DGL's compiled CPU kernels (:mod:`hetgat.sparse.dgl_ops`), where DGL is installed.

The kernels are chosen per device (:func:`kernels_for`): DGL's on the CPU where DGL is
installed (they are faster there, BENCHMARKS.md), plain torch everywhere else (any GPU, or no
DGL). ``HETGAT_KERNELS=torch|dgl|auto`` or ``with use_kernels("torch"):`` overrides the choice
(tests, benchmarks). Every function takes hetgat's :class:`Graph` (or a ``DGLGraph``, converted
in one call) and returns the same values either way (``tests/sparse``: float64, values and
gradients).
"""

from __future__ import annotations

import contextlib
import os

import torch

from hetgat.errors import ConfigError
from hetgat.sparse import torch_ops
from hetgat.sparse.dgl_interop import as_graph, dgl_available, require_dgl, to_dgl
from hetgat.sparse.graph import Graph
from hetgat.sparse.hetero import HeteroGraph

KERNELS = ("auto", "torch", "dgl")
_chosen: list[str] = []


def kernels_for(device) -> str:
    """``"torch"`` or ``"dgl"``: the kernels that run on ``device`` (see the module notes)."""
    name = _chosen[-1] if _chosen else os.environ.get("HETGAT_KERNELS", "auto") or "auto"
    if name not in KERNELS:
        raise ConfigError("kernels", name, " or ".join(KERNELS))
    on_cpu = torch.device(device).type == "cpu"
    if name == "dgl":
        require_dgl("kernels='dgl'")
        if not on_cpu:
            raise ConfigError("kernels", name, f"'torch' or 'auto' on {device} (DGL: CPU only)")
        return "dgl"
    if name == "auto":
        return "dgl" if on_cpu and dgl_available() else "torch"
    return "torch"


@contextlib.contextmanager
def use_kernels(name: str):
    """Run the block with the kernels ``name`` (``"torch"``, ``"dgl"`` or ``"auto"``)."""
    if name not in KERNELS:
        raise ConfigError("kernels", name, " or ".join(KERNELS))
    _chosen.append(name)
    try:
        yield
    finally:
        _chosen.pop()


def _dgl_ops():
    from hetgat.sparse import dgl_ops

    return dgl_ops


def u_add_v(graph, el: torch.Tensor, er: torch.Tensor) -> torch.Tensor:
    """``el[src] + er[dst]`` per edge (``(E, ...)``)."""
    graph = as_graph(graph)
    if kernels_for(el.device) == "dgl":
        return require_dgl("kernels='dgl'").ops.u_add_v(to_dgl(graph), el, er)
    return torch_ops.u_add_v(graph, el, er)


def u_dot_v(graph, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """``(E, H, 1)``: ``<u[src], v[dst]>`` per edge and head (an SDDMM with a dot product)."""
    graph = as_graph(graph)
    if kernels_for(u.device) == "dgl":
        return require_dgl("kernels='dgl'").ops.u_dot_v(to_dgl(graph), u, v)
    return torch_ops.u_dot_v(graph, u, v)


def pair_scores(
    graph, src_term: torch.Tensor, dst_term: torch.Tensor, attn: torch.Tensor, negative_slope
) -> torch.Tensor:
    """``(E, H, 1)``: ``a^T LeakyReLU(s_j + t_i)`` per edge (GATv2's score)."""
    graph = as_graph(graph)
    if kernels_for(src_term.device) == "dgl":
        pair = u_add_v(graph, src_term, dst_term)
        return (torch.nn.functional.leaky_relu(pair, negative_slope) * attn).sum(-1, keepdim=True)
    return torch_ops.pair_scores(graph, src_term, dst_term, attn, negative_slope)


def edge_softmax(graph, e: torch.Tensor) -> torch.Tensor:
    """``softmax_j(e_ij)`` over each destination's in-edges."""
    graph = as_graph(graph)
    if kernels_for(e.device) == "dgl":
        return require_dgl("kernels='dgl'").nn.functional.edge_softmax(to_dgl(graph), e)
    return torch_ops.edge_softmax(graph, e)


def weighted_sum(graph, w: torch.Tensor, z: torch.Tensor, mask: torch.Tensor | None = None):
    """``(N_dst, H, D)``: ``h_i = sum_j mask_ij w_ij z_j`` (``w``: ``(E, H, 1)``)."""
    graph = as_graph(graph)
    if kernels_for(z.device) == "dgl":
        return _dgl_ops().weighted_sum(to_dgl(graph), w, z, mask)
    return torch_ops.weighted_sum(graph, w, z, mask)


def softmax_aggregate(
    graph,
    e: torch.Tensor,
    z: torch.Tensor,
    attn_drop: float = 0.0,
    get_attention: bool = False,
    bound=None,
    negative_slope: float | None = None,
    edge_weight: torch.Tensor | None = None,
):
    """``sum_j drop(softmax_j(e_ij)) z_j`` per destination and the softmax when asked (see
    :func:`hetgat.sparse.torch_ops.softmax_aggregate`)."""
    graph = as_graph(graph)
    if kernels_for(z.device) == "dgl" and edge_weight is None:
        return _dgl_ops().softmax_aggregate(
            to_dgl(graph), e, z, attn_drop, get_attention, bound, negative_slope
        )
    return torch_ops.softmax_aggregate(
        graph, e, z, attn_drop, get_attention, bound, negative_slope, edge_weight
    )


__all__ = [
    "KERNELS",
    "Graph",
    "HeteroGraph",
    "as_graph",
    "edge_softmax",
    "kernels_for",
    "pair_scores",
    "softmax_aggregate",
    "u_add_v",
    "u_dot_v",
    "use_kernels",
    "weighted_sum",
]
