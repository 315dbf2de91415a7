"""GraphData checks itself (issue 32, §2): each mistake of a hand-built graph is one
GraphDataError naming the field; what PyG users write (index masks, float64, numpy) is made
to fit."""

import dataclasses

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from hetgat.config import ModelConfig, TrainConfig
from hetgat.errors import GraphDataError, HetgatError
from hetgat.train import fit
from tests.models.test_hetero import tiny_hetero


def fields(**changes):
    data = tiny_hetero()
    values = {f.name: getattr(data, f.name) for f in dataclasses.fields(data)}
    return {**values, **changes}


def build(**changes):
    return type(tiny_hetero())(**fields(**changes))


@pytest.mark.parametrize(
    "changes, message",
    [
        (
            {"features": {"papers": torch.randn(4, 5)}},
            "GraphData.features: key 'papers' names no node type (the graph's: 'author', "
            "'paper', 'venue'); its nodes would get learned embeddings instead",
        ),
        (
            {"features": {"paper": torch.randn(5, 5)}},
            "GraphData.features['paper']: 5 rows, but type 'paper' has 4 nodes",
        ),
        (
            {"features": {"paper": torch.randn(4)}},
            "GraphData.features['paper']: a 2-D (nodes, features) matrix, got 1-D",
        ),
        (
            {"labels": torch.tensor([0, 0, 2, 1])},
            "GraphData.labels: class index 2 out of range: 2 classes, -1 = unlabelled",
        ),
        ({"labels": torch.tensor([0, 1, 1])}, "GraphData.labels: 3 rows for 4 target nodes"),
        (
            {"labels": torch.tensor([0.0, 1.0, 1.0, 0.0])},
            "GraphData.labels: one class index per node, (4,) integers with -1 for unlabelled "
            "(got (4,) torch.float32; multi-label data sets multilabel=True)",
        ),
        (
            {"train_mask": torch.tensor([0, 7])},
            "GraphData.train_mask: node index out of range: 4 target nodes",
        ),
        (
            {"val_mask": torch.tensor([True, False])},
            "GraphData.val_mask: a bool mask of 4 values, got shape (2,)",
        ),
        (
            {"node_ids": {"paper": np.array(["p0", "p1"], dtype=object)}},
            "GraphData.node_ids: type 'paper' lists 2 ids for 4 nodes",
        ),
        (
            {"target_type": "papers"},
            "GraphData.target_type: 'papers' is no node type of the graph ('author', 'paper', "
            "'venue')",
        ),
    ],
)
def test_each_mistake_is_one_error_naming_the_field(changes, message):
    with pytest.raises(GraphDataError) as err:
        build(**changes)
    assert str(err.value) == message
    assert isinstance(err.value, HetgatError)


def test_what_pyg_users_write_is_made_to_fit():
    data = build(
        features={
            "paper": np.random.default_rng(0).normal(size=(4, 5)),  # numpy float64
            "author": sp.random(3, 2, density=0.5, format="csr", random_state=0),
        },
        train_mask=torch.tensor([0, 2]),  # PyG's train_idx
        node_ids={},
    )
    assert data.features["paper"].dtype == torch.float32
    assert data.features["author"].layout == torch.sparse_csr
    assert data.features["author"].dtype == torch.float32
    assert data.train_mask.tolist() == [True, False, True, False]
    assert list(data.node_ids["venue"]) == ["0", "1"]


def test_index_masks_train_as_the_same_bool_masks():
    config = ModelConfig.for_model("rgat", hidden=4, heads=2)
    train = TrainConfig(epochs=5, patience=0)
    expected = fit(tiny_hetero(), config, train)
    got = fit(build(train_mask=torch.tensor([0, 2])), config, train)
    assert got.metrics["test_accuracy"] == expected.metrics["test_accuracy"]
    for name, value in expected.model.state_dict().items():
        torch.testing.assert_close(got.model.state_dict()[name], value)


def test_fit_checks_the_data_again():
    """A loader (or the caller) changes a GraphData after building: fit checks it again."""
    data = tiny_hetero()
    data.features["papers"] = data.features.pop("paper")
    with pytest.raises(GraphDataError, match="key 'papers' names no node type"):
        fit(data, ModelConfig.for_model("rgat"), TrainConfig(epochs=1))
