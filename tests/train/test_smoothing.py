"""Correct and Smooth (issue 33): equal to a dense reference on a small graph (both stages,
heterogeneous and homogeneous); training rows end at their labels; probabilities stay valid;
validation and test labels cannot change the output; a bad alpha is one error; training's
metrics are those of the smoothed probabilities."""

import math

import numpy as np
import pytest
import torch

from hetgat.config import ModelConfig, TrainConfig
from hetgat.data import GraphData
from hetgat.errors import ConfigError
from hetgat.sparse.hetero import HeteroGraph
from hetgat.train import Smoothing, correct_and_smooth, fit, predict
from hetgat.train.inference import split_metrics
from hetgat.train.smoothing import (
    AUTO_ALPHA,
    TargetPropagation,
    balanced_labels,
    decide_smoothing,
    resolve_class_mass,
    smoothing_alpha,
)

N_PAPERS, N_AUTHORS, N_SUBJECTS, C = 9, 5, 2, 3


def small_graph(multilabel: bool = False) -> GraphData:
    """9 papers (paper 8 reaches no other: no author, subject or citation), 5 authors, 2
    subjects, paper -> paper citations; papers 0-3 training, 4-5 validation, 6-8 test."""
    rng = np.random.default_rng(0)
    writes = [(a, p) for p in range(8) for a in rng.choice(N_AUTHORS, 2, replace=False)]
    about = [(p % N_SUBJECTS, p) for p in range(0, 8, 2)]
    cites = [(0, 1), (1, 2), (3, 2), (5, 4), (6, 7), (7, 6), (2, 5)]

    def pairs(edges):
        return tuple(torch.tensor(x) for x in zip(*edges, strict=True))

    graph = HeteroGraph(
        {
            ("author", "writes", "paper"): pairs(writes),
            ("paper", "written_by", "author"): pairs([(p, a) for a, p in writes]),
            ("subject", "has", "paper"): pairs(about),
            ("paper", "cites", "paper"): pairs(cites),
        },
        {"paper": N_PAPERS, "author": N_AUTHORS, "subject": N_SUBJECTS},
    )
    train = torch.tensor([True] * 4 + [False] * 5)
    val = torch.tensor([False] * 4 + [True] * 2 + [False] * 3)
    if multilabel:
        labels = torch.tensor(rng.integers(0, 2, (N_PAPERS, C)), dtype=torch.float32)
    else:
        labels = torch.tensor([0, 1, 2, 1, 0, 2, 1, 0, 2])
    return GraphData(
        name="small",
        graph=graph,
        features={"paper": torch.tensor(rng.normal(size=(N_PAPERS, 4)), dtype=torch.float32)},
        labels=labels,
        train_mask=train,
        val_mask=val,
        test_mask=~(train | val),
        target_type="paper",
        class_names=["a", "b", "c"],
        multilabel=multilabel,
        node_ids={
            "paper": np.array([f"p{i}" for i in range(N_PAPERS)], dtype=object),
            "author": np.array([f"a{i}" for i in range(N_AUTHORS)], dtype=object),
            "subject": np.array([f"s{i}" for i in range(N_SUBJECTS)], dtype=object),
        },
    )


def dense_operator(data: GraphData) -> np.ndarray:
    """The module's ``P`` as a dense matrix: per relation into papers the two-hop (or, from
    papers, one-hop) mean, summed, divided by the relations reaching each row; self-loops
    where none does."""
    n = data.graph.num_nodes("paper")
    total, reached = np.zeros((n, n)), np.zeros(n)
    for etype in data.graph.canonical_etypes:
        if etype[2] != "paper":
            continue
        src, dst = (t.numpy() for t in data.graph.edges(etype))
        a = np.zeros((n, data.graph.num_nodes(etype[0])))
        np.add.at(a, (dst, src), 1.0)
        rows = a.sum(1, keepdims=True)
        mean_in = np.divide(a, rows, out=np.zeros_like(a), where=rows > 0)
        if etype[0] == "paper":
            total += mean_in
        else:
            cols = a.T.sum(1, keepdims=True)
            mean_back = np.divide(a.T, cols, out=np.zeros_like(a.T), where=cols > 0)
            total += mean_in @ mean_back
        reached += rows.ravel() > 0
    out = np.divide(total, reached[:, None], out=np.zeros_like(total), where=reached[:, None] > 0)
    out[reached == 0, reached == 0] = 1.0
    return out


