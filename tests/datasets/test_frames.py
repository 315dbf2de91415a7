"""Graphs from DataFrames (issue 32, §2): the CSV reader's builder, so the same GraphData and
the same fit bit for bit, and the same errors naming the frame and row."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch

import hetgat
from hetgat.config import ModelConfig, TrainConfig
from hetgat.datasets.csv import load_csv_graph
from hetgat.errors import ConfigError, DataFormatError
from hetgat.train import fit


def frames():
    rng = np.random.default_rng(0)
    edges = pd.DataFrame(
        {
            "src": [f"a{i % 7}" for i in range(40)] + [f"p{i}" for i in range(20)],
            "src_type": ["author"] * 40 + ["paper"] * 20,
            "relation": ["writes"] * 40 + ["about"] * 20,
            "dst": [f"p{i % 20}" for i in range(40)] + [f"s{i % 3}" for i in range(20)],
            "dst_type": ["paper"] * 40 + ["subject"] * 20,
        }
    )
    papers = pd.DataFrame(
        {
            "id": [f"p{i}" for i in range(20)],
            "label": ["db", "ml", "ir", ""] * 5,
            "x": rng.normal(size=20),
            "y": rng.normal(size=20),
        }
    )
    authors = pd.DataFrame({"id": [f"a{i}" for i in range(7)]})
    author_x = sp.random(7, 5, density=0.4, format="csr", random_state=1, dtype=np.float32)
    return edges, {"paper": papers, "author": authors}, {"author": author_x}


def same_data(a, b):
    assert a.graph.ntypes == b.graph.ntypes
    assert a.graph.canonical_etypes == b.graph.canonical_etypes
    for etype in a.graph.canonical_etypes:
        for x, y in zip(a.graph.edges(etype=etype), b.graph.edges(etype=etype)):
            assert torch.equal(x, y)
    assert a.features.keys() == b.features.keys()
    for t in a.features:
        assert torch.equal(a.features[t].to_dense(), b.features[t].to_dense())
    for name in ("labels", "train_mask", "val_mask", "test_mask"):
        assert torch.equal(getattr(a, name), getattr(b, name))
    assert a.class_names == b.class_names and a.relations == b.relations
    assert {t: list(v) for t, v in a.node_ids.items()} == {
        t: list(v) for t, v in b.node_ids.items()
    }


def test_from_pandas_equals_the_csv_reader_bit_for_bit(tmp_path):
    edges, nodes, features = frames()
    edges.to_csv(tmp_path / "edges.csv", index=False)
    for t, frame in nodes.items():
        frame.to_csv(tmp_path / f"{t}.csv", index=False)
    sp.save_npz(tmp_path / "author.npz", features["author"])
    from_files = load_csv_graph(
        tmp_path / "edges.csv",
        [(t, tmp_path / f"{t}.csv") for t in nodes],
        features=[("author", tmp_path / "author.npz")],
        name="graph",
    )
    from_frames = hetgat.from_pandas(edges, nodes, features=features)
    same_data(from_files, from_frames)
    config, train = ModelConfig.for_model("rgat", hidden=4, heads=2), TrainConfig(epochs=4)
    a, b = fit(from_files, config, train), fit(from_frames, config, train)
    assert a.metrics["test_accuracy"] == b.metrics["test_accuracy"]
    for name, value in a.model.state_dict().items():
        assert torch.equal(b.model.state_dict()[name], value)


def test_ids_of_any_type_are_read_as_strings_and_features_in_any_form():
    edges = pd.DataFrame({"src": [0, 1, 2, 3], "dst": [1, 2, 3, 0]})
    nodes = pd.DataFrame({"id": [0, 1, 2, 3], "label": ["a", "b", None, "a"], "f": [1, 2, 3, 4]})
    data = hetgat.from_pandas(edges, nodes, split_ratio=(0.5, 0.25, 0.25))
    assert list(data.node_ids["node"]) == ["0", "1", "2", "3"]
    assert data.labels.tolist() == [0, 1, -1, 0]
    assert data.features["node"].dtype == torch.float32
    dense = hetgat.from_pandas(edges, nodes[["id", "label"]], features={"node": torch.eye(4)})
    assert torch.equal(dense.features["node"], torch.eye(4))


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda e, n, f: (e.drop(columns="dst"), n, f),
            "edges: missing column 'dst' (found: 'src', 'src_type', 'relation', 'dst_type')",
        ),
        (
            lambda e, n, f: (e, {**n, "paper": n["paper"].assign(x=["1"] * 19 + ["oops"])}, f),
            "nodes['paper'], row 19, column 'x': not a number (got 'oops')",
        ),
        (
            lambda e, n, f: (e, {**n, "author": n["author"].set_axis(list("abcdefg"))}, {}),
            None,  # index labels other than positions are fine
        ),
        (
            lambda e, n, f: (e, {**n, "author": pd.concat([n["author"]] * 2)}, {}),
            "nodes['author'], row 7, column 'id': duplicate node id (also on row 0) (got 'a0')",
        ),
        (
            lambda e, n, f: (e, n, {"author": np.ones((6, 2))}),
            "features['author']: 6 rows, but nodes['author'] has 7 nodes of type 'author'",
        ),
        (
            lambda e, n, f: (e, n, {"author": np.full((7, 2), np.nan)}),
            "features['author']: non-finite value in row 0 (node 'a0') (got nan)",
        ),
    ],
)
def test_each_mistake_names_the_frame_and_row(change, message):
    edges, nodes, features = change(*frames())
    if message is None:
        hetgat.from_pandas(edges, nodes, features=features)
        return
    with pytest.raises(DataFormatError) as err:
        hetgat.from_pandas(edges, nodes, features=features)
    assert str(err.value) == message


def test_wrong_arguments_name_the_option():
    edges, nodes, _ = frames()
    with pytest.raises(ConfigError, match="edges: expected a pandas DataFrame, got 'str'"):
        hetgat.from_pandas("edges.csv")
    with pytest.raises(ConfigError, match="features: expected a node type among author"):
        hetgat.from_pandas(edges, nodes, features={"papers": np.ones((20, 2))})
