"""The plain-torch kernels equal DGL's, given the same weights, in float64: every layer and every
model, outputs, attention, gradients of the inputs and of every parameter; and a whole ``fit``
gives the same losses epoch by epoch. Graphs with nodes without in-edges, duplicate edges,
bipartite blocks, several edge types, a relation without edges."""

import copy

import pytest
import torch

from hetgat.config import ModelConfig, TrainConfig
from hetgat.models import build_model
from hetgat.nn import GATConv, GATv2Conv, HGTConv, SimpleHGNConv
from hetgat.sparse import use_kernels
from hetgat.sparse.graph import Graph
from hetgat.sparse.hetero import HeteroGraph
from hetgat.train import fit, model_inputs
from tests.conftest import import_dgl

import_dgl()


@pytest.fixture(autouse=True, params=["gather", "sparse"])
def float64(request, monkeypatch):
    """float64; plain torch's sums as gathers (small graphs), then as sparse products."""
    import hetgat.sparse.spmm as spmm

    if request.param == "sparse":
        monkeypatch.setattr(spmm, "GATHER_ELEMENTS", -1)
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(before)


def random_graph(n=14, m=50, seed=0, isolated=3) -> Graph:
    """Duplicate edges likely; the last ``isolated`` nodes have no in-edge."""
    g = torch.Generator().manual_seed(seed)
    src = torch.randint(0, n, (m,), generator=g)
    dst = torch.randint(0, n - isolated, (m,), generator=g)
    src[1], dst[1] = src[0], dst[0]  # one duplicate for sure
    return Graph(src, dst, n)


def block() -> Graph:
    src = torch.tensor([0, 1, 2, 3, 4, 5, 1, 1])
    dst = torch.tensor([0, 0, 1, 1, 2, 2, 2, 2])
    return Graph(src, dst, 6, 4, is_block=True)  # destination 3 has no in-edge


def assert_same(a, b):
    out_a, att_a, in_a, par_a = a
    out_b, att_b, in_b, par_b = b
    torch.testing.assert_close(out_a, out_b)
    if att_a is not None:
        torch.testing.assert_close(att_a, att_b)
    for x, y in zip(in_a, in_b, strict=True):
        torch.testing.assert_close(x, y)
    assert par_a.keys() == par_b.keys() and par_a
    for k in par_a:
        torch.testing.assert_close(par_a[k], par_b[k], msg=k)


@pytest.mark.parametrize("cls", [GATConv, GATv2Conv])
@pytest.mark.parametrize("graph", ["random", "block", "empty"])
def test_gat_layers(cls, graph):
    torch.manual_seed(0)
    conv = cls(5, 3, 2, residual=True, allow_zero_in_degree=True)
    with torch.no_grad():
        for p in conv.parameters():
            p.copy_(torch.randn_like(p))
    if graph == "random":
        g, x = random_graph(), torch.randn(14, 5)
    elif graph == "block":
        g, x = block(), torch.randn(6, 5)
    else:
        none = torch.zeros(0, dtype=torch.long)
        g, x = Graph(none, none, 4), torch.randn(4, 5)
    results = []
    for kernels in ("dgl", "torch"):
        module = copy.deepcopy(conv)
        xin = x.clone().requires_grad_()
        with use_kernels(kernels):
            out, att = module(g, xin, get_attention=True)
        (out.sin().sum() + att.cos().sum()).backward()
        grads = {k: p.grad for k, p in module.named_parameters() if p.grad is not None}
        results.append((out, att, [xin.grad], grads))
    assert_same(*results)
    if graph == "empty":
        assert results[0][0].shape == (4, 2, 3) and results[0][1].shape == (0, 2, 1)


def test_simplehgn_conv():
    torch.manual_seed(0)
    conv = SimpleHGNConv(3, 4, 5, 3, 2, residual=True, beta=0.2)
    g = random_graph()
    etype = torch.randint(0, 4, (g.num_edges(),))
    res = torch.rand(g.num_edges(), 2)
    results = []
    for kernels in ("dgl", "torch"):
        module = copy.deepcopy(conv)
        x = torch.randn(14, 5, generator=torch.Generator().manual_seed(1)).requires_grad_()
        with use_kernels(kernels):
            out, att = module(g, x, etype, res)
        (out.sin().sum() + att.cos().sum()).backward()
        grads = {k: p.grad for k, p in module.named_parameters() if p.grad is not None}
        results.append((out, att, [x.grad], grads))
    assert_same(*results)


