"""The embedding picture's two coordinates a node: t-SNE (scikit-learn, the ``plot`` extra) or
PCA, on a seeded sample. Light to import (numpy only), so the CLI can show its defaults."""

from __future__ import annotations

import numpy as np

from hetgat.errors import ConfigError, HetgatError

#: Above this many points ``method="auto"`` projects with PCA instead of t-SNE; also the
#: default sample of the embedding picture. t-SNE's time grows as N log N a step: 2000 points
#: and :data:`TSNE_STEPS` keep ``hetgat plot`` (two projections) near 20 s on two cores.
TSNE_MAX_POINTS = 2000
#: t-SNE's optimisation steps (250 of them early exaggeration); scikit-learn's default is 1000,
#: with little change to the picture after 500 on a few thousand points.
TSNE_STEPS = 500
#: Points of more dimensions are first reduced to these many by PCA (the usual step before
#: t-SNE: it speeds the neighbour search and drops noise).
TSNE_PCA_DIMS = 50


def project_2d(h: np.ndarray, method: str = "auto", seed: int = 0) -> tuple[np.ndarray, str]:
    """Two coordinates per row of ``h`` and the method used (``"t-SNE"`` or ``"PCA"``).

    Parameters
    ----------
    h : numpy.ndarray
        ``(N, D)`` points.
    method : str, default "auto"
        ``tsne``, ``pca`` or ``auto`` (t-SNE up to :data:`TSNE_MAX_POINTS` points, else PCA).
    seed : int, default 0
        t-SNE's random state.
    """
    if method not in ("auto", "tsne", "pca"):
        raise ConfigError("embedding", method, "auto, tsne or pca")
    if method == "auto":
        method = "tsne" if len(h) <= TSNE_MAX_POINTS else "pca"
    if method == "pca" or len(h) < 5:
        xy = _principal_components(h, 2)
        return np.pad(xy, ((0, 0), (0, 2 - xy.shape[1]))), "PCA"
    try:
        from sklearn.manifold import TSNE
    except ImportError as exc:
        raise HetgatError(
            "t-SNE needs scikit-learn: pip install 'hetgat[plot]' (or `embedding` pca)",
            params=("embedding",),
        ) from exc
    from threadpoolctl import threadpool_limits  # a dependency of scikit-learn

    perplexity = min(30.0, (len(h) - 1) / 3)
    import torch  # loaded already: the picture's points come from the model

    threads = torch.get_num_threads()  # the command's --threads
    tsne = TSNE(
        n_components=2,
        perplexity=perplexity,
        init="pca",
        max_iter=TSNE_STEPS,
        random_state=seed,
        n_jobs=threads,
    )
    with threadpool_limits(limits=threads):
        if h.shape[1] > TSNE_PCA_DIMS:
            h = _principal_components(h, TSNE_PCA_DIMS)
        return tsne.fit_transform(h.astype(np.float64)), "t-SNE"


def _principal_components(h: np.ndarray, k: int) -> np.ndarray:
    """The coordinates of ``h`` on its first ``k`` principal axes (fewer if ``h`` has fewer),
    each axis signed so that its largest loading is positive (a stable picture)."""
    centred = h - h.mean(0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    vt = vt[:k]
    vt = vt * np.sign(vt[np.arange(len(vt)), np.abs(vt).argmax(1)])[:, None]
    return centred @ vt.T


def sample(nodes: np.ndarray, max_points: int, seed: int = 0) -> np.ndarray:
    """At most ``max_points`` of ``nodes`` (a seeded sample, in index order)."""
    if len(nodes) <= max_points:
        return nodes
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(nodes, max_points, replace=False))
