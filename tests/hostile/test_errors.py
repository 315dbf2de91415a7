"""§2 of the hostile-user issue: one ``Error:`` line, exit 2, for every bad input, file or
environment; no traceback, no half-written output, no misleading message."""

import errno
import gzip
import json
import os
import signal
import time
from pathlib import Path

import pytest

from tests.hostile.conftest import (
    FAST,
    assert_one_error,
    checksums,
    graph_args,
    hetgat_process,
    invoke,
)


@pytest.fixture
def run_dir(tmp_path, graph_dir):
    out = tmp_path / "run"
    result = invoke("fit", *graph_args(graph_dir), "--out", out, *FAST)
    assert result.exit_code == 0, result.output
    return out


TAMPER = {
    "config.json": [
        b"",
        b'{"model": {"name": "gat"',  # truncated
        b"[" * 100_000,  # RecursionError in json
        b'{"source": {"spec": "x"}, "model": {"name": "gcn"}, "train": {}, "schema": {}}',
        b'{"source": 3, "model": {}, "train": {}, "schema": {}}',
        b"\xff\xfe not utf-8",
    ],
    "metrics.json": [b"{", b"[" * 100_000, b"[1, 2]"],
    "node_ids.csv": [b"garbage\n\x00\x01", b"type,index,id\nnode,0,a\n"],
    "model.pt": [b"", b"PK\x03\x04 not a model"],
}


@pytest.mark.parametrize(
    "name,content", [(n, c) for n, cs in TAMPER.items() for c in cs], ids=lambda v: str(v)[:20]
)
@pytest.mark.parametrize("command", ["predict", "explain"])
def test_tampered_run_folder_files(tmp_path, run_dir, name, content, command):
    (run_dir / name).write_bytes(content)
    args = [run_dir, "-o", tmp_path / "p.csv"] if command == "predict" else [run_dir, "a"]
    result = invoke(command, *args)
    line = assert_one_error(result)
    assert len(line) < 600
    assert not (tmp_path / "p.csv").exists()


@pytest.mark.parametrize(
    "schema",
    [
        {"node_types": ["node"], "in_feats": {"node": -1}, "num_nodes": {"node": 6}},
        {"node_types": [], "in_feats": {}, "num_nodes": {}},
        {"node_types": ["node"], "in_feats": {"node": 2}, "num_nodes": {"nope": 6}},
        {"target_type": "elsewhere"},
    ],
)
def test_tampered_schema_values(run_dir, schema):
    config = json.loads((run_dir / "config.json").read_text())
    config["schema"].update(schema)
    (run_dir / "config.json").write_text(json.dumps(config))
    assert_one_error(invoke("predict", run_dir))


@pytest.mark.parametrize("job", [b"[" * 100_000, b"{}", b'{"source": {"spec": 1}}', b"\x00"])
def test_crafted_partial_folder_for_resume(tmp_path, job):
    partial = tmp_path / "x.partial"
    partial.mkdir()
    (partial / "job.json").write_bytes(job)
    before = checksums(tmp_path)
    result = invoke("fit", "--resume", tmp_path / "x")
    assert_one_error(result)
    assert checksums(tmp_path) == before


def test_disk_full_while_writing_leaves_nothing(tmp_path, run_dir, monkeypatch):
    import hetgat.outputs.atomic as atomic

    def full(*args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(args[1]))

    monkeypatch.setattr(atomic.os, "replace", full)
    out = tmp_path / "pred.csv"
    result = invoke("predict", run_dir, "-o", out)
    assert_one_error(result, contains="No space left on device")
    assert not out.exists() and not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]


def test_unwritable_output_folder(tmp_path, graph_dir, monkeypatch):
    real_mkdir = Path.mkdir

    def read_only(self, *args, **kwargs):
        if self.name.endswith(".partial"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only)
    result = invoke("fit", *graph_args(graph_dir), "--out", tmp_path / "out", *FAST)
    assert_one_error(result, contains="Permission denied")
    assert not (tmp_path / "out").exists()


def test_device_files_and_dangling_links_are_not_outputs(tmp_path, run_dir):
    # A FIFO stands for any device (never /dev/full itself: as root, a rename would replace it).
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    result = invoke("predict", run_dir, "-o", fifo, "--overwrite")
    assert_one_error(result, contains="not a regular file")
    assert fifo.is_fifo()
    link = tmp_path / "link.csv"
    link.symlink_to(tmp_path / "missing" / "x.csv")
    assert_one_error(invoke("predict", run_dir, "-o", link), contains="link to a missing file")


