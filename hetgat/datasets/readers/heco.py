"""Reading HeCo's files (Wang et al., KDD 2021; github.com/liun-online/HeCo, ``data/``): edge
lists ``xy.txt``, labels and splits ``.npy``, features ``*_feat.npz``, each checked, with errors
naming the file (and for edge lists the line, as an editor counts it, and the column).
Finding the files and assembling the graph are :mod:`hetgat.datasets.heco`'s."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch

from hetgat.errors import DataFormatError
from hetgat.sparse.csr import sparse_csr

SPARSE_DENSITY = 0.10  # features with fewer non-zeros than this share are kept sparse CSR


def read_edges(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The ``src dst`` pairs of an edge list, one a line, ids 0-based integers.

    Returns ``(src, dst)`` int64 arrays in file order. Blank lines are skipped.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFormatError(path, f"not a readable text file ({exc})") from exc
    src, dst = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2:
            raise DataFormatError(
                path, f"expected 2 ids (src dst), found {len(parts)}", line=number, value=line
            )
        for column, (token, out) in enumerate(zip(parts, (src, dst), strict=True), start=1):
            if not token.isdigit():
                raise DataFormatError(
                    path, "a node id must be a non-negative integer", line=number,
                    column=column, value=token,
                )  # fmt: skip
            out.append(int(token))
    return np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64)


def read_ids(path: Path, n: int, what: str) -> np.ndarray:
    """A 1-d ``.npy`` array of node ids in ``0 .. n-1`` (a split), without repeats."""
    ids = _load_npy(path)
    if ids.ndim != 1 or ids.dtype.kind not in "iuf":
        raise DataFormatError(path, f"{what} must be a 1-d array of node ids", value=ids.shape)
    if ids.dtype.kind == "f":
        if not np.array_equal(ids, np.round(ids)):
            raise DataFormatError(path, f"{what} holds a non-integer id", value=_first_bad(ids))
        ids = ids.astype(np.int64)
    if len(ids) and (ids.min() < 0 or ids.max() >= n):
        bad = ids[(ids < 0) | (ids >= n)][0]
        raise DataFormatError(path, f"{what} holds an id outside 0..{n - 1}", value=int(bad))
    if len(np.unique(ids)) != len(ids):
        raise DataFormatError(path, f"{what} repeats a node")
    return ids.astype(np.int64)


def read_labels(path: Path) -> np.ndarray:
    """Class ids ``(N,)`` int64 from ``labels.npy`` (stored as float64 in HeCo's files)."""
    labels = _load_npy(path)
    if labels.ndim != 1 or labels.dtype.kind not in "iuf" or not len(labels):
        raise DataFormatError(path, "labels must be a non-empty 1-d array of class ids")
    if not np.array_equal(labels, np.round(labels)) or labels.min() < 0:
        raise DataFormatError(path, "a label is not a class id >= 0", value=_first_bad(labels))
    return labels.astype(np.int64)


def read_features(path: Path) -> torch.Tensor:
    """Features ``(N, F)`` float32: a scipy sparse ``.npz`` (or, as DBLP's ``t_feat.npz``, a
    plain ``.npy`` array under an ``.npz`` name); sparse CSR below :data:`SPARSE_DENSITY`."""
    reason = "neither a scipy sparse .npz nor a .npy array"
    try:
        loaded = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise DataFormatError(path, f"{reason} ({exc})") from exc
    if isinstance(loaded, np.ndarray):
        matrix = loaded
    else:
        loaded.close()
        try:
            matrix = sp.load_npz(path)
        except (ValueError, OSError, KeyError, zipfile.BadZipFile) as exc:
            raise DataFormatError(path, f"{reason} ({type(exc).__name__}: {exc})") from exc
    if matrix.ndim != 2 or matrix.dtype.kind not in "biuf":
        raise DataFormatError(path, "features must be a 2-d numeric matrix", value=matrix.shape)
    n, f = matrix.shape
    density = (matrix.nnz if sp.issparse(matrix) else np.count_nonzero(matrix)) / max(n * f, 1)
    if density < SPARSE_DENSITY:
        csr = sp.csr_matrix(matrix, dtype=np.float32)
        csr.sum_duplicates()
        csr.sort_indices()
        crow, col = (torch.from_numpy(a.astype(np.int64)) for a in (csr.indptr, csr.indices))
        return sparse_csr(crow, col, torch.from_numpy(csr.data), csr.shape)
    dense = matrix.toarray() if sp.issparse(matrix) else matrix
    values = torch.from_numpy(np.ascontiguousarray(dense, dtype=np.float32))
    if not bool(torch.isfinite(values).all()):
        raise DataFormatError(path, "features hold NaN or infinite values")
    return values


def _load_npy(path: Path, reason: str = "not a readable .npy array") -> np.ndarray:
    try:
        value = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise DataFormatError(path, f"{reason} ({exc})") from exc
    if not isinstance(value, np.ndarray):  # an .npz archive of several arrays
        value.close()
        raise DataFormatError(path, reason)
    return value


def _first_bad(values: np.ndarray):
    bad = values[(values != np.round(values)) | (values < 0)]
    return float(bad[0]) if len(bad) else None
