"""Heterogeneous attention on a tiny hand-made graph: meta-paths, HAN, RGAT, Simple-HGN, HGT."""

import numpy as np
import pytest
import torch

import hetgat.datasets.metapath_graphs as metapath_graphs
from hetgat.config import ModelConfig, TrainConfig
from hetgat.data import GraphData
from hetgat.datasets.metapath_graphs import (
    count_edges,
    estimate_edges,
    metapath_edges,
    select_metapaths,
)
from hetgat.datasets.metapaths import find_metapaths, resolve_metapath
from hetgat.errors import ConfigError, HetgatError
from hetgat.models import build_model
from hetgat.nn import GATConv
from hetgat.nn.simplehgnconv import SimpleHGNConv
from hetgat.sparse.graph import Graph
from hetgat.sparse.hetero import HeteroGraph
from hetgat.train import fit, predict
from tests.conftest import add_self_loop

# papers 0-3, authors 0-2, venue 0-1: p0,p1 by a0; p1,p2 by a1; p3 by a2; p0,p1,p2 at v0, p3 at v1
WRITES = ([0, 0, 1, 1, 2], [0, 1, 1, 2, 3])  # author -> paper
AT = ([0, 1, 2, 3], [0, 0, 0, 1])  # paper -> venue


def tiny_hetero() -> GraphData:
    a, p = torch.tensor(WRITES[0]), torch.tensor(WRITES[1])
    pv, v = torch.tensor(AT[0]), torch.tensor(AT[1])
    g = HeteroGraph(
        {
            ("author", "writes", "paper"): (a, p),
            ("paper", "written_by", "author"): (p, a),
            ("paper", "published_at", "venue"): (pv, v),
            ("venue", "publishes", "paper"): (v, pv),
        },
        num_nodes_dict={"author": 3, "paper": 4, "venue": 2},
    )
    torch.manual_seed(0)
    return GraphData(
        name="tiny",
        graph=g,
        features={"paper": torch.randn(4, 5), "author": torch.randn(3, 2)},
        labels=torch.tensor([0, 0, 1, 1]),
        train_mask=torch.tensor([True, False, True, False]),
        val_mask=torch.tensor([False, True, False, False]),
        test_mask=torch.tensor([False, False, False, True]),
        target_type="paper",
        class_names=["A", "B"],
        node_ids={
            "paper": np.array(["p0", "p1", "p2", "p3"], dtype=object),
            "author": np.array(["a0", "a1", "a2"], dtype=object),
            "venue": np.array(["v0", "v1"], dtype=object),
        },
    )


@pytest.fixture
def data():
    return tiny_hetero()


def _pairs(src, dst):
    return sorted(zip(src.tolist(), dst.tolist()))


def test_resolve_metapath_both_forms(data):
    schema = data.schema()
    by_types = resolve_metapath("paper-author-paper", schema)
    by_names = resolve_metapath("written_by,writes", schema)
    assert by_types == by_names
    assert by_types.name == "paper-author-paper"
    assert by_types.etypes == (("paper", "written_by", "author"), ("author", "writes", "paper"))


def test_resolve_metapath_errors_list_relations(data):
    schema = data.schema()
    with pytest.raises(ConfigError) as err:
        resolve_metapath("paper-cat-paper", schema)
    assert "author-[writes]->paper" in str(err.value) and "got 'paper-cat-paper'" in str(err.value)
    with pytest.raises(ConfigError, match="starts and ends at the target type 'paper'"):
        resolve_metapath("written_by", schema)
    with pytest.raises(ConfigError, match="relations that chain from 'author'"):
        resolve_metapath("written_by,published_at", schema)


def test_find_metapaths(data):
    schema = data.schema()
    # In the graph's (sorted) relation order: published_at before written_by.
    assert [p.name for p in find_metapaths(schema)] == ["paper-venue-paper", "paper-author-paper"]
    # Length 4: paper -> author -> paper would turn straight back; no other path of 4 exists.
    with pytest.raises(HetgatError, match="no symmetric meta-path of length 4"):
        find_metapaths(schema, 4)


