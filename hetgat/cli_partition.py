"""``hetgat partition``: write DGL partitions of GRAPH for distributed training (DistDGL).

Registered on :data:`hetgat.cli.main` at the end of ``hetgat/cli.py``; the library call is
:func:`hetgat.partition.partition_data`. See ``docs/distributed.md``.
"""

from __future__ import annotations

import functools

import click

from hetgat.cli_options import GRAPH_KEYS, graph_options, positive


def _user_errors(func):
    """``hetgat.cli._user_errors``, looked up when the command runs (``hetgat.cli`` imports
    this module at its end, so it cannot be imported here at the top)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from hetgat.cli import _user_errors

        return _user_errors(func)(*args, **kwargs)

    return wrapper


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
@click.option(
    "--name",
    "graph_name",
    default=None,
    help="Graph name for DistGraph(NAME, ...) and NAME.json [default: the data's name].",
)
@click.option(
    "--no-balance",
    is_flag=True,
    help="METIS: balance node counts only, not training nodes and edges too.",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing OUT folder.")
@click.option("-q", "--quiet", is_flag=True, help="No messages.")
@_user_errors
def partition(graph, out, parts, method, graph_name, no_balance, overwrite, quiet, **options):
    """Partition GRAPH into K parts in the folder OUT for DGL's distributed training.

    OUT holds DGL's partition files (NAME.json, part0/, part1/, ...) that
    dgl.distributed.DistGraph loads, node_ids.csv (your node ids against the partitioned
    graph's ids) and hetgat.json (the model schema). GRAPH and its options are read as by
    `hetgat fit`. See docs/distributed.md.
    """
    from hetgat.cli import _info, _load, _messages
    from hetgat.cli_options import graph_source
    from hetgat.partition import check_out, partition_data

    # Before reading a possibly large GRAPH.
    check_out(out, overwrite, graph_source(graph, {k: options[k] for k in GRAPH_KEYS}))
    _messages(quiet)
    source, data = _load(graph, {k: options[k] for k in GRAPH_KEYS})
    _info(data.summary(), quiet)
    info = partition_data(
        data,
        out,
        parts,
        graph_name=graph_name,
        method=method,
        balance=not no_balance,
        overwrite=overwrite,
        source=source,
    )
    _info(
        f"{info['num_parts']} parts ({info['part_method']}) -> {out}; "
        f"DistGraph({info['graph_name']!r}, part_config='{out}/{info['part_config']}')",
        quiet,
    )
