"""Rank 0's run folder: the same files as ``hetgat fit`` writes, in the original data's order.

DGL renumbers the nodes when it partitions; ``node_ids.csv`` maps each ``(type, nid)`` back
to the row (``index``) of the data that ``hetgat partition`` read. Everything of the run is
put back in that order: predictions, labels and splits, the rows of learned embeddings in
``model.pt`` and the ends of every edge in ``attention.csv``. So the run folder is one that
``hetgat fit`` could have written: ``config.json`` names the original data source, and
``hetgat predict``/``attention``/``explain``/``report`` run the model on it on one machine.

Features are not gathered: the :class:`~hetgat.data.GraphData` built here carries them as
``meta`` tensors (their shapes, which is all the run folder records of them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from hetgat.data import GraphData
from hetgat.distributed.blocks import Layout
from hetgat.distributed.train import node_data
from hetgat.errors import HetgatError
from hetgat.records import Attention
from hetgat.sparse.hetero import HeteroGraph

CHUNK = 1 << 20


def original_order(parts) -> dict:
    """Per node type, ``index[nid]``: the data row of every node of the partitioned graph, and
    the user's ids in data order."""
    frame = pd.read_csv(parts.node_ids, dtype={"id": str, "type": str}, keep_default_na=False)
    index, ids = {}, {}
    for ntype, rows in frame.groupby("type", sort=False):
        rows = rows.sort_values("nid")
        index[ntype] = torch.tensor(rows["index"].to_numpy(), dtype=torch.long)
        user = np.empty(len(rows), dtype=object)
        user[rows["index"].to_numpy()] = rows["id"].to_numpy()
        ids[ntype] = user
    return index, ids


def _permute(values: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(values)
    out[index] = values
    return out


def _edges(graph, etype, count: int, index: dict):
    """Both ends of every edge of ``etype`` in edge-id order, as data rows."""
    src, dst = [], []
    for start in range(0, count, CHUNK):
        s, d = graph.find_edges(torch.arange(start, min(start + CHUNK, count)), etype=etype)
        src.append(index[etype[0]][s.long()])
        dst.append(index[etype[2]][d.long()])
    empty = torch.zeros(0, dtype=torch.long)
    return (torch.cat(src) if src else empty, torch.cat(dst) if dst else empty)


def run_data(session, layout: Layout) -> tuple[GraphData, dict]:
    """The job's :class:`GraphData` in the original order (edges in the ``DistGraph``'s edge-id
    order), and ``index`` (see :func:`original_order`)."""
    graph, parts = session.graph, session.parts
    schema = parts.schema
    index, ids = original_order(parts)
    if {t: len(i) for t, i in index.items()} != dict(schema.num_nodes):
        raise HetgatError(f"{parts.node_ids} does not list the nodes of {parts.part_config}")
    edges = {e: _edges(graph, e, graph.num_edges(e), index) for e in graph.canonical_etypes}
    data_graph = HeteroGraph(edges, dict(schema.num_nodes), check=False)
    target = schema.target_type
    n = schema.num_nodes[target]
    store = node_data(graph, target)
    every = torch.arange(n)
    labels = _permute(store["label"][every], index[target])
    masks = [_permute(store[m][every].bool(), index[target]) for m in MASKS]
    data = GraphData(
        name=parts.graph_name,
        graph=data_graph,
        features={
            t: torch.empty((schema.num_nodes[t], f), device="meta")
            for t, f in schema.in_feats.items()
            if f
        },
        labels=labels.float() if schema.multilabel else labels.long(),
        train_mask=masks[0],
        val_mask=masks[1],
        test_mask=masks[2],
        target_type=target,
        class_names=list(schema.class_names),
        node_ids=ids,
        multilabel=schema.multilabel,
        relations=schema.relations,  # how the files' relations became edge types
    )
    if data.schema().to_dict() != schema.to_dict():
        raise HetgatError(f"{parts.part_config}: the partitions do not match hetgat.json's schema")
    return data, index


MASKS = ("train_mask", "val_mask", "test_mask")


def attention_record(data: GraphData, layout: Layout, index: dict, attention: list) -> Attention:
    """The :class:`Attention` a one-machine pass would give: on the data graph for a graph of
    one edge type, on Simple-HGN's typed graph (self-loops added) otherwise."""
    if not layout.self_loops:
        (etype,) = data.graph.canonical_etypes
        return Attention(data.graph, [layer[etype] for layer in attention])
    edges = {e: data.graph.edges(etype=e) for e in data.graph.canonical_etypes}
    for k, e in enumerate(layout.canonical_etypes):
        if layout.is_self_loop(k):
            own = index[e[0]]  # self-loop eid = nid
            edges[e] = (own, own)
    typed = HeteroGraph(edges, dict(data.schema().num_nodes), check=False)
    return Attention(typed, attention)


def fill_embeddings(model, inputs, index: dict) -> None:
    """Copy the trained ``DistEmbedding`` rows into ``model``'s embeddings, in data order."""
    for t, emb in zip(model.inputs.featureless, model.inputs.embeddings, strict=True):
        n = emb.weight.shape[0]
        rows = torch.cat(
            [inputs.rows(t, torch.arange(s, min(s + CHUNK, n))) for s in range(0, n, CHUNK)]
        )
        with torch.no_grad():
            emb.weight.copy_(_permute(rows, index[t]))


def probabilities_in_order(probs: torch.Tensor, index: dict, target: str) -> torch.Tensor:
    return _permute(probs, index[target])
