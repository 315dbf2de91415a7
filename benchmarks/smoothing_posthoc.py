"""Correct and Smooth, and its class mass normalisation, on one trained model's probabilities.

    HETGAT_DATA=../shared/data OMP_NUM_THREADS=1 python -m benchmarks.smoothing_posthoc \\
        --cases heco:aminer/han-fl-embedding,hgb:acm/han-none-embedding --seeds 0 1 \\
        [--alphas 0.8 0.9 0.95] [--epochs 150 --patience 20] [--json PATH]

Each case of :mod:`benchmarks.accuracy_hetero` is trained once per seed with Correct and Smooth
off (``correct_smooth=0``), and its probabilities of every target node are then
post-processed with each ``alpha``, with and without class mass normalisation (single-label
tasks only), by :class:`hetgat.train.smoothing.Smoothing` as a run applies it. Printed per
variant: validation and test macro / micro-F1, means over the seeds, and test macro-F1 per
seed. This chooses ``alpha`` and the class mass rule on validation without retraining per
variant; a run with smoothing on also early-stops on the smoothed validation figures, so its
own figures differ a little from these (``accuracy_hetero`` measures that).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys

from benchmarks.accuracy_hetero import CASES
from hetgat.config import ModelConfig, TrainConfig
from hetgat.datasets import load_graph
from hetgat.datasets.hgb import load_hgb
from hetgat.train import Smoothing, fit, predict
from hetgat.train.inference import split_metrics

KEYS = ("val_macro_f1", "val_micro_f1", "test_macro_f1", "test_micro_f1")


def variants(probs, data, alphas) -> dict:
    """Each variant's four figures (percent) on ``probs`` of ``data``'s target nodes."""

    def figures(p):
        m = split_metrics(p, data)
        return [100 * m[k] for k in KEYS]

    out = {"model": figures(probs)}
    for alpha in alphas:
        for class_mass in (False, True):
            if class_mass and data.multilabel:
                continue
            smoothed = Smoothing.of_data(data, alpha, class_mass).apply(probs, data)
            out[f"cs{alpha}" + ("+class-mass" if class_mass else "")] = figures(smoothed)
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", required=True, help="graph/case,… of accuracy_hetero")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--alphas", type=float, nargs="+", default=[0.8, 0.9, 0.95])
    parser.add_argument("--epochs", type=int, default=150)
    parser.add_argument("--patience", type=int, default=20)
    parser.add_argument("--json", default=None, help="write every seed's figures here")
    args = parser.parse_args(argv)
    raw = {}
    for case in args.cases.split(","):
        graph, name = case.split("/")
        model_values, train_values, _published, *split = CASES[(graph, name)]
        model = name.split("-")[0]
        per_seed = []
        for seed in args.seeds:
            if split:
                data = load_hgb(graph.partition(":")[2], seed=seed, **split[0])
            else:
                data = load_graph(graph, split_seed=seed)
            train = {**train_values, "epochs": args.epochs, "patience": args.patience}
            result = fit(
                data,
                ModelConfig.for_model(model, **model_values),
                TrainConfig.for_model(model, seed=seed, **{**train, "correct_smooth": 0.0}),
            )
            per_seed.append(variants(predict(result, data), data, args.alphas))
            print(f"{case} seed {seed}: best epoch {result.metrics['best_epoch']}", file=sys.stderr)
        raw[case] = per_seed
        for variant in per_seed[0]:
            rows = [seed_figures[variant] for seed_figures in per_seed]
            means = [statistics.fmean(r[i] for r in rows) for i in range(len(KEYS))]
            print(
                f"| {graph} | {name} | {variant} | {means[0]:.2f} / {means[1]:.2f} | "
                f"{means[2]:.2f} / {means[3]:.2f} | {', '.join(f'{r[2]:.2f}' for r in rows)} |",
                flush=True,
            )
        if args.json:
            with open(args.json, "w") as fh:
                json.dump(raw, fh, indent=1)


if __name__ == "__main__":
    main()
