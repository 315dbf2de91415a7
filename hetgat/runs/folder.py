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

import warnings
from pathlib import Path

import torch

from hetgat.data import Schema
from hetgat.errors import DataFormatError, HetgatError
from hetgat.models import build_model
from hetgat.runs.checksums import read_recorded
from hetgat.runs.files import check_schema, read_metrics, read_node_ids
from hetgat.runs.run import Run, check_compatible
from hetgat.runs.settings import read_settings
from hetgat.runs.write import TIMING_KEYS, save_run, versions, write_run

__all__ = [
    "TIMING_KEYS",
    "Run",
    "check_compatible",
    "load_run",
    "save_run",
    "versions",
    "write_run",
]


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
