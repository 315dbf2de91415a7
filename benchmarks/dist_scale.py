"""Distributed training on a generated graph of ~10^7 edges: peak memory of every process and
seconds per epoch with 1, 2 and 4 parts (one graph server and one trainer a part, all on this
machine, one thread a process).

    OMP_WAIT_POLICY=PASSIVE python -m benchmarks.dist_scale --dir DIR \\
        [--edges 10000000] [--nodes 500000] [--feats 32] [--parts 1 2 4] [--epochs 2]

The graph is :func:`benchmarks.csv_scale.generate`'s (homophilous edges, features, 5 classes)
with a split column: 5 % train, 5 % validation, the rest test. Each K: ``hetgat partition
--parts K --method random``, then ``hetgat launch --local --trainers K -- --batch-size 1024
--fanouts 10,10 --epochs E --no-attention``. While the job runs, the peak resident memory
(VmHWM) of each of its processes is read from ``/proc`` every half second; seconds per epoch
come from the run's ``history.csv``. For comparison, the same graph trained by ``hetgat fit``
with the same options in one process (``/usr/bin/time``'s max RSS).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.csv_scale import generate

GIB = 1024**3


def write_graph(folder: Path, edges: int, nodes: int, feats: int) -> list:
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "nodes.csv").exists():
        generate(folder, edges, nodes, feats)
        frame = pd.read_csv(folder / "nodes.csv")
        rng = np.random.default_rng(1)
        draw = rng.random(len(frame))
        frame.insert(
            2, "split", np.where(draw < 0.05, "train", np.where(draw < 0.1, "val", "test"))
        )
        frame.to_csv(folder / "nodes.csv", index=False, float_format="%.5g")
    return [str(folder / "edges.csv"), "--nodes", f"node={folder / 'nodes.csv'}"]


def hetgat(*args) -> None:
    subprocess.run([sys.executable, "-m", "hetgat.cli", *map(str, args)], check=True)


def watch(launcher: subprocess.Popen, peaks: dict) -> None:
    """Peak memory of each process the launcher started, named by role, until it ends."""
    mark = f"HETGAT_DIST_PARENT={launcher.pid}".encode()
    while launcher.poll() is None:
        for entry in Path("/proc").glob("[0-9]*"):
            try:
                env = (entry / "environ").read_bytes().split(b"\0")
                if mark not in env:
                    continue
                status = (entry / "status").read_text()
            except OSError:
                continue
            role = "server" if b"DGL_ROLE=server" in env else "trainer"
            key = next(
                e for e in env if e.startswith(b"DGL_SERVER_ID=" if role == "server" else b"RANK=")
            )
            name = f"{role} {key.split(b'=')[1].decode()}"
            hwm = int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) * 1024
            peaks[name] = max(peaks.get(name, 0), hwm)
        time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--edges", type=int, default=10_000_000)
    parser.add_argument("--nodes", type=int, default=500_000)
    parser.add_argument("--feats", type=int, default=32)
    parser.add_argument("--parts", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--single", action="store_true", help="also hetgat fit in one process")
    args = parser.parse_args()
    folder = Path(args.dir)
    graph = write_graph(folder / "graph", args.edges, args.nodes, args.feats)
    train = ["--batch-size", 1024, "--fanouts", "10,10", "--epochs", args.epochs, "--no-attention"]
    results = []
    if args.single:
        out = folder / "run-single"
        proc = subprocess.run(
            ["/usr/bin/time", "-f", "%M", sys.executable, "-m", "hetgat.cli", "fit", *graph,
             *map(str, train), "--threads", "1", "--out", str(out), "--overwrite", "-q"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        history = pd.read_csv(out / "history.csv")
        results.append(dict(parts=0, peaks={"fit": int(proc.stderr.split()[-1]) * 1024},
                            epoch_seconds=history["seconds"].tolist()))  # fmt: skip
        print(json.dumps(results[-1]), flush=True)
    for k in args.parts:
        parts = folder / f"parts{k}"
        if not parts.exists():
            start = time.perf_counter()
            hetgat("partition", *graph, "--parts", k, "--method", "random", parts, "-q")
            print(f"partition {k}: {time.perf_counter() - start:.0f} s", flush=True)
        out = folder / f"run{k}"
        launcher = subprocess.Popen(
            [sys.executable, "-m", "hetgat.cli", "launch", "--local", "--trainers", str(k),
             str(parts / "edges.json"), "--", *map(str, train), "--out", str(out), "--overwrite",
             "-q"],
        )  # fmt: skip
        peaks: dict = {}
        watcher = threading.Thread(target=watch, args=(launcher, peaks))
        watcher.start()
        start = time.perf_counter()
        code = launcher.wait()
        watcher.join()
        history = pd.read_csv(out / "history.csv") if code == 0 else None
        results.append(dict(
            parts=k, code=code, job_seconds=round(time.perf_counter() - start, 1),
            peaks=peaks, epoch_seconds=None if history is None else history["seconds"].tolist(),
        ))  # fmt: skip
        print(json.dumps(results[-1]), flush=True)
    (folder / "results.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    main()
