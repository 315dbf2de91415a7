"""Assembly of a :class:`~hetgat.data.GraphData` from parsed node and edge tables.

Both CSV front ends (an edge file with node files, and a DGL CSVDataset folder) parse their files
into :class:`NodeBlock` and :class:`EdgeBlock` objects; :func:`build_graph_data` maps string ids to
node indices, builds the DGL graph, the labels, the split and the features.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch

from hetgat.data import EDGE_TYPE, GraphData
from hetgat.datasets._csvblocks import EdgeBlock, NodeBlock
from hetgat.datasets._csvlabels import has_labels, parse_labels, pick_target, split_masks
from hetgat.datasets.relations import dedupe, read_as, read_relations
from hetgat.errors import DataFormatError
from hetgat.sparse.csr import sparse_csr
from hetgat.sparse.hetero import HeteroGraph

logger = logging.getLogger("hetgat")


def _per_row(value: np.ndarray | str | None, n: int) -> np.ndarray:
    return value if isinstance(value, np.ndarray) else np.full(n, value, dtype=object)


def _interleave(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.empty(2 * len(a), dtype=a.dtype)
    out[0::2], out[1::2] = a, b
    return out


def _index_nodes(edges: list[EdgeBlock], blocks: dict[str, NodeBlock], types: list[str]):
    """Node ids per type (node-file rows, then edge-only ids by first appearance) and the
    (src, dst) node indices of every edge block."""
    occ_ids = np.concatenate([_interleave(e.src, e.dst) for e in edges])  # src0, dst0, src1, ...
    offsets = np.cumsum([0] + [2 * len(e.src) for e in edges])

    def fail(position: int, message: str) -> DataFormatError:
        b = int(np.searchsorted(offsets, position, side="right")) - 1
        row, is_dst = divmod(int(position - offsets[b]), 2)
        column = edges[b].dst_column if is_dst else edges[b].src_column
        return edges[b].table.error(message, row=row, column=column, value=occ_ids[position])

    where = {types[0]: np.arange(len(occ_ids))}
    if len(types) > 1:
        occ_type = np.concatenate(
            [
                _interleave(_per_row(e.src_type, len(e.src)), _per_row(e.dst_type, len(e.src)))
                for e in edges
            ]
        )
        type_code = pd.Index(types).get_indexer(occ_type)
        where = {t: np.flatnonzero(type_code == k) for k, t in enumerate(types)}
    factorized = {t: pd.factorize(occ_ids[w]) for t, w in where.items()}
    blank = [  # checked on the distinct ids only: stripping millions of cells is slow
        where[t][
            np.flatnonzero(np.isin(codes, np.flatnonzero(pd.Series(uniques).str.strip() == "")))
        ]
        for t, (codes, uniques) in factorized.items()
    ]
    blank = np.concatenate(blank)
    if len(blank):
        raise fail(int(blank.min()), "empty node id")
    occ_index = np.empty(len(occ_ids), dtype=np.int64)
    node_ids = {}
    for ntype, (codes, uniques) in factorized.items():
        block = blocks.get(ntype)
        known = block.ids if block is not None else np.empty(0, dtype=object)
        pos = pd.Index(known).get_indexer(uniques) if len(known) else np.full(len(uniques), -1)
        unknown = pos < 0
        if block is not None and block.complete and unknown.any():
            kind = f" of type {ntype!r}" if len(types) > 1 else ""
            message = f"edge to an unknown node: not an id{kind} in {block.table.path}"
            raise fail(int(where[ntype][np.flatnonzero(unknown[codes])[0]]), message)
        pos[unknown] = len(known) + np.arange(int(unknown.sum()))
        occ_index[where[ntype]] = pos[codes]
        node_ids[ntype] = np.concatenate([known, uniques[unknown]]).astype(object)
    bounds = zip(offsets, offsets[1:], strict=False)
    return node_ids, [(occ_index[a:b:2], occ_index[a + 1 : b : 2]) for a, b in bounds]


def _relations(edges: list[EdgeBlock], pairs, hetero: bool) -> dict[tuple, tuple]:
    """``{(src_type, relation, dst_type): (src, dst)}``; without a relation column a relation is
    named ``f"{src_type}-{dst_type}"`` in a heterogeneous graph and ``EDGE_TYPE`` otherwise."""
    out: dict[tuple, tuple] = {}
    for e, (src, dst) in zip(edges, pairs, strict=True):
        relation = e.relation if e.relation is not None else ("" if hetero else EDGE_TYPE)
        columns = (e.src_type, relation, e.dst_type)
        if all(isinstance(c, str) for c in columns):
            groups = [(columns, slice(None))]
        else:
            keys = pd.MultiIndex.from_arrays([_per_row(c, len(src)) for c in columns])
            codes, uniques = pd.factorize(keys)
            groups = [(key, np.flatnonzero(codes == k)) for k, key in enumerate(uniques)]
        for (s, r, d), rows in groups:
            key = (s, r or f"{s}-{d}", d)
            old = out.get(key, (np.empty(0, np.int64),) * 2)
            out[key] = (np.concatenate([old[0], src[rows]]), np.concatenate([old[1], dst[rows]]))
    return out


def _note_duplicates(path, relations: dict, counts: dict) -> None:
    """Say how many given edges repeat one already given (same relation, source and
    destination): each is kept once."""
    repeated = 0
    for (src_type, _, _), (src, dst) in relations.items():
        codes = dst.astype(np.int64) * max(counts[src_type], 1) + src
        repeated += len(codes) - len(np.unique(codes))
    if repeated:
        logger.info("%s: %d duplicate edge(s) (same relation, source and destination) kept once",
                    path, repeated)  # fmt: skip


def _build_edges(
    given, counts, hetero, directed, self_loop, *, reverse, keep_relations, record
) -> tuple[dict[tuple, tuple], tuple | None]:
    """The graph's edges, and for a heterogeneous graph how the files' relations were read
    (:func:`~hetgat.datasets.relations.read_relations`, or as a run's ``record`` says)."""
    if not hetero:
        ((key, (src, dst)),) = given.items()
        n = counts[key[0]]
        if not directed:
            src, dst = np.concatenate([src, dst]), np.concatenate([dst, src])
        if self_loop:
            keep, loops = src != dst, np.arange(n, dtype=np.int64)
            src, dst = np.concatenate([src[keep], loops]), np.concatenate([dst[keep], loops])
        return {key: dedupe(src, dst, n)}, None
    edges = {k: dedupe(s, d, counts[k[0]]) for k, (s, d) in given.items()}
    if record is not None:
        return read_as(edges, counts, record), tuple(record)
    return read_relations(edges, counts, reverse=reverse, keep_relations=keep_relations)


def _features(block: NodeBlock) -> torch.Tensor:
    feats = block.features
    if sp.issparse(feats):
        feats.sort_indices()
        crow, col = (torch.from_numpy(a.astype(np.int64)) for a in (feats.indptr, feats.indices))
        return sparse_csr(crow, col, torch.from_numpy(feats.data.astype(np.float32)), feats.shape)
    return torch.from_numpy(np.ascontiguousarray(feats, dtype=np.float32))


def _check_types(edges: list[EdgeBlock], blocks: list[NodeBlock]) -> list[str]:
    """The node types of the edges (sorted); every node file's type must be among them, once."""
    found: set[str] = set()
    for e in edges:
        for t in (e.src_type, e.dst_type):
            found.update([t] if isinstance(t, str) else pd.unique(t))
    types = sorted(found)
    seen: dict[str, NodeBlock] = {}
    for b in blocks:
        if b.ntype not in found:
            known = ", ".join(map(repr, types))
            message = (
                f"node type {b.ntype!r} has no edges in {edges[0].table.path} (types: {known})"
            )
            raise DataFormatError(b.table.path, message)
        if b.ntype in seen:
            message = f"node type {b.ntype!r} is also in {seen[b.ntype].table.path}"
            raise DataFormatError(b.table.path, message)
        seen[b.ntype] = b
    return types


def _unlabelled(name, graph, blocks, node_ids, target: str, relations) -> GraphData:
    """The structure of a graph without labels: no classes, no node in a split."""
    n = graph.num_nodes(target)
    none = torch.zeros(n, dtype=torch.bool)
    return GraphData(
        name=name,
        graph=graph,
        features={t: _features(b) for t, b in blocks.items() if b.features is not None},
        labels=torch.full((n,), -1, dtype=torch.int64),
        train_mask=none,
        val_mask=none.clone(),
        test_mask=none.clone(),
        target_type=target,
        class_names=[],
        node_ids=node_ids,
        relations=relations,
    )


def build_graph_data(
    name: str,
    edges: list[EdgeBlock],
    nodes: list[NodeBlock],
    *,
    target: str | None,
    reverse: bool,
    directed: bool,
    self_loop: bool,
    split_ratio: tuple[float, float, float],
    seed: int,
    class_names: list[str] | None,
    multilabel: bool | None,
    allow_unlabelled: bool = False,
    keep_relations: bool = False,
    relations=None,
) -> GraphData:
    """The GraphData of parsed blocks (see :func:`hetgat.datasets.csv.load_csv_graph`)."""
    types = _check_types(edges, nodes)
    blocks = {b.ntype: b for b in nodes}
    node_ids, pairs = _index_nodes(edges, blocks, types)
    counts = {t: len(ids) for t, ids in node_ids.items()}
    given = _relations(edges, pairs, hetero=len(types) > 1)
    hetero = len(types) > 1 or len(given) > 1
    _note_duplicates(edges[0].table.path, given, counts)
    data_dict, read = _build_edges(
        given,
        counts,
        hetero,
        directed,
        self_loop,
        reverse=reverse,
        keep_relations=keep_relations,
        record=relations,
    )
    graph = HeteroGraph(
        {k: (torch.from_numpy(s), torch.from_numpy(d)) for k, (s, d) in data_dict.items()},
        num_nodes_dict=counts,
    )
    block = pick_target(target, types, blocks, class_names is not None, allow_unlabelled)
    if block is None:
        return _unlabelled(name, graph, blocks, node_ids, target or types[0], read)
    n = counts[block.ntype]
    labels, first, class_names, multilabel = parse_labels(
        block.labels, n, class_names, multilabel, block.table, block.rows, block.label_column
    )
    masks = split_masks(
        block.split,
        first,
        node_ids[block.ntype],
        split_ratio,
        seed,
        block.table,
        block.split_column,
        block.label_column,
    )
    for b in nodes:
        if b is not block and has_labels(b):
            note = "%s: ignored the labels of type %r (the target is %r)"
            logger.info(note, b.table.path, b.ntype, block.ntype)
    return GraphData(
        name=name,
        graph=graph,
        features={t: _features(b) for t, b in blocks.items() if b.features is not None},
        labels=labels,
        train_mask=masks[0],
        val_mask=masks[1],
        test_mask=masks[2],
        target_type=block.ntype,
        class_names=class_names,
        node_ids=node_ids,
        multilabel=multilabel,
        relations=read,
    )
