"""Pre-computed relation-path features (SeHGNN's inputs) against a dense reference."""

import pytest
import torch

from hetgat.data import Schema
from hetgat.datasets.path_features import mean_adjacency, path_features, relation_paths
from hetgat.errors import ConfigError
from hetgat.sparse.hetero import HeteroGraph

# papers 0-3, authors 0-2, terms 0-1 (no features); two paper->paper relations (cite, ref);
# a parallel edge (a0 writes p1 twice) and a paper without citations in (p3).
EDGES = {
    ("author", "writes", "paper"): ([0, 0, 0, 1, 1, 2], [0, 1, 1, 1, 2, 3]),
    ("paper", "written_by", "author"): ([0, 1, 1, 1, 2, 3], [0, 0, 0, 1, 1, 2]),
    ("paper", "cite", "paper"): ([0, 1, 2, 3], [1, 2, 0, 0]),
    ("paper", "ref", "paper"): ([1, 2, 0, 0], [0, 1, 2, 3]),
    ("term", "in", "paper"): ([0, 1, 1], [0, 0, 3]),
    ("paper", "has", "term"): ([0, 0, 3], [0, 1, 1]),
}
NUM = {"author": 3, "paper": 4, "term": 2}


def graph_and_schema():
    g = HeteroGraph(
        {e: (torch.tensor(s), torch.tensor(d)) for e, (s, d) in EDGES.items()},
        num_nodes_dict=NUM,
    )
    schema = Schema(
        node_types=tuple(NUM),
        in_feats={"author": 2, "paper": 3, "term": 0},
        num_nodes=NUM,
        canonical_etypes=tuple(EDGES),
        target_type="paper",
        class_names=("A", "B"),
    )
    return g, schema


def dense_mean(etype) -> torch.Tensor:
    """The oracle: a dense ``(N_dst, N_src)`` count matrix, each row divided by its sum."""
    s, d = EDGES[etype]
    a = torch.zeros(NUM[etype[2]], NUM[etype[0]], dtype=torch.float64)
    for i, j in zip(d, s):
        a[i, j] += 1
    return a / a.sum(1, keepdim=True).clamp(min=1)


def test_mean_adjacency_is_the_row_normalised_count_matrix():
    g, _ = graph_and_schema()
    for etype in EDGES:
        torch.testing.assert_close(mean_adjacency(g, etype).to_dense().double(), dense_mean(etype))


def test_every_path_equals_the_dense_product():
    g, schema = graph_and_schema()
    torch.manual_seed(0)
    features = {"paper": torch.randn(4, 3), "author": torch.randn(3, 2).to_sparse_csr()}
    paths = relation_paths(schema, 3, sources=features)
    out = path_features(g, features, paths)
    assert paths[0].name == "paper" and paths[0].etypes == ()
    assert len(paths) == len({p.name for p in paths})  # names are unique
    for p, x in zip(paths, out, strict=True):
        assert p.etypes == () or p.etypes[-1][2] == "paper"
        want = features[p.source].to_dense().double()
        for etype in p.etypes:
            want = dense_mean(etype) @ want
        got = x.to_dense().double()
        torch.testing.assert_close(got, want, atol=1e-6, rtol=1e-5, msg=p.name)


def test_paths_named_and_counted():
    _, schema = graph_and_schema()
    paths = relation_paths(schema, 2, sources=("paper", "author"))
    names = [p.name for p in paths]
    # 0 hops: the paper; 1: author, cite, ref; 2: through author, cite, ref and term
    assert names[:4] == ["paper", "author-paper", "cite", "ref"]
    assert "paper-author-paper" in names and "paper-term-paper" in names
    assert "cite,ref" in names and "written_by,writes" not in names  # types name it
    assert "term-paper" not in names  # terms have no features: they start no path
    # every path of <= 2 edges into paper from paper or author: 1 + 3 + (3 + 3 + 1 + 1)
    assert len(paths) == 12


def test_hops_zero_is_the_target_alone_and_bad_hops_is_refused():
    _, schema = graph_and_schema()
    assert [p.name for p in relation_paths(schema, 0)] == ["paper"]
    with pytest.raises(ConfigError, match="hops"):
        relation_paths(schema, -1)


def test_path_relations_limit_the_edges_a_path_takes():
    """SeHGNN's ACM command drops the term type and one citation direction: the paths of the
    rest only, each equal to its product over those relations."""
    g, schema = graph_and_schema()
    kept = ("writes", "written_by", "cite")
    paths = relation_paths(schema, 3, sources=("paper", "author"), relations=kept)
    assert all(e[1] in kept for p in paths for e in p.etypes)
    # into paper over cite (paper), writes (author): f(paper, k) = f(paper, k-1) + f(author,
    # k-1), f(author, k) = f(paper, k-1); from paper or author: 1 + 2 + 3 + 5
    assert len(paths) == 11
    everything = {p.etypes for p in relation_paths(schema, 3, sources=("paper", "author"))}
    assert {p.etypes for p in paths} == {e for e in everything if all(r[1] in kept for r in e)}
    # a relation named with its types: the same as its name
    spelt = relation_paths(schema, 3, ("paper", "author"), ("writes", "written_by",
                                                            "paper:cite:paper"))  # fmt: skip
    assert [p.etypes for p in spelt] == [p.etypes for p in paths]


def test_an_unknown_path_relation_is_refused_naming_the_graphs_relations():
    _, schema = graph_and_schema()
    with pytest.raises(ConfigError, match="path_relations") as caught:
        relation_paths(schema, 2, relations=("writes", "cites"))
    assert "cites" in str(caught.value) and "written_by" in str(caught.value)
