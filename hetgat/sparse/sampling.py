"""Uniform neighbour sampling into blocks, in plain torch (no DGL needed), on any device.

For mini-batch training, the output nodes of a batch are the destinations of the last layer's
block; each layer's block holds, for every destination, up to ``fanout`` of its in-edges drawn
uniformly without replacement (all of them when it has fewer, or when ``fanout`` is None), and
its sources become the next block's destinations, input layer last. As in DGL, a block's first
``num_dst`` source nodes are its destinations, ``src_nid``/``dst_nid`` are the nodes' ids and
``eid`` the edges' ids in the sampled graph. Draws come from torch's generator, so the same seed
samples the same neighbourhoods whatever the thread count.

Graphs: a :class:`Graph`, or a :class:`HeteroGraph` whose relations all join one node type
(HAN's meta-path graphs), sampled ``fanout`` per relation.
"""

from __future__ import annotations

import torch

from hetgat.sparse.graph import Graph
from hetgat.sparse.hetero import HeteroGraph


def sample_edges(graph: Graph, seeds: torch.Tensor, fanout: int | None) -> torch.Tensor:
    """Edge ids of up to ``fanout`` in-edges of each node of ``seeds`` (all when None)."""
    indptr, _, perm = graph.csc()
    starts = indptr[seeds]
    degrees = indptr[seeds + 1] - starts
    total = int(degrees.sum())
    if total == 0:
        return perm[:0]
    segment = torch.repeat_interleave(torch.arange(len(seeds), device=seeds.device), degrees)
    first = torch.cumsum(degrees, 0) - degrees
    position = starts[segment] + torch.arange(total, device=seeds.device) - first[segment]
    if fanout is None or int(degrees.max()) <= fanout:
        return perm[position]
    # A random key per edge, sorted within each node: its first `fanout` are a uniform draw.
    keys = torch.rand(total, dtype=torch.float64, device=seeds.device)
    order = torch.argsort(segment.to(torch.float64) + keys)
    rank = torch.arange(total, device=seeds.device) - first[segment[order]]
    return perm[position[order[rank < fanout]]]


def _relabel(seeds: torch.Tensor, sources: torch.Tensor):
    """Block node ids: ``seeds`` first (in their order), then the other sources (sorted).
    Returns ``(nodes, local ids of sources)``."""
    both = torch.cat([seeds, sources])
    unique, inverse = torch.unique(both, return_inverse=True)
    new = torch.empty_like(unique)
    is_seed = torch.zeros(len(unique), dtype=torch.bool, device=seeds.device)
    is_seed[inverse[: len(seeds)]] = True
    new[inverse[: len(seeds)]] = torch.arange(len(seeds), device=seeds.device)
    new[~is_seed] = len(seeds) + torch.arange(int((~is_seed).sum()), device=seeds.device)
    nodes = torch.empty_like(unique)
    nodes[new] = unique
    return nodes, new[inverse[len(seeds) :]]


def sample_block(graph, seeds: torch.Tensor, fanout: int | None):
    """One block: ``seeds`` as destinations, up to ``fanout`` in-edges each (per relation)."""
    if isinstance(graph, Graph):
        eids = sample_edges(graph, seeds, fanout)
        nodes, src = _relabel(seeds, graph.src[eids])
        dst = _positions(seeds, graph.dst[eids])
        return nodes, Graph(
            src,
            dst,
            len(nodes),
            len(seeds),
            is_block=True,
            eid=eids,
            src_nid=nodes,
            dst_nid=seeds,
            check=False,
        )
    if len(graph.ntypes) != 1:
        raise ValueError("blocks are sampled from graphs whose relations join one node type")
    ntype = graph.ntypes[0]
    picked = {e: sample_edges(g, seeds, fanout) for e, g in graph.relations.items()}
    sources = torch.cat([g.src[picked[e]] for e, g in graph.relations.items()])
    nodes, local = _relabel(seeds, sources)
    data, start = {}, 0
    for e, g in graph.relations.items():
        count = len(picked[e])
        dst = _positions(seeds, g.dst[picked[e]])
        block = Graph(local[start : start + count], dst, len(nodes), len(seeds), is_block=True)
        block.eid, block.src_nid, block.dst_nid = picked[e], nodes, seeds
        data[e], start = block, start + count
    block = HeteroGraph(
        data,
        {ntype: len(nodes)},
        num_dst_nodes_dict={ntype: len(seeds)},
        src_nid={ntype: nodes},
        dst_nid={ntype: seeds},
        check=False,
    )
    return nodes, block


def _positions(seeds: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """Positions in ``seeds`` (unique) of ``ids`` (all among them)."""
    order = torch.argsort(seeds)
    return order[torch.searchsorted(seeds[order], ids)]


def block_eids(block):
    """The sampled graph's edge ids of a block's edges (a dict per relation for a
    :class:`HeteroGraph` block)."""
    if isinstance(block, Graph):
        return block.eid
    return {e: g.eid for e, g in block.relations.items()}


class NeighborSampler:
    """Blocks for a stack of layers: ``fanouts[l]`` in-edges per node in layer ``l`` (input
    layer first; None takes all), as DGL's ``NeighborSampler``."""

    def __init__(self, fanouts) -> None:
        self.fanouts = list(fanouts)

    def sample(self, graph, seeds: torch.Tensor):
        """``(input nodes, output nodes, blocks)``, blocks input layer first."""
        blocks, nodes = [], seeds
        for fanout in reversed(self.fanouts):
            nodes_next, block = sample_block(graph, nodes, fanout)
            blocks.insert(0, block)
            nodes = nodes_next
        return nodes, seeds, blocks


class BlockLoader:
    """Batches of ``seeds`` (shuffled anew at every pass when ``shuffle``), each with its
    sampled blocks: ``(input nodes, output nodes, blocks)``."""

    def __init__(self, graph, seeds, sampler, *, batch_size: int, shuffle: bool, device) -> None:
        self.graph, self.seeds, self.sampler = graph, seeds, sampler
        self.batch_size, self.shuffle, self.device = batch_size, shuffle, device

    def __len__(self) -> int:
        return (len(self.seeds) + self.batch_size - 1) // self.batch_size

    def __iter__(self):
        seeds = self.seeds
        if self.shuffle:
            seeds = seeds[torch.randperm(len(seeds)).to(seeds.device)]
        for start in range(0, len(seeds), self.batch_size):
            inputs, outputs, blocks = self.sampler.sample(
                self.graph, seeds[start : start + self.batch_size]
            )
            yield (
                inputs.to(self.device),
                outputs.to(self.device),
                [b.to(self.device) for b in blocks],
            )
