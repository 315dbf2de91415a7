"""One node's prediction and the neighbours it attended to most (``hetgat explain``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hetgat.errors import HetgatError
from hetgat.runs.apply import run_output
from hetgat.tables import attention_frames, predictions_frame


def explain_node(run, node_id: str, data=None, *, top_k: int = 10, mean_heads: bool = False):
    """The prediction of target node ``node_id`` and its strongest in-neighbours.

    Attention is recomputed in eval mode, so it equals ``attention.csv``'s rows into the node.

    Parameters
    ----------
    run : hetgat.runs.folder.Run
        A loaded run folder.
    node_id : str
        The node's id in the user's data (a node of the target type).
    data : GraphData, optional
        The graph [default: the run's own data, loaded again].
    top_k : int, default 10
        Neighbours listed per layer, head and edge type (meta-path for HAN).
    mean_heads : bool, default False
        Average the heads (``head`` is then ``"mean"``).

    Returns
    -------
    dict
        ``id, type, split, label, predicted, probabilities`` and ``attention``: one entry per
        layer, head and edge type with ``in_edges`` (before ``top_k``) and ``neighbours``, each
        ``id, type, attention, label, predicted``, in descending attention.
    """
    data = run.load_data() if data is None else data
    target = data.target_type
    hits = np.flatnonzero(data.node_ids[target] == str(node_id))
    if len(hits) == 0:
        kind = "node" if target == "node" else f"{target} node"
        raise HetgatError(f"no {kind} with id {str(node_id)!r} in the run's graph")
    index = int(hits[0])
    probs, att = run_output(run, data, get_attention=True)
    table = predictions_frame(data, probs)
    row = table.iloc[index]
    known = table.set_index("id")[["label", "predicted"]]
    frames = attention_frames(
        att.graph,
        data.node_ids,
        att.edges,
        dst_nodes={target: np.array([index])},
        top_k=top_k,
        mean_heads=mean_heads,
    )
    rows = pd.concat(list(frames), ignore_index=True)
    groups = []
    for (layer, head, edge_type, src_type), part in rows.groupby(
        ["layer", "head", "edge_type", "src_type"], sort=False
    ):
        etype = (src_type, edge_type, target)
        neighbours = [
            {
                "id": r.src,
                "type": src_type,
                "attention": float(r.attention),
                "label": str(known.at[r.src, "label"]) if src_type == target else "",
                "predicted": str(known.at[r.src, "predicted"]) if src_type == target else "",
            }
            for r in part.itertuples()
        ]
        groups.append(
            {
                "layer": int(layer),
                "head": head if isinstance(head, str) else int(head),
                "edge_type": edge_type,
                "src_type": src_type,
                "in_edges": int(att.graph.in_degrees(index, etype=etype)),
                "neighbours": neighbours,
            }
        )
    return {
        "id": str(node_id),
        "type": target,
        "split": row["split"],
        "label": row["label"],
        "predicted": row["predicted"],
        "probabilities": {c: float(row[f"prob_{c}"]) for c in data.class_names},
        "attention": groups,
    }


def format_explanation(info: dict) -> str:
    """``info`` from :func:`explain_node` as readable text: a header, then one table per
    layer, head and edge type."""
    probs = info["probabilities"]
    predicted = [c for c in str(info["predicted"]).split("|") if c]
    if len(predicted) == 1:
        chance = f"probability {probs[predicted[0]]:.3f}"
    else:
        chance = "probabilities " + (", ".join(f"{c} {probs[c]:.3f}" for c in predicted) or "-")
    split = f"{info['split']} split" if info["split"] else "in no split"
    kind = "node" if info["type"] == "node" else f"{info['type']} node"
    lines = [
        f"{kind} {info['id']} ({split})",
        f"  predicted: {info['predicted'] or '-'} ({chance})",
        f"  label:     {info['label'] or '-'}",
    ]
    for g in info["attention"]:
        lines.append("")
        shown = min(len(g["neighbours"]), g["in_edges"])
        lines.append(
            f"layer {g['layer']}, head {g['head']}, {g['edge_type']} ({g['src_type']} -> "
            f"{info['type']}): top {shown} of {g['in_edges']} in-edges"
        )
        header = ("rank", "neighbour", "attention", "label", "predicted")
        body = [
            (
                str(i),
                n["id"]
                + (" (itself)" if n["id"] == info["id"] and n["type"] == info["type"] else ""),
                f"{n['attention']:.4f}",
                n["label"] or "-",
                n["predicted"] or "-",
            )
            for i, n in enumerate(g["neighbours"], start=1)
        ]
        widths = [max(len(r[k]) for r in [header, *body]) for k in range(len(header))]
        for r in [header, *body]:
            cells = [
                c.rjust(w) if k in (0, 2) else c.ljust(w)
                for k, (c, w) in enumerate(zip(r, widths, strict=True))
            ]
            lines.append("  " + "  ".join(cells).rstrip())
    return "\n".join(lines)
