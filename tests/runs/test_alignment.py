"""What a run keeps per node follows the node ids (issue 32, §1): the same graph in another
row order gives the same predictions and attention; nodes a run never saw are refused in one
line, or given the mean embedding on request; a run records what files it read."""

import contextlib
import json
import logging

import numpy as np
import pandas as pd
import pytest
import torch
from click.testing import CliRunner

from hetgat.cli import main
from hetgat.datasets.labels import propagate_labels
from hetgat.datasets.path_labels import path_label_input
from hetgat.datasets.source import DataSource
from hetgat.runs import load_run, run_attention, run_predictions
from hetgat.runs.align import node_rows

FAST = ["--epochs", "15", "--patience", "0", "--hidden", "4", "--heads", "2", "-q"]


@contextlib.contextmanager
def warnings_in(caplog):
    """caplog's records of the ``hetgat`` logger's warnings, also after a command turned its
    propagation off (the CLI prints its notes itself)."""
    log = logging.getLogger("hetgat")
    log.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.WARNING, logger="hetgat"):
            yield
    finally:
        log.removeHandler(caplog.handler)


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def write_graph(root, *, seed=None, extra_author=False, extra_paper=False):
    """60 papers whose class follows their authors (no features on authors and subjects: the
    model learns an embedding per author and subject). ``seed``: the same graph, every file's
    rows and the relations in another order."""
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    edges, papers = [], []
    for i in range(60):
        group = i % 3
        for a in rng.choice(4, 2, replace=False):
            edges.append((f"author {group * 4 + a}", "author", "writes", f"p{i}", "paper"))
        edges.append((f"p{i}", "paper", "about", f"s{rng.integers(4)}", "subject"))
        split = ("train", "train", "val", "test", "test")[i % 5]
        papers.append((f"p{i}", "abc"[group], split, rng.normal(), rng.normal()))
    if extra_author:  # a node the run never saw, of a type whose input it learned
        edges += [("author new", "author", "writes", f"p{i}", "paper") for i in (0, 3)]
    if extra_paper:  # a target node the run never saw
        edges += [("author 0", "author", "writes", "p new", "paper")]
        edges += [("p new", "paper", "about", "s1", "subject")]
        papers.append(("p new", "", "", 0.5, -0.5))
    edges = pd.DataFrame(edges, columns=["src", "src_type", "relation", "dst", "dst_type"])
    papers = pd.DataFrame(papers, columns=["id", "label", "split", "x", "y"])
    if seed is not None:
        edges = edges.sample(frac=1, random_state=seed)
        edges = pd.concat([edges[edges.relation == "about"], edges[edges.relation == "writes"]])
        papers = papers.sample(frac=1, random_state=seed)
    edges.to_csv(root / "edges.csv", index=False)
    papers.to_csv(root / "papers.csv", index=False)
    return DataSource(str(root / "edges.csv"), nodes=((("paper", str(root / "papers.csv")),)))


def fit(tmp_path, model, *extra):
    source = write_graph(tmp_path / "graph")
    out = tmp_path / "run"
    args = [source.spec, "--nodes", f"paper={source.nodes[0][1]}", "--model", model]
    result = invoke("fit", *args, "--out", out, *FAST, *extra)
    assert result.exit_code == 0, result.output
    return out


def by_id(frame):
    return frame.set_index("id").sort_index()


CASES = {
    "han": ["--model", "han"],
    "rgat": ["--model", "rgat"],
    "simplehgn": ["--model", "simplehgn"],
    "hgt": ["--model", "hgt"],
    "hgt-no-features": ["--model", "hgt", "--input-features", "none"],
    "rgat-labels": ["--model", "rgat", "--label-hops", "2"],
    "simplehgn-minibatch": ["--model", "simplehgn", "--batch-size", "16"],
    "sehgnn": ["--model", "sehgnn"],
    "sehgnn-no-features": ["--model", "sehgnn", "--input-features", "none", "--label-hops", "2"],
    # Correct and Smooth: the run's training labels (training_labels.csv) matched by id
    "han-correct-smooth": ["--model", "han", "--correct-smooth", "0.9"],
    "han-correct-smooth-class-mass": [
        "--model",
        "han",
        "--correct-smooth",
        "0.9",
        "--class-mass",
    ],  # fmt: skip
    "rgat-labels-correct-smooth": [
        "--model",
        "rgat",
        "--label-hops",
        "2",
        "--correct-smooth",
        "0.8",
    ],  # fmt: skip
    "sehgnn-label-paths": ["--model", "sehgnn", "--label-hops", "2", "--label-form", "paths"],
}


