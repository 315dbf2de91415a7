"""Relations read by their edge sets (issue 26): inverse pairs, exact duplicates, near-inverse and
self-inverse relations, hetgat's own reverse names, for the edge-file and CSVDataset loaders."""

from pathlib import Path

import pytest

from hetgat.data import Relation, describe_relations
from hetgat.datasets.csv import load_csv_graph
from hetgat.datasets.csvdataset import load_csv_folder
from hetgat.datasets.relations import legacy_relations, reverse_name
from hetgat.errors import HetgatError

WRITTEN_BY = [("p1", "a1"), ("p1", "a2"), ("p2", "a2"), ("p3", "a3"), ("p4", "a1")]
CITE = [("p1", "p2"), ("p2", "p3"), ("p4", "p1")]
ABOUT = [("p1", "s1"), ("p2", "s1"), ("p3", "s2"), ("p4", "s2")]
# The graph of the tests, in file order: (src_type, relation, dst_type, pairs).
RELATIONS = [
    ("paper", "written_by", "author", WRITTEN_BY),
    ("author", "writes", "paper", [(b, a) for a, b in reversed(WRITTEN_BY)]),  # inverse pair
    ("paper", "cite", "paper", CITE),
    ("paper", "ref", "paper", [(b, a) for a, b in CITE]),  # inverse pair within one type
    ("paper", "about", "subject", ABOUT),
    ("paper", "topic_of", "subject", ABOUT[::-1]),  # exact duplicate of about
    # near-inverse of about: one edge differs (s2 -> p4 replaced by s1 -> p4)
    ("subject", "has", "paper", [(b, a) for a, b in ABOUT[:3]] + [("s1", "p4")]),
    ("author", "co_author", "author", [("a1", "a2"), ("a2", "a1")]),  # self-inverse
]
SUMMARY = (
    "relations: writes = reverse of written_by; ref = reverse of cite; "
    "topic_of = about (same edges); co_author = its own reverse; reverses added: rev_about, rev_has"
)
PAPERS = "id,label\np1,X\np2,Y\np3,X\np4,Y\n"


def write_edges(path: Path, given=RELATIONS) -> Path:
    rows = ["src,src_type,relation,dst,dst_type"]
    rows += [f"{a},{s},{r},{b},{d}" for s, r, d, pairs in given for a, b in pairs]
    path.write_text("\n".join(rows) + "\n")
    return path


def load_edge_file(tmp_path, given=RELATIONS, **options):
    papers = tmp_path / "papers.csv"
    papers.write_text(PAPERS)
    edges = write_edges(tmp_path / "edges.csv", given)
    return load_csv_graph(edges, [("paper", papers)], **options)


def load_folder(tmp_path, given=RELATIONS, **options):
    meta = ["dataset_name: mini", "node_data:"]
    for ntype in ("paper", "author", "subject"):
        if not any(ntype in (s, d) for s, _, d, _ in given):
            continue
        meta += [f"- file_name: {ntype}.csv", f"  ntype: {ntype}"]
        ids = sorted(
            {x for s, _, d, pairs in given for p in pairs for x, t in zip(p, (s, d)) if t == ntype}
        )
        (tmp_path / f"{ntype}.csv").write_text("node_id\n" + "".join(f"{i}\n" for i in ids))
    meta.append("edge_data:")
    for k, (s, r, d, pairs) in enumerate(given):
        meta += [f"- file_name: e{k}.csv", f"  etype: [{s}, {r}, {d}]"]
        (tmp_path / f"e{k}.csv").write_text(
            "src_id,dst_id\n" + "".join(f"{a},{b}\n" for a, b in pairs)
        )
    (tmp_path / "meta.yaml").write_text("\n".join(meta) + "\n")
    (tmp_path / "paper.csv").write_text(PAPERS.replace("id,", "node_id,"))
    return load_csv_folder(tmp_path, **options)


LOADERS = pytest.mark.parametrize("load", [load_edge_file, load_folder], ids=["file", "folder"])


def edges_of(data, etype) -> set:
    s, _, d = etype
    src, dst = data.graph.edges(etype=etype)
    return {(data.node_ids[s][i], data.node_ids[d][j]) for i, j in zip(src.tolist(), dst.tolist())}


