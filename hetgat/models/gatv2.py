"""GATv2 node classifier (Brody et al., ICLR 2022)."""

from hetgat.models.gat import GAT
from hetgat.nn import GATv2Conv


class GATv2(GAT):
    """:class:`~hetgat.models.GAT` with :class:`~hetgat.nn.GATv2Conv` layers (same arguments)."""

    conv = GATv2Conv
