"""A ``fit --runs`` folder given where one run is expected: its best seed, said (issue 23 §5)."""

import json
import logging

import pytest

from hetgat.errors import HetgatError
from hetgat.runs.seeds import best_seed, load_run_or_best, seed_folders


def _seed(root, seed, **metrics):
    folder = root / f"seed-{seed}"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    (folder / "metrics.json").write_text(json.dumps(metrics))
    return folder


def test_best_by_validation_macro_f1_then_accuracy_then_seed(tmp_path):
    _seed(tmp_path, 0, val_macro_f1=0.5, val_accuracy=0.9, test_macro_f1=0.99)
    best = _seed(tmp_path, 1, val_macro_f1=0.7, val_accuracy=0.6)
    _seed(tmp_path, 2, val_macro_f1=None)  # an empty validation split: null, never best
    _seed(tmp_path, 10, val_macro_f1=0.7, val_accuracy=0.6)  # a tie: the lower seed wins
    assert [p.name for p in seed_folders(tmp_path)] == ["seed-0", "seed-1", "seed-2", "seed-10"]
    chosen, note = best_seed(tmp_path)
    assert chosen == best
    assert note == (f"{tmp_path} holds 4 seeds: using seed-1, the best validation macro-F1 "
                    "(0.7000); name another seed-N/ folder to see it")  # fmt: skip


def test_no_seed_folder(tmp_path):
    (tmp_path / "summary.json").write_text("{}")
    with pytest.raises(HetgatError, match="holds no finished seed-N/ run folder"):
        load_run_or_best(tmp_path)


def test_a_run_folder_is_loaded_as_it_is(tmp_path, caplog):
    with pytest.raises(HetgatError, match="is not a run folder"), caplog.at_level(logging.INFO):
        load_run_or_best(tmp_path)
    assert caplog.records == []
