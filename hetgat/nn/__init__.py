"""Attention layers on DGL message passing."""

from hetgat.nn.gatconv import GATConv, attend
from hetgat.nn.gatv2conv import GATv2Conv

__all__ = ["GATConv", "GATv2Conv", "attend"]
