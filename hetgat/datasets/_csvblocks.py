"""What the CSV front ends parse their files into, for :mod:`hetgat.datasets._csvbuild`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from hetgat.datasets.readers.csv import Table


@dataclass
class NodeBlock:
    """The rows of one node type in one node file (``rows``: positions in ``table.frame``)."""

    ntype: str | None
    table: Table
    rows: np.ndarray
    ids: np.ndarray
    labels: np.ndarray | None = None  # label cells as written; None without a label column
    # "train", "val", "test" or "" per row, or (rows, 3) membership in train, val, test (masks
    # that may overlap, as in a CSVDataset); None: no split given
    split: np.ndarray | None = None
    features: np.ndarray | sp.csr_matrix | None = None  # (len(rows), F) float32
    complete: bool = False  # lists every node of its type: an edge to another id is an error
    label_column: str = "label"
    split_column: str = "split"


@dataclass
class EdgeBlock:
    """The edges of one edge file; types and relation per row (arrays) or for all rows (str)."""

    table: Table
    src: np.ndarray
    dst: np.ndarray
    src_type: np.ndarray | str
    dst_type: np.ndarray | str
    relation: np.ndarray | str | None  # None: no relation column (named after the types)
    src_column: str = "src"
    dst_column: str = "dst"
