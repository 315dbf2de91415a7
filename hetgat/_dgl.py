"""Import DGL quietly and work around known problems of DGL 1.1.x (the thread pools are
:mod:`hetgat.sparse.threads`'s).

DGL prints a backend notice on first import unless ``DGLBACKEND`` is set, and its libxsmm SpMM
kernel crashes on some CSR-built graphs (``Check notnull: edges``); it was not faster here.
"""

import os

os.environ.setdefault("DGLBACKEND", "pytorch")

import dgl  # noqa: E402

dgl.use_libxsmm(False)

__all__ = ["dgl"]
