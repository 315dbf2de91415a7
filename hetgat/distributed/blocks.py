"""Blocks of a ``DistGraph`` in the id space hetgat's models run in, sampled by DistDGL.

A model's layer-wise API (:mod:`hetgat.models.base`) runs on blocks of one graph with one node
and one edge type: the graph itself for GAT and GATv2, the *typed* homogeneous graph for
Simple-HGN (every node type end to end in type order, every edge type end to end with one
self-loop relation per node type added; :func:`hetgat.models.simplehgn.typed_graph`). Here
that graph is never built. :class:`Layout` numbers nodes and edges the same way from the
counts alone (``offset[type] + id within type``, the ``DistGraph``'s per-type ids) and stands in
for the model's prepared graph; :class:`BlockSampler` draws each layer's in-edges with
:func:`dgl.distributed.sample_neighbors` (the graph servers sample their own parts; a fanout
counts the in-edges of all types together, as on one machine) and builds hetgat blocks whose
``src_nid``, ``dst_nid`` and ``eid`` are layout ids. It is the ``graph_sampler`` of DGL's
``DistNodeDataLoader`` (``sample_blocks``), and samples one-layer blocks for inference.

Self-loops of the typed graph are not stored by DistDGL: each block adds every destination's
own self-loop, where one machine samples it among the in-edges.
"""

from __future__ import annotations

import torch

from hetgat.errors import ConfigError
from hetgat.models import MODELS
from hetgat.models.simplehgn import SELF_LOOP, SimpleHGN
from hetgat.sparse.dgl_interop import require_dgl
from hetgat.sparse.graph import Graph


def supported(name: str) -> bool:
    """Whether model ``name`` trains on a ``DistGraph``: homogeneous models with the
    layer-wise API, and Simple-HGN (whose typed graph :class:`Layout` numbers)."""
    cls = MODELS.get(name)
    return cls is not None and (
        (cls.supports_blocks and not cls.heterogeneous) or issubclass(cls, SimpleHGN)
    )


def check_supported(name: str) -> None:
    if not supported(name):
        names = ", ".join(n for n in MODELS if supported(n))
        raise ConfigError("model", name, f"one of {names} for distributed training")


class TypedIds:
    """Ids of several types laid end to end: type ``k`` holds ``[offsets[k], offsets[k+1])``."""

    def __init__(self, counts: list[int]) -> None:
        self.counts = [int(c) for c in counts]
        self.offsets = torch.tensor([0, *self.counts]).cumsum(0)

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def split(self, ids: torch.Tensor):
        """``(type index, id within type)`` of every id."""
        kind = torch.searchsorted(self.offsets[1:], ids, right=True)
        return kind, ids - self.offsets[kind]

    def join(self, kind: int, local: torch.Tensor) -> torch.Tensor:
        return local + self.offsets[kind]

    def range(self, kind: int) -> torch.Tensor:
        return torch.arange(int(self.offsets[kind]), int(self.offsets[kind + 1]))


class _Lookup:
    """``view[ids]``: one half of :meth:`TypedIds.split` (what a graph's tensor would hold)."""

    def __init__(self, ids: TypedIds, half: int) -> None:
        self.ids, self.half = ids, half

    def __getitem__(self, ids: torch.Tensor) -> torch.Tensor:
        return self.ids.split(ids)[self.half]


class Layout:
    """Node and edge numbering of the graph a model's blocks come from, given counts only.

    It answers what the layer-wise API asks of a prepared graph: ``ntypes``, and for
    Simple-HGN's typed graph ``hetero.ntypes``, ``hetero.num_nodes(t)``, and per id ``ntype``,
    ``nid`` (nodes), ``etype``, ``eid`` (edges).

    Parameters
    ----------
    num_nodes : dict[str, int]
        Nodes per type.
    num_edges : dict[tuple, int]
        Edges per canonical edge type.
    self_loops : bool
        Add one self-loop relation ``(t, "self-loop", t)`` per node type (Simple-HGN).
    """

    def __init__(self, num_nodes: dict, num_edges: dict, self_loops: bool) -> None:
        edges = {tuple(e): int(n) for e, n in num_edges.items()}
        if self_loops:
            edges.update({(t, SELF_LOOP, t): int(n) for t, n in num_nodes.items()})
        self.self_loops = self_loops
        self.ntypes = sorted(num_nodes)  # the order of DGL and of hetgat's HeteroGraph
        self.canonical_etypes = sorted(edges)
        self._num_nodes = {t: int(num_nodes[t]) for t in self.ntypes}
        self._num_edges = {e: edges[e] for e in self.canonical_etypes}
        self.nodes = TypedIds([self._num_nodes[t] for t in self.ntypes])
        self.edges = TypedIds([self._num_edges[e] for e in self.canonical_etypes])
        self.ntype, self.nid = _Lookup(self.nodes, 0), _Lookup(self.nodes, 1)
        self.etype, self.eid = _Lookup(self.edges, 0), _Lookup(self.edges, 1)
        self.hetero = self  # Simple-HGN's TypedGraph keeps its typed graph there

    @classmethod
    def of(cls, graph, model_name: str) -> Layout:
        """The layout of ``graph`` (a ``DistGraph``) for model ``model_name``."""
        return cls(
            {t: graph.num_nodes(t) for t in graph.ntypes},
            {e: graph.num_edges(e) for e in graph.canonical_etypes},
            self_loops=issubclass(MODELS[model_name], SimpleHGN),
        )

    def num_nodes(self, ntype: str | None = None) -> int:
        return len(self.nodes) if ntype is None else self._num_nodes[ntype]

    def num_edges(self, etype=None) -> int:
        return len(self.edges) if etype is None else self._num_edges[tuple(etype)]

    def node_ids(self, ntype: str, local: torch.Tensor) -> torch.Tensor:
        return self.nodes.join(self.ntypes.index(ntype), local)

    def is_self_loop(self, kind: int) -> bool:
        return self.self_loops and self.canonical_etypes[kind][1] == SELF_LOOP


