"""A trained model with what it was trained on: :class:`Run`, read from a run folder
(:func:`hetgat.runs.folder.load_run`) or made by :func:`hetgat.fit` in memory.

Longer than ~300 lines: :class:`Run` is one object, the user's handle on a trained model; its
methods delegate (:mod:`hetgat.runs.apply`, :mod:`~hetgat.runs.align`,
:mod:`~hetgat.runs.explain`, :mod:`~hetgat.runs.write`), and most of the length is their
documentation.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
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
from hetgat.runs.apply import run_attention, run_predictions, run_semantic
from hetgat.runs.checksums import changed_inputs
from hetgat.runs.explain import explain_node
from hetgat.runs.files import read_training_labels
from hetgat.runs.write import save_run
from hetgat.tables import COLUMNS

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
    source : DataSource or None
        How the training data was loaded; None for data given in memory (``predict`` and the
        other commands then need the graph given).
    path : Path or None
        The run folder; None for a run in memory (:func:`hetgat.fit`) until :meth:`save`.
    matched_by_id : bool
        Whether what the model keeps per node follows :attr:`node_ids` when the run meets a
        graph (run folders written before hetgat did so match by position).
    input_files : list[dict]
        Size and SHA-256 of every file the training data was read from.
    unseen_nodes : {"error", "mean"}
        What nodes the run never saw get, in a type whose input it learned per node
        (:mod:`hetgat.runs.align`).
    data : GraphData or None
        The data the run was trained on, where it is in memory (a run of :func:`hetgat.fit`).
    history : list of dict
        One row per epoch (a run of :func:`hetgat.fit`; ``history.csv`` of a run folder).

    The methods give what the commands write, as DataFrames keyed by the user's ids:
    :meth:`predict` (``predictions.csv``), :meth:`attention` (``attention.csv``),
    :meth:`semantic_attention` (``semantic_attention.csv``), :meth:`explain`; :meth:`save`
    writes a run folder every command reads.
    """

    path: Path | None
    model: torch.nn.Module
    model_config: ModelConfig
    train_config: TrainConfig
    schema: Schema
    source: DataSource | None
    node_ids: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    matched_by_id: bool = False
    input_files: list = field(default_factory=list)
    unseen_nodes: str = "error"
    data: GraphData | None = None
    history: list = field(default_factory=list)
    _warned_by_position: bool = field(default=False, init=False, repr=False, compare=False)

    #: Outputs of later commands that hetgat may replace in the run folder without asking.
    OWN_OUTPUTS = ("report.html", "plots")

    def __post_init__(self) -> None:
        if self.unseen_nodes not in UNSEEN_NODES:
            raise ConfigError("unseen_nodes", self.unseen_nodes, " or ".join(UNSEEN_NODES))

    def protected_paths(self) -> list[Path]:
        """Files no output may replace: the run's own files (not its re-made outputs
        :attr:`OWN_OUTPUTS`) and the inputs it was trained on."""
        own = (
            []
            if self.path is None
            else [
                p
                for p in self.path.rglob("*")
                if p.relative_to(self.path).parts[0] not in self.OWN_OUTPUTS
            ]
        )
        inputs = [] if self.source is None else self.source.input_paths()
        return own + [Path(p) for p in inputs]

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
        if source is None and self.source is None:
            if self.data is not None:
                return self.data
            raise HetgatError(
                "the run was trained on data given in memory: it has no files to read again; "
                "give the `graph`",
                params=("graph",),
            )
        source = self.source if source is None else source
        flat = self.source is not None and self.source.flatten
        if flat and not source.flatten:  # the model knows the flat graph only
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
        its data in memory, ``training_labels.csv`` (runs with Correct and Smooth) or
        ``label_input.csv`` (runs with the label input)."""
        if self.data is not None:
            train = self.data.train_mask
            known = self.data.labels[train]
            if not self.data.multilabel:
                known = torch.nn.functional.one_hot(known, self.data.num_classes)
            return self.data.node_ids[self.data.target_type][train.numpy()], known.float()
        path = self.path / "training_labels.csv"
        if not path.is_file():
            path = self.path / "label_input.csv"
        return read_training_labels(path, self.schema.class_names, self.schema.multilabel)

    def graph_data(self, graph=None) -> GraphData:
        """The graph a method runs on: the run's own data (``None``), a
        :class:`~hetgat.data.GraphData` (checked against the run: types, features, classes,
        nodes) or a :class:`~hetgat.datasets.source.DataSource` (loaded as the run reads
        it)."""
        if graph is None or isinstance(graph, DataSource):
            return self.load_data(graph)
        if not isinstance(graph, GraphData):
            raise ConfigError("graph", type(graph).__name__, "a GraphData or a DataSource")
        graph.validate()
        if list(graph.class_names) != list(self.schema.class_names):
            raise HetgatError(
                f"the graph's classes {list(graph.class_names)} are not the run's "
                f"{list(self.schema.class_names)} in its order: build it with "
                "class_names=run.schema.class_names"
            )
        check_compatible(self.schema, graph.schema())
        self.check_nodes(graph)
        return graph

    def predict(self, graph=None) -> pd.DataFrame:
        """``predictions.csv`` of ``graph`` [default: the run's own data]: ``id, predicted,
        label, split`` and ``prob_<class>`` per class."""
        return run_predictions(self, self.graph_data(graph))

    def attention(
        self, graph=None, *, top_k=None, nodes=None, layers=None, heads=None, mean_heads=False
    ) -> pd.DataFrame:
        """``attention.csv`` of ``graph`` [default: the run's own data]: one row per edge,
        layer and head; ``nodes`` (the user's ids) keeps the edges into them, ``top_k`` the
        strongest in-edges of each node, ``layers``/``heads`` those (lists of ints)."""
        frames = run_attention(
            self,
            self.graph_data(graph),
            nodes=None if nodes is None else [str(n) for n in _listed(nodes)],
            layers=None if layers is None else list(_listed(layers)),
            heads=None if heads is None else list(_listed(heads)),
            top_k=top_k,
            mean_heads=mean_heads,
        )
        return _concat(list(frames), COLUMNS)

    def semantic_attention(self, graph=None, *, per_node=False, nodes=None) -> pd.DataFrame:
        """``semantic_attention.csv`` (HAN, RGAT; HGT: each relation's share): per layer and
        type, or with ``per_node`` every node's own weights (only ``nodes``, the user's ids,
        when given)."""
        frames = run_semantic(
            self,
            self.graph_data(graph),
            per_node=per_node,
            nodes=None if nodes is None else [str(n) for n in _listed(nodes)],
        )
        return _concat(list(frames), None)

    def explain(self, node_id, graph=None, *, top_k: int = 10, mean_heads: bool = False):
        """Why the model predicted what it did for target node ``node_id`` (the user's id):
        :func:`hetgat.runs.explain.explain_node`'s dict (``hetgat explain --json``)."""
        data = self.graph_data(graph)
        return explain_node(self, str(node_id), data, top_k=top_k, mean_heads=mean_heads)

    def save(
        self,
        path,
        *,
        overwrite: bool = False,
        attention: bool = True,
        attention_format: str = "csv",
    ) -> Path:
        """Write the run folder ``path`` (every command reads it; a run of data given in
        memory records no file source, so the commands ask for GRAPH) and return its path;
        the run then refers to it."""
        data = self.graph_data()
        path = save_run(
            path,
            data,
            self,
            self.model_config,
            self.train_config,
            source=self.source,
            attention=attention,
            attention_format=attention_format,
            overwrite=overwrite,
            input_files=self.input_files if self.source is not None else [],
        )
        self.path = Path(path)
        return self.path

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


def _listed(values) -> list:
    """One value or several, as a list (``nodes="p1"`` is ``nodes=["p1"]``)."""
    return [values] if isinstance(values, (str, int)) else list(values)


def _concat(frames: list, columns) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)