def dense_correct_and_smooth(probs, p, train, y, alpha, multilabel=False, steps=50):
    """The paper's two stages, written out densely (the oracle)."""
    e0 = np.zeros_like(probs)
    e0[train] = y - probs[train]
    e = e0.copy()
    for _ in range(steps):
        e = alpha * p @ e + (1 - alpha) * e0
    sigma = np.abs(e0[train]).sum(1).mean()
    norm = np.abs(e).sum(1, keepdims=True)  # 0 where no residual arrives: no correction
    z = probs + sigma * np.divide(e, norm, out=np.zeros_like(e), where=norm > 0)
    z[train] = y
    g = z.copy()
    for _ in range(steps):
        g = alpha * p @ g + (1 - alpha) * z
        g[train] = y
    if multilabel:
        return np.clip(g, 0, 1)
    g = np.clip(g, 0, None)
    return g / g.sum(1, keepdims=True)


def dense_class_mass(g, train, y):
    """Zhu et al.'s class mass normalisation, written out: each column scaled to the training
    labels' add-one share over the rows without a label, then each row to sum 1."""
    prior = (y.sum(0) + 1) / (y.sum() + y.shape[1])
    g = g * prior / g[~train].sum(0)
    return g / g.sum(1, keepdims=True)


def model_probs(data: GraphData, seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(data.graph.num_nodes("paper"), C, generator=gen)
    return torch.sigmoid(logits) if data.multilabel else torch.softmax(logits, 1)


def test_the_operator_equals_the_dense_reference():
    data = small_graph()
    x = torch.randn(N_PAPERS, C, dtype=torch.float64)
    out = TargetPropagation(data.graph, "paper")(x.float()).double()
    assert np.allclose(out.numpy(), dense_operator(data) @ x.numpy(), atol=1e-5)
    assert np.allclose(dense_operator(data).sum(1), 1.0)  # row-stochastic, isolated paper too


@pytest.mark.parametrize("multilabel", [False, True])
@pytest.mark.parametrize("alpha", [0.5, 0.9])
def test_correct_and_smooth_equals_the_dense_reference(multilabel, alpha):
    data = small_graph(multilabel)
    probs = model_probs(data)
    smoothing = Smoothing.of_data(data, alpha)
    out = smoothing.apply(probs, data)
    train = data.train_mask.numpy()
    expected = dense_correct_and_smooth(
        probs.double().numpy(),
        dense_operator(data),
        train,
        smoothing.known.double().numpy(),
        alpha,
        multilabel,
    )
    assert np.allclose(out.numpy(), expected, atol=1e-5)
    # The training rows end at their labels; the others changed.
    assert torch.allclose(out[data.train_mask], smoothing.known)
    assert not torch.allclose(out[~data.train_mask], probs[~data.train_mask])


def test_class_mass_normalisation_equals_the_dense_reference():
    data = small_graph()
    probs = model_probs(data)
    plain = Smoothing.of_data(data, 0.9)
    out = Smoothing.of_data(data, 0.9, class_mass=True).apply(probs, data)
    train = data.train_mask.numpy()
    y = plain.known.double().numpy()
    expected = dense_class_mass(plain.apply(probs, data).double().numpy(), train, y)
    assert np.allclose(out.numpy(), expected, atol=1e-5)
    assert torch.allclose(out.sum(1), torch.ones(N_PAPERS))
    assert torch.allclose(out[data.train_mask], plain.known)  # a one-hot row stays one-hot
    assert not torch.allclose(out, plain.apply(probs, data))
    # Multi-label: no class mass (the classes are not shares of one node).
    multi = small_graph(multilabel=True)
    probs = model_probs(multi)
    assert torch.equal(
        Smoothing.of_data(multi, 0.9, class_mass=True).apply(probs, multi),
        Smoothing.of_data(multi, 0.9).apply(probs, multi),
    )


def test_class_mass_left_to_the_data_is_on_for_a_quota_per_class():
    one_hot = torch.nn.functional.one_hot
    quota = one_hot(torch.tensor([0, 1, 2, 0, 1, 2, 0]), 3).float()  # counts 3, 2, 2
    drawn = one_hot(torch.tensor([0, 0, 0, 0, 1, 2]), 3).float()  # counts 4, 1, 1
    assert balanced_labels(quota) and not balanced_labels(drawn)
    assert not balanced_labels(torch.tensor([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]]))  # multi-hot
    assert resolve_class_mass(None, quota) and not resolve_class_mass(None, drawn)
    assert not resolve_class_mass(False, quota) and resolve_class_mass(True, drawn)


