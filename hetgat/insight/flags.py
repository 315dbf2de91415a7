"""Semantic attention that says little: weights that stay near uniform over the meta-paths or
relations, and weights that change between the seeds of a ``fit --runs`` folder. ``plot`` and
``report`` flag both (issue 23 §5), rather than show the bars without comment."""

from __future__ import annotations

import pandas as pd

#: Near uniform: every weight within this fraction of ``1/K`` (K meta-paths or relations).
NEAR_UNIFORM = 0.1
#: Unstable: a weight whose standard deviation over the seeds is above this.
SEED_STD = 0.1

KEYS = ["layer", "target_type"]


def near_uniform(frame: pd.DataFrame) -> list[tuple]:
    """The ``(layer, target_type)`` groups of a semantic table (see
    :func:`hetgat.tables.semantic_frame`) whose weights are all within :data:`NEAR_UNIFORM`
    of uniform. Groups of one meta-path, and gates (``semantic_fusion`` sigmoid: the weights
    do not sum to 1), are not judged."""
    found = []
    for key, part in frame.groupby(KEYS, sort=False):
        k, weights = len(part), part["attention"].to_numpy()
        if k < 2 or abs(weights.sum() - 1) > 1e-3:
            continue
        if (abs(weights * k - 1) <= NEAR_UNIFORM).all():
            found.append(key)
    return found


def unstable(seeds: pd.DataFrame) -> dict[tuple, str]:
    """The ``(layer, target_type)`` groups whose semantic attention changes between seeds
    (``seeds``: the semantic tables of several seeds, with a ``seed`` column): the strongest
    meta-path differs, or a weight's standard deviation is above :data:`SEED_STD`. Each with
    a phrase saying how."""
    found = {}
    for key, part in seeds.reset_index(drop=True).groupby(KEYS, sort=False):
        top = part.loc[part.groupby("seed", sort=False)["attention"].idxmax()]
        strongest = dict(zip(top["seed"], top["edge_type"], strict=True))
        spread = part.groupby("edge_type", sort=False)["attention"].std(ddof=0)
        if len(set(strongest.values())) > 1:
            shown = ", ".join(f"{e} in {s}" for s, e in strongest.items())
            found[key] = f"the strongest differs between seeds ({shown})"
        elif spread.max() > SEED_STD:
            found[key] = (
                f"{spread.idxmax()}'s weight varies between seeds (std {spread.max():.2f} over "
                f"{part['seed'].nunique()} seeds)"
            )
    return found


def semantic_notes(frame: pd.DataFrame, seeds: pd.DataFrame | None = None) -> list[str]:
    """Sentences flagging near-uniform semantic attention and seed instability, one per
    ``(layer, target_type)`` and finding; empty when there is nothing to flag."""
    notes = []
    for layer, ntype in near_uniform(frame):
        part = frame[(frame["layer"] == layer) & (frame["target_type"] == ntype)]
        weights = ", ".join(f"{w:.2f}" for w in part["attention"])
        notes.append(
            f"layer {layer}, {ntype} nodes: the semantic attention is near uniform ({weights}; "
            f"uniform {1 / len(part):.2f}): the model weighs its {len(part)} meta-paths or "
            "relations about equally, so the weights say little about which matters"
        )
    if seeds is not None:
        for (layer, ntype), how in unstable(seeds).items():
            notes.append(
                f"layer {layer}, {ntype} nodes: the semantic attention is unstable across "
                f"seeds: {how}; read one seed's weights with care"
            )
    return notes
