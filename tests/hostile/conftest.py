"""Helpers for the hostile-user suite: a tiny CSV graph, checksums of whole folders, one-line
errors. Every case runs the ``hetgat`` command as a user would and checks that no input or
earlier output changed."""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from hetgat.cli import main

FAST = ["--epochs", "2", "--patience", "0", "--quiet", "--hidden", "4", "--heads", "2"]

EDGES = "src,dst\na,b\nb,c\nc,d\nd,e\ne,f\nf,a\na,d\n"
NODES = (
    "id,label,split,x1,x2\n"
    "a,p,train,1,0\nb,q,train,0,1\nc,p,val,1,1\nd,q,val,0,0\ne,p,test,1,0\nf,q,test,0,1\n"
)


@pytest.fixture
def graph_dir(tmp_path):
    """A folder holding the user's inputs: ``edges.csv`` and ``nodes.csv``."""
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "edges.csv").write_text(EDGES)
    (folder / "nodes.csv").write_text(NODES)
    return folder


def graph_args(folder: Path) -> list[str]:
    return [str(folder / "edges.csv"), "--nodes", str(folder / "nodes.csv")]


def invoke(*args, cwd: Path | None = None):
    """Run ``hetgat ARGS`` with CliRunner (in ``cwd`` when given)."""
    before = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return CliRunner().invoke(main, [str(a) for a in args])
    finally:
        os.chdir(before)


def hetgat_process(*args, cwd=None, console: bool = True, **kwargs) -> subprocess.Popen:
    """``hetgat ARGS`` as its own process (for locks, signals and kills), through the console
    entry point the installed command uses."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    code = "from hetgat.console import main; main()"
    return subprocess.Popen(
        [sys.executable, "-c", code, *map(str, args)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def checksums(*roots: Path) -> dict:
    """Every file and folder under ``roots`` with a hash of its bytes (folders: None)."""
    out = {}
    for root in roots:
        if root.is_file():
            out[str(root)] = hashlib.sha256(root.read_bytes()).hexdigest()
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            out[dirpath] = None
            for name in filenames:
                path = Path(dirpath) / name
                out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def assert_one_error(result, starts: str | None = None, contains: str | None = None) -> str:
    """Exit code 2, one ``Error:`` line, no traceback; returns the line."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    lines = [x for x in result.stderr.splitlines() if x.strip()]
    errors = [x for x in lines if x.startswith("Error")]
    assert errors == lines[-1:] and len(errors) == 1, result.stderr
    assert "Traceback" not in result.output
    if starts is not None:
        assert errors[0].startswith(starts), errors[0]
    if contains is not None:
        assert contains in errors[0], errors[0]
    return errors[0]
