"""HGTConv equals its peers given the same weights, in float64: ``dgl.nn.HGTConv`` (outputs,
attention, gradients of the input and of every parameter; graphs and blocks; with and without
the residual projection and the layer norm) and PyG's ``HGTConv`` where its parametrisation is
hetgat's (biases in the K, Q, V and A maps, GELU before A, input size = output size, no dropout,
no layer norm: PyG has no residual projection and no norm). Each peer test skips where that
peer is not installed. Plus gradcheck and a hand-computed case."""

import importlib.util
import math

import pytest
import torch

from hetgat.nn import HGTConv
from hetgat.sparse import use_kernels
from hetgat.sparse.graph import Graph
from tests.conftest import import_dgl

HEADS, SIZE, NTYPES, ETYPES = 2, 3, 3, 4


@pytest.fixture(autouse=True)
def float64():
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(before)


def typed_graph(n=14, m=50, seed=0):
    """Nodes of 3 types (not sorted by type), 4 relations each from one source type;
    duplicate edges, and the last two nodes without in-edges."""
    gen = torch.Generator().manual_seed(seed)
    ntype = torch.randint(0, NTYPES, (n,), generator=gen)
    src = torch.randint(0, n, (m,), generator=gen)
    dst = torch.randint(0, n - 2, (m,), generator=gen)
    src[1], dst[1] = src[0], dst[0]
    # relation = source type, or 3 for some of type 0's edges: types mixed per relation
    etype = ntype[src].clone()
    etype[(etype == 0) & (torch.arange(m) % 2 == 0)] = 3
    return src, dst, ntype, etype


def randomise(module) -> None:
    gen = torch.Generator().manual_seed(5)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.5)


def copy_from_dgl(ours: HGTConv, theirs) -> None:
    with torch.no_grad():
        for name in ("k", "q", "v", "a"):
            getattr(ours, f"linear_{name}").copy_(getattr(theirs, f"linear_{name}").W)
        for i in range(ours.num_heads):
            ours.relation_pri[:, i] = theirs.relation_pri[i]
            ours.relation_att[:, i] = theirs.relation_att[i].W
            ours.relation_msg[:, i] = theirs.relation_msg[i].W
        ours.skip.copy_(theirs.skip)
        if ours.residual_w is not None:
            ours.residual_w.copy_(theirs.residual_w)
        if ours.norm is not None:
            ours.norm.load_state_dict(theirs.norm.state_dict())


def dgl_grads(ours: HGTConv, theirs) -> dict:
    """DGL's parameter gradients in hetgat's names and shapes."""
    grads = {f"linear_{n}": getattr(theirs, f"linear_{n}").W.grad for n in "kqva"}
    grads["relation_pri"] = torch.stack([p.grad for p in theirs.relation_pri], 1)
    grads["relation_att"] = torch.stack([m.W.grad for m in theirs.relation_att], 1)
    grads["relation_msg"] = torch.stack([m.W.grad for m in theirs.relation_msg], 1)
    grads["skip"] = theirs.skip.grad
    if ours.residual_w is not None:
        grads["residual_w"] = theirs.residual_w.grad
    if ours.norm is not None:
        grads["norm.weight"], grads["norm.bias"] = theirs.norm.weight.grad, theirs.norm.bias.grad
    return grads


def captured_softmax(monkeypatch, module, name: str) -> list:
    """Keep what the peer's softmax returns (its attention; the peers do not return it)."""
    seen, original = [], getattr(module, name)

    def keep(*args, **kwargs):
        out = original(*args, **kwargs)
        seen.append(out)
        return out

    monkeypatch.setattr(module, name, keep)
    return seen


