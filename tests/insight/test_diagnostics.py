"""``insight.diagnostics``: attention read against uniform attention (issue 23 §5)."""

import numpy as np
import pytest

from hetgat.insight.diagnostics import softmax_degrees, top_edges
from hetgat.runs import load_run, run_output
from tests.insight.plot_runs import fit_heterogeneous


@pytest.mark.parametrize("model", ["rgat", "simplehgn"])
def test_uniform_is_over_the_edges_the_softmax_runs_over(tmp_path, model):
    run = load_run(fit_heterogeneous(tmp_path, tmp_path / "run", model))
    data = run.load_data()
    _, att = run_output(run, data, get_attention=True)
    graph = att.graph
    for per_layer, degrees in zip(att.edges, softmax_degrees(att), strict=True):
        for etype, a in per_layer.items():
            dst = graph.edges(etype=etype, order="eid")[1].numpy()
            own = np.bincount(dst, minlength=graph.num_nodes(etype[2]))
            if model == "rgat":  # one softmax per relation
                np.testing.assert_array_equal(degrees[etype], own)
            else:  # Simple-HGN: one softmax over every in-edge of the node, self-loops included
                total = sum(
                    np.bincount(graph.edges(etype=e)[1].numpy(), minlength=len(own))
                    for e in per_layer
                    if e[2] == etype[2]
                )
                np.testing.assert_array_equal(degrees[etype], total)
                assert (degrees[etype][dst] > own[dst]).any()
            # Weights summed over the softmax's edges are 1 on average: uniform is 1/degree.
            assert np.all(degrees[etype][dst] >= 1)
    edges = top_edges(att, data.node_ids, k=5)
    np.testing.assert_allclose(edges["uniform"], 1 / edges["in_edges"])
    np.testing.assert_allclose(edges["times_uniform"], edges["attention"] * edges["in_edges"],
                               rtol=1e-5)  # fmt: skip
