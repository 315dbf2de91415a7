"""SeHGNN: pre-computed relation paths, a transformer across them, attention as tables."""

import numpy as np
import pandas as pd
import pytest
import torch

from hetgat.config import ModelConfig, TrainConfig
from hetgat.datasets.path_features import path_features, relation_paths
from hetgat.errors import ConfigError
from hetgat.models import build_model
from hetgat.nn.pathtransformer import PathTransformer
from hetgat.train import fit, model_inputs, predict
from hetgat.train.loop import add_label_input
from tests.insight.plot_runs import heterogeneous_csv, invoke
from tests.models.test_hetero import tiny_hetero


def small(**values):
    return ModelConfig.for_model("sehgnn", hidden=8, **values)


def test_path_transformer_attention_by_hand():
    torch.manual_seed(0)
    layer = PathTransformer(8, num_heads=2)
    nn_ = torch.nn
    with torch.no_grad():
        layer.gamma.fill_(0.5)
    z = torch.randn(3, 4, 8)
    out, alpha = layer(z)
    assert alpha.shape == (3, 2, 4, 4)
    torch.testing.assert_close(alpha.sum(-1), torch.ones(3, 2, 4))
    # head 0 by hand: d_k = 8 / (4 * 2) = 1 column of queries and keys per head
    q = nn_.functional.linear(z, layer.query.weight, layer.query.bias)[..., 0:1]
    k = nn_.functional.linear(z, layer.key.weight, layer.key.bias)[..., 0:1]
    v = nn_.functional.linear(z, layer.value.weight, layer.value.bias)[..., 0:4]
    a0 = torch.softmax(q @ k.transpose(1, 2), dim=-1)
    torch.testing.assert_close(alpha[:, 0], a0)
    torch.testing.assert_close(out[..., 0:4], 0.5 * a0 @ v + z[..., 0:4])


def test_forward_reads_the_precomputed_paths():
    data = tiny_hetero()
    model = build_model(small(hops=2), data.schema()).eval()
    graph, features = model_inputs(data)
    prepared = model.prepare_graph(graph, features)
    paths = relation_paths(data.schema(), 2)
    assert prepared.names == [p.name for p in paths]
    # venues have no features: their paths hold the mean operator (one-hot ids averaged)
    inputs = {**features, "venue": torch.eye(2).to_sparse_csr()}
    for got, want in zip(prepared.features, path_features(graph, inputs, paths), strict=True):
        torch.testing.assert_close(got.to_dense(), want.to_dense())
    with pytest.raises(TypeError, match="needs the features"):
        model.prepare_graph(graph)


def test_a_learned_embedding_is_averaged_along_the_path():
    """Dense reference: venue-paper averages the venue embedding over a paper's venues, and
    paper-venue-paper (with ``input_features`` none) the paper embedding over its venue's
    papers."""
    data = tiny_hetero()
    model = build_model(small(input_features="none"), data.schema()).eval()
    graph, features = model_inputs(data)
    prepared = model.prepare_graph(graph, features)
    emb = dict(zip(model.inputs.featureless, model.inputs.embeddings, strict=True))
    at = torch.zeros(4, 2)
    at[[0, 1, 2, 3], [0, 0, 0, 1]] = 1  # paper -> venue, one each
    shared = at @ at.T  # papers sharing the venue, the paper itself included
    want = {
        "venue-paper": at @ emb["venue"].weight,
        "paper-venue-paper": (shared / shared.sum(1, keepdim=True)) @ emb["paper"].weight,
    }
    h = model.inputs(features)
    for name, expected in want.items():
        i = prepared.names.index(name)
        source = model.net.paths[i].source
        got = torch.sparse.mm(prepared.features[i], h[source])
        torch.testing.assert_close(got, expected)
    assert model.net.residual is None  # no given features of the target to add


def test_semantic_attention_sums_to_one_per_node_and_layer():
    data = tiny_hetero()
    result = fit(data, small(heads=2, label_hops=2, label_partitions=2),
                 TrainConfig.for_model("sehgnn", epochs=3, patience=0))  # fmt: skip
    probs, att = predict(result.model, data, get_attention=True)
    assert att.edges == [{}]  # no edge attention: neighbours are averaged before training
    (s,) = att.semantic[0]
    assert s.dst_type == "paper"
    assert s.names == [
        "paper", "author-paper", "venue-paper", "paper-venue-paper", "paper-author-paper",
        "labels-1", "labels-2",
    ]  # fmt: skip
    torch.testing.assert_close(s.per_node.sum(1), torch.ones(4))
    torch.testing.assert_close(s.weights, s.per_node.mean(0))
    assert abs(float(s.weights.sum()) - 1) < 1e-6
    torch.testing.assert_close(probs.sum(1), torch.ones(4))


