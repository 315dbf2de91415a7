"""SeHGNN on the generated heterogeneous graph: seconds and peak resident memory per phase.

    OMP_NUM_THREADS=1 nice -n 10 python -m benchmarks.sehgnn_scale --edges 1e7 --epochs 3 \\
        --batch-size 10000 [--out /tmp/run] [--json PATH]

The graph is :func:`benchmarks.gpu.generated` (10^7 edges: 1 M papers with 32 features, 500 k
authors with 16, writes / written_by / cites; 10 % of the papers train, about 9 % validate).
SeHGNN trains as ``hetgat fit --model sehgnn`` does, through the library:
``hetgat.fit(graph, model="sehgnn", batch_size=..., epochs=..., patience=0)``, then (with
``--out``) ``run.save(out, attention=True)`` writes the run folder (predictions of every paper,
the semantic attention table), as ``hetgat fit`` does. ``--model simplehgn --batch-size 0``
runs Simple-HGN full batch on the same graph (``--options '{"layers": 2}'``: the GPU section's
setting), for the comparison; run it under a bound (``ulimit -v``, ``timeout``) at 10^7 edges.

Phases, each with its own peak: Linux's VmHWM (``/proc/self/status``), reset at each phase's
start by writing 5 to ``/proc/self/clear_refs``; the boundaries inside ``fit`` are marked by
wrapping ``NodeClassifier.prepare_graph`` (the pre-computation) and the final ``evaluate`` (every
paper's prediction, after the last epoch) for this process only. Reported: ``load`` (the
graph generated), ``precompute`` (the path features: seconds, bytes held), ``train`` (the
epochs: seconds each, from the run's history, validation included), ``evaluate``, ``save``.
Resident memory (VmRSS) at each boundary is printed too: what the process holds between phases.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import time

import torch

import hetgat
from benchmarks.gpu import generated
from hetgat.models.inputs import NodeClassifier
from hetgat.train import fullbatch

GIB = 1024**3


def _status_bytes(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        return 1024 * int(re.search(rf"{field}:\s+(\d+)", f.read()).group(1))


class Phases:
    """Each phase's seconds, peak resident memory (VmHWM, reset at its start) and the resident
    memory at its end."""

    def __init__(self) -> None:
        self.rows: list[dict] = []
        self.name, self.start = "start", time.perf_counter()
        self._reset()

    @staticmethod
    def _reset() -> None:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")

    def mark(self, next_name: str) -> None:
        """End the current phase (record it) and start ``next_name``."""
        now = time.perf_counter()
        row = {
            "phase": self.name,
            "seconds": round(now - self.start, 2),
            "peak_gib": round(_status_bytes("VmHWM") / GIB, 3),
            "rss_after_gib": round(_status_bytes("VmRSS") / GIB, 3),
        }
        self.rows.append(row)
        print(
            f"  {row['phase']:<11} {row['seconds']:>8.2f} s  peak {row['peak_gib']:.3f} GiB  "
            f"resident after {row['rss_after_gib']:.3f} GiB",
            file=sys.stderr,
            flush=True,
        )
        self.name, self.start = next_name, time.perf_counter()
        self._reset()


@contextlib.contextmanager
def marked(phases: Phases, found: dict):
    """Mark the pre-computation and the final evaluation inside ``hetgat.fit``; keep the
    pre-computed inputs' sizes in ``found``."""
    prepare, evaluate = NodeClassifier.prepare_graph, fullbatch.evaluate

    def timed_prepare(self, graph, features=None):
        phases.mark("precompute")
        out = prepare(self, graph, features)
        feats = getattr(out, "features", [])
        found["paths"] = list(getattr(out, "names", []))
        found["path_bytes"] = sum(_nbytes(x) for x in feats)
        phases.mark("train")
        return out

    def timed_evaluate(*args, **kwargs):
        phases.mark("evaluate")
        return evaluate(*args, **kwargs)

    NodeClassifier.prepare_graph, fullbatch.evaluate = timed_prepare, timed_evaluate
    try:
        yield
    finally:
        NodeClassifier.prepare_graph, fullbatch.evaluate = prepare, evaluate


def _nbytes(x: torch.Tensor) -> int:
    if x.layout == torch.strided:
        return x.numel() * x.element_size()
    parts = (x.crow_indices(), x.col_indices(), x.values())
    return sum(p.numel() * p.element_size() for p in parts)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edges", type=float, default=1e6)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=10_000, help="0: full batch")
    parser.add_argument("--model", default="sehgnn", help="a model name (sehgnn, simplehgn)")
    parser.add_argument(
        "--options", default="{}", help="more hetgat.fit options as JSON, e.g. '{\"hops\": 1}'"
    )
    parser.add_argument("--out", help="write the run folder there (run.save)")
    parser.add_argument("--json", help="write the figures there")
    args = parser.parse_args(argv)
    phases = Phases()
    phases.mark("load")
    graph = generated(int(args.edges))
    found: dict = {}
    phases.mark("fit")
    options = {"epochs": args.epochs, "patience": 0}
    if args.batch_size:  # 0: full batch
        options["batch_size"] = args.batch_size
    options.update(json.loads(args.options))
    with marked(phases, found):
        run = hetgat.fit(graph, model=args.model, threads=torch.get_num_threads(), **options)
    if args.out:
        phases.mark("save")
        run.save(args.out, overwrite=True)
    phases.mark("end")
    epochs = [round(h["seconds"], 2) for h in run.history]
    result = {
        "edges": graph.graph.num_edges(),
        "model": args.model,
        "options": options,
        "threads": torch.get_num_threads(),
        "paths": found.get("paths"),
        "path_features_gib": round(found.get("path_bytes", 0) / GIB, 3),
        "seconds_per_epoch": epochs,
        "val_accuracy": run.metrics.get("val_accuracy"),
        "phases": phases.rows,
    }
    print(json.dumps(result, indent=1))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
