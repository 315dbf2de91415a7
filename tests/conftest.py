"""Tiny hand-made graphs shared by the tests. The test session never touches the network."""

import os
from pathlib import Path

import pytest
import torch

os.environ["HETGAT_OFFLINE"] = "1"
os.environ.setdefault("DGLBACKEND", "pytorch")

from hetgat.sparse.dgl_interop import dgl_available, load_dgl, to_dgl  # noqa: E402
from hetgat.sparse.hetero import HeteroGraph  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
#: ``hetgat`` arguments that read the shipped Cora example (GRAPH, its nodes and features).
CORA_ARGS = [
    str(EXAMPLES / "cora" / "cites.csv"),
    "--nodes",
    f"paper={EXAMPLES / 'cora' / 'papers.csv'}",
    "--features",
    f"paper={EXAMPLES / 'cora' / 'features.npz'}",
]

#: Tests that compare with DGL (its layers, kernels, partitions) skip where it is not installed.
needs_dgl = pytest.mark.skipif(not dgl_available(), reason="needs DGL (pip install 'dgl<2')")


def import_dgl():
    """DGL, or skip the calling test module (or test) where it is absent."""
    if not dgl_available():
        pytest.skip("needs DGL, which is not installed here", allow_module_level=True)
    return load_dgl()


def add_self_loop(src, dst, n: int):
    """``(src, dst)`` with one self-loop per node appended (as ``dgl.add_self_loop`` does)."""
    src, dst = torch.as_tensor(src), torch.as_tensor(dst)
    return torch.cat([src, torch.arange(n)]), torch.cat([dst, torch.arange(n)])


def tiny_graph(self_loop: bool = True, dgl: bool = False):
    """5 nodes, a few directed edges; every node has an in-edge once self-loops are added
    (appended, as ``dgl.add_self_loop`` does). ``dgl``: as a DGLGraph."""
    src = torch.tensor([0, 1, 2, 3, 4, 0, 2])
    dst = torch.tensor([1, 2, 0, 1, 1, 3, 4])
    if self_loop:
        src, dst = add_self_loop(src, dst, 5)
    g = HeteroGraph({("node", "edge", "node"): (src, dst)}, num_nodes_dict={"node": 5})
    return to_dgl(g) if dgl else g


@pytest.fixture
def graph():
    return tiny_graph()


@pytest.fixture
def data_dir():
    root = os.environ.get("HETGAT_DATA")
    if not root or not os.path.isdir(root):
        pytest.skip("HETGAT_DATA is not set to the shared data folder")
    return root
