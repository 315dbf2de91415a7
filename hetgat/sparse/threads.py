"""The CPU threads torch's (and, where DGL is installed, DGL's) kernels run on.

Both libraries keep their own OpenMP pool; every command that runs a model sets both the same
way, so that ``hetgat attention`` and ``hetgat predict`` sum in the order ``hetgat fit`` did
(same bytes).
"""

from __future__ import annotations

import contextlib
import os

import torch

from hetgat.config import MAX_THREADS
from hetgat.errors import ConfigError
from hetgat.sparse.dgl_interop import dgl_threads


def default_threads() -> int:
    """``OMP_NUM_THREADS`` when it is set to a positive integer, else the usable cores."""
    value = os.environ.get("OMP_NUM_THREADS", "").strip()
    if value.isdigit() and int(value) > 0:
        return min(int(value), MAX_THREADS)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return cores or os.cpu_count() or 1


def set_threads(threads: int | None = None) -> int:
    """Run the CPU kernels on ``threads`` threads; default: :func:`default_threads`.
    Returns the number set."""
    if threads is None:
        threads = default_threads()
    if isinstance(threads, bool) or not isinstance(threads, int) or not 1 <= threads <= MAX_THREADS:
        raise ConfigError("threads", threads, f"an integer from 1 to {MAX_THREADS}")
    torch.set_num_threads(threads)
    functions = dgl_threads()
    if functions is not None:
        functions[1](threads)
    return threads


@contextlib.contextmanager
def using_threads(threads: int | None = None):
    """:func:`set_threads` for the ``with`` block; the pools get their previous sizes back."""
    functions = dgl_threads()
    before = torch.get_num_threads(), (functions[0]() if functions else None)
    try:
        yield set_threads(threads)
    finally:
        torch.set_num_threads(before[0])
        if functions is not None:
            functions[1](before[1])
