"""Loaders. Every loader returns one :class:`~hetgat.data.GraphData`.

:func:`load_graph` reads a GRAPH argument of the CLI: a named dataset (``planetoid:cora``), an
edge CSV file (with node files in ``nodes``), or a folder in DGL's CSVDataset layout.
"""

from __future__ import annotations

from pathlib import Path

from hetgat.errors import ConfigError, HetgatError

SOURCES = ("planetoid", "hgb", "han", "heco")
NAMED = (
    "planetoid:cora|citeseer|pubmed, hgb:acm|dblp|imdb, han:acm, "
    "heco:acm|dblp|aminer|freebase[:20|40|60]"
)


def load_graph(
    spec: str,
    data_dir: str | None = None,
    *,
    nodes=(),
    features=(),
    target: str | None = None,
    reverse: bool = True,
    keep_relations: bool = False,
    directed: bool = False,
    split_ratio=(0.6, 0.2, 0.2),
    split_seed: int = 0,
    normalize_features: bool | None = None,
    class_names=None,
    multilabel: bool | None = None,
    download: bool = True,
    allow_unlabelled: bool = False,
    name: str | None = None,
    flatten: bool = False,
    relations=None,
):
    """Load the graph a GRAPH argument names (see :data:`NAMED` for the named datasets).

    Parameters
    ----------
    spec : str
        ``<source>:<name>`` (``planetoid:cora``), an edge file (``.csv``, ``.tsv``, ``.gz``) or a
        CSVDataset folder (holding ``meta.yaml``).
    data_dir : str, optional
        Named datasets: folder holding the files (default ``$HETGAT_DATA/<source>``).
    nodes : sequence of (type or None, path)
        CSV graphs: node files (ids, labels, splits, features).
    features : sequence of (type, path)
        CSV graphs: sparse ``.npz`` features in node-file row order.
    target : str, optional
        CSV graphs: the node type to classify (default: the only labelled type).
    reverse, keep_relations, directed : bool
        CSV graphs: add ``rev_<relation>`` edges where the files lack a relation's reverse, and
        keep every relation as given (no inverse pairs or duplicates recognised) when
        heterogeneous; keep homogeneous edges as given instead of symmetrising them.
    split_ratio : (float, float, float), default (0.6, 0.2, 0.2)
        CSV graphs without a ``split`` column: the stratified train/val/test split.
    split_seed : int, default 0
        Seed of that split (fixed apart from the training seed, so runs share one split).
    normalize_features : bool, optional
        Row-normalise the features of every node type; default on for Planetoid (Kipf's
        preprocessing), off for CSV graphs (the user's values as given).
    class_names : sequence of str, optional
        Map labels with this class order (reloading the data of a saved run).
    multilabel : bool, optional
        CSV graphs: labels are sets of classes joined by ``|`` (default: when any label has one).
    allow_unlabelled : bool, default False
        CSV graphs: load a graph without labels too, to look at its structure (no classes, no
        split; see :func:`hetgat.datasets.csv.load_csv_graph`).
    name : str, optional
        The data's name [default: the dataset's own: ``cora``, a CSVDataset's
        ``dataset_name``, an edge file's name without extensions].
    flatten : bool, default False
        Make a heterogeneous graph one homogeneous graph (one node type, one edge type,
        features with a node-type one-hot), so GAT and GATv2 can train on it: see
        :func:`hetgat.datasets.flatten.flatten`.
    relations : sequence of Relation, optional
        Heterogeneous CSV graphs: read the relations as this record of a run says (reloading
        the data of a saved run, or a new export of it).
    """
    if flatten:
        arguments = {k: v for k, v in locals().items() if k not in ("spec", "flatten")}
        from hetgat.datasets.flatten import flatten as to_homogeneous

        return to_homogeneous(load_graph(spec, **arguments))
    path = Path(spec)
    if path.is_dir() or path.suffix in (".csv", ".tsv", ".gz") or path.exists():
        from hetgat.datasets import csv

        common = dict(
            target=target,
            reverse=reverse,
            keep_relations=keep_relations,
            relations=relations,
            directed=directed,
            split_ratio=tuple(split_ratio),
            seed=split_seed,
            class_names=class_names,
            allow_unlabelled=allow_unlabelled,
            name=name,
        )
        if path.is_dir():
            if not (path / "meta.yaml").is_file():
                raise HetgatError(f"{spec}: a folder GRAPH must hold a meta.yaml (DGL CSVDataset)")
            data = csv.load_csv_folder(path, **common)
        else:
            data = csv.load_csv_graph(
                path, list(nodes), features=list(features), multilabel=multilabel, **common
            )
        if normalize_features:
            from hetgat.datasets.transforms import row_normalize

            data.features = {t: row_normalize(f) for t, f in data.features.items()}
        return data
    source, sep, name = spec.partition(":")
    if not sep or not name:
        raise ConfigError("spec", spec, f"an edge CSV file, a CSVDataset folder or {NAMED}")
    if source == "planetoid":
        from hetgat.datasets.planetoid import load_planetoid

        data = load_planetoid(
            name, data_dir, normalize_features=normalize_features is not False, download=download
        )
    elif source == "hgb":
        from hetgat.datasets.hgb import load_hgb

        data = load_hgb(name, data_dir, seed=split_seed)
    elif source == "han":
        from hetgat.datasets.han import load_han

        data = load_han(name, data_dir)
    elif source == "heco":  # heco:acm:40 -> HeCo's split with 40 labelled nodes a class
        from hetgat.datasets.heco import load_heco

        data = load_heco(name, data_dir)
        name = data.name  # heco-acm, heco-acm-40: apart from hgb:acm in run folder names
    else:
        data = None
    if data is not None:
        if normalize_features and source != "planetoid":
            from hetgat.datasets.transforms import row_normalize

            data.features = {t: row_normalize(f) for t, f in data.features.items()}
        if class_names is not None and list(class_names) != list(data.class_names):
            raise HetgatError(f"{spec}: classes {data.class_names} differ from the run's")
        data.name = name or data.name
        return data
    raise ConfigError("spec", spec, f"a source among {', '.join(SOURCES)} (e.g. planetoid:cora)")


__all__ = ["load_graph"]
