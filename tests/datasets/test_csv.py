"""CSV graph loader: exact errors for bad input, exact graphs for valid oddities, Cora as CSV."""

import gzip
import logging
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from hetgat.data import EDGE_TYPE, NODE_TYPE
from hetgat.datasets.csv import load_csv_graph
from hetgat.datasets.csvdataset import load_csv_folder
from hetgat.datasets.planetoid import load_planetoid
from hetgat.errors import ConfigError, DataFormatError, DataNotFoundError, HetgatError

CORA_DIR = Path(__file__).resolve().parents[2] / "examples" / "planetoid"
EDGES = "src,dst\na,b\nb,c\nc,d\n"
NODES = "id,label\na,A\nb,B\nc,A\nd,B\n"


def write(path: Path, content) -> Path:
    """Write ``content`` exactly (bytes, or text without newline translation)."""
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


def files(tmp_path: Path, edges=EDGES, nodes=NODES):
    """(edge file, node file) in tmp_path."""
    return write(tmp_path / "e.csv", edges), write(tmp_path / "n.csv", nodes)


def edge_set(data, etype=None) -> set:
    """Edges as (src id, dst id) pairs."""
    src_type, _, dst_type = data.graph.to_canonical_etype(etype or data.graph.etypes[0])
    src, dst = data.graph.edges(etype=etype)
    s_ids, d_ids = data.node_ids[src_type], data.node_ids[dst_type]
    return {(s_ids[s], d_ids[d]) for s, d in zip(src.tolist(), dst.tolist(), strict=True)}


def both_ways(pairs, ids=()) -> set:
    """Symmetrised pairs plus a self-loop on every id."""
    return {*pairs, *((d, s) for s, d in pairs), *((i, i) for i in ids)}


def format_error(func, *args, **kwargs) -> str:
    with pytest.raises(DataFormatError) as info:
        func(*args, **kwargs)
    return str(info.value)


# ----------------------------------------------------------------------------------------------
# Valid input


def test_basic_homogeneous_graph(tmp_path):
    e, n = files(tmp_path, "src,dst\na,b\nb,c\nc,a\nb,a\n", NODES)
    data = load_csv_graph(e, [(None, n)])
    assert data.name == "e"
    assert data.graph.ntypes == [NODE_TYPE] and data.graph.etypes == [EDGE_TYPE]
    assert list(data.node_ids[NODE_TYPE]) == ["a", "b", "c", "d"]
    # Symmetrised, duplicates (b,a) removed, one self-loop per node (d is isolated).
    assert edge_set(data) == both_ways({("a", "b"), ("b", "c"), ("c", "a")}, "abcd")
    assert data.graph.num_edges() == 6 + 4
    src, dst = data.graph.edges()
    assert (dst * 4 + src).tolist() == sorted((dst * 4 + src).tolist())  # sorted by (dst, src)
    assert data.labels.tolist() == [0, 1, 0, 1] and data.class_names == ["A", "B"]
    assert data.features == {} and not data.multilabel and data.target_type == NODE_TYPE


def test_directed_without_self_loops_keeps_given_edges(tmp_path):
    e, n = files(tmp_path, "src,dst\na,b\na,b\nb,b\nc,a\n", NODES)
    data = load_csv_graph(e, [(None, n)], directed=True, self_loop=False)
    assert edge_set(data) == {("a", "b"), ("b", "b"), ("c", "a")}
    data = load_csv_graph(e, [(None, n)], directed=True)
    assert edge_set(data) == {
        ("a", "b"),
        ("c", "a"),
        ("a", "a"),
        ("b", "b"),
        ("c", "c"),
        ("d", "d"),
    }
    assert data.graph.num_edges() == 6  # the existing b-b loop is not duplicated


def test_unicode_quotes_bom_crlf_na_ids(tmp_path):
    edges = (
        "\ufeffsrc,dst\r\n"
        'paper/0042,Zoë\r\n"a,b",NA\r\n"multi\r\nline",null\r\nZoë,paper/0042\r\nNA,edge-only\r\n'
    )
    nodes = (
        "\ufeffid,label,x\r\n"
        'null,B,1\r\n"multi\r\nline",A,2\r\n"a,b",A,3\r\nZoë,B,4\r\npaper/0042,A,5\r\nNA,B,6\r\n'
    )
    e, n = files(tmp_path, edges, nodes)
    with pytest.raises(DataFormatError):  # the node file has features: "edge-only" is unknown
        load_csv_graph(e, [(None, n)])
    write(e, edges.replace("NA,edge-only\r\n", ""))
    data = load_csv_graph(e, [(None, n)], self_loop=False)
    ids = ["null", "multi\r\nline", "a,b", "Zoë", "paper/0042", "NA"]
    assert list(data.node_ids[NODE_TYPE]) == ids
    pairs = {("paper/0042", "Zoë"), ("a,b", "NA"), ("multi\r\nline", "null")}
    assert edge_set(data) == both_ways(pairs)
    assert data.features[NODE_TYPE].tolist() == [[1.0], [2.0], [3.0], [4.0], [5.0], [6.0]]
    assert [data.class_names[i] for i in data.labels] == ["B", "A", "A", "B", "A", "B"]


