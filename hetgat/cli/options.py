"""Option groups shared by the ``hetgat`` commands, as decorators (sqlite-utils style): the
parameter types and how GRAPH is read (:func:`graph_options`, :func:`graph_source`). The model
and training options are :mod:`hetgat.cli.model_options`'."""

from __future__ import annotations

import os

import click

from hetgat.config import MAX_THREADS

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


def apply_options(func, options):
    for option in reversed(options):
        func = option(func)
    return func


GRAPH_KEYS = (
    "nodes",
    "features",
    "target",
    "no_reverse",
    "keep_relations",
    "directed",
    "split_ratio",
    "split_seed",
    "data_dir",
    "normalize",
    "name",
    "flatten",
)


def graph_options(func):
    """How GRAPH is read (fit, predict, attention, inspect)."""
    return apply_options(
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
                help="Heterogeneous CSV graphs: do not add rev_<relation> edges where a "
                "relation's reverse is not in the files.",
            ),
            click.option(
                "--keep-relations",
                is_flag=True,
                help="Heterogeneous CSV graphs: every relation its own edge type, as given "
                "(inverse pairs and duplicate relations not recognised).",
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
            click.option(
                "--flatten",
                is_flag=True,
                help="Heterogeneous graphs: make them one homogeneous graph (node types as "
                "one-hot features), so GAT and GATv2 can train on them.",
            ),
        ],
    )


def name_option(func):
    """``--name``: the data's name (fit, inspect, partition): one option, one meaning, the
    :class:`~hetgat.datasets.source.DataSource` parameter ``name``."""
    return click.option(
        "--name",
        default=None,
        help="The data's name: in run folder names, summaries and partitions "
        "[default: the dataset's own, e.g. the edge file's name without extensions].",
    )(func)


def unseen_nodes_option(func):
    """``--unseen-nodes``: what nodes a run never saw get, in a type whose input it learned per
    node (predict, attention, explain, report)."""
    return click.option(
        "--unseen-nodes",
        type=click.Choice(("error", "mean")),
        default="error",
        show_default=True,
        help="Nodes the run never saw, in a node type whose input it learned per node (an "
        "embedding): refuse them (error) or give them the mean learned embedding (mean).",
    )(func)


def threads_option(func):
    """``--threads``: CPU threads for the model (and t-SNE) of the command (fit, plot, explain,
    report), at most :data:`hetgat.config.MAX_THREADS`."""
    return click.option(
        "--threads",
        type=click.IntRange(1, MAX_THREADS),
        default=None,
        help="CPU threads for torch and DGL [default: OMP_NUM_THREADS, else the usable cores].",
    )(func)


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
        keep_relations=options["keep_relations"],
        directed=options["directed"],
        split_ratio=tuple(options["split_ratio"]),
        split_seed=options["split_seed"],
        normalize_features=options["normalize"],
        name=options.get("name"),
        flatten=bool(options.get("flatten")),
    )
    return source.absolute() if absolute_paths else source
