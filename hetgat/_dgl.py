"""Import DGL quietly and work around known problems of DGL 1.1.x.

DGL prints a backend notice on first import unless ``DGLBACKEND`` is set, and its libxsmm SpMM
kernel crashes on some CSR-built graphs (``Check notnull: edges``); it was not faster here.
"""

import contextlib
import os

os.environ.setdefault("DGLBACKEND", "pytorch")

import dgl  # noqa: E402

dgl.use_libxsmm(False)

__all__ = ["default_threads", "dgl", "set_threads", "using_threads"]


def default_threads() -> int:
    """``OMP_NUM_THREADS`` when it is set to a positive integer, else the usable cores."""
    value = os.environ.get("OMP_NUM_THREADS", "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return cores or os.cpu_count() or 1


def set_threads(threads: int | None = None) -> int:
    """Run torch's and DGL's CPU kernels on ``threads`` threads; default: :func:`default_threads`.

    Both libraries keep their own OpenMP pool; setting one leaves the other at its default.
    Every command that runs a model sets both the same way, so that ``hetgat attention`` and
    ``hetgat predict`` sum in the order ``hetgat fit`` did (same bytes). Returns the number set.
    """
    import torch

    if threads is None:
        threads = default_threads()
    torch.set_num_threads(threads)
    dgl.utils.set_num_threads(threads)
    return threads


@contextlib.contextmanager
def using_threads(threads: int | None = None):
    """:func:`set_threads` for the ``with`` block; both pools get their previous sizes back."""
    import torch

    before = torch.get_num_threads(), dgl.utils.get_num_threads()
    try:
        yield set_threads(threads)
    finally:
        torch.set_num_threads(before[0])
        dgl.utils.set_num_threads(before[1])
