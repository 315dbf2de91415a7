"""What the library's checks cost against the work they guard (issue 32): GraphData.validate
and the input checksums against one training epoch, the by-id alignment of a run's per-node
inputs against one prediction, on HGB's DBLP (its author, paper, term and venue types, every
type a learned embedding with --input-features none) and examples/acm's CSV files.

    HETGAT_DATA=../shared/data python -m benchmarks.library_overhead

Medians of 5 repeats, printed as a table; no assertion (BENCHMARKS.md records them).
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from pathlib import Path

import numpy as np

import hetgat
from hetgat.datasets.source import DataSource
from hetgat.runs.checksums import record_inputs

ROOT = Path(__file__).resolve().parents[1]


def median_seconds(func, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    data = hetgat.load_graph("hgb:dblp")
    run = hetgat.fit(data, "hgt", input_features="none", epochs=3, patience=0)
    epoch = run.metrics["seconds_per_epoch"]
    order = {t: np.random.default_rng(0).permutation(len(ids)) for t, ids in data.node_ids.items()}
    shuffled_ids = dict(run.node_ids)
    shuffled_ids.update({t: ids[order[t]] for t, ids in run.node_ids.items()})
    # The same graph with every type's rows in another order: relabel the run's ids instead of
    # rebuilding the graph, so the alignment is timed alone.
    run_other = dataclasses.replace(run, node_ids=shuffled_ids)
    acm = DataSource(
        str(ROOT / "examples/acm/edges.csv"),
        nodes=(("paper", str(ROOT / "examples/acm/papers.csv")),),
        features=(("paper", str(ROOT / "examples/acm/paper_features.npz")),),
    )
    rows = [
        ("GraphData.validate (hgb:dblp)", median_seconds(data.validate), epoch),
        (
            "record_inputs (examples/acm, 3 files)",
            median_seconds(lambda: record_inputs(acm)),
            epoch,
        ),  # fmt: skip
        (
            "Run.model_for, same order (hgb:dblp)",
            median_seconds(lambda: run.model_for(data)),
            epoch,
        ),  # fmt: skip
        (
            "Run.model_for, every type reordered",
            median_seconds(lambda: run_other.model_for(data)),
            epoch,
        ),  # fmt: skip
        (
            "one prediction (hgb:dblp, HGT)",
            median_seconds(lambda: hetgat.predict(run, data)),
            epoch,
        ),  # fmt: skip
    ]
    print(f"{'what':45} {'median s':>10} {'/ epoch':>9}")
    for name, seconds, per in rows:
        print(f"{name:45} {seconds:10.4f} {seconds / per:9.3f}")


if __name__ == "__main__":
    main()