def test_alpha_left_to_the_data_is_on_for_a_single_label_featureless_target():
    han = ModelConfig.for_model("han")
    none = ModelConfig.for_model("han", input_features="none")
    single, multi = small_graph().schema(), small_graph(multilabel=True).schema()
    assert smoothing_alpha(None, none, single) == AUTO_ALPHA
    assert smoothing_alpha(None, han, single) == 0.0  # the papers have features
    assert smoothing_alpha(None, none, multi) == 0.0  # multi-label: off
    assert smoothing_alpha(0.5, han, multi) == 0.5  # given: as given
    assert smoothing_alpha(0, none, single) == 0.0


def test_smoothing_is_kept_only_where_it_wins_on_validation():
    data = small_graph()
    smoothing = Smoothing.of_data(data, 0.9)
    val = data.val_mask
    # A model right on every validation node: smoothing cannot win, the model's are kept.
    perfect = torch.nn.functional.one_hot(data.labels, C).float()
    assert decide_smoothing(perfect, data, smoothing) is None
    # Validation labels that agree with the smoothed predictions and not the model's: it wins.
    probs = model_probs(data)
    smoothed = smoothing.apply(probs, data)
    assert bool((smoothed[val].argmax(1) != probs[val].argmax(1)).any())
    data.labels[val] = smoothed[val].argmax(1)
    assert torch.equal(decide_smoothing(probs, data, smoothing), smoothed)
    # A tie keeps the model's.
    data.labels[val] = probs[val].argmax(1)
    same = smoothed[val].argmax(1) == probs[val].argmax(1)
    data.val_mask = val.clone()
    data.val_mask[val.nonzero().squeeze(1)[~same]] = False
    assert bool(data.val_mask.any())
    assert decide_smoothing(probs, data, smoothing) is None


def test_left_to_the_data_the_fit_records_what_it_decided():
    data = small_graph()
    model_config = ModelConfig.for_model("han", hidden=4, heads=2, input_features="none")
    result = fit(data, model_config, TrainConfig(epochs=5, patience=0))
    decided = result.metrics["correct_smooth"]
    assert decided in (0.0, AUTO_ALPHA)
    smoothing = Smoothing.of_data(data, decided, None) if decided else None
    expected = split_metrics(predict(result, data, smoothing=smoothing), data)
    for key, value in expected.items():
        assert result.metrics[key] == pytest.approx(value, nan_ok=True), key
    # Given explicitly, it is as given; with features, nothing is offered.
    explicit = fit(data, model_config, TrainConfig(epochs=2, patience=0, correct_smooth=0.5))
    assert explicit.metrics["correct_smooth"] == 0.5
    featured = ModelConfig.for_model("han", hidden=4, heads=2)
    assert fit(data, featured, TrainConfig(epochs=2, patience=0)).metrics["correct_smooth"] == 0


