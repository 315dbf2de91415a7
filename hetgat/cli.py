"""The ``hetgat`` command line: a thin layer over the library.

Each command parses its options, makes one library call and writes the result. Errors a user
can fix (:class:`~hetgat.errors.HetgatError`, bad options) end as one ``Error: ...`` line on
stderr with exit code 2; ``--traceback`` or ``HETGAT_TRACEBACK=1`` re-raises them instead.
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


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hetgat")
@click.option("--traceback", is_flag=True, hidden=True, help="Show Python tracebacks.")
def main(traceback: bool) -> None:
    """Graph attention networks (GAT, GATv2) for node classification, with attention tables."""


positive = click.IntRange(min=1)
probability = click.FloatRange(0.0, 1.0, max_open=True)


@main.command()
@click.argument("graph")
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
    "--data-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder with the dataset files [default: $HETGAT_DATA/<source>].",
)
@click.option("--no-normalize", is_flag=True, help="Keep raw features (default: row-normalised).")
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
    model_name,
    hidden,
    heads,
    out_heads,
    num_layers,
    dropout,
    residual,
    lr,
    weight_decay,
    epochs,
    patience,
    seed,
    runs,
    data_dir,
    no_normalize,
    out,
    overwrite,
    no_attention,
    device,
    threads,
    quiet,
):
    """Train a node classifier on GRAPH and write a run folder.

    GRAPH is planetoid:cora, planetoid:citeseer or planetoid:pubmed.
    """
    from hetgat.config import ModelConfig, TrainConfig
    from hetgat.datasets import load_graph
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
    )
    train_config = TrainConfig(
        lr=lr,
        weight_decay=weight_decay,
        epochs=epochs,
        patience=patience,
        seed=seed,
        device=device,
    )
    data = load_graph(graph, data_dir, normalize_features=not no_normalize)
    _info(data.summary(), quiet)
    if out is None:
        out = os.path.join("runs", f"{data.name}-{model_name}-{time.strftime('%Y%m%d-%H%M%S')}")
    summary = fit_runs(
        data,
        model_config,
        train_config,
        graph=graph,
        out=out,
        runs=runs,
        attention=not no_attention,
        overwrite=overwrite,
        progress=not quiet,
    )
    click.echo(summary, err=True)
