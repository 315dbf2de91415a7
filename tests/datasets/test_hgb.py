"""HGB loader: a hand-made zip with hand-computed graph, features, labels and split; error
messages; and the published numbers of the real ACM, DBLP and IMDB zips."""

import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from hetgat.datasets.hgb import find_hgb_zip, load_hgb
from hetgat.errors import ConfigError, DataFormatError, DataNotFoundError

# ---------------------------------------------------------------------------------------------
# A tiny HGB-style dataset. Global ids: papers 0..5, authors 6..8, terms 9..10 (featureless).
# node.dat lists them out of order; local index = rank of the id within its type.
INFO = {
    "node.dat": {"node type": {"0": "paper", "1": "author", "2": "term"}},
    "link.dat": {
        "link type": {
            "0": {"start": 0, "end": 0, "meaning": "paper-cite-paper"},
            "1": {"start": 0, "end": 1, "meaning": "paper-author"},
            "2": {"start": 1, "end": 0, "meaning": "author-paper"},
            "3": {"start": "0", "end": "2", "meaning": "paper-term"},  # DBLP writes strings
            "4": {"start": 2, "end": 0, "meaning": "term-paper"},
            "5": {"start": 2, "end": 2, "meaning": "term-term"},  # declared, no links
        }
    },
    "label.dat": {"node type": {"0": {"0": "database", "1": "wireless", "2": "mining"}}},
}
PAPER_FEATS = [  # 11 of 24 non-zero: dense
    [1, 0, 0, 1],
    [0, 1, 0, 0],
    [0.5, 0, 0, 0],
    [0, 0, 1, 1],
    [1, 1, 1, 1],
    [0, 0, 0, -2.5],
]
AUTHOR_FEATS = np.zeros((3, 10), dtype=np.float32)  # 2 of 30 non-zero: sparse
AUTHOR_FEATS[0, 3], AUTHOR_FEATS[2, 9] = 1.0, 2.0
NODE_ORDER = [3, 9, 0, 7, 5, 1, 10, 2, 6, 4, 8]


def _node_line(gid: int) -> str:
    if gid < 6:
        feats = ",".join(f"{v:g}" for v in PAPER_FEATS[gid])
        return f'{gid}\tPaper "{gid}\t0\t{feats}'  # an unbalanced quote, as in ACM's abstracts
    if gid < 9:
        return f"{gid}\tauthor {gid}\t1\t" + ",".join(f"{v:g}" for v in AUTHOR_FEATS[gid - 6])
    return f"{gid}\tterm{gid}\t2"


LINKS = [  # (src, dst, link type), shuffled; cite 0->1 twice, cite 2->2 a self-loop
    (6, 0, 2), (0, 1, 0), (0, 6, 1), (2, 2, 0), (9, 0, 4), (1, 6, 1), (3, 1, 0), (0, 9, 3),
    (6, 1, 2), (1, 7, 1), (0, 1, 0), (10, 2, 4), (7, 1, 2), (2, 10, 3), (4, 8, 1), (8, 4, 2),
    (3, 10, 3), (10, 3, 4), (5, 4, 0),
]  # fmt: skip
EXPECTED_EDGES = {  # local (src, dst), sorted by (dst, src), duplicates dropped
    ("paper", "paper-cite-paper", "paper"): ([0, 3, 2, 5], [1, 1, 2, 4]),
    ("paper", "paper-author", "author"): ([0, 1, 1, 4], [0, 0, 1, 2]),
    ("author", "author-paper", "paper"): ([0, 0, 1, 2], [0, 1, 1, 4]),
    ("paper", "paper-term", "term"): ([0, 2, 3], [0, 1, 1]),
    ("term", "term-paper", "paper"): ([0, 1, 1], [0, 2, 3]),
    ("term", "term-term", "term"): ([], []),
}
LABELS = "2\t\t0\t1\n0\t\t0\t0\n3\t\t0\t2\n1\t\t0\t0\n"  # ACM style: empty names
LABELS_TEST = "4\t\t0\t1\n"  # paper 5: unlabelled
MULTI_LABELS = "2\tb\t0\t1,2\n0\ta\t0\t0\n3\tc\t0\t2,0\n1\td\t0\t1\n"
MULTI_LABELS_TEST = "4\te\t0\t0,1,2\n"


