"""The vocabulary of data: :class:`GraphData`, the one container every loader returns,
:class:`Schema`, what a model needs to know about it (to be built, and rebuilt from a run
folder), and :class:`Relation`, how an edge type reads the relations of the user's files."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from hetgat.data_checks import checked_features, checked_labels, checked_mask, listed
from hetgat.errors import GraphDataError

#: Node type and edge type names used for homogeneous graphs (Planetoid, untyped CSV).
NODE_TYPE = "node"
EDGE_TYPE = "edge"


@dataclass(frozen=True)
class Relation:
    """One edge type of a graph read from the user's files, and which of their relations it is.

    Attributes
    ----------
    etype : tuple[str, str, str]
        The canonical edge type ``(src_type, relation, dst_type)`` in the graph.
    names : tuple[str, ...]
        The files' relations (between these node types) with exactly this edge set, in file
        order: the first is the edge type's name, the others exact duplicates, kept as aliases.
        Empty for a reverse relation hetgat added.
    reverse_of : tuple[str, str, str] or None
        The edge type whose edges this one holds reversed: the relation listed before it in the
        files (this one is its reverse), itself (a self-inverse relation such as co-author), or
        the relation a reverse added by hetgat reverses. None for a relation listed first (its
        reverse, if any, names it) or one without a reverse.
    """

    etype: tuple
    names: tuple = ()
    reverse_of: tuple | None = None

    @property
    def added(self) -> bool:
        """Whether hetgat added this edge type (a reverse no relation of the files holds)."""
        return not self.names

    def describe(self) -> str | None:
        """``writes = reverse of written_by`` and the like; None for a plain given relation."""
        name = self.etype[1]
        words = []
        if self.added:
            words.append(f"{name} = reverse of {self.reverse_of[1]} (added)")
        elif self.reverse_of == self.etype:
            words.append(f"{name} = its own reverse")
        elif self.reverse_of is not None:
            words.append(f"{name} = reverse of {self.reverse_of[1]}")
        words += [f"{alias} = {name} (same edges)" for alias in self.names[1:]]
        return ", ".join(words) or None

    def to_dict(self) -> dict:
        return {
            "etype": list(self.etype),
            "names": list(self.names),
            "reverse_of": None if self.reverse_of is None else list(self.reverse_of),
        }

    @classmethod
    def from_dict(cls, d: dict) -> Relation:
        reverse_of = d.get("reverse_of")
        return cls(
            etype=tuple(d["etype"]),
            names=tuple(d.get("names", ())),
            reverse_of=None if reverse_of is None else tuple(reverse_of),
        )


def describe_relations(relations) -> str | None:
    """One line on how the files' relations were read (pairs, duplicates, self-inverse ones,
    reverses added), or None when there is nothing to say."""
    if not relations:
        return None
    read = [r.describe() for r in relations if not r.added and r.describe()]
    added = [r.etype[1] for r in relations if r.added]
    if added:
        read.append(f"reverses added: {', '.join(added)}")
    return "relations: " + "; ".join(read) if read else None


@dataclass(frozen=True)
class Schema:
    """Node types with their feature sizes and counts, edge types, the target and its classes.

    Attributes
    ----------
    node_types : tuple[str, ...]
        Node type names, in the graph's order.
    in_feats : dict[str, int]
        Input feature size per node type; 0 for a type without features.
    num_nodes : dict[str, int]
        Node count per type (the size of learned embeddings for featureless types).
    canonical_etypes : tuple[tuple[str, str, str], ...]
        ``(src_type, relation, dst_type)`` of every edge type.
    target_type : str
        The node type that is classified.
    class_names : tuple[str, ...]
        Classes in label-index order.
    multilabel : bool
        Sigmoid outputs and 0/1 targets instead of one class per node.
    relations : tuple[Relation, ...] or None
        How the edge types read the user's relations (heterogeneous CSV graphs, in file order);
        None for other graphs, and in run folders written before hetgat recorded it.
    """

    node_types: tuple
    in_feats: dict
    num_nodes: dict
    canonical_etypes: tuple
    target_type: str
    class_names: tuple
    multilabel: bool = False
    relations: tuple | None = None

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["canonical_etypes"] = [list(e) for e in self.canonical_etypes]
        d["node_types"] = list(self.node_types)
        d["class_names"] = list(self.class_names)
        if self.relations is None:
            del d["relations"]  # the form run folders had before relations were recorded
        else:
            d["relations"] = [r.to_dict() for r in self.relations]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Schema:
        return cls(
            node_types=tuple(d["node_types"]),
            in_feats=dict(d["in_feats"]),
            num_nodes=dict(d["num_nodes"]),
            canonical_etypes=tuple(tuple(e) for e in d["canonical_etypes"]),
            target_type=d["target_type"],
            class_names=tuple(d["class_names"]),
            multilabel=bool(d.get("multilabel", False)),
            relations=None
            if d.get("relations") is None
            else tuple(Relation.from_dict(r) for r in d["relations"]),
        )


@dataclass
class GraphData:
    """A graph with features, labels and a split, ready for node classification.

    Attributes
    ----------
    name : str
        Short name used in run folder names, e.g. ``"cora"``.
    graph : dgl.DGLGraph
        The graph. Homogeneous graphs have one node type :data:`NODE_TYPE` and one edge type
        :data:`EDGE_TYPE`. Loaders for homogeneous data add self-loops (so a node attends to
        itself, as in the GAT paper) unless asked not to.
    features : dict[str, torch.Tensor]
        Input features per node type, ``(N_t, F_t)`` float32, dense or sparse CSR (binary
        bag-of-words features stay sparse: the first projection is then a sparse matmul).
        A node type without an entry gets a learned embedding.
    labels : torch.Tensor
        Labels of the target type: ``(N,)`` int64 with ``-1`` for unlabelled nodes, or for
        multi-label data ``(N, C)`` float32 of 0/1 with ``multilabel=True``.
    train_mask, val_mask, test_mask : torch.Tensor
        ``(N,)`` bool masks over the target type.
    target_type : str
        The node type to classify.
    class_names : list[str]
        Name of each class, in label-index order.
    node_ids : dict[str, numpy.ndarray]
        The dataset's own id of every node, per type, as strings (index = DGL node id).
    multilabel : bool
        Whether ``labels`` is a multi-label 0/1 matrix.
    relations : tuple[Relation, ...] or None
        Heterogeneous CSV graphs: how each edge type reads the files' relations (inverse pairs,
        duplicates, reverses added); None for other graphs.

    A ``GraphData`` checks itself when built and again where ``fit`` and ``predict`` start
    (:meth:`validate`): a field that does not fit the graph is one
    :class:`~hetgat.errors.GraphDataError` naming it, never a failure deep in torch.
    """

    name: str
    graph: object
    features: dict[str, torch.Tensor]
    labels: torch.Tensor
    train_mask: torch.Tensor
    val_mask: torch.Tensor
    test_mask: torch.Tensor
    target_type: str
    class_names: list[str]
    node_ids: dict[str, np.ndarray] = field(default_factory=dict)
    multilabel: bool = False
    relations: tuple | None = None

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> GraphData:
        """Check every field against the graph, in place, and return ``self``.

        Made to fit (as PyG users and loaders write them): features as numpy arrays or of
        another dtype become tensors of torch's default dtype (float32: float64 features
        would fail against the model's weights); masks given as index tensors (PyG's ``train_idx``)
        become bool masks; missing ``node_ids`` become ``"0", "1", ...``. Refused, naming the
        field: feature keys that name no node type, feature rows other than the type's node
        count, labels out of range or of the wrong length, index masks out of range, ids of
        the wrong count.
        """
        graph = self.graph
        ntypes = list(graph.ntypes)
        if self.target_type not in ntypes:
            raise GraphDataError("target_type", f"{self.target_type!r} is no node type of the "
                                 f"graph ({listed(ntypes)})")  # fmt: skip
        if not isinstance(self.features, dict):
            raise GraphDataError("features", "a dict {node type: (N, F) tensor}")
        for key in self.features:
            if key not in ntypes:
                raise GraphDataError(
                    "features", f"key {key!r} names no node type (the graph's: "
                    f"{listed(ntypes)}); its nodes would get learned embeddings instead"
                )  # fmt: skip
        self.features = {
            t: checked_features(t, f, graph.num_nodes(t)) for t, f in self.features.items()
        }
        n = graph.num_nodes(self.target_type)
        self.class_names = [str(c) for c in self.class_names]
        self.labels = checked_labels(self.labels, n, len(self.class_names), self.multilabel)
        for name in ("train_mask", "val_mask", "test_mask"):
            setattr(self, name, checked_mask(name, getattr(self, name), n))
        ids = dict(self.node_ids or {})
        for t in ntypes:
            count = graph.num_nodes(t)
            if t not in ids:
                ids[t] = np.arange(count).astype(str).astype(object)
                continue
            ids[t] = np.asarray(ids[t], dtype=object)
            if ids[t].ndim != 1 or len(ids[t]) != count:
                raise GraphDataError(
                    "node_ids", f"type {t!r} lists {len(ids[t])} ids for {count} nodes"
                )
        unknown = sorted(set(ids) - set(ntypes))
        if unknown:
            raise GraphDataError("node_ids", f"key {unknown[0]!r} names no node type")
        self.node_ids = {t: ids[t] for t in ids}
        return self

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def is_homogeneous(self) -> bool:
        return len(self.graph.ntypes) == 1 and len(self.graph.canonical_etypes) == 1

    def schema(self):
        """The :class:`Schema` a model for this data is built from."""
        g = self.graph
        return Schema(
            node_types=tuple(g.ntypes),
            in_feats={
                t: int(self.features[t].shape[1]) if t in self.features else 0 for t in g.ntypes
            },
            num_nodes={t: int(g.num_nodes(t)) for t in g.ntypes},
            canonical_etypes=tuple(tuple(e) for e in g.canonical_etypes),
            target_type=self.target_type,
            class_names=tuple(self.class_names),
            multilabel=self.multilabel,
            relations=self.relations,
        )

    def split_names(self) -> np.ndarray:
        """``"train"``, ``"val"``, ``"test"`` or ``""`` for every node of the target type; a
        node in several masks (a CSVDataset's may overlap) gets their names joined by ``|``
        (``"val|test"``)."""
        masks = [m.numpy() for m in (self.train_mask, self.val_mask, self.test_mask)]
        out = np.full(len(self.train_mask), "", dtype=object)
        for name, mask in zip(("train", "val", "test"), masks, strict=True):
            out[mask] = np.where(out[mask] == "", name, out[mask] + "|" + name)
        return out

    def summary(self) -> str:
        """Counts and split; a second line on how the files' relations were read, if any was
        paired, merged or added."""
        g = self.graph
        line = (
            f"{self.name}: {g.num_nodes()} nodes, {g.num_edges()} edges, "
            f"{self.num_classes} classes, split {int(self.train_mask.sum())}/"
            f"{int(self.val_mask.sum())}/{int(self.test_mask.sum())}"
        )
        relations = describe_relations(self.relations)
        return line if relations is None else f"{line}\n{relations}"
