"""Property-based tests (hypothesis) of the loaders, meta-path strings and option values.

Whatever the input, a loader returns a :class:`~hetgat.data.GraphData` or raises
:class:`~hetgat.errors.DataFormatError` naming the file (with line and column where a cell is
at fault), never another exception; the CLI exits 0 or 2 with one ``Error:`` line. Valid files
written in any column order, with any unicode ids, load to exactly the data they hold.

The example counts keep the file at well under a minute on two cores; raise them locally with
``--hypothesis-seed`` / a bigger ``max_examples`` when hunting.
"""

from __future__ import annotations

import csv
import io
import pickle
import tempfile
from collections import defaultdict
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
import scipy.sparse as sp
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from hetgat.cli import main
from hetgat.data import GraphData, Schema
from hetgat.datasets.csv import load_csv_graph
from hetgat.datasets.metapaths import MetaPath, resolve_metapath
from hetgat.datasets.planetoid import PLANETOID_FILES, load_planetoid
from hetgat.errors import ConfigError, DataFormatError

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EDGES = "src,dst\na,b\nb,c\nc,d\n"
NODES = "id,label,f1\na,A,0.5\nb,B,1\nc,A,-2\nd,B,3e-3\n"


def outcome(load, files):
    """Run ``load``; return its GraphData or the DataFormatError, checking the error's form."""
    try:
        data = load()
    except DataFormatError as exc:
        names = {str(f) for f in files}
        assert exc.path in names, f"{exc.path} is not one of the files: {exc}"
        assert str(exc).startswith(exc.path)
        if exc.line is not None:
            text = Path(exc.path).read_bytes()
            assert 1 <= exc.line <= text.count(b"\n") + text.count(b"\r") + 1, exc
        return exc
    assert isinstance(data, GraphData)
    assert data.graph.num_nodes() == sum(len(v) for v in data.node_ids.values())
    return data


def load_pair(folder: Path, edges: bytes, nodes: bytes):
    e, n = folder / "e.csv", folder / "n.csv"
    e.write_bytes(edges)
    n.write_bytes(nodes)
    return outcome(lambda: load_csv_graph(e, [n]), [e, n])


# --- arbitrary bytes and damaged valid files ---------------------------------------------------


@FAST
@given(raw=st.binary(max_size=200), which=st.sampled_from(["edges", "nodes"]))
def test_csv_arbitrary_bytes(raw, which):
    with tempfile.TemporaryDirectory() as tmp:
        if which == "edges":
            load_pair(Path(tmp), raw, NODES.encode())
        else:
            load_pair(Path(tmp), EDGES.encode(), raw)


@FAST
@given(raw=st.binary(max_size=200), valid=st.booleans(), data=st.data())
def test_sparse_feature_file_bytes(raw, valid, data):
    with tempfile.TemporaryDirectory() as tmp:
        e, n, f = Path(tmp) / "e.csv", Path(tmp) / "n.csv", Path(tmp) / "f.npz"
        e.write_text(EDGES)
        n.write_text("id,label\na,A\nb,B\nc,A\nd,B\n")
        if valid:  # a real .npz, cut or with a byte changed
            sp.save_npz(f, sp.random(4, 3, density=0.5, format="csr", random_state=0))
            raw = bytearray(f.read_bytes())
            cut = data.draw(st.integers(0, len(raw)))
            at, value = data.draw(st.integers(0, len(raw) - 1)), data.draw(st.integers(0, 255))
            raw[at] = value
            raw = bytes(raw[:cut])
        f.write_bytes(raw)
        outcome(lambda: load_csv_graph(e, [n], features=[(None, f)]), [e, n, f])


CSV_TEXT = st.lists(
    st.sampled_from(list('ab,;\t"\n\r |#.-+e0189') + ["é", "\ufeff", "NA", "nan"]), max_size=40
).map("".join)


@FAST
@given(edges=CSV_TEXT, nodes=CSV_TEXT, header=st.booleans())
@example(edges='"\t', nodes="", header=False)  # an unclosed quote around a tab: no header at all
def test_csv_text_made_of_separators_quotes_and_numbers(edges, nodes, header):
    if header:
        edges, nodes = "src,dst\n" + edges, "id,label,f1\n" + nodes
    with tempfile.TemporaryDirectory() as tmp:
        load_pair(Path(tmp), edges.encode(), nodes.encode())


