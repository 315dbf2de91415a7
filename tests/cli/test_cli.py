"""The CLI driven with CliRunner: exit codes, exact messages, files written, values in them."""

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from click.testing import CliRunner

from hetgat.cli import main
from hetgat.runs.folder import load_run
from tests.conftest import import_dgl

EXAMPLE = str(Path(__file__).resolve().parents[2] / "examples" / "planetoid")
FAST = ["--epochs", "3", "--patience", "0", "--quiet"]


def run_cli(*args):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result


@pytest.fixture(scope="module")
def cora_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "cora"
    result = run_cli("fit", "planetoid:cora", "--data-dir", EXAMPLE, "--out", str(out), *FAST)
    assert result.exit_code == 0, result.output
    return out


def test_help_lists_fit():
    result = run_cli("--help")
    assert result.exit_code == 0
    assert "fit" in result.output


def test_fit_writes_the_run_folder(cora_run):
    names = sorted(p.name for p in cora_run.iterdir())
    assert names == [
        "attention.csv",
        "config.json",
        "history.csv",
        "metrics.json",
        "model.pt",
        "node_ids.csv",
        "predictions.csv",
        "tables.json",
        "timing.json",
    ]
    assert not cora_run.with_name("cora.partial").exists()
    metrics = json.loads((cora_run / "metrics.json").read_text())
    for key in (
        "test_accuracy",
        "test_macro_f1",
        "test_micro_f1",
        "val_accuracy",
        "val_macro_f1",
        "val_micro_f1",
        "best_epoch",
        "epochs_run",
    ):
        assert key in metrics
    timing = json.loads((cora_run / "timing.json").read_text())
    assert timing["seconds_per_epoch"] > 0
    assert metrics["epochs_run"] == 3  # --patience 0 runs exactly --epochs
    assert 0 <= metrics["best_epoch"] < 3
    history = pd.read_csv(cora_run / "history.csv")
    assert list(history["epoch"]) == [0, 1, 2]


def test_predictions_table(cora_run):
    pred = pd.read_csv(cora_run / "predictions.csv", dtype={"id": str, "label": str})
    assert len(pred) == 2708
    assert pred["id"].is_unique
    probs = pred[[f"prob_{c}" for c in range(7)]].to_numpy()
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-5)
    assert (
        pred["predicted"].astype(str)
        == pred[[f"prob_{c}" for c in range(7)]].idxmax(axis=1).str.removeprefix("prob_")
    ).all()
    assert pred["split"].value_counts(dropna=False).to_dict() == {
        "test": 1000,
        "val": 500,
        "train": 140,
        np.nan: 1068,
    }


def test_attention_table_sums_to_one(cora_run):
    att = pd.read_csv(cora_run / "attention.csv", dtype={"src": str, "dst": str})
    assert list(att.columns) == [
        "layer",
        "head",
        "edge_type",
        "src_type",
        "src",
        "dst_type",
        "dst",
        "attention",
    ]
    # 13,264 edges (self-loops included) x (8 heads in layer 0 + 1 head in layer 1)
    assert len(att) == 13264 * 9
    sums = att.groupby(["layer", "head", "edge_type", "dst"])["attention"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0, atol=1e-5)
    assert ((att["src"] == att["dst"]).groupby([att["layer"], att["head"]]).sum() == 2708).all()


def test_load_run_reproduces_predictions(cora_run):
    from hetgat.datasets import load_graph
    from hetgat.train import predict

    run = load_run(cora_run)
    state = torch.load(cora_run / "model.pt", weights_only=True)
    assert set(state) == set(run.model.state_dict())
    data = load_graph("planetoid:cora", EXAMPLE)
    probs = predict(run.model, data)
    pred = pd.read_csv(cora_run / "predictions.csv")
    np.testing.assert_allclose(probs[:, 0].numpy(), pred["prob_0"].to_numpy(), atol=1e-6)


def test_same_seed_same_metrics(tmp_path, cora_run):
    out = tmp_path / "again"
    result = run_cli("fit", "planetoid:cora", "--data-dir", EXAMPLE, "--out", str(out), *FAST)
    assert result.exit_code == 0
    for name in ("metrics.json", "predictions.csv", "attention.csv"):
        assert (cora_run / name).read_bytes() == (out / name).read_bytes()


