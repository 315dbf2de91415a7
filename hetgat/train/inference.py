"""Inference: predictions, evaluation, attention; in one forward pass or layer by layer.

Layer-wise inference over all nodes in chunks is for graphs too large for one forward pass.

Layer ``l``'s output is computed for every node before layer ``l + 1`` starts, ``chunk_size``
destination nodes at a time, each chunk on a one-layer block with all of its in-edges
(``NeighborSampler([None])``). A node's output is therefore the same as in a
full-graph forward pass; memory holds one layer's outputs for all nodes plus one chunk's edges
(and, with ``get_attention`` or for Simple-HGN's attention residual, one ``(E, H)`` tensor per
layer). Attention is written back by the blocks' original edge ids (``eid``), so the
:class:`~hetgat.records.Attention` record is identical to the full pass's.
"""

from __future__ import annotations

import logging

import torch

from hetgat.data import GraphData
from hetgat.errors import ConfigError
from hetgat.records import Attention
from hetgat.sparse.csr import index_rows
from hetgat.sparse.sampling import NeighborSampler, block_eids
from hetgat.train.loop import SPLITS, model_inputs, probabilities
from hetgat.train.metrics import THRESHOLD, classification_metrics, one_class
from hetgat.train.smoothing import Smoothing


@torch.no_grad()
def layerwise_forward(model, graph, features: dict, chunk_size: int, get_attention=False):
    """Logits of every target node, computed layer by layer in chunks of destination nodes.

    Parameters
    ----------
    model : NodeClassifier
        In eval mode; its network must have the layer-wise API (see :mod:`hetgat.train.minibatch`).
    graph : object
        The model's prepared graph (``model.prepare_graph(data.graph)``).
    features : dict[str, torch.Tensor]
        Input features per node type.
    chunk_size : int
        Destination nodes per block.
    get_attention : bool, default False
        Also return the :class:`~hetgat.records.Attention` (in the graph's edge-id order).

    Returns
    -------
    torch.Tensor or (torch.Tensor, Attention)
        Logits ``(N_target, C)``, as ``model(graph, features)`` gives them.
    """
    net = model.net
    if not net.supports_blocks:
        raise ConfigError("model", type(net).__name__, "a model with layer-wise inference")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ConfigError("chunk_size", chunk_size, "an integer >= 1")
    g = net.block_graph(graph)
    device = g.device
    rows = model.input_rows(features)
    typed = getattr(graph, "hetero", graph)  # Simple-HGN's TypedGraph keeps the typed graph
    targets = net.block_seeds(
        graph, torch.arange(typed.num_nodes(model.target_type), device=device)
    )
    everything = torch.arange(g.num_nodes(), device=device)
    sampler = NeighborSampler([None])
    keep = get_attention or net.previous_attention
    finish = net.needs_all_destinations
    h, prev, edges, semantic = None, None, [], []
    for i in range(len(net.layers)):
        # Without attention, the last layer needs only the targets (unless it fuses all nodes).
        last_only = i == len(net.layers) - 1 and not get_attention and not finish
        dst = targets if last_only else everything
        h_next, att = None, None
        for start in range(0, len(dst), chunk_size):
            src, _, (block,) = sampler.sample(g, dst[start : start + chunk_size])
            h_src = net.block_input(graph, rows, src) if i == 0 else index_rows(h, src)
            out, a = net.layer_forward(i, block, h_src, graph, prev)
            if h_next is None:  # filled in place: one copy of the layer's output, not two
                h_next = out.new_empty(len(dst), *out.shape[1:])
            h_next[start : start + len(out)] = out
            if keep:
                att = _store(att, g, block_eids(block), a)
        h = h_next
        if finish:
            h, records = net.layer_finish(i, h)
            semantic.append(records)
        prev = (None, att)
        edges.append(att)
    logits = net.block_output(h if last_only else h[targets])
    if not get_attention:
        return logits
    record = net.block_attention(graph, edges, semantic)
    return logits, (Attention(graph, record) if isinstance(record, list) else record)


def _store(att, g, eids, a):
    """Write a block's attention ``a`` into the whole graph's ``(E, H)`` tensor(s) at ``eids``
    (per edge type when ``a`` is a dict)."""
    if isinstance(a, dict):
        att = {} if att is None else att
        for etype, values in a.items():
            if etype not in att:
                att[etype] = values.new_empty(g.num_edges(etype), values.shape[1])
            att[etype][eids[etype]] = values
        return att
    if isinstance(eids, dict):  # a one-relation graph's block
        (eids,) = eids.values()
    if att is None:
        att = a.new_empty(g.num_edges(), a.shape[1])
    att[eids] = a
    return att


#: Target rows per chunk of a model on pre-computed inputs (SeHGNN) when no chunk size is
#: given: its rows are independent, so chunks give the full pass's values, and a chunk's
#: activations (about 80 KiB a row at 6 paths x 512 wide) stay a few hundred MiB.
PRECOMPUTED_ROWS = 4096


def rows_forward(model, graph, features: dict, rows, chunk_size=None, get_attention=False):
    """Logits of target rows ``rows`` of a model on pre-computed inputs (``precomputes``), in
    chunks of ``chunk_size`` rows (default :data:`PRECOMPUTED_ROWS`); with ``get_attention``
    also the :class:`~hetgat.records.Attention` of those rows (every chunk's part, in order).
    Each row is computed alone, so the values are the one-pass values; memory holds one
    chunk's activations (and, under autograd, what the backward pass keeps of every chunk).
    """
    if chunk_size is not None and (
        isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1
    ):
        raise ConfigError("chunk_size", chunk_size, "an integer >= 1")
    chunks = rows.split(chunk_size or PRECOMPUTED_ROWS)
    if not get_attention:
        return torch.cat([model.rows_logits(graph, features, r) for r in chunks])
    outs = [model.rows_logits(graph, features, r, get_attention=True) for r in chunks]
    logits = torch.cat([o[0] for o in outs])
    return logits, model.net.rows_attention(graph, torch.cat([o[1] for o in outs]))


