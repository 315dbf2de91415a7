"""The softmax folded into the aggregation equals edge_softmax then u_mul_e, dropout included."""

import pytest
import torch

from hetgat.sparse import softmax_aggregate, use_kernels
from hetgat.sparse.masks import dropout_mask
from tests.conftest import import_dgl

dgl = import_dgl()

fn = dgl.function


@pytest.fixture(autouse=True, params=["dgl", "torch", "torch-sync-free"])
def kernels(request, monkeypatch):
    """Every test with DGL's kernels, then with plain torch's, then as plain torch runs on a
    GPU (each destination shifted by its own largest score: no host round trip)."""
    import hetgat.sparse.torch_ops as torch_ops

    monkeypatch.setattr(torch_ops, "SYNC_FREE", request.param == "torch-sync-free")
    with use_kernels("dgl" if request.param == "dgl" else "torch"):
        yield request.param


def reference(graph, e, z, weights=None):
    """``sum_j a_ij z_j`` with DGL's edge_softmax (``weights`` replace ``a`` when given)."""
    a = dgl.nn.functional.edge_softmax(graph, e)
    with graph.local_scope():
        graph.srcdata["z"] = z
        graph.edata["a"] = a if weights is None else weights(a)
        graph.update_all(fn.u_mul_e("z", "a", "m"), fn.sum("m", "h"))
        return graph.dstdata["h"], a


def random_graph(n=30, m=120, seed=0, isolated=3):
    g = torch.Generator().manual_seed(seed)
    src = torch.randint(0, n, (m,), generator=g)
    dst = torch.randint(0, n - isolated, (m,), generator=g)  # the last nodes get no in-edge
    return dgl.graph((src, dst), num_nodes=n)


@pytest.mark.parametrize("slope", [None, 0.2])  # 0.2: leaky ReLU fused with the exp
@pytest.mark.parametrize("spread", [1.0, 30.0, 300.0])  # 300: sums underflow, exact fallback
def test_equals_edge_softmax_values_and_gradients(spread, slope):
    graph = random_graph()
    torch.manual_seed(1)
    e = (torch.randn(graph.num_edges(), 4, 1, dtype=torch.float64) * spread).requires_grad_()
    z = torch.randn(graph.num_nodes(), 4, 3, dtype=torch.float64, requires_grad=True)
    out, a = softmax_aggregate(graph, e, z, get_attention=True, negative_slope=slope)
    scores = e if slope is None else torch.nn.functional.leaky_relu(e, slope)
    want, want_a = reference(graph, scores, z)
    torch.testing.assert_close(out, want)
    torch.testing.assert_close(a, want_a)
    assert torch.equal(out[-3:], torch.zeros_like(out[-3:]))  # no in-edges: 0, not NaN
    g_out = torch.randn_like(out)
    grads = torch.autograd.grad((out * g_out).sum(), (e, z))
    want_grads = torch.autograd.grad((want * g_out).sum(), (e, z))
    for got, expected in zip(grads, want_grads):
        torch.testing.assert_close(got, expected)


def test_gradcheck():
    graph = random_graph(8, 20, isolated=1)
    e = torch.randn(graph.num_edges(), 2, 1, dtype=torch.float64, requires_grad=True)
    z = torch.randn(8, 2, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda e, z: softmax_aggregate(graph, e, z)[0], (e, z))
    leaky = softmax_aggregate(graph, e, z, negative_slope=0.1)[0]  # fused leaky ReLU and exp
    torch.testing.assert_close(
        leaky, softmax_aggregate(graph, torch.nn.functional.leaky_relu(e, 0.1), z)[0]
    )
    assert torch.autograd.gradcheck(
        lambda e, z: softmax_aggregate(graph, e, z, negative_slope=0.1)[0], (e, z)
    )


@pytest.mark.parametrize("kind", ["graph", "block"])
def test_dropout_is_the_mask_applied_to_the_normalised_attention(kind):
    graph = random_graph()
    if kind == "block":  # 20 destinations, their in-edges, every source they need
        dst = torch.arange(20)
        graph = dgl.to_block(dgl.in_subgraph(graph, dst), dst)
    e = torch.randn(graph.num_edges(), 4, 1, dtype=torch.float64, requires_grad=True)
    z = torch.randn(graph.num_src_nodes(), 4, 3, dtype=torch.float64, requires_grad=True)
    torch.manual_seed(5)
    out, _ = softmax_aggregate(graph, e, z, attn_drop=0.6, negative_slope=0.2)
    torch.manual_seed(5)
    mask = dropout_mask(e.shape, 0.6)
    scores = torch.nn.functional.leaky_relu(e, 0.2)
    want, _ = reference(graph, scores, z, weights=lambda a: a * mask / 0.4)
    torch.testing.assert_close(out, want)
    g_out = torch.randn_like(out)  # the masked weights are rebuilt in the backward pass
    grads = torch.autograd.grad((out * g_out).sum(), (e, z))
    want_grads = torch.autograd.grad((want * g_out).sum(), (e, z))
    for got, expected in zip(grads, want_grads):
        torch.testing.assert_close(got, expected)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.6, 0.9])
