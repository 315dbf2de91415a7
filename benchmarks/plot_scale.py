"""Draw ``benchmarks.scale_gat``'s JSON: seconds per epoch and training memory against edges.

    python -m benchmarks.scale_gat ... --json scale.json
    python -m benchmarks.plot_scale scale.json docs/scale.png

Needs matplotlib (``pip install 'hetgat[plot]'``). Only the rows with the default heads and
feature size (the edge sweep) are drawn, one line per peer, both axes logarithmic.
"""

from __future__ import annotations

import argparse
import json


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json_path")
    parser.add_argument("png_path")
    args = parser.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(args.json_path, encoding="utf-8") as fh:
        rows = json.load(fh)["rows"]
    heads = max(r["heads"] for r in rows)
    feats = {r["feats"] for r in rows if r["edges"] == min(x["edges"] for x in rows)}.pop()
    sweep = [r for r in rows if r["heads"] == heads and r["feats"] == feats]
    fig, (time_ax, mem_ax) = plt.subplots(1, 2, figsize=(9, 3.6))
    for peer, style in (("hetgat", "o-"), ("dgl-stock", "s--")):
        got = sorted((r for r in sweep if r["peer"] == peer), key=lambda r: r["edges"])
        edges = [r["edges"] for r in got]
        time_ax.plot(edges, [r["seconds"] for r in got], style, label=peer)
        mem_ax.plot(edges, [r["train_mib"] for r in got], style, label=peer)
    for ax, label in ((time_ax, "seconds per epoch"), (mem_ax, "training memory (MiB)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("edges")
        ax.set_ylabel(label)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend()
    fig.suptitle(f"Full-batch GAT, {heads} heads x 8, {feats} features (2 CPU cores)")
    fig.tight_layout()
    fig.savefig(args.png_path, dpi=100)


if __name__ == "__main__":
    main()
