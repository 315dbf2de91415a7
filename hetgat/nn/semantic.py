"""Semantic attention: weigh several views of the same nodes (HAN, Wang et al. 2019)."""

from __future__ import annotations

import torch
from torch import nn


class SemanticAttention(nn.Module):
    r"""Fuse ``P`` embeddings of each node with one learned weight per view.

    .. math::
        w_p = \frac{1}{|V|} \sum_{i \in V} q^\top \tanh(W z_i^p + b), \qquad
        \beta_p = \operatorname{softmax}_p(w_p), \qquad
        z_i = \sum_p \beta_p z_i^p

    The views are meta-paths (HAN) or relations (relation-level attention). The weight of a
    view is shared by all nodes (scores averaged over nodes, as in the HAN paper); each node's
    own softmax over its scores is returned too, to read per-node preferences.

    Parameters
    ----------
    in_feats : int
        Size of each view's embedding ``D``.
    hidden : int, default 128
        Size of the scoring MLP.

    Shapes
    ------
    input ``(N, P, D)``; output ``(N, D)``, weights ``(P,)``, per-node weights ``(N, P)``.
    """

    def __init__(self, in_feats: int, hidden: int = 128) -> None:
        super().__init__()
        self.project = nn.Linear(in_feats, hidden)
        self.q = nn.Linear(hidden, 1, bias=False)

    def forward(self, z: torch.Tensor):
        if z.shape[1] == 1:  # one view weighs 1 whatever its score: skip the scoring MLP
            return z[:, 0], z.new_ones(1), z.new_ones(z.shape[0], 1)
        scores = self.q(torch.tanh(self.project(z))).squeeze(-1)  # (N, P)
        beta = torch.softmax(scores.mean(0), dim=0)
        fused = (beta.view(1, -1, 1) * z).sum(1)
        return fused, beta, torch.softmax(scores.detach(), dim=1)
