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
import torch

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
    chunk_rows: int = CHUNK_ROWS,
) -> Iterator[pd.DataFrame]:
    """Yield the attention table in chunks, ordered by layer, edge type, head, edge id.

    Parameters
    ----------
    graph : dgl.DGLGraph
        The graph the attention was computed on (edge ids must match).
    node_ids : dict[str, numpy.ndarray]
        The dataset's id of each node, per node type.
    attention : list
        One entry per layer: a ``(E, H)`` tensor, or a dict ``{canonical_etype: (E, H)}``.
    chunk_rows : int, default 2**20
        Most rows per yielded frame.
    """
    for layer, layer_att in enumerate(attention):
        for etype, att in _per_etype(graph, layer_att).items():
            src_type, edge_type, dst_type = etype
            src, dst = graph.edges(etype=etype, order="eid")
            src_ids = node_ids[src_type][src.numpy()]
            dst_ids = node_ids[dst_type][dst.numpy()]
            values = att.detach().float().cpu().numpy()
            for head in range(values.shape[1]):
                for start in range(0, len(src_ids), chunk_rows):
                    stop = start + chunk_rows
                    n = len(src_ids[start:stop])
                    yield pd.DataFrame(
                        {
                            "layer": np.full(n, layer, dtype=np.int64),
                            "head": np.full(n, head, dtype=np.int64),
                            "edge_type": edge_type,
                            "src_type": src_type,
                            "src": src_ids[start:stop],
                            "dst_type": dst_type,
                            "dst": dst_ids[start:stop],
                            "attention": values[start:stop, head],
                        },
                        columns=COLUMNS,
                    )


def write_table(frames: Iterable[pd.DataFrame], path: str | Path) -> int:
    """Write frames to ``path`` atomically; CSV, gzip CSV (``.gz``) or Parquet (``.parquet``).

    Returns the number of rows written.
    """
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


def _open_text(path: Path, compression: str | None):
    if compression == "gzip":
        import gzip

        # mtime=0 keeps the bytes identical from run to run.
        return gzip.open(gzip.GzipFile(path, "wb", mtime=0), "wt", newline="", encoding="utf-8")
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


def attention_sums(attention: torch.Tensor, dst: torch.Tensor, num_dst: int) -> torch.Tensor:
    """Sum of attention per destination node and head ``(num_dst, H)`` (1 where any in-edge)."""
    return torch.zeros(num_dst, attention.shape[1], dtype=attention.dtype).index_add_(
        0, dst, attention
    )
