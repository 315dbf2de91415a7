"""Transforms applied to loaded data."""

from __future__ import annotations

import torch

from hetgat.sparse.csr import sparse_csr


def row_normalize(x: torch.Tensor) -> torch.Tensor:
    """Divide every row by its sum (rows summing to 0 stay 0); dense or sparse CSR.

    The standard preprocessing of bag-of-words features (Kipf & Welling; the GAT paper).
    """
    if x.layout == torch.sparse_csr:
        crow = x.crow_indices()
        counts = crow[1:] - crow[:-1]
        sums = torch.zeros(x.shape[0], dtype=x.dtype).index_add_(
            0, torch.repeat_interleave(torch.arange(x.shape[0]), counts), x.values()
        )
        scale = torch.where(sums != 0, 1.0 / sums, torch.zeros_like(sums))
        values = x.values() * torch.repeat_interleave(scale, counts)
        return sparse_csr(crow, x.col_indices(), values, x.shape)
    sums = x.sum(1, keepdim=True)
    return torch.where(sums != 0, x / torch.where(sums != 0, sums, 1), torch.zeros_like(x))