class BlockSampler:
    """Blocks for a stack of layers on a ``DistGraph``, ``fanouts[l]`` in-edges per node in
    layer ``l`` (input layer first; None: all), as hetgat's and DGL's ``NeighborSampler``.

    ``sample_blocks(graph, seeds)`` is what ``DistNodeDataLoader`` calls, with the seeds as the
    graph's ids (a dict by type for a graph of several types); :meth:`sample` takes layout ids.
    """

    def __init__(self, graph, layout: Layout, fanouts) -> None:
        self.graph, self.layout, self.fanouts = graph, layout, list(fanouts)
        self._etype_index = {e: k for k, e in enumerate(layout.canonical_etypes)}
        self._dgl_etypes = list(graph.canonical_etypes)

    def sample_blocks(self, graph, seeds):
        if isinstance(seeds, dict):
            seeds = torch.cat([self.layout.node_ids(t, ids) for t, ids in seeds.items()])
        else:
            seeds = self.layout.node_ids(self.layout.ntypes[0], seeds)
        return self.sample(seeds)

    def sample(self, seeds: torch.Tensor, fanouts=None):
        """``(input nodes, output nodes, blocks)`` in layout ids, blocks input layer first.

        The output nodes are ``seeds`` without repeats (a trainer's padded share may repeat
        an id within a batch)."""
        seeds = torch.unique(seeds)
        blocks, nodes = [], seeds
        for fanout in reversed(self.fanouts if fanouts is None else list(fanouts)):
            block = self.block(nodes, fanout)
            blocks.insert(0, block)
            nodes = block.src_nid
        return nodes, seeds, blocks

    def block(self, dst: torch.Tensor, fanout: int | None) -> Graph:
        """One block: ``dst`` (unique layout ids) and up to ``fanout`` in-edges of each."""
        dgl = require_dgl("sampling a DistGraph")
        layout = self.layout
        kind, local = layout.nodes.split(dst)
        if len(layout.ntypes) == 1:
            seeds = local
        else:
            seeds = {t: local[kind == k] for k, t in enumerate(layout.ntypes) if (kind == k).any()}
        frontier = dgl.distributed.sample_neighbors(
            self.graph, seeds, -1 if fanout is None else fanout
        )
        src, dst_ids, eids = [], [], []
        for etype, (s, d, e) in _frontier_edges(dgl, frontier, self._dgl_etypes):
            src.append(layout.node_ids(etype[0], s))
            dst_ids.append(layout.node_ids(etype[2], d))
            eids.append(layout.edges.join(self._etype_index[etype], e))
        if layout.self_loops:
            for k, t in enumerate(layout.ntypes):
                own = local[kind == k]
                src.append(layout.nodes.join(k, own))
                dst_ids.append(layout.nodes.join(k, own))
                eids.append(layout.edges.join(self._etype_index[(t, SELF_LOOP, t)], own))
        src, dst_ids, eids = (_cat(x) for x in (src, dst_ids, eids))
        nodes, src_pos = _relabel(dst, src)
        return Graph(
            src_pos,
            _positions(dst, dst_ids),
            len(nodes),
            len(dst),
            is_block=True,
            eid=eids,
            src_nid=nodes,
            dst_nid=dst,
            check=False,
        )


def _frontier_edges(dgl, frontier, etypes: list):
    """``(canonical etype, (src, dst, eid))`` of a sampled frontier, per-type ids; a graph of
    one edge type comes back from DGL untyped and is named after ``etypes[0]``."""
    if len(etypes) == 1:
        src, dst = frontier.edges()
        yield etypes[0], (src, dst, frontier.edata[dgl.EID])
        return
    for etype in frontier.canonical_etypes:
        src, dst = frontier.edges(etype=etype)
        if len(src):
            yield etype, (src, dst, frontier.edges[etype].data[dgl.EID])


def _cat(parts: list) -> torch.Tensor:
    return torch.cat(parts) if parts else torch.zeros(0, dtype=torch.long)


def _relabel(seeds: torch.Tensor, sources: torch.Tensor):
    """Block node ids: ``seeds`` first (in their order), then the other sources (sorted).
    Returns ``(nodes, positions of sources)``."""
    both = torch.cat([seeds, sources])
    unique, inverse = torch.unique(both, return_inverse=True)
    position = torch.empty(len(unique), dtype=torch.long)
    is_seed = torch.zeros(len(unique), dtype=torch.bool)
    is_seed[inverse[: len(seeds)]] = True
    position[inverse[: len(seeds)]] = torch.arange(len(seeds))
    position[~is_seed] = len(seeds) + torch.arange(int((~is_seed).sum()))
    nodes = torch.empty_like(unique)
    nodes[position] = unique
    return nodes, position[inverse[len(seeds) :]]


def _positions(seeds: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """Positions in ``seeds`` (unique) of ``ids`` (all among them)."""
    order = torch.argsort(seeds)
    return order[torch.searchsorted(seeds[order], ids)]
