"""Folders built whole: staged as ``<out>.partial``, locked, and never replacing what hetgat did
not write.

- A folder is built as ``<out>.partial`` and renamed when complete (:func:`staged_dir`), under an
  advisory lock (:func:`folder_lock`) so that two processes never build the same folder.
- ``overwrite`` replaces only a folder that hetgat wrote and that holds nothing else
  (:func:`check_replaceable`); a ``.partial`` folder is removed only when it is hetgat's own,
  stale and not resumable. A folder that holds the current folder or an input is never replaced.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import fnmatch
import json
import os
import shutil
from pathlib import Path

from hetgat.errors import HetgatError

#: The name of training checkpoints inside ``.partial`` folders.
CHECKPOINT = "checkpoint.pt"

#: The mark of a folder hetgat is building (inside ``<out>.partial`` only; removed on completion).
PARTIAL_MARK = ".hetgat-partial"

#: Names hetgat may leave in any folder it writes: lock files and temporaries of killed writers.
_TRANSIENT = (".*.lock", ".*.tmp-*", PARTIAL_MARK)

#: What each kind of folder holds when hetgat wrote it: top-level name patterns, and for
#: sub-folders the kind they are checked as.
_CONTENTS = {
    "run": (
        (
            "config.json",
            "metrics.json",
            "timing.json",
            "model.pt",
            "history.csv",
            "node_ids.csv",
            "predictions.csv",
            "attention.csv",
            "attention.csv.gz",
            "attention.parquet",
            "attention.top*.csv",
            "attention.top*.csv.gz",
            "attention.top*.parquet",
            "tables.json",
            "semantic_attention.csv",
            "report.html",
            "job.json",
            CHECKPOINT,
        ),
        {"plots": "plots"},
    ),
    "runs": (("summary.json", "job.json", "report.html"), {"seed-*": "run"}),
    "partition": (("hetgat.json", "node_ids.csv", "*.json"), {"part*": "part"}),
    "part": (("*.dgl",), {}),
    "plots": (("*.png", "*.svg", "embedding.npz"), {}),
    "any": (("*",), {}),
}


def check_folder_path(path: str | Path) -> Path:
    """``path`` as a folder hetgat may build: not empty, not ``/``, not the current folder or
    one above it (it is renamed into place, and replacing it would remove the caller's own
    working folder)."""
    text = os.fspath(path)
    if not text.strip():
        raise HetgatError("the output folder is empty ('')")
    path = Path(text)
    resolved = path.resolve()
    if resolved == Path(resolved.anchor):
        raise HetgatError(f"{text}: cannot write a run into the root folder; choose a sub-folder")
    cwd = Path.cwd().resolve()
    if resolved == cwd or resolved in cwd.parents:
        raise HetgatError(
            f"{text} is the current folder or one above it; choose a new sub-folder for the output"
        )
    return path


def folder_kind(path: Path) -> str | None:
    """``"run"``, ``"runs"`` or ``"partition"`` for a finished folder hetgat wrote, else None."""

    def read(name):
        try:
            value = json.loads((path / name).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError, RecursionError):
            return None
        return value if isinstance(value, dict) else None

    config = read("config.json")
    if config is not None and {"model", "train"} <= config.keys():
        return "run"
    summary = read("summary.json")
    if summary is not None and "runs" in summary:
        return "runs"
    info = read("hetgat.json")
    if info is not None and "part_config" in info:
        return "partition"
    return None


def foreign_entry(path: Path, kind: str) -> Path | None:
    """The first entry under ``path`` that a ``kind`` folder of hetgat's does not hold."""
    names, folders = _CONTENTS[kind]
    for entry in sorted(path.iterdir()):
        name = entry.name
        if any(fnmatch.fnmatchcase(name, p) for p in _TRANSIENT) and not entry.is_dir():
            continue
        sub = next((k for p, k in folders.items() if fnmatch.fnmatchcase(name, p)), None)
        if entry.is_dir() and not entry.is_symlink() and sub is not None:
            found = foreign_entry(entry, sub)
            if found is not None:
                return found
        elif entry.is_symlink() or not entry.is_file() or sub is not None:
            return entry
        elif not any(fnmatch.fnmatchcase(name, p) for p in names):
            return entry
    return None


def check_replaceable(path: Path, kinds: tuple[str, ...], keep: tuple = ()) -> None:
    """Raise :class:`HetgatError` unless the folder ``path`` may be replaced: a folder of one of
    ``kinds`` that hetgat wrote, holding nothing else and none of the paths ``keep``."""
    resolved = path.resolve()
    for kept in keep:
        kept = Path(kept).resolve()
        if kept == resolved or resolved in kept.parents:
            raise HetgatError(f"{path} holds the input {kept}; it is never replaced")
    kind = folder_kind(path)
    if kind is None:
        raise HetgatError(
            f"{path} is not a folder hetgat wrote; it is not replaced: choose another output folder"
        )
    if kind not in kinds:
        raise HetgatError(
            f"{path} is a {kind} folder, not a {' or '.join(kinds)} folder; it is not replaced"
        )
    foreign = foreign_entry(path, kind)
    if foreign is not None:
        raise HetgatError(
            f"{path} holds {foreign.relative_to(path)}, which hetgat did not write; "
            "it is not replaced: move it or choose another output folder"
        )


