"""``hetgat dist-fit``'s job as one library call: one process of a DistDGL job.

:func:`dist_fit` serves this machine's part (``DGL_ROLE=server``) or trains as one of the job's
trainers; rank 0 then writes the run folder, the same files and figures as ``hetgat fit``
writes (:mod:`hetgat.distributed.output`), atomically (``OUT.partial`` renamed when whole).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from hetgat.config import ModelConfig, TrainConfig
from hetgat.distributed import output
from hetgat.distributed.blocks import Layout, check_supported
from hetgat.distributed.connect import (
    WHAT,
    Parts,
    check_launched,
    connect,
    role,
    serve,
    watch_parent,
)
from hetgat.distributed.inference import layerwise
from hetgat.distributed.train import train
from hetgat.errors import ConfigError, HetgatError
from hetgat.models import build_model
from hetgat.outputs import check_out_folder
from hetgat.runs.folder import save_run
from hetgat.sparse.dgl_interop import require_dgl
from hetgat.train.inference import split_metrics
from hetgat.train.loop import FitResult, probabilities, seed_everything
from hetgat.train.minibatch import check_minibatch

#: Target nodes per step when no batch size is given (distributed training is mini-batch).
BATCH_SIZE = 1024


def settle(model_config: ModelConfig, train_config: TrainConfig, parts: Parts) -> TrainConfig:
    """Check that this configuration trains on a ``DistGraph``; the training configuration
    with the default batch size filled in."""
    check_supported(model_config.name)
    if model_config.label_hops:
        raise ConfigError(
            "label_hops", model_config.label_hops, "0: the label input is not built on a DistGraph"
        )
    if model_config.featureless != "embedding":
        raise ConfigError(
            "featureless",
            model_config.featureless,
            "embedding: computed inputs of featureless types are not built on a DistGraph",
        )
    if train_config.correct_smooth is None:  # left to the data: off on a DistGraph
        train_config = dataclasses.replace(train_config, correct_smooth=0.0)
    if train_config.correct_smooth:
        raise ConfigError(
            "correct_smooth",
            train_config.correct_smooth,
            "0: Correct and Smooth is not applied on a DistGraph",
        )
    if train_config.device != "cpu":
        raise ConfigError("device", train_config.device, "cpu (trainers run on the CPU here)")
    if train_config.batch_size is None:
        train_config = dataclasses.replace(train_config, batch_size=BATCH_SIZE)
    check_minibatch(model_config, train_config)
    if parts.source is None:
        raise HetgatError(
            f"{parts.part_config.parent / 'hetgat.json'} records no data source, so a run "
            "folder could not be read back (`hetgat partition` records it)"
        )
    return train_config


def dist_fit(
    part_config: str | Path,
    model_config: ModelConfig = ModelConfig(),
    train_config: TrainConfig = TrainConfig(),
    *,
    out: str | Path | None = None,
    attention: bool = True,
    overwrite: bool = False,
) -> str | None:
    """Play this process's part in a DistDGL job on the partitions ``part_config``.

    A graph server (``DGL_ROLE=server``) serves until the trainers are done. A trainer trains
    ``model_config`` with ``train_config`` on mini-batches (``batch_size``, default
    :data:`BATCH_SIZE`) with the other trainers; rank 0 writes the run folder ``out`` and
    returns a one-line summary (the other ranks return None).

    Parameters
    ----------
    part_config : str or Path
        ``NAME.json`` of a folder written by ``hetgat partition``.
    out : str or Path
        The run folder (rank 0; required there).
    attention : bool, default True
        Write ``attention.csv`` (layer-wise attention over the whole graph).
    overwrite : bool, default False
        Replace an existing run folder ``out``.
    """
    require_dgl(WHAT)
    watch_parent()
    parts = Parts.read(part_config)
    if role() == "server":
        serve(part_config)
        return None
    check_launched()
    train_config = settle(model_config, train_config, parts)
    rank = int(os.environ.get("RANK", "0"))
    keep = parts.source.input_paths()
    if rank == 0:
        if out is None:
            raise ConfigError("out", None, "a run folder to write")
        check_out_folder(Path(out), overwrite, ("run",), keep)  # before any training
    seed_everything(train_config.seed)
    model = build_model(model_config, parts.schema)
    with connect(parts) as session:
        layout = Layout.of(session.graph, model_config.name)
        seed_everything(train_config.seed + session.rank)  # own dropout and shuffles
        inputs, stopper, history, seconds = train(
            session, model, layout, model_config, train_config
        )
        logits, att = layerwise(
            session, model.net, layout, inputs.rows, train_config.batch_size, attention
        )
        if session.rank != 0:
            return None
        data, index = output.run_data(session, layout)
        output.fill_embeddings(model, inputs, index)
    target = parts.schema.target_type
    probs = output.probabilities_in_order(
        probabilities(logits, parts.schema.multilabel), index, target
    )
    record = output.attention_record(data, layout, index, att) if attention else None
    metrics = split_metrics(probs, data)
    metrics.update(
        best_epoch=stopper.best_epoch,
        epochs_run=len(history),
        seconds_per_epoch=seconds / len(history),
        correct_smooth=0.0,  # refused above on a DistGraph; recorded as fit records it
    )
    model.eval()
    result = FitResult(model=model, metrics=metrics, history=history, model_config=model_config)
    save_run(
        out,
        data,
        result,
        model_config,
        train_config,
        source=parts.source,
        attention=attention,
        overwrite=overwrite,
        name=out,
        outputs=(probs, record),
    )
    m = metrics
    return (
        f"{data.name} {model_config.name} ({session.world_size} trainers, {parts.num_parts} "
        f"parts): test accuracy {m['test_accuracy']:.4f}, macro-F1 {m['test_macro_f1']:.4f} "
        f"(best epoch {m['best_epoch']} of {m['epochs_run']}, "
        f"{m['seconds_per_epoch'] * 1000:.1f} ms/epoch) -> {out}"
    )
