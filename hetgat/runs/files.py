"""A run folder's files read back, each checked: a tampered or truncated file is one
:class:`~hetgat.errors.DataFormatError` naming it, never a traceback from pandas or json."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import torch

from hetgat.data import Schema
from hetgat.errors import DataFormatError


def check_schema(schema: Schema) -> None:
    """Raise ``ValueError`` unless ``schema``'s values hold together (types, sizes, classes)."""
    types = set(schema.node_types)
    if not types or any(not isinstance(t, str) for t in types):
        raise ValueError("node types must be names")
    for name, values in (("in_feats", schema.in_feats), ("num_nodes", schema.num_nodes)):
        if not isinstance(values, dict) or set(values) != types:
            raise ValueError(f"{name} must give every node type a size")
        if any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in values.values()):
            raise ValueError(f"{name} must be integers >= 0")
    for etype in schema.canonical_etypes:
        if len(etype) != 3 or etype[0] not in types or etype[2] not in types:
            raise ValueError(f"edge type {etype!r} joins unknown node types")
    if schema.target_type not in types or not schema.class_names:
        raise ValueError("the target type must be a node type with classes")


def read_node_ids(ids_path: Path, schema: Schema) -> dict:
    """``{node type: ids in model index order}`` from ``node_ids.csv`` (``{}`` if absent)."""
    if not ids_path.is_file():
        return {}
    try:
        frame = pd.read_csv(ids_path, dtype=str, keep_default_na=False)
        node_ids = {t: g["id"].to_numpy(dtype=object) for t, g in frame.groupby("type", sort=False)}
    except (KeyError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataFormatError(ids_path, f"not a node id table ({exc})") from None
    for t, ids in node_ids.items():
        if t not in schema.num_nodes or len(ids) != schema.num_nodes[t]:
            raise DataFormatError(
                ids_path, f"lists {len(ids)} ids of type {t!r}, the run's graph has "
                f"{schema.num_nodes.get(t, 'no such type')}"
            )  # fmt: skip
    return node_ids


def read_metrics(metrics_path: Path) -> dict:
    """The run's ``metrics.json`` as a dict (``{}`` if absent)."""
    if not metrics_path.is_file():
        return {}
    try:
        metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    except RecursionError:
        raise DataFormatError(metrics_path, "not valid JSON (nested too deeply)") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataFormatError(metrics_path, f"not valid JSON ({exc})") from None
    if not isinstance(metrics, dict):
        raise DataFormatError(metrics_path, "not a JSON object of metrics")
    return metrics


def read_training_labels(path: Path, class_names, multilabel: bool):
    """``(ids, known)`` from a run's ``label_input.csv`` or ``training_labels.csv``: its
    training nodes' ids and their one-hot (multi-hot) labels ``(n, C)``, as the label input
    (Correct and Smooth) was propagated from."""
    if not path.is_file():
        raise DataFormatError(path, "missing: the run's training labels are needed to predict")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, usecols=["id", "label_given"])
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataFormatError(path, f"not a label input table ({exc})") from None
    given = frame[frame["label_given"] != ""]
    index = {name: i for i, name in enumerate(class_names)}
    known = torch.zeros(len(given), len(class_names))
    for row, value in enumerate(given["label_given"]):
        names = value.split("|") if multilabel else [value]
        for name in names:
            if name not in index:
                raise DataFormatError(
                    path, f"label_given {value!r} names no class of the run", line=row + 2
                )
            known[row, index[name]] = 1.0
    return given["id"].to_numpy(dtype=object), known
