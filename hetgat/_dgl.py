"""Import DGL quietly and work around known problems of DGL 1.1.x.

DGL prints a backend notice on first import unless ``DGLBACKEND`` is set, and its libxsmm SpMM
kernel crashes on some CSR-built graphs (``Check notnull: edges``); it was not faster here.
"""

import contextlib
import os

os.environ.setdefault("DGLBACKEND", "pytorch")

import dgl  # noqa: E402

dgl.use_libxsmm(False)

__all__ = ["dgl", "set_threads", "using_threads"]


def set_threads(threads: int | None = None) -> int:
    """Run torch's and DGL's CPU kernels on ``threads`` threads; default: the usable cores.

    Both libraries keep their own OpenMP pool; setting one leaves the other at its default.
    Returns the number set.
    """
    import torch

    if threads is None:
        threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
        threads = threads or os.cpu_count() or 1
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
