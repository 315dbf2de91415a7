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
def staged_dir(path: str | Path, overwrite: bool = False):
    """Build a folder as ``<path>.partial`` and rename it to ``path`` when complete.

    A killed process leaves at most a ``.partial`` folder, never one that looks finished.
    An existing non-empty ``path`` is refused unless ``overwrite``.
    """
    from hetgat.errors import HetgatError

    path = Path(path)
    if path.exists() and not path.is_dir():
        raise HetgatError(f"{path} exists and is not a folder")
    if path.is_dir() and any(path.iterdir()) and not overwrite:
        raise HetgatError(f"{path} already exists; choose another --out or pass --overwrite")
    partial = path.with_name(path.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    try:
        yield partial
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if path.exists():
        shutil.rmtree(path)
    os.replace(partial, path)