@pytest.mark.parametrize("in_feats", [6, HEADS * SIZE])  # residual projection, identity
@pytest.mark.parametrize("use_norm", [False, True])
@pytest.mark.parametrize("kind", ["graph", "block"])
@pytest.mark.parametrize("kernels", ["torch", "dgl"])
def test_equals_dgl(monkeypatch, in_feats, use_norm, kind, kernels):
    dgl = import_dgl()
    import dgl.nn.pytorch.conv.hgtconv as peer

    src, dst, ntype, etype = typed_graph()
    n = len(ntype)
    if kind == "graph":
        g = dgl.graph((src, dst), num_nodes=n)
    else:  # 9 sources, destinations 0-4 (the first five sources)
        keep = (src < 9) & (dst < 5)
        src, dst, etype = src[keep], dst[keep], etype[keep]
        g = dgl.create_block((src, dst), num_src_nodes=9, num_dst_nodes=5)
        ntype = ntype[:9]
    torch.manual_seed(0)
    theirs = peer.HGTConv(in_feats, SIZE, HEADS, NTYPES, ETYPES, dropout=0.0, use_norm=use_norm)
    randomise(theirs)
    ours = HGTConv(in_feats, SIZE, HEADS, NTYPES, ETYPES, dropout=0.0, use_norm=use_norm)
    copy_from_dgl(ours, theirs)
    x = torch.randn(len(ntype), in_feats, generator=torch.Generator().manual_seed(1))
    x_theirs, x_ours = x.clone().requires_grad_(), x.clone().requires_grad_()

    seen = captured_softmax(monkeypatch, peer, "edge_softmax")
    ref = theirs(g, x_theirs, ntype, etype)
    (ref_att,) = seen
    with use_kernels(kernels):
        out, att = ours(g, x_ours, ntype, etype, get_attention=True)
    torch.testing.assert_close(out, ref)
    assert att.shape == (g.num_edges(), HEADS, 1)  # as GATConv's: DGL's HGTConv keeps (E, H)
    att = att.squeeze(-1)
    torch.testing.assert_close(att, ref_att)
    (ref.sin().sum() + ref_att.cos().sum()).backward()
    (out.sin().sum() + att.cos().sum()).backward()
    torch.testing.assert_close(x_ours.grad, x_theirs.grad)
    expected = dgl_grads(ours, theirs)
    got = {k: p.grad for k, p in ours.named_parameters()}
    assert got.keys() == expected.keys()
    for k, grad in expected.items():
        torch.testing.assert_close(got[k], grad, msg=k)


@pytest.mark.skipif(importlib.util.find_spec("torch_geometric") is None, reason="compares with PyG")
def test_equals_pyg(monkeypatch):
    import torch_geometric.nn.conv.hgt_conv as peer

    types = ["a", "b", "c"]
    relations = [("a", "r0", "b"), ("b", "r1", "a"), ("c", "r2", "a"), ("a", "r3", "a")]
    counts = {"a": 5, "b": 4, "c": 3}  # c: no in-edges (PyG gives it no output)
    gen = torch.Generator().manual_seed(0)
    edges = {}
    for s, r, d in relations:
        m = 9
        edges[(s, r, d)] = torch.stack(
            [
                torch.randint(0, counts[s], (m,), generator=gen),
                torch.randint(0, counts[d], (m,), generator=gen),
            ]
        )
    size = HEADS * SIZE
    x = {t: torch.randn(counts[t], size, generator=gen) for t in types}
    torch.manual_seed(0)
    theirs = peer.HGTConv(size, size, (types, relations), heads=HEADS)
    randomise(theirs)
    ours = HGTConv(size, SIZE, HEADS, len(types), len(relations), dropout=0.0, bias=True,
                   activation=torch.nn.functional.gelu)  # fmt: skip
    with torch.no_grad():
        for k, t in enumerate(types):
            w, b = theirs.kqv_lin.lins[t].weight, theirs.kqv_lin.lins[t].bias
            for j, name in enumerate("kqv"):
                getattr(ours, f"linear_{name}")[k] = w[j * size : (j + 1) * size].t()
                getattr(ours, f"bias_{name}")[k] = b[j * size : (j + 1) * size]
            ours.linear_a[k] = theirs.out_lin.lins[t].weight.t()
            ours.bias_a[k] = theirs.out_lin.lins[t].bias
            ours.skip[k] = theirs.skip[t][0]
        for r, rel in enumerate(relations):
            ours.relation_pri[r] = theirs.p_rel["__".join(rel)][0]
            for i in range(HEADS):  # PyG's type of head i, relation r: i * R + r
                ours.relation_att[r, i] = theirs.k_rel.weight[i * len(relations) + r]
                ours.relation_msg[r, i] = theirs.v_rel.weight[i * len(relations) + r]
    # The same graph as one typed graph: nodes by type in `types` order, edges by relation.
    start = dict(zip(types, torch.tensor([0, *counts.values()]).cumsum(0).tolist(), strict=False))
    src = torch.cat([edges[e][0] + start[e[0]] for e in relations])
    dst = torch.cat([edges[e][1] + start[e[2]] for e in relations])
    etype = torch.cat([torch.full((edges[e].shape[1],), r) for r, e in enumerate(relations)])
    ntype = torch.cat([torch.full((counts[t],), k) for k, t in enumerate(types)])
    g = Graph(src, dst, sum(counts.values()))

    seen = captured_softmax(monkeypatch, peer, "softmax")
    x_theirs = {t: v.clone().requires_grad_() for t, v in x.items()}
    ref = theirs(x_theirs, edges)
    (ref_att,) = seen
    x_ours = torch.cat([x[t] for t in types]).requires_grad_()
    out, att = ours(g, x_ours, ntype, etype, get_attention=True)
    att = att.squeeze(-1)
    for t in ("a", "b"):
        torch.testing.assert_close(out[start[t] : start[t] + counts[t]], ref[t])
    assert ref.get("c") is None  # PyG: no output for a type that no relation reaches
    torch.testing.assert_close(att, ref_att)
    loss_theirs = sum(ref[t].sin().sum() for t in ("a", "b")) + ref_att.cos().sum()
    loss_theirs.backward()
    (out[: start["c"]].sin().sum() + att.cos().sum()).backward()
    for t in ("a", "b", "c"):
        got = x_ours.grad[start[t] : start[t] + counts[t]]
        torch.testing.assert_close(got, x_theirs[t].grad, msg=t)
    with torch.no_grad():
        k = types.index("a")
        torch.testing.assert_close(ours.linear_a.grad[k], theirs.out_lin.lins["a"].weight.grad.t())
        rel = [theirs.p_rel["__".join(r)].grad[0] for r in relations]
        torch.testing.assert_close(ours.relation_pri.grad, torch.stack(rel))
        att_grad = theirs.k_rel.weight.grad.view(HEADS, len(relations), SIZE, SIZE)
        torch.testing.assert_close(ours.relation_att.grad, att_grad.transpose(0, 1))
        msg_grad = theirs.v_rel.weight.grad.view(HEADS, len(relations), SIZE, SIZE)
        torch.testing.assert_close(ours.relation_msg.grad, msg_grad.transpose(0, 1))
        for k, t in enumerate(types):
            w = theirs.kqv_lin.lins[t].weight.grad
            if w is None:  # c sends on r2 only: its queries get no gradient
                continue
            torch.testing.assert_close(ours.linear_k.grad[k], w[:size].t(), msg=t)
            torch.testing.assert_close(ours.linear_v.grad[k], w[2 * size :].t(), msg=t)


