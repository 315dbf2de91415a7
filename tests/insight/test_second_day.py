"""A researcher's second day (issue 23 §5): a --runs folder where one run is expected, report
reusing what plot computed, --threads, the entropy figure of many relations summarised."""

import html

import numpy as np
import pytest

from hetgat.insight.diagnostics import EntropyGroup
from tests.insight.plot_runs import fit_heterogeneous, fit_homogeneous, invoke


@pytest.fixture(scope="module")
def han_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("han")
    return fit_heterogeneous(root, root / "runs", "han", "--runs", "2")


@pytest.fixture(scope="module")
def gat_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("gat")
    return fit_homogeneous(root, root / "run")


def test_explain_plot_report_on_a_runs_folder_use_the_best_seed(han_runs):
    from hetgat.runs.seeds import best_seed

    best, note = best_seed(han_runs)
    result = invoke("explain", han_runs, "p5")
    assert result.exit_code == 0, result.output
    assert note in result.stderr and "node p5" in result.stdout
    pytest.importorskip("matplotlib")
    result = invoke("plot", han_runs, "--embedding", "pca")
    assert result.exit_code == 0, result.output
    assert note in result.stderr and (best / "plots" / "semantic_attention.png").is_file()
    result = invoke("report", han_runs, "--embedding", "pca")
    assert result.exit_code == 0, result.output
    assert note in result.stderr and (best / "report.html").is_file()


def test_semantic_flags_reach_plot_and_report(han_runs):
    pytest.importorskip("matplotlib")
    from hetgat.insight.flags import semantic_notes
    from hetgat.runs import load_run, run_output
    from hetgat.runs.seeds import best_seed, sibling_semantic
    from hetgat.tables import semantic_frame

    run = load_run(best_seed(han_runs)[0])
    _, att = run_output(run, run.load_data(), get_attention=True)
    seeds = sibling_semantic(run)
    assert seeds is not None and seeds["seed"].nunique() == 2
    notes = semantic_notes(semantic_frame(att.semantic), seeds)
    assert notes  # two tiny seeds of HAN: near uniform, or not the same
    result = invoke("plot", run.path, "--embedding", "pca")
    for note in notes:
        assert note in result.stderr
    assert invoke("report", run.path, "--embedding", "pca", "-q").exit_code == 0
    page = (run.path / "report.html").read_text(encoding="utf-8")
    for note in notes:
        assert f'<p class="flag">{html.escape(note)}</p>' in page


def test_report_reuses_the_embedding_plot_computed(gat_run, monkeypatch):
    pytest.importorskip("matplotlib")
    pytest.importorskip("sklearn")
    import hetgat.insight.plots as plots
    from hetgat.insight.report import write_report

    assert invoke("plot", gat_run, "-q").exit_code == 0
    assert (gat_run / "plots" / plots.EMBEDDING_CACHE).is_file()

    def no_second_projection(*args, **kwargs):
        raise AssertionError("report projected the embedding again")

    monkeypatch.setattr(plots, "project_2d", no_second_projection)
    calls = []
    forward = plots.run_output
    monkeypatch.setattr(plots, "run_output", lambda *a, **k: calls.append(1) or forward(*a, **k))
    write_report(gat_run)
    assert len(calls) == 1  # one forward pass serves the pictures and the edge table
    # Another projection is not what plot kept: computed, not taken from the cache.
    with pytest.raises(AssertionError, match="projected the embedding again"):
        write_report(gat_run, embedding="pca")


def test_threads_for_plot_explain_report(gat_run):
    import torch

    before = torch.get_num_threads()
    result = invoke("explain", gat_run, "n07", "--threads", "1")
    assert result.exit_code == 0, result.output
    assert torch.get_num_threads() == before  # the caller's count comes back
    for command in ("plot", "explain", "report"):
        args = [command, gat_run, *(["n07"] if command == "explain" else []), "--threads", "0"]
        result = invoke(*args)
        assert result.exit_code == 2
        assert result.output.startswith("Usage:") or result.output.startswith("Error:")
        assert "--threads" in result.output


def test_the_entropy_figure_of_many_relations_is_summarised():
    pytest.importorskip("matplotlib")
    from hetgat.insight.figures import MAX_PANELS, entropy_figure

    rng = np.random.default_rng(0)
    groups = [
        EntropyGroup(layer, head, f"rel{r}", "paper", rng.random(20), np.full(20, 1.5))
        for layer in range(2)
        for r in range(6)
        for head in range(8)
    ]  # RGAT on 6 relations, 8 heads, 2 layers: 96 panels before
    assert len(groups) > MAX_PANELS
    fig = entropy_figure(groups)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in axes] == ["layer 0", "layer 1"]
    assert [t.get_text() for t in axes[0].get_yticklabels()] == [f"rel{r}" for r in range(6)]
    few = entropy_figure(groups[:8])  # one relation's 8 heads: one panel each, as before
    assert len([ax for ax in few.axes if ax.get_visible()]) == 8
