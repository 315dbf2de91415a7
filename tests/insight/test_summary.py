"""``hetgat inspect``: the structure of an unlabelled graph, every labelled node in the class
table (also those in no split), overlapping CSVDataset masks counted in each split."""

import json

from tests.insight.plot_runs import invoke


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_inspect_shows_the_structure_of_an_unlabelled_graph(tmp_path):
    edges = _write(tmp_path / "links.csv", "src,dst\na,b\nb,c\nc,a\nd,a\n")
    result = invoke("inspect", edges)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == (
        "links: no labels, the structure only (training needs a node file with a 'label' column)"
    )
    assert "node type  nodes  features  isolated" in lines
    assert lines[lines.index("node type  nodes  features  isolated") + 1].split() == [
        "node", "4", "learned", "0"
    ]  # fmt: skip
    assert not any(line.startswith("class") for line in lines)
    info = json.loads(invoke("inspect", edges, "--json").stdout)
    assert info["labelled"] is False and info["labels"] == []
    assert info["edge_types"][0]["edges"] == 4 * 2 + 4  # both ways and self-loops
    # A node file without labels, and a heterogeneous graph without any node file, too.
    nodes = _write(tmp_path / "n.csv", "id,x\na,1\nb,2\nc,3\nd,4\n")
    assert invoke("inspect", edges, "--nodes", nodes).exit_code == 0
    hetero = _write(
        tmp_path / "h.csv", "src,src_type,relation,dst,dst_type\nann,author,writes,p1,paper\n"
    )
    result = invoke("inspect", hetero, "--target", "paper")
    assert result.exit_code == 0, result.output
    assert "meta-path (HAN) from paper" in result.output
    # Training still needs labels.
    result = invoke("fit", edges, "--nodes", nodes, "--out", tmp_path / "run")
    assert result.exit_code == 2 and "no 'label' column" in result.output


def test_class_table_shows_labelled_nodes_in_no_split(tmp_path):
    edges = _write(tmp_path / "e.csv", "src,dst\na,b\nb,c\nc,d\nd,e\ne,a\n")
    nodes = _write(
        tmp_path / "n.csv",
        "id,label,split\na,x,train\nb,y,train\nc,x,\nd,y,test\ne,,\n",
    )
    info = json.loads(invoke("inspect", edges, "--nodes", nodes, "--json").stdout)
    rows = {r["class"]: r for r in info["labels"]}
    assert rows["x"] == {"class": "x", "total": 2, "train": 1, "val": 0, "test": 0, "no_split": 1}
    assert rows["y"]["no_split"] == 0 and rows["(unlabelled)"]["total"] == 1
    text = invoke("inspect", edges, "--nodes", nodes).output.splitlines()
    header = next(line for line in text if line.startswith("class"))
    assert header.split() == ["class", "total", "train", "val", "test", "no", "split"]
    assert text[text.index(header) + 1].split() == ["x", "2", "1", "0", "0", "1"]


def test_overlapping_masks_count_in_each_split(tmp_path):
    _write(
        tmp_path / "meta.yaml",
        "dataset_name: m\nnode_data:\n- file_name: n.csv\nedge_data:\n- file_name: e.csv\n",
    )
    _write(
        tmp_path / "n.csv",
        "node_id,label,train_mask,val_mask,test_mask\n0,a,1,0,0\n1,b,1,1,0\n2,a,0,1,1\n3,b,0,0,1\n",
    )
    _write(tmp_path / "e.csv", "src_id,dst_id\n0,1\n1,2\n2,3\n")
    result = invoke("inspect", tmp_path)
    assert result.exit_code == 0, result.output
    info = json.loads(invoke("inspect", tmp_path, "--json").stdout)
    rows = {r["class"]: r for r in info["labels"]}
    assert [rows["b"][s] for s in ("train", "val", "test")] == [1, 1, 1]
    assert [rows["a"][s] for s in ("train", "val", "test")] == [1, 1, 1]
    assert "(a node in several splits counts in each)" in result.output
