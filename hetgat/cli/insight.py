"""``hetgat plot``, ``hetgat explain`` and ``hetgat report``: seeing what a run's model learned.

Heavy imports (torch, matplotlib) happen inside the commands so ``hetgat --help`` stays
instant.
"""

from __future__ import annotations

import click

from hetgat.cli.boundary import info, messages, model_threads, user_errors
from hetgat.cli.options import positive, threads_option, unseen_nodes_option
from hetgat.insight.projection import TSNE_MAX_POINTS

EMBEDDING = click.Choice(("auto", "tsne", "pca"))


def picture_options(func):
    """How the embedding picture is projected (plot, report)."""
    func = click.option(
        "--max-points",
        type=positive,
        default=TSNE_MAX_POINTS,
        show_default=True,
        help="Most labelled nodes in the embedding picture (a seeded sample).",
    )(func)
    return click.option(
        "--embedding",
        type=EMBEDDING,
        default="auto",
        show_default=True,
        help="Projection of the last hidden layer: t-SNE, PCA, or auto (t-SNE up to "
        f"{TSNE_MAX_POINTS} nodes).",
    )(func)


@click.command()
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder for the pictures [default: RUN_DIR/plots].",
)
@click.option("--svg", is_flag=True, help="Also write each picture as SVG.")
@picture_options
@click.option("--overwrite", is_flag=True, help="Replace existing pictures in --out.")
@threads_option
@click.option("-q", "--quiet", is_flag=True, help="No messages.")
@user_errors
def plot(run_dir, out, svg, embedding, max_points, overwrite, threads, quiet):
    """Draw pictures of what a saved run's model learned (PNG).

    Training curves; the last hidden layer (t-SNE or PCA) before and after training, coloured
    by true class; test accuracy by in-degree; attention entropy per node against uniform
    attention, per layer and head; HAN/RGAT: semantic attention per meta-path or relation
    (HGT: each relation's share of the attention), flagged where it stays near uniform or
    changes between seeds. A --runs folder: its best seed. Needs the plot extra:
    pip install 'hetgat[plot]'.
    """
    from hetgat.insight.plots import write_plots

    messages(quiet)
    model_threads(threads)
    paths = write_plots(
        run_dir, out, svg=svg, embedding=embedding, max_points=max_points, overwrite=overwrite
    )
    for path in paths:
        info(str(path), quiet)


@click.command()
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.argument("node_id")
@click.option(
    "--top-k",
    type=positive,
    default=10,
    show_default=True,
    help="Neighbours listed per layer, head and edge type.",
)
@click.option("--mean-heads", is_flag=True, help="Average the heads.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@unseen_nodes_option
@threads_option
@user_errors
def explain(run_dir, node_id, top_k, mean_heads, as_json, unseen_nodes, threads):
    """Show why a saved run's model predicted what it did for node NODE_ID.

    Prints the prediction and, per layer, head and edge type (meta-path for HAN), the
    neighbours with the highest attention, each against uniform attention (1/in-edges), with
    their labels and predictions; HAN/RGAT: also the node's own meta-path / relation weights.
    A --runs folder: its best seed.
    """
    import json

    from hetgat.insight.explain import explain_node, format_explanation
    from hetgat.runs.seeds import load_run_or_best

    messages(False)
    model_threads(threads)
    run = load_run_or_best(run_dir, unseen_nodes=unseen_nodes)
    found = explain_node(run, node_id, top_k=top_k, mean_heads=mean_heads)
    click.echo(json.dumps(found, indent=2) if as_json else format_explanation(found))


@click.command()
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    default=None,
    help="HTML file [default: RUN_DIR/report.html].",
)
@click.option(
    "--top-edges",
    type=positive,
    default=20,
    show_default=True,
    help="Edges listed per layer (those attended most above uniform).",
)
@picture_options
@click.option("--overwrite", is_flag=True, help="Replace an existing --out file.")
@unseen_nodes_option
@threads_option
@click.option("-q", "--quiet", is_flag=True, help="No messages.")
@user_errors
def report(run_dir, out, top_edges, embedding, max_points, overwrite, unseen_nodes, threads, quiet):
    """Write one self-contained HTML page about a saved run.

    Configuration, metrics, the pictures of `hetgat plot` (inline; the embedding's points
    that plot kept are reused) and the edges attended most above uniform; it opens offline in
    any browser. A --runs folder: its best seed. Needs the plot extra: pip install
    'hetgat[plot]'.
    """
    from hetgat.insight.report import write_report

    messages(quiet)
    model_threads(threads)
    path = write_report(
        run_dir,
        out,
        top=top_edges,
        embedding=embedding,
        max_points=max_points,
        overwrite=overwrite,
        unseen_nodes=unseen_nodes,
    )
    info(str(path), quiet)
