"""Semantic attention: weigh several views of the same nodes (HAN, Wang et al. 2019)."""

from __future__ import annotations

import torch
from torch import nn

from hetgat.config import FUSIONS


class SemanticAttention(nn.Module):
    r"""Fuse ``P`` embeddings of each node with one learned weight per view.

    .. math::
        w_p = \frac{1}{|V|} \sum_{i \in V} q^\top \tanh(W z_i^p + b), \qquad
        \beta_p = \operatorname{softmax}_p(w_p), \qquad
        z_i = \sum_p \beta_p z_i^p

    The views are meta-paths (HAN) or relations (relation-level attention). The weight of a
    view is shared by all nodes (scores averaged over nodes, as in the HAN paper); each node's
    own weights from its scores alone are returned too, to read per-node preferences.

    With ``fusion="sigmoid"`` each view gets a gate :math:`\beta_p = \sigma(w_p)` in (0, 1)
    instead: the weights no longer sum to 1 and the fused embedding is a weighted sum, not a
    weighted mean. This is what HGB's HAN code does for its multi-label IMDB runs (the code
    behind HAN's published HGB IMDB figures); the HAN paper's softmax is the default.

    Parameters
    ----------
    in_feats : int
        Size of each view's embedding ``D``.
    hidden : int, default 128
        Size of the scoring MLP.
    fusion : {"softmax", "sigmoid"}, default "softmax"
        How the scores become weights.

    Shapes
    ------
    input ``(N, P, D)``; output ``(N, D)``, weights ``(P,)``, per-node weights ``(N, P)``.
    """

    def __init__(self, in_feats: int, hidden: int = 128, fusion: str = "softmax") -> None:
        super().__init__()
        if fusion not in FUSIONS:
            raise ValueError(f"fusion must be one of {', '.join(FUSIONS)}, got {fusion!r}")
        self.project = nn.Linear(in_feats, hidden)
        self.q = nn.Linear(hidden, 1, bias=False)
        self.fusion = fusion

    def forward(self, z: torch.Tensor):
        if self.fusion == "softmax" and z.shape[1] == 1:  # one view weighs 1: no scoring
            return z[:, 0], z.new_ones(1), z.new_ones(z.shape[0], 1)
        scores = self.q(torch.tanh(self.project(z))).squeeze(-1)  # (N, P)
        beta = self._weigh(scores.mean(0), 0)
        fused = (beta.view(1, -1, 1) * z).sum(1)
        return fused, beta, self._weigh(scores.detach(), 1)

    def _weigh(self, scores: torch.Tensor, views_dim: int) -> torch.Tensor:
        """Scores to weights: a softmax across the views, or a sigmoid gate each."""
        if self.fusion == "softmax":
            return torch.softmax(scores, dim=views_dim)
        return torch.sigmoid(scores)
