"""What a model needs to know about a dataset to be built, and to be rebuilt from a run folder."""

from __future__ import annotations

from dataclasses import asdict, dataclass


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
