r"""Correct and Smooth: label propagation over a trained model's predictions, as post-processing.

Longer than 320 lines: the operator, the two stages, class mass normalisation and the rules
of when a run applies them are one method, read together.

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

With ``class_mass`` (single-label tasks), class mass normalisation follows (Zhu, Ghahramani
and Lafferty, ICML 2003, section 2): each class's column is scaled so that its mass over the
nodes without a training label equals its share of the training labels (add-one counts), and
each row divided by its sum again. Label propagation favours the classes whose nodes are
densely connected; where the training labels are a quota per class (their counts say nothing
of the classes' sizes), that bias goes unchecked. Left to the data (None), it is on exactly
there: single-label training labels whose class counts differ by at most one
(:func:`balanced_labels`). On HeCo's AMiner (20 training labels a class) it moved HAN's
validation macro-F1 from 65.8 to 70.0 and its micro-F1 from 81.9 to 77.9; on HGB's ACM without
features (a random split) it cost 2.4 validation macro-F1 (BENCHMARKS.md).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from hetgat.errors import ConfigError
from hetgat.sparse.csr import sparse_csr

#: Propagation steps of each of the two stages (the paper's 50).
STEPS = 50

#: ``alpha`` where ``correct_smooth`` is left to the data (None) and the target type has no
#: features of its own; chosen on validation (BENCHMARKS.md, "Node types without features").
AUTO_ALPHA = 0.95


def smoothing_alpha(correct_smooth: float | None, model_config, schema) -> float:
    """The ``alpha`` a run may use: ``correct_smooth`` when given; left to the data (None),
    :data:`AUTO_ALPHA` where the task is single-label and the target type has no features of
    its own (its ``in_feats`` is 0, or ``input_features`` is ``"none"``), else 0 (off); that
    candidate is then kept only where it wins on validation (:func:`decide_smoothing`). Not
    for multi-label tasks: on HGB's IMDB without features it took HGT's validation macro-F1
    from 48.6 to 29.5 (propagated multi-hot rows fall under the 0.5 threshold)."""
    if correct_smooth is not None:
        return check_alpha(correct_smooth)
    target = schema.target_type
    featureless = schema.in_feats.get(target, 0) == 0 or model_config.input_features == "none"
    return AUTO_ALPHA if featureless and not schema.multilabel else 0.0


def loop_alpha(correct_smooth: float | None) -> float:
    """The ``alpha`` of every epoch's validation: ``correct_smooth`` when given, else 0 (left
    to the data, the choice is made once after training: :func:`decide_smoothing`)."""
    return 0.0 if correct_smooth is None else check_alpha(correct_smooth)


def applied_alpha(correct_smooth: float | None, metrics: dict) -> float:
    """The ``alpha`` a trained run applies: ``correct_smooth`` when given, else the one its
    training decided (``metrics["correct_smooth"]``; absent: 0)."""
    if correct_smooth is not None:
        return check_alpha(correct_smooth)
    return check_alpha(metrics.get("correct_smooth") or 0.0)


def decide_smoothing(probs: torch.Tensor, data, smoothing: Smoothing) -> torch.Tensor | None:
    """``smoothing`` applied to ``probs`` (every target node's) where it raises the validation
    accuracy of the model's own probabilities, else None (the model's are kept; a tie keeps
    them). Without validation nodes, it is applied. Only validation labels decide, as early
    stopping's do."""
    smoothed = smoothing.apply(probs, data)
    val = data.val_mask
    if not bool(val.any()):
        return smoothed
    labels = data.labels[val]
    before = (probs[val].argmax(1) == labels).float().mean()
    after = (smoothed[val].argmax(1) == labels).float().mean()
    return smoothed if bool(after > before) else None


def check_alpha(alpha: float) -> float:
    """``alpha`` as a float in ``[0, 1)`` (0: off), else a :class:`ConfigError` naming
    ``correct_smooth``."""
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 <= alpha < 1:
        raise ConfigError("correct_smooth", alpha, "a number in [0, 1): 0 off, e.g. 0.9")
    return float(alpha)


