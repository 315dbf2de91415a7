"""What every training loop shares: the result record, early stopping, seeding, the loss and
its checks, history rows, the progress bar (or, in a log, a progress line now and then)."""

from __future__ import annotations

import copy
import logging
import random
import sys
import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from hetgat.config import EARLY_STOPPING_RULES, ModelConfig
from hetgat.data import GraphData
from hetgat.datasets.labels import label_input
from hetgat.datasets.path_labels import path_label_input
from hetgat.errors import ConfigError, HetgatError
from hetgat.sparse.dgl_interop import seed_dgl

SPLITS = ("train", "val", "test")


@dataclass
class FitResult:
    """What :func:`hetgat.train.fit` returns.

    Attributes
    ----------
    model : NodeClassifier
        The model with the best validation weights restored, in eval mode.
    metrics : dict
        ``<split>_accuracy``, ``<split>_macro_f1``, ``<split>_micro_f1`` for each split, plus
        ``best_epoch``, ``epochs_run`` and ``seconds_per_epoch``.
    history : list of dict
        One row per epoch: ``epoch, train_loss, val_loss, val_accuracy, val_macro_f1,
        val_micro_f1, seconds``.
    model_config : ModelConfig
        The configuration the model was built from (HAN: with its meta-paths resolved).
    """

    model: torch.nn.Module
    metrics: dict
    history: list = field(default_factory=list)
    model_config: ModelConfig | None = None


class EarlyStopping:
    """Early stopping on validation, by one of two rules (``rule``).

    ``"loss+score"`` (the GAT paper's, the default): the patience counter restarts whenever the
    loss or the score (accuracy; micro-F1 if multi-label) improves; the weights kept are those
    of the last epoch at which both were at least as good as ever before.

    ``"loss"`` (HGB's, Simple-HGN's default): the counter restarts whenever the loss is at least
    as low as ever; the weights kept are those of the last epoch with the lowest loss.

    ``"accuracy"``, ``"macro_f1"``, ``"micro_f1"``: that validation metric alone (from
    ``metrics``); the counter restarts when it improves, or stays equal at a lower loss; the
    weights kept are those of that epoch.

    Under every rule, an epoch whose validation predictions are one class (one label set,
    multi-label) for every node (``metrics["one_class"]``) is kept only while no other epoch
    has been seen: the first epoch that is not collapsed replaces it whatever its loss, and
    collapsed epochs after it never replace it. A model that memorises learned embeddings can
    have its lowest validation loss at epoch 0, before it predicts more than one class (HAN on
    HeCo's Freebase, BENCHMARKS.md).
    """

    def __init__(self, patience: int, rule: str = "loss+score") -> None:
        if rule not in EARLY_STOPPING_RULES:
            raise ValueError(f"rule must be one of {EARLY_STOPPING_RULES}, not {rule!r}")
        self.patience, self.rule = patience, rule
        self.best_score, self.best_loss = -float("inf"), float("inf")
        self.best_state, self.best_epoch, self.waited = None, 0, 0
        self.best_collapsed = False

    def step(
        self, epoch: int, score: float, loss: float, model: torch.nn.Module, metrics=None
    ) -> bool:
        """Record one epoch (``metrics``: the validation metrics, for the metric rules); True
        when training should stop."""
        collapsed = bool(metrics and metrics.get("one_class"))
        if self.best_state is not None and collapsed != self.best_collapsed:
            if collapsed:  # never replaces an epoch that predicts more than one class
                self.waited += 1
                return bool(self.patience) and self.waited >= self.patience
            self.best_state = None  # the first epoch that is not collapsed replaces one that is
            self.best_score, self.best_loss = -float("inf"), float("inf")
        self.best_collapsed = collapsed if self.best_state is None else self.best_collapsed
        if self.rule not in ("loss", "loss+score"):  # one validation metric decides
            value = metrics[self.rule]
            better = value > self.best_score or value == self.best_score and loss < self.best_loss
            if better or self.best_state is None:
                self.best_state = copy.deepcopy(model.state_dict())
                self.best_epoch, self.best_score, self.best_loss = epoch, value, loss
                self.waited = 0
            else:
                self.waited += 1
            return bool(self.patience) and self.waited >= self.patience
        if self.rule == "loss":
            improved = keep = loss <= self.best_loss or self.best_state is None
        else:
            improved = score >= self.best_score or loss <= self.best_loss
            keep = score >= self.best_score and loss <= self.best_loss
        if improved:
            if keep:
                self.best_state = copy.deepcopy(model.state_dict())
                self.best_epoch = epoch
            self.best_score = max(self.best_score, score)
            self.best_loss = min(self.best_loss, loss)
            self.waited = 0
        else:
            self.waited += 1
        return bool(self.patience) and self.waited >= self.patience

    def state_dict(self) -> dict:
        return {
            "best_score": self.best_score,
            "best_loss": self.best_loss,
            "best_state": self.best_state,
            "best_epoch": self.best_epoch,
            "waited": self.waited,
            "best_collapsed": self.best_collapsed,
        }

    def load_state_dict(self, state: dict) -> None:
        self.best_score, self.best_loss = state["best_score"], state["best_loss"]
        self.best_state, self.best_epoch = state["best_state"], state["best_epoch"]
        self.waited = state["waited"]
        self.best_collapsed = state.get("best_collapsed", False)  # checkpoints before it


