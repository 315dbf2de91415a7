"""Node classifiers: one model a module, one contract (:mod:`hetgat.models.base`), one registry.

The registry is :data:`hetgat.config.MODEL_SPECS` (names, networks, per-model defaults; it
imports no torch, so the command line lists it instantly); :data:`MODELS` maps each name to its
network class.
"""

from __future__ import annotations

import importlib
import inspect

from hetgat.config import MODEL_SPECS
from hetgat.datasets.path_labels import label_paths
from hetgat.errors import ConfigError
from hetgat.models.base import AttentionNet
from hetgat.models.gat import GAT
from hetgat.models.gatv2 import GATv2
from hetgat.models.han import HAN
from hetgat.models.hgt import HGT
from hetgat.models.inputs import NodeClassifier, NodeInputs
from hetgat.models.rgat import RGAT
from hetgat.models.sehgnn import SeHGNN
from hetgat.models.simplehgn import SimpleHGN


def _load(path: str) -> type[AttentionNet]:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


#: ``--model`` name -> network class, from the registry.
MODELS: dict[str, type[AttentionNet]] = {name: _load(s.path) for name, s in MODEL_SPECS.items()}
HETEROGENEOUS = tuple(n for n, c in MODELS.items() if c.heterogeneous)


def check_model(config, schema) -> None:
    """Raise :class:`ConfigError` unless model ``config.name`` can run on ``schema``."""
    if config.name not in MODELS:
        raise ConfigError("model", config.name, f"one of {', '.join(MODELS)}")
    if not MODELS[config.name].heterogeneous and (
        len(schema.node_types) > 1 or len(schema.canonical_etypes) > 1
    ):
        raise ConfigError(
            "model",
            config.name,
            f"a heterogeneous model for a graph with several node or edge types "
            f"({', '.join(HETEROGENEOUS)}), or the graph made homogeneous with `flatten`",
            params=("flatten",),
        )


def resolve_config(config, data):
    """``config`` with what depends on ``data`` filled in and checked (the model's
    :meth:`~hetgat.models.base.AttentionNet.resolve_config`: HAN's meta-paths)."""
    check_model(config, data.schema())
    return MODELS[config.name].resolve_config(config, data)


def label_width(config, schema) -> int:
    """Columns of the label input ``config`` asks for: ``C`` per hop, or per relation path
    from the target back to it (``label_form`` paths)."""
    if not config.label_hops:
        return 0
    if getattr(config, "label_form", "hops") == "paths":
        relations = getattr(config, "path_relations", None)
        paths = label_paths(schema, config.label_hops, relations)
        if not paths:  # nothing to carry the labels: an input of no columns
            raise ConfigError(
                "label_form",
                "paths",
                f"a relation path of at most `label_hops` ({config.label_hops}) edges from the "
                f"target type back to it{' over `path_relations`' if relations else ''}; "
                "there is none (use `label_form` hops, or more hops)",
                params=("label_hops", "path_relations") if relations else ("label_hops",),
            )
        return len(paths) * schema.num_classes
    return config.label_hops * schema.num_classes


def network_fields(name: str) -> frozenset:
    """The configuration fields model ``name``'s network takes: its constructor's parameters
    (what :func:`build_model` passes it; the inputs' fields are used around it)."""
    params = inspect.signature(MODELS[name].__init__).parameters
    return frozenset(params) - {"self", "name"}


def build_model(config, schema) -> NodeClassifier:
    """The :class:`NodeClassifier` that ``config`` describes, sized for ``schema``.

    Each model class receives the configuration values its constructor takes.
    """
    check_model(config, schema)
    cls = MODELS[config.name]
    label_feats = label_width(config, schema)
    inputs = NodeInputs(
        schema, config.embed_dim, config.input_features, label_feats, config.featureless
    )
    accepted = network_fields(config.name)
    kwargs = {k: v for k, v in vars(config).items() if k in accepted}
    if cls.heterogeneous:
        net = cls(schema, inputs.out_feats, **kwargs)
    else:
        net = cls(inputs.out_feats[schema.target_type], schema.num_classes, **kwargs)
    return NodeClassifier(net, inputs, schema.target_type)


__all__ = [
    "GAT",
    "HAN",
    "HGT",
    "MODELS",
    "RGAT",
    "AttentionNet",
    "GATv2",
    "NodeClassifier",
    "NodeInputs",
    "SeHGNN",
    "SimpleHGN",
    "build_model",
    "check_model",
    "network_fields",
    "resolve_config",
]