class TargetPropagation:
    """:math:`x \\mapsto P x` over the target type of ``graph`` (the module's operator), never
    forming :math:`P`: two sparse CSR products, ``into @ (back @ x)``, where ``back`` stacks
    every relation's mean from the targets to its source type (the identity for a relation
    between targets) and ``into`` joins every relation's mean into the targets, scaled by the
    relations reaching each row.

    Parameters
    ----------
    graph : HeteroGraph
        The graph (on any device); only its relations that end at ``target_type`` are read.
    target_type : str
        The type whose nodes are propagated over.
    """

    def __init__(self, graph, target_type: str) -> None:
        n = graph.num_nodes(target_type)
        device = graph.device
        into, back, offset = [], [], 0
        reached = torch.zeros(n, device=device)
        for etype in graph.canonical_etypes:
            if etype[2] != target_type or graph.num_edges(etype) == 0:
                continue
            src, dst = graph.edges(etype)
            if etype[0] == target_type:  # one hop: the middle is the targets themselves
                middle = torch.arange(n, device=device)
                back.append((middle + offset, middle, torch.ones(n, device=device)))
            else:
                back.append((src + offset, dst, _mean_weights(src)))
            degree = torch.bincount(dst, minlength=n)
            reached += (degree > 0).float()
            into.append((dst, src + offset, _mean_weights(dst)))
            offset += n if etype[0] == target_type else graph.num_nodes(etype[0])
        scale = torch.where(reached > 0, 1.0 / reached.clamp(min=1), 0.0)
        rows, cols, values = _joined(into, device)
        self.into = _csr(rows, cols, values * scale[rows], (n, offset))
        self.back = _csr(*_joined(back, device), (offset, n))
        self.alone = (reached == 0).unsqueeze(1)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return torch.where(self.alone, x, self.into @ (self.back @ x))


def _joined(parts: list, device) -> tuple:
    """``(rows, cols, values)`` of every ``(rows, cols, values)`` of ``parts`` concatenated."""
    if not parts:
        empty = torch.zeros(0, dtype=torch.long, device=device)
        return empty, empty, torch.zeros(0, device=device)
    return tuple(torch.cat(column) for column in zip(*parts, strict=True))


def _mean_weights(rows: torch.Tensor) -> torch.Tensor:
    """``1 / count`` of each entry's row: the weights of a mean over a row's entries."""
    return 1.0 / torch.bincount(rows).float().index_select(0, rows)


def _csr(rows: torch.Tensor, cols: torch.Tensor, values: torch.Tensor, shape) -> torch.Tensor:
    """The ``shape`` sparse CSR matrix of ``(rows, cols, values)`` (duplicates summed)."""
    order = torch.argsort(rows * max(shape[1], 1) + cols)
    rows, cols, values = rows[order], cols[order], values[order]
    crow = torch.zeros(shape[0] + 1, dtype=torch.long, device=rows.device)
    crow[1:] = torch.cumsum(torch.bincount(rows, minlength=shape[0]), 0)
    return sparse_csr(crow, cols, values, shape)


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
    operator: TargetPropagation | None = None,
    class_mass: bool = False,
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
    operator : TargetPropagation, optional
        ``graph``'s operator built already (a training loop builds it once, not per epoch).
    class_mass : bool, default False
        Class mass normalisation after smoothing (single-label only; ignored for multi-label).
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
    propagate = operator or TargetPropagation(graph, target_type)

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
    if class_mass:
        out = class_mass_normalised(out, train_nodes, known)
    total = out.sum(1, keepdim=True)
    return torch.where(total > 0, out / total.clamp(min=1e-12), probs)


