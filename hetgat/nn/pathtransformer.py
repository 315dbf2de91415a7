r"""Semantic fusion as self-attention across each node's relation paths (SeHGNN, Yang et al.,
AAAI 2023, https://arxiv.org/abs/2207.02547)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from hetgat.nn.functional import Dropout


class PathTransformer(nn.Module):
    r"""Multi-head self-attention over the ``P`` path embeddings of every node.

    Each node has one token per relation path (its mean-aggregated features, projected); the
    tokens attend to each other, node by node (no edge between nodes is involved):

    .. math::
        q_p^h = W_q^h z_p, \quad k_p^h = W_k^h z_p, \quad v_p^h = W_v^h z_p, \qquad
        \alpha_{pq}^h = \operatorname{softmax}_q\left(
            \frac{q_p^{h\top} k_q^h}{\sqrt{d_k}}\right), \qquad
        z'_p = \gamma \, \Big\Vert_h \sum_q \alpha_{pq}^h v_q^h + z_p

    :math:`\gamma` is a learned scalar starting at 0 (SeHGNN's residual: training starts from
    the paths' own embeddings, and the fusion is learned in). Queries and keys have
    :math:`d_k = \max(1, D / (4H))` columns per head (SeHGNN's width for them, a quarter of the
    values'); values ``D / H``.

    Parameters
    ----------
    in_feats : int
        Size ``D`` of each path's embedding (divisible by ``num_heads``).
    num_heads : int, default 1
        Attention heads (SeHGNN uses one).
    attn_drop : float, default 0.0
        Dropout on the attention coefficients.

    Shapes
    ------
    input ``(N, P, D)``; output ``(N, P, D)`` and attention ``(N, H, P, P)`` (query path,
    key path), each query's row summing to 1.
    """

    def __init__(self, in_feats: int, num_heads: int = 1, attn_drop: float = 0.0) -> None:
        super().__init__()
        if in_feats % num_heads:
            raise ValueError(f"in_feats ({in_feats}) must be divisible by num_heads ({num_heads})")
        self.num_heads = num_heads
        self.key_feats = max(1, in_feats // (4 * num_heads))
        self.query = nn.Linear(in_feats, self.key_feats * num_heads)
        self.key = nn.Linear(in_feats, self.key_feats * num_heads)
        self.value = nn.Linear(in_feats, in_feats)
        self.gamma = nn.Parameter(torch.zeros(1))
        self.attn_drop = Dropout(attn_drop)

    def forward(self, z: torch.Tensor):
        n, p, d = z.shape
        h = self.num_heads
        q = self.query(z).view(n, p, h, -1).transpose(1, 2)  # (N, H, P, d_k)
        k = self.key(z).view(n, p, h, -1).transpose(1, 2)
        v = self.value(z).view(n, p, h, -1).transpose(1, 2)  # (N, H, P, D / H)
        alpha = F.softmax(q @ k.transpose(-1, -2) / self.key_feats**0.5, dim=-1)
        out = (self.attn_drop(alpha) @ v).transpose(1, 2).reshape(n, p, d)
        return self.gamma * out + z, alpha
