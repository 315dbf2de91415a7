"""Correct and Smooth through the `hetgat` command (issue 33): `fit --correct-smooth` writes
the smoothed figures and predictions and the training labels `predict` reads back (never the
labels of the graph met); a new target node receives smoothed predictions; a bad alpha is one
error line."""

import json

import numpy as np
import pandas as pd
import pytest

from hetgat.runs import load_run
from hetgat.train import Smoothing, predict
from hetgat.train.inference import split_metrics
from tests.runs.test_alignment import FAST, by_id, invoke, write_graph


def fit(tmp_path, *extra):
    source = write_graph(tmp_path / "graph")
    out = tmp_path / "run"
    args = [source.spec, "--nodes", f"paper={source.nodes[0][1]}", "--model", "han"]
    result = invoke("fit", *args, "--out", out, *FAST, *extra)
    assert result.exit_code == 0, result.output
    return out


def probabilities(frame):
    return frame[[c for c in frame.columns if c.startswith("prob_")]].to_numpy()


@pytest.mark.parametrize("class_mass", ["--class-mass", "--no-class-mass"])
def test_fit_and_predict_give_the_smoothed_probabilities(tmp_path, class_mass):
    out = fit(tmp_path, "--correct-smooth", "0.9", class_mass)
    run = load_run(out)
    train_config = json.loads((out / "config.json").read_text())["train"]
    assert train_config["correct_smooth"] == 0.9
    assert train_config["class_mass"] == (class_mass == "--class-mass")
    written = by_id(pd.read_csv(out / "predictions.csv"))
    data = run.load_data()
    smoothing = Smoothing.of_data(data, 0.9, class_mass=class_mass == "--class-mass")
    smoothed = predict(run, data, smoothing=smoothing)
    plain = predict(run, data)
    order = np.argsort(data.node_ids["paper"])
    np.testing.assert_allclose(probabilities(written), smoothed.numpy()[order], atol=1e-5)
    assert not np.allclose(probabilities(written), plain.numpy()[order], atol=1e-3)
    # The training rows are their labels; every row sums to 1.
    train = written["split"] == "train"
    assert (written.loc[train, "predicted"] == written.loc[train, "label"]).all()
    assert np.allclose(probabilities(written)[train.to_numpy()].max(1), 1.0)
    assert np.allclose(probabilities(written).sum(1), 1.0, atol=1e-5)
    metrics = json.loads((out / "metrics.json").read_text())
    for key, value in split_metrics(smoothed, data).items():
        assert metrics[key] == pytest.approx(value), key
    # `predict` gives the same rows as the fit wrote.
    assert invoke("predict", out, "-o", tmp_path / "again.csv").exit_code == 0
    again = by_id(pd.read_csv(tmp_path / "again.csv"))
    np.testing.assert_allclose(probabilities(again), probabilities(written), atol=1e-5)


def test_predict_reads_the_runs_training_labels_not_those_of_the_graph_met(tmp_path):
    out = fit(tmp_path, "--correct-smooth", "0.9")
    assert (out / "training_labels.csv").is_file()
    source = write_graph(tmp_path / "relabelled", seed=2)
    papers = pd.read_csv(source.nodes[0][1])
    papers["split"] = papers["split"].map({"train": "test", "val": "train", "test": "val"})
    papers["label"] = papers["label"].map({"a": "b", "b": "c", "c": "a"})
    papers.to_csv(source.nodes[0][1], index=False)
    pred = tmp_path / "pred.csv"
    args = [source.spec, "--nodes", f"paper={source.nodes[0][1]}", "-o", pred]
    assert invoke("predict", out, *args).exit_code == 0
    own = by_id(pd.read_csv(out / "predictions.csv"))
    other = by_id(pd.read_csv(pred))
    np.testing.assert_allclose(probabilities(other), probabilities(own), atol=1e-5)


def test_a_new_target_node_receives_smoothed_predictions(tmp_path):
    out = fit(tmp_path, "--correct-smooth", "0.9", "--featureless", "random")
    source = write_graph(tmp_path / "grown", extra_paper=True)
    pred = tmp_path / "pred.csv"
    args = [source.spec, "--nodes", f"paper={source.nodes[0][1]}", "-o", pred]
    result = invoke("predict", out, *args)
    assert result.exit_code == 0, result.output
    frame = by_id(pd.read_csv(pred))
    assert len(frame) == 61 and "p new" in frame.index
    row = probabilities(frame.loc[["p new"]])
    assert np.isclose(row.sum(), 1.0, atol=1e-5) and (row >= 0).all()


@pytest.mark.parametrize("alpha", ["1", "-0.5", "nan", "x"])
def test_a_bad_alpha_is_one_error_line(tmp_path, alpha):
    source = write_graph(tmp_path / "graph")
    args = [source.spec, "--nodes", f"paper={source.nodes[0][1]}", "--model", "han"]
    result = invoke("fit", *args, "--out", tmp_path / "run", *FAST, "--correct-smooth", alpha)
    assert result.exit_code == 2
    assert "--correct-smooth" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "run").exists()


def test_a_tampered_recorded_alpha_is_one_error_naming_the_file(tmp_path):
    out = fit(tmp_path, "--input-features", "none")
    metrics = json.loads((out / "metrics.json").read_text())
    metrics["correct_smooth"] = "lots"
    (out / "metrics.json").write_text(json.dumps(metrics))
    result = invoke("predict", out, "-o", tmp_path / "p.csv")
    assert result.exit_code == 2
    assert "metrics.json" in result.output and "'lots'" in result.output
    assert not (tmp_path / "p.csv").exists()
