"""DGL, where it is installed: the one module of hetgat that imports it.

DGL is optional. :func:`load_dgl` imports it once, quietly (``DGLBACKEND=pytorch``, its libxsmm
SpMM kernel off: it crashes on some CSR-built graphs, ``Check notnull: edges``, and was not
faster here). A DGL that is installed but fails to import (DGL 2.1 with torch 2.13 on Python
3.12: its GraphBolt needs ``torchdata.datapipes``) counts as absent, with one warning.
``HETGAT_NO_DGL=1`` makes it absent on purpose (tests of the DGL-free path).

:func:`from_dgl` and :func:`to_dgl` convert between a ``DGLGraph`` (or block) and hetgat's
:class:`~hetgat.sparse.graph.Graph` / :class:`~hetgat.sparse.graph.HeteroGraph` in one call;
a converted graph keeps the other form (``dgl_graph``), so converting back costs nothing.
"""

from __future__ import annotations

import os
import warnings

from hetgat.errors import HetgatError
from hetgat.sparse.graph import Graph
from hetgat.sparse.hetero import HeteroGraph

_LOADED: dict = {}

INSTALL = "pip install 'dgl>=1.1.3,<2' (DGL has wheels for Python 3.8 to 3.11)"


def load_dgl():
    """The ``dgl`` module, or None where DGL is absent or does not import."""
    if "dgl" in _LOADED:
        return _LOADED["dgl"]
    module = None
    if os.environ.get("HETGAT_NO_DGL", "") in ("", "0"):
        os.environ.setdefault("DGLBACKEND", "pytorch")
        try:
            import dgl as module

            module.use_libxsmm(False)
        except ModuleNotFoundError as exc:
            if exc.name != "dgl":
                _warn_broken(exc)
            module = None
        except Exception as exc:  # a broken install raises anything: count it as absent
            _warn_broken(exc)
            module = None
    _LOADED["dgl"] = module
    return module


def _warn_broken(exc: BaseException) -> None:
    warnings.warn(
        f"DGL is installed but does not import ({type(exc).__name__}: {exc}); hetgat runs "
        "without it (plain-torch kernels, no partitioning)",
        RuntimeWarning,
        stacklevel=3,
    )


def dgl_available() -> bool:
    return load_dgl() is not None


def require_dgl(what: str):
    """The ``dgl`` module, or a :class:`HetgatError` saying that ``what`` needs DGL."""
    dgl = load_dgl()
    if dgl is None:
        raise HetgatError(f"{what} needs DGL, which is not installed here: {INSTALL}")
    return dgl


def is_dgl_graph(obj) -> bool:
    """Whether ``obj`` is a DGLGraph or block (without importing DGL)."""
    return type(obj).__module__.startswith("dgl.")


def as_graph(graph):
    """hetgat's form of ``graph``: itself, or a converted DGLGraph."""
    if isinstance(graph, (Graph, HeteroGraph)):
        return graph
    if is_dgl_graph(graph):
        return from_dgl(graph)
    raise TypeError(f"expected a hetgat Graph/HeteroGraph or a DGLGraph, got {type(graph)!r}")


def one_relation(graph) -> Graph:
    """The :class:`Graph` of a graph with one edge type: a Graph, a HeteroGraph of one
    relation, or such a DGLGraph/block (what a layer like ``GATConv`` runs on)."""
    g = as_graph(graph)
    if isinstance(g, HeteroGraph):
        if len(g.canonical_etypes) != 1:
            raise ValueError(
                f"the layer runs on a graph with one edge type, got {len(g.canonical_etypes)}"
            )
        g = g[g.canonical_etypes[0]]
    return g


def from_dgl(g):
    """A ``DGLGraph`` or block as a :class:`Graph` (one edge type) or :class:`HeteroGraph`.

    Blocks keep their ``dgl.EID`` (``eid``) and ``dgl.NID`` (``src_nid``/``dst_nid``).
    """
    dgl = require_dgl("converting a DGLGraph")
    if len(g.canonical_etypes) == 1 and (g.is_block or len(g.ntypes) <= 2):
        etype = g.canonical_etypes[0]
        src, dst = g.edges(etype=etype)
        out = Graph(
            src,
            dst,
            g.num_src_nodes(etype[0]) if g.is_block else g.num_nodes(etype[0]),
            g.num_dst_nodes(etype[2]) if g.is_block else g.num_nodes(etype[2]),
            is_block=g.is_block,
            eid=g.edata.get(dgl.EID),
            src_nid=g.srcdata.get(dgl.NID) if g.is_block else None,
            dst_nid=g.dstdata.get(dgl.NID) if g.is_block else None,
            check=False,
        )
        out.dgl_graph = g
        return out
    data = {e: g.edges(etype=e) for e in g.canonical_etypes}
    if g.is_block:
        out = HeteroGraph(
            data,
            {t: g.num_src_nodes(t) for t in g.srctypes},
            num_dst_nodes_dict={t: g.num_dst_nodes(t) for t in g.dsttypes},
            src_nid=_per_type(g.srcdata.get(dgl.NID), g.srctypes),
            dst_nid=_per_type(g.dstdata.get(dgl.NID), g.dsttypes),
            check=False,
        )
        eids = g.edata.get(dgl.EID)
        for e in g.canonical_etypes:
            out.relations[e].eid = eids.get(e) if isinstance(eids, dict) else eids
    else:
        out = HeteroGraph(data, {t: g.num_nodes(t) for t in g.ntypes}, check=False)
    out.dgl_graph = g
    return out


def _per_type(values, types):
    if values is None or isinstance(values, dict):
        return values
    return {types[0]: values}


def to_dgl(graph):
    """``graph`` (hetgat's) as a ``DGLGraph`` or block, made once and kept on it."""
    if graph.dgl_graph is not None:
        return graph.dgl_graph
    dgl = require_dgl("a DGLGraph")
    if isinstance(graph, Graph):
        edges = (graph.src, graph.dst)
        ns, nd = graph.num_src_nodes(), graph.num_dst_nodes()
        if graph.is_block:
            out = dgl.create_block(edges, num_src_nodes=ns, num_dst_nodes=nd)
        elif ns == nd:
            out = dgl.graph(edges, num_nodes=ns)
        else:
            out = dgl.heterograph({("_U", "_E", "_V"): edges}, {"_U": ns, "_V": nd})
        if graph.eid is not None:
            out.edata[dgl.EID] = graph.eid
    else:
        data = {e: g.edges() for e, g in graph.relations.items()}
        if graph.is_block:
            out = dgl.create_block(
                data,
                num_src_nodes={t: graph.num_src_nodes(t) for t in graph.ntypes},
                num_dst_nodes={t: graph.num_dst_nodes(t) for t in graph.ntypes},
            )
        else:
            out = dgl.heterograph(data, {t: graph.num_nodes(t) for t in graph.ntypes})
    graph.dgl_graph = out
    return out


def seed_dgl(seed: int) -> None:
    """Seed DGL's own generator (its samplers) where DGL is loaded."""
    dgl = load_dgl()
    if dgl is not None:
        dgl.seed(seed)


def dgl_threads():
    """DGL's ``(get_num_threads, set_num_threads)`` where DGL is installed, else None."""
    dgl = load_dgl()
    if dgl is None:
        return None
    return dgl.utils.get_num_threads, dgl.utils.set_num_threads
