"""Where a graph comes from: the arguments of :func:`~hetgat.datasets.load_graph`, typed and frozen.

A run folder keeps its :class:`DataSource` (``config.json``'s ``"source"``, paths absolute) so
that ``predict``, ``attention`` and ``explain`` read the same data again; :meth:`to_dict` and
:meth:`from_dict` are that file format, the one place it is defined.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, fields

from hetgat.errors import ConfigError


@dataclass(frozen=True)
class DataSource:
    """How to load a graph.

    Parameters
    ----------
    spec : str
        ``<source>:<name>`` (``planetoid:cora``), an edge file or a CSVDataset folder.
    data_dir : str, optional
        Named datasets: the folder with the files.
    nodes : tuple of (type or None, path)
        CSV graphs: node files.
    features : tuple of (type, path)
        CSV graphs: sparse ``.npz`` features.
    target : str, optional
        The node type to classify.
    reverse, directed : bool, default True, False
        Reverse relations (heterogeneous CSV graphs); keep edges as given (homogeneous).
    keep_relations : bool, default False
        Heterogeneous CSV graphs: every relation its own edge type, as given (no inverse pairs
        or duplicates recognised).
    split_ratio : (float, float, float), default (0.6, 0.2, 0.2)
        Stratified split where the files have none.
    split_seed : int, default 0
        Seed of that split.
    normalize_features : bool, optional
        Row-normalise features (default: on for Planetoid, off otherwise).
    name : str, optional
        The data's name (run folder names, messages, ``DistGraph``): default the dataset's
        own (``cora``; a CSVDataset's ``dataset_name``; an edge file's name without extensions).
    flatten : bool, default False
        One homogeneous graph of a heterogeneous one, for GAT and GATv2
        (:func:`hetgat.datasets.flatten.flatten`).
    """

    spec: str
    data_dir: str | None = None
    nodes: tuple = ()
    features: tuple = ()
    target: str | None = None
    reverse: bool = True
    directed: bool = False
    keep_relations: bool = False
    split_ratio: tuple = (0.6, 0.2, 0.2)
    split_seed: int = 0
    normalize_features: bool | None = None
    name: str | None = None
    flatten: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.spec, str) or not self.spec:
            raise ConfigError("spec", self.spec, "a dataset name, an edge file or a folder")
        for name in ("nodes", "features"):
            pairs = getattr(self, name)
            if isinstance(pairs, (str, bytes)) or not isinstance(pairs, (list, tuple)):
                raise ConfigError(name, pairs, "a list of [type, path] pairs")
            checked = []
            for pair in pairs:
                if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                    raise ConfigError(name, pair, "a [type, path] pair")
                ntype, path = pair
                if not isinstance(path, str) or not (ntype is None or isinstance(ntype, str)):
                    raise ConfigError(name, pair, "a [type, path] pair of strings")
                checked.append((ntype, path))
            object.__setattr__(self, name, tuple(checked))
        ratio = self.split_ratio
        if not isinstance(ratio, (list, tuple)) or len(ratio) != 3:
            raise ConfigError("split_ratio", ratio, "three numbers")
        object.__setattr__(self, "split_ratio", tuple(float(r) for r in ratio))
        for name in ("reverse", "directed", "flatten", "keep_relations"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(name, getattr(self, name), "true or false")
        if self.name is not None and (not isinstance(self.name, str) or not self.name.strip()):
            raise ConfigError("name", self.name, "a non-empty name")

    @classmethod
    def of(cls, value: DataSource | dict) -> DataSource:
        """``value`` itself, or the source a dict in :meth:`to_dict`'s form describes."""
        return value if isinstance(value, DataSource) else cls.from_dict(value)

    @classmethod
    def from_argument(cls, graph: str, **options) -> DataSource:
        """The source a GRAPH argument and its options name, paths as the user wrote them."""
        return cls(spec=graph, **options)

    def is_named(self) -> bool:
        """A named dataset (``planetoid:cora``) rather than a file or folder."""
        exists = os.path.exists(self.spec)
        return not exists and not self.spec.endswith((".csv", ".tsv", ".gz"))

    def absolute(self) -> DataSource:
        """The same source with every path absolute (for a run folder to reload it anywhere)."""

        def absolute(path):
            return None if path is None else os.path.abspath(path)

        return dataclasses.replace(
            self,
            spec=self.spec if self.is_named() else absolute(self.spec),
            data_dir=absolute(self.data_dir),
            nodes=tuple((t, absolute(p)) for t, p in self.nodes),
            features=tuple((t, absolute(p)) for t, p in self.features),
        )

    def input_paths(self) -> list[str]:
        """The files and folders this source reads, where they exist (outputs never replace
        them)."""
        found = [p for p in (self.spec, self.data_dir) if p and os.path.exists(p)]
        return found + [p for _, p in (*self.nodes, *self.features) if p and os.path.exists(p)]

    def load(self, **extra):
        """The :class:`~hetgat.data.GraphData` this source names (``extra``: more arguments of
        :func:`~hetgat.datasets.load_graph`, e.g. ``class_names``)."""
        from hetgat.datasets import load_graph

        values = self.to_dict()
        return load_graph(values.pop("spec"), **values, **extra)

    def __getitem__(self, key: str):
        """Read access by key, as when sources were plain dicts (``run.source["spec"]``)."""
        return self.to_dict()[key]

    def to_dict(self) -> dict:
        """``config.json``'s ``"source"``: plain JSON values."""
        return {
            "spec": self.spec,
            "data_dir": self.data_dir,
            "nodes": [list(p) for p in self.nodes],
            "features": [list(p) for p in self.features],
            "target": self.target,
            "reverse": self.reverse,
            "directed": self.directed,
            "keep_relations": self.keep_relations,
            "split_ratio": list(self.split_ratio),
            "split_seed": self.split_seed,
            "normalize_features": self.normalize_features,
            "name": self.name,
            "flatten": self.flatten,
        }

    @classmethod
    def from_dict(cls, values: dict) -> DataSource:
        """Read :meth:`to_dict`'s form back; unknown keys and wrong types are refused."""
        if not isinstance(values, dict):
            raise ConfigError("source", values, "a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError("source", unknown[0], f"one of {', '.join(sorted(known))}")
        try:
            return cls(**values)
        except TypeError as exc:
            raise ConfigError("source", values, f"the arguments of load_graph ({exc})") from None
