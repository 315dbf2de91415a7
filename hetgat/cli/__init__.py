"""The ``hetgat`` command line: a thin layer over the library.

Each command parses its options, makes one library call and writes the result; errors become
one ``Error: ...`` line in :mod:`hetgat.cli.boundary`, which every command module imports. The
group only adds the commands; no command module imports another. Nothing here imports torch at
import time, so ``hetgat --help`` is instant.
"""

from __future__ import annotations

import click

from hetgat import __version__
from hetgat.cli.boundary import Group
from hetgat.cli.distributed import dist_fit, launch
from hetgat.cli.fit import fit
from hetgat.cli.insight import explain, plot, report
from hetgat.cli.inspect import inspect
from hetgat.cli.partition import partition
from hetgat.cli.predict import attention, predict


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hetgat")
@click.option("--traceback", is_flag=True, hidden=True, help="Show Python tracebacks.")
def main(traceback: bool) -> None:
    """Graph attention networks (GAT, GATv2, HAN, relation attention, Simple-HGN) for node
    classification, with attention tables keyed by your node ids."""


for command in (
    fit,
    predict,
    attention,
    inspect,
    plot,
    explain,
    report,
    partition,
    launch,
    dist_fit,
):
    main.add_command(command)

if __name__ == "__main__":
    main()