# --- valid generated datasets ------------------------------------------------------------------

ID_CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\0")
PLAIN_CHARS = st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"))


def node_ids(chars):
    return st.lists(
        st.text(chars, min_size=1, max_size=6).filter(lambda s: s.strip() != ""),
        min_size=4,
        max_size=10,
        unique=True,
    )


@st.composite
def datasets(draw, chars=ID_CHARS):
    """Columns and rows of a valid homogeneous edge file and node file, and the truth."""
    ids = draw(node_ids(chars))
    n = len(ids)
    classes = draw(st.sampled_from([["A", "B"], ["x y", "Ωμέγα", "3"], ["1", "2", "10"]]))
    labels = [classes[i % len(classes)] for i in range(n)]
    nodes = {"id": ids, "label": labels}
    if draw(st.booleans()):
        nodes["split"] = ["train", "train"] + draw(
            st.lists(st.sampled_from(["train", "val", "test", "", " Val "]), min_size=n - 2,
                     max_size=n - 2)
        )  # fmt: skip
    finite = st.floats(-1e6, 1e6, allow_nan=False, width=32)
    for k in range(draw(st.integers(0, 2))):
        nodes[f"f{k}"] = draw(st.lists(finite, min_size=n, max_size=n))
    pairs = draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids)), min_size=1,
                          max_size=12))  # fmt: skip
    edges = {"src": [s for s, _ in pairs], "dst": [d for _, d in pairs]}
    if draw(st.booleans()):
        edges["weight"] = ["1"] * len(pairs)  # ignored
    if draw(st.booleans()):
        edges["src_type"] = edges["dst_type"] = ["paper"] * len(pairs)
        edges["relation"] = ["cites"] * len(pairs)
    return nodes, edges


def write_csv(path: Path, columns: dict, order, terminator="\n", bom=False) -> list[int]:
    """Write ``columns`` in ``order``; return the editor line of every data row."""
    out = io.StringIO()
    # csv.writer quotes a field holding "\r" only when "\r" is in the line terminator; a bare
    # "\r" is a line break to readers (and editors), so quote everything then.
    bare_cr = any("\r" in str(v) for c in order for v in columns[c])
    quoting = csv.QUOTE_ALL if bare_cr else csv.QUOTE_MINIMAL
    writer = csv.writer(out, lineterminator=terminator, quoting=quoting)
    writer.writerow(order)
    lines, line = [], 1 + 1
    rows = list(zip(*(columns[c] for c in order), strict=True))
    for row in rows:
        before = out.tell()
        writer.writerow([repr(v) if isinstance(v, float) else v for v in row])
        lines.append(line)
        record = out.getvalue()[before:]
        line += record.count("\n") if "\n" in terminator else record.count("\r")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8"))
    return lines


def check_truth(data: GraphData, nodes: dict, edges: dict, node_cols: list) -> None:
    ntype = data.target_type
    ids = list(data.node_ids[ntype])
    assert ids == nodes["id"]
    names = [data.class_names[k] for k in data.labels.tolist()]
    assert names == nodes["label"]
    feats = [c for c in node_cols if c.startswith("f")]  # features in file column order
    if feats:
        expected = np.column_stack([np.float32(nodes[c]) for c in feats])
        assert np.array_equal(data.features[ntype].numpy(), expected)
    else:
        assert ntype not in data.features
    if "split" in nodes:
        split = [s.strip().lower() for s in nodes["split"]]
        assert data.train_mask.tolist() == [s == "train" for s in split]
        assert data.val_mask.tolist() == [s == "val" for s in split]
    src, dst = data.graph.edges()
    got = {(ids[s], ids[d]) for s, d in zip(src.tolist(), dst.tolist(), strict=True)}
    given_pairs = set(zip(edges["src"], edges["dst"], strict=True))
    expected = given_pairs | {(d, s) for s, d in given_pairs} | {(i, i) for i in ids}
    assert got == expected


@FAST
@given(
    dataset=datasets(),
    node_order=st.randoms(use_true_random=False),
    terminator=st.sampled_from(["\n", "\r\n"]),
    bom=st.booleans(),
)
def test_any_column_order_and_unicode_ids_load_exactly(dataset, node_order, terminator, bom):
    nodes, edges = dataset
    node_cols, edge_cols = list(nodes), list(edges)
    node_order.shuffle(node_cols)
    node_order.shuffle(edge_cols)
    with tempfile.TemporaryDirectory() as tmp:
        e, n = Path(tmp) / "e.csv", Path(tmp) / "n.csv"
        write_csv(e, edges, edge_cols, terminator, bom)
        write_csv(n, nodes, node_cols, terminator, bom)
        check_truth(load_csv_graph(e, [n]), nodes, edges, node_cols)


