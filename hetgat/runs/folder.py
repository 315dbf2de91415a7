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
from hetgat.errors import DataFormatError, HetgatError
from hetgat.models import build_model
from hetgat.outputs import atomic_path, check_table_format, staged_dir, write_json
from hetgat.runs.attention import write_attention, write_csv
from hetgat.runs.files import check_schema, read_metrics, read_node_ids
from hetgat.runs.settings import read_settings
from hetgat.tables import label_input_frame, node_ids_frame, predictions_frame
from hetgat.train import FitResult, predict


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
) -> Path:
    """Write a complete run folder for ``result`` into ``out`` and return its path.

    ``source`` is the :class:`~hetgat.datasets.source.DataSource` that loaded ``data`` (paths
    absolute), so ``hetgat predict`` and ``hetgat attention`` can load it again; ``overwrite``
    never removes its inputs. ``name`` and ``outputs`` as for :func:`write_run`.
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
) -> None:
    """Write the files of a run folder into ``folder`` (each one atomically).

    ``metrics.json`` holds the figures, which the same seed reproduces byte for byte on CPU;
    the time taken goes to ``timing.json``. ``name`` is the folder's final name, for messages.
    ``attention_format``: ``csv``, ``csv.gz`` or ``parquet`` (needs pyarrow) for the attention
    table; ``tables.json`` describes the tables written (see
    :func:`hetgat.runs.attention.write_attention`).
    ``outputs``: ``(probabilities, Attention)`` of ``result.model`` on ``data`` computed
    elsewhere (distributed inference, :mod:`hetgat.distributed`); predicted here by default.
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
        In eval mode, on the CPU.
    node_ids : dict[str, numpy.ndarray]
        The user's id of every node, per type, in model index order.
    source : DataSource
        How the training data was loaded.
    """

    path: Path
    model: torch.nn.Module
    model_config: ModelConfig
    train_config: TrainConfig
    schema: Schema
    source: DataSource
    node_ids: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)

    #: Outputs of later commands that hetgat may replace in the run folder without asking.
    OWN_OUTPUTS = ("report.html", "plots")

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
        flattened graph flattens it."""
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
        learned = self.model_config.featureless == "embedding"  # else inputs from the graph
        check_compatible(self.schema, data.schema(), inductive=not learned)
        return data


def check_compatible(expected: Schema, got: Schema, *, inductive: bool = False) -> None:
    """Raise :class:`HetgatError` unless a model built for ``expected`` can run on ``got``
    (``inductive``: featureless types have inputs computed from the graph, not learned per
    node, so their node counts may differ)."""
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
        if (
            not inductive
            and expected.in_feats[t] == 0
            and expected.num_nodes[t] != got.num_nodes[t]
        ):
            raise HetgatError(
                f"node type {t!r} has no features and {got.num_nodes[t]} nodes; "
                f"the model learned embeddings for {expected.num_nodes[t]}"
            )
    if expected.target_type != got.target_type:
        raise HetgatError(
            f"the target type is {got.target_type!r}, the model's {expected.target_type!r}"
        )


def load_run(path: str | Path) -> Run:
    """Load a run folder written by ``hetgat fit`` (weights only: no code is unpickled).

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
    return Run(path, model, model_config, train_config, schema, settings.source, node_ids, metrics)


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
