"""CSVDataset folders as DGL users write them: pandas' index column, overlapping masks."""

import logging

import numpy as np
import pandas as pd
import pytest
import torch

from hetgat.datasets.csv import load_csv_graph
from hetgat.datasets.csvdataset import load_csv_folder
from hetgat.errors import DataFormatError

META = (
    "dataset_name: mini\nnode_data:\n- file_name: nodes.csv\nedge_data:\n- file_name: edges.csv\n"
)


def dgl_guide_folder(root, index=True):
    """The node classification folder of DGL's CSVDataset guide, written as its users write it:
    ``DataFrame.to_csv`` with the default index, masks that overlap."""
    (root / "meta.yaml").write_text(META)
    rng = np.random.default_rng(0)
    n = 10
    nodes = pd.DataFrame(
        {
            "node_id": np.arange(n),
            "label": rng.integers(0, 3, n),
            "train_mask": [True] * 6 + [False] * 4,
            "val_mask": [False] * 5 + [True] * 3 + [False] * 2,  # node 5 also in train
            "test_mask": [False] * 7 + [True] * 3,  # node 7 also in val
            "feat": [", ".join(f"{x:.3f}" for x in rng.random(3)) for _ in range(n)],
        }
    )
    edges = pd.DataFrame({"src_id": np.arange(n), "dst_id": (np.arange(n) + 1) % n})
    nodes.to_csv(root / "nodes.csv", index=index)
    edges.to_csv(root / "edges.csv", index=index)
    return nodes


def test_pandas_index_column_is_ignored_as_dgl_does(tmp_path, caplog):
    nodes = dgl_guide_folder(tmp_path)
    assert (tmp_path / "nodes.csv").read_text().startswith(",node_id,label,")
    with caplog.at_level(logging.INFO, logger="hetgat"):
        data = load_csv_folder(tmp_path)
    assert list(data.node_ids["node"]) == [str(i) for i in range(10)]
    assert data.labels.tolist() == nodes["label"].tolist()
    expected = np.array([[float(x) for x in f.split(",")] for f in nodes["feat"]], np.float32)
    assert torch.allclose(data.features["node"], torch.from_numpy(expected))
    for name in ("nodes.csv", "edges.csv"):
        message = f"{tmp_path / name}: ignored column 1, unnamed (an index written by pandas?)"
        assert message in caplog.messages


def test_overlapping_masks_load_as_in_dgl_with_a_warning(tmp_path, caplog):
    nodes = dgl_guide_folder(tmp_path)
    with caplog.at_level(logging.WARNING, logger="hetgat"):
        data = load_csv_folder(tmp_path)
    for name in ("train", "val", "test"):  # every mask exactly as written, overlaps kept
        assert getattr(data, f"{name}_mask").tolist() == nodes[f"{name}_mask"].tolist()
    split = data.split_names()
    assert split[5] == "train|val" and split[7] == "val|test" and split[0] == "train"
    assert any(
        "2 node(s) in more than one of train_mask, val_mask, test_mask (first: line 7, in "
        "train_mask and val_mask); as in DGL, a node counts in every split" in m
        for m in caplog.messages
    )


def test_other_unnamed_columns_in_a_csvdataset_are_ignored_too(tmp_path, caplog):
    (tmp_path / "meta.yaml").write_text(META)
    (tmp_path / "nodes.csv").write_text("node_id,label,,train_mask\n0,a,x,1\n1,b,y,1\n")
    (tmp_path / "edges.csv").write_text("src_id,dst_id\n0,1\n")
    with caplog.at_level(logging.INFO, logger="hetgat"):
        data = load_csv_folder(tmp_path)
    assert data.train_mask.tolist() == [True, True]
    assert f"{tmp_path / 'nodes.csv'}: ignored column 3, unnamed" in caplog.messages


def test_edge_csv_written_with_the_pandas_index(tmp_path):
    pd.DataFrame({"src": ["a", "b"], "dst": ["b", "c"]}).to_csv(tmp_path / "e.csv")
    pd.DataFrame({"id": list("abc"), "label": list("xyx")}).to_csv(tmp_path / "n.csv")
    data = load_csv_graph(tmp_path / "e.csv", [(None, tmp_path / "n.csv")])
    assert sorted(data.node_ids["node"]) == ["a", "b", "c"]
    assert data.class_names == ["x", "y"]
    # Only the first column may be unnamed there: a value under a later empty header is a slip.
    (tmp_path / "e.csv").write_text("src,dst,\na,b,\nb,c,7\n")
    with pytest.raises(DataFormatError, match="a value in a column without a name"):
        load_csv_graph(tmp_path / "e.csv", [(None, tmp_path / "n.csv")])
