"""One self-contained HTML page about a run (``hetgat report``): config, metrics, pictures,
the most attended edges. Pictures are inlined as PNG data URLs, so the page opens offline and
can be mailed or archived as a single file."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

import pandas as pd

from hetgat.insight.diagnostics import top_edges
from hetgat.insight.plots import draw_run, figure_bytes, require_plotting
from hetgat.outputs import atomic_path, check_output_file
from hetgat.runs.seeds import load_run_or_best
from hetgat.tables import semantic_frame

CAPTIONS = {
    "training_curves": "Loss and validation scores per epoch; the dotted line marks the epoch "
    "whose weights were kept.",
    "embedding": "The last hidden layer of the labelled nodes projected to two dimensions, "
    "coloured by true class: with the initial weights (left) and after training (right).",
    "degree_accuracy": "Test accuracy by in-degree bucket; n is the number of test nodes in "
    "the bucket.",
    "attention_entropy": "Entropy of each node's attention over its in-edges (nodes with two "
    "or more), against the entropy of uniform attention over the same in-edges. A ratio near 1 "
    "means the head averages its neighbours; well below 1, that it picks some of them. With "
    "many edge types and heads, one panel per layer gives each head's ratio (dots) and their "
    "mean (bar) per edge type.",
    "semantic_attention": "Weight of each meta-path or relation in the semantic attention; the "
    "dotted line is uniform weight, and a panel whose weights stay near it, or change from "
    "seed to seed (a fit of several seeds), says so in red.",
}

TITLES = {
    "training_curves": "Training curves",
    "embedding": "Last hidden layer",
    "degree_accuracy": "Accuracy by in-degree",
    "attention_entropy": "Attention entropy",
    "semantic_attention": "Semantic attention",
}

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222;
       padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; }
table { border-collapse: collapse; font-size: .9em; margin: .5em 0 1em; }
th, td { border: 1px solid #ddd; padding: .25em .6em; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1em 0 2em; } img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: .9em; max-width: 60em; }
p.flag { color: #a40; font-weight: 600; }
pre { background: #f6f6f6; padding: 1em; overflow: auto; font-size: .85em; }
"""


def _table(frame: pd.DataFrame) -> str:
    head = "".join(
        f'<th class="{"num" if pd.api.types.is_numeric_dtype(frame[c]) else ""}">'
        f"{html.escape(str(c))}</th>"
        for c in frame.columns
    )
    rows = []
    for values in frame.itertuples(index=False):
        cells = []
        for c, v in zip(frame.columns, values, strict=True):
            numeric = pd.api.types.is_numeric_dtype(frame[c])
            text = f"{v:.4f}" if isinstance(v, float) else str(v)
            cells.append(f'<td class="{"num" if numeric else ""}">{html.escape(text)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _no_edge_attention(edges: pd.DataFrame, semantic) -> list[str]:
    """A line saying why the edge table is empty for a model that attends across relation
    paths only (SeHGNN)."""
    if len(edges) or semantic is None or not len(semantic):
        return []
    return [
        "<p>This model has no attention over edges: it averages each relation path's "
        "neighbours before training, and attends across the paths (semantic attention).</p>"
    ]


def _above_uniform(edges: pd.DataFrame) -> str:
    if not len(edges) or "above_uniform" not in edges:
        return ""
    return f" ({int(edges['above_uniform'].sum())} of the {len(edges)} listed)"


def render_report(
    title: str,
    *,
    metrics: dict,
    config: dict,
    pictures: dict,
    edges: pd.DataFrame,
    semantic: pd.DataFrame | None = None,
    notes: list[str] = (),
) -> str:
    """The HTML page.

    Parameters
    ----------
    title : str
        Page title and heading.
    metrics, config : dict
        Shown as a table and as JSON.
    pictures : dict[str, bytes]
        PNG bytes per picture name (see :data:`hetgat.insight.plots.PICTURES`).
    edges : pandas.DataFrame
        The most attended edges (:func:`hetgat.insight.diagnostics.top_edges`).
    semantic : pandas.DataFrame, optional
        The semantic attention table (HAN, RGAT; HGT's relation shares and priors).
    notes : list of str, optional
        Warnings on the semantic attention (near uniform, unstable across seeds), shown
        above its table.
    """
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        "<h2>Metrics</h2>",
        _table(
            pd.DataFrame(
                {"metric": list(metrics), "value": pd.Series(list(metrics.values()), dtype=object)}
            )
        ),
    ]
    for name, png in pictures.items():
        data = base64.b64encode(png).decode("ascii")
        caption = html.escape(CAPTIONS.get(name, name))
        parts += [
            f'<h2 id="{name}">{html.escape(TITLES.get(name, name))}</h2>',
            f'<figure><img alt="{html.escape(name)}" src="data:image/png;base64,{data}">',
            f"<figcaption>{caption}</figcaption></figure>",
        ]
    if semantic is not None and len(semantic):
        parts.append("<h2>Semantic attention weights</h2>")
        parts += [f'<p class="flag">{html.escape(note)}</p>' for note in notes]
        parts.append(_table(semantic))
    parts += [
        "<h2>Most attended edges</h2>",
        "<p>Per layer, heads averaged, ranked by <code>times_uniform</code>: the weight over "
        "<code>uniform</code>, the weight 1/in-edges that attention without preference would "
        "give (a raw weight mostly reflects how few in-edges the node has). Above 1 the edge "
        "is attended above uniform"
        + _above_uniform(edges)
        + ". Only edges into nodes with at least three in-edges of the softmax's edge type, "
        "self-loops left out.</p>",
        _table(edges),
        *_no_edge_attention(edges, semantic),
        "<h2>Configuration</h2>",
        f"<pre>{html.escape(json.dumps(config, indent=2))}</pre>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def write_report(
    run_dir,
    out=None,
    *,
    top: int = 20,
    overwrite: bool = False,
    unseen_nodes: str = "error",
    **options,
) -> Path:
    """Write the report of run folder ``run_dir`` to ``out`` [default: ``run_dir/report.html``].

    ``top`` edges are listed per layer; ``options`` are those of
    :func:`hetgat.insight.plots.draw_run`. A ``--runs`` folder reports its best seed (and
    says so). An existing ``out`` is replaced only with
    ``overwrite`` (the default ``report.html`` always), never a file of the run or an input.
    Returns the path written.
    """
    require_plotting(tsne=options.get("embedding", "auto") != "pca")
    run = load_run_or_best(run_dir, unseen_nodes=unseen_nodes)
    default = run.path / "report.html"
    out = Path(out) if out is not None else default
    check_output_file(out, overwrite, protected=run.protected_paths(), replaceable=(default,))
    data = run.load_data()
    # The attention of the pictures' forward pass serves the tables too, and the embedding's
    # points that `hetgat plot` kept in RUN/plots are reused (no second t-SNE).
    drawn = draw_run(run, data, cache=run.path / "plots", **options)
    att = drawn.attention
    config = json.loads((run.path / "config.json").read_text(encoding="utf-8"))
    metrics = dict(run.metrics)
    timing = run.path / "timing.json"
    if timing.is_file():
        metrics.update(json.loads(timing.read_text(encoding="utf-8")))
    name = config.get("data", {}).get("name", run.path.name)
    page = render_report(
        f"{name} {run.model_config.name}: {run.path.name}",
        metrics=metrics,
        config=config,
        pictures={k: figure_bytes(fig) for k, fig in drawn.figures.items()},
        edges=top_edges(att, data.node_ids, k=top),
        semantic=semantic_frame(att.semantic) if att.semantic else None,
        notes=drawn.notes,
    )
    with atomic_path(out) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return out
