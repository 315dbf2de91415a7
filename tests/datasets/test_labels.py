"""The leak-free label input: no training node's own label reaches its input (whatever the
labels, hops and parts), validation and test labels are never read, the values by hand; a model
trains with it, and the run folder keeps it for ``predict``/``attention``/``explain``."""

import numpy as np
import pandas as pd
import pytest
import torch

from hetgat.config import ModelConfig, TrainConfig
from hetgat.datasets.labels import label_input
from hetgat.errors import ConfigError
from hetgat.runs import load_run
from hetgat.runs.apply import run_predictions
from hetgat.runs.folder import save_run
from hetgat.train import fit
from tests.insight.plot_runs import heterogeneous_csv, invoke
from tests.models.test_hetero import tiny_hetero


def chain():
    """Four papers sharing one author (every paper 2 hops from every other, itself included:
    the echo), papers 0-2 training, 3 test."""
    data = tiny_hetero()
    from hetgat.sparse.hetero import HeteroGraph

    a, p = torch.zeros(4, dtype=torch.long), torch.arange(4)
    data.graph = HeteroGraph(
        {("author", "writes", "paper"): (a, p), ("paper", "written_by", "author"): (p, a)},
        {"author": 1, "paper": 4},
    )
    data.features = {"paper": data.features["paper"]}
    data.node_ids = {"paper": data.node_ids["paper"], "author": np.array(["a0"], dtype=object)}
    data.labels = torch.tensor([0, 1, 1, 0])
    data.train_mask = torch.tensor([True, True, True, False])
    data.val_mask = torch.tensor([False, False, False, False])
    data.test_mask = torch.tensor([False, False, False, True])
    return data


@pytest.mark.parametrize("hops", [1, 2, 4])
@pytest.mark.parametrize("partitions", [2, 3, 7])
def test_a_training_nodes_own_label_never_reaches_its_input(hops, partitions):
    """Change any one training node's label: its own input stays exactly the same (as do
    the inputs of the nodes of its part)."""
    data = tiny_hetero()
    data.train_mask = torch.tensor([True, True, True, False])
    values, part = label_input(data, hops, partitions, seed=3)
    train = data.train_mask.nonzero().squeeze(1).tolist()
    for i in train:
        for other in range(data.num_classes):
            changed = tiny_hetero()
            changed.train_mask = data.train_mask
            changed.labels = data.labels.clone()
            changed.labels[i] = other
            again, part_again = label_input(changed, hops, partitions, seed=3)
            assert torch.equal(part_again, part)
            same_part = (part == part[i]).nonzero().squeeze(1)
            assert torch.equal(again[same_part], values[same_part]), (i, other)


def test_validation_and_test_labels_are_never_read():
    data = tiny_hetero()
    values, _ = label_input(data, 2, 2, seed=0)
    data.labels[~data.train_mask] = 1 - data.labels[~data.train_mask]
    assert torch.equal(label_input(data, 2, 2, seed=0)[0], values)


def test_values_by_hand():
    """One author joins all four papers: a paper's 2-hop input is the mean over the author's
    papers of their one-hot training labels, only of the parts it may see."""
    data = chain()
    values, part = label_input(data, 2, 2, seed=0)
    assert part[3] == -1 and set(part[:3].tolist()) <= {0, 1}
    hop1 = values[:, :2]
    assert torch.equal(hop1, torch.zeros(4, 2))  # papers' in-neighbour is the author only
    hop2 = values[:, 2:]
    # the test paper sees every training label (A, B, B) over the author's 4 papers
    torch.testing.assert_close(hop2[3], torch.tensor([0.25, 0.5]))
    onehot = torch.eye(2)[data.labels[:3]]
    for i in range(3):
        others = [j for j in range(3) if part[j] != part[i]]
        expected = onehot[others].sum(0) / 4 * 2  # scaled by P / (P - 1) = 2
        torch.testing.assert_close(hop2[i], expected)


def test_checks():
    data = tiny_hetero()
    with pytest.raises(ConfigError, match="label_hops: expected an integer >= 1, got 0"):
        label_input(data, 0, 2, seed=0)
    with pytest.raises(ConfigError, match="label_partitions: expected an integer >= 2, got 1"):
        label_input(data, 1, 1, seed=0)
    with pytest.raises(ConfigError, match="label_hops"):
        ModelConfig(label_hops=11)


@pytest.mark.parametrize("name", ["simplehgn", "hgt", "han"])
def test_models_train_with_it_and_the_run_keeps_it(tmp_path, name):
    data = tiny_hetero()
    config = ModelConfig.for_model(name, hidden=4, heads=2, label_hops=2, label_partitions=2)
    train = TrainConfig.for_model(name, epochs=5, patience=0)
    result = fit(data, config, train)
    inputs = result.model.inputs
    assert inputs.out_feats["paper"] == 5 + 2 * 2  # features + hops x classes
    expected, part = label_input(data, 2, 2, seed=train.seed)
    torch.testing.assert_close(inputs.label_input, expected)
    out = save_run(tmp_path / "run", data, result, result.model_config, train, source={"spec": "x"})
    table = pd.read_csv(out / "label_input.csv", keep_default_na=False)
    assert list(table.columns) == [
        "id", "split", "label_given", "partition", "hop1:A", "hop1:B", "hop2:A", "hop2:B",
    ]  # fmt: skip
    assert table["partition"].tolist() == part.tolist()
    assert table["label_given"].tolist() == ["A", "", "B", ""]  # training labels only
    run = load_run(out)
    torch.testing.assert_close(run.model.inputs.label_input, expected)
    again = run_predictions(run, data)
    saved = pd.read_csv(out / "predictions.csv", keep_default_na=False)
    np.testing.assert_allclose(
        again.filter(like="prob").to_numpy(), saved.filter(like="prob").to_numpy(), rtol=1e-5
    )


def test_from_the_cli(tmp_path):
    heterogeneous_csv(tmp_path)
    out = tmp_path / "run"
    args = ["fit", tmp_path / "edges.csv", "--nodes", f"paper={tmp_path}/papers.csv"]
    fast = ["--epochs", "3", "--patience", "0", "--hidden", "4", "--heads", "2", "-q"]
    result = invoke(*args, "--model", "hgt", "--label-hops", "2", "--out", out, *fast)
    assert result.exit_code == 0, result.output
    assert (out / "label_input.csv").exists()
    assert invoke("explain", out, "p1").exit_code == 0
    bad = invoke(*args, "--label-hops", "11", "--out", tmp_path / "x")
    assert bad.exit_code == 2 and "--label-hops" in bad.output


def test_minibatch_and_chunked_inference_read_the_same_input():
    data = tiny_hetero()
    config = ModelConfig.for_model("hgt", hidden=4, heads=2, label_hops=2, label_partitions=2)
    train = TrainConfig.for_model("hgt", epochs=3, patience=0, batch_size=2, fanouts=(2, 2))
    model = fit(data, config, train).model
    from hetgat.train import predict

    torch.testing.assert_close(predict(model, data, chunk_size=1), predict(model, data))
    assert model.inputs.label_input.abs().sum() > 0
