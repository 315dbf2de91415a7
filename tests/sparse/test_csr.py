"""Sparse CSR helpers: the sparse x sparse product's values, and its memory given back."""

import ctypes
import gc
import os
import sys

import pytest
import torch

from hetgat.sparse.csr import csr_matmul, to_csr


def random_csr(rows: int, cols: int, density: float, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    dense = (torch.rand(rows, cols, generator=g) < density) * torch.rand(rows, cols, generator=g)
    return to_csr(dense)


def test_csr_matmul_equals_the_dense_product():
    a, b = random_csr(30, 50, 0.1, 0), random_csr(50, 20, 0.1, 1)
    out = csr_matmul(a, b)
    assert out.layout == torch.sparse_csr
    torch.testing.assert_close(out.to_dense(), a.to_dense() @ b.to_dense())
    empty = csr_matmul(random_csr(4, 5, 0.0, 2), random_csr(5, 3, 0.5, 3))
    assert empty.shape == (4, 3) and empty._nnz() == 0


def resident_bytes() -> int:
    """The process's resident memory, after Python's and glibc's free lists are returned."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:  # not glibc: freed memory may stay with the allocator
        pytest.skip("needs glibc's malloc_trim")
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and glibc")
def test_csr_matmul_gives_its_memory_back():
    """torch's CSR x CSR product on a CPU keeps about its result's size each call (a SeHGNN
    benchmark process grew by 100 MB a fit, to 19 GB); 30 products of a ~4 MB result must
    leave the process about where it was."""
    a, b = random_csr(3000, 6000, 0.001, 0), random_csr(6000, 2000, 0.01, 1)
    csr_matmul(a, b)  # first-call allocations (thread pools, caches) are not a leak
    before = resident_bytes()
    for _ in range(30):
        out = csr_matmul(a, b)
        del out
    assert resident_bytes() - before < 20e6
