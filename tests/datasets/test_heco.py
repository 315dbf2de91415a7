"""HeCo loader: a tiny hand-made HeCo-format folder (graph, features, split and every error
path), and every graph and split of the real data (HETGAT_DATA=/path/to/shared/data)."""

import os
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from hetgat.datasets import load_graph
from hetgat.datasets.heco import load_heco, parse_name
from hetgat.datasets.source import DataSource
from hetgat.errors import ConfigError, DataFormatError, DataNotFoundError

# A tiny "acm": papers 0..3 (target, 2 classes), authors 0..2, subjects 0..1 (featureless).
PA = "0 0\n0 1\n1 1\n2 2\n3 2\n3 2\n"  # 3 2 twice: one edge
PS = "0\t0\n1\t1\n2\t0\n3\t1\n"
LABELS = np.array([0.0, 1.0, 0.0, 1.0])


def _tiny(root: Path) -> Path:
    folder = root / "heco" / "acm"
    folder.mkdir(parents=True)
    (folder / "pa.txt").write_text(PA)
    (folder / "ps.txt").write_text(PS)
    np.save(folder / "labels.npy", LABELS)
    sp.save_npz(folder / "p_feat.npz", sp.csr_matrix(np.eye(4, 5)))
    np.save(folder / "a_feat.npy", np.arange(6.0).reshape(3, 2))
    (folder / "a_feat.npy").rename(folder / "a_feat.npz")  # DBLP's t_feat: .npy named .npz
    for k, (train, val, test) in {20: ([0, 1], [2], [3]), 40: ([0, 1, 3], [2], [])}.items():
        for split, ids in (("train", train), ("val", val), ("test", test)):
            np.save(folder / f"{split}_{k}.npy", np.array(ids, dtype=np.int64))
    (folder / "train_60.npy").write_bytes(b"")  # present, never read unless asked for
    return root


@pytest.fixture
def tiny(tmp_path):
    return _tiny(tmp_path)


def test_tiny_graph(tiny):
    data = load_heco("acm", tiny)
    g = data.graph
    assert data.target_type == "paper" and data.name == "heco-acm"
    assert {t: g.num_nodes(t) for t in g.ntypes} == {"author": 3, "paper": 4, "subject": 2}
    assert set(g.canonical_etypes) == {
        ("paper", "pa", "author"),
        ("author", "rev_pa", "paper"),
        ("paper", "ps", "subject"),
        ("subject", "rev_ps", "paper"),
    }
    src, dst = g.edges(etype=("paper", "pa", "author"), order="srcdst")
    pairs = sorted(zip(src.tolist(), dst.tolist(), strict=True))
    assert pairs == [(0, 0), (0, 1), (1, 1), (2, 2), (3, 2)]
    rsrc, rdst = g.edges(etype=("author", "rev_pa", "paper"))
    assert sorted(zip(rdst.tolist(), rsrc.tolist(), strict=True)) == pairs
    assert torch.equal(data.features["paper"].to_dense(), torch.eye(4, 5))
    assert torch.equal(data.features["author"], torch.arange(6.0).reshape(3, 2))
    assert "subject" not in data.features
    assert data.labels.tolist() == [0, 1, 0, 1] and data.labels.dtype == torch.int64
    assert data.train_mask.tolist() == [True, True, False, False]
    assert data.val_mask.tolist() == [False, False, True, False]
    assert data.test_mask.tolist() == [False, False, False, True]
    assert list(data.node_ids["author"]) == ["0", "1", "2"]


def test_tiny_split_on_request(tiny):
    data = load_graph("heco:acm:40", str(tiny))
    assert data.name == "heco-acm-40"
    assert data.train_mask.tolist() == [True, True, False, True]
    assert not data.test_mask.any()
    source = DataSource.from_argument("heco:acm:40", data_dir=str(tiny))
    again = DataSource.from_dict(source.absolute().to_dict()).load()  # a saved run's reload
    assert torch.equal(again.train_mask, data.train_mask)


@pytest.mark.parametrize("name", ["acm:10", "acm:", "pubmed", "acm:40:1"])
def test_bad_names(name):
    with pytest.raises(ConfigError, match="dataset"):
        parse_name(name)


def test_missing_folder(tmp_path):
    with pytest.raises(DataNotFoundError, match=r"acm/labels.npy not found"):
        load_heco("acm", tmp_path)


@pytest.mark.parametrize("filename", ["pa.txt", "p_feat.npz", "val_20.npy"])
def test_missing_file_named(tiny, filename):
    path = tiny / "heco" / "acm" / filename
    path.unlink()
    with pytest.raises(DataNotFoundError, match=str(path)):
        load_heco("acm", tiny)


