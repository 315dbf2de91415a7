"""Which folders hetgat may replace, and the lock that keeps two writers apart."""

import json

import pytest

from hetgat.errors import HetgatError
from hetgat.outputs import check_replaceable, folder_kind, folder_lock, staged_dir, write_table
from hetgat.outputs.folders import foreign_entry


def run_folder(path):
    path.mkdir(parents=True)
    (path / "config.json").write_text(json.dumps({"model": {}, "train": {}, "source": {}}))
    (path / "model.pt").write_bytes(b"w")
    (path / "plots").mkdir()
    (path / "plots" / "training_curves.png").write_bytes(b"png")
    return path


def test_folder_kinds(tmp_path):
    assert folder_kind(run_folder(tmp_path / "r")) == "run"
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "summary.json").write_text('{"runs": []}')
    assert folder_kind(tmp_path / "s") == "runs"
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "hetgat.json").write_text('{"part_config": "g.json"}')
    assert folder_kind(tmp_path / "p") == "partition"
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "config.json").write_text("[" * 100000)  # deeply nested: not a run
    assert folder_kind(tmp_path / "x") is None


def test_foreign_entries_are_found_at_any_depth(tmp_path):
    run = run_folder(tmp_path / "r")
    assert foreign_entry(run, "run") is None
    (run / "plots" / "notes.txt").write_text("mine")
    assert foreign_entry(run, "run") == run / "plots" / "notes.txt"
    (run / "plots" / "notes.txt").unlink()
    (run / "data").symlink_to(tmp_path)
    assert foreign_entry(run, "run") == run / "data"


def test_check_replaceable_refuses_inputs_and_other_kinds(tmp_path):
    run = run_folder(tmp_path / "r")
    check_replaceable(run, ("run",))
    with pytest.raises(HetgatError, match="holds the input"):
        check_replaceable(run, ("run",), keep=(run / "model.pt",))
    with pytest.raises(HetgatError, match="is a run folder, not a partition folder"):
        check_replaceable(run, ("partition",))


def test_lock_is_exclusive_and_released(tmp_path):
    out = tmp_path / "run"
    with folder_lock(out):
        assert (tmp_path / ".run.lock").read_text().strip().isdigit()
    assert not (tmp_path / ".run.lock").exists()
    with folder_lock(out), staged_dir(tmp_path / "other") as partial:
        (partial / "a.txt").write_text("1")
    assert (tmp_path / "other" / "a.txt").is_file()


def test_write_table_header_only_when_asked(tmp_path):
    assert write_table([], tmp_path / "a.csv") == 0
    assert (tmp_path / "a.csv").read_text() == ""
    assert write_table([], tmp_path / "b.csv", ["x", "y"]) == 0
    assert (tmp_path / "b.csv").read_text() == "x,y\n"
