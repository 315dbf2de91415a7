"""How full-batch GAT time and memory grow with edges, heads and feature size: hetgat vs stock DGL.

    python -m benchmarks.scale_gat [--edges 1e4 1e5 1e6 1e7] [--heads 8] [--feats 64]
        [--vary-heads 1 2 4 8] [--vary-feats 16 64 256] [--at 1e6] [--repeats 3] [--json PATH]

Graphs are generated as in :mod:`benchmarks.minibatch_scale` (``edges / 10`` nodes, skewed
in-degrees, one self-loop per node, dense features, 5 classes). The workload is one ``hetgat
fit`` epoch: GAT with 2 layers (``--heads`` x 8 hidden, ELU; 1 output head), dropout 0.6, a
training step with Adam, then an eval forward. Peers: hetgat's GAT (``build_model``) and the
same two layers from stock ``dgl.nn.GATConv``.

Every (size, peer) runs in its own process, so that its memory is its own; the processes of the
two peers alternate, ``--repeats`` times. Per process: the median seconds per epoch over
``--epochs`` epochs after one warm-up, and the peak resident memory of training minus the
memory before it (graph, features and model built): ``train MiB``; divided by edges x heads of
the hidden layer it gives ``B/(edge·head)``. ``kept``: the bytes of per-edge tensors that
autograd keeps from a training forward for its backward pass, per edge and hidden head (what
the math of the two layers needs between the passes; the rest of the peak is transient).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import time

PEERS = ("hetgat", "dgl-stock")
MIB = 1024**2


def _status_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        return int(re.search(rf"{field}:\s+(\d+)", f.read()).group(1))


def _reset_peak() -> None:
    with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
        f.write("5")  # Linux: reset VmHWM to the current resident size


def measure(peer: str, edges: int, heads: int, feats: int, epochs: int) -> dict:
    """One measurement in this process."""
    import torch
    import torch.nn.functional as F

    from benchmarks.minibatch_scale import generate
    from benchmarks.speed_gat import StockDGL
    from hetgat.config import ModelConfig
    from hetgat.data import GraphData
    from hetgat.models import build_model
    from hetgat.sparse.hetero import HeteroGraph
    from hetgat.train import seed_everything

    g, x, labels = generate(edges, 10, feats)
    n = g.num_nodes()
    graph = HeteroGraph({("node", "edge", "node"): g.edges()}, {"node": n})
    train = torch.zeros(n, dtype=torch.bool)
    train[: n // 10] = True
    data = GraphData(
        name="generated",
        graph=graph,
        features={"node": x},
        labels=labels,
        train_mask=train,
        val_mask=~train,
        test_mask=~train,
        target_type="node",
        class_names=[str(c) for c in range(5)],
        node_ids={},
    )
    seed_everything(0)
    if peer == "hetgat":
        model = build_model(ModelConfig(heads=heads), data.schema())
        model.prepare_graph(graph)
        inputs = (graph, {"node": x})
    else:
        import benchmarks.speed_gat as speed

        speed.HEADS = heads
        model = StockDGL("gat", feats, 5)
        inputs = (graph, x)
    opt = torch.optim.Adam(model.parameters(), lr=0.005, weight_decay=5e-4)
    train_idx, val_idx = train.nonzero().squeeze(1), (~train).nonzero().squeeze(1)

    def epoch() -> float:
        tick = time.perf_counter()
        model.train()
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(*inputs)[train_idx], labels[train_idx]).backward()
        opt.step()
        model.eval()
        with torch.no_grad():
            float(F.cross_entropy(model(*inputs)[val_idx], labels[val_idx]))
        return time.perf_counter() - tick

    before = _status_kib("VmRSS")
    _reset_peak()
    times = [epoch() for _ in range(epochs + 1)][1:]
    peak = _status_kib("VmHWM")
    train_bytes = (peak - before) * 1024
    model.train()
    kept = kept_for_backward(lambda: model(*inputs), g.num_edges())
    return {
        "peer": peer,
        "edges": g.num_edges(),
        "nodes": n,
        "heads": heads,
        "feats": feats,
        "seconds": statistics.median(times),
        "train_mib": train_bytes / MIB,
        "bytes_per_edge_head": train_bytes / (g.num_edges() * heads),
        "kept_edge_bytes_per_edge_head": kept / (g.num_edges() * heads),
    }


def kept_for_backward(forward, num_edges: int) -> int:
    """Bytes of the per-edge tensors (first dimension ``num_edges``) that autograd keeps for
    the backward pass of ``forward()``, each storage counted once (tensors saved by a part of
    the graph that was dropped before the forward returned are not counted)."""
    import weakref

    import torch

    saved = []

    def pack(t):
        # Saved as a detached view: handing back the tensor itself would tie a saved output to
        # its own autograd node in a cycle that outlives the forward, and count it.
        t = t.detach()
        if t.dim() and t.shape[0] == num_edges:
            saved.append(weakref.ref(t))
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = forward()  # noqa: F841 (keeps the graph, and what it saved, alive)
        storages = {}
        for ref in saved:
            t = ref()
            if t is not None:
                storages[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes()
    return sum(storages.values())


def child(args: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.scale_gat", "--child", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"child {args} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def sweep(points, repeats: int, epochs: int) -> list[dict]:
    """``points``: (edges, heads, feats); each measured ``repeats`` times per peer, alternating."""
    rows = []
    for edges, heads, feats in points:
        runs = {p: [] for p in PEERS}
        for _ in range(repeats):
            for peer in PEERS:
                args = [peer, str(edges), str(heads), str(feats), str(epochs)]
                runs[peer].append(child(args))
                print(f"{peer} {edges:.0e} edges h{heads} f{feats}: done", file=sys.stderr)
        for got in runs.values():
            rows.append(
                {
                    **got[0],
                    "seconds": statistics.median(r["seconds"] for r in got),
                    "train_mib": statistics.median(r["train_mib"] for r in got),
                    "bytes_per_edge_head": statistics.median(r["bytes_per_edge_head"] for r in got),
                }
            )
    return rows


def table(rows: list[dict]) -> str:
    lines = [
        "| edges | heads | feats | hetgat s/epoch | DGL s/epoch | ratio | hetgat train MiB | "
        "DGL train MiB | hetgat B/(edge·head) | DGL B/(edge·head) | hetgat kept | DGL kept |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    keyed = {(r["edges"], r["heads"], r["feats"], r["peer"]): r for r in rows}
    for e, h, f in dict.fromkeys((r["edges"], r["heads"], r["feats"]) for r in rows):
        a, b = keyed[(e, h, f, "hetgat")], keyed[(e, h, f, "dgl-stock")]
        lines.append(
            f"| {e:,} | {h} | {f} | {a['seconds']:.3f} | {b['seconds']:.3f} | "
            f"**{a['seconds'] / b['seconds']:.2f}** | "
            f"{a['train_mib']:.0f} | {b['train_mib']:.0f} | "
            f"{a['bytes_per_edge_head']:.0f} | {b['bytes_per_edge_head']:.0f} | "
            f"{a['kept_edge_bytes_per_edge_head']:.1f} | {b['kept_edge_bytes_per_edge_head']:.1f} |"
        )
    return "\n".join(lines)


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        peer, edges, heads, feats, epochs = argv[1:]
        print(json.dumps(measure(peer, int(float(edges)), int(heads), int(feats), int(epochs))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edges", type=float, nargs="+", default=[1e4, 1e5, 1e6, 1e7])
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--feats", type=int, default=64)
    parser.add_argument("--vary-heads", type=int, nargs="*", default=[1, 2, 4, 8])
    parser.add_argument("--vary-feats", type=int, nargs="*", default=[16, 64, 256])
    parser.add_argument("--at", type=float, default=1e6, help="edges of the heads/feats sweeps")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    from benchmarks.common import machine_info

    at = int(args.at)
    points = [(int(e), args.heads, args.feats) for e in args.edges]
    points += [(at, h, args.feats) for h in args.vary_heads if (at, h, args.feats) not in points]
    points += [(at, args.heads, f) for f in args.vary_feats if (at, args.heads, f) not in points]
    rows = sweep(points, args.repeats, args.epochs)
    print(f"machine: {machine_info()}")
    print(table(rows))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"machine": machine_info(), "rows": rows}, fh, indent=1)


if __name__ == "__main__":
    main()
