"""Node classifiers. :data:`MODELS` maps a ``--model`` name to its class."""

from __future__ import annotations

from hetgat.errors import ConfigError
from hetgat.models.gat import GAT
from hetgat.models.gatv2 import GATv2
from hetgat.models.inputs import NodeClassifier, NodeInputs

MODELS = {"gat": GAT, "gatv2": GATv2}


def build_model(config, schema) -> NodeClassifier:
    """The :class:`NodeClassifier` that ``config`` describes, sized for ``schema``."""
    if config.name not in MODELS:
        raise ConfigError("model", config.name, f"one of {', '.join(MODELS)}")
    cls = MODELS[config.name]
    heterogeneous = getattr(cls, "heterogeneous", False)
    if not heterogeneous and (len(schema.node_types) > 1 or len(schema.canonical_etypes) > 1):
        hetero = ", ".join(n for n, c in MODELS.items() if getattr(c, "heterogeneous", False))
        raise ConfigError(
            "--model",
            config.name,
            "a heterogeneous model for a graph with several node or edge types"
            + (f" ({hetero})" if hetero else ""),
        )
    inputs = NodeInputs(schema, config.embed_dim)
    kwargs = {k: v for k, v in vars(config).items() if k not in ("name", "embed_dim")}
    if heterogeneous:
        net = cls(schema, inputs.out_feats, **kwargs)
    else:
        net = cls(inputs.out_feats[schema.target_type], schema.num_classes, **kwargs)
    return NodeClassifier(net, inputs, schema.target_type)


__all__ = ["GAT", "GATv2", "MODELS", "NodeClassifier", "NodeInputs", "build_model"]
