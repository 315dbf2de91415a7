"""What ``hetgat inspect`` prints: a summary a user reads before training."""

from __future__ import annotations

import numpy as np
import torch

from hetgat.config import ModelConfig
from hetgat.data import GraphData, describe_relations
from hetgat.datasets.featureless import FeaturelessInputs
from hetgat.datasets.metapath_graphs import MAX_METAPATH_EDGES, count_edges, estimate_edges
from hetgat.datasets.metapaths import find_metapaths
from hetgat.errors import HetgatError


def describe(data: GraphData, metapath_length: int = 2, featureless: str | None = None) -> dict:
    """Counts, feature sizes, labels per class and split, isolated nodes and degree statistics;
    for heterogeneous graphs also the meta-paths HAN would find, with their estimated sizes,
    and for CSV graphs how the files' relations were read (inverse pairs, duplicates, reverses
    added: ``relations``, and the line ``relations_read``).

    Degrees count edges without self-loops; a node is isolated when it has no edge of any type
    other than a self-loop. A node counts in every split whose mask holds it (a CSVDataset's
    masks may overlap); ``no_split`` counts the labelled nodes in none. A graph without labels
    (``labelled`` False) has an empty ``labels`` table: its structure is all there is to show.
    ``featureless_inputs``: what each type without features gets as input under the choice
    ``featureless`` (default :class:`~hetgat.config.ModelConfig`'s), and whether a model is
    then inductive for it (:mod:`hetgat.datasets.featureless`).
    """
    g = data.graph
    schema = data.schema()
    featureless = ModelConfig().featureless if featureless is None else featureless
    touched = {t: np.zeros(g.num_nodes(t), dtype=bool) for t in g.ntypes}
    edge_types = []
    for etype in g.canonical_etypes:
        src, dst = g.edges(etype=etype)
        loops = (src == dst) if etype[0] == etype[2] else torch.zeros_like(src, dtype=torch.bool)
        src, dst = src[~loops].numpy(), dst[~loops].numpy()
        touched[etype[0]][src] = True
        touched[etype[2]][dst] = True
        deg = np.bincount(dst, minlength=g.num_nodes(etype[2]))
        edge_types.append(
            {
                "src_type": etype[0],
                "edge_type": etype[1],
                "dst_type": etype[2],
                "edges": int(g.num_edges(etype)),
                "self_loops": int(loops.sum()),
                "in_degree": _stats(deg),
            }
        )
    node_types = [
        {
            "type": t,
            "nodes": int(g.num_nodes(t)),
            "features": schema.in_feats[t] or None,
            "sparse_features": bool(
                t in data.features and data.features[t].layout != torch.strided
            ),
            "isolated": int((~touched[t]).sum()),
        }
        for t in g.ntypes
    ]
    return {
        "name": data.name,
        "target_type": data.target_type,
        "labelled": data.num_classes > 0,
        "multilabel": data.multilabel,
        "node_types": node_types,
        "edge_types": edge_types,
        "relations": [r.to_dict() for r in data.relations or ()],
        "relations_read": describe_relations(data.relations),
        "labels": _label_counts(data),
        "metapaths": [] if data.is_homogeneous else _metapaths(data, metapath_length),
        "featureless": featureless,
        "featureless_inputs": FeaturelessInputs(featureless).describe(schema),
    }


def _metapaths(data: GraphData, length: int) -> list[dict]:
    try:
        found = find_metapaths(data.schema(), length)
    except HetgatError:
        return []
    rows = []
    for p in found:
        # Counted exactly up to 10x the default limit: past that only "at least" is worth the time.
        edges, complete = count_edges(data.graph, p, stop_above=10 * MAX_METAPATH_EDGES)
        rows.append(
            {
                "name": p.name,
                "relations": p.spec(),
                "edges": edges,
                "edges_complete": complete,
                "estimated_edges": estimate_edges(data.graph, p),
            }
        )
    return rows


