"""Load, train and export attention on a large generated CSV graph; time and peak memory.

    python -m benchmarks.csv_scale [--edges 2000000] [--nodes 200000] [--feats 32]

Writes ``edges.csv`` and ``nodes.csv`` (ids ``u<i>``, a label among 5 classes that depends on
the features, no split column: a stratified split is drawn) into ``--dir``, then runs, each in
its own process under ``/usr/bin/time`` so that peak memory (max RSS) is per step:

1. ``hetgat inspect`` (load only),
2. ``hetgat fit … --epochs 10 --patience 0 --no-attention`` (load + 10 epochs + predictions),
3. ``hetgat attention RUN -o attention.csv.gz`` (every edge, layer and head, streamed).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.common import machine_info


def generate(folder: Path, edges: int, nodes: int, feats: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(nodes, feats)).astype(np.float32)
    labels = np.argmax(x[:, :5] + 0.5 * rng.normal(size=(nodes, 5)), axis=1)
    ids = np.char.add("u", np.arange(nodes).astype(str))
    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(feats)])
    frame.insert(0, "label", np.array(["a", "b", "c", "d", "e"])[labels])
    frame.insert(0, "id", ids)
    frame.to_csv(folder / "nodes.csv", index=False, float_format="%.5g")
    # Homophilous edges: half within a class, half at random.
    src = rng.integers(0, nodes, edges)
    same = rng.random(edges) < 0.5
    by_class = [np.flatnonzero(labels == c) for c in range(5)]
    dst = rng.integers(0, nodes, edges)
    for c in range(5):
        pick = same & (labels[src] == c)
        dst[pick] = rng.choice(by_class[c], pick.sum())
    pd.DataFrame({"src": ids[src], "dst": ids[dst]}).to_csv(folder / "edges.csv", index=False)


def step(name: str, args: list[str]) -> dict:
    """Run ``python -m hetgat.cli ARGS`` under ``/usr/bin/time``: seconds and peak RSS."""
    start = time.perf_counter()
    command = ["/usr/bin/time", "-f", "PEAK_KB %M", sys.executable, "-m", "hetgat.cli", *args]
    proc = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed:\n{proc.stderr}")
    lines = proc.stderr.strip().splitlines()
    peak_kb = int(next(x for x in reversed(lines) if x.startswith("PEAK_KB")).split()[1])
    notes = [x for x in lines if not x.startswith("PEAK_KB")]
    return {
        "step": name,
        "seconds": round(seconds, 1),
        "peak_rss_mb": peak_kb // 1024,
        "stderr": notes[-1:],
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edges", type=int, default=2_000_000)
    parser.add_argument("--nodes", type=int, default=200_000)
    parser.add_argument("--feats", type=int, default=32)
    parser.add_argument("--dir", default="/tmp/hetgat-csv-scale")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    generate(folder, args.edges, args.nodes, args.feats)
    print(
        f"generated in {time.perf_counter() - start:.0f} s: "
        f"{(folder / 'edges.csv').stat().st_size >> 20} MB edges, "
        f"{(folder / 'nodes.csv').stat().st_size >> 20} MB nodes",
        file=sys.stderr,
    )
    graph = [str(folder / "edges.csv"), "--nodes", str(folder / "nodes.csv")]
    run = folder / "run"
    results = [
        step("inspect (load)", ["inspect", *graph]),
        step(
            "fit 10 epochs",
            [
                "fit",
                *graph,
                "--epochs",
                "10",
                "--patience",
                "0",
                "--no-attention",
                "--out",
                str(run),
                "--overwrite",
                "-q",
            ],
        ),
        step("attention export", ["attention", str(run), "-o", str(folder / "att.csv.gz")]),
    ]
    metrics = json.loads((run / "metrics.json").read_text())
    metrics.update(json.loads((run / "timing.json").read_text()))
    print(f"machine: {machine_info()}")
    print("| step | seconds | peak RSS (MB) |\n|---|---:|---:|")
    for r in results:
        print(f"| {r['step']} | {r['seconds']} | {r['peak_rss_mb']} |")
    print(
        f"\nseconds per epoch {metrics['seconds_per_epoch']:.2f}, test accuracy "
        f"{metrics['test_accuracy']:.3f}; attention file "
        f"{(folder / 'att.csv.gz').stat().st_size >> 20} MB; {results[-1]['stderr']}"
    )
    if args.json:
        Path(args.json).write_text(json.dumps({"results": results, "metrics": metrics}))


if __name__ == "__main__":
    main()
