"""HAN seconds per epoch on ``han:acm``: hetgat against a loop over stock DGL layers.

    HETGAT_DATA=../shared/data python -m benchmarks.speed_han --repeats 5 --epochs 5

Peers: hetgat; ``dgl-stock``, what a DGL user writes from DGL's HAN example: one
``dgl.nn.GATConv`` per meta-path graph (built once, before timing, like hetgat's), the same
semantic attention, a linear classifier, dense input features; ``pyg`` (when PyTorch Geometric
imports), its ``HANConv`` on the same meta-path graphs. All use DGL HAN's hyper-parameters (1
layer, 8 heads x 8 hidden, dropout 0.6) and run the same epoch (train step, then an eval forward
with the validation loss), alternately, in one process. ``--graph`` takes any heterogeneous
graph (``hgb:acm|dblp|imdb``); its meta-paths are those ``hetgat fit --model han`` finds.
"""

from __future__ import annotations

import argparse

import torch
from torch import nn

from benchmarks.common import BoundModel, alternate, report_epochs
from benchmarks.speed_gat import pyg_status, train_block
from hetgat.config import ModelConfig
from hetgat.datasets import load_graph
from hetgat.models import build_model, resolve_config
from hetgat.nn.semantic import SemanticAttention
from hetgat.sparse.dgl_interop import require_dgl, to_dgl
from hetgat.train import model_inputs


class StockHAN(nn.Module):
    """HAN from stock DGL layers on the meta-path graphs (as in DGL's HAN example)."""

    def __init__(self, graphs, in_feats: int, num_classes: int) -> None:
        super().__init__()
        self.graphs = graphs
        self.convs = nn.ModuleList(
            require_dgl("the stock DGL peer").nn.GATConv(
                in_feats, 8, 8, 0.6, 0.6, activation=nn.functional.elu, allow_zero_in_degree=True
            )
            for _ in graphs
        )
        self.semantic = SemanticAttention(64)
        self.predict = nn.Linear(64, num_classes)

    def forward(self, feat: torch.Tensor) -> torch.Tensor:
        return self.predict(self.embed(feat))

    def embed(self, feat: torch.Tensor) -> torch.Tensor:
        """The semantic attention's output (what the classifier sees)."""
        views = [conv(g, feat).flatten(1) for g, conv in zip(self.graphs, self.convs)]
        return self.semantic(torch.stack(views, 1))[0]


class PyGHAN(nn.Module):
    """PyTorch Geometric's ``HANConv`` on the same meta-path graphs (one edge type each), then a
    linear classifier: HAN as a PyG user writes it (``HANConv`` has no ELU or semantic MLP
    size option; its ``out_channels`` is split across the heads)."""

    def __init__(self, graphs: dict, in_feats: int, num_classes: int, target: str) -> None:
        super().__init__()
        from torch_geometric.nn import HANConv

        self.target = target
        self.edges = {
            (target, name, target): torch.stack(g.edges()).contiguous()
            for name, g in graphs.items()
        }
        metadata = ([target], list(self.edges))
        self.conv = HANConv(in_feats, 64, metadata, heads=8, dropout=0.6)
        self.predict = nn.Linear(64, num_classes)

    def forward(self, feat: torch.Tensor) -> torch.Tensor:
        return self.predict(self.conv({self.target: feat}, self.edges)[self.target])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", default="han:acm")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=5, help="epochs per timed block")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    data = load_graph(args.graph)
    torch.manual_seed(0)
    config = resolve_config(ModelConfig.for_model("han"), data)
    model = build_model(config, data.schema())
    graph, features = model_inputs(data)
    mp_graph = model.prepare_graph(graph)
    ours = BoundModel(model, mp_graph, features)
    stock_graphs = [to_dgl(mp_graph[e]) for e in mp_graph.canonical_etypes]
    dense = features[data.target_type].to_dense()
    stock = StockHAN(stock_graphs, dense.shape[1], data.num_classes)
    fns = {
        "hetgat": train_block(ours, (), data, args.epochs),
        "dgl-stock": train_block(stock, (dense,), data, args.epochs),
    }
    if pyg_status() is None:
        named = {e[1]: mp_graph[e] for e in mp_graph.canonical_etypes}
        torch.manual_seed(0)
        pyg = PyGHAN(named, dense.shape[1], data.num_classes, data.target_type)
        fns["pyg"] = train_block(pyg, (dense,), data, args.epochs)
    times = alternate(fns, args.repeats)
    sizes = ", ".join(
        f"{e[1]} ({mp_graph.num_edges(e):,} edges)" for e in mp_graph.canonical_etypes
    )
    report_epochs(times, args.epochs, f"graph: {args.graph}, meta-paths {sizes}", args.json)


if __name__ == "__main__":
    main()
