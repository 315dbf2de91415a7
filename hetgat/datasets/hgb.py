"""HGB node-classification datasets (ACM, DBLP, IMDB) read from their original zip files.

Lv et al., "Are we really making much progress? Revisiting, benchmarking, and refining
heterogeneous graph neural networks", KDD 2021 (https://arxiv.org/abs/2112.14936). Each zip holds
a folder ``<NAME>/`` with tab-separated text files:

* ``info.dat`` (JSON): node type names, link types ``{start, end, meaning}``, class names;
* ``node.dat``: ``id  name  type  features``; ids are global; features are comma-separated and
  the column is absent for featureless types;
* ``link.dat``: ``src  dst  link_type  weight``; both directions of a relation are separate link
  types (all weights are 1 and are not used);
* ``label.dat`` (train + validation pool) and ``label.dat.test``: ``id  name  type  labels``,
  labels comma-separated (several per node in IMDB, which makes the data multi-label).

The files are read by :mod:`hetgat.datasets.readers.hgb`; problems are reported as
:class:`~hetgat.errors.DataFormatError` naming ``<zip>:<member>``, the line and the column.
"""

from __future__ import annotations

import numbers
from pathlib import Path

import numpy as np
import torch

from hetgat.data import GraphData
from hetgat.datasets._paths import data_folders
from hetgat.datasets.readers.hgb import Archive, Info, Nodes, read_labels, read_links
from hetgat.errors import ConfigError, DataNotFoundError

HGB_NAMES = ("acm", "dblp", "imdb")


def find_hgb_zip(name: str, data_dir: str | Path | None = None) -> Path:
    """Return the path of ``<NAME>.zip`` (e.g. ``ACM.zip``).

    Parameters
    ----------
    name : str
        ``"acm"``, ``"dblp"`` or ``"imdb"`` (case-insensitive).
    data_dir : str or Path, optional
        The folder holding the zip (its ``hgb/`` subfolder is accepted too). Default: None, which
        means ``$HETGAT_DATA/hgb`` if ``HETGAT_DATA`` is set, else ``~/.hetgat/data/hgb``.

    Raises
    ------
    ConfigError
        Unknown ``name``.
    DataNotFoundError
        The zip is in none of the folders. It is never downloaded: HGB distributes its zips by a
        link that is not stable.
    """
    name = _check_name(name)
    folders = data_folders("hgb", data_dir)
    for folder in folders:
        for filename in (f"{name.upper()}.zip", f"{name}.zip"):
            if (folder / filename).is_file():
                return folder / filename
    raise DataNotFoundError(
        f"{name.upper()}.zip not found (looked in: {', '.join(str(f) for f in folders)}). "
        f"HGB zips are not downloaded automatically (their download link is not stable): get "
        f"{name.upper()}.zip from the HGB benchmark (github.com/THUDM/HGB, node classification "
        f"data) and put it unchanged in {folders[0]}, pass `data_dir`, or set HETGAT_DATA.",
        params=("data_dir",),
    )


def load_hgb(
    name: str,
    data_dir: str | Path | None = None,
    *,
    seed: int = 0,
    val_ratio: float = 0.2,
    shuffle: bool = True,
) -> GraphData:
    """Load HGB ACM, DBLP or IMDB with HGB's split protocol.

    Parameters
    ----------
    name : str
        ``"acm"``, ``"dblp"`` or ``"imdb"`` (case-insensitive).
    data_dir : str or Path, optional
        Where ``<NAME>.zip`` is; see :func:`find_hgb_zip`. Default: None.
    seed : int, optional
        Seed of the train/validation shuffle (``numpy.random.default_rng``). Default: 0.
    val_ratio : float, optional
        Share of the ``label.dat`` nodes that go to validation, rounded down as in HGB's reference
        loader (ACM: ``int(907 * 0.2) = 181``). Default: 0.2.
    shuffle : bool, optional
        False: no shuffle, the split of HGB's HAN code (the one behind HGB's published HAN
        figures), which trains on the first ``int(n * (1 - val_ratio))`` labelled ids in id
        order and validates on the rest (HGB's HAN: ``val_ratio=0.3``); ``seed`` is then unused.
        Default: True (HGB's protocol, and its Simple-HGN code).

    Returns
    -------
    GraphData
        The node types of ``info.dat``; node ``i`` of a type is the ``i``-th smallest HGB id of
        that type (``node_ids`` holds the HGB ids as strings). One relation per link type,
        ``(start type, meaning, end type)`` with ``meaning`` verbatim from ``info.dat``, edges as
        given (self-loops kept, none added) less exact duplicates, sorted by (dst, src).
        Features ``(N_t, F_t)`` float32 as given, sparse CSR below 10 % density, none for
        featureless types. Target: the type of ``label.dat``; labels ``(N,)`` int64 (``-1`` =
        unlabelled) or, when a node has several labels, ``(N, C)`` float32 0/1 with
        ``multilabel=True``. Test = ``label.dat.test``; the sorted ``label.dat`` nodes are
        permuted with ``seed`` and the first ``int(n * val_ratio)`` go to validation, the rest
        to training (unless ``shuffle`` is False).
    """
    name = _check_name(name)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ConfigError("seed", seed, "a non-negative integer")
    if (
        isinstance(val_ratio, bool)
        or not isinstance(val_ratio, numbers.Real)
        or not (0 <= val_ratio < 1)
    ):
        raise ConfigError("val_ratio", val_ratio, "a number in [0, 1)")
    if not isinstance(shuffle, bool):
        raise ConfigError("shuffle", shuffle, "True or False")
    with Archive(find_hgb_zip(name, data_dir)) as archive:
        info = Info(archive)
        nodes = Nodes(archive, info)
        graph = read_links(archive, info, nodes)
        target, pool, test, labels, classes = read_labels(archive, info, nodes)

    n = nodes.count[target]
    pool = np.sort(pool)  # HGB shuffles the labelled ids in id order
    if shuffle:
        perm = pool[np.random.default_rng(seed).permutation(len(pool))]
        n_val = int(len(pool) * val_ratio + 1e-9)  # floor; the epsilon absorbs 0.29 * 100 = 28.99…
        train, val = perm[n_val:], perm[:n_val]
    else:  # HGB's HAN: train = pool[: int(n * 0.7)], validation the rest
        n_train = int(len(pool) * (1 - val_ratio) + 1e-9)
        train, val = pool[:n_train], pool[n_train:]
    masks = []
    for ids in (train, val, test):
        mask = torch.zeros(n, dtype=torch.bool)
        mask[torch.from_numpy(ids)] = True
        masks.append(mask)
    return GraphData(
        name=f"hgb-{name}",
        graph=graph,
        features=nodes.features,
        labels=labels,
        train_mask=masks[0],
        val_mask=masks[1],
        test_mask=masks[2],
        target_type=info.type_names[target],
        class_names=classes,
        node_ids={info.type_names[t]: ids.astype(str) for t, ids in nodes.ids.items()},
        multilabel=labels.dim() == 2,
    )


def _check_name(name: object) -> str:
    if not isinstance(name, str) or name.lower() not in HGB_NAMES:
        raise ConfigError("dataset", name, "one of " + ", ".join(HGB_NAMES))
    return name.lower()
