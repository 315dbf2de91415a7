"""``hetgat fit``'s job as one library call: train one or several seeds, write run folders."""

from __future__ import annotations

import dataclasses
import json
import statistics
from pathlib import Path

from hetgat.config import ModelConfig, TrainConfig, to_dict
from hetgat.data import GraphData
from hetgat.datasets.source import DataSource
from hetgat.errors import DataFormatError, HetgatError
from hetgat.outputs import (
    FORMATS,
    check_table_format,
    has_checkpoint,
    partial_dir,
    staged_dir,
    write_json,
)
from hetgat.runs.checksums import check_unchanged, read_recorded, record_inputs
from hetgat.runs.folder import write_run
from hetgat.runs.settings import read_settings
from hetgat.train import fit
from hetgat.train.checkpoint import CHECKPOINT, Checkpoint, load_checkpoint

SUMMARY_KEYS = (
    "test_accuracy",
    "test_macro_f1",
    "test_micro_f1",
    "val_accuracy",
    "val_macro_f1",
    "val_micro_f1",
    "best_epoch",
    "epochs_run",
    "seconds_per_epoch",
)


#: The job description kept in a ``.partial`` run folder until it is complete (for resuming).
JOB = "job.json"

#: What the numbers of ``summary.json`` are: every metric hetgat writes or prints is a fraction.
UNITS = {
    "metrics": "fractions of 1 (0.8532 is 85.32 %)",
    "std": "population standard deviation over the runs (numpy.std, ddof=0)",
}


def fit_runs(
    data: GraphData,
    model_config: ModelConfig,
    train_config: TrainConfig,
    *,
    source: DataSource | dict,
    out: str | Path,
    runs: int = 1,
    attention: bool = True,
    attention_format: str = "csv",
    overwrite: bool = False,
    progress: bool = False,
    checkpoint_every: int = 0,
    resume: bool = False,
) -> str:
    """Train ``runs`` seeds and write their run folders; return a one-line summary.

    With ``runs == 1`` ``out`` is the run folder. With several, ``out`` holds one run folder
    per seed (``seed-<n>/``) and ``summary.json`` with each run's metrics and their mean and
    population standard deviation (:data:`UNITS`: metrics are fractions, here as everywhere).

    Everything is built in ``<out>.partial``: the job (``job.json``), training checkpoints
    (every ``checkpoint_every`` epochs, and when SIGINT/SIGTERM stop training), finished
    seeds. ``resume`` continues there (see :func:`read_job`): finished seeds are kept, an
    interrupted one goes on from its checkpoint, and the result equals an uninterrupted run.
    The job records the size and checksum of every input file (``input_files``), which a
    resume checks and every run folder keeps.
    """
    out, source = Path(out), DataSource.of(source)
    check_table_format(attention_format)
    staging = dict(
        kind="run" if runs == 1 else "runs", replaces=("run", "runs"), keep=source.input_paths()
    )
    with staged_dir(out, overwrite=overwrite, resume=resume, **staging) as tmp:
        if resume:
            input_files = read_job(out, check_inputs=False)["input_files"]
        else:
            input_files = record_inputs(source)
            write_json(
                tmp / JOB,
                {
                    "source": source.to_dict(),
                    "model": to_dict(model_config),
                    "train": to_dict(train_config),
                    "runs": runs,
                    "attention": attention,
                    "attention_format": attention_format,
                    "input_files": input_files,
                },
            )
        if runs == 1:
            result = _fit_one(tmp, data, model_config, train_config, checkpoint_every, progress)
            write_run(
                tmp,
                data,
                result,
                result.model_config,
                train_config,
                source=source,
                attention=attention,
                attention_format=attention_format,
                name=out,
                input_files=input_files,
            )
            (tmp / JOB).unlink()
            m = result.metrics
            return _collapse_note([m.get("one_class", [])], model_config, data.multilabel) + (
                f"{data.name} {model_config.name}: test accuracy {_shown(m['test_accuracy'])}, "
                f"macro-F1 {_shown(m['test_macro_f1'])} (best epoch {m['best_epoch']} of "
                f"{m['epochs_run']}, {m['seconds_per_epoch'] * 1000:.1f} ms/epoch) -> {out}"
            )
        per_run, collapsed = [], []
        for i in range(runs):
            config = dataclasses.replace(train_config, seed=train_config.seed + i)
            folder = tmp / f"seed-{config.seed}"
            if (folder / "metrics.json").is_file():  # finished before an interruption
                metrics = {
                    **json.loads((folder / "metrics.json").read_text()),
                    **json.loads((folder / "timing.json").read_text()),
                }
            else:
                resumable = has_checkpoint(partial_dir(folder))
                with staged_dir(folder, resume=resumable, kind="run") as sub:
                    result = _fit_one(sub, data, model_config, config, checkpoint_every, progress)
                    write_run(
                        sub,
                        data,
                        result,
                        result.model_config,
                        config,
                        source=source,
                        attention=attention,
                        attention_format=attention_format,
                        name=out / folder.name,
                        input_files=input_files,
                    )
                metrics = result.metrics
            collapsed.append(metrics.get("one_class", []))
            values = {k: _number(metrics[k]) for k in SUMMARY_KEYS}  # null (empty split): NaN
            per_run.append({"seed": config.seed, **values})
        stats = {
            k: {
                "mean": statistics.fmean(r[k] for r in per_run),
                "std": statistics.pstdev(r[k] for r in per_run),
            }
            for k in SUMMARY_KEYS
        }
        write_json(tmp / "summary.json", {"runs": per_run, **stats, "units": UNITS})
        (tmp / JOB).unlink()
    acc, f1 = stats["test_accuracy"], stats["test_macro_f1"]
    return _collapse_note(collapsed, model_config, data.multilabel) + (
        f"{data.name} {model_config.name}, {runs} runs: test accuracy "
        f"{acc['mean']:.4f} ± {acc['std']:.4f}, macro-F1 {f1['mean']:.4f} ± {f1['std']:.4f} "
        f"(mean ± population std) -> {out}"
    )


