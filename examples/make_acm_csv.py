"""Write a heterogeneous example from HGB's ACM: ``examples/acm/``.

    HETGAT_DATA=../shared/data python examples/make_acm_csv.py

Papers, their authors and their ACM subject codes (HGB ACM without its 255,619 paper-term
edges, to stay small), as a user's CSV export:

- ``edges.csv``: ``src,src_type,relation,dst,dst_type``, one direction of each relation
  (``author -writes-> paper``, ``paper -about-> subject``, ``paper -cites-> paper``); hetgat
  adds the reverse relations;
- ``papers.csv``: ``id,label,split``: the three research areas and HGB's split (``label.dat``
  80/20 into train/val with seed 0, ``label.dat.test`` as test);
- ``paper_features.npz``: the papers' 1,902 bag-of-words features, rows in ``papers.csv``
  order. Authors and subjects have no features: hetgat learns an embedding for them.

Ids are readable: ``P0042`` for papers, the author's name (with `` #2`` … for namesakes), the
subject's ACM code (``H.3``).
"""

from __future__ import annotations

import sys
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from hetgat.datasets.hgb import find_hgb_zip, load_hgb
from hetgat.nn.functional import to_csr  # noqa: F401  (keeps torch's sparse warning quiet)

RELATIONS = {
    ("author", "author-paper", "paper"): "writes",
    ("paper", "paper-subject", "subject"): "about",
    ("paper", "paper-cite-paper", "paper"): "cites",
}


def node_names(zip_path: Path) -> dict[int, str]:
    names = {}
    with zipfile.ZipFile(zip_path) as z, z.open("ACM/node.dat") as fh:
        for line in fh:
            gid, name, _ = line.decode("utf-8").split("\t", 2)
            names[int(gid)] = name.strip()
    return names


def unique(names: list[str]) -> list[str]:
    seen, out = Counter(), []
    for n in names:
        seen[n] += 1
        out.append(n if seen[n] == 1 else f"{n} #{seen[n]}")
    return out


def main(out: str = "examples/acm") -> None:
    data = load_hgb("acm", seed=0)
    names = node_names(find_hgb_zip("acm"))
    ids = {
        "paper": np.array([f"P{int(g):04d}" for g in data.node_ids["paper"]], dtype=object),
        "author": np.array(unique([names[int(g)] for g in data.node_ids["author"]]), dtype=object),
        "subject": np.array(
            unique([names[int(g)] for g in data.node_ids["subject"]]), dtype=object
        ),
    }
    frames = []
    for etype, relation in RELATIONS.items():
        src, dst = (t.numpy() for t in data.graph.edges(etype=etype))
        # HGB ACM has 8 paper self-citations; indices of different types are not comparable.
        keep = src != dst if etype[0] == etype[2] else np.ones(len(src), dtype=bool)
        frames.append(
            pd.DataFrame(
                {
                    "src": ids[etype[0]][src[keep]],
                    "src_type": etype[0],
                    "relation": relation,
                    "dst": ids[etype[2]][dst[keep]],
                    "dst_type": etype[2],
                }
            )
        )
    edges = pd.concat(frames, ignore_index=True)
    edges = edges.iloc[np.random.default_rng(0).permutation(len(edges))]
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    edges.to_csv(out_dir / "edges.csv", index=False)
    names_arr = np.array(data.class_names, dtype=object)
    labels = data.labels.numpy()
    pd.DataFrame(
        {
            "id": ids["paper"],
            "label": np.where(labels >= 0, names_arr[labels.clip(0)], ""),
            "split": data.split_names(),
        }
    ).to_csv(out_dir / "papers.csv", index=False)
    feats = data.features["paper"].to_dense().numpy()
    sp.save_npz(out_dir / "paper_features.npz", sp.csr_matrix(feats.astype(np.float32)))
    print(f"{len(edges)} edges, {len(ids['paper'])} papers -> {out_dir}", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:])
