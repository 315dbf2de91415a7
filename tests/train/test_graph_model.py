"""A model built for a graph (issue 32, §4): model(graph) prepares itself; model(batch) of a
NeighborLoader gives the full pass's logits with all neighbours; a custom loop trains."""

import pytest
import torch

import hetgat
from hetgat.errors import ConfigError
from tests.datasets.test_frames import frames


@pytest.fixture(scope="module")
def graph():
    edges, nodes, features = frames()
    return hetgat.from_pandas(edges, nodes, features=features, split_ratio=(0.5, 0.25, 0.25))


@pytest.mark.parametrize("name", ["han", "rgat", "simplehgn", "hgt"])
def test_model_of_graph_prepares_itself(graph, name):
    model = hetgat.build_model(name, graph, hidden=4, heads=2, label_hops=2).eval()
    logits = model(graph)
    assert logits.shape == (20, 3)
    again, attention = model(graph, get_attention=True)
    torch.testing.assert_close(again, logits)
    assert attention.edges


@pytest.mark.parametrize("name", ["simplehgn", "hgt"])
def test_a_batch_with_all_neighbours_equals_the_full_pass(graph, name):
    """(HAN's semantic attention averages over the nodes it is given: a batch's, as in
    hetgat's own mini-batch training, so HAN's batch logits differ from the full pass's.)"""
    model = hetgat.build_model(name, graph, hidden=4, heads=2).eval()
    nodes = torch.tensor([3, 0, 7, 11])
    [batch] = hetgat.NeighborLoader(graph, nodes, batch_size=8)
    with torch.no_grad():
        torch.testing.assert_close(model(batch), model(graph)[nodes], atol=1e-5, rtol=1e-5)
    by_id = next(iter(hetgat.NeighborLoader(graph, ["p3", "p0"], batch_size=8)))
    assert by_id.nodes.tolist() == [3, 0] and by_id.labels.tolist() == graph.labels[[3, 0]].tolist()


def test_a_custom_loop_lowers_the_loss(graph):
    torch.manual_seed(0)
    model = hetgat.build_model("hgt", graph, hidden=8, heads=2)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    train = graph.train_mask.nonzero().squeeze(1)
    losses = []
    for _ in range(15):
        model.train()
        for batch in hetgat.NeighborLoader(
            graph, train, fanouts=[5, 5], batch_size=4, shuffle=True
        ):
            loss = torch.nn.functional.cross_entropy(model(batch), batch.labels)
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            logits = model(graph)[train]
        losses.append(float(torch.nn.functional.cross_entropy(logits, graph.labels[train])))
    assert losses[-1] < losses[0]


def test_mistakes_name_the_option(graph):
    model = hetgat.build_model("hgt", graph)
    [batch] = hetgat.NeighborLoader(graph, torch.arange(3), fanouts=[2], batch_size=4)
    with pytest.raises(ConfigError, match="fanouts: expected 2 value"):
        model(batch)
    with pytest.raises(ConfigError, match="nodes: expected an id of a 'paper' node, got 'p99'"):
        hetgat.NeighborLoader(graph, ["p99"])
    old = hetgat.build_model(hetgat.ModelConfig.for_model("hgt"), graph.schema())
    assert type(old).__name__ == "NodeClassifier"  # the old form, as before
