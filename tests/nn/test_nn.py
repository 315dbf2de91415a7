"""The attention layers against DGL's own layers, a hand computation and gradcheck."""

import math

import pytest
import torch

from hetgat.nn import GATConv, GATv2Conv
from hetgat.nn.functional import to_csr
from tests.conftest import import_dgl, tiny_graph

dgl = import_dgl()


def _dgl_pair(kind, in_feats, out_feats, heads, **kw):
    torch.manual_seed(0)
    if kind == "gat":
        theirs = dgl.nn.GATConv(in_feats, out_feats, heads, **kw)
        ours = GATConv(in_feats, out_feats, heads, **kw)
    else:
        theirs = dgl.nn.GATv2Conv(in_feats, out_feats, heads, **kw)
        ours = GATv2Conv(in_feats, out_feats, heads, **kw)
    # Random non-zero biases so that a wrong bias path cannot hide behind zeros.
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.randn_like(p) * 0.5)
    ours.load_state_dict(theirs.state_dict())
    return ours.eval(), theirs.eval()


@pytest.mark.parametrize("kind", ["gat", "gatv2"])
@pytest.mark.parametrize("residual", [False, True])
@pytest.mark.parametrize("out_feats,heads", [(3, 2), (6, 2), (4, 1)])
def test_equals_dgl_layer(kind, residual, out_feats, heads):
    g = tiny_graph(dgl=True)
    ours, theirs = _dgl_pair(kind, 12, out_feats, heads, residual=residual)
    x = torch.randn(5, 12)
    out, att = ours(g, x, get_attention=True)
    ref, ref_att = theirs(g, x, get_attention=True)
    assert out.shape == (5, heads, out_feats)
    assert att.shape == (g.num_edges(), heads, 1)  # DGL's shape
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(att, ref_att, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", ["gat", "gatv2"])
def test_equals_dgl_on_bipartite_block(kind):
    src = torch.tensor([0, 1, 2, 3, 4, 5, 1])
    dst = torch.tensor([0, 0, 1, 1, 2, 2, 2])
    block = dgl.create_block((src, dst), num_src_nodes=6, num_dst_nodes=3)
    ours, theirs = _dgl_pair(kind, (5, 7), 4, 3, residual=True)
    xs, xd = torch.randn(6, 5), torch.randn(3, 7)
    out, att = ours(block, (xs, xd), get_attention=True)
    ref, ref_att = theirs(block, (xs, xd), get_attention=True)
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(att, ref_att, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", ["gat", "gatv2"])
def test_sparse_input_equals_dense(kind):
    g = tiny_graph(dgl=True)
    ours, _ = _dgl_pair(kind, 10, 4, 2, residual=True)
    x = (torch.rand(5, 10) < 0.3).float() * torch.rand(5, 10)
    xs = to_csr(x)
    torch.testing.assert_close(ours(g, xs), ours(g, x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls", [GATConv, GATv2Conv])
def test_attention_sums_to_one_per_destination(cls):
    g = tiny_graph(dgl=True)
    layer = cls(6, 3, 4).eval()
    _, att = layer(g, torch.randn(5, 6), get_attention=True)
    _, dst = g.edges()
    sums = torch.zeros(5, 4).index_add_(0, dst, att.squeeze(-1))
    torch.testing.assert_close(sums, torch.ones(5, 4))
    assert (att > 0).all()


def test_gat_hand_computed():
    # Node 0 receives from 1 and 2; one head, identity projection, a_l = [1, 0], a_r = [0, 1].
    g = dgl.heterograph({("n", "e", "n"): (torch.tensor([1, 2]), torch.tensor([0, 0]))})
    layer = GATConv(2, 2, 1, bias=False, allow_zero_in_degree=True)
    with torch.no_grad():
        layer.fc.weight.copy_(torch.eye(2))
        layer.attn_l.copy_(torch.tensor([[[1.0, 0.0]]]))
        layer.attn_r.copy_(torch.tensor([[[0.0, 1.0]]]))
    x = torch.tensor([[0.0, -1.0], [2.0, 0.0], [-3.0, 1.0]])
    out, att = layer(g, x, get_attention=True)
    # score(j -> 0) = LeakyReLU(x_j[0] + x_0[1]): node 1: 2 - 1 = 1; node 2: -3 - 1 = -4 -> -0.8
    e1, e2 = 1.0, -0.8
    a1 = math.exp(e1) / (math.exp(e1) + math.exp(e2))
    torch.testing.assert_close(att[:, 0, 0], torch.tensor([a1, 1 - a1]))
    expected = a1 * x[1] + (1 - a1) * x[2]
    torch.testing.assert_close(out[0, 0], expected)
    assert torch.equal(out[1:], torch.zeros(2, 1, 2))  # no in-edges, no bias


def test_gatv2_hand_computed():
    g = dgl.heterograph({("n", "e", "n"): (torch.tensor([1, 2]), torch.tensor([0, 0]))})
    layer = GATv2Conv(1, 1, 1, bias=False, allow_zero_in_degree=True)
    with torch.no_grad():
        layer.fc_src.weight.fill_(1.0)
        layer.fc_dst.weight.fill_(2.0)
        layer.attn.fill_(1.0)
    x = torch.tensor([[1.0], [3.0], [-5.0]])
    out, att = layer(g, x, get_attention=True)
    # score(j -> 0) = LeakyReLU(x_j + 2 x_0): node 1: 5; node 2: -3 -> -0.6
    a1 = math.exp(5) / (math.exp(5) + math.exp(-0.6))
    torch.testing.assert_close(att[:, 0, 0], torch.tensor([a1, 1 - a1]))
    torch.testing.assert_close(out[0, 0, 0], torch.tensor(a1 * 3 + (1 - a1) * -5))


@pytest.mark.parametrize("cls", [GATConv, GATv2Conv])
def test_gradcheck_float64(cls):
    g = tiny_graph(dgl=True)
    torch.manual_seed(0)
    layer = cls(4, 3, 2, residual=True).double()
    x = torch.randn(5, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: layer(g, x), (x,))
    # Gradients of the parameters, one at a time, through a functional call.
    for name, p in layer.named_parameters():
        p0 = p.detach().clone().requires_grad_(True)

        def g_of(v, name=name):
            return torch.func.functional_call(layer, {name: v}, (g, x.detach()))

        assert torch.autograd.gradcheck(g_of, (p0,)), name


def test_zero_in_degree_is_refused():
    g = dgl.heterograph(
        {("n", "e", "n"): (torch.tensor([0, 1]), torch.tensor([1, 0]))}, num_nodes_dict={"n": 3}
    )
    with pytest.raises(ValueError, match="self-loops"):
        GATConv(3, 2, 1)(g, torch.randn(3, 3))


def test_dropout_only_in_training():
    g = tiny_graph(dgl=True)
    layer = GATConv(6, 3, 2, feat_drop=0.5, attn_drop=0.5)
    x = torch.randn(5, 6)
    layer.eval()
    assert torch.equal(layer(g, x), layer(g, x))
    layer.train()
    torch.manual_seed(1)
    a = layer(g, x)
    torch.manual_seed(2)
    assert not torch.equal(a, layer(g, x))


@pytest.mark.parametrize("cls", [GATConv, GATv2Conv])
def test_msg_drop_leaves_scores_alone(cls):
    g = tiny_graph(dgl=True)
    torch.manual_seed(0)
    layer = cls(6, 3, 2, msg_drop=0.5)
    x = torch.randn(5, 6)
    layer.eval()
    ref, ref_att = layer(g, x, get_attention=True)
    layer.train()
    out, att = layer(g, x, get_attention=True)
    torch.testing.assert_close(att, ref_att)  # scores use the undropped features
    assert not torch.allclose(out, ref)  # messages are dropped
