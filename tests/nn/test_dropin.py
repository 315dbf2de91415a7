"""What a DGL user expects of drop-in layers: empty blocks, ``set_allow_zero_in_degree``
(``dgl.nn.HeteroGraphConv`` calls it), ``edge_weight`` as in DGL, DGL blocks as input."""

import pytest
import torch

from hetgat.nn import GATConv, GATv2Conv
from hetgat.sparse.dgl_interop import dgl_available
from hetgat.sparse.graph import Graph

NONE = torch.zeros(0, dtype=torch.long)


@pytest.mark.parametrize("cls", [GATConv, GATv2Conv])
@pytest.mark.parametrize("n_src,n_dst", [(3, 0), (0, 2), (0, 0)])
def test_empty_blocks_give_empty_outputs(cls, n_src, n_dst):
    conv = cls(4, 3, 2, allow_zero_in_degree=True)
    block = Graph(NONE, NONE, n_src, n_dst, is_block=True)
    out, att = conv(block, torch.randn(n_src, 4), get_attention=True)
    assert out.shape == (n_dst, 2, 3) and att.shape == (0, 2, 1)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("cls", [GATConv, GATv2Conv])
def test_set_allow_zero_in_degree(cls):
    conv = cls(4, 3, 2)
    g = Graph(torch.tensor([0, 1]), torch.tensor([1, 1]), 3)  # nodes 0 and 2: no in-edge
    with pytest.raises(ValueError, match="no in-edges"):
        conv(g, torch.randn(3, 4))
    conv.set_allow_zero_in_degree(True)
    assert conv(g, torch.randn(3, 4)).shape == (3, 2, 3)


@pytest.mark.skipif(not dgl_available(), reason="compares with DGL")
@pytest.mark.parametrize("kind", ["gat", "gatv2"])
def test_edge_weight_and_blocks_as_dgl_does(kind):
    from hetgat.sparse.dgl_interop import load_dgl

    dgl = load_dgl()
    torch.manual_seed(0)
    theirs = (dgl.nn.GATConv if kind == "gat" else dgl.nn.GATv2Conv)(5, 4, 3).eval()
    ours = (GATConv if kind == "gat" else GATv2Conv)(5, 4, 3).eval()
    ours.load_state_dict(theirs.state_dict())
    block = dgl.create_block(
        (torch.tensor([0, 1, 2, 3, 1]), torch.tensor([0, 0, 1, 1, 1])),
        num_src_nodes=4,
        num_dst_nodes=2,
    )
    x, weight = torch.randn(4, 5), torch.rand(5)
    if kind == "gatv2":  # DGL 1.1's GATv2Conv has no edge_weight: hetgat's equals all-ones
        ones = ours(block, x, edge_weight=torch.ones(5))
        torch.testing.assert_close(ones, ours(block, x))
        weight = None
    extra = {} if weight is None else {"edge_weight": weight}
    ref, ref_att = theirs(block, x, get_attention=True, **extra)
    out, att = ours(block, x, get_attention=True, **extra)
    torch.testing.assert_close(out, ref)
    torch.testing.assert_close(att, ref_att)  # (E, H, 1) as DGL
    hetero = dgl.nn.HeteroGraphConv({"e": ours})  # calls set_allow_zero_in_degree
    g = dgl.heterograph({("n", "e", "n"): (torch.tensor([0, 1]), torch.tensor([1, 1]))})
    assert hetero(g, {"n": torch.randn(2, 5)})["n"].shape == (2, 3, 4)


@pytest.mark.parametrize("cls", [GATConv, GATv2Conv])
def test_attention_shape_is_dgls_and_documented(cls):
    """The attention comes in DGL's ``(E, H, 1)``, as the docstrings and README say; hetgat's
    models take it as ``(E, H)`` through :func:`hetgat.nn.attend`."""
    from pathlib import Path

    from hetgat.nn import attend

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert "(E, H, 1)" in cls.__doc__
    assert "return the attention as `(E, H, 1)`" in readme
    g = Graph(torch.tensor([0, 1, 2]), torch.tensor([1, 2, 0]), 3)
    conv, x = cls(4, 3, 2).eval(), torch.randn(3, 4)
    out, att = conv(g, x, get_attention=True)
    assert att.shape == (3, 2, 1)
    out2, att2 = attend(conv, g, x, get_attention=True)
    assert torch.equal(out2, out) and torch.equal(att2, att.squeeze(-1))
    out3, none = attend(conv, g, x, get_attention=False)
    assert torch.equal(out3, out) and none is None