def test_hand_computed_one_head():
    """One head of size 1, one relation, identity maps: the score is k_s q_t mu / sqrt(1)."""
    conv = HGTConv(1, 1, 1, 1, 1, dropout=0.0)
    with torch.no_grad():
        for w in (conv.linear_k, conv.linear_q, conv.linear_v, conv.linear_a):
            w.fill_(1.0)
        conv.relation_att.fill_(2.0)
        conv.relation_msg.fill_(3.0)
        conv.relation_pri.fill_(0.5)
        conv.skip.fill_(0.0)  # gate 1/2
    g = Graph(torch.tensor([0, 1]), torch.tensor([2, 2]), 3)
    x = torch.tensor([[1.0], [2.0], [4.0]])
    types = torch.zeros(3, dtype=torch.long), torch.zeros(2, dtype=torch.long)
    out, att = conv(g, x, *types, get_attention=True)
    att = att.squeeze(-1)
    scores = torch.tensor([1 * 2 * 4 * 0.5, 2 * 2 * 4 * 0.5])
    alpha = torch.softmax(scores, 0)
    torch.testing.assert_close(att[:, 0], alpha)
    h = (alpha * torch.tensor([3.0, 6.0])).sum()
    torch.testing.assert_close(out[2, 0], 0.5 * h + 0.5 * 4.0)
    assert float(out[0, 0].detach()) == pytest.approx(0.5)  # no in-edge: half of the input
    assert math.isclose(float(att.sum().detach()), 1.0)


def test_gradcheck():
    src, dst, ntype, etype = typed_graph(n=7, m=14, seed=3)
    g = Graph(src, dst, 7)
    conv = HGTConv(4, 2, 2, NTYPES, ETYPES, dropout=0.0, use_norm=True, bias=True)
    randomise(conv)
    x = torch.randn(7, 4, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: conv(g, x, ntype, etype), (x,))
    assert torch.autograd.gradcheck(lambda x: conv(g, x, ntype, etype, get_attention=True)[1], (x,))
