"""Exact layer-wise inference over a ``DistGraph``, shared by the trainers.

As :func:`hetgat.train.inference.layerwise_forward` on one machine: layer ``l``'s output is
computed for every node before layer ``l + 1`` starts, ``chunk_size`` destination nodes at a
time on one-layer blocks with all their in-edges, so a node's output is the full graph's.
Here each trainer computes the nodes of its share (those its machine's part owns) and writes
them to ``DistTensor`` rows held by the graph servers, which the next layer reads back from
wherever they live. A trainer holds one layer's outputs of its own nodes, never the graph's.
Attention goes the same way, into per-edge-type ``DistTensor`` rows; rank 0 reads the logits
and the attention of the whole graph at the end (what the run folder's tables hold).
"""

from __future__ import annotations

import torch

from hetgat.distributed import collective
from hetgat.distributed.blocks import BlockSampler, Layout


@torch.no_grad()
def layerwise(session, net, layout: Layout, rows, chunk_size: int, get_attention: bool):
    """Logits of every target node and, with ``get_attention``, each layer's attention.

    Returns, on rank 0, ``(logits, attention)``: logits ``(N_target, C)`` in the graph's id
    order, attention a list per layer of ``{canonical etype: (E_r, H)}`` in edge-id order
    (layout edge types, self-loops included) or None; ``(None, None)`` on the other ranks.
    """
    graph = session.graph
    sampler = BlockSampler(graph, layout, [None])
    everything = torch.arange(layout.num_nodes())
    owner = collective.owners(session, layout, everything)
    mine = collective.share(everything, owner, session.rank, collective.machines(session))
    keep = get_attention or net.previous_attention
    hidden, prev, stores = None, None, []
    for i in range(len(net.layers)):
        outs, eids, atts = [], [], []
        for start in range(0, len(mine), chunk_size):
            block = sampler.block(mine[start : start + chunk_size], None)
            if i == 0:
                h = net.block_input(layout, rows, block.src_nid)
            else:
                h = hidden.read(block.src_nid)
            out, a = net.layer_forward(i, block, h, layout, prev)
            outs.append(out)
            if keep:
                eids.append(block.eid)
                atts.append(a)
        out = _rows(outs, collective.all_max(outs[0].shape[1] if outs else 0))
        policies = collective.node_policies(graph, layout)
        store = collective.TypedStore(session, layout.nodes, policies, f"hetgat-h{i}", out.shape[1])
        store.write(mine, out)
        session.barrier()
        if hidden is not None:
            hidden.free()
        hidden = store
        if keep:
            prev = (_cat(eids, torch.long), _rows(atts, collective.all_max(_width(atts))))
        if get_attention:
            edges = collective.TypedStore(
                session,
                layout.edges,
                collective.edge_policies(graph, layout),
                f"hetgat-a{i}",
                prev[1].shape[1],
            )
            edges.write(*prev)
            stores.append(edges)
    session.barrier()
    logits, attention = None, None
    if session.rank == 0:
        target = layout.ntypes.index(session.parts.schema.target_type)
        logits = net.block_output(hidden.read(layout.nodes.range(target)))
        if get_attention:
            attention = [
                {e: store.read_type(k) for k, e in enumerate(layout.canonical_etypes)}
                for store in stores
            ]
    session.barrier()
    for store in [hidden, *stores]:
        store.free()
    return logits, attention


def _width(tensors: list) -> int:
    return tensors[0].shape[1] if tensors else 0


def _rows(tensors: list, width: int) -> torch.Tensor:
    return torch.cat(tensors) if tensors else torch.zeros(0, width)


def _cat(tensors: list, dtype) -> torch.Tensor:
    return torch.cat(tensors) if tensors else torch.zeros(0, dtype=dtype)
