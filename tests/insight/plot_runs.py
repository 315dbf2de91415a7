"""Small run folders for the plot, explain and report tests (seconds to train)."""

from pathlib import Path

import numpy as np
import pandas as pd
from click.testing import CliRunner

from hetgat.cli import main

FAST = ["--epochs", "15", "--patience", "0", "--hidden", "4", "--heads", "2", "-q"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def homogeneous_csv(root: Path) -> Path:
    """40 nodes in three classes, a split column, features that carry the class."""
    rng = np.random.default_rng(0)
    ids = [f"n{i:02d}" for i in range(40)]
    label = np.array(["red", "green", "blue"])[np.arange(40) % 3]
    nodes = pd.DataFrame(
        {
            "id": ids,
            "label": label,
            "split": ["train"] * 15 + ["val"] * 10 + ["test"] * 15,
            "f1": (np.arange(40) % 3) + rng.normal(scale=0.5, size=40),
            "f2": rng.normal(size=40),
        }
    )
    src, dst = rng.integers(0, 40, 120), rng.integers(0, 40, 120)
    edges = pd.DataFrame({"src": np.array(ids)[src], "dst": np.array(ids)[dst]})
    nodes.to_csv(root / "nodes.csv", index=False)
    edges.to_csv(root / "edges.csv", index=False)
    return root


def heterogeneous_csv(root: Path) -> Path:
    """Papers (labelled, with features), authors and venues (no features)."""
    rng = np.random.default_rng(1)
    papers = [f"p{i}" for i in range(24)]
    rows = []
    for i, p in enumerate(papers):
        for a in rng.choice(10, 2, replace=False):
            rows.append((f"author {a}", "author", "writes", p, "paper"))
        rows.append((p, "paper", "published_at", f"venue {i % 3}", "venue"))
    pd.DataFrame(rows, columns=["src", "src_type", "relation", "dst", "dst_type"]).to_csv(
        root / "edges.csv", index=False
    )
    pd.DataFrame(
        {
            "id": papers,
            "label": ["ml" if i % 3 else "db" for i in range(24)],
            "x": rng.normal(size=24),
            "y": rng.normal(size=24),
        }
    ).to_csv(root / "papers.csv", index=False)
    return root


def fit_homogeneous(root: Path, out: Path, *extra) -> Path:
    homogeneous_csv(root)
    result = invoke(
        "fit", root / "edges.csv", "--nodes", root / "nodes.csv", "--out", out, *FAST, *extra
    )
    assert result.exit_code == 0, result.output
    return out


def fit_heterogeneous(root: Path, out: Path, model: str, *extra) -> Path:
    heterogeneous_csv(root)
    result = invoke(
        "fit",
        root / "edges.csv",
        "--nodes",
        f"paper={root}/papers.csv",
        "--model",
        model,
        "--out",
        out,
        *FAST,
        *extra,
    )
    assert result.exit_code == 0, result.output
    return out


def is_png(path_or_bytes) -> bool:
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else Path(path_or_bytes).read_bytes()
    return data[:8] == PNG_MAGIC and len(data) > 2000
