"""The label input per relation path (SeHGNN's label features): a dense reference on a small
graph, and no training node's own label reaching its own input, whatever the labels."""

import numpy as np
import pytest
import torch

from hetgat.data import GraphData
from hetgat.datasets.path_labels import label_paths, path_label_input
from hetgat.errors import ConfigError
from tests.datasets.test_path_features import NUM, dense_mean, graph_and_schema


def papers(labels=(0, 1, 1, 0), train=(True, True, True, False), multilabel=False):
    g, _ = graph_and_schema()
    return GraphData(
        name="paths",
        graph=g,
        features={"paper": torch.randn(4, 3), "author": torch.randn(3, 2)},
        labels=torch.tensor(labels, dtype=torch.float32 if multilabel else torch.long),
        train_mask=torch.tensor(train),
        val_mask=torch.tensor([False] * 4),
        test_mask=~torch.tensor(train),
        target_type="paper",
        class_names=["A", "B"],
        node_ids={t: np.array([f"{t}{i}" for i in range(n)], dtype=object) for t, n in NUM.items()},
        multilabel=multilabel,
    )


def reference(data, hops) -> torch.Tensor:
    """Dense: every path's product of mean matrices, its diagonal zeroed, times the one-hot
    training labels."""
    y = torch.zeros(4, 2, dtype=torch.float64)
    train = data.train_mask
    y[train] = (
        data.labels[train].double()
        if data.multilabel
        else torch.nn.functional.one_hot(data.labels[train], 2).double()
    )
    out = []
    for path in label_paths(data.schema(), hops):
        v = torch.eye(4, dtype=torch.float64)
        for e in path.etypes:
            v = dense_mean(e) @ v
        out.append((v - torch.diag(torch.diagonal(v))) @ y)
    return torch.cat(out, 1)


@pytest.mark.parametrize("hops", [1, 2, 3])
def test_every_path_equals_the_dense_reference(hops):
    data = papers()
    got = path_label_input(data, hops)
    names = [p.name for p in label_paths(data.schema(), hops)]
    assert got.shape == (4, 2 * len(names))
    torch.testing.assert_close(got.double(), reference(data, hops))
    if hops >= 2:  # walks back through an author and through terms exist: the test bites
        assert "paper-author-paper" in names and "paper-term-paper" in names


def test_multilabel_labels_are_averaged_as_given():
    data = papers(labels=[[1, 1], [0, 1], [1, 0], [0, 0]], multilabel=True)
    torch.testing.assert_close(path_label_input(data, 2).double(), reference(data, 2))


@pytest.mark.parametrize("hops", [2, 4])
def test_a_training_nodes_own_label_never_reaches_its_own_input(hops):
    """Flip any training node's label: its own row stays exactly the same (others change:
    the labels do travel)."""
    base = path_label_input(papers(), hops)
    for i in range(3):
        labels = [0, 1, 1, 0]
        labels[i] = 1 - labels[i]
        again = path_label_input(papers(labels=labels), hops)
        assert torch.equal(again[i], base[i]), i
        assert not torch.equal(again, base)


def test_test_labels_are_never_read():
    assert torch.equal(
        path_label_input(papers(labels=(0, 1, 1, 1)), 2), path_label_input(papers(), 2)
    )


def test_label_hops_below_one_are_refused():
    with pytest.raises(ConfigError, match="label_hops"):
        label_paths(papers().schema(), 0)