@contextlib.contextmanager
def folder_lock(path: Path):
    """Hold an advisory lock on building ``path`` (a ``.<name>.lock`` file beside it).

    A second process is refused at once; a killed holder's lock goes with it (``flock``), so it
    never blocks the next run.
    """
    lock_path = path.with_name(f".{path.name}.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
            holder = _read_pid(lock_path)
            raise HetgatError(
                f"{path} is being written by another hetgat process"
                + (f" (pid {holder})" if holder else "")
                + "; wait for it to finish or choose another output folder"
            ) from None
        # The file may have been removed by the holder that just released it: lock again.
        try:
            same = os.fstat(fd).st_ino == os.stat(lock_path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        with contextlib.suppress(OSError):
            lock_path.unlink()
        os.close(fd)


def _read_pid(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _clear_partial(partial: Path, overwrite: bool, final: Path) -> None:
    """Remove a ``.partial`` folder left by an earlier hetgat run, or refuse (see module)."""
    if partial.is_symlink() or not partial.is_dir():
        raise HetgatError(f"{partial} exists and was not made by hetgat; move it away")
    marked = (partial / PARTIAL_MARK).is_file()
    if not marked and folder_kind(partial) is not None:
        raise HetgatError(
            f"{partial} is a finished folder, not one hetgat is building; it is not replaced: "
            "move it or choose another output folder"
        )
    if not marked and not (partial / "job.json").is_file() and any(partial.iterdir()):
        raise HetgatError(f"{partial} exists and was not made by hetgat; move it away")
    if has_checkpoint(partial) and not overwrite:
        raise HetgatError(
            f"{partial} holds an interrupted run: continue it with `resume` {final}, "
            "or pass `overwrite` to start again",
            params=("resume", "overwrite"),
        )
    foreign = foreign_entry(partial, _partial_kind(partial))
    if foreign is not None:
        raise HetgatError(
            f"{partial} holds {foreign.relative_to(partial)}, which hetgat did not write; "
            "move it away"
        )
    shutil.rmtree(partial)


def _partial_kind(partial: Path) -> str:
    try:
        kind = json.loads((partial / PARTIAL_MARK).read_text()).get("kind")
    except (OSError, ValueError, AttributeError):
        kind = None
    if kind in _CONTENTS:
        return kind
    return "runs" if any(partial.glob("seed-*")) else "run"


@contextlib.contextmanager
def staged_dir(
    path: str | Path,
    overwrite: bool = False,
    resume: bool = False,
    *,
    kind: str = "any",
    replaces: tuple[str, ...] | None = None,
    keep: tuple = (),
):
    """Build a folder as ``<path>.partial`` and rename it to ``path`` when complete.

    A killed process leaves at most a ``.partial`` folder, never one that looks finished.
    An existing non-empty ``path`` is refused unless ``overwrite``, and even then unless it is
    a folder of one of the kinds ``replaces`` (default: ``kind``) that hetgat wrote, holding
    nothing else (:func:`check_replaceable`) and none of the paths ``keep`` (the inputs). A
    ``.partial`` folder that holds a training checkpoint is kept when the block fails (so the
    run can be resumed) and is never replaced unless ``overwrite``; ``resume`` goes on building
    in it. The whole build holds :func:`folder_lock`.
    """
    path = check_folder_path(path)
    partial = partial_dir(path)
    replaces = replaces or (kind,)
    if not resume:
        check_out_folder(path, overwrite, replaces, keep)
    with folder_lock(path):
        if resume:
            if not partial.is_dir():
                raise HetgatError(f"{path}: nothing to resume ({partial} not found)")
        else:
            check_out_folder(path, overwrite, replaces, keep)  # again, under the lock
            if partial.exists() or partial.is_symlink():
                _clear_partial(partial, overwrite, path)
            partial.mkdir(parents=True)
        (partial / PARTIAL_MARK).write_text(json.dumps({"kind": kind, "pid": os.getpid()}))
        try:
            yield partial
        except BaseException:
            if not has_checkpoint(partial):
                shutil.rmtree(partial, ignore_errors=True)
            raise
        for leftover in partial.rglob(CHECKPOINT):
            leftover.unlink()
        (partial / PARTIAL_MARK).unlink(missing_ok=True)
        if path.exists():
            if overwrite:
                check_replaceable(path, replaces, keep)
                shutil.rmtree(path)
            elif any(path.iterdir()):
                raise HetgatError(f"{path} appeared while it was being written; kept {partial}")
            else:
                path.rmdir()
        os.replace(partial, path)


def check_out_folder(path: Path, overwrite: bool, replaces, keep=()) -> None:
    """Refuse an existing output folder unless ``overwrite`` may replace it (see
    :func:`staged_dir`); called again by it, and early by commands before reading large data."""
    path = check_folder_path(path)
    if path.is_symlink() and not path.exists():
        raise HetgatError(f"{path} is a link to a missing folder")
    if path.exists() and not path.is_dir():
        raise HetgatError(f"{path} exists and is not a folder")
    if path.is_dir() and any(path.iterdir()):
        if not overwrite:
            raise HetgatError(
                f"{path} already exists; choose another `out` or pass `overwrite`",
                params=("out", "overwrite"),
            )
        check_replaceable(path, replaces, keep)


def partial_dir(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(path.name + ".partial")


def has_checkpoint(folder: Path) -> bool:
    return folder.is_dir() and any(folder.rglob(CHECKPOINT))