def test_estimate_and_build_exact(data):
    schema = data.schema()
    pap = resolve_metapath("paper-author-paper", schema)
    pvp = resolve_metapath("paper-venue-paper", schema)
    # PAP walks: a0 joins {p0,p1} -> 4, a1 {p1,p2} -> 4, a2 {p3} -> 1 = 9 walks;
    # distinct pairs: 9 - duplicates (p1-p1 twice) = 8
    assert estimate_edges(data.graph, pap) == 9
    assert _pairs(*metapath_edges(data.graph, pap)) == sorted(
        [(0, 0), (0, 1), (1, 0), (1, 1), (1, 2), (2, 1), (2, 2), (3, 3)]
    )
    # PVP: v0 joins 3 papers -> 9, v1 -> 1: 10 walks, 10 distinct pairs
    assert estimate_edges(data.graph, pvp) == 10
    src, dst = metapath_edges(data.graph, pvp)
    assert len(src) == 10
    assert list(zip(dst.tolist(), src.tolist())) == sorted(zip(dst.tolist(), src.tolist()))


def test_count_edges_is_exact_where_walks_overcount(data, monkeypatch):
    schema = data.schema()
    pap = resolve_metapath("paper-author-paper", schema)
    pvp = resolve_metapath("paper-venue-paper", schema)
    assert count_edges(data.graph, pap) == (8, True)  # 9 walks, 8 distinct pairs
    assert count_edges(data.graph, pvp) == (10, True)
    # One source node per block: counting stops after the first block above the limit.
    monkeypatch.setattr(metapath_graphs, "_BLOCK_PAIRS", 1)
    assert count_edges(data.graph, pap) == (8, True)
    assert count_edges(data.graph, pvp, stop_above=2) == (3, False)  # p0 joins 3 papers
    assert count_edges(data.graph, pvp, stop_above=10) == (10, True)


def test_select_keeps_a_metapath_whose_walks_exceed_the_limit_but_not_its_edges(data):
    schema = data.schema()
    kept = select_metapaths(data.graph, schema, ["paper-author-paper"], max_edges=8)
    assert [p.name for p in kept] == ["paper-author-paper"]  # 9 walks, 8 edges
    with pytest.raises(HetgatError, match="paper-author-paper has 8 edges, more than "):
        select_metapaths(data.graph, schema, ["paper-author-paper"], max_edges=7)


def test_select_refuses_large_metapath(data):
    schema = data.schema()
    with pytest.raises(
        HetgatError,
        match="paper-venue-paper has 10 edges, more than `max_metapath_edges` 9",
    ):
        select_metapaths(data.graph, schema, ["paper-venue-paper"], max_edges=9)
    notes = []
    kept = select_metapaths(data.graph, schema, max_edges=9, log=notes.append)
    assert [p.name for p in kept] == ["paper-author-paper"]
    assert "paper-venue-paper left out" in notes[0]


def test_han_with_one_metapath_is_gat_on_the_metapath_graph(data):
    config = ModelConfig.for_model(
        "han", metapaths=("paper-author-paper",), feat_drop=0.0, attn_drop=0.0
    )
    model = build_model(config, data.schema()).eval()
    mp_graph = model.prepare_graph(data.graph)
    etype = ("paper", "paper-author-paper", "paper")
    han_conv = model.net.layers[0].convs[0]
    gat = GATConv(5, 8, 8, activation=torch.nn.functional.elu, allow_zero_in_degree=True)
    gat.load_state_dict(han_conv.state_dict())
    x = data.features["paper"]
    expected = model.net.predict(gat(mp_graph[etype], x).flatten(1))
    logits, att = model(mp_graph, data.features, get_attention=True)
    torch.testing.assert_close(logits, expected)
    assert att.semantic[0][0].weights.tolist() == [1.0]
    _, ref_att = gat(mp_graph[etype], x, get_attention=True)
    torch.testing.assert_close(att.edges[0][etype], ref_att.squeeze(-1))  # (E, H) in records


