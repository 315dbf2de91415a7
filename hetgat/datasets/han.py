"""HAN's ACM ("ACM3025"): papers linked by the paper-author-paper and paper-subject-paper paths.

Wang et al., "Heterogeneous Graph Attention Network", WWW 2019 (https://arxiv.org/abs/1903.07293).
``ACM3025.mat`` (MATLAB 5, the file DGL's HAN example reads as ``ACM3025.pkl``) holds dense
arrays: ``feature`` (3025 × 1870 binary bag of words), ``label`` (3025 × 3 one-hot), the 3025 ×
3025 0/1 meta-path adjacencies ``PAP`` and ``PLP`` (the paper's PSP) with their diagonal set, and
0-based index rows ``train_idx``/``val_idx``/``test_idx`` (600/300/2125). ``PMP`` and ``PTP``
(undocumented further meta-paths) are not used.

Class order. The file does not name its classes. Grouping its papers by ``PLP`` (one clique per
subject) and comparing each group's class counts with the 56 subject groups of HGB's ACM (whose
``info.dat`` names the classes) matches class 0 with "data mining", 1 with "wireless
communication" and 2 with "database": this assignment leaves 234 of 3,025 papers unmatched over
all groups, every other one 1,098 or more. The names follow the HAN paper's spelling.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.io
import scipy.sparse as sp
import torch

from hetgat.data import GraphData
from hetgat.datasets._paths import data_folders
from hetgat.errors import ConfigError, DataFormatError, DataNotFoundError
from hetgat.sparse.csr import sparse_csr
from hetgat.sparse.hetero import HeteroGraph

HAN_NAMES = ("acm",)
HAN_FILES = {"acm": "ACM3025.mat"}
PAPER = "paper"
#: Meta-path array in the file → its relation.
METAPATHS = {
    "PAP": (PAPER, "paper-author-paper", PAPER),
    "PLP": (PAPER, "paper-subject-paper", PAPER),
}
ACM_CLASS_NAMES = ["Data Mining", "Wireless Communication", "Database"]


def find_han_file(name: str, data_dir: str | Path | None = None) -> Path:
    """Return the path of ``ACM3025.mat``.

    Parameters
    ----------
    name : str
        ``"acm"`` (case-insensitive).
    data_dir : str or Path, optional
        The folder holding the file (its ``han/`` subfolder is accepted too). Default: None, which
        means ``$HETGAT_DATA/han`` if ``HETGAT_DATA`` is set, else ``~/.hetgat/data/han``.

    Raises
    ------
    ConfigError
        Unknown ``name``.
    DataNotFoundError
        The file is in none of the folders (it is not downloaded).
    """
    if not isinstance(name, str) or name.lower() not in HAN_NAMES:
        raise ConfigError("dataset", name, "one of " + ", ".join(HAN_NAMES))
    filename = HAN_FILES[name.lower()]
    folders = data_folders("han", data_dir)
    for folder in folders:
        if (folder / filename).is_file():
            return folder / filename
    raise DataNotFoundError(
        f"{filename} not found (looked in: {', '.join(str(f) for f in folders)}). It is not "
        f"downloaded automatically: get HAN's {filename} (linked from github.com/Jhy1993/HAN; "
        f"also in github.com/googlebaba/WWW2020-O2MAC, data/) and put it in {folders[0]}, pass "
        f"`data_dir`, or set HETGAT_DATA.",
        params=("data_dir",),
    )


def load_han(name: str, data_dir: str | Path | None = None) -> GraphData:
    """Load HAN's ACM with its meta-path graphs and its fixed split.

    Parameters
    ----------
    name : str
        ``"acm"``.
    data_dir : str or Path, optional
        Where ``ACM3025.mat`` is; see :func:`find_han_file`. Default: None.

    Returns
    -------
    GraphData
        One node type ``paper`` (node ``i`` = row ``i``; ``node_ids`` are ``"0"``…) and two
        relations, the meta-path graphs ``(paper, paper-author-paper, paper)`` from ``PAP`` and
        ``(paper, paper-subject-paper, paper)`` from ``PLP``: an edge ``i → j`` per non-zero
        ``(i, j)``, the diagonal included (self-loops, as in DGL's HAN example), sorted by
        (dst, src). Features ``(3025, 1870)`` float32 sparse CSR, binary and not normalised (DGL's
        HAN example uses them raw). Labels ``(3025,)`` int64, the argmax of the one-hot rows;
        masks from ``train_idx``/``val_idx``/``test_idx``.
    """
    path = find_han_file(name, data_dir)
    try:
        mat = scipy.io.loadmat(str(path))
    except Exception as exc:  # scipy raises many types for a damaged file
        reason = f"not a readable MATLAB file ({type(exc).__name__}: {exc})"
        raise DataFormatError(path, reason) from exc
    feature = _array(mat, "feature", path, ndim=2)
    n = feature.shape[0]
    onehot = _array(mat, "label", path, shape=(n, None))
    if not np.isin(onehot, (0, 1)).all() or (onehot.sum(axis=1) != 1).any():
        row = int(np.flatnonzero(~np.isin(onehot, (0, 1)).all(axis=1) | (onehot.sum(1) != 1))[0])
        raise DataFormatError(path, f"'label' row {row} is not one-hot", value=onehot[row].tolist())
    edges = {}
    for key, etype in METAPATHS.items():
        adj = sp.coo_matrix(_array(mat, key, path, shape=(n, n)))
        src, dst = adj.nonzero()
        order = np.lexsort((src, dst))
        edges[etype] = tuple(torch.from_numpy(a[order].astype(np.int64)) for a in (src, dst))
    graph = HeteroGraph(edges, num_nodes_dict={PAPER: n})

    masks, taken = [], np.zeros(n, dtype=bool)
    for key in ("train_idx", "val_idx", "test_idx"):
        idx = _array(mat, key, path).ravel()
        if idx.dtype.kind in "fb" and np.array_equal(idx, np.round(idx)):
            idx = idx.astype(np.int64)  # MATLAB stores numbers as doubles by default
        if idx.dtype.kind not in "iu" or (len(idx) and (idx.min() < 0 or idx.max() >= n)):
            raise DataFormatError(path, f"'{key}' must hold row numbers 0..{n - 1}")
        if taken[idx].any() or len(np.unique(idx)) < len(idx):
            raise DataFormatError(path, f"'{key}' repeats a node of its own or an earlier split")
        taken[idx] = True
        mask = torch.zeros(n, dtype=torch.bool)
        mask[torch.from_numpy(idx.astype(np.int64))] = True
        masks.append(mask)

    csr = sp.csr_matrix(feature, dtype=np.float32)
    csr.sort_indices()
    crow, col = (torch.from_numpy(a.astype(np.int64)) for a in (csr.indptr, csr.indices))
    num_classes = onehot.shape[1]
    return GraphData(
        name="han-acm",
        graph=graph,
        features={PAPER: sparse_csr(crow, col, torch.from_numpy(csr.data), csr.shape)},
        labels=torch.from_numpy(onehot.argmax(axis=1).astype(np.int64)),
        train_mask=masks[0],
        val_mask=masks[1],
        test_mask=masks[2],
        target_type=PAPER,
        class_names=ACM_CLASS_NAMES if num_classes == 3 else [str(c) for c in range(num_classes)],
        node_ids={PAPER: np.arange(n).astype(str)},
    )


def _array(mat: dict, key: str, path: Path, *, ndim: int | None = None, shape=None) -> np.ndarray:
    """``mat[key]`` as a NumPy array (sparse ones made dense), its shape checked."""
    if key not in mat:
        raise DataFormatError(path, f"no '{key}' array")
    value = mat[key]
    value = value.toarray() if sp.issparse(value) else value
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "biuf":
        raise DataFormatError(path, f"'{key}' is not a numeric array", value=type(value).__name__)
    want = ndim if shape is None else len(shape)
    if want is not None and value.ndim != want:
        raise DataFormatError(path, f"'{key}' has shape {value.shape}, expected {want} dimensions")
    if shape is not None and any(
        s is not None and s != v for s, v in zip(shape, value.shape, strict=True)
    ):
        expected = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
        raise DataFormatError(path, f"'{key}' has shape {value.shape}, expected {expected}")
    return value