def check_device(device) -> torch.device:
    """``device`` as a ``torch.device`` that exists here, else a :class:`ConfigError` naming it.

    ``cuda`` (or ``cuda:N``) needs a CUDA build of torch that sees that GPU; ``mps`` Apple's
    Metal backend. The kernels follow the device (:func:`hetgat.sparse.kernels_for`).
    """
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise ConfigError(
            "device", device, "a torch device such as cpu, cuda, cuda:0 or mps"
        ) from None
    if parsed.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise ConfigError("device", device, "cpu: torch sees no CUDA device on this machine")
        if parsed.index is not None and parsed.index >= count:
            raise ConfigError("device", device, f"cuda:0 to cuda:{count - 1} ({count} GPUs here)")
    elif parsed.type == "mps":
        if not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
            raise ConfigError("device", device, "cpu: torch has no MPS device on this machine")
    elif parsed.type != "cpu":
        raise ConfigError("device", device, "cpu, cuda, cuda:N or mps")
    return parsed


def warn_empty_splits(data: GraphData) -> None:
    """Say which splits hold no node (their metrics will be null in ``metrics.json``); refuse
    to train without training nodes."""
    if not bool(data.train_mask.any()):
        raise HetgatError(f"{data.name}: no labelled node is in the training split")
    log = logging.getLogger("hetgat")
    if not bool(data.val_mask.any()):
        log.warning(
            "no node in the validation split: the training nodes stand in for it in early "
            "stopping, and its metrics are null"
        )
    if not bool(data.test_mask.any()):
        log.warning("no node in the test split: its metrics are null")


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy, torch and, where installed, DGL (its samplers draw from their own
    generator; DistDGL's loaders use them)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    seed_dgl(seed)


def add_label_input(model, data: GraphData, model_config: ModelConfig, seed: int) -> None:
    """Give ``model`` its leak-free label input (``model_config.label_hops``; see
    :mod:`hetgat.datasets.labels`), the split into parts drawn with ``seed``."""
    if model_config.label_hops and model_config.label_form == "paths":
        hops, relations = model_config.label_hops, model_config.path_relations
        values = path_label_input(data, hops, relations=relations)
        model.inputs.set_label_input(values, torch.full((len(values),), -1, dtype=torch.long))
    elif model_config.label_hops:
        values, part = label_input(
            data, model_config.label_hops, model_config.label_partitions, seed
        )
        model.inputs.set_label_input(values, part)


def model_inputs(data: GraphData, device="cpu", model=None):
    """The graph and the features of every node type, on ``device``.

    With ``model`` (a :class:`~hetgat.models.NodeClassifier`), the features its inputs read:
    the given ones it uses and the inputs it computes for featureless types
    (:class:`~hetgat.datasets.featureless.FeaturelessInputs`), the one place where they are
    made, at training and whenever a run meets a graph again.

    Off the CPU, sparse features small enough to hold densely (under :data:`DENSE_LIMIT`
    entries) are made dense: a GPU multiplies them faster so, and torch's sparse CSR kernels
    differ between devices.
    """
    device = torch.device(device)
    given = data.features if model is None else model.inputs.recipe.features(data)
    features = {}
    for t, f in given.items():
        if device.type != "cpu" and f.layout != torch.strided and f.numel() <= DENSE_LIMIT:
            f = f.to_dense()
        features[t] = f.to(device)
    return data.graph.to(device), features


#: Most entries of a sparse feature matrix made dense off the CPU (2^28: 1 GiB in float32).
DENSE_LIMIT = 1 << 28


def loss_fn(logits: torch.Tensor, labels: torch.Tensor, multilabel: bool) -> torch.Tensor:
    """Cross-entropy, or binary cross-entropy per class for multi-label targets."""
    if multilabel:
        return F.binary_cross_entropy_with_logits(logits, labels)
    return F.cross_entropy(logits, labels)


def check_loss(loss: torch.Tensor, epoch: int) -> None:
    """Stop with a message naming the epoch when the training loss is NaN or infinite."""
    if not torch.isfinite(loss):
        raise HetgatError(
            f"the training loss became {loss.item()} at epoch {epoch}: features with huge "
            "values (try `normalize_features`) or too high a learning rate (`lr`)",
            params=("normalize_features", "lr"),
        )


def history_row(epoch: int, train_loss: float, val_loss: float, val: dict, seconds: float) -> dict:
    """One row of ``history.csv``."""
    return {
        "epoch": epoch,
        "train_loss": train_loss,
        "val_loss": val_loss,
        "val_accuracy": val["accuracy"],
        "val_macro_f1": val["macro_f1"],
        "val_micro_f1": val["micro_f1"],
        "seconds": seconds,
    }


def probabilities(logits: torch.Tensor, multilabel: bool) -> torch.Tensor:
    return torch.sigmoid(logits) if multilabel else torch.softmax(logits, 1)


#: In a log (stderr not a terminal), a progress line at most this often.
LOG_EVERY_SECONDS = 30.0


def progress_bar(total: int, enabled: bool, initial: int = 0):
    """A tqdm bar on a terminal; where stderr is not one (``nohup``, a cluster job's log), a
    :class:`LogProgress` that writes a line with an ETA every :data:`LOG_EVERY_SECONDS`. Both
    only report: training is the same with either, or with none (``enabled`` False)."""
    if not enabled:
        return None
    if not sys.stderr.isatty():
        return LogProgress(total, initial)
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, file=sys.stderr, unit="epoch", leave=False)


