"""§3 of the hostile-user issue: no wrong result with exit code 0."""

import json

import pandas as pd
import pytest

from tests.hostile.conftest import FAST, assert_one_error, graph_args, invoke

HETERO_EDGES = (
    "src,dst,relation,src_type,dst_type\n"
    "a1,p1,writes,author,paper\na1,p2,writes,author,paper\na2,p2,writes,author,paper\n"
    "a2,p3,writes,author,paper\na3,p4,writes,author,paper\na3,p5,writes,author,paper\n"
    "a1,p6,writes,author,paper\np1,p2,cites,paper,paper\np3,p4,cites,paper,paper\n"
    "p5,p6,cites,paper,paper\n"
)
PAPERS = (
    "id,label,split,f1,f2\np1,db,train,1,0\np2,ml,train,0,1\np3,db,val,1,1\np4,ml,val,0,0\n"
    "p5,db,test,1,0\np6,ml,test,0,1\n"
)


def hetero(tmp_path, edges=HETERO_EDGES, papers=PAPERS):
    (tmp_path / "e.csv").write_text(edges)
    (tmp_path / "p.csv").write_text(papers)
    return [tmp_path / "e.csv", "--nodes", f"paper={tmp_path / 'p.csv'}"]


def test_an_empty_test_split_gives_valid_json_with_null_and_a_note(tmp_path, graph_dir):
    nodes = graph_dir / "nodes.csv"
    nodes.write_text(nodes.read_text().replace(",test,", ",val,"))
    out = tmp_path / "run"
    result = invoke("fit", *graph_args(graph_dir), "--out", out, *FAST[:-5], "--hidden", "4")
    assert result.exit_code == 0, result.output
    assert "no node in the test split" in result.stderr
    metrics = json.loads((out / "metrics.json").read_text())  # strict JSON: no NaN token
    assert metrics["test_accuracy"] is None and "NaN" not in (out / "metrics.json").read_text()
    assert metrics["notes"] == ["no node in the test split: its metrics are null"]
    assert "test accuracy n/a" in result.stderr


def test_predict_refuses_a_multilabel_graph_for_a_single_label_run(tmp_path):
    args = hetero(tmp_path)
    out = tmp_path / "run"
    assert invoke("fit", *args, "--model", "rgat", "--out", out, *FAST).exit_code == 0
    multi = tmp_path / "multi.csv"
    multi.write_text(PAPERS.replace("p1,db,", "p1,db|ml,"))
    result = invoke("predict", out, tmp_path / "e.csv", "--nodes", f"paper={multi}")
    assert_one_error(result, contains="the labels are multi-label, the run's model is single-label")
    unlabelled = tmp_path / "none.csv"
    unlabelled.write_text("id,label,f1,f2\n" + "".join(f"p{i},,1,0\n" for i in range(1, 7)))
    result = invoke("predict", out, tmp_path / "e.csv", "--nodes", f"paper={unlabelled}")
    assert result.exit_code == 0, result.output


def test_han_mini_batch_with_one_meta_path(tmp_path):
    args = hetero(tmp_path)
    out = tmp_path / "run"
    result = invoke(
        "fit", *args, "--model", "han", "--metapath", "paper-author-paper",
        "--batch-size", "2", "--out", out, *FAST,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (out / "semantic_attention.csv").is_file()


@pytest.mark.parametrize("model,name", [("simplehgn", "self-loop"), ("rgat", "self")])
def test_a_users_relation_is_never_taken_for_hetgats_own(tmp_path, model, name):
    edges = HETERO_EDGES + f"p1,p3,{name},paper,paper\np2,p4,{name},paper,paper\n"
    args = hetero(tmp_path, edges)
    out = tmp_path / "run"
    extra = ["--layers", "2"] if model == "simplehgn" else []
    assert invoke("fit", *args, "--model", model, "--out", out, *FAST, *extra).exit_code == 0
    att = pd.read_csv(out / "attention.csv")
    users = att[(att["edge_type"] == name) & (att["layer"] == 0) & (att["head"] == 0)]
    assert sorted(zip(users["src"], users["dst"])) == [("p1", "p3"), ("p2", "p4")]
    if model == "rgat":
        semantic = pd.read_csv(out / "semantic_attention.csv")
        paper = semantic[(semantic["layer"] == 0) & (semantic["target_type"] == "paper")]
        assert {"self", "self'"} <= set(paper["edge_type"])


def test_duplicate_edges_are_counted_in_the_load_summary(tmp_path, graph_dir):
    edges = graph_dir / "edges.csv"
    edges.write_text(edges.read_text() + "a,b\na,b\n")
    result = invoke("inspect", *graph_args(graph_dir))
    assert "2 duplicate edge(s) (same relation, source and destination) kept once" in result.stderr


def test_semantic_attention_of_chosen_nodes(tmp_path):
    args = hetero(tmp_path)
    out = tmp_path / "run"
    assert invoke("fit", *args, "--model", "han", "--out", out, *FAST).exit_code == 0
    table = tmp_path / "nodes.csv"
    result = invoke("attention", out, "--semantic", "nodes", "--node", "p2", "-o", table)
    assert result.exit_code == 0, result.output
    assert set(pd.read_csv(table)["id"]) == {"p2"}
    result = invoke(
        "attention", out, "--semantic", "mean", "--node", "p2", "-o", tmp_path / "m.csv"
    )
    assert_one_error(result, starts="Error: --semantic: expected 'nodes' when nodes are chosen")


def test_a_collapsed_model_is_reported_and_macro_f1_can_choose(tmp_path, graph_dir):
    out = tmp_path / "run"
    collapse = ["--lr", "1e-9", "--epochs", "2", "--patience", "0", "--hidden", "1", "--heads", "1"]
    result = invoke("fit", *graph_args(graph_dir), "--out", out, *collapse, "--seed", "3")
    assert result.exit_code == 0, result.output
    assert "predicts one class ('q') for every validation node: it has collapsed" in result.stderr
    assert "early_stopping macro_f1 (the command's --early-stopping)" in result.stderr
    out2 = tmp_path / "run2"
    result = invoke(
        "fit", *graph_args(graph_dir), "--out", out2, *FAST, "--early-stopping", "macro_f1"
    )
    assert result.exit_code == 0, result.output
    assert json.loads((out2 / "config.json").read_text())["train"]["early_stopping"] == "macro_f1"
