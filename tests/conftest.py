"""Tiny hand-made graphs shared by the tests. The test session never touches the network."""

import os

import pytest
import torch

os.environ["HETGAT_OFFLINE"] = "1"
os.environ.setdefault("DGLBACKEND", "pytorch")

from hetgat._dgl import dgl  # noqa: E402


def tiny_graph(self_loop: bool = True):
    """5 nodes, a few directed edges; every node has an in-edge once self-loops are added."""
    src = torch.tensor([0, 1, 2, 3, 4, 0, 2])
    dst = torch.tensor([1, 2, 0, 1, 1, 3, 4])
    g = dgl.heterograph({("node", "edge", "node"): (src, dst)}, num_nodes_dict={"node": 5})
    return dgl.add_self_loop(g) if self_loop else g


@pytest.fixture
def graph():
    return tiny_graph()


@pytest.fixture
def data_dir():
    root = os.environ.get("HETGAT_DATA")
    if not root or not os.path.isdir(root):
        pytest.skip("HETGAT_DATA is not set to the shared data folder")
    return root
