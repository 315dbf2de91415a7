"""Mini-batch training on sampled blocks and chunked layer-wise inference."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from click.testing import CliRunner

from hetgat.cli import main
from hetgat.config import ModelConfig, TrainConfig, from_dict, to_dict
from hetgat.data import GraphData
from hetgat.errors import ConfigError
from hetgat.models import build_model, resolve_config
from hetgat.sparse.graph import Graph
from hetgat.sparse.hetero import HeteroGraph
from hetgat.train import fit, model_inputs, predict
from hetgat.train.loop import loss_fn
from hetgat.train.minibatch import block_logits, check_minibatch, make_sampler, node_loader
from tests.conftest import add_self_loop
from tests.models.test_hetero import tiny_hetero

CORA = Path(__file__).resolve().parents[2] / "examples" / "cora"
NO_DROP = {"feat_drop": 0.0, "attn_drop": 0.0, "msg_drop": 0.0}


def tiny_homo() -> GraphData:
    """12 nodes, random edges plus self-loops, 3 features, 2 classes."""
    gen = torch.Generator().manual_seed(1)
    src, dst = (
        torch.randint(0, 12, (30,), generator=gen),
        torch.randint(0, 12, (30,), generator=gen),
    )
    g = HeteroGraph({("node", "edge", "node"): add_self_loop(src, dst, 12)}, {"node": 12})
    split = torch.arange(12)
    return GraphData(
        name="tiny",
        graph=g,
        features={"node": torch.randn(12, 3, generator=gen)},
        labels=torch.arange(12) % 2,
        train_mask=split < 7,
        val_mask=(split >= 7) & (split < 9),
        test_mask=split >= 9,
        target_type="node",
        class_names=["a", "b"],
        node_ids={"node": np.array([f"n{i}" for i in range(12)], dtype=object)},
    )


def all_train(data: GraphData) -> GraphData:
    """HAN's semantic weights average over a batch's nodes: equal to full batch only when the
    batch holds every target node."""
    data.train_mask = torch.ones_like(data.train_mask)
    return data


CASES = {
    "gat": (tiny_homo, {"num_layers": 2}),
    "gatv2": (tiny_homo, {"num_layers": 3, "residual": True}),
    "simplehgn": (tiny_hetero, {"num_layers": 3, "edge_feats": 3}),
    "han": (lambda: all_train(tiny_hetero()), {"num_layers": 2}),
    "hgt": (tiny_hetero, {"num_layers": 2}),
}


def setup(name, drop=True):
    make, values = CASES[name]
    data = make()
    config = ModelConfig.for_model(name, hidden=4, heads=2, **values, **(NO_DROP if drop else {}))
    config = resolve_config(config, data)
    torch.manual_seed(0)
    model = build_model(config, data.schema())
    graph, features = model_inputs(data)
    return data, config, model, model.prepare_graph(graph), features


def max_in_degree(g) -> int:
    return max(int(g.in_degrees(etype=e).max()) for e in g.canonical_etypes)


@pytest.mark.parametrize("name", list(CASES))
def test_one_step_equals_full_batch(name):
    data, config, model, graph, features = setup(name)
    train_idx = data.train_mask.nonzero().squeeze(1)
    labels = data.labels[train_idx]
    model.train()
    full = loss_fn(model(graph, features)[train_idx], labels, False)
    full.backward()
    full_grads = {k: p.grad.clone() for k, p in model.named_parameters() if p.grad is not None}
    model.zero_grad(set_to_none=True)

    net = model.net
    sample_graph = net.block_graph(graph)
    fanout = max_in_degree(sample_graph)
    sampler = make_sampler((fanout,) * config.num_layers, config.num_layers)
    seeds = net.block_seeds(graph, train_idx)
    batches = list(
        node_loader(sample_graph, seeds, sampler, batch_size=100, shuffle=False, device="cpu")
    )
    assert len(batches) == 1
    input_nodes, output_nodes, blocks = batches[0]
    assert torch.equal(output_nodes, seeds)
    mini = loss_fn(block_logits(model, graph, blocks, input_nodes, features), labels, False)
    mini.backward()
    torch.testing.assert_close(mini, full, rtol=1e-5, atol=1e-6)
    mini_grads = {k: p.grad for k, p in model.named_parameters() if p.grad is not None}
    assert mini_grads.keys() == full_grads.keys()
    for k, grad in full_grads.items():
        torch.testing.assert_close(mini_grads[k], grad, rtol=1e-4, atol=1e-6, msg=k)

    # The same step taken: predictions in eval mode agree too.
    for p in model.parameters():
        if p.grad is not None:
            p.data -= 0.1 * p.grad
    model.eval()
    with torch.no_grad():
        expected = model(graph, features)[train_idx]
        input_nodes, _, blocks = sampler.sample(sample_graph, seeds)
        got = block_logits(model, graph, blocks, input_nodes, features)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)


def _same_attention(got, expected):
    """Two attention records (per layer: a tensor or a dict per edge type) hold equal values."""
    assert len(got.edges) == len(expected.edges)
    for g_layer, e_layer in zip(got.edges, expected.edges, strict=True):
        if isinstance(e_layer, dict):
            assert g_layer.keys() == e_layer.keys()
            for k in e_layer:
                torch.testing.assert_close(g_layer[k], e_layer[k], rtol=1e-5, atol=1e-6)
        else:
            torch.testing.assert_close(g_layer, e_layer, rtol=1e-5, atol=1e-6)
    assert len(got.semantic) == len(expected.semantic)
    for g_layer, e_layer in zip(got.semantic, expected.semantic, strict=True):
        for g_sem, e_sem in zip(g_layer, e_layer, strict=True):
            assert g_sem.names == e_sem.names and g_sem.dst_type == e_sem.dst_type
            torch.testing.assert_close(g_sem.weights, e_sem.weights, rtol=1e-5, atol=1e-6)
            torch.testing.assert_close(g_sem.per_node, e_sem.per_node, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("chunk_size", [1, 3, 5, 1000])
@pytest.mark.parametrize("name", list(CASES))
def test_chunked_inference_equals_full(name, chunk_size):
    data, _, model, graph, _ = setup(name, drop=False)
    probs, att = predict(model, data, get_attention=True)
    chunked, chunked_att = predict(model, data, get_attention=True, chunk_size=chunk_size)
    torch.testing.assert_close(chunked, probs, rtol=1e-5, atol=1e-6)
    _same_attention(chunked_att, att)
    assert chunked_att.graph.canonical_etypes == att.graph.canonical_etypes
    torch.testing.assert_close(predict(model, data, chunk_size=chunk_size), probs)


def test_attention_residual_without_previous_edge_keeps_own_attention():
    """Sampled neighbourhoods differ per layer: an edge missing from the previous block gets
    no attention residual (NaN marks it), so each destination's attention still sums to 1."""
    from hetgat.nn.simplehgnconv import SimpleHGNConv

    g = Graph(torch.tensor([0, 1, 2, 0]), torch.tensor([1, 1, 1, 2]), 3)
    layer = SimpleHGNConv(2, 1, 3, 2, 1, beta=0.5).eval()
    x, etype = torch.randn(3, 3), torch.zeros(4, dtype=torch.long)
    _, own = layer(g, x, etype)
    res = torch.tensor([[0.2], [float("nan")], [0.8], [float("nan")]])
    _, mixed = layer(g, x, etype, res)
    torch.testing.assert_close(mixed[[1, 3]], own[[1, 3]])
    torch.testing.assert_close(mixed[[0, 2]], 0.5 * own[[0, 2]] + 0.5 * res[[0, 2]])


