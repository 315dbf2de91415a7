"""GAT node classifier (Veličković et al., ICLR 2018)."""

from __future__ import annotations

import torch
from torch import nn

from hetgat.models.base import AttentionNet
from hetgat.nn import GATConv, attend


class GAT(AttentionNet):
    """A stack of attention layers for node classification.

    Hidden layers concatenate their heads and apply ELU; the output layer averages its heads
    (the GAT paper's transductive setup: 8 heads x 8 hidden, 1 output head, dropout 0.6).

    Parameters
    ----------
    in_feats : int
        Input feature size.
    num_classes : int
        Output size.
    hidden : int, default 8
        Hidden size per head.
    heads : int, default 8
        Heads of each hidden layer.
    out_heads : int, default 1
        Heads of the output layer, averaged.
    num_layers : int, default 2
        Attention layers in all.
    feat_drop, attn_drop : float, default 0.6
        Dropout on layer inputs and on attention coefficients.
    negative_slope : float, default 0.2
        LeakyReLU slope of the attention score.
    residual : bool, default False
        Residual connections in hidden layers.
    msg_drop : float, default 0.0
        Dropout on the projected neighbour features before aggregation, as in the GAT paper's
        reference code (see :class:`~hetgat.nn.GATConv`).
    """

    conv = GATConv
    supports_blocks = True

    def __init__(
        self,
        in_feats: int,
        num_classes: int,
        *,
        hidden: int = 8,
        heads: int = 8,
        out_heads: int = 1,
        num_layers: int = 2,
        feat_drop: float = 0.6,
        attn_drop: float = 0.6,
        negative_slope: float = 0.2,
        residual: bool = False,
        msg_drop: float = 0.0,
    ) -> None:
        super().__init__()
        self.layers = nn.ModuleList()
        size = in_feats
        for _ in range(num_layers - 1):
            self.layers.append(
                self.conv(
                    size,
                    hidden,
                    heads,
                    feat_drop,
                    attn_drop,
                    negative_slope,
                    residual=residual,
                    activation=nn.functional.elu,
                    allow_zero_in_degree=True,
                    msg_drop=msg_drop,
                )
            )
            size = hidden * heads
        self.layers.append(
            self.conv(
                size,
                num_classes,
                out_heads,
                feat_drop,
                attn_drop,
                negative_slope,
                residual=False,
                allow_zero_in_degree=True,
                msg_drop=msg_drop,
            )
        )

    def forward(self, graph, feat: torch.Tensor, get_attention: bool = False):
        """Logits ``(N, C)``; with ``get_attention`` also a list of ``(E, H_l)`` per layer."""
        attention = []
        h = feat
        for i, layer in enumerate(self.layers):
            h, a = attend(
                layer, graph if not isinstance(graph, list) else graph[i], h, get_attention
            )
            if get_attention:
                attention.append(a)
            h = h.flatten(1) if i < len(self.layers) - 1 else h.mean(1)
        return (h, attention) if get_attention else h

    def embed(self, graph, feat: torch.Tensor) -> torch.Tensor | None:
        """The last hidden layer's output ``(N, hidden * heads)`` (input to the output layer);
        None for a single-layer model, which has no hidden layer."""
        if len(self.layers) == 1:
            return None
        h = feat
        for i, layer in enumerate(self.layers[:-1]):
            h = layer(graph if not isinstance(graph, list) else graph[i], h).flatten(1)
        return h

    # Layer-wise API (see hetgat.models.base): blocks of the graph itself.

    def block_input(self, graph, rows, nodes: torch.Tensor) -> torch.Tensor:
        """Input of the nodes ``nodes``; ``rows(ntype, ids)`` gives a type's input rows."""
        return rows(graph.ntypes[0], nodes)

    def layer_forward(self, i: int, block, h, graph=None, prev=None):
        """Layer ``i`` on ``block``: ``(h_dst, (E_block, H) attention)``."""
        h, a = attend(self.layers[i], block, h, get_attention=True)
        return (h.flatten(1) if i < len(self.layers) - 1 else h.mean(1)), a
