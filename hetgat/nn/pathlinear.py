"""One linear layer per relation path (SeHGNN's per-path projection, Yang et al., AAAI 2023)."""

from __future__ import annotations

import torch
from torch import nn

from hetgat.config import PATH_NORMS
from hetgat.nn.functional import Dropout


class PathLinear(nn.Module):
    """One linear layer per path on ``(N, P, D)`` tokens (SeHGNN's per-path projection), after
    a layer norm, PReLU and dropout of the embedded paths.

    Parameters
    ----------
    num_paths : int
        ``P``.
    in_feats : int
        ``D`` (the output has the same size).
    feat_drop : float
        Dropout before the layer.
    norm : {"path", "node"}, default "path"
        The layer norms' extent: each ``(D,)`` token on its own, or a node's ``(P, D)`` tokens
        at once (SeHGNN's: one mean and variance per node, a gain and bias per path and
        column; a weak path stays weak beside a strong one).
    """

    def __init__(self, num_paths: int, in_feats: int, feat_drop: float, norm: str = "path") -> None:
        super().__init__()
        if norm not in PATH_NORMS:
            raise ValueError(f"norm must be one of {PATH_NORMS}, got {norm!r}")
        shape = in_feats if norm == "path" else (num_paths, in_feats)
        self.norm_in = nn.LayerNorm(shape)
        self.act = nn.PReLU()
        self.drop = Dropout(feat_drop)
        self.weight = nn.Parameter(torch.empty(num_paths, in_feats, in_feats))
        self.bias = nn.Parameter(torch.zeros(num_paths, in_feats))
        for w in self.weight:
            nn.init.xavier_uniform_(w)
        self.norm_out = nn.LayerNorm(shape)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        z = self.drop(self.act(self.norm_in(z)))
        z = torch.einsum("npd,pde->npe", z, self.weight) + self.bias
        return self.drop(self.act(self.norm_out(z)))
