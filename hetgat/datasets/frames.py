"""Graphs from pandas DataFrames: :func:`from_pandas`, through the CSV reader's builder."""

from __future__ import annotations

import pandas as pd

from hetgat.data import GraphData
from hetgat.datasets.builder import build_from_tables
from hetgat.datasets.readers.frames import FrameTable
from hetgat.errors import ConfigError


def from_pandas(
    edges: pd.DataFrame,
    nodes=None,
    *,
    features=None,
    target: str | None = None,
    reverse: bool = True,
    keep_relations: bool = False,
    directed: bool = False,
    self_loop: bool = True,
    split_ratio=(0.6, 0.2, 0.2),
    split_seed: int = 0,
    class_names=None,
    multilabel: bool | None = None,
    name: str = "graph",
    allow_unlabelled: bool = False,
    relations=None,
) -> GraphData:
    """A graph for node classification from DataFrames, read exactly as the CSV files with
    the same columns would be (:func:`hetgat.datasets.csv.load_csv_graph`: the same builder,
    the same rules, the same checks).

    Parameters
    ----------
    edges : pandas.DataFrame
        The edge file's columns: ``src``, ``dst``; optional ``relation``, ``src_type``,
        ``dst_type``. Ids may be of any type: they are read as strings (``7`` is ``"7"``).
    nodes : pandas.DataFrame or dict[str, pandas.DataFrame], optional
        The node files' columns: ``id``; optional ``type``, ``label`` (empty or missing:
        unlabelled; ``a|b``: multi-label), ``split``, and features (every other column a
        number, or one ``feat`` column of lists). A dict gives one frame per node type.
    features : dict[str, array], optional
        ``{type: numpy array | scipy.sparse matrix | torch tensor}``, one row per row of that
        type's node frame, in its order.
    target, reverse, keep_relations, directed, self_loop, split_ratio, class_names, multilabel,
    allow_unlabelled, relations
        As for :func:`~hetgat.datasets.csv.load_csv_graph` (``split_seed`` is its ``seed``).
    name : str, default "graph"
        The data's name (run folder names, messages).

    Returns
    -------
    GraphData
        Checked (:meth:`~hetgat.data.GraphData.validate`); ``node_ids`` hold the ids as strings.

    Raises
    ------
    DataFormatError
        A frame's content is wrong: the message names the frame (``edges``,
        ``nodes['paper']``), the row's index label, the column and the value.
    ConfigError
        An option is wrong.
    """
    if isinstance(nodes, pd.DataFrame):
        node_tables = [(None, FrameTable(nodes, "nodes"))]
    elif isinstance(nodes, dict):
        node_tables = [(t, FrameTable(f, f"nodes[{t!r}]")) for t, f in nodes.items()]
    elif nodes is None:
        node_tables = []
    else:
        raise ConfigError("nodes", type(nodes).__name__, "a DataFrame or {type: DataFrame}")
    if features is not None and not isinstance(features, dict):
        raise ConfigError("features", type(features).__name__, "{type: matrix}")
    return build_from_tables(
        FrameTable(edges, "edges"),
        node_tables,
        list((features or {}).items()),
        name=name,
        target=target,
        reverse=reverse,
        keep_relations=keep_relations,
        directed=directed,
        self_loop=self_loop,
        split_ratio=split_ratio,
        seed=split_seed,
        class_names=class_names,
        multilabel=multilabel,
        allow_unlabelled=allow_unlabelled,
        relations=relations,
    )
