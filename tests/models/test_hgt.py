"""HGT as a model: its attention record (per edge, no self-loops; the relation-level summary
and the relation prior), featureless types, a CSVDataset folder, and the readers of a run
(``attention``, ``explain``, ``report``, ``plot``)."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from hetgat.config import ModelConfig, TrainConfig
from hetgat.datasets.csv import load_csv_folder
from hetgat.models import build_model
from hetgat.tables import semantic_frame
from hetgat.train import fit, predict
from tests.insight.plot_runs import fit_heterogeneous, invoke
from tests.models.test_hetero import tiny_hetero


@pytest.fixture
def data():
    return tiny_hetero()


def test_attention_record_and_relation_summary(data):
    torch.manual_seed(0)
    model = build_model(ModelConfig.for_model("hgt", hidden=4, heads=2), data.schema())
    _, att = predict(model, data, get_attention=True)
    graph = att.graph
    assert len(att.edges) == 2 and len(att.semantic) == 2
    assert set(att.edges[0]) == set(data.graph.canonical_etypes)  # no self-loop relation
    assert att.edges[0][("author", "writes", "paper")].shape == (5, 2)
    layers = model.net.layers
    for layer, (edges, shares) in enumerate(zip(att.edges, att.semantic, strict=True)):
        assert [s.dst_type for s in shares] == ["author", "paper", "venue"]
        for s in shares:
            into = [e for e in graph.canonical_etypes if e[2] == s.dst_type]
            assert s.names == [e[1] for e in into]
            for k, etype in enumerate(into):  # the share of a relation: its attention summed
                dst = graph.edges(etype=etype)[1]
                expected = torch.zeros(graph.num_nodes(s.dst_type))
                expected.index_add_(0, dst, edges[etype].mean(1))
                torch.testing.assert_close(s.per_node[:, k], expected)
                r = graph.canonical_etypes.index(etype)
                prior = layers[layer].relation_pri[r].detach().mean()
                torch.testing.assert_close(s.prior[k], prior)
            torch.testing.assert_close(s.per_node.sum(1), torch.ones(len(s.per_node)))
            torch.testing.assert_close(s.weights, s.per_node.mean(0))
    frame = semantic_frame(att.semantic)
    assert list(frame.columns) == ["layer", "target_type", "edge_type", "attention", "prior"]
    assert frame.groupby(["layer", "target_type"])["attention"].sum().to_numpy() == (
        pytest.approx(1.0)
    )
    assert (frame["prior"] == 1.0).all()  # initialised to 1: an untrained model


def test_featureless_types_get_embeddings_and_the_model_learns(data):
    config = ModelConfig.for_model("hgt", hidden=4, heads=2, input_features="target")
    model = build_model(config, data.schema())
    assert model.inputs.featureless == ["author", "venue"]  # learned embeddings
    result = fit(data, config, TrainConfig.for_model("hgt", epochs=30, patience=0, lr=0.01))
    losses = [h["train_loss"] for h in result.history]
    assert losses[-1] < losses[0]


def test_csvdataset_folder_full_and_minibatch(tmp_path):
    (tmp_path / "meta.yaml").write_text(
        "dataset_name: mini\nnode_data:\n- file_name: users.csv\n  ntype: user\n"
        "- file_name: items.csv\n  ntype: item\nedge_data:\n- file_name: follows.csv\n"
        "  etype: [user, follow, user]\n- file_name: likes.csv\n  etype: [user, like, item]\n"
    )
    users = ["node_id,label,train_mask,val_mask,test_mask,feat"]
    for i in range(12):
        split = ["1,0,0", "0,1,0", "0,0,1"][i % 3]
        users.append(f'u{i},{i % 2},{split},"{i % 2},{i / 10}"')
    (tmp_path / "users.csv").write_text("\n".join(users) + "\n")
    (tmp_path / "items.csv").write_text("node_id\ni0\ni1\ni2\n")
    follows = [f"u{i},u{(i * 5 + 1) % 12}" for i in range(12)]
    (tmp_path / "follows.csv").write_text("src_id,dst_id\n" + "\n".join(follows) + "\n")
    likes = [f"u{i},i{i % 3}" for i in range(12)]
    (tmp_path / "likes.csv").write_text("src_id,dst_id\n" + "\n".join(likes) + "\n")
    data = load_csv_folder(tmp_path)
    config = ModelConfig.for_model("hgt", hidden=4, heads=2)
    for batch in (None, 4):
        train = TrainConfig.for_model(
            "hgt", epochs=3, patience=0, batch_size=batch, fanouts=(2, 2) if batch else None
        )
        result = fit(data, config, train)
        assert np.isfinite([h["train_loss"] for h in result.history]).all()


def test_a_run_is_read_by_attention_explain_report_and_plot(tmp_path):
    out = fit_heterogeneous(tmp_path, tmp_path / "run", "hgt")
    config = json.loads((out / "config.json").read_text())
    assert config["model"]["name"] == "hgt"
    att = pd.read_csv(out / "attention.csv", keep_default_na=False)
    assert set(att["edge_type"]) == {"writes", "published_at", "rev_writes", "rev_published_at"}
    sem = pd.read_csv(out / "semantic_attention.csv")
    assert list(sem.columns) == ["layer", "target_type", "edge_type", "attention", "prior"]
    explained = invoke("explain", out, "p0", "--json")
    assert explained.exit_code == 0, explained.output
    groups = json.loads(explained.output)["attention"]
    assert {g["edge_type"] for g in groups} == {"rev_published_at", "writes"}
    report = invoke("report", out, "--out", tmp_path / "r.html", "-q")
    assert report.exit_code == 0, report.output
    html = (tmp_path / "r.html").read_text()
    assert "Semantic attention weights" in html and "prior" in html
    pytest.importorskip("matplotlib")
    pytest.importorskip("sklearn")
    plotted = invoke("plot", out, "-q")
    assert plotted.exit_code == 0, plotted.output
    assert (out / "plots" / "semantic_attention.png").exists()
