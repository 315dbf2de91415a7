"""The one builder of graphs given as tables: an edge table and node tables, read from the
user's CSV files (:func:`hetgat.datasets.csv.load_csv_graph`) or given as pandas DataFrames
(:func:`hetgat.datasets.frames.from_pandas`), become a checked
:class:`~hetgat.data.GraphData` by the same rules (ids as strings, node types, reverses and
inverse pairs, self-loops, labels, splits, features), with the same errors: a file's name its
line where the tables are files, a frame's name and row where they are frames.
"""

from __future__ import annotations

import logging

import pandas as pd

from hetgat.data import NODE_TYPE, GraphData
from hetgat.datasets._csvblocks import EdgeBlock
from hetgat.datasets._csvbuild import build_graph_data
from hetgat.datasets._csvlabels import check_options
from hetgat.datasets._csvnodes import attach_features, node_blocks
from hetgat.datasets.readers.csv import Table

logger = logging.getLogger("hetgat")
EDGE_COLUMNS = ("src", "dst", "relation", "src_type", "dst_type")


def build_from_tables(
    edge_table: Table,
    node_tables,
    features=(),
    *,
    name: str,
    target: str | None = None,
    reverse: bool = True,
    keep_relations: bool = False,
    directed: bool = False,
    self_loop: bool = True,
    split_ratio=(0.6, 0.2, 0.2),
    seed: int = 0,
    class_names=None,
    multilabel: bool | None = None,
    allow_unlabelled: bool = False,
    relations=None,
) -> GraphData:
    """The :class:`~hetgat.data.GraphData` of an edge table and node tables.

    ``node_tables``: ``(type or None, Table)`` pairs; ``features``: ``(type or None, source)``
    pairs, a source being a ``.npz`` path or a matrix in memory, rows in the order of that
    type's node table. The other arguments are those of
    :func:`hetgat.datasets.csv.load_csv_graph`.
    """
    options = check_options(split_ratio, seed, target, class_names, multilabel)
    edge = _edge_block(edge_table)
    blocks = [b for ntype, table in node_tables for b in node_blocks(ntype, table)]
    if isinstance(edge.src_type, str):  # untyped edges: the type the node tables name, if one
        named = sorted({b.ntype for b in blocks if b.ntype is not None})
        if len(named) > 1:
            message = f"node types {', '.join(named)} in node files, but the edges have no types"
            raise edge.table.error(f"{message} (no src_type/dst_type columns)")
        edge.src_type = edge.dst_type = named[0] if named else NODE_TYPE
    types = _edge_types(edge)
    for b in blocks:
        if b.ntype is None:
            if len(types) > 1:
                message = "no 'type' column: give `nodes` TYPE=PATH; the edges have node types"
                error = b.table.error(f"{message} {', '.join(types)}")
                error.params = ("nodes",)
                raise error
            b.ntype = types[0]
    for ntype, source in features:
        attach_features(source, ntype, types, blocks)
    for table in {id(t): t for t in [edge.table] + [b.table for b in blocks]}.values():
        for note in table.notes:
            logger.info(note)
    return build_graph_data(
        name,
        [edge],
        blocks,
        reverse=reverse,
        keep_relations=keep_relations,
        relations=relations,
        directed=directed,
        self_loop=self_loop,
        allow_unlabelled=allow_unlabelled,
        **options,
    )


def _edge_block(table: Table) -> EdgeBlock:
    table.require(("src", "dst"))
    has = {c: c in table.columns for c in EDGE_COLUMNS}
    if has["src_type"] != has["dst_type"]:
        one, other = ("src_type", "dst_type") if has["src_type"] else ("dst_type", "src_type")
        raise table.error(f"a {one!r} column needs a {other!r} column too", column=one)
    table.read()
    ignored = [c for c in table.columns if c not in EDGE_COLUMNS]
    if ignored:
        table.notes.append(f"{table.path}: ignored columns {', '.join(map(repr, ignored))}")
    typed = has["src_type"]
    return EdgeBlock(
        table,
        src=table.strings("src"),  # blank ids are found among the distinct ids, in _csvbuild
        dst=table.strings("dst"),
        src_type=table.names("src_type", "node type") if typed else NODE_TYPE,
        dst_type=table.names("dst_type", "node type") if typed else NODE_TYPE,
        relation=table.names("relation", "relation name") if has["relation"] else None,
    )


def _edge_types(edge: EdgeBlock) -> list[str]:
    found: set[str] = set()
    for t in (edge.src_type, edge.dst_type):
        found.update([t] if isinstance(t, str) else pd.unique(t))
    return sorted(found)
