"""The seeds of a ``fit --runs N`` folder (``summary.json`` and ``seed-<n>/`` run folders):
which one a reader of a single run uses, and what the other seeds learned."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import pandas as pd

from hetgat.errors import HetgatError
from hetgat.runs.files import read_metrics
from hetgat.runs.folder import Run, load_run

#: The validation figures that choose the best seed, in order (ties: the next, then the seed).
BEST_BY = ("val_macro_f1", "val_accuracy")


def seed_folders(path: Path) -> list[Path]:
    """The finished run folders ``seed-<n>/`` of a ``--runs`` folder, by seed."""

    def seed(p: Path) -> int:
        tail = p.name.removeprefix("seed-")
        return int(tail) if tail.isdigit() else math.inf

    found = [p for p in path.glob("seed-*") if (p / "config.json").is_file()]
    return sorted(found, key=lambda p: (seed(p), p.name))


def best_seed(path: str | Path) -> tuple[Path, str]:
    """The seed folder of ``--runs`` folder ``path`` with the best validation macro-F1 (then
    validation accuracy, then the lowest seed), and a sentence saying which and why.

    Validation, not test: choosing by test figures would report a test score picked on test.
    """
    path = Path(path)
    folders = seed_folders(path)
    if not folders:
        raise HetgatError(f"{path} holds no finished seed-N/ run folder")

    def score(folder: Path) -> tuple:
        metrics = read_metrics(folder / "metrics.json")
        values = []
        for key in BEST_BY:
            v = metrics.get(key)
            ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            values.append(v if ok else -math.inf)
        return tuple(values)

    scores = {f: score(f) for f in folders}
    best = max(folders, key=lambda f: scores[f])  # max keeps the first (lowest seed) on ties
    value = scores[best][0]
    shown = f"{value:.4f}" if math.isfinite(value) else "none recorded"
    note = (
        f"{path} holds {len(folders)} seeds: using {best.name}, the best validation macro-F1 "
        f"({shown}); name another seed-N/ folder to see it"
    )
    return best, note


def load_run_or_best(path: str | Path, *, unseen_nodes: str = "error") -> Run:
    """:func:`~hetgat.runs.folder.load_run`, or for a ``--runs`` folder its best seed
    (:func:`best_seed`), saying so on the ``hetgat`` logger."""
    path = Path(path)
    if not (path / "config.json").is_file() and (path / "summary.json").is_file():
        path, note = best_seed(path)
        logging.getLogger("hetgat").warning(note)
    return load_run(path, unseen_nodes=unseen_nodes)


def sibling_semantic(run: Run) -> pd.DataFrame | None:
    """The semantic attention (``semantic_attention.csv``) of every seed of the ``--runs``
    folder ``run`` belongs to, with a ``seed`` column; None unless ``run`` is one of at least
    two seeds that wrote one."""
    parent = run.path.parent
    if not run.path.name.startswith("seed-") or not (parent / "summary.json").is_file():
        return None
    frames = []
    for folder in seed_folders(parent):
        table = folder / "semantic_attention.csv"
        if table.is_file():
            try:
                frame = pd.read_csv(table, dtype={"edge_type": str, "target_type": str})
            except (ValueError, UnicodeDecodeError, pd.errors.ParserError):
                continue  # a damaged sibling is left out of the comparison, not fatal
            if {"layer", "target_type", "edge_type", "attention"} <= set(frame.columns):
                frames.append(frame.assign(seed=folder.name))
    if len(frames) < 2:
        return None
    return pd.concat(frames, ignore_index=True)
