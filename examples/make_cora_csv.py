"""Write Cora as a user's CSV export: ``examples/cora/``.

    python examples/make_cora_csv.py [PLANETOID_DIR]

From the Planetoid files (default ``examples/planetoid``) it writes, with string ids
``paper/0000`` … and rows in shuffled order:

- ``cites.csv``: ``src,dst``, each undirected citation once (hetgat symmetrises);
- ``papers.csv``: ``id,label,split`` with the class names and the public split;
- ``features.npz``: the binary bag-of-words, rows in ``papers.csv`` order (scipy sparse).

Class names: Planetoid stores Cora's classes as indices 0-6. Their counts (351, 217, 418, 818,
426, 298, 180) are all different, and each equals the count of one class in LINQS's
``cora.content``, which gives the names below.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from hetgat.datasets.planetoid import load_planetoid

CLASS_NAMES = [
    "Theory",
    "Reinforcement_Learning",
    "Genetic_Algorithms",
    "Neural_Networks",
    "Probabilistic_Methods",
    "Case_Based",
    "Rule_Learning",
]


def main(planetoid_dir: str = "examples/planetoid", out: str = "examples/cora") -> None:
    data = load_planetoid("cora", planetoid_dir, self_loop=False, normalize_features=False)
    rng = np.random.default_rng(0)
    n = data.graph.num_nodes()
    ids = np.array([f"paper/{i:04d}" for i in range(n)], dtype=object)
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)

    src, dst = (t.numpy() for t in data.graph.edges())
    once = src < dst
    edges = pd.DataFrame({"src": ids[src[once]], "dst": ids[dst[once]]})
    edges = edges.iloc[rng.permutation(len(edges))]
    edges.to_csv(out_dir / "cites.csv", index=False)

    order = rng.permutation(n)
    labels = data.labels.numpy()
    names = np.array(CLASS_NAMES, dtype=object)
    papers = pd.DataFrame(
        {
            "id": ids[order],
            "label": np.where(labels[order] >= 0, names[labels[order].clip(0)], ""),
            "split": data.split_names()[order],
        }
    )
    papers.to_csv(out_dir / "papers.csv", index=False)

    feats = data.features["node"].to_dense().numpy()[order]
    sp.save_npz(out_dir / "features.npz", sp.csr_matrix(feats.astype(np.float32)))
    print(f"{len(edges)} citations, {n} papers -> {out_dir}", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:])
