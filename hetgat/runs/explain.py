"""One node's prediction and the neighbours it attended to most: the numbers behind
``hetgat explain`` and :meth:`hetgat.runs.run.Run.explain`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hetgat.errors import HetgatError
from hetgat.records import softmax_degrees
from hetgat.runs.apply import run_output
from hetgat.tables import COLUMNS, attention_frames, predictions_frame, semantic_node_frames


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
        ``id, type, split, label, predicted, probabilities``; ``attention``: one entry per
        layer, head and edge type with ``in_edges`` (before ``top_k``), ``uniform`` (the weight
        of uniform attention, 1 over the in-edges its softmax runs over: all the node's
        in-edges for Simple-HGN), ``above_uniform`` (how many in-edges get more) and
        ``neighbours``, each ``id, type, attention, times_uniform, label, predicted``, in
        descending attention; ``semantic`` (HAN, RGAT): this node's own weight of each
        meta-path or relation per layer, ``layer, edge_type, attention``.
    """
    data = run.load_data() if data is None else data
    target = data.target_type
    hits = np.flatnonzero(data.node_ids[target] == str(node_id))
    if len(hits) == 0:
        _not_explained(data, str(node_id))
    index = int(hits[0])
    probs, att = run_output(run, data, get_attention=True)
    degrees = softmax_degrees(att)
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
    frames = list(frames)  # none for a model without edge attention (SeHGNN)
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
    groups = []
    for (layer, head, edge_type, src_type), part in rows.groupby(
        ["layer", "head", "edge_type", "src_type"], sort=False
    ):
        etype = (src_type, edge_type, target)
        softmax_edges = int(degrees[int(layer)][etype][index])
        neighbours = [
            {
                "id": r.src,
                "type": src_type,
                "attention": float(r.attention),
                "times_uniform": float(r.attention) * softmax_edges,
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
                "uniform": 1.0 / softmax_edges,
                "above_uniform": int((part["attention"].to_numpy() * softmax_edges > 1).sum()),
                "neighbours": neighbours,
            }
        )
    semantic = []
    if att.semantic:  # HAN, RGAT: this node's own weight of each meta-path or relation
        for frame in semantic_node_frames(att.semantic, data.node_ids):
            own = frame[(frame["node_type"] == target) & (frame["id"] == str(node_id))]
            semantic += [
                {"layer": int(r.layer), "edge_type": r.edge_type, "attention": float(r.attention)}
                for r in own.itertuples()
            ]
    return {
        "id": str(node_id),
        "type": target,
        "split": row["split"],
        "label": row["label"],
        "predicted": row["predicted"],
        "probabilities": {c: float(row[f"prob_{c}"]) for c in data.class_names},
        "attention": groups,
        "semantic": semantic,
    }


def _not_explained(data, node_id: str) -> None:
    """Raise the error for an id that is no node of the target type, saying which type the
    id has if any, and which type can be explained."""
    target = data.target_type
    kind = "node" if target == "node" else f"{target} node"
    types = [t for t, ids in data.node_ids.items() if t != target and (ids == node_id).any()]
    if types:
        raise HetgatError(
            f"{node_id!r} is a node of type {' and '.join(map(repr, types))}; explain shows "
            f"the nodes the model classifies, of type {target!r} (their attention includes the "
            "edges from other types)"
        )
    raise HetgatError(f"no {kind} with id {node_id!r} in the run's graph")
