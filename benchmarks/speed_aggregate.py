"""The attention-weighted sum ``h_i = sum_j w_ij z_j`` (forward + backward): DGL's SpMM kernel
against the per-head CSR products of :mod:`hetgat.sparse.dgl_ops`, on real graphs.

    HETGAT_DATA=../shared/data python -m benchmarks.speed_aggregate --repeats 5

For each graph and each size per head ``D`` (8 heads), one call of
:func:`hetgat.sparse.dgl_ops.weighted_sum` with a dropout mask, forward then backward, as the
attention layers make it; the two kernels alternate (A, B, A, B, ...) in one process and give
the same sums. This is the measurement behind :data:`hetgat.sparse.dgl_ops.MIN_FEATS`.
"""

from __future__ import annotations

import argparse
import json
import statistics

import torch

import hetgat.sparse.dgl_ops as aggregate
from benchmarks.common import alternate, machine_info
from hetgat.datasets import load_graph
from hetgat.models.simplehgn import typed_graph
from hetgat.sparse.dgl_interop import to_dgl
from hetgat.sparse.graph import Graph
from hetgat.sparse.masks import dropout_mask

GRAPHS = ("planetoid:cora", "han:acm/paper-author-paper", "han:acm/paper-subject-paper", "hgb:acm")


def homogeneous(name: str):
    """The graph ``name`` as one edge type: a relation of it (``source/relation``), the graph
    itself, or a heterogeneous graph flattened as Simple-HGN runs on it."""
    source, _, relation = name.partition("/")
    graph = load_graph(source).graph
    if relation:
        graph = graph[relation]
    elif not graph.is_homogeneous:
        graph = typed_graph(graph).homo
    src, dst = graph.edges()
    return to_dgl(Graph(src, dst, graph.num_nodes()))


def call(graph, w, z, mask, grad, min_feats: int):
    def run() -> None:
        aggregate.MIN_FEATS = min_feats
        w.grad = z.grad = None
        aggregate.weighted_sum(graph, w, z, mask).backward(grad)

    return run


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graphs", nargs="+", default=list(GRAPHS))
    parser.add_argument("--feats", nargs="+", type=int, default=[8, 16, 32, 64])
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    chosen = aggregate.MIN_FEATS
    print(f"machine: {machine_info()}")
    print(
        "| graph | edges | D | DGL SpMM ms | CSR products ms | CSR / DGL |\n"
        "|---|---:|---:|---:|---:|---:|",
        flush=True,
    )
    raw = []
    for name in args.graphs:
        graph = homogeneous(name)
        for feats in args.feats:
            torch.manual_seed(0)
            shape = (graph.num_edges(), args.heads, 1)
            w = torch.rand(shape, requires_grad=True)
            z = torch.randn(graph.num_nodes(), args.heads, feats, requires_grad=True)
            mask, grad = dropout_mask(shape, 0.5), torch.randn(graph.num_nodes(), args.heads, feats)
            fns = {
                "dgl": call(graph, w, z, mask, grad, 10**9),
                "csr": call(graph, w, z, mask, grad, 1),
            }
            times = alternate(fns, args.repeats)
            med = {k: statistics.median(v) * 1000 for k, v in times.items()}
            raw.append({"graph": name, "edges": graph.num_edges(), "feats": feats, "ms": times})
            print(
                f"| {name} | {graph.num_edges():,} | {feats} | {med['dgl']:.1f} | "
                f"{med['csr']:.1f} | {med['csr'] / med['dgl']:.2f} |",
                flush=True,
            )
    aggregate.MIN_FEATS = chosen
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"machine": machine_info(), "runs": raw}, fh, indent=1)


if __name__ == "__main__":
    main()
