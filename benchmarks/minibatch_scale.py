"""Mini-batch training on generated graphs of growing size: peak memory and seconds per batch.

    OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=1 python -m benchmarks.minibatch_scale \\
        [--edges 1e6 5e6 20e6 50e6] [--full-max-edges 20e6] [--batches 8] [--json PATH]

For each size a random graph is generated directly as tensors (no files): ``edges / degree``
nodes, sources uniform, destinations drawn with probability ``~ rank^-0.8`` so in-degrees are
skewed (a few hubs with many thousands of in-edges), one self-loop per node, ``--feats`` dense
features and 5 classes that depend on the features. Each measurement runs in its own process:

- ``minibatch``: ``--batches`` steps of GAT (2 layers, 8 heads x 8, as ``hetgat fit``) with
  ``--batch-size`` seeds and ``--fanouts``, through :func:`hetgat.train.minibatch.node_loader` and
  :func:`hetgat.train.minibatch.block_logits`, plus Adam;
- ``full``: ``--full-steps`` full-batch steps (``model(graph, features)`` over all nodes), only
  up to ``--full-max-edges`` edges;
- ``chunked-inference`` / ``full-inference`` (with ``--modes``): one pass over all nodes in eval
  mode, layer by layer in chunks of ``--chunk-size`` nodes
  (:func:`hetgat.train.inference.layerwise_forward`) or as one forward call.

Reported per process: the resident memory once the graph, its sampling formats and the features
exist (``data GiB``), the peak resident memory while training (``train peak GiB``: Linux's
VmHWM, reset after the data is built), the peak of the whole process (``process peak GiB``,
``getrusage``), and the median seconds per batch or step (the first one, which allocates, is
left out of the median when there are several).
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import statistics
import subprocess
import sys
import time

GIB = 1024**3
MODES = ("minibatch", "full", "chunked-inference", "full-inference")


def _status_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        return int(re.search(rf"{field}:\s+(\d+)", f.read()).group(1))


def generate(edges: int, degree: int, feats: int, seed: int = 0):
    """``(graph, features, labels)`` with about ``edges`` edges (self-loops included)."""
    import numpy as np
    import torch

    from hetgat.sparse.graph import Graph

    nodes = max(edges // degree, 100)
    rng = np.random.default_rng(seed)
    weights = np.arange(1, nodes + 1, dtype=np.float64) ** -0.8
    cdf = np.cumsum(weights / weights.sum())
    rank_to_node = rng.permutation(nodes)
    m = edges - nodes
    src = np.empty(edges, dtype=np.int64)
    dst = np.empty(edges, dtype=np.int64)
    step = 5_000_000  # in slices, so temporaries stay small next to the graph
    for start in range(0, m, step):
        end = min(start + step, m)
        src[start:end] = rng.integers(0, nodes, end - start)
        ranks = np.searchsorted(cdf, rng.random(end - start)).clip(max=nodes - 1)
        dst[start:end] = rank_to_node[ranks]
    src[m:] = dst[m:] = np.arange(nodes)
    del cdf, weights, rank_to_node
    g = Graph(torch.from_numpy(src), torch.from_numpy(dst), nodes, check=False)
    del src, dst
    g.csc()  # the CSC that sampling and message passing build on first use
    x = torch.randn(nodes, feats, generator=torch.Generator().manual_seed(seed))
    labels = (x[:, :5] + 0.5 * torch.randn(nodes, 5)).argmax(1)
    return g, x, labels


def measure(mode: str, edges: int, args) -> dict:
    """One measurement in this process (called in a child)."""
    import torch
    import torch.nn.functional as F

    from hetgat.config import ModelConfig
    from hetgat.data import GraphData
    from hetgat.models import build_model
    from hetgat.sparse.hetero import HeteroGraph
    from hetgat.train.minibatch import block_logits, make_sampler, node_loader

    torch.manual_seed(0)
    g, x, labels = generate(edges, args.degree, args.feats)
    n = g.num_nodes()
    train = torch.rand(n) < 0.6
    hetero = HeteroGraph({("_N", "_E", "_N"): g}, {"_N": n})
    data = GraphData(
        name="generated", graph=hetero, features={"_N": x}, labels=labels, train_mask=train,
        val_mask=~train, test_mask=torch.zeros(n, dtype=torch.bool), target_type="_N",
        class_names=list("abcde"),
    )  # fmt: skip
    model = build_model(ModelConfig(), data.schema())
    opt = torch.optim.Adam(model.parameters(), lr=0.005, weight_decay=5e-4)
    data_kib = _status_kib("VmRSS")
    with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
        f.write("5")  # reset VmHWM: the peak from here on is training's
    model.train()
    times, block_edges = [], []
    if mode in ("full-inference", "chunked-inference"):
        from hetgat.train.inference import layerwise_forward

        model.eval()
        tick = time.perf_counter()
        with torch.no_grad():
            if mode == "full-inference":
                model(g, data.features)
            else:
                layerwise_forward(model, g, data.features, args.chunk_size)
        times.append(time.perf_counter() - tick)
    elif mode == "full":
        idx = train.nonzero().squeeze(1)
        for _ in range(args.full_steps):
            tick = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(g, data.features)[idx], labels[idx])
            loss.backward()
            opt.step()
            times.append(time.perf_counter() - tick)
    else:
        sampler = make_sampler(args.fanouts, 2)
        seeds = train.nonzero().squeeze(1)
        loader = node_loader(
            g, seeds, sampler, batch_size=args.batch_size, shuffle=True, device="cpu"
        )
        batches = iter(loader)
        for _ in range(args.batches):
            tick = time.perf_counter()
            input_nodes, output_nodes, blocks = next(batches)
            opt.zero_grad(set_to_none=True)
            logits = block_logits(model, g, blocks, input_nodes, data.features)
            loss = F.cross_entropy(logits, labels[output_nodes])
            loss.backward()
            opt.step()
            times.append(time.perf_counter() - tick)
            block_edges.append(sum(b.num_edges() for b in blocks))
    timed = times[1:] if len(times) > 1 else times
    return {
        "mode": mode,
        "edges": g.num_edges(),
        "nodes": n,
        "max_in_degree": int(g.in_degrees().max()),
        "data_gib": data_kib * 1024 / GIB,
        "train_peak_gib": _status_kib("VmHWM") * 1024 / GIB,
        "process_peak_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GIB,
        "seconds": statistics.median(timed),
        "steps": len(times),
        "block_edges": statistics.median(block_edges) if block_edges else None,
    }


def run_child(mode: str, edges: int, argv: list[str]) -> dict:
    command = [sys.executable, "-m", "benchmarks.minibatch_scale", *argv]
    command += ["--child", mode, "--edges", str(edges)]
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-3:]
        return {"mode": mode, "edges": edges, "error": " | ".join(tail) or f"rc {proc.returncode}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def table(rows: list[dict]) -> str:
    head = (
        "| edges | nodes | max in-degree | mode | data GiB | train peak GiB | added by training "
        "GiB | process peak GiB | s / batch or step | edges per batch |"
    )
    lines = [head, "|" + "---|" * 10]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['edges']:,} | | | {r['mode']} | failed: {r['error']} |" + " |" * 5)
            continue
        lines.append(
            f"| {r['edges']:,} | {r['nodes']:,} | {r['max_in_degree']:,} | {r['mode']} "
            f"| {r['data_gib']:.2f} | {r['train_peak_gib']:.2f} "
            f"| {r['train_peak_gib'] - r['data_gib']:.2f} | {r['process_peak_gib']:.2f} "
            f"| {r['seconds']:.3f} | "
            + (f"{r['block_edges']:,.0f} |" if r["block_edges"] else "all |")
        )
    return "\n".join(lines)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--edges", type=float, nargs="+", default=[1e6, 5e6, 20e6, 50e6])
    p.add_argument("--degree", type=int, default=20, help="average in-degree (edges per node)")
    p.add_argument("--feats", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=1024)
    p.add_argument("--fanouts", default="10,10")
    p.add_argument("--batches", type=int, default=8)
    p.add_argument("--full-steps", type=int, default=2)
    p.add_argument("--full-max-edges", type=float, default=20e6)
    p.add_argument(
        "--modes",
        nargs="+",
        default=["minibatch", "full"],
        choices=MODES,
        help="full and full-inference only up to --full-max-edges",
    )
    p.add_argument("--chunk-size", type=int, default=16384, help="chunked-inference chunk")
    p.add_argument("--json", default=None, help="also write the rows and the machine here")
    p.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.fanouts = tuple(int(v) for v in args.fanouts.split(","))
    return args


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child, int(args.edges[0]), args)))
        return
    from benchmarks.common import machine_info

    passed = _child_argv(argv)
    rows = []
    for edges in (int(e) for e in args.edges):
        for mode in args.modes:
            if mode.startswith("full") and edges > args.full_max_edges:
                continue
            print(f"{edges:,} edges, {mode} ...", file=sys.stderr, flush=True)
            rows.append(run_child(mode, edges, passed))
            print(table(rows[-1:]).splitlines()[-1], file=sys.stderr, flush=True)
    info = machine_info()
    print(f"machine: {info}\n")
    print(table(rows))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"machine": info, "args": vars(args), "rows": rows}, f, indent=2)


def _child_argv(argv: list[str]) -> list[str]:
    """``argv`` without ``--edges`` and ``--json`` and their values (the child gets its own)."""
    out, skip = [], False
    for arg in argv:
        if arg in ("--edges", "--json"):
            skip = True
            continue
        if skip and not arg.startswith("--"):
            continue
        skip = False
        out.append(arg)
    return out


if __name__ == "__main__":
    main()
