"""DGL's own cases for its attention layers (``test_gat_conv*``, ``test_gatv2_conv*`` and
``test_hgt`` in DGL 1.1's ``tests/python/pytorch/nn/test_nn.py``), written for hetgat's layers
and checking values, not only shapes: against an edge-wise reference written out below (runs
everywhere), against ``dgl.nn``'s layers given the same weights and called with the same
arguments in the same order (where DGL is installed), and PyG's calling form
``conv(x, edge_index)`` against the DGL form on the same graph (and against PyG's own layers
where torch_geometric is installed)."""

import copy
import importlib.util
import inspect
import io
import pickle

import pytest
import torch
import torch.nn.functional as F

from hetgat.nn import GATConv, GATv2Conv, HGTConv
from hetgat.sparse.dgl_interop import load_dgl
from hetgat.sparse.graph import Graph
from tests.conftest import needs_dgl

LAYERS = [GATConv, GATv2Conv]
needs_pyg = pytest.mark.skipif(
    importlib.util.find_spec("torch_geometric") is None, reason="compares with PyG"
)


def randomised(conv):
    """``conv`` in eval mode with every parameter random (non-zero biases included), so that a
    wrong bias or residual path cannot hide behind zeros."""
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in conv.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.5)
    return conv.eval()


def case(kind: str):
    """``(graph, features)`` of one of DGL's graph kinds, every destination with an in-edge:
    ``homo`` (6 nodes), ``block`` (7 sources, the first 3 its destinations; one tensor of
    source features) and ``bipartite`` (5 sources, 3 destinations, a ``(src, dst)`` pair)."""
    gen = torch.Generator().manual_seed({"homo": 1, "block": 2, "bipartite": 3}[kind])
    if kind == "homo":
        src = torch.tensor([0, 1, 2, 3, 4, 5, 0, 2, 4, 1, 3])
        dst = torch.tensor([0, 1, 2, 3, 4, 5, 1, 1, 0, 5, 2])
        return Graph(src, dst, 6), torch.randn(6, 5, generator=gen)
    if kind == "block":
        src = torch.tensor([0, 3, 4, 1, 5, 6, 2, 3, 0])
        dst = torch.tensor([0, 0, 0, 1, 1, 1, 2, 2, 2])
        return Graph(src, dst, 7, 3, is_block=True), torch.randn(7, 5, generator=gen)
    src = torch.tensor([0, 1, 2, 3, 4, 0, 2])
    dst = torch.tensor([0, 0, 1, 1, 2, 2, 2])
    feat = torch.randn(5, 5, generator=gen), torch.randn(3, 5, generator=gen)
    return Graph(src, dst, 5, 3), feat


def reference(conv, graph: Graph, feat, edge_weight=None):
    """The layer's output ``(N_dst, H, D)`` and attention ``(E, H, 1)`` from its equations,
    one destination at a time (a test oracle for graphs of a few nodes)."""
    heads, size = conv._num_heads, conv._out_feats
    if isinstance(feat, tuple):
        h_src, h_dst = feat
    else:
        h_src, h_dst = feat, feat[: graph.num_dst_nodes()]
    if isinstance(conv, GATConv):
        fc_src = conv.fc if hasattr(conv, "fc") else conv.fc_src
        fc_dst = conv.fc if hasattr(conv, "fc") else conv.fc_dst
        z_src = fc_src(h_src).view(-1, heads, size)
        z_dst = fc_dst(h_dst).view(-1, heads, size)
        left = (z_src * conv.attn_l).sum(-1)  # a_l^T W h_j
        right = (z_dst * conv.attn_r).sum(-1)  # a_r^T W h_i
        score = F.leaky_relu(left[graph.src] + right[graph.dst], conv.negative_slope)
    else:
        z_src = conv.fc_src(h_src).view(-1, heads, size)
        z_dst = conv.fc_dst(h_dst).view(-1, heads, size)
        pair = F.leaky_relu(z_src[graph.src] + z_dst[graph.dst], conv.negative_slope)
        score = (pair * conv.attn).sum(-1)  # a^T LeakyReLU(W_s h_j + W_t h_i)
    att = torch.zeros_like(score)
    out = z_src.new_zeros(graph.num_dst_nodes(), heads, size)
    for i in range(graph.num_dst_nodes()):
        into = (graph.dst == i).nonzero().squeeze(1)
        if len(into):
            att[into] = torch.softmax(score[into], dim=0)
    if edge_weight is not None:
        att = att * edge_weight.view(-1, 1)
    for k in range(graph.num_edges()):
        out[graph.dst[k]] += att[k].unsqueeze(-1) * z_src[graph.src[k]]
    if conv.res_fc is not None:
        out = out + conv.res_fc(h_dst).view(out.shape)
    if getattr(conv, "bias", None) is not None:
        out = out + conv.bias.view(1, heads, size)
    if conv.activation is not None:
        out = conv.activation(out)
    return out, att.unsqueeze(-1)


