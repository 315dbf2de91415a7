"""Inputs of featureless node types: random features keyed by id, propagated means and degrees
against dense references on a small graph, sizes from the schema alone, and a model that gives
a node the same output whatever the row order."""

import numpy as np
import pytest
import torch

from hetgat.config import ModelConfig, featureless_parts
from hetgat.data import GraphData
from hetgat.datasets.featureless import FeaturelessInputs, random_features
from hetgat.errors import ConfigError
from hetgat.models import build_model
from hetgat.sparse.csr import to_csr
from hetgat.sparse.hetero import HeteroGraph
from hetgat.train.loop import model_inputs

# papers 0..4 (target, 3 features), authors 0..3 and venues 0..1 without features.
WRITES = [(0, 0), (0, 1), (1, 1), (2, 2), (3, 2), (3, 4), (2, 4)]  # (author, paper)
PUBLISHED = [(0, 0), (1, 0), (2, 1), (4, 1)]  # (paper, venue); paper 3 has none
PAPER_X = torch.tensor([[1.0, 0, 2], [0, 1, 0], [3, 0, 0], [0, 0, 1], [1, 1, 1]])


def tiny(order=None) -> GraphData:
    """The graph; ``order`` permutes the authors' rows (their ids follow them)."""
    order = np.arange(4) if order is None else np.asarray(order)
    position = np.argsort(order)  # author id -> row
    writes = [(int(position[a]), p) for a, p in WRITES]
    edges = {}
    for etype, pairs in (
        (("author", "writes", "paper"), writes),
        (("paper", "rev_writes", "author"), [(p, a) for a, p in writes]),
        (("paper", "published", "venue"), PUBLISHED),
        (("venue", "rev_published", "paper"), [(v, p) for p, v in PUBLISHED]),
    ):
        src, dst = (torch.tensor(c) for c in zip(*pairs, strict=True))
        edges[etype] = (src, dst)
    graph = HeteroGraph(edges, num_nodes_dict={"paper": 5, "author": 4, "venue": 2})
    mask = torch.tensor([True, True, False, False, False])
    return GraphData(
        name="tiny",
        graph=graph,
        features={"paper": PAPER_X},
        labels=torch.tensor([0, 1, 0, 1, 0]),
        train_mask=mask,
        val_mask=~mask,
        test_mask=~mask,
        target_type="paper",
        class_names=["a", "b"],
        node_ids={
            "paper": np.array([f"p{i}" for i in range(5)]),
            "author": np.array([f"a{i}" for i in order]),
            "venue": np.array(["v0", "v1"]),
        },
    )


def dense(pairs, n_dst, n_src):
    """``A[dst, src]`` of ``(src, dst)`` pairs."""
    a = torch.zeros(n_dst, n_src)
    for s, d in pairs:
        a[d, s] = 1.0
    return a


def mean(a, x):
    deg = a.sum(1, keepdim=True)
    return torch.where(deg > 0, a @ x / deg.clamp(min=1), torch.zeros(()))


def test_random_features_reproducible_id_keyed_and_normal():
    ids = np.array([f"n{i}" for i in range(2000)])
    x = random_features(ids, "author", 64)
    assert x.dtype == np.float32 and x.shape == (2000, 64)
    assert np.array_equal(x, random_features(ids, "author", 64))  # same call, same values
    perm = np.random.default_rng(0).permutation(2000)
    assert np.array_equal(random_features(ids[perm], "author", 64), x[perm])  # follow the ids
    assert np.array_equal(random_features(ids[:7], "author", 64), x[:7])  # others irrelevant
    assert np.array_equal(random_features(ids, "author", 16), x[:, :16])  # columns: prefix
    assert not np.allclose(random_features(ids, "paper", 64), x)  # per node type
    assert not np.allclose(random_features(ids, "author", 64, seed=1), x)
    assert abs(x.mean()) < 0.01 and abs(x.std() - 1) < 0.01  # N(0, 1)
    assert abs(np.corrcoef(x[:, 0], x[:, 1])[0, 1]) < 0.1
    # "1" and "1\0"-like neighbours, long ids, unicode: all distinct rows
    odd = np.array(["1", "10", "01", "é", "e", "x" * 300])
    assert len({tuple(r) for r in random_features(odd, "t", 4)}) == len(odd)


