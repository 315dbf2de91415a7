"""A trained model with what it was trained on: :class:`Run`, read from a run folder
(:func:`hetgat.runs.folder.load_run`) or made by :func:`hetgat.fit` in memory."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from dataclasses import dataclass, field
from pathlib import Path

import torch

from hetgat.config import ModelConfig, TrainConfig
from hetgat.data import GraphData, Schema
from hetgat.datasets.relations import legacy_relations
from hetgat.datasets.source import DataSource
from hetgat.errors import ConfigError, HetgatError
from hetgat.runs.align import (
    UNSEEN_NODES,
    aligned_model,
    check_position_counts,
    check_unseen,
    node_rows,
)
from hetgat.runs.checksums import changed_inputs
from hetgat.runs.files import read_training_labels

log = logging.getLogger("hetgat")


@dataclass
class Run:
    """A saved run: the model with its weights, its configuration and the id mapping.

    Attributes
    ----------
    model : NodeClassifier
        In eval mode, on the CPU, as trained (its per-node rows in the order of
        :attr:`node_ids`); :meth:`model_for` gives it for another graph.
    node_ids : dict[str, numpy.ndarray]
        The user's id of every node, per type, in model index order.
    source : DataSource
        How the training data was loaded.
    matched_by_id : bool
        Whether what the model keeps per node follows :attr:`node_ids` when the run meets a
        graph (run folders written before hetgat did so match by position).
    input_files : list[dict]
        Size and SHA-256 of every file the training data was read from.
    unseen_nodes : {"error", "mean"}
        What nodes the run never saw get, in a type whose input it learned per node
        (:mod:`hetgat.runs.align`).
    """

    path: Path
    model: torch.nn.Module
    model_config: ModelConfig
    train_config: TrainConfig
    schema: Schema
    source: DataSource
    node_ids: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    matched_by_id: bool = False
    input_files: list = field(default_factory=list)
    unseen_nodes: str = "error"
    _warned_by_position: bool = field(default=False, init=False, repr=False, compare=False)

    #: Outputs of later commands that hetgat may replace in the run folder without asking.
    OWN_OUTPUTS = ("report.html", "plots")

    def __post_init__(self) -> None:
        if self.unseen_nodes not in UNSEEN_NODES:
            raise ConfigError("unseen_nodes", self.unseen_nodes, " or ".join(UNSEEN_NODES))

    def protected_paths(self) -> list[Path]:
        """Files no output may replace: the run's own files (not its re-made outputs
        :attr:`OWN_OUTPUTS`) and the inputs it was trained on."""
        own = [
            p
            for p in self.path.rglob("*")
            if p.relative_to(self.path).parts[0] not in self.OWN_OUTPUTS
        ]
        return own + [Path(p) for p in self.source.input_paths()]

    def relations(self) -> tuple:
        """How the run read the relations of its CSV files (``Schema.relations``); for a run
        folder written before that was recorded, the rule hetgat then followed."""
        if self.schema.relations is not None:
            return self.schema.relations
        return legacy_relations(self.schema.canonical_etypes)

    def load_data(self, source: DataSource | None = None) -> GraphData:
        """Load the run's data again (or, with ``source``, another graph of its schema), with
        the run's classes in the run's order and its relations read as the run read them (a
        new export of the same graph may list them in another order, or under other names
        where one is an exact duplicate or the reverse of another); a run trained on a
        flattened graph flattens it.

        The run's own data: a warning when its files changed since training. Nodes the model
        keeps an input for are matched by id (:meth:`model_for`); nodes it never saw in a
        type whose input it learned are refused here unless :attr:`unseen_nodes` is
        ``"mean"``."""
        if source is None:
            changes = changed_inputs(self.input_files)
            if changes:
                more = f" (and {len(changes) - 1} more)" if len(changes) > 1 else ""
                log.warning(
                    "the run's data changed since it was trained: %s%s; its nodes are matched "
                    "by id, but the predictions are of the data as it is now",
                    changes[0],
                    more,
                )
        source = self.source if source is None else source
        if self.source.flatten and not source.flatten:  # the model knows the flat graph only
            source = dataclasses.replace(source, flatten=True)
        with _quiet_notes("hetgat"):  # the loader's notes were shown at fit time
            data = source.load(
                class_names=list(self.schema.class_names),
                download=False,
                relations=self.relations(),
            )
        if data.multilabel != self.schema.multilabel:
            if data.multilabel or bool((data.labels >= 0).any()):
                kinds = ("multi-label", "single-label")
                got, want = kinds if data.multilabel else kinds[::-1]
                raise HetgatError(
                    f"{source.spec}: the labels are {got}, the run's model is {want}; its "
                    "predictions would not mean what the labels do: give a graph labelled the "
                    "way the run was"
                )
            # No labels at all: the graph can be predicted as the run's kind of task.
            data.labels = torch.zeros(len(data.labels), data.num_classes)
            data.multilabel = True
        check_compatible(self.schema, data.schema())
        self.check_nodes(data)
        return data

    def check_nodes(self, data: GraphData) -> None:
        """Refuse ``data`` when the model cannot give every node its input: nodes never seen in
        a type whose input was learned per node (by id), or, in a run folder written before
        ids were matched, another node count in a type kept per node (by position)."""
        per_node = self.model.per_node_state()
        if not per_node:
            return
        if not self.matched_by_id:
            self._warn_by_position()
            check_position_counts(self.model, self.schema, data.schema())
            return
        learned = {t for k, t in per_node.items() if k.startswith("inputs.embeddings.")}
        check_unseen(node_rows(per_node.values(), self.node_ids, data), learned, self.unseen_nodes)

    def model_for(self, data: GraphData, model: torch.nn.Module | None = None):
        """The run's model (or ``model``, built for the run's schema) with what it keeps per
        node gathered by id for ``data`` (:func:`hetgat.runs.align.aligned_model`); the model
        itself when ``data`` lists those nodes in the run's order, or for a run folder written
        before ids were matched."""
        model = self.model if model is None else model
        if not self.matched_by_id or not model.per_node_state():
            if model.per_node_state():
                self._warn_by_position()
                check_position_counts(model, self.schema, data.schema())
            return model
        return aligned_model(
            model,
            self.model_config,
            self.schema,
            self.node_ids,
            data,
            unseen_nodes=self.unseen_nodes,
            training_labels=self.training_labels,
        )

    def training_labels(self):
        """``(ids, known)``: the run's training nodes and their one-hot (multi-hot) labels, from
        ``label_input.csv`` (runs with the label input)."""
        return read_training_labels(
            self.path / "label_input.csv", self.schema.class_names, self.schema.multilabel
        )

    def _warn_by_position(self) -> None:
        if self._warned_by_position:
            return
        self._warned_by_position = True
        log.warning(
            "%s was written before hetgat matched per-node inputs by node id: its learned "
            "embeddings and label input are matched by position (the graph's row order), as "
            "when it was written; train it again to match them by id",
            self.path,
        )


def check_compatible(expected: Schema, got: Schema) -> None:
    """Raise :class:`HetgatError` unless a model built for ``expected`` can run on ``got``."""
    if set(expected.node_types) != set(got.node_types):
        raise HetgatError(
            f"the graph has node types {list(got.node_types)}, the model "
            f"{list(expected.node_types)}"
        )
    if set(expected.canonical_etypes) != set(got.canonical_etypes):
        raise HetgatError(
            "the graph's edge types differ from the model's: "
            f"{sorted(set(got.canonical_etypes) ^ set(expected.canonical_etypes))}"
        )
    for t in expected.node_types:
        if expected.in_feats[t] != got.in_feats[t]:
            raise HetgatError(
                f"node type {t!r} has {got.in_feats[t]} features, the model "
                f"expects {expected.in_feats[t]}"
            )
    if expected.target_type != got.target_type:
        raise HetgatError(
            f"the target type is {got.target_type!r}, the model's {expected.target_type!r}"
        )


@contextlib.contextmanager
def _quiet_notes(name: str):
    """Hide the ``logging.INFO`` notes of logger ``name`` (warnings still show)."""
    log = logging.getLogger(name)
    level = log.level
    log.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        log.setLevel(level)