def test_dropout_mask_keeps_one_minus_p(p):
    torch.manual_seed(0)
    mask = dropout_mask((1_000_001,), p)
    assert mask.dtype == torch.bool and mask.shape == (1_000_001,)
    assert abs(mask.float().mean().item() - (1 - p)) < 2e-3
    torch.manual_seed(0)
    assert torch.equal(mask, dropout_mask((1_000_001,), p))  # seeded: reproducible


def test_dropout_scales_kept_entries_and_passes_the_same_mask_back():
    from hetgat.nn.functional import dropout

    x = torch.rand(1000, 16, dtype=torch.float64, requires_grad=True)
    torch.manual_seed(3)
    y = dropout(x, 0.25, True)
    torch.manual_seed(3)
    mask = dropout_mask(x.shape, 0.25)
    torch.testing.assert_close(y, x * mask / 0.75)
    (g,) = torch.autograd.grad(y.sum(), x)
    torch.testing.assert_close(g, mask.double() / 0.75)
    assert dropout(x, 0.25, False) is x
    sparse = torch.eye(5).to_sparse_csr()
    out = dropout(sparse, 0.5, True)
    assert out.layout == torch.sparse_csr and set(out.values().tolist()) <= {0.0, 2.0}


def test_dropout_module_is_the_function_in_training_and_the_identity_in_eval():
    from hetgat.nn.functional import Dropout, dropout

    layer, x = Dropout(0.5), torch.rand(300, 8)
    torch.manual_seed(1)
    y = layer(x)
    torch.manual_seed(1)
    torch.testing.assert_close(y, dropout(x, 0.5, True))
    assert layer.eval()(x) is x and "p=0.5" in repr(layer)


def test_sparse_linear_gradient_equals_torchs():
    from hetgat.nn.functional import linear, transpose_csr

    torch.manual_seed(0)
    dense = torch.rand(40, 30, dtype=torch.float64) * (torch.rand(40, 30) < 0.1)
    dense[3] = 0  # an empty row
    x = dense.to_sparse_csr()
    torch.testing.assert_close(transpose_csr(x).to_dense(), dense.t())
    w = torch.randn(5, 30, dtype=torch.float64, requires_grad=True)
    b = torch.randn(5, dtype=torch.float64, requires_grad=True)
    out = linear(x, w, b)
    torch.testing.assert_close(out, dense @ w.t() + b)
    g = torch.randn_like(out)
    got = torch.autograd.grad((out * g).sum(), (w, b))
    want = torch.autograd.grad(((dense @ w.t() + b) * g).sum(), (w, b))
    for a, e in zip(got, want):
        torch.testing.assert_close(a, e)
    assert torch.autograd.gradcheck(lambda w: linear(x, w), (w,))


def test_kept_transpose_is_reused_across_dropout_draws_and_replaced_for_new_inputs():
    import copy

    from hetgat.nn.functional import CSRTranspose, dropout, linear

    torch.manual_seed(1)
    keep = CSRTranspose()
    w = torch.randn(4, 30, dtype=torch.float64, requires_grad=True)

    def sparse(n):
        return (torch.rand(n, 30, dtype=torch.float64) * (torch.rand(n, 30) < 0.2)).to_sparse_csr()

    def check_gradient(x):
        dropped = dropout(x, 0.5, True)
        g = torch.randn(x.shape[0], 4, dtype=torch.float64)
        (got,) = torch.autograd.grad((linear(dropped, w, transpose=keep) * g).sum(), w)
        (want,) = torch.autograd.grad((dropped.to_dense() @ w.t() * g).sum(), w)
        torch.testing.assert_close(got, want)

    x = sparse(40)
    check_gradient(x)
    kept = keep.structure(x)
    check_gradient(x)  # another dropout draw: same indices, no new sort
    assert keep.structure(x) is kept
    other = sparse(25)
    check_gradient(other)
    assert keep.structure(other) is not kept
    assert copy.deepcopy(keep)._structure is None


def test_scores_too_far_apart_for_one_shift_get_one_per_destination(monkeypatch, kernels):
    import hetgat.sparse.torch_ops as torch_ops

    if kernels == "torch-sync-free":
        pytest.skip("without host round trips every call shifts per destination")
    calls = []
    owner, name = (dgl.ops, "copy_e_max") if kernels == "dgl" else (torch_ops, "segment_max")
    original = getattr(owner, name)
    monkeypatch.setattr(owner, name, lambda *a: calls.append(1) or original(*a))
    graph = random_graph()
    z = torch.randn(graph.num_nodes(), 2, 3)
    near = torch.randn(graph.num_edges(), 2, 1)
    softmax_aggregate(graph, near, z)
    assert not calls  # one shift for all
    far = near.clone()
    _, dst = graph.edges()
    far[dst == 0] -= 200.0  # node 0's scores 200 below the others': exp underflows in float32
    out, a = softmax_aggregate(graph, far, z, get_attention=True)
    assert calls
    want, want_a = reference(graph, far, z)
    torch.testing.assert_close(out, want)
    torch.testing.assert_close(a, want_a)