REQUIRED = {"id": "empty node id", "src": "empty node id", "dst": "empty node id"}


@FAST
@given(
    dataset=datasets(chars=PLAIN_CHARS),
    which=st.sampled_from(["nodes", "edges"]),
    data=st.data(),
)
def test_a_missing_cell_is_reported_at_its_line_and_column(dataset, which, data):
    nodes, edges = dataset
    table = nodes if which == "nodes" else edges
    column = data.draw(st.sampled_from(list(table)))
    row = data.draw(st.integers(0, len(table[column]) - 1))
    blank = data.draw(st.sampled_from(["", " ", "\t"]))
    table[column] = list(table[column])
    table[column][row] = blank
    with tempfile.TemporaryDirectory() as tmp:
        e, n = Path(tmp) / "e.csv", Path(tmp) / "n.csv"
        edge_lines = write_csv(e, edges, list(edges))
        node_lines = write_csv(n, nodes, list(nodes))
        got = outcome(lambda: load_csv_graph(e, [n]), [e, n])
    cell_required = column in REQUIRED or column in ("src_type", "dst_type", "relation")
    if column.startswith("f") and column in nodes:
        cell_required = True  # a feature value
    if cell_required:
        assert isinstance(got, DataFormatError), f"blank {column!r} loaded"
        path, lines = (n, node_lines) if which == "nodes" else (e, edge_lines)
        assert (got.path, got.column, got.line) == (str(path), column, lines[row]), got


@FAST
@given(dataset=datasets(), data=st.data())
def test_random_cuts_and_splices_of_valid_files(dataset, data):
    nodes, edges = dataset
    with tempfile.TemporaryDirectory() as tmp:
        e, n = Path(tmp) / "e.csv", Path(tmp) / "n.csv"
        write_csv(e, edges, list(edges))
        write_csv(n, nodes, list(nodes))
        path = data.draw(st.sampled_from([e, n]))
        raw = path.read_bytes()
        a = data.draw(st.integers(0, len(raw)))
        b = data.draw(st.integers(a, len(raw)))
        insert = data.draw(st.sampled_from([b"", b",", b"\n", b'"', b"\xc3", b"\r", b"x,y"]))
        path.write_bytes(raw[:a] + insert + raw[b:])
        outcome(lambda: load_csv_graph(e, [n]), [e, n])


# --- Planetoid pickles ----------------------------------------------------------------------

TINY = {
    "x": sp.csr_matrix(np.array([[1, 0, 1], [0, 1, 0]], dtype=np.float32)),
    "tx": sp.csr_matrix(np.array([[0, 0, 1], [1, 1, 0]], dtype=np.float32)),
    "allx": sp.csr_matrix(np.array([[1, 0, 1], [0, 1, 0], [1, 1, 1]], dtype=np.float32)),
    "y": np.array([[1, 0], [0, 1]], dtype=np.int32),
    "ty": np.array([[0, 1], [1, 0]], dtype=np.int32),
    "ally": np.array([[1, 0], [0, 1], [1, 0]], dtype=np.int32),
    "graph": defaultdict(list, {0: [1, 2], 1: [0], 3: [4], 4: [2]}),
}


def write_planetoid(folder: Path, replace: dict | None = None) -> None:
    contents = {s: pickle.dumps(o, protocol=2) for s, o in TINY.items()}
    contents["test.index"] = b"4\n3\n"
    contents.update(replace or {})
    for suffix, raw in contents.items():
        (folder / f"ind.cora.{suffix}").write_bytes(raw)


def planetoid_outcome(folder: Path):
    files = [folder / f"ind.cora.{s}" for s in PLANETOID_FILES]
    return outcome(lambda: load_planetoid("cora", folder), files)


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("HETGAT_OFFLINE", "1")


def test_tiny_planetoid_loads():
    with tempfile.TemporaryDirectory() as tmp:
        write_planetoid(Path(tmp))
        data = planetoid_outcome(Path(tmp))
    assert isinstance(data, GraphData) and data.graph.num_nodes() == 5