@pytest.mark.parametrize("graph", ["random", "block"])
def test_hgt_conv(graph):
    torch.manual_seed(0)
    conv = HGTConv(5, 3, 2, 3, 4, dropout=0.0, use_norm=True, bias=True)
    with torch.no_grad():
        for p in conv.parameters():
            p.copy_(torch.randn_like(p))
    g = random_graph() if graph == "random" else block()
    n = g.num_src_nodes()
    ntype = torch.randint(0, 3, (n,), generator=torch.Generator().manual_seed(2))
    etype = torch.randint(0, 4, (g.num_edges(),), generator=torch.Generator().manual_seed(3))
    results = []
    for kernels in ("dgl", "torch"):
        module = copy.deepcopy(conv)
        x = torch.randn(n, 5, generator=torch.Generator().manual_seed(1)).requires_grad_()
        with use_kernels(kernels):
            out, att = module(g, x, ntype, etype, get_attention=True)
        (out.sin().sum() + att.cos().sum()).backward()
        grads = {k: p.grad for k, p in module.named_parameters() if p.grad is not None}
        results.append((out, att, [x.grad], grads))
    assert_same(*results)


def tiny_typed():
    """Papers, authors, venues and a node type without any edge; an empty relation."""
    from tests.models.test_hetero import tiny_hetero

    data = tiny_hetero()
    edges = {e: data.graph.edges(etype=e) for e in data.graph.canonical_etypes}
    empty = torch.zeros(0, dtype=torch.long)
    edges[("paper", "cites", "paper")] = (empty, empty)
    counts = {t: data.graph.num_nodes(t) for t in data.graph.ntypes}
    data.graph = HeteroGraph(edges, {**counts, "lonely": 2})
    data.features = {t: f.double() for t, f in data.features.items()}
    return data


@pytest.mark.parametrize("name", ["han", "rgat", "simplehgn", "hgt"])
def test_heterogeneous_models(name):
    data = tiny_typed()
    values = {"metapaths": ("paper-author-paper", "cites")} if name == "han" else {}
    config = ModelConfig.for_model(name, hidden=4, heads=2, feat_drop=0, attn_drop=0, **values)
    torch.manual_seed(0)
    model = build_model(config, data.schema())
    results = []
    for kernels in ("dgl", "torch"):
        net = copy.deepcopy(model).train()
        graph, features = model_inputs(data)
        graph = net.prepare_graph(graph)
        with use_kernels(kernels):
            logits, att = net(graph, features, get_attention=True)
        loss = logits.sin().sum() + sum(
            a.cos().sum() for layer in att.edges for a in layer.values()
        )
        loss.backward()
        grads = {k: p.grad for k, p in net.named_parameters() if p.grad is not None}
        results.append((logits, att, grads))
    (la, aa, ga), (lb, ab, gb) = results
    torch.testing.assert_close(la, lb)
    for layer_a, layer_b in zip(aa.edges, ab.edges, strict=True):
        for etype in layer_a:
            torch.testing.assert_close(layer_a[etype], layer_b[etype])
    assert ga.keys() == gb.keys()
    for k in ga:
        torch.testing.assert_close(ga[k], gb[k], msg=k)


@pytest.mark.parametrize("name", ["gat", "han", "simplehgn", "hgt"])
def test_a_whole_fit_gives_the_same_losses(name):
    """Ten epochs, dropout on: the same losses with either kernels, epoch by epoch."""
    if name == "gat":
        from tests.runs.test_reliability import ring

        data = ring()
        data.features = {t: f.double() for t, f in data.features.items()}
        values = {}
    else:
        data = tiny_typed()
        values = {"metapaths": ("paper-author-paper", "cites")} if name == "han" else {}
    config = ModelConfig.for_model(name, hidden=4, heads=2, **values)
    training = TrainConfig.for_model(name, epochs=10, patience=0)
    histories = []
    for kernels in ("dgl", "torch"):
        with use_kernels(kernels):
            histories.append(fit(data, config, training).history)
    for a, b in zip(*histories, strict=True):
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-9, abs=1e-12)
        assert a["val_loss"] == pytest.approx(b["val_loss"], rel=1e-9, abs=1e-12)
