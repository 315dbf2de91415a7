"""The documentation runs: every Python block of docs/library.md and of README's "Python API"
section, in order, as written, from a folder that holds the repository's examples."""

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)\n```", text, re.S)


def run_blocks(blocks, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.setenv("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", "1"))
    namespace = {"__name__": "__docs__"}
    for block in blocks:
        exec(compile(block, "<docs>", "exec"), namespace)  # noqa: S102 - our own docs
    return namespace


@pytest.mark.filterwarnings("error:Converting a tensor with requires_grad")
def test_library_md_runs(tmp_path, monkeypatch):
    """Every block runs, without the warnings a user copying it would see."""
    pytest.importorskip("torch_geometric", reason="docs/library.md shows from_pyg")
    blocks = python_blocks((ROOT / "docs" / "library.md").read_text(encoding="utf-8"))
    assert len(blocks) >= 4
    namespace = run_blocks(blocks, tmp_path, monkeypatch)
    assert set(namespace["predictions"]["id"]) == set(namespace["graph"].node_ids["paper"])


def test_readme_python_api_runs(tmp_path, monkeypatch):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Python API", 1)[1].split("\n## ", 1)[0]
    blocks = python_blocks(section)
    assert blocks
    run_blocks(blocks, tmp_path, monkeypatch)
