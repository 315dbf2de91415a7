"""Run folders: what ``hetgat fit`` writes and :func:`load_run` reads back.

A run folder holds ``model.pt`` (a state dict, loadable with ``weights_only=True``),
``config.json`` (configuration, data source, schema, versions), ``metrics.json``,
``history.csv``, ``predictions.csv``, ``node_ids.csv`` (the id of every node, per type, in
model index order), unless turned off the attention table (``attention.csv``, or
``.csv.gz``/``.parquet``; ``attention.top10.csv`` when only the strongest in-edges are kept)
and ``tables.json``, which says what each table holds and whether it is complete. It is
assembled as ``<name>.partial`` and renamed when complete.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.metadata
import logging
import platform
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import torch

from hetgat import __version__
from hetgat.config import ModelConfig, TrainConfig, to_dict
from hetgat.data import GraphData, Schema
from hetgat.datasets.relations import legacy_relations
from hetgat.datasets.source import DataSource
from hetgat.errors import ConfigError, DataFormatError, HetgatError
from hetgat.models import build_model
from hetgat.outputs import atomic_path, check_table_format, staged_dir, write_json
from hetgat.runs.align import (
    UNSEEN_NODES,
    aligned_model,
    check_position_counts,
    check_unseen,
    node_rows,
)
from hetgat.runs.attention import write_attention, write_csv
from hetgat.runs.checksums import changed_inputs, read_recorded, record_inputs
from hetgat.runs.files import check_schema, read_metrics, read_node_ids, read_training_labels
from hetgat.runs.settings import read_settings
from hetgat.tables import label_input_frame, node_ids_frame, predictions_frame
from hetgat.train import FitResult, predict

log = logging.getLogger("hetgat")


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
    out, source = Path(out), DataSource.of(source)
    check_table_format(attention_format)
    with staged_dir(out, overwrite=overwrite, kind="run", keep=source.input_paths()) as tmp:
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
    tmp, out, source = folder, name or folder, DataSource.of(source)
    with atomic_path(tmp / "model.pt") as path:
        torch.save(result.model.state_dict(), path)
    config = {
        "source": source.to_dict(),
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
    write_json(tmp / "timing.json", {k: result.metrics[k] for k in TIMING_KEYS})
    write_csv(pd.DataFrame(result.history), tmp / "history.csv")
    write_csv(node_ids_frame(data), tmp / "node_ids.csv")
    probs, att = outputs or predict(
        result.model,
        data,
        train_config.device,
        get_attention=True,
        chunk_size=train_config.batch_size,
    )
    write_csv(predictions_frame(data, probs), tmp / "predictions.csv")
    if getattr(result.model.inputs, "label_input", None) is not None:
        write_csv(label_input_frame(data, result.model.inputs), tmp / "label_input.csv")
    tables = write_attention(tmp, data, att, attention_format, out) if attention else {}
    write_json(tmp / "tables.json", {"attention": None, **tables})


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


def load_run(path: str | Path, *, unseen_nodes: str = "error") -> Run:
    """Load a run folder written by ``hetgat fit`` (weights only: no code is unpickled).

    ``unseen_nodes``: what nodes the run never saw get in a type whose input it learned per
    node, when it meets a graph (``"error"``: refused; ``"mean"``: the mean embedding).

    Every file is checked: a tampered or truncated ``config.json``, ``metrics.json``,
    ``node_ids.csv`` or ``model.pt`` is one :class:`~hetgat.errors.DataFormatError` naming it.
    """
    path = Path(path)
    config_path = path / "config.json"
    if not config_path.is_file():
        raise HetgatError(f"{path} is not a run folder (no config.json)")
    settings = read_settings(config_path)
    try:
        schema = Schema.from_dict(settings.extra["schema"])
        check_schema(schema)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise DataFormatError(config_path, f"not a valid run schema ({exc})") from None
    model_config, train_config = settings.model_config, settings.train_config
    try:
        model = build_model(model_config, schema)
    except (HetgatError, TypeError, ValueError) as exc:
        raise DataFormatError(config_path, f"describes no model hetgat builds ({exc})") from None
    model_path = path / "model.pt"
    if not model_path.is_file():
        raise HetgatError(f"{model_path} is missing")
    try:
        with warnings.catch_warnings():  # torch's notes on weights_only are not for users
            warnings.simplefilter("ignore")
            state = torch.load(model_path, map_location="cpu", weights_only=True)
        model.load_state_dict(state)
    except Exception as exc:  # torch raises several types for bad or unsafe files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataFormatError(model_path, f"cannot load the model weights: {first}") from None
    model.eval()
    node_ids = read_node_ids(path / "node_ids.csv", schema)
    metrics = read_metrics(path / "metrics.json")
    by_id = settings.extra.get("per_node_inputs") == "by_id" and bool(node_ids)
    return Run(
        path,
        model,
        model_config,
        train_config,
        schema,
        settings.source,
        node_ids,
        metrics,
        matched_by_id=by_id,
        input_files=read_recorded(settings.extra.get("input_files"), config_path),
        unseen_nodes=unseen_nodes,
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
