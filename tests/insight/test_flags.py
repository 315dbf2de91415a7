"""Semantic attention that says little is flagged (issue 23 §5): near uniform, unstable
across seeds; in plot's picture and warnings and in report's page."""

import pandas as pd
import pytest

from hetgat.insight.flags import near_uniform, semantic_notes, unstable


def _frame(weights, layer=0, ntype="paper", seed=None):
    frame = pd.DataFrame(
        {
            "layer": layer,
            "target_type": ntype,
            "edge_type": [f"m{i}" for i in range(len(weights))],
            "attention": weights,
        }
    )
    return frame if seed is None else frame.assign(seed=seed)


def test_near_uniform_is_within_a_tenth_of_uniform():
    assert near_uniform(_frame([0.52, 0.48])) == [(0, "paper")]
    assert near_uniform(_frame([0.34, 0.33, 0.33])) == [(0, "paper")]
    assert near_uniform(_frame([0.7, 0.3])) == []
    assert near_uniform(_frame([1.0])) == []  # one meta-path: nothing to compare
    assert near_uniform(_frame([0.5, 0.5, 0.5])) == []  # sigmoid gates, not a softmax


def test_unstable_when_the_strongest_changes_or_a_weight_spreads():
    flips = pd.concat([_frame([0.6, 0.4], seed="seed-0"), _frame([0.4, 0.6], seed="seed-1")])
    assert unstable(flips) == {
        (0, "paper"): "the strongest differs between seeds (m0 in seed-0, m1 in seed-1)"
    }
    spread = pd.concat([_frame([0.9, 0.1], seed="seed-0"), _frame([0.6, 0.4], seed="seed-1")])
    assert (
        "m0's weight varies between seeds (std 0.15 over 2 seeds)" in unstable(spread)[0, "paper"]
    )
    steady = pd.concat([_frame([0.8, 0.2], seed="seed-0"), _frame([0.75, 0.25], seed="seed-1")])
    assert unstable(steady) == {}


def test_notes_say_what_and_where():
    seeds = pd.concat([_frame([0.6, 0.4], seed="seed-0"), _frame([0.4, 0.6], seed="seed-1")])
    notes = semantic_notes(_frame([0.51, 0.49]), seeds)
    assert notes[0].startswith("layer 0, paper nodes: the semantic attention is near uniform "
                               "(0.51, 0.49; uniform 0.50)")  # fmt: skip
    assert notes[1].startswith("layer 0, paper nodes: the semantic attention is unstable across "
                               "seeds: the strongest differs")  # fmt: skip
    assert semantic_notes(_frame([0.9, 0.1])) == []


def test_the_picture_flags_its_panel():
    pytest.importorskip("matplotlib")
    from hetgat.insight.figures import semantic_figure

    frame = pd.concat([_frame([0.51, 0.49]), _frame([0.9, 0.1], layer=1)])
    fig = semantic_figure(frame, flags={(0, "paper"): "near uniform"})
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert titles == ["layer 0, paper nodes\nnear uniform", "layer 1, paper nodes"]
