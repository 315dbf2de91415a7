"""Simple-HGN seconds per epoch on HGB graphs: hetgat against Simple-HGN from stock DGL ops.

    HETGAT_DATA=../shared/data python -m benchmarks.speed_simplehgn --graph hgb:acm --repeats 5

Peers, alternately in one process, same architecture (HGB's reference settings: 3 hidden
layers of 8 heads x 64, an output layer, edge-type embeddings of 64, dropout 0.5, beta 0.05), the
same graph (``hetgat``'s typed graph: every relation plus one self-loop relation per node type)
and the same inputs (``--input-features`` as in BENCHMARKS.md's accuracy runs):

- ``hetgat``: :class:`hetgat.models.SimpleHGN` as ``hetgat fit --model simplehgn`` builds it;
- ``dgl-stock``: Simple-HGN written as HGB's reference code writes its layer (``myGATConv``):
  DGL's ``apply_edges``, ``edge_softmax`` and ``update_all(u_mul_e, sum)``, ``nn.Dropout``;
  the edge-type term of the score computed once per type and gathered, as hetgat does (HGB's
  code embeds and projects every edge: 38.5 s per epoch against 5.0 on HGB ACM, one epoch).

One epoch: train step (forward, cross-entropy, backward, Adam), then an eval forward with the
validation loss.
"""

from __future__ import annotations

import argparse

import torch
from torch import nn

from benchmarks.common import BoundModel, alternate, report_epochs
from benchmarks.speed_gat import train_block
from hetgat.config import ModelConfig
from hetgat.datasets import load_graph
from hetgat.models import build_model
from hetgat.sparse.dgl_interop import require_dgl, to_dgl
from hetgat.train import model_inputs

dgl = require_dgl("the stock DGL Simple-HGN peer")

fn = dgl.function
INPUTS = {"hgb:acm": "target", "hgb:dblp": "none", "hgb:imdb": "all"}


class StockSimpleHGNConv(nn.Module):
    """One Simple-HGN layer from stock DGL ops, as HGB's ``myGATConv``."""

    def __init__(self, num_etypes, in_feats, out_feats, heads, residual, activation) -> None:
        super().__init__()
        self.heads, self.out_feats, self.edge_feats = heads, out_feats, 64
        self.edge_emb = nn.Embedding(num_etypes, 64)
        self.fc = nn.Linear(in_feats, out_feats * heads, bias=False)
        self.fc_e = nn.Linear(64, 64 * heads, bias=False)
        self.attn_l = nn.Parameter(torch.randn(1, heads, out_feats) * 0.1)
        self.attn_r = nn.Parameter(torch.randn(1, heads, out_feats) * 0.1)
        self.attn_e = nn.Parameter(torch.randn(1, heads, 64) * 0.1)
        self.feat_drop, self.attn_drop = nn.Dropout(0.5), nn.Dropout(0.5)
        self.leaky_relu = nn.LeakyReLU(0.05)
        self.res_fc = nn.Linear(in_feats, out_feats * heads, bias=False) if residual else None
        self.activation = activation

    def forward(self, graph, feat, etype, res_attn=None):
        with graph.local_scope():
            h = self.feat_drop(feat)
            ft = self.fc(h).view(-1, self.heads, self.out_feats)
            # Per edge type, then gathered per edge (HGB's code embeds every edge: 7x slower).
            emb = self.fc_e(self.edge_emb.weight).view(-1, self.heads, self.edge_feats)
            graph.srcdata.update({"ft": ft, "el": (ft * self.attn_l).sum(-1, keepdim=True)})
            graph.dstdata["er"] = (ft * self.attn_r).sum(-1, keepdim=True)
            graph.edata["ee"] = (emb * self.attn_e).sum(-1, keepdim=True)[etype]
            graph.apply_edges(fn.u_add_v("el", "er", "e"))
            e = self.leaky_relu(graph.edata.pop("e") + graph.edata.pop("ee"))
            a = self.attn_drop(dgl.nn.functional.edge_softmax(graph, e))
            if res_attn is not None:
                a = a * 0.95 + res_attn * 0.05
            graph.edata["a"] = a
            graph.update_all(fn.u_mul_e("ft", "a", "m"), fn.sum("m", "ft"))
            rst = graph.dstdata["ft"]
            if self.res_fc is not None:
                rst = rst + self.res_fc(h).view(rst.shape)
            if self.activation is not None:
                rst = self.activation(rst)
            return rst, a.detach()


class StockSimpleHGN(nn.Module):
    def __init__(self, typed, inputs: dict, learned, num_classes: int, target: str) -> None:
        super().__init__()
        self.typed, self.target = typed, target
        # Given features stay fixed; types without (or ignoring) them learn an embedding.
        self.inputs = {t: x for t, x in inputs.items() if t not in learned}
        self.embeddings = nn.ParameterDict({t: nn.Parameter(inputs[t].clone()) for t in learned})
        self.fcs = nn.ModuleDict({t: nn.Linear(x.shape[1], 64) for t, x in inputs.items()})
        num_etypes = int(typed.etype.max()) + 1
        self.convs = nn.ModuleList(
            StockSimpleHGNConv(num_etypes, 64 if i == 0 else 512, 64, 8, i > 0, nn.functional.elu)
            for i in range(3)
        )
        self.out = StockSimpleHGNConv(num_etypes, 512, num_classes, 1, True, None)

    def forward(self) -> torch.Tensor:
        ntypes = self.typed.hetero.ntypes
        x = {**self.inputs, **self.embeddings}
        h = torch.cat([self.fcs[t](x[t]) for t in ntypes])
        res = None
        for conv in self.convs:
            h, res = conv(to_dgl(self.typed.homo), h, self.typed.etype, res)
            h = h.flatten(1)
        logits = self.out(to_dgl(self.typed.homo), h, self.typed.etype)[0].mean(1)
        logits = logits / logits.norm(dim=1, keepdim=True).clamp(min=1e-12)
        start = sum(self.typed.hetero.num_nodes(t) for t in ntypes[: ntypes.index(self.target)])
        return logits[start : start + self.typed.hetero.num_nodes(self.target)]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", default="hgb:acm", choices=list(INPUTS))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=2, help="epochs per timed block")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    data = load_graph(args.graph)
    torch.manual_seed(0)
    config = ModelConfig.for_model("simplehgn", input_features=INPUTS[args.graph])
    model = build_model(config, data.schema())
    graph, features = model_inputs(data)
    typed = model.prepare_graph(graph)
    inputs = {t: x.detach().to_dense() for t, x in model.inputs(features).items()}
    torch.manual_seed(0)
    learned = model.inputs.featureless
    stock = StockSimpleHGN(typed, inputs, learned, data.num_classes, data.target_type)
    fns = {
        "hetgat": train_block(BoundModel(model, typed, features), (), data, args.epochs),
        "dgl-stock": train_block(stock, (), data, args.epochs),
    }
    times = alternate(fns, args.repeats)
    params = {
        "hetgat": sum(p.numel() for p in model.parameters()),
        "dgl-stock": sum(p.numel() for p in stock.parameters()),
    }
    edges = typed.homo.num_edges()
    heading = f"graph: {args.graph}, {edges:,} edges with self-loops; parameters {params}"
    report_epochs(times, args.epochs, heading, args.json)


if __name__ == "__main__":
    main()
