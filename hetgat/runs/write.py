"""Writing a run folder: :func:`save_run` (a complete folder, atomically) and
:func:`write_run` (its files into a folder being built).

A run folder holds ``model.pt`` (a state dict, loadable with ``weights_only=True``),
``config.json`` (configuration, data source, schema, how per-node inputs are matched, the input
files' sizes and checksums, versions), ``metrics.json``, ``history.csv``, ``predictions.csv``,
``node_ids.csv`` (the id of every node, per type, in model index order), unless turned off the
attention table (``attention.csv``, or ``.csv.gz``/``.parquet``; ``attention.top10.csv`` when
only the strongest in-edges are kept) and ``tables.json``, which says what each table holds and
whether it is complete. It is assembled as ``<name>.partial`` and renamed when complete.
"""

from __future__ import annotations

import importlib.metadata
import platform
from pathlib import Path

import pandas as pd
import torch

from hetgat import __version__
from hetgat.config import ModelConfig, TrainConfig, to_dict
from hetgat.data import GraphData
from hetgat.datasets.path_labels import label_paths
from hetgat.datasets.source import DataSource
from hetgat.outputs import atomic_path, check_table_format, staged_dir, write_json
from hetgat.runs.attention import write_attention, write_csv
from hetgat.runs.checksums import record_inputs
from hetgat.tables import (
    label_input_frame,
    node_ids_frame,
    predictions_frame,
    training_labels_frame,
)
from hetgat.train import FitResult, Smoothing, applied_alpha, predict


def versions() -> dict:
    """The versions a run was made with (DGL's when installed, without importing it)."""
    try:
        dgl_version = importlib.metadata.version("dgl")
    except importlib.metadata.PackageNotFoundError:
        dgl_version = None
    return {
        "hetgat": __version__,
        "torch": torch.__version__,
        "dgl": dgl_version,
        "python": platform.python_version(),
    }


#: Run figures that depend on the machine (in ``timing.json``, not ``metrics.json``).
TIMING_KEYS = ("seconds_per_epoch",)


def save_run(
    out: str | Path,
    data: GraphData,
    result: FitResult,
    model_config: ModelConfig,
    train_config: TrainConfig,
    *,
    source: DataSource | dict,
    attention: bool = True,
    attention_format: str = "csv",
    overwrite: bool = False,
    name: str | Path | None = None,
    outputs: tuple | None = None,
    input_files: list | None = None,
) -> Path:
    """Write a complete run folder for ``result`` into ``out`` and return its path.

    ``source`` is the :class:`~hetgat.datasets.source.DataSource` that loaded ``data`` (paths
    absolute), so ``hetgat predict`` and ``hetgat attention`` can load it again; ``overwrite``
    never removes its inputs. ``name``, ``outputs`` and ``input_files`` as for
    :func:`write_run`.
    """
    out, source = Path(out), _source(source)
    check_table_format(attention_format)
    keep = source.input_paths() if source is not None else []
    with staged_dir(out, overwrite=overwrite, kind="run", keep=keep) as tmp:
        write_run(
            tmp,
            data,
            result,
            model_config,
            train_config,
            source=source,
            attention=attention,
            attention_format=attention_format,
            name=name,
            outputs=outputs,
            input_files=input_files,
        )
    return out


def write_run(
    folder: Path,
    data: GraphData,
    result: FitResult,
    model_config: ModelConfig,
    train_config: TrainConfig,
    *,
    source: DataSource | dict,
    attention: bool = True,
    attention_format: str = "csv",
    name: str | Path | None = None,
    outputs: tuple | None = None,
    input_files: list | None = None,
) -> None:
    """Write the files of a run folder into ``folder`` (each one atomically).

    ``metrics.json`` holds the figures, which the same seed reproduces byte for byte on CPU;
    the time taken goes to ``timing.json``. ``name`` is the folder's final name, for messages.
    ``attention_format``: ``csv``, ``csv.gz`` or ``parquet`` (needs pyarrow) for the attention
    table; ``tables.json`` describes the tables written (see
    :func:`hetgat.runs.attention.write_attention`).
    ``outputs``: ``(probabilities, Attention)`` of ``result.model`` on ``data`` computed
    elsewhere (distributed inference, :mod:`hetgat.distributed`); predicted here by default.
    ``input_files``: the size and checksum of every file the data was read from, taken before
    training (:func:`hetgat.runs.checksums.record_inputs`); read here by default.

    ``config.json`` says ``"per_node_inputs": "by_id"``: what the model keeps per node is
    matched by the ids of ``node_ids.csv`` when the run meets a graph again
    (:mod:`hetgat.runs.align`).
    """
    tmp, out, source = folder, name or folder, _source(source)
    with atomic_path(tmp / "model.pt") as path:
        torch.save(result.model.state_dict(), path)
    config = {
        "source": None if source is None else source.to_dict(),
        "model": to_dict(model_config),
        "train": to_dict(train_config),
        "data": {"name": data.name},
        "schema": data.schema().to_dict(),
        "per_node_inputs": "by_id",
        "input_files": record_inputs(source) if input_files is None else input_files,
        "versions": versions(),
    }
    write_json(tmp / "config.json", config)
    figures = {k: v for k, v in result.metrics.items() if k not in TIMING_KEYS}
    empty = [s for s in ("train", "val", "test") if not bool(getattr(data, f"{s}_mask").any())]
    if empty:  # their metrics are NaN, written as null: say why
        figures["notes"] = [f"no node in the {s} split: its metrics are null" for s in empty]
    write_json(tmp / "metrics.json", figures)
    write_json(
        tmp / "timing.json", {k: result.metrics[k] for k in TIMING_KEYS if k in result.metrics}
    )
    write_csv(pd.DataFrame(result.history), tmp / "history.csv")
    write_csv(node_ids_frame(data), tmp / "node_ids.csv")
    alpha = applied_alpha(train_config.correct_smooth, result.metrics)
    probs, att = outputs or predict(
        result.model,
        data,
        train_config.device,
        get_attention=True,
        chunk_size=train_config.batch_size,
        smoothing=Smoothing.of_data(data, alpha, train_config.class_mass),
    )
    write_csv(predictions_frame(data, probs), tmp / "predictions.csv")
    if getattr(result.model.inputs, "label_input", None) is not None:
        groups = None
        if model_config.label_form == "paths":  # one group of columns per relation path
            paths = label_paths(data.schema(), model_config.label_hops, model_config.path_relations)
            groups = [p.name for p in paths]
        write_csv(label_input_frame(data, result.model.inputs, groups), tmp / "label_input.csv")
    if alpha:  # what Correct and Smooth propagates at predict
        write_csv(training_labels_frame(data), tmp / "training_labels.csv")
    tables = write_attention(tmp, data, att, attention_format, out) if attention else {}
    write_json(tmp / "tables.json", {"attention": None, **tables})


def _source(source) -> DataSource | None:
    """The run's data source; None for data given in memory (no files to read again)."""
    return None if source is None else DataSource.of(source)
