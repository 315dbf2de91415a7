"""SeHGNN's task MLP (Yang et al., AAAI 2023, its HGB code): what follows the semantic fusion."""

from __future__ import annotations

import torch
from torch import nn

from hetgat.nn.functional import Dropout


class SeHGNNHead(nn.Module):
    """SeHGNN's task MLP before its last layer: ``num_layers - 1`` blocks of a linear layer,
    batch norm without affine weights, PReLU and dropout, each added to its input for a
    multi-label task (SeHGNN's IMDB and Freebase form).

    Parameters
    ----------
    hidden : int
        Width.
    num_layers : int
        Layers including the output layer (``num_layers - 1`` blocks here).
    feat_drop : float
        Dropout after each block.
    residual : bool
        Add each block's input to its output.
    """

    def __init__(self, hidden: int, num_layers: int, feat_drop: float, residual: bool) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(
            nn.Sequential(
                nn.Linear(hidden, hidden),
                nn.BatchNorm1d(hidden, affine=False),
                nn.PReLU(),
                Dropout(feat_drop),
            )
            for _ in range(num_layers - 1)
        )
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x) + x if self.residual else block(x)
        return x
