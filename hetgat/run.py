"""Run folders: what ``hetgat fit`` writes and :func:`load_run` reads back.

A run folder holds ``model.pt`` (a state dict, loadable with ``weights_only=True``),
``config.json`` (configuration, data source, schema, versions), ``metrics.json``,
``history.csv``, ``predictions.csv``, ``node_ids.csv`` (the id of every node, per type, in
model index order) and, unless turned off, ``attention.csv``. It is assembled as
``<name>.partial`` and renamed when complete.
"""

from __future__ import annotations

import json
import logging
import platform
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from hetgat import __version__
from hetgat.attention import attention_frames, semantic_frame, write_table
from hetgat.config import ModelConfig, TrainConfig, from_dict, to_dict
from hetgat.data import GraphData
from hetgat.datasets import input_paths
from hetgat.errors import DataFormatError, HetgatError
from hetgat.io import atomic_path, staged_dir, write_json
from hetgat.metrics import THRESHOLD
from hetgat.models import build_model
from hetgat.schema import Schema
from hetgat.train import FitResult, predict


def versions() -> dict:
    import dgl

    return {
        "hetgat": __version__,
        "torch": torch.__version__,
        "dgl": dgl.__version__,
        "python": platform.python_version(),
    }


def predictions_frame(data: GraphData, probs: torch.Tensor) -> pd.DataFrame:
    """``id, predicted, label, split`` and one ``prob_<class>`` column per class.

    Multi-label: ``predicted`` and ``label`` list class names joined by ``|`` (predicted: the
    classes with probability above 0.5).
    """
    names = np.array(data.class_names, dtype=object)
    if data.multilabel:
        predicted = _join_classes(names, probs.numpy() > THRESHOLD)
        label_names = _join_classes(names, data.labels.numpy() > 0)
    else:
        labels = data.labels.numpy()
        label_names = np.where(labels >= 0, names[np.clip(labels, 0, None)], "")
        predicted = names[probs.argmax(1).numpy()]
    frame = pd.DataFrame(
        {
            "id": data.node_ids[data.target_type],
            "predicted": predicted,
            "label": label_names,
            "split": data.split_names(),
        }
    )
    probs_np = probs.numpy()
    for i, name in enumerate(data.class_names):
        frame[f"prob_{name}"] = probs_np[:, i]
    return frame