# -- DGL's test_gat_conv, test_gat_conv_bi, test_gatv2_conv, test_gatv2_conv_bi ---------------


@pytest.mark.parametrize("cls", LAYERS)
@pytest.mark.parametrize("kind", ["homo", "block", "bipartite"])
@pytest.mark.parametrize("out_dim", [1, 5])
@pytest.mark.parametrize("num_heads", [1, 4])
def test_shapes_and_values(cls, kind, out_dim, num_heads):
    graph, feat = case(kind)
    conv = randomised(cls(5, out_dim, num_heads))
    out = conv(graph, feat)
    assert out.shape == (graph.num_dst_nodes(), num_heads, out_dim)
    out2, att = conv(graph, feat, get_attention=True)
    assert att.shape == (graph.num_edges(), num_heads, 1)  # DGL's shape
    ref, ref_att = reference(conv, graph, feat)
    torch.testing.assert_close(out, ref)
    torch.testing.assert_close(out2, ref)
    torch.testing.assert_close(att, ref_att)
    sums = torch.zeros(graph.num_dst_nodes(), num_heads).index_add_(0, graph.dst, att[..., 0])
    torch.testing.assert_close(sums, torch.ones_like(sums))


@pytest.mark.parametrize("cls", LAYERS)
def test_block_equals_the_full_graph_at_its_destinations(cls):
    """A block holding every in-edge of its destinations gives the full graph's output there."""
    graph, x = case("homo")
    conv = randomised(cls(5, 3, 2, residual=True))
    seeds = torch.tensor([1, 5])
    keep = torch.isin(graph.dst, seeds)
    others = [int(n) for n in graph.src[keep].unique() if int(n) not in seeds.tolist()]
    nodes = torch.cat([seeds, torch.tensor(others, dtype=torch.long)])
    local = torch.full((6,), -1, dtype=torch.long)
    local[nodes] = torch.arange(len(nodes))
    block = Graph(local[graph.src[keep]], local[graph.dst[keep]], len(nodes), 2, is_block=True)
    out, att = conv(block, x[nodes], get_attention=True)
    full, full_att = conv(graph, x, get_attention=True)
    torch.testing.assert_close(out, full[seeds])
    torch.testing.assert_close(att, full_att[keep])


@pytest.mark.parametrize("cls", LAYERS)
@pytest.mark.parametrize("out_dim,num_heads", [(5, 1), (3, 2)])  # (5, 1): identity residual
@pytest.mark.parametrize("kind", ["homo", "block", "bipartite"])
def test_residual(cls, out_dim, num_heads, kind):
    graph, feat = case(kind)
    conv = randomised(cls(5, out_dim, num_heads, residual=True))
    identity = out_dim * num_heads == 5
    assert isinstance(conv.res_fc, torch.nn.Identity if identity else torch.nn.Linear)
    torch.testing.assert_close(conv(graph, feat), reference(conv, graph, feat)[0])
    if identity:  # the same parameters, and the input of the destinations added
        plain = cls(5, out_dim, num_heads, residual=False).eval()
        assert plain.res_fc is None
        plain.load_state_dict(conv.state_dict())
        h_dst = feat[1] if isinstance(feat, tuple) else feat[: graph.num_dst_nodes()]
        expected = plain(graph, feat) + h_dst.view(-1, num_heads, out_dim)
        torch.testing.assert_close(conv(graph, feat), expected)