def test_fit_learns_and_is_reproducible():
    data = tiny_hetero()
    train = TrainConfig.for_model("sehgnn", epochs=30, patience=0, lr=0.01)
    # two training nodes: with dropout the loss is mostly the masks' noise, so learning is
    # checked without it, reproducibility with it (the masks come from the seeded generator)
    losses = [h["train_loss"] for h in fit(data, small(feat_drop=0.0), train).history]
    assert losses[-1] < 0.1 * losses[0]
    a = fit(data, small(), train)
    b = fit(data, small(), train)
    torch.testing.assert_close(predict(a.model, data), predict(b.model, data))


def test_hops_out_of_range_is_refused():
    with pytest.raises(ConfigError, match="hops"):
        small(hops=7)


def test_cli_tables_and_a_reordered_export(tmp_path):
    heterogeneous_csv(tmp_path)
    out = tmp_path / "run"
    args = [tmp_path / "edges.csv", "--nodes", f"paper={tmp_path}/papers.csv"]
    fast = ["--epochs", "3", "--patience", "0", "--hidden", "8", "-q"]
    result = invoke("fit", *args, "--model", "sehgnn", "--hops", "2", "--out", out, *fast)
    assert result.exit_code == 0, result.output
    semantic = pd.read_csv(out / "semantic_attention.csv")
    assert semantic["edge_type"].tolist() == [
        "paper", "author-paper", "venue-paper", "paper-venue-paper", "paper-author-paper"
    ]  # fmt: skip
    assert abs(semantic["attention"].sum() - 1) < 1e-6
    assert len(pd.read_csv(out / "attention.csv")) == 0
    nodes = invoke("attention", out, "--semantic", "nodes", "-o", tmp_path / "nodes.csv")
    assert nodes.exit_code == 0, nodes.output
    per_node = pd.read_csv(tmp_path / "nodes.csv")
    np.testing.assert_allclose(per_node.groupby("id")["attention"].sum(), 1, rtol=1e-5)
    edges = invoke("attention", out, "-o", tmp_path / "edge_attention.csv")
    assert edges.exit_code == 2 and "no edge attention" in edges.output
    assert "--semantic" in edges.output
    assert invoke("explain", out, "p1").exit_code == 0
    assert invoke("report", out, "--out", tmp_path / "report.html").exit_code == 0
    # the same graph, its rows shuffled: the same probabilities, matched by id
    shuffled = tmp_path / "shuffled"
    shuffled.mkdir()
    for name in ("edges.csv", "papers.csv"):
        frame = pd.read_csv(tmp_path / name)
        frame.sample(frac=1, random_state=3).to_csv(shuffled / name, index=False)
    again = invoke("predict", out, shuffled / "edges.csv", "--nodes",
                   f"paper={shuffled}/papers.csv", "-o", tmp_path / "again.csv")  # fmt: skip
    assert again.exit_code == 0, again.output
    saved = pd.read_csv(out / "predictions.csv").set_index("id").sort_index()
    moved = pd.read_csv(tmp_path / "again.csv").set_index("id").sort_index()
    np.testing.assert_allclose(
        moved.filter(like="prob").to_numpy(), saved.filter(like="prob").to_numpy(), rtol=1e-5
    )


@pytest.mark.parametrize("use", ["all", "none"])
def test_a_training_step_computes_the_rows_it_needs_only(use):
    data = tiny_hetero()
    config = small(label_hops=1, label_partitions=2, input_features=use)
    model = build_model(config, data.schema()).eval()
    add_label_input(model, data, config, seed=0)
    graph, features = model_inputs(data)
    prepared = model.prepare_graph(graph, features)
    rows = torch.tensor([3, 0])
    with torch.no_grad():
        torch.testing.assert_close(
            model.rows_logits(prepared, features, rows), model(prepared, features)[rows]
        )


def test_the_label_input_reaches_its_own_node_only():
    """The label tokens are the node's own label input (leak-free by construction,
    tests/datasets/test_labels.py), never propagated along the paths: changing one node's
    label input changes that node's logits alone."""
    data = tiny_hetero()
    model = fit(data, small(label_hops=2, label_partitions=2),
                TrainConfig.for_model("sehgnn", epochs=2, patience=0)).model  # fmt: skip
    graph, features = model_inputs(data)
    prepared = model.prepare_graph(graph, features)
    with torch.no_grad():
        before = model(prepared, features)
        model.inputs.label_input[0] += 1.0
        after = model(prepared, features)
    assert not torch.allclose(before[0], after[0])
    torch.testing.assert_close(before[1:], after[1:])


