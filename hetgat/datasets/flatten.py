"""A heterogeneous graph as one homogeneous graph, so that GAT and GATv2 can train on it
(``load_graph(..., flatten=True)``, ``hetgat fit --flatten``)."""

from __future__ import annotations

import logging

import numpy as np
import scipy.sparse as sp
import torch

from hetgat.data import EDGE_TYPE, NODE_TYPE, GraphData
from hetgat.sparse.csr import sparse_csr
from hetgat.sparse.hetero import HeteroGraph


def flatten(data: GraphData) -> GraphData:
    """``data`` with every node type in one type and every relation in one edge type.

    - Nodes: the types one after another, in the graph's order (the target type's nodes keep
      their order among themselves). Ids stay the user's where no id is shared by two types;
      otherwise every id becomes ``<type>/<id>``.
    - Edges: every relation's edges (reverse relations included), each ``(src, dst)`` pair
      once, and one self-loop per node, as the homogeneous loaders add (GAT then attends to
      the node itself, and no node is without in-edges).
    - Features: a one-hot column per node type, then each type's own features in its own
      block of columns (zero for the other types); a type without features has only its
      one-hot column. Sparse if any type's features are, else dense.
    - Labels and splits: the target type's; the other types' nodes are unlabelled and in no
      split, so the metrics are those of the target type. ``predictions.csv`` lists every
      node.

    A homogeneous ``data`` is returned as it is.
    """
    if data.is_homogeneous:
        return data
    g, types = data.graph, list(data.graph.ntypes)
    counts = [int(g.num_nodes(t)) for t in types]
    offsets = dict(zip(types, np.cumsum([0, *counts[:-1]]).tolist(), strict=True))
    n = sum(counts)
    src, dst = [], []
    for s_type, _, d_type in g.canonical_etypes:
        s, d = g.edges(etype=(s_type, _, d_type))
        src.append(s.numpy() + offsets[s_type])
        dst.append(d.numpy() + offsets[d_type])
    src, dst = np.concatenate(src), np.concatenate(dst)
    keep = src != dst
    pairs = np.unique(np.stack([src[keep], dst[keep]]), axis=1)
    loops = np.arange(n)
    src = np.concatenate([pairs[0], loops])
    dst = np.concatenate([pairs[1], loops])
    order = np.lexsort((src, dst))
    graph = HeteroGraph(
        {
            (NODE_TYPE, EDGE_TYPE, NODE_TYPE): (
                torch.from_numpy(src[order]),
                torch.from_numpy(dst[order]),
            )
        },
        num_nodes_dict={NODE_TYPE: n},
    )
    target, first = data.target_type, offsets[data.target_type]
    size = int(counts[types.index(target)])
    labels = data.labels
    if data.multilabel:
        flat_labels = torch.zeros(n, labels.shape[1], dtype=labels.dtype)
    else:
        flat_labels = torch.full((n,), -1, dtype=labels.dtype)
    flat_labels[first : first + size] = labels
    masks = []
    for mask in (data.train_mask, data.val_mask, data.test_mask):
        flat = torch.zeros(n, dtype=torch.bool)
        flat[first : first + size] = mask
        masks.append(flat)
    ids = [np.asarray(data.node_ids[t], dtype=object) for t in types]
    everything = np.concatenate(ids)
    if len(np.unique(everything)) < len(everything):
        everything = np.concatenate([t + "/" + i for t, i in zip(types, ids, strict=True)])
        logging.getLogger("hetgat").info(
            "flatten: some ids are shared by two node types, so every id is now <type>/<id>"
        )
    return GraphData(
        name=data.name,
        graph=graph,
        features={NODE_TYPE: _features(data, types, counts)},
        labels=flat_labels,
        train_mask=masks[0],
        val_mask=masks[1],
        test_mask=masks[2],
        target_type=NODE_TYPE,
        class_names=list(data.class_names),
        node_ids={NODE_TYPE: everything.astype(object)},
        multilabel=data.multilabel,
        relations=data.relations,  # how the typed files were read, before flattening
    )


def _features(data: GraphData, types: list[str], counts: list[int]) -> torch.Tensor:
    """One-hot node type, then each type's features in a block of their own."""
    blocks, sparse = [], False
    for t in types:
        x = data.features.get(t)
        if x is None:
            blocks.append(None)
        elif x.layout == torch.sparse_csr:
            sparse = True
            csr = (x.values().numpy(), x.col_indices().numpy(), x.crow_indices().numpy())
            blocks.append(sp.csr_matrix(csr, shape=tuple(x.shape)))
        else:
            blocks.append(sp.csr_matrix(x.numpy()))
    widths = [0 if b is None else b.shape[1] for b in blocks]
    rows = []
    for k, (block, count) in enumerate(zip(blocks, counts, strict=True)):
        onehot = sp.csr_matrix(np.ones((count, 1), dtype=np.float32))
        parts = [sp.csr_matrix((count, k)), onehot, sp.csr_matrix((count, len(types) - k - 1))]
        before, after = sum(widths[:k]), sum(widths[k + 1 :])
        parts += [sp.csr_matrix((count, before))]
        parts += [block if block is not None else sp.csr_matrix((count, 0))]
        parts += [sp.csr_matrix((count, after))]
        rows.append(sp.hstack(parts, format="csr"))
    matrix = sp.vstack(rows, format="csr").astype(np.float32)
    if not sparse:
        return torch.from_numpy(matrix.toarray())
    return sparse_csr(
        torch.from_numpy(matrix.indptr.astype(np.int64)),
        torch.from_numpy(matrix.indices.astype(np.int64)),
        torch.from_numpy(matrix.data),
        matrix.shape,
    )
