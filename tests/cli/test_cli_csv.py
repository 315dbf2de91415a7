"""End to end on CSV graphs: the user's ids in every table, round trips, heterogeneous models."""

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from hetgat.cli import main

FAST = ["--epochs", "4", "--patience", "0", "-q"]


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def homo_csv(tmp_path_factory):
    """30 nodes with odd ids, two classes, a split column, two features."""
    root = tmp_path_factory.mktemp("homo")
    rng = np.random.default_rng(0)
    ids = [f"n/{i:02d}" for i in range(28)] + ["Zoë", "a,b"]
    label = ["x" if i % 2 else "y" for i in range(30)]
    split = ["train"] * 12 + ["val"] * 8 + ["test"] * 10
    nodes = pd.DataFrame(
        {
            "id": ids,
            "label": label,
            "split": split,
            "f1": rng.normal(size=30),
            "f2": rng.normal(size=30),
        }
    )
    nodes = nodes.iloc[rng.permutation(30)]
    src = rng.integers(0, 30, 80)
    dst = rng.integers(0, 30, 80)
    edges = pd.DataFrame({"src": np.array(ids)[src], "dst": np.array(ids)[dst]})
    nodes.to_csv(root / "nodes.csv", index=False)
    edges.to_csv(root / "edges.csv", index=False)
    return root, set(ids)


@pytest.fixture(scope="module")
def homo_run(homo_csv):
    root, _ = homo_csv
    out = root / "run"
    result = invoke("fit", root / "edges.csv", "--nodes", root / "nodes.csv", "--out", out, *FAST)
    assert result.exit_code == 0, result.output
    return out


def test_tables_use_the_users_ids(homo_csv, homo_run):
    _, ids = homo_csv
    att = pd.read_csv(homo_run / "attention.csv", dtype=str, keep_default_na=False)
    assert set(att["src"]) | set(att["dst"]) == ids
    assert set(att["src_type"]) == {"node"} and set(att["edge_type"]) == {"edge"}
    att["attention"] = att["attention"].astype(float)
    sums = att.groupby(["layer", "head", "edge_type", "dst"])["attention"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0, atol=1e-5)
    pred = pd.read_csv(homo_run / "predictions.csv", dtype=str, keep_default_na=False)
    assert sorted(pred["id"]) == sorted(ids) and pred["id"].is_unique
    assert set(pred["split"]) == {"train", "val", "test"}


def test_attention_and_predict_recomputed_equal_fit(tmp_path, homo_csv, homo_run):
    root, _ = homo_csv
    out = tmp_path / "att.csv"
    assert invoke("attention", homo_run, "-o", out).exit_code == 0
    assert out.read_bytes() == (homo_run / "attention.csv").read_bytes()
    # The same graph given explicitly, as after new labels arrived.
    pred = tmp_path / "pred.csv"
    result = invoke(
        "predict", homo_run, root / "edges.csv", "--nodes", root / "nodes.csv", "-o", pred
    )
    assert result.exit_code == 0, result.output
    assert pred.read_bytes() == (homo_run / "predictions.csv").read_bytes()


def test_predict_refuses_another_schema(tmp_path, homo_csv, homo_run):
    root, _ = homo_csv
    nodes = pd.read_csv(root / "nodes.csv", dtype=str, keep_default_na=False).drop(columns="f2")
    nodes.to_csv(tmp_path / "nodes.csv", index=False)
    result = invoke("predict", homo_run, root / "edges.csv", "--nodes", tmp_path / "nodes.csv")
    assert result.exit_code == 2
    assert result.output.strip() == ("Error: node type 'node' has 1 features, the model expects 2")


def test_parquet_needs_pyarrow_or_writes(tmp_path, homo_run):
    out = tmp_path / "att.parquet"
    result = invoke("attention", homo_run, "-o", out)
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        assert result.exit_code == 2
        last = result.output.strip().splitlines()[-1]
        assert last == "Error: writing Parquet needs pyarrow: pip install pyarrow"
        assert not out.exists()
    else:
        assert result.exit_code == 0
        assert len(pd.read_parquet(out)) == len(pd.read_csv(homo_run / "attention.csv"))


