"""Resume equals uninterrupted, safe loading of checkpoints and models, numerical safety."""

import dataclasses
import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from hetgat.cli import main
from hetgat.config import ModelConfig, TrainConfig
from hetgat.data import GraphData
from hetgat.errors import DataFormatError, HetgatError
from hetgat.runs.folder import load_run
from hetgat.sparse.hetero import HeteroGraph
from hetgat.train import fit
from hetgat.train.checkpoint import Checkpoint, load_checkpoint
from tests.conftest import add_self_loop
from tests.models.test_hetero import tiny_hetero

EXAMPLE = str(Path(__file__).resolve().parents[2] / "examples" / "planetoid")


def homogeneous(src, dst, n, labels, train, features=None) -> GraphData:
    g = HeteroGraph({("node", "edge", "node"): add_self_loop(src, dst, n)}, {"node": n})
    labels = torch.tensor(labels)
    train = torch.tensor(train)
    torch.manual_seed(1)
    return GraphData(
        name="tiny",
        graph=g,
        features={"node": torch.randn(n, 4) if features is None else features},
        labels=labels,
        train_mask=train,
        val_mask=~train,
        test_mask=~train,
        target_type="node",
        class_names=[str(c) for c in range(int(labels.max()) + 1)],
        node_ids={"node": np.arange(n).astype(str).astype(object)},
    )


def ring(n=12) -> GraphData:
    src = list(range(n))
    dst = [(i + 1) % n for i in src]
    return homogeneous(
        src + dst, dst + src, n, [i % 3 for i in range(n)], [i < 6 for i in range(n)]
    )


def same_fit(a, b) -> None:
    timing = {"seconds_per_epoch"}
    assert {k: v for k, v in a.metrics.items() if k not in timing} == {
        k: v for k, v in b.metrics.items() if k not in timing
    }
    for (ka, va), (kb, vb) in zip(a.model.state_dict().items(), b.model.state_dict().items()):
        assert ka == kb and torch.equal(va, vb), ka
    strip = [{k: v for k, v in h.items() if k != "seconds"} for h in a.history]
    assert strip == [{k: v for k, v in h.items() if k != "seconds"} for h in b.history]


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("gat", ring),
        ("gatv2", ring),
        ("han", tiny_hetero),
        ("rgat", tiny_hetero),
        ("simplehgn", tiny_hetero),
        ("hgt", tiny_hetero),
    ],
)
def test_resume_equals_uninterrupted(tmp_path, name, make):
    data = make()
    model = ModelConfig.for_model(name, hidden=4, heads=2)
    whole = TrainConfig.for_model(name, epochs=14, patience=5, lr=0.01)
    expected = fit(data, model, whole)
    # The same run cut after epoch 3 (its checkpoint), then continued from the file (GAT and
    # Simple-HGN's loss-only rule then stop early: after 10 and 7 epochs).
    path = tmp_path / "checkpoint.pt"
    fit(data, model, dataclasses.replace(whole, epochs=4), checkpoint=Checkpoint(path, every=4))
    state = load_checkpoint(path)
    assert state["epoch"] == 3
    resumed = fit(data, model, whole, resume=state)
    same_fit(expected, resumed)


class Payload:
    """Unpickling this runs code: what a malicious model file would do."""

    def __reduce__(self):
        return (os.makedirs, ("PWNED_BY_PICKLE",))


def test_checkpoint_with_a_pickle_payload_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "checkpoint.pt"
    torch.save({"epoch": 1, "model": Payload()}, path)
    with pytest.raises(DataFormatError) as err:
        load_checkpoint(path)
    assert str(err.value).startswith(f"{path}: not a readable hetgat checkpoint (")
    assert not (tmp_path / "PWNED_BY_PICKLE").exists()


def test_truncated_checkpoint_is_refused(tmp_path):
    data = ring()
    path = tmp_path / "checkpoint.pt"
    config = TrainConfig(epochs=2, patience=0)
    fit(data, ModelConfig(hidden=2, heads=1), config, checkpoint=Checkpoint(path, every=1))
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(DataFormatError, match="not a readable hetgat checkpoint"):
        load_checkpoint(path)


def test_model_file_with_a_pickle_payload_is_refused(tmp_path, monkeypatch):
    out = tmp_path / "run"
    args = ["fit", "planetoid:cora", "--data-dir", EXAMPLE, "--out", str(out), "-q"]
    result = CliRunner().invoke(main, [*args, "--epochs", "1", "--patience", "0"])
    assert result.exit_code == 0, result.output
    monkeypatch.chdir(tmp_path)
    torch.save({"layers.0.fc.weight": Payload()}, out / "model.pt")
    with pytest.raises(DataFormatError, match="cannot load the model weights"):
        load_run(out)
    assert not (tmp_path / "PWNED_BY_PICKLE").exists()
    result = CliRunner().invoke(main, ["predict", str(out)])
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {out / 'model.pt'}: cannot load the model weights")


