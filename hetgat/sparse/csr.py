"""Sparse CSR tensors as hetgat uses them: built without torch's warning, rows taken and
indexed. Dense tensors pass through the row helpers unchanged, so callers need not ask which
layout a feature matrix has (bag-of-words features stay sparse end to end)."""

from __future__ import annotations

import warnings

import torch


def sparse_csr(crow: torch.Tensor, col: torch.Tensor, values: torch.Tensor, shape) -> torch.Tensor:
    """Build a CSR tensor without the "beta state" warning torch prints on every construction."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(crow, col, values, shape, check_invariants=False)


def to_csr(x: torch.Tensor) -> torch.Tensor:
    """A dense or COO tensor as sparse CSR (without torch's beta-state warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return x.to_sparse_csr()


def csr_matmul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``a @ b`` of two sparse CSR matrices, as sparse CSR.

    Through COO: torch's own CSR x CSR product on a CPU (2.13; int64 and int32 indices alike)
    never frees part of each result's memory, about the result's size a call, so a process
    that prepares graphs again and again (seeds of a benchmark, a sweep in a notebook) grew by
    gigabytes (pytorch/pytorch#109445 reports the same growth). The COO product frees
    everything; SeHGNN's preparation took 1.1-1.2 times as long on HGB ACM (BENCHMARKS.md)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse.mm(a.to_sparse_coo(), b.to_sparse_coo()).to_sparse_csr()


def take_rows(x: torch.Tensor, n: int) -> torch.Tensor:
    """The first ``n`` rows (the destination nodes of a DGL block)."""
    if x.layout == torch.sparse_csr:
        if n == x.shape[0]:
            return x
        crow = x.crow_indices()[: n + 1]
        end = int(crow[-1])
        return sparse_csr(crow, x.col_indices()[:end], x.values()[:end], (n, x.shape[1]))
    return x[:n]


def index_rows(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``x[index]`` for a dense or sparse CSR ``x`` (torch has no ``index_select`` for CSR)."""
    if x.layout != torch.sparse_csr:
        return x[index]
    crow, col, values = x.crow_indices(), x.col_indices(), x.values()
    starts, counts = crow[index], crow[index + 1] - crow[index]
    new_crow = torch.zeros(len(index) + 1, dtype=crow.dtype, device=crow.device)
    torch.cumsum(counts, 0, out=new_crow[1:])
    # Position in x of every stored value of the selected rows, row after row.
    offsets = torch.repeat_interleave(starts - new_crow[:-1], counts)
    pos = offsets + torch.arange(len(offsets), dtype=crow.dtype, device=crow.device)
    return sparse_csr(new_crow, col[pos], values[pos], (len(index), x.shape[1]))
