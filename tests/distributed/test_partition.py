"""``hetgat partition``: DGL partitions that ``dgl.distributed`` loads, round trips through the
user's node ids, DistGraph in DGL's standalone mode (one machine, one part)."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from click.testing import CliRunner

from hetgat.cli import main
from hetgat.datasets import load_graph
from hetgat.distributed.partition import partition_data
from hetgat.errors import ConfigError, HetgatError
from tests.conftest import CORA_ARGS, EXAMPLES, import_dgl

dgl = import_dgl()

CORA = CORA_ARGS
ACM = dict(
    nodes=[("paper", str(EXAMPLES / "acm" / "papers.csv"))],
    features=[("paper", str(EXAMPLES / "acm" / "paper_features.npz"))],
)


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def load_cora():
    return load_graph(CORA[0], nodes=[("paper", CORA[2][6:])], features=[("paper", CORA[4][6:])])


def check_round_trip(out: Path, data, num_parts: int) -> None:
    """Every part loads; inner nodes and edges add up; node data equals the original data."""
    info = json.loads((out / "hetgat.json").read_text())
    config = str(out / info["part_config"])
    ids = pd.read_csv(out / "node_ids.csv", dtype={"id": str}, keep_default_na=False)
    g = data.graph
    inner_nodes = {t: 0 for t in g.ntypes}
    inner_edges = 0
    for part in range(num_parts):
        pg, nfeats, _, gpb, name, ntypes, etypes = dgl.distributed.load_partition(config, part)
        assert name == info["graph_name"] and gpb.num_partitions() == num_parts
        assert sorted(ntypes) == sorted(g.ntypes)
        inner_edges += int(pg.edata["inner_edge"].sum())
        for ntype in g.ntypes:
            # The partition's own nodes of this type, as per-type ids of the partitioned graph.
            nids = gpb.partid2nids(part, ntype).numpy()
            inner_nodes[ntype] += len(nids)
            rows = ids[ids["type"] == ntype].set_index("nid").loc[nids]
            assert (rows["part"] == part).all()
            index = torch.tensor(rows["index"].to_numpy())
            assert list(rows["id"]) == list(data.node_ids[ntype][index.numpy()])
            if ntype in data.features:
                original = data.features[ntype]
                original = original.to_dense() if original.is_sparse_csr else original
                assert torch.equal(nfeats[f"{ntype}/feat"], original[index])
            if ntype == data.target_type:
                assert torch.equal(nfeats[f"{ntype}/label"], data.labels[index])
                for mask in ("train_mask", "val_mask", "test_mask"):
                    expected = getattr(data, mask)[index]
                    assert torch.equal(nfeats[f"{ntype}/{mask}"].bool(), expected)
    assert inner_nodes == {t: g.num_nodes(t) for t in g.ntypes}
    assert inner_edges == g.num_edges()
    assert len(ids) == g.num_nodes()


@pytest.fixture(scope="module")
def cora_parts(tmp_path_factory):
    out = tmp_path_factory.mktemp("cora") / "parts"
    result = invoke("partition", *CORA, "--parts", 2, out)
    assert result.exit_code == 0, result.output
    return out


def test_cli_partitions_cora_in_two(cora_parts):
    info = json.loads((cora_parts / "hetgat.json").read_text())
    assert info["graph_name"] == "cites" and info["num_parts"] == 2
    assert info["part_method"] == "metis"
    assert info["schema"]["in_feats"] == {"paper": 1433}
    assert sorted(os.listdir(cora_parts)) == [
        "cites.json",
        "hetgat.json",
        "node_ids.csv",
        "part0",
        "part1",
    ]
    assert not cora_parts.with_name("parts.partial").exists()
    check_round_trip(cora_parts, load_cora(), 2)


def test_heterogeneous_graph_round_trips(tmp_path):
    data = load_graph(str(EXAMPLES / "acm" / "edges.csv"), **ACM)
    info = partition_data(data, tmp_path / "acm", 2, graph_name="acm")
    assert info["part_method"] == "metis" and info["node_data"] == {
        "paper": ["feat", "label", "train_mask", "val_mask", "test_mask"]
    }
    check_round_trip(tmp_path / "acm", data, 2)
    assert data.graph.dgl_graph is None  # the caller's graph is left as it was


STANDALONE = textwrap.dedent(
    """
    import json, os, sys
    os.environ["DGL_DIST_MODE"] = "standalone"
    import torch
    import dgl
    from hetgat.models import GAT

    out = sys.argv[1]
    info = json.load(open(os.path.join(out, "hetgat.json")))
    with open(os.path.join(out, "ip_config.txt"), "w") as f:
        f.write("127.0.0.1\\n")
    dgl.distributed.initialize(os.path.join(out, "ip_config.txt"))
    g = dgl.distributed.DistGraph(
        info["graph_name"], part_config=os.path.join(out, info["part_config"])
    )
    nodes = torch.tensor([0, 7, 2707])
    feat = g.ndata["feat"][nodes]
    label = g.ndata["label"][nodes]
    # The training loop of docs/distributed.md: sampled blocks into hetgat's GAT.
    train = dgl.distributed.node_split(g.ndata["train_mask"], g.get_partition_book())
    sampler = dgl.dataloading.NeighborSampler([5, 5])
    loader = dgl.dataloading.DistNodeDataLoader(g, train, sampler, batch_size=64, shuffle=True)
    schema = info["schema"]
    model = GAT(schema["in_feats"]["paper"], len(schema["class_names"]))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.005)
    losses, seen = [], 0
    for input_nodes, seeds, blocks in loader:
        logits = model(blocks, g.ndata["feat"][input_nodes])
        loss = torch.nn.functional.cross_entropy(logits, g.ndata["label"][seeds])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        seen += len(seeds)
    print(json.dumps({
        "ntypes": g.ntypes, "num_nodes": g.num_nodes(), "num_edges": g.num_edges(),
        "feat_sums": feat.sum(1).tolist(), "labels": label.tolist(),
        "seen": seen, "losses": losses,
    }))
    dgl.distributed.exit_client()
    """
)


def test_distgraph_standalone_mode_reads_back_and_trains(tmp_path):
    out = tmp_path / "one"
    result = invoke("partition", *CORA, "--parts", 1, "-q", out)
    assert result.exit_code == 0, result.output
    got = run_standalone(STANDALONE, out, tmp_path)
    data = load_cora()
    ids = pd.read_csv(out / "node_ids.csv", dtype={"id": str}, keep_default_na=False)
    index = ids.set_index("nid").loc[[0, 7, 2707], "index"].to_numpy().copy()
    assert got["ntypes"] == ["paper"]
    assert got["num_nodes"] == data.graph.num_nodes() and got["num_edges"] == data.graph.num_edges()
    expected = data.features["paper"].to_dense()[index].sum(1)
    assert np.allclose(got["feat_sums"], expected.numpy())
    assert got["labels"] == data.labels[index].tolist()
    assert got["seen"] == int(data.train_mask.sum())  # every training node once per epoch
    assert all(np.isfinite(got["losses"]))


HETERO_STANDALONE = textwrap.dedent(
    """
    import json, os, sys
    import torch
    import dgl

    out = sys.argv[1]
    info = json.load(open(os.path.join(out, "hetgat.json")))
    dgl.distributed.initialize(None)
    g = dgl.distributed.DistGraph(
        info["graph_name"], part_config=os.path.join(out, info["part_config"])
    )
    paper = g.nodes["paper"].data
    seeds = {"paper": torch.arange(10)}
    sampler = dgl.dataloading.NeighborSampler([5, 5])
    loader = dgl.dataloading.DistNodeDataLoader(g, seeds, sampler, batch_size=5)
    input_nodes, output_nodes, blocks = next(iter(loader))
    print(json.dumps({
        "ntypes": sorted(g.ntypes), "num_nodes": {t: g.num_nodes(t) for t in g.ntypes},
        "feat_sums": paper["feat"][torch.tensor([0, 3024])].sum(1).tolist(),
        "block_etypes": sorted(map(list, blocks[0].canonical_etypes)),
        "seeds": output_nodes["paper"].tolist(),
    }))
    dgl.distributed.exit_client()
    """
)


def run_standalone(script: str, out: Path, tmp_path: Path) -> dict:
    path = tmp_path / "standalone.py"
    path.write_text(script)
    env = dict(os.environ, OMP_NUM_THREADS="1", DGL_DIST_MODE="standalone")
    done = subprocess.run(
        [sys.executable, str(path), str(out)], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(next(x for x in done.stdout.splitlines() if x.startswith("{")))


def test_distgraph_standalone_heterogeneous(tmp_path):
    data = load_graph(str(EXAMPLES / "acm" / "edges.csv"), **ACM)
    out = tmp_path / "acm"
    partition_data(data, out, 1, graph_name="acm")
    got = run_standalone(HETERO_STANDALONE, out, tmp_path)
    g = data.graph
    assert got["ntypes"] == sorted(g.ntypes)
    assert got["num_nodes"] == {t: g.num_nodes(t) for t in g.ntypes}
    ids = pd.read_csv(out / "node_ids.csv", dtype={"id": str}, keep_default_na=False)
    index = ids[ids["type"] == "paper"].set_index("nid").loc[[0, 3024], "index"].to_numpy()
    expected = data.features["paper"].to_dense()[index.copy()].sum(1)
    assert np.allclose(got["feat_sums"], expected.numpy())
    assert got["block_etypes"] == sorted(map(list, g.canonical_etypes))
    assert got["seeds"] == [0, 1, 2, 3, 4]


def test_error_lines(cora_parts, tmp_path):
    for args, message in [
        (("--parts", 0, tmp_path / "a"), "Error: Invalid value for '-k' / '--parts': 0 is not"),
        (("--parts", 2, cora_parts), f"Error: {cora_parts} already exists; choose another OUT"),
        (("--parts", 5000, tmp_path / "b"), "Error: --parts: expected at most the number of nodes"),
        (("--parts", 2, "--name", "a/b", tmp_path / "c"), "Error: --name: expected letters"),
    ]:
        result = invoke("partition", *CORA, *args)
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert lines[-1].startswith(message), result.stderr
        assert [x for x in lines if x.startswith("Error")] == lines[-1:]
        assert "Traceback" not in result.output
    assert not (tmp_path / "b").exists() and not (tmp_path / "b.partial").exists()


def test_overwrite_replaces_only_a_partition_folder(tmp_path):
    data = load_cora()
    out = tmp_path / "p"
    (out / "old").mkdir(parents=True)
    with pytest.raises(HetgatError, match="already exists"):
        partition_data(data, out, 2)
    # A folder of the user's is never removed, even with overwrite.
    with pytest.raises(HetgatError, match="not a folder hetgat wrote"):
        partition_data(data, out, 2, method="random", overwrite=True)
    assert (out / "old").is_dir() and sorted(p.name for p in tmp_path.iterdir()) == ["p"]
    (out / "old").rmdir()
    partition_data(data, out, 2, method="random")
    (out / "node_ids.csv").write_text("stale")
    partition_data(data, out, 2, method="random", overwrite=True)
    assert (out / "cites.json").is_file() and (out / "node_ids.csv").read_text() != "stale"
    (out / "notes.txt").write_text("mine")
    with pytest.raises(HetgatError, match="notes.txt, which hetgat did not write"):
        partition_data(data, out, 2, method="random", overwrite=True)
    assert (out / "notes.txt").read_text() == "mine"
    with pytest.raises(ConfigError, match="num_parts"):
        partition_data(data, tmp_path / "q", 0)


def test_metis_missing_falls_back_to_random(tmp_path, monkeypatch, caplog):
    def no_metis(*args, **kwargs):
        raise dgl.DGLError("METIS partitioning is not supported on this platform")

    monkeypatch.setattr(dgl.distributed.partition, "metis_partition_assignment", no_metis)
    data = load_cora()
    with caplog.at_level("WARNING", logger="hetgat"):
        info = partition_data(data, tmp_path / "p", 2, method="metis")
    assert info["part_method"] == "random"
    assert "METIS is not available" in caplog.text
    assert json.loads((tmp_path / "p" / "cites.json").read_text())["part_method"] == "random"
    check_round_trip(tmp_path / "p", data, 2)
