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
from hetgat.train.inference import (
    evaluate,
    layerwise_forward,
    one_class_splits,
    predict,
    split_metrics,
)
from hetgat.train.loop import EarlyStopping, FitResult, model_inputs, seed_everything
from hetgat.train.minibatch import check_minibatch, fit_minibatch
from hetgat.train.smoothing import (
    Smoothing,
    applied_alpha,
    correct_and_smooth,
    decide_smoothing,
    smoothing_alpha,
)


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
    result = train(
        data, model_config, train_config, progress=progress, checkpoint=checkpoint, resume=resume
    )
    result.metrics["correct_smooth"] = _smoothing_decided(result, data, train_config)
    return result


def _smoothing_decided(result: FitResult, data: GraphData, train_config: TrainConfig) -> float:
    """The Correct and Smooth ``alpha`` the run applies from now on (``metrics.json``'s
    ``correct_smooth``): the one given, or where it is left to the data and the data offers one
    (:func:`smoothing_alpha`), that one where it wins on validation
    (:func:`~hetgat.train.smoothing.decide_smoothing`), with ``result.metrics`` made those of
    the smoothed probabilities; else 0."""
    if train_config.correct_smooth is not None:
        return train_config.correct_smooth
    alpha = smoothing_alpha(None, result.model_config, data.schema())
    if not alpha:
        return 0.0
    probs = predict(result.model, data, train_config.device, chunk_size=train_config.batch_size)
    smoothing = Smoothing.of_data(data, alpha, train_config.class_mass)
    smoothed = decide_smoothing(probs, data, smoothing)
    if smoothed is None:
        return 0.0
    result.metrics.pop("one_class", None)
    result.metrics.update(split_metrics(smoothed, data))
    collapsed = one_class_splits(smoothed, data)
    if collapsed:
        result.metrics["one_class"] = collapsed
    return alpha


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
    "applied_alpha",
]
