"""The attention tables of a run folder: ``attention.<fmt>`` (or ``attention.top<k>.<fmt>``
when only each node's strongest in-edges are kept), ``semantic_attention.csv``, and what
``tables.json`` says of them."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from hetgat.data import GraphData
from hetgat.outputs import atomic_path, write_table
from hetgat.tables import COLUMNS, attention_frames, semantic_frame

#: Above this many rows, ``fit`` writes only the strongest in-edges of each node.
MAX_ATTENTION_ROWS = 2_000_000
TOP_K_WHEN_LARGE = 10


def attention_rows(edges: list) -> int:
    """Rows of the full attention table: edges x heads, summed over layers and edge types."""
    total = 0
    for layer in edges:
        for a in layer.values() if isinstance(layer, dict) else [layer]:
            total += a.shape[0] * a.shape[1]
    return total


def has_edge_attention(edges: list) -> bool:
    """False for a model whose every layer has an empty dict of edge attention (SeHGNN: it
    attends across relation paths only)."""
    return any(not isinstance(layer, dict) or layer for layer in edges)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.7g")


def write_attention(folder: Path, data: GraphData, att, fmt: str, out) -> dict:
    """Write the attention table (and the semantic one) into ``folder``; return their
    ``tables.json`` entries: ``file``, ``rows``, ``complete`` and, for a partial table,
    ``top_k``, ``all_rows`` and a ``note``.

    Above :data:`MAX_ATTENTION_ROWS` rows only the :data:`TOP_K_WHEN_LARGE` strongest in-edges
    of each node are kept (its weights then sum to less than 1): the file is named
    ``attention.top<k>.<fmt>`` and its entry says so.
    """
    rows = attention_rows(att.edges)
    top_k = None if rows <= MAX_ATTENTION_ROWS else TOP_K_WHEN_LARGE
    name = f"attention.top{top_k}.{fmt}" if top_k else f"attention.{fmt}"
    frames = attention_frames(att.graph, data.node_ids, att.edges, top_k=top_k)
    entry = {"file": name, "rows": write_table(frames, folder / name, COLUMNS), "complete": True}
    if top_k:
        note = (
            f"the {top_k} strongest in-edges of each node per layer, head and edge type, of "
            f"{rows:,} rows: weights sum to less than 1; `hetgat attention {out} -o FILE` "
            "writes them all"
        )
        entry.update(complete=False, top_k=top_k, all_rows=rows, note=note)
        logging.getLogger("hetgat").warning(f"{name} holds {note}")
    if not has_edge_attention(att.edges):  # SeHGNN: attention across paths only
        entry["note"] = (
            "no edge attention: the model averages each relation path's neighbours before "
            "training and attends across the paths (semantic_attention.csv)"
        )
    tables = {"attention": entry}
    if att.semantic:
        frame = semantic_frame(att.semantic)
        write_csv(frame, folder / "semantic_attention.csv")
        tables["semantic_attention"] = {
            "file": "semantic_attention.csv",
            "rows": len(frame),
            "complete": True,
        }
    return tables