def test_probabilities_stay_valid():
    data = small_graph()
    for seed in range(5):
        out = Smoothing.of_data(data, 0.9).apply(model_probs(data, seed), data)
        assert bool((out >= 0).all())
        assert torch.allclose(out.sum(1), torch.ones(N_PAPERS))
    multi = small_graph(multilabel=True)
    out = Smoothing.of_data(multi, 0.9).apply(model_probs(multi), multi)
    assert bool(((out >= 0) & (out <= 1)).all())


def test_validation_and_test_labels_cannot_change_the_output():
    data = small_graph()
    probs = model_probs(data)
    before = Smoothing.of_data(data, 0.9).apply(probs, data)
    held_out = ~data.train_mask
    for shift in (1, 2):
        data.labels[held_out] = (data.labels[held_out] + shift) % C
        assert torch.equal(Smoothing.of_data(data, 0.9).apply(probs, data), before)


def test_a_homogeneous_graph_propagates_over_its_row_normalised_adjacency():
    src = torch.tensor([0, 1, 1, 2, 3, 4, 0])
    dst = torch.tensor([1, 0, 2, 1, 4, 3, 3])
    graph = HeteroGraph({("node", "to", "node"): (src, dst)}, {"node": 5})
    a = np.zeros((5, 5))
    np.add.at(a, (dst.numpy(), src.numpy()), 1.0)
    p = a / a.sum(1, keepdims=True)
    x = torch.randn(5, 2)
    assert np.allclose(TargetPropagation(graph, "node")(x).numpy(), p @ x.numpy(), atol=1e-6)
    probs = torch.softmax(torch.randn(5, 2), 1)
    train, known = torch.tensor([0, 3]), torch.tensor([1, 0])
    out = correct_and_smooth(probs, graph, "node", train, known, 0.8)
    y = np.eye(2)[known.numpy()]
    expected = dense_correct_and_smooth(probs.double().numpy(), p, train.numpy(), y, 0.8)
    assert np.allclose(out.numpy(), expected, atol=1e-5)


def test_alpha_zero_is_off():
    data = small_graph()
    probs = model_probs(data)
    assert Smoothing.of_data(data, 0) is None
    assert torch.equal(correct_and_smooth(probs, data.graph, "paper", [0], [1], 0.0), probs)


@pytest.mark.parametrize("alpha", [1.0, -0.1, 1.5, math.nan, True, "0.9"])
def test_a_bad_alpha_is_one_error_naming_the_option(alpha):
    data = small_graph()
    with pytest.raises(ConfigError, match="correct_smooth"):
        correct_and_smooth(model_probs(data), data.graph, "paper", [0], [1], alpha)
    with pytest.raises(ConfigError, match="correct_smooth"):
        TrainConfig(correct_smooth=alpha)


@pytest.mark.parametrize("value", [1, "yes", 0.0])
def test_a_bad_class_mass_is_one_error_naming_the_option(value):
    with pytest.raises(ConfigError, match="class_mass"):
        TrainConfig(class_mass=value)


@pytest.mark.parametrize("class_mass", [True, False])
def test_training_metrics_are_those_of_the_smoothed_probabilities(class_mass):
    data = small_graph()
    model_config = ModelConfig.for_model("han", hidden=4, heads=2)
    train_config = TrainConfig(epochs=5, patience=0, correct_smooth=0.9, class_mass=class_mass)
    result = fit(data, model_config, train_config)
    smoothing = Smoothing.of_data(data, 0.9, class_mass=class_mass)
    smoothed = predict(result, data, smoothing=smoothing)
    assert result.metrics["train_accuracy"] == 1.0  # the training rows are their labels
    for key, value in split_metrics(smoothed, data).items():
        assert result.metrics[key] == pytest.approx(value, nan_ok=True), key
    again = fit(data, model_config, train_config)
    for key in split_metrics(smoothed, data):  # same seed, same figures
        assert again.metrics[key] == pytest.approx(result.metrics[key], nan_ok=True), key