def members(multilabel: bool = False) -> dict[str, str]:
    return {
        "info.dat": json.dumps(INFO, indent=4),
        "node.dat": "".join(_node_line(i) + "\n" for i in NODE_ORDER),
        "link.dat": "".join(f"{s}\t{d}\t{t}\t1.0\n" for s, d, t in LINKS),
        "label.dat": MULTI_LABELS if multilabel else LABELS,
        "label.dat.test": MULTI_LABELS_TEST if multilabel else LABELS_TEST,
    }


def write_zip(folder: Path, name: str = "ACM", files: dict | None = None, **kw) -> Path:
    """``<folder>/<name>.zip`` with ``<name>/<member>`` files and macOS junk like DBLP.zip's."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"__MACOSX/{name}/._node.dat", b"\x00\x05\x16\x07 not data")
        zf.writestr(f"{name}/.DS_Store", b"\x00\x00\x00\x01Bud1")
        for member, text in (members(**kw) if files is None else files).items():
            if text is not None:
                zf.writestr(f"{name}/{member}", text)
    return path


def with_member(**changes) -> dict:
    files = members()
    files.update({k.replace("_", "."): v for k, v in changes.items()})
    return files


@pytest.fixture
def tiny(tmp_path):
    write_zip(tmp_path)
    return load_hgb("acm", tmp_path)


def test_tiny_graph_exact_edges(tiny):
    g = tiny.graph
    assert tiny.name == "hgb-acm"
    assert {t: g.num_nodes(t) for t in g.ntypes} == {"paper": 6, "author": 3, "term": 2}
    assert set(g.canonical_etypes) == set(EXPECTED_EDGES)
    for etype, (src, dst) in EXPECTED_EDGES.items():
        s, d = g.edges(etype=etype, order="eid")
        assert s.tolist() == src and d.tolist() == dst, etype
        assert s.dtype == torch.int64
    assert tiny.node_ids["paper"].tolist() == ["0", "1", "2", "3", "4", "5"]
    assert tiny.node_ids["author"].tolist() == ["6", "7", "8"]
    assert tiny.node_ids["term"].tolist() == ["9", "10"]
    # HGB's protocol (issue 26): each direction of link.dat its own edge type, none merged or
    # added (author-paper is paper-author reversed), no relations record.
    assert tiny.relations is None and tiny.schema().relations is None


def test_tiny_features_dense_sparse_and_absent(tiny):
    paper, author = tiny.features["paper"], tiny.features["author"]
    assert "term" not in tiny.features  # featureless: the model learns an embedding
    assert paper.layout == torch.strided and paper.dtype == torch.float32
    assert np.array_equal(paper.numpy(), np.array(PAPER_FEATS, dtype=np.float32))
    assert author.layout == torch.sparse_csr and author.dtype == torch.float32
    assert np.array_equal(author.to_dense().numpy(), AUTHOR_FEATS)
    assert author.crow_indices().tolist() == [0, 1, 1, 2]
    assert author.col_indices().tolist() == [3, 9]


def test_tiny_single_labels_and_split(tiny):
    assert tiny.target_type == "paper" and not tiny.multilabel
    assert tiny.class_names == ["database", "wireless", "mining"]
    assert tiny.labels.tolist() == [0, 0, 1, 2, 1, -1]
    assert tiny.labels.dtype == torch.int64
    # val_ratio 0.2 of 4 pool nodes: int(0.8) = 0 validation nodes
    assert torch.nonzero(tiny.train_mask).ravel().tolist() == [0, 1, 2, 3]
    assert not tiny.val_mask.any()
    assert torch.nonzero(tiny.test_mask).ravel().tolist() == [4]
    assert tiny.split_names().tolist() == ["train"] * 4 + ["test", ""]


def test_tiny_split_protocol_and_seeds(tmp_path):
    write_zip(tmp_path)
    splits = {}
    for seed in range(8):
        data = load_hgb("ACM", tmp_path, seed=seed, val_ratio=0.5)
        val = torch.nonzero(data.val_mask).ravel().tolist()
        train = torch.nonzero(data.train_mask).ravel().tolist()
        perm = np.random.default_rng(seed).permutation(4)  # the pool [0, 1, 2, 3], id order
        assert val == sorted(perm[:2].tolist()) and train == sorted(perm[2:].tolist())
        assert torch.nonzero(data.test_mask).ravel().tolist() == [4]
        splits[seed] = val
    again = load_hgb("acm", tmp_path, seed=3, val_ratio=0.5)
    assert torch.nonzero(again.val_mask).ravel().tolist() == splits[3]
    assert len({tuple(v) for v in splits.values()}) > 1  # other seeds, other splits
    assert load_hgb("acm", tmp_path, val_ratio=0.0).train_mask.sum() == 4
    assert int(load_hgb("acm", tmp_path, val_ratio=0.99).val_mask.sum()) == 3  # int(3.96)


def test_tiny_split_without_shuffle_is_hgb_hans(tmp_path):
    # HGB's HAN code: train = the first int(n * 0.7) labelled ids in id order, validation the rest
    write_zip(tmp_path)
    for seed in (0, 5):
        data = load_hgb("acm", tmp_path, seed=seed, val_ratio=0.3, shuffle=False)
        assert torch.nonzero(data.train_mask).ravel().tolist() == [0, 1]  # int(4 * 0.7) = 2
        assert torch.nonzero(data.val_mask).ravel().tolist() == [2, 3]
        assert torch.nonzero(data.test_mask).ravel().tolist() == [4]
    data = load_hgb("acm", tmp_path, val_ratio=0.2, shuffle=False)
    assert torch.nonzero(data.train_mask).ravel().tolist() == [0, 1, 2]  # int(3.2) = 3
    assert torch.nonzero(data.val_mask).ravel().tolist() == [3]
    with pytest.raises(ConfigError):
        load_hgb("acm", tmp_path, shuffle="no")


def test_tiny_multilabel(tmp_path):
    write_zip(tmp_path, name="IMDB", multilabel=True)
    data = load_hgb("imdb", tmp_path)
    assert data.name == "hgb-imdb" and data.multilabel
    assert data.labels.dtype == torch.float32 and data.labels.shape == (6, 3)
    expected = [[1, 0, 0], [0, 1, 0], [0, 1, 1], [1, 0, 1], [1, 1, 1], [0, 0, 0]]
    assert data.labels.tolist() == expected
    assert (data.train_mask | data.val_mask).tolist() == [True] * 4 + [False, False]
    assert data.test_mask.tolist() == [False] * 4 + [True, False]
    assert data.num_classes == 3


def test_folder_lookup(tmp_path, monkeypatch):
    write_zip(tmp_path / "root" / "hgb")
    assert find_hgb_zip("acm", tmp_path / "root") == tmp_path / "root" / "hgb" / "ACM.zip"
    monkeypatch.setenv("HETGAT_DATA", str(tmp_path / "root"))
    assert find_hgb_zip("Acm") == tmp_path / "root" / "hgb" / "ACM.zip"
    monkeypatch.delenv("HETGAT_DATA")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    write_zip(tmp_path / "home" / ".hetgat" / "data" / "hgb", name="DBLP")
    assert find_hgb_zip("dblp").name == "DBLP.zip"


def test_missing_zip_message(tmp_path):
    with pytest.raises(DataNotFoundError) as err:
        load_hgb("dblp", tmp_path)
    message = str(err.value)
    assert "DBLP.zip not found" in message
    assert str(tmp_path) in message and str(tmp_path / "hgb") in message
    assert (
        "not downloaded automatically" in message and f"put it unchanged in {tmp_path}" in message
    )


@pytest.mark.parametrize("bad", ["cora", "", None, "acm:x"])
def test_unknown_name(tmp_path, bad):
    with pytest.raises(ConfigError, match="one of acm, dblp, imdb"):
        load_hgb(bad, tmp_path)


@pytest.mark.parametrize(
    "kwargs", [{"val_ratio": 1.0}, {"val_ratio": -0.1}, {"val_ratio": "0.2"}, {"seed": -1}]
)
def test_bad_options(tmp_path, kwargs):
    write_zip(tmp_path)
    with pytest.raises(ConfigError):
        load_hgb("acm", tmp_path, **kwargs)


def test_not_a_zip(tmp_path):
    (tmp_path / "ACM.zip").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(DataFormatError, match="ACM.zip: not a readable zip file"):
        load_hgb("acm", tmp_path)


def test_corrupt_member(tmp_path):
    path = tmp_path / "ACM.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for member, text in members().items():
            zf.writestr(f"ACM/{member}", text)
    raw = bytearray(path.read_bytes())
    at = raw.index(_node_line(3).encode()) + 20  # inside node.dat's stored bytes
    raw[at] ^= 0x01
    path.write_bytes(bytes(raw))
    with pytest.raises(DataFormatError, match=r"ACM\.zip:ACM/node\.dat: cannot read.*CRC"):
        load_hgb("acm", tmp_path)


def test_missing_member(tmp_path):
    write_zip(tmp_path, files=with_member(link_dat=None))
    with pytest.raises(DataFormatError, match=r"ACM\.zip: has no link\.dat"):
        load_hgb("acm", tmp_path)


def _error(tmp_path, **changes) -> DataFormatError:
    write_zip(tmp_path, files=with_member(**changes))
    with pytest.raises(DataFormatError) as err:
        load_hgb("acm", tmp_path)
    return err.value


def test_bad_node_type_line(tmp_path):
    lines = members()["node.dat"].splitlines()
    lines[4] = lines[4].replace("\t0\t", "\tx\t")  # node 5
    err = _error(tmp_path, node_dat="\n".join(lines) + "\n")
    assert err.path.endswith("ACM.zip:ACM/node.dat")
    assert (err.line, err.column, err.value) == (5, 3, "x")
    assert "ACM.zip:ACM/node.dat, line 5, column 3: expected an integer (got 'x')" in str(err)


def test_unknown_node_type(tmp_path):
    text = members()["node.dat"] + "11\tvenue\t7\n"
    err = _error(tmp_path, node_dat=text)
    assert (err.line, err.column, err.value) == (12, 3, 7)


def test_blank_lines_keep_line_numbers(tmp_path):
    lines = members()["node.dat"].splitlines()
    lines[5] = lines[5].replace(",", ",y", 1)  # node 1, after a blank line: line 7
    err = _error(tmp_path, node_dat="\n".join(lines[:5] + [""] + lines[5:]) + "\n\n")
    assert (err.line, err.column, err.value) == (7, 4, "y1")
    assert "feature 2 is not a number" in str(err)


def test_bad_feature_count_and_nan(tmp_path):
    lines = members()["node.dat"].splitlines()
    lines[2] = lines[2] + ",1"  # node 0 gets a 5th feature
    err = _error(tmp_path, node_dat="\n".join(lines) + "\n")
    assert (err.line, err.column) == (3, 4) and "5 features" in str(err)
    lines = members()["node.dat"].splitlines()
    lines[9] = lines[9].replace("1,1,1,1", "1,nan,1,1")  # node 4
    err = _error(tmp_path, node_dat="\n".join(lines) + "\n")
    assert (err.line, err.column, err.value) == (10, 4, "nan")


def test_mixed_featureless_type(tmp_path):
    lines = members()["node.dat"].splitlines()
    lines[3] = "7\tauthor 7\t1"  # one author without features
    err = _error(tmp_path, node_dat="\n".join(lines) + "\n")
    assert (err.line, err.column) == (4, 4)


def test_too_many_fields(tmp_path):
    lines = members()["node.dat"].splitlines()
    lines[2] += "\textra"
    err = _error(tmp_path, node_dat="\n".join(lines) + "\n")
    assert err.line == 3 and "tab-separated fields" in str(err)


def test_repeated_node_id(tmp_path):
    err = _error(tmp_path, node_dat=members()["node.dat"] + "9\tterm again\t2\n")
    assert (err.line, err.column, err.value) == (12, 1, 9)


def test_bad_links(tmp_path):
    text = members()["link.dat"]
    err = _error(tmp_path, link_dat=text + "0\t42\t1\t1.0\n")
    assert err.path.endswith("ACM.zip:ACM/link.dat")
    assert (err.line, err.column, err.value) == (len(LINKS) + 1, 2, 42)
    assert "node 42 is not in node.dat" in str(err)
    err = _error(tmp_path, link_dat="0\t9\t1\t1.0\n" + text)  # a term where an author belongs
    assert (err.line, err.column) == (1, 2) and "node 9 is a term" in str(err)
    err = _error(tmp_path, link_dat=text + "0\t1\t9\t1.0\n")
    assert (err.line, err.column, err.value) == (len(LINKS) + 1, 3, 9)


def test_bad_labels(tmp_path):
    err = _error(tmp_path, label_dat=LABELS + "7\t\t1\t0\n")
    assert err.path.endswith("ACM.zip:ACM/label.dat") and (err.line, err.column) == (5, 3)
    err = _error(tmp_path, label_dat_test="4\t\t0\t1\n99\t\t0\t1\n")  # id out of range
    assert err.path.endswith("ACM.zip:ACM/label.dat.test")
    assert (err.line, err.column, err.value) == (2, 1, 99)
    err = _error(tmp_path, label_dat_test="8\t\t0\t1\n")  # an author
    assert (err.line, err.column) == (1, 1) and "node is author, not paper" in str(err)
    err = _error(tmp_path, label_dat=LABELS + "5\t\t0\t3\n")
    assert (err.line, err.column) == (5, 4) and "class outside 0..2" in str(err)
    err = _error(tmp_path, label_dat_test="2\t\t0\t1\n")
    assert (err.line, err.column) == (1, 1) and "labelled twice" in str(err)
    err = _error(tmp_path, label_dat=LABELS + "5\t\t0\t\n")
    assert (err.line, err.column, err.value) == (5, 4, "")


def test_bad_info(tmp_path):
    err = _error(tmp_path, info_dat='{\n  "node.dat": {\n    "node type": {"0": "paper",}\n')
    assert err.path.endswith("ACM.zip:ACM/info.dat") and err.line == 3
    err = _error(tmp_path, info_dat=json.dumps({"node.dat": INFO["node.dat"]}))
    assert "has no 'link.dat' → 'link type' section" in str(err)


def test_class_names_default_to_numbers(tmp_path):
    info = {k: v for k, v in INFO.items() if k != "label.dat"}
    write_zip(tmp_path, files=with_member(info_dat=json.dumps(info)))
    data = load_hgb("acm", tmp_path)
    assert data.target_type == "paper" and data.class_names == ["0", "1", "2"]
    assert data.labels.tolist() == [0, 0, 1, 2, 1, -1]


# ---------------------------------------------------------------------------------------------
# The real zips (HETGAT_DATA=/path/to/shared/data).


def _real(name: str):
    root = os.environ.get("HETGAT_DATA")
    if not root:
        pytest.skip("HETGAT_DATA is not set: no real HGB data")
    if not (Path(root) / "hgb" / f"{name}.zip").is_file():
        pytest.skip(f"{root}/hgb/{name}.zip is absent")
    return load_hgb(name, root)


@pytest.fixture(scope="module")
def acm():
    return _real("ACM")


@pytest.fixture(scope="module")
def dblp():
    return _real("DBLP")


@pytest.fixture(scope="module")
def imdb():
    return _real("IMDB")


def _counts(data) -> dict:
    g = data.graph
    return {e[1]: g.num_edges(e) for e in g.canonical_etypes}


def _check_masks(data, pool: int, test: int, val_ratio: float = 0.2):
    train, val, tst = data.train_mask, data.val_mask, data.test_mask
    assert int(val.sum()) == int(pool * val_ratio) and int(train.sum()) == pool - int(val.sum())
    assert int(tst.sum()) == test
    assert not (train & val).any() and not (train & tst).any() and not (val & tst).any()
    labelled = data.labels.sum(1) > 0 if data.multilabel else data.labels >= 0
    assert torch.equal(labelled, train | val | tst)


def test_real_acm(acm):
    g = acm.graph
    assert g.num_nodes() == 10942 and g.num_edges() == 547872
    assert {t: g.num_nodes(t) for t in g.ntypes} == {
        "paper": 3025, "author": 5959, "subject": 56, "term": 1902
    }  # fmt: skip
    assert _counts(acm) == {
        "paper-cite-paper": 5343, "paper-ref-paper": 5343, "paper-author": 9949,
        "author-paper": 9949, "paper-subject": 3025, "subject-paper": 3025,
        "paper-term": 255619, "term-paper": 255619,
    }  # fmt: skip
    assert ("paper", "paper-author", "author") in g.canonical_etypes
    assert {t: tuple(f.shape) for t, f in acm.features.items()} == {
        "paper": (3025, 1902), "author": (5959, 1902), "subject": (56, 1902)
    }  # fmt: skip
    assert acm.features["paper"].layout == torch.sparse_csr  # 4.4 % non-zero
    assert acm.features["subject"].layout == torch.strided  # 25 % non-zero
    assert acm.target_type == "paper" and not acm.multilabel
    assert acm.class_names == ["database", "wireless communication", "data mining"]
    pool = acm.train_mask | acm.val_mask
    assert acm.labels[pool].bincount().tolist() == [280, 293, 334]
    assert acm.labels[acm.test_mask].bincount().tolist() == [714, 677, 727]
    _check_masks(acm, 907, 2118)
    assert (int(acm.train_mask.sum()), int(acm.val_mask.sum())) == (726, 181)
    # the data as given: 8 self-citations in each of cite/ref; first lines of the files
    s, d = g.edges(etype="paper-cite-paper")
    assert int((s == d).sum()) == 8 and g.has_edges_between(0, 179, etype="paper-cite-paper")
    assert acm.labels[622] == 2 and pool[622] and acm.labels[370] == 2 and acm.test_mask[370]
    assert acm.node_ids["author"][0] == "3025" and acm.node_ids["term"][-1] == "10941"


def test_real_dblp(dblp):
    g = dblp.graph
    assert g.num_nodes() == 26128 and g.num_edges() == 239566
    assert {t: g.num_nodes(t) for t in g.ntypes} == {
        "author": 4057, "paper": 14328, "term": 7723, "venue": 20
    }  # fmt: skip
    assert _counts(dblp) == {
        "author-paper": 19645, "paper-term": 85810, "paper-venue": 14328,
        "paper-author": 19645, "term-paper": 85810, "venue-paper": 14328,
    }  # fmt: skip
    assert {t: tuple(f.shape) for t, f in dblp.features.items()} == {
        "author": (4057, 334), "paper": (14328, 4231), "term": (7723, 50)
    }  # fmt: skip
    assert dblp.features["term"].layout == torch.strided  # dense word vectors
    assert dblp.features["paper"].layout == torch.sparse_csr
    assert dblp.target_type == "author" and dblp.num_classes == 4
    assert dblp.class_names == ["Database", "Data Mining", "AI", "Information Retrieval"]
    pool = dblp.train_mask | dblp.val_mask
    assert dblp.labels[pool].bincount().tolist() == [368, 238, 317, 294]
    assert dblp.labels[dblp.test_mask].bincount().tolist() == [829, 507, 792, 712]
    _check_masks(dblp, 1217, 2840)


def test_real_imdb(imdb):
    g = imdb.graph
    assert g.num_nodes() == 21420 and g.num_edges() == 86642
    assert {t: g.num_nodes(t) for t in g.ntypes} == {
        "movie": 4932, "director": 2393, "actor": 6124, "keyword": 7971
    }  # fmt: skip
    # meanings verbatim from info.dat, typo included
    assert _counts(imdb) == {
        "movie->director": 4932, "director->movie": 4932, "movie->actorh": 14779,
        "actor->movie": 14779, "movie->keyword": 23610, "keyword->movie": 23610,
    }  # fmt: skip
    assert {t: tuple(f.shape) for t, f in imdb.features.items()} == {
        "movie": (4932, 3489), "director": (2393, 3341), "actor": (6124, 3341)
    }  # fmt: skip
    assert imdb.multilabel and imdb.labels.shape == (4932, 5)
    assert imdb.labels.dtype == torch.float32
    assert imdb.class_names == ["Romance", "Thriller", "Comedy", "Action", "Drama"]
    labelled = imdb.labels.sum(1) > 0
    assert int(labelled.sum()) == 4573
    pool = imdb.train_mask | imdb.val_mask
    assert int((imdb.labels[pool].sum(1) > 1).sum()) == 830
    assert int((imdb.labels[imdb.test_mask].sum(1) > 1).sum()) == 1854
    _check_masks(imdb, 1371, 3202)
    assert imdb.labels[1919].tolist() == [1, 0, 1, 0, 0]  # label.dat line 1: "2,0"
    assert g.has_edges_between(0, 5851 - 4932, etype="movie->director")
