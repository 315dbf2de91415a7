"""DGL as an option: conversions in one call, a broken install counted as absent (one warning),
and what needs DGL saying so in one ``Error:`` line where it is absent."""

import builtins
import warnings
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

import hetgat.sparse.dgl_interop as interop
from hetgat.cli import main
from hetgat.sparse import kernels_for, use_kernels
from hetgat.sparse.graph import Graph
from hetgat.sparse.hetero import HeteroGraph

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def no_dgl(monkeypatch):
    monkeypatch.setattr(interop, "_LOADED", {"dgl": None})


def test_a_broken_dgl_counts_as_absent_with_one_warning(monkeypatch):
    real_import = builtins.__import__

    def broken(name, *args, **kwargs):
        if name == "dgl":
            raise ModuleNotFoundError("No module named 'torchdata.datapipes'", name="torchdata")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(interop, "_LOADED", {})
    monkeypatch.setattr(builtins, "__import__", broken)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert interop.load_dgl() is None and not interop.dgl_available()
    assert len(caught) == 1 and "does not import" in str(caught[0].message)
    assert "torchdata" in str(caught[0].message)


def test_without_dgl_the_kernels_are_torchs_and_asking_for_dgl_is_an_error(no_dgl):
    assert kernels_for("cpu") == "torch"
    with use_kernels("dgl"), pytest.raises(Exception, match="needs DGL"):
        kernels_for("cpu")


def test_partition_without_dgl_is_one_error_line(no_dgl, tmp_path):
    result = CliRunner().invoke(
        main,
        [
            "partition",
            str(EXAMPLES / "cora" / "cites.csv"),
            "--nodes",
            f"paper={EXAMPLES / 'cora' / 'papers.csv'}",
            "--parts",
            "2",
            str(tmp_path / "parts"),
        ],
    )
    assert result.exit_code == 2
    line = result.output.strip().splitlines()[-1]
    assert (
        line.startswith("Error: partitioning (hetgat partition) needs DGL")
        and "pip install" in line
    )
    assert not (tmp_path / "parts").exists() and not list(tmp_path.iterdir())


def test_round_trips_through_dgl():
    dgl = interop.load_dgl()
    if dgl is None:
        pytest.skip("needs DGL")
    g = HeteroGraph(
        {
            ("a", "r", "b"): (torch.tensor([0, 1, 1]), torch.tensor([2, 0, 0])),
            ("b", "s", "a"): (torch.tensor([0]), torch.tensor([1])),
        },
        {"a": 2, "b": 3, "c": 1},
    )
    d = interop.to_dgl(g)
    assert d.ntypes == g.ntypes and d.canonical_etypes == g.canonical_etypes
    back = interop.from_dgl(d)
    for e in g.canonical_etypes:
        assert all(torch.equal(x, y) for x, y in zip(back.edges(etype=e), g.edges(etype=e)))
    assert {t: back.num_nodes(t) for t in back.ntypes} == {"a": 2, "b": 3, "c": 1}
    block = dgl.create_block((torch.tensor([0, 2]), torch.tensor([1, 0])), 3, 2)
    block.edata[dgl.EID] = torch.tensor([7, 9])
    block.srcdata[dgl.NID] = torch.tensor([10, 11, 12])
    ours = interop.from_dgl(block)
    assert isinstance(ours, Graph) and ours.is_block
    assert ours.num_src_nodes() == 3 and ours.num_dst_nodes() == 2
    assert ours.eid.tolist() == [7, 9] and ours.src_nid.tolist() == [10, 11, 12]
    assert interop.to_dgl(ours) is block


def test_graph_structure_moves_and_checks():
    g = Graph(torch.tensor([2, 0, 1, 0]), torch.tensor([1, 1, 0, 1]), 3)
    indptr, src, perm = g.csc()
    assert indptr.tolist() == [0, 1, 4, 4] and perm.tolist() == [2, 0, 1, 3]
    assert src.tolist() == [1, 2, 0, 0] and g.in_degrees().tolist() == [1, 3, 0]
    moved = g.to("cpu")
    assert moved is g
    with pytest.raises(ValueError, match="not in"):
        Graph(torch.tensor([0, 5]), torch.tensor([1, 1]), 3)
    with pytest.raises(ValueError, match="integer"):
        Graph(torch.tensor([0.5]), torch.tensor([1.0]), 3)
    hg = HeteroGraph({("x", "r", "x"): (torch.tensor([0]), torch.tensor([1]))}, {"x": 2})
    homo, etype, eid, ntype, nid = hg.to_homogeneous()
    assert homo.num_nodes() == 2 and etype.tolist() == [0] and nid.tolist() == [0, 1]