def test_batches_of_rows_train_and_infer_in_chunks_alike():
    data = tiny_hetero()
    train = TrainConfig.for_model("sehgnn", epochs=3, patience=0, batch_size=1)
    result = fit(data, small(), train)
    full = predict(result.model, data)
    torch.testing.assert_close(predict(result.model, data, chunk_size=3), full)
    with pytest.raises(ConfigError, match="fanouts"):
        fit(data, small(), TrainConfig.for_model("sehgnn", batch_size=2, fanouts=(2, 2)))


def test_sehgnn_task_head_learns_and_scores_nodes_independently_at_evaluation():
    """SeHGNN's task MLP: batch norm of the class scores over the batch at training, its
    running statistics at evaluation, so a node's scores do not depend on the others."""
    data = tiny_hetero()
    train = TrainConfig.for_model("sehgnn", epochs=30, patience=0, lr=0.01)
    config = small(task_head="sehgnn", num_layers=3)
    result = fit(data, config, train)
    losses = [h["train_loss"] for h in result.history]
    assert losses[-1] < losses[0]
    model = result.model.eval()
    graph, features = model_inputs(data, model=model)
    prepared = model.prepare_graph(graph, features)
    every = model(prepared, features)
    for i in range(4):
        one = model.rows_logits(prepared, features, torch.tensor([i]))
        torch.testing.assert_close(one[0], every[i])


def test_sehgnn_task_head_normalises_multilabel_scores_across_classes():
    data = tiny_hetero()
    data.labels = torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]])
    data.multilabel = True
    config = small(task_head="sehgnn", num_layers=3)
    model = fit(data, config, TrainConfig.for_model("sehgnn", epochs=3, patience=0)).model
    graph, features = model_inputs(data, model=model.eval())
    scores = model(model.prepare_graph(graph, features), features)
    torch.testing.assert_close(scores.mean(1), torch.zeros(4), atol=1e-5, rtol=0)
    assert model.net.head.residual


def test_label_form_paths_gives_one_token_per_path_back_to_the_target():
    data = tiny_hetero()
    config = small(label_hops=2, label_form="paths")
    model = build_model(config, data.schema())
    labels = [n for n in model.net.names if n.startswith("labels")]
    assert sorted(labels) == ["labels:paper-author-paper", "labels:paper-venue-paper"]
    add_label_input(model, data, config, seed=0)
    assert model.inputs.label_input.shape == (4, 2 * 2)
    assert bool((model.inputs.label_partition == -1).all())


def test_unknown_task_head_and_label_form_are_refused():
    with pytest.raises(ConfigError, match="task_head"):
        small(task_head="mlp")
    with pytest.raises(ConfigError, match="label_form"):
        small(label_form="walks")


def test_path_norm_node_normalises_each_node_over_all_its_paths():
    """``path_norm`` node (SeHGNN's): one mean and variance per node over its ``(P, D)`` path
    embeddings, so a path's scale beside the others survives; ``path`` normalises each path's
    embedding on its own."""
    from hetgat.nn.pathlinear import PathLinear

    torch.manual_seed(0)
    z = torch.randn(5, 3, 4) * torch.tensor([1.0, 10.0, 0.1]).view(1, 3, 1)
    node, path = PathLinear(3, 4, 0.0, "node").eval(), PathLinear(3, 4, 0.0, "path").eval()
    mean, var = z.mean((1, 2), keepdim=True), z.var((1, 2), unbiased=False, keepdim=True)
    torch.testing.assert_close(node.norm_in(z), (z - mean) / torch.sqrt(var + 1e-5))
    assert node.norm_in.weight.shape == (3, 4)  # a gain per path and column
    # per path, the three scales are gone; per node, the 10x path stays the widest
    assert torch.allclose(path.norm_in(z).std((0, 2)), torch.ones(3), atol=0.1)
    assert node.norm_in(z).std((0, 2)).argmax() == 1
    data = tiny_hetero()
    model = build_model(small(path_norm="node"), data.schema())
    assert model.net.path_mlp.norm_out.normalized_shape == (len(model.net.names), 8)
    graph, features = model_inputs(data, model=model)
    assert model.eval()(model.prepare_graph(graph, features), features).isfinite().all()
    with pytest.raises(ConfigError, match="path_norm"):
        small(path_norm="batch")


def test_input_drop_moves_the_dropout_after_the_projection():
    """``input_drop``: the raw inputs are not dropped (a zero input_drop and evaluation give
    the same scores in training mode as without dropout there)."""
    data = tiny_hetero()
    torch.manual_seed(0)
    model = build_model(small(input_drop=0.0, feat_drop=0.0), data.schema())
    graph, features = model_inputs(data, model=model)
    prepared = model.prepare_graph(graph, features)
    model.train()
    torch.testing.assert_close(model(prepared, features), model.eval()(prepared, features))
    with pytest.raises(ConfigError, match="input_drop"):
        small(input_drop=1.0)


