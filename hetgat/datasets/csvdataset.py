"""Folders in DGL's CSVDataset layout (https://www.dgl.ai/dgl_docs/guide/data-loadcsv.html).

``meta.yaml`` names the files::

    dataset_name: mini
    separator: ','                    # optional
    node_data:
    - file_name: nodes_0.csv
      ntype: user                     # optional; node_id_field: node_id
    edge_data:
    - file_name: edges_0.csv
      etype: [user, follow, user]     # optional; src_id_field: src_id, dst_id_field: dst_id

Node files: ``node_id``, optional ``label``, ``train_mask``/``val_mask``/``test_mask`` (0/1 or
True/False) and ``feat`` (a list of numbers, ``"0.1, 0.2"``). Edge files: ``src_id``, ``dst_id``.
Other columns are ignored (noted at INFO level), as are columns without a name in the header
(DGL ignores them too; ``DataFrame.to_csv`` writes its index so). The masks may overlap, as in
DGL (its guide's example does): a node counts in every split whose mask holds it, with a
warning. Without ``ntype``/``etype`` the types are
:data:`~hetgat.data.NODE_TYPE` and ``(NODE_TYPE, EDGE_TYPE, NODE_TYPE)``. As in DGL, every node
is listed in its node file, and only single-graph datasets are read (no ``graph_data``, one
``graph_id``). DGL's own :class:`dgl.data.CSVDataset` is not used: it caches to disk, reports
errors without lines, and needs pydantic.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from hetgat.data import EDGE_TYPE, NODE_TYPE, GraphData
from hetgat.datasets._csvbuild import EdgeBlock, NodeBlock, build_graph_data
from hetgat.datasets._csvlabels import check_options
from hetgat.datasets.readers.csv import Table, check_text, read_bytes
from hetgat.errors import DataFormatError, DataNotFoundError

logger = logging.getLogger("hetgat")
MASKS = ("train_mask", "val_mask", "test_mask")
_TOP = ("version", "dataset_name", "separator", "node_data", "edge_data", "graph_data")
_NODE_KEYS = ("file_name", "ntype", "node_id_field", "graph_id_field")
_EDGE_KEYS = ("file_name", "etype", "src_id_field", "dst_id_field", "graph_id_field")
_TRUE, _FALSE = ("1", "true", "1.0"), ("0", "false", "0.0")


def load_csv_folder(
    path: str | Path,
    *,
    target: str | None = None,
    reverse: bool = True,
    keep_relations: bool = False,
    directed: bool = False,
    self_loop: bool = True,
    split_ratio: tuple[float, float, float] = (0.6, 0.2, 0.2),
    seed: int = 0,
    class_names: list[str] | None = None,
    name: str | None = None,
    allow_unlabelled: bool = False,
    relations=None,
) -> GraphData:
    """Load a DGL CSVDataset folder (one graph) for node classification.

    Parameters
    ----------
    path : str or Path
        The folder holding ``meta.yaml`` (or that file itself).
    target, reverse, keep_relations, directed, self_loop, split_ratio, seed, class_names
        As in :func:`hetgat.datasets.csv.load_csv_graph` (the relations' file order is the
        order of ``edge_data``). The masks, when a node file has
        ``*_mask`` columns, replace the generated split (a missing mask column means all False).
    name : str, optional
        Dataset name. Default: ``dataset_name`` of ``meta.yaml``, else the folder name.
    allow_unlabelled : bool, default False
        As in :func:`~hetgat.datasets.csv.load_csv_graph`.
    relations : sequence of Relation, optional
        As in :func:`~hetgat.datasets.csv.load_csv_graph`.

    Returns
    -------
    GraphData
        As :func:`~hetgat.datasets.csv.load_csv_graph` returns it.
    """
    options = check_options(split_ratio, seed, target, class_names, None)
    folder = Path(path)
    if folder.name == "meta.yaml" and folder.is_file():
        folder = folder.parent
    if not folder.exists():
        raise DataNotFoundError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise DataFormatError(folder, "not a folder (a CSVDataset is a folder with a meta.yaml)")
    meta = _Meta(folder / "meta.yaml")
    sep = meta.separator()
    blocks = [_node_block(folder, sep, entry) for _, entry in meta.entries("node_data")]
    ntypes = {b.ntype: i for i, b in enumerate(blocks)}
    if len(ntypes) < len(blocks):
        i = next(i for i, b in enumerate(blocks) if ntypes[b.ntype] != i)
        raise meta.error("node type repeated", "node_data", i, "ntype", value=blocks[i].ntype)
    edges, etypes = [], set()
    for i, entry in meta.entries("edge_data"):
        etype = meta.etype(i, entry)
        if etype in etypes:
            raise meta.error("edge type repeated", "edge_data", i, "etype", value=list(etype))
        for ntype in (etype[0], etype[2]):
            if ntype not in ntypes:
                message = f"node type {ntype!r} has no node_data entry"
                raise meta.error(message, "edge_data", i, "etype", value=list(etype))
        etypes.add(etype)
        edges.append(_edge_block(folder, sep, entry, etype))
    for table in [b.table for b in blocks] + [e.table for e in edges]:
        for note in table.notes:
            logger.info(note)
    name = name or meta.data.get("dataset_name") or folder.resolve().name
    return build_graph_data(
        str(name),
        edges,
        blocks,
        reverse=reverse,
        keep_relations=keep_relations,
        relations=relations,
        directed=directed,
        self_loop=self_loop,
        allow_unlabelled=allow_unlabelled,
        **options,
    )


class _Meta:
    """``meta.yaml``, checked, with the editor line of every key for the messages."""

    def __init__(self, path: Path) -> None:
        self.path = path
        empty = "empty file (expected dataset_name, node_data and edge_data)"
        text = check_text(path, read_bytes(path, "YAML file"), "YAML", empty).decode("utf-8")
        try:
            self.root = yaml.compose(text, Loader=yaml.SafeLoader)
            self.data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            problem = getattr(exc, "problem", None) or str(exc)
            raise DataFormatError(path, f"not valid YAML ({problem})", line=line) from None
        if not isinstance(self.data, dict):
            message = "expected a mapping with dataset_name, node_data and edge_data"
            raise DataFormatError(path, message, line=1, value=self.data)
        for key in self.data:
            if key not in _TOP:
                logger.info("%s: ignored key %r", path, key)
        if "graph_data" in self.data:
            message = "graph-level data (several graphs) is not supported: hetgat reads one graph"
            raise self.error(message, "graph_data")
        if "version" in self.data and str(self.data["version"]) != "1.0.0":
            version = self.data["version"]
            raise self.error("unsupported version (expected 1.0.0)", "version", value=version)
        name = self.data.get("dataset_name")
        if name is not None and not isinstance(name, str | int):
            raise self.error("expected a name", "dataset_name", value=name)

    def line(self, *keys) -> int | None:
        node = self.root
        for key in keys:
            if isinstance(node, yaml.MappingNode):
                node = next((v for k, v in node.value if k.value == key), node)
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
                node = node.value[key] if key < len(node.value) else node
        return None if node is None else node.start_mark.line + 1

    def error(self, message: str, *keys, value=None) -> DataFormatError:
        where = "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in keys).lstrip(".")
        return DataFormatError(self.path, f"{where}: {message}", line=self.line(*keys), value=value)

    def separator(self) -> str:
        sep = self.data.get("separator", ",")
        if not isinstance(sep, str) or len(sep) != 1 or sep in '"\r\n':
            raise self.error("expected one character, e.g. ','", "separator", value=sep)
        return sep

    def entries(self, key: str):
        entries = self.data.get(key)
        if not isinstance(entries, list) or not entries:
            raise self.error("expected a list of files (- file_name: ...)", key, value=entries)
        known = _NODE_KEYS if key == "node_data" else _EDGE_KEYS
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict) or not isinstance(entry.get("file_name"), str):
                raise self.error("expected a mapping with a file_name", key, i, value=entry)
            for k, v in entry.items():
                if k not in known:
                    logger.info("%s: %s[%d]: ignored key %r", self.path, key, i, k)
                elif k != "etype" and not (isinstance(v, str) and v.strip()):
                    raise self.error("expected a non-empty string", key, i, k, value=v)
            yield i, entry

    def etype(self, i: int, entry: dict) -> tuple[str, str, str]:
        etype = entry.get("etype", [NODE_TYPE, EDGE_TYPE, NODE_TYPE])
        if (
            not isinstance(etype, list)
            or len(etype) != 3
            or not all(isinstance(t, str) and t.strip() for t in etype)
        ):
            message = "expected [source node type, relation, destination node type]"
            raise self.error(message, "edge_data", i, "etype", value=etype)
        return tuple(t.strip() for t in etype)


def _one_graph(table: Table, column: str) -> None:
    if column in table.columns:
        ids = pd.Series(table.strings(column), dtype=object).str.strip().to_numpy(dtype=object)
        other = np.flatnonzero(ids != ids[0])
        if len(other):
            message = f"several graphs (graph ids {ids[0]!r} and more): hetgat reads one graph"
            raise table.error(message, row=other[0], column=column, value=ids[other[0]])


def _ignored(table: Table, used) -> None:
    ignored = [c for c in table.columns if c not in used]
    if ignored:
        table.notes.append(f"{table.path}: ignored columns {', '.join(map(repr, ignored))}")


def _node_block(folder: Path, sep: str, entry: dict) -> NodeBlock:
    table = Table(folder / entry["file_name"], sep=sep, unnamed="all")
    id_field = entry.get("node_id_field", "node_id")
    graph_field = entry.get("graph_id_field", "graph_id")
    table.require((id_field,))
    table.read()
    _one_graph(table, graph_field)
    rows = np.arange(len(table.frame))
    ids = table.nonempty(id_field, "node id")
    table.check_unique(ids, rows, id_field)
    masks = [m for m in MASKS if m in table.columns]
    split = _split(table, masks) if masks else None
    feats = None
    if "feat" in table.columns and (pd.Series(table.strings("feat")).str.strip() != "").any():
        feats = table.number_lists("feat", rows)
    _ignored(table, (id_field, graph_field, "label", "feat", *MASKS))
    return NodeBlock(
        entry.get("ntype", NODE_TYPE).strip(),
        table,
        rows,
        ids,
        labels=table.strings("label") if "label" in table.columns else None,
        split=split,
        features=feats,
        complete=True,
        split_column=masks[0] if masks else "split",
    )


def _split(table: Table, masks: list[str]) -> np.ndarray:
    """``(rows, 3)`` membership of every row in train, val and test, from the mask columns.

    Masks may overlap, as DGL's CSVDataset allows (its guide's example does): a node then
    counts in every split whose mask holds it, and a warning says how many nodes do.
    """
    member = np.zeros((len(table.frame), 3), dtype=bool)
    for column in masks:
        raw = table.strings(column)
        cells = pd.Series(raw, dtype=object).str.strip().str.lower()
        bad = np.flatnonzero(~cells.isin(_TRUE + _FALSE).to_numpy())
        if len(bad):
            message = "expected 0/1 or True/False"
            raise table.error(message, row=bad[0], column=column, value=raw[bad[0]])
        member[:, MASKS.index(column)] = cells.isin(_TRUE).to_numpy()
    several = np.flatnonzero(member.sum(1) > 1)
    if len(several):
        row = several[0]
        both = " and ".join(m for k, m in enumerate(MASKS) if member[row, k])
        logger.warning(
            f"{table.path}: {len(several)} node(s) in more than one of "
            f"{', '.join(masks)} (first: line {table.line(row)}, in {both}); as in DGL, a node "
            "counts in every split whose mask holds it (trained on in train_mask, scored in "
            "val_mask and test_mask)"
        )
    return member


def _edge_block(folder: Path, sep: str, entry: dict, etype) -> EdgeBlock:
    table = Table(folder / entry["file_name"], sep=sep, unnamed="all")
    src_field, dst_field = entry.get("src_id_field", "src_id"), entry.get("dst_id_field", "dst_id")
    graph_field = entry.get("graph_id_field", "graph_id")
    table.require((src_field, dst_field))
    table.read()
    _one_graph(table, graph_field)
    _ignored(table, (src_field, dst_field, graph_field))
    return EdgeBlock(
        table,
        src=table.strings(src_field),
        dst=table.strings(dst_field),
        src_type=etype[0],
        relation=etype[1],
        dst_type=etype[2],
        src_column=src_field,
        dst_column=dst_field,
    )
