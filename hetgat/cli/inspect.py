"""``hetgat inspect``: a graph's summary before training
(:func:`hetgat.insight.summary.describe`)."""

from __future__ import annotations

import click

from hetgat.cli.boundary import messages, user_errors
from hetgat.cli.options import graph_options, graph_source, name_option


@click.command()
@click.argument("graph")
@graph_options
@name_option
@click.option(
    "--metapath-length",
    type=click.Choice(("2", "4")),
    default="2",
    show_default=True,
    help="Length of the meta-paths listed for heterogeneous graphs.",
)
@click.option(
    "--featureless",
    default=None,
    help="Say what types without features get with this `fit --featureless` choice, and "
    "whether a model is then inductive for them [default: fit's].",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@user_errors
def inspect(graph, metapath_length, featureless, as_json, **options):
    """Summarise GRAPH before training: types, counts, features, labels, degrees, meta-paths.

    A graph without labels shows its structure (every count but the classes)."""
    import json

    from hetgat.insight.summary import describe, format_summary

    messages(False)
    data = graph_source(graph, options, absolute_paths=False).load(allow_unlabelled=True)
    info = describe(data, metapath_length=int(metapath_length), featureless=featureless)
    click.echo(json.dumps(info, indent=2) if as_json else format_summary(info))