@pytest.mark.parametrize("name", ["gat", "simplehgn", "han", "hgt"])
def test_fit_minibatch_trains(name):
    make, values = CASES[name]
    data = make()
    # Without dropout, so that the loss of sampled batches goes down within a few epochs.
    config = ModelConfig.for_model(name, hidden=4, heads=2, **values, **NO_DROP)
    train = TrainConfig(
        epochs=15, patience=0, lr=0.02, batch_size=4, fanouts=(2,) * values["num_layers"]
    )
    result = fit(data, config, train)
    assert [h["epoch"] for h in result.history] == list(range(15))
    assert set(result.history[0]) == {
        "epoch", "train_loss", "val_loss", "val_accuracy", "val_macro_f1", "val_micro_f1",
        "seconds",
    }  # fmt: skip
    losses = [h["train_loss"] for h in result.history]
    assert np.isfinite(losses).all()
    assert np.mean(losses[-3:]) < np.mean(losses[:3])
    assert {"test_accuracy", "best_epoch", "epochs_run"} <= set(result.metrics)
    again = fit(data, config, train)  # same seed, same run
    torch.testing.assert_close(
        [h["train_loss"] for h in again.history], [h["train_loss"] for h in result.history]
    )


def test_unsupported_model_and_fanout_count():
    supported = "one of gat, gatv2, han, simplehgn, hgt for mini-batch training"
    with pytest.raises(ConfigError, match=f"{supported}, got 'rgat'"):
        check_minibatch(ModelConfig.for_model("rgat"), TrainConfig(batch_size=8))
    with pytest.raises(ConfigError, match="fanouts: expected 2 value"):
        check_minibatch(ModelConfig(), TrainConfig(batch_size=8, fanouts=(5, 5, 5)))
    check_minibatch(ModelConfig(), TrainConfig(batch_size=8, fanouts=(5, 5)))
    with pytest.raises(ConfigError, match="rgat"):
        fit(tiny_hetero(), ModelConfig.for_model("rgat"), TrainConfig(batch_size=2))


