"""Test accuracy over several seeds, against the published numbers.

    HETGAT_DATA=../shared/data python -m benchmarks.accuracy --runs 10

Prints a markdown table (mean ± std of test accuracy and macro-F1, best epoch, epochs run) for
GAT and GATv2 on Cora and CiteSeer with the GAT paper's hyper-parameters, and with ``--json``
writes every run's metrics.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from hetgat.config import ModelConfig, TrainConfig
from hetgat.datasets import load_graph
from hetgat.train import fit

#: (dataset, model) -> published test accuracy (mean, std) and the bar this project set.
PUBLISHED = {
    ("cora", "gat"): ("83.0 ± 0.7 (GAT paper)", 82.5),
    ("citeseer", "gat"): ("72.5 ± 0.7 (GAT paper)", 71.5),
    ("cora", "gatv2"): ("n/a (GATv2 paper reports no Planetoid split)", 82.0),
    ("citeseer", "gatv2"): ("n/a", None),
    ("cora-csv", "gat"): ("= planetoid:cora", 82.5),
}


#: Cora written as a user's CSV export (examples/cora: string ids, shuffled rows, the public
#: split as a column), to compare with planetoid:cora.
CORA_CSV = (
    "examples/cora/cites.csv",
    {
        "nodes": [("paper", "examples/cora/papers.csv")],
        "features": [("paper", "examples/cora/features.npz")],
        "normalize_features": True,
    },
)


def load(dataset: str):
    if dataset == "cora-csv":
        return load_graph(CORA_CSV[0], **CORA_CSV[1])
    return load_graph(f"planetoid:{dataset}")


def run(dataset: str, model: str, seeds: range, model_values: dict, **train) -> list[dict]:
    data = load(dataset)
    out = []
    for seed in seeds:
        config = ModelConfig.for_model(model, **model_values)
        result = fit(data, config, TrainConfig(seed=seed, **train))
        out.append({"seed": seed, **result.metrics})
    return out


def describe(values: list[float]) -> str:
    return f"{statistics.fmean(values) * 100:.2f} ± {statistics.pstdev(values) * 100:.2f}"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--datasets", default="cora,citeseer")
    parser.add_argument("--models", default="gat,gatv2")
    parser.add_argument("--json", default=None, help="write every run's metrics here")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a ModelConfig value, e.g. msg_drop=0.6 (repeatable)",
    )
    args = parser.parse_args(argv)
    rows, raw = [], {}
    print(
        "| dataset | model | test accuracy | test macro-F1 | best epoch | epochs run | "
        "published | bar |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for dataset in args.datasets.split(","):
        for model in args.models.split(","):
            start = time.perf_counter()
            values = {
                k: float(v) if "." in v else int(v)
                for k, v in (item.split("=", 1) for item in args.set)
            }
            runs = run(dataset, model, range(args.runs), values)
            raw[f"{dataset}-{model}"] = runs
            published, bar = PUBLISHED.get((dataset, model), ("n/a", None))
            row = (
                f"| {dataset} | {model} | {describe([r['test_accuracy'] for r in runs])} | "
                f"{describe([r['test_macro_f1'] for r in runs])} | "
                f"{statistics.median(r['best_epoch'] for r in runs):.0f} | "
                f"{statistics.median(r['epochs_run'] for r in runs):.0f} | {published} | "
                f"{'' if bar is None else f'≥ {bar}'} |"
            )
            rows.append(row)
            print(row, f"<!-- {time.perf_counter() - start:.0f} s -->", flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(raw, fh, indent=1)


if __name__ == "__main__":
    main()