def test_edge_only_nodes_follow_node_file_rows_in_order_of_appearance(tmp_path):
    e, n = files(tmp_path, "src,dst\nz,b\nb,y\nx,z\n", "id,label\nb,A\na,B\n")
    data = load_csv_graph(e, [(None, n)])
    assert list(data.node_ids[NODE_TYPE]) == ["b", "a", "z", "y", "x"]
    assert data.labels.tolist() == [0, 1, -1, -1, -1]


def test_shuffled_rows_give_the_same_graph_and_split(tmp_path):
    rng = np.random.default_rng(1)
    ids = [f"n{i}" for i in range(40)]
    labels = [f"c{i % 3}" for i in range(40)]
    edges = [(ids[i], ids[(i * 7 + 3) % 40]) for i in range(40)]
    results = []
    for k in range(2):
        order = rng.permutation(40)
        e = write(
            tmp_path / f"e{k}.csv",
            "src,dst\n" + "".join(f"{edges[i][0]},{edges[i][1]}\n" for i in order),
        )
        n = write(
            tmp_path / f"n{k}.csv", "id,label\n" + "".join(f"{ids[i]},{labels[i]}\n" for i in order)
        )
        data = load_csv_graph(e, [(None, n)], seed=3)
        names = data.split_names()
        results.append((edge_set(data), dict(zip(data.node_ids[NODE_TYPE], names, strict=True))))
    assert results[0] == results[1]


def test_tsv_gz_and_semicolon_files(tmp_path, caplog):
    write(tmp_path / "g.tsv.gz", gzip.compress(b"src\tdst\na,b\tc\n"))
    write(tmp_path / "n.tsv", "id\tlabel\na,b\tA\nc\tB\n")
    data = load_csv_graph(tmp_path / "g.tsv.gz", [(None, tmp_path / "n.tsv")])
    assert data.name == "g"
    assert list(data.node_ids[NODE_TYPE]) == ["a,b", "c"]
    assert edge_set(data) == both_ways({("a,b", "c")}, ["a,b", "c"])
    # gzip is recognised by its content; a semicolon header without commas is ';'-separated.
    e = write(tmp_path / "e.csv", gzip.compress(b"src;dst\na;b\n"))
    with caplog.at_level(logging.INFO, logger="hetgat"):
        data = load_csv_graph(e, [(None, write(tmp_path / "n.csv", NODES))])
    assert edge_set(data) == both_ways({("a", "b")}, "abcd")
    assert f"{e}: read as ';'-separated" in caplog.messages


def test_ignored_columns_are_noted(tmp_path, caplog):
    e, n = files(tmp_path, "src,dst,weight,\na,b,1,\nb,c,2,\n", NODES)
    with caplog.at_level(logging.INFO, logger="hetgat"):
        load_csv_graph(e, [(None, n)])
    assert f"{e}: ignored columns 'weight'" in caplog.messages
    assert f"{e}: ignored column 4, empty and unnamed" in caplog.messages


def test_dense_and_list_features(tmp_path):
    e, n = files(tmp_path, EDGES, "id,label,f1,f2\na,A,1,2\nb,B,-3.5, 4e2\nc,A,0,0\nd,B,.5,+1\n")
    data = load_csv_graph(e, [(None, n)])
    assert data.features[NODE_TYPE].dtype == torch.float32
    assert data.features[NODE_TYPE].tolist() == [[1, 2], [-3.5, 400], [0, 0], [0.5, 1]]
    lists = 'id,label,feat\na,A,"0.5, 2"\nb,B,"[1,2]"\nc,A,"[ 3 , 4 ]"\nd,B,"5,6"\n'
    data = load_csv_graph(e, [(None, write(n, lists))])
    assert data.features[NODE_TYPE].tolist() == [[0.5, 2], [1, 2], [3, 4], [5, 6]]


def test_sparse_npz_features(tmp_path):
    e, n = files(tmp_path)
    matrix = sp.csr_matrix(np.array([[1, 0, 0], [0, 0, 2], [0, 0, 0], [3, 0, 4]], dtype=float))
    sp.save_npz(tmp_path / "f.npz", matrix)
    data = load_csv_graph(e, [(None, n)], features=[(None, tmp_path / "f.npz")])
    feats = data.features[NODE_TYPE]
    assert feats.layout == torch.sparse_csr and feats.dtype == torch.float32
    assert feats.to_dense().tolist() == matrix.toarray().tolist()


