"""The vocabulary of data: :class:`GraphData`, the one container every loader returns, and
:class:`Schema`, what a model needs to know about it (to be built, and rebuilt from a run
folder)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import torch

#: Node type and edge type names used for homogeneous graphs (Planetoid, untyped CSV).
NODE_TYPE = "node"
EDGE_TYPE = "edge"


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
    """

    node_types: tuple
    in_feats: dict
    num_nodes: dict
    canonical_etypes: tuple
    target_type: str
    class_names: tuple
    multilabel: bool = False

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["canonical_etypes"] = [list(e) for e in self.canonical_etypes]
        d["node_types"] = list(self.node_types)
        d["class_names"] = list(self.class_names)
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
        g = self.graph
        return (
            f"{self.name}: {g.num_nodes()} nodes, {g.num_edges()} edges, "
            f"{self.num_classes} classes, split {int(self.train_mask.sum())}/"
            f"{int(self.val_mask.sum())}/{int(self.test_mask.sum())}"
        )