@pytest.mark.parametrize("cls", LAYERS)
@pytest.mark.parametrize("residual", [False, True])
def test_bipartite_with_own_sizes(cls, residual):
    """``in_feats=(src, dst)``: a projection per side (``fc_src``/``fc_dst``)."""
    graph, _ = case("bipartite")
    gen = torch.Generator().manual_seed(9)
    feat = torch.randn(5, 4, generator=gen), torch.randn(3, 7, generator=gen)
    conv = randomised(cls((4, 7), 3, 2, residual=residual))
    out, att = conv(graph, feat, get_attention=True)
    ref, ref_att = reference(conv, graph, feat)
    assert out.shape == (3, 2, 3)
    torch.testing.assert_close(out, ref)
    torch.testing.assert_close(att, ref_att)


# -- DGL's test_gat_conv_edge_weight --------------------------------------------------------


@pytest.mark.parametrize("cls", LAYERS)
@pytest.mark.parametrize("kind", ["homo", "bipartite"])
def test_edge_weight(cls, kind):
    graph, feat = case(kind)
    conv = randomised(cls(5, 2, 4))
    weight = torch.rand(graph.num_edges(), generator=torch.Generator().manual_seed(4)) + 0.1
    out, att = conv(graph, feat, edge_weight=weight, get_attention=True)
    ref, ref_att = reference(conv, graph, feat, weight)
    torch.testing.assert_close(out, ref)
    torch.testing.assert_close(att, ref_att)  # weighted, as DGL returns it
    ones = conv(graph, feat, edge_weight=torch.ones(graph.num_edges()))
    torch.testing.assert_close(ones, conv(graph, feat))


# -- zero in-degree, as DGL -------------------------------------------------------------------


@pytest.mark.parametrize("cls", LAYERS)
def test_zero_in_degree(cls):
    graph = Graph(torch.tensor([0, 1, 1]), torch.tensor([1, 1, 2]), 4)  # nodes 0 and 3: none
    x = torch.randn(4, 5)
    conv = randomised(cls(5, 3, 2, residual=True))
    with pytest.raises(ValueError, match="no in-edges"):
        conv(graph, x)
    conv.set_allow_zero_in_degree(True)
    out = conv(graph, x)
    torch.testing.assert_close(out, reference(conv, graph, x)[0])
    lonely = conv.res_fc(x[[0, 3]]).view(2, 2, 3)  # residual (with its bias) only
    torch.testing.assert_close(out[[0, 3]], lonely)
    allowed = randomised(cls(5, 3, 2, residual=True, allow_zero_in_degree=True))
    torch.testing.assert_close(allowed(graph, x), out)


# -- pickling (DGL's tests save the whole module) ---------------------------------------------


def hgt_case(n: int = 12, m: int = 30, seed: int = 5):
    gen = torch.Generator().manual_seed(seed)
    src, dst = torch.randint(0, n, (m,), generator=gen), torch.randint(0, n, (m,), generator=gen)
    ntype = torch.arange(n) % 2
    etype = torch.arange(m) % 5
    return Graph(src, dst, n), torch.randn(n, 4, generator=gen), ntype, etype


