"""The graph structure hetgat owns: index tensors that move with ``.to(device)``.

:class:`Graph` is one relation: ``E`` edges ``src -> dst`` in edge-id order between
``num_src`` source and ``num_dst`` destination nodes (a homogeneous graph, a bipartite relation,
or a DGL-style *block* whose first ``num_dst`` source nodes are its destinations). Its CSC
(edges grouped by destination) and CSR (by source) are computed once, on first use, by a stable
sort, so edges keep their edge-id order inside each group, and travel with ``.to``.

:class:`~hetgat.sparse.hetero.HeteroGraph` types them; :mod:`hetgat.sparse.dgl_interop`
converts both to and from ``DGLGraph`` in one call.
"""

from __future__ import annotations

import torch


def _index(values, name: str) -> torch.Tensor:
    t = torch.as_tensor(values)
    if t.dtype == torch.bool or t.is_floating_point() or t.is_complex():
        raise ValueError(f"{name} must hold integer node ids, got {t.dtype}")
    if t.dim() != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {tuple(t.shape)}")
    return t.long()


class Graph:
    """One relation (or block): ``src -> dst`` edges in edge-id order.

    Parameters
    ----------
    src, dst : tensor-like of int, shape ``(E,)``
        Source and destination of every edge.
    num_src, num_dst : int, optional
        Node counts; default one more than the largest id (``num_dst`` defaults to ``num_src``).
    is_block : bool, default False
        A sampled block: destinations are the first ``num_dst`` source nodes.
    eid : tensor, optional
        ``(E,)`` each edge's id in the graph a block was sampled from.
    src_nid, dst_nid : tensor, optional
        Each source / destination node's id in that graph.
    """

    def __init__(
        self,
        src,
        dst,
        num_src: int | None = None,
        num_dst: int | None = None,
        *,
        is_block: bool = False,
        eid=None,
        src_nid=None,
        dst_nid=None,
        check: bool = True,
    ) -> None:
        self.src, self.dst = _index(src, "src"), _index(dst, "dst")
        if self.src.shape != self.dst.shape:
            raise ValueError(f"src and dst differ in length: {len(self.src)} and {len(self.dst)}")
        if self.dst.device != self.src.device:
            raise ValueError("src and dst are on different devices")
        if num_src is None:
            num_src = int(self.src.max()) + 1 if len(self.src) else 0
            if num_dst is None and len(self.dst):
                num_src = max(num_src, int(self.dst.max()) + 1)
        num_dst = num_src if num_dst is None else num_dst
        self._num_src, self._num_dst = int(num_src), int(num_dst)
        if self._num_src < 0 or self._num_dst < 0:
            raise ValueError("node counts must be >= 0")
        if check and len(self.src):
            ends = ((self.src, self._num_src, "src"), (self.dst, self._num_dst, "dst"))
            for ids, n, name in ends:
                low, high = int(ids.min()), int(ids.max())
                if low < 0 or high >= n:
                    bad = high if high >= n else low
                    raise ValueError(f"{name} holds node {bad}, not in [0, {n})")
        self.is_block = bool(is_block)
        self.eid, self.src_nid, self.dst_nid = eid, src_nid, dst_nid
        self._csc = self._csr = None
        self._in_degrees = None
        self.dgl_graph = None  # the DGLGraph it came from or was converted to (dgl_interop)

    # -- sizes and structure -------------------------------------------------------------------

    @property
    def device(self) -> torch.device:
        return self.src.device

    def num_src_nodes(self) -> int:
        return self._num_src

    def num_dst_nodes(self) -> int:
        return self._num_dst

    def num_nodes(self) -> int:
        """The node count of a graph whose sources and destinations are one set."""
        return max(self._num_src, self._num_dst)

    def num_edges(self) -> int:
        return len(self.src)

    def edges(self, order: str = "eid") -> tuple[torch.Tensor, torch.Tensor]:
        if order != "eid":
            raise ValueError(f"order must be 'eid', got {order!r}")
        return self.src, self.dst

    #: DGL's names for the node and edge type of a graph without types.
    ntypes = ("_N",)
    canonical_etypes = (("_N", "_E", "_N"),)

    def in_degrees(self, v=None, etype=None) -> torch.Tensor:
        """In-degrees of every destination, or of node(s) ``v`` (``etype``: DGL's signature)."""
        if self._in_degrees is None:
            self._in_degrees = torch.bincount(self.dst, minlength=self._num_dst)
        return self._in_degrees if v is None else self._in_degrees[v]

    def out_degrees(self, u=None, etype=None) -> torch.Tensor:
        degrees = torch.bincount(self.src, minlength=self._num_src)
        return degrees if u is None else degrees[u]

    def csc(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(indptr, src, perm)``: edges grouped by destination (``indptr`` of length
        ``num_dst + 1``), their sources, and their edge ids (edge-id order within a group)."""
        if self._csc is None:
            self._csc = _compressed(self.dst, self.src, self._num_dst)
        return self._csc

    def csr(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(indptr, dst, perm)``: edges grouped by source, as :meth:`csc`."""
        if self._csr is None:
            self._csr = _compressed(self.src, self.dst, self._num_src)
        return self._csr

    def reverse(self) -> Graph:
        """The same edges, reversed (edge ids kept)."""
        return Graph(self.dst, self.src, self._num_dst, self._num_src, check=False)

    # -- devices -------------------------------------------------------------------------------

    def to(self, device) -> Graph:
        device = torch.device(device)
        if device == self.device:
            return self

        def move(x):
            return None if x is None else x.to(device)

        out = Graph(
            self.src.to(device),
            self.dst.to(device),
            self._num_src,
            self._num_dst,
            is_block=self.is_block,
            eid=move(self.eid),
            src_nid=move(self.src_nid),
            dst_nid=move(self.dst_nid),
            check=False,
        )
        for name in ("_csc", "_csr"):
            cached = getattr(self, name)
            if cached is not None:
                setattr(out, name, tuple(t.to(device) for t in cached))
        return out

    def cpu(self) -> Graph:
        return self.to("cpu")

    def __repr__(self) -> str:
        kind = "Block" if self.is_block else "Graph"
        return (
            f"{kind}(num_src={self._num_src}, num_dst={self._num_dst}, "
            f"num_edges={self.num_edges()}, device={self.device})"
        )


def _compressed(keys: torch.Tensor, other: torch.Tensor, n: int):
    """Group edges by ``keys`` (stable): ``(indptr, other ids in that order, edge ids)``."""
    perm = torch.argsort(keys, stable=True)
    indptr = torch.zeros(n + 1, dtype=torch.long, device=keys.device)
    torch.cumsum(torch.bincount(keys, minlength=n), 0, out=indptr[1:])
    return indptr, other[perm], perm