def test_config_file_repeats_a_run_byte_for_byte(tmp_path):
    first, second, third = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    args = ["--epochs", "4", "--patience", "0", "--seed", "3", "-q"]
    runner = CliRunner()
    result = runner.invoke(
        main, ["fit", "planetoid:cora", "--data-dir", EXAMPLE, "--out", str(first), *args]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        main, ["fit", "--config", str(first / "config.json"), "--out", str(second), "-q"]
    )
    assert result.exit_code == 0, result.output
    for name in ("metrics.json", "predictions.csv", "attention.csv"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    saved = json.loads((first / "config.json").read_text())
    assert json.loads((second / "config.json").read_text())["train"] == saved["train"]
    # Options typed next to --config win.
    result = runner.invoke(
        main,
        [
            "fit",
            "--config",
            str(first / "config.json"),
            "--out",
            str(third),
            "--seed",
            "5",
            "--heads",
            "2",
            "-q",
        ],
    )
    assert result.exit_code == 0, result.output
    changed = json.loads((third / "config.json").read_text())
    assert changed["train"] == {**saved["train"], "seed": 5}
    assert changed["model"] == {**saved["model"], "heads": 2}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--config", "nope.json"], "Error: nope.json: file not found"),
        (["--resume", "nowhere"], "Error: nowhere: nothing to resume (nowhere.partial not found)"),
    ],
)
def test_config_and_resume_errors(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["fit", *args])
    assert result.exit_code == 2
    assert result.output.strip() == message


def test_resume_refuses_other_settings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["fit", "--resume", "run", "--epochs", "5"])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "Error: --resume continues a run with its own settings: drop --epochs"
    )


def test_huge_features_train_or_stop_with_the_epoch():
    data = ring()
    data.features["node"] = data.features["node"] * 1e35
    try:
        result = fit(data, ModelConfig(hidden=4, heads=2), TrainConfig(epochs=5, patience=0))
    except HetgatError as exc:
        assert str(exc).startswith("the training loss became ")
        assert " at epoch " in str(exc)
    else:
        assert all(np.isfinite(h["train_loss"]) for h in result.history)


def test_hub_with_thousands_of_neighbours_and_isolated_nodes():
    n = 3003  # node 0 is the hub of 3000 leaves; 3001 and 3002 have no edge but self-loops
    leaves = list(range(1, 3001))
    data = homogeneous(
        leaves + [0] * 3000,
        [0] * 3000 + leaves,
        n,
        [i % 2 for i in range(n)],
        [i % 3 == 0 for i in range(n)],
    )
    result = fit(data, ModelConfig(hidden=4, heads=2), TrainConfig(epochs=3, patience=0))
    assert all(np.isfinite(h["train_loss"]) for h in result.history)
    from hetgat.train import predict

    probs, att = predict(result.model, data, get_attention=True)
    assert torch.isfinite(probs).all()
    for a in att.edges:
        sums = torch.zeros(n, a.shape[1]).index_add_(0, att.graph.edges()[1], a)
        torch.testing.assert_close(sums, torch.ones_like(sums))


@pytest.mark.parametrize("name", ["han", "rgat", "simplehgn", "hgt"])
def test_a_relation_without_edges(name):
    data = tiny_hetero()
    edges = {e: data.graph.edges(etype=e) for e in data.graph.canonical_etypes}
    empty = torch.tensor([], dtype=torch.int64)
    edges[("paper", "cites", "paper")] = (empty, empty)
    data.graph = HeteroGraph(edges, {t: data.graph.num_nodes(t) for t in data.graph.ntypes})
    model = ModelConfig.for_model(name, hidden=4, heads=2)
    if name == "han":
        model = dataclasses.replace(model, metapaths=("paper-author-paper", "cites"))
    result = fit(data, model, TrainConfig.for_model(name, epochs=3, patience=0))
    assert all(np.isfinite(h["train_loss"]) for h in result.history)


def test_a_class_absent_from_training():
    data = ring()
    data.labels[~data.train_mask] = 2  # class "2" only outside training
    data.labels[data.train_mask] = torch.tensor([0, 1, 0, 1, 0, 1])
    result = fit(data, ModelConfig(hidden=4, heads=2), TrainConfig(epochs=3, patience=0))
    assert all(np.isfinite(h["train_loss"]) for h in result.history)
    assert 0 <= result.metrics["test_macro_f1"] <= 1


@pytest.mark.parametrize("name", ["han", "rgat", "simplehgn", "hgt"])
def test_same_seed_same_bytes_heterogeneous(tmp_path, name):
    from hetgat.runs.folder import save_run

    data = tiny_hetero()
    model = ModelConfig.for_model(name, hidden=4, heads=2)
    train = TrainConfig.for_model(name, epochs=5, patience=0, seed=7)
    folders = []
    for i in range(2):
        result = fit(data, model, train)
        folders.append(tmp_path / f"run{i}")
        save_run(folders[-1], data, result, result.model_config, train, source={"spec": "tiny"})
    names = ["metrics.json", "predictions.csv", "attention.csv"]
    if name != "simplehgn":
        names.append("semantic_attention.csv")
    for file in names:
        assert (folders[0] / file).read_bytes() == (folders[1] / file).read_bytes(), file
