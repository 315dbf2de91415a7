"""``hetgat plot``, ``hetgat explain`` and ``hetgat report``: seeing what a run's model learned.

Heavy imports (torch, matplotlib) happen inside the commands so ``hetgat --help`` stays
instant.
"""

from __future__ import annotations

import click

from hetgat.cli.boundary import info, messages, model_threads, user_errors
from hetgat.cli.options import positive

EMBEDDING = click.Choice(("auto", "tsne", "pca"))


def picture_options(func):
    """How the embedding picture is projected (plot, report)."""
    func = click.option(
        "--max-points",
        type=positive,
        default=3000,
        show_default=True,
        help="Most labelled nodes in the embedding picture (a seeded sample).",
    )(func)
    return click.option(
        "--embedding",
        type=EMBEDDING,
        default="auto",
        show_default=True,
        help="Projection of the last hidden layer: t-SNE, PCA, or auto (t-SNE up to 3000 nodes).",
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
@click.option("-q", "--quiet", is_flag=True, help="No messages.")
@user_errors
def plot(run_dir, out, svg, embedding, max_points, overwrite, quiet):
    """Draw pictures of what a saved run's model learned (PNG).

    Training curves; the last hidden layer (t-SNE or PCA) before and after training, coloured
    by true class; test accuracy by in-degree; attention entropy per node against uniform
    attention, per layer and head; HAN/RGAT: semantic attention per meta-path or relation
    (HGT: each relation's share of the attention).
    Needs the plot extra: pip install 'hetgat[plot]'.
    """
    from hetgat.insight.plots import write_plots

    messages(quiet)
    model_threads()
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
@user_errors
def explain(run_dir, node_id, top_k, mean_heads, as_json):
    """Show why a saved run's model predicted what it did for node NODE_ID.

    Prints the prediction and, per layer, head and edge type (meta-path for HAN), the
    neighbours with the highest attention, with their labels and predictions.
    """
    import json

    from hetgat.insight.explain import explain_node, format_explanation
    from hetgat.runs import load_run

    messages(False)
    model_threads()
    found = explain_node(load_run(run_dir), node_id, top_k=top_k, mean_heads=mean_heads)
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
    help="Most attended edges listed per layer.",
)
@picture_options
@click.option("--overwrite", is_flag=True, help="Replace an existing --out file.")
@click.option("-q", "--quiet", is_flag=True, help="No messages.")
@user_errors
def report(run_dir, out, top_edges, embedding, max_points, overwrite, quiet):
    """Write one self-contained HTML page about a saved run.

    Configuration, metrics, the pictures of `hetgat plot` (inline) and the most attended
    edges; it opens offline in any browser. Needs the plot extra: pip install 'hetgat[plot]'.
    """
    from hetgat.insight.report import write_report

    messages(quiet)
    model_threads()
    path = write_report(
        run_dir,
        out,
        top=top_edges,
        embedding=embedding,
        max_points=max_points,
        overwrite=overwrite,
    )
    info(str(path), quiet)
