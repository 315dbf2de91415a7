"""Partitions for DGL's distributed training (DistDGL): ``hetgat partition``'s job.

:func:`partition_data` stores a :class:`~hetgat.data.GraphData` as node data of its graph and
hands it to :func:`dgl.distributed.partition_graph`. The folder it writes is what
``dgl.distributed.DistGraph`` loads, plus two hetgat files:

``node_ids.csv``
    ``type, nid, part, index, id``: for every node its id in the partitioned graph (``nid``,
    per node type; DGL renumbers the nodes so that each part holds a contiguous range), the
    part that owns it, its row in the loaded data (``index``) and the user's own id.
``hetgat.json``
    The model :class:`~hetgat.data.Schema` (so a training script can build a hetgat model
    without reading the original files), the node-data names and where the data came from.

Node data, per node type: ``feat`` (float32, dense), and on the target type ``label``,
``train_mask``, ``val_mask``, ``test_mask`` (uint8 0/1).
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
from pathlib import Path

from hetgat.data import GraphData
from hetgat.datasets.source import DataSource
from hetgat.errors import ConfigError, HetgatError
from hetgat.outputs import check_out_folder, staged_dir, write_json
from hetgat.sparse.dgl_interop import require_dgl

METHODS = ("metis", "random")
FEATURE, LABEL, MASKS = "feat", "label", ("train_mask", "val_mask", "test_mask")
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")

log = logging.getLogger("hetgat")


def partition_data(
    data: GraphData,
    out: str | Path,
    num_parts: int,
    *,
    graph_name: str | None = None,
    method: str = "metis",
    balance: bool = True,
    overwrite: bool = False,
    source: DataSource | dict | None = None,
) -> dict:
    """Partition ``data`` into ``num_parts`` parts and write them to the folder ``out``.

    Parameters
    ----------
    data : GraphData
        The loaded graph (any loader's output).
    out : str or Path
        Folder to write; built as ``<out>.partial`` and renamed when complete.
    num_parts : int
        Number of parts, one per machine of the cluster (>= 1).
    graph_name : str, optional
        The name ``DistGraph(graph_name, ...)`` is opened with; also names the partition
        config ``<graph_name>.json``. Default: ``data.name``.
    method : {"metis", "random"}, default "metis"
        Node assignment. METIS minimises the edges cut; where this DGL build has no METIS the
        partitioning falls back to ``random`` with a warning.
    balance : bool, default True
        METIS: balance training nodes and edges across the parts as well as nodes.
    overwrite : bool, default False
        Replace an existing ``out`` folder.
    source : DataSource, optional
        How the data was read, recorded in ``hetgat.json``.

    Returns
    -------
    dict
        The content of ``hetgat.json`` (``part_config`` names the file to load).
    """
    if not isinstance(num_parts, int) or num_parts < 1:
        raise ConfigError("num_parts", num_parts, "an integer >= 1")
    if method not in METHODS:
        raise ConfigError("method", method, " or ".join(METHODS))
    graph_name = graph_name or data.name
    if not _NAME.match(graph_name):
        raise ConfigError("graph_name", graph_name, "letters, digits, '_', '.' and '-' only")
    source = None if source is None else DataSource.of(source)
    check_out(out, overwrite, source)
    _check_names(data)
    g = data.graph
    if num_parts > g.num_nodes():
        raise ConfigError("num_parts", num_parts, f"at most the number of nodes ({g.num_nodes()})")
    g = _with_node_data(data)
    keep = source.input_paths() if source else ()
    with staged_dir(out, overwrite=overwrite, kind="partition", keep=keep) as partial:
        used, mapping = _partition(g, graph_name, num_parts, partial, method, balance, data)
        _write_node_ids(partial / "node_ids.csv", data, mapping, partial / f"{graph_name}.json")
        info = {
            "graph_name": graph_name,
            "part_config": f"{graph_name}.json",
            "num_parts": num_parts,
            "part_method": used,
            "node_data": {
                t: [k for k in g.nodes[t].data.keys()] for t in g.ntypes if g.nodes[t].data
            },
            "schema": data.schema().to_dict(),
            "source": source.to_dict() if source else None,
        }
        write_json(partial / "hetgat.json", info)
    return info


def check_out(out: str | Path, overwrite: bool = False, source: DataSource | None = None) -> None:
    """Refuse, before any work, where DGL is absent, and an existing non-empty ``out`` unless
    ``overwrite`` and it is a partition folder hetgat wrote (see
    :func:`hetgat.outputs.check_out_folder`)."""
    require_dgl("partitioning (hetgat partition)")
    check_out_folder(Path(out), overwrite, ("partition",), source.input_paths() if source else ())


def _check_names(data: GraphData) -> None:
    # DistGraph splits "<ntype>/<name>" at "/" and "<src>:<rel>:<dst>" at ":".
    for ntype in data.graph.ntypes:
        if "/" in ntype or ":" in ntype:
            raise HetgatError(
                f"node type {ntype!r}: DGL's partitions cannot hold a type name with '/' or ':'"
            )
    for etype in data.graph.canonical_etypes:
        if ":" in etype[1] or "/" in etype[1]:
            raise HetgatError(
                f"edge type {etype[1]!r}: DGL's partitions cannot hold a type name with ':' or '/'"
            )


def _with_node_data(data: GraphData):
    """A view of ``data.graph`` carrying features, labels and masks as node data."""
    import torch

    dgl = require_dgl("partitioning (hetgat partition)")
    graph = data.graph
    g = dgl.heterograph(  # a DGLGraph of its own: node data is added to it
        {e: graph.edges(etype=e) for e in graph.canonical_etypes},
        {t: graph.num_nodes(t) for t in graph.ntypes},
    )
    for ntype, feat in data.features.items():
        if feat.layout != torch.strided:
            feat = feat.to_dense()  # DGL's partition files hold dense tensors only
        g.nodes[ntype].data[FEATURE] = feat.float().contiguous()
    target = g.nodes[data.target_type].data
    target[LABEL] = data.labels
    for name, mask in zip(MASKS, (data.train_mask, data.val_mask, data.test_mask), strict=True):
        target[name] = mask.to(torch.uint8)  # DGL stores bool as uint8 anyway
    return g


def _balance(g, data: GraphData):
    """Per-node classes METIS balances across parts: training nodes vs the rest."""
    train = data.train_mask.long()
    if train.min() == train.max():  # DGL wants the classes 0..k-1, all present
        return None
    return train if len(g.ntypes) == 1 else {data.target_type: train}


def _partition(g, graph_name, num_parts, out, method, balance, data):
    dgl = require_dgl("partitioning (hetgat partition)")

    def run(part_method):
        # DGL reports its progress with print(); keep stdout for data and log it instead.
        captured = io.StringIO()
        try:
            with contextlib.redirect_stdout(captured):
                return dgl.distributed.partition_graph(
                    g,
                    graph_name,
                    num_parts,
                    str(out),
                    part_method=part_method,
                    balance_ntypes=_balance(g, data) if balance else None,
                    balance_edges=balance,
                    return_mapping=True,
                )
        finally:
            for line in captured.getvalue().splitlines():
                log.debug(line)

    try:
        try:
            return method, run(method)
        except dgl.DGLError as exc:
            if method != "metis" or "metis" not in str(exc).lower():
                raise
            log.warning("METIS is not available in this DGL build (%s); using random", exc)
            for child in Path(out).iterdir():
                if child.is_file() and not child.name.startswith("."):  # keep hetgat's mark
                    child.unlink()
            return "random", run("random")
    except (AssertionError, IndexError) as exc:
        # partition_graph asserts that every part holds nodes and edges of every type.
        raise HetgatError(
            f"DGL could not split {data.name} into {num_parts} parts ({method}): a part would "
            f"hold no node or edge of some type; use fewer parts ({type(exc).__name__}: {exc})"
        ) from exc


def _write_node_ids(path: Path, data: GraphData, mapping, part_config: Path) -> None:
    import json

    import numpy as np
    import pandas as pd

    orig_nids = mapping[0]
    if not isinstance(orig_nids, dict):
        orig_nids = {data.graph.ntypes[0]: orig_nids}
    node_map = json.loads(part_config.read_text())["node_map"]
    frames = []
    for ntype in data.graph.ntypes:
        index = orig_nids[ntype].numpy()  # index[nid] = row of the node in the loaded data
        ranges = np.asarray(node_map[ntype])
        if ranges.ndim == 1:
            ranges = ranges[None, :]
        # Per-type nids are offsets into each part's range, parts in order (DGL's layout).
        sizes = ranges[:, 1] - ranges[:, 0]
        part = np.repeat(np.arange(len(sizes)), sizes)
        ids = data.node_ids.get(ntype)
        user = ids[index] if ids is not None else index.astype(str)
        frames.append(
            pd.DataFrame(
                {"type": ntype, "nid": np.arange(len(index)), "part": part, "index": index}
            ).assign(id=user)
        )
    pd.concat(frames, ignore_index=True).to_csv(path, index=False)