def test_split_column(tmp_path):
    nodes = "id,label,split\na,A,train\nb,B, TRAIN \nc,A,Val\nd,,test\n"
    e, n = files(tmp_path, EDGES, nodes)
    data = load_csv_graph(e, [(None, n)])
    assert list(data.split_names()) == ["train", "train", "val", ""]  # d is unlabelled


def test_multilabel(tmp_path):
    e, n = files(tmp_path, EDGES, "id,label\na,x|y\nb,y\nc,\nd, z | x |\n")
    data = load_csv_graph(e, [(None, n)])
    assert data.multilabel and data.class_names == ["x", "y", "z"]
    assert data.labels.dtype == torch.float32
    assert data.labels.tolist() == [[1, 1, 0], [0, 1, 0], [0, 0, 0], [1, 0, 1]]
    assert not bool(data.train_mask[2] | data.val_mask[2] | data.test_mask[2])
    data = load_csv_graph(e, [(None, n)], multilabel=False)
    assert not data.multilabel and data.class_names == ["x|y", "y", "z | x |"]
    data = load_csv_graph(e, [(None, write(n, NODES))], multilabel=True)
    assert data.labels.tolist() == [[1, 0], [0, 1], [1, 0], [0, 1]]


def test_class_names_natural_order_and_reuse(tmp_path):
    e, n = files(tmp_path, EDGES, "id,label\na,10\nb,9\nc,10\nd,2\n")
    assert load_csv_graph(e, [(None, n)]).class_names == ["2", "9", "10"]
    data = load_csv_graph(e, [(None, n)], class_names=["10", "2", "9", "unseen"])
    assert data.class_names == ["10", "2", "9", "unseen"]
    assert data.labels.tolist() == [0, 2, 0, 1]


def test_stratified_split_is_seeded_and_per_class(tmp_path):
    ids = [f"v{i}" for i in range(100)]
    labels = ["big"] * 70 + ["small"] * 30
    e = write(
        tmp_path / "e.csv", "src,dst\n" + "".join(f"v{i},v{(i + 1) % 100}\n" for i in range(100))
    )
    n = write(
        tmp_path / "n.csv",
        "id,label\n" + "".join(f"{i},{c}\n" for i, c in zip(ids, labels, strict=True)),
    )
    a = load_csv_graph(e, [(None, n)], seed=5, split_ratio=(0.5, 0.3, 0.2))
    b = load_csv_graph(e, [(None, n)], seed=5, split_ratio=(0.5, 0.3, 0.2))
    c = load_csv_graph(e, [(None, n)], seed=6, split_ratio=(0.5, 0.3, 0.2))
    assert list(a.split_names()) == list(b.split_names()) != list(c.split_names())
    for cls, size in ((0, 70), (1, 30)):
        in_class = a.labels == cls
        counts = [int((m & in_class).sum()) for m in (a.train_mask, a.val_mask, a.test_mask)]
        assert counts == [round(size * 0.5), round(size * 0.3), size - round(size * 0.8)]
    assert not bool((a.train_mask & a.val_mask).any() | (a.train_mask & a.test_mask).any())


def test_heterogeneous_graph_reverse_relations_and_target(tmp_path):
    e = write(
        tmp_path / "e.csv",
        "src,dst,src_type,dst_type,relation\n"
        "a1,p1,author,paper,writes\na2,p1,author,paper,writes\np1,p2,paper,paper,cites\n"
        "a1,p2, author ,paper,writes\na1,p1,author,paper,writes\n",
    )
    papers = write(tmp_path / "p.csv", "id,label,f\np1,X,1\np2,Y,2\np3,X,3\n")
    data = load_csv_graph(e, [("paper", papers)])
    assert data.target_type == "paper" and data.features["paper"].shape == (3, 1)
    assert set(data.graph.canonical_etypes) == {
        ("author", "writes", "paper"),
        ("paper", "rev_writes", "author"),
        ("paper", "cites", "paper"),
        ("paper", "rev_cites", "paper"),
    }
    assert list(data.node_ids["author"]) == ["a1", "a2"]
    assert list(data.node_ids["paper"]) == ["p1", "p2", "p3"]
    assert edge_set(data, "writes") == {("a1", "p1"), ("a2", "p1"), ("a1", "p2")}
    assert edge_set(data, "rev_writes") == {("p1", "a1"), ("p1", "a2"), ("p2", "a1")}
    assert edge_set(data, "cites") == {("p1", "p2")}  # no self-loops, no symmetrising
    data = load_csv_graph(e, [("paper", papers)], reverse=False)
    assert set(data.graph.etypes) == {"writes", "cites"}
    authors = write(tmp_path / "a.csv", "id,label\na1,M\na2,N\n")
    with pytest.raises(ConfigError) as info:
        load_csv_graph(e, [("paper", papers), ("author", authors)])
    assert str(info.value) == "target: expected one of the labelled types author, paper, got None"
    data = load_csv_graph(e, [("paper", papers), ("author", authors)], target="author")
    assert data.target_type == "author" and data.class_names == ["M", "N"]


