"""hetgat on a GPU beside PyG in the same run: training ms per epoch and peak GPU memory.

    python -m benchmarks.gpu --prepare            # once, where ../shared/data exists: copies
                                                  # the data into benchmarks/data/ (git-ignored)
    PYTHONPATH=. python -m benchmarks.gpu --out gpu.json            # on the GPU machine
    python -m benchmarks.gpu --device cpu --quick --out /tmp/g.json  # a dry run on a CPU

Workloads (each beside its PyG peer, same architecture, same graph, same seed; an epoch is one
training step, forward + backward + Adam, timed with the device synchronised, median of the
measured epochs after warm-up):

- GAT and GATv2 on Cora and CiteSeer (2 layers, 8 heads x 8, dropout 0.6) vs PyG ``GATConv`` /
  ``GATv2Conv`` on the same edges (self-loops included, none added);
- HAN on ``han:acm`` (PAP and PLP, 1 layer, 8 heads x 8) vs PyG ``HANConv`` on the same
  meta-path graphs;
- Simple-HGN on HGB ACM, DBLP, IMDB (HGB's settings) and on a generated heterogeneous graph of
  10^7 edges (2 layers there, so that the peer fits) vs PyG ``GATConv`` with ``edge_dim``: a
  Simple-HGN built from PyG's layer, the edge-type embedding as edge features (the same score
  term ``a_e^T W_e r_psi(e)``), per-type input projections, residuals, L2-normalised output;
  it lacks only Simple-HGN's attention residual (PyG has none).

Then GAT on Cora trained with ``hetgat.train.fit`` on the device over 10 seeds (test accuracy,
to compare with the CPU figures in BENCHMARKS.md). The JSON file is rewritten after every
workload, so a run cut off keeps what it measured; the last lines printed are one table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
import traceback
from pathlib import Path

import torch

DATA = Path(__file__).resolve().parent / "data"
FILES = {
    "planetoid": [f"ind.{n}.{s}" for n in ("cora", "citeseer") for s in
                  ("x", "tx", "allx", "y", "ty", "ally", "graph", "test.index")],
    "han": ["ACM3025.mat"],
    "hgb": ["ACM.zip", "DBLP.zip", "IMDB.zip"],
}  # fmt: skip


def prepare(source: Path) -> None:
    """Copy the benchmark data from ``source`` (``$HETGAT_DATA``) into benchmarks/data/."""
    for folder, names in FILES.items():
        (DATA / folder).mkdir(parents=True, exist_ok=True)
        for name in names:
            shutil.copy2(source / folder / name, DATA / folder / name)
    print(f"copied {sum(len(v) for v in FILES.values())} files into {DATA}")


# -- timing -----------------------------------------------------------------------------------


def sync(device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_training(step, device, warmup: int, epochs: int) -> dict:
    """Median ms of ``step()`` after ``warmup`` calls, and the peak memory while training."""
    for _ in range(warmup):
        step()
    sync(device)
    times = []
    for _ in range(epochs):
        tick = time.perf_counter()
        step()
        sync(device)
        times.append((time.perf_counter() - tick) * 1000)
    out = {"ms": statistics.median(times), "epochs": epochs}
    if device.type == "cuda":
        out["peak_mb"] = torch.cuda.max_memory_allocated(device) / 2**20
    return out


def fresh(device) -> None:
    import gc

    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)


# -- hetgat -----------------------------------------------------------------------------------


def hetgat_step(data, model_config, device, lr=0.005, weight_decay=5e-4):
    from hetgat.models import build_model, resolve_config
    from hetgat.train import model_inputs
    from hetgat.train.loop import loss_fn

    torch.manual_seed(0)
    config = resolve_config(model_config, data)
    model = build_model(config, data.schema()).to(device)
    graph, features = model_inputs(data, device)
    graph = model.prepare_graph(graph)
    labels = data.labels.to(device)
    train = data.train_mask.nonzero().squeeze(1).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)

    def step():
        model.train()
        opt.zero_grad(set_to_none=True)
        logits = model(graph, features)
        loss_fn(logits[train], labels[train], data.multilabel).backward()
        opt.step()

    return step, (model, graph, features)


# -- PyG peers --------------------------------------------------------------------------------


def edge_index(graph, etype) -> torch.Tensor:
    return torch.stack(graph.edges(etype=etype))


def dense(x: torch.Tensor) -> torch.Tensor:
    return x.to_dense() if x.layout != torch.strided else x


def pyg_homogeneous(data, kind: str, device):
    from torch import nn
    from torch_geometric.nn import GATConv, GATv2Conv

    conv = GATConv if kind == "gat" else GATv2Conv
    x = dense(data.features["node"]).to(device)
    ei = edge_index(data.graph, data.graph.canonical_etypes[0]).to(device)
    c = data.num_classes

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = conv(x.shape[1], 8, heads=8, dropout=0.6, add_self_loops=False)
            self.c2 = conv(64, c, heads=1, concat=False, dropout=0.6, add_self_loops=False)

        def forward(self):
            h = nn.functional.dropout(x, 0.6, self.training)
            h = nn.functional.elu(self.c1(h, ei))
            return self.c2(nn.functional.dropout(h, 0.6, self.training), ei)

    return _pyg_step(Net().to(device), data, device)


def pyg_han(data, model, graph, device):
    from torch import nn
    from torch_geometric.nn import HANConv

    target = data.target_type
    x = {target: dense(data.features[target]).to(device)}
    ei = {e: edge_index(graph, e).to(device) for e in graph.canonical_etypes}
    metadata = ([target], list(ei))

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.han = HANConv(x[target].shape[1], 64, metadata, heads=8, dropout=0.6)
            self.out = nn.Linear(64, data.num_classes)

        def forward(self):
            return self.out(self.han(x, ei)[target])

    return _pyg_step(Net().to(device), data, device, weight_decay=1e-3)


def pyg_simplehgn(data, model, typed, device, layers: int, hidden=64, heads=8, edge_feats=64):
    """Simple-HGN from PyG's GATConv with ``edge_dim`` (see the module notes)."""
    import inspect

    from torch import nn
    from torch_geometric.nn import GATConv

    hetero = typed.hetero
    ei = torch.stack(typed.homo.edges()).to(device)
    etype = typed.etype.to(device)
    num_etypes = len(hetero.canonical_etypes)
    feats = {t: dense(f).to(device) for t, f in data.features.items()}
    sizes = {t: hetero.num_nodes(t) for t in hetero.ntypes}
    start = sum(sizes[t] for t in hetero.ntypes[: hetero.ntypes.index(data.target_type)])
    rows = slice(start, start + sizes[data.target_type])
    has_residual = "residual" in inspect.signature(GATConv.__init__).parameters

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = nn.ModuleDict({t: nn.Linear(feats[t].shape[1], hidden) for t in feats})
            self.emb = nn.ParameterDict(
                {t: nn.Parameter(torch.randn(sizes[t], hidden) * 0.1)
                 for t in hetero.ntypes if t not in feats}
            )  # fmt: skip
            self.etype_emb = nn.Embedding(num_etypes, edge_feats)
            self.convs = nn.ModuleList()
            size = hidden
            for i in range(layers):
                last = i == layers - 1
                kw = {"residual": i > 0 or last} if has_residual else {}
                self.convs.append(
                    GATConv(size, data.num_classes if last else hidden, heads=1 if last else heads,
                            concat=not last, dropout=0.5, negative_slope=0.05,
                            add_self_loops=False, edge_dim=edge_feats, **kw)
                )  # fmt: skip
                size = hidden * heads

        def forward(self):
            h = torch.cat(
                [self.proj[t](feats[t]) if t in feats else self.emb[t] for t in hetero.ntypes]
            )
            e = self.etype_emb(etype)
            for i, conv in enumerate(self.convs):
                h = conv(nn.functional.dropout(h, 0.5, self.training), ei, e)
                if i < len(self.convs) - 1:
                    h = nn.functional.elu(h)
            h = h[rows]
            return h / h.norm(dim=1, keepdim=True).clamp(min=1e-12)

    return _pyg_step(Net().to(device), data, device, lr=5e-4, weight_decay=1e-4)