def _join_classes(names: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return np.array(["|".join(names[row]) for row in mask], dtype=object)


#: Run figures that depend on the machine (in ``timing.json``, not ``metrics.json``).
TIMING_KEYS = ("seconds_per_epoch",)

#: Above this many rows, ``fit`` writes only the strongest in-edges of each node.
MAX_ATTENTION_ROWS = 2_000_000
TOP_K_WHEN_LARGE = 10


def attention_rows(edges: list) -> int:
    """Rows of the full attention table: edges x heads, summed over layers and edge types."""
    total = 0
    for layer in edges:
        for a in layer.values() if isinstance(layer, dict) else [layer]:
            total += a.shape[0] * a.shape[1]
    return total


def node_ids_frame(data: GraphData) -> pd.DataFrame:
    """``type, index, id`` of every node: the mapping between model indices and user ids."""
    parts = [
        pd.DataFrame({"type": t, "index": np.arange(len(ids)), "id": ids})
        for t, ids in data.node_ids.items()
    ]
    return pd.concat(parts, ignore_index=True)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.7g")


def save_run(
    out: str | Path,
    data: GraphData,
    result: FitResult,
    model_config: ModelConfig,
    train_config: TrainConfig,
    *,
    source: dict,
    attention: bool = True,
    overwrite: bool = False,
) -> Path:
    """Write a complete run folder for ``result`` into ``out`` and return its path.

    ``source`` holds the arguments of :func:`hetgat.datasets.load_graph` that loaded ``data``
    (paths absolute), so ``hetgat predict`` and ``hetgat attention`` can load it again.
    """
    out = Path(out)
    with staged_dir(out, overwrite=overwrite, kind="run", keep=input_paths(source)) as tmp:
        write_run(tmp, data, result, model_config, train_config, source=source, attention=attention)
    return out


def write_run(
    folder: Path,
    data: GraphData,
    result: FitResult,
    model_config: ModelConfig,
    train_config: TrainConfig,
    *,
    source: dict,
    attention: bool = True,
    name: str | Path | None = None,
) -> None:
    """Write the files of a run folder into ``folder`` (each one atomically).

    ``metrics.json`` holds the figures, which the same seed reproduces byte for byte on CPU;
    the time taken goes to ``timing.json``. ``name`` is the folder's final name, for messages.
    """
    tmp, out = folder, name or folder
    with atomic_path(tmp / "model.pt") as path:
        torch.save(result.model.state_dict(), path)
    config = {
        "source": source,
        "model": to_dict(model_config),
        "train": to_dict(train_config),
        "data": {"name": data.name},
        "schema": data.schema().to_dict(),
        "versions": versions(),
    }
    write_json(tmp / "config.json", config)
    figures = {k: v for k, v in result.metrics.items() if k not in TIMING_KEYS}
    write_json(tmp / "metrics.json", figures)
    write_json(tmp / "timing.json", {k: result.metrics[k] for k in TIMING_KEYS})
    write_csv(pd.DataFrame(result.history), tmp / "history.csv")
    write_csv(node_ids_frame(data), tmp / "node_ids.csv")
    probs, att = predict(
        result.model,
        data,
        train_config.device,
        get_attention=True,
        chunk_size=train_config.batch_size,
    )
    write_csv(predictions_frame(data, probs), tmp / "predictions.csv")
    if attention:
        rows = attention_rows(att.edges)
        top_k = None if rows <= MAX_ATTENTION_ROWS else TOP_K_WHEN_LARGE
        if top_k:
            logging.getLogger("hetgat").warning(
                f"attention.csv holds the {top_k} strongest in-edges of each node: all "
                f"{rows:,} rows would be too many; `hetgat attention {out} -o FILE` "
                "writes them all"
            )
        frames = attention_frames(att.graph, data.node_ids, att.edges, top_k=top_k)
        write_table(frames, tmp / "attention.csv")
        if att.semantic:
            write_csv(semantic_frame(att.semantic), tmp / "semantic_attention.csv")


@dataclass
class Run:
    """A saved run: the model with its weights, its configuration and the id mapping.

    Attributes
    ----------
    model : NodeClassifier
        In eval mode, on the CPU.
    node_ids : dict[str, numpy.ndarray]
        The user's id of every node, per type, in model index order.
    source : dict
        How the training data was loaded (the arguments of ``load_graph``).
    """

    path: Path
    model: torch.nn.Module
    model_config: ModelConfig
    train_config: TrainConfig
    schema: Schema
    source: dict
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
        return own + [Path(p) for p in input_paths(self.source)]

    def load_data(self, **overrides) -> GraphData:
        """Load the run's data again (or, with ``overrides``, another graph of its schema)."""
        from hetgat.datasets import load_graph

        args = {**self.source, **overrides}
        if self.schema.multilabel:
            args["multilabel"] = True
        data = load_graph(args.pop("spec"), class_names=list(self.schema.class_names), **args)
        check_compatible(self.schema, data.schema())
        return data


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
        if expected.in_feats[t] == 0 and expected.num_nodes[t] != got.num_nodes[t]:
            raise HetgatError(
                f"node type {t!r} has no features and {got.num_nodes[t]} nodes; "
                f"the model learned embeddings for {expected.num_nodes[t]}"
            )
    if expected.target_type != got.target_type:
        raise HetgatError(
            f"the target type is {got.target_type!r}, the model's {expected.target_type!r}"
        )


def load_run(path: str | Path) -> Run:
    """Load a run folder written by ``hetgat fit`` (weights only: no code is unpickled)."""
    path = Path(path)
    config_path = path / "config.json"
    if not config_path.is_file():
        raise HetgatError(f"{path} is not a run folder (no config.json)")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
        model_config = from_dict(ModelConfig, config["model"])
        train_config = from_dict(TrainConfig, config["train"])
        schema = Schema.from_dict(config["schema"])
        source = dict(config["source"])
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise DataFormatError(config_path, f"not a valid run configuration ({exc})") from None
    model = build_model(model_config, schema)
    model_path = path / "model.pt"
    if not model_path.is_file():
        raise HetgatError(f"{model_path} is missing")
    try:
        state = torch.load(model_path, map_location="cpu", weights_only=True)
        model.load_state_dict(state)
    except Exception as exc:  # torch raises several types for bad or unsafe files
        raise DataFormatError(model_path, f"cannot load the model weights: {exc}") from None
    model.eval()
    node_ids = {}
    ids_path = path / "node_ids.csv"
    if ids_path.is_file():
        frame = pd.read_csv(ids_path, dtype=str, keep_default_na=False)
        node_ids = {t: g["id"].to_numpy(dtype=object) for t, g in frame.groupby("type", sort=False)}
    metrics_path = path / "metrics.json"
    metrics = json.loads(metrics_path.read_text()) if metrics_path.is_file() else {}
    return Run(path, model, model_config, train_config, schema, source, node_ids, metrics)


def _chunk(run: Run) -> int | None:
    """Runs trained on mini-batches infer layer by layer in chunks of their batch size."""
    return run.train_config.batch_size


def run_predictions(run: Run, data: GraphData) -> pd.DataFrame:
    """The predictions table of ``run``'s model on ``data``."""
    return predictions_frame(data, predict(run.model, data, chunk_size=_chunk(run)))


def run_attention(run: Run, data: GraphData, *, nodes=None, **filters):
    """Attention of ``run``'s model on ``data`` (eval mode) as table chunks.

    ``nodes`` (ids of the user) keeps only edges into those nodes; other ``filters`` are those
    of :func:`hetgat.attention.attention_frames`.
    """
    _, att = predict(run.model, data, get_attention=True, chunk_size=_chunk(run))
    dst_nodes = None
    if nodes:
        dst_nodes = {}
        for t, ids in data.node_ids.items():
            hits = np.flatnonzero(np.isin(ids, list(nodes)))
            if len(hits):
                dst_nodes[t] = hits
        if not dst_nodes:
            raise HetgatError(f"no node with id {', '.join(map(repr, nodes))} in the graph")
    return attention_frames(att.graph, data.node_ids, att.edges, dst_nodes=dst_nodes, **filters)


def run_semantic(run: Run, data: GraphData, *, per_node: bool = False):
    """Semantic attention of ``run``'s model on ``data`` (HAN, RGAT) as table chunks."""
    from hetgat.attention import semantic_node_frames

    _, att = predict(run.model, data, get_attention=True, chunk_size=_chunk(run))
    if not att.semantic:
        raise HetgatError(f"model {run.model_config.name!r} has no semantic attention")
    if per_node:
        return semantic_node_frames(att.semantic, data.node_ids)
    return [semantic_frame(att.semantic)]
