"""Featureless node types through the `hetgat` command (issue 33): a run whose inputs are
computed from the graph predicts on an export with new nodes; one with learned embeddings
refuses it; `inspect` says per type whether the model is inductive."""

import json

import numpy as np
import pandas as pd
import pytest
import torch
from click.testing import CliRunner

from hetgat.cli import main
from tests.cli.test_cli_relations import FAST, export


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def grown(root):
    """The export with a new paper p30 written by a new author a10 (and nothing else)."""
    args = export(root)
    edges = pd.read_csv(root / "edges.csv")
    extra = pd.DataFrame(
        [("p30", "paper", "written_by", "a10", "author"),
         ("a10", "author", "writes", "p30", "paper")],
        columns=edges.columns,
    )  # fmt: skip
    pd.concat([edges, extra]).to_csv(root / "edges.csv", index=False)
    return args


@pytest.mark.parametrize("model", ["rgat", "han", "simplehgn", "hgt", "sehgnn"])
def test_predict_on_new_nodes_with_inductive_inputs(tmp_path, model):
    graph = export(tmp_path / "graph")
    out = tmp_path / "run"
    # Correct and Smooth is on (the target type is featureless) and local; its class mass
    # normalisation is a statistic over every node predicted (a new node shifts it), so it is
    # left off here to check the model's locality alone.
    fit = invoke("fit", *graph, "--model", model, "--featureless", "random+degree", "--out", out,
                 "--no-class-mass", *FAST)  # fmt: skip
    assert fit.exit_code == 0, fit.output
    assert json.loads((out / "config.json").read_text())["model"]["featureless"] == (
        "random+degree"
    )
    pred = tmp_path / "pred.csv"
    result = invoke("predict", out, *grown(tmp_path / "grown"), "-o", pred)
    assert result.exit_code == 0, result.output
    new = pd.read_csv(pred).set_index("id")
    old = pd.read_csv(out / "predictions.csv").set_index("id")
    assert "p30" in new.index and len(new) == len(old) + 1
    # The other papers: the same inputs (random keyed by id, degrees), the same outputs where
    # the model is local (HAN's and RGAT's semantic attention averages over all nodes).
    probs = [c for c in old.columns if c.startswith("prob")]
    tolerance = 1e-5 if model in ("simplehgn", "hgt", "sehgnn") else 1e-2
    assert probs and np.allclose(new.loc[old.index, probs], old[probs], atol=tolerance)


def test_learned_embeddings_refuse_new_nodes(tmp_path):
    graph = export(tmp_path / "graph")
    out = tmp_path / "run"
    assert invoke("fit", *graph, "--model", "rgat", "--out", out, *FAST).exit_code == 0
    result = invoke("predict", out, *grown(tmp_path / "grown"), "-o", tmp_path / "p.csv")
    assert result.exit_code == 2
    assert "never saw ('a10'); the model learned an embedding" in result.output


def test_bad_featureless_value(tmp_path):
    graph = export(tmp_path / "graph")
    result = invoke("fit", *graph, "--model", "rgat", "--featureless", "embedding+degree",
                    "--out", tmp_path / "run", *FAST)  # fmt: skip
    assert result.exit_code == 2
    assert result.output.startswith("Error: ") and "--featureless" in result.output


def test_summary_says_when_a_run_collapsed():
    from hetgat.config import ModelConfig
    from hetgat.runs.fit import _collapse_note
    from hetgat.train.inference import one_class_splits
    from tests.datasets.test_featureless import tiny

    data = tiny()  # validation and test: papers 2, 3, 4
    one = torch.tensor([[0.9, 0.1]] * 5)
    assert one_class_splits(one, data) == ["val", "test"]
    assert one_class_splits(torch.tensor([[0.9, 0.1]] * 4 + [[0.1, 0.9]]), data) == []
    config = ModelConfig(name="rgat")
    assert _collapse_note([[]], config) == ""
    assert _collapse_note([["val", "test"]], config) == (
        "Warning: the model predicts one class for every validation and test node "
        "(collapsed). Try early stopping on macro-F1 (`early_stopping` macro_f1), the label "
        "input (`label_hops` 2), more dropout, another learning rate or seed.\n"
    )
    note = _collapse_note([[], ["test"], []], ModelConfig(name="rgat", label_hops=2))
    assert note.startswith("Warning: 1 of 3 runs predict one class for every test node")
    assert "label input" not in note


def test_a_multilabel_run_that_gives_every_node_one_label_set_is_said_collapsed(caplog):
    from hetgat.config import ModelConfig
    from hetgat.runs.fit import _collapse_note
    from hetgat.train.inference import warn_if_collapsed
    from tests.datasets.test_path_labels import papers

    data = papers(labels=[[1, 0], [0, 1], [1, 1], [0, 1]], multilabel=True)  # no validation
    with caplog.at_level("WARNING", logger="hetgat"):
        warn_if_collapsed(torch.tensor([[0.8, 0.3]] * 4), data)  # {A} for every node
    assert "predicts one label set ('A') for every training node" in caplog.text  # none held out
    caplog.clear()
    with caplog.at_level("WARNING", logger="hetgat"):
        warn_if_collapsed(torch.tensor([[0.8, 0.3], [0.2, 0.9], [0.8, 0.3], [0.8, 0.3]]), data)
    assert caplog.text == ""
    note = _collapse_note([["val"]], ModelConfig(name="sehgnn"), multilabel=True)
    assert note.startswith("Warning: the model predicts one label set for every validation node")
