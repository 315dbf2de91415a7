"""weighted_sum: every kernel (plain torch's block-diagonal CSR product; DGL's SpMM and its
per-head CSR products) against a dense oracle and DGL's own u_mul_e, in float64, values and
gradients, on graphs, blocks and edge cases."""

import pytest
import torch

import hetgat.sparse.dgl_ops as aggregate
from hetgat.sparse import use_kernels, weighted_sum
from hetgat.sparse.masks import dropout_mask
from tests.conftest import import_dgl

dgl = import_dgl()

fn = dgl.function


@pytest.fixture(params=["dgl", "csr", "torch", "torch-sparse"])
def kernel(request, monkeypatch):
    """Run the test with DGL's kernels, with its per-head CSR products, then in plain torch:
    gathers (small graphs) and sparse products (large ones; here forced)."""
    import hetgat.sparse.spmm as spmm

    monkeypatch.setattr(aggregate, "MIN_FEATS", 10**9 if request.param == "dgl" else 1)
    if request.param == "torch-sparse":
        monkeypatch.setattr(spmm, "GATHER_ELEMENTS", -1)
    with use_kernels("torch" if request.param.startswith("torch") else "dgl"):
        yield request.param


def shuffled_graph(n=12, m=60, seed=0, isolated=2, idtype=torch.int64):
    """Random multigraph, edges in no particular order, the last nodes without in-edges."""
    g = torch.Generator().manual_seed(seed)
    src = torch.randint(0, n, (m,), generator=g)
    dst = torch.randint(0, n - isolated, (m,), generator=g)
    return dgl.graph((src, dst), num_nodes=n, idtype=idtype)


def dense_oracle(graph, w, z):
    """``h_i = sum_j w_ij z_j`` edge by edge into a dense (N_dst, H, D) array (test only)."""
    src, dst = graph.edges(order="eid")
    out = torch.zeros(graph.num_dst_nodes(), z.shape[1], z.shape[2], dtype=z.dtype)
    for e in range(graph.num_edges()):
        out[dst[e]] += w[e] * z[src[e]]
    return out


def dgl_sum(graph, w, z):
    with graph.local_scope():
        graph.srcdata["z"] = z
        graph.edata["w"] = w
        graph.update_all(fn.u_mul_e("z", "w", "m"), fn.sum("m", "h"))
        return graph.dstdata["h"]


@pytest.mark.parametrize("idtype", [torch.int64, torch.int32])
@pytest.mark.parametrize("with_mask", [False, True])
def test_values_and_gradients_equal_dgl_u_mul_e(kernel, with_mask, idtype):
    graph = shuffled_graph(idtype=idtype)
    torch.manual_seed(0)
    w = torch.rand(graph.num_edges(), 3, 1, dtype=torch.float64, requires_grad=True)
    z = torch.randn(graph.num_nodes(), 3, 5, dtype=torch.float64, requires_grad=True)
    mask = dropout_mask(w.shape, 0.5) if with_mask else None
    out = weighted_sum(graph, w, z, mask)
    masked_w = w if mask is None else w * mask
    want = dgl_sum(graph, masked_w, z)
    torch.testing.assert_close(out, want)
    torch.testing.assert_close(out, dense_oracle(graph, masked_w.detach(), z.detach()))
    assert torch.equal(out[-2:], torch.zeros_like(out[-2:]))  # no in-edges: 0
    g_out = torch.randn_like(out)
    got = torch.autograd.grad((out * g_out).sum(), (w, z))
    expected = torch.autograd.grad((want * g_out).sum(), (w, z))
    for a, b in zip(got, expected):
        torch.testing.assert_close(a, b)


def test_gradcheck(kernel):
    graph = shuffled_graph(6, 15, isolated=1)
    w = torch.rand(graph.num_edges(), 2, 1, dtype=torch.float64, requires_grad=True)
    z = torch.randn(6, 2, 3, dtype=torch.float64, requires_grad=True)
    mask = dropout_mask(w.shape, 0.3)
    assert torch.autograd.gradcheck(lambda w, z: weighted_sum(graph, w, z, mask), (w, z))


def test_on_a_sampled_block(kernel):
    """Blocks: sources cover the destinations first; CSC and CSR are the block's own."""
    graph = shuffled_graph(40, 300, isolated=0)
    seeds = torch.tensor([3, 1, 7, 20])
    block = dgl.to_block(dgl.sampling.sample_neighbors(graph, seeds, 5), seeds)
    torch.manual_seed(1)
    w = torch.rand(block.num_edges(), 2, 1, dtype=torch.float64, requires_grad=True)
    z = torch.randn(block.num_src_nodes(), 2, 4, dtype=torch.float64, requires_grad=True)
    out = weighted_sum(block, w, z)
    assert out.shape == (4, 2, 4)
    torch.testing.assert_close(out, dense_oracle(block, w.detach(), z.detach()))
    got = torch.autograd.grad(out.sum(), (w, z))
    expected = torch.autograd.grad(dgl_sum(block, w, z).sum(), (w, z))
    for a, b in zip(got, expected):
        torch.testing.assert_close(a, b)


def test_graph_without_edges(kernel):
    graph = dgl.graph((torch.tensor([], dtype=torch.int64),) * 2, num_nodes=4)
    w = torch.rand(0, 2, 1, requires_grad=True)
    z = torch.randn(4, 2, 3, requires_grad=True)
    out = weighted_sum(graph, w, z)
    assert torch.equal(out, torch.zeros(4, 2, 3))
    grad_w, grad_z = torch.autograd.grad(out.sum(), (w, z))
    assert grad_w.shape == (0, 2, 1) and torch.equal(grad_z, torch.zeros(4, 2, 3))


def test_the_two_kernels_agree_in_float32(monkeypatch):
    """What the models run: float32, wide heads (the CSR kernel), against DGL's kernel."""
    graph = shuffled_graph(200, 3000, isolated=5)
    torch.manual_seed(2)
    w = torch.rand(graph.num_edges(), 4, 1, requires_grad=True)
    z = torch.randn(200, 4, 32, requires_grad=True)
    g_out = torch.randn(200, 4, 32)
    results = []
    for min_feats in (1, 10**9):
        monkeypatch.setattr(aggregate, "MIN_FEATS", min_feats)
        out = weighted_sum(graph, w, z)
        results.append((out, *torch.autograd.grad((out * g_out).sum(), (w, z))))
    for a, b in zip(*results):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)