def test_path_relations_reach_the_model_its_label_paths_and_the_run(tmp_path):
    """``--path-relations``: the feature and label paths of the relations named, recorded in
    the run and used again by ``predict``; a relation the graph lacks is one error line."""
    heterogeneous_csv(tmp_path)
    out = tmp_path / "run"
    args = [tmp_path / "edges.csv", "--nodes", f"paper={tmp_path}/papers.csv"]
    fast = ["--epochs", "3", "--patience", "0", "--hidden", "8", "-q", "--model", "sehgnn"]
    relations = "writes,rev_writes"
    result = invoke("fit", *args, *fast, "--hops", "2", "--label-hops", "2", "--label-form",
                    "paths", "--path-relations", relations, "--out", out)  # fmt: skip
    assert result.exit_code == 0, result.output
    semantic = pd.read_csv(out / "semantic_attention.csv")
    assert semantic["edge_type"].tolist() == [
        "paper", "author-paper", "paper-author-paper", "labels:paper-author-paper"
    ]  # fmt: skip
    again = invoke("predict", out, *args, "-o", tmp_path / "again.csv")
    assert again.exit_code == 0, again.output
    saved = pd.read_csv(out / "predictions.csv").set_index("id").sort_index()
    moved = pd.read_csv(tmp_path / "again.csv").set_index("id").sort_index()
    np.testing.assert_allclose(
        moved.filter(like="prob").to_numpy(), saved.filter(like="prob").to_numpy(), rtol=1e-5
    )
    bad = invoke("fit", *args, *fast, "--path-relations", "writes,rev_writs", "--out",
                 tmp_path / "bad")  # fmt: skip
    assert bad.exit_code == 2, bad.output
    assert bad.output.startswith("Error:") and "rev_writs" in bad.output
    assert "path-relations" in bad.output and "Traceback" not in bad.output
    assert not (tmp_path / "bad").exists()
    with pytest.raises(ConfigError, match="path_relations"):
        small(path_relations="paper-author")


def test_row_selections_asked_for_twice_are_kept_and_equal_to_a_fresh_gather():
    """Full-batch training asks for the same rows every epoch: kept from the second time on
    (the same tensors come back), a new tensor of the same ids is the same selection, and an
    inference pass's chunks, each asked for once, are never held."""
    data = tiny_hetero()
    model = build_model(small(), data.schema())
    graph, features = model_inputs(data)
    prepared = model.prepare_graph(graph, features)
    rows = torch.tensor([2, 0])
    first, second = prepared.rows(rows), prepared.rows(rows.clone())
    third = prepared.rows(torch.tensor([2, 0]))
    assert all(a is b for a, b in zip(second, third, strict=True))
    for got, x in zip(first, prepared.features, strict=True):
        want = x.to_dense()[rows] if x.layout != torch.strided else x[rows]
        torch.testing.assert_close(got.to_dense(), want)
    for start in range(4):  # chunks: one each, never kept
        prepared.rows(torch.tensor([start]))
    assert len(prepared._kept) == 1
    other = prepared.rows(torch.tensor([1, 3]))
    for got, x in zip(other, prepared.features, strict=True):
        torch.testing.assert_close(got.to_dense(), x.to_dense()[torch.tensor([1, 3])])


def test_kept_rows_leave_training_unchanged():
    """Training on kept selections gives the losses of fresh gathers (nothing is shared that
    a step changes)."""
    data = tiny_hetero()
    train = TrainConfig.for_model("sehgnn", epochs=8, patience=0, lr=0.01)
    kept = fit(data, small(label_hops=1, label_partitions=2), train)
    from hetgat.datasets.path_features import PathInputs

    keep, PathInputs.KEEP = PathInputs.KEEP, 0
    try:
        fresh = fit(data, small(label_hops=1, label_partitions=2), train)
    finally:
        PathInputs.KEEP = keep
    assert [h["train_loss"] for h in kept.history] == [h["train_loss"] for h in fresh.history]


def test_label_paths_that_cannot_return_to_the_target_are_refused_by_name():
    """``--label-form paths`` over relations with no way back to the target would be an input
    of no columns: one error naming the options, before anything is built."""
    data = tiny_hetero()
    config = small(label_hops=2, label_form="paths", path_relations=("writes", "publishes"))
    with pytest.raises(ConfigError, match="label_form") as caught:
        build_model(config, data.schema())
    assert "path_relations" in caught.value.params and "label_hops" in caught.value.params
    # the same relations with the hop-wise label input: fine
    build_model(small(label_hops=2, path_relations=("writes", "publishes")), data.schema())
