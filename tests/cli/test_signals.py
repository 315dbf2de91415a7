"""Interrupted ``hetgat fit``: never a folder that looks finished; SIGTERM/Ctrl-C keep a
checkpoint that ``--resume`` turns into exactly the uninterrupted run."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hetgat.outputs import staged_dir

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "planetoid"
RUN_FILES = {
    "attention.csv",
    "config.json",
    "history.csv",
    "metrics.json",
    "model.pt",
    "node_ids.csv",
    "predictions.csv",
    "tables.json",
    "timing.json",
}
#: Files a run with the same seed reproduces byte for byte.
SAME_BYTES = ("metrics.json", "predictions.csv", "attention.csv")


def fit_command(out, *extra):
    return [
        sys.executable,
        "-m",
        "hetgat.cli",
        "fit",
        "planetoid:cora",
        "--data-dir",
        str(EXAMPLE),
        "--out",
        str(out),
        "-q",
        *extra,
    ]


def wait_for(path: Path, proc, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.05)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_keeps_a_checkpoint_and_resume_equals_uninterrupted(tmp_path, signum):
    settings = ["--epochs", "120", "--patience", "20", "--checkpoint-every", "10"]
    out = tmp_path / "run"
    proc = subprocess.Popen(fit_command(out, *settings), stderr=subprocess.PIPE)
    wait_for(tmp_path / "run.partial" / "checkpoint.pt", proc)
    proc.send_signal(signum)
    assert proc.wait(timeout=120) == 128 + signum
    message = proc.stderr.read().decode().strip()
    assert message.startswith("Stopped after epoch ")
    assert message.endswith(f"Continue with: hetgat fit --resume {out}")
    assert not out.exists()
    assert (tmp_path / "run.partial" / "checkpoint.pt").is_file()

    # A new run into the same folder would lose the checkpoint: refused.
    again = subprocess.run(fit_command(out, *settings), capture_output=True, text=True)
    assert again.returncode == 2
    assert again.stderr.strip() == (
        f"Error: {tmp_path / 'run.partial'} holds an interrupted run: continue it with "
        f"--resume {out}, or pass --overwrite to start again"
    )

    resumed = subprocess.run(
        [sys.executable, "-m", "hetgat.cli", "fit", "--resume", str(out), "-q"],
        capture_output=True,
        text=True,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert {p.name for p in out.iterdir()} == RUN_FILES
    assert not (tmp_path / "run.partial").exists()

    whole = tmp_path / "whole"
    subprocess.run(fit_command(whole, *settings), check=True)
    for name in SAME_BYTES:
        assert (out / name).read_bytes() == (whole / name).read_bytes(), name


def test_sigkill_at_any_moment_leaves_no_finished_looking_folder(tmp_path):
    """Killed while importing, loading, training, writing or after: ``out`` is absent or
    complete (a ``.partial`` folder may stay; the next run replaces it)."""
    delays = [0.5, 2.5, 4.5, 7.0]
    procs = []
    for i, delay in enumerate(delays):
        out = tmp_path / f"run{i}"
        args = fit_command(out, "--epochs", "60", "--patience", "0", "--checkpoint-every", "7")
        procs.append((delay, out, subprocess.Popen(args, stderr=subprocess.DEVNULL)))
    start = time.monotonic()
    for delay, _, proc in procs:
        time.sleep(max(0.0, start + delay - time.monotonic()))
        proc.kill()
    for delay, out, proc in procs:
        proc.wait(timeout=60)
        if out.exists():
            assert {p.name for p in out.iterdir()} == RUN_FILES, delay
            json.loads((out / "metrics.json").read_text())
        partial = out.with_name(out.name + ".partial")
        if partial.exists():  # whatever stayed is resumable or replaced by a new run
            assert not out.exists()


@pytest.mark.parametrize("exc", [SystemExit(143), KeyboardInterrupt(), RuntimeError("x")])
def test_interrupted_writing_removes_the_partial_folder(tmp_path, exc):
    out = tmp_path / "run"
    with pytest.raises(type(exc)), staged_dir(out) as tmp:
        (tmp / "model.pt").write_text("half")
        raise exc
    assert list(tmp_path.iterdir()) == []


def test_a_partial_folder_with_a_checkpoint_is_kept(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt), staged_dir(out) as tmp:
        (tmp / "checkpoint.pt").write_text("state")
        raise KeyboardInterrupt
    assert [p.name for p in tmp_path.iterdir()] == ["run.partial"]
    with staged_dir(out, resume=True) as tmp:
        (tmp / "model.pt").write_text("done")
    assert sorted(p.name for p in out.iterdir()) == ["model.pt"]  # checkpoint removed


def test_completed_folder_replaces_nothing_unasked(tmp_path):
    out = tmp_path / "run"
    with staged_dir(out) as tmp:
        (tmp / "a.txt").write_text("1")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    assert (out / "a.txt").read_text() == "1"
