"""The one place that runs a saved model: predictions, attention and semantic weights of a run
on its data (or on another graph of the same schema).

A run trained on mini-batches infers layer by layer in chunks of its batch size (exactly the
full pass's values, in bounded memory); others in one forward pass. Every reader of a run
(``predict``, ``attention``, ``explain``, ``plot``, ``report``) goes through :func:`run_output`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hetgat.data import GraphData
from hetgat.errors import ConfigError, DataFormatError, HetgatError
from hetgat.runs.attention import has_edge_attention
from hetgat.tables import (
    attention_frames,
    node_rows,
    predictions_frame,
    semantic_frame,
    semantic_node_frames,
)
from hetgat.train import Smoothing, applied_alpha, predict

#: Why a model that attends across relation paths only (SeHGNN) has no edge table.
NO_EDGE_ATTENTION = "it averages each relation path's neighbours before training"


def chunk_size(run) -> int | None:
    """Nodes per chunk of layer-wise inference: a mini-batch run's batch size, else None."""
    return run.train_config.batch_size


def run_output(run, data: GraphData, get_attention: bool = False):
    """Class probabilities of ``run``'s model on ``data`` (eval mode); with ``get_attention``
    also its :class:`~hetgat.records.Attention`, on the CPU. What the model keeps per node is
    matched by id (:meth:`~hetgat.runs.run.Run.model_for`); with the run's ``correct_smooth``,
    the probabilities are smoothed from the run's own training labels, matched by id
    (:func:`run_smoothing`)."""
    model = run.model_for(data)
    return predict(
        model,
        data,
        get_attention=get_attention,
        chunk_size=chunk_size(run),
        smoothing=run_smoothing(run, data),
    )


def run_smoothing(run, data: GraphData) -> Smoothing | None:
    """Correct and Smooth as ``run`` was trained with it (None: off), on ``data``: the run's
    training labels (never those ``data`` holds) on the target nodes of ``data`` with those
    ids; nodes the run never saw receive smoothed predictions without giving a label."""
    try:
        alpha = applied_alpha(run.train_config.correct_smooth, run.metrics)
    except ConfigError:  # what the fit recorded, changed since
        value = run.metrics.get("correct_smooth")
        raise DataFormatError(
            run.path / "metrics.json", f"correct_smooth is {value!r}, not a number in [0, 1)"
        ) from None
    if not alpha:
        return None
    ids, known = run.training_labels()
    return Smoothing.by_id(data, alpha, ids, known, class_mass=run.train_config.class_mass)


def run_predictions(run, data: GraphData) -> pd.DataFrame:
    """The predictions table of ``run``'s model on ``data``."""
    return predictions_frame(data, run_output(run, data))


def run_attention(run, data: GraphData, *, nodes=None, **filters):
    """Attention of ``run``'s model on ``data`` (eval mode) as table chunks.

    ``nodes`` (ids of the user) keeps only edges into those nodes; other ``filters`` are those
    of :func:`hetgat.tables.attention_frames`.
    """
    _, att = run_output(run, data, get_attention=True)
    if not has_edge_attention(att.edges):
        raise HetgatError(
            f"model {run.model_config.name!r} has no edge attention ({NO_EDGE_ATTENTION}): "
            "its attention is across relation paths: use `semantic` (mean, or nodes for each "
            "node's own)",
            params=("semantic",),
        )
    dst_nodes = node_rows(data.node_ids, list(nodes)) if nodes else None
    return attention_frames(att.graph, data.node_ids, att.edges, dst_nodes=dst_nodes, **filters)


def run_semantic(run, data: GraphData, *, per_node: bool = False, nodes=None):
    """Semantic attention of ``run``'s model on ``data`` (HAN, RGAT; HGT: relation shares) as
    table chunks: per layer and type, or (``per_node``) every node's own weights, only of
    ``nodes`` (ids of the user) when given."""
    if nodes and not per_node:  # the mean is over all nodes: a filter would be ignored
        raise ConfigError("semantic", "mean", "'nodes' when nodes are chosen")
    _, att = run_output(run, data, get_attention=True)
    if not att.semantic:
        raise HetgatError(f"model {run.model_config.name!r} has no semantic attention")
    if not per_node:
        return [semantic_frame(att.semantic)]
    frames = semantic_node_frames(att.semantic, data.node_ids)
    if not nodes:
        return frames
    wanted = [str(n) for n in nodes]
    if not any(np.isin(ids, wanted).any() for ids in data.node_ids.values()):
        raise HetgatError(f"no node with id {', '.join(map(repr, wanted))} in the graph")
    return (frame[frame["id"].isin(wanted)] for frame in frames)
