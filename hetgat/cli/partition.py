"""``hetgat partition``: write DGL partitions of GRAPH for distributed training (DistDGL).

The library call is :func:`hetgat.distributed.partition.partition_data`. See
``docs/distributed.md``.
"""

from __future__ import annotations

import click

from hetgat.cli.boundary import info, messages, user_errors
from hetgat.cli.options import GRAPH_KEYS, graph_options, graph_source, name_option, positive


@click.command()
@click.argument("graph")
@click.argument("out", type=click.Path(file_okay=False))
@graph_options
@click.option(
    "-k", "--parts", type=positive, required=True, help="Number of parts (one per machine)."
)
@click.option(
    "--method",
    type=click.Choice(("metis", "random")),
    default="metis",
    show_default=True,
    help="Node assignment; metis falls back to random where DGL was built without METIS.",
)
@name_option
@click.option(
    "--no-balance",
    is_flag=True,
    help="METIS: balance node counts only, not training nodes and edges too.",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing OUT folder.")
@click.option("-q", "--quiet", is_flag=True, help="No messages.")
@user_errors
def partition(graph, out, parts, method, no_balance, overwrite, quiet, **options):
    """Partition GRAPH into K parts in the folder OUT for DGL's distributed training.

    OUT holds DGL's partition files (NAME.json, part0/, part1/, ...) that
    dgl.distributed.DistGraph loads, node_ids.csv (your node ids against the partitioned
    graph's ids) and hetgat.json (the model schema). GRAPH and its options are read as by
    `hetgat fit`; --name names the data, so DistGraph(NAME, ...) and NAME.json. See
    docs/distributed.md.
    """
    from hetgat.distributed.partition import check_out, partition_data

    source = graph_source(graph, {k: options[k] for k in GRAPH_KEYS})
    check_out(out, overwrite, source)  # before reading a possibly large GRAPH
    messages(quiet)
    data = graph_source(graph, {k: options[k] for k in GRAPH_KEYS}, absolute_paths=False).load()
    info(data.summary(), quiet)
    result = partition_data(
        data,
        out,
        parts,
        graph_name=None,  # the data's name: --name, else the dataset's own
        method=method,
        balance=not no_balance,
        overwrite=overwrite,
        source=source,
    )
    info(
        f"{result['num_parts']} parts ({result['part_method']}) -> {out}; "
        f"DistGraph({result['graph_name']!r}, part_config='{out}/{result['part_config']}')",
        quiet,
    )
