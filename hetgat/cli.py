"""The ``hetgat`` command line: a thin layer over the library.

Each command parses its options, makes one library call and writes the result. Errors a user
can fix (:class:`~hetgat.errors.HetgatError`, bad options) end as one ``Error: ...`` line on
stderr with exit code 2; ``--traceback`` or ``HETGAT_TRACEBACK=1`` re-raises them instead.
Messages go to stderr, data to files or stdout.
"""

from __future__ import annotations

import functools
import os
import sys
import time

import click

from hetgat import __version__

MODEL_NAMES = ("gat", "gatv2")


class _Group(click.Group):
    """A group whose usage errors are one ``Error:`` line (no usage dump), exit code 2."""

    def main(self, args=None, prog_name=None, **extra):
        try:
            return super().main(args, prog_name, standalone_mode=False, **extra)
        except click.exceptions.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(130)
        except click.ClickException as exc:
            if _traceback_wanted():
                raise
            click.echo(f"Error: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)


def _traceback_wanted() -> bool:
    return os.environ.get("HETGAT_TRACEBACK", "") not in ("", "0") or "--traceback" in sys.argv


def _user_errors(func):
    """Turn library errors into ``click.ClickException`` (exit code 2) at the CLI boundary."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from hetgat.errors import HetgatError

        try:
            return func(*args, **kwargs)
        except HetgatError as exc:
            if _traceback_wanted():
                raise
            error = click.ClickException(str(exc))
            error.exit_code = 2
            raise error from None

    return wrapper


def _info(message: str, quiet: bool = False) -> None:
    if not quiet:
        click.echo(message, err=True)


positive = click.IntRange(min=1)
probability = click.FloatRange(0.0, 1.0, max_open=True)


class _TypedPath(click.ParamType):
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


class _Ratio(click.ParamType):
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


def graph_options(func):
    """Options that say how GRAPH is read (shared by fit, predict, attention, inspect)."""
    options = [
        click.option(
            "--nodes",
            "nodes",
            multiple=True,
            type=_TypedPath(),
            help="CSV graphs: node file (id, label, split, features), repeatable.",
        ),
        click.option(
            "--features",
            "features",
            multiple=True,
            type=_TypedPath(),
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
            type=_Ratio(),
            default="0.6,0.2,0.2",
            show_default=True,
            help="Stratified split when the node file has no split column.",
        ),
        click.option(
            "--split-seed",
            type=click.IntRange(min=0),
            default=0,
            show_default=True,
            help="Seed of that split.",
        ),
        click.option(
            "--data-dir",
            type=click.Path(file_okay=False),
            default=None,
            help="Named datasets: folder with the files [default: $HETGAT_DATA/...].",
        ),
        click.option(
            "--normalize/--no-normalize",
            "normalize",
            default=None,
            help="Row-normalise features [default: on for Planetoid, off for CSV].",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _abs(path):
    return None if path is None else os.path.abspath(path)


def _source(
    graph,
    nodes,
    features,
    target,
    no_reverse,
    directed,
    split_ratio,
    split_seed,
    data_dir,
    normalize,
) -> dict:
    """The arguments of ``load_graph``, paths made absolute so a run folder can reload them."""
    is_path = os.path.exists(graph) or graph.endswith((".csv", ".tsv", ".gz"))
    return {
        "spec": _abs(graph) if is_path else graph,
        "data_dir": _abs(data_dir),
        "nodes": [[t, _abs(p)] for t, p in nodes],
        "features": [[t, _abs(p)] for t, p in features],
        "target": target,
        "reverse": not no_reverse,
        "directed": directed,
        "split_ratio": list(split_ratio),
        "split_seed": split_seed,
        "normalize_features": normalize,
    }


def _load(source: dict, **extra):
    from hetgat.datasets import load_graph

    args = dict(source)
    return load_graph(args.pop("spec"), **args, **extra)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hetgat")
@click.option("--traceback", is_flag=True, hidden=True, help="Show Python tracebacks.")
def main(traceback: bool) -> None:
    """Graph attention networks (GAT, GATv2) for node classification, with attention tables."""


@main.command()
@click.argument("graph")
@graph_options
@click.option(
    "--model",
    "model_name",
    type=click.Choice(MODEL_NAMES),
    default="gat",
    show_default=True,
    help="Attention layer type.",
)
@click.option("--hidden", type=positive, default=8, show_default=True, help="Hidden size per head.")
@click.option(
    "--heads", type=positive, default=8, show_default=True, help="Heads per hidden layer."
)
@click.option(
    "--out-heads",
    type=positive,
    default=1,
    show_default=True,
    help="Heads of the output layer (averaged).",
)
@click.option(
    "--layers",
    "num_layers",
    type=positive,
    default=2,
    show_default=True,
    help="Attention layers, the output layer included.",
)
@click.option(
    "--dropout",
    type=probability,
    default=0.6,
    show_default=True,
    help="Dropout on layer inputs and on attention.",
)
@click.option(
    "--residual/--no-residual",
    default=False,
    show_default=True,
    help="Residual connections in hidden layers.",
)
@click.option(
    "--embed-dim",
    type=positive,
    default=64,
    show_default=True,
    help="Size of the learned input of node types without features.",
)
@click.option(
    "--lr",
    type=click.FloatRange(min=0, min_open=True),
    default=0.005,
    show_default=True,
    help="Adam learning rate.",
)
@click.option(
    "--weight-decay",
    type=click.FloatRange(min=0),
    default=5e-4,
    show_default=True,
    help="L2 penalty.",
)
@click.option("--epochs", type=positive, default=1000, show_default=True, help="Most epochs.")
@click.option(
    "--patience",
    type=click.IntRange(min=0),
    default=100,
    show_default=True,
    help="Early-stopping patience on validation loss and accuracy; 0 = off.",
)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option(
    "--runs",
    type=positive,
    default=1,
    show_default=True,
    help="Train with seeds SEED..SEED+RUNS-1 and report mean ± std.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=None,
    help="Run folder [default: runs/<name>-<model>-<time>].",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing --out folder.")
@click.option("--no-attention", is_flag=True, help="Do not write attention.csv.")
@click.option("--device", default="cpu", show_default=True, help="torch device, e.g. cuda:0.")
@click.option(
    "--threads",
    type=positive,
    default=None,
    help="CPU threads for torch [default: torch's choice, one per core].",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or messages.")
@_user_errors
def fit(
    graph,
    nodes,
    features,
    target,
    no_reverse,
    directed,
    split_ratio,
    split_seed,
    data_dir,
    normalize,
    model_name,
    hidden,
    heads,
    out_heads,
    num_layers,
    dropout,
    residual,
    embed_dim,
    lr,
    weight_decay,
    epochs,
    patience,
    seed,
    runs,
    out,
    overwrite,
    no_attention,
    device,
    threads,
    quiet,
):
    """Train a node classifier on GRAPH and write a run folder.

    GRAPH is an edge CSV file (with --nodes files), a DGL CSVDataset folder, or
    planetoid:cora|citeseer|pubmed.
    """
    from hetgat.config import ModelConfig, TrainConfig
    from hetgat.fitting import fit_runs

    if threads:
        import torch

        torch.set_num_threads(threads)
    model_config = ModelConfig(
        name=model_name,
        hidden=hidden,
        heads=heads,
        out_heads=out_heads,
        num_layers=num_layers,
        feat_drop=dropout,
        attn_drop=dropout,
        residual=residual,
        embed_dim=embed_dim,
    )
    train_config = TrainConfig(
        lr=lr,
        weight_decay=weight_decay,
        epochs=epochs,
        patience=patience,
        seed=seed,
        device=device,
    )
    source = _source(
        graph,
        nodes,
        features,
        target,
        no_reverse,
        directed,
        split_ratio,
        split_seed,
        data_dir,
        normalize,
    )
    data = _load(source)
    _info(data.summary(), quiet)
    if out is None:
        out = os.path.join("runs", f"{data.name}-{model_name}-{time.strftime('%Y%m%d-%H%M%S')}")
    summary = fit_runs(
        data,
        model_config,
        train_config,
        source=source,
        out=out,
        runs=runs,
        attention=not no_attention,
        overwrite=overwrite,
        progress=not quiet,
    )
    click.echo(summary, err=True)


def _run_data(run, graph, **options):
    """The run's own data, or GRAPH read with the given options against the run's schema."""
    if graph is None:
        return run.load_data()
    return run.load_data(**_source(graph, **options))


@main.command()
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.argument("graph", required=False)
@graph_options
@click.option(
    "-o",
    "--output",
    default="-",
    show_default=True,
    help="Output file (.csv, .csv.gz, .parquet) or - for stdout.",
)
@_user_errors
def predict(run_dir, graph, output, **options):
    """Predictions of a saved run for every node of the target type.

    Without GRAPH, the run's training data is read again; with GRAPH (and its options), another
    graph of the same schema, e.g. after new labels or features arrived.
    """
    from hetgat.attention import write_table
    from hetgat.run import load_run, run_predictions

    run = load_run(run_dir)
    frame = run_predictions(run, _run_data(run, graph, **options))
    write_table([frame], output)


@main.command()
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.argument("graph", required=False)
@graph_options
@click.option(
    "-o",
    "--output",
    required=True,
    help="Output file: .csv, .csv.gz or .parquet (needs pyarrow); - for stdout.",
)
@click.option(
    "--layer",
    "layers",
    type=click.IntRange(min=0),
    multiple=True,
    help="Only this layer (from 0); repeatable.",
)
@click.option(
    "--head",
    "heads",
    type=click.IntRange(min=0),
    multiple=True,
    help="Only this head (from 0); repeatable.",
)
@click.option("--node", "node_ids", multiple=True, help="Only edges into this node id; repeatable.")
@click.option(
    "--top-k",
    type=positive,
    default=None,
    help="Only the K strongest in-edges of each node (per layer, head, edge type).",
)
@click.option("--mean-heads", is_flag=True, help="Average the heads (head column = 'mean').")
@_user_errors
def attention(run_dir, graph, output, layers, heads, node_ids, top_k, mean_heads, **options):
    """Recompute a saved run's attention (eval mode) and write it as a table.

    One row per edge, layer and head: layer, head, edge_type, src_type, src, dst_type, dst,
    attention; for every (layer, head, edge_type, dst) the attention sums to 1.
    """
    from hetgat.attention import write_table
    from hetgat.run import load_run, run_attention

    run = load_run(run_dir)
    frames = run_attention(
        run,
        _run_data(run, graph, **options),
        nodes=list(node_ids),
        layers=list(layers) or None,
        heads=list(heads) or None,
        top_k=top_k,
        mean_heads=mean_heads,
    )
    rows = write_table(frames, output)
    if output != "-":
        _info(f"{rows} rows -> {output}")


@main.command()
@click.argument("graph")
@graph_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@_user_errors
def inspect(graph, as_json, **options):
    """Summarise GRAPH before training: types, counts, features, labels, degrees."""
    import json

    from hetgat.summary import describe, format_summary

    info = describe(_load(_source(graph, **options)))
    click.echo(json.dumps(info, indent=2) if as_json else format_summary(info))
