"""The CPU thread pools every command sets the same way."""

import torch

from hetgat.sparse.threads import default_threads, set_threads, using_threads


def test_using_threads_restores_the_callers_count(monkeypatch):
    before = torch.get_num_threads()
    with using_threads(1) as n:
        assert n == 1 and torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert default_threads() == 1
    assert set_threads() == 1
    set_threads(before)
