"""``hetgat predict`` and ``hetgat attention``: a saved run's predictions and attention as
tables (one library call each: :mod:`hetgat.runs.apply`)."""

from __future__ import annotations

import click

from hetgat.cli.boundary import info, messages, model_threads, user_errors
from hetgat.cli.options import graph_options, graph_source, positive, unseen_nodes_option


def run_and_graph(func):
    """RUN_DIR, an optional GRAPH of the run's schema, how to read it, and what nodes the run
    never saw get."""
    func = unseen_nodes_option(graph_options(func))
    func = click.argument("graph", required=False)(func)
    return click.argument("run_dir", type=click.Path(file_okay=False))(func)


def _check_output(run, graph, options, output, overwrite) -> None:
    """Refuse an output file that exists (unless --overwrite), or is the run's or an input."""
    from hetgat.outputs import check_output_file

    inputs = graph_source(graph, options).input_paths() if graph is not None else []
    check_output_file(output, overwrite, protected=(*run.protected_paths(), *inputs))


def _run_data(run, graph, options):
    """The run's own data, or GRAPH read with the given options against the run's schema."""
    return run.load_data(None if graph is None else graph_source(graph, options))


@click.command()
@run_and_graph
@click.option(
    "-o",
    "--output",
    default="-",
    show_default=True,
    help="Output file (.csv, .csv.gz, .parquet) or - for stdout.",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@user_errors
def predict(run_dir, graph, output, overwrite, unseen_nodes, **options):
    """Predictions of a saved run for every node of the target type.

    Without GRAPH, the run's training data is read again; with GRAPH (and its options), another
    graph of the same schema, e.g. after new labels or features arrived.
    """
    from hetgat.outputs import write_table
    from hetgat.runs import load_run

    messages(output == "-")
    model_threads()
    run = load_run(run_dir, unseen_nodes=unseen_nodes)
    _check_output(run, graph, options, output, overwrite)
    write_table([run.predict(_run_data(run, graph, options))], output)


@click.command()
@run_and_graph
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
@click.option(
    "--semantic",
    type=click.Choice(("mean", "nodes")),
    default=None,
    help="HAN/RGAT: write the semantic attention instead (HGT: each relation's share of the "
    "attention, and its prior): per layer and type (mean), or every node's own weights (nodes).",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@user_errors
def attention(
    run_dir,
    graph,
    output,
    layers,
    heads,
    node_ids,
    top_k,
    mean_heads,
    semantic,
    overwrite,
    unseen_nodes,
    **options,
):
    """Recompute a saved run's attention (eval mode) and write it as a table.

    One row per edge, layer and head: layer, head, edge_type, src_type, src, dst_type, dst,
    attention. GAT, GATv2, HAN and RGAT: the attention sums to 1 for every (layer, head,
    edge_type, dst); Simple-HGN and HGT: for every (layer, head, dst) over all edge types.
    """
    from hetgat.outputs import write_table
    from hetgat.runs import load_run, run_attention, run_semantic
    from hetgat.tables import COLUMNS

    messages(output == "-")
    model_threads()
    run = load_run(run_dir, unseen_nodes=unseen_nodes)
    _check_output(run, graph, options, output, overwrite)
    data = _run_data(run, graph, options)
    if semantic:
        frames = run_semantic(run, data, per_node=semantic == "nodes", nodes=list(node_ids))
    else:
        frames = run_attention(
            run,
            data,
            nodes=list(node_ids),
            layers=list(layers) or None,
            heads=list(heads) or None,
            top_k=top_k,
            mean_heads=mean_heads,
        )
    rows = write_table(frames, output, None if semantic else COLUMNS)
    if output != "-":
        info(f"{rows} rows -> {output}")
