"""HAN on ``han:acm`` as DGL's HAN example trains it, with stock DGL layers: the accuracy peer.

    HETGAT_DATA=../shared/data python -m benchmarks.accuracy_han_stock --runs 5

hetgat's HAN on the same data is ``python -m benchmarks.accuracy_hetero --cases han:acm/han``.
This script shares nothing with hetgat's model or training loop: the model is
:class:`benchmarks.speed_han.StockHAN` (one ``dgl.nn.GATConv`` per meta-path graph, semantic
attention, a linear classifier) on dense features, trained by DGL's example's loop: Adam (lr
0.005, weight decay 0.001), at most 200 epochs, its early stopping (patience 100; keep the
weights whose validation loss and accuracy are both the best so far), test on those weights.
Only the data (HAN's ACM3025, PAP and PLP with their diagonal, the 600/300/2125 split) and
the F1 formulas come from hetgat.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys

import torch
import torch.nn.functional as F

from benchmarks.accuracy_hetero import describe
from benchmarks.speed_han import StockHAN
from hetgat.datasets import load_graph
from hetgat.train.metrics import f1_scores


def run(data, seed: int, epochs: int = 200, patience: int = 100, return_model: bool = False):
    """One seed of DGL's example's training; test macro/micro-F1 of the kept weights (and,
    with ``return_model``, the model with those weights, in eval mode)."""
    torch.manual_seed(seed)
    graphs = [data.graph[e] for e in data.graph.canonical_etypes]
    feat = data.features[data.target_type].to_dense().float()
    labels = data.labels
    model = StockHAN(graphs, feat.shape[1], data.num_classes)
    opt = torch.optim.Adam(model.parameters(), lr=0.005, weight_decay=0.001)
    best_loss, best_acc = float("inf"), -1.0
    best_state, best_epoch, waited, epoch = None, 0, 0, 0
    for epoch in range(1, epochs + 1):
        model.train()
        loss = F.cross_entropy(model(feat)[data.train_mask], labels[data.train_mask])
        opt.zero_grad()
        loss.backward()
        opt.step()
        model.eval()
        with torch.no_grad():
            logits = model(feat)[data.val_mask]
        val_loss = F.cross_entropy(logits, labels[data.val_mask]).item()
        val_acc = (logits.argmax(1) == labels[data.val_mask]).float().mean().item()
        if val_loss <= best_loss and val_acc >= best_acc:
            best_state, best_epoch = copy.deepcopy(model.state_dict()), epoch
        if val_loss > best_loss and val_acc < best_acc:
            waited += 1
            if waited >= patience:
                break
        else:
            waited = 0
            best_loss, best_acc = min(best_loss, val_loss), max(best_acc, val_acc)
    model.load_state_dict(best_state)
    model.eval()
    with torch.no_grad():
        pred = model(feat)[data.test_mask].argmax(1)
    macro, micro = f1_scores(pred, labels[data.test_mask], data.num_classes)
    metrics = {
        "test_macro_f1": macro,
        "test_micro_f1": micro,
        "best_epoch": best_epoch,
        "epochs_run": epoch,
    }
    return (metrics, model) if return_model else metrics


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="seeds 0..RUNS-1")
    parser.add_argument("--seeds", type=int, nargs="+", default=None)
    parser.add_argument("--epochs", type=int, default=200, help="DGL's example: 200")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    data = load_graph("han:acm")
    runs = []
    for seed in args.seeds if args.seeds is not None else range(args.runs):
        r = run(data, seed, epochs=args.epochs)
        runs.append(r)
        print(
            f"seed {seed}: macro-F1 {r['test_macro_f1'] * 100:.2f}, micro-F1 "
            f"{r['test_micro_f1'] * 100:.2f}, best epoch {r['best_epoch']} of {r['epochs_run']}",
            file=sys.stderr,
            flush=True,
        )

    print("| peer | seeds | test macro-F1 | test micro-F1 |\n|---|---:|---|---|")
    macro, micro = (describe([r[f"test_{k}_f1"] for r in runs]) for k in ("macro", "micro"))
    print(f"| DGL's HAN example (stock layers) | {len(runs)} | {macro} | {micro} |")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(runs, fh, indent=1)


if __name__ == "__main__":
    main()
