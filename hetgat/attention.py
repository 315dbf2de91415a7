"""Attention records as tables keyed by the dataset's own node ids.

A model returns, per layer, a ``(E, H)`` tensor aligned with the graph's edge ids (or, for
heterogeneous models, a dict of them keyed by canonical edge type). These functions turn them
into rows ``layer, head, edge_type, src_type, src, dst_type, dst, attention`` and stream them
to CSV (optionally gzip) or Parquet, in chunks, so a table of tens of millions of rows never
sits in memory at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from hetgat.errors import ConfigError
from hetgat.io import atomic_path

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
        Only edges into these nodes (indices per node type).
    top_k : int, optional
        Only the ``top_k`` strongest in-edges of each destination per layer, head and edge
        type; rows are then grouped by destination in descending attention.
    mean_heads : bool, default False
        Average the heads into one row per edge (``head`` is then ``"mean"``).
    chunk_rows : int, default 2**20
        Most rows per yielded frame; node ids are looked up per chunk.
    """
    layers = range(len(attention)) if layers is None else list(layers)
    for layer in layers:
        if not 0 <= layer < len(attention):
            raise ConfigError("--layer", layer, f"a layer from 0 to {len(attention) - 1}")
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


def _heads(wanted, names) -> list[int]:
    if wanted is None or names == ["mean"]:
        return list(range(len(names)))
    wanted = list(wanted)
    for h in wanted:
        if not 0 <= h < len(names):
            raise ConfigError("--head", h, f"a head from 0 to {len(names) - 1} in every layer")
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


def write_table(frames: Iterable[pd.DataFrame], path: str | Path) -> int:
    """Write frames to ``path`` atomically; CSV, gzip CSV (``.gz``) or Parquet (``.parquet``).

    Returns the number of rows written.
    """
    if str(path) == "-":
        return _write_stdout(frames)
    path = Path(path)
    rows = 0
    with atomic_path(path) as tmp:
        if path.suffix == ".parquet":
            rows = _write_parquet(frames, tmp)
        else:
            compression = "gzip" if path.suffix == ".gz" else None
            opened = _open_text(tmp, compression)
            with opened as fh:
                header = True
                for frame in frames:
                    frame.to_csv(fh, header=header, index=False, float_format="%.7g")
                    header = False
                    rows += len(frame)
                if header:
                    fh.write(",".join(COLUMNS) + "\n")
    return rows


def _write_stdout(frames: Iterable[pd.DataFrame]) -> int:
    import sys

    rows, header = 0, True
    for frame in frames:
        frame.to_csv(sys.stdout, header=header, index=False, float_format="%.7g")
        header = False
        rows += len(frame)
    return rows


def _open_text(path: Path, compression: str | None):
    if compression == "gzip":
        import gzip
        import io

        # mtime=0 keeps the bytes identical from run to run.
        raw = gzip.GzipFile(path, "wb", mtime=0)
        return io.TextIOWrapper(raw, encoding="utf-8", newline="")
    return open(path, "w", newline="", encoding="utf-8")


def _write_parquet(frames: Iterable[pd.DataFrame], path: Path) -> int:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        from hetgat.errors import HetgatError

        raise HetgatError("writing Parquet needs pyarrow: pip install pyarrow") from exc
    writer, rows = None, 0
    try:
        for frame in frames:
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table)
            rows += len(frame)
    finally:
        if writer is not None:
            writer.close()
    return rows


SEMANTIC_COLUMNS = ["layer", "target_type", "edge_type", "attention"]


def semantic_frame(semantic: list) -> pd.DataFrame:
    """Semantic attention (HAN: per meta-path; RGAT: per relation and destination type).

    Columns ``layer, target_type, edge_type, attention``; the weights sum to 1 per layer and
    ``target_type`` (the node type whose inputs were weighed), except with the sigmoid
    ``semantic_fusion``, whose weights are gates in (0, 1) each.
    """
    rows = [
        (layer, s.dst_type, name, float(w))
        for layer, records in enumerate(semantic)
        for s in records
        for name, w in zip(s.names, s.weights.tolist(), strict=True)
    ]
    return pd.DataFrame(rows, columns=SEMANTIC_COLUMNS)


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