def test_heterogeneous_type_column_relation_names_and_existing_reverse(tmp_path):
    e = write(
        tmp_path / "e.csv", "src,dst,src_type,dst_type\na1,p1,author,paper\np1,a1,paper,author\n"
    )
    n = write(
        tmp_path / "n.csv", "id,type,label,f1,f2\np1,paper,X,1,\np2,paper,Y,2,\na1,author,,,5\n"
    )
    data = load_csv_graph(e, [(None, n)])
    # "paper-author" holds the edges of "author-paper" reversed: its reverse, whatever the name.
    assert set(data.graph.etypes) == {"author-paper", "paper-author"}
    assert data.features["paper"].tolist() == [[1], [2]]
    assert data.features["author"].tolist() == [[5]]
    e = write(
        e, "src,dst,src_type,dst_type,relation\na1,p1,author,paper,w\np1,a1,paper,author,rev_w\n"
    )
    assert set(load_csv_graph(e, [(None, n)]).graph.etypes) == {"w", "rev_w"}


def test_untyped_edges_take_the_node_file_type_name(tmp_path):
    e, n = files(tmp_path)
    data = load_csv_graph(e, [("paper", n)])
    assert data.graph.ntypes == ["paper"] and data.target_type == "paper"
    assert data.is_homogeneous and data.graph.num_edges() == 6 + 4


def test_csvdataset_folder(tmp_path):
    write(
        tmp_path / "meta.yaml",
        "dataset_name: mini\nseparator: ';'\nnode_data:\n- file_name: users.csv\n  ntype: user\n"
        "- file_name: items.csv\n  ntype: item\nedge_data:\n- file_name: follows.csv\n"
        "  etype: [user, follow, user]\n- file_name: likes.csv\n  etype: [user, like, item]\n",
    )
    write(
        tmp_path / "users.csv",
        "node_id;label;train_mask;val_mask;test_mask;feat\n"
        "u1;1;True;False;False;0.1,0.2\nu2;0;0;1;0;0.3,0.4\nu3;1;0;0;1;0.5,0.6\nu4;0;1;0;0;0.7,0.8\n",
    )
    write(tmp_path / "items.csv", "node_id;colour\ni1;red\ni2;blue\n")
    write(tmp_path / "follows.csv", "src_id;dst_id\nu1;u2\nu2;u3\n")
    write(tmp_path / "likes.csv", "src_id;dst_id;rating\nu1;i1;5\nu4;i2;3\n")
    data = load_csv_folder(tmp_path)
    assert data.name == "mini" and data.target_type == "user"
    assert set(data.graph.canonical_etypes) == {
        ("user", "follow", "user"), ("user", "rev_follow", "user"),
        ("user", "like", "item"), ("item", "rev_like", "user"),
    }  # fmt: skip
    assert edge_set(data, "like") == {("u1", "i1"), ("u4", "i2")}
    assert list(data.split_names()) == ["train", "val", "test", "train"]
    assert data.labels.tolist() == [1, 0, 1, 0] and data.class_names == ["0", "1"]
    assert torch.allclose(
        data.features["user"], torch.tensor([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6], [0.7, 0.8]])
    )
    assert "item" not in data.features


def test_csvdataset_folder_defaults_are_homogeneous(tmp_path):
    write(
        tmp_path / "meta.yaml",
        "dataset_name: d\nedge_data:\n- file_name: e.csv\nnode_data:\n- file_name: n.csv\n",
    )
    write(tmp_path / "n.csv", "node_id,label\n0,a\n1,b\n2,a\n")
    write(tmp_path / "e.csv", "src_id,dst_id\n0,1\n1,2\n")
    data = load_csv_folder(tmp_path / "meta.yaml")  # the meta.yaml file stands for its folder
    assert data.name == "d" and data.graph.canonical_etypes == [(NODE_TYPE, EDGE_TYPE, NODE_TYPE)]
    assert edge_set(data) == both_ways({("0", "1"), ("1", "2")}, "012")
    assert data.features == {} and data.class_names == ["a", "b"]


# ----------------------------------------------------------------------------------------------
# Errors: one exact message each