def test_propagated_and_degree_equal_dense_references():
    data = tiny()
    recipe = FeaturelessInputs("random+propagated+degree", "all", 8)
    got = recipe.features(data)
    assert torch.equal(got["paper"], PAPER_X)  # given features untouched
    r_author = torch.from_numpy(random_features(data.node_ids["author"], "author", 8))
    r_venue = torch.from_numpy(random_features(data.node_ids["venue"], "venue", 8))
    writes = dense(WRITES, 5, 4)  # (paper, author)
    published = dense(PUBLISHED, 2, 5)  # (venue, paper)
    # author: random, mean of its papers' features over rev_writes, degree in rev_writes
    author = torch.cat(
        [r_author, mean(writes.T, PAPER_X), torch.log1p(writes.T.sum(1, keepdim=True))], 1
    )
    venue = torch.cat(
        [r_venue, mean(published, PAPER_X), torch.log1p(published.sum(1, keepdim=True))], 1
    )
    assert torch.allclose(got["author"].to_dense(), author)
    assert torch.allclose(got["venue"].to_dense(), venue)
    assert recipe.sizes(data.schema()) == {"author": 12, "venue": 12}


def test_sparse_features_and_input_features_none():
    data = tiny()
    data.features["paper"] = to_csr(PAPER_X)
    recipe = FeaturelessInputs("propagated", "none", 4)  # papers' features not used
    got = recipe.features(data)
    assert set(got) == {"paper", "author", "venue"}
    r = {
        t: torch.from_numpy(random_features(data.node_ids[t], t, 4))
        for t in ("paper", "author", "venue")
    }
    # paper: over writes (from authors) then over rev_published (from venues), sorted etypes
    paper = torch.cat(
        [mean(dense(WRITES, 5, 4), r["author"]), mean(dense(PUBLISHED, 2, 5).T, r["venue"])], 1
    )
    assert torch.allclose(got["paper"].to_dense(), paper, atol=1e-6)
    assert torch.allclose(got["author"].to_dense(), mean(dense(WRITES, 5, 4).T, r["paper"]))
    described = recipe.describe(data.schema())
    assert described["paper"] == "propagated (8): inductive"
    learned = FeaturelessInputs("embedding", "target", 4).describe(data.schema())
    assert learned == {
        "author": "embedding (4): transductive",
        "venue": "embedding (4): transductive",
    }


def test_no_relation_into_a_type_falls_back_to_random():
    data = tiny()
    graph = data.graph
    edges = {e: graph.edges(etype=e) for e in graph.canonical_etypes if e[2] != "venue"}
    data.graph = HeteroGraph(edges, num_nodes_dict={"paper": 5, "author": 4, "venue": 2})
    recipe = FeaturelessInputs("degree", "all", 3)
    assert recipe.columns(data.schema())["venue"] == {"random": 3}
    venue = recipe.features(data)["venue"]
    assert np.array_equal(venue.numpy(), random_features(np.array(["v0", "v1"]), "venue", 3))


@pytest.mark.parametrize("bad", ["", "random+random", "embedding+degree", "rand", None])
def test_bad_choices(bad):
    with pytest.raises(ConfigError, match="featureless"):
        ModelConfig(featureless=bad)
    assert featureless_parts("degree+random") == ("random", "degree")


@pytest.mark.parametrize("model", ["rgat", "simplehgn", "hgt", "han", "sehgnn"])
def test_model_output_follows_the_ids(model):
    """Authors in another row order: the papers' outputs are the same (nothing by position)."""
    config = ModelConfig.for_model(model, featureless="random+propagated+degree", hidden=4, heads=2)
    data, shuffled = tiny(), tiny(order=[2, 0, 3, 1])
    torch.manual_seed(0)
    net = build_model(config, data.schema()).eval()
    assert not list(net.inputs.embeddings)  # nothing learned per node
    outs = []
    for d in (data, shuffled):
        graph, features = model_inputs(d, model=net)
        prepared = net.prepare_graph(graph, features if model == "sehgnn" else None)
        outs.append(net(prepared, features))
    assert torch.allclose(outs[0], outs[1], atol=1e-5)
