"""``hetgat launch`` and ``hetgat dist-fit``: distributed training on DistDGL.

``hetgat launch PARTS/NAME.json -- FIT_OPTIONS`` starts the job (library call:
:func:`hetgat.distributed.launch.launch`); each of its processes is ``hetgat dist-fit
PARTS/NAME.json FIT_OPTIONS`` (:func:`hetgat.distributed.fit.dist_fit`), a graph server or a
trainer as its environment says. See ``docs/distributed.md``.
"""

from __future__ import annotations

import click

from hetgat.cli.boundary import info, messages, model_threads, user_errors
from hetgat.cli.model_options import model_config, model_options, train_config, train_options
from hetgat.config import MAX_THREADS


@click.command("dist-fit")
@click.argument("part_config", metavar="PARTS/NAME.json")
@model_options
@train_options
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=None,
    help="Run folder (written by rank 0) [default: runs/<name>-<model>-<time>].",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing --out run folder.")
@click.option("--no-attention", is_flag=True, help="Do not write attention.csv.")
@click.option(
    "--threads",
    type=click.IntRange(1, MAX_THREADS),
    default=None,
    help="CPU threads of this process [default: OMP_NUM_THREADS, else the usable cores].",
)
@click.option("-q", "--quiet", is_flag=True, help="No messages.")
@user_errors
def dist_fit(part_config, out, overwrite, no_attention, threads, quiet, **options):
    """One process of a distributed training job on the partitions PARTS/NAME.json (written by
    `hetgat partition`): a graph server or a trainer, as the environment that `hetgat launch`
    sets says. Takes `hetgat fit`'s model and training options; training is mini-batch
    (--batch-size, default 1024; --fanouts). Rank 0 writes the run folder.
    """
    from hetgat.distributed.fit import dist_fit as run

    messages(quiet)
    model_threads(threads)
    summary = run(
        part_config,
        model_config(options),
        _dist_train_config(options),
        out=out,
        attention=not no_attention,
        overwrite=overwrite,
    )
    if summary:
        info(summary, quiet)


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("part_config", metavar="PARTS/NAME.json")
@click.argument("fit_args", nargs=-1, type=click.UNPROCESSED, metavar="-- FIT_OPTIONS")
@click.option(
    "--local",
    is_flag=True,
    help="Every process on this machine (127.0.0.1, free ports): one graph server per part.",
)
@click.option(
    "--ip-config",
    type=click.Path(dir_okay=False),
    default=None,
    help="Machines, one 'IP [PORT]' a line (line i serves part i); processes start over ssh.",
)
@click.option(
    "--trainers",
    type=click.IntRange(min=1),
    default=None,
    help="Trainers in total, spread over the parts [default: one per part].",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Stop the whole job after this many seconds [default: no limit].",
)
@user_errors
def launch(part_config, fit_args, local, ip_config, trainers, timeout):
    """Run distributed training on the partitions PARTS/NAME.json (written by `hetgat
    partition`): start the graph servers and the trainers, each `hetgat dist-fit PARTS/NAME.json
    FIT_OPTIONS`, wait for them and exit 0 once the run folder is written.

    \b
    hetgat launch --local --trainers 2 parts/cora/cites.json -- --model gat --out run-dist

    If a process fails, every other is stopped and nothing is written; so on Ctrl-C.
    """
    from hetgat.distributed.launch import launch as run_launch
    from hetgat.errors import HetgatError

    if local == (ip_config is not None):
        raise HetgatError("give one of --local (this machine) or --ip-config FILE (ssh)")
    fit_args = [a for a in fit_args if a != "--"]
    options = _parse_fit(part_config, fit_args)
    messages(False)
    out = run_launch(
        part_config,
        fit_args,
        model_config(options),
        _dist_train_config(options),
        out=options["out"],
        overwrite=options["overwrite"],
        trainers=trainers,
        ip_config=ip_config,
        timeout_s=timeout,
    )
    info(f"run folder: {out}")


def _dist_train_config(options: dict):
    """The training configuration; distributed training is mini-batch, so ``batch_size`` has
    a default here."""
    from hetgat.distributed.fit import BATCH_SIZE

    if options["batch_size"] is None:
        options = {**options, "batch_size": BATCH_SIZE}
    return train_config(options)


def _parse_fit(part_config: str, fit_args: list) -> dict:
    """``hetgat dist-fit``'s options as parsed (usage errors now, before any process starts)."""
    from hetgat.errors import HetgatError

    try:
        ctx = dist_fit.make_context("dist-fit", [part_config, *fit_args], resilient_parsing=False)
    except click.exceptions.Exit:
        raise HetgatError("FIT_OPTIONS: --help is `hetgat dist-fit --help`") from None
    except click.UsageError as exc:
        raise HetgatError(f"in the options after --: {exc.format_message()}") from None
    return ctx.params
