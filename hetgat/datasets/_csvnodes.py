"""Node files of :mod:`hetgat.datasets.csv`: one CSV (and optionally a scipy ``.npz`` of sparse
features) per node type, parsed into :class:`~hetgat.datasets._csvblocks.NodeBlock` s."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from hetgat.datasets._csvblocks import NodeBlock
from hetgat.datasets.readers.csv import Table
from hetgat.errors import ConfigError, DataFormatError, DataNotFoundError

logger = logging.getLogger("hetgat")
NODE_COLUMNS = ("id", "type", "label", "split", "feat")


def split_values(table: Table, column: str) -> np.ndarray:
    """``train``/``val``/``test``/``""`` per row (case and surrounding blanks ignored)."""
    raw = table.strings(column)
    values = pd.Series(raw, dtype=object).str.strip().str.lower().to_numpy(dtype=object)
    bad = np.flatnonzero(~np.isin(values, ["train", "val", "test", ""]))
    if len(bad):
        message = "unknown split (expected train, val, test or empty)"
        raise table.error(message, row=bad[0], column=column, value=raw[bad[0]])
    return values


def dense_features(table: Table, columns: list[str], rows: np.ndarray, notes: list[str]):
    """Feature columns at ``rows`` as float32; columns empty at all these rows are left out."""
    kept = []
    for c in columns:
        cells = table.frame[c]
        if cells.dtype == np.float64 or (cells.iloc[rows].str.strip() != "").any():
            kept.append(c)
        else:
            notes.append(f"{table.path}: column {c!r} is empty, not a feature")
    if "feat" in table.columns:
        cells = pd.Series(table.strings("feat")[rows], dtype=object)
        return table.number_lists("feat", rows) if (cells.str.strip() != "").any() else None
    return table.numbers(kept, rows) if kept else None


def node_blocks(ntype: str | None, table: Table) -> list[NodeBlock]:
    """The node blocks of one node table (a file or a frame), one per node type it holds."""
    table.require(("id",))
    feature_columns = [c for c in table.columns if c and c not in NODE_COLUMNS]
    if "feat" in table.columns and feature_columns:
        shown = ", ".join(map(repr, feature_columns))
        message = f"both a 'feat' list column and feature columns ({shown}); keep one kind"
        raise table.error(message, column="feat")
    table.read(float_columns=feature_columns)
    rows = np.arange(len(table.frame))
    ids = table.nonempty("id", "node id")
    groups = [(ntype, rows)]
    if "type" in table.columns:
        types = table.names("type", "node type")
        if ntype is not None and (types != ntype).any():
            k = int(np.flatnonzero(types != ntype)[0])
            message = f"node type differs from the one given for this file ({ntype!r})"
            raise table.error(message, row=k, column="type", value=types[k])
        groups = [(t, np.flatnonzero(types == t)) for t in pd.unique(types)]
    labels = table.strings("label") if "label" in table.columns else None
    split = split_values(table, "split") if "split" in table.columns else None
    blocks = []
    for t, r in groups:
        table.check_unique(ids[r], r, "id")
        feats = dense_features(table, feature_columns, r, table.notes)
        blocks.append(
            NodeBlock(
                t,
                table,
                r,
                ids[r],
                labels=None if labels is None else labels[r],
                split=None if split is None else split[r],
                features=feats,
                complete=feats is not None,
            )
        )
    return blocks


def attach_features(source, ntype: str | None, types: list[str], blocks: list[NodeBlock]) -> None:
    """Attach the features ``source`` of ``ntype`` (rows in its node table's order) to its
    node block: a scipy ``.npz`` file's path, or a matrix in memory (numpy, scipy.sparse,
    torch)."""
    given = str(source) if isinstance(source, (str, Path)) else type(source).__name__
    if ntype is None and len(types) > 1:
        raise ConfigError("features", given, "TYPE=PATH (node types: " + ", ".join(types) + ")")
    ntype = types[0] if ntype is None else ntype
    if ntype not in types:
        raise ConfigError("features", f"{ntype}={given}", "a node type among " + ", ".join(types))
    block = next((b for b in blocks if b.ntype == ntype), None)
    if block is None:
        if isinstance(source, (str, Path)):
            expected = f"a node file of type {ntype!r} too (the .npz rows follow its rows)"
        else:
            expected = f"a node frame of type {ntype!r} too (the feature rows follow its rows)"
        raise ConfigError("features", f"{ntype}={given}", expected)
    if isinstance(source, (str, Path)):
        matrix, where = _load_npz(Path(source)), Path(source)
    else:
        matrix, where = _matrix(source, f"features[{ntype!r}]"), f"features[{ntype!r}]"
    _attach(matrix, where, ntype, block)


def _matrix(values, where: str) -> sp.csr_matrix | np.ndarray:
    """A matrix in memory as float32: scipy sparse stays sparse, the rest becomes numpy."""
    if sp.issparse(values):
        return sp.csr_matrix(values, dtype=np.float32)
    if hasattr(values, "detach"):  # a torch tensor, without importing torch here
        values = values.detach().cpu()
        if getattr(values, "layout", None) is not None and "sparse" in str(values.layout):
            values = values.to_dense()
        values = values.numpy()
    try:
        array = np.asarray(values, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise DataFormatError(where, f"not a numeric matrix ({exc})") from None
    if array.ndim != 2:
        raise DataFormatError(where, f"a 2-D (nodes, features) matrix, got {array.ndim}-D")
    return array


def _load_npz(path: Path) -> sp.csr_matrix:
    if not path.exists():
        raise DataNotFoundError(f"{path}: no such file")
    if path.is_dir():
        raise DataFormatError(path, "is a folder, expected a .npz file")
    try:
        matrix = sp.csr_matrix(sp.load_npz(path), dtype=np.float32)
    except Exception as exc:  # a damaged .npz can fail in many ways (zip, numpy, pickle refusal)
        reason = str(exc).split(". ")[0] or type(exc).__name__
        message = f"not a scipy.sparse .npz file ({reason})"
        raise DataFormatError(path, message) from exc
    return matrix


def _attach(matrix, where, ntype: str, block: NodeBlock) -> None:
    if matrix.ndim != 2 or matrix.shape[0] != len(block.ids):
        message = f"{matrix.shape[0]} rows, but {block.table.path} has {len(block.ids)} nodes"
        raise DataFormatError(where, message + f" of type {ntype!r}")
    if block.features is not None:
        message = f"features of type {ntype!r} are also in {block.table.path}"
        raise DataFormatError(where, message)
    if sp.issparse(matrix):
        matrix.sum_duplicates()
        values, rows = matrix.data, None
    else:
        values = matrix.reshape(-1)
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        if sp.issparse(matrix):
            rows = int(np.searchsorted(matrix.indptr, bad[0], side="right")) - 1
        else:
            rows = int(bad[0]) // max(matrix.shape[1], 1)
        message = f"non-finite value in row {rows} (node {block.ids[rows]!r})"
        raise DataFormatError(where, message, value=float(values[bad[0]]))
    block.features, block.complete = matrix, True