@pytest.mark.parametrize("cls", [GATConv, GATv2Conv, HGTConv])
def test_pickle_and_torch_save(cls):
    if cls is HGTConv:
        conv = randomised(HGTConv(4, 4, 1, 2, 5))
        graph, x, ntype, etype = hgt_case()
        args = (graph, x, ntype, etype)
    else:
        conv = randomised(cls(5, 3, 4, residual=True))
        graph, x = case("homo")
        args = (graph, x)
    buffer = io.BytesIO()
    torch.save(conv, buffer)
    buffer.seek(0)
    copies = [
        torch.load(buffer, weights_only=False),
        pickle.loads(pickle.dumps(conv)),
        copy.deepcopy(conv),
    ]
    expected = conv(*args)
    for other in copies:
        assert type(other) is cls
        torch.testing.assert_close(other(*args), expected)


# -- PyG's calling form --------------------------------------------------------------------


@pytest.mark.parametrize("cls", LAYERS)
@pytest.mark.parametrize("kind", ["homo", "bipartite"])
def test_pyg_form_equals_the_dgl_form(cls, kind):
    graph, feat = case(kind)
    conv = randomised(cls(5, 3, 2, residual=True))
    edge_index = torch.stack([graph.src, graph.dst])
    weight = torch.rand(graph.num_edges()) + 0.5
    out, att = conv(feat, edge_index, get_attention=True, edge_weight=weight)
    ref, ref_att = conv(graph, feat, get_attention=True, edge_weight=weight)
    torch.testing.assert_close(out, ref)
    torch.testing.assert_close(att, ref_att)
    torch.testing.assert_close(conv(feat, edge_index), conv(graph, feat))
    if kind == "bipartite":  # a list pair works as a tuple pair
        torch.testing.assert_close(conv(list(feat), edge_index), conv(graph, feat))


@pytest.mark.parametrize("cls", LAYERS)
def test_pyg_form_positional_edge_weight(cls):
    """``conv(x, edge_index, w)``: the third argument is DGL's ``edge_weight`` for GATConv;
    for GATv2Conv it is DGL 1.1's ``get_attention``, so the weight goes by keyword."""
    graph, x = case("homo")
    conv = randomised(cls(5, 3, 2))
    edge_index = torch.stack([graph.src, graph.dst])
    weight = torch.rand(graph.num_edges()) + 0.5
    if cls is GATConv:
        torch.testing.assert_close(conv(x, edge_index, weight), conv(graph, x, weight))
    else:
        out, att = conv(x, edge_index, True, weight)
        torch.testing.assert_close(out, conv(graph, x, edge_weight=weight))


@pytest.mark.parametrize("cls", LAYERS)
@pytest.mark.parametrize(
    "edge_index,match",
    [
        (torch.tensor([[0.0, 1.0], [1.0, 0.0]]), "edge_index must be a \\(2, E\\) integer"),
        (torch.tensor([[0, 1, 2], [1, 0, 0], [0, 0, 0]]), "got shape \\(3, 3\\)"),
        (torch.tensor([0, 1]), "got shape \\(2,\\)"),
        ([[0, 1], [1, 0]], "got list"),
        (torch.tensor([[0, 7], [1, 0]]), "src holds node 7, not in \\[0, 3\\)"),
    ],
)
def test_pyg_form_refuses_a_bad_edge_index(cls, edge_index, match):
    with pytest.raises(ValueError, match=match):
        cls(5, 3, 2, allow_zero_in_degree=True)(torch.randn(3, 5), edge_index)