@LOADERS
def test_pairs_duplicates_near_and_self_inverse(tmp_path, load):
    data = load(tmp_path)
    assert set(data.graph.canonical_etypes) == {r.etype for r in data.relations}
    assert [r.etype for r in data.relations] == [
        ("paper", "written_by", "author"),
        ("author", "writes", "paper"),
        ("paper", "cite", "paper"),
        ("paper", "ref", "paper"),
        ("paper", "about", "subject"),
        ("subject", "has", "paper"),
        ("author", "co_author", "author"),
        ("subject", "rev_about", "paper"),
        ("paper", "rev_has", "subject"),
    ]
    by_etype = {r.etype: r for r in data.relations}
    assert by_etype[("author", "writes", "paper")].reverse_of == ("paper", "written_by", "author")
    assert by_etype[("paper", "written_by", "author")].reverse_of is None
    assert by_etype[("paper", "about", "subject")].names == ("about", "topic_of")
    assert by_etype[("subject", "has", "paper")].reverse_of is None  # near-inverse: separate
    assert by_etype[("author", "co_author", "author")].reverse_of == (
        "author",
        "co_author",
        "author",
    )
    assert by_etype[("subject", "rev_about", "paper")].added
    assert edges_of(data, ("author", "writes", "paper")) == {(b, a) for a, b in WRITTEN_BY}
    assert edges_of(data, ("subject", "rev_about", "paper")) == {(b, a) for a, b in ABOUT}
    assert edges_of(data, ("paper", "rev_has", "subject")) == set(ABOUT[:3]) | {("p4", "s1")}
    assert describe_relations(data.relations) == SUMMARY
    assert data.summary().splitlines()[1] == SUMMARY
    assert data.schema().relations == data.relations


@LOADERS
def test_no_reverse_still_pairs_the_given_ones(tmp_path, load):
    data = load(tmp_path, reverse=False)
    assert len(data.graph.canonical_etypes) == 7  # the given relations, topic_of merged
    assert not any(r.added for r in data.relations)
    pairs = {r.etype[1]: r.reverse_of[1] for r in data.relations if r.reverse_of}
    assert pairs == {"writes": "written_by", "ref": "cite", "co_author": "co_author"}


@LOADERS
def test_keep_relations_reads_every_relation_as_given(tmp_path, load):
    data = load(tmp_path, keep_relations=True, reverse=False)
    assert [r.etype[1] for r in data.relations] == [r for _, r, _, _ in RELATIONS]
    assert len(data.graph.canonical_etypes) == len(RELATIONS)
    assert describe_relations(data.relations) is None
    data = load(tmp_path, keep_relations=True)
    assert [r.etype[1] for r in data.relations] == [r for _, r, _, _ in RELATIONS] + [
        f"rev_{r}" for _, r, _, _ in RELATIONS
    ]


@LOADERS
def test_names_play_no_part(tmp_path, load):
    """A relation called rev_x or rev2_x is the user's like any other; hetgat's reverses take
    a name no relation of the files has."""
    relations = [
        ("paper", "cite", "paper", CITE),
        ("paper", "rev_cite", "paper", CITE[:2]),  # not cite reversed, whatever its name
        ("paper", "rev2_cite", "paper", [("p3", "p1")]),
        ("author", "written", "paper", [(b, a) for a, b in WRITTEN_BY]),
    ]
    data = load(tmp_path, relations)
    names = [r.etype[1] for r in data.relations]
    assert names == ["cite", "rev_cite", "rev2_cite", "written"] + [
        "rev3_cite", "rev_rev_cite", "rev_rev2_cite", "rev_written",
    ]  # fmt: skip
    assert edges_of(data, ("paper", "rev3_cite", "paper")) == {(b, a) for a, b in CITE}
    assert edges_of(data, ("paper", "rev2_cite", "paper")) == {("p3", "p1")}


@LOADERS
def test_a_new_export_is_read_as_the_record_says(tmp_path, load):
    for name in "abcd":
        (tmp_path / name).mkdir()
    first = load(tmp_path / "a")
    # Another export of the same graph: other order, the pair's other direction first, the
    # duplicate's name instead of the original's, no co_author reverse listed twice.
    given = [RELATIONS[k] for k in (3, 1, 7, 5, 6, 0, 2)]
    again = load(tmp_path / "b", given, relations=first.relations)
    assert again.graph.canonical_etypes == first.graph.canonical_etypes
    for etype in first.graph.canonical_etypes:
        assert edges_of(again, etype) == edges_of(first, etype), etype
    assert again.relations == first.relations
    # One direction of each pair is enough; a relation of neither is missing.
    missing = [RELATIONS[k] for k in (1, 2, 4, 6)]  # no co_author
    with pytest.raises(HetgatError, match="no relation 'co_author' from 'author' to 'author'"):
        load(tmp_path / "c", missing, relations=first.relations)
    extra = [*RELATIONS, ("paper", "likes", "paper", [("p1", "p4")])]
    with pytest.raises(HetgatError, match="relation 'likes' from 'paper' to 'paper' is not one"):
        load(tmp_path / "d", extra, relations=first.relations)


def test_reverse_name_and_legacy_record():
    assert reverse_name("writes", {"writes"}) == "rev_writes"
    assert reverse_name("writes", {"rev_writes", "rev2_writes"}) == "rev3_writes"
    legacy = legacy_relations([("a", "w", "p"), ("p", "rev_w", "a"), ("p", "rev_x", "p")])
    assert legacy == (
        Relation(("a", "w", "p"), ("w",)),
        Relation(("p", "rev_w", "a"), ("rev_w",), ("a", "w", "p")),
        Relation(("p", "rev_x", "p"), ("rev_x",)),
    )
    assert Relation.from_dict(legacy[1].to_dict()) == legacy[1]