def test_several_runs_report_mean_and_std(tmp_path):
    out = tmp_path / "multi"
    result = run_cli(
        "fit",
        "planetoid:cora",
        "--data-dir",
        EXAMPLE,
        "--out",
        str(out),
        "--runs",
        "2",
        "--no-attention",
        "--seed",
        "5",
        *FAST,
    )
    assert result.exit_code == 0, result.output
    assert "2 runs: test accuracy" in result.output and "±" in result.output
    summary = json.loads((out / "summary.json").read_text())
    assert [r["seed"] for r in summary["runs"]] == [5, 6]
    accs = [r["test_accuracy"] for r in summary["runs"]]
    assert summary["test_accuracy"]["mean"] == pytest.approx(np.mean(accs))
    assert summary["test_accuracy"]["std"] == pytest.approx(np.std(accs))
    assert sorted(p.name for p in out.iterdir()) == ["seed-5", "seed-6", "summary.json"]
    assert not (out / "seed-5" / "attention.csv").exists()


def test_gatv2_runs(tmp_path):
    out = tmp_path / "v2"
    result = run_cli(
        "fit",
        "planetoid:cora",
        "--data-dir",
        EXAMPLE,
        "--out",
        str(out),
        "--model",
        "gatv2",
        "--no-attention",
        *FAST,
    )
    assert result.exit_code == 0, result.output
    assert json.loads((out / "config.json").read_text())["model"]["name"] == "gatv2"


def test_missing_dataset_is_one_error_line(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    out = tmp_path / "out"
    result = run_cli("fit", "planetoid:cora", "--data-dir", str(empty), "--out", str(out))
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert "ind.cora.x" in lines[0] and str(empty) in lines[0]
    assert not out.exists() and not out.with_name("out.partial").exists()


@pytest.mark.parametrize(
    "args,message",
    [
        (
            ["fit", "planetoid:cora", "--heads", "0"],
            "Error: Invalid value for '--heads': 0 is not in the range 1<=x<=2147483647.",
        ),
        (
            ["fit", "planetoid:cora", "--dropout", "1.5"],
            "Error: Invalid value for '--dropout': 1.5 is not in the range 0.0<=x<1.0.",
        ),
        (
            ["fit", "planetoid:cora", "--model", "gcn"],
            "Error: Invalid value for '--model': 'gcn' is not one of 'gat', 'gatv2', 'han', "
            "'rgat', 'simplehgn', 'hgt', 'sehgnn'.",
        ),
        (
            ["fit", "cora"],
            "Error: GRAPH: expected an edge CSV file, a CSVDataset folder or "
            "planetoid:cora|citeseer|pubmed, hgb:acm|dblp|imdb, han:acm, "
            "heco:acm|dblp|aminer|freebase[:20|40|60], got 'cora'",
        ),
        (
            ["fit", "zinc:cora"],
            "Error: GRAPH: expected a source among planetoid, hgb, han, heco "
            "(e.g. planetoid:cora), got 'zinc:cora'",
        ),
        (
            ["fit"],
            "Error: Missing argument 'GRAPH' (or --config RUN/config.json, or --resume RUN).",
        ),
        (
            ["fit", "planetoid:cora", "--layers", "1000000000"],
            "Error: Invalid value for '--layers': 1000000000 is not in the range 1<=x<=64.",
        ),
        (
            ["fit", "planetoid:cora", "--data-dir", EXAMPLE, "--seed", "4294967290", "--runs", "7"],
            "Error: --runs: expected at most 6 with --seed 4294967290, got 7",
        ),
    ],
)
def test_bad_options(args, message):
    result = run_cli(*args)
    assert result.exit_code == 2
    assert result.output.strip() == message


def test_existing_out_is_refused_without_overwrite(tmp_path, cora_run):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = run_cli("fit", "planetoid:cora", "--data-dir", EXAMPLE, "--out", str(out), *FAST)
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"Error: {out} already exists; choose another --out or pass --overwrite"
    )
    assert (out / "keep.txt").read_text() == "mine"