@needs_pyg
@pytest.mark.parametrize("cls", LAYERS)
@pytest.mark.parametrize("kind", ["homo", "bipartite"])
def test_pyg_form_equals_pygs_layer(cls, kind):
    """PyG's own layer without self-loops, given hetgat's weights: the same output (heads
    concatenated) and attention."""
    import torch_geometric.nn as pyg_nn

    graph, feat = case(kind)
    conv = randomised(cls(5, 3, 2))
    edge_index = torch.stack([graph.src, graph.dst])
    if cls is GATConv:
        theirs = pyg_nn.GATConv(5, 3, heads=2, add_self_loops=False).eval()
        with torch.no_grad():
            theirs.lin.weight.copy_(conv.fc.weight)
            theirs.att_src.copy_(conv.attn_l)
            theirs.att_dst.copy_(conv.attn_r)
            theirs.bias.copy_(conv.bias)
    else:
        theirs = pyg_nn.GATv2Conv(5, 3, heads=2, add_self_loops=False).eval()
        with torch.no_grad():
            for mine, their in ((conv.fc_src, theirs.lin_l), (conv.fc_dst, theirs.lin_r)):
                their.weight.copy_(mine.weight)
                their.bias.copy_(mine.bias)
            theirs.att.copy_(conv.attn)
            theirs.bias.zero_()  # DGL's (and hetgat's) GATv2Conv has its biases in fc_src/dst
    ref, (ref_index, ref_att) = theirs(feat, edge_index, return_attention_weights=True)
    out, att = conv(feat, edge_index, get_attention=True)
    assert torch.equal(ref_index, edge_index)
    torch.testing.assert_close(out.flatten(1), ref)
    torch.testing.assert_close(att.squeeze(-1), ref_att)


# -- the argument order of dgl.nn, and the same values given the same weights ------------------


@needs_dgl
@pytest.mark.parametrize("name", ["GATConv", "GATv2Conv", "HGTConv"])
def test_forward_signature_extends_dgls(name):
    theirs = inspect.signature(getattr(load_dgl().nn, name).forward).parameters
    ours = inspect.signature(
        {"GATConv": GATConv, "GATv2Conv": GATv2Conv, "HGTConv": HGTConv}[name].forward
    ).parameters
    described = [(p.name, p.kind, p.default) for p in theirs.values()]
    assert [(p.name, p.kind, p.default) for p in ours.values()][: len(described)] == described


def dgl_case(dgl, kind: str, idtype):
    """DGL's graph of ``case(kind)``: a graph, a block, a bipartite heterograph."""
    graph, feat = case(kind)
    edges = (graph.src.to(idtype), graph.dst.to(idtype))
    if kind == "homo":
        g = dgl.graph(edges, num_nodes=6, idtype=idtype)
    elif kind == "block":
        g = dgl.create_block(edges, num_src_nodes=7, num_dst_nodes=3, idtype=idtype)
    else:
        spec = {("u", "e", "v"): edges}
        g = dgl.heterograph(spec, num_nodes_dict={"u": 5, "v": 3}, idtype=idtype)
    return g, feat


def dgl_pair(name: str, *args, **kwargs):
    theirs = getattr(load_dgl().nn, name)(*args, **kwargs)
    ours = {"GATConv": GATConv, "GATv2Conv": GATv2Conv}[name](*args, **kwargs)
    randomised(theirs)
    ours.load_state_dict(theirs.state_dict())
    return ours.eval(), theirs.eval()


@needs_dgl
@pytest.mark.parametrize("name", ["GATConv", "GATv2Conv"])
@pytest.mark.parametrize("kind", ["homo", "block", "bipartite"])
@pytest.mark.parametrize("idtype", [torch.int32, torch.int64])
@pytest.mark.parametrize("residual", [False, True])
def test_equals_dgl_on_dgls_graphs(name, kind, idtype, residual):
    dgl = load_dgl()
    g, feat = dgl_case(dgl, kind, idtype)
    ours, theirs = dgl_pair(name, 5, 2, 4, residual=residual)
    torch.testing.assert_close(ours(g, feat), theirs(g, feat))
    out, att = ours(g, feat, get_attention=True)
    ref, ref_att = theirs(g, feat, get_attention=True)
    torch.testing.assert_close(out, ref)
    torch.testing.assert_close(att, ref_att)
    assert att.shape == ref_att.shape == (g.num_edges(), 4, 1)


