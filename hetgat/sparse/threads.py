"""The CPU threads torch's (and, where DGL is loaded, DGL's) kernels run on.

Both libraries keep their own OpenMP pool; every command that runs a model sets both the same
way, so that ``hetgat attention`` and ``hetgat predict`` sum in the order ``hetgat fit`` did
(same bytes).
"""

from __future__ import annotations

import contextlib
import os

import torch


def default_threads() -> int:
    """``OMP_NUM_THREADS`` when it is set to a positive integer, else the usable cores."""
    value = os.environ.get("OMP_NUM_THREADS", "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return cores or os.cpu_count() or 1


def _dgl_utils():
    """DGL's thread functions where DGL is installed, else None."""
    try:
        from hetgat._dgl import dgl
    except ImportError:
        return None
    return dgl.utils


def set_threads(threads: int | None = None) -> int:
    """Run the CPU kernels on ``threads`` threads; default: :func:`default_threads`.
    Returns the number set."""
    if threads is None:
        threads = default_threads()
    torch.set_num_threads(threads)
    utils = _dgl_utils()
    if utils is not None:
        utils.set_num_threads(threads)
    return threads


@contextlib.contextmanager
def using_threads(threads: int | None = None):
    """:func:`set_threads` for the ``with`` block; the pools get their previous sizes back."""
    utils = _dgl_utils()
    before = torch.get_num_threads(), (utils.get_num_threads() if utils else None)
    try:
        yield set_threads(threads)
    finally:
        torch.set_num_threads(before[0])
        if utils is not None:
            utils.set_num_threads(before[1])
