"""``hetgat plot``: each picture from a small run, valid, with the expected axes and legends;
the numbers behind them (degree buckets, entropy, initial weights) checked by hand."""

import sys

import numpy as np
import pandas as pd
import pytest
import torch

from hetgat.insight.diagnostics import (
    accuracy_by_degree,
    attention_entropy,
    degree_buckets,
    in_degrees,
    initial_model,
)
from hetgat.records import Attention
from hetgat.runs.folder import load_run
from tests.conftest import tiny_graph
from tests.insight.plot_runs import fit_heterogeneous, fit_homogeneous, invoke, is_png


@pytest.fixture(scope="module")
def gat_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("gat")
    return fit_homogeneous(root, root / "run")


@pytest.fixture(scope="module")
def han_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("han")
    return fit_heterogeneous(root, root / "run", "han")


@pytest.fixture(scope="module")
def gat_figures(gat_run):
    pytest.importorskip("matplotlib")
    pytest.importorskip("sklearn")
    from hetgat.insight.plots import run_figures

    run = load_run(gat_run)
    return run, run.load_data(), run_figures(run)


def _legend_texts(legend):
    return [t.get_text() for t in legend.get_texts()]


def test_plot_writes_png_pictures_into_the_run(gat_run):
    pytest.importorskip("matplotlib")
    pytest.importorskip("sklearn")
    result = invoke("plot", gat_run, "-q")
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (gat_run / "plots").glob("*.png"))
    assert names == [
        "attention_entropy.png",
        "degree_accuracy.png",
        "embedding.png",
        "training_curves.png",
    ]
    assert all(is_png(gat_run / "plots" / n) for n in names)
    # ... and the embedding's points, for report (issue 23 §5: no second t-SNE).
    assert sorted(p.name for p in (gat_run / "plots").iterdir() if p.suffix != ".png") == [
        "embedding.npz"
    ]


def test_plot_svg_into_another_folder(tmp_path, han_run):
    pytest.importorskip("matplotlib")
    before = sorted(p.name for p in han_run.iterdir())
    out = tmp_path / "pictures"
    result = invoke("plot", han_run, "--out", out, "--svg", "--embedding", "pca")
    assert result.exit_code == 0, result.output
    assert sorted(han_run.iterdir()) and sorted(p.name for p in han_run.iterdir()) == before
    names = {p.name for p in out.iterdir()}
    assert {"semantic_attention.png", "semantic_attention.svg", "embedding.svg"} <= names
    for name in names:
        if name.endswith(".png"):
            assert is_png(out / name)
        else:
            assert (out / name).read_text().lstrip().startswith("<?xml")
    # Each written file is listed on stderr.
    listed = [line for line in result.output.splitlines() if not line.startswith("layer ")]
    assert sorted(listed) == sorted(str(out / n) for n in names)  # flags aside (tested below)


def test_embedding_picture(gat_figures):
    run, data, figures = gat_figures
    axes = figures["embedding"].axes
    assert [ax.get_title() for ax in axes] == ["untrained (initial weights)", "trained"]
    assert {ax.get_xlabel() for ax in axes} == {"t-SNE 1"}
    assert {ax.get_ylabel() for ax in axes} == {"t-SNE 2"}
    legend = axes[-1].get_legend()
    assert legend.get_title().get_text() == "true class"
    assert _legend_texts(legend) == ["blue", "green", "red"]  # class names, sorted
    points = sum(len(c.get_offsets()) for c in axes[1].collections)
    assert points == 40  # every labelled node


def test_degree_accuracy_picture(gat_figures):
    run, data, figures = gat_figures
    ax = figures["degree_accuracy"].axes[0]
    assert ax.get_xlabel() == "in-degree (self-loops left out)"
    assert ax.get_ylabel() == "test accuracy"
    texts = _legend_texts(ax.get_legend())
    assert texts[1] == "test accuracy per bucket"
    assert texts[0] == f"all test nodes ({run.metrics['test_accuracy']:.3f})"
    counts = [int(t.get_text().removeprefix("n=")) for t in ax.texts]
    assert sum(counts) == int(data.test_mask.sum())
    heights = [p.get_height() for p in ax.patches]
    table = accuracy_by_degree(
        data,
        torch.tensor(pd.read_csv(run.path / "predictions.csv").filter(like="prob_").to_numpy()),
    )
    np.testing.assert_allclose(heights, table["accuracy"], rtol=1e-6)
    assert [t.get_text() for t in ax.get_xticklabels()] == list(table["bucket"])


