"""The benchmark suite in one command: every speed and scale table, peers measured alongside.

    HETGAT_DATA=../shared/data python -m benchmarks [--quick] [--only NAME ...] [--out DIR]

Runs, one after the other (each prints its own table, with the machine it ran on):

- ``speed_gat``: GAT and GATv2 on Cora and CiteSeer, hetgat vs stock DGL vs PyG (if installed);
- ``speed_han``: HAN on ``han:acm`` vs a loop over stock DGL layers;
- ``speed_simplehgn``: Simple-HGN on HGB's ACM vs the same model from stock DGL ops;
- ``speed_aggregate``: the attention-weighted sum, DGL's SpMM vs per-head CSR products;
- ``scale_gat``: generated graphs of 10^4..10^7 edges (and heads, feature sizes) vs stock DGL;
- ``minibatch_scale``: mini-batch training on generated graphs up to 5 x 10^7 edges.

``--quick`` runs each with fewer repetitions and smaller sizes (minutes instead of an hour).
Accuracy runs are separate (``benchmarks.accuracy``, ``benchmarks.accuracy_hetero``): they
take hours on a CPU. Time the suite on an otherwise idle machine (see BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

SUITE = {
    "speed_gat": (["--repeats", "5", "--epochs", "30"], ["--repeats", "3", "--epochs", "10"]),
    "speed_han": (["--repeats", "5", "--epochs", "3"], ["--repeats", "2", "--epochs", "2"]),
    "speed_simplehgn": (["--repeats", "5", "--epochs", "2"], ["--repeats", "1", "--epochs", "1"]),
    "speed_aggregate": (["--repeats", "5"], ["--repeats", "2", "--feats", "8", "64"]),
    "scale_gat": ([], ["--edges", "1e4", "1e5", "1e6", "--repeats", "1", "--epochs", "3"]),
    "minibatch_scale": ([], ["--edges", "1e6", "5e6", "--batches", "4"]),
}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, smaller graphs")
    parser.add_argument("--only", nargs="+", choices=list(SUITE), default=list(SUITE))
    parser.add_argument("--out", default=None, help="also write each table's JSON here")
    args = parser.parse_args(argv)
    out = Path(args.out) if args.out else None
    if out:
        out.mkdir(parents=True, exist_ok=True)
    for name in args.only:
        full, quick = SUITE[name]
        command = [sys.executable, "-m", f"benchmarks.{name}", *(quick if args.quick else full)]
        if out:
            command += ["--json", str(out / f"{name}.json")]
        print(f"\n## {name}\n\n`{' '.join(command[1:])}`\n", flush=True)
        start = time.perf_counter()
        done = subprocess.run(command, check=False)
        status = "ok" if done.returncode == 0 else f"failed ({done.returncode})"
        print(f"\n({name}: {status}, {time.perf_counter() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
