"""Checkpoints of a training run, and stopping cleanly on Ctrl-C or SIGTERM.

A checkpoint holds everything the next epoch depends on: the model and optimizer states, the
random number generators (Python, NumPy, torch), the early-stopping state (with the best
weights so far) and the history. Resuming from it gives exactly the run that was not
interrupted (on CPU, where torch's and DGL's kernels are deterministic).

Checkpoints are written atomically and read with ``torch.load(weights_only=True)``: tensors,
numbers, strings, lists and dicts only, so a tampered file cannot run code.
"""

from __future__ import annotations

import contextlib
import random
import signal
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from hetgat.errors import DataFormatError
from hetgat.outputs import CHECKPOINT, atomic_path

__all__ = ["CHECKPOINT", "Checkpoint", "TrainingInterrupted", "load_checkpoint"]


@dataclass(frozen=True)
class Checkpoint:
    """Where and how often :func:`hetgat.train.fit` saves its state.

    Parameters
    ----------
    path : Path
        The checkpoint file (replaced atomically each time).
    every : int, default 0
        Save after every ``every``-th epoch; 0 saves only when training is interrupted.
    """

    path: Path
    every: int = 0

    def due(self, epoch: int) -> bool:
        return self.every > 0 and (epoch + 1) % self.every == 0


class TrainingInterrupted(Exception):  # noqa: N818 - it is an event, not an error
    """Training stopped at an epoch boundary on SIGINT/SIGTERM; the checkpoint is saved.

    Attributes
    ----------
    signum : int
        The signal received.
    epoch : int
        The last completed epoch (-1 when none completed).
    best_epoch : int
        The epoch of the best weights so far (kept in the checkpoint).
    path : Path
        The checkpoint file.
    """

    def __init__(self, signum: int, epoch: int, best_epoch: int, path: Path) -> None:
        super().__init__(f"interrupted after epoch {epoch}")
        self.signum, self.epoch, self.best_epoch, self.path = signum, epoch, best_epoch, path


def rng_state() -> dict:
    """The state of Python's, NumPy's and torch's generators, as tensors and plain numbers."""
    version, words, gauss = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state = {
        "python": [version, torch.tensor(words, dtype=torch.int64), gauss],
        "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, cached],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    version, words, gauss = state["python"]
    random.setstate((version, tuple(int(w) for w in words.tolist()), gauss))
    kind, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    if "cuda" in state:
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(path: Path, state: dict) -> None:
    """Write ``state`` to ``path`` atomically (a complete file or the previous one)."""
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def load_checkpoint(path: Path) -> dict:
    """Read a checkpoint with ``weights_only=True``; a damaged or unsafe file is refused."""
    try:
        with warnings.catch_warnings():  # torch's notes on weights_only are not for users
            warnings.simplefilter("ignore")
            state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise DataFormatError(path, "no checkpoint here") from None
    except Exception as exc:  # torch raises several types for truncated or unsafe files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataFormatError(path, f"not a readable hetgat checkpoint ({first})") from None
    keys = {"epoch", "model", "optimizer", "stopper", "history", "rng"}
    if not isinstance(state, dict) or not keys <= set(state):
        raise DataFormatError(path, "not a hetgat checkpoint (keys missing)")
    return state


class StopRequests:
    """Turn SIGINT and SIGTERM into a request that the training loop honours between epochs.

    A second signal interrupts at once (the previous handlers are back by then). Outside the
    main thread signals cannot be caught; :attr:`signum` then stays ``None``.
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        self._previous = {}

    def _handle(self, signum, frame) -> None:
        self.signum = signum
        self._restore()

    def _restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}

    @contextlib.contextmanager
    def installed(self):
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handle)
        try:
            yield self
        finally:
            self._restore()
