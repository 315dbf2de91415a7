"""A saved model meeting a graph: whatever it keeps per node follows the node ids.

A model keeps some tensors per node, one row a node in the order of the graph it was trained
on (:meth:`~hetgat.models.inputs.NodeInputs.per_node_state`: the learned embeddings of types
without input features, the leak-free label input). When a run meets a graph again (its own
data read anew, a new export in another row order, a graph with more or fewer nodes), those
rows are gathered by the user's node ids (``node_ids.csv``), never taken by position: the
same graph in any row order gives the same predictions and attention.

Nodes the run never saw:

- in a type whose input was learned per node (an embedding), they are refused with one error
  naming the type, how many, up to five ids and the way out, unless ``unseen_nodes="mean"``,
  which gives them the mean learned embedding (with a warning that counts them);
- of the target type under the label input, they get it the way validation and test nodes
  did: propagated from the run's training labels over the graph met
  (:func:`hetgat.datasets.labels.propagate_labels`), with no part (``-1``).

Run folders written before hetgat matched by id are read as before (by position, with their
node counts checked) and one warning.
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
import pandas as pd
import torch

from hetgat.data import GraphData, Schema
from hetgat.datasets.labels import propagate_labels
from hetgat.datasets.path_labels import path_label_input
from hetgat.errors import ConfigError, HetgatError
from hetgat.models import build_model

log = logging.getLogger("hetgat")

#: What ``unseen_nodes`` may say: refuse nodes a run never saw, or give them the mean.
UNSEEN_NODES = ("error", "mean")

#: Ids shown in the message on unseen nodes.
SHOWN_IDS = 5


@dataclasses.dataclass(frozen=True)
class NodeRows:
    """Where a graph's nodes sit in a run, for the types the model keeps per node.

    Attributes
    ----------
    rows : dict[str, numpy.ndarray]
        Per type whose order differs from the run's: the run's row of each node of the graph,
        ``-1`` for a node the run never saw. Types in the run's own order are left out.
    unseen : dict[str, numpy.ndarray]
        Per type: the ids of the graph's nodes the run never saw.
    """

    rows: dict
    unseen: dict


def node_rows(per_node_types, run_ids: dict, data: GraphData) -> NodeRows:
    """The :class:`NodeRows` of ``data`` for a run with ids ``run_ids`` (``{type: ids}``)."""
    rows, unseen = {}, {}
    for t in sorted(set(per_node_types)):
        ours, theirs = np.asarray(run_ids[t], dtype=object), data.node_ids.get(t)
        if theirs is None:
            raise HetgatError(f"the graph gives no ids for node type {t!r}")
        theirs = np.asarray(theirs, dtype=object)
        if len(ours) == len(theirs) and np.array_equal(ours, theirs):
            continue
        index = pd.Index(ours)
        if not index.is_unique:
            raise HetgatError(f"the run lists node type {t!r} ids more than once")
        where = index.get_indexer(theirs)
        rows[t] = where
        if (where < 0).any():
            unseen[t] = theirs[where < 0]
    return NodeRows(rows, unseen)


def check_unseen(found: NodeRows, learned_types, unseen_nodes: str) -> None:
    """Refuse nodes the run never saw in a type whose input it learned per node, unless
    ``unseen_nodes`` is ``"mean"``."""
    if unseen_nodes not in UNSEEN_NODES:
        raise ConfigError("unseen_nodes", unseen_nodes, " or ".join(UNSEEN_NODES))
    if unseen_nodes == "mean":
        return
    for t in sorted(set(learned_types) & set(found.unseen)):
        ids = found.unseen[t]
        shown = ", ".join(map(repr, ids[:SHOWN_IDS])) + (", ..." if len(ids) > SHOWN_IDS else "")
        raise HetgatError(
            f"node type {t!r}: {len(ids)} node(s) the run never saw ({shown}); the model "
            f"learned an embedding for each node of {t!r} it trained on, so it has none for "
            "these: train on a graph that holds them, or give them the mean learned embedding "
            "with `unseen_nodes` mean",
            params=("unseen_nodes",),
        )


def aligned_model(
    model,
    model_config,
    schema: Schema,
    run_ids: dict,
    data: GraphData,
    *,
    unseen_nodes: str = "error",
    training_labels=None,
):
    """``model`` with its per-node rows gathered by id for ``data`` (``model`` itself when
    ``data`` lists every such type's ids in the run's order).

    Parameters
    ----------
    model : NodeClassifier
        Trained on a graph whose ids are ``run_ids``.
    model_config : ModelConfig
        Its configuration (a model for the new node counts is built from it).
    schema : Schema
        The run's schema.
    run_ids : dict[str, numpy.ndarray]
        The run's node ids per type, in model index order.
    data : GraphData
        The graph met.
    unseen_nodes : {"error", "mean"}
        What nodes of a type with learned embeddings that the run never saw get.
    training_labels : callable, optional
        ``training_labels() -> (ids, known)``: the run's training nodes and their one-hot
        (multi-hot) labels, for unseen target nodes under the label input.
    """
    per_node = model.per_node_state()
    learned = {t for k, t in per_node.items() if k.startswith("inputs.embeddings.")}
    found = node_rows(per_node.values(), run_ids, data)
    check_unseen(found, learned, unseen_nodes)
    if not found.rows:
        return model
    state = model.state_dict()
    for key, t in per_node.items():
        if t in found.rows:
            state[key] = _gathered(state[key], found.rows[t], key)
    target = schema.target_type
    if "inputs.label_input" in per_node and target in found.unseen:
        missing = torch.as_tensor(found.rows[target] < 0)
        ids, known = training_labels()
        state["inputs.label_input"][missing] = _unseen_label_input(
            data, ids, known, state["inputs.label_input"].shape[1], model_config
        )[missing]
    for t in sorted(learned & set(found.unseen)):
        log.warning(
            "node type %r: %d node(s) the run never saw get the mean learned embedding",
            t,
            len(found.unseen[t]),
        )
    counts = {**schema.num_nodes, **{t: len(data.node_ids[t]) for t in found.rows}}
    out = build_model(model_config, dataclasses.replace(schema, num_nodes=counts))
    out.load_state_dict(state)
    return out.train(model.training)


def _gathered(values: torch.Tensor, rows: np.ndarray, key: str) -> torch.Tensor:
    """``values``' rows ``rows``; a row ``-1`` (a node the run never saw) gets the mean of the
    rows (embeddings), zeros (label input, filled in later) or ``-1`` (label part)."""
    index = torch.as_tensor(np.clip(rows, 0, None), dtype=torch.long)
    out = values.index_select(0, index)
    missing = torch.as_tensor(rows < 0)
    if missing.any():
        if key.endswith("label_partition"):
            out[missing] = -1
        elif key.endswith("label_input"):
            out[missing] = 0
        else:
            out[missing] = values.mean(0)
    return out


def _unseen_label_input(
    data: GraphData, ids, known: torch.Tensor, width: int, config=None
) -> torch.Tensor:
    """The label input of every target node of ``data`` propagated from the run's training
    labels (``known`` of the nodes ``ids``) over ``data``'s graph: what a validation or test
    node received at training, for nodes the run never saw."""
    where = pd.Index(np.asarray(data.node_ids[data.target_type], dtype=object)).get_indexer(
        np.asarray(ids, dtype=object)
    )
    present = torch.as_tensor(where >= 0)
    nodes = torch.as_tensor(where[where >= 0], dtype=torch.long)
    if getattr(config, "label_form", "hops") == "paths":
        relations = getattr(config, "path_relations", None)
        return path_label_input(data, config.label_hops, nodes, known[present], relations)
    hops = width // known.shape[1]
    return propagate_labels(data, nodes, known[present], hops)


def check_position_counts(model, schema: Schema, got: Schema) -> None:
    """Run folders from before the ids were matched: the per-node rows are taken by
    position, so each such type must have the run's node count."""
    for t in sorted(set(model.per_node_state().values())):
        if schema.num_nodes[t] != got.num_nodes[t]:
            raise HetgatError(
                f"node type {t!r} has {got.num_nodes[t]} nodes; the model keeps an input for "
                f"each of its {schema.num_nodes[t]} (learned embeddings or the label input)"
            )
