"""Attention layers (one operator a file, DGL's argument vocabulary), on hetgat's message passing
(:mod:`hetgat.sparse`): plain torch on any device, DGL's kernels on the CPU where installed."""

from hetgat.nn.gatconv import GATConv, attend
from hetgat.nn.gatv2conv import GATv2Conv
from hetgat.nn.hgtconv import HGTConv
from hetgat.nn.simplehgnconv import SimpleHGNConv

__all__ = ["GATConv", "GATv2Conv", "HGTConv", "SimpleHGNConv", "attend"]
