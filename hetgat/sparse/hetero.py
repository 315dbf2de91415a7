"""Typed graphs: node counts per type and one :class:`~hetgat.sparse.graph.Graph` per canonical
edge type ``(src_type, relation, dst_type)``, with DGL's names and order (types sorted), so a
schema, a run folder or an attention table reads the same whichever library built the graph."""

from __future__ import annotations

import torch

from hetgat.sparse.graph import Graph


class HeteroGraph:
    """Node counts per type and one :class:`Graph` per canonical edge type.

    Parameters
    ----------
    data : dict
        ``{(src_type, relation, dst_type): (src, dst)}`` (or a :class:`Graph`).
    num_nodes_dict : dict[str, int]
        Nodes per type (types that appear only in ``data`` count from their largest id).
    num_dst_nodes_dict : dict[str, int], optional
        For a block: destination nodes per type (the first ones of each type's sources).
    src_nid, dst_nid : dict[str, tensor], optional
        For a block: each node's id per type in the graph it was sampled from.
    """

    def __init__(
        self,
        data: dict,
        num_nodes_dict: dict | None = None,
        *,
        num_dst_nodes_dict: dict | None = None,
        src_nid: dict | None = None,
        dst_nid: dict | None = None,
        check: bool = True,
    ) -> None:
        counts = dict(num_nodes_dict or {})
        self.is_block = num_dst_nodes_dict is not None
        dst_counts = dict(num_dst_nodes_dict or counts)
        for etype, edges in data.items():
            if not (isinstance(etype, tuple) and len(etype) == 3):
                raise ValueError(f"edge types are (src_type, relation, dst_type), got {etype!r}")
            if isinstance(edges, Graph):
                counts.setdefault(etype[0], edges.num_src_nodes())
                dst_counts.setdefault(etype[2], edges.num_dst_nodes())
            else:
                for ids, t, d in ((edges[0], etype[0], counts), (edges[1], etype[2], dst_counts)):
                    ids = torch.as_tensor(ids)
                    d.setdefault(t, int(ids.max()) + 1 if len(ids) else 0)
        for t, n in dst_counts.items():
            counts.setdefault(t, n)
        for t, n in counts.items():
            dst_counts.setdefault(t, n)
        self.ntypes = sorted(counts)
        self._num_nodes = {t: int(counts[t]) for t in self.ntypes}
        self._num_dst = {t: int(dst_counts[t]) for t in self.ntypes}
        self.relations = {}
        for etype in sorted(data):
            edges = data[etype]
            if not isinstance(edges, Graph):
                edges = Graph(
                    edges[0],
                    edges[1],
                    self._num_nodes[etype[0]],
                    self._num_dst[etype[2]],
                    is_block=self.is_block,
                    check=check,
                )
            self.relations[etype] = edges
        self.canonical_etypes = list(self.relations)
        self.etypes = [e[1] for e in self.canonical_etypes]
        self.src_nid, self.dst_nid = src_nid, dst_nid
        self.dgl_graph = None

    # -- lookups -------------------------------------------------------------------------------

    def to_canonical_etype(self, etype) -> tuple:
        if isinstance(etype, tuple):
            if etype not in self.relations:
                raise KeyError(f"no edge type {etype!r}")
            return etype
        found = [e for e in self.canonical_etypes if e[1] == etype]
        if len(found) != 1:
            raise KeyError(f"edge type {etype!r}: {'none' if not found else 'several'} match")
        return found[0]

    def __getitem__(self, etype) -> Graph:
        return self.relations[self.to_canonical_etype(etype)]

    def _only_etype(self, etype):
        if etype is not None:
            return self.to_canonical_etype(etype)
        if len(self.canonical_etypes) != 1:
            raise KeyError("the graph has several edge types: name one")
        return self.canonical_etypes[0]

    # -- sizes ---------------------------------------------------------------------------------

    @property
    def device(self) -> torch.device:
        for g in self.relations.values():
            return g.device
        return torch.device("cpu")

    def num_nodes(self, ntype: str | None = None) -> int:
        if ntype is None:
            return sum(self._num_nodes.values())
        return self._num_nodes[ntype]

    num_src_nodes = num_nodes

    def num_dst_nodes(self, ntype: str | None = None) -> int:
        if ntype is None:
            return sum(self._num_dst.values())
        return self._num_dst[ntype]

    def num_edges(self, etype=None) -> int:
        if etype is None:
            return sum(g.num_edges() for g in self.relations.values())
        return self[etype].num_edges()

    def edges(self, etype=None, order: str = "eid", form: str = "uv"):
        """``(src, dst)`` of one edge type (DGL's signature: ``order`` ``"eid"`` or
        ``"srcdst"``, ``form`` ``"uv"`` or ``"all"``, which adds the edge ids)."""
        src, dst = self.relations[self._only_etype(etype)].edges()
        eid = torch.arange(len(src), device=src.device)
        if order == "srcdst":
            eid = torch.argsort(src * (int(dst.max()) + 1 if len(dst) else 1) + dst, stable=True)
            src, dst = src[eid], dst[eid]
        elif order != "eid":
            raise ValueError(f"order must be 'eid' or 'srcdst', got {order!r}")
        if form == "all":
            return src, dst, eid
        if form != "uv":
            raise ValueError(f"form must be 'uv' or 'all', got {form!r}")
        return src, dst

    def has_edges_between(self, u, v, etype=None):
        """Whether the edge ``u -> v`` exists (elementwise for tensors), as in DGL."""
        src, dst = self.relations[self._only_etype(etype)].edges()
        u, v = torch.as_tensor(u), torch.as_tensor(v)
        n = self.num_nodes() + 1
        found = torch.isin(u.reshape(-1) * n + v.reshape(-1), src * n + dst)
        return bool(found[0]) if u.dim() == 0 else found

    def in_degrees(self, v=None, etype=None):
        """In-degrees of all destination nodes, or of node(s) ``v``, as in DGL."""
        degrees = self.relations[self._only_etype(etype)].in_degrees()
        return degrees if v is None else degrees[v]

    def out_degrees(self, u=None, etype=None):
        degrees = self.relations[self._only_etype(etype)].out_degrees()
        return degrees if u is None else degrees[u]

    # -- conversions ---------------------------------------------------------------------------

    def to(self, device) -> HeteroGraph:
        device = torch.device(device)
        if device == self.device:
            return self

        def move(d):
            return None if d is None else {k: v.to(device) for k, v in d.items()}

        return HeteroGraph(
            {e: g.to(device) for e, g in self.relations.items()},
            self._num_nodes,
            num_dst_nodes_dict=self._num_dst if self.is_block else None,
            src_nid=move(self.src_nid),
            dst_nid=move(self.dst_nid),
            check=False,
        )

    def cpu(self) -> HeteroGraph:
        return self.to("cpu")

    def to_homogeneous(self):
        """One :class:`Graph` over all nodes (ordered by type in :attr:`ntypes` order, as
        ``dgl.to_homogeneous``), edges ordered by edge type then edge id, and per edge its type
        index and id within its type, per node its type index and id within its type:
        ``(graph, etype, eid, ntype, nid)``."""
        offsets, start = {}, 0
        for t in self.ntypes:
            offsets[t] = start
            start += self._num_nodes[t]
        device = self.device
        src, dst, etype, eid = [], [], [], []
        for k, (e, g) in enumerate(self.relations.items()):
            src.append(g.src + offsets[e[0]])
            dst.append(g.dst + offsets[e[2]])
            etype.append(torch.full((g.num_edges(),), k, dtype=torch.long, device=device))
            eid.append(torch.arange(g.num_edges(), device=device))
        sizes = [self._num_nodes[t] for t in self.ntypes]
        ntype = torch.repeat_interleave(torch.arange(len(sizes)), torch.tensor(sizes)).to(device)
        nid = torch.cat([torch.arange(self._num_nodes[t]) for t in self.ntypes]).to(device)

        def cat(parts):
            return torch.cat(parts) if parts else torch.zeros(0, dtype=torch.long, device=device)

        graph = Graph(cat(src), cat(dst), start, start, check=False)
        return graph, cat(etype), cat(eid), ntype, nid

    def __repr__(self) -> str:
        kind = "HeteroBlock" if self.is_block else "HeteroGraph"
        return (
            f"{kind}(num_nodes={self._num_nodes}, "
            f"num_edges={ {e: g.num_edges() for e, g in self.relations.items()} })"
        )
