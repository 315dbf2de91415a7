"""§1 of the hostile-user issue: nothing lost, nothing overwritten, one writer at a time."""

import os
import signal
import time
from pathlib import Path

import pytest

from hetgat.outputs import atomic_path
from tests.hostile.conftest import (
    FAST,
    assert_one_error,
    checksums,
    graph_args,
    hetgat_process,
    invoke,
)


@pytest.fixture
def finished_run(tmp_path, graph_dir):
    out = tmp_path / "runs" / "first"
    result = invoke("fit", *graph_args(graph_dir), "--out", out, *FAST)
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize("where", ["parent", "inputs", "above-inputs"])
def test_overwrite_never_replaces_a_folder_holding_the_inputs(tmp_path, graph_dir, where):
    work = graph_dir / "work"  # the user works inside the data folder
    work.mkdir()
    out = {"parent": "..", "inputs": str(graph_dir), "above-inputs": str(tmp_path)}[where]
    before = checksums(tmp_path)
    result = invoke("fit", *graph_args(graph_dir), "--out", out, "--overwrite", *FAST, cwd=work)
    assert_one_error(result)
    assert checksums(tmp_path) == before


def test_partition_overwrite_never_replaces_the_inputs_folder(tmp_path, graph_dir):
    before = checksums(tmp_path)
    result = invoke("partition", *graph_args(graph_dir), "--parts", 2, graph_dir, "--overwrite")
    assert_one_error(result)
    assert checksums(tmp_path) == before


def test_overwrite_replaces_a_run_folder_but_not_a_file_of_the_users_in_it(
    tmp_path, graph_dir, finished_run
):
    result = invoke("fit", *graph_args(graph_dir), "--out", finished_run, "--overwrite", *FAST)
    assert result.exit_code == 0, result.output
    (finished_run / "notes.txt").write_text("my notes")
    before = checksums(tmp_path)
    result = invoke("fit", *graph_args(graph_dir), "--out", finished_run, "--overwrite", *FAST)
    assert_one_error(result, contains="notes.txt, which hetgat did not write")
    assert checksums(tmp_path) == before


def test_overwrite_refuses_a_folder_hetgat_did_not_write(tmp_path, graph_dir):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("chapter 1")
    before = checksums(tmp_path)
    result = invoke("fit", *graph_args(graph_dir), "--out", mine, "--overwrite", *FAST)
    assert_one_error(result, contains="is not a folder hetgat wrote")
    assert checksums(tmp_path) == before


@pytest.mark.parametrize("out", [".", "", "/"])
def test_out_that_cannot_be_a_run_folder(tmp_path, graph_dir, out):
    before = checksums(tmp_path)
    result = invoke("fit", *graph_args(graph_dir), "--out", out, *FAST, cwd=graph_dir)
    assert_one_error(result)
    assert checksums(tmp_path) == before


def test_a_finished_run_at_out_partial_is_kept(tmp_path, graph_dir, finished_run):
    # The user once ran with --out first.partial ... and now with --out first.
    os.rename(finished_run, finished_run.with_name("x.partial"))
    before = checksums(tmp_path)
    result = invoke("fit", *graph_args(graph_dir), "--out", finished_run.with_name("x"), *FAST)
    assert_one_error(result, contains="is a finished folder")
    result = invoke(
        "fit", *graph_args(graph_dir), "--out", finished_run.with_name("x"), "--overwrite", *FAST
    )
    assert_one_error(result, contains="is a finished folder")
    assert checksums(tmp_path) == before


def test_a_users_folder_at_out_partial_is_kept(tmp_path, graph_dir):
    (tmp_path / "x.partial").mkdir()
    (tmp_path / "x.partial" / "data.bin").write_bytes(b"\x00\x01")
    before = checksums(tmp_path)
    for extra in ([], ["--overwrite"]):
        result = invoke("fit", *graph_args(graph_dir), "--out", tmp_path / "x", *extra, *FAST)
        assert_one_error(result, contains="was not made by hetgat")
    assert checksums(tmp_path) == before


def test_a_stale_partial_of_a_killed_run_is_replaced(tmp_path, graph_dir):
    partial = tmp_path / "x.partial"
    partial.mkdir()
    (partial / "job.json").write_text("{}")
    (partial / ".hetgat-partial").write_text('{"kind": "run"}')
    result = invoke("fit", *graph_args(graph_dir), "--out", tmp_path / "x", *FAST)
    assert result.exit_code == 0, result.output
    assert not partial.exists() and (tmp_path / "x" / "config.json").is_file()


