"""``hetgat report``: one self-contained HTML page; rendered by headless Chromium (slow)."""

import base64
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from hetgat.insight.diagnostics import top_edges
from hetgat.runs.folder import load_run
from hetgat.train import predict
from tests.insight.plot_runs import fit_heterogeneous, fit_homogeneous, invoke, is_png

pytest.importorskip("matplotlib")
pytest.importorskip("sklearn")


@pytest.fixture(scope="module")
def gat_report(tmp_path_factory):
    root = tmp_path_factory.mktemp("gat")
    run = fit_homogeneous(root, root / "run")
    result = invoke("report", run, "-q")
    assert result.exit_code == 0, result.output
    return run, run / "report.html"


def _images(page: str) -> list[bytes]:
    return [base64.b64decode(s) for s in re.findall(r'src="data:image/png;base64,([^"]+)"', page)]


def test_report_is_one_self_contained_page(gat_report):
    run, path = gat_report
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    images = _images(page)
    assert len(images) == 4 and all(is_png(b) for b in images)
    # Nothing loaded from elsewhere: every src and href is inline.
    links = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert links and all(link.startswith("data:") for link in links)
    assert "<script" not in page and "@import" not in page
    headings = re.findall(r"<h2[^>]*>([^<]+)</h2>", page)
    assert headings == [
        "Metrics",
        "Training curves",
        "Last hidden layer",
        "Accuracy by in-degree",
        "Attention entropy",
        "Most attended edges",
        "Configuration",
    ]
    accuracy = load_run(run).metrics["test_accuracy"]
    assert re.search(rf"<td[^>]*>test_accuracy</td><td[^>]*>{accuracy:.4f}</td>", page)
    assert '"model": {' in page.replace("&quot;", '"')  # the configuration as JSON


def test_report_lists_the_most_attended_edges(gat_report):
    run_dir, path = gat_report
    run = load_run(run_dir)
    data = run.load_data()
    _, att = predict(run.model, data, get_attention=True)
    edges = top_edges(att, data.node_ids, k=5)
    table = pd.read_csv(run_dir / "attention.csv", dtype={"src": str, "dst": str})
    mean = table.groupby(["layer", "src", "dst"])["attention"].mean()
    in_edges = table[table["head"] == 0].groupby(["layer", "dst"]).size()
    eligible = mean.reset_index()
    eligible = eligible[
        (eligible["src"] != eligible["dst"])
        & (eligible.set_index(["layer", "dst"]).index.map(in_edges) >= 3)
    ].copy()
    eligible["in_edges"] = eligible.set_index(["layer", "dst"]).index.map(in_edges)
    eligible["times_uniform"] = eligible["attention"] * eligible["in_edges"]
    for layer, part in edges.groupby("layer"):
        assert len(part) == 5
        # Ranked by the weight over uniform attention's 1/in_edges, not the raw weight.
        assert list(part["times_uniform"]) == sorted(part["times_uniform"], reverse=True)
        for r in part.itertuples():
            assert r.attention == pytest.approx(mean[(layer, r.src, r.dst)], rel=1e-5)
            assert r.in_edges == in_edges[(layer, r.dst)] and r.src != r.dst
            assert r.uniform == pytest.approx(1 / r.in_edges)
            assert r.times_uniform == pytest.approx(r.attention * r.in_edges, rel=1e-5)
            assert r.above_uniform == (r.times_uniform > 1)
        best = eligible[eligible["layer"] == layer]["times_uniform"].nlargest(5)
        np.testing.assert_allclose(part["times_uniform"], best, rtol=1e-5)
    page = path.read_text(encoding="utf-8")
    assert ">Most attended edges</h2>" in page
    first = edges.iloc[0]
    assert f">{first['src']}</td>" in page and f">{first['attention']:.4f}</td>" in page


def test_report_elsewhere_and_semantic_table(tmp_path):
    run = fit_heterogeneous(tmp_path, tmp_path / "run", "han")
    before = sorted(p.name for p in run.iterdir())
    out = tmp_path / "han.html"
    result = invoke("report", run, "--out", out, "--embedding", "pca", "--top-edges", "3")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(out)
    assert sorted(p.name for p in run.iterdir()) == before
    page = out.read_text(encoding="utf-8")
    assert ">Semantic attention</h2>" in page and ">Semantic attention weights</h2>" in page
    assert len(_images(page)) == 5
    for name in pd.read_csv(run / "semantic_attention.csv")["edge_type"]:
        assert f">{name}</td>" in page


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("no chromium on PATH (Debian: apt-get install chromium)")


def _screenshot(chromium, html_path, png_path, profile):
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            "--window-size=1280,3000",
            f"--screenshot={png_path}",
            html_path.resolve().as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    from matplotlib.image import imread

    assert is_png(png_path)
    return imread(png_path)


def _coloured(pixels) -> float:
    """Share of strongly coloured pixels: the pictures' lines, bars and points (the page's
    own text and tables are black and grey)."""
    rgb = pixels[..., :3]
    return float(((rgb.max(-1) - rgb.min(-1)) > 0.3).mean())


@pytest.mark.slow
def test_report_renders_in_headless_chromium(tmp_path, gat_report):
    chromium = _chromium()
    _, path = gat_report
    shot = _screenshot(chromium, path, tmp_path / "report.png", tmp_path / "profile")
    assert shot.shape[:2] == (3000, 1280)
    # The same page with the pictures removed: the colour on the screenshot came from them.
    bare = tmp_path / "bare.html"
    bare.write_text(re.sub(r"<img [^>]*>", "", path.read_text(encoding="utf-8")))
    control = _screenshot(chromium, bare, tmp_path / "bare.png", tmp_path / "profile")
    assert _coloured(shot) > 0.01
    assert _coloured(control) < 0.001
    assert (shot[..., :3] < 0.5).any(axis=-1).mean() > 0.01  # text and axes were drawn
