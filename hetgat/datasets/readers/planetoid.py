"""Reading the Kipf/Yang Planetoid files: the pickles through an allow-list unpickler (no code
runs, whatever the file holds), the test index and the adjacency lists. Finding, downloading
and assembling them are :mod:`hetgat.datasets.planetoid`'s."""

from __future__ import annotations

import codecs
import itertools
import operator
import pickle
import re
from collections import defaultdict
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from hetgat.errors import DataFormatError


def _allowed_globals() -> dict[tuple[str, str], object]:
    """What the Planetoid pickles (Python 2) and Python 3 re-pickles of them may reference."""
    np_core = getattr(np, "_core", None) or np.core
    allowed: dict[tuple[str, str], object] = {
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("collections", "defaultdict"): defaultdict,
        ("_codecs", "encode"): codecs.encode,  # bytes in Python 3 protocol-2 pickles
    }
    for module in ("__builtin__", "builtins"):
        allowed.update({(module, t.__name__): t for t in (list, dict, bytes)})
    for module in ("scipy.sparse.csr", "scipy.sparse._csr", "scipy.sparse"):
        allowed[(module, "csr_matrix")] = sp.csr_matrix
    for package in ("numpy.core", "numpy._core"):
        allowed[(f"{package}.multiarray", "_reconstruct")] = np_core.multiarray._reconstruct
        allowed[(f"{package}.multiarray", "scalar")] = np_core.multiarray.scalar
        allowed[(f"{package}.numeric", "_frombuffer")] = np_core.numeric._frombuffer
    return allowed


class _PlanetoidUnpickler(pickle.Unpickler):
    """An unpickler that builds arrays, CSR matrices, lists and dicts, and nothing else."""

    _allowed = _allowed_globals()

    def __init__(self, file, path: Path) -> None:
        super().__init__(file, encoding="latin1")
        self.path = path

    def find_class(self, module: str, name: str) -> object:
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise DataFormatError(
                self.path, f"refusing to unpickle {module}.{name}: not Planetoid data"
            ) from None


def load_pickle(path: Path) -> object:
    try:
        with open(path, "rb") as f:
            return _PlanetoidUnpickler(f, path).load()
    except DataFormatError:
        raise
    except Exception as exc:  # a damaged pickle can fail with almost any exception type
        raise DataFormatError(path, f"not a readable pickle ({type(exc).__name__}: {exc})") from exc


def load_csr(path: Path) -> sp.csr_matrix:
    obj = load_pickle(path)
    if not sp.issparse(obj):
        raise DataFormatError(path, "expected a scipy sparse matrix", value=type(obj).__name__)
    try:  # rebuild from the arrays only, so stray attributes from the pickle are dropped
        arrays = (np.asarray(obj.data), np.asarray(obj.indices), np.asarray(obj.indptr))
        csr = sp.csr_matrix(arrays, shape=obj.shape, dtype=np.float32)
        csr.check_format(full_check=True)
    except Exception as exc:  # any inconsistency in the three arrays
        raise DataFormatError(path, f"inconsistent sparse matrix ({exc})") from exc
    csr.sum_duplicates()
    return csr


def load_onehot(path: Path) -> np.ndarray:
    obj = load_pickle(path)
    if not isinstance(obj, np.ndarray) or obj.ndim != 2 or obj.dtype.kind not in "biuf":
        raise DataFormatError(path, "expected a 2-D numeric one-hot array", value=repr(obj)[:60])
    return obj


def read_test_index(path: Path) -> np.ndarray:
    try:
        # Editor lines: str.splitlines would also break at \v, \f, \x1c-\x1e, \x85, \u2028.
        lines = re.split(r"\r\n?|\n", path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFormatError(path, f"cannot read ({exc})") from exc
    ids = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            try:
                ids.append(int(line))
            except ValueError:
                raise DataFormatError(
                    path, "expected an integer", line=number, value=line
                ) from None
            if abs(ids[-1]) >= 2**62:  # not a node id, and past int64
                raise DataFormatError(path, "test id out of range", line=number, value=line)
    test = np.asarray(ids, dtype=np.int64)
    if len(np.unique(test)) != len(test):
        raise DataFormatError(path, "repeated test ids")
    return test


def read_edges(adj: object, n: int, path: Path, self_loop: bool) -> tuple[np.ndarray, np.ndarray]:
    """Directed edges of the symmetrised neighbour lists, sorted by (dst, src)."""
    if not isinstance(adj, dict):
        raise DataFormatError(path, "expected a dict of neighbour lists", value=type(adj).__name__)
    try:
        keys = [operator.index(k) for k in adj]
        counts = [len(v) for v in adj.values()]
        nbrs = [operator.index(v) for v in itertools.chain.from_iterable(adj.values())]
    except TypeError as exc:
        raise DataFormatError(path, f"node ids must be integers ({exc})") from exc
    try:
        src = np.repeat(np.asarray(keys, dtype=np.int64), counts)
        dst = np.asarray(nbrs, dtype=np.int64)
    except OverflowError:  # past int64: outside 0..n-1 whatever n is
        big = next(k for k in itertools.chain(keys, nbrs) if abs(k) >= 2**63)
        raise DataFormatError(path, f"node id outside 0..{n - 1}", value=big) from None
    bad = np.concatenate([np.asarray(keys, dtype=np.int64), dst])
    bad = bad[(bad < 0) | (bad >= n)]
    if len(bad):
        raise DataFormatError(path, f"node id outside 0..{n - 1}", value=int(bad[0]))
    keep = src != dst
    src, dst = np.concatenate([src[keep], dst[keep]]), np.concatenate([dst[keep], src[keep]])
    if self_loop:
        loops = np.arange(n, dtype=np.int64)
        src, dst = np.concatenate([src, loops]), np.concatenate([dst, loops])
    code = np.unique(dst * n + src)  # sorted by dst, then src; duplicates gone
    return code % n, code // n
