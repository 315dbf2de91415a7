"""What a run read: the size and SHA-256 of every input file, so that a run meeting its files
again knows whether they changed.

``hetgat fit`` records them (``config.json``'s and ``job.json``'s ``"input_files"``); resuming
on changed files is refused (:func:`check_unchanged`), and ``predict``/``attention`` on a
run's own data say when its files changed since (:func:`changed_inputs`). A folder source
(a CSVDataset) is recorded file by file. Named datasets (``hgb:acm``) are published files read
from ``$HETGAT_DATA``: they are not recorded. Data given in memory has no files to record.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from hetgat.errors import DataFormatError, HetgatError

#: Bytes read at a time while hashing.
CHUNK = 1 << 20


def _files(source) -> list[str]:
    """The files ``source`` reads (a folder's files, sorted), as absolute paths."""
    if source is None or source.is_named():  # data in memory; published named data
        return []
    out = []
    for path in source.input_paths():
        if os.path.isdir(path):
            out += sorted(str(p) for p in Path(path).rglob("*") if p.is_file())
        else:
            out.append(os.path.abspath(path))
    return out


def sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def record_inputs(source) -> list[dict]:
    """``[{"path", "bytes", "sha256"}]`` of every file ``source`` reads."""
    return [
        {"path": path, "bytes": os.path.getsize(path), "sha256": sha256(path)}
        for path in _files(source)
    ]


def changed_inputs(recorded) -> list[str]:
    """What changed in the files ``recorded`` (one phrase each: the path and how); empty when
    every file is as it was."""
    changes = []
    for entry in recorded or ():
        path = entry["path"]
        if not os.path.isfile(path):
            changes.append(f"{path} is gone")
        elif os.path.getsize(path) != entry["bytes"]:
            changes.append(f"{path} has {os.path.getsize(path)} bytes, was {entry['bytes']}")
        elif sha256(path) != entry["sha256"]:
            changes.append(f"{path} has other contents (same size)")
    return changes


def check_unchanged(recorded, what: str) -> None:
    """Refuse to go on when a file ``recorded`` changed (``what``: the job, for the message)."""
    changes = changed_inputs(recorded)
    if changes:
        more = f" (and {len(changes) - 1} more)" if len(changes) > 1 else ""
        raise HetgatError(
            f"{what} read other files: {changes[0]}{more} since it started; resuming would "
            "train on other data than it began with: start a new run instead",
            params=("resume",),
        )


def read_recorded(values, path) -> list[dict]:
    """``"input_files"`` of a run's ``config.json`` or a job's ``job.json`` (``[]`` if absent),
    checked."""
    if values is None:
        return []
    ok = isinstance(values, list) and all(
        isinstance(v, dict)
        and isinstance(v.get("path"), str)
        and isinstance(v.get("bytes"), int)
        and isinstance(v.get("sha256"), str)
        for v in values
    )
    if not ok:
        raise DataFormatError(path, "input_files: not a list of {path, bytes, sha256}")
    return values