def test_entropy_picture(gat_figures):
    run, data, figures = gat_figures
    fig = figures["attention_entropy"]
    assert _legend_texts(fig.legends[0]) == ["learned attention", "uniform attention"]
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == [
        "layer 0, head 0",
        "layer 0, head 1",
        "layer 1, head 0",
    ]
    assert all(ax.get_xlabel() == "entropy (nats)" for ax in panels)
    assert panels[0].get_ylabel() == "nodes"
    assert all(ax.texts[0].get_text().startswith("ratio ") for ax in panels)


def test_training_curves_picture(gat_figures):
    run, data, figures = gat_figures
    loss, score = figures["training_curves"].axes
    best = run.metrics["best_epoch"]
    assert _legend_texts(loss.get_legend()) == [
        "train loss",
        "validation loss",
        f"best epoch ({best})",
    ]
    assert _legend_texts(score.get_legend()) == [
        "validation accuracy",
        "validation macro-F1",
        f"best epoch ({best})",
    ]
    assert (loss.get_xlabel(), loss.get_ylabel()) == ("epoch", "loss")
    history = pd.read_csv(run.path / "history.csv")
    np.testing.assert_allclose(loss.lines[0].get_ydata(), history["train_loss"])


def test_semantic_picture_shows_the_semantic_table(han_run):
    pytest.importorskip("matplotlib")
    from hetgat.insight.plots import run_figures

    figures = run_figures(load_run(han_run), embedding="pca")
    assert "embedding" in figures and figures["embedding"].axes[0].get_xlabel() == "PCA 1"
    ax = figures["semantic_attention"].axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("semantic attention", "meta-path")
    table = pd.read_csv(han_run / "semantic_attention.csv")
    assert [t.get_text() for t in ax.get_yticklabels()] == list(table["edge_type"])
    np.testing.assert_allclose([p.get_width() for p in ax.patches], table["attention"], atol=1e-6)


