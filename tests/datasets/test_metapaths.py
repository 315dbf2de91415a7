"""Meta-paths on the schema as the relations were read (issue 26): each distinct meta-path once,
same-type paths (cite,ref) found, specs of the same relations one meta-path with both names."""

from hetgat.data import Schema
from hetgat.datasets.metapath_graphs import metapath_edges, select_metapaths
from hetgat.datasets.metapaths import find_metapaths, resolve_metapaths
from tests.datasets.test_relations import ABOUT, CITE, WRITTEN_BY, load_edge_file

# An export in both directions, as HGB's link.dat: each edge set twice.
BOTH_WAYS = [
    ("paper", "cite", "paper", CITE),
    ("paper", "ref", "paper", [(b, a) for a, b in CITE]),
    ("paper", "written_by", "author", WRITTEN_BY),
    ("author", "writes", "paper", [(b, a) for a, b in WRITTEN_BY]),
    ("paper", "about", "subject", ABOUT),
    ("subject", "has", "paper", [(b, a) for a, b in ABOUT]),
]


def names(paths) -> list:
    return [(p.name, [e[1] for e in p.etypes]) for p in paths]


def test_both_directions_give_each_metapath_once(tmp_path):
    data = load_edge_file(tmp_path, BOTH_WAYS)
    assert len(data.graph.canonical_etypes) == 6  # no reverse added: every one is given
    found = find_metapaths(data.schema())
    assert names(found) == [
        ("paper-subject-paper", ["about", "has"]),
        ("cite,ref", ["cite", "ref"]),  # papers citing a common paper
        ("ref,cite", ["ref", "cite"]),  # papers cited by a common paper
        ("paper-author-paper", ["written_by", "writes"]),
    ]
    graphs = {p.name: metapath_edges(data.graph, p) for p in found}
    pairs = {k: set(zip(s.tolist(), d.tolist())) for k, (s, d) in graphs.items()}
    assert pairs["cite,ref"] != pairs["ref,cite"]  # distinct graphs: both offered
    # As given, every relation its own edge type with a reverse: the same graphs twice.
    kept = load_edge_file(tmp_path, BOTH_WAYS, keep_relations=True)
    assert len(find_metapaths(kept.schema())) == 8


def test_near_inverse_and_duplicates_in_metapaths(tmp_path):
    data = load_edge_file(tmp_path)
    found = find_metapaths(data.schema())
    # about and its near-inverse has: two distinct paper-subject-paper graphs, named by relations
    assert names(found) == [
        ("about,rev_about", ["about", "rev_about"]),
        ("cite,ref", ["cite", "ref"]),
        ("ref,cite", ["ref", "cite"]),
        ("rev_has,has", ["rev_has", "has"]),
        ("paper-author-paper", ["written_by", "writes"]),
    ]
    assert all(p.aliases == () for p in found)


def test_specs_of_the_same_relations_are_one_metapath(tmp_path):
    data = load_edge_file(tmp_path)
    notes = []
    specs = ["paper-author-paper", "written_by,writes", "topic_of,rev_about", "about,rev_about"]
    paths = resolve_metapaths(specs, data.schema(), notes.append)
    assert names(paths) == [
        ("paper-author-paper", ["written_by", "writes"]),
        ("paper-subject-paper", ["about", "rev_about"]),
    ]
    assert paths[0].aliases == ("written_by,writes",)
    assert paths[1].aliases == ("topic_of,rev_about", "about,rev_about")
    assert notes == [
        "meta-paths paper-author-paper and written_by,writes are the same relations: "
        "one graph, used once",
        "meta-paths topic_of,rev_about and about,rev_about are the same relations: "
        "one graph, used once",
    ]
    # The size guard still applies to the found ones.
    kept = select_metapaths(data.graph, data.schema(), max_edges=8, log=notes.append)
    assert all(len(metapath_edges(data.graph, p)[0]) <= 8 for p in kept)


def test_graphs_without_a_record_keep_the_endpoint_rule():
    """HGB's graphs (no relations record): one relation each way between two types is a pair;
    two same-type relations are not paired (HGB's protocol, unchanged)."""
    schema = Schema(
        node_types=("paper", "author"),
        in_feats={"paper": 1, "author": 1},
        num_nodes={"paper": 2, "author": 2},
        canonical_etypes=(
            ("paper", "paper-author", "author"),
            ("author", "author-paper", "paper"),
            ("paper", "paper-cite-paper", "paper"),
            ("paper", "paper-ref-paper", "paper"),
        ),
        target_type="paper",
        class_names=("a", "b"),
    )
    assert names(find_metapaths(schema)) == [
        ("paper-author-paper", ["paper-author", "author-paper"]),
    ]
