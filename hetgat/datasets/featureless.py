"""Inputs for node types without features, as a transform of the graph into features.

A node type is *featureless* when the data give it no features, or when the model is told not
to use them (``input_features``: ``target`` or ``none``). Such a type gets, per ``featureless``
choice:

- ``embedding``: a learned vector per node (kept by :class:`~hetgat.models.inputs.NodeInputs`,
  matched by node id): the model is transductive for that type;
- ``random``: fixed Gaussian features ``(N_t, dim)``, a pure function of (seed, node type, node
  id): a 64-bit FNV-1a hash of the id, mixed with the column through splitmix64, two uniforms a
  column made normal by Box-Muller. A node keeps its row whatever the row order or the other
  nodes, and a new node gets a draw of its own; nothing is learned or kept per node;
- ``propagated``: per relation ``s -> t`` into the type, the mean of the neighbours' base input
  (their given features where the model uses them, else their ``random`` features), pre-computed
  once as a sparse row-normalised product, as SeHGNN and NARS do; the relations' means are
  concatenated, not averaged (their sources' features differ in width and meaning; averaging
  was not measured);
- ``degree``: ``log1p`` of the node's in-degree in each relation into its type.

The non-learned ones combine with ``+`` (``random+degree``, in a fixed order: random,
propagated, degree); ``embedding`` stands alone. A type whose choice yields no column (no
relation into it) gets ``random``. The non-learned inputs are computed from the graph and the
ids alone, so the model is inductive for the type: a new node gets its inputs from its id and
its neighbours. ``random`` uses one fixed seed (:data:`SEED`) for every run: the run's
``featureless`` value is all a saved model needs to make the same inputs again. Which choice
scored how on which graph: BENCHMARKS.md (issue 33).

:class:`FeaturelessInputs` is the recipe (its sizes follow from the :class:`~hetgat.data.Schema`,
so a model is built before any data is read); :meth:`FeaturelessInputs.features` applies it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch

from hetgat.config import featureless_parts
from hetgat.sparse.csr import sparse_csr

#: Which choices make a model inductive for a featureless type.
INDUCTIVE = {"embedding": False, "random": True, "propagated": True, "degree": True}
SPARSE_DENSITY = 0.10  # concatenated inputs below this share of non-zeros stay sparse CSR
SEED = 0  # random features: one fixed basis for every run (the weights vary with the seed)


@dataclass(frozen=True)
class FeaturelessInputs:
    """How the model's inputs are made from the data.

    Parameters
    ----------
    featureless : str, default "embedding"
        The choice for featureless types (see the module docstring).
    use : {"all", "target", "none"}, default "all"
        Which types use their given features (``ModelConfig.input_features``).
    dim : int, default 64
        Columns of ``random`` features (and of ``embedding``: ``ModelConfig.embed_dim``).
    """

    featureless: str = "embedding"
    use: str = "all"
    dim: int = 64

    @property
    def parts(self) -> tuple[str, ...]:
        return featureless_parts(self.featureless)

    @property
    def learned(self) -> bool:
        """Whether featureless types get learned per-node embeddings."""
        return self.parts == ("embedding",)

    def featured(self, schema) -> list[str]:
        """The types whose given features the model uses."""
        keep = {"all": lambda t: True, "target": lambda t: t == schema.target_type}
        rule = keep.get(self.use, lambda t: False)
        return [t for t in schema.node_types if schema.in_feats[t] > 0 and rule(t)]

    def featureless_types(self, schema) -> list[str]:
        featured = self.featured(schema)
        return [t for t in schema.node_types if t not in featured]

    def learned_types(self, schema) -> list[str]:
        """The types whose input is a learned embedding, kept per node: the featureless ones
        under ``embedding``, none under the computed inputs."""
        return self.featureless_types(schema) if self.learned else []

    def columns(self, schema) -> dict[str, dict[str, int]]:
        """Per featureless type, the columns of each part (``{"random": 64, "degree": 4}``)."""
        featured = self.featured(schema)
        out = {}
        for t in self.featureless_types(schema):
            if self.learned:
                out[t] = {"embedding": self.dim}
                continue
            into = [e for e in schema.canonical_etypes if e[2] == t]
            sizes = {
                "random": self.dim,
                "propagated": sum(schema.in_feats[s] if s in featured else self.dim
                                  for s, _, _ in into),
                "degree": len(into),
            }  # fmt: skip
            parts = {p: sizes[p] for p in self.parts if sizes[p]}
            out[t] = parts or {"random": self.dim}
        return out

    def sizes(self, schema) -> dict[str, int]:
        """Input columns of every featureless type."""
        return {t: sum(parts.values()) for t, parts in self.columns(schema).items()}

    def describe(self, schema) -> dict[str, str]:
        """Per featureless type, its inputs in words and whether the model is inductive for it."""
        out = {}
        for t, parts in self.columns(schema).items():
            words = " + ".join(f"{p} ({n})" for p, n in parts.items())
            inductive = all(INDUCTIVE[p] for p in parts)
            out[t] = f"{words}: {'inductive' if inductive else 'transductive'}"
        return out

    def features(self, data) -> dict[str, torch.Tensor]:
        """The features the model reads: the used given ones, and the non-learned inputs of
        every featureless type (none for ``embedding``: :class:`NodeInputs` holds those)."""
        if self.learned:  # NodeInputs replaces the featureless types' entries
            return dict(data.features)
        schema = data.schema()
        featured = self.featured(schema)
        out = {t: f for t, f in data.features.items() if t in featured}
        graph, ids = data.graph, data.node_ids
        randoms: dict[str, np.ndarray] = {}

        def random(t: str) -> np.ndarray:
            if t not in randoms:
                randoms[t] = random_features(_ids(ids, t, graph.num_nodes(t)), t, self.dim)
            return randoms[t]

        for t, parts in self.columns(schema).items():
            blocks = []
            into = [e for e in schema.canonical_etypes if e[2] == t]
            for part in parts:
                if part == "random":
                    blocks.append(random(t))
                elif part == "propagated":
                    for e in into:
                        base = _scipy(out[e[0]]) if e[0] in featured else random(e[0])
                        blocks.append(_mean(graph, e, base))
                else:
                    degrees = [_in_degree(graph, e) for e in into]
                    blocks.append(np.log1p(np.stack(degrees, axis=1)).astype(np.float32))
            out[t] = _tensor(blocks)
        return out


def random_features(ids, ntype: str, dim: int, seed: int = SEED) -> np.ndarray:
    """Standard normal features ``(len(ids), dim)`` float32, row ``i`` a function of (``seed``,
    ``ntype``, ``ids[i]``, column) only."""
    base = _hash_strings(np.asarray(ids).astype(str)) ^ _splitmix64(
        _hash_strings(np.array([f"{seed}:{ntype}"]))
    )
    columns = np.arange(dim, dtype=np.uint64)
    golden = np.uint64(0x9E3779B97F4A7C15)
    with np.errstate(over="ignore"):
        u1 = _uniform(_splitmix64(base[:, None] + (2 * columns + 1) * golden))
        u2 = _uniform(_splitmix64(base[:, None] + (2 * columns + 2) * golden))
    normal = np.sqrt(-2.0 * np.log1p(-u1)) * np.cos(2.0 * np.pi * u2)  # Box-Muller; 1-u1 > 0
    return normal.astype(np.float32)


def _hash_strings(values: np.ndarray) -> np.ndarray:
    """64-bit FNV-1a of each string's UTF-8 bytes, then its length mixed in, vectorised over the
    strings (the same id hashes the same whatever the other ids' lengths)."""
    encoded = np.char.encode(values, "utf-8")
    width = max(encoded.dtype.itemsize, 1)
    raw = np.frombuffer(encoded.tobytes(), dtype=np.uint8).reshape(len(values), width)
    lengths = np.char.str_len(encoded).astype(np.uint64)
    h = np.full(len(values), 0xCBF29CE484222325, dtype=np.uint64)
    prime = np.uint64(0x100000001B3)
    with np.errstate(over="ignore"):
        for k in range(width):  # bytes past a string's end are padding: skipped
            h = np.where(k < lengths, (h ^ raw[:, k].astype(np.uint64)) * prime, h)
        return (h ^ lengths) * prime


def _splitmix64(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def _uniform(x: np.ndarray) -> np.ndarray:
    """[0, 1) from the top 53 bits."""
    return (x >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


def _ids(node_ids: dict, ntype: str, n: int) -> np.ndarray:
    ids = node_ids.get(ntype)
    return np.arange(n).astype(str) if ids is None else np.asarray(ids)


def _edges(graph, etype) -> tuple[np.ndarray, np.ndarray]:
    src, dst = graph.edges(etype=etype)
    return src.cpu().numpy(), dst.cpu().numpy()


def _in_degree(graph, etype) -> np.ndarray:
    _, dst = _edges(graph, etype)
    return np.bincount(dst, minlength=graph.num_nodes(etype[2])).astype(np.float32)


def _mean(graph, etype, base):
    """``D^-1 A base``: each destination's mean over its sources in ``etype`` (0 for none)."""
    src, dst = _edges(graph, etype)
    n_dst, n_src = graph.num_nodes(etype[2]), graph.num_nodes(etype[0])
    degree = np.bincount(dst, minlength=n_dst).astype(np.float64)
    weights = 1.0 / degree[dst] if len(dst) else np.zeros(0)
    mean = sp.csr_matrix((weights, (dst, src)), shape=(n_dst, n_src)) @ base
    return sp.csr_matrix(mean, dtype=np.float32) if sp.issparse(mean) else mean.astype(np.float32)


def _scipy(x: torch.Tensor):
    if x.layout == torch.strided:
        return x.detach().cpu().numpy()
    x = x.cpu().to_sparse_csr() if x.layout != torch.sparse_csr else x.cpu()
    parts = (x.crow_indices(), x.col_indices(), x.values())
    return sp.csr_matrix(tuple(reversed([p.numpy() for p in parts])), shape=tuple(x.shape))


def _tensor(blocks: list) -> torch.Tensor:
    """The blocks side by side: sparse CSR below :data:`SPARSE_DENSITY`, else dense float32."""
    if not any(sp.issparse(b) for b in blocks):
        return torch.from_numpy(np.ascontiguousarray(np.hstack(blocks), dtype=np.float32))
    matrix = sp.hstack(blocks, format="csr", dtype=np.float32)
    if matrix.nnz >= SPARSE_DENSITY * max(matrix.shape[0] * matrix.shape[1], 1):
        return torch.from_numpy(matrix.toarray())
    matrix.sort_indices()
    crow, col = (torch.from_numpy(a.astype(np.int64)) for a in (matrix.indptr, matrix.indices))
    return sparse_csr(crow, col, torch.from_numpy(matrix.data), matrix.shape)
