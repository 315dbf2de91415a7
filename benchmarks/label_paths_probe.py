"""A probe, not a feature: the leak-free label input propagated per typed relation path
(SeHGNN's label features, one block of columns per path) instead of pooled over every relation.

    HETGAT_DATA=../shared/data python -m benchmarks.label_paths_probe --seeds 0 1 2 \\
        --cases hgb:acm/hgt-drop05-allfeatures-labels

Every typed path of 1 or 2 relations from the target type back to it (on HGB's ACM: 9 paths,
e.g. paper-author then author-paper) carries the training labels with a mean over in-edges at
each step; the same random parts as :mod:`hetgat.datasets.labels` keep a training node's own
label (and its part's) out of its input. It replaces ``label_input`` in the training loop for
this process only; the case's ``label_hops`` is set to the number of paths so the model's input
has one block per path. Measured once (BENCHMARKS.md, HGT section): no gain over no label input
on ACM, so not built into hetgat.
"""

from __future__ import annotations

import sys

import torch

from hetgat.datasets.labels import leave_own_part_out, training_labels

#: Longest typed path, in relations.
PATH_HOPS = 2


def typed_paths(graph, target: str, hops: int) -> list[tuple]:
    """Every sequence of 1..``hops`` canonical edge types from ``target`` back to it."""
    paths = []

    def walk(path: list, ntype: str) -> None:
        if path and ntype == target:
            paths.append(tuple(path))
        if len(path) == hops:
            return
        for etype in graph.canonical_etypes:
            if etype[0] == ntype:
                walk(path + [etype], etype[2])

    walk([], target)
    return paths


def label_input_paths(data, hops: int, partitions: int, seed: int):
    """``(input, part)`` as :func:`hetgat.datasets.labels.label_input`, one block per path."""
    graph, target = data.graph, data.target_type
    paths = typed_paths(graph, target, PATH_HOPS)
    assert len(paths) == hops, (len(paths), hops)
    train, known, part = training_labels(data, partitions, seed)
    edges = {}
    for etype in graph.canonical_etypes:
        src, dst = graph.edges(etype=etype)
        degree = torch.bincount(dst, minlength=graph.num_nodes(etype[2])).clamp(min=1)
        edges[etype] = (src, dst, degree)

    def propagate(keep: torch.Tensor) -> torch.Tensor:
        start = torch.zeros(graph.num_nodes(target), known.shape[1])
        start[train[keep]] = known[keep]
        reached, blocks = {(): start}, []
        for path in paths:
            for k in range(1, len(path) + 1):
                if path[:k] not in reached:
                    src, dst, degree = edges[path[k - 1]]
                    y = reached[path[: k - 1]]
                    summed = torch.zeros(graph.num_nodes(path[k - 1][2]), y.shape[1])
                    reached[path[:k]] = summed.index_add_(0, dst, y[src]) / degree[:, None]
            blocks.append(reached[path])
        return torch.cat(blocks, 1)

    return leave_own_part_out(propagate, train, part, partitions), part


def main(argv=None) -> None:
    import hetgat.train.loop as loop
    from benchmarks import accuracy_hetero
    from hetgat.datasets import load_graph

    loop.label_input = label_input_paths
    counts = {}
    for key, (model_values, train_values, published, *split) in list(accuracy_hetero.CASES.items()):
        if model_values.get("label_hops"):
            if key[0] not in counts:
                data = load_graph(key[0], split_seed=0)
                counts[key[0]] = len(typed_paths(data.graph, data.target_type, PATH_HOPS))
            values = {**model_values, "label_hops": counts[key[0]]}
            accuracy_hetero.CASES[key] = (values, train_values, published, *split)
    accuracy_hetero.main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
