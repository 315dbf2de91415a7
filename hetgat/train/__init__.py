"""Training, evaluation and inference of a node classifier.

:func:`fit` is the one entry point; it alone chooses between full-batch training
(:mod:`hetgat.train.fullbatch`) and mini-batches of sampled blocks
(:mod:`hetgat.train.minibatch`). Both share :mod:`hetgat.train.loop`; predictions, metrics and
attention come from :mod:`hetgat.train.inference`.
"""

from __future__ import annotations

from hetgat.config import ModelConfig, TrainConfig
from hetgat.data import GraphData
from hetgat.models import MODELS
from hetgat.train.checkpoint import Checkpoint, TrainingInterrupted
from hetgat.train.fullbatch import fit_fullbatch
from hetgat.train.inference import evaluate, layerwise_forward, predict
from hetgat.train.loop import EarlyStopping, FitResult, model_inputs, seed_everything
from hetgat.train.minibatch import check_minibatch, fit_minibatch
from hetgat.train.smoothing import Smoothing, correct_and_smooth, smoothing_alpha


def fit(
    data: GraphData,
    model_config: ModelConfig = ModelConfig(),
    train_config: TrainConfig = TrainConfig(),
    *,
    progress: bool = False,
    checkpoint: Checkpoint | None = None,
    resume: dict | None = None,
) -> FitResult:
    """Train a node classifier on ``data`` and evaluate it on every split.

    Full batch (:func:`~hetgat.train.fullbatch.fit_fullbatch`), or with
    ``train_config.batch_size`` on mini-batches of sampled blocks
    (:func:`~hetgat.train.minibatch.fit_minibatch`). ``checkpoint`` and ``resume``: see
    :func:`~hetgat.train.fullbatch.fit_fullbatch`. ``data`` is checked first
    (:meth:`~hetgat.data.GraphData.validate`: a loader or the caller may have changed it).
    """
    data.validate()
    check_minibatch(model_config, train_config)
    rows = MODELS.get(model_config.name) is not None and MODELS[model_config.name].precomputes
    # a model on pre-computed inputs batches rows, nothing sampled (fit_fullbatch's row_batches)
    train = fit_minibatch if train_config.batch_size and not rows else fit_fullbatch
    return train(
        data, model_config, train_config, progress=progress, checkpoint=checkpoint, resume=resume
    )


__all__ = [
    "Checkpoint",
    "EarlyStopping",
    "FitResult",
    "Smoothing",
    "TrainingInterrupted",
    "evaluate",
    "fit",
    "fit_fullbatch",
    "fit_minibatch",
    "correct_and_smooth",
    "layerwise_forward",
    "model_inputs",
    "predict",
    "seed_everything",
    "smoothing_alpha",
]
