"""Early stopping: the GAT paper's rule (loss or score) and HGB's (loss only), step by step and
inside ``fit``."""

import json
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from hetgat.cli import main
from hetgat.config import ModelConfig, TrainConfig
from hetgat.datasets import load_graph
from hetgat.errors import ConfigError
from hetgat.train import EarlyStopping, fit

EXAMPLE = str(Path(__file__).resolve().parents[2] / "examples" / "planetoid")


class Marker(torch.nn.Module):
    """A model whose only weight says which epoch it was saved at."""

    def __init__(self) -> None:
        super().__init__()
        self.epoch = torch.nn.Parameter(torch.zeros(()))


def replay(rule, patience, scores, losses, collapsed=()):
    """Feed the epochs to a stopper; the epoch it stopped at (None: ran out) and the kept one.
    ``collapsed``: the epochs whose validation predictions are one class."""
    stopper, model = EarlyStopping(patience, rule), Marker()
    for epoch, (score, loss) in enumerate(zip(scores, losses)):
        model.epoch.data.fill_(epoch)
        metrics = {"accuracy": score, "macro_f1": score, "one_class": epoch in collapsed}
        if stopper.step(epoch, score, loss, model, metrics):
            break
    else:
        epoch = None
    kept = int(stopper.best_state["epoch"])
    assert kept == stopper.best_epoch
    return epoch, kept


# The score goes on improving for two epochs after the loss has turned: the rules part ways.
SCORES = [0.5, 0.6, 0.6, 0.7, 0.8, 0.75, 0.7, 0.7, 0.7, 0.7]
LOSSES = [1.0, 0.8, 0.7, 0.75, 0.9, 0.9, 0.95, 1.0, 1.1, 1.2]


def test_loss_and_score_rule():
    # improvements (either) at 0-4; both at least as good as ever at 0, 1, 2 only
    # (epochs 3 and 4 have the best scores, not the best losses); then none: stop at 4 + patience
    assert replay("loss+score", 2, SCORES, LOSSES) == (6, 2)
    assert replay("loss+score", 3, SCORES, LOSSES) == (7, 2)
    assert replay("loss+score", 2, [0.5] * 6, [1.0] * 6) == (None, 5)  # ties are improvements


def test_loss_rule_keeps_the_lowest_loss_and_counts_from_it():
    # lowest loss at epoch 2; the score's later gains do not restart the counter
    assert replay("loss", 2, SCORES, LOSSES) == (4, 2)
    assert replay("loss", 0, SCORES, LOSSES) == (None, 2)  # patience 0 runs every epoch


def test_loss_rule_ties_keep_the_later_epoch():
    assert replay("loss", 0, [0.1] * 4, [0.5, 0.4, 0.4, 0.6]) == (None, 2)


def test_loss_rule_keeps_weights_even_if_the_loss_is_never_a_number():
    assert replay("loss", 2, [0.1] * 5, [float("nan")] * 5) == (2, 0)


def test_unknown_rule_is_refused():
    with pytest.raises(ValueError, match="loss\\+score"):
        EarlyStopping(5, "score")
    with pytest.raises(ConfigError, match="early_stopping"):
        TrainConfig(early_stopping="score")


def test_defaults():
    assert TrainConfig().early_stopping == "loss+score"
    assert TrainConfig.for_model("han").early_stopping == "loss+score"
    assert TrainConfig.for_model("simplehgn").early_stopping == "loss"  # as HGB trains it


def test_fit_keeps_the_epoch_of_the_lowest_validation_loss():
    data = load_graph("planetoid:cora", data_dir=EXAMPLE)
    model = ModelConfig(hidden=4, heads=2)
    result = fit(data, model, TrainConfig(epochs=25, patience=0, early_stopping="loss", lr=0.02))
    losses = [row["val_loss"] for row in result.history]
    assert len(losses) == 25
    lowest = min(losses)
    assert result.metrics["best_epoch"] == max(i for i, v in enumerate(losses) if v == lowest)
    # the kept weights are that epoch's: their validation loss is the lowest one
    again = fit(
        data,
        model,
        TrainConfig(epochs=result.metrics["best_epoch"] + 1, patience=0, lr=0.02),
    )
    assert again.history[-1]["val_loss"] == pytest.approx(lowest, abs=0, rel=0)


def test_cli_option_reaches_the_run_config(tmp_path):
    out = tmp_path / "run"
    args = ["fit", "planetoid:cora", "--data-dir", EXAMPLE, "--out", str(out)]
    fast = ["--epochs", "3", "--hidden", "4", "--heads", "2", "-q"]
    result = CliRunner().invoke(main, [*args, *fast, "--early-stopping", "loss"])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "config.json").read_text())["train"]["early_stopping"] == "loss"

    result = CliRunner().invoke(main, [*args, "--early-stopping", "score"])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "Error: Invalid value for '--early-stopping': 'score' is not one of 'loss+score', 'loss', "
        "'accuracy', 'macro_f1', 'micro_f1'."
    )


# A model that memorises: the validation loss is lowest at epoch 0, where it predicts one class.
MEMORISING = [1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6]
MEMORISING_SCORES = [0.3, 0.5, 0.55, 0.6, 0.6, 0.6, 0.6]


@pytest.mark.parametrize("rule", ["loss", "loss+score", "accuracy", "macro_f1"])
def test_a_collapsed_epoch_is_kept_only_until_one_that_is_not(rule):
    # without the collapse, every rule keeps epoch 0 (lowest loss) or a later better score
    assert replay("loss", 2, MEMORISING_SCORES, MEMORISING) == (2, 0)
    # epoch 0 collapsed: epoch 1 replaces it whatever its loss, and the rule goes on from there
    stopped, kept = replay(rule, 2, MEMORISING_SCORES, MEMORISING, collapsed={0})
    assert kept >= 1
    if rule == "loss":
        assert (stopped, kept) == (3, 1)
    # collapsed epochs after a sound one never replace it, even at a lower loss
    losses = [1.0, 0.9, 0.5, 0.4, 0.3]
    assert replay(rule, 2, [0.5] * 5, losses, collapsed={2, 3, 4}) == (3, 1)
    # when every epoch is collapsed the rule is unchanged
    assert replay("loss", 2, SCORES, LOSSES, collapsed=set(range(10))) == (4, 2)


def test_a_collapsed_best_survives_a_checkpoint():
    stopper, model = EarlyStopping(3, "loss"), Marker()
    stopper.step(0, 0.3, 1.0, model, {"one_class": True})
    again = EarlyStopping(3, "loss")
    again.load_state_dict(stopper.state_dict())
    model.epoch.data.fill_(1)
    again.step(1, 0.5, 1.5, model, {"one_class": False})
    assert again.best_epoch == 1
