"""Node classifiers. :data:`MODELS` maps a ``--model`` name to its class."""

from __future__ import annotations

import inspect

from hetgat.errors import ConfigError
from hetgat.models.gat import GAT
from hetgat.models.gatv2 import GATv2
from hetgat.models.han import HAN
from hetgat.models.inputs import NodeClassifier, NodeInputs
from hetgat.models.rgat import RGAT
from hetgat.models.simplehgn import SimpleHGN

MODELS = {"gat": GAT, "gatv2": GATv2, "han": HAN, "rgat": RGAT, "simplehgn": SimpleHGN}
HETEROGENEOUS = tuple(n for n, c in MODELS.items() if getattr(c, "heterogeneous", False))


def check_model(config, schema) -> None:
    """Raise :class:`ConfigError` unless model ``config.name`` can run on ``schema``."""
    if config.name not in MODELS:
        raise ConfigError("--model", config.name, f"one of {', '.join(MODELS)}")
    heterogeneous = getattr(MODELS[config.name], "heterogeneous", False)
    if not heterogeneous and (len(schema.node_types) > 1 or len(schema.canonical_etypes) > 1):
        raise ConfigError(
            "--model",
            config.name,
            f"a heterogeneous model for a graph with several node or edge types "
            f"({', '.join(HETEROGENEOUS)})",
        )


def build_model(config, schema) -> NodeClassifier:
    """The :class:`NodeClassifier` that ``config`` describes, sized for ``schema``.

    Each model class receives the configuration values its constructor takes.
    """
    check_model(config, schema)
    cls = MODELS[config.name]
    heterogeneous = getattr(cls, "heterogeneous", False)
    inputs = NodeInputs(schema, config.embed_dim, config.input_features)
    accepted = inspect.signature(cls.__init__).parameters
    kwargs = {k: v for k, v in vars(config).items() if k in accepted and k != "name"}
    if heterogeneous:
        net = cls(schema, inputs.out_feats, **kwargs)
    else:
        net = cls(inputs.out_feats[schema.target_type], schema.num_classes, **kwargs)
    return NodeClassifier(net, inputs, schema.target_type)


__all__ = [
    "GAT",
    "GATv2",
    "HAN",
    "MODELS",
    "NodeClassifier",
    "NodeInputs",
    "RGAT",
    "SimpleHGN",
    "build_model",
]
