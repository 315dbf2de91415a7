r"""The label input per relation path (SeHGNN's label features, Yang et al., AAAI 2023).

For every relation path :math:`r_1 \dots r_k` (``k`` from 1 to ``hops``) that starts *and* ends at
the target type, the training labels :math:`Y` (one-hot or multi-hot, zeros elsewhere) are
averaged along it, and every walk that comes back to the node it starts from is taken out:

.. math::
    V = \hat A_{r_k} \cdots \hat A_{r_1}, \qquad
    L_{r_1 \dots r_k} = (V - \operatorname{diag}(V))\, Y

(``\hat A``: the row-normalised mean of :mod:`hetgat.datasets.path_features`). A training node's
own label never reaches its own input: its row of :math:`V` loses the diagonal, the only entry
that reads its own label, whatever the path's length. Unlike :mod:`hetgat.datasets.labels` (one
input per hop over the whole graph, a training node seeing the labels outside its random part),
every node here sees every other training label, training nodes included: the inputs of
training, validation and test nodes have one distribution.

:math:`V` is built for one path at a time (``N_target`` rows, at most ``N_target`` columns,
sparse or dense as :func:`~hetgat.datasets.path_features.path_features` keeps it), so the memory
peak is one path's target-to-target operator.
"""

from __future__ import annotations

import torch

from hetgat.data import GraphData
from hetgat.datasets.path_features import RelationPath, path_features, relation_paths
from hetgat.errors import ConfigError
from hetgat.sparse.csr import sparse_csr


def label_paths(schema, hops: int, relations=None) -> list[RelationPath]:
    """The relation paths of 1 to ``hops`` edges from the target type back to it, shortest
    first (one label token each), over ``relations`` (relation names; default: all)."""
    if isinstance(hops, bool) or not isinstance(hops, int) or hops < 1:
        raise ConfigError("label_hops", hops, "an integer >= 1")
    paths = relation_paths(schema, hops, [schema.target_type], relations)
    return [p for p in paths if p.hops]


def path_label_input(
    data: GraphData, hops: int, nodes=None, known=None, relations=None
) -> torch.Tensor:
    """``(N_target, P * C)``: the labels ``known`` of target nodes ``nodes`` (default: the
    training nodes and their labels) averaged along each of :func:`label_paths` (over
    ``relations``), each node's walks back to itself left out (the module's equation)."""
    if nodes is None:
        nodes = data.train_mask.nonzero().squeeze(1)
        known = data.labels[nodes].float() if data.multilabel else None
        if known is None:
            known = torch.nn.functional.one_hot(data.labels[nodes], data.num_classes).float()
    graph, target = data.graph, data.target_type
    n = graph.num_nodes(target)
    y = torch.zeros(n, known.shape[1])
    y[nodes] = known.float()
    eye = sparse_csr(torch.arange(n + 1), torch.arange(n), torch.ones(n), (n, n))
    out = []
    for path in label_paths(data.schema(), hops, relations):
        (v,) = path_features(graph, {target: eye}, [path])
        out.append(_without_diagonal(v) @ y)
    return torch.cat(out, dim=1) if out else torch.zeros(n, 0)


def _without_diagonal(v: torch.Tensor) -> torch.Tensor:
    """A square dense or sparse CSR matrix with its diagonal entries removed (not subtracted:
    no rounding residue of a node's own label is left)."""
    if v.layout == torch.strided:
        return v.fill_diagonal_(0)
    crow, col, values = v.crow_indices(), v.col_indices(), v.values()
    row = torch.repeat_interleave(torch.arange(v.shape[0]), crow[1:] - crow[:-1])
    off = row != col
    counts = torch.bincount(row[off], minlength=v.shape[0])
    crow = torch.cat([torch.zeros(1, dtype=torch.long), torch.cumsum(counts, 0)])
    return sparse_csr(crow, col[off], values[off], tuple(v.shape))
