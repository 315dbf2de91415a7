"""``hetgat explain``: neighbours in descending attention, weights equal to ``attention.csv``."""

import json

import numpy as np
import pandas as pd
import pytest

from tests.insight.plot_runs import fit_heterogeneous, fit_homogeneous, invoke


@pytest.fixture(scope="module")
def gat_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("gat")
    return fit_homogeneous(root, root / "run")


@pytest.fixture(scope="module")
def han_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("han")
    return fit_heterogeneous(root, root / "run", "han")


def _explain_json(run, node, *extra):
    result = invoke("explain", run, node, "--json", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _check_against_table(run, node, info, top_k):
    att = pd.read_csv(run / "attention.csv", dtype={"src": str, "dst": str, "head": str})
    pred = pd.read_csv(run / "predictions.csv", dtype=str, keep_default_na=False).set_index("id")
    into = att[att["dst"] == node]
    groups = into.groupby(["layer", "head", "edge_type"], sort=True)
    assert len(info["attention"]) == groups.ngroups
    for g in info["attention"]:
        rows = groups.get_group((g["layer"], str(g["head"]), g["edge_type"]))
        assert g["in_edges"] == len(rows)
        weights = [n["attention"] for n in g["neighbours"]]
        assert weights == sorted(weights, reverse=True)
        expected = rows.sort_values("attention", ascending=False, kind="stable").head(top_k)
        assert len(weights) == min(top_k, len(rows))
        np.testing.assert_allclose(weights, expected["attention"], rtol=1e-5)
        # Ties aside, the same neighbours in the same order.
        by_src = dict(zip(rows["src"], rows["attention"]))
        for n in g["neighbours"]:
            assert by_src[n["id"]] == pytest.approx(n["attention"], rel=1e-5)
            assert n["label"] == pred.at[n["id"], "label"]
            assert n["predicted"] == pred.at[n["id"], "predicted"]
    assert info["predicted"] == pred.at[node, "predicted"]
    assert info["label"] == pred.at[node, "label"]
    assert info["split"] == pred.at[node, "split"]
    for c, p in info["probabilities"].items():
        assert p == pytest.approx(float(pred.at[node, f"prob_{c}"]), rel=1e-5)


def test_explain_matches_attention_csv(gat_run):
    att = pd.read_csv(gat_run / "attention.csv", dtype={"dst": str})
    node = att[att["layer"] == 0]["dst"].value_counts().index[0]  # the most in-edges
    info = _explain_json(gat_run, node, "--top-k", "3")
    assert info["id"] == node and info["type"] == "node"
    assert [(g["layer"], g["head"]) for g in info["attention"]] == [(0, 0), (0, 1), (1, 0)]
    assert all(len(g["neighbours"]) == 3 for g in info["attention"])
    _check_against_table(gat_run, node, info, top_k=3)


def test_explain_han_lists_each_metapath(han_run):
    info = _explain_json(han_run, "p5", "--top-k", "4")
    assert {g["edge_type"] for g in info["attention"]} == {
        "paper-author-paper",
        "paper-venue-paper",
    }
    _check_against_table(han_run, "p5", info, top_k=4)


def test_explain_mean_heads(gat_run):
    info = _explain_json(gat_run, "n07", "--mean-heads", "--top-k", "50")
    att = pd.read_csv(gat_run / "attention.csv", dtype={"src": str, "dst": str})
    mean = att[att["dst"] == "n07"].groupby(["layer", "src"])["attention"].mean()
    assert [g["head"] for g in info["attention"]] == ["mean", "mean"]
    for g in info["attention"]:
        for n in g["neighbours"]:
            assert n["attention"] == pytest.approx(mean[(g["layer"], n["id"])], rel=1e-5)


def test_explain_text_table(gat_run):
    result = invoke("explain", gat_run, "n07", "--top-k", "2")
    assert result.exit_code == 0, result.output
    info = _explain_json(gat_run, "n07", "--top-k", "2")
    lines = result.output.splitlines()
    assert lines[0] == f"node n07 ({info['split']} split)"
    p = info["probabilities"][info["predicted"]]
    assert lines[1] == f"  predicted: {info['predicted']} (probability {p:.3f})"
    assert lines[2] == f"  label:     {info['label']}"
    first = info["attention"][0]
    assert lines[4] == (
        f"layer 0, head 0, edge (node -> node): top 2 of {first['in_edges']} in-edges; "
        f"uniform attention {first['uniform']:.4f}, {first['above_uniform']} above it"
    )
    assert lines[5].split() == ["rank", "neighbour", "attention", "x", "uniform", "label",
                                "predicted"]  # fmt: skip
    top = first["neighbours"][0]
    row = lines[6].split()
    assert row[0] == "1" and row[1] == top["id"]
    assert float(row[-4]) == pytest.approx(top["attention"], abs=5e-5)
    assert float(row[-3]) == pytest.approx(top["times_uniform"], abs=5e-3)


def test_explain_unknown_node(gat_run):
    result = invoke("explain", gat_run, "nobody")
    assert result.exit_code == 2
    assert result.output.strip() == "Error: no node with id 'nobody' in the run's graph"


def test_explain_reads_weights_against_uniform(gat_run):
    """Issue 23 §5: a raw weight mostly reflects in-degree; each is shown over 1/in-edges."""
    info = _explain_json(gat_run, "n07", "--top-k", "50")
    for g in info["attention"]:
        assert g["uniform"] == pytest.approx(1 / g["in_edges"])  # GAT: one softmax per node
        weights = np.array([n["attention"] for n in g["neighbours"]])
        assert g["above_uniform"] == int((weights > g["uniform"]).sum())
        for n in g["neighbours"]:
            assert n["times_uniform"] == pytest.approx(n["attention"] * g["in_edges"], rel=1e-5)


def test_explain_han_shows_the_nodes_own_metapath_weights(han_run):
    info = _explain_json(han_run, "p5")
    table = pd.read_csv(_semantic_per_node(han_run), dtype={"id": str})
    own = table[table["id"] == "p5"]
    assert [(s["layer"], s["edge_type"]) for s in info["semantic"]] == list(
        zip(own["layer"], own["edge_type"], strict=True)
    )
    np.testing.assert_allclose([s["attention"] for s in info["semantic"]], own["attention"],
                               rtol=1e-5)  # fmt: skip
    text = invoke("explain", han_run, "p5").output
    assert "its own weight of each meta-path or relation" in text
    for s in info["semantic"]:
        assert f"layer {s['layer']}  {s['edge_type']}  {s['attention']:.4f}" in text


def _semantic_per_node(run):
    out = run.parent / "per_node.csv"
    if not out.exists():
        result = invoke("attention", run, "--semantic", "nodes", "-o", out)
        assert result.exit_code == 0, result.output
    return out


def test_explain_a_node_of_another_type_says_which_it_can_explain(han_run):
    result = invoke("explain", han_run, "author 3")
    assert result.exit_code == 2
    assert result.output.strip() == (
        "Error: 'author 3' is a node of type 'author'; explain shows the nodes the model "
        "classifies, of type 'paper' (their attention includes the edges from other types)"
    )
