"""Timing helpers shared by the benchmarks: machine description, median, alternating timer."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence

from torch import nn


def machine_info() -> dict:
    """Describe the machine and the software the numbers were taken with.

    Returns
    -------
    dict
        ``cpu`` (the ``model name`` of ``/proc/cpuinfo``, else :func:`platform.processor`),
        ``cores`` (CPUs this process may run on), ``load`` (the 1-minute load average: other
        jobs on the machine), ``torch_threads`` (at the time of the call), ``omp_wait_policy``
        (the environment variable, ``unset`` if so), ``python``, ``torch``, ``dgl``, ``hetgat``
        and, when it imports, ``torch_geometric``.
    """
    import torch

    from hetgat import __version__ as hetgat_version
    from hetgat.sparse.dgl_interop import load_dgl

    dgl = load_dgl()

    info = {
        "cpu": _cpu_model(),
        "cores": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "load": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "torch_threads": torch.get_num_threads(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "unset"),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "dgl": dgl.__version__ if dgl is not None else None,
        "hetgat": hetgat_version,
    }
    try:
        import torch_geometric
    except ImportError:
        pass
    else:
        info["torch_geometric"] = torch_geometric.__version__
    return info


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def median(values: Sequence[float]) -> float:
    """Median of a non-empty sequence (the mean of the two middle values for an even count)."""
    if not values:
        raise ValueError("median of an empty sequence")
    return statistics.median(values)


def alternate(
    fns: dict[str, Callable[[], object]], repeats: int, warmup: int = 1
) -> dict[str, list[float]]:
    """Time every callable ``repeats`` times, interleaved: A, B, A, B, ...

    Interleaving puts each peer under the same machine load (other processes, thermal state,
    frequency scaling) as the others, which back-to-back runs of one peer then the next do not.

    Parameters
    ----------
    fns : dict of str to callable
        Callables without arguments; the dict order is the order within a round.
    repeats : int
        Timed rounds; each round calls every callable once.
    warmup : int, default 1
        Untimed rounds run first (allocator, lazily built graph formats, first-call dispatch).

    Returns
    -------
    dict of str to list of float
        Wall-clock seconds (:func:`time.perf_counter`) of each call, ``repeats`` per key.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    if warmup < 0:
        raise ValueError(f"warmup must be >= 0, got {warmup}")
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return times


class BoundModel(nn.Module):
    """A hetgat model with its prepared graph and input features, called without arguments
    (what :func:`benchmarks.speed_gat.train_block` times next to a stock peer)."""

    def __init__(self, model, graph, features) -> None:
        super().__init__()
        self.model, self.graph, self.features = model, graph, features

    def forward(self):
        return self.model(self.graph, self.features)


def report_epochs(times: dict[str, list[float]], epochs: int, heading: str, json_path=None):
    """Print the machine, ``heading`` and the per-epoch table of timed blocks (median, min,
    hetgat / peer); write the machine and every epoch time to ``json_path`` when given."""
    import json

    per_epoch = {k: [t / epochs for t in v] for k, v in times.items()}
    med = {k: statistics.median(v) for k, v in per_epoch.items()}
    print(f"machine: {machine_info()}")
    print(heading)
    print("| peer | median s/epoch | min s/epoch | hetgat/peer |\n|---|---:|---:|---:|")
    for k, v in per_epoch.items():
        print(f"| {k} | {med[k]:.3f} | {min(v):.3f} | {med['hetgat'] / med[k]:.2f} |")
    if json_path:
        with open(json_path, "w") as fh:
            json.dump({"machine": machine_info(), "per_epoch": per_epoch}, fh, indent=1)