@FAST
@given(suffix=st.sampled_from(PLANETOID_FILES), raw=st.binary(max_size=120))
def test_planetoid_arbitrary_bytes(suffix, raw):
    with tempfile.TemporaryDirectory() as tmp:
        write_planetoid(Path(tmp), {suffix: raw})
        got = planetoid_outcome(Path(tmp))
    if isinstance(got, DataFormatError) and suffix != "test.index":
        # The replaced file is at fault, or a size check names the file it disagrees with.
        assert got.path.endswith(f"ind.cora.{suffix}") or f"ind.cora.{suffix}" in str(got), got


@FAST
@given(suffix=st.sampled_from(PLANETOID_FILES), data=st.data())
def test_planetoid_cut_and_flipped_bytes(suffix, data):
    raw = bytearray(pickle.dumps(TINY[suffix], protocol=2) if suffix in TINY else b"4\n3\n")
    cut = data.draw(st.integers(0, len(raw)))
    flips = data.draw(st.lists(st.tuples(st.integers(0, 255), st.integers(0, 255)), max_size=3))
    for position, value in flips:
        if raw:
            raw[position % len(raw)] = value
    with tempfile.TemporaryDirectory() as tmp:
        write_planetoid(Path(tmp), {suffix: bytes(raw[: cut or None])})
        planetoid_outcome(Path(tmp))


BIG = st.one_of(st.integers(-5, 8), st.integers(min_value=-(2**70), max_value=2**70))


@FAST
@given(
    graph=st.dictionaries(BIG, st.lists(BIG, max_size=4), max_size=6),
    test_index=st.lists(st.one_of(BIG.map(str), st.text(max_size=5)), max_size=3),
)
def test_planetoid_odd_values_in_well_formed_pickles(graph, test_index):
    replace = {
        "graph": pickle.dumps(defaultdict(list, graph), protocol=2),
        "test.index": "\n".join(test_index).encode("utf-8", "surrogatepass"),
    }
    with tempfile.TemporaryDirectory() as tmp:
        write_planetoid(Path(tmp), replace)
        planetoid_outcome(Path(tmp))


# --- meta-path strings ------------------------------------------------------------------------

SCHEMA = Schema(
    node_types=("paper", "author", "subject"),
    in_feats={"paper": 3, "author": 0, "subject": 0},
    num_nodes={"paper": 4, "author": 3, "subject": 2},
    canonical_etypes=(
        ("author", "writes", "paper"),
        ("paper", "rev_writes", "author"),
        ("paper", "about", "subject"),
        ("subject", "rev_about", "paper"),
        ("paper", "cites", "paper"),
        ("paper", "cited-by", "paper"),
    ),
    target_type="paper",
    class_names=("a", "b"),
)
WORDS = ["paper", "author", "subject", "writes", "rev_writes", "about", "rev_about", "cites",
         "cited-by", "-", ",", " ", "", "pap", "PAPER", "é", "\n"]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=4)), max_size=8))
def test_metapath_strings(parts):
    text = "".join(parts)
    try:
        path = resolve_metapath(text, SCHEMA)
    except ConfigError as exc:
        assert exc.name == "metapaths" and exc.value == text.strip()
        return
    assert isinstance(path, MetaPath) and path.etypes
    assert path.etypes[0][0] == "paper" and path.etypes[-1][2] == "paper"
    for (_, _, a), (b, _, _) in zip(path.etypes[:-1], path.etypes[1:], strict=True):
        assert a == b
    assert resolve_metapath(path.spec(), SCHEMA) == path


# --- option values through the CLI ------------------------------------------------------------

VALUES = st.one_of(
    st.text(max_size=10),
    st.sampled_from(
        [
            "nan",
            "inf",
            "-inf",
            "-0",
            "1e999",
            "0x10",
            "１２",
            "1,2",
            "0.5,0.5,0",
            "0.6,0.2,0.2",
            "1,0,0",
            "0,1,0",
            "paper-author-paper",
            "writes,rev_writes",
            "3",
            "0",
            "-1",
            "1e-3",
            "",
        ]
    ),  # fmt: skip
    st.floats().map(repr),
    st.integers(-(10**20), 10**20).map(str),
)
GRAPH_OPTIONS = ["--split-ratio", "--split-seed", "--target", "--nodes", "--features"]
MODEL_OPTIONS = ["--lr", "--heads", "--hidden", "--dropout", "--slope", "--weight-decay",
                 "--epochs", "--patience", "--metapath", "--layers", "--beta", "--embed-dim",
                 "--metapath-length", "--out-heads", "--seed", "--early-stopping"]  # fmt: skip