def test_missing_file_and_folder(tmp_path):
    e, n = files(tmp_path)
    with pytest.raises(DataNotFoundError) as info:
        load_csv_graph(tmp_path / "nope.csv", [(None, n)])
    assert str(info.value) == f"{tmp_path / 'nope.csv'}: no such file"
    assert format_error(load_csv_graph, tmp_path) == (
        f"{tmp_path}: is a folder, expected an edge CSV file (or a DGL CSVDataset folder)"
    )
    assert (
        format_error(load_csv_graph, e, [(None, tmp_path)])
        == f"{tmp_path}: is a folder, expected a CSV file"
    )


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "not a text CSV file: a PNG image"),
        (
            b"PK\x03\x04\x14\0\0\0\x08\0",
            "not a text CSV file: a zip archive (an Excel .xlsx file?)",
        ),
        (b"\0\x01\x02", "not a text CSV file: binary data"),
        ("src,dst\na,b\n".encode("utf-16"), "not a text CSV file: UTF-16 text (save it as UTF-8)"),
        (
            "src,dst\na,b\nZo\xeb,c\n".encode("latin-1"),
            "line 3: not a text CSV file: byte 0xeb is not UTF-8 (save it as UTF-8)",
        ),
        (b"", "empty file (expected a header row, then data rows)"),
        (b"\r\n  \n", "empty file (expected a header row, then data rows)"),
        (b"src,dst\n\n", "line 1: no data rows after the header"),
        (
            b"\nsource,target\na,b\n",
            "line 2: missing columns 'src', 'dst' (found: 'source', 'target')",
        ),
        (b"src,target\na,b\n", "line 1: missing column 'dst' (found: 'src', 'target')"),
        (b"src,dst,src\na,b,c\n", "line 1, column 'src': column name repeated in the header"),
        (
            b"src,dst,src_type\na,b,c\n",
            "line 1, column 'src_type': a 'src_type' column needs a 'dst_type' column too",
        ),
        (
            b"src,dst\na,b\nb,c,d\n",
            "line 3: 3 fields, but the header has 2 (quote values that hold the separator)",
        ),
        (
            b'src,dst\na, "b,c"\n',
            "line 2: 3 fields, but the header has 2 (quote values that hold the separator)",
        ),
        (b"src,dst\na,b\nc\nd,e\n", "line 3: 1 field, but the header has 2"),
        (b'src,dst\n"multi\nline",b\n\nc\n', "line 5: 1 field, but the header has 2"),
        (
            b'src,dst\n"multi\r\nline",b\r\nb,c,d\r\n',
            "line 4: 3 fields, but the header has 2 (quote values that hold the separator)",
        ),
        (
            b'src,dst\na,b\n"b,c\nc,d\n',
            "line 3: a quoted field is not closed (a '\"' opens it, the file ends first)",
        ),
        (
            b"src,dst,\na,b,\nb,c,7\n",
            "line 3, column 3: a value in a column without a name in the header (got '7')",
        ),
        (b'src,dst\na,b\n"x\ny",c\n,d\n', "line 5, column 'src': empty node id (got '')"),
        (b"src,dst\na,b\nc,  \n", "line 3, column 'dst': empty node id (got '  ')"),
        (
            b"src,dst,relation\na,b,r\nb,c, \n",
            "line 3, column 'relation': empty relation name (got ' ')",
        ),
    ],
)
def test_edge_file_errors(tmp_path, content, message):
    e = write(tmp_path / "e.csv", content)
    n = write(tmp_path / "n.csv", NODES)
    where = f"{e}, " if message.startswith("line") else f"{e}: "
    assert format_error(load_csv_graph, e, [(None, n)]) == where + message


def test_gzip_errors(tmp_path):
    e = write(tmp_path / "e.csv.gz", b"src,dst\na,b\n")
    assert (
        format_error(load_csv_graph, e)
        == f"{e}: not gzip-compressed, although the name ends in .gz"
    )
    write(e, gzip.compress(b"src,dst\na,b\n" * 100)[:-20])
    assert format_error(load_csv_graph, e) == (
        f"{e}: damaged gzip file (compressed file ended before the end-of-stream marker)"
    )


