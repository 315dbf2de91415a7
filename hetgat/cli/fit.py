"""``hetgat fit``: train on GRAPH and write a run folder (one library call:
:func:`hetgat.runs.fit.fit_runs`)."""

from __future__ import annotations

import signal
import sys

import click

from hetgat.cli.boundary import given_options, info, messages, model_threads, user_errors
from hetgat.cli.model_options import (
    model_config,
    model_options,
    model_values,
    train_config,
    train_options,
    train_values,
)
from hetgat.cli.options import (
    GRAPH_KEYS,
    graph_options,
    graph_source,
    name_option,
    positive,
    threads_option,
)


@click.command()
@click.argument("graph", required=False)
@graph_options
@name_option
@model_options
@train_options
@click.option(
    "--runs",
    type=positive,
    default=1,
    show_default=True,
    help="Train with seeds SEED..SEED+RUNS-1 and report mean ± population std.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=None,
    help="Run folder [default: runs/<name>-<model>-<time>].",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace an existing --out folder (only a run folder hetgat wrote).",
)
@click.option("--no-attention", is_flag=True, help="Do not write the attention table.")
@click.option(
    "--attention-format",
    type=click.Choice(("csv", "csv.gz", "parquet")),
    default="csv",
    show_default=True,
    help="The run's attention table: attention.csv, .csv.gz or .parquet (needs pyarrow).",
)
@threads_option
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Settings from a run's config.json (options given here override them); "
    "GRAPH defaults to the run's data.",
)
@click.option(
    "--checkpoint-every",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Save a checkpoint every N epochs in OUT.partial (0: only on Ctrl-C/SIGTERM).",
)
@click.option(
    "--resume",
    "resume_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Continue the interrupted run that was writing this folder (no other options).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or messages.")
@user_errors
def fit(
    graph,
    runs,
    out,
    overwrite,
    no_attention,
    attention_format,
    threads,
    config_file,
    checkpoint_every,
    resume_dir,
    quiet,
    **options,
):
    """Train a node classifier on GRAPH and write a run folder.

    GRAPH is an edge CSV file (with --nodes files), a DGL CSVDataset folder, or a named
    dataset: planetoid:cora|citeseer|pubmed, hgb:acm|dblp|imdb, han:acm,
    heco:acm|dblp|aminer|freebase (HeCo's split, 20 labels a class; heco:acm:40 or :60).

    Ctrl-C (or SIGTERM) stops at the end of the epoch and keeps a checkpoint in OUT.partial;
    `hetgat fit --resume OUT` then finishes the run exactly as if it had not stopped.
    """
    from hetgat.outputs import check_table_format
    from hetgat.runs.fit import fit_runs, read_job
    from hetgat.runs.settings import check_resume, check_seeds, default_out
    from hetgat.train import TrainingInterrupted

    messages(quiet)
    model_threads(threads)
    check_table_format(attention_format)  # before reading a possibly large GRAPH
    given = given_options(click.get_current_context())
    if resume_dir is not None:
        check_resume(sorted(given - {"resume_dir"}) + (["graph"] if graph else []))
        job = read_job(resume_dir)
        out, runs, no_attention = job["out"], job["runs"], not job["attention"]
        attention_format = job["attention_format"]
        models, training, source = job["model_config"], job["train_config"], job["source"]
        data = source.load()
    else:
        source, data, models, training = _fit_settings(graph, config_file, given, options)
    check_seeds(training.seed, runs)
    info(data.summary(), quiet)
    if out is None:
        out = default_out(data.name, models.name)
    try:
        summary = fit_runs(
            data,
            models,
            training,
            source=source,
            out=out,
            runs=runs,
            attention=not no_attention,
            attention_format=attention_format,
            overwrite=overwrite,
            progress=not quiet,
            checkpoint_every=checkpoint_every,
            resume=resume_dir is not None,
        )
    except TrainingInterrupted as stop:
        click.echo(
            f"Stopped after epoch {stop.epoch} ({signal.Signals(stop.signum).name}); the best "
            f"model so far (epoch {stop.best_epoch}) is kept in {stop.path}. Continue with: "
            f"hetgat fit --resume {out}",
            err=True,
        )
        sys.exit(128 + stop.signum)
    click.echo(summary, err=True)


def _fit_settings(graph, config_file, given, options):
    """The data source, data, model and training configuration of ``hetgat fit``."""
    import dataclasses

    from hetgat.errors import HetgatError
    from hetgat.models import resolve_config
    from hetgat.runs.settings import merge_settings, read_settings
    from hetgat.train.loop import check_device

    graph_options_given = {k: options.get(k) for k in GRAPH_KEYS}
    if config_file is None:
        if graph is None:
            raise HetgatError(
                "Missing argument 'GRAPH' (or --config RUN/config.json, or --resume RUN)."
            )
        models, training = model_config(options), train_config(options)
        check_device(training.device)  # before reading a possibly large GRAPH
    else:
        saved = read_settings(config_file)
        values = train_values(options)
        values.update({k: options[k] for k in ("seed", "device") if k in given})
        models, training = merge_settings(
            saved,
            model=options["model_name"] if "model_name" in given else None,
            model_values=model_values(options),
            train_values=values,
        )
        check_device(training.device)
        if graph is None:
            if "name" in given:  # names the saved data anew; reads it the same
                saved = dataclasses.replace(
                    saved, source=dataclasses.replace(saved.source, name=options["name"])
                )
            typed = sorted(given & set(GRAPH_KEYS) - {"name"})
            if typed:
                raise HetgatError(
                    f"--{typed[0].replace('_', '-')} changes how GRAPH is read: give GRAPH too"
                )
            data = saved.source.load()
            return saved.source, data, resolve_config(models, data), training
    source = graph_source(graph, graph_options_given)
    data = graph_source(graph, graph_options_given, absolute_paths=False).load()
    models = resolve_config(models, data)  # meta-path errors before any output
    return source, data, models, training
