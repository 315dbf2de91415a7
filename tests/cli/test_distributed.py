"""``hetgat launch`` and ``hetgat dist-fit`` at the command line: usage errors before any
process starts, and one ``Error:`` line where DGL is not installed (run in either
environment of CI: DGL is hidden here)."""

import pytest
from click.testing import CliRunner

import hetgat.sparse.dgl_interop as interop
from hetgat.cli import main

NEEDS_DGL = "Error: distributed training (hetgat launch, hetgat dist-fit) needs DGL"


@pytest.fixture
def no_dgl(monkeypatch):
    monkeypatch.setattr(interop, "_LOADED", {"dgl": None})


def error_line(*args) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


def test_launch_without_dgl_is_one_error_line(no_dgl, tmp_path):
    line = error_line("launch", "--local", tmp_path / "g.json", "--", "--model", "gat")
    assert line.startswith(NEEDS_DGL) and "pip install" in line
    assert not list(tmp_path.iterdir())


def test_dist_fit_without_dgl_is_one_error_line(no_dgl, tmp_path):
    line = error_line("dist-fit", tmp_path / "g.json", "--out", tmp_path / "run")
    assert line.startswith(NEEDS_DGL)
    assert not list(tmp_path.iterdir())


def test_launch_needs_local_or_an_ip_config(tmp_path):
    assert error_line("launch", tmp_path / "g.json") == (
        "Error: give one of --local (this machine) or --ip-config FILE (ssh)"
    )
    ip = tmp_path / "ip.txt"
    ip.write_text("10.0.0.1\n")
    assert error_line("launch", "--local", "--ip-config", ip, tmp_path / "g.json").startswith(
        "Error: give one of"
    )


def test_the_training_options_are_checked_before_any_process_starts(tmp_path):
    line = error_line("launch", "--local", tmp_path / "g.json", "--", "--bogus", "1")
    assert line.startswith("Error: in the options after --: No such option '--bogus'")
    line = error_line("launch", "--local", tmp_path / "g.json", "--", "--epochs", "0")
    assert line.startswith("Error: in the options after --: Invalid value for '--epochs'")


def test_a_missing_partition_config_is_named(tmp_path):
    if not interop.dgl_available():
        pytest.skip("needs DGL: without it the error says so first")
    line = error_line("launch", "--local", tmp_path / "g.json", "--", "--model", "gat")
    assert line == f"Error: {tmp_path / 'g.json'}: no such partition config (a `part_config` file)"


def test_help_says_how_to_run_it():
    result = CliRunner().invoke(main, ["launch", "--help"])
    assert result.exit_code == 0
    assert "hetgat launch --local --trainers 2 parts/cora/cites.json -- --model gat" in (
        result.output
    )
