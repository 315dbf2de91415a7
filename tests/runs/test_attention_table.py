"""The run's attention table (issue 23 §5): a table cut to each node's strongest in-edges says
so in its name and in ``tables.json``; ``fit --attention-format`` writes gzip CSV or Parquet."""

import json

import pandas as pd
import pytest

import hetgat.runs.attention as run_attention
from tests.insight.plot_runs import homogeneous_csv, invoke

FAST = ["--epochs", "2", "--patience", "0", "--hidden", "4", "--heads", "2", "-q"]


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    return homogeneous_csv(tmp_path_factory.mktemp("g"))


def fit(graph, out, *extra):
    return invoke("fit", graph / "edges.csv", "--nodes", graph / "nodes.csv", "--out", out,
                  *FAST, *extra)  # fmt: skip


def test_a_complete_table_says_so(graph, tmp_path):
    out = tmp_path / "run"
    assert fit(graph, out).exit_code == 0
    tables = json.loads((out / "tables.json").read_text())
    table = pd.read_csv(out / "attention.csv")
    assert tables["attention"] == {"file": "attention.csv", "rows": len(table), "complete": True}
    sums = table.groupby(["layer", "head", "edge_type", "dst"])["attention"].sum()
    assert sums.round(5).eq(1).all()


def test_a_cut_table_is_marked_in_its_name_and_in_tables_json(graph, tmp_path, monkeypatch):
    monkeypatch.setattr(run_attention, "MAX_ATTENTION_ROWS", 50)
    monkeypatch.setattr(run_attention, "TOP_K_WHEN_LARGE", 2)
    out = tmp_path / "run"
    result = fit(graph, out)
    assert result.exit_code == 0, result.output
    assert not (out / "attention.csv").exists()  # no file that looks complete
    table = pd.read_csv(out / "attention.top2.csv")
    entry = json.loads((out / "tables.json").read_text())["attention"]
    assert entry["file"] == "attention.top2.csv" and entry["complete"] is False
    assert entry["top_k"] == 2 and entry["rows"] == len(table) < entry["all_rows"]
    assert "sum to less than 1" in entry["note"] and f"hetgat attention {out}" in entry["note"]
    assert table.groupby(["layer", "head", "dst"]).size().max() == 2
    # Said once on the terminal too (-q keeps warnings).
    assert result.stderr.count("attention.top2.csv holds the 2 strongest") == 1


def test_no_attention_is_recorded(graph, tmp_path):
    out = tmp_path / "run"
    assert fit(graph, out, "--no-attention").exit_code == 0
    assert json.loads((out / "tables.json").read_text()) == {"attention": None}
    assert not list(out.glob("attention*"))


def test_fit_writes_gzip_csv(graph, tmp_path):
    plain, packed = tmp_path / "plain", tmp_path / "packed"
    assert fit(graph, plain).exit_code == 0
    assert fit(graph, packed, "--attention-format", "csv.gz").exit_code == 0
    assert not (packed / "attention.csv").exists()
    assert json.loads((packed / "tables.json").read_text())["attention"]["file"] == (
        "attention.csv.gz"
    )
    pd.testing.assert_frame_equal(
        pd.read_csv(packed / "attention.csv.gz"), pd.read_csv(plain / "attention.csv")
    )


def test_fit_writes_parquet_or_refuses_before_training(graph, tmp_path):
    out = tmp_path / "run"
    result = fit(graph, out, "--attention-format", "parquet")
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        assert result.exit_code == 2
        assert result.output.strip() == "Error: writing Parquet needs pyarrow: pip install pyarrow"
        assert not out.exists() and not out.with_name("run.partial").exists()
    else:
        assert result.exit_code == 0, result.output
        assert len(pd.read_parquet(out / "attention.parquet")) > 0


def test_an_unknown_format_names_the_parameter(tmp_path):
    from hetgat.errors import ConfigError
    from hetgat.outputs import check_table_format

    with pytest.raises(ConfigError, match="attention_format"):
        check_table_format("xlsx")


def test_attention_frames_take_the_users_ids():
    """The table helper filters by the user's ids (any type, or per type); an unknown id or
    type key is an error, never an empty table."""
    import numpy as np
    import pytest
    import torch

    from hetgat.errors import ConfigError, HetgatError
    from hetgat.sparse.hetero import HeteroGraph
    from hetgat.tables import attention_frames

    g = HeteroGraph({("a", "to", "b"): (torch.tensor([0, 1, 1]), torch.tensor([0, 0, 1]))})
    ids = {"a": np.array(["x", "y"], dtype=object), "b": np.array(["u", "v"], dtype=object)}
    att = [{("a", "to", "b"): torch.tensor([[0.25], [0.75], [1.0]])}]
    frame = next(attention_frames(g, ids, att, nodes=["u"]))
    assert frame["dst"].tolist() == ["u", "u"] and frame["src"].tolist() == ["x", "y"]
    assert next(attention_frames(g, ids, att, nodes={"b": ["v"]}))["dst"].tolist() == ["v"]
    with pytest.raises(HetgatError, match="no node with id 'w' in the graph"):
        next(attention_frames(g, ids, att, nodes=["u", "w"]))
    with pytest.raises(ConfigError, match="nodes: expected a node type among"):
        next(attention_frames(g, ids, att, nodes={"c": ["u"]}))
    with pytest.raises(ConfigError, match="dst_nodes: expected a node type among"):
        next(attention_frames(g, ids, att, dst_nodes={"B": np.array([0])}))