def test_attention_command_equals_fit_table(tmp_path, cora_run):
    out = tmp_path / "att.csv"
    result = run_cli("attention", str(cora_run), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == (cora_run / "attention.csv").read_bytes()


def test_attention_filters(tmp_path, cora_run):
    full = pd.read_csv(cora_run / "attention.csv", dtype={"src": str, "dst": str, "head": str})
    out = tmp_path / "top.csv"
    result = run_cli(
        "attention",
        str(cora_run),
        "-o",
        str(out),
        "--layer",
        "0",
        "--head",
        "3",
        "--node",
        "0",
        "--node",
        "633",
        "--top-k",
        "2",
    )
    assert result.exit_code == 0, result.output
    top = pd.read_csv(out, dtype={"src": str, "dst": str, "head": str})
    assert set(top["dst"]) == {"0", "633"}
    assert (top["layer"] == 0).all() and (top["head"] == "3").all()
    for dst, rows in top.groupby("dst"):
        ref = full[(full.layer == 0) & (full["head"] == "3") & (full.dst == dst)]
        expected = ref.sort_values("attention", ascending=False)["attention"].head(2)
        np.testing.assert_allclose(rows["attention"].to_numpy(), expected.to_numpy())


def test_attention_mean_heads_gzip(tmp_path, cora_run):
    import gzip

    out = tmp_path / "mean.csv.gz"
    result = run_cli("attention", str(cora_run), "-o", str(out), "--mean-heads", "--layer", "0")
    assert result.exit_code == 0, result.output
    with gzip.open(out, "rt") as fh:
        mean = pd.read_csv(fh, dtype={"dst": str})
    assert len(mean) == 13264 and (mean["head"] == "mean").all()
    sums = mean.groupby("dst")["attention"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0, atol=1e-5)


def test_attention_bad_layer(tmp_path, cora_run):
    out = tmp_path / "x.csv"
    result = run_cli("attention", str(cora_run), "-o", str(out), "--layer", "5")
    assert result.exit_code == 2
    assert result.output.strip() == "Error: --layer: expected a layer from 0 to 1, got 5"
    assert not out.exists()


def test_predict_equals_fit_predictions(tmp_path, cora_run):
    out = tmp_path / "pred.csv"
    result = run_cli("predict", str(cora_run), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == (cora_run / "predictions.csv").read_bytes()


def test_load_run_gives_id_mapping(cora_run):
    run = load_run(cora_run)
    assert list(run.node_ids) == ["node"]
    assert run.node_ids["node"][:3].tolist() == ["0", "1", "2"]
    assert run.schema.num_classes == 7 and run.source["spec"] == "planetoid:cora"


def test_inspect_cora():
    result = run_cli("inspect", "planetoid:cora", "--data-dir", EXAMPLE)
    assert result.exit_code == 0, result.output
    assert "node -[edge]-> node" in result.output
    result = run_cli("inspect", "planetoid:cora", "--data-dir", EXAMPLE, "--json")
    info = json.loads(result.output)
    assert info["node_types"] == [
        {"type": "node", "nodes": 2708, "features": 1433, "sparse_features": True, "isolated": 0}
    ]
    edge = info["edge_types"][0]
    assert edge["edges"] == 13264 and edge["self_loops"] == 2708
    assert edge["in_degree"]["max"] == 168
    counts = {r["class"]: r for r in info["labels"]}
    assert [counts[str(c)]["train"] for c in range(7)] == [20] * 7
    assert sum(counts[str(c)]["total"] for c in range(7)) == 2708


def test_predict_on_a_folder_that_is_not_a_run(tmp_path):
    result = run_cli("predict", str(tmp_path))
    assert result.exit_code == 2
    assert result.output.strip() == f"Error: {tmp_path} is not a run folder (no config.json)"


def test_damaged_model_file_is_one_error(tmp_path, cora_run):
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(cora_run, copy)
    data = (copy / "model.pt").read_bytes()
    (copy / "model.pt").write_bytes(data[: len(data) // 2])
    result = run_cli("predict", str(copy), "-o", str(tmp_path / "p.csv"))
    assert result.exit_code == 2
    line = result.output.strip()
    assert line.startswith(f"Error: {copy / 'model.pt'}: cannot load the model weights")
    assert "\n" not in line and not (tmp_path / "p.csv").exists()


def test_default_threads_follow_omp_num_threads(monkeypatch):
    from hetgat.sparse.threads import default_threads

    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert default_threads() == 3
    cores = len(os.sched_getaffinity(0))
    for value in ("", "0", "two", "-1"):
        monkeypatch.setenv("OMP_NUM_THREADS", value)
        assert default_threads() == cores
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert default_threads() == cores


def test_threads_apply_to_the_run_and_are_given_back(tmp_path):
    dgl = import_dgl()

    before = torch.get_num_threads(), dgl.utils.get_num_threads()
    seen = []
    import hetgat.runs.fit

    real = hetgat.runs.fit.fit_runs

    def spy(*args, **kwargs):
        seen.append((torch.get_num_threads(), dgl.utils.get_num_threads()))
        return real(*args, **kwargs)

    hetgat.runs.fit.fit_runs, out = spy, tmp_path / "run"
    threads = 2 if before == (1, 1) else 1  # other than the caller's
    args = ["--data-dir", EXAMPLE, "--out", str(out), "--threads", str(threads), *FAST]
    try:
        result = run_cli("fit", "planetoid:cora", *args)
    finally:
        hetgat.runs.fit.fit_runs = real
    assert result.exit_code == 0, result.output
    assert seen == [(threads, threads)]
    assert (torch.get_num_threads(), dgl.utils.get_num_threads()) == before