@pytest.fixture(scope="module")
def hetero_csv(tmp_path_factory):
    """Papers (labelled, with features), authors and venues (no features)."""
    root = tmp_path_factory.mktemp("hetero")
    rng = np.random.default_rng(1)
    papers = [f"p{i}" for i in range(24)]
    rows = []
    for i, p in enumerate(papers):
        for a in rng.choice(10, 2, replace=False):
            rows.append((f"author {a}", "author", "writes", p, "paper"))
        rows.append((p, "paper", "published_at", f"venue {i % 3}", "venue"))
    pd.DataFrame(rows, columns=["src", "src_type", "relation", "dst", "dst_type"]).to_csv(
        root / "edges.csv", index=False
    )
    pd.DataFrame(
        {
            "id": papers,
            "label": ["ml" if i % 3 else "db" for i in range(24)],
            "x": rng.normal(size=24),
            "y": rng.normal(size=24),
        }
    ).to_csv(root / "papers.csv", index=False)
    return root


@pytest.mark.parametrize("model", ["han", "rgat", "simplehgn", "hgt"])
def test_heterogeneous_models_end_to_end(tmp_path, hetero_csv, model, monkeypatch):
    # With OMP_NUM_THREADS set, fit ran on two threads and attention on one, so a recomputed
    # Simple-HGN attention differed in its last digit from the run's own table.
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    out = tmp_path / model
    result = invoke(
        "fit",
        hetero_csv / "edges.csv",
        "--nodes",
        f"paper={hetero_csv}/papers.csv",
        "--model",
        model,
        "--hidden",
        4,
        "--heads",
        2,
        "--out",
        out,
        *FAST,
    )
    assert result.exit_code == 0, result.output
    att = pd.read_csv(out / "attention.csv", keep_default_na=False)
    assert (att["attention"] >= 0).all()
    config = json.loads((out / "config.json").read_text())
    assert config["model"]["name"] == model
    if model == "han":
        assert set(att["edge_type"]) == {"paper-author-paper", "paper-venue-paper"}
        assert config["model"]["metapaths"] == [
            "published_at,rev_published_at",
            "rev_writes,writes",
        ]
    if model in ("han", "rgat", "hgt"):
        sem = pd.read_csv(out / "semantic_attention.csv")
        extra = ["prior"] if model == "hgt" else []  # HGT's relation prior, per relation
        assert list(sem.columns) == ["layer", "target_type", "edge_type", "attention", *extra]
        sums = sem.groupby(["layer", "target_type"])["attention"].sum()
        np.testing.assert_allclose(sums.to_numpy(), 1.0, atol=1e-6)
        per_node = tmp_path / "nodes.csv"
        assert invoke("attention", out, "--semantic", "nodes", "-o", per_node).exit_code == 0
        frame = pd.read_csv(per_node, keep_default_na=False)
        sums = frame.groupby(["layer", "node_type", "id"])["attention"].sum()
        np.testing.assert_allclose(sums.to_numpy(), 1.0, atol=1e-5)
    else:
        assert not (out / "semantic_attention.csv").exists()
        assert "self-loop" in set(att["edge_type"])
    recomputed = tmp_path / "again.csv"
    assert invoke("attention", out, "-o", recomputed).exit_code == 0
    assert recomputed.read_bytes() == (out / "attention.csv").read_bytes()


def test_sigmoid_semantic_fusion_from_the_cli(tmp_path, hetero_csv):
    out = tmp_path / "han"
    args = ["fit", hetero_csv / "edges.csv", "--nodes", f"paper={hetero_csv}/papers.csv"]
    result = invoke(*args, "--model", "han", "--semantic-fusion", "sigmoid", "--out", out, *FAST)
    assert result.exit_code == 0, result.output
    assert json.loads((out / "config.json").read_text())["model"]["semantic_fusion"] == "sigmoid"
    sem = pd.read_csv(out / "semantic_attention.csv")
    assert len(sem) == 2 and sem["attention"].between(0, 1, inclusive="neither").all()
    again = tmp_path / "again.csv"
    assert invoke("attention", out, "--semantic", "mean", "-o", again).exit_code == 0
    pd.testing.assert_frame_equal(pd.read_csv(again), sem)
    bad = invoke(*args, "--model", "han", "--semantic-fusion", "mean", "--out", tmp_path / "x")
    assert bad.exit_code == 2 and "'mean' is not one of 'softmax', 'sigmoid'" in bad.output