def _collapse_note(collapsed: list, model_config: ModelConfig, multilabel: bool = False) -> str:
    """A line before the summary line when a run predicts one class (one label set, for a
    multi-label task) for every validation or test node (``one_class`` in its metrics), with
    what to try; empty otherwise (the summary stays the last line)."""
    seeds = [splits for splits in collapsed if splits]
    if not seeds:
        return ""
    splits = " and ".join(
        {"val": "validation", "test": "test"}[s]
        for s in ("val", "test")
        if any(s in x for x in seeds)
    )
    who = "the model" if len(collapsed) == 1 else f"{len(seeds)} of {len(collapsed)} runs"
    labels = "" if model_config.label_hops else ", the label input (`label_hops` 2)"
    return (
        f"Warning: {who} predict{'s' if len(collapsed) == 1 else ''} "
        f"{'one label set' if multilabel else 'one class'} for every "
        f"{splits} node (collapsed). Try early stopping on macro-F1 (`early_stopping` "
        f"macro_f1){labels}, more dropout, another learning rate or seed.\n"
    )


def _number(value) -> float:
    return float("nan") if value is None else value


def _shown(value) -> str:
    """A metric for the summary line: 4 decimals, or ``n/a`` for an empty split's NaN."""
    value = _number(value)
    return "n/a" if value != value else f"{value:.4f}"


def _fit_one(folder, data, model_config, train_config, checkpoint_every, progress):
    """Train one seed, checkpointing into ``folder`` and going on from a checkpoint there."""
    path = folder / CHECKPOINT
    state = load_checkpoint(path) if path.is_file() else None
    return fit(
        data,
        model_config,
        train_config,
        progress=progress,
        checkpoint=Checkpoint(path, checkpoint_every),
        resume=state,
    )


def read_job(out: str | Path, *, check_inputs: bool = True) -> dict:
    """What an interrupted ``fit_runs(out=...)`` was doing, from ``<out>.partial/job.json``.

    Returns the keyword arguments that continue it: ``out``, ``source`` (a
    :class:`~hetgat.datasets.source.DataSource`), ``model_config``, ``train_config``, ``runs``,
    ``attention``, ``attention_format`` and ``input_files``. A job whose input files changed
    since it started (size or checksum) is refused: it would finish on other data
    (``check_inputs`` False skips that check, for a caller that made it).
    """
    out = Path(out)
    if out.name.endswith(".partial"):
        out = out.with_name(out.name[: -len(".partial")])
    path = partial_dir(out) / JOB
    if not path.is_file():
        if (out / "config.json").is_file() or (out / "summary.json").is_file():
            raise HetgatError(f"{out} is complete: there is nothing to resume")
        missing = path.parent if not path.parent.is_dir() else path
        raise HetgatError(f"{out}: nothing to resume ({missing} not found)")
    settings = read_settings(path, "job description")
    try:
        runs, attention = settings.extra["runs"], settings.extra["attention"]
        attention_format = settings.extra.get("attention_format", "csv")  # older jobs: CSV
        if attention_format not in FORMATS:
            raise ValueError(f"attention_format: {attention_format!r}")
        if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
            raise ValueError(f"runs: {runs!r}")
        if not isinstance(attention, bool):
            raise ValueError(f"attention: {attention!r}")
    except (KeyError, ValueError) as exc:
        raise DataFormatError(path, f"not a valid job description ({exc})") from None
    input_files = read_recorded(settings.extra.get("input_files"), path)
    if check_inputs:
        check_unchanged(input_files, f"the job in {out}")
    return {
        "out": out,
        "source": settings.source,
        "model_config": settings.model_config,
        "train_config": settings.train_config,
        "runs": runs,
        "attention": attention,
        "attention_format": attention_format,
        "input_files": input_files,
    }