@torch.no_grad()
def predict(
    model,
    data: GraphData,
    device: str = "cpu",
    get_attention: bool = False,
    graph=None,
    chunk_size: int | None = None,
    smoothing: Smoothing | None = None,
):
    """Class probabilities ``(N, C)`` of the target type in eval mode (softmax, or sigmoid if
    multi-label); with ``get_attention`` also the :class:`~hetgat.records.Attention`.

    ``smoothing`` (:class:`~hetgat.train.smoothing.Smoothing`: Correct and Smooth with its
    training labels) post-processes the probabilities of all target nodes: the one place where
    it happens, for the metrics of training and every prediction of a run.

    ``graph`` is the model's prepared graph when the caller has it already. With
    ``chunk_size``, the same values are computed layer by layer in chunks of that many nodes
    (:func:`hetgat.train.inference.layerwise_forward`), for graphs too large for one forward pass;
    a model on pre-computed inputs (SeHGNN) always runs in row chunks of that many target
    nodes (default :data:`PRECOMPUTED_ROWS`), attention included (:func:`rows_forward`).
    ``data`` is checked first (:meth:`~hetgat.data.GraphData.validate`). ``model`` may be a
    :class:`~hetgat.runs.run.Run` or a :class:`FitResult` too (their model is used).
    """
    data.validate()
    if hasattr(model, "model_for"):  # a Run: its model, per-node inputs matched by id
        model = model.model_for(data)
    model = getattr(model, "model", model)  # a FitResult: its model
    model.eval()
    g, features = model_inputs(data, device, model)
    if graph is None:
        graph = model.prepare_graph(g, features)
    if getattr(model.net, "precomputes", False):
        rows = torch.arange(len(data.train_mask), device=torch.device(device))
        out = rows_forward(model, graph, features, rows, chunk_size, get_attention)
        logits, attention = out if get_attention else (out, None)
    elif chunk_size:
        out = layerwise_forward(model, graph, features, chunk_size, get_attention=get_attention)
        logits, attention = out if get_attention else (out, None)
    else:
        logits, attention = model(graph, features, get_attention=True)
    probs = probabilities(logits, data.multilabel).cpu()
    if smoothing is not None:
        probs = smoothing.apply(probs, data)
    if get_attention:
        return probs, attention.to("cpu")
    return probs


@torch.no_grad()
def evaluate(
    model,
    data: GraphData,
    device="cpu",
    graph=None,
    chunk_size=None,
    warn_collapse=False,
    smoothing: Smoothing | None = None,
) -> dict:
    """Accuracy, macro-F1 and micro-F1 on each split, keyed ``<split>_<metric>``
    (``chunk_size``, ``smoothing``: see :func:`predict`). ``warn_collapse``: say so when the
    model predicts one class for every validation node (:func:`warn_if_collapsed`)."""
    probs = predict(model, data, device, graph=graph, chunk_size=chunk_size, smoothing=smoothing)
    metrics = split_metrics(probs, data)
    if warn_collapse:
        warn_if_collapsed(probs, data)
        collapsed = one_class_splits(probs, data)
        if collapsed:  # said in `hetgat fit`'s summary; absent when all is well
            metrics["one_class"] = collapsed
    return metrics


def one_class_splits(probs: torch.Tensor, data: GraphData) -> list[str]:
    """The splits (``val``, ``test``) on which the model has collapsed: every node gets the
    same class, or the same label set (:func:`~hetgat.train.metrics.one_class`)."""
    out = []
    for split in ("val", "test"):
        mask = getattr(data, f"{split}_mask")
        if one_class(probs[mask], data.labels[mask], data.multilabel):
            out.append(split)
    return out


def split_metrics(probs: torch.Tensor, data: GraphData) -> dict:
    """:func:`evaluate`'s figures from the probabilities ``(N, C)`` of every target node,
    wherever they were computed."""
    out = {}
    for split in SPLITS:
        mask = getattr(data, f"{split}_mask")
        scores = classification_metrics(
            probs[mask], data.labels[mask], data.num_classes, data.multilabel
        )
        out.update({f"{split}_{k}": v for k, v in scores.items()})
    return out


def warn_if_collapsed(probs: torch.Tensor, data: GraphData) -> None:
    """Warn when the predictions on the validation nodes (the training nodes where there are
    none) are one class, or one label set, for every node (a model that collapsed, e.g. RGAT
    on HeCo's Freebase with one seed: best epoch 0)."""
    split = "validation" if bool(data.val_mask.any()) else "training"
    nodes = data.val_mask if split == "validation" else data.train_mask
    if not one_class(probs[nodes], data.labels[nodes], data.multilabel):
        return
    first = probs[nodes][0]
    if data.multilabel:
        names = [data.class_names[int(c)] for c in (first > THRESHOLD).nonzero().flatten()]
        what = f"one label set ({', '.join(map(repr, names)) or 'no label'})"
    else:
        what = f"one class ({data.class_names[int(first.argmax())]!r})"
    logging.getLogger("hetgat").warning(
        f"the model predicts {what} for every {split} node: it has collapsed. Try "
        "early_stopping macro_f1 (the command's "
        "--early-stopping), another learning rate or another seed"
    )