def _pyg_step(net, data, device, lr=0.005, weight_decay=5e-4):
    from hetgat.train.loop import loss_fn

    labels = data.labels.to(device)
    train = data.train_mask.nonzero().squeeze(1).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=weight_decay)

    def step():
        net.train()
        opt.zero_grad(set_to_none=True)
        loss_fn(net()[train], labels[train], data.multilabel).backward()
        opt.step()

    return step


# -- data -------------------------------------------------------------------------------------


def generated(edges: int, seed: int = 0):
    """A heterogeneous graph of about ``edges`` edges: ``edges / 10`` papers (32 features, 5
    classes, 10 % labelled for training), ``edges / 20`` authors (16 features), writes /
    written_by and cites (10^7 edges: 1 M papers, 500 k authors)."""
    from hetgat.data import GraphData
    from hetgat.sparse.hetero import HeteroGraph

    g = torch.Generator().manual_seed(seed)
    n_p, n_a = edges // 10, edges // 20
    per = edges // 3
    a, p = torch.randint(0, n_a, (per,), generator=g), torch.randint(0, n_p, (per,), generator=g)
    s, d = torch.randint(0, n_p, (per,), generator=g), torch.randint(0, n_p, (per,), generator=g)
    graph = HeteroGraph(
        {("author", "writes", "paper"): (a, p), ("paper", "written_by", "author"): (p, a),
         ("paper", "cites", "paper"): (s, d)},
        {"author": n_a, "paper": n_p},
    )  # fmt: skip
    labels = torch.randint(0, 5, (n_p,), generator=g)
    train = torch.rand(n_p, generator=g) < 0.1
    return GraphData(
        name="generated", graph=graph,
        features={"paper": torch.randn(n_p, 32, generator=g),
                  "author": torch.randn(n_a, 16, generator=g)},
        labels=labels, train_mask=train, val_mask=~train & (torch.rand(n_p, generator=g) < 0.1),
        test_mask=torch.zeros(n_p, dtype=torch.bool), target_type="paper",
        class_names=[str(i) for i in range(5)],
    )  # fmt: skip


