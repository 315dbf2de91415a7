"""Files that appear complete under their name or not at all.

A file is written under a temporary name beside it (``.<name>.tmp-<pid>``) and renamed onto
its name when complete; temporaries that a killed process left are removed by the next write
of the same file. :func:`check_output_file` says whether a file may be written at all.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from hetgat.errors import HetgatError


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temporaries(path: Path) -> None:
    """Remove ``.<name>.tmp-<pid>`` files beside ``path`` whose process is gone."""
    prefix = f".{path.name}.tmp-"
    try:
        siblings = list(path.parent.iterdir())
    except OSError:
        return
    for sibling in siblings:
        pid = sibling.name[len(prefix) :]
        if sibling.name.startswith(prefix) and pid.isdigit() and not _alive(int(pid)):
            with contextlib.suppress(OSError):
                sibling.unlink()


@contextlib.contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path beside ``path``; rename it onto ``path`` when the block succeeds.

    On an exception the temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    remove_stale_temporaries(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_json(path: str | Path, obj) -> None:
    """``obj`` as JSON, atomically; NaN and infinities (not JSON) are written as ``null``."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(json_safe(obj), indent=2, allow_nan=False) + "\n")


def json_safe(obj):
    """``obj`` with every float that JSON cannot hold (NaN, +-inf) replaced by None."""
    if isinstance(obj, float) and (obj != obj or obj in (float("inf"), float("-inf"))):
        return None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    return obj


def check_output_file(
    path: str | Path, overwrite: bool = False, protected: tuple = (), replaceable: tuple = ()
) -> None:
    """Raise :class:`HetgatError` unless writing the file ``path`` loses nothing.

    An existing file is replaced only with ``overwrite``, and never when it is one of the
    ``protected`` paths (a run folder's own files, the inputs); ``replaceable`` paths (hetgat's
    own default outputs, e.g. a run's ``report.html``) are replaced without asking.
    """
    if os.fspath(path) == "-":
        return
    path = Path(path)
    if not os.fspath(path).strip():
        raise HetgatError("the output file name is empty ('')")
    if path.is_dir():
        raise HetgatError(f"{path} is a folder; give a file name")
    if path.is_symlink() and not path.exists():
        raise HetgatError(f"{path} is a link to a missing file")
    if not path.exists():
        return
    if not path.is_file():
        raise HetgatError(f"{path} is not a regular file (a device or pipe); give a file name")
    resolved = path.resolve()
    if any(resolved == Path(p).resolve() for p in protected):
        raise HetgatError(f"{path} is a file of the run or an input; it is never overwritten")
    if any(resolved == Path(p).resolve() for p in replaceable):
        return
    if not overwrite:
        raise HetgatError(
            f"{path} already exists; pass `overwrite` to replace it", params=("overwrite",)
        )