def _error(root: Path, name: str = "acm") -> DataFormatError:
    with pytest.raises(DataFormatError) as info:
        load_heco(name, root)
    return info.value


def test_bad_edge_lines(tiny):
    folder = tiny / "heco" / "acm"
    (folder / "pa.txt").write_text("0 0\n\n1 x\n")
    err = _error(tiny)
    assert (err.path, err.line, err.column, err.value) == (str(folder / "pa.txt"), 3, 2, "x")
    (folder / "pa.txt").write_text("0 0 1\n")
    err = _error(tiny)
    assert err.line == 1 and "expected 2 ids" in str(err)
    (folder / "pa.txt").write_text("0 0\n9 1\n")  # paper 9 of 4
    err = _error(tiny)
    assert (err.line, err.column, err.value) == (2, 1, 9) and "4 paper nodes" in str(err)
    (folder / "pa.txt").write_text("0 3\n")  # author 3: a_feat has 3 rows
    assert _error(tiny).column == 2


def test_corrupt_arrays_named(tiny):
    folder = tiny / "heco" / "acm"
    (folder / "p_feat.npz").write_bytes(b"PK\x03\x04 not a zip")
    assert _error(tiny).path == str(folder / "p_feat.npz")
    _tiny(tiny / "again")
    folder = tiny / "again" / "heco" / "acm"
    np.save(folder / "labels.npy", np.array([0.0, 1.5, 0.0, 1.0]))
    err = _error(tiny / "again")
    assert err.path == str(folder / "labels.npy") and err.value == 1.5
    np.save(folder / "labels.npy", LABELS)
    np.save(folder / "test_20.npy", np.array([7]))
    err = _error(tiny / "again")
    assert err.path == str(folder / "test_20.npy") and err.value == 7
    np.save(folder / "test_20.npy", np.array([1]))  # in train_20 already
    assert "earlier split" in str(_error(tiny / "again"))
    with pytest.raises(DataFormatError, match="train_60.npy"):
        load_heco("acm:60", tiny / "again")
    sp.save_npz(folder / "p_feat.npz", sp.csr_matrix(np.eye(5, 5)))  # 5 rows, 4 labels
    assert "5 rows" in str(_error(tiny / "again"))


# ---------------------------------------------------------------------------------------------
# The real data: README section 5's counts.
REAL = {
    "acm": ("paper", {"paper": 4019, "author": 7167, "subject": 60}, 3, 17426, (60, 120, 180)),
    "dblp": (
        "author",
        {"author": 4057, "paper": 14328, "term": 7723, "conference": 20},
        4,
        119783,
        (80, 160, 240),
    ),
    "aminer": ("paper", {"paper": 6564, "author": 13329, "reference": 35890}, 4, 76838,
               (80, 160, 240)),
    "freebase": ("movie", {"movie": 3492, "actor": 33401, "director": 2502, "writer": 4459}, 3,
                 75517, (60, 120, 180)),
}  # fmt: skip
FEATURES = {
    "acm": {"paper": (4019, 1902), "author": (7167, 1902)},
    "dblp": {"author": (4057, 334), "paper": (14328, 4231), "term": (7723, 50)},
    "aminer": {},
    "freebase": {},
}


@pytest.mark.parametrize("name", list(REAL))
def test_real_graphs_and_splits(name):
    root = os.environ.get("HETGAT_DATA")
    if not root or not (Path(root) / "heco" / name / "labels.npy").is_file():
        pytest.skip(f"no HeCo {name} in HETGAT_DATA")
    target, counts, classes, edges, train_sizes = REAL[name]
    for shots, n_train in zip((20, 40, 60), train_sizes, strict=True):
        data = load_graph(f"heco:{name}:{shots}")
        g = data.graph
        assert data.target_type == target and data.num_classes == classes
        assert {t: g.num_nodes(t) for t in g.ntypes} == counts
        given = [e for e in g.canonical_etypes if not e[1].startswith("rev_")]
        assert sum(g.num_edges(e) for e in given) == edges  # HeCo's lists have no duplicate
        assert g.num_edges() == 2 * edges
        assert {t: tuple(f.shape) for t, f in data.features.items()} == FEATURES[name]
        sizes = [int(m.sum()) for m in (data.train_mask, data.val_mask, data.test_mask)]
        assert sizes == [n_train, 1000, 1000]
        assert not (data.train_mask & (data.val_mask | data.test_mask)).any()
        train = data.labels[data.train_mask]
        assert torch.bincount(train).tolist() == [shots] * classes  # shots labels a class
