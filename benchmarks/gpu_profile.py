"""Where the GPU time of hetgat's plain-torch kernels goes, and the alternatives beside them.

    PYTHONPATH=. python -m benchmarks.gpu_profile

Prints (1) torch.profiler's top CUDA kernels for Simple-HGN on HGB ACM and GAT on Cora, one
training step each, and (2) the weighted sum ``h_i = sum_j w_ij z_j`` (forward + backward) on
Simple-HGN's ACM graph (8 heads x 64) and Cora (8 x 8) done four ways: the block-diagonal CSR
product (hetgat's default), a gather + ``index_add_`` (PyG's way, an ``(E, H, D)`` message
tensor), per-head CSR products, and the weights' gradient by ``sampled_addmm`` instead of a
chunked gather. Medians of 20 after 5 warm-up calls.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

import torch

DATA = Path(__file__).resolve().parent / "data"


def _sync(device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn, device, repeats=20, warmup=5) -> float:
    for _ in range(warmup):
        fn()
    _sync(device)
    out = []
    for _ in range(repeats):
        tick = time.perf_counter()
        fn()
        _sync(device)
        out.append((time.perf_counter() - tick) * 1000)
    return statistics.median(out)


def profile_step(name, spec, config, device):
    from torch.profiler import ProfilerActivity, profile

    from benchmarks.gpu import hetgat_step
    from hetgat.datasets import load_graph

    data = load_graph(spec)
    step, _ = hetgat_step(data, config, device)
    for _ in range(3):
        step()
    _sync(device)
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    with profile(activities=activities) as prof:
        for _ in range(3):
            step()
        _sync(device)
    print(f"== {name}: top kernels over 3 steps")
    print(
        prof.key_averages().table(
            sort_by="cuda_time_total" if device.type == "cuda" else "cpu_time_total",
            row_limit=22,
            max_name_column_width=70,
        )
    )


def weighted_sum_variants(name, graph, heads, feats, device):
    import hetgat.sparse.spmm as T

    g = graph.to(device)
    n_src, n_dst, e = g.num_src_nodes(), g.num_dst_nodes(), g.num_edges()
    w = torch.rand(e, heads, 1, device=device, requires_grad=True)
    z = torch.randn(n_src, heads, feats, device=device, requires_grad=True)

    def run(fn):
        def go():
            w.grad = z.grad = None
            out = fn()
            out.backward(torch.ones_like(out))

        return timed(go, device)

    def gather_scatter():
        msg = z.index_select(0, g.src) * w
        return torch.zeros(n_dst, heads, feats, device=device).index_add_(0, g.dst, msg)

    def per_head():
        indptr, idx, perm = g.csc()
        outs = []
        for k in range(heads):
            m = torch.sparse_csr_tensor(indptr, idx, w[:, k, 0][perm], (n_dst, n_src))
            outs.append(torch.sparse.mm(m, z[:, k]))
        return torch.stack(outs, 1)

    results = {
        "block-diagonal CSR (hetgat)": run(lambda: T.weighted_sum(g, w, z)),
        "gather + index_add_ (PyG's way)": run(gather_scatter),
    }
    with torch.no_grad():
        grad = torch.randn(n_dst, heads, feats, device=device)
        results["dw: chunked gather (hetgat)"] = timed(lambda: T._sddmm_dot(g, z, grad), device)
        crow, col, perm, rows, cols = T._block_diagonal(g, "csc", heads)
        pattern = torch.sparse_csr_tensor(
            crow, col, torch.ones(len(col), device=device), (heads * rows, heads * cols)
        )
        zt = z.transpose(0, 1).reshape(heads * n_src, feats)
        gt = grad.transpose(0, 1).reshape(heads * n_dst, feats)
        results["dw: sampled_addmm"] = timed(
            lambda: torch.sparse.sampled_addmm(pattern, gt, zt.t(), beta=0.0), device
        )
        results["dz: block-diagonal CSR"] = timed(
            lambda: T._spmm(g, "csr", w.detach().reshape(e, heads), grad, n_src), device
        )
        results["forward only: block-diagonal"] = timed(
            lambda: T._spmm(g, "csc", w.detach().reshape(e, heads), z.detach(), n_dst), device
        )
        results["forward only: gather + index_add_"] = timed(gather_scatter, device)
        results["forward only: per-head CSR"] = timed(per_head, device)
    print(f"== weighted sum, {name}: {e:,} edges, {heads} x {feats}")
    for k, v in results.items():
        print(f"  {k:40s} {v:8.3f} ms")


def main() -> None:
    from hetgat.config import ModelConfig
    from hetgat.datasets import load_graph
    from hetgat.models.simplehgn import typed_graph

    if DATA.is_dir():
        os.environ["HETGAT_DATA"] = str(DATA)
    device = torch.device(os.environ.get("DEVICE", "cuda"))
    acm = load_graph("hgb:acm")
    typed = typed_graph(acm.graph)
    weighted_sum_variants("HGB ACM typed graph", typed.homo, 8, 64, device)
    cora = load_graph("planetoid:cora")
    weighted_sum_variants("Cora", cora.graph[cora.graph.canonical_etypes[0]], 8, 8, device)
    profile_step("simplehgn hgb:acm", "hgb:acm", ModelConfig.for_model("simplehgn"), device)
    profile_step("gat cora", "planetoid:cora", ModelConfig(), device)


if __name__ == "__main__":
    main()