@pytest.mark.parametrize(
    "values,message",
    [
        ({"batch_size": 0}, "batch_size: expected an integer >= 1"),
        ({"batch_size": 4, "fanouts": (5, 0)}, "fanouts: expected a list of integers >= 1"),
        ({"batch_size": 4, "fanouts": "5,5"}, "fanouts: expected a list of integers >= 1"),
        ({"batch_size": 4, "fanouts": ()}, "fanouts: expected a list of integers >= 1"),
        ({"fanouts": (5, 5)}, "fanouts: expected a batch_size too"),
    ],
)
def test_train_config_validation(values, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**values)


def test_train_config_round_trip():
    config = TrainConfig(batch_size=16, fanouts=[10, 5])
    assert config.fanouts == (10, 5)
    saved = json.loads(json.dumps(to_dict(config)))
    assert from_dict(TrainConfig, saved) == config
    assert from_dict(TrainConfig, {}).batch_size is None


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


CORA_ARGS = [
    CORA / "cites.csv",
    "--nodes",
    f"paper={CORA / 'papers.csv'}",
    "--features",
    f"paper={CORA / 'features.npz'}",
    "--normalize",
]


def test_cli_minibatch_run_folder(tmp_path):
    out = tmp_path / "run"
    args = ["fit", *CORA_ARGS, "--batch-size", 32, "--fanouts", "5,5", "--epochs", 2]
    result = cli(*args, "--patience", 0, "-q", "--out", out)
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    assert {
        "model.pt", "config.json", "metrics.json", "history.csv", "predictions.csv",
        "node_ids.csv", "attention.csv",
    } <= names  # fmt: skip
    config = json.loads((out / "config.json").read_text())
    assert config["train"]["batch_size"] == 32 and config["train"]["fanouts"] == [5, 5]
    assert len(pd.read_csv(out / "history.csv")) == 2
    pred = pd.read_csv(out / "predictions.csv", dtype={"id": str})
    assert len(pred) == 2708
    att = pd.read_csv(out / "attention.csv", usecols=["layer", "head", "dst", "attention"])
    sums = att.groupby(["layer", "head", "dst"])["attention"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0, rtol=1e-5)
    # predict on the saved run infers in chunks and gives the run's predictions.
    again = cli("predict", out, "-o", tmp_path / "p.csv")
    assert again.exit_code == 0, again.output
    pred2 = pd.read_csv(tmp_path / "p.csv", dtype={"id": str})
    np.testing.assert_allclose(pred2.filter(like="prob_"), pred.filter(like="prob_"), atol=1e-6)


@pytest.mark.parametrize(
    "fanouts,extra,message",
    [
        ("5,x", ["--batch-size", "8"], "Invalid value for '--fanouts': '5,x' is not integers"),
        ("0,5", ["--batch-size", "8"], "Invalid value for '--fanouts': '0,5' is not integers"),
        ("5,5,5", ["--batch-size", "8"], "--fanouts: expected 2 value(s), one per layer of gat"),
        ("5,5", [], "fanouts: expected a batch_size too"),
    ],
)
def test_cli_bad_fanouts(tmp_path, fanouts, extra, message):
    out = tmp_path / "run"
    args = ["fit", *CORA_ARGS, "--fanouts", fanouts, *extra, "--epochs", 1, "-q", "--out", out]
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert message in lines[0]
    assert not out.exists()


def test_index_rows_of_sparse_csr_equals_dense():
    from hetgat.nn.functional import index_rows, to_csr

    x = (torch.rand(7, 5, generator=torch.Generator().manual_seed(3)) < 0.4).float()
    x[2] = 0  # an empty row
    index = torch.tensor([6, 2, 0, 2, 5])
    got = index_rows(to_csr(x), index)
    assert got.layout == torch.sparse_csr
    torch.testing.assert_close(got.to_dense(), x[index])
    assert index_rows(to_csr(x), torch.tensor([], dtype=torch.long)).shape == (0, 5)


def test_minibatch_runs_repeat_with_several_threads():
    """DGL samples with per-thread generators; hetgat samples on one thread, so runs repeat."""
    from hetgat.sparse.threads import using_threads

    make, values = CASES["gat"]
    data = make()
    config = ModelConfig.for_model("gat", hidden=4, heads=2, **values, **NO_DROP)
    train = TrainConfig(epochs=8, patience=0, batch_size=4, fanouts=(2,) * values["num_layers"])
    with using_threads(2):
        runs = {tuple(h["train_loss"] for h in fit(data, config, train).history) for _ in range(4)}
    assert len(runs) == 1
