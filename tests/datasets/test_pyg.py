"""PyG's Data and HeteroData in and out (issue 32, §2), through from_pandas's builder."""

import numpy as np
import pytest
import torch

import hetgat
from hetgat.errors import GraphDataError
from tests.datasets.test_frames import frames, same_data

pyg_data = pytest.importorskip("torch_geometric.data", reason="torch_geometric not installed")


def test_hetero_round_trip_keeps_the_graph():
    edges, nodes, features = frames()
    data = hetgat.from_pandas(edges, nodes, features=features, split_ratio=(0.5, 0.25, 0.25))
    pyg = hetgat.to_pyg(data)
    assert isinstance(pyg, pyg_data.HeteroData)
    assert pyg["paper"].y.tolist() == data.labels.tolist()
    back = hetgat.from_pyg(pyg, node_ids={t: pyg[t].node_ids for t in pyg.node_types})
    back.class_names = data.class_names  # PyG knows class indices, not names
    # hetgat's added reverses come back as relations of the data, paired the same way
    assert [(r.etype, r.reverse_of) for r in back.relations] == [
        (r.etype, r.reverse_of) for r in data.relations
    ]
    back.relations = data.relations
    same_data(data, back)


def test_homogeneous_data_with_index_masks_and_unlabelled_nodes():
    edge_index = torch.tensor([[0, 1, 2, 3, 4], [1, 2, 3, 4, 0]])
    x = torch.randn(5, 3, dtype=torch.float64)
    y = torch.tensor([0, 2, -1, 1, 0])
    data = pyg_data.Data(x=x, edge_index=edge_index, y=y, train_mask=torch.tensor([0, 1]),
                         val_mask=torch.tensor([3]), test_mask=torch.tensor([4]))  # fmt: skip
    graph = hetgat.from_pyg(data)
    assert graph.class_names == ["0", "1", "2"]
    assert graph.labels.tolist() == [0, 2, -1, 1, 0]
    assert graph.train_mask.tolist() == [True, True, False, False, False]
    assert graph.features["node"].dtype == torch.float32
    torch.testing.assert_close(graph.features["node"], x.float())
    src, dst = graph.graph.edges(etype=graph.graph.canonical_etypes[0])
    pairs = set(zip(src.tolist(), dst.tolist()))
    assert {(0, 1), (1, 0), (2, 2)} <= pairs  # symmetrised, self-loops added (GAT's rule)


def test_hetero_data_with_a_featureless_type_and_multilabel_y():
    pyg = pyg_data.HeteroData()
    pyg["movie"].x = torch.randn(4, 2)
    pyg["movie"].y = torch.tensor([[1, 0, 1], [0, 1, 0], [0, 0, 0], [1, 1, 0]])
    pyg["actor"].num_nodes = 3
    pyg["actor", "acts_in", "movie"].edge_index = torch.tensor([[0, 1, 2, 2], [0, 1, 2, 3]])
    graph = hetgat.from_pyg(pyg, split_ratio=(0.34, 0.33, 0.33))
    assert graph.multilabel and graph.target_type == "movie"
    assert "actor" not in graph.features
    assert ("movie", "rev_acts_in", "actor") in graph.graph.canonical_etypes
    assert graph.labels[2].sum() == 0  # no class: unlabelled


def test_mistakes_name_the_field():
    pyg = pyg_data.HeteroData()
    pyg["paper"].x = torch.randn(3, 2)
    pyg["paper"].y = torch.tensor([0, 1, 0])
    pyg["paper"].train_mask = torch.tensor([0, 9])
    pyg["paper", "cites", "paper"].edge_index = torch.tensor([[0, 1], [1, 2]])
    with pytest.raises(GraphDataError, match=r"GraphData.train_mask: node index out of range"):
        hetgat.from_pyg(pyg)
    pyg["paper"].train_mask = torch.tensor([0])
    pyg["paper", "cites", "paper"].edge_index = torch.tensor([[0, 5], [1, 2]])
    with pytest.raises(GraphDataError, match=r"edge_index: node index out of range: 3 'paper'"):
        hetgat.from_pyg(pyg)


def test_a_graph_from_pyg_trains():
    rng = np.random.default_rng(0)
    pyg = pyg_data.HeteroData()
    pyg["paper"].x = torch.tensor(rng.normal(size=(30, 4)), dtype=torch.float32)
    pyg["paper"].y = torch.tensor(rng.integers(0, 3, 30))
    pyg["author"].num_nodes = 6
    pyg["author", "writes", "paper"].edge_index = torch.tensor(
        np.stack([rng.integers(0, 6, 60), rng.integers(0, 30, 60)])
    )
    graph = hetgat.from_pyg(pyg)
    result = hetgat.fit(graph, hetgat.ModelConfig.for_model("rgat"), hetgat.TrainConfig(epochs=2))
    assert result.metrics["epochs_run"] == 2
