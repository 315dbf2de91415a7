r"""Pre-computed relation-path features: the inputs of SeHGNN's family (Yang et al., AAAI 2023).

For the target type :math:`T`, a *relation path* is a sequence of edge types
:math:`r_1: t_0 \to t_1, \dots, r_k: t_{k-1} \to T` (``k`` from 0 to ``hops``); its feature is the
mean of the source type's features over the path's walks, one relation at a time:

.. math::
    X_{r_1 \dots r_k} = \hat A_{r_k} \cdots \hat A_{r_1} X_{t_0}, \qquad
    \hat A_r = D_r^{-1} A_r \ \text{(row-normalised: a mean over the in-neighbours along } r)

``(N_T, F_{t_0})`` for each path; the empty path is the target's own features. Products run
hop by hop from the sources (a path's prefix is computed once and shared by every path that
extends it), as sparse adjacency times (sparse or dense) features: the meta-path graph of a path
(ACM's paper-term-paper: 9.1 M edges) is never built. A prefix is kept only while its end type
can still reach the target in the hops left.

Types without features (no entry in ``features``) start no path: hetgat has no input of theirs
to average (SeHGNN averages one-hot ids, a learned table per node, which is transductive); paths
through them still count.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field

import torch

from hetgat.errors import ConfigError
from hetgat.sparse.csr import csr_matmul, index_rows, sparse_csr

#: A product denser than this fraction of its cells is kept dense: sparse CSR stores about three
#: times a dense cell's bytes per non-zero (dense costs at most 1.7 times the bytes here), and
#: on a CPU the projection of dense rows is faster above about 13 % (BENCHMARKS.md).
DENSE_ABOVE = 0.2


@dataclass(frozen=True)
class RelationPath:
    """One relation path into the target type.

    Attributes
    ----------
    name : str
        Node types from source to target joined by ``-`` (``author-paper-author``), or, where two
        paths share those types (ACM's ``paper-cite-paper`` and ``paper-ref-paper``), relation
        names joined by ``,``; the target type's name for the empty path.
    source : str
        The node type whose features are averaged.
    etypes : tuple
        Canonical edge types ``(src, relation, dst)``, the source's first; empty for the target
        itself.
    """

    name: str
    source: str
    etypes: tuple = ()

    @property
    def hops(self) -> int:
        return len(self.etypes)


def relation_paths(schema, hops: int, sources=None, relations=None) -> list[RelationPath]:
    """Every relation path of at most ``hops`` edges into ``schema.target_type``, starting at a
    type of ``sources`` (default: every type), shortest first, then in edge-type order.

    The empty path (the target itself) comes first when the target is a source. ``relations``
    (relation names, :func:`path_relations`) limits the edges a path may take (default: all).
    """
    if isinstance(hops, bool) or not isinstance(hops, int) or hops < 0:
        raise ConfigError("hops", hops, "an integer >= 0")
    target = schema.target_type
    relations = path_relations(schema, relations)
    sources = set(schema.node_types if sources is None else sources)
    reach = _hops_to(target, relations, schema.node_types)
    found, frontier = [], [(t, ()) for t in schema.node_types if t in sources]
    for k in range(hops + 1):
        found += [(s, p) for s, p in frontier if (p[-1][2] if p else s) == target]
        if k == hops:
            break
        left = hops - k - 1
        frontier = [
            (s, p + (e,))
            for s, p in frontier
            for e in relations
            if e[0] == (p[-1][2] if p else s) and reach.get(e[2], hops + 1) <= left
        ]
    return _named(found)


def path_relations(schema, names=None) -> list[tuple]:
    """The canonical edge types of ``schema`` whose relation is one of ``names`` (each a
    relation name, or ``src:relation:dst`` where one name joins several type pairs), in the
    schema's order; all of them if ``names`` is None. A name that is none of the graph's is a
    :class:`ConfigError` of option ``path_relations`` listing the graph's relations."""
    etypes = [tuple(e) for e in schema.canonical_etypes]
    if names is None:
        return etypes
    known = {e[1] for e in etypes} | {":".join(e) for e in etypes}
    for name in names:
        if name not in known:
            listed = ", ".join(sorted({e[1] for e in etypes}))
            raise ConfigError("path_relations", name, f"a relation of the graph ({listed})")
    wanted = set(names)
    return [e for e in etypes if e[1] in wanted or ":".join(e) in wanted]


def _hops_to(target: str, relations, node_types) -> dict:
    """Fewest edges from each type to ``target`` (absent: unreachable)."""
    dist, frontier = {target: 0}, [target]
    while frontier:
        nxt = []
        for e in relations:
            if e[2] in frontier and e[0] not in dist:
                dist[e[0]] = dist[e[2]] + 1
                nxt.append(e[0])
        frontier = nxt
    return dist


def _named(found) -> list[RelationPath]:
    def types(s, p):
        return "-".join([s] + [e[2] for e in p])

    counts: dict[str, int] = {}
    for s, p in found:
        counts[types(s, p)] = counts.get(types(s, p), 0) + 1
    return [
        RelationPath(types(s, p) if counts[types(s, p)] == 1 else ",".join(e[1] for e in p), s, p)
        for s, p in found
    ]


def mean_adjacency(graph, etype) -> torch.Tensor:
    """:math:`D^{-1} A` of relation ``etype``: ``(N_dst, N_src)`` sparse CSR, each row the mean
    over the node's in-edges of that relation (a parallel edge counts twice; no in-edge: a zero
    row)."""
    src, dst = graph.edges(etype=etype, order="eid")
    n_dst, n_src = graph.num_nodes(etype[2]), graph.num_nodes(etype[0])
    order = torch.argsort(dst * n_src + src)  # by row, then column: CSR's order
    src, dst = src[order], dst[order]
    counts = torch.bincount(dst, minlength=n_dst)
    crow = torch.zeros(n_dst + 1, dtype=torch.long)
    crow[1:] = torch.cumsum(counts, 0)
    values = 1.0 / counts.clamp(min=1).float()[dst]
    return sparse_csr(crow, src, values, (n_dst, n_src))


def path_features(graph, features: dict, paths) -> list[torch.Tensor]:
    """The feature ``(N_target, F_source)`` of each of ``paths``, in their order.

    Parameters
    ----------
    graph : dgl.DGLGraph
        The heterogeneous graph (CPU or the features' device).
    features : dict[str, torch.Tensor]
        Features per node type, dense or sparse CSR; every path's source must have an entry.
    paths : list of RelationPath
        From :func:`relation_paths`.

    Returns
    -------
    list of torch.Tensor
        Dense, or sparse CSR where the product stays sparser than :data:`DENSE_ABOVE`.
    """
    adjacency: dict = {}
    out: list = [None] * len(paths)
    longest = max((p.hops for p in paths), default=0)
    # One level of prefixes at a time: those of k edges that some path extends, each computed
    # once from its own prefix of k - 1 edges (shared by every path through it).
    level = {(p.source, ()): features[p.source] for p in paths}
    for k in range(longest + 1):
        for i, p in enumerate(paths):
            if p.hops == k:
                out[i] = level[(p.source, p.etypes)]
        if k == longest:
            break
        wanted = dict.fromkeys((p.source, p.etypes[: k + 1]) for p in paths if p.hops > k)
        nxt = {}
        for source, prefix in wanted:
            e = prefix[-1]
            if e not in adjacency:
                adjacency[e] = mean_adjacency(graph, e).to(features[source].device)
            nxt[(source, prefix)] = _matmul(adjacency[e], level[(source, prefix[:-1])])
        level = nxt
    return out


def _matmul(adj: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    if x.layout == torch.strided:
        return adj @ x
    y = csr_matmul(adj, x)
    if y._nnz() > DENSE_ABOVE * y.shape[0] * y.shape[1]:
        return y.to_dense()
    return y


@dataclass
class PathInputs:
    """What :class:`SeHGNN` runs on, built once per graph by :meth:`SeHGNN.prepare_graph`.

    Attributes
    ----------
    graph : dgl.DGLGraph
        The graph they were computed from (the attention record names its nodes).
    names : list[str]
        The relation paths' names, in the order of ``features``.
    features : list[torch.Tensor]
        ``(N_target, F_p)`` per path (dense or sparse CSR), rows in the target's id order; for a
        path from a type with a learned embedding, the path's mean operator
        ``(N_target, N_source)`` (the product of one-hot ids), applied to the embedding at
        every step.
    """

    graph: object
    names: list
    features: list
    _kept: OrderedDict = field(default_factory=OrderedDict, repr=False, compare=False)
    _asked: OrderedDict = field(default_factory=OrderedDict, repr=False, compare=False)

    #: Row selections kept (the training rows and the validation rows of full-batch training);
    #: a selection is kept the second time it is asked for, so the chunks of one inference
    #: pass, each asked for once, are never held.
    KEEP = 2

    def rows(self, ids: torch.Tensor) -> list:
        """Every path's rows of target nodes ``ids`` (a mini-batch).

        Full-batch training asks for the same training and validation rows every epoch: the
        selection is kept from the second time on, which saves the row gather and lets the
        layers keep the sparse transposes their gradients need (:class:`CSRTranspose` holds
        the last one's structure).
        """
        key = (str(ids.device), ids.numel(), _digest(ids))
        if key in self._kept:
            self._kept.move_to_end(key)
            return list(self._kept[key])
        out = [index_rows(x, ids) for x in self.features]
        if key in self._asked:
            self._kept[key] = out
            while len(self._kept) > self.KEEP:
                self._kept.popitem(last=False)
        self._asked[key] = None
        self._asked.move_to_end(key)
        while len(self._asked) > 4 * self.KEEP:
            self._asked.popitem(last=False)
        return list(out)


def _digest(ids: torch.Tensor) -> bytes:
    """A digest of the ids' values (not their storage: a new tensor of the same ids is the
    same selection)."""
    return hashlib.blake2b(ids.detach().cpu().numpy().tobytes(), digest_size=16).digest()
