"""``import hetgat`` as a library (issue 32, §3): hetgat.fit gives a Run whose tables are
DataFrames keyed by the user's ids, saved and loaded as a run folder every command reads."""

import numpy as np
import pandas as pd
import pytest
import torch
from click.testing import CliRunner

import hetgat
from hetgat.cli import main
from hetgat.errors import HetgatError
from tests.datasets.test_frames import frames

SMALL = dict(hidden=4, heads=2, epochs=5, patience=0)


@pytest.fixture(scope="module")
def graph():
    edges, nodes, features = frames()
    return hetgat.from_pandas(edges, nodes, features=features, split_ratio=(0.5, 0.25, 0.25))


def test_fit_gives_a_run_with_its_tables_keyed_by_ids(graph):
    run = hetgat.fit(graph, "han", **SMALL)
    assert run.path is None and run.metrics["epochs_run"] == 5 and len(run.history) == 5
    predictions = run.predict()
    assert list(predictions.columns[:4]) == ["id", "predicted", "label", "split"]
    assert list(predictions["id"]) == [f"p{i}" for i in range(20)]
    attention = run.attention(nodes=["p3"])
    assert set(attention["dst"]) == {"p3"}
    sums = attention.groupby(["layer", "head", "edge_type"])["attention"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0, atol=1e-5)
    semantic = run.semantic_attention()
    assert semantic.groupby(["layer", "target_type"])["attention"].sum().round(5).eq(1).all()
    mine = run.semantic_attention(per_node=True, nodes="p3")
    assert set(mine["id"]) == {"p3"}
    explained = run.explain("p3")
    assert explained["id"] == "p3" and explained["predicted"] in graph.class_names


def test_a_saved_run_loads_with_the_same_predictions(graph, tmp_path):
    run = hetgat.fit(graph, "rgat", input_features="none", **SMALL)
    path = run.save(tmp_path / "run")
    assert run.path == path and (path / "predictions.csv").is_file()
    loaded = hetgat.load(path)
    assert loaded.source is None
    with pytest.raises(HetgatError, match="data given in memory: it has no files to read"):
        loaded.predict()
    expected, got = run.predict(), loaded.predict(graph)
    pd.testing.assert_frame_equal(got, expected)
    saved = pd.read_csv(path / "predictions.csv", keep_default_na=False)
    np.testing.assert_allclose(saved.filter(like="prob_"), expected.filter(like="prob_"), atol=1e-6)
    result = CliRunner().invoke(main, ["predict", str(path)])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "Error: the run was trained on data given in memory: it has no files to read again; "
        "give the GRAPH"
    )


def test_options_are_the_flags_names_and_a_typo_names_the_closest(graph):
    run = hetgat.fit(graph, "gat" if graph.is_homogeneous else "hgt", layers=1, dropout=0.3,
                     lr=0.01, epochs=2, seed=3)  # fmt: skip
    assert run.model_config.num_layers == 1 and run.model_config.feat_drop == 0.3
    assert run.train_config.lr == 0.01 and run.train_config.seed == 3
    with pytest.raises(HetgatError, match=r"unknown option `epoch`; did you mean `epochs`\?"):
        hetgat.fit(graph, "hgt", epoch=3)
    with pytest.raises(HetgatError, match=r"unknown option `hidden_dim`; did you mean `hidden`"):
        hetgat.fit(graph, "hgt", hidden_dim=3)


@pytest.mark.parametrize(
    "model, option, users",
    [("hgt", {"hops": 4}, "sehgnn"), ("gat", {"metapath": ["p-a-p"]}, "han"),
     ("han", {"task_head": "sehgnn"}, "sehgnn"), ("rgat", {"beta": 0.1}, "simplehgn")],
)  # fmt: skip
def test_an_option_the_model_does_not_use_is_refused_not_ignored(graph, model, option, users):
    with pytest.raises(HetgatError, match=rf"model {model}, which does not use it .*of {users}"):
        hetgat.fit(graph, model, **option)


def test_what_every_model_uses_is_accepted_by_every_model():
    from hetgat.config import MODEL_NAMES
    from hetgat.runs.options import configs

    for model in MODEL_NAMES:
        configs(model, dropout=0.3, embed_dim=8, input_features="none", label_hops=2,
                label_form="paths", path_relations=["writes"], hidden=8, metapath=[])  # fmt: skip


def test_the_command_line_refuses_an_unused_option_and_writes_nothing(tmp_path):
    out = tmp_path / "run"
    args = ["fit", "examples/acm", "--model", "hgt", "--hops", "3", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and not out.exists() and not out.with_suffix(".partial").exists()
    assert result.output.strip() == (
        "Error: --hops: expected no value for model hgt, which does not use it (an option of "
        "sehgnn: give --model one of them or leave it out), got 3"
    )


def test_the_config_objects_stay_accepted(graph):
    config = hetgat.ModelConfig.for_model("rgat", hidden=4, heads=2)
    run = hetgat.fit(graph, config, hetgat.TrainConfig(epochs=3, patience=0), seed=1)
    assert run.model_config.hidden == 4 and run.train_config.epochs == 3
    assert run.train_config.seed == 1
    probs = hetgat.predict(run, graph)  # a Run (or a FitResult) is taken for its model
    assert probs.shape == (20, 3)
    torch.testing.assert_close(probs.sum(1), torch.ones(20))


def test_a_graph_of_other_classes_is_refused(graph):
    run = hetgat.fit(graph, "rgat", **SMALL)
    edges, nodes, features = frames()
    nodes["paper"]["label"] = ["db", "ml", "xx", ""] * 5
    other = hetgat.from_pandas(edges, nodes, features=features)
    with pytest.raises(HetgatError, match=r"class_names=run.schema.class_names"):
        run.predict(other)
