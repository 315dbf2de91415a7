"""Option groups shared by the ``hetgat`` commands, as decorators (sqlite-utils style).

Model names and every model's own defaults come from the registry
(:data:`hetgat.config.MODEL_SPECS`), help texts included; nothing here imports torch.
"""

from __future__ import annotations

import os

import click

from hetgat.config import (
    EARLY_STOPPING_RULES,
    FUSIONS,
    MAX_LAYERS,
    MODEL_NAMES,
    MODEL_SPECS,
    model_default,
)

positive = click.IntRange(min=1, max=2**31 - 1)  # larger counts and sizes overflow torch's ints
probability = click.FloatRange(0.0, 1.0, max_open=True)


class TypedPath(click.ParamType):
    """``PATH`` or ``TYPE=PATH`` (an existing ``PATH`` wins over splitting at ``=``)."""

    name = "[TYPE=]PATH"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        if "=" in value and not os.path.exists(value):
            ntype, _, path = value.partition("=")
            if not ntype or not path:
                self.fail(f"{value!r} is not PATH or TYPE=PATH", param, ctx)
            return ntype, path
        return None, value


class Ratio(click.ParamType):
    name = "TRAIN,VAL,TEST"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        try:
            parts = tuple(float(v) for v in value.split(","))
        except ValueError:
            self.fail(f"{value!r} is not three numbers like 0.6,0.2,0.2", param, ctx)
        if len(parts) != 3 or min(parts) < 0 or abs(sum(parts) - 1) > 1e-6 or parts[0] == 0:
            self.fail(f"{value!r} is not three numbers >= 0 that sum to 1, train > 0", param, ctx)
        return parts


class Fanouts(click.ParamType):
    """Comma-separated positive integers, one per layer: ``10,10``."""

    name = "N,N,..."

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        try:
            parts = tuple(int(v) for v in value.split(","))
        except ValueError:
            parts = ()
        if not parts or min(parts) < 1:
            self.fail(f"{value!r} is not integers >= 1 separated by commas, like 10,10", param, ctx)
        return parts


def defaults(field: str) -> str:
    """``[value; model value; ...]``: the default of a configuration field and the models
    whose own default differs, for help texts."""
    base = model_default(MODEL_NAMES[0], field)
    others = [
        f"{name} {model_default(name, field)}"
        for name in MODEL_NAMES
        if model_default(name, field) != base
    ]
    return "[" + "; ".join([str(base), *others]) + "]"


def _apply(func, options):
    for option in reversed(options):
        func = option(func)
    return func


GRAPH_KEYS = (
    "nodes",
    "features",
    "target",
    "no_reverse",
    "directed",
    "split_ratio",
    "split_seed",
    "data_dir",
    "normalize",
)


def graph_options(func):
    """How GRAPH is read (fit, predict, attention, inspect)."""
    return _apply(
        func,
        [
            click.option(
                "--nodes",
                multiple=True,
                type=TypedPath(),
                help="CSV graphs: node file (id, label, split, features), repeatable.",
            ),
            click.option(
                "--features",
                multiple=True,
                type=TypedPath(),
                help="CSV graphs: TYPE=PATH.npz sparse features in node-file row order.",
            ),
            click.option(
                "--target",
                default=None,
                help="Node type to classify [default: the only type with labels].",
            ),
            click.option(
                "--no-reverse",
                is_flag=True,
                help="Heterogeneous CSV graphs: do not add rev_<relation> edges.",
            ),
            click.option(
                "--directed",
                is_flag=True,
                help="Homogeneous CSV graphs: keep edges as given (default: symmetrise).",
            ),
            click.option(
                "--split-ratio",
                type=Ratio(),
                default="0.6,0.2,0.2",
                show_default=True,
                help="Stratified split when the node file has no split column.",
            ),
            click.option(
                "--split-seed",
                type=click.IntRange(min=0),
                default=0,
                show_default=True,
                help="Seed of the split (also HGB's train/val split).",
            ),
            click.option(
                "--data-dir",
                type=click.Path(file_okay=False),
                default=None,
                help="Named datasets: folder with the files [default: $HETGAT_DATA/...].",
            ),
            click.option(
                "--normalize/--no-normalize",
                default=None,
                help="Row-normalise features [default: on for Planetoid, off otherwise].",
            ),
        ],
    )


def graph_source(graph: str, options: dict, absolute_paths: bool = True):
    """The :class:`~hetgat.datasets.source.DataSource` GRAPH and its options name; paths made
    absolute (so a run folder can reload them) or kept as the user wrote them (so messages
    name the files as the user knows them)."""
    from hetgat.datasets.source import DataSource

    source = DataSource.from_argument(
        graph,
        data_dir=options["data_dir"],
        nodes=tuple(options["nodes"]),
        features=tuple(options["features"]),
        target=options["target"],
        reverse=not options["no_reverse"],
        directed=options["directed"],
        split_ratio=tuple(options["split_ratio"]),
        split_seed=options["split_seed"],
        normalize_features=options["normalize"],
    )
    return source.absolute() if absolute_paths else source


