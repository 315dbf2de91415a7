"""A graph exported with every relation in both directions (issue 26), through the `hetgat`
command: the load summary and `inspect` say how the relations were read, the models attend over
the distinct relations under the kept names, and a run reads a new export of its graph the same."""

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from hetgat.cli import main

FAST = ["--epochs", "3", "--patience", "0", "--hidden", "4", "--heads", "2"]
READ = "relations: ref = reverse of cite; writes = reverse of written_by; has = reverse of about"
KEPT = {"cite", "ref", "written_by", "writes", "about", "has"}


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def export(root, order=(0, 1, 2, 3, 4, 5), rename=None):
    """The graph's edge file with its relations in ``order`` (indices into the six below),
    some ``rename``d ({index: name})."""
    rng = np.random.default_rng(0)
    papers = [f"p{i}" for i in range(30)]
    pairs = {
        "cite": [(papers[a], papers[b]) for a, b in rng.integers(0, 30, (40, 2)) if a != b],
        "written_by": [(papers[i], f"a{rng.integers(0, 10)}") for i in range(30)],
        "about": [(papers[i], f"s{i % 3}") for i in range(30)],
    }
    relations = [
        ("paper", "cite", "paper", pairs["cite"]),
        ("paper", "ref", "paper", [(b, a) for a, b in pairs["cite"]]),
        ("paper", "written_by", "author", pairs["written_by"]),
        ("author", "writes", "paper", [(b, a) for a, b in pairs["written_by"]]),
        ("paper", "about", "subject", pairs["about"]),
        ("subject", "has", "paper", [(b, a) for a, b in pairs["about"]]),
    ]
    names = {k: rel[1] for k, rel in enumerate(relations)} | (rename or {})
    rows = [(a, s, names[k], b, d) for k in order for s, _, d, p in [relations[k]] for a, b in p]
    frame = pd.DataFrame(rows, columns=["src", "src_type", "relation", "dst", "dst_type"])
    root.mkdir(exist_ok=True)
    frame.to_csv(root / "edges.csv", index=False)
    labels = pd.DataFrame({"id": papers, "label": ["x" if i % 3 else "y" for i in range(30)]})
    labels.to_csv(root / "papers.csv", index=False)
    return [root / "edges.csv", "--nodes", f"paper={root / 'papers.csv'}"]


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    return export(tmp_path_factory.mktemp("both"))


def test_inspect_says_how_the_relations_were_read(graph):
    result = invoke("inspect", *graph)
    assert result.exit_code == 0, result.output
    assert READ in result.output.splitlines()
    assert "rev_" not in result.output
    info = json.loads(invoke("inspect", *graph, "--json").output)
    assert info["relations_read"] == READ
    assert {e["etype"][1] for e in info["relations"]} == KEPT
    assert [m["relations"] for m in info["metapaths"]] == [
        "about,has", "cite,ref", "ref,cite", "written_by,writes",
    ]  # fmt: skip
    kept = invoke("inspect", *graph, "--keep-relations", "--json")
    assert len(json.loads(kept.output)["edge_types"]) == 12  # as given, each with rev_<r>


@pytest.mark.parametrize("model", ["han", "rgat", "simplehgn"])
def test_models_attend_over_the_distinct_relations(tmp_path, graph, model):
    out = tmp_path / model
    result = invoke("fit", *graph, "--model", model, "--out", out, *FAST)
    assert result.exit_code == 0, result.output
    assert READ in result.output.splitlines()  # the load summary's second line
    att = pd.read_csv(out / "attention.csv", keep_default_na=False)
    if model == "han":
        assert set(att["edge_type"]) == {
            "paper-subject-paper", "cite,ref", "ref,cite", "paper-author-paper",
        }  # fmt: skip
    else:
        assert set(att["edge_type"]) - {"self-loop"} == KEPT
    if model == "rgat":  # each relation once per layer, under its kept name
        sem = pd.read_csv(out / "semantic_attention.csv")
        into_papers = sem[(sem["layer"] == 0) & (sem["target_type"] == "paper")]
        assert sorted(into_papers["edge_type"]) == ["cite", "has", "ref", "self", "writes"]
        assert set(sem["edge_type"]) == KEPT | {"self"}
    # A new export of the same graph: relations in another order, one direction of a pair
    # only, a duplicate relation under another name; read as the run read its own.
    again = export(tmp_path / "again", order=(1, 3, 5, 4), rename={4: "subject_of"})
    pred = tmp_path / "pred.csv"
    result = invoke("predict", out, *again, "-o", pred)
    assert result.exit_code == 0, result.output
    assert pred.read_bytes() == (out / "predictions.csv").read_bytes()
    recomputed = tmp_path / "att.csv"
    assert invoke("attention", out, *again, "-o", recomputed).exit_code == 0
    assert recomputed.read_bytes() == (out / "attention.csv").read_bytes()


def test_a_new_export_must_hold_the_runs_relations(tmp_path, graph):
    out = tmp_path / "run"
    assert invoke("fit", *graph, "--model", "rgat", "--out", out, *FAST).exit_code == 0
    missing = export(tmp_path / "missing", order=(0, 1, 2, 3))  # no paper-subject relation
    result = invoke("predict", out, *missing, "-o", tmp_path / "p.csv")
    assert result.exit_code == 2
    assert result.output.startswith("Error: ") and "no relation 'about'" in result.output
    record = json.loads((out / "config.json").read_text())
    assert "relations" in json.dumps(record)