def load(name: str, quick: bool):
    from hetgat.datasets import load_graph

    if name == "generated":
        return generated(200_000 if quick else 10_000_000)
    return load_graph(name)


# -- the run ----------------------------------------------------------------------------------


def workloads(quick: bool):
    """``(name, dataset, model, warmup, epochs)``."""
    few = (2, 3) if quick else None
    out = []
    for ds in ("planetoid:cora", "planetoid:citeseer"):
        for model in ("gat", "gatv2"):
            out.append((f"{model} {ds.split(':')[1]}", ds, model, *(few or (10, 50))))
    out.append(("han han:acm", "han:acm", "han", *(few or (5, 30))))
    for ds in ("hgb:acm", "hgb:dblp", "hgb:imdb"):
        out.append((f"simplehgn {ds}", ds, "simplehgn", *(few or (3, 15))))
    out.append(("simplehgn generated-1e7", "generated", "simplehgn", *(few or (2, 5))))
    return out


def measure(name, ds, model_name, warmup, epochs, device, cache, quick):
    from hetgat.config import ModelConfig

    data = cache.get(ds) or cache.setdefault(ds, load(ds, quick))
    result = {"workload": name, "edges": data.graph.num_edges()}
    values = {"num_layers": 2} if ds == "generated" else {}
    config = ModelConfig.for_model(model_name, **values)
    fresh(device)
    base = torch.cuda.memory_allocated(device) if device.type == "cuda" else 0
    step, (model, graph, _) = hetgat_step(
        data, config, device, **({"lr": 5e-4, "weight_decay": 1e-4} if model_name == "simplehgn"
                                 else {"weight_decay": 1e-3} if model_name == "han" else {})
    )  # fmt: skip
    ours = time_training(step, device, warmup, epochs)
    if "peak_mb" in ours:
        ours["peak_mb"] -= base / 2**20
    result["hetgat"] = ours
    del step
    peer_graph = graph
    fresh(device)
    base = torch.cuda.memory_allocated(device) if device.type == "cuda" else 0
    try:
        if model_name in ("gat", "gatv2"):
            peer = pyg_homogeneous(data, model_name, device)
        elif model_name == "han":
            peer = pyg_han(data, model, peer_graph.cpu(), device)
        else:
            peer = pyg_simplehgn(data, model, peer_graph.to("cpu"), device, config.num_layers)
        del model, graph, peer_graph
        theirs = time_training(peer, device, warmup, epochs)
        if "peak_mb" in theirs:
            theirs["peak_mb"] -= base / 2**20
        result["pyg"] = theirs
        result["ms_ratio"] = ours["ms"] / theirs["ms"]
        if "peak_mb" in ours:
            result["memory_ratio"] = ours["peak_mb"] / theirs["peak_mb"]
    except torch.cuda.OutOfMemoryError as exc:
        result["pyg"] = {"error": f"out of memory: {str(exc).splitlines()[0]}"}
    return result