@pytest.fixture(scope="module")
def graphs(tmp_path_factory):
    """GRAPH arguments of a tiny homogeneous and a tiny heterogeneous CSV graph."""
    root = tmp_path_factory.mktemp("fuzz")
    (root / "homo.csv").write_text(EDGES)
    (root / "homo_nodes.csv").write_text(NODES)
    (root / "e.csv").write_text(
        "src,src_type,relation,dst,dst_type\n"
        + "".join(f"a{i % 3},author,writes,p{i},paper\n" for i in range(8))
        + "p0,paper,cites,p1,paper\np2,paper,cites,p3,paper\n"
    )
    (root / "p.csv").write_text(
        "id,label,f1\n" + "".join(f"p{i},{'AB'[i % 2]},{i}\n" for i in range(8))
    )
    return {
        "homo": [str(root / "homo.csv"), "--nodes", str(root / "homo_nodes.csv")],
        "hetero": [str(root / "e.csv"), "--nodes", f"paper={root / 'p.csv'}"],
    }


def check_cli(args) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code in (0, 2), (args, result.output, result.exception)
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        errors = [x for x in result.stderr.splitlines() if x.startswith("Error:")]
        assert len(errors) == 1 and result.stderr.strip().splitlines()[-1] == errors[0], (
            args,
            result.stderr,
        )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(["homo", "hetero"]), option=st.sampled_from(GRAPH_OPTIONS), value=VALUES
)
def test_graph_option_values(graphs, kind, option, value):
    check_cli(["inspect", *graphs[kind], option, value])


def _build_only(data, models, training, **kwargs):
    """``fit_runs`` without the training: the options reach the seeding and the model
    constructors."""
    import torch

    from hetgat.models import build_model
    from hetgat.train import seed_everything

    seed_everything(training.seed)
    with torch.device("meta"):  # no memory: a huge --hidden must not fill this machine's RAM
        build_model(models, data.schema())
    return "built"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    model=st.sampled_from(["gat", "gatv2", "han", "rgat", "simplehgn"]),
    option=st.sampled_from(MODEL_OPTIONS),
    value=VALUES,
)
def test_model_and_training_option_values(graphs, model, option, value):
    if option == "--layers":  # a billion layers are valid, but take as long to build as asked
        try:
            assume(int(value) <= 64)
        except ValueError:
            pass
    graph = graphs["homo" if model.startswith("gat") else "hetero"]
    with mock.patch("hetgat.runs.fit.fit_runs", _build_only):
        check_cli(["fit", *graph, "--model", model, option, value, "-q"])


# --- plain regression tests of what the properties found --------------------------------------


def test_error_with_line_breaks_in_a_file_name_stays_one_line(graphs):
    result = CliRunner().invoke(main, ["inspect", *graphs["homo"], "--nodes", "bad\rname\nx"])
    assert result.exit_code == 2
    assert result.stderr == "Error: bad\\rname\\nx: no such file\n"


def test_model_too_large_for_memory_is_an_error_line(graphs, tmp_path):
    args = ["--hidden", "2147483647", "--heads", "2147483647", "--out", tmp_path / "run", "-q"]
    result = CliRunner().invoke(main, ["fit", *graphs["homo"], *map(str, args)])
    assert result.exit_code == 2, result.output
    last = result.stderr.splitlines(keepends=True)[-1]  # after the note on the empty test split
    assert last.startswith(
        "Error: not enough memory for this model and graph (Storage size calculation overflowed"
    )
    assert last.endswith("; try smaller --hidden, --heads, --layers or --embed-dim\n")
    assert not (tmp_path / "run").exists() and not (tmp_path / "run.partial").exists()


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--heads", "2147483648", "2147483648 is not in the range 1<=x<=2147483647."),
        ("--seed", "4294967296", "4294967296 is not in the range 0<=x<=4294967295."),
    ],
)
def test_counts_sizes_and_seeds_have_an_upper_bound(graphs, option, value, message):
    result = CliRunner().invoke(main, ["fit", *graphs["homo"], option, value])
    assert result.exit_code == 2
    assert result.stderr == f"Error: Invalid value for '{option}': {message}\n"
