"""Seconds per training epoch and per inference forward: hetgat vs stock DGL vs PyG.

Run ``python -m benchmarks.speed_gat --dataset cora --repeats 7 --epochs 50``; see
``benchmarks/README.md`` for what each figure means. Tables go to stdout, progress to stderr.

Peers, all with the GAT paper's transductive architecture (2 layers, 8 heads x 8 hidden with ELU
and concatenation, 1 output head averaged, dropout 0.6 on inputs and attention, Adam lr 0.005,
weight decay 5e-4) on the same graph (Planetoid edges plus one self-loop per node):

- ``hetgat``: :func:`hetgat.models.build_model` on the sparse CSR features as loaded;
- ``dgl-stock``: ``dgl.nn.GATConv`` / ``GATv2Conv`` on dense features, as a stock-DGL user has;
- ``pyg``: ``torch_geometric.nn.GATConv`` / ``GATv2Conv`` on dense features and ``edge_index``
  (``add_self_loops=False``: the loops are already in the graph), only if PyG imports.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from benchmarks.common import alternate, machine_info, median
from hetgat.config import ModelConfig, TrainConfig
from hetgat.datasets.planetoid import load_planetoid
from hetgat.models import build_model
from hetgat.sparse.dgl_interop import require_dgl, to_dgl
from hetgat.train import model_inputs, seed_everything

HIDDEN, HEADS, DROP = 8, 8, 0.6


class StockDGL(nn.Module):
    """Two stock DGL attention layers: ``(N, F) -> (N, H*D)`` (ELU, concat) ``-> (N, C)`` (mean)."""

    def __init__(self, model: str, in_feats: int, num_classes: int) -> None:
        super().__init__()
        dgl = require_dgl("the stock DGL peer")
        conv = {"gat": dgl.nn.GATConv, "gatv2": dgl.nn.GATv2Conv}[model]
        common = {"feat_drop": DROP, "attn_drop": DROP, "allow_zero_in_degree": True}
        self.hidden = conv(in_feats, HIDDEN, HEADS, activation=F.elu, **common)
        self.out = conv(HIDDEN * HEADS, num_classes, 1, **common)

    def forward(self, graph, feat: torch.Tensor) -> torch.Tensor:
        return self.out(graph, self.hidden(graph, feat).flatten(1)).mean(1)


class StockPyG(nn.Module):
    """The same two layers in PyG, input dropout written out as in PyG's ``examples/gat.py``."""

    def __init__(self, model: str, in_feats: int, num_classes: int) -> None:
        super().__init__()
        import torch_geometric.nn as pyg_nn

        conv = {"gat": pyg_nn.GATConv, "gatv2": pyg_nn.GATv2Conv}[model]
        common = {"dropout": DROP, "add_self_loops": False}
        self.hidden = conv(in_feats, HIDDEN, heads=HEADS, **common)
        self.out = conv(HIDDEN * HEADS, num_classes, heads=1, concat=False, **common)

    def forward(self, edge_index: torch.Tensor, feat: torch.Tensor) -> torch.Tensor:
        h = F.dropout(feat, DROP, self.training)
        h = F.elu(self.hidden(h, edge_index))
        return self.out(F.dropout(h, DROP, self.training), edge_index)


def pyg_status() -> str | None:
    """None when PyTorch Geometric imports, else why it does not."""
    try:
        import torch_geometric.nn  # noqa: F401
    except Exception as exc:  # ImportError, or a binary-incompatible extension
        return f"{type(exc).__name__}: {exc}"
    return None


def build_peers(data, model: str, seed: int) -> dict[str, tuple[nn.Module, tuple]]:
    """Each peer's model (seeded alike) and the positional inputs of its ``forward``.

    hetgat's model is built and called as :func:`hetgat.train.fit` does; the stock peers get the
    target type's features made dense, and the same edges (PyG as an ``edge_index``).
    """
    graph, features = model_inputs(data)
    dense = data.features[data.target_type].to_dense()
    classes = data.num_classes
    peers = {}
    seed_everything(seed)
    peers["hetgat"] = (build_model(ModelConfig(name=model), data.schema()), (graph, features))
    seed_everything(seed)
    peers["dgl-stock"] = (StockDGL(model, dense.shape[1], classes), (to_dgl(graph), dense))
    if pyg_status() is None:
        src, dst = graph.edges()
        edge_index = torch.stack([src, dst]).contiguous()
        seed_everything(seed)
        peers["pyg"] = (StockPyG(model, dense.shape[1], classes), (edge_index, dense))
    return peers


