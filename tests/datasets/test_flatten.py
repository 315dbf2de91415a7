"""``flatten``: GAT and GATv2 on a heterogeneous graph (issue 23 §5)."""

import json

import numpy as np
import pandas as pd
import pytest

from hetgat.datasets import load_graph
from hetgat.datasets.flatten import flatten
from tests.insight.plot_runs import heterogeneous_csv, invoke

FAST = ["--epochs", "3", "--patience", "0", "--hidden", "4", "--heads", "2", "-q"]


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return heterogeneous_csv(tmp_path_factory.mktemp("hetero"))


def _load(root, **extra):
    return load_graph(str(root / "edges.csv"), nodes=[("paper", str(root / "papers.csv"))],
                      **extra)  # fmt: skip


def test_one_node_type_one_edge_type_the_target_s_labels(root):
    data = _load(root)
    flat = _load(root, flatten=True)
    assert flat.is_homogeneous and flat.target_type == "node"
    types = list(data.graph.ntypes)
    counts = [data.graph.num_nodes(t) for t in types]
    assert flat.graph.num_nodes() == sum(counts)
    offsets = dict(zip(types, np.cumsum([0, *counts[:-1]]), strict=True))
    # Ids stay the user's (no id is shared by two types), types one after another.
    np.testing.assert_array_equal(flat.node_ids["node"],
                                  np.concatenate([data.node_ids[t] for t in types]))  # fmt: skip
    # Every relation's edge once, plus one self-loop per node.
    src, dst = (x.numpy() for x in flat.graph.edges())
    pairs = set(zip(src.tolist(), dst.tolist(), strict=True))
    assert len(pairs) == len(src)
    for s_type, rel, d_type in data.graph.canonical_etypes:
        s, d = (x.numpy() for x in data.graph.edges(etype=(s_type, rel, d_type)))
        assert set(zip((s + offsets[s_type]).tolist(), (d + offsets[d_type]).tolist(),
                       strict=True)) <= pairs  # fmt: skip
    assert all((i, i) in pairs for i in range(flat.graph.num_nodes()))
    # Features: a one-hot of the type, then each type's own block.
    x = flat.features["node"].to_dense().numpy()
    own = data.features["paper"].to_dense().numpy()
    assert x.shape == (sum(counts), len(types) + own.shape[1])
    np.testing.assert_array_equal(x[:, : len(types)].argmax(1),
                                  np.repeat(np.arange(len(types)), counts))  # fmt: skip
    p = offsets["paper"]
    np.testing.assert_allclose(x[p : p + counts[types.index("paper")], len(types) :], own)
    # Labels and splits: the papers', the others unlabelled and in no split.
    labels = flat.labels.numpy()
    np.testing.assert_array_equal(labels[p : p + len(data.labels)], data.labels.numpy())
    assert (np.delete(labels, np.arange(p, p + len(data.labels))) == -1).all()
    for name in ("train_mask", "val_mask", "test_mask"):
        assert getattr(flat, name).sum() == getattr(data, name).sum()


def test_ids_shared_by_two_types_get_their_type(root):
    data = _load(root)
    data.node_ids["venue"] = data.node_ids["paper"][: len(data.node_ids["venue"])].copy()
    flat = flatten(data)
    assert {i.split("/", 1)[0] for i in flat.node_ids["node"]} == set(data.graph.ntypes)


def test_fit_gat_on_a_heterogeneous_graph(root, tmp_path):
    args = ["fit", root / "edges.csv", "--nodes", f"paper={root}/papers.csv", "--model", "gat"]
    refused = invoke(*args, "--out", tmp_path / "no", *FAST)
    assert refused.exit_code == 2 and "made homogeneous with --flatten" in refused.output
    out = tmp_path / "run"
    result = invoke(*args, "--flatten", "--out", out, *FAST)
    assert result.exit_code == 0, result.output
    assert json.loads((out / "config.json").read_text())["source"]["flatten"] is True
    predictions = pd.read_csv(out / "predictions.csv", dtype=str, keep_default_na=False)
    papers = predictions[predictions["id"].str.startswith("p")]
    assert (papers["split"] != "").sum() == 24 and (predictions["split"] != "").sum() == 24
    # Another graph of the run's kind is flattened as the run's was, without --flatten.
    again = tmp_path / "again.csv"
    result = invoke("predict", out, root / "edges.csv", "--nodes", f"paper={root}/papers.csv",
                    "-o", again)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert pd.read_csv(again).equals(pd.read_csv(out / "predictions.csv"))