def test_without_matplotlib_plot_says_what_to_install(monkeypatch, gat_run, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    result = invoke("plot", gat_run, "--out", tmp_path / "p", "--embedding", "pca")
    assert result.exit_code == 2
    assert result.output.strip() == "Error: pictures need matplotlib: pip install 'hetgat[plot]'"
    monkeypatch.setitem(sys.modules, "sklearn", None)
    result = invoke("report", gat_run, "--out", tmp_path / "r.html")
    assert result.output.strip() == (
        "Error: pictures need matplotlib and scikit-learn: pip install 'hetgat[plot]'"
    )
    assert not (tmp_path / "p").exists() and not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("model", ["gat", "han", "rgat", "simplehgn", "hgt"])
def test_initial_model_is_where_fit_started(tmp_path, model):
    """With a learning rate of 1e-9 one Adam step moves no weight by more than ~1e-9."""
    args = ["--lr", "1e-9", "--weight-decay", "0", "--epochs", "1", "--seed", "3"]
    if model == "gat":
        out = fit_homogeneous(tmp_path, tmp_path / "run", *args)
    else:
        out = fit_heterogeneous(tmp_path, tmp_path / "run", model, *args)
    run = load_run(out)
    data = run.load_data()
    trained, initial = run.model.state_dict(), initial_model(run, data).state_dict()
    assert trained.keys() == initial.keys()
    for name in trained:
        torch.testing.assert_close(initial[name], trained[name], atol=1e-7, rtol=0)
    run.train_config = type(run.train_config)(seed=4)
    other = initial_model(run, data).state_dict()
    assert any(not torch.equal(other[n], initial[n]) for n in other)
    from hetgat.insight.diagnostics import embeddings

    h = embeddings(run.model, data)
    assert h.shape[0] == data.graph.num_nodes(data.target_type) and np.isfinite(h).all()


def test_degree_buckets():
    bucket, names = degree_buckets(np.array([0, 1, 2, 3, 4, 5, 8, 9, 16, 17]))
    assert [names[b] for b in bucket] == [
        "0", "1", "2", "3-4", "3-4", "5-8", "5-8", "9-16", "9-16", "17-32"
    ]  # fmt: skip


def test_in_degrees_leave_out_self_loops(gat_run):
    data = load_run(gat_run).load_data()
    src, dst = (t.numpy() for t in data.graph.edges())
    expected = np.bincount(dst[src != dst], minlength=data.graph.num_nodes())
    np.testing.assert_array_equal(in_degrees(data), expected)


def test_entropy_by_hand():
    """Node 1 of the tiny graph has in-edges from 0, 3, 4 and itself."""
    g = tiny_graph()
    src, dst = g.edges(order="eid")
    a = torch.zeros(g.num_edges(), 2)
    into_1 = (dst == 1).nonzero().squeeze(1)
    a[into_1, 0] = 0.25  # head 0: uniform over 4 in-edges
    a[into_1[0], 1] = 1.0  # head 1: all on one
    for node in (0, 2, 3, 4):  # the others: uniform in both heads
        into = (dst == node).nonzero().squeeze(1)
        a[into] = 1.0 / len(into)
    groups = attention_entropy(Attention(g, [a]))
    assert [(x.layer, x.head, x.edge_type) for x in groups] == [(0, 0, "edge"), (0, 1, "edge")]
    degree = np.bincount(dst.numpy(), minlength=5)
    nodes = np.flatnonzero(degree >= 2)
    np.testing.assert_allclose(groups[0].entropy, np.log(degree[nodes]))
    np.testing.assert_allclose(groups[0].uniform, np.log(degree[nodes]))
    assert groups[0].ratio == pytest.approx(1.0)
    one = list(nodes).index(1)
    assert groups[1].entropy[one] == 0.0 and groups[1].uniform[one] == pytest.approx(np.log(4))


def test_one_layer_model_has_no_embedding_picture(tmp_path):
    pytest.importorskip("matplotlib")
    run = fit_homogeneous(tmp_path, tmp_path / "run", "--layers", "1")
    result = invoke("plot", run, "--embedding", "pca")
    assert result.exit_code == 0, result.output
    assert (
        "embedding picture left out: the model has a single layer: there is no hidden layer "
        "to show" in result.output
    )
    assert not (run / "plots" / "embedding.png").exists()
    assert is_png(run / "plots" / "attention_entropy.png")


def test_multilabel_run_pictures(tmp_path):
    pytest.importorskip("matplotlib")
    from hetgat.insight.plots import run_figures
    from tests.insight.plot_runs import homogeneous_csv

    homogeneous_csv(tmp_path)
    nodes = pd.read_csv(tmp_path / "nodes.csv", dtype=str, keep_default_na=False)
    nodes["label"] = [["red|blue", "green", ""][i % 3] for i in range(len(nodes))]
    nodes.to_csv(tmp_path / "nodes.csv", index=False)
    out = tmp_path / "run"
    result = invoke(
        "fit", tmp_path / "edges.csv", "--nodes", tmp_path / "nodes.csv", "--out", out,
        "--epochs", "5", "--patience", "0", "-q",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    run = load_run(out)
    figures = run_figures(run, embedding="pca")
    assert set(figures) == {"training_curves", "embedding", "degree_accuracy", "attention_entropy"}
    legend = figures["embedding"].axes[-1].get_legend()
    assert _legend_texts(legend) == ["blue", "green"]  # the first class of each labelled node
    score = figures["training_curves"].axes[1]
    assert "validation micro-F1" in _legend_texts(score.get_legend())
    ax = figures["degree_accuracy"].axes[0]
    accuracy = run.metrics["test_accuracy"]
    assert _legend_texts(ax.get_legend())[0] == f"all test nodes ({accuracy:.3f})"
