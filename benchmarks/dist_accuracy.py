"""Distributed training against one machine: test accuracy of the same model, batch size and
fanouts, trained by ``hetgat fit`` (mini-batch, one process) and by ``hetgat launch --local``
(DistDGL: ``--parts`` graph servers, ``--trainers`` trainers, DDP over gloo), over seeds.

    python -m benchmarks.dist_accuracy [--seeds 0 1 2 3 4] [--batch-size 1024] \\
        [--fanouts 10,10] [--parts 2] [--trainers 2] [--json PATH] [-- GRAPH OPTIONS]

GRAPH defaults to ``examples/cora`` (GAT). Every run is a ``hetgat`` command in its own
process; the partitions and run folders go to a temporary folder, removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORA = [
    str(ROOT / "examples/cora/cites.csv"),
    "--nodes",
    f"paper={ROOT / 'examples/cora/papers.csv'}",
    "--features",
    f"paper={ROOT / 'examples/cora/features.npz'}",
]


def hetgat(*args) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "hetgat.cli", *map(str, args)], check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--model", default="gat")
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--fanouts", default="10,10")
    parser.add_argument("--parts", type=int, default=2)
    parser.add_argument("--trainers", type=int, default=2)
    parser.add_argument("--json", default=None)
    parser.add_argument("graph", nargs="*", default=CORA)
    args, extra = parser.parse_known_args()
    graph = args.graph or CORA
    train = ["--model", args.model, "--batch-size", args.batch_size, "--fanouts", args.fanouts]
    train += extra
    rows = []
    with tempfile.TemporaryDirectory(prefix="hetgat-dist-bench-") as tmp:
        parts = Path(tmp) / "parts"
        hetgat("partition", *graph, "--parts", args.parts, parts, "-q")
        (config,) = [p for p in parts.glob("*.json") if p.name != "hetgat.json"]
        for seed in args.seeds:
            for kind in ("one machine", "distributed"):
                out = Path(tmp) / f"{kind.replace(' ', '-')}-{seed}"
                if kind == "one machine":
                    seconds = hetgat("fit", *graph, *train, "--seed", seed, "--out", out, "-q")
                else:
                    seconds = hetgat(
                        "launch", "--local", "--trainers", args.trainers, config, "--",
                        *train, "--seed", seed, "--out", out, "-q",
                    )  # fmt: skip
                m = json.loads((out / "metrics.json").read_text())
                rows.append(
                    dict(kind=kind, seed=seed, seconds=round(seconds, 1), **{
                        k: m[k] for k in ("test_accuracy", "test_macro_f1", "best_epoch",
                                          "epochs_run")
                    })
                )  # fmt: skip
                print(json.dumps(rows[-1]), flush=True)
    summary = {}
    for kind in ("one machine", "distributed"):
        acc = [r["test_accuracy"] for r in rows if r["kind"] == kind]
        f1 = [r["test_macro_f1"] for r in rows if r["kind"] == kind]
        summary[kind] = dict(
            accuracy_mean=statistics.mean(acc),
            accuracy_std=statistics.pstdev(acc),
            macro_f1_mean=statistics.mean(f1),
        )
    print(json.dumps(summary, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(dict(args=vars(args), rows=rows, summary=summary)))


if __name__ == "__main__":
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    main()