def accuracy_over_seeds(device, seeds: int, quick: bool) -> dict:
    from hetgat.config import ModelConfig, TrainConfig
    from hetgat.datasets import load_graph
    from hetgat.train import fit

    data = load_graph("planetoid:cora")
    accs, seconds = [], []
    for seed in range(seeds):
        config = TrainConfig(seed=seed, device=str(device), **({"epochs": 5} if quick else {}))
        r = fit(data, ModelConfig(), config)
        accs.append(r.metrics["test_accuracy"] * 100)
        seconds.append(r.metrics["seconds_per_epoch"] * 1000)
    return {
        "workload": f"gat cora accuracy, {seeds} seeds",
        "test_accuracy_mean": statistics.fmean(accs),
        "test_accuracy_std": statistics.pstdev(accs),
        "per_seed": accs,
        "ms_per_epoch_with_validation": statistics.median(seconds),
    }


def table(results: list) -> str:
    lines = [
        "| workload | edges | hetgat ms | PyG ms | ratio | hetgat MB | PyG MB | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        if "hetgat" not in r:
            continue
        ours, theirs = r["hetgat"], r.get("pyg", {})

        def f(x, fmt="{:.2f}"):
            return fmt.format(x) if isinstance(x, (int, float)) else "-"

        lines.append(
            f"| {r['workload']} | {r['edges']:,} | {f(ours.get('ms'))} | "
            f"{f(theirs.get('ms')) if 'error' not in theirs else theirs['error'][:20]} | "
            f"{f(r.get('ms_ratio'))} | {f(ours.get('peak_mb'), '{:.0f}')} | "
            f"{f(theirs.get('peak_mb'), '{:.0f}')} | {f(r.get('memory_ratio'))} |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prepare", action="store_true", help="copy the data, then stop")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--out", default="gpu.json")
    parser.add_argument("--quick", action="store_true", help="a few epochs: a dry run")
    parser.add_argument("--budget", type=float, default=270.0, help="seconds; later skipped")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--only", default=None, help="comma-separated workload names")
    args = parser.parse_args(argv)
    if args.prepare:
        prepare(Path(os.environ.get("HETGAT_DATA", "../shared/data")))
        return 0
    if DATA.is_dir():
        os.environ["HETGAT_DATA"] = str(DATA)
    os.environ.setdefault("HETGAT_OFFLINE", "1")
    device = torch.device(args.device)
    start = time.perf_counter()
    info = {
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "torch": torch.__version__,
        "python": sys.version.split()[0],
    }
    try:
        import torch_geometric

        info["torch_geometric"] = torch_geometric.__version__
    except ImportError:
        info["torch_geometric"] = None
    from hetgat.sparse import kernels_for

    info["hetgat_kernels"] = kernels_for(device)
    results: list = []

    def save():
        Path(args.out).write_text(json.dumps({"info": info, "results": results}, indent=2))

    cache: dict = {}
    todo = workloads(args.quick)
    if args.only:
        wanted = set(args.only.split(","))
        todo = [w for w in todo if w[0] in wanted]
    for name, ds, model, warmup, epochs in todo:
        if time.perf_counter() - start > args.budget:
            results.append({"workload": name, "skipped": "time budget"})
            continue
        tick = time.perf_counter()
        try:
            r = measure(name, ds, model, warmup, epochs, device, cache, args.quick)
        except Exception as exc:  # one workload's failure must not lose the others
            r = {"workload": name, "error": f"{type(exc).__name__}: {exc}"[:500],
                 "traceback": traceback.format_exc()[-2000:]}  # fmt: skip
        r["seconds"] = time.perf_counter() - tick
        results.append(r)
        save()
        print(json.dumps({k: v for k, v in r.items() if k != "traceback"}), flush=True)
    cache.clear()
    fresh(device)
    if time.perf_counter() - start < args.budget + 60:
        try:
            results.append(accuracy_over_seeds(device, args.seeds, args.quick))
        except Exception as exc:
            results.append({"workload": "gat cora accuracy", "error": repr(exc)[:500]})
        save()
        print(json.dumps(results[-1]), flush=True)
    print(json.dumps(info))
    print(table(results))
    print(f"total {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
