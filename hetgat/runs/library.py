"""``import hetgat``'s verbs: :func:`fit` a model on a graph (a :class:`Run` back),
:func:`load` a run folder (the same :class:`Run`), :func:`build_model` for a custom loop."""

from __future__ import annotations

from pathlib import Path

from hetgat.config import ModelConfig, TrainConfig
from hetgat.data import GraphData, Schema
from hetgat.errors import ConfigError
from hetgat.models import build_model as build_classifier
from hetgat.models import resolve_config
from hetgat.runs.folder import load_run
from hetgat.runs.options import configs
from hetgat.runs.run import Run
from hetgat.sparse.threads import using_threads
from hetgat.train import fit as train
from hetgat.train.graph_model import GraphModel, build_graph_model


def fit(
    graph: GraphData,
    model: str | ModelConfig = "gat",
    train_config: TrainConfig | None = None,
    *,
    progress: bool = False,
    threads: int | None = None,
    **options,
) -> Run:
    """Train a node classifier on ``graph`` and return the :class:`Run`.

    Parameters
    ----------
    graph : GraphData
        From :func:`hetgat.from_pandas`, :func:`hetgat.from_pyg`, :func:`hetgat.load_graph`
        or built by hand (it is checked first).
    model : str or ModelConfig, default "gat"
        A model's name (``gat``, ``gatv2``, ``han``, ``rgat``, ``simplehgn``, ``hgt``), with
        its own defaults, or a :class:`~hetgat.config.ModelConfig`.
    train_config : TrainConfig, optional
        Training settings [default: the model's own defaults].
    progress : bool, default False
        A progress bar on stderr.
    threads : int, optional
        CPU threads for the training [default: as every command, see
        :func:`hetgat.sparse.threads.default_threads`].
    **options
        Every model, training and device option of ``hetgat fit`` under its flag's name
        without dashes: ``hidden``, ``heads``, ``layers``, ``dropout``, ``embed_dim``,
        ``input_features``, ``metapath``, ``label_hops``, ``lr``, ``weight_decay``,
        ``epochs``, ``patience``, ``early_stopping``, ``seed``, ``device``, ``batch_size``,
        ``fanouts``, ... (:data:`hetgat.runs.options.OPTIONS`); a misspelt one is an error
        naming the closest. They replace the fields of ``model`` and ``train_config`` when
        those are configurations.

    Returns
    -------
    Run
        In memory (``run.path`` is None until :meth:`Run.save`): ``run.metrics``,
        ``run.history``, ``run.model`` (eval mode), and the tables as DataFrames.
    """
    if not isinstance(graph, GraphData):
        raise ConfigError(
            "graph", type(graph).__name__, "a GraphData (hetgat.from_pandas, hetgat.load_graph)"
        )
    graph.validate()
    model_config, train_config = configs(model, train_config, **options)
    model_config = resolve_config(model_config, graph)  # meta-path errors before training
    with using_threads(threads):
        result = train(graph, model_config, train_config, progress=progress)
    return Run(
        None,
        result.model,
        result.model_config,
        train_config,
        graph.schema(),
        None,
        dict(graph.node_ids),
        dict(result.metrics),
        matched_by_id=True,
        data=graph,
        history=list(result.history),
    )


def load(path: str | Path, *, unseen_nodes: str = "error") -> Run:
    """The :class:`Run` of run folder ``path`` (written by ``hetgat fit`` or
    :meth:`Run.save`; weights only, no code is unpickled); ``unseen_nodes``: see
    :class:`Run`."""
    return load_run(path, unseen_nodes=unseen_nodes)


def build_model(model: str | ModelConfig, graph, **options) -> GraphModel:
    """A model for ``graph``, for a training loop of your own: ``model(graph)`` gives the
    target logits, ``model(graph, get_attention=True)`` adds the attention record, and
    ``model(batch)`` takes a batch of :class:`hetgat.NeighborLoader` (see docs/library.md).

    ``model`` and ``options`` as for :func:`fit` (training options other than ``seed``, which
    draws the label input's parts, play no part). ``build_model(config, schema)`` with a
    :class:`~hetgat.config.ModelConfig` and a :class:`~hetgat.data.Schema` gives the bare
    :class:`~hetgat.models.inputs.NodeClassifier`, as before.
    """
    if isinstance(graph, Schema):
        if options:
            raise ConfigError("options", sorted(options)[0], "none with a Schema")
        return build_classifier(model, graph)
    if not isinstance(graph, GraphData):
        raise ConfigError("graph", type(graph).__name__, "a GraphData")
    model_config, train_config = configs(model, **options)
    return build_graph_model(model_config, graph, seed=train_config.seed)
