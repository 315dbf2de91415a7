"""The figures of ``hetgat plot`` and ``hetgat report``, drawn with matplotlib from the numbers
of :mod:`hetgat.insight.diagnostics`.

matplotlib (and scikit-learn, for t-SNE) are the optional ``plot`` extra; they are imported
only when a picture is drawn. Figures are built as :class:`matplotlib.figure.Figure` objects,
without pyplot, so no global state or GUI backend is involved; each function returns its
Figure, whose axes and legends can be inspected.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from hetgat.errors import HetgatError

INSTALL = "pip install 'hetgat[plot]'"

#: Most panels per row in the attention entropy picture (more heads wrap onto more rows).
MAX_COLUMNS = 4
#: Most panels in the attention entropy picture before it is summarised (one panel a layer).
MAX_PANELS = 24

#: The pictures, in the order a report shows them; ``<name>.png`` in the plots folder.
PICTURES = (
    "training_curves",
    "embedding",
    "degree_accuracy",
    "attention_entropy",
    "semantic_attention",
)


def require_plotting(tsne: bool = True) -> None:
    """Raise :class:`HetgatError` naming the ``plot`` extra unless its packages import."""
    missing = []
    for module, package in (("matplotlib", "matplotlib"), ("sklearn", "scikit-learn")):
        if module == "sklearn" and not tsne:
            continue
        try:
            __import__(module)
        except ImportError:
            missing.append(package)
    if missing:
        raise HetgatError(f"pictures need {' and '.join(missing)}: {INSTALL}")


def _figure(width: float, height: float):
    require_plotting(tsne=False)
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _colours(n: int) -> list:
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


def embedding_figure(points: dict, classes: np.ndarray, class_names, method: str):
    """Scatter plots of 2-d embeddings side by side, coloured by true class.

    ``points`` maps a panel title to ``(N, 2)`` coordinates of the same nodes; ``classes``
    gives each node's class index.
    """
    fig = _figure(5.2 * len(points) + 1.8, 4.8)
    axes = fig.subplots(1, len(points), squeeze=False)[0]
    colours = _colours(len(class_names))
    size = float(np.clip(3000 / max(len(classes), 1), 3, 30))
    for ax, (title, xy) in zip(axes, points.items(), strict=True):
        for c, name in enumerate(class_names):
            chosen = classes == c
            if chosen.any():
                ax.scatter(*xy[chosen].T, s=size, color=colours[c], label=name, linewidths=0)
        ax.set_title(title)
        ax.set_xlabel(f"{method} 1")
        ax.set_ylabel(f"{method} 2")
        ax.set_xticks([])
        ax.set_yticks([])
    axes[-1].legend(
        title="true class",
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
        markerscale=max(1.0, 30 / size) ** 0.5,
        fontsize="small",
        frameon=False,
    )
    fig.suptitle(f"Last hidden layer of {len(classes)} labelled nodes ({method})")
    return fig


def degree_accuracy_figure(table: pd.DataFrame, split: str = "test"):
    """Bars of accuracy per in-degree bucket, with the node count of each bucket."""
    fig = _figure(max(4.5, 0.7 * len(table) + 2), 3.8)
    ax = fig.subplots()
    x = np.arange(len(table))
    bars = ax.bar(x, table["accuracy"], color="C0", label=f"{split} accuracy per bucket")
    ax.bar_label(bars, labels=[f"n={n}" for n in table["nodes"]], padding=2, fontsize="small")
    overall = table["correct"].sum() / max(table["nodes"].sum(), 1)
    ax.axhline(overall, color="0.4", linestyle="--", label=f"all {split} nodes ({overall:.3f})")
    ax.set_xticks(x, table["bucket"])
    ax.set_ylim(0, 1.12)
    ax.set_xlabel("in-degree (self-loops left out)")
    ax.set_ylabel(f"{split} accuracy")
    ax.legend(loc="lower right", fontsize="small")
    ax.set_title(f"{split.capitalize()} accuracy by node in-degree")
    return fig


def entropy_figure(groups: list):
    """Histograms of per-node attention entropy against uniform attention's, one panel per
    layer, edge type and head (heads across, wrapping after :data:`MAX_COLUMNS`); each panel
    notes mean entropy / mean uniform entropy. Groups without a node are left out. Above
    :data:`MAX_PANELS` panels (RGAT on a graph of many relations: 96), one summary panel per
    layer instead (:func:`entropy_summary_figure`)."""
    groups = [g for g in groups if len(g.entropy)]
    if len(groups) > MAX_PANELS:
        return entropy_summary_figure(groups)
    keys = list(dict.fromkeys((g.layer, g.edge_type, g.node_type) for g in groups))
    heads = {k: 1 + max(g.head for g in groups if _key(g) == k) for k in keys}
    cols = min(max(heads.values()), MAX_COLUMNS)
    first_row, rows = {}, 0
    for k in keys:  # each layer and edge type starts a row; many heads wrap onto more rows
        first_row[k], rows = rows, rows + -(-heads[k] // cols)
    fig = _figure(max(2.3 * cols + 0.6, 6), 2.0 * rows + 1.2)
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax in axes.flat:
        ax.set_visible(False)
    several = len({(g.edge_type, g.node_type) for g in groups}) > 1
    for g in groups:
        key = _key(g)
        r, c = first_row[key] + g.head // cols, g.head % cols
        ax = axes[r, c]
        ax.set_visible(True)
        top = max(g.uniform.max(), g.entropy.max(), 1e-3)
        bins = np.linspace(0, top * 1.02, 30)
        ax.hist(g.entropy, bins, color="C1", alpha=0.8, label="learned attention")
        ax.hist(g.uniform, bins, histtype="step", color="k", label="uniform attention")
        title = f"layer {g.layer}, head {g.head}"
        if several:
            title += f"\n{g.edge_type}" if g.edge_type != "all" else f"\ninto {g.node_type}"
        ax.set_title(title, fontsize="small")
        note = f"ratio {g.ratio:.3f}"
        ax.text(0.97, 0.95, note, transform=ax.transAxes, ha="right", va="top", fontsize=7)
        ax.tick_params(labelsize=7)
        if g.head + cols >= heads[key]:  # nothing below it in this layer and edge type
            ax.set_xlabel("entropy (nats)", fontsize="small")
        if c == 0:
            ax.set_ylabel("nodes", fontsize="small")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2, fontsize="small")
    title = "Attention entropy per node (2+ in-edges)\nratio = mean / uniform mean"
    fig.suptitle(title, fontsize="medium")
    return fig


def entropy_summary_figure(groups: list):
    """One panel per layer: for each edge type (a row), every head's ratio of mean entropy to
    mean uniform entropy (dots) and their mean (bar); 1 is uniform attention."""
    layers = sorted({g.layer for g in groups})
    rows = {
        layer: list(dict.fromkeys((g.edge_type, g.node_type) for g in groups if g.layer == layer))
        for layer in layers
    }
    most = max(len(r) for r in rows.values())
    fig = _figure(6.5 * min(len(layers), 2), 0.28 * most + 1.8)
    axes = fig.subplots(1, len(layers), squeeze=False)[0]
    several_types = len({g.node_type for g in groups}) > 1
    for ax, layer in zip(axes, layers, strict=True):
        keys = rows[layer]
        y = np.arange(len(keys))
        ratios = [[g.ratio for g in groups if g.layer == layer and (g.edge_type, g.node_type) == k]
                  for k in keys]  # fmt: skip
        ax.barh(y, [np.nanmean(r) for r in ratios], color="C1", alpha=0.5, label="mean of heads")
        for i, r in enumerate(ratios):
            ax.scatter(r, np.full(len(r), i), s=8, color="C1", label="a head" if i == 0 else None)
        names = [e if not several_types else f"{e} -> {n}" for e, n in keys]
        ax.set_yticks(y, names, fontsize="small" if len(keys) > 12 else "medium")
        ax.invert_yaxis()
        ax.axvline(1.0, color="k", linestyle=":", linewidth=1, label="uniform")
        ax.set_xlim(0, 1.05)
        ax.set_xlabel("entropy / uniform entropy (mean over nodes)")
        ax.set_title(f"layer {layer}", fontsize="medium")
    axes[0].legend(fontsize="small", loc="lower left")
    heads = len({g.head for g in groups})
    fig.suptitle(
        f"Attention entropy against uniform: {len(groups)} (layer, edge type, head) groups, "
        f"{heads} heads each, summarised\n(near 1: the head averages its neighbours)",
        fontsize="medium",
    )
    return fig


def _key(group) -> tuple:
    return group.layer, group.edge_type, group.node_type


def semantic_figure(frame: pd.DataFrame, what: str = "meta-path", flags: dict | None = None):
    """Horizontal bars of the semantic attention per meta-path or relation, one panel per
    layer and node type (the rows of :func:`hetgat.tables.semantic_frame`); ``flags`` maps a
    ``(layer, node type)`` to a short warning written under its panel's title (near uniform,
    unstable across seeds: :mod:`hetgat.insight.flags`), and uniform weight is marked."""
    flags = flags or {}
    keys = list(dict.fromkeys(zip(frame["layer"], frame["target_type"], strict=True)))
    most = frame.groupby(["layer", "target_type"]).size().max()
    fig = _figure(4.2 * min(len(keys), 3), (0.35 * most + 1.2) * -(-len(keys) // 3))
    axes = fig.subplots(-(-len(keys) // 3), min(len(keys), 3), squeeze=False)
    for ax in axes.flat[len(keys) :]:
        ax.set_visible(False)
    for ax, (layer, ntype) in zip(axes.flat, keys, strict=False):
        part = frame[(frame["layer"] == layer) & (frame["target_type"] == ntype)]
        y = np.arange(len(part))
        bars = ax.barh(y, part["attention"], color="C2")
        ax.bar_label(bars, fmt="%.2f", padding=2, fontsize="small")
        ax.set_yticks(y, part["edge_type"])
        ax.invert_yaxis()
        ax.set_xlim(0, 1.1)
        ax.set_xlabel("semantic attention")
        ax.set_ylabel(what)
        ax.set_title(f"layer {layer}, {ntype} nodes", fontsize="medium")
        if len(part) > 1:
            ax.axvline(1 / len(part), color="0.5", linestyle=":", linewidth=1)
        if (layer, ntype) in flags:
            ax.set_title(f"layer {layer}, {ntype} nodes\n{flags[layer, ntype]}", fontsize="medium",
                         color="C3")  # fmt: skip
    return fig


def training_curves_figure(history: pd.DataFrame, best_epoch: int | None = None):
    """Loss (train, validation) and validation scores per epoch, the best epoch marked."""
    fig = _figure(10, 3.8)
    loss_ax, score_ax = fig.subplots(1, 2)
    epochs = history["epoch"]
    for column, label in (("train_loss", "train loss"), ("val_loss", "validation loss")):
        if column in history:
            loss_ax.plot(epochs, history[column], label=label)
    scores = [("val_accuracy", "accuracy"), ("val_macro_f1", "macro-F1")]
    if "val_micro_f1" in history and not np.allclose(
        history["val_micro_f1"], history.get("val_accuracy", np.nan), equal_nan=True
    ):  # single-label micro-F1 equals accuracy
        scores.append(("val_micro_f1", "micro-F1"))
    for column, label in scores:
        if column in history:
            score_ax.plot(epochs, history[column], label=f"validation {label}")
    for ax, ylabel in ((loss_ax, "loss"), (score_ax, "validation score")):
        if best_epoch is not None:
            ax.axvline(best_epoch, color="0.5", linestyle=":", label=f"best epoch ({best_epoch})")
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        ax.legend(fontsize="small")
    loss_ax.set_title("Loss")
    score_ax.set_title("Validation")
    return fig


def figure_bytes(fig, fmt: str = "png") -> bytes:
    """The figure encoded as PNG or SVG."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt)
    return buffer.getvalue()
