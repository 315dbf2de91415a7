"""HAN ACM (ACM3025.mat) loader: a hand-made .mat file, error messages, and the real numbers."""

import os
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp
import torch

from hetgat.datasets.han import find_han_file, load_han
from hetgat.errors import ConfigError, DataFormatError, DataNotFoundError

PAP = ("paper", "paper-author-paper", "paper")
PSP = ("paper", "paper-subject-paper", "paper")

# 5 papers, 4 binary features, 3 classes; meta-path matrices symmetric with the diagonal set.
FEATURE = np.array([[1, 0, 0, 1], [0, 0, 0, 0], [0, 1, 1, 0], [1, 1, 0, 0], [0, 0, 0, 1]], np.uint8)
LABEL = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1], [0, 1, 0], [1, 0, 0]], np.uint8)
PAP_MATRIX = np.eye(5, dtype=np.uint8)
PAP_MATRIX[0, 3] = PAP_MATRIX[3, 0] = 1
PLP_MATRIX = np.eye(5, dtype=np.uint8)
for i, j in [(0, 1), (0, 2), (1, 2), (3, 4)]:  # subjects {0, 1, 2} and {3, 4}
    PLP_MATRIX[i, j] = PLP_MATRIX[j, i] = 1
EXPECTED = {  # (src, dst) sorted by (dst, src)
    PAP: ([0, 3, 1, 2, 0, 3, 4], [0, 0, 1, 2, 3, 3, 4]),
    PSP: ([0, 1, 2, 0, 1, 2, 0, 1, 2, 3, 4, 3, 4], [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 4, 4]),
}


def write_mat(folder: Path, **changes) -> Path:
    arrays = {
        "feature": FEATURE,
        "label": LABEL,
        "PAP": PAP_MATRIX,
        "PLP": PLP_MATRIX,
        "PMP": np.ones((5, 5), np.uint8),
        "train_idx": np.array([[0, 1]], np.int32),
        "val_idx": np.array([[2]], np.int32),
        "test_idx": np.array([[3, 4]], np.int32),
    }
    arrays.update(changes)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "ACM3025.mat"
    scipy.io.savemat(path, {k: v for k, v in arrays.items() if v is not None})
    return path


def test_tiny(tmp_path):
    write_mat(tmp_path)
    data = load_han("acm", tmp_path)
    g = data.graph
    assert data.name == "han-acm" and g.ntypes == ["paper"] and g.num_nodes() == 5
    assert set(g.canonical_etypes) == {PAP, PSP}  # PMP is not used
    for etype, (src, dst) in EXPECTED.items():
        s, d = g.edges(etype=etype, order="eid")
        assert (s.tolist(), d.tolist()) == (src, dst)
    feats = data.features["paper"]
    assert feats.layout == torch.sparse_csr and feats.dtype == torch.float32
    assert np.array_equal(feats.to_dense().numpy(), FEATURE.astype(np.float32))  # not normalised
    assert data.labels.tolist() == [1, 0, 2, 1, 0] and data.labels.dtype == torch.int64
    assert data.train_mask.tolist() == [True, True, False, False, False]
    assert data.val_mask.tolist() == [False, False, True, False, False]
    assert data.test_mask.tolist() == [False, False, False, True, True]
    assert data.class_names == ["Data Mining", "Wireless Communication", "Database"]
    assert data.node_ids["paper"].tolist() == ["0", "1", "2", "3", "4"]
    assert data.target_type == "paper" and not data.multilabel


def test_sparse_arrays_and_double_indices(tmp_path):
    write_mat(
        tmp_path / "han",
        PAP=sp.csc_matrix(PAP_MATRIX.astype(np.float64)),
        train_idx=np.array([[0.0, 1.0]]),
    )
    data = load_han("ACM", tmp_path)  # the han/ subfolder is looked in too
    s, d = data.graph.edges(etype=PAP, order="eid")
    assert (s.tolist(), d.tolist()) == EXPECTED[PAP]
    assert data.train_mask.tolist() == [True, True, False, False, False]


def test_lookup_and_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("HETGAT_DATA", str(tmp_path))
    with pytest.raises(DataNotFoundError) as err:
        load_han("acm")
    assert f"ACM3025.mat not found (looked in: {tmp_path / 'han'})" in str(err.value)
    assert "not downloaded automatically" in str(err.value)
    write_mat(tmp_path / "han")
    assert find_han_file("acm") == tmp_path / "han" / "ACM3025.mat"
    with pytest.raises(ConfigError, match="dataset: expected one of acm, got 'dblp'"):
        load_han("dblp", tmp_path)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"PLP": None}, "no 'PLP' array"),
        ({"PAP": np.eye(4, dtype=np.uint8)}, r"'PAP' has shape \(4, 4\), expected \(5, 5\)"),
        ({"label": LABEL[:4]}, r"'label' has shape \(4, 3\), expected \(5, \*\)"),
        ({"label": LABEL * 2}, "'label' row 0 is not one-hot"),
        ({"val_idx": np.array([[1]], np.int32)}, "'val_idx' repeats a node"),
        ({"test_idx": np.array([[3, 5]], np.int32)}, r"'test_idx' must hold row numbers 0\.\.4"),
        ({"feature": np.array(["abc"])}, "'feature' is not a numeric array"),
    ],
)
def test_format_errors(tmp_path, changes, message):
    path = write_mat(tmp_path, **changes)
    with pytest.raises(DataFormatError, match=message) as err:
        load_han("acm", tmp_path)
    assert err.value.path == str(path)


def test_not_a_mat_file(tmp_path):
    (tmp_path / "ACM3025.mat").write_bytes(b"MATLAB 5.0 MAT-file, truncated")
    with pytest.raises(DataFormatError, match="not a readable MATLAB file"):
        load_han("acm", tmp_path)


@pytest.fixture(scope="module")
def acm():
    root = os.environ.get("HETGAT_DATA")
    if not root:
        pytest.skip("HETGAT_DATA is not set: no real HAN data")
    if not (Path(root) / "han" / "ACM3025.mat").is_file():
        pytest.skip(f"{root}/han/ACM3025.mat is absent")
    return load_han("acm", root)


def test_real_acm(acm):
    g, n = acm.graph, 3025
    assert g.num_nodes() == n and g.ntypes == ["paper"]
    assert g.num_edges(PAP) == 29281 and g.num_edges(PSP) == 2210761
    for etype in (PAP, PSP):
        s, d = g.edges(etype=etype, order="eid")
        loops = s[s == d]
        assert torch.equal(torch.sort(loops).values, torch.arange(n))  # every node, once
        assert torch.all(d[1:] >= d[:-1])  # sorted by destination
        assert g.has_edges_between(d, s, etype=etype).all()  # symmetric
    feats = acm.features["paper"]
    assert feats.shape == (n, 1870) and feats.layout == torch.sparse_csr
    assert feats.values().numel() == 253300 and torch.all(feats.values() == 1)
    assert acm.labels.bincount().tolist() == [1061, 965, 999]
    masks = (acm.train_mask, acm.val_mask, acm.test_mask)
    assert [int(m.sum()) for m in masks] == [600, 300, 2125]
    assert torch.equal(sum(m.long() for m in masks), torch.ones(n, dtype=torch.long))
    assert acm.labels[acm.train_mask].bincount().tolist() == [200, 200, 200]
    assert acm.labels[acm.val_mask].bincount().tolist() == [100, 100, 100]
    assert acm.num_classes == 3