class LogProgress:
    """tqdm's ``update``/``set_postfix``/``close`` as plain lines for a log::

        epoch 12/200: loss 0.532, val 0.713; 18.2 s/epoch, at most 57 min left

    The first line comes once ``every`` seconds have passed (short runs print none), then at
    most one per ``every`` seconds. "At most": early stopping may end the run sooner.
    """

    def __init__(self, total: int, initial: int = 0, every: float | None = None, clock=None):
        self.total, self.done, self.first = total, initial, initial
        self.every = LOG_EVERY_SECONDS if every is None else every
        self.clock = clock or time.monotonic
        self.start = self.last = self.clock()

    def update(self, n: int = 1) -> None:
        self.done += n

    def set_postfix(self, **values) -> None:
        now = self.clock()
        if now - self.last < self.every or self.done <= self.first:
            return
        self.last = now
        per_epoch = (now - self.start) / (self.done - self.first)
        shown = ", ".join(f"{k} {v}" for k, v in values.items())
        left = max(self.total - self.done, 0) * per_epoch
        print(
            f"epoch {self.done}/{self.total}: {shown}; {per_epoch:.3g} s/epoch, at most "
            f"{_duration(left)} left",
            file=sys.stderr,
            flush=True,
        )

    def close(self) -> None:
        pass


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
