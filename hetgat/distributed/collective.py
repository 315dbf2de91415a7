"""What the trainers of a job agree on: who takes which nodes, sums and gathers across them
(torch's process group), and rows kept by DistDGL's servers (:class:`TypedStore`).

Node shares follow the data: the nodes a part owns go to the trainers of that part's machine,
so that features and neighbourhoods come mostly from the local server.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.distributed as dist

from hetgat.distributed.blocks import TypedIds


def machines(session) -> list[int]:
    """The machine of every rank."""
    mine = torch.tensor([session.machine])
    every = [torch.zeros_like(mine) for _ in range(session.world_size)]
    dist.all_gather(every, mine)
    return [int(m) for m in every]


def owners(session, layout, ids: torch.Tensor) -> torch.Tensor:
    """The part (= machine) that owns each layout node id."""
    book = session.partition_book
    kind, local = layout.nodes.split(ids)
    out = torch.empty(len(ids), dtype=torch.long)
    for k, ntype in enumerate(layout.ntypes):
        mask = kind == k
        if mask.any():
            out[mask] = torch.as_tensor(book.nid2partid(local[mask], ntype)).long()
    return out


def share(ids: torch.Tensor, owner: torch.Tensor, rank: int, ranks_machine: list[int], pad=False):
    """This rank's share of ``ids``: the ids owned by its machine, split in contiguous runs
    among that machine's trainers (all ids among all trainers if a machine has none).

    ``pad``: every share as long as the longest, topped up with the share's own first ids
    (as torch's ``DistributedSampler``), so that every trainer runs as many steps.
    """
    world = len(ranks_machine)
    order = np.lexsort((ids.numpy(), owner.numpy()))
    ids, owner = ids[order], owner[order]
    if set(owner.tolist()) <= set(ranks_machine):
        pieces = {}
        for m in sorted(set(ranks_machine)):
            ranks = [r for r in range(world) if ranks_machine[r] == m]
            split = np.array_split(ids[owner == m].numpy(), len(ranks))
            for r, part in zip(ranks, split, strict=True):
                pieces[r] = torch.from_numpy(part)
    else:
        pieces = dict(enumerate(torch.from_numpy(p) for p in np.array_split(ids.numpy(), world)))
    mine = pieces[rank]
    if pad:
        longest = max(len(p) for p in pieces.values())
        if len(mine) < longest:
            pool = mine if len(mine) else ids
            mine = torch.cat([mine, pool.repeat(longest // max(len(pool), 1) + 1)])[:longest]
    return mine


def all_sum(values: list[float]) -> list[float]:
    t = torch.tensor(values, dtype=torch.float64)
    dist.all_reduce(t)
    return t.tolist()


def all_max(value: int) -> int:
    t = torch.tensor([value])
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return int(t)


def gather_rows(t: torch.Tensor) -> torch.Tensor:
    """Every rank's rows of ``t`` (any first dimension), concatenated in rank order, on
    every rank."""
    sizes = [torch.zeros(1, dtype=torch.long) for _ in range(dist.get_world_size())]
    dist.all_gather(sizes, torch.tensor([len(t)]))
    longest = max(int(s) for s in sizes)
    padded = t.new_zeros((longest, *t.shape[1:]))
    padded[: len(t)] = t
    every = [torch.zeros_like(padded) for _ in sizes]
    dist.all_gather(every, padded)
    return torch.cat([e[: int(s)] for e, s in zip(every, sizes, strict=True)])


class TypedStore:
    """Rows of ``width`` floats over typed ids (the nodes or the edges of a :class:`Layout`),
    one ``DistTensor`` per type held by the graph servers with the type's partition policy.

    Creating and :meth:`free` are collective: every trainer calls them at the same point.
    """

    def __init__(self, session, ids: TypedIds, policies: list, name: str, width: int) -> None:
        dgl = session.dgl
        self.ids = ids
        self.tensors = [
            dgl.distributed.DistTensor(
                (n, width), torch.float32, f"{name}-{k}", part_policy=policy, persistent=True
            )
            if n
            else None
            for k, (n, policy) in enumerate(zip(ids.counts, policies, strict=True))
        ]

    def write(self, ids: torch.Tensor, values: torch.Tensor) -> None:
        kind, local = self.ids.split(ids)
        for k, tensor in enumerate(self.tensors):
            mask = kind == k
            if tensor is not None and mask.any():
                tensor[local[mask]] = values[mask]

    def read(self, ids: torch.Tensor) -> torch.Tensor:
        kind, local = self.ids.split(ids)
        out = None
        for k, tensor in enumerate(self.tensors):
            mask = kind == k
            if tensor is None or not mask.any():
                continue
            rows = tensor[local[mask]]
            if out is None:
                out = rows.new_empty((len(ids), *rows.shape[1:]))
            out[mask] = rows
        return out if out is not None else torch.zeros(0, 0)

    def read_type(self, kind: int) -> torch.Tensor:
        """All rows of type ``kind`` in id order."""
        return self.read(self.ids.range(kind))

    def free(self) -> None:
        for tensor in self.tensors:
            if tensor is not None:
                tensor.kvstore.delete_data(tensor.kvstore_key)
        self.tensors = []


def node_policies(graph, layout) -> list:
    return [graph.get_node_partition_policy(t) for t in layout.ntypes]


def edge_policies(graph, layout) -> list:
    """Edge types of the graph keep their policy; a self-loop relation its node type's."""
    return [
        graph.get_node_partition_policy(e[0])
        if layout.is_self_loop(k)
        else graph.get_edge_partition_policy(e)
        for k, e in enumerate(layout.canonical_etypes)
    ]