def _check_sums(graph, edges, per_etype=True):
    for layer in edges:
        totals = {}
        for etype, a in layer.items():
            _, dst = graph.edges(etype=etype)
            key = etype if per_etype else etype[2]
            n = graph.num_nodes(etype[2])
            totals.setdefault(key, torch.zeros(n, a.shape[1]))
            totals[key] = totals[key].index_add(0, dst, a)
            assert torch.isfinite(a).all()
        for key, total in totals.items():
            nonzero = total[total.sum(1) > 0]
            torch.testing.assert_close(nonzero, torch.ones_like(nonzero))


@pytest.mark.parametrize("name", ["han", "rgat", "simplehgn", "hgt"])
def test_attention_and_semantic_weights_sum_to_one(data, name):
    model = build_model(ModelConfig.for_model(name, hidden=4, heads=2), data.schema())
    _, att = predict(model, data, get_attention=True)
    # Simple-HGN's and HGT's softmax runs over all in-edges of a node, whatever their type.
    _check_sums(att.graph, att.edges, per_etype=name not in ("simplehgn", "hgt"))
    for layer in att.semantic:
        for s in layer:
            assert float(s.weights.sum()) == pytest.approx(1.0)
            torch.testing.assert_close(s.per_node.sum(1), torch.ones(len(s.per_node)))


def test_sigmoid_semantic_fusion_gates_each_view():
    """HGB's IMDB variant: beta_p = sigmoid(mean score), fused = sum_p beta_p z_p."""
    from hetgat.nn.semantic import SemanticAttention

    torch.manual_seed(0)
    z = torch.randn(5, 3, 4)
    soft = SemanticAttention(4, 6)
    gate = SemanticAttention(4, 6, "sigmoid")
    gate.load_state_dict(soft.state_dict())
    with torch.no_grad():
        scores = soft.q(torch.tanh(soft.project(z))).squeeze(-1)
        fused, beta, per_node = gate(z)
        _, beta_soft, _ = soft(z)
        _, one, _ = gate(z[:, :1])
    torch.testing.assert_close(beta, torch.sigmoid(scores.mean(0)))
    torch.testing.assert_close(fused, (beta.view(1, 3, 1) * z).sum(1))
    torch.testing.assert_close(per_node, torch.sigmoid(scores))
    assert float(beta.sum()) != pytest.approx(1.0)  # gates, not a distribution
    torch.testing.assert_close(beta_soft, torch.softmax(scores.mean(0), 0))
    # One view is still gated (the softmax would give it weight 1).
    torch.testing.assert_close(one, torch.sigmoid(scores[:, :1].mean(0)))
    with pytest.raises(ValueError, match="softmax, sigmoid"):
        SemanticAttention(4, fusion="mean")


@pytest.mark.parametrize("name", ["han", "rgat"])
def test_models_take_the_semantic_fusion(data, name):
    config = ModelConfig.for_model(name, hidden=4, heads=2, semantic_fusion="sigmoid")
    model = build_model(config, data.schema())
    _, att = predict(model, data, get_attention=True)
    weights = torch.cat([s.weights for layer in att.semantic for s in layer])
    assert ((weights > 0) & (weights < 1)).all()
    with pytest.raises(ConfigError, match="semantic_fusion"):
        ModelConfig.for_model(name, semantic_fusion="max")


def test_rgat_semantic_names(data):
    model = build_model(ModelConfig.for_model("rgat", hidden=4, heads=2), data.schema())
    _, att = predict(model, data, get_attention=True)
    paper = next(s for s in att.semantic[0] if s.dst_type == "paper")
    assert paper.names == ["self", "writes", "publishes"]


