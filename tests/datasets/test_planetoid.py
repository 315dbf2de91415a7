"""Planetoid loader: a hand-computed tiny dataset, the real Cora/CiteSeer numbers, and errors."""

import hashlib
import io
import os
import pickle
import subprocess
import urllib.error
import urllib.request
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from hetgat.data import NODE_TYPE
from hetgat.datasets import planetoid
from hetgat.datasets.planetoid import (
    PLANETOID_FILES,
    find_planetoid_dir,
    load_planetoid,
)
from hetgat.errors import ConfigError, DataFormatError, DataNotFoundError

# ---------------------------------------------------------------------------------------------
# A tiny CiteSeer-like dataset: 10 nodes, 4 features, 3 classes.
# allx/ally are nodes 0..4, x/y their first 2 rows; tx/ty row i belongs to node TEST_INDEX[i];
# node 7 is inside the test range but not listed (a gap, like CiteSeer's 15 missing ids).
ALLX = [[1, 0, 1, 0], [0, 1, 0, 0], [1, 1, 1, 0], [0, 0, 0, 0], [0, 0, 1, 1]]
ALLY = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 1, 0], [0, 0, 0]]  # node 4: all-zero, unlabelled
TEST_INDEX = [8, 5, 9, 6]  # out of order, 7 missing
TX = [[2, 0, 0, 2], [0, 0, 0, 1], [1, 0, 0, 0], [0, 1, 1, 1]]
TY = [[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]]
# 0-1 listed twice, 2-2 is a self edge, 3->4 and 8->9 appear in one direction only.
GRAPH = {0: [1, 1, 2], 1: [0], 2: [0, 2], 3: [4], 5: [6, 8], 6: [5], 7: [], 8: [5, 9]}

# Hand-computed expectations, in node order 0..9.
EXPECTED_RAW = np.array(
    [
        [1, 0, 1, 0],  # allx 0
        [0, 1, 0, 0],  # allx 1
        [1, 1, 1, 0],  # allx 2
        [0, 0, 0, 0],  # allx 3
        [0, 0, 1, 1],  # allx 4
        [0, 0, 0, 1],  # tx 1
        [0, 1, 1, 1],  # tx 3
        [0, 0, 0, 0],  # gap
        [2, 0, 0, 2],  # tx 0
        [1, 0, 0, 0],  # tx 2
    ],
    dtype=np.float32,
)
EXPECTED_NORMALIZED = np.array(
    [
        [1 / 2, 0, 1 / 2, 0],
        [0, 1, 0, 0],
        [1 / 3, 1 / 3, 1 / 3, 0],
        [0, 0, 0, 0],
        [0, 0, 1 / 2, 1 / 2],
        [0, 0, 0, 1],
        [0, 1 / 3, 1 / 3, 1 / 3],
        [0, 0, 0, 0],
        [1 / 2, 0, 0, 1 / 2],
        [1, 0, 0, 0],
    ],
    dtype=np.float32,
)
EXPECTED_LABELS = [0, 1, 2, 1, -1, 0, 0, -1, 2, 1]
UNDIRECTED = [(0, 1), (0, 2), (3, 4), (5, 6), (5, 8), (8, 9)]
EXPECTED_EDGES = {(u, v) for a, b in UNDIRECTED for u, v in ((a, b), (b, a))}


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def write_tiny(folder: Path, protocol: int = 2, name: str = "citeseer") -> dict[str, bytes]:
    """Write the tiny dataset as ``ind.<name>.*``; return the bytes of every file."""
    graph = defaultdict(list, {k: list(v) for k, v in GRAPH.items()})
    objects = {
        "x": sp.csr_matrix(np.array(ALLX[:2], dtype=np.float32)),
        "tx": sp.csr_matrix(np.array(TX, dtype=np.float32)),
        "allx": sp.csr_matrix(np.array(ALLX, dtype=np.float32)),
        "y": np.array(ALLY[:2], dtype=np.int32),
        "ty": np.array(TY, dtype=np.int32),
        "ally": np.array(ALLY, dtype=np.int32),
        "graph": graph,
    }
    contents = {s: pickle.dumps(obj, protocol=protocol) for s, obj in objects.items()}
    contents["test.index"] = "".join(f"{i}\n" for i in TEST_INDEX).encode()
    folder.mkdir(parents=True, exist_ok=True)
    for suffix, data in contents.items():
        (folder / f"ind.{name}.{suffix}").write_bytes(data)
    return contents


