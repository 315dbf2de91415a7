"""Labels, class names and the train/val/test split of the CSV loaders, their options, and
which node type is the target."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from hetgat.datasets._csvblocks import NodeBlock
from hetgat.datasets.readers.csv import Table
from hetgat.errors import ConfigError, DataFormatError

SPLITS = ("train", "val", "test")


def check_options(split_ratio, seed, target, class_names, multilabel) -> dict:
    """The options shared by the CSV loaders, checked; keyword arguments of build_graph_data."""
    try:
        ratio = tuple(float(x) for x in split_ratio)
    except (TypeError, ValueError):
        ratio = ()
    if (
        len(ratio) != 3
        or not all(np.isfinite(x) and x >= 0 for x in ratio)
        or abs(sum(ratio) - 1) > 1e-6
        or ratio[0] == 0
    ):
        expected = "3 numbers >= 0 summing to 1, the first > 0 (train, val, test)"
        raise ConfigError("split_ratio", split_ratio, expected)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError("split_seed", seed, "an integer >= 0")
    if target is not None and not isinstance(target, str):
        raise ConfigError("target", target, "a node type name")
    if class_names is not None:
        names = list(class_names) if not isinstance(class_names, str) else None
        if (
            names is None
            or len(names) < 2
            or not all(isinstance(c, str) and c.strip() == c and c for c in names)
            or len(set(names)) != len(names)
        ):
            expected = "a list of 2 or more distinct, non-empty class names"
            raise ConfigError("class_names", class_names, expected)
        class_names = names
    if multilabel is not None and not isinstance(multilabel, bool):
        raise ConfigError("multilabel", multilabel, "True, False or None")
    return dict(
        split_ratio=ratio,
        seed=int(seed),
        target=target,
        class_names=class_names,
        multilabel=multilabel,
    )


def natural_order(names) -> list[str]:
    """Class names in numeric order when all are numbers, else in string order."""
    names = sorted(set(names))
    try:
        return sorted(names, key=lambda n: (float(n), n))
    except ValueError:
        return names


def parse_labels(
    cells: np.ndarray,
    n: int,
    class_names: list[str] | None,
    multilabel: bool | None,
    table: Table,
    rows: np.ndarray,
    column: str,
) -> tuple[torch.Tensor, np.ndarray, list[str], bool]:
    """Labels of the first ``len(cells)`` of ``n`` nodes (the rest are unlabelled).

    Returns ``(labels, first, class_names, multilabel)``: ``labels`` is ``(n,)`` int64 with -1
    or, multi-label, ``(n, C)`` float32 0/1; ``first`` is the (first listed) class index per node
    or -1, used to stratify the split. ``rows`` are the cells' rows in ``table``, for messages.
    """
    cells = pd.Series(cells, dtype=object).str.strip().to_numpy()
    if multilabel is None:
        multilabel = any("|" in c for c in cells)
    if multilabel:
        parts = [[p.strip() for p in c.split("|") if p.strip()] for c in cells]
        cells = np.array(["|".join(p) for p in parts], dtype=object)
    labelled = np.flatnonzero(cells != "")
    if not len(labelled) and class_names is None:
        raise DataFormatError(table.path, "no node has a label", column=column)
    if class_names is None:
        found = [p for r in labelled for p in parts[r]] if multilabel else cells[labelled]
        class_names = natural_order(found)
    if len(class_names) < 2:
        message = "only one class among the labelled nodes; classification needs 2 or more"
        raise DataFormatError(table.path, message, column=column, value=class_names[0])
    index = pd.Index(class_names)
    first = np.full(n, -1, dtype=np.int64)
    if multilabel:
        flat = [p for r in labelled for p in parts[r]]
        owner = np.repeat(labelled, [len(parts[r]) for r in labelled])
        cols = index.get_indexer(flat)
    else:
        flat, owner, cols = cells[labelled], labelled, index.get_indexer(cells[labelled])
    if (cols < 0).any():
        k = int(np.flatnonzero(cols < 0)[0])
        shown = ", ".join(map(repr, class_names[:10])) + (", ..." if len(class_names) > 10 else "")
        message = f"class not among the given class names ({shown})"
        raise table.error(message, row=rows[owner[k]], column=column, value=flat[k])
    if multilabel:
        labels = torch.zeros(n, len(class_names), dtype=torch.float32)
        labels[torch.from_numpy(owner), torch.from_numpy(cols)] = 1.0
        starts = np.concatenate([[0], np.cumsum([len(parts[r]) for r in labelled])[:-1]])
        first[labelled] = cols[starts]
    else:
        first[labelled] = cols
        labels = torch.from_numpy(first.copy())
    return labels, first, list(class_names), multilabel


def stratified_split(classes: np.ndarray, ids: np.ndarray, ratio, seed: int) -> np.ndarray:
    """0 (train), 1 (val) or 2 (test) for every node, per class in the ``ratio`` proportions.

    Within a class, nodes are put in id order before the seeded shuffle, so the split depends on
    the ids, labels and seed only, not on the row order of the files. A class of ``n`` nodes gets
    ``round(n * r_train)`` training nodes and ``round(n * (r_train + r_val))`` minus that for
    validation; the rest is test.
    """
    rng = np.random.default_rng(seed)
    out = np.empty(len(classes), dtype=np.int8)
    order = np.argsort(ids, kind="stable")
    order = order[np.argsort(classes[order], kind="stable")]
    for c in np.unique(classes):
        members = rng.permutation(order[classes[order] == c])
        n = len(members)
        t, v = (int(np.floor(n * x + 0.5)) for x in (ratio[0], ratio[0] + ratio[1]))
        out[members[:t]], out[members[t:v]], out[members[v:]] = 0, 1, 2
    return out


def split_masks(
    given: np.ndarray | None,
    first: np.ndarray,
    ids: np.ndarray,
    ratio: tuple[float, float, float],
    seed: int,
    table: Table,
    split_column: str,
    label_column: str,
) -> list[torch.Tensor]:
    """Train, val and test masks over the labelled nodes (``first >= 0``): the ``given`` split
    of the first ``len(given)`` nodes (names, or ``(n, 3)`` membership that may overlap), or
    else a :func:`stratified_split`."""
    labelled = first >= 0
    member = np.zeros((len(first), len(SPLITS)), dtype=bool)
    if given is not None:
        if given.ndim == 2:
            member[: len(given)] = given
        else:
            for k, name in enumerate(SPLITS):
                member[: len(given), k] = given == name
        member[~labelled] = False
    else:
        split = stratified_split(first[labelled], ids[labelled], ratio, seed)
        member[labelled] = split[:, None] == np.arange(len(SPLITS))
    if labelled.any() and not member[:, 0].any():  # none labelled: a graph to predict on
        message = "no labelled node is in the training split"
        if given is None:
            message += f" ({int(labelled.sum())} labelled nodes, split ratio {ratio})"
        raise DataFormatError(
            table.path, message, column=split_column if given is not None else label_column
        )
    return [torch.from_numpy(member[:, k].copy()) for k in range(len(SPLITS))]


def has_labels(block: NodeBlock) -> bool:
    if block.labels is None:
        return False
    return bool((pd.Series(block.labels, dtype=object).str.strip() != "").any())


def pick_target(
    target,
    types: list[str],
    blocks: dict[str, NodeBlock],
    predicting: bool = False,
    allow_unlabelled: bool = False,
) -> NodeBlock | None:
    """The block of the node type to classify: ``target``, or the only type with labels (when
    ``predicting`` with known classes, the only type with a label column, labelled or not);
    None when ``allow_unlabelled`` and that type has no label."""
    if target is not None and target not in types:
        raise ConfigError("target", target, "one of " + ", ".join(types))
    labelled = sorted(t for t, b in blocks.items() if has_labels(b))
    if predicting and not labelled:
        labelled = sorted(t for t, b in blocks.items() if b.labels is not None)
    if allow_unlabelled and (target not in labelled if target is not None else not labelled):
        return None
    if target is None and len(labelled) > 1:
        raise ConfigError("target", None, "one of the labelled types " + ", ".join(labelled))
    if target is None and not labelled:
        block = next((b for b in blocks.values() if b.labels is not None), None)
        if block is not None:
            raise DataFormatError(
                block.table.path, "no node has a label", column=block.label_column
            )
        paths = [str(b.table.path) for b in blocks.values()]
        if len(paths) == 1:  # the one node file has no label column: say which file
            raise DataFormatError(
                paths[0], "no 'label' column: a node file needs class names to train on", line=1
            )
        raise ConfigError("nodes", paths, "a node file with a 'label' column of class names")
    target = labelled[0] if target is None else target
    block = blocks.get(target)
    if block is None or block.labels is None:
        expected = "a node type with labels: " + (", ".join(labelled) or "none has")
        raise ConfigError("target", target, expected)
    return block