@pytest.mark.parametrize("case", CASES)
def test_a_shuffled_export_gives_the_same_predictions_and_attention(tmp_path, case):
    model, *extra = CASES[case][1:]
    run = load_run(fit(tmp_path, model, *extra))
    assert run.matched_by_id and run.model.per_node_state()
    own = run.load_data()
    shuffled = run.load_data(write_graph(tmp_path / "shuffled", seed=3))
    assert any(
        not np.array_equal(own.node_ids[t], shuffled.node_ids[t])
        for t in set(run.model.per_node_state().values())
    )  # the test means something: some kept type comes in another order
    expected, got = by_id(run_predictions(run, own)), by_id(run_predictions(run, shuffled))
    prob = [c for c in expected.columns if c.startswith("prob_")]
    np.testing.assert_allclose(got[prob].to_numpy(), expected[prob].to_numpy(), atol=1e-5)
    assert (got["predicted"] == expected["predicted"]).all()
    keys = ["layer", "head", "edge_type", "src_type", "src", "dst_type", "dst"]

    def attention(data):
        if model == "sehgnn":  # attention across relation paths only: each node's own
            frame = run.semantic_attention(data, per_node=True)
            return frame.set_index(list(frame.columns[:-1]))["attention"].sort_index()
        frame = pd.concat(list(run_attention(run, data)))
        return frame.groupby(keys)["attention"].sum().sort_index()

    a, b = attention(own), attention(shuffled)
    assert a.index.equals(b.index)
    np.testing.assert_allclose(b.to_numpy(), a.to_numpy(), atol=1e-5)


def test_the_cli_reads_a_shuffled_export_the_same_way(tmp_path):
    out = fit(tmp_path, "han", "--input-features", "none")
    source = write_graph(tmp_path / "shuffled", seed=5)
    common = ["--nodes", f"paper={source.nodes[0][1]}", "-o"]
    assert invoke("predict", out, "-o", tmp_path / "own.csv").exit_code == 0
    result = invoke("predict", out, source.spec, *common, tmp_path / "other.csv")
    assert result.exit_code == 0, result.output
    own = by_id(pd.read_csv(tmp_path / "own.csv"))
    other = by_id(pd.read_csv(tmp_path / "other.csv"))
    prob = [c for c in own.columns if c.startswith("prob_")]
    np.testing.assert_allclose(other[prob].to_numpy(), own[prob].to_numpy(), atol=1e-5)


def test_the_alignment_gathers_rows_by_id(tmp_path):
    """The aligned model's embedding of each author is the row the run learned for that id."""
    run = load_run(fit(tmp_path, "rgat"))
    shuffled = run.load_data(write_graph(tmp_path / "shuffled", seed=7))
    model = run.model_for(shuffled)
    [(key, ntype)] = [(k, t) for k, t in run.model.per_node_state().items() if "author" == t]
    trained = dict(zip(run.node_ids["author"], run.model.state_dict()[key], strict=True))
    aligned = model.state_dict()[key]
    for row, node in enumerate(shuffled.node_ids["author"]):
        torch.testing.assert_close(aligned[row], trained[node], atol=0, rtol=0)
    assert run.model_for(run.load_data()) is run.model  # the run's own order: no copy


def test_nodes_the_run_never_saw_are_refused_in_one_line(tmp_path):
    out = fit(tmp_path, "rgat")
    source = write_graph(tmp_path / "new", extra_author=True)
    args = [out, source.spec, "--nodes", f"paper={source.nodes[0][1]}", "-o", tmp_path / "p.csv"]
    result = invoke("predict", *args)
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "Error: node type 'author': 1 node(s) the run never saw ('author new'); the model "
        "learned an embedding for each node of 'author' it trained on, so it has none for "
        "these: train on a graph that holds them, or give them the mean learned embedding "
        "with --unseen-nodes mean"
    ]
    assert not (tmp_path / "p.csv").exists()