@needs_dgl
def test_gat_positional_arguments_as_dgl():
    """``conv(g, x, w)`` and ``conv(g, x, w, True)``: DGL's order."""
    dgl = load_dgl()
    g, feat = dgl_case(dgl, "bipartite", torch.int64)
    ours, theirs = dgl_pair("GATConv", 5, 2, 4)
    w = torch.rand(g.num_edges()) + 0.5
    torch.testing.assert_close(ours(g, feat, w), theirs(g, feat, w))
    out, att = ours(g, feat, w, True)
    ref, ref_att = theirs(g, feat, w, True)
    torch.testing.assert_close(out, ref)
    torch.testing.assert_close(att, ref_att)
    out, att = ours(g, feat, None, True)
    ref, ref_att = theirs(g, feat, None, True)
    torch.testing.assert_close(att, ref_att)


@needs_dgl
def test_gatv2_positional_arguments_as_dgl():
    """``conv(g, x, True)``: DGL 1.1's ``get_attention``; hetgat's ``edge_weight`` after it."""
    dgl = load_dgl()
    g, feat = dgl_case(dgl, "homo", torch.int64)
    ours, theirs = dgl_pair("GATv2Conv", 5, 2, 4)
    out, att = ours(g, feat, True)
    ref, ref_att = theirs(g, feat, True)
    torch.testing.assert_close(out, ref)
    torch.testing.assert_close(att, ref_att)
    w = torch.rand(g.num_edges()) + 0.5
    out, att = ours(g, feat, True, w)
    torch.testing.assert_close(att, ref_att * w.view(-1, 1, 1))


@needs_dgl
@pytest.mark.parametrize("name", ["GATConv", "GATv2Conv"])
def test_zero_in_degree_as_dgl(name):
    dgl = load_dgl()
    g = dgl.graph((torch.tensor([0, 1, 1]), torch.tensor([1, 1, 2])), num_nodes=4)
    x = torch.randn(4, 5)
    ours, theirs = dgl_pair(name, 5, 3, 2, residual=True)
    with pytest.raises(ValueError, match="no in-edges"):
        ours(g, x)
    with pytest.raises(dgl.DGLError):
        theirs(g, x)
    ours.set_allow_zero_in_degree(True)
    theirs.set_allow_zero_in_degree(True)
    torch.testing.assert_close(ours(g, x), theirs(g, x))


@needs_dgl
@pytest.mark.parametrize("name", ["GATConv", "GATv2Conv"])
def test_pyg_form_equals_dgls_layer(name):
    dgl = load_dgl()
    g, x = dgl_case(dgl, "homo", torch.int64)
    ours, theirs = dgl_pair(name, 5, 3, 2)
    edge_index = torch.stack(g.edges())
    out, att = ours(x, edge_index, get_attention=True)
    ref, ref_att = theirs(g, x, get_attention=True)
    torch.testing.assert_close(out, ref)
    torch.testing.assert_close(att, ref_att)


# -- DGL's test_hgt --------------------------------------------------------------------------


def test_hgt_returns_the_tensor_unless_asked_for_the_attention():
    graph, x, ntype, etype = hgt_case()
    conv = randomised(HGTConv(4, 4, 1, 2, 5))
    out = conv(graph, x, ntype, etype)
    assert isinstance(out, torch.Tensor) and out.shape == (12, 4)
    out2, att = conv(graph, x, ntype, etype, get_attention=True)
    torch.testing.assert_close(out2, out)
    assert att.shape == (graph.num_edges(), 1, 1)
    sums = torch.zeros(12).index_add_(0, graph.dst, att[:, 0, 0])
    has_in = torch.bincount(graph.dst, minlength=12) > 0
    torch.testing.assert_close(sums[has_in], torch.ones(int(has_in.sum())))
    torch.testing.assert_close(conv(graph, x, ntype, etype, presorted=True), out)


