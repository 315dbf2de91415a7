"""``hetgat explain``'s text: one node's prediction and the neighbours it attended to most
(the numbers: :func:`hetgat.runs.explain.explain_node`)."""

from __future__ import annotations

from hetgat.runs.explain import explain_node

__all__ = ["explain_node", "format_explanation"]


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
    if info.get("semantic"):
        lines += [
            "",
            "its own weight of each meta-path or relation (semantic attention, per layer):",
        ]
        for s in info["semantic"]:
            lines.append(f"  layer {s['layer']}  {s['edge_type']}  {s['attention']:.4f}")
    for g in info["attention"]:
        lines.append("")
        shown = min(len(g["neighbours"]), g["in_edges"])
        lines.append(
            f"layer {g['layer']}, head {g['head']}, {g['edge_type']} ({g['src_type']} -> "
            f"{info['type']}): top {shown} of {g['in_edges']} in-edges; uniform attention "
            f"{g['uniform']:.4f}, {g['above_uniform']} above it"
        )
        header = ("rank", "neighbour", "attention", "x uniform", "label", "predicted")
        body = [
            (
                str(i),
                n["id"]
                + (" (itself)" if n["id"] == info["id"] and n["type"] == info["type"] else ""),
                f"{n['attention']:.4f}",
                f"{n['times_uniform']:.2f}",
                n["label"] or "-",
                n["predicted"] or "-",
            )
            for i, n in enumerate(g["neighbours"], start=1)
        ]
        widths = [max(len(r[k]) for r in [header, *body]) for k in range(len(header))]
        for r in [header, *body]:
            cells = [
                c.rjust(w) if k in (0, 2, 3) else c.ljust(w)
                for k, (c, w) in enumerate(zip(r, widths, strict=True))
            ]
            lines.append("  " + "  ".join(cells).rstrip())
    return "\n".join(lines)
