"""``hetgat fit``'s job as one library call: train one or several seeds, write run folders."""

from __future__ import annotations

import dataclasses
import statistics
from pathlib import Path

from hetgat.config import ModelConfig, TrainConfig
from hetgat.data import GraphData
from hetgat.io import staged_dir, write_json
from hetgat.run import save_run
from hetgat.train import fit

SUMMARY_KEYS = (
    "test_accuracy",
    "test_macro_f1",
    "test_micro_f1",
    "val_accuracy",
    "val_macro_f1",
    "val_micro_f1",
    "best_epoch",
    "epochs_run",
    "seconds_per_epoch",
)


def fit_runs(
    data: GraphData,
    model_config: ModelConfig,
    train_config: TrainConfig,
    *,
    source: dict,
    out: str | Path,
    runs: int = 1,
    attention: bool = True,
    overwrite: bool = False,
    progress: bool = False,
) -> str:
    """Train ``runs`` seeds and write their run folders; return a one-line summary.

    With ``runs == 1`` ``out`` is the run folder. With several, ``out`` holds one run folder
    per seed (``seed-<n>/``) and ``summary.json`` with each run's metrics and their mean and
    standard deviation.
    """
    out = Path(out)
    if runs == 1:
        result = fit(data, model_config, train_config, progress=progress)
        save_run(
            out,
            data,
            result,
            result.model_config,
            train_config,
            source=source,
            attention=attention,
            overwrite=overwrite,
        )
        m = result.metrics
        return (
            f"{data.name} {model_config.name}: test accuracy {m['test_accuracy']:.4f}, "
            f"macro-F1 {m['test_macro_f1']:.4f} (best epoch {m['best_epoch']} of "
            f"{m['epochs_run']}, {m['seconds_per_epoch'] * 1000:.1f} ms/epoch) -> {out}"
        )
    per_run = []
    with staged_dir(out, overwrite=overwrite) as tmp:
        for i in range(runs):
            config = dataclasses.replace(train_config, seed=train_config.seed + i)
            result = fit(data, model_config, config, progress=progress)
            save_run(
                tmp / f"seed-{config.seed}",
                data,
                result,
                result.model_config,
                config,
                source=source,
                attention=attention,
            )
            per_run.append({"seed": config.seed, **{k: result.metrics[k] for k in SUMMARY_KEYS}})
        stats = {
            k: {
                "mean": statistics.fmean(r[k] for r in per_run),
                "std": statistics.pstdev(r[k] for r in per_run),
            }
            for k in SUMMARY_KEYS
        }
        write_json(tmp / "summary.json", {"runs": per_run, **stats})
    acc, f1 = stats["test_accuracy"], stats["test_macro_f1"]
    return (
        f"{data.name} {model_config.name}, {runs} runs: test accuracy "
        f"{acc['mean'] * 100:.2f} ± {acc['std'] * 100:.2f}, macro-F1 "
        f"{f1['mean'] * 100:.2f} ± {f1['std'] * 100:.2f} -> {out}"
    )
