"""PyTorch Geometric's ``Data`` and ``HeteroData`` to and from :class:`~hetgat.data.GraphData`.

:func:`from_pyg` turns PyG's fields into the edge and node tables of
:func:`~hetgat.datasets.frames.from_pandas` and builds through it, so a graph from PyG meets
the same rules and checks as a CSV export (reverses added where a relation has none, inverse
pairs recognised, self-loops on homogeneous graphs). torch_geometric itself is imported only
by :func:`to_pyg`; :func:`from_pyg` reads the objects by their attributes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from hetgat.data import NODE_TYPE, GraphData
from hetgat.datasets.frames import from_pandas
from hetgat.errors import ConfigError, GraphDataError

SPLITS = ("train", "val", "test")


def from_pyg(data, target: str | None = None, node_ids: dict | None = None, **options):
    """A :class:`~hetgat.data.GraphData` of a PyG ``Data`` or ``HeteroData``.

    Parameters
    ----------
    data : torch_geometric.data.Data or HeteroData
        ``x`` (features; a type without ``x`` gets what hetgat gives featureless types),
        ``y`` (class indices with ``-1`` for unlabelled, or a 2-D 0/1 multi-label matrix),
        ``train_mask``/``val_mask``/``test_mask`` (bool masks or index tensors; without them
        the split is drawn as for a CSV graph without a split column), ``edge_index`` per
        edge type, ``num_nodes`` for types without features.
    target : str, optional
        ``HeteroData``: the node type to classify [default: the only type with ``y``].
    node_ids : dict[str, sequence], optional
        The user's id of every node, per type (a sequence for ``Data``) [default: the node
        indices, as strings].
    **options
        Options of :func:`~hetgat.datasets.frames.from_pandas` (``reverse``, ``directed``,
        ``self_loop``, ``split_ratio``, ``split_seed``, ``name``, ...).

    Classes are named ``"0"``, ``"1"``, ... in index order, so predictions keep PyG's class
    indices.
    """
    hetero = hasattr(data, "node_types") and hasattr(data, "edge_types")
    if hetero:
        stores = {t: data[t] for t in data.node_types}
        edges = {tuple(e): data[e].edge_index for e in data.edge_types}
        if target is None:
            labelled = [t for t, s in stores.items() if getattr(s, "y", None) is not None]
            if len(labelled) != 1:
                raise ConfigError("target", None, f"one of the types with y: {labelled}")
            target = labelled[0]
        if target not in stores:
            raise ConfigError("target", target, f"a node type among {sorted(stores)}")
    elif hasattr(data, "edge_index"):
        stores, edges = {NODE_TYPE: data}, {(NODE_TYPE, "edge", NODE_TYPE): data.edge_index}
        target = NODE_TYPE
        node_ids = None if node_ids is None else {NODE_TYPE: node_ids}
    else:
        raise ConfigError("data", type(data).__name__, "a PyG Data or HeteroData")
    ids = {t: _ids(t, s, (node_ids or {}).get(t)) for t, s in stores.items()}
    edge_frames = []
    for (src_t, relation, dst_t), index in edges.items():
        index, field = torch.as_tensor(index), f"[{src_t!r}, {relation!r}, {dst_t!r}].edge_index"
        if index.dim() != 2 or index.shape[0] != 2:
            shape = tuple(index.shape)
            raise GraphDataError(field, f"a (2, E) index tensor, got shape {shape}")
        src, dst = index.long().cpu().numpy()
        for t, nodes in ((src_t, src), (dst_t, dst)):
            if len(nodes) and (nodes.min() < 0 or nodes.max() >= len(ids[t])):
                raise GraphDataError(field, f"node index out of range: {len(ids[t])} {t!r} nodes")
        frame = {"src": ids[src_t][src], "dst": ids[dst_t][dst]}
        if hetero:
            frame.update(src_type=src_t, relation=relation, dst_type=dst_t)
        edge_frames.append(pd.DataFrame(frame))
    y = getattr(stores[target], "y", None)
    if y is None:
        raise ConfigError("data", "no y", f"labels (y) on the target type {target!r}")
    classes = _class_names(y)
    nodes, features = {}, {}
    for t, store in stores.items():
        frame = pd.DataFrame({"id": ids[t]})
        if t == target:
            frame["label"] = _label_cells(y, len(ids[t]))
            if any(getattr(store, f"{name}_mask", None) is not None for name in SPLITS):
                frame["split"] = _split_cells(store, len(ids[t]))
        nodes[t] = frame
        x = getattr(store, "x", None)
        if x is not None:
            features[t] = x
    return from_pandas(
        pd.concat(edge_frames, ignore_index=True),
        nodes if hetero else nodes[NODE_TYPE],
        features=features,
        target=target if hetero else None,
        class_names=classes,
        multilabel=torch.as_tensor(y).dim() == 2,
        allow_unlabelled=False,
        **{"name": "pyg", **options},
    )


def _ids(ntype: str, store, given) -> np.ndarray:
    n = store.num_nodes
    if n is None:
        raise GraphDataError(f"[{ntype!r}].num_nodes", "needed where a type has no x")
    if given is None:
        return np.arange(n).astype(str).astype(object)
    out = np.asarray([str(v) for v in given], dtype=object)
    if len(out) != n:
        raise GraphDataError("node_ids", f"type {ntype!r}: {len(out)} ids for {n} nodes")
    return out


def _class_names(y) -> list[str]:
    y = torch.as_tensor(y)
    count = y.shape[1] if y.dim() == 2 else int(y.max()) + 1 if len(y) else 0
    return [str(i) for i in range(count)]


def _label_cells(y, n: int) -> np.ndarray:
    y = torch.as_tensor(y).cpu()
    if len(y) != n:
        raise GraphDataError("y", f"{len(y)} rows for {n} target nodes")
    if y.dim() == 2:
        return np.array(["|".join(str(c) for c in np.flatnonzero(row)) for row in y.numpy()],
                        dtype=object)  # fmt: skip
    values = y.long().numpy()
    return np.where(values >= 0, values.astype(str), "").astype(object)


def _split_cells(store, n: int) -> np.ndarray:
    cells = np.full(n, "", dtype=object)
    for name in SPLITS:
        mask = getattr(store, f"{name}_mask", None)
        if mask is None:
            continue
        mask = torch.as_tensor(mask).cpu()
        if mask.dtype != torch.bool:  # PyG's index form
            index = mask.long()
            if len(index) and (int(index.min()) < 0 or int(index.max()) >= n):
                raise GraphDataError(f"{name}_mask", f"node index out of range: {n} nodes")
            mask = torch.zeros(n, dtype=torch.bool).index_fill_(0, index, True)
        if mask.shape != (n,):
            raise GraphDataError(f"{name}_mask", f"{n} values, got shape {tuple(mask.shape)}")
        taken = mask.numpy() & (cells != "")
        if taken.any():
            raise GraphDataError(f"{name}_mask", f"node {int(np.flatnonzero(taken)[0])} is also "
                                 f"in the {cells[taken][0]} split")  # fmt: skip
        cells[mask.numpy()] = name
    return cells


def to_pyg(data: GraphData):
    """A PyG ``HeteroData`` of ``data`` (a ``Data`` when it is homogeneous): ``x``, ``y``,
    the three masks, ``num_nodes`` and ``node_ids`` (the user's ids) per type,
    ``edge_index`` per edge type. Needs torch_geometric."""
    try:
        from torch_geometric.data import Data, HeteroData
    except ImportError:
        raise ConfigError(
            "to_pyg", "torch_geometric", "torch_geometric installed (pip install torch_geometric)"
        ) from None
    data.validate()
    g = data.graph

    def fill(store, ntype: str) -> None:
        store.num_nodes = g.num_nodes(ntype)
        store.node_ids = list(data.node_ids[ntype])
        if ntype in data.features:
            x = data.features[ntype]
            store.x = x.to_dense() if x.layout != torch.strided else x
        if ntype == data.target_type:
            store.y = data.labels
            for name in SPLITS:
                setattr(store, f"{name}_mask", getattr(data, f"{name}_mask"))

    if data.is_homogeneous and data.graph.ntypes == [NODE_TYPE]:
        out = Data()
        fill(out, NODE_TYPE)
        out.edge_index = torch.stack(g.edges(etype=g.canonical_etypes[0])).long()
        return out
    out = HeteroData()
    for t in g.ntypes:
        fill(out[t], t)
    for etype in g.canonical_etypes:
        out[etype].edge_index = torch.stack(g.edges(etype=etype)).long()
    return out
