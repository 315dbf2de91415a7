"""Graphs from the user's own CSV files: one edge file and node files.

Edge file (``.csv``; ``.tsv`` is tab-separated; either may be gzipped): a header row, columns
``src`` and ``dst`` (node ids: any strings, scoped per node type), optional ``relation``,
``src_type`` and ``dst_type``. Without the type columns every node has the type
:data:`~hetgat.data.NODE_TYPE` (or the one type the node files name). Other columns are ignored.

Node files: columns ``id``, optional ``type``, ``label`` (a class name; empty means unlabelled;
``a|b`` makes the data multi-label), ``split`` (``train``/``val``/``test``/empty) and features:
every other column is a number, or one column ``feat`` holds a list (``"0.1, 0.2"`` or
``"[0.1,0.2]"``). Sparse features come as scipy ``.npz`` files whose rows follow the node file.

Nodes are numbered per type: node-file rows in file order, then ids that only occur in edges, in
order of first appearance. The files are read into tables and built by
:func:`hetgat.datasets.builder.build_from_tables`, the builder of
:func:`hetgat.datasets.frames.from_pandas` too. Problems are reported as
:class:`~hetgat.errors.DataFormatError` with file, editor line (the header is line 1), column
and value; notes (ignored columns) go to the ``hetgat`` logger at INFO level.
"""

from __future__ import annotations

from pathlib import Path

from hetgat.data import GraphData
from hetgat.datasets._csvlabels import check_options
from hetgat.datasets.builder import build_from_tables
from hetgat.datasets.csvdataset import load_csv_folder
from hetgat.datasets.readers.csv import Table
from hetgat.errors import ConfigError, DataFormatError

__all__ = ["load_csv_graph", "load_csv_folder"]


def load_csv_graph(
    edges: str | Path,
    nodes=(),
    *,
    features=(),
    target: str | None = None,
    reverse: bool = True,
    keep_relations: bool = False,
    directed: bool = False,
    self_loop: bool = True,
    split_ratio: tuple[float, float, float] = (0.6, 0.2, 0.2),
    seed: int = 0,
    class_names: list[str] | None = None,
    multilabel: bool | None = None,
    name: str | None = None,
    allow_unlabelled: bool = False,
    relations=None,
) -> GraphData:
    """Load a graph for node classification from an edge CSV file and node CSV files.

    Parameters
    ----------
    edges : str or Path
        The edge file (``.csv``, ``.tsv``, optionally ``.gz``).
    nodes : sequence of (str or None, str or Path), optional
        Node files as ``(type, path)``; ``type`` None when the file has a ``type`` column or the
        graph has one node type (a bare path is accepted too). Default: none.
    features : sequence of (str or None, str or Path), optional
        Sparse features as ``(type, path.npz)`` (``scipy.sparse.save_npz``), one row per node-file
        row of that type, in the same order. Default: none.
    target : str, optional
        The node type to classify. Default: None, the only type with labels.
    reverse : bool, optional
        Heterogeneous graphs: add ``rev_<relation>`` (dst_type → src_type) for every relation
        whose reverse is not in the file; inverse pairs and exact duplicates are recognised by
        their edges, not names (:mod:`hetgat.datasets.relations`). Default: True.
    keep_relations : bool, optional
        Heterogeneous graphs: every relation its own edge type, exactly as given (no inverse
        pairs or duplicates recognised; ``reverse`` adds one for each). Default: False.
    directed : bool, optional
        Homogeneous graphs: keep the edges as given instead of adding both directions.
        Default: False.
    self_loop : bool, optional
        Homogeneous graphs: one self-loop per node (existing ones are not duplicated).
        Default: True.
    split_ratio : (float, float, float), optional
        Train/val/test proportions of the stratified split made when no ``split`` column is
        given (per class; multi-label: per first label). Default: (0.6, 0.2, 0.2).
    seed : int, optional
        Seed of that split. Default: 0.
    class_names : list of str, optional
        Use exactly these classes in this order (a saved run's schema). Default: None, the
        labels found, in numeric order if all are numbers, else in string order.
    multilabel : bool, optional
        True: labels are ``|``-separated sets; False: a label is one class name even if it holds
        ``|``. Default: None, multi-label if any label holds ``|``.
    name : str, optional
        Dataset name. Default: the edge file's name without extensions (``cora.csv.gz`` → cora).
    allow_unlabelled : bool, optional
        Load a graph without any label too (to look at its structure: ``hetgat inspect``): no
        classes, every node unlabelled and in no split; the target type is ``target``, else the
        first node type. Default: False (no label is an error: there is nothing to train on).
    relations : sequence of Relation, optional
        Read the relations as this record (a run's ``Schema.relations``) says; ``reverse`` and
        ``keep_relations`` then play no part. Default: None.

    Returns
    -------
    GraphData
        Homogeneous graphs (one node type, one relation; named :data:`~hetgat.data.NODE_TYPE`
        and :data:`~hetgat.data.EDGE_TYPE` unless the files name them): edges sorted by
        (dst, src), without duplicates. Heterogeneous ones: canonical edge types
        ``(src_type, relation, dst_type)``, sorted by (dst, src) within each, without duplicates;
        without a ``relation`` column a relation is named ``"<src_type>-<dst_type>"``;
        ``relations`` records how each edge type reads the file's relations (inverse pairs,
        duplicates, reverses added; ``data.summary()`` says so in its second line).
        ``node_ids`` are object arrays of ``str``. Only labelled nodes are in a mask.

    Raises
    ------
    DataFormatError
        A file's content is wrong (message with file, line, column and value).
    DataNotFoundError
        A file does not exist.
    ConfigError
        An option is wrong (unknown ``target``, bad ``split_ratio``, ...).
    """
    path = Path(edges)
    if path.is_dir():
        message = "is a folder, expected an edge CSV file (or a DGL CSVDataset folder)"
        raise DataFormatError(path, message)
    node_specs = _pairs(nodes, "nodes")
    feature_specs = _pairs(features, "features")
    check_options(split_ratio, seed, target, class_names, multilabel)
    return build_from_tables(
        Table(path),
        [(ntype, Table(Path(p))) for ntype, p in node_specs],
        [(ntype, Path(p)) for ntype, p in feature_specs],
        name=name or _stem(path),
        target=target,
        reverse=reverse,
        keep_relations=keep_relations,
        directed=directed,
        self_loop=self_loop,
        split_ratio=split_ratio,
        seed=seed,
        class_names=class_names,
        multilabel=multilabel,
        allow_unlabelled=allow_unlabelled,
        relations=relations,
    )


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".csv", ".tsv", ".txt"):
        name = name.removesuffix(suffix) if name.lower().endswith(suffix) else name
    return name or path.name


def _pairs(items, option: str) -> list[tuple[str | None, str | Path]]:
    """``(type or None, path)`` pairs; a bare path stands for ``(None, path)``."""
    if isinstance(items, (str, Path)):
        items = [items]
    out = []
    for item in items:
        if isinstance(item, (str, Path)):
            item = (None, item)
        if (
            not isinstance(item, (tuple, list))
            or len(item) != 2
            or not (item[0] is None or isinstance(item[0], str))
            or not isinstance(item[1], (str, Path))
        ):
            raise ConfigError(option, item, "PATH or (TYPE, PATH)")
        out.append((item[0], item[1]))
    return out
