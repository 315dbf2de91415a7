"""Meta-paths: resolve them, find them, count their edges, build their graphs.

A meta-path is a sequence of canonical edge types ``(src_type, relation, dst_type)`` that
starts and ends at the target node type, e.g. paper -written_by-> author -writes-> paper. Its
graph links two target nodes when a path of those relations joins them (HAN, Wang et al. 2019).

Users write one as node types (``paper-author-paper``, each step must be unambiguous) or as
relation names joined by commas (``written_by,writes``; a duplicate relation's name works too);
a relation from the target type to itself (``han:acm``'s precomputed ``paper-author-paper``) is
a meta-path of length one. Meta-paths of the same relations, however written, are one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch

from hetgat.errors import ConfigError, HetgatError
from hetgat.sparse.hetero import HeteroGraph

#: Default refusal threshold of ``max_metapath_edges``.
MAX_METAPATH_EDGES = 5_000_000


@dataclass(frozen=True)
class MetaPath:
    """A resolved meta-path: its display name, its canonical edge types, and the other names
    it was given (``aliases``: the same relations written another way)."""

    name: str
    etypes: tuple
    aliases: tuple = ()

    def spec(self) -> str:
        """The relation-name form, which resolves back to this meta-path."""
        return ",".join(e[1] for e in self.etypes)


def spec_for(path: MetaPath, schema) -> str:
    """How a run's configuration names ``path`` so that it resolves back to it: relation names
    joined by ``,``, or, where a relation's name holds a comma, node types joined by ``-`` when
    those are unambiguous; else a :class:`HetgatError` naming the relation."""
    if not any("," in e[1] for e in path.etypes):
        return path.spec()
    types = "-".join([path.etypes[0][0]] + [e[2] for e in path.etypes])
    try:
        if resolve_metapath(types, schema).etypes == path.etypes:
            return types
    except HetgatError:
        pass
    name = next(e[1] for e in path.etypes if "," in e[1])
    raise HetgatError(
        f"relation {name!r} holds a comma, which separates the relations of a meta-path, and "
        f"node types do not name this meta-path ({types}) alone: rename the relation to use it "
        "in a HAN meta-path"
    )


def _relations(schema) -> list[tuple]:
    return [tuple(e) for e in schema.canonical_etypes]


def _describe(etypes) -> str:
    return ", ".join(f"{s}-[{r}]->{d}" for s, r, d in etypes)


def resolve_metapath(spec: str, schema) -> MetaPath:
    """Resolve ``spec`` (node types joined by ``-`` or relation names joined by ``,``)."""
    target = schema.target_type
    relations = _relations(schema)
    spec = spec.strip()
    by_name: dict[str, list[tuple]] = {}
    for e in relations:
        by_name.setdefault(e[1], []).append(e)
    for rel in getattr(schema, "relations", None) or ():
        for alias in rel.names[1:]:  # exact duplicates in the files, read as one edge type
            by_name.setdefault(alias, []).append(rel.etype)
    names = [s.strip() for s in spec.split(",")]
    if all(n in by_name for n in names):
        path, here = [], target
        for n in names:
            fits = [e for e in by_name[n] if e[0] == here]
            if not fits:
                raise ConfigError(
                    "metapaths",
                    spec,
                    f"relations that chain from {here!r}; "
                    f"relations from {here!r}: {_describe(_from(relations, here))}",
                )
            path.append(fits[0])
            here = fits[0][2]
        return _finish(spec, tuple(path), target)
    types = [t.strip() for t in spec.split("-")]
    if len(types) < 2 or any(t not in schema.node_types for t in types):
        raise ConfigError(
            "metapaths",
            spec,
            "node types joined by '-' or relation names joined by ','; node types: "
            f"{', '.join(schema.node_types)}; relations: {_describe(relations)}",
        )
    path = []
    for a, b in zip(types[:-1], types[1:], strict=True):
        fits = [e for e in relations if e[0] == a and e[2] == b]
        if len(fits) != 1:
            what = "no relation" if not fits else "several relations"
            raise ConfigError(
                "metapaths",
                spec,
                f"one relation from {a!r} to {b!r} ({what}; "
                f"write relation names instead; relations from {a!r}: "
                f"{_describe(_from(relations, a))})",
            )
        path.append(fits[0])
    return _finish(spec, tuple(path), target)


def _from(relations, ntype):
    return [e for e in relations if e[0] == ntype]


def _finish(spec: str, path: tuple, target: str) -> MetaPath:
    if path[0][0] != target or path[-1][2] != target:
        raise ConfigError(
            "metapaths", spec, f"a meta-path that starts and ends at the target type {target!r}"
        )
    return MetaPath(name=metapath_name(path), etypes=path)


def metapath_name(path: tuple) -> str:
    """``paper-author-paper`` for node types; a single relation keeps its own name."""
    if len(path) == 1:
        return path[0][1]
    return "-".join([path[0][0]] + [e[2] for e in path])


def _reverse_of(schema) -> dict:
    """Each edge type's reverse (itself if self-inverse): as ``schema.relations`` records it
    (recognised by the edges), else (HGB, graphs without a record) the one relation each way
    between two node types that have exactly one each way."""
    relations, record, rev = _relations(schema), getattr(schema, "relations", None), {}
    if record is not None:
        pairs = [(r.etype, r.reverse_of) for r in record if r.reverse_of is not None]
        return dict(pairs + [(b, a) for a, b in pairs])
    ends = [(e[0], e[2]) for e in relations]
    for e in relations:
        if e[0] != e[2] and ends.count((e[0], e[2])) == ends.count((e[2], e[0])) == 1:
            rev[e] = relations[ends.index((e[2], e[0]))]
    return rev


def find_metapaths(schema, length: int = 2) -> list[MetaPath]:
    """Every symmetric meta-path of ``length`` (2 or 4) through the target type.

    Length 2: ``T -r-> X -rev(r)-> T`` for every relation ``r`` out of ``T`` with a reverse
    other than itself, ``X`` another type or ``T`` (``cite,ref``: papers citing one paper, and
    ``ref,cite``, where ``ref`` is ``cite`` reversed). Length 4: ``T -r1-> X -r2-> Y -rev(r2)->
    X -rev(r1)-> T`` with ``X``, ``Y`` other types and ``r2`` not the way back. Relations from
    ``T`` to itself are meta-paths of length one when no others exist (``han:acm``).
    """
    if length not in (2, 4):
        raise ConfigError("metapath_length", length, "2 or 4")
    target = schema.target_type
    rev = _reverse_of(schema)
    out = []
    steps = [e for e in _relations(schema) if e[0] == target and rev.get(e, e) != e]
    for r in steps:
        if length == 2:
            out.append((r, rev[r]))
            continue
        for r2 in _from(_relations(schema), r[2]) if r[2] != target else ():
            if r2 in rev and r2 != rev[r] and r2[2] != r[2]:
                out.append((r, r2, rev[r2], rev[r]))
    if not out:
        out = [(e,) for e in _relations(schema) if e[0] == target and e[2] == target]
    if not out:
        raise HetgatError(
            f"no symmetric meta-path of length {length} through {target!r}; "
            "give them with `metapaths`",
            params=("metapaths",),
        )
    return distinct_metapaths([MetaPath(metapath_name(p), tuple(p)) for p in out])


def resolve_metapaths(specs, schema, log=None) -> list[MetaPath]:
    """``specs`` resolved (:func:`resolve_metapath`); specs of the same relations are one
    meta-path (``log`` says so), the other spellings its ``aliases``."""
    written: dict[tuple, list[str]] = {}
    for spec in specs:
        written.setdefault(resolve_metapath(spec, schema).etypes, []).append(spec.strip())
    paths = []
    for etypes, same in written.items():
        if len(same) > 1 and log is not None:
            log(f"meta-paths {' and '.join(same)} are the same relations: one graph, used once")
        name = metapath_name(etypes)
        paths.append(MetaPath(name, etypes, tuple(dict.fromkeys(w for w in same if w != name))))
    return distinct_metapaths(paths)


def distinct_metapaths(paths: list[MetaPath]) -> list[MetaPath]:
    """One meta-path per sequence of edge types (the same relations make the same graph, known
    before it is built), the others' names kept as its ``aliases``; a name two distinct
    meta-paths share (``paper-paper-paper``) is replaced by their relation names."""
    merged: dict[tuple, MetaPath] = {}
    for p in paths:
        first = merged.get(p.etypes)
        if first is None:
            merged[p.etypes] = p
        elif p.name != first.name and p.name not in first.aliases:
            merged[p.etypes] = MetaPath(first.name, first.etypes, first.aliases + (p.name,))
    names = [p.name for p in merged.values()]
    return [
        p if names.count(p.name) == 1 else MetaPath(p.spec(), p.etypes, p.aliases + (p.name,))
        for p in merged.values()
    ]


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
