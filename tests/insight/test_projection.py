import numpy as np
import pytest

from hetgat.insight import projection
from hetgat.insight.projection import project_2d, sample


def test_pca_projection_beyond_the_t_sne_limit(monkeypatch):
    monkeypatch.setattr(projection, "TSNE_MAX_POINTS", 10)
    h = np.random.default_rng(0).normal(size=(50, 6)) * np.array([5, 3, 1, 1, 1, 1])
    xy, method = project_2d(h)
    assert method == "PCA" and xy.shape == (50, 2)
    # The first coordinate carries the most variance: the first input axis, up to sign.
    assert abs(np.corrcoef(xy[:, 0], h[:, 0])[0, 1]) > 0.95


def neighbours_agree(xy: np.ndarray, classes: np.ndarray, k: int = 5) -> float:
    """The fraction of each point's ``k`` nearest neighbours (in the picture) of its class."""
    d = ((xy[:, None] - xy[None]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    nearest = np.argsort(d, 1)[:, :k]
    return float((classes[nearest] == classes[:, None]).mean())


def test_t_sne_of_points_in_many_dimensions_keeps_the_clusters():
    pytest.importorskip("sklearn")
    rng = np.random.default_rng(0)
    classes = np.arange(300) % 3
    centres = rng.normal(size=(3, 400)) * 0.5
    h = centres[classes] + rng.normal(size=(300, 400))  # 400 > TSNE_PCA_DIMS: reduced first
    xy, method = project_2d(h, "tsne")
    assert method == "t-SNE" and xy.shape == (300, 2) and np.isfinite(xy).all()
    assert neighbours_agree(xy, classes) > 0.95
    again, _ = project_2d(h, "tsne")
    np.testing.assert_array_equal(xy, again)  # seeded: the same picture every time


def test_the_t_sne_is_bounded_in_steps_and_dimensions(monkeypatch):
    """What keeps ``plot`` near 20 s on 4,000 nodes (benchmarks/insight_speed.py): at most
    :data:`TSNE_STEPS` steps, on at most :data:`TSNE_PCA_DIMS` dimensions."""
    manifold = pytest.importorskip("sklearn.manifold")
    seen = {}

    class Recording(manifold.TSNE):
        def fit_transform(self, X, y=None):
            seen.update(steps=self.max_iter, dims=X.shape[1])
            return np.zeros((len(X), 2))

    monkeypatch.setattr(manifold, "TSNE", Recording)
    project_2d(np.random.default_rng(0).normal(size=(60, 500)), "tsne")
    assert seen == dict(steps=projection.TSNE_STEPS, dims=projection.TSNE_PCA_DIMS)
    assert projection.TSNE_STEPS <= 500 and projection.TSNE_MAX_POINTS <= 2000


def test_sample_is_seeded_and_in_order():
    nodes = np.arange(100, 200)
    chosen = sample(nodes, 10)
    assert len(chosen) == 10 and (np.diff(chosen) > 0).all()
    np.testing.assert_array_equal(chosen, sample(nodes, 10))
    assert sample(nodes, 500) is nodes
