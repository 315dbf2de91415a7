"""Meta-path graphs: their sizes (estimated, counted), the choice of HAN's meta-paths under the
size guard, and the graphs themselves (:mod:`.metapaths` resolves and finds the meta-paths)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch

from hetgat.datasets.metapaths import MetaPath, find_metapaths, resolve_metapaths
from hetgat.errors import HetgatError
from hetgat.sparse.hetero import HeteroGraph

#: Default refusal threshold of ``max_metapath_edges``.
MAX_METAPATH_EDGES = 5_000_000


def _adjacency(graph, etype) -> sp.csr_matrix:
    src, dst = graph.edges(etype=etype)
    n_src, n_dst = graph.num_nodes(etype[0]), graph.num_nodes(etype[2])
    ones = np.ones(len(src), dtype=np.float64)
    return sp.csr_matrix((ones, (src.numpy(), dst.numpy())), shape=(n_src, n_dst))


def estimate_edges(graph, metapath: MetaPath) -> int:
    """Edges the meta-path graph can have, without building it.

    The number of meta-path instances (walks), from a chain of sparse matrix-vector products
    (degree products), capped by ``N * N``: an upper bound on the distinct node pairs, and the
    exact count when no two walks join the same pair. Loose where many walks join the same pairs
    (authors who share a venue through many papers); :func:`count_edges` gives the exact count.
    """
    v = np.ones(graph.num_nodes(metapath.etypes[-1][2]))
    for etype in reversed(metapath.etypes):
        v = _adjacency(graph, etype) @ v
    n = graph.num_nodes(metapath.etypes[0][0])
    return int(min(round(v.sum()), n * n))


#: :func:`count_edges` multiplies this many (source node, last-type node) pairs at a time.
_BLOCK_PAIRS = 1 << 24


def count_edges(graph, metapath: MetaPath, stop_above: int | None = None) -> tuple[int, bool]:
    """The exact number of edges of the meta-path graph, without building it whole.

    The chain of sparse products runs on blocks of source nodes (about 16 M node pairs at a
    time), so memory stays bounded whatever the graph's size; the work is that of building the
    graph. With ``stop_above``, counting stops once the count exceeds it.

    Returns
    -------
    (int, bool)
        The count, and whether it is complete (False: counting stopped above ``stop_above``, so
        the graph has at least that many edges).
    """
    mats = [_adjacency(graph, etype) for etype in metapath.etypes]
    n = mats[0].shape[0]
    widest = max(m.shape[1] for m in mats)
    step = max(1, _BLOCK_PAIRS // max(widest, 1))
    total = 0
    for start in range(0, n, step):
        block = mats[0][start : start + step]
        for m in mats[1:]:
            block = block @ m
            block.data[:] = 1.0  # only which pairs are joined matters: keep the values small
        total += block.nnz
        if stop_above is not None and total > stop_above and start + step < n:
            return total, False
    return total, True


def metapath_edges(graph, metapath: MetaPath) -> tuple[torch.Tensor, torch.Tensor]:
    """``(src, dst)`` of the meta-path graph, each pair once, sorted by ``(dst, src)``."""
    adj = _adjacency(graph, metapath.etypes[0])
    for etype in metapath.etypes[1:]:
        adj = adj @ _adjacency(graph, etype)
    coo = adj.tocoo()
    order = np.lexsort((coo.row, coo.col))
    return torch.from_numpy(coo.row[order].astype(np.int64)), torch.from_numpy(
        coo.col[order].astype(np.int64)
    )


def select_metapaths(
    graph, schema, specs=None, *, length: int = 2, max_edges: int = MAX_METAPATH_EDGES, log=None
) -> list[MetaPath]:
    """The meta-paths a HAN model uses: ``specs`` resolved, or found automatically.

    A meta-path whose graph has more than ``max_edges`` edges is refused when the user gave it,
    and left out with a note (``log``) when it was found automatically, unless all are too
    large. The size is the walk count of :func:`estimate_edges` when that is within the limit,
    else the exact count of :func:`count_edges` (stopped once above the limit).
    """
    if specs:
        paths = resolve_metapaths(specs, schema, log)
        for p in paths:
            size = _size(graph, p, max_edges)
            if size is not None:
                raise HetgatError(
                    f"meta-path {p.name} has {size} edges, more than "
                    f"`max_metapath_edges` {max_edges:,}; raise the limit or choose another",
                    params=("max_metapath_edges",),
                )
        return paths
    kept, dropped = [], []
    for p in find_metapaths(schema, length):
        size = _size(graph, p, max_edges)
        (kept if size is None else dropped).append((p, size))
    for p, size in dropped:
        if log is not None:
            log(f"meta-path {p.name} left out: {size} edges > {max_edges:,} (max_metapath_edges)")
    if not kept:
        p, size = dropped[0]
        raise HetgatError(
            f"every meta-path found is larger than `max_metapath_edges` "
            f"{max_edges:,} (the first: {p.name}, {size} edges)",
            params=("max_metapath_edges",),
        )
    return [p for p, _ in kept]


def _size(graph, metapath: MetaPath, max_edges: int) -> str | None:
    """None when the meta-path graph has at most ``max_edges`` edges, else its size in words."""
    if estimate_edges(graph, metapath) <= max_edges:
        return None
    count, complete = count_edges(graph, metapath, stop_above=max_edges)
    if count <= max_edges:
        return None
    return f"{count:,}" if complete else f"at least {count:,}"


def metapath_graph(graph, metapaths: list[MetaPath]):
    """One heterograph over the target type with one relation per meta-path (named by it)."""
    target = metapaths[0].etypes[0][0]
    data = {(target, p.name, target): metapath_edges(graph, p) for p in metapaths}
    return HeteroGraph(data, num_nodes_dict={target: graph.num_nodes(target)})
