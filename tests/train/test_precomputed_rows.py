"""Inference of a model on pre-computed inputs (SeHGNN) in row chunks: the one-pass values,
attention included, in bounded memory."""

import pytest
import torch

from hetgat.config import ModelConfig, TrainConfig
from hetgat.errors import ConfigError
from hetgat.train import fit, model_inputs, predict
from hetgat.train.inference import rows_forward
from tests.models.test_hetero import tiny_hetero


def trained(**values):
    data = tiny_hetero()
    config = ModelConfig.for_model("sehgnn", hidden=8, heads=2, **values)
    model = fit(data, config, TrainConfig.for_model("sehgnn", epochs=3, patience=0)).model
    return data, model


@pytest.mark.parametrize("values", [{}, {"label_hops": 2, "input_features": "none"}])
def test_chunks_give_the_one_pass_logits_and_attention(values):
    data, model = trained(**values)
    graph, features = model_inputs(data, model=model)
    prepared = model.prepare_graph(graph, features)
    with torch.no_grad():
        logits, att = model(prepared, features, get_attention=True)
        rows = torch.arange(len(logits))
        for chunk in (1, 2, 4, None):
            got, got_att = rows_forward(model, prepared, features, rows, chunk, True)
            torch.testing.assert_close(got, logits)
            (want,), (have,) = att.semantic[0], got_att.semantic[0]
            assert have.names == want.names and have.dst_type == want.dst_type
            torch.testing.assert_close(have.per_node, want.per_node)
            torch.testing.assert_close(have.weights, want.weights)
            torch.testing.assert_close(have.per_node.sum(1), torch.ones(len(logits)))
            assert got_att.edges == att.edges
        # chosen rows, in the order asked
        some = torch.tensor([3, 0, 2])
        torch.testing.assert_close(rows_forward(model, prepared, features, some, 2), logits[some])


def test_predict_runs_in_chunks_with_the_attention():
    data, model = trained()
    graph, features = model_inputs(data, model=model)
    with torch.no_grad():
        logits, att = model(model.prepare_graph(graph, features), features, get_attention=True)
    probs, got = predict(model, data, get_attention=True, chunk_size=2)
    torch.testing.assert_close(probs, torch.softmax(logits, 1))
    torch.testing.assert_close(got.semantic[0][0].per_node, att.semantic[0][0].per_node)
    torch.testing.assert_close(predict(model, data), probs)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_a_bad_chunk_size_is_refused(bad):
    data, model = trained()
    graph, features = model_inputs(data, model=model)
    prepared = model.prepare_graph(graph, features)
    with pytest.raises(ConfigError, match="chunk_size"):
        rows_forward(model, prepared, features, torch.arange(3), bad)


def test_validation_in_chunks_keeps_the_training():
    """Training with batches of rows validates in chunks of that size: the history's
    validation loss is the loss of the validation rows computed at once."""
    data = tiny_hetero()
    config = ModelConfig.for_model("sehgnn", hidden=8)
    result = fit(data, config, TrainConfig.for_model("sehgnn", epochs=1, patience=0, batch_size=1))
    graph, features = model_inputs(data, model=result.model)
    prepared = result.model.prepare_graph(graph, features)
    val = data.val_mask.nonzero().squeeze(1)
    with torch.no_grad():
        logits = result.model.rows_logits(prepared, features, val)
    loss = torch.nn.functional.cross_entropy(logits, data.labels[val]).item()
    # the weights kept are those of the only epoch
    assert result.history[0]["val_loss"] == pytest.approx(loss, rel=1e-6)