@pytest.mark.parametrize(
    "nodes, message",
    [
        ("name,label\na,A\n", "line 1: missing column 'id' (found: 'name', 'label')"),
        ('id,label\na,A\n\n"",B\n', "line 4, column 'id': empty node id (got '')"),
        (
            'id,label\na,A\nb,B\n"x\ny",A\na,B\n',
            "line 6, column 'id': duplicate node id (also on line 2) (got 'a')",
        ),
        (
            "id,label,x,y\na,A,1,2\nb,B,3,abc\nc,A,5,6\nd,B,7,8\n",
            "line 3, column 'y': not a number (got 'abc')",
        ),
        (
            "id,label,x,y\na,A,1,2\nb,B,3,4\nc,A,NaN,6\nd,B,7,8\n",
            "line 4, column 'x': NaN is not a valid feature value (got 'NaN')",
        ),
        (
            "id,label,x,y\na,A,1,2\nb,B,3,4\nc,A,5,6\nd,B,7,-inf\n",
            "line 5, column 'y': infinite feature value (got '-inf')",
        ),
        (
            "id,label,x\na,A,1\nb,B,1e39\nc,A,5\nd,B,7\n",
            "line 3, column 'x': feature value too large for float32 (got '1e39')",
        ),
        (
            "id,label,x,y\na,A,1,2\nb,B,3,\nc,A,5,6\nd,B,7,1\n",
            "line 3, column 'y': missing feature value (got '')",
        ),
        (
            'id,label,feat\na,A,"1,2"\nb,B,"[1,2,3]"\nc,A,"1,2"\nd,B,"1,2"\n',
            "line 3, column 'feat': a list of 3 numbers, but line 2 has 2 (got '[1,2,3]')",
        ),
        (
            'id,label,feat\na,A,"1,2"\nb,B,"1,2"\nc,A,"1,x"\nd,B,"1,2"\n',
            "line 4, column 'feat': list element 2: not a number (got 'x')",
        ),
        (
            "id,label,feat,x\na,A,1,2\n",
            "line 1, column 'feat': both a 'feat' list column and feature columns ('x'); keep one "
            "kind",
        ),
        (
            "id,label,split\na,A,train\nb,B,valid\n",
            "line 3, column 'split': unknown split (expected train, val, test or empty) (got "
            "'valid')",
        ),
        (
            "id,label,split\na,A,test\nb,B,val\nc,,train\nd,B,\n",
            "column 'split': no labelled node is in the training split",
        ),
        (
            "id,label\na,A\nb,A\nc,\nd,A\n",
            "column 'label': only one class among the labelled nodes; classification needs 2 or "
            "more (got 'A')",
        ),
        ("id,label\na,\nb, \n", "column 'label': no node has a label"),
        (
            "id,label,type\na,A,paper\nb,B,author\n",
            "line 3, column 'type': node type differs from the one given for this file ('paper') "
            "(got 'author')",
        ),
    ],
)
def test_node_file_errors(tmp_path, nodes, message):
    e, n = files(tmp_path, EDGES, nodes)
    where = f"{n}, " if message.startswith(("line", "column")) else f"{n}: "
    ntype = "paper" if "type" in nodes else None
    assert format_error(load_csv_graph, e, [(ntype, n)]) == where + message


def test_edge_to_unknown_node(tmp_path):
    e, n = files(tmp_path, "src,dst\na,b\nb,zz\n", "id,label,x\na,A,1\nb,B,2\n")
    assert format_error(load_csv_graph, e, [(None, n)]) == (
        f"{e}, line 3, column 'dst': edge to an unknown node: not an id in {n} (got 'zz')"
    )
    write(n, "id,label\na,A\nb,B\n")  # without features, zz is an unlabelled edge-only node
    assert list(load_csv_graph(e, [(None, n)]).node_ids[NODE_TYPE]) == ["a", "b", "zz"]
    sp.save_npz(tmp_path / "f.npz", sp.eye(2, format="csr"))  # with sparse features, it is not
    assert format_error(load_csv_graph, e, [(None, n)], features=[(None, tmp_path / "f.npz")]) == (
        f"{e}, line 3, column 'dst': edge to an unknown node: not an id in {n} (got 'zz')"
    )
    e = write(e, "src,dst,src_type,dst_type\na,b,p,p\nq1,zz,q,p\n")
    assert format_error(load_csv_graph, e, [("p", write(n, "id,label,x\na,A,1\nb,B,2\n"))]) == (
        f"{e}, line 3, column 'dst': edge to an unknown node: not an id of type 'p' in {n} (got "
        "'zz')"
    )


def test_type_errors(tmp_path):
    e = write(tmp_path / "e.csv", "src,dst,src_type,dst_type\na1,p1,author,paper\n")
    n = write(tmp_path / "n.csv", "id,label\np1,A\np2,B\n")
    assert format_error(load_csv_graph, e, [(None, n)]) == (
        f"{n}, line 1: no 'type' column: give `nodes` TYPE=PATH; the edges have node types author, "
        "paper"
    )
    assert format_error(load_csv_graph, e, [("venue", n)]) == (
        f"{n}: node type 'venue' has no edges in {e} (types: 'author', 'paper')"
    )
    assert format_error(load_csv_graph, e, [("paper", n), ("paper", n)]) == (
        f"{n}: node type 'paper' is also in {n}"
    )
    e2 = write(tmp_path / "e2.csv", EDGES)
    assert format_error(load_csv_graph, e2, [("paper", n), ("author", n)]) == (
        f"{e2}, line 1: node types author, paper in node files, but the edges have no types "
        "(no src_type/dst_type columns)"
    )


