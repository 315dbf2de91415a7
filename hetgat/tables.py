"""Tables keyed by the dataset's own node ids: attention, semantic attention, predictions, ids.

A model returns, per layer, a ``(E, H)`` tensor aligned with the graph's edge ids (or, for
heterogeneous models, a dict of them keyed by canonical edge type). These functions turn them
into rows ``layer, head, edge_type, src_type, src, dst_type, dst, attention`` and stream them
to CSV (optionally gzip) or Parquet, in chunks, so a table of tens of millions of rows never
sits in memory at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import pandas as pd
import torch

from hetgat.data import GraphData
from hetgat.errors import ConfigError, HetgatError
from hetgat.train.metrics import THRESHOLD

COLUMNS = ["layer", "head", "edge_type", "src_type", "src", "dst_type", "dst", "attention"]
CHUNK_ROWS = 1 << 20


def _per_etype(graph, layer_attention) -> dict:
    if isinstance(layer_attention, dict):
        return layer_attention
    return {graph.canonical_etypes[0]: layer_attention}


def attention_frames(
    graph,
    node_ids: dict[str, np.ndarray],
    attention: list,
    *,
    layers: Iterable[int] | None = None,
    heads: Iterable[int] | None = None,
    dst_nodes: dict[str, np.ndarray] | None = None,
    nodes=None,
    top_k: int | None = None,
    mean_heads: bool = False,
    chunk_rows: int = CHUNK_ROWS,
) -> Iterator[pd.DataFrame]:
    """Yield the attention table in chunks, ordered by layer, edge type, head, then edge id.

    Parameters
    ----------
    graph : dgl.DGLGraph
        The graph the attention was computed on (edge ids must match).
    node_ids : dict[str, numpy.ndarray]
        The dataset's id of each node, per node type.
    attention : list
        One entry per layer: a ``(E, H)`` tensor, or a dict ``{canonical_etype: (E, H)}``.
    layers, heads : iterable of int, optional
        Only these layers / heads (counting from 0).
    dst_nodes : dict[str, numpy.ndarray], optional
        Only edges into these nodes (row indices per node type).
    nodes : sequence of str or dict[str, sequence of str], optional
        Only edges into these nodes, by the user's ids (of any type, or per type); an id or a
        type key that names no node is an error.
    top_k : int, optional
        Only the ``top_k`` strongest in-edges of each destination per layer, head and edge
        type; rows are then grouped by destination in descending attention.
    mean_heads : bool, default False
        Average the heads into one row per edge (``head`` is then ``"mean"``).
    chunk_rows : int, default 2**20
        Most rows per yielded frame; node ids are looked up per chunk.
    """
    if nodes is not None:
        dst_nodes = node_rows(node_ids, nodes)
    if dst_nodes is not None:
        unknown = sorted(set(dst_nodes) - set(graph.ntypes))
        if unknown:
            raise ConfigError("dst_nodes", unknown[0], f"a node type among {list(graph.ntypes)}")
    layers = range(len(attention)) if layers is None else list(layers)
    for layer in layers:
        if not 0 <= layer < len(attention):
            raise ConfigError("layers", layer, f"a layer from 0 to {len(attention) - 1}")
    for layer in layers:
        for etype, att in _per_etype(graph, attention[layer]).items():
            src_type, edge_type, dst_type = etype
            src, dst = (t.numpy() for t in graph.edges(etype=etype, order="eid"))
            values = att.detach().float().cpu()
            if mean_heads:
                head_names, values = ["mean"], values.mean(1, keepdim=True)
            else:
                head_names = list(range(values.shape[1]))
            values = values.numpy()
            selected = np.arange(len(src))
            if dst_nodes is not None:
                wanted = np.zeros(graph.num_nodes(dst_type), dtype=bool)
                wanted[dst_nodes.get(dst_type, [])] = True
                selected = selected[wanted[dst]]
            for head in _heads(heads, head_names):
                rows = selected
                if top_k is not None:
                    rows = _top_k(rows, dst, values[:, head], top_k)
                for start in range(0, len(rows), chunk_rows):
                    eids = rows[start : start + chunk_rows]
                    n = len(eids)
                    yield pd.DataFrame(
                        {
                            "layer": np.full(n, layer, dtype=np.int64),
                            "head": np.full(n, head_names[head], dtype=object),
                            "edge_type": edge_type,
                            "src_type": src_type,
                            "src": node_ids[src_type][src[eids]],
                            "dst_type": dst_type,
                            "dst": node_ids[dst_type][dst[eids]],
                            "attention": values[eids, head],
                        },
                        columns=COLUMNS,
                    )


def node_rows(node_ids: dict, nodes) -> dict[str, np.ndarray]:
    """``{type: row indices}`` of the user's ids ``nodes`` (a sequence: ids of any type; a
    dict: ids per type); an id or a type that names no node is a :class:`HetgatError`."""
    if isinstance(nodes, (str, int)):
        nodes = [nodes]
    if isinstance(nodes, dict):
        unknown = sorted(set(nodes) - set(node_ids))
        if unknown:
            raise ConfigError("nodes", unknown[0], f"a node type among {list(node_ids)}")
        wanted = {t: [str(v) for v in ids] for t, ids in nodes.items()}
    else:
        wanted = {t: [str(v) for v in nodes] for t in node_ids}
    out, found = {}, {t: set() for t in wanted}
    for t, ids in wanted.items():
        hits = np.flatnonzero(np.isin(node_ids[t], ids))
        if len(hits):
            out[t] = hits
            found[t].update(node_ids[t][hits])
    if isinstance(nodes, dict):
        missing = [v for t, ids in wanted.items() for v in ids if v not in found[t]]
    else:
        anywhere = set().union(*found.values())
        missing = [str(v) for v in nodes if str(v) not in anywhere]
    if missing:
        raise HetgatError(f"no node with id {', '.join(map(repr, missing[:5]))} in the graph")
    return out


def _heads(wanted, names) -> list[int]:
    if wanted is None or names == ["mean"]:
        return list(range(len(names)))
    wanted = list(wanted)
    for h in wanted:
        if not 0 <= h < len(names):
            raise ConfigError("heads", h, f"a head from 0 to {len(names) - 1} in every layer")
    return wanted


def _top_k(eids: np.ndarray, dst: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` largest-attention edges of each destination, grouped by destination."""
    if len(eids) == 0:
        return eids
    order = eids[np.lexsort((-values[eids], dst[eids]))]
    groups = dst[order]
    first = np.r_[True, groups[1:] != groups[:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))
    return order[np.arange(len(order)) - start < k]