def _stats(deg: np.ndarray) -> dict:
    if len(deg) == 0:
        return {"min": 0, "median": 0, "mean": 0.0, "max": 0}
    return {
        "min": int(deg.min()),
        "median": float(np.median(deg)),
        "mean": round(float(deg.mean()), 3),
        "max": int(deg.max()),
    }


def _label_counts(data: GraphData) -> list[dict]:
    if data.num_classes == 0:
        return []
    masks = {s: getattr(data, f"{s}_mask").numpy() for s in ("train", "val", "test")}
    in_none = ~(masks["train"] | masks["val"] | masks["test"])
    rows = []
    for i, name in enumerate(data.class_names):
        has = data.labels[:, i] > 0 if data.multilabel else data.labels == i
        has = has.numpy()
        row = {"class": name, "total": int(has.sum())}
        for split, mask in masks.items():
            row[split] = int((has & mask).sum())
        row["no_split"] = int((has & in_none).sum())
        rows.append(row)
    labelled = (data.labels.sum(1) > 0) if data.multilabel else (data.labels >= 0)
    rows.append(
        {
            "class": "(unlabelled)",
            "total": int((~labelled).sum()),
            "train": 0,
            "val": 0,
            "test": 0,
            "no_split": int((~labelled).sum()),
        }
    )
    return rows


def _table(header: list[str], rows: list[list]) -> list[str]:
    """Columns sized to their content; the first left-aligned, the others right-aligned."""
    cells = [header] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    return [
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in cells
    ]


def format_summary(info: dict) -> str:
    """The summary as aligned plain text."""
    if info["labelled"]:
        title = f"{info['name']}: target node type {info['target_type']!r}"
        title += " (multi-label)" if info["multilabel"] else ""
    else:
        title = (
            f"{info['name']}: no labels, the structure only (training needs a node file with a "
            "'label' column)"
        )
    lines = [title, ""]
    rows = []
    for n in info["node_types"]:
        feats = "learned" if n["features"] is None else str(n["features"])
        rows.append(
            [
                n["type"],
                n["nodes"],
                feats + (" sparse" if n["sparse_features"] else ""),
                n["isolated"],
            ]
        )
    lines += _table(["node type", "nodes", "features", "isolated"], rows) + [""]
    rows = []
    for e in info["edge_types"]:
        d = e["in_degree"]
        rows.append(
            [
                f"{e['src_type']} -[{e['edge_type']}]-> {e['dst_type']}",
                e["edges"],
                e["self_loops"],
                f"{d['min']}/{d['median']:g}/{d['mean']:g}/{d['max']}",
            ]
        )
    header = ["edge type", "edges", "self-loops", "in-degree min/median/mean/max"]
    lines += _table(header, rows) + [""]
    if info.get("relations_read"):
        lines += [info["relations_read"], ""]
    if info.get("featureless_inputs"):
        inputs = info["featureless_inputs"]
        lines += [f"inputs of types without features (--featureless {info['featureless']}):"]
        lines += [f"  {t}: {words}" for t, words in inputs.items()] + [""]
    if info["labels"]:
        keys = ("class", "total", "train", "val", "test", "no_split")
        rows = [[r[k] for k in keys] for r in info["labels"]]
        lines += _table(["class", "total", "train", "val", "test", "no split"], rows)
        labelled = info["labels"][:-1]
        counted = sum(r["train"] + r["val"] + r["test"] + r["no_split"] for r in labelled)
        if counted > sum(r["total"] for r in labelled):
            lines.append("(a node in several splits counts in each)")
    if info["metapaths"]:
        rows = [
            [m["name"], m["relations"], f"{'' if m['edges_complete'] else '>= '}{m['edges']:,}"]
            for m in info["metapaths"]
        ]
        header = ["meta-path (HAN)" + ("" if info["labelled"] else f" from {info['target_type']}")]
        lines += ["" if lines[-1] else None, *_table([*header, "relations", "edges"], rows)]
    return "\n".join(line for line in lines if line is not None).rstrip()