def model_options(func):
    """The architecture; unset options take the chosen model's own defaults."""
    return _apply(
        func,
        [
            click.option(
                "--model",
                "model_name",
                type=click.Choice(MODEL_NAMES),
                default="gat",
                show_default=True,
                help="; ".join(f"{n}: {s.summary}" for n, s in MODEL_SPECS.items()) + ".",
            ),
            click.option(
                "--hidden", type=positive, help=f"Hidden size per head {defaults('hidden')}."
            ),
            click.option(
                "--heads", type=positive, help=f"Heads per hidden layer {defaults('heads')}."
            ),
            click.option(
                "--out-heads",
                type=positive,
                help=f"GAT/GATv2: output-layer heads {defaults('out_heads')}.",
            ),
            click.option(
                "--layers",
                "num_layers",
                type=click.IntRange(1, MAX_LAYERS),
                help=f"Layers, the output layer included {defaults('num_layers')}.",
            ),
            click.option(
                "--dropout",
                type=probability,
                help=f"Dropout on inputs and attention {defaults('feat_drop')}.",
            ),
            click.option(
                "--residual/--no-residual",
                default=None,
                help=f"GAT/GATv2: residual connections in hidden layers {defaults('residual')}.",
            ),
            click.option(
                "--slope",
                "negative_slope",
                type=click.FloatRange(min=0),
                help=f"LeakyReLU slope of attention scores {defaults('negative_slope')}.",
            ),
            click.option(
                "--embed-dim",
                type=positive,
                help="Size of the learned input of node types without features "
                f"{defaults('embed_dim')}.",
            ),
            click.option(
                "--input-features",
                type=click.Choice(("all", "target", "none")),
                help="Which node types use their features; others learn embeddings "
                f"{defaults('input_features')}.",
            ),
            click.option(
                "--metapath",
                "metapaths",
                multiple=True,
                help="HAN: a meta-path (paper-author-paper or rel1,rel2), repeatable "
                "[default: all symmetric ones through the target type].",
            ),
            click.option(
                "--metapath-length",
                type=click.Choice(("2", "4")),
                help=f"HAN: length of the meta-paths found automatically "
                f"{defaults('metapath_length')}.",
            ),
            click.option(
                "--max-metapath-edges",
                type=positive,
                help=f"HAN: refuse meta-path graphs larger than this "
                f"{defaults('max_metapath_edges')}.",
            ),
            click.option(
                "--semantic-fusion",
                type=click.Choice(FUSIONS),
                help="HAN, rgat: semantic weights by softmax (the HAN paper's, summing to 1) "
                "or one sigmoid gate per meta-path/relation (HGB's HAN code for IMDB) "
                f"{defaults('semantic_fusion')}.",
            ),
            click.option(
                "--edge-feats",
                type=positive,
                help=f"Simple-HGN: edge-type embedding {defaults('edge_feats')}.",
            ),
            click.option(
                "--beta",
                type=click.FloatRange(0, 1),
                help=f"Simple-HGN: attention residual weight {defaults('beta')}.",
            ),
        ],
    )


def model_config(options: dict):
    from hetgat.config import ModelConfig

    return ModelConfig.for_model(options["model_name"], **model_values(options))


def model_values(options: dict) -> dict:
    """The ModelConfig fields the model options set (unset options are None)."""
    values = {
        k: options[k]
        for k in (
            "hidden",
            "heads",
            "out_heads",
            "num_layers",
            "residual",
            "negative_slope",
            "embed_dim",
            "input_features",
            "max_metapath_edges",
            "semantic_fusion",
            "edge_feats",
            "beta",
        )
        if options[k] is not None
    }
    if options["dropout"] is not None:
        values["feat_drop"] = values["attn_drop"] = options["dropout"]
        if options["model_name"] in ("gat", "gatv2"):
            values["msg_drop"] = options["dropout"]
    if options["metapaths"]:
        values["metapaths"] = tuple(options["metapaths"])
    if options["metapath_length"] is not None:
        values["metapath_length"] = int(options["metapath_length"])
    return values


def train_options(func):
    """Training; unset options take the chosen model's own defaults."""
    return _apply(
        func,
        [
            click.option(
                "--lr",
                type=click.FloatRange(min=0, min_open=True),
                help=f"Adam learning rate {defaults('lr')}.",
            ),
            click.option(
                "--weight-decay",
                type=click.FloatRange(min=0),
                help=f"L2 penalty {defaults('weight_decay')}.",
            ),
            click.option("--epochs", type=positive, help=f"Most epochs {defaults('epochs')}."),
            click.option(
                "--patience",
                type=click.IntRange(min=0),
                help=f"Epochs without improvement before stopping; 0 = off {defaults('patience')}.",
            ),
            click.option(
                "--early-stopping",
                type=click.Choice(EARLY_STOPPING_RULES),
                help="What counts as improvement and which weights are kept: validation loss "
                "or score (the GAT paper's rule), or validation loss only (HGB's) "
                f"{defaults('early_stopping')}.",
            ),
            click.option(
                "--seed", type=click.IntRange(0, 2**32 - 1), default=0, show_default=True
            ),  # NumPy's seeds are 32-bit
            click.option(
                "--device", default="cpu", show_default=True, help="torch device, e.g. cuda:0."
            ),
            click.option(
                "--batch-size",
                type=positive,
                default=None,
                help="Mini-batch training: target nodes per step on sampled neighbourhoods; "
                "inference then runs layer by layer in chunks [default: full batch].",
            ),
            click.option(
                "--fanouts",
                type=Fanouts(),
                default=None,
                help="With --batch-size: neighbours sampled per node in each layer, input "
                "layer first, e.g. 10,10 [default: all].",
            ),
        ],
    )


def train_config(options: dict):
    from hetgat.config import TrainConfig

    return TrainConfig.for_model(
        options["model_name"],
        seed=options["seed"],
        device=options["device"],
        **train_values(options),
    )


def train_values(options: dict) -> dict:
    """The TrainConfig fields the training options set, except seed and device (which have
    defaults of their own)."""
    return {
        k: options[k]
        for k in (
            "lr",
            "weight_decay",
            "epochs",
            "patience",
            "early_stopping",
            "batch_size",
            "fanouts",
        )
        if options[k] is not None
    }