def test_hgt_nodes_and_edges_sorted_by_type_give_the_same_output():
    """DGL's test_hgt reorders the graph by type and leaves the comparison as a TODO; here the
    outputs of the reordered graph are the original's, permuted."""
    graph, x, ntype, etype = hgt_case(n=20, m=60, seed=6)
    conv = randomised(HGTConv(4, 2, 2, 2, 5))
    out = conv(graph, x, ntype, etype)
    node_order = torch.sort(ntype, stable=True).indices
    edge_order = torch.sort(etype, stable=True).indices
    new_id = torch.empty_like(node_order)
    new_id[node_order] = torch.arange(20)
    sorted_graph = Graph(new_id[graph.src[edge_order]], new_id[graph.dst[edge_order]], 20)
    sorted_out = conv(
        sorted_graph, x[node_order], ntype[node_order], etype[edge_order], presorted=True
    )
    torch.testing.assert_close(sorted_out, out[node_order])


def test_hgt_block_equals_the_full_graph_at_its_destinations():
    graph, x, ntype, etype = hgt_case(n=20, m=60, seed=7)
    conv = randomised(HGTConv(4, 2, 2, 2, 5))
    full = conv(graph, x, ntype, etype)
    seeds = torch.tensor([3, 8, 11])
    keep = torch.isin(graph.dst, seeds)
    others = [int(n) for n in graph.src[keep].unique() if int(n) not in seeds.tolist()]
    nodes = torch.cat([seeds, torch.tensor(others, dtype=torch.long)])
    local = torch.full((20,), -1, dtype=torch.long)
    local[nodes] = torch.arange(len(nodes))
    block = Graph(local[graph.src[keep]], local[graph.dst[keep]], len(nodes), 3, is_block=True)
    out = conv(block, x[nodes], ntype[nodes], etype[keep])
    torch.testing.assert_close(out, full[seeds])


@needs_dgl
def test_hgt_equals_dgl_on_dgls_case():
    """DGL's test_hgt graph (100 random nodes, 5 relations, 2 node types, some nodes without
    in-edges) and a block from its neighbour sampler: the same outputs given the same weights,
    with DGL's call (``presorted`` included)."""
    from tests.nn.test_hgtconv import copy_from_dgl

    dgl = load_dgl()
    gen = torch.Generator().manual_seed(8)
    src, dst = (
        torch.randint(0, 100, (100,), generator=gen),
        torch.randint(0, 100, (100,), generator=gen),
    )
    g = dgl.graph((src, dst), num_nodes=100, idtype=torch.int32)
    etype, ntype = torch.arange(100) % 5, torch.arange(100) % 2
    x = torch.randn(100, 4, generator=gen)
    theirs = randomised(dgl.nn.HGTConv(4, 4, 1, 2, 5))
    ours = HGTConv(4, 4, 1, 2, 5).eval()
    copy_from_dgl(ours, theirs)
    torch.testing.assert_close(ours(g, x, ntype, etype), theirs(g, x, ntype, etype))
    # presorted=True: DGL's layer then needs nodes and edges sorted by type (hetgat's does not).
    order = torch.sort(ntype, stable=True).indices
    new_id = torch.empty_like(order)
    new_id[order] = torch.arange(100)
    by_type = torch.sort(etype, stable=True).indices
    edges = (new_id[src[by_type]], new_id[dst[by_type]])
    sorted_g = dgl.graph(edges, num_nodes=100, idtype=torch.int32)
    args = (sorted_g, x[order], ntype[order], etype[by_type])
    ref = theirs(*args, presorted=True)
    torch.testing.assert_close(ours(*args, presorted=True), ref)
    torch.testing.assert_close(ours(*args), ref)
    sampler = dgl.dataloading.NeighborSampler([-1])
    _, _, blocks = sampler.sample(g, torch.tensor([1, 5, 9, 40], dtype=torch.int32))
    block = blocks[0]
    nodes = block.srcdata[dgl.NID].long()
    edges = block.edata[dgl.EID].long()
    args = (block, x[nodes], ntype[nodes], etype[edges])
    torch.testing.assert_close(ours(*args), theirs(*args))