def test_simplehgn_attention_covers_self_loops(data):
    model = build_model(ModelConfig.for_model("simplehgn", hidden=4, heads=2), data.schema())
    _, att = predict(model, data, get_attention=True)
    assert ("venue", "self-loop", "venue") in att.edges[0]
    assert len(att.edges) == 4  # 3 hidden layers and the output layer
    assert att.edges[0][("author", "writes", "paper")].shape == (5, 2)
    assert att.edges[-1][("author", "writes", "paper")].shape == (5, 1)


def test_simplehgn_conv_without_edge_term_is_gat():
    g = Graph(*add_self_loop([0, 1, 2, 3], [1, 2, 3, 0], 4), 4)
    torch.manual_seed(0)
    conv = SimpleHGNConv(3, 2, 6, 4, 2, beta=0.0)
    with torch.no_grad():
        conv.attn_e.zero_()
    gat = GATConv(6, 4, 2, bias=False)
    gat.load_state_dict(
        {k: v for k, v in conv.state_dict().items() if k in ("fc.weight", "attn_l", "attn_r")}
    )
    x = torch.randn(4, 6)
    etype = torch.tensor([0, 1, 0, 1, 0, 0, 0, 0])
    out, a = conv(g, x, etype)
    ref, ref_a = gat(g, x, get_attention=True)
    torch.testing.assert_close(out, ref)
    torch.testing.assert_close(a, ref_a.squeeze(-1))  # SimpleHGNConv keeps (E, H)


def test_simplehgn_conv_gradcheck():
    g = Graph(*add_self_loop([0, 1, 2], [1, 2, 0], 3), 3)
    torch.manual_seed(0)
    conv = SimpleHGNConv(2, 2, 3, 2, 2, residual=True, beta=0.3).double()
    x = torch.randn(3, 3, dtype=torch.float64, requires_grad=True)
    etype = torch.tensor([0, 1, 1, 0, 0, 0])
    prev = torch.rand(6, 2, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda x: conv(g, x, etype, prev)[0], (x,))


@pytest.mark.parametrize("name", ["han", "rgat", "simplehgn", "hgt"])
def test_fit_learns_and_is_reproducible(data, name):
    config = ModelConfig.for_model(name, hidden=4, heads=2, feat_drop=0.0, attn_drop=0.0)
    train = TrainConfig.for_model(name, epochs=30, patience=0, lr=0.01)
    first = fit(data, config, train)
    second = fit(data, config, train)
    losses = [h["train_loss"] for h in first.history]
    assert losses[-1] < losses[0]
    assert first.metrics == {
        **second.metrics,
        "seconds_per_epoch": first.metrics["seconds_per_epoch"],
    }
    if name == "han":
        assert first.model_config.metapaths == ("published_at,publishes", "written_by,writes")


def test_gat_on_heterogeneous_graph_says_what_to_use(data):
    models = r"\(han, rgat, simplehgn, hgt, sehgnn\)"
    with pytest.raises(ConfigError, match=r"heterogeneous model .* " + models):
        build_model(ModelConfig(name="gat"), data.schema())


def test_input_features_policy(data):
    model = build_model(ModelConfig.for_model("rgat", input_features="target"), data.schema())
    assert model.inputs.featureless == ["author", "venue"]
    assert model.inputs.out_feats == {"author": 64, "paper": 5, "venue": 64}
    model = build_model(ModelConfig.for_model("rgat"), data.schema())
    assert model.inputs.featureless == ["venue"]


def test_top_k_with_a_node_filter_that_misses_some_relations(data):
    from hetgat.tables import attention_frames

    model = build_model(ModelConfig.for_model("rgat", hidden=4, heads=2), data.schema())
    _, att = predict(model, data, get_attention=True)
    frames = list(
        attention_frames(
            att.graph, data.node_ids, att.edges, top_k=1, dst_nodes={"venue": np.array([0])}
        )
    )
    rows = [f for f in frames if len(f)]
    assert {r for f in rows for r in f["dst"]} == {"v0"}
    assert all(len(f) == 1 for f in rows)  # one strongest in-edge per layer and head
