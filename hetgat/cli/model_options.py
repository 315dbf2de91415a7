"""The model and training option groups of ``hetgat fit``, and the configurations they build.

Model names and every model's own defaults come from the registry
(:data:`hetgat.config.MODEL_SPECS`), help texts included; nothing here imports torch.
"""

from __future__ import annotations

import click

from hetgat.cli.options import Fanouts, apply_options, positive, probability
from hetgat.config import (
    EARLY_STOPPING_RULES,
    FUSIONS,
    MAX_HOPS,
    MAX_LABEL_HOPS,
    MAX_LAYERS,
    MODEL_NAMES,
    MODEL_SPECS,
    PATH_NORMS,
    model_default,
)


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


def model_options(func):
    """The architecture; unset options take the chosen model's own defaults."""
    return apply_options(
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
                "--hops",
                type=click.IntRange(0, MAX_HOPS),
                help="sehgnn: longest relation path whose mean-aggregated features are "
                f"pre-computed {defaults('hops')}.",
            ),
            click.option(
                "--path-relations",
                metavar="REL,REL,...",
                help="sehgnn: the relations its paths (features and label paths) may take, "
                "names as `hetgat inspect` lists them [default: all].",
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
            click.option(
                "--label-hops",
                type=click.IntRange(0, MAX_LABEL_HOPS),
                help="Leak-free label input: the training labels of each node's neighbours over "
                "this many hops, as features, propagated so that no training node sees its own; "
                f"0: off {defaults('label_hops')}.",
            ),
            click.option(
                "--label-partitions",
                type=click.IntRange(2),
                help="With --label-hops: a training node's input comes from the training labels "
                f"outside its own of this many random parts {defaults('label_partitions')}.",
            ),
            click.option(
                "--label-form",
                type=click.Choice(("hops", "paths")),
                help="With --label-hops: one input per hop over the whole graph (hops), or one "
                "per relation path from the target back to it, each node's walks back to "
                f"itself left out (paths: SeHGNN's label features) {defaults('label_form')}.",
            ),
            click.option(
                "--task-head",
                type=click.Choice(("hetgat", "sehgnn")),
                help="sehgnn: the MLP after the fusion, hetgat's (layer norm) or SeHGNN's (batch "
                "norm, residual hidden layers for multi-label tasks, normalised class scores) "
                f"{defaults('task_head')}.",
            ),
            click.option(
                "--input-drop",
                type=click.FloatRange(0, 1, max_open=True),
                help="sehgnn: dropout on each path's projection (SeHGNN's input dropout) "
                "instead of --dropout on the raw inputs.",
            ),
            click.option(
                "--path-norm",
                type=click.Choice(PATH_NORMS),
                help="sehgnn: layer norm over each path's embedding (path), or over all of a "
                "node's path embeddings at once (node: SeHGNN's) "
                f"{defaults('path_norm')}.",
            ),
            click.option(
                "--featureless",
                help="Inputs of node types without features (or left out by --input-features): "
                "embedding (learned per node, --embed-dim; transductive), or random (fixed, "
                "keyed by node id, --embed-dim columns), propagated (each relation's mean of "
                "the neighbours' inputs), degree (per relation), joined by + (e.g. "
                f"random+degree; inductive) {defaults('featureless')}.",
            ),
        ],
    )


def model_config(options: dict):
    from hetgat.config import ModelConfig

    return ModelConfig.for_model(options["model_name"], **model_values(options))


def model_values(options: dict) -> dict:
    """The ModelConfig fields the model options set (unset options are None), by the
    library's one mapping (:func:`hetgat.runs.options.model_values`)."""
    from hetgat.runs.options import model_values as values_of

    return values_of(options["model_name"], options)


def train_options(func):
    """Training; unset options take the chosen model's own defaults."""
    return apply_options(
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
            click.option(
                "--correct-smooth",
                "correct_smooth",
                type=float,
                metavar="ALPHA",
                help="Correct and Smooth (Huang et al. 2021) after the model: the training "
                "labels propagated over the target type's relations correct and smooth the "
                "predicted probabilities of every target node, ALPHA the weight of the "
                "neighbours in [0, 1); metrics and predictions are the smoothed ones; 0 = off "
                "[default: on a single-label task whose target type has no features of its "
                "own (none given, or --input-features none), 0.95 tried after training and kept "
                "where it raises the validation accuracy; else off].",
            ),
            click.option(
                "--class-mass/--no-class-mass",
                "class_mass",
                default=None,
                help="With Correct and Smooth on a single-label task, scale each class's "
                "predicted mass over the unlabelled target nodes to its share of the training "
                "labels (Zhu et al. 2003): more macro-F1, less accuracy where balanced training "
                "labels meet unbalanced classes [default: on where the training labels are a "
                "quota per class (counts within one of each other)].",
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
    defaults of their own), by the library's one mapping."""
    from hetgat.runs.options import train_values as values_of

    return {k: v for k, v in values_of(options).items() if k not in ("seed", "device")}
