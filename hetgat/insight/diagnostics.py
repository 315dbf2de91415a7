"""What a trained model learned, as numbers: embeddings, accuracy by degree, attention entropy.

The pictures of :mod:`hetgat.insight.plots`, the tables of ``hetgat explain`` and ``hetgat report``
are drawn from these functions; none of them needs matplotlib.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from hetgat.data import GraphData
from hetgat.errors import HetgatError
from hetgat.models import build_model
from hetgat.records import per_etype_softmax, softmax_degrees
from hetgat.train import model_inputs
from hetgat.train.metrics import THRESHOLD


def initial_model(run, data: GraphData) -> torch.nn.Module:
    """The run's model with the weights ``fit`` started from (same config, same seed), for
    ``data`` (its per-node rows matched by id, as the trained model's).

    ``fit`` seeds every generator with ``train_config.seed`` and then builds the model; the
    weights are drawn from torch's generator only, so seeding it alone rebuilds them. The
    caller's random state is left as it was.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(run.train_config.seed)
        model = build_model(run.model_config, run.schema)
    if run.model.inputs.label_input is not None:  # data, not weights: the run's own
        model.inputs.set_label_input(run.model.inputs.label_input, run.model.inputs.label_partition)
    return run.model_for(data, model.eval())


@torch.no_grad()
def embeddings(model, data: GraphData) -> np.ndarray:
    """The last hidden layer of ``model`` for every target node, ``(N, D)``, in eval mode."""
    model.eval()
    graph, features = model_inputs(data, model=model)
    h = model.embed(model.prepare_graph(graph, features), features)
    if h is None or h.layout != torch.strided:  # one-layer models have no hidden layer
        raise HetgatError("the model has a single layer: there is no hidden layer to show")
    return h.float().numpy()


def labelled_nodes(data: GraphData) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the labelled target nodes and the class each is coloured by.

    Multi-label nodes are coloured by their first class.
    """
    labels = data.labels.numpy()
    if data.multilabel:
        has = labels.sum(1) > 0
        return np.flatnonzero(has), labels[has].argmax(1)
    nodes = np.flatnonzero(labels >= 0)
    return nodes, labels[nodes]


def in_degrees(data: GraphData) -> np.ndarray:
    """In-edges of every target node over all edge types, self-loops left out."""
    g, t = data.graph, data.target_type
    degree = np.zeros(g.num_nodes(t), dtype=np.int64)
    for etype in g.canonical_etypes:
        if etype[2] != t:
            continue
        src, dst = (x.numpy() for x in g.edges(etype=etype))
        if etype[0] == t:
            dst = dst[src != dst]
        degree += np.bincount(dst, minlength=len(degree))
    return degree


def degree_buckets(degree: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Bucket of each degree: 0, 1, 2, 3-4, 5-8, 9-16, ... (powers of two), and the names."""
    bucket = np.where(degree <= 0, 0, np.ceil(np.log2(np.maximum(degree, 1))).astype(int) + 1)
    names = ["0", "1", "2"] + [
        f"{2 ** (b - 2) + 1}-{2 ** (b - 1)}" for b in range(3, int(bucket.max(initial=0)) + 1)
    ]
    return bucket, names


def accuracy_by_degree(data: GraphData, probs: torch.Tensor, split: str = "test") -> pd.DataFrame:
    """``bucket, nodes, correct, accuracy`` of the ``split`` nodes, per in-degree bucket.

    Accuracy is that of :func:`hetgat.train.metrics.classification_metrics` (multi-label: the whole
    label set right). Buckets without a node are left out.
    """
    mask = getattr(data, f"{split}_mask").numpy()
    if data.multilabel:
        correct = ((probs.numpy() > THRESHOLD) == (data.labels.numpy() > 0)).all(1)
    else:
        labels = data.labels.numpy()
        correct = probs.numpy().argmax(1) == labels
        mask = mask & (labels >= 0)
    bucket, names = degree_buckets(in_degrees(data))
    frame = pd.DataFrame({"bucket": bucket[mask], "correct": correct[mask]})
    table = frame.groupby("bucket")["correct"].agg(nodes="size", correct="sum").reset_index()
    table["accuracy"] = table["correct"] / table["nodes"]
    table["bucket"] = [names[b] for b in table["bucket"]]
    return table


@dataclass
class EntropyGroup:
    """Attention entropy of the nodes with at least two in-edges, for one layer and head.

    Attributes
    ----------
    layer, head : int
        Counting from 0.
    edge_type : str
        The relation or meta-path whose softmax it is; ``"all"`` where one softmax runs over
        every in-edge of a node (Simple-HGN).
    node_type : str
        The type of the nodes (destinations).
    entropy : numpy.ndarray
        :math:`-\\sum_j \\alpha_{ij} \\log \\alpha_{ij}` of each node, in nats.
    uniform : numpy.ndarray
        :math:`\\log d_i`, the entropy of uniform attention over the node's ``d_i`` in-edges.
    """

    layer: int
    head: int
    edge_type: str
    node_type: str
    entropy: np.ndarray
    uniform: np.ndarray

    @property
    def ratio(self) -> float:
        """Mean entropy over mean uniform entropy: 1 is averaging, near 0 is selecting."""
        return float(self.entropy.mean() / self.uniform.mean()) if len(self.entropy) else np.nan


def attention_entropy(attention) -> list[EntropyGroup]:
    """Per layer, edge type and head, each node's attention entropy and the uniform one.

    ``attention`` is the :class:`~hetgat.records.Attention` of a forward pass. When the
    weights of some (edge type, destination) do not sum to 1, the model normalises over all
    in-edges together (Simple-HGN) and the edge types are pooled.
    """
    from scipy.special import xlogy

    graph, groups = attention.graph, []
    for layer, per_layer in enumerate(attention.edges):
        if not isinstance(per_layer, dict):
            per_layer = {graph.canonical_etypes[0]: per_layer}
        parts = []
        for etype, a in per_layer.items():
            dst = graph.edges(etype=etype, order="eid")[1].numpy()
            key = (etype[2], etype[1])
            parts.append((key, dst, a.detach().double().cpu().numpy()))
        if not per_etype_softmax(parts, graph):
            pooled = {}
            for (dst_type, _), dst, a in parts:
                pooled.setdefault((dst_type, "all"), []).append((dst, a))
            parts = [(k, *map(np.concatenate, zip(*v, strict=True))) for k, v in pooled.items()]
        for (dst_type, name), dst, a in parts:
            n = graph.num_nodes(dst_type)
            degree = np.bincount(dst, minlength=n)
            keep = degree >= 2
            for head in range(a.shape[1]):
                h = np.bincount(dst, weights=-xlogy(a[:, head], a[:, head]), minlength=n)
                groups.append(
                    EntropyGroup(layer, head, name, dst_type, h[keep], np.log(degree[keep]))
                )
    return groups


def top_edges(attention, node_ids: dict, k: int = 20, min_in_edges: int = 3) -> pd.DataFrame:
    """The ``k`` edges of each layer attended most above uniform, heads averaged.

    A raw weight mostly reflects the destination's in-degree (one of two in-edges gets about
    0.5 with no preference at all), so edges are ranked by ``times_uniform``, the weight over
    uniform attention's ``1 / in_edges`` (see :func:`softmax_degrees`); above 1 the edge is
    attended more than uniform. Only edges into nodes with at least ``min_in_edges`` in-edges
    count, and self-loops are left out. Columns ``layer, edge_type, src_type, src, dst_type,
    dst, attention, uniform, times_uniform, above_uniform, in_edges``.
    """
    graph, rows = attention.graph, []
    for layer, (per_layer, degrees) in enumerate(
        zip(attention.edges, softmax_degrees(attention), strict=True)
    ):
        if not isinstance(per_layer, dict):
            per_layer = {graph.canonical_etypes[0]: per_layer}
        parts = []
        for etype, a in per_layer.items():
            src, dst = (x.numpy() for x in graph.edges(etype=etype, order="eid"))
            degree = degrees[etype][dst]
            keep = (degree >= min_in_edges) & ~((src == dst) & (etype[0] == etype[2]))
            mean = a.detach().float().cpu().numpy().mean(1)[keep]
            times = mean * degree[keep]
            parts.append(
                pd.DataFrame(
                    {
                        "layer": layer,
                        "edge_type": etype[1],
                        "src_type": etype[0],
                        "src": node_ids[etype[0]][src[keep]],
                        "dst_type": etype[2],
                        "dst": node_ids[etype[2]][dst[keep]],
                        "attention": mean,
                        "uniform": 1.0 / degree[keep],
                        "times_uniform": times,
                        "above_uniform": times > 1.0,
                        "in_edges": degree[keep],
                    }
                )
            )
        if not parts:  # no edge attention in this layer (SeHGNN: neighbours averaged before)
            continue
        frame = pd.concat(parts, ignore_index=True)
        rows.append(frame.sort_values("times_uniform", ascending=False, kind="stable").head(k))
    if not rows:
        return pd.DataFrame(columns=TOP_EDGE_COLUMNS)
    return pd.concat(rows, ignore_index=True)


#: The columns of :func:`top_edges`.
TOP_EDGE_COLUMNS = [
    "layer",
    "edge_type",
    "src_type",
    "src",
    "dst_type",
    "dst",
    "attention",
    "uniform",
    "times_uniform",
    "above_uniform",
    "in_edges",
]
