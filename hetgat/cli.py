"""The ``hetgat`` command line: a thin layer over the library.

Each command parses its options, makes one library call and writes the result. Errors a user
can fix (:class:`~hetgat.errors.HetgatError`, bad options) end as one ``Error: ...`` line on
stderr with exit code 2; ``--traceback`` or ``HETGAT_TRACEBACK=1`` re-raises them instead.
Messages go to stderr, data to files or stdout.
"""

from __future__ import annotations

import functools
import logging
import os
import signal
import sys
import time

import click

from hetgat import __version__
from hetgat.cli_options import (
    GRAPH_KEYS,
    graph_options,
    graph_source,
    model_config,
    model_options,
    model_values,
    positive,
    train_config,
    train_options,
    train_values,
)
from hetgat.errors import ConfigError


class _Group(click.Group):
    """A group whose usage errors are one ``Error:`` line (no usage dump), exit code 2."""

    def main(self, args=None, prog_name=None, **extra):
        # A terminated run unwinds like Ctrl-C, so half-built run folders are removed.
        signal.signal(signal.SIGTERM, _terminated)
        try:
            return super().main(args, prog_name, standalone_mode=False, **extra)
        except click.exceptions.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(130)
        except click.ClickException as exc:
            if _traceback_wanted():
                raise
            click.echo(f"Error: {_one_line(exc.format_message())}", err=True)
            sys.exit(exc.exit_code)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)


def _one_line(message: str) -> str:
    """``message`` with line breaks and other control characters escaped (file names and
    values may hold them), so that an error stays one line."""
    import unicodedata

    return "".join(
        repr(c)[1:-1] if c != "\t" and unicodedata.category(c) in ("Cc", "Zl", "Zp") else c
        for c in message
    )


def _terminated(signum, frame):
    raise SystemExit(128 + signum)


def _traceback_wanted() -> bool:
    return os.environ.get("HETGAT_TRACEBACK", "") not in ("", "0") or "--traceback" in sys.argv


def _user_errors(func):
    """Turn library errors into ``click.ClickException`` (exit code 2) at the CLI boundary."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from hetgat.errors import HetgatError

        try:
            return func(*args, **kwargs)
        except (HetgatError, MemoryError, RuntimeError) as exc:
            if _traceback_wanted() or not isinstance(exc, HetgatError) and not _no_memory(exc):
                raise
            message = str(exc)
            if not isinstance(exc, HetgatError):
                first = message.strip().splitlines()[0] if message.strip() else "MemoryError"
                message = (
                    f"not enough memory for this model and graph ({first}); "
                    "try smaller --hidden, --heads, --layers or --embed-dim"
                )
            error = click.ClickException(message)
            error.exit_code = 2
            raise error from None

    return wrapper


def _no_memory(exc: BaseException) -> bool:
    """Whether torch ran out of memory, or sizes overflowed its storage size (huge options)."""
    text = str(exc)
    return isinstance(exc, MemoryError) or any(
        s in text for s in ("can't allocate memory", "out of memory", "size calculation overflow")
    )


def _messages(quiet: bool) -> None:
    """Library notes (ignored columns, left-out meta-paths) to stderr unless ``quiet``."""
    logger = logging.getLogger("hetgat")
    logger.handlers[:] = []
    if not quiet:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.WARNING if quiet else logging.INFO)
    logger.propagate = False


def _info(message: str, quiet: bool = False) -> None:
    if not quiet:
        click.echo(message, err=True)


def _model_threads(threads: int | None = None) -> None:
    """Run this command's model on ``threads`` (default: as every command does, see
    :func:`hetgat._dgl.default_threads`); the caller's thread counts come back after it."""
    from hetgat._dgl import using_threads

    click.get_current_context().with_resource(using_threads(threads))


def _load(graph: str, options: dict, **extra):
    data = _load_source(graph_source(graph, options, absolute_paths=False), **extra)
    return graph_source(graph, options), data


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hetgat")
@click.option("--traceback", is_flag=True, hidden=True, help="Show Python tracebacks.")
def main(traceback: bool) -> None:
    """Graph attention networks (GAT, GATv2, HAN, relation attention, Simple-HGN) for node
    classification, with attention tables keyed by your node ids."""


