"""Two-stage self-training (SeHGNN's multi-stage training, after SAGN/SLE) on a benchmark case.

    HETGAT_DATA=../shared/data OMP_NUM_THREADS=1 python -m benchmarks.self_training \\
        --case hgb:acm/sehgnn-h128-labels4 --threshold 0.9 --seeds 0 1 2 3 4

Stage 1 trains the case of :mod:`benchmarks.accuracy_hetero` as it is. Stage 2 trains a fresh
model of the same settings on the training nodes plus every target node outside the training
and validation splits whose stage-1 prediction is more confident than ``--threshold`` (the
largest probability; for a multi-label task, every label's distance from 0.5, doubled),
labelled with that prediction: the pseudo labels enter the loss and, where the case has one,
the label input. Validation nodes are never pseudo-labelled, so early stopping and the
validation figures stay clean; test figures are of the stage-2 model against the true labels.
Printed per seed: both stages' test and validation macro-F1, how many nodes were
pseudo-labelled and how many of those were right (single-label).
"""

from __future__ import annotations

import argparse
import dataclasses

from benchmarks.accuracy_hetero import CASES
from hetgat.config import ModelConfig, TrainConfig
from hetgat.datasets import load_graph
from hetgat.train import fit, predict
from hetgat.train.inference import split_metrics


def pseudo_labelled(probs, data, threshold: float):
    """The target nodes outside training and validation predicted with confidence above
    ``threshold``, and the labels predicted for every node."""
    if data.multilabel:
        confidence = (probs - 0.5).abs().min(1).values * 2
        guess = (probs > 0.5).to(data.labels.dtype)
    else:
        confidence, guess = probs.max(1)
    free = ~(data.train_mask | data.val_mask)
    return free & (confidence > threshold), guess


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", required=True, help="GRAPH/MODEL of benchmarks.accuracy_hetero")
    parser.add_argument("--threshold", type=float, default=0.9)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    args = parser.parse_args(argv)
    graph, case = args.case.split("/")
    model_values, train_values, *_ = CASES[(graph, case)]
    name = case.split("-")[0]
    for seed in args.seeds:
        data = load_graph(graph, split_seed=seed)
        model_config = ModelConfig.for_model(name, **model_values)
        train_config = TrainConfig.for_model(name, seed=seed, **train_values)
        first = fit(data, model_config, train_config)
        pseudo, guess = pseudo_labelled(predict(first, data), data, args.threshold)
        labels = data.labels.clone()
        labels[pseudo] = guess[pseudo]
        second = fit(
            dataclasses.replace(
                data,
                labels=labels,
                train_mask=data.train_mask | pseudo,
                test_mask=data.test_mask & ~pseudo,
            ),
            model_config,
            train_config,
        )
        m = split_metrics(predict(second, data), data)  # against the true labels
        right = "" if data.multilabel else (
            f", {(guess[pseudo] == data.labels[pseudo]).float().mean() * 100:.1f} % right"
        )  # fmt: skip
        print(
            f"{graph}/{case}-stages{args.threshold} seed {seed}: macro-F1 "
            f"{m['test_macro_f1'] * 100:.2f}, micro-F1 {m['test_micro_f1'] * 100:.2f} "
            f"(validation {second.metrics['val_macro_f1'] * 100:.2f} / "
            f"{second.metrics['val_micro_f1'] * 100:.2f}); stage 1 "
            f"{first.metrics['test_macro_f1'] * 100:.2f} (validation "
            f"{first.metrics['val_macro_f1'] * 100:.2f}); {int(pseudo.sum())} pseudo-labelled"
            + right,
            flush=True,
        )


if __name__ == "__main__":
    main()