@pytest.mark.parametrize("command", ["predict", "attention"])
def test_output_files_are_not_silently_replaced(tmp_path, graph_dir, finished_run, command):
    target = tmp_path / "table.csv"
    target.write_text("precious")
    before = checksums(tmp_path)
    result = invoke(command, finished_run, "-o", target)
    assert_one_error(result, contains="already exists; pass --overwrite")
    assert checksums(tmp_path) == before
    for protected in (finished_run / "config.json", finished_run / "model.pt"):
        result = invoke(command, finished_run, "-o", protected, "--overwrite")
        assert_one_error(result, contains="is a file of the run or an input")
    result = invoke(command, finished_run, "-o", graph_dir / "nodes.csv", "--overwrite")
    assert_one_error(result, contains="is a file of the run or an input")
    assert checksums(tmp_path) == before
    result = invoke(command, finished_run, "-o", target, "--overwrite")
    assert result.exit_code == 0, result.output
    assert target.read_text() != "precious"


def test_output_naming_a_folder(tmp_path, finished_run):
    result = invoke("predict", finished_run, "-o", tmp_path)
    assert_one_error(result, contains="is a folder")


def test_report_out_is_not_silently_replaced(tmp_path, finished_run):
    pytest.importorskip("matplotlib")
    pytest.importorskip("sklearn")
    page = tmp_path / "page.html"
    page.write_text("mine")
    args = ["--embedding", "pca", "-q"]
    result = invoke("report", finished_run, "--out", page, *args)
    assert_one_error(result, contains="already exists; pass --overwrite")
    assert page.read_text() == "mine"
    result = invoke("report", finished_run, "--out", finished_run / "metrics.json", *args)
    assert_one_error(result, contains="is a file of the run or an input")
    # The run's own report is hetgat's to replace.
    for _ in range(2):
        assert invoke("report", finished_run, *args).exit_code == 0


def test_a_second_writer_of_the_same_folder_is_refused(tmp_path, graph_dir):
    out = tmp_path / "shared"
    holder = hetgat_process_holding_lock(out)
    try:
        before = checksums(tmp_path)
        result = invoke("fit", *graph_args(graph_dir), "--out", out, *FAST)
        line = assert_one_error(result, contains="is being written by another hetgat process")
        assert f"pid {holder.pid}" in line
        assert checksums(tmp_path) == before
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    # A killed holder's lock does not block the next run.
    result = invoke("fit", *graph_args(graph_dir), "--out", out, *FAST)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "shared"]


def hetgat_process_holding_lock(out: Path):
    """A process that holds the lock on building ``out`` (as a running ``hetgat fit`` does)."""
    import subprocess
    import sys

    code = (
        "import sys, time; from pathlib import Path; from hetgat.outputs import folder_lock\n"
        "with folder_lock(Path(sys.argv[1])):\n    print('locked', flush=True); time.sleep(60)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(out)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_two_real_fits_into_one_folder(tmp_path, graph_dir):
    """Two ``hetgat fit`` processes at once: one writes the run, the other refuses cleanly."""
    out = tmp_path / "run"
    args = ["fit", *graph_args(graph_dir), "--out", out, *FAST]
    procs = [hetgat_process(*args) for _ in range(2)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes in ([0, 0], [0, 2]), results  # both may finish if they do not overlap
    for code, err in results:
        if code == 2:
            assert err.strip().splitlines()[-1].startswith("Error: "), err
            assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "run"]
    assert (out / "config.json").is_file()


def test_stale_temporaries_of_killed_writers_are_removed(tmp_path):
    target = tmp_path / "attention.csv"
    dead = _dead_pid()
    stale = tmp_path / f".attention.csv.tmp-{dead}"
    stale.write_text("half a table")
    live = tmp_path / f".attention.csv.tmp-{os.getppid()}"  # a live process: kept
    live.write_text("being written")
    with atomic_path(target) as tmp:
        tmp.write_text("whole")
    assert target.read_text() == "whole"
    assert not stale.exists() and live.exists()


def test_sigkill_during_attention_export_leaves_no_partial_file(tmp_path, finished_run):
    out = tmp_path / "all.csv"
    proc = hetgat_process("attention", finished_run, "-o", out)
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        if any(p.name.startswith(".all.csv.tmp-") for p in tmp_path.iterdir()):
            break
        time.sleep(0.005)
    proc.kill()
    proc.wait()
    # Either it finished (a complete file) or it left no file under the final name.
    if out.exists():
        assert out.read_text().startswith("layer,")
    result = invoke("attention", finished_run, "-o", out, "--overwrite")
    assert result.exit_code == 0, result.output
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]


def _dead_pid() -> int:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid
