"""SeHGNN's pre-computation: relation paths, their features' time, size and the peak memory.

    HETGAT_DATA=../shared/data python -m benchmarks.sehgnn_paths hgb:acm --hops 2

One process per measurement (the peak resident memory is the process's, loading included).
As ``--model sehgnn`` computes them: a type without features starts paths too, with one-hot
ids (the product is the path's mean operator, applied to a learned embedding when training).
"""

from __future__ import annotations

import argparse
import resource
import time

import torch

from hetgat.datasets import load_graph
from hetgat.datasets.path_features import path_features, relation_paths
from hetgat.models.sehgnn import identity


def nbytes(x: torch.Tensor) -> int:
    if x.layout == torch.sparse_csr:
        parts = (x.crow_indices(), x.col_indices(), x.values())
        return sum(t.numel() * t.element_size() for t in parts)
    return x.numel() * x.element_size()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("graph")
    parser.add_argument("--hops", type=int, default=2)
    parser.add_argument(
        "--path-relations", default=None, help="comma-separated relations (default: all)"
    )
    args = parser.parse_args(argv)
    data = load_graph(args.graph)
    loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    relations = args.path_relations.split(",") if args.path_relations else None
    paths = relation_paths(data.schema(), args.hops, relations=relations)
    start = time.perf_counter()
    inputs = dict(data.features)
    for t in data.graph.ntypes:
        if t not in inputs:
            inputs[t] = identity(data.graph.num_nodes(t), "cpu")
    out = path_features(data.graph, inputs, paths)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    dense = sum(x.layout == torch.strided for x in out)
    size = sum(nbytes(x) for x in out) / 2**20
    print(
        f"{args.graph} hops {args.hops}: {len(paths)} paths ({dense} dense), {seconds:.2f} s, "
        f"{size:.0f} MiB of path features, peak RSS {peak:.0f} MiB ({loaded:.0f} MiB after "
        "loading the graph)"
    )


if __name__ == "__main__":
    main()