def test_unseen_nodes_mean_gives_them_the_mean_embedding(tmp_path, caplog):
    run = load_run(fit(tmp_path, "rgat"), unseen_nodes="mean")
    data = run.load_data(write_graph(tmp_path / "new", extra_author=True))
    with warnings_in(caplog):
        model = run.model_for(data)
    assert "node type 'author': 1 node(s) the run never saw get the mean" in caplog.text
    [key] = [k for k, t in run.model.per_node_state().items() if t == "author"]
    row = list(data.node_ids["author"]).index("author new")
    mean = run.model.state_dict()[key].mean(0)
    torch.testing.assert_close(model.state_dict()[key][row], mean)
    frame = run_predictions(run, data)
    assert len(frame) == 60 and np.isfinite(frame.filter(like="prob_").to_numpy()).all()


def test_unseen_target_nodes_get_the_label_input_from_training_labels(tmp_path):
    """A new paper's label input is its neighbours' training labels, propagated as for a
    validation or test node; the papers the run saw keep the rows it trained with."""
    run = load_run(fit(tmp_path, "rgat", "--label-hops", "2"))
    own = run.load_data()
    data = run.load_data(write_graph(tmp_path / "new", extra_paper=True))
    model = run.model_for(data)
    got = model.inputs.label_input
    ids = list(data.node_ids["paper"])
    new = ids.index("p new")
    for i, node in enumerate(own.node_ids["paper"]):
        torch.testing.assert_close(got[ids.index(node)], run.model.inputs.label_input[i])
    train = torch.as_tensor(np.isin(data.node_ids["paper"], own.node_ids["paper"][own.train_mask]))
    known = torch.nn.functional.one_hot(data.labels[train], 3).float()
    expected = propagate_labels(data, train.nonzero().squeeze(1), known, 2)[new]
    torch.testing.assert_close(got[new], expected)
    assert got[new].sum() > 0 and int(model.inputs.label_partition[new]) == -1
    assert len(run_predictions(run, data)) == 61


def test_a_smaller_graph_of_seen_nodes_is_read_by_id(tmp_path):
    run = load_run(fit(tmp_path, "hgt", "--input-features", "none"))
    own = run.load_data()
    source = write_graph(tmp_path / "small", seed=1)
    edges = pd.read_csv(source.spec)
    edges[~edges.isin({"src": ["author 1"]}).src].to_csv(source.spec, index=False)
    small = run.load_data(source)
    assert len(small.node_ids["author"]) == len(own.node_ids["author"]) - 1
    found = node_rows(["author"], run.node_ids, small)
    assert (found.rows["author"] >= 0).all() and not found.unseen
    assert len(run_predictions(run, small)) == 60


def test_a_run_records_what_it_read_and_says_when_it_changed(tmp_path, caplog):
    out = fit(tmp_path, "rgat")
    config = json.loads((out / "config.json").read_text())
    assert config["per_node_inputs"] == "by_id"
    files = {e["path"]: e for e in config["input_files"]}
    edges = tmp_path / "graph" / "edges.csv"
    assert files[str(edges)]["bytes"] == edges.stat().st_size
    assert len(files[str(edges)]["sha256"]) == 64
    with edges.open("a") as f:
        f.write("author 0,author,writes,p1,paper\n")
    with warnings_in(caplog):
        load_run(out).load_data()
    assert f"the run's data changed since it was trained: {edges} has" in caplog.text


