"""How high any stopping rule could take HAN on ``han:acm``: the test score at every epoch.

    HETGAT_DATA=../shared/data python -m benchmarks.epoch_bound_han --seeds 0 1 --layers 1 2

A diagnostic, not a way to choose a model: it trains HAN exactly as ``hetgat.train.fit`` does
(HAN's defaults, ``--layers``, ``--feat-drop``/``--attn-drop``) and, after each epoch's
validation, also scores the test papers. The extra forward pass is in eval mode and draws no
random numbers, so the run (its kept epoch and final scores) is the one ``fit`` gives alone.

Per run it prints the epoch the stopping rule kept and its test macro-/micro-F1, the epoch with
the highest test macro-F1 of all epochs run (the **bound**: no rule that looks at validation
alone can keep a better epoch of this run), the epoch with the lowest validation loss, and the
share of epochs at or above ``--goal`` (macro-F1).
"""

from __future__ import annotations

import argparse
import json
import sys
from unittest import mock

import hetgat.train as train
import hetgat.train.fullbatch as fullbatch
from benchmarks.accuracy_hetero import describe
from hetgat.config import ModelConfig, TrainConfig
from hetgat.datasets import load_graph


def recording_stopper(data, epochs: list):
    """An :class:`~hetgat.train.EarlyStopping` that appends ``(epoch, test macro-F1, test
    micro-F1, validation loss)`` to ``epochs`` at every step. The model's prepared graph (HAN's
    meta-path graphs) is built at the first step and reused, as ``fit`` does."""

    class Recording(train.EarlyStopping):
        graph = None

        def step(self, epoch, score, loss, model):
            if self.graph is None:
                self.graph = model.prepare_graph(data.graph)
            m = train.evaluate(model, data, graph=self.graph)
            epochs.append((epoch, m["test_macro_f1"], m["test_micro_f1"], loss))
            return super().step(epoch, score, loss, model)

    return Recording


def run(data, seed: int, layers: int, feat_drop: float, attn_drop: float) -> dict:
    epochs: list = []
    model_config = ModelConfig.for_model(
        "han", num_layers=layers, feat_drop=feat_drop, attn_drop=attn_drop
    )
    with mock.patch.object(fullbatch, "EarlyStopping", recording_stopper(data, epochs)):
        result = train.fit(data, model_config, TrainConfig.for_model("han", seed=seed))
    bound = max(epochs, key=lambda e: e[1])
    lowest = min(epochs, key=lambda e: e[3])
    return {
        "seed": seed,
        "layers": layers,
        "kept": (
            result.metrics["best_epoch"],
            result.metrics["test_macro_f1"],
            result.metrics["test_micro_f1"],
        ),
        "epochs_run": len(epochs),
        "bound": bound[:3],
        "lowest_val_loss": (lowest[0], lowest[1], lowest[3]),
        "test_macro_f1": [e[1] for e in epochs],
    }


def row(r: dict, goal: float) -> str:
    """One run's line of the table (F1 in percent)."""
    share = sum(f >= goal for f in r["test_macro_f1"]) / r["epochs_run"]
    (ke, kma, kmi), (be, bma, bmi), (le, lma, lloss) = r["kept"], r["bound"], r["lowest_val_loss"]
    return (
        f"| {r['layers']} ({r['seed']}) | {ke} / {r['epochs_run']}: {kma * 100:.2f} / "
        f"{kmi * 100:.2f} | {be}: {bma * 100:.2f} / {bmi * 100:.2f} | {le}: {lma * 100:.2f} "
        f"(loss {lloss:.4f}) | {share:.1%} |"
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--layers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--feat-drop", type=float, default=0.6)
    parser.add_argument("--attn-drop", type=float, default=0.6)
    parser.add_argument("--goal", type=float, default=0.90, help="macro-F1 to count epochs at")
    parser.add_argument("--json", default=None, help="write every run, with per-epoch scores")
    args = parser.parse_args(argv)
    data = load_graph("han:acm")
    runs = []
    print(
        "| layers (seed) | kept epoch: test macro / micro | bound epoch: test macro / micro "
        f"| lowest val loss epoch: test macro | epochs ≥ {args.goal:.0%} |\n|---|---|---|---|---:|"
    )
    for layers in args.layers:
        for seed in args.seeds:
            r = run(data, seed, layers, args.feat_drop, args.attn_drop)
            runs.append(r)
            print(row(r, args.goal), flush=True)
    for layers in args.layers:
        mine = [r for r in runs if r["layers"] == layers]
        print(
            f"{layers} layer(s), {len(mine)} seeds: kept {describe([r['kept'][1] for r in mine])}, "
            f"bound {describe([r['bound'][1] for r in mine])} (test macro-F1)",
            file=sys.stderr,
        )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"options": vars(args), "runs": runs}, fh, indent=1)


if __name__ == "__main__":
    main()
