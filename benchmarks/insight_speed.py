"""plot, report and explain on a 4,000-node heterogeneous graph (issue 23 §5): report after
plot reuses plot's embedding points and attention, so it no longer runs t-SNE again; plot's
t-SNE is bounded (2000 points, 500 steps), timed beside the settings before (3000, 1000).

    python -m benchmarks.insight_speed [--nodes 4000] [--threads 2] [--json out.json]

Builds a graph like HeCo's Freebase in shape (target "movie" nodes with features, "actor" and
"director" nodes without, three relations and their reverses), trains RGAT for a few epochs
(not timed), then times, in this process: ``plot`` (t-SNE on 2000 sampled nodes, twice:
untrained and trained), ``report`` after it (the cached points), ``report`` without the
cache (the same as a report on a run never plotted), ``plot`` with the t-SNE settings before
(3000 nodes, 1000 steps, no PCA step), and ``explain`` of one node. Needs the plot extra.
Reports seconds and the machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def make_graph(root: Path, n: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    movies = [f"m{i}" for i in range(n)]
    classes = np.arange(n) % 3
    rows = []
    for other, count, per in (("actor", n // 2, 3), ("director", n // 4, 1)):
        ids = np.array([f"{other[0]}{i}" for i in range(count)])
        for i, movie in enumerate(movies):
            # actors and directors lean to one class, so attention has something to find
            pool = ids[classes[i] :: 3] if rng.random() < 0.7 else ids
            for o in rng.choice(pool, per, replace=False):
                rows.append((o, other, f"{other}_in", movie, "movie"))
    pd.DataFrame(rows, columns=["src", "src_type", "relation", "dst", "dst_type"]).to_csv(
        root / "edges.csv", index=False
    )
    features = rng.normal(size=(n, 16)) + classes[:, None] * 0.3
    frame = pd.DataFrame(features, columns=[f"f{i}" for i in range(16)])
    frame.insert(0, "label", np.array(["a", "b", "c"])[classes])
    frame.insert(0, "id", movies)
    frame.to_csv(root / "movies.csv", index=False)


@contextlib.contextmanager
def previous_tsne_settings():
    """plot's t-SNE as it was before the bound: 3000 points, 1000 steps, no PCA step."""
    from hetgat.insight import plots, projection

    names = ("TSNE_MAX_POINTS", "TSNE_STEPS", "TSNE_PCA_DIMS")
    saved = [getattr(projection, name) for name in names]
    for name, value in zip(names, (3000, 1000, 10**9)):
        setattr(projection, name, value)
    plots.TSNE_MAX_POINTS = 3000
    try:
        yield
    finally:
        for name, value in zip(names, saved):
            setattr(projection, name, value)
        plots.TSNE_MAX_POINTS = saved[0]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=4000)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)

    from benchmarks.common import machine_info
    from hetgat.config import ModelConfig, TrainConfig
    from hetgat.datasets.source import DataSource
    from hetgat.insight.explain import explain_node
    from hetgat.insight.plots import EMBEDDING_CACHE, write_plots
    from hetgat.insight.report import write_report
    from hetgat.models import resolve_config
    from hetgat.runs import fit_runs, load_run
    from hetgat.sparse.threads import using_threads

    with tempfile.TemporaryDirectory() as tmp, using_threads(args.threads):
        root = Path(tmp)
        make_graph(root, args.nodes)
        source = DataSource(
            spec=str(root / "edges.csv"), nodes=(("movie", str(root / "movies.csv")),)
        )
        data = source.load()
        model = resolve_config(ModelConfig.for_model("rgat"), data)
        train = TrainConfig.for_model("rgat", epochs=args.epochs, patience=0)
        fit_runs(data, model, train, source=source, out=root / "run", attention=False)
        run_dir = root / "run"
        seconds = {}

        def timed(name, call):
            start = time.perf_counter()
            call()
            seconds[name] = round(time.perf_counter() - start, 2)
            print(f"{name}: {seconds[name]} s", flush=True)

        timed("plot", lambda: write_plots(run_dir))
        timed("report after plot (cached points)", lambda: write_report(run_dir))
        (run_dir / "plots" / EMBEDDING_CACHE).unlink()
        timed("report without the cache (a run never plotted)", lambda: write_report(run_dir))
        (run_dir / "plots" / EMBEDDING_CACHE).unlink()
        with previous_tsne_settings():
            timed(
                "plot, t-SNE settings before (3000 nodes, 1000 steps)", lambda: write_plots(run_dir)
            )
        run = load_run(run_dir)
        timed("explain one node (load + forward)", lambda: explain_node(run, "m5"))
        loaded = run.load_data()
        timed("explain one node, data loaded", lambda: explain_node(run, "m6", loaded))
    result = {
        "nodes": args.nodes,
        "edges": int(data.graph.num_edges()),
        "seconds": seconds,
        "machine": machine_info(),
    }
    print(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
