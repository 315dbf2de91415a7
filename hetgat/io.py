"""Atomic writes: a file appears complete under its name or not at all."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path beside ``path``; rename it onto ``path`` when the block succeeds.

    On an exception the temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_json(path: str | Path, obj) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=False, allow_nan=True) + "\n")


@contextlib.contextmanager
def staged_dir(path: str | Path, overwrite: bool = False, resume: bool = False):
    """Build a folder as ``<path>.partial`` and rename it to ``path`` when complete.

    A killed process leaves at most a ``.partial`` folder, never one that looks finished.
    An existing non-empty ``path`` is refused unless ``overwrite``. A ``.partial`` folder that
    holds a training checkpoint is kept when the block fails (so the run can be resumed) and
    is never replaced unless ``overwrite``; ``resume`` goes on building in it.
    """
    from hetgat.errors import HetgatError

    path = Path(path)
    partial = partial_dir(path)
    if resume:
        if not partial.is_dir():
            raise HetgatError(f"{path}: nothing to resume ({partial} not found)")
    else:
        if path.exists() and not path.is_dir():
            raise HetgatError(f"{path} exists and is not a folder")
        if path.is_dir() and any(path.iterdir()) and not overwrite:
            raise HetgatError(f"{path} already exists; choose another --out or pass --overwrite")
        if partial.exists():
            if has_checkpoint(partial) and not overwrite:
                raise HetgatError(
                    f"{partial} holds an interrupted run: continue it with --resume {path}, "
                    "or pass --overwrite to start again"
                )
            shutil.rmtree(partial)
        partial.mkdir(parents=True)
    try:
        yield partial
    except BaseException:
        if not has_checkpoint(partial):
            shutil.rmtree(partial, ignore_errors=True)
        raise
    for leftover in partial.rglob(CHECKPOINT):
        leftover.unlink()
    if path.exists():
        shutil.rmtree(path)
    os.replace(partial, path)


#: The name of training checkpoints inside ``.partial`` folders.
CHECKPOINT = "checkpoint.pt"


def partial_dir(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(path.name + ".partial")


def has_checkpoint(folder: Path) -> bool:
    return folder.is_dir() and any(folder.rglob(CHECKPOINT))