def edge_list(data) -> list[tuple[int, int]]:
    src, dst = data.graph.edges()
    return list(zip(src.tolist(), dst.tolist(), strict=True))


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Downloads are off, and any attempt to open a URL fails the test."""
    monkeypatch.setenv("HETGAT_OFFLINE", "1")

    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to use the network")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)


@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_tiny_hand_computed(tmp_path, protocol):
    write_tiny(tmp_path, protocol)
    data = load_planetoid("citeseer", tmp_path)

    assert data.name == "citeseer" and data.target_type == NODE_TYPE
    assert data.class_names == ["0", "1", "2"]
    assert data.node_ids[NODE_TYPE].tolist() == [str(i) for i in range(10)]
    assert data.graph.ntypes == [NODE_TYPE] and data.graph.num_nodes() == 10

    feats = data.features[NODE_TYPE]
    assert feats.layout == torch.sparse_csr and feats.dtype == torch.float32
    assert feats.shape == (10, 4)
    np.testing.assert_allclose(feats.to_dense().numpy(), EXPECTED_NORMALIZED, rtol=1e-6)
    # rows sum to 1, except the all-zero rows (allx 3 and the gap node 7), which stay 0
    np.testing.assert_allclose(
        feats.to_dense().sum(1).numpy(), [1, 1, 1, 0, 1, 1, 1, 0, 1, 1], rtol=1e-6
    )

    assert data.labels.dtype == torch.int64
    assert data.labels.tolist() == EXPECTED_LABELS
    assert torch.nonzero(data.train_mask).ravel().tolist() == [0, 1]
    # val would be 2..4 (the allx rows after train); node 4 has no label, so it is left out
    assert torch.nonzero(data.val_mask).ravel().tolist() == [2, 3]
    assert torch.nonzero(data.test_mask).ravel().tolist() == [5, 6, 8, 9]

    edges = edge_list(data)
    loops = {(i, i) for i in range(10)}
    assert len(edges) == 12 + 10
    assert set(edges) == EXPECTED_EDGES | loops
    assert edges == sorted(edges, key=lambda e: (e[1], e[0]))  # sorted by (dst, src)


def test_tiny_without_self_loops_or_normalisation(tmp_path):
    write_tiny(tmp_path)
    data = load_planetoid("citeseer", tmp_path, self_loop=False, normalize_features=False)
    edges = edge_list(data)
    assert len(edges) == 12 and set(edges) == EXPECTED_EDGES
    np.testing.assert_array_equal(data.features[NODE_TYPE].to_dense().numpy(), EXPECTED_RAW)
    assert data.summary() == "citeseer: 10 nodes, 12 edges, 3 classes, split 2/2/4"


def test_name_is_case_insensitive_and_unknown_names_fail(tmp_path):
    write_tiny(tmp_path)
    assert load_planetoid("CiteSeer", tmp_path).name == "citeseer"
    with pytest.raises(ConfigError) as info:
        load_planetoid("reddit", tmp_path)
    assert info.value.name == "dataset" and info.value.value == "reddit"
    assert "cora, citeseer, pubmed" in str(info.value)
    with pytest.raises(ConfigError):
        find_planetoid_dir("ind.cora")


# --- where the files are looked for ------------------------------------------------------------


def test_search_order(tmp_path, monkeypatch):
    env_root, home = tmp_path / "env", tmp_path / "home"
    write_tiny(env_root / "planetoid")
    write_tiny(home / ".hetgat" / "data" / "planetoid")
    monkeypatch.setenv("HOME", str(home))

    monkeypatch.delenv("HETGAT_DATA", raising=False)
    assert find_planetoid_dir("citeseer") == home / ".hetgat" / "data" / "planetoid"
    monkeypatch.setenv("HETGAT_DATA", str(env_root))
    assert find_planetoid_dir("citeseer") == env_root / "planetoid"
    # data_dir is used alone (no fallback to HETGAT_DATA or home); its planetoid/ subfolder counts
    assert find_planetoid_dir("citeseer", env_root / "planetoid") == env_root / "planetoid"
    assert find_planetoid_dir("citeseer", env_root) == env_root / "planetoid"
    with pytest.raises(DataNotFoundError):
        find_planetoid_dir("citeseer", tmp_path / "empty")


def test_missing_file_message(tmp_path):
    write_tiny(tmp_path)
    (tmp_path / "ind.citeseer.allx").unlink()
    (tmp_path / "ind.citeseer.graph").unlink()
    with pytest.raises(DataNotFoundError) as info:
        load_planetoid("citeseer", tmp_path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"Missing ind.citeseer.allx, ind.citeseer.graph in {tmp_path} ")
    assert f"looked in: {tmp_path}, {tmp_path / 'planetoid'}" in message
    assert "HETGAT_OFFLINE=1" in message and "`data_dir`" in message
    assert "ind.citeseer.x," not in message  # only the missing files are named
    assert not list(tmp_path.glob("*.part"))


# --- downloads (urlopen is monkeypatched; nothing leaves the machine) --------------------------


def fake_urlopen(payload, calls):
    def urlopen(url, timeout=None):
        calls.append((url, timeout))
        if isinstance(payload, Exception):
            raise payload
        return io.BytesIO(payload)

    return urlopen


def test_download_good_bytes(tmp_path, monkeypatch):
    contents = write_tiny(tmp_path)
    (tmp_path / "ind.citeseer.x").unlink()
    monkeypatch.delenv("HETGAT_OFFLINE")
    monkeypatch.setitem(planetoid._GIT_BLOB_SHA1, "ind.citeseer.x", git_blob_sha1(contents["x"]))
    calls = []
    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen(contents["x"], calls))

    data = load_planetoid("citeseer", tmp_path)
    assert calls == [("https://github.com/kimiyoung/planetoid/raw/master/data/ind.citeseer.x", 10)]
    assert (tmp_path / "ind.citeseer.x").read_bytes() == contents["x"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"ind.citeseer.{s}" for s in PLANETOID_FILES
    )
    assert data.labels.tolist() == EXPECTED_LABELS


def test_download_into_new_folder(tmp_path, monkeypatch):
    contents = write_tiny(tmp_path / "source")
    target = tmp_path / "new" / "planetoid"
    monkeypatch.delenv("HETGAT_OFFLINE")
    by_url = {}
    for suffix, data in contents.items():
        monkeypatch.setitem(planetoid._GIT_BLOB_SHA1, f"ind.citeseer.{suffix}", git_blob_sha1(data))
        by_url[planetoid.PLANETOID_URL.format(name="citeseer", suffix=suffix)] = data
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: io.BytesIO(by_url[url]))
    monkeypatch.setenv("HETGAT_DATA", str(tmp_path / "new"))

    assert find_planetoid_dir("citeseer") == target
    assert all((target / f"ind.citeseer.{s}").read_bytes() == contents[s] for s in contents)


def test_download_bad_checksum_leaves_nothing(tmp_path, monkeypatch):
    write_tiny(tmp_path)
    (tmp_path / "ind.citeseer.x").unlink()
    monkeypatch.delenv("HETGAT_OFFLINE")
    calls = []
    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen(b"not the file", calls))
    with pytest.raises(DataFormatError) as info:
        load_planetoid("citeseer", tmp_path)
    assert info.value.path == str(tmp_path / "ind.citeseer.x")
    assert planetoid._GIT_BLOB_SHA1["ind.citeseer.x"] in str(info.value)
    assert len(calls) == 1
    assert len(list(tmp_path.iterdir())) == 7  # the 7 files we wrote, no partial download


def test_download_network_error(tmp_path, monkeypatch):
    write_tiny(tmp_path)
    (tmp_path / "ind.citeseer.ty").unlink()
    monkeypatch.delenv("HETGAT_OFFLINE")
    error = urllib.error.URLError("no route to host")
    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen(error, []))
    with pytest.raises(DataNotFoundError) as info:
        load_planetoid("citeseer", tmp_path)
    message = str(info.value)
    assert message.startswith(f"Missing ind.citeseer.ty in {tmp_path} ")
    assert "no route to host" in message and "\n" not in message
    assert len(list(tmp_path.iterdir())) == 7


# --- damaged or hostile files --------------------------------------------------------------------


def test_truncated_pickle(tmp_path):
    write_tiny(tmp_path)
    path = tmp_path / "ind.citeseer.allx"
    path.write_bytes(path.read_bytes()[:60])
    with pytest.raises(DataFormatError) as info:
        load_planetoid("citeseer", tmp_path)
    assert info.value.path == str(path)


@pytest.mark.parametrize("garbage", [b"", b"\x80\x02garbage", b"plain text\n"])
def test_garbage_pickle(tmp_path, garbage):
    write_tiny(tmp_path)
    (tmp_path / "ind.citeseer.graph").write_bytes(garbage)
    with pytest.raises(DataFormatError) as info:
        load_planetoid("citeseer", tmp_path)
    assert info.value.path == str(tmp_path / "ind.citeseer.graph")


class _Exploit:
    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


class _ExploitSubprocess:
    def __reduce__(self):
        return subprocess.call, (["true"],)


@pytest.mark.parametrize("suffix", ["y", "graph"])
def test_pickle_payload_never_runs(tmp_path, suffix):
    write_tiny(tmp_path)
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_Exploit(f"touch {marker}"), protocol=2)
    assert b"system" in payload
    (tmp_path / f"ind.citeseer.{suffix}").write_bytes(payload)
    with pytest.raises(DataFormatError) as info:
        load_planetoid("citeseer", tmp_path)
    assert "system" in str(info.value) and info.value.path.endswith(f"ind.citeseer.{suffix}")
    assert not marker.exists()


def test_pickle_payload_nested_in_allowed_object(tmp_path):
    write_tiny(tmp_path)
    graph = defaultdict(list, {0: [1], 1: [_ExploitSubprocess()]})
    (tmp_path / "ind.citeseer.graph").write_bytes(pickle.dumps(graph, protocol=4))
    with pytest.raises(DataFormatError, match="refusing to unpickle subprocess.call"):
        load_planetoid("citeseer", tmp_path)


@pytest.mark.parametrize(
    ("suffix", "obj", "message"),
    [
        ("y", np.zeros((3, 3), dtype=np.int32), "3 rows, but ind.citeseer.x has 2 rows"),
        ("ty", np.zeros((4, 2), dtype=np.int32), "2 columns, but ind.citeseer.ally has 3"),
        ("tx", sp.csr_matrix((4, 5), dtype=np.float32), "5 columns, but ind.citeseer.allx"),
        ("allx", np.zeros((5, 4)), "expected a scipy sparse matrix"),
        ("ally", [[1, 0, 0]], "expected a 2-D numeric one-hot array"),
        ("graph", [[0, 1]], "expected a dict of neighbour lists"),
        ("graph", {0: [10]}, "node id outside 0..9"),
        ("graph", {0: ["1"]}, "node ids must be integers"),
    ],
)
def test_inconsistent_files(tmp_path, suffix, obj, message):
    write_tiny(tmp_path)
    path = tmp_path / f"ind.citeseer.{suffix}"
    path.write_bytes(pickle.dumps(obj, protocol=2))
    with pytest.raises(DataFormatError, match=message) as info:
        load_planetoid("citeseer", tmp_path)
    assert info.value.path == str(path)


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("8\n5\nnine\n6\n", "expected an integer", 3),
        ("8\n5\n9\n", "3 rows, but ind.citeseer.tx has 4 rows", None),
        ("8\n5\n8\n6\n", "repeated test ids", None),
        ("8\n5\n3\n6\n", "test ids must be >= 5", None),
    ],
)
def test_bad_test_index(tmp_path, text, message, line):
    write_tiny(tmp_path)
    (tmp_path / "ind.citeseer.test.index").write_text(text)
    with pytest.raises(DataFormatError, match=message) as info:
        load_planetoid("citeseer", tmp_path)
    assert info.value.line == line


# Found by tests/test_fuzz.py: ids past int64 raised OverflowError, and one huge test id made the
# loader allocate arrays of that many nodes (MemoryError).
@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        (
            "8\n5\n9223372036854775808\n6\n",
            "ind.citeseer.test.index, line 3: test id out of range (got '9223372036854775808')",
            3,
        ),
        (
            "8\n5\n9\n1000000000000\n",
            "ind.citeseer.test.index: test ids reach 1000000000000, leaving 999999999992 ids "
            "after the 5 allx rows unlisted, more than the 4 listed (got 1000000000000)",
            None,
        ),
    ],
)
def test_huge_test_ids(tmp_path, text, message, line):
    write_tiny(tmp_path)
    (tmp_path / "ind.citeseer.test.index").write_text(text)
    with pytest.raises(DataFormatError) as info:
        load_planetoid("citeseer", tmp_path)
    assert str(info.value) == f"{tmp_path}/{message}"
    assert info.value.line == line


def test_test_index_lines_are_editor_lines(tmp_path):
    write_tiny(tmp_path)  # "\v" and "\x85" are line breaks to str.splitlines, not to editors
    (tmp_path / "ind.citeseer.test.index").write_text("8\v\n5\x85\n9\nx\n", encoding="utf-8")
    with pytest.raises(DataFormatError) as info:
        load_planetoid("citeseer", tmp_path)
    message = f"{tmp_path}/ind.citeseer.test.index, line 4: expected an integer (got 'x')"
    assert str(info.value) == message


def test_graph_ids_past_int64(tmp_path):
    write_tiny(tmp_path)
    graph = defaultdict(list, {0: [1], 1: [2**64]})
    (tmp_path / "ind.citeseer.graph").write_bytes(pickle.dumps(graph, protocol=2))
    with pytest.raises(DataFormatError) as info:
        load_planetoid("citeseer", tmp_path)
    expected = f"{tmp_path}/ind.citeseer.graph: node id outside 0..9 (got {2**64})"
    assert str(info.value) == expected


# --- the real files (skipped without HETGAT_DATA) -------------------------------------------------


def real_dir(name: str) -> Path:
    root = os.environ.get("HETGAT_DATA")
    if not root:
        pytest.skip("HETGAT_DATA is not set (point it at the shared data folder)")
    folder = Path(root) / "planetoid"
    missing = [s for s in PLANETOID_FILES if not (folder / f"ind.{name}.{s}").is_file()]
    if missing:
        pytest.skip(f"{name}: {', '.join(missing)} not in {folder}")
    return folder


@pytest.fixture(scope="module")
def cora():
    return load_planetoid("cora", real_dir("cora"))


@pytest.fixture(scope="module")
def citeseer():
    return load_planetoid("citeseer", real_dir("citeseer"))


def check_symmetric_without_duplicates(data, num_loops):
    src, dst = (t.numpy() for t in data.graph.edges())
    n = data.graph.num_nodes()
    code = dst.astype(np.int64) * n + src
    assert len(np.unique(code)) == len(code)  # no duplicate edges
    assert np.all(np.diff(code) > 0)  # sorted by (dst, src)
    assert set(code.tolist()) == set((src.astype(np.int64) * n + dst).tolist())  # symmetric
    assert int((src == dst).sum()) == num_loops


def test_cora(cora):
    assert cora.graph.num_nodes() == 2708
    assert cora.graph.num_edges() == 10556 + 2708 == 13264
    check_symmetric_without_duplicates(cora, num_loops=2708)
    assert cora.features[NODE_TYPE].shape == (2708, 1433)
    assert cora.num_classes == 7
    assert np.bincount(cora.labels.numpy()).tolist() == [351, 217, 418, 818, 426, 298, 180]
    assert [int(m.sum()) for m in (cora.train_mask, cora.val_mask, cora.test_mask)] == [
        140,
        500,
        1000,
    ]
    assert torch.nonzero(cora.train_mask).ravel().tolist() == list(range(140))
    assert torch.nonzero(cora.val_mask).ravel().tolist() == list(range(140, 640))
    assert torch.nonzero(cora.test_mask).ravel().tolist() == list(range(1708, 2708))
    row_sums = cora.features[NODE_TYPE].to_dense().sum(1)
    torch.testing.assert_close(row_sums, torch.ones(2708))  # no empty rows in Cora


@pytest.mark.filterwarnings("ignore:Please import `csr_matrix`:DeprecationWarning")
def test_cora_test_rows_follow_test_index(cora):
    folder = real_dir("cora")
    order = np.loadtxt(folder / "ind.cora.test.index", dtype=np.int64)
    with open(folder / "ind.cora.ty", "rb") as f:
        ty = pickle.load(f, encoding="latin1")
    with open(folder / "ind.cora.tx", "rb") as f:
        tx = np.asarray(pickle.load(f, encoding="latin1").todense())
    assert cora.labels[order].tolist() == ty.argmax(1).tolist()
    expected = tx / tx.sum(1, keepdims=True)
    dense = cora.features[NODE_TYPE].to_dense().numpy()
    np.testing.assert_allclose(dense[order], expected, rtol=1e-6)


def test_cora_without_self_loops():
    data = load_planetoid("cora", real_dir("cora"), self_loop=False)
    assert data.graph.num_edges() == 10556
    check_symmetric_without_duplicates(data, num_loops=0)


def test_citeseer(citeseer):
    assert citeseer.graph.num_nodes() == 3327
    assert citeseer.graph.num_edges() == 9104 + 3327
    check_symmetric_without_duplicates(citeseer, num_loops=3327)
    assert citeseer.features[NODE_TYPE].shape == (3327, 3703)
    assert citeseer.num_classes == 6
    labels = citeseer.labels.numpy()
    assert np.bincount(labels[labels >= 0]).tolist() == [249, 590, 668, 701, 596, 508]
    masks = (citeseer.train_mask, citeseer.val_mask, citeseer.test_mask)
    assert [int(m.sum()) for m in masks] == [120, 500, 1000]
    gaps = [
        2407,
        2489,
        2553,
        2682,
        2781,
        2953,
        3042,
        3063,
        3212,
        3214,
        3250,
        3292,
        3305,
        3306,
        3309,
    ]
    assert np.flatnonzero(labels == -1).tolist() == gaps
    assert not (masks[0] | masks[1] | masks[2])[gaps].any()
    dense = citeseer.features[NODE_TYPE].to_dense()
    assert (dense[gaps] == 0).all()
    # 48 nodes have no neighbour but themselves: their only in-edge is the added self-loop
    assert int((citeseer.graph.in_degrees() == 1).sum()) == 48


def test_shared_checksums_match_embedded():
    folder = real_dir("cora").parent / "planetoid"
    for path in sorted(folder.glob("ind.*")):
        assert git_blob_sha1(path.read_bytes()) == planetoid._GIT_BLOB_SHA1[path.name], path.name
    assert len(planetoid._GIT_BLOB_SHA1) == 24


def test_pubmed_without_allx():
    root = os.environ.get("HETGAT_DATA")
    if not root:
        pytest.skip("HETGAT_DATA is not set (point it at the shared data folder)")
    folder = Path(root) / "planetoid"
    if (folder / "ind.pubmed.allx").exists() or not (folder / "ind.pubmed.ally").exists():
        pytest.skip("this checks the shared folder as shipped: PubMed without ind.pubmed.allx")
    for data_dir in (folder, Path(root)):
        with pytest.raises(DataNotFoundError) as info:
            load_planetoid("pubmed", data_dir)
        assert str(info.value).startswith(f"Missing ind.pubmed.allx in {folder} ")
