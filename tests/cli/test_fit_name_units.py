"""``fit --name`` (one option, one meaning with ``partition --name``: the data's name) and one
unit for metrics everywhere (fractions; the std is the population std, and says so)."""

import json
import re

import numpy as np
import pytest

from hetgat.runs import load_run
from tests.insight.plot_runs import homogeneous_csv, invoke

FAST = ["--epochs", "3", "--patience", "0", "--hidden", "4", "--heads", "1"]


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    return homogeneous_csv(tmp_path_factory.mktemp("g"))


def test_fit_name_names_the_data(graph, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("fit", graph / "edges.csv", "--nodes", graph / "nodes.csv", "--name", "mail",
                    *FAST)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert any(line.startswith("mail: 40 nodes") for line in result.stderr.splitlines())
    (run,) = (tmp_path / "runs").iterdir()  # runs/<name>-<model>-<time>, not runs/edges-...
    assert run.name.startswith("mail-gat-")
    config = json.loads((run / "config.json").read_text())
    assert config["data"]["name"] == "mail" and config["source"]["name"] == "mail"
    assert load_run(run).load_data().name == "mail"  # predict and report read it so again
    # --config without GRAPH: --name names the saved data anew.
    out = tmp_path / "again"
    result = invoke("fit", "--config", run / "config.json", "--name", "mail2", "--out", out, "-q")
    assert result.exit_code == 0, result.output
    assert json.loads((out / "config.json").read_text())["data"]["name"] == "mail2"


def test_name_is_the_same_option_for_fit_inspect_and_partition():
    from hetgat.cli import main

    helps = {}
    for command in ("fit", "inspect", "partition"):
        (option,) = [p for p in main.commands[command].params if "--name" in p.opts]
        assert option.name == "name"
        helps[command] = option.help
    assert len(set(helps.values())) == 1


def test_metrics_are_fractions_and_the_std_says_which(graph, tmp_path):
    one = invoke("fit", graph / "edges.csv", "--nodes", graph / "nodes.csv",
                 "--out", tmp_path / "one", *FAST)  # fmt: skip
    assert re.search(r"test accuracy 0\.\d{4}, macro-F1 0\.\d{4}", one.stderr), one.stderr
    out = tmp_path / "two"
    result = invoke("fit", graph / "edges.csv", "--nodes", graph / "nodes.csv", "--runs", "2",
                    "--out", out, "--no-attention", *FAST)  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    accs = [r["test_accuracy"] for r in summary["runs"]]
    acc = summary["test_accuracy"]
    assert acc["std"] == pytest.approx(np.std(accs))  # population (ddof=0), and said so
    assert summary["units"]["std"].startswith("population standard deviation")
    assert summary["units"]["metrics"].startswith("fractions")
    line = result.stderr.strip().splitlines()[-1]
    assert f"test accuracy {acc['mean']:.4f} ± {acc['std']:.4f}" in line
    assert "(mean ± population std)" in line
