"""Seconds per epoch: SeHGNN against Simple-HGN on the same HGB graph, alternately in one process.

    HETGAT_DATA=../shared/data python -m benchmarks.speed_sehgnn --graph hgb:dblp --repeats 5

One epoch as ``fit`` runs it: a training step (the training rows' logits, cross-entropy,
backward, Adam), then the validation rows' logits and loss. SeHGNN's pre-computation (its
``prepare_graph``) is timed apart, once. Simple-HGN with HGB's settings and the inputs of
BENCHMARKS.md's accuracy runs; SeHGNN with its registry defaults and ``--sehgnn`` values.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

from hetgat.config import ModelConfig
from hetgat.datasets import load_graph
from hetgat.models import build_model
from hetgat.train import model_inputs
from hetgat.train.loop import add_label_input, loss_fn

INPUTS = {"hgb:acm": "target", "hgb:dblp": "none", "hgb:imdb": "all"}


def setup(data, config):
    model = build_model(config, data.schema())
    add_label_input(model, data, config, seed=0)
    graph, features = model_inputs(data)
    start = time.perf_counter()
    prepared = model.prepare_graph(graph, features)
    prepare = time.perf_counter() - start
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    train = data.train_mask.nonzero().squeeze(1)
    val = data.val_mask.nonzero().squeeze(1)

    def epoch() -> float:
        tick = time.perf_counter()
        model.train()
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(
            model.rows_logits(prepared, features, train), data.labels[train], data.multilabel
        )
        loss.backward()
        opt.step()
        model.eval()
        with torch.no_grad():
            logits = model.rows_logits(prepared, features, val)
            loss_fn(logits, data.labels[val], data.multilabel).item()
        return time.perf_counter() - tick

    return epoch, prepare


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", default="hgb:dblp")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sehgnn", default="{}", help="SeHGNN ModelConfig values as JSON")
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    data = load_graph(args.graph)
    simple = ModelConfig.for_model("simplehgn", input_features=INPUTS.get(args.graph, "all"))
    sehgnn = ModelConfig.for_model("sehgnn", **json.loads(args.sehgnn))
    runs = {"simplehgn": setup(data, simple), "sehgnn": setup(data, sehgnn)}
    times = {name: [] for name in runs}
    for epoch, _ in runs.values():  # warm-up
        epoch()
    for _ in range(args.repeats):
        for name, (epoch, _) in runs.items():
            times[name].append(epoch())
    a, b = (statistics.median(times[n]) for n in ("simplehgn", "sehgnn"))
    print(
        f"{args.graph}: seconds per epoch, median of {args.repeats}: Simple-HGN {a:.3f}, "
        f"SeHGNN {b:.3f} ({b / a:.2f} of Simple-HGN's); SeHGNN pre-computation "
        f"{runs['sehgnn'][1]:.2f} s once; sehgnn {args.sehgnn}"
    )


if __name__ == "__main__":
    main()
