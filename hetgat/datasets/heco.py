"""HeCo's ACM, DBLP, AMiner and Freebase, built from their relation edge lists.

Wang, Liu, Han, Shi, "Self-supervised Heterogeneous Graph Neural Network with Co-contrastive
Learning", KDD 2021 (https://arxiv.org/abs/2105.09111); files from github.com/liun-online/HeCo,
``data/<name>/``. The graph is read as a user's export would be: one relation per edge list
(``pa.txt``: ``paper -pa-> author``, the first letter's type first), a reverse ``rev_pa`` added
for each (:func:`hetgat.datasets.relations.read_relations`), features where HeCo gives them
(``p_feat.npz`` …), the labels of the target type and HeCo's fixed split: 20, 40 or 60
labelled nodes a class for training, 1,000 validation and 1,000 test nodes. HeCo's meta-path
views (``pap.npz`` …), positive pairs and neighbour lists are not read.

The files are parsed by :mod:`hetgat.datasets.readers.heco`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from hetgat.data import GraphData
from hetgat.datasets._paths import data_folders
from hetgat.datasets.readers.heco import read_edges, read_features, read_ids, read_labels
from hetgat.datasets.relations import dedupe, read_relations
from hetgat.errors import ConfigError, DataFormatError, DataNotFoundError
from hetgat.sparse.hetero import HeteroGraph

#: Per dataset: the target type's letter, each letter's node type, the edge lists (target
#: first) and the types with features (``<letter>_feat.npz``).
HECO = {
    "acm": dict(target="p", types={"p": "paper", "a": "author", "s": "subject"},
                relations=("pa", "ps"), features="pa"),
    "dblp": dict(target="a", types={"a": "author", "p": "paper", "t": "term", "c": "conference"},
                 relations=("pa", "pt", "pc"), features="apt"),
    "aminer": dict(target="p", types={"p": "paper", "a": "author", "r": "reference"},
                   relations=("pa", "pr"), features=""),
    "freebase": dict(target="m", types={"m": "movie", "a": "actor", "d": "director", "w": "writer"},
                     relations=("ma", "md", "mw"), features=""),
}  # fmt: skip
HECO_NAMES = tuple(HECO)
#: Labelled training nodes a class in HeCo's splits; the first is the default.
SHOTS = (20, 40, 60)


def parse_name(name: str) -> tuple[str, int]:
    """``"acm"`` → ``("acm", 20)``, ``"acm:40"`` → ``("acm", 40)``: the dataset and its split."""
    base, sep, shots = str(name).lower().partition(":")
    if base not in HECO:
        raise ConfigError("dataset", name, "one of " + ", ".join(HECO_NAMES))
    if not sep:
        return base, SHOTS[0]
    if shots not in {str(s) for s in SHOTS}:
        raise ConfigError(
            "dataset", name, f"heco:{base} or heco:{base}:N with N = labelled nodes a class, "
            + " or ".join(map(str, SHOTS)),
        )  # fmt: skip
    return base, int(shots)


def find_heco_dir(name: str, data_dir: str | Path | None = None) -> Path:
    """The folder of ``name``'s files (``heco/acm/``), found by its ``labels.npy``.

    ``data_dir``: the folder holding ``acm/`` … (or its ``heco/`` subfolder); default
    ``$HETGAT_DATA/heco``, else ``~/.hetgat/data/heco``. Never downloaded.
    """
    name, _ = parse_name(name)
    folders = data_folders("heco", data_dir)
    for folder in folders:
        if (folder / name / "labels.npy").is_file():
            return folder / name
    raise DataNotFoundError(
        f"heco {name}: {name}/labels.npy not found (looked in: "
        f"{', '.join(str(f) for f in folders)}). HeCo's data are not downloaded automatically: "
        f"copy the folder data/{name}/ of github.com/liun-online/HeCo into {folders[0]}, pass "
        "`data_dir`, or set HETGAT_DATA.",
        params=("data_dir",),
    )


def load_heco(name: str, data_dir: str | Path | None = None) -> GraphData:
    """Load one of HeCo's graphs with its fixed split.

    Parameters
    ----------
    name : str
        ``acm``, ``dblp``, ``aminer`` or ``freebase``, optionally with the split: ``acm:40``
        trains on HeCo's 40 labelled nodes a class (20 by default; 20, 40 or 60).
    data_dir : str or Path, optional
        See :func:`find_heco_dir`.

    Returns
    -------
    GraphData
        Node types named in words (``paper``, ``author`` …), node ``i`` of a type is id ``i``
        of the files (``node_ids`` ``"0"``, ``"1"`` …). Counts: the target type's from
        ``labels.npy``, a type with features from its feature rows, any other type from its
        largest id in the edge lists. One relation per edge list named after the file
        (``(paper, pa, author)``), duplicate edges dropped, and its reverse ``rev_pa``. Labels
        ``(N,)`` int64, every target node labelled; masks from ``train_<k>``, ``val_<k>`` and
        ``test_<k>.npy``, ``k`` the split's labelled nodes a class.
    """
    base, shots = parse_name(name)
    spec = HECO[base]
    folder = find_heco_dir(base, data_dir)
    types, target = spec["types"], spec["types"][spec["target"]]

    labels = read_labels(folder / "labels.npy")
    counts = {target: len(labels)}
    features = {}
    for letter in spec["features"]:
        path = _file(folder, f"{letter}_feat.npz")
        features[types[letter]] = read_features(path)
        rows = features[types[letter]].shape[0]
        if counts.setdefault(types[letter], rows) != rows:
            raise DataFormatError(path, f"has {rows} rows, labels.npy {counts[types[letter]]}")
    files = {}
    for relation in spec["relations"]:
        path = _file(folder, f"{relation}.txt")
        files[relation] = (path, *read_edges(path))
    for relation, (path, src, dst) in files.items():  # ids checked, counts of the other types
        for letter, ids, column in ((relation[0], src, 1), (relation[1], dst, 2)):
            ntype = types[letter]
            top = int(ids.max()) + 1 if len(ids) else 0
            if ntype in counts and top > counts[ntype]:
                line = int(np.argmax(ids >= counts[ntype])) + 1
                raise DataFormatError(
                    path, f"id outside the {counts[ntype]} {ntype} nodes", line=line,
                    column=column, value=int(ids[line - 1]),
                )  # fmt: skip
            if ntype not in features and ntype != target:
                counts[ntype] = max(counts.get(ntype, 0), top)
    edges = {}
    for relation, (_, src, dst) in files.items():
        s, d = types[relation[0]], types[relation[1]]
        edges[(s, relation, d)] = dedupe(src, dst, counts[s])
    out, relations = read_relations(edges, counts)
    graph = HeteroGraph(
        {k: (torch.from_numpy(s), torch.from_numpy(d)) for k, (s, d) in out.items()},
        num_nodes_dict=counts,
    )

    n, masks, taken = len(labels), [], np.zeros(len(labels), dtype=bool)
    for split in ("train", "val", "test"):
        path = _file(folder, f"{split}_{shots}.npy")
        ids = read_ids(path, n, f"the {split} split")
        if taken[ids].any():
            raise DataFormatError(
                path, "holds a node of an earlier split", value=int(ids[taken[ids]][0])
            )
        taken[ids] = True
        mask = torch.zeros(n, dtype=torch.bool)
        mask[torch.from_numpy(ids)] = True
        masks.append(mask)
    num_classes = int(labels.max()) + 1
    return GraphData(
        name=f"heco-{base}" if shots == SHOTS[0] else f"heco-{base}-{shots}",
        graph=graph,
        features=features,
        labels=torch.from_numpy(labels),
        train_mask=masks[0],
        val_mask=masks[1],
        test_mask=masks[2],
        target_type=target,
        class_names=[str(c) for c in range(num_classes)],
        node_ids={t: np.arange(c).astype(str) for t, c in counts.items()},
        relations=relations,
    )


def _file(folder: Path, filename: str) -> Path:
    path = folder / filename
    if not path.is_file():
        raise DataNotFoundError(f"{path}: missing (HeCo's {folder.name} data hold it)")
    return path
