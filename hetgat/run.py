"""Run folders: what ``hetgat fit`` writes and :func:`load_run` reads back.

A run folder holds ``model.pt`` (a state dict, loadable with ``weights_only=True``),
``config.json``, ``metrics.json``, ``history.csv``, ``predictions.csv`` and, unless turned off,
``attention.csv``. It is assembled as ``<name>.partial`` and renamed when complete.
"""

from __future__ import annotations

import json
import platform
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from hetgat import __version__
from hetgat.attention import attention_frames, write_table
from hetgat.config import ModelConfig, TrainConfig, from_dict, to_dict
from hetgat.data import GraphData
from hetgat.errors import DataFormatError, HetgatError
from hetgat.io import atomic_path, staged_dir, write_json
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
    """``id, predicted, label, split`` and one ``prob_<class>`` column per class."""
    names = np.array(data.class_names, dtype=object)
    labels = data.labels.numpy()
    label_names = np.where(labels >= 0, names[np.clip(labels, 0, None)], "")
    frame = pd.DataFrame(
        {
            "id": data.node_ids[data.target_type],
            "predicted": names[probs.argmax(1).numpy()],
            "label": label_names,
            "split": data.split_names(),
        }
    )
    probs_np = probs.numpy()
    for i, name in enumerate(data.class_names):
        frame[f"prob_{name}"] = probs_np[:, i]
    return frame


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
    graph: str,
    attention: bool = True,
    overwrite: bool = False,
) -> Path:
    """Write a complete run folder for ``result`` into ``out`` and return its path."""
    out = Path(out)
    with staged_dir(out, overwrite=overwrite) as tmp:
        torch.save(result.model.state_dict(), tmp / "model.pt")
        write_json(
            tmp / "config.json",
            {
                "graph": graph,
                "model": to_dict(model_config),
                "train": to_dict(train_config),
                "data": {"name": data.name},
                "schema": data.schema().to_dict(),
                "versions": versions(),
            },
        )
        write_json(tmp / "metrics.json", result.metrics)
        write_csv(pd.DataFrame(result.history), tmp / "history.csv")
        probs, att = predict(result.model, data, train_config.device, get_attention=True)
        write_csv(predictions_frame(data, probs), tmp / "predictions.csv")
        if attention:
            write_table(attention_frames(data.graph, data.node_ids, att), tmp / "attention.csv")
    return out


@dataclass
class Run:
    """A saved run: the model with its weights, its configuration and the dataset facts."""

    path: Path
    model: torch.nn.Module
    model_config: ModelConfig
    train_config: TrainConfig
    schema: Schema
    graph: str
    info: dict
    metrics: dict


def load_run(path: str | Path) -> Run:
    """Load a run folder written by ``hetgat fit`` (weights only: no code is unpickled)."""
    path = Path(path)
    config_path = path / "config.json"
    if not config_path.is_file():
        raise HetgatError(f"{path} is not a run folder (no config.json)")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataFormatError(config_path, f"not valid JSON: {exc}") from None
    model_config = from_dict(ModelConfig, config.get("model", {}))
    train_config = from_dict(TrainConfig, config.get("train", {}))
    info = config.get("data", {})
    try:
        schema = Schema.from_dict(config["schema"])
    except (KeyError, TypeError, ValueError) as exc:
        raise DataFormatError(config_path, f"no valid 'schema' entry ({exc})") from None
    model = build_model(model_config, schema)
    model_path = path / "model.pt"
    try:
        state = torch.load(model_path, map_location="cpu", weights_only=True)
        model.load_state_dict(state)
    except FileNotFoundError:
        raise HetgatError(f"{model_path} is missing") from None
    except Exception as exc:  # torch raises several types for bad or unsafe files
        raise DataFormatError(model_path, f"cannot load the model weights: {exc}") from None
    model.eval()
    metrics_path = path / "metrics.json"
    metrics = json.loads(metrics_path.read_text()) if metrics_path.is_file() else {}
    return Run(
        path, model, model_config, train_config, schema, config.get("graph", ""), info, metrics
    )