def test_resume_on_changed_inputs_is_refused(tmp_path):
    """Interrupted (a checkpoint in OUT.partial), the edge file cut in half, then resumed."""
    source = write_graph(tmp_path / "graph")
    out = tmp_path / "run"
    args = [source.spec, "--nodes", f"paper={source.nodes[0][1]}", "--model", "rgat"]
    result = invoke("fit", *args, "--out", out, *FAST)
    assert result.exit_code == 0
    # Make the finished run an interrupted one: its job description back in OUT.partial.
    partial = tmp_path / "run.partial"
    out.rename(partial)
    config = json.loads((partial / "config.json").read_text())
    job = {k: config[k] for k in ("source", "model", "train", "input_files")}
    job.update(runs=1, attention=True, attention_format="csv")
    (partial / "job.json").write_text(json.dumps(job))
    (partial / "config.json").unlink()
    lines = source.spec and open(source.spec).read().splitlines()
    open(source.spec, "w").write("\n".join(lines[: len(lines) // 2]) + "\n")
    result = invoke("fit", "--resume", out)
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: the job in {out} read other files: {source.spec} has ")
    assert "since it started; resuming would train on other data" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_old_run_folders_match_by_position_with_one_warning(tmp_path, caplog):
    out = fit(tmp_path, "rgat")
    config = json.loads((out / "config.json").read_text())
    del config["per_node_inputs"], config["input_files"]
    (out / "config.json").write_text(json.dumps(config))
    run = load_run(out)
    assert not run.matched_by_id
    with warnings_in(caplog):
        data = run.load_data()
        run_predictions(run, data)
    assert caplog.text.count("matched by position") == 1
    assert run.model_for(data) is run.model


@pytest.mark.parametrize("model", ["gat", "gatv2"])
def test_homogeneous_models_without_features_read_a_shuffled_export_the_same(tmp_path, model):
    """A homogeneous graph without features: GAT learns an embedding per node."""
    rng = np.random.default_rng(0)
    edges = pd.DataFrame({"src": [f"n{i}" for i in rng.integers(0, 30, 90)],
                          "dst": [f"n{i}" for i in rng.integers(0, 30, 90)]})  # fmt: skip
    nodes = pd.DataFrame({"id": [f"n{i}" for i in range(30)], "label": list("ab") * 15})
    edges.to_csv(tmp_path / "e.csv", index=False)
    nodes.to_csv(tmp_path / "n.csv", index=False)
    edges.sample(frac=1, random_state=1).to_csv(tmp_path / "e2.csv", index=False)
    nodes.sample(frac=1, random_state=2).to_csv(tmp_path / "n2.csv", index=False)
    out = tmp_path / "run"
    result = invoke("fit", tmp_path / "e.csv", "--nodes", tmp_path / "n.csv", "--model", model,
                    "--out", out, *FAST)  # fmt: skip
    assert result.exit_code == 0, result.output
    run = load_run(out)
    assert run.model.per_node_state()
    shuffled = run.load_data(
        DataSource(str(tmp_path / "e2.csv"), nodes=((None, str(tmp_path / "n2.csv")),))
    )
    expected = by_id(run_predictions(run, run.load_data()))
    got = by_id(run_predictions(run, shuffled))
    prob = [c for c in expected.columns if c.startswith("prob_")]
    np.testing.assert_allclose(got[prob].to_numpy(), expected[prob].to_numpy(), atol=1e-5)


def test_unseen_target_nodes_get_the_label_input_per_path_from_training_labels(tmp_path):
    """SeHGNN's label features (``--label-form paths``): a new paper's input is computed from
    the run's training labels along each path back to the paper type, as at training."""
    run = load_run(fit(tmp_path, "sehgnn", "--label-hops", "2", "--label-form", "paths"))
    own = run.load_data()
    data = run.load_data(write_graph(tmp_path / "new", extra_paper=True))
    got = run.model_for(data).inputs.label_input
    ids = list(data.node_ids["paper"])
    for i, node in enumerate(own.node_ids["paper"]):
        torch.testing.assert_close(got[ids.index(node)], run.model.inputs.label_input[i])
    train = torch.as_tensor(np.isin(data.node_ids["paper"], own.node_ids["paper"][own.train_mask]))
    known = torch.nn.functional.one_hot(data.labels[train], 3).float()
    expected = path_label_input(data, 2, train.nonzero().squeeze(1), known)
    new = ids.index("p new")
    torch.testing.assert_close(got[new], expected[new])
    table = pd.read_csv(run.path / "label_input.csv")
    assert "paper-author-paper:" + str(own.class_names[0]) in table.columns
    assert got[new].sum() > 0
    assert len(run_predictions(run, data)) == 61
