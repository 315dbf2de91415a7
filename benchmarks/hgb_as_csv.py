"""HGB's ACM written as a user's CSV graph: every relation in both directions, as in ``link.dat``.

    python -m benchmarks.hgb_as_csv OUT [--terms] [--data-dir DIR] [--seed 0]

Writes into the folder ``OUT`` (created; nothing is written elsewhere):

- ``edges.csv``: ``src,src_type,relation,dst,dst_type``, the link types in ``link.dat``'s order
  and both directions, named as a database export would name them: ``cite``/``ref``
  (paper-paper, each the other's reverse), ``written_by``/``writes`` (paper-author),
  ``about``/``has`` (paper-subject) and, with ``--terms``, ``uses``/``used_by`` (paper-term);
- ``papers.csv``: ``id,label,split`` (HGB's ids; HGB's protocol split drawn with ``--seed``:
  ``label.dat`` 80/20 into train/val, test from ``label.dat.test``), ``authors.csv``,
  ``subjects.csv`` (and ``terms.csv``): ``id`` only;
- ``<type>_features.npz``: each type's features as given, rows in node-file order.

Then, e.g.::

    hetgat fit OUT/edges.csv --nodes paper=OUT/papers.csv --nodes author=OUT/authors.csv \\
        --nodes subject=OUT/subjects.csv --features paper=OUT/paper_features.npz \\
        --features author=OUT/author_features.npz \\
        --features subject=OUT/subject_features.npz --model han

Without ``--terms`` the graph is the 9,040 papers, authors and subjects of issue 26.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch

from hetgat.datasets.hgb import load_hgb

#: HGB's link types (``info.dat``'s meanings) and the names written for them, in link.dat order.
RELATIONS = {
    "paper-cite-paper": "cite",
    "paper-ref-paper": "ref",
    "paper-author": "written_by",
    "author-paper": "writes",
    "paper-subject": "about",
    "subject-paper": "has",
    "paper-term": "uses",
    "term-paper": "used_by",
}
FILES = {"paper": "papers", "author": "authors", "subject": "subjects", "term": "terms"}


def write_acm(out: Path, data_dir: str | None = None, terms: bool = False, seed: int = 0):
    """Write the CSV graph into ``out``; return the command-line arguments that read it."""
    data = load_hgb("acm", data_dir, seed=seed)
    types = [t for t in FILES if terms or t != "term"]
    out.mkdir(parents=True, exist_ok=True)
    by_meaning = {e[1]: e for e in data.graph.canonical_etypes}
    frames = []
    for meaning, relation in RELATIONS.items():
        src_type, _, dst_type = etype = by_meaning[meaning]
        if src_type not in types or dst_type not in types:
            continue
        src, dst = (t.numpy() for t in data.graph.edges(etype=etype))
        order = np.lexsort((dst, src))  # link.dat lists each type's links by source
        frame = pd.DataFrame(
            {
                "src": data.node_ids[src_type][src[order]],
                "src_type": src_type,
                "relation": relation,
                "dst": data.node_ids[dst_type][dst[order]],
                "dst_type": dst_type,
            }
        )
        frames.append(frame)
    pd.concat(frames).to_csv(out / "edges.csv", index=False)
    args = [str(out / "edges.csv")]
    for t in types:
        nodes = pd.DataFrame({"id": data.node_ids[t]})
        if t == data.target_type:
            labels = data.labels.numpy()
            nodes["label"] = [data.class_names[k] if k >= 0 else "" for k in labels]
            nodes["split"] = data.split_names()
        nodes.to_csv(out / f"{FILES[t]}.csv", index=False)
        args += ["--nodes", f"{t}={out / FILES[t]}.csv"]
        if t in data.features:
            feats = data.features[t]
            feats = feats.to_dense() if feats.layout != torch.strided else feats
            sp.save_npz(out / f"{t}_features.npz", sp.csr_matrix(feats.numpy()))
            args += ["--features", f"{t}={out / t}_features.npz"]
    return args


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write (created)")
    parser.add_argument("--terms", action="store_true", help="also the term nodes and links")
    parser.add_argument("--data-dir", default=None, help="folder with ACM.zip")
    parser.add_argument("--seed", type=int, default=0, help="seed of HGB's train/val split")
    options = parser.parse_args(argv)
    args = write_acm(options.out, options.data_dir, options.terms, options.seed)
    print(" ".join(args))


if __name__ == "__main__":
    main()