def train_block(model: nn.Module, inputs: tuple, data, epochs: int):
    """A callable that runs ``epochs`` epochs as :func:`hetgat.train.fit` does, without metrics.

    One epoch: forward in train mode, cross-entropy on the training nodes, backward, Adam step;
    then a forward in eval mode under ``no_grad`` and the validation loss as a Python float.
    """
    config = TrainConfig()
    opt = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    labels = data.labels
    train_idx = data.train_mask.nonzero().squeeze(1)
    val_idx = data.val_mask.nonzero().squeeze(1)

    def run() -> None:
        for _ in range(epochs):
            model.train()
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(*inputs)[train_idx], labels[train_idx])
            loss.backward()
            opt.step()
            model.eval()
            with torch.no_grad():
                logits = model(*inputs)
                float(F.cross_entropy(logits[val_idx], labels[val_idx]))

    return run


def infer_block(model: nn.Module, inputs: tuple, calls: int):
    """A callable that runs ``calls`` forwards in eval mode under ``no_grad``."""

    def run() -> None:
        model.eval()
        with torch.no_grad():
            for _ in range(calls):
                model(*inputs)

    return run


def measure(data, model: str, args: argparse.Namespace) -> list[dict]:
    """Alternating timings of every peer, training then inference; one record per peer and phase."""
    peers = build_peers(data, model, args.seed)
    records = []
    blocks = {
        "train": {n: train_block(m, x, data, args.epochs) for n, (m, x) in peers.items()},
        "infer": {n: infer_block(m, x, args.epochs) for n, (m, x) in peers.items()},
    }
    for phase, fns in blocks.items():
        times = alternate(fns, args.repeats, args.warmup)
        for name, seconds in times.items():
            per_unit = [s / args.epochs for s in seconds]
            records.append(
                {
                    "dataset": data.name,
                    "model": model,
                    "peer": name,
                    "phase": phase,
                    "units_per_block": args.epochs,
                    "block_seconds": seconds,
                    "median_s": median(per_unit),
                    "min_s": min(per_unit),
                    "params": sum(p.numel() for p in peers[name][0].parameters()),
                }
            )
    return records


def table(records: list[dict], phase: str, unit: str) -> str:
    """A markdown table of one phase; the ratio is hetgat's median over the peer's median."""
    head = f"| dataset | model | peer | median ms/{unit} | min ms/{unit} | hetgat/peer |"
    lines = [head, "|---|---|---|---:|---:|---:|"]
    rows = [r for r in records if r["phase"] == phase]
    for r in rows:
        ref = next(
            x["median_s"]
            for x in rows
            if (x["dataset"], x["model"], x["peer"]) == (r["dataset"], r["model"], "hetgat")
        )
        lines.append(
            f"| {r['dataset']} | {r['model']} | {r['peer']} | {1e3 * r['median_s']:.2f} "
            f"| {1e3 * r['min_s']:.2f} | {ref / r['median_s']:.2f} |"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options; every default is in its ``--help`` line."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    p = argparse.ArgumentParser(prog="python -m benchmarks.speed_gat", description=__doc__)
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    add = p.add_argument
    add("--dataset", nargs="+", default=["cora", "citeseer"], help="default: cora citeseer")
    add("--model", nargs="+", default=["gat", "gatv2"], choices=["gat", "gatv2"])
    add("--repeats", type=int, default=7, help="timed blocks per peer (default: 7)")
    add("--epochs", type=int, default=50, help="epochs, or forwards, per block (default: 50)")
    add("--warmup", type=int, default=1, help="untimed rounds first (default: 1)")
    add("--threads", type=int, default=cores, help=f"torch and DGL threads (default: {cores})")
    add("--seed", type=int, default=0, help="seed of every peer's model (default: 0)")
    add("--data-dir", default=None, help="Planetoid folder (default: $HETGAT_DATA/planetoid)")
    add("--json", type=Path, default=None, metavar="PATH", help="write the raw numbers here")
    args = p.parse_args(argv)
    for name in ("repeats", "epochs", "threads"):
        if getattr(args, name) < 1:
            p.error(f"--{name} must be >= 1, got {getattr(args, name)}")
    if args.warmup < 0:
        p.error(f"--warmup must be >= 0, got {args.warmup}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    require_dgl("the stock DGL peer").utils.set_num_threads(args.threads)
    skipped = pyg_status()
    info = machine_info()  # before timing, so that the load average is that of other jobs
    records = []
    for name in args.dataset:
        data = load_planetoid(name, args.data_dir)
        for model in args.model:
            print(f"timing {name} {model} ...", file=sys.stderr, flush=True)
            records.extend(measure(data, model, args))
    print("machine: " + ", ".join(f"{k}={v}" for k, v in info.items()))
    blocks = f"{args.repeats} blocks of {args.epochs}"
    print(f"\nTraining (forward, loss, backward, Adam step, eval forward); {blocks} epochs\n")
    print(table(records, "train", "epoch"))
    print(f"\nInference (eval mode, no_grad); {blocks} forwards\n")
    print(table(records, "infer", "call"))
    if skipped:
        print(f"\npyg: skipped ({skipped})")
    if args.json:
        payload = {
            "machine": info,
            "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
            "pyg_skipped": skipped,
            "records": records,
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
