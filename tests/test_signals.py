"""A terminated ``hetgat fit`` leaves no run folder behind, complete-looking or partial."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hetgat.io import staged_dir

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "planetoid"


def test_sigterm_during_training_leaves_nothing(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hetgat.cli",
            "fit",
            "planetoid:cora",
            "--data-dir",
            str(EXAMPLE),
            "--epochs",
            "100000",
            "--patience",
            "0",
            "--out",
            str(out),
            "-q",
        ],
        stderr=subprocess.PIPE,
    )
    time.sleep(6)  # imports, loading, some epochs
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 128 + signal.SIGTERM
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("exc", [SystemExit(143), KeyboardInterrupt(), RuntimeError("x")])
def test_interrupted_writing_removes_the_partial_folder(tmp_path, exc):
    out = tmp_path / "run"
    with pytest.raises(type(exc)), staged_dir(out) as tmp:
        (tmp / "model.pt").write_text("half")
        raise exc
    assert list(tmp_path.iterdir()) == []


def test_completed_folder_replaces_nothing_unasked(tmp_path):
    out = tmp_path / "run"
    with staged_dir(out) as tmp:
        (tmp / "a.txt").write_text("1")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    assert (out / "a.txt").read_text() == "1"
