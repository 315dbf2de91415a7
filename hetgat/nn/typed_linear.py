"""One linear map per node type, to bring every type's input to a common size."""

from __future__ import annotations

import torch
from torch import nn

from hetgat.nn.functional import CSRTranspose, dropout, linear


class TypedLinear(nn.Module):
    """``h_t = W_t x_t + b_t`` for every node type ``t`` (dense or sparse CSR ``x_t``).

    Parameters
    ----------
    in_feats : dict[str, int]
        Input size per node type.
    out_feats : int
        Common output size.
    feat_drop : float, default 0.0
        Dropout on the inputs.
    """

    def __init__(self, in_feats: dict, out_feats: int, feat_drop: float = 0.0) -> None:
        super().__init__()
        self.types = list(in_feats)
        # Indexed by position: user type names may contain "." which module names may not.
        self.fcs = nn.ModuleList(nn.Linear(in_feats[t], out_feats) for t in self.types)
        self.feat_drop = feat_drop
        self._transpose = [CSRTranspose() for _ in self.types]  # sparse inputs, per type
        for fc in self.fcs:
            nn.init.xavier_normal_(fc.weight, gain=1.414)

    def forward(self, x: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {
            t: linear(dropout(x[t], self.feat_drop, self.training), fc.weight, fc.bias, tr)
            for t, fc, tr in zip(self.types, self.fcs, self._transpose, strict=True)
        }