def test_gat_on_heterogeneous_csv_says_what_to_use(tmp_path, hetero_csv):
    result = invoke(
        "fit",
        hetero_csv / "edges.csv",
        "--nodes",
        f"paper={hetero_csv}/papers.csv",
        "--out",
        tmp_path / "x",
    )
    assert result.exit_code == 2
    assert result.output.strip() == (
        "Error: --model: expected a heterogeneous model for a graph with several node or edge "
        "types (han, rgat, simplehgn, hgt, sehgnn), or the graph made homogeneous with "
        "--flatten, "
        "got 'gat'"
    )
    assert not (tmp_path / "x").exists()


def test_bad_metapath_lists_relations(tmp_path, hetero_csv):
    result = invoke(
        "fit",
        hetero_csv / "edges.csv",
        "--nodes",
        f"paper={hetero_csv}/papers.csv",
        "--model",
        "han",
        "--metapath",
        "paper-cat-paper",
        "--out",
        tmp_path / "x",
    )
    assert result.exit_code == 2
    line = result.output.strip()
    assert line.startswith("Error: --metapath: expected node types joined by '-'")
    assert "paper-[published_at]->venue" in line and line.endswith("got 'paper-cat-paper'")


def test_inspect_lists_metapaths(hetero_csv):
    result = invoke(
        "inspect", hetero_csv / "edges.csv", "--nodes", f"paper={hetero_csv}/papers.csv", "--json"
    )
    info = json.loads(result.output)
    assert [m["name"] for m in info["metapaths"]] == ["paper-venue-paper", "paper-author-paper"]
    venue, author = info["metapaths"]
    assert venue["estimated_edges"] == venue["edges"] == 8 * 8 * 3 and venue["edges_complete"]
    # Papers sharing an author: distinct pairs, fewer than the walks (pairs with two authors).
    edges = pd.read_csv(hetero_csv / "edges.csv")
    writes = edges[edges.relation == "writes"]
    pairs = set(writes.merge(writes, on="src")[["dst_x", "dst_y"]].itertuples(index=False))
    walks = sum(n * n for n in writes.groupby("src").size())
    assert author["edges"] == len(pairs) < author["estimated_edges"] == walks
    table = invoke("inspect", hetero_csv / "edges.csv", "--nodes", f"paper={hetero_csv}/papers.csv")
    last = table.output.rstrip().splitlines()[-1].split()
    assert last == ["paper-author-paper", "rev_writes,writes", str(len(pairs))]


def test_multilabel_csv_end_to_end(tmp_path, homo_csv):
    root, ids = homo_csv
    nodes = pd.read_csv(root / "nodes.csv", dtype=str, keep_default_na=False)
    tags = ["x|z", "y", "x|y|z", ""]
    nodes["label"] = [tags[i % 4] for i in range(len(nodes))]
    nodes.to_csv(tmp_path / "nodes.csv", index=False)
    out = tmp_path / "run"
    result = invoke(
        "fit", root / "edges.csv", "--nodes", tmp_path / "nodes.csv", "--out", out, *FAST
    )
    assert result.exit_code == 0, result.output
    pred = pd.read_csv(out / "predictions.csv", dtype=str, keep_default_na=False)
    assert [c for c in pred.columns if c.startswith("prob_")] == ["prob_x", "prob_y", "prob_z"]
    probs = pred[["prob_x", "prob_y", "prob_z"]].astype(float).to_numpy()
    assert ((probs > 0) & (probs < 1)).all()  # sigmoid, not softmax: rows need not sum to 1
    for row, p in zip(pred.itertuples(), probs):
        expected = "|".join(c for c, v in zip("xyz", p) if v > 0.5)
        assert row.predicted == expected
    by_id = dict(zip(nodes["id"], nodes["label"]))
    assert all(row.label == by_id[row.id] for row in pred.itertuples())
    metrics = json.loads((out / "metrics.json").read_text())
    assert 0 <= metrics["test_micro_f1"] <= 1 and 0 <= metrics["test_macro_f1"] <= 1
    assert json.loads((out / "config.json").read_text())["schema"]["multilabel"] is True
