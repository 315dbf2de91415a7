"""HAN on ``han:acm`` under the HAN paper's own evaluation: KNN on the learned embeddings.

    HETGAT_DATA=../shared/data python -m benchmarks.knn_han --runs 3 [--layers 1 2] [--no-stock]

The HAN paper (Wang et al. 2019, Table 3) does not report the classifier's test scores: it
trains HAN on the 600/300 split, takes the embeddings of the 2,125 test papers (the semantic
attention's output, before the classifier), and classifies them with a k-nearest-neighbour
classifier (k = 5, Euclidean) trained on 20, 40, 60 or 80 % of them, ten random draws each,
reporting macro- and micro-F1 on the rest (89.40 / 89.22 at 20 %). This script does that for
hetgat's HAN (``hetgat.train.fit``, HAN's defaults, ``--layers``) and for the stock peer of
``benchmarks.accuracy_han_stock`` (DGL's HAN example, stock ``dgl.nn.GATConv`` layers, trained
by that example's loop) in the same run, and prints both next to their softmax test scores.

Each seed trains each model once; the draws of a seed are the same for every model
(``numpy.random.default_rng(seed)``). Rows: mean ± std over seeds of each seed's mean over
its ten draws.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np
import torch

from benchmarks.accuracy_han_stock import run as run_stock
from benchmarks.accuracy_hetero import describe
from hetgat.config import ModelConfig, TrainConfig
from hetgat.datasets import load_graph
from hetgat.insight.diagnostics import embeddings
from hetgat.train import fit
from hetgat.train.metrics import f1_scores

RATIOS = (0.2, 0.4, 0.6, 0.8)


def knn_predict(train_x, train_y, test_x, k: int, num_classes: int) -> torch.Tensor:
    """Majority class of the ``k`` nearest training points (Euclidean); a tie goes to the
    smallest class id, as scikit-learn's ``KNeighborsClassifier`` breaks it."""
    nearest = torch.cdist(test_x, train_x).topk(k, dim=1, largest=False).indices
    votes = torch.zeros(len(test_x), num_classes, dtype=torch.long)
    votes.scatter_add_(1, train_y[nearest], torch.ones_like(nearest))
    return votes.argmax(1)  # argmax returns the first of equal counts


def knn_scores(x, y, num_classes: int, seed: int, k: int = 5, draws: int = 10) -> dict:
    """``{ratio: (macro-F1, micro-F1)}``, each the mean over ``draws`` random splits of the
    nodes into ``ratio`` KNN training and the rest."""
    x, y = torch.as_tensor(x, dtype=torch.float64), torch.as_tensor(y)
    rng = np.random.default_rng(seed)
    out = {}
    for ratio in RATIOS:
        cut = int(len(y) * ratio)
        scores = []
        for _ in range(draws):
            order = torch.from_numpy(rng.permutation(len(y)))
            train, test = order[:cut], order[cut:]
            pred = knn_predict(x[train], y[train], x[test], k, num_classes)
            scores.append(f1_scores(pred, y[test], num_classes))
        out[ratio] = tuple(float(np.mean(s)) for s in zip(*scores, strict=True))
    return out


def hetgat_han(data, seed: int, layers: int):
    result = fit(
        data,
        ModelConfig.for_model("han", num_layers=layers),
        TrainConfig.for_model("han", seed=seed),
    )
    z = embeddings(result.model, data)[data.test_mask.numpy()]
    return result.metrics, z


def stock_han(data, seed: int):
    metrics, model = run_stock(data, seed, return_model=True)
    feat = data.features[data.target_type].to_dense().float()
    with torch.no_grad():
        z = model.embed(feat)[data.test_mask]
    return metrics, z.numpy()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="seeds 0..RUNS-1")
    parser.add_argument("--seeds", type=int, nargs="+", default=None)
    parser.add_argument("--layers", type=int, nargs="+", default=[1], help="hetgat HAN layers")
    parser.add_argument("--no-stock", action="store_true", help="skip DGL's HAN example")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    data = load_graph("han:acm")
    y = data.labels[data.test_mask]
    peers = {f"hetgat HAN, {n} layer{'s' if n > 1 else ''}": n for n in args.layers}
    if not args.no_stock:
        peers["DGL's HAN example (stock layers)"] = None
    raw = {name: [] for name in peers}
    for seed in args.seeds if args.seeds is not None else range(args.runs):
        for name, layers in peers.items():
            metrics, z = stock_han(data, seed) if layers is None else hetgat_han(data, seed, layers)
            knn = knn_scores(z, y, data.num_classes, seed)
            raw[name].append({"seed": seed, "softmax": metrics, "knn": knn})
            print(
                f"{name}, seed {seed}: softmax {metrics['test_macro_f1'] * 100:.2f} / "
                f"{metrics['test_micro_f1'] * 100:.2f}; KNN "
                + ", ".join(f"{r:.0%} {a * 100:.2f} / {b * 100:.2f}" for r, (a, b) in knn.items()),
                file=sys.stderr,
                flush=True,
            )
    ratios = " | ".join(f"KNN {r:.0%}" for r in RATIOS)
    print(f"| model | seeds | softmax test | {ratios} |\n|---|---:|---|" + "---|" * len(RATIOS))
    for name, runs in raw.items():
        soft = [r["softmax"] for r in runs]
        cells = [
            f"{describe([s['test_macro_f1'] for s in soft])} / "
            f"{describe([s['test_micro_f1'] for s in soft])}"
        ]
        for ratio in RATIOS:
            macro, micro = zip(*(r["knn"][ratio] for r in runs), strict=True)
            cells.append(f"{describe(macro)} / {describe(micro)}")
        print(f"| {name} | {len(runs)} | " + " | ".join(cells) + " |")
    print("| HAN paper (Table 3, macro / micro) | | | 89.40 / 89.22 | | | |")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(
                {
                    k: [{**r, "knn": {str(a): b for a, b in r["knn"].items()}} for r in v]
                    for k, v in raw.items()
                },
                fh,
                indent=1,
            )


if __name__ == "__main__":
    main()