def test_huge_thread_counts_are_refused(graph_dir):
    result = invoke("fit", *graph_args(graph_dir), "--threads", 2147483647, *FAST)
    assert_one_error(result, contains="--threads")


def test_a_header_of_100000_columns_is_read_in_linear_time(tmp_path):
    names = [f"f{i}" for i in range(100_000)] + ["f5"]  # repeated at the very end
    nodes = tmp_path / "n.csv"
    nodes.write_text("id,label," + ",".join(names) + "\n" + "a,p" + ",0" * len(names) + "\n")
    (tmp_path / "e.csv").write_text("src,dst\na,b\n")
    result = invoke("inspect", tmp_path / "e.csv", "--nodes", nodes)
    assert_one_error(result, contains="column name repeated in the header")


def test_devices_and_gzip_bombs_are_named_not_out_of_memory(tmp_path):
    assert_one_error(invoke("inspect", "/dev/zero"), contains="not a regular file")
    bomb = tmp_path / "bomb.csv.gz"
    bomb.write_bytes(gzip.compress(b"src,dst\n" + b"a" * (300 << 20)))
    line = assert_one_error(invoke("inspect", bomb), contains="expands past")
    assert "memory" not in line


def test_a_huge_value_is_not_echoed_in_full(tmp_path):
    nodes = tmp_path / "n.csv"
    huge = "x" * 5_000_000
    nodes.write_text(f"id,label,score\na,p,1\nb,q,{huge}\n")
    (tmp_path / "e.csv").write_text("src,dst\na,a\n")
    line = assert_one_error(invoke("inspect", tmp_path / "e.csv", "--nodes", nodes))
    assert len(line) < 1000 and "characters)" in line


def test_a_tampered_planetoid_source_never_downloads(tmp_path, run_dir, monkeypatch):
    import hetgat.datasets.planetoid as planetoid

    monkeypatch.delenv("HETGAT_OFFLINE", raising=False)
    monkeypatch.setattr(planetoid, "_download", lambda *a: pytest.fail("tried to download"))
    config = json.loads((run_dir / "config.json").read_text())
    config["source"] = {"spec": "planetoid:cora", "data_dir": str(tmp_path / "empty")}
    (run_dir / "config.json").write_text(json.dumps(config))
    assert_one_error(invoke("predict", run_dir), contains="not downloaded for a saved run")


def test_han_relation_names_with_a_comma(tmp_path):
    (tmp_path / "e.csv").write_text(
        "src,dst,relation,src_type,dst_type\n"
        'a,p,"wrote, reviewed",author,paper\nb,p,"wrote, reviewed",author,paper\n'
        'b,q,"wrote, reviewed",author,paper\n'
    )
    (tmp_path / "p.csv").write_text("id,label,split,f\np,x,train,1\nq,y,val,0\n")
    args = [tmp_path / "e.csv", "--nodes", f"paper={tmp_path / 'p.csv'}", "--model", "han"]
    result = invoke("fit", *args, "--out", tmp_path / "run", *FAST)
    assert result.exit_code == 0, result.output
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["model"]["metapaths"] == ["paper-author-paper"]
    assert invoke("predict", tmp_path / "run").exit_code == 0


def test_no_torch_load_warning_reaches_the_user(run_dir):
    result = invoke("predict", run_dir)
    assert result.exit_code == 0 and "weights_only" not in result.stderr


@pytest.mark.parametrize("delay", [0.05, 0.4, 1.5])
def test_ctrl_c_at_any_early_moment_is_one_line(graph_dir, tmp_path, delay):
    proc = hetgat_process(
        "fit", *graph_args(graph_dir), "--out", tmp_path / "run", *FAST, console=True
    )
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)
    err = proc.stderr.read()
    if proc.returncode == 0:  # finished before the signal
        return
    if "init_import_site" in err:  # on a loaded machine: Python was still starting, before
        return  # any of hetgat's code ran (Python's own startup, not hetgat's to handle)
    if "KeyboardInterrupt" in err and f"{os.sep}hetgat{os.sep}" not in err:
        return  # in the import machinery of the launcher's own line, before any hetgat frame
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert [line for line in err.splitlines() if line.strip()][-1] == "Interrupted."
    assert not (tmp_path / "run").exists()
