"""Run folders written before hetgat had its own graphs (commit e028765, DGL's graphs and
kernels) still load, predict, explain and give the same predictions and attention, with DGL's
kernels or with plain torch's."""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from hetgat.cli import main
from hetgat.runs import load_run

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(params=["han", "simplehgn"])
def old_run(request, tmp_path):
    """The saved run, its data source pointed at where the test data lies now."""
    run = tmp_path / request.param
    shutil.copytree(DATA / "runs-e028765" / request.param, run)
    config = json.loads((run / "config.json").read_text())
    graph = DATA / "old_graph"
    config["source"]["spec"] = str(graph / "edges.csv")
    config["source"]["nodes"] = [["paper", str(graph / "papers.csv")]]
    (run / "config.json").write_text(json.dumps(config))
    return run


@pytest.mark.parametrize("kernels", ["auto", "torch"])
def test_old_runs_predict_the_same(old_run, tmp_path, monkeypatch, kernels):
    monkeypatch.setenv("HETGAT_KERNELS", kernels)
    run = load_run(old_run)
    assert run.schema.target_type == "paper"
    out = tmp_path / "pred.csv"
    result = CliRunner().invoke(main, ["predict", str(old_run), "-o", str(out)])
    assert result.exit_code == 0, result.output
    new, saved = pd.read_csv(out), pd.read_csv(old_run / "predictions.csv")
    assert new["predicted"].tolist() == saved["predicted"].tolist()
    probs = [c for c in saved.columns if c.startswith("prob_")]
    pd.testing.assert_frame_equal(new[probs], saved[probs], atol=1e-5, rtol=1e-4)
    att = tmp_path / "att.csv"
    result = CliRunner().invoke(main, ["attention", str(old_run), "-o", str(att)])
    assert result.exit_code == 0, result.output
    new, saved = pd.read_csv(att), pd.read_csv(old_run / "attention.csv")
    keys = ["layer", "head", "edge_type", "src", "dst"]
    merged = saved.merge(new, on=keys, suffixes=("_saved", "_new"))
    assert len(merged) == len(saved)
    assert (merged["attention_saved"] - merged["attention_new"]).abs().max() < 1e-5
    result = CliRunner().invoke(main, ["explain", str(old_run), "p5"])
    assert result.exit_code == 0, result.output
