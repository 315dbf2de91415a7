r"""Correct and Smooth: label propagation over a trained model's predictions, as post-processing.

Huang et al., "Combining Label Propagation and Simple Models Out-performs Graph Neural
Networks", ICLR 2021 (https://arxiv.org/abs/2010.13993); PyG's ``CorrectAndSmooth``. It needs
no features: on graphs whose node types have none (HeCo's AMiner) the training labels spread
over the graph do what the inputs cannot (BENCHMARKS.md, "Node types without features").

The propagation operator :math:`P` is over the target type alone. For every relation
:math:`r: X \to T` into the target type :math:`T` from another type, the two-hop mean
:math:`M_r = D_r^{-1} A_r \, D_{r^\top}^{-1} A_r^\top` (a target node averages, over its
:math:`r`-neighbours :math:`x`, the mean of :math:`x`'s target neighbours: paper-author-paper);
for a relation :math:`T \to T`, its one-hop mean. :math:`P` is their sum, divided per row by
the number of relations that reach the row (so rows sum to one); a target node no relation
reaches keeps its own value (a self-loop). A homogeneous graph's :math:`P` is its row-normalised
adjacency. :math:`P` is never formed: :math:`P x` is two sums over each relation's edges.

With :math:`Y` the one-hot (multi-hot) labels of the training nodes :math:`L`, :math:`Z` the
model's probabilities ``(N, C)`` and :math:`\alpha` the weight of the neighbours:

.. math::
    \text{correct:}\quad E^{(0)} = (Y - Z)_L \text{ (0 elsewhere)},\quad
    E^{(k+1)} = \alpha P E^{(k)} + (1 - \alpha) E^{(0)},\quad
    Z' = Z + \sigma\, E / \lVert E_i \rVert_1

(autoscale: :math:`\sigma` is the mean L1 norm of the training rows of :math:`E^{(0)}`), then

.. math::
    \text{smooth:}\quad G^{(0)} = Z' \text{ with } G_L = Y,\quad
    G^{(k+1)} = \alpha P G^{(k)} + (1 - \alpha) G^{(0)}, \text{ re-clamping } G_L = Y

:data:`STEPS` times each. Only the training labels enter; validation and test labels are never
read. The result is made valid probabilities: single-label rows clipped at 0 and divided by
their sum (they already sum to 1: :math:`P` is row-stochastic and a residual row sums to 0),
multi-label entries clipped to ``[0, 1]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from hetgat.errors import ConfigError

#: Propagation steps of each of the two stages (the paper's 50).
STEPS = 50


def check_alpha(alpha: float) -> float:
    """``alpha`` as a float in ``[0, 1)`` (0: off), else a :class:`ConfigError` naming
    ``correct_smooth``."""
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 <= alpha < 1:
        raise ConfigError("correct_smooth", alpha, "a number in [0, 1): 0 off, e.g. 0.9")
    return float(alpha)


class TargetPropagation:
    """:math:`x \\mapsto P x` over the target type of ``graph`` (the module's operator).

    Parameters
    ----------
    graph : HeteroGraph
        The graph (on any device); only its relations that end at ``target_type`` are read.
    target_type : str
        The type whose nodes are propagated over.
    """

    def __init__(self, graph, target_type: str) -> None:
        self.n = graph.num_nodes(target_type)
        self.relations = []  # (src, dst, other type's node count or None, 1 / deg_dst, 1 / deg_src)
        reached = torch.zeros(self.n, device=graph.device)
        for etype in graph.canonical_etypes:
            if etype[2] != target_type:
                continue
            src, dst = graph.edges(etype)
            if len(src) == 0:
                continue
            n_src = graph.num_nodes(etype[0])
            deg_dst = torch.bincount(dst, minlength=self.n).float()
            deg_src = torch.bincount(src, minlength=n_src).float()
            self.relations.append((src, dst, n_src, _inverse(deg_dst), _inverse(deg_src),
                                   etype[0] == target_type))  # fmt: skip
            reached += (deg_dst > 0).float()
        self.scale = _inverse(reached).unsqueeze(1)
        self.alone = (reached == 0).unsqueeze(1)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.zeros_like(x)
        for src, dst, n_src, inv_dst, inv_src, one_hop in self.relations:
            if one_hop:
                h = x
            else:  # the mean over each other-type node's target neighbours, then back
                h = x.new_zeros(n_src, x.shape[1]).index_add_(0, src, x.index_select(0, dst))
                h = h * inv_src.unsqueeze(1)
            out.index_add_(0, dst, h.index_select(0, src) * inv_dst.index_select(0, dst)[:, None])
        return torch.where(self.alone, x, out * self.scale)


def _inverse(degree: torch.Tensor) -> torch.Tensor:
    return torch.where(degree > 0, 1.0 / degree.clamp(min=1), torch.zeros_like(degree))


def correct_and_smooth(
    probs: torch.Tensor,
    graph,
    target_type: str,
    train_nodes: torch.Tensor,
    known: torch.Tensor,
    alpha: float = 0.9,
    *,
    multilabel: bool = False,
    steps: int = STEPS,
) -> torch.Tensor:
    """The probabilities ``probs`` ``(N, C)`` of every target node after Correct and Smooth.

    Parameters
    ----------
    probs : torch.Tensor
        The model's probabilities ``(N, C)`` of every node of ``target_type``.
    graph : HeteroGraph
        The graph they were predicted on.
    target_type : str
        The type ``probs`` belongs to.
    train_nodes : torch.Tensor
        Indices of the training nodes among the target nodes ``(n,)``.
    known : torch.Tensor
        Their labels: class indices ``(n,)`` or one-hot (multi-hot) rows ``(n, C)``.
    alpha : float, default 0.9
        Weight of the neighbours in both stages, in ``[0, 1)``; 0 returns ``probs``.
    multilabel : bool, default False
        Whether rows are independent sigmoids (clipped to ``[0, 1]``) rather than a softmax.
    steps : int, default :data:`STEPS`
        Propagation steps of each stage.
    """
    alpha = check_alpha(alpha)
    if alpha == 0 or len(train_nodes) == 0:
        return probs
    probs = probs.float()
    train_nodes = torch.as_tensor(train_nodes, dtype=torch.long, device=probs.device)
    known = torch.as_tensor(known, device=probs.device)
    if known.dim() == 1:
        known = torch.nn.functional.one_hot(known.long(), probs.shape[1])
    known = known.to(probs.dtype)
    propagate = TargetPropagation(graph, target_type)

    def spread(start: torch.Tensor, clamp: bool) -> torch.Tensor:
        x = start
        for _ in range(steps):
            x = alpha * propagate(x) + (1 - alpha) * start
            if clamp:
                x[train_nodes] = known
        return x

    residual = torch.zeros_like(probs)
    residual[train_nodes] = known - probs[train_nodes]
    sigma = residual[train_nodes].abs().sum(1).mean()
    spread_residual = spread(residual, clamp=False)
    norm = spread_residual.abs().sum(1, keepdim=True)
    corrected = probs + torch.where(norm > 0, sigma * spread_residual / norm.clamp(min=1e-12), 0)
    corrected[train_nodes] = known
    out = spread(corrected, clamp=True)
    if multilabel:
        return out.clamp(0, 1)
    out = out.clamp(min=0)
    total = out.sum(1, keepdim=True)
    return torch.where(total > 0, out / total.clamp(min=1e-12), probs)


@dataclass(frozen=True)
class Smoothing:
    """Correct and Smooth as a run applies it: ``alpha`` and the training labels, as target
    node indices of the graph met (``nodes``) with their one-hot (multi-hot) rows ``known``."""

    alpha: float
    nodes: torch.Tensor
    known: torch.Tensor

    @classmethod
    def of_data(cls, data, alpha: float) -> Smoothing | None:
        """The training labels of ``data`` itself (``labels[train_mask]``, nothing else);
        None when ``alpha`` is 0."""
        if not check_alpha(alpha):
            return None
        nodes = data.train_mask.nonzero().squeeze(1)
        known = data.labels[nodes]
        if not data.multilabel:
            known = torch.nn.functional.one_hot(known, data.num_classes)
        return cls(alpha, nodes, known.float())

    @classmethod
    def by_id(cls, data, alpha: float, ids, known: torch.Tensor) -> Smoothing | None:
        """The training labels ``known`` of the target nodes ``ids`` (a run's), matched by id
        in ``data``: ids it lacks are left out, its other nodes just receive the smoothing."""
        if not check_alpha(alpha):
            return None
        where = pd.Index(np.asarray(data.node_ids[data.target_type], dtype=object)).get_indexer(
            np.asarray(ids, dtype=object)
        )
        present = torch.as_tensor(where >= 0)
        return cls(alpha, torch.as_tensor(where[where >= 0], dtype=torch.long), known[present])

    def apply(self, probs: torch.Tensor, data, graph=None) -> torch.Tensor:
        """``probs`` of every target node of ``data`` smoothed (over ``graph``: ``data``'s
        own graph by default, or the same graph on another device)."""
        graph = data.graph if graph is None else graph
        device = probs.device
        return correct_and_smooth(
            probs,
            graph.to(device),
            data.target_type,
            self.nodes.to(device),
            self.known.to(device),
            self.alpha,
            multilabel=data.multilabel,
        )
