"""The options of :func:`hetgat.fit` (and of ``hetgat fit``): the flags' names, without dashes,
mapped to the fields of :class:`~hetgat.config.ModelConfig` and
:class:`~hetgat.config.TrainConfig`. The one place that mapping lives: the CLI passes its
flags through :func:`configs` too.
"""

from __future__ import annotations

import dataclasses
import difflib

from hetgat.config import ModelConfig, TrainConfig
from hetgat.errors import ConfigError, HetgatError

#: Library option (a flag of ``hetgat fit`` without its dashes) -> ModelConfig field: the
#: flags named otherwise than their fields, then every field under its own name.
MODEL_OPTIONS = {
    "layers": "num_layers",
    "slope": "negative_slope",
    "metapath": "metapaths",
    **{f.name: f.name for f in dataclasses.fields(ModelConfig) if f.name != "name"},
}
#: Library option -> TrainConfig field (the same names).
TRAIN_OPTIONS = {f.name: f.name for f in dataclasses.fields(TrainConfig)}
#: Options that set several fields or none: ``dropout`` (``feat_drop`` and, as the CLI does,
#: ``attn_drop`` except for HGT and SeHGNN, ``msg_drop`` for GAT/GATv2), ``threads`` (CPU
#: threads).
OTHER_OPTIONS = ("dropout", "threads")
#: Every option :func:`configs` takes.
OPTIONS = tuple(sorted({*MODEL_OPTIONS, *TRAIN_OPTIONS, *OTHER_OPTIONS}))


def check_names(options) -> None:
    """Refuse an option that is not one, naming the closest (``epoch`` -> ``epochs``)."""
    for name in options:
        if name not in OPTIONS:
            close = difflib.get_close_matches(name, OPTIONS, n=1, cutoff=0.6)
            hint = f"; did you mean `{close[0]}`?" if close else ""
            raise HetgatError(
                f"unknown option `{name}`{hint} (options: {', '.join(OPTIONS)})",
                params=(name, *close),
            )


def model_values(model: str, options: dict) -> dict:
    """The ModelConfig fields ``options`` set (``None`` values: unset)."""
    values = {}
    for name, value in options.items():
        if value is not None and name in MODEL_OPTIONS:
            values[MODEL_OPTIONS[name]] = value
    named = set(values)  # asked for by name (``dropout`` sets only what each model has)
    dropout = options.get("dropout")
    if dropout is not None:
        values["feat_drop"] = dropout
        # HGT's attention has no dropout (DGL's, PyG's); SeHGNN's, across paths, has none either
        if model not in ("hgt", "sehgnn"):
            values["attn_drop"] = dropout
        if model in ("gat", "gatv2"):
            values["msg_drop"] = dropout
    if "metapaths" in values:
        metapaths = values["metapaths"]
        metapaths = (metapaths,) if isinstance(metapaths, str) else tuple(metapaths)
        if metapaths:
            values["metapaths"] = metapaths
        else:  # none given (the CLI's empty --metapath): found automatically
            del values["metapaths"]
    if "path_relations" in values:  # the CLI's one comma-separated value, or a list
        relations = values["path_relations"]
        if isinstance(relations, str):
            relations = [r.strip() for r in relations.split(",")]
        values["path_relations"] = tuple(relations)
    if values.get("metapath_length") is not None:
        values["metapath_length"] = int(values["metapath_length"])
    check_model_fields(model, {k: v for k, v in values.items() if k in named})
    return values


#: ModelConfig fields every model uses: its inputs and label input are built around the
#: network (:class:`~hetgat.models.NodeInputs`, the training loop), not by it.
SHARED_FIELDS = frozenset({
    "embed_dim", "input_features", "featureless",
    "label_hops", "label_partitions", "label_form", "path_relations",
})  # fmt: skip


def check_model_fields(model: str, values: dict) -> None:
    """Refuse a field ``values`` sets that model ``model`` would ignore (``hops`` for HGT,
    ``metapaths`` for GAT): a value given and silently unused is a wrong result the user does
    not see. A model uses what its network takes (:func:`~hetgat.models.network_fields`) and
    :data:`SHARED_FIELDS`."""
    from hetgat.models import MODELS, network_fields  # imports torch

    if model not in MODELS:
        return  # ModelConfig names the unknown model
    unused = sorted(set(values) - SHARED_FIELDS - network_fields(model))
    if unused:
        field = unused[0]
        users = [name for name in MODELS if field in network_fields(name)]
        raise ConfigError(
            field,
            values[field],
            f"no value for model {model}, which does not use it (an option of "
            f"{', '.join(users) or 'no model'}: give `model` one of them or leave it out)",
            params=("model",),
        )


def train_values(options: dict) -> dict:
    """The TrainConfig fields ``options`` set (``None`` values: unset)."""
    return {k: v for k, v in options.items() if v is not None and k in TRAIN_OPTIONS}


def configs(
    model: str | ModelConfig = "gat",
    train_config: TrainConfig | None = None,
    **options,
) -> tuple[ModelConfig, TrainConfig]:
    """The configurations ``model`` and ``options`` name.

    ``model`` is a model's name (its own defaults, then ``options``) or a
    :class:`~hetgat.config.ModelConfig` (``options`` replace its fields); likewise
    ``train_config``. A misspelt option is an error naming the closest.
    """
    check_names(options)
    if isinstance(model, ModelConfig):
        name = model.name
        model_config = dataclasses.replace(model, **model_values(name, options))
    else:
        name = model
        model_config = ModelConfig.for_model(name, **model_values(name, options))
    values = train_values(options)
    if train_config is None:
        train_config = TrainConfig.for_model(name, **values)
    else:
        train_config = dataclasses.replace(train_config, **values)
    return model_config, train_config