SEMANTIC_COLUMNS = ["layer", "target_type", "edge_type", "attention"]


def semantic_frame(semantic: list) -> pd.DataFrame:
    """Semantic attention (HAN: per meta-path; RGAT: per relation and destination type).

    Columns ``layer, target_type, edge_type, attention``; the weights sum to 1 per layer and
    ``target_type`` (the node type whose inputs were weighed), except with the sigmoid
    ``semantic_fusion``, whose weights are gates in (0, 1) each. HGT: ``attention`` is the
    share of the attention into the type's nodes that each relation carries (mean over nodes
    and heads), and a column ``prior`` holds the learned relation prior (mean over heads).
    """
    rows = [
        (layer, s.dst_type, name, float(w), None if s.prior is None else float(s.prior[k]))
        for layer, records in enumerate(semantic)
        for s in records
        for k, (name, w) in enumerate(zip(s.names, s.weights.tolist(), strict=True))
    ]
    frame = pd.DataFrame(rows, columns=[*SEMANTIC_COLUMNS, "prior"])
    if frame["prior"].isna().all():  # only HGT has a relation prior
        frame = frame.drop(columns="prior")
    return frame


def semantic_node_frames(semantic: list, node_ids: dict) -> Iterator[pd.DataFrame]:
    """Each node's own semantic weights: ``layer, node_type, id, edge_type, attention``."""
    for layer, records in enumerate(semantic):
        for s in records:
            ids = node_ids[s.dst_type]
            per_node = s.per_node.numpy()
            for k, name in enumerate(s.names):
                yield pd.DataFrame(
                    {
                        "layer": layer,
                        "node_type": s.dst_type,
                        "id": ids,
                        "edge_type": name,
                        "attention": per_node[:, k],
                    }
                )


def predictions_frame(data: GraphData, probs: torch.Tensor) -> pd.DataFrame:
    """``id, predicted, label, split`` and one ``prob_<class>`` column per class.

    Multi-label: ``predicted`` and ``label`` list class names joined by ``|`` (predicted: the
    classes with probability above 0.5).
    """
    names = np.array(data.class_names, dtype=object)
    if data.multilabel:
        predicted = _join_classes(names, probs.numpy() > THRESHOLD)
        label_names = _join_classes(names, data.labels.numpy() > 0)
    else:
        labels = data.labels.numpy()
        label_names = np.where(labels >= 0, names[np.clip(labels, 0, None)], "")
        predicted = names[probs.argmax(1).numpy()]
    frame = pd.DataFrame(
        {
            "id": data.node_ids[data.target_type],
            "predicted": predicted,
            "label": label_names,
            "split": data.split_names(),
        }
    )
    probs_np = probs.numpy()
    for i, name in enumerate(data.class_names):
        frame[f"prob_{name}"] = probs_np[:, i]
    return frame


def _join_classes(names: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return np.array(["|".join(names[row]) for row in mask], dtype=object)


def training_labels_frame(data: GraphData) -> pd.DataFrame:
    """Per target node its id, split and the training label it gave (empty unless a training
    node; multi-label: class names joined by ``|``): ``training_labels.csv``, what Correct and
    Smooth propagates when the run meets a graph again."""
    train = data.train_mask.numpy()
    names = np.array(data.class_names, dtype=object)
    given = np.full(len(train), "", dtype=object)
    if data.multilabel:
        given[train] = ["|".join(names[row > 0]) for row in data.labels[train].numpy()]
    else:
        given[train] = names[data.labels[train].numpy()]
    return pd.DataFrame(
        {"id": data.node_ids[data.target_type], "split": data.split_names(), "label_given": given}
    )


def label_input_frame(data: GraphData, inputs, groups=None) -> pd.DataFrame:
    """The leak-free label input a model was trained with (``label_input.csv``): per target
    node its id, split, the training label it gave (empty unless a training node), its part
    (-1: not a training node) and the input it received, ``hop<k>:<class>`` columns (or
    ``<group>:<class>``, one group of ``groups`` per ``C`` columns: SeHGNN's relation paths)."""
    names = np.array(data.class_names, dtype=object)
    frame = training_labels_frame(data)
    frame["partition"] = inputs.label_partition.cpu().numpy()
    values = inputs.label_input.cpu().numpy()
    hops = values.shape[1] // len(names)
    groups = groups or [f"hop{h + 1}" for h in range(hops)]
    columns = [f"{g}:{c}" for g in groups for c in names]
    return pd.concat([frame, pd.DataFrame(values, columns=columns)], axis=1)


def node_ids_frame(data: GraphData) -> pd.DataFrame:
    """``type, index, id`` of every node: the mapping between model indices and user ids."""
    parts = [
        pd.DataFrame({"type": t, "index": np.arange(len(ids)), "id": ids})
        for t, ids in data.node_ids.items()
    ]
    return pd.concat(parts, ignore_index=True)