def test_sparse_feature_errors(tmp_path):
    e, n = files(tmp_path)
    sp.save_npz(tmp_path / "f3.npz", sp.eye(3, format="csr"))
    assert format_error(load_csv_graph, e, [(None, n)], features=[(None, tmp_path / "f3.npz")]) == (
        f"{tmp_path / 'f3.npz'}: 3 rows, but {n} has 4 nodes of type 'node'"
    )
    assert format_error(load_csv_graph, e, [(None, n)], features=[(None, n)]) == (
        f"{n}: not a scipy.sparse .npz file (This file contains pickled (object) data)"
    )
    sp.save_npz(tmp_path / "nan.npz", sp.csr_matrix(np.array([[1.0], [0], [np.nan], [0]])))
    assert format_error(
        load_csv_graph, e, [(None, n)], features=[(None, tmp_path / "nan.npz")]
    ) == (f"{tmp_path / 'nan.npz'}: non-finite value in row 2 (node 'c') (got nan)")
    with pytest.raises(DataNotFoundError):
        load_csv_graph(e, [(None, n)], features=[(None, tmp_path / "none.npz")])
    with pytest.raises(ConfigError) as info:
        load_csv_graph(e, features=[(None, tmp_path / "f3.npz")])
    assert str(info.value) == (
        f"features: expected a node file of type 'node' too (the .npz rows follow its rows), "
        f"got 'node={tmp_path / 'f3.npz'}'"
    )


@pytest.mark.parametrize(
    "options, message",
    [
        ({"target": "paper"}, "target: expected one of node, got 'paper'"),
        (
            {"split_ratio": (0.5, 0.5)},
            "split_ratio: expected 3 numbers >= 0 summing to 1, the first > 0 (train, val, "
            "test), got (0.5, 0.5)",
        ),
        (
            {"split_ratio": (0.6, 0.5, -0.1)},
            "split_ratio: expected 3 numbers >= 0 summing to 1, the first > 0 (train, val, "
            "test), got (0.6, 0.5, -0.1)",
        ),
        (
            {"split_ratio": (0, 0.5, 0.5)},
            "split_ratio: expected 3 numbers >= 0 summing to 1, the first > 0 (train, val, "
            "test), got (0, 0.5, 0.5)",
        ),
        (
            {"split_ratio": "abc"},
            "split_ratio: expected 3 numbers >= 0 summing to 1, the first > 0 (train, val, "
            "test), got 'abc'",
        ),
        ({"seed": -1}, "split_seed: expected an integer >= 0, got -1"),
        ({"seed": 1.5}, "split_seed: expected an integer >= 0, got 1.5"),
        (
            {"class_names": ["A"]},
            "class_names: expected a list of 2 or more distinct, non-empty class names, got ['A']",
        ),
        (
            {"class_names": ["A", "A"]},
            "class_names: expected a list of 2 or more distinct, non-empty class names, got ['A', "
            "'A']",
        ),
        ({"multilabel": "yes"}, "multilabel: expected True, False or None, got 'yes'"),
    ],
)
def test_option_errors(tmp_path, options, message):
    e, n = files(tmp_path)
    with pytest.raises(ConfigError) as info:
        load_csv_graph(e, [(None, n)], **options)
    assert str(info.value) == message


def test_label_and_target_errors(tmp_path):
    e, n = files(tmp_path)
    assert format_error(load_csv_graph, e, [(None, n)], class_names=["A", "C"]) == (
        f"{n}, line 3, column 'label': class not among the given class names ('A', 'C') (got 'B')"
    )
    with pytest.raises(ConfigError) as info:
        load_csv_graph(e)
    assert (
        str(info.value)
        == "nodes: expected a node file with a 'label' column of class names, got []"
    )
    with pytest.raises(ConfigError) as info:
        load_csv_graph(e, ["x", 3])
    assert str(info.value) == "nodes: expected PATH or (TYPE, PATH), got 3"