def balanced_labels(known: torch.Tensor) -> bool:
    """Whether one-hot training labels ``known`` ``(n, C)`` are a quota per class: every
    class's count within one of every other's (a single-label task's; multi-hot rows: False)."""
    if known.dim() != 2 or len(known) == 0 or bool((known.sum(1) != 1).any()):
        return False
    counts = known.sum(0)
    return bool(counts.max() - counts.min() <= 1)


def resolve_class_mass(class_mass: bool | None, known: torch.Tensor) -> bool:
    """``class_mass`` as given, or where it is left to the data (None), whether the training
    labels ``known`` are balanced (:func:`balanced_labels`)."""
    return balanced_labels(known) if class_mass is None else bool(class_mass)


def class_mass_normalised(
    scores: torch.Tensor, train_nodes: torch.Tensor, known: torch.Tensor
) -> torch.Tensor:
    """``scores`` ``(N, C)`` with each class's column scaled so that its total over the rows
    outside ``train_nodes`` is the class's share of the training labels ``known`` (one-hot rows,
    add-one counts); rows are not renormalised here. Unchanged when every row is a training
    row."""
    unlabelled = torch.ones(len(scores), dtype=torch.bool, device=scores.device)
    unlabelled[train_nodes] = False
    if not bool(unlabelled.any()):
        return scores
    prior = known.sum(0) + 1
    prior = prior / prior.sum()
    mass = scores[unlabelled].sum(0)
    return scores * torch.where(mass > 0, prior / mass.clamp(min=1e-12), 1.0)


@dataclass(frozen=True)
class Smoothing:
    """Correct and Smooth as a run applies it: ``alpha`` and the training labels, as target
    node indices of the graph met (``nodes``) with their one-hot (multi-hot) rows ``known``."""

    alpha: float
    nodes: torch.Tensor
    known: torch.Tensor
    operator: TargetPropagation | None = None
    class_mass: bool = False

    def on(self, graph, target_type: str) -> Smoothing:
        """The same smoothing with ``graph``'s operator built once (every epoch reuses it)."""
        return dataclasses.replace(self, operator=TargetPropagation(graph, target_type))

    @classmethod
    def of_data(cls, data, alpha: float, class_mass: bool | None = False) -> Smoothing | None:
        """The training labels of ``data`` itself (``labels[train_mask]``, nothing else);
        None when ``alpha`` is 0. ``class_mass``: see :func:`correct_and_smooth`; None: where
        the training labels are balanced (:func:`balanced_labels`)."""
        if not check_alpha(alpha):
            return None
        nodes = data.train_mask.nonzero().squeeze(1)
        known = data.labels[nodes]
        if not data.multilabel:
            known = torch.nn.functional.one_hot(known, data.num_classes)
        return cls(alpha, nodes, known.float(), class_mass=resolve_class_mass(class_mass, known))

    @classmethod
    def given(cls, data, train_config) -> Smoothing | None:
        """The smoothing a training loop validates with: ``train_config.correct_smooth``
        when given (with its ``class_mass``); None when it is 0 or left to the data (then
        decided once after training, :func:`decide_smoothing`)."""
        alpha = loop_alpha(train_config.correct_smooth)
        return cls.of_data(data, alpha, train_config.class_mass)

    @classmethod
    def by_id(
        cls, data, alpha: float, ids, known: torch.Tensor, class_mass: bool | None = False
    ) -> Smoothing | None:
        """The training labels ``known`` of the target nodes ``ids`` (a run's), matched by id
        in ``data``: ids it lacks are left out, its other nodes just receive the smoothing."""
        if not check_alpha(alpha):
            return None
        where = pd.Index(np.asarray(data.node_ids[data.target_type], dtype=object)).get_indexer(
            np.asarray(ids, dtype=object)
        )
        present = torch.as_tensor(where >= 0)
        nodes = torch.as_tensor(where[where >= 0], dtype=torch.long)
        class_mass = resolve_class_mass(class_mass, known)  # the run's labels, all of them
        return cls(alpha, nodes, known[present], class_mass=class_mass)

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
            operator=self.operator,
            class_mass=self.class_mass,
        )
