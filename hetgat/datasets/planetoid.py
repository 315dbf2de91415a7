"""Planetoid citation graphs (Cora, CiteSeer, PubMed) in the Kipf/Yang pickle format.

Yang et al., "Revisiting Semi-Supervised Learning with Graph Embeddings", ICML 2016
(https://arxiv.org/abs/1603.08861), with the processing of Kipf & Welling's GCN code. Each dataset
is eight files ``ind.<name>.<suffix>``: ``x``/``tx``/``allx`` (pickled ``scipy.sparse.csr_matrix``
features of the train, test and all non-test nodes), ``y``/``ty``/``ally`` (pickled one-hot NumPy
labels), ``graph`` (pickled ``defaultdict(list)`` of neighbour lists) and ``test.index`` (one node
id a line; line ``i`` is the node of ``tx`` row ``i``).

Node order: the ``allx`` rows, then the test ids. Ids in ``min..max`` of ``test.index`` that it
does not list (15 in CiteSeer) get an all-zero feature row, label ``-1`` and no split.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import tempfile
import urllib.request
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch

from hetgat.data import EDGE_TYPE, NODE_TYPE, GraphData
from hetgat.datasets._paths import data_folders
from hetgat.datasets.readers.planetoid import (
    load_csr,
    load_onehot,
    load_pickle,
    read_edges,
    read_test_index,
)
from hetgat.errors import ConfigError, DataFormatError, DataNotFoundError
from hetgat.sparse.hetero import HeteroGraph

logger = logging.getLogger(__name__)
_Array = np.ndarray | sp.spmatrix

PLANETOID_NAMES = ("cora", "citeseer", "pubmed")
PLANETOID_FILES = ("x", "tx", "allx", "y", "ty", "ally", "graph", "test.index")
PLANETOID_URL = "https://github.com/kimiyoung/planetoid/raw/master/data/ind.{name}.{suffix}"
NUM_VAL = 500  # the public split's validation nodes: the 500 after the training nodes
# (file, file, axis) pairs whose rows (0) or columns (1) must agree.
_SAME_SIZE = (
    ("y", "x", 0), ("ty", "tx", 0), ("ally", "allx", 0), ("test.index", "tx", 0),
    ("x", "allx", 1), ("tx", "allx", 1), ("y", "ally", 1), ("ty", "ally", 1),
)  # fmt: skip

#: Git blob sha1 (``git hash-object``) of every file, as in kimiyoung/planetoid and tkipf/gcn.
_GIT_BLOB_SHA1 = {
    "ind.cora.x": "c4a91d008245403e7f26aa616b437191509793c0",
    "ind.cora.tx": "6e856d777401ee15dc8619db76c97d0a40ba2d60",
    "ind.cora.allx": "44d53b1fece343538e45592caac521d73c6f98d6",
    "ind.cora.y": "58e30ef120d3553cfaac33ff28c6b5436dbef661",
    "ind.cora.ty": "da1734ab670b5c8ecee78a9c30b35566df916f4b",
    "ind.cora.ally": "04fbd0b083d09341fcf16b395c642329637f0542",
    "ind.cora.graph": "4d3bf85dfc8b1c105a2c995597a1b3eed6947925",
    "ind.cora.test.index": "ded8092db4cd767a367eebe09003b954a5316f24",
    "ind.citeseer.x": "f094104a66f2689ffbd01085fe6a856689e9db9e",
    "ind.citeseer.tx": "b2aff18aa1fc6f4f5e8c64db7643b59b24e42584",
    "ind.citeseer.allx": "592091071ac35b78599c722d0e60b1c655711728",
    "ind.citeseer.y": "e857ac49b611da98e101a068cf4855350274f68a",
    "ind.citeseer.ty": "3795f79df0cd1123f4478b77c148a5fbacc4cefb",
    "ind.citeseer.ally": "7503f81a0b6ac1cc21cb5a97073542a6b1dfe99c",
    "ind.citeseer.graph": "a01dca663d0103c130f525017a4a9c313037e286",
    "ind.citeseer.test.index": "62d9e3d5ed53c66b069125af98529d76c70d9b3e",
    "ind.pubmed.x": "16c0eca8d2b3297014ff80327416f9332eda10d7",
    "ind.pubmed.tx": "eee4f3c988fde0da87a9ec7b01ca5e7863c1b1f1",
    "ind.pubmed.allx": "3b86bccf08111c37c632a9dd8ab63db25ea76361",
    "ind.pubmed.y": "e86670576c85340eeb2271b3c918bfa89322b2cf",
    "ind.pubmed.ty": "225a0bb9bb6430e3925d04688daf6a0da964c07a",
    "ind.pubmed.ally": "4c8bcdc80882dd225fe4dd4fafd723baa616ac97",
    "ind.pubmed.graph": "76eb87e628a6b9d43fc31ea42c8c6c8f3e52b404",
    "ind.pubmed.test.index": "41f6befcb7750cc4858cb852f2b349a9598cb2f4",
}


def find_planetoid_dir(
    name: str, data_dir: str | Path | None = None, *, download: bool = True
) -> Path:
    """Return the folder that holds all eight ``ind.<name>.*`` files, downloading missing ones.

    Parameters
    ----------
    name : str
        ``"cora"``, ``"citeseer"`` or ``"pubmed"`` (case-insensitive).
    data_dir : str or Path, optional
        The folder to use (its ``planetoid/`` subfolder is accepted too). Default: None, which means
        ``$HETGAT_DATA/planetoid`` if ``HETGAT_DATA`` is set, else ``~/.hetgat/data/planetoid``.

    Missing files are downloaded from kimiyoung/planetoid (checked against their git blob sha1)
    unless ``HETGAT_OFFLINE=1`` or ``download`` is False (a saved run's data is never fetched:
    its ``config.json`` could name any source).

    Raises
    ------
    ConfigError
        Unknown ``name``.
    DataNotFoundError
        Files are missing and cannot be downloaded.
    DataFormatError
        A downloaded file does not have the expected checksum (nothing is kept).
    """
    name = _check_name(name)
    candidates = data_folders("planetoid", data_dir)
    for folder in candidates:
        if not _missing_files(folder, name):
            return folder
    # Complete what is partly there; otherwise fill the first folder.
    target = next((c for c in candidates if len(_missing_files(c, name)) < 8), candidates[0])
    missing = _missing_files(target, name)
    looked = ", ".join(str(c) for c in candidates)
    fix = "Put the Planetoid files there, pass `data_dir`, or set HETGAT_DATA."
    head = f"Missing {', '.join(missing)} in {target} (looked in: {looked})"
    if not download:
        raise DataNotFoundError(
            f"{head}; not downloaded for a saved run. {fix}", params=("data_dir",)
        )
    if os.environ.get("HETGAT_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}:
        raise DataNotFoundError(
            f"{head}; downloads are off (HETGAT_OFFLINE=1). {fix}", params=("data_dir",)
        )
    for filename in missing:
        try:
            _download(filename, target)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            reason = str(exc).replace("\n", " ") or type(exc).__name__
            raise DataNotFoundError(
                f"{head}; download of {filename} failed: {reason}. {fix}", params=("data_dir",)
            ) from exc
    return target


def load_planetoid(
    name: str,
    data_dir: str | Path | None = None,
    *,
    self_loop: bool = True,
    normalize_features: bool = True,
    download: bool = True,
) -> GraphData:
    """Load Cora, CiteSeer or PubMed with the public Planetoid split.

    Parameters
    ----------
    name : str
        ``"cora"``, ``"citeseer"`` or ``"pubmed"``.
    data_dir : str or Path, optional
        Where the files are; see :func:`find_planetoid_dir`. Default: None.
    self_loop : bool, optional
        Add one self-loop per node (after dropping those in the data). Default: True.
    normalize_features : bool, optional
        Divide every feature row by its sum, :math:`x_i / \\sum_k x_{ik}` (all-zero rows stay
        zero). Default: True.

    Returns
    -------
    GraphData
        One node type :data:`NODE_TYPE`; undirected edges in both directions, without duplicates,
        sorted by (dst, src); features ``(N, F)`` float32 sparse CSR; labels ``(N,)`` int64 with
        ``-1`` for unlabelled nodes; masks train ``0..len(y)-1``, validation the next 500 ``allx``
        rows, test the ``test.index`` ids. A node with label ``-1`` is in no mask.
    """
    name = _check_name(name)
    folder = find_planetoid_dir(name, data_dir, download=download)
    path = {s: folder / f"ind.{name}.{s}" for s in PLANETOID_FILES}
    arrays: dict[str, _Array] = {s: load_csr(path[s]) for s in ("x", "tx", "allx")}
    arrays.update({s: load_onehot(path[s]) for s in ("y", "ty", "ally")})
    arrays["test.index"] = test = read_test_index(path["test.index"])
    for a, b, axis in _SAME_SIZE:
        if arrays[a].shape[axis] != arrays[b].shape[axis]:
            what = ("rows", "columns")[axis]
            raise DataFormatError(
                path[a],
                f"{arrays[a].shape[axis]} {what}, but ind.{name}.{b} has "
                f"{arrays[b].shape[axis]} {what}",
            )
    tx, allx, y, ty, ally = (arrays[s] for s in ("tx", "allx", "y", "ty", "ally"))
    n_all, n_train = allx.shape[0], y.shape[0]
    if n_train > n_all:
        raise DataFormatError(path["y"], f"{n_train} training rows but allx has only {n_all}")
    if len(test) and test.min() < n_all:
        raise DataFormatError(
            path["test.index"], f"test ids must be >= {n_all} (allx rows)", value=int(test.min())
        )
    n = int(test.max()) + 1 if len(test) else n_all
    if n - n_all - len(test) > len(test):  # ids in the test range that test.index leaves out
        raise DataFormatError(
            path["test.index"],
            f"test ids reach {n - 1}, leaving {n - n_all - len(test)} ids after the {n_all} allx "
            f"rows unlisted, more than the {len(test)} listed",
            value=n - 1,
        )

    # Row of [allx; tx; 0] that each node takes: test.index line i names the node of tx row i.
    source = np.full(n, n_all + len(test), dtype=np.int64)
    source[:n_all] = np.arange(n_all)
    source[test] = n_all + np.arange(len(test))
    feats = sp.vstack([allx, tx, sp.csr_matrix((1, allx.shape[1]), dtype=np.float32)], "csr")
    feats = feats[source]
    onehot = np.vstack([ally, ty, np.zeros((1, ally.shape[1]), dtype=ally.dtype)])[source]
    labels = np.where(onehot.any(axis=1), onehot.argmax(axis=1), -1)
    if normalize_features:
        feats = _row_normalize(feats)

    src, dst = read_edges(load_pickle(path["graph"]), n, path["graph"], self_loop)
    graph = HeteroGraph(
        {(NODE_TYPE, EDGE_TYPE, NODE_TYPE): (torch.from_numpy(src), torch.from_numpy(dst))},
        num_nodes_dict={NODE_TYPE: n},
    )
    labelled = labels >= 0
    masks = []
    for ids in (np.arange(n_train), np.arange(n_train, min(n_train + NUM_VAL, n_all)), test):
        mask = np.zeros(n, dtype=bool)
        mask[ids] = True
        masks.append(torch.from_numpy(mask & labelled))
    return GraphData(
        name=name,
        graph=graph,
        features={NODE_TYPE: _to_torch_csr(feats)},
        labels=torch.from_numpy(labels.astype(np.int64)),
        train_mask=masks[0],
        val_mask=masks[1],
        test_mask=masks[2],
        target_type=NODE_TYPE,
        class_names=[str(i) for i in range(ally.shape[1])],
        node_ids={NODE_TYPE: np.arange(n).astype(str)},
    )


def _check_name(name: object) -> str:
    if not isinstance(name, str) or name.lower() not in PLANETOID_NAMES:
        raise ConfigError("dataset", name, "one of " + ", ".join(PLANETOID_NAMES))
    return name.lower()


def _missing_files(folder: Path, name: str) -> list[str]:
    files = (f"ind.{name}.{suffix}" for suffix in PLANETOID_FILES)
    return [f for f in files if not (folder / f).is_file()]


def _git_blob_sha1(path: Path) -> str:
    digest = hashlib.sha1(b"blob %d\0" % path.stat().st_size)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _download(filename: str, folder: Path) -> None:
    """Fetch one file into ``folder`` through a temporary name; keep it only if it checks out."""
    name, suffix = filename[len("ind.") :].split(".", 1)
    url = PLANETOID_URL.format(name=name, suffix=suffix)
    folder.mkdir(parents=True, exist_ok=True)
    logger.info("downloading %s to %s", url, folder)
    fd, tmp = tempfile.mkstemp(prefix=f".{filename}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=10) as response:
            for chunk in iter(lambda: response.read(1 << 20), b""):
                out.write(chunk)
        got, expected = _git_blob_sha1(Path(tmp)), _GIT_BLOB_SHA1[filename]
        if got != expected:
            raise DataFormatError(
                folder / filename,
                f"download from {url} has git blob sha1 {got}, expected {expected}; not saved",
            )
        os.replace(tmp, folder / filename)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _row_normalize(feats: sp.csr_matrix) -> sp.csr_matrix:
    rowsum = np.asarray(feats.sum(axis=1), dtype=np.float64).ravel()
    inv = np.divide(1.0, rowsum, out=np.zeros_like(rowsum), where=rowsum != 0)
    return (sp.diags(inv) @ feats.astype(np.float64)).astype(np.float32).tocsr()


def _to_torch_csr(feats: sp.csr_matrix) -> torch.Tensor:
    feats.sort_indices()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Sparse CSR tensor support is in beta", UserWarning)
        return torch.sparse_csr_tensor(
            torch.from_numpy(feats.indptr.astype(np.int64)),
            torch.from_numpy(feats.indices.astype(np.int64)),
            torch.from_numpy(feats.data.astype(np.float32)),
            size=feats.shape,
            dtype=torch.float32,
            check_invariants=True,
        )