@pytest.mark.parametrize(
    "meta, nodes, message",
    [
        (None, None, "{d}/meta.yaml: no such file"),
        (
            "dataset_name: [x\nedge_data: 3\n",
            None,
            "{d}/meta.yaml, line 2: not valid YAML (expected ',' or ']', but got ':')",
        ),
        (
            "- a\n- b\n",
            None,
            "{d}/meta.yaml, line 1: expected a mapping with dataset_name, node_data and edge_data "
            "(got ['a', 'b'])",
        ),
        (
            "dataset_name: x\nedge_data:\n- file_name: e.csv\n",
            None,
            "{d}/meta.yaml, line 1: node_data: expected a list of files (- file_name: ...)",
        ),
        (
            "dataset_name: x\nversion: 2.0.0\nedge_data:\n- file_name: e.csv\nnode_data:\n- "
            "file_name: n.csv\n",
            None,
            "{d}/meta.yaml, line 2: version: unsupported version (expected 1.0.0) (got '2.0.0')",
        ),
        (
            "dataset_name: x\nedge_data:\n- file_name: e.csv\n  etype: [a, b]\nnode_data:\n- "
            "file_name: n.csv\n",
            None,
            "{d}/meta.yaml, line 4: edge_data[0].etype: expected [source node type, relation, "
            "destination node type] (got ['a', 'b'])",
        ),
        (
            "dataset_name: x\nedge_data:\n- file_name: e.csv\n  etype: [a, r, a]\nnode_data:\n- "
            "file_name: n.csv\n",
            None,
            "{d}/meta.yaml, line 4: edge_data[0].etype: node type 'a' has no node_data entry (got "
            "['a', 'r', 'a'])",
        ),
        (
            "dataset_name: x\nedge_data:\n- file_name: e.csv\nnode_data:\n- file_name: "
            "n.csv\ngraph_data:\n  file_name: g.csv\n",
            None,
            "{d}/meta.yaml, line 7: graph_data: graph-level data (several graphs) is not "
            "supported: hetgat reads one graph",
        ),
        (
            None,
            "graph_id,node_id,label\n0,0,a\n0,1,b\n1,0,a\n",
            "{d}/n.csv, line 4, column 'graph_id': several graphs (graph ids '0' and more): "
            "hetgat reads one graph (got '1')",
        ),
        (
            None,
            "node_id,label,train_mask\n0,a,yes\n1,b,0\n2,a,1\n",
            "{d}/n.csv, line 2, column 'train_mask': expected 0/1 or True/False (got 'yes')",
        ),
        (
            None,
            "node_id,label\n0,a\n1,b\n",
            "{d}/e.csv, line 3, column 'dst_id': edge to an unknown node: not an id in {d}/n.csv "
            "(got '2')",
        ),
    ],
)
def test_csvdataset_errors(tmp_path, meta, nodes, message):
    default = "dataset_name: x\nedge_data:\n- file_name: e.csv\nnode_data:\n- file_name: n.csv\n"
    if meta is not None or nodes is not None:
        write(tmp_path / "meta.yaml", meta or default)
    write(tmp_path / "n.csv", nodes or "node_id,label\n0,a\n1,b\n2,a\n")
    write(tmp_path / "e.csv", "src_id,dst_id\n0,1\n1,2\n")
    with pytest.raises(HetgatError) as info:
        load_csv_folder(tmp_path)
    assert str(info.value) == message.format(d=tmp_path)


# ----------------------------------------------------------------------------------------------
# Cora as CSV


@pytest.fixture(scope="module")
def cora():
    return load_planetoid("cora", CORA_DIR, normalize_features=False)


@pytest.mark.parametrize("dense", [False, True])
def test_cora_as_csv(tmp_path, cora, dense):
    rng = np.random.default_rng(0)
    n = cora.graph.num_nodes()
    ids = np.array([f"paper/{i}" for i in range(n)], dtype=object)
    src, dst = (t.numpy() for t in cora.graph.edges())
    keep = src != dst
    edges = np.stack([ids[src[keep]], ids[dst[keep]]], axis=1)[rng.permutation(int(keep.sum()))]
    write(tmp_path / "cora.csv", "src,dst\n" + "".join(f"{s},{d}\n" for s, d in edges))
    order = rng.permutation(n)
    split = cora.split_names()
    labels = cora.labels.numpy()
    feats = cora.features[NODE_TYPE].to_dense().numpy()
    lines = [f"{ids[i]},{labels[i]},{split[i]}" for i in order]
    if dense:
        header = "id,label,split," + ",".join(f"w{j}" for j in range(feats.shape[1]))
        lines = [
            f"{line}," + ",".join(f"{x:g}" for x in feats[i])
            for line, i in zip(lines, order, strict=True)
        ]
    else:
        header = "id,label,split"
        sp.save_npz(tmp_path / "feats.npz", sp.csr_matrix(feats[order]))
    write(tmp_path / "nodes.csv", header + "\n" + "\n".join(lines) + "\n")
    extra = {} if dense else {"features": [(None, tmp_path / "feats.npz")]}
    data = load_csv_graph(tmp_path / "cora.csv", [(None, tmp_path / "nodes.csv")], **extra)

    assert data.name == "cora"
    assert data.graph.num_nodes() == n == 2708
    assert data.graph.num_edges() == cora.graph.num_edges() == 13264
    assert data.class_names == cora.class_names
    index = {name: k for k, name in enumerate(data.node_ids[NODE_TYPE])}
    perm = np.array([index[ids[i]] for i in range(n)])  # CSV node of Cora node i
    assert (data.labels.numpy()[perm] == labels).all()
    assert (data.split_names()[perm] == split).all()
    loaded = data.features[NODE_TYPE]
    loaded = loaded.numpy() if dense else loaded.to_dense().numpy()
    assert np.array_equal(loaded[perm], feats)
    assert edge_set(data) == {
        (ids[s], ids[d]) for s, d in zip(*(t.tolist() for t in cora.graph.edges()), strict=True)
    }