@main.command()
@click.argument("graph", required=False)
@graph_options
@model_options
@train_options
@click.option(
    "--runs",
    type=positive,
    default=1,
    show_default=True,
    help="Train with seeds SEED..SEED+RUNS-1 and report mean ± std.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=None,
    help="Run folder [default: runs/<name>-<model>-<time>].",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing --out folder.")
@click.option("--no-attention", is_flag=True, help="Do not write attention.csv.")
@click.option(
    "--threads",
    type=positive,
    default=None,
    help="CPU threads for torch and DGL [default: OMP_NUM_THREADS, else the usable cores].",
)
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
@_user_errors
def fit(
    graph,
    runs,
    out,
    overwrite,
    no_attention,
    threads,
    config_file,
    checkpoint_every,
    resume_dir,
    quiet,
    **options,
):
    """Train a node classifier on GRAPH and write a run folder.

    GRAPH is an edge CSV file (with --nodes files), a DGL CSVDataset folder, or a named
    dataset: planetoid:cora|citeseer|pubmed, hgb:acm|dblp|imdb, han:acm.

    Ctrl-C (or SIGTERM) stops at the end of the epoch and keeps a checkpoint in OUT.partial;
    `hetgat fit --resume OUT` then finishes the run exactly as if it had not stopped.
    """
    from hetgat.checkpoint import TrainingInterrupted
    from hetgat.fitting import fit_runs

    _messages(quiet)
    _model_threads(threads)
    given = _given_options(click.get_current_context())
    if resume_dir is not None:
        job = _resume_job(resume_dir, graph, given)
        out, runs, no_attention = job["out"], job["runs"], not job["attention"]
        models, training, source = job["model_config"], job["train_config"], job["source"]
        data = _load_source(source)
    else:
        source, data, models, training = _fit_settings(graph, config_file, given, options)
    if training.seed + runs - 1 > 2**32 - 1:  # NumPy's seeds are 32-bit
        raise ConfigError(
            "--runs", runs, f"at most {2**32 - training.seed} with --seed {training.seed}"
        )
    _info(data.summary(), quiet)
    if out is None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        out = os.path.join("runs", f"{data.name}-{models.name}-{stamp}")
    try:
        summary = fit_runs(
            data,
            models,
            training,
            source=source,
            out=out,
            runs=runs,
            attention=not no_attention,
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


def _given_options(ctx) -> set:
    """The options the user typed (not defaults)."""
    from click.core import ParameterSource

    return {
        name
        for name in ctx.params
        if ctx.get_parameter_source(name) not in (ParameterSource.DEFAULT, None)
    }


#: fit's options that may be given with --resume (they do not change what is trained).
_RESUME_OPTIONS = {"threads", "quiet", "checkpoint_every", "resume_dir"}


def _resume_job(resume_dir, graph, given) -> dict:
    from hetgat.errors import HetgatError
    from hetgat.fitting import read_job

    extra = (["GRAPH"] if graph else []) + [
        "--" + name.replace("_", "-") for name in sorted(given - _RESUME_OPTIONS)
    ]
    if extra:
        raise HetgatError(f"--resume continues a run with its own settings: drop {extra[0]}")
    return read_job(resume_dir)


def _load_source(source: dict, **extra):
    """The data ``source`` names (the arguments of ``load_graph``, as run folders keep them)."""
    from hetgat.datasets import load_graph

    args = dict(source)
    return load_graph(args.pop("spec"), **args, **extra)


def _fit_settings(graph, config_file, given, options):
    """The data source, data, model and training configuration of ``hetgat fit``."""
    from hetgat.errors import HetgatError
    from hetgat.models import check_model
    from hetgat.train import resolve_config

    if config_file is None:
        if graph is None:
            raise HetgatError(
                "Missing argument 'GRAPH' (or --config RUN/config.json, or --resume RUN)."
            )
        models, training = model_config(options), train_config(options)
        source, data = _load(graph, {k: options[k] for k in GRAPH_KEYS})
    else:
        saved = _read_config(config_file)
        models, training = _override(saved, given, options)
        if graph is None:
            typed = sorted(given & set(GRAPH_KEYS))
            if typed:
                raise HetgatError(
                    f"--{typed[0].replace('_', '-')} changes how GRAPH is read: give GRAPH too"
                )
            source, data = saved["source"], _load_source(saved["source"])
        else:
            source, data = _load(graph, {k: options[k] for k in GRAPH_KEYS})
    check_model(models, data.schema())
    models = resolve_config(models, data)  # meta-path errors before any output
    return source, data, models, training


def _read_config(path) -> dict:
    """``source``, ``model`` and ``train`` of a run's config.json, validated."""
    import json

    from hetgat.config import ModelConfig, TrainConfig, from_dict
    from hetgat.errors import DataFormatError

    try:
        with open(path, encoding="utf-8") as fh:
            saved = json.load(fh)
        return {
            "source": dict(saved["source"]),
            "model": from_dict(ModelConfig, saved["model"]),
            "train": from_dict(TrainConfig, saved["train"]),
        }
    except FileNotFoundError:
        raise DataFormatError(path, "file not found") from None
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise DataFormatError(path, f"not a run configuration ({exc})") from None


def _override(saved: dict, given: set, options: dict):
    """The saved model and training configuration with the options the user typed.

    Another ``--model`` than the saved one starts from that model's defaults.
    """
    import dataclasses

    if "model_name" in given and options["model_name"] != saved["model"].name:
        return model_config(options), train_config(options)
    models = dataclasses.replace(saved["model"], **model_values(options))
    values = train_values(options)
    values.update({k: options[k] for k in ("seed", "device") if k in given})
    return models, dataclasses.replace(saved["train"], **values)


def _check_output(run, graph, options, output, overwrite) -> None:
    """Refuse an output file that exists (unless --overwrite), or is the run's or an input."""
    from hetgat.datasets import input_paths
    from hetgat.io import check_output_file

    inputs = input_paths(graph_source(graph, options)) if graph is not None else []
    check_output_file(output, overwrite, protected=(*run.protected_paths(), *inputs))


def _run_data(run, graph, options):
    """The run's own data, or GRAPH read with the given options against the run's schema."""
    if graph is None:
        return run.load_data()
    return run.load_data(**graph_source(graph, options))


@main.command()
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.argument("graph", required=False)
@graph_options
@click.option(
    "-o",
    "--output",
    default="-",
    show_default=True,
    help="Output file (.csv, .csv.gz, .parquet) or - for stdout.",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@_user_errors
def predict(run_dir, graph, output, overwrite, **options):
    """Predictions of a saved run for every node of the target type.

    Without GRAPH, the run's training data is read again; with GRAPH (and its options), another
    graph of the same schema, e.g. after new labels or features arrived.
    """
    from hetgat.attention import write_table
    from hetgat.run import load_run, run_predictions

    _messages(output == "-")
    _model_threads()
    run = load_run(run_dir)
    _check_output(run, graph, options, output, overwrite)
    write_table([run_predictions(run, _run_data(run, graph, options))], output)


@main.command()
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.argument("graph", required=False)
@graph_options
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
    help="HAN/RGAT: write the semantic attention instead: per layer and type "
    "(mean), or every node's own weights (nodes).",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@_user_errors
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
    **options,
):
    """Recompute a saved run's attention (eval mode) and write it as a table.

    One row per edge, layer and head: layer, head, edge_type, src_type, src, dst_type, dst,
    attention. GAT, GATv2, HAN and RGAT: the attention sums to 1 for every (layer, head,
    edge_type, dst); Simple-HGN: for every (layer, head, dst) over all edge types.
    """
    from hetgat.attention import write_table
    from hetgat.run import load_run, run_attention, run_semantic

    _messages(output == "-")
    _model_threads()
    run = load_run(run_dir)
    _check_output(run, graph, options, output, overwrite)
    data = _run_data(run, graph, options)
    if semantic:
        frames = run_semantic(run, data, per_node=semantic == "nodes")
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
    rows = write_table(frames, output)
    if output != "-":
        _info(f"{rows} rows -> {output}")


@main.command()
@click.argument("graph")
@graph_options
@click.option(
    "--metapath-length",
    type=click.Choice(("2", "4")),
    default="2",
    show_default=True,
    help="Length of the meta-paths listed for heterogeneous graphs.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@_user_errors
def inspect(graph, metapath_length, as_json, **options):
    """Summarise GRAPH before training: types, counts, features, labels, degrees, meta-paths."""
    import json

    from hetgat.summary import describe, format_summary

    _messages(False)
    _, data = _load(graph, options)
    info = describe(data, metapath_length=int(metapath_length))
    click.echo(json.dumps(info, indent=2) if as_json else format_summary(info))


# Commands in their own modules (imported here, after the helpers they use are defined).
from hetgat.cli_partition import partition  # noqa: E402

main.add_command(partition)
import hetgat.cli_plot  # noqa: E402, F401  (registers plot, explain, report on main)

if __name__ == "__main__":
    main()
