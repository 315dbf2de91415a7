"""Frozen configurations: what a model is and how it is trained.

Both are plain dataclasses, written to ``config.json`` in every run folder and read back with
:func:`from_dict`, which refuses unknown keys and wrong types with a message naming them.

Longer than 300 lines: every setting's meaning, default and check sit together, one place for
each rule, and most of the length is their documentation.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields

from hetgat.errors import ConfigError

#: The most layers a model may have.
MAX_LAYERS = 64
#: Label propagation deeper than this only averages the whole graph's labels.
MAX_LABEL_HOPS = 10
#: SeHGNN's longest relation path: the number of paths grows as (relations per type)^hops.
MAX_HOPS = 6
#: The most CPU threads a command may ask for: more is a typo, and OpenMP would try to start
#: them all (2,147,483,647 exhausted the memory inside libgomp).
MAX_THREADS = 1024
#: Early-stopping rules (:class:`TrainConfig`'s ``early_stopping``): the GAT paper's, HGB's.
EARLY_STOPPING_RULES = ("loss+score", "loss", "accuracy", "macro_f1", "micro_f1")
#: How semantic attention turns its scores into weights (:class:`ModelConfig`'s
#: ``semantic_fusion``; :class:`hetgat.nn.semantic.SemanticAttention`).
FUSIONS = ("softmax", "sigmoid")
#: SeHGNN's layer norms (:class:`ModelConfig`'s ``path_norm``;
#: :class:`hetgat.nn.pathlinear.PathLinear`): over each path's embedding, or over all of a node's
#: path embeddings at once.
PATH_NORMS = ("path", "node")
#: Inputs of node types without features (:class:`ModelConfig`'s ``featureless``;
#: :mod:`hetgat.datasets.featureless`), in the order their columns are concatenated.
FEATURELESS = ("embedding", "random", "propagated", "degree")


def featureless_parts(value) -> tuple:
    """``"degree+random"`` -> ``("random", "degree")``: a ``featureless`` value's choices, in
    :data:`FEATURELESS` order; ``embedding`` stands alone."""
    parts = [p.strip() for p in value.split("+")] if isinstance(value, str) else [value]
    expected = "embedding, or random, propagated, degree joined by + (e.g. random+degree)"
    if not all(p in FEATURELESS for p in parts) or len(set(parts)) != len(parts):
        raise ConfigError("featureless", value, expected)
    if "embedding" in parts and len(parts) > 1:
        raise ConfigError("featureless", value, expected + ": embedding stands alone")
    return tuple(c for c in FEATURELESS if c in parts)


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of a node classifier. Defaults are the GAT paper's Cora setup.

    Parameters
    ----------
    name : str, default "gat"
        A key of the model registry :data:`MODEL_SPECS`.
    hidden : int, default 8
        Hidden size per head.
    heads : int, default 8
        Heads in every hidden layer (their outputs are concatenated).
    out_heads : int, default 1
        Heads in the output layer (their outputs are averaged).
    num_layers : int, default 2
        Attention layers, the output layer included.
    feat_drop : float, default 0.6
        Dropout on each layer's input.
    attn_drop : float, default 0.6
        Dropout on the attention coefficients.
    negative_slope : float, default 0.2
        LeakyReLU slope of the attention score.
    residual : bool, default False
        Residual connections in the hidden layers.
    msg_drop : float, default 0.6
        GAT/GATv2: dropout on the projected neighbour features before aggregation, as the GAT
        paper's reference code does (worth about a point of accuracy on Cora and CiteSeer;
        see BENCHMARKS.md); 0 gives DGL's layer.
    embed_dim : int, default 64
        Size of the learned input embedding of node types without features.
    input_features : str, default "all"
        Which node types use their given features: ``all``, ``target`` (the others get
        learned embeddings, as Simple-HGN's "feats-type 2") or ``none`` (embeddings for all).
    metapaths : tuple of str, optional
        HAN: meta-paths (node types joined by ``-`` or relation names joined by ``,``); found
        automatically when not given.
    metapath_length : int, default 2
        HAN: length of the meta-paths found automatically (2 or 4).
    max_metapath_edges : int, default 5,000,000
        HAN: refuse a meta-path whose graph would have more (estimated) edges.
    semantic_hidden : int, default 128
        HAN and RGAT: size of the semantic attention's scoring MLP.
    semantic_fusion : {"softmax", "sigmoid"}, default "softmax"
        HAN and RGAT: the semantic attention's weights are a softmax over the meta-paths
        (relations), as in the HAN paper, or one sigmoid gate each, as in HGB's HAN code for
        IMDB (weights in (0, 1) that do not sum to 1; see BENCHMARKS.md).
    edge_feats : int, default 64
        Simple-HGN: size of the edge-type embedding.
    beta : float, default 0.05
        Simple-HGN: weight of the attention residual.
    label_hops : int, default 0
        The leak-free label input (:mod:`hetgat.datasets.labels`): the training labels of each
        target node's neighbourhood over this many hops, appended to its features, propagated
        so that no training node's own label reaches its input; 0 (default): off.
    label_partitions : int, default 10
        With ``label_hops``: the training nodes are split into this many random parts, and a
        training node's input comes from the labels of the other parts only.
    featureless : str, default "embedding"
        Inputs of node types without features (and of those ``input_features`` leaves out):
        ``embedding`` (learned per node, ``embed_dim`` columns; transductive), or ``random``
        (fixed Gaussian features of ``embed_dim`` columns keyed by node id), ``propagated``
        (each relation's mean of the neighbours' inputs), ``degree`` (``log1p`` in-degree per
        relation), joined by ``+`` (inductive); see :mod:`hetgat.datasets.featureless`.
    hops : int, default 2
        SeHGNN: the longest relation path whose mean-aggregated features are pre-computed
        (0: the target's own features only). A field of its own, not ``metapath_length``:
        these paths need not be symmetric nor start at the target, and any length from 0 to
        :data:`MAX_HOPS` is one (SeHGNN's HGB commands use 2 and 4; the paths multiply with
        each hop: HGB ACM has 19 of at most 2 hops, see BENCHMARKS.md).
    path_relations : tuple of str, optional
        SeHGNN: the relations its paths may take, feature and label paths alike (relation
        names, or ``src:relation:dst``); None (default): every relation. Leaving a noisy or
        featureless type's relations out keeps the paths few at many hops (SeHGNN's ACM
        command drops the term type: 41 paths of at most 4 hops instead of 181).
    label_form : {"hops", "paths"}, default "hops"
        With ``label_hops``: one input per hop over the whole graph, a training node reading
        the labels outside its part (:mod:`hetgat.datasets.labels`), or one per relation path
        from the target back to it, each node's walks back to itself left out (SeHGNN's form,
        :mod:`hetgat.datasets.path_labels`).
    task_head : {"hetgat", "sehgnn"}, default "hetgat"
        SeHGNN: its MLP after the fusion, hetgat's (layer norm) or SeHGNN's (batch norm,
        residual hidden layers for multi-label tasks, normalised class scores).
    input_drop : float, optional
        SeHGNN: dropout on each path's projection (SeHGNN's input dropout); None (default):
        ``feat_drop`` on the raw inputs.
    path_norm : {"path", "node"}, default "path"
        SeHGNN: the layer norms of its per-path layers, over each path's embedding on its own
        or over all of a node's path embeddings at once (SeHGNN's: one mean and variance per
        node, a gain per path and column, so a path's strength beside the others is kept).
    """

    name: str = "gat"
    hidden: int = 8
    heads: int = 8
    out_heads: int = 1
    num_layers: int = 2
    feat_drop: float = 0.6
    attn_drop: float = 0.6
    negative_slope: float = 0.2
    residual: bool = False
    msg_drop: float = 0.6
    embed_dim: int = 64
    input_features: str = "all"
    metapaths: tuple | None = None
    metapath_length: int = 2
    max_metapath_edges: int = 5_000_000
    semantic_hidden: int = 128
    semantic_fusion: str = "softmax"
    edge_feats: int = 64
    beta: float = 0.05
    label_hops: int = 0
    label_partitions: int = 10
    featureless: str = "embedding"
    hops: int = 2
    path_relations: tuple | None = None
    label_form: str = "hops"
    task_head: str = "hetgat"
    input_drop: float | None = None
    path_norm: str = "path"

    def __post_init__(self) -> None:
        ints = (
            "hidden",
            "heads",
            "out_heads",
            "num_layers",
            "embed_dim",
            "max_metapath_edges",
            "semantic_hidden",
            "edge_feats",
        )
        for name in ints:
            _check(name, getattr(self, name), lambda v: v >= 1, "an integer >= 1", int)
        # Deeper stacks are a typo, not a model: building 10^9 layers would just hang.
        _check(
            "num_layers", self.num_layers, lambda v: v <= MAX_LAYERS, f"at most {MAX_LAYERS}", int
        )
        _check("label_hops", self.label_hops, lambda v: 0 <= v <= MAX_LABEL_HOPS,
               f"an integer from 0 to {MAX_LABEL_HOPS}", int)  # fmt: skip
        _check("label_partitions", self.label_partitions, lambda v: v >= 2, "an integer >= 2", int)
        _check("hops", self.hops, lambda v: 0 <= v <= MAX_HOPS, f"an integer from 0 to {MAX_HOPS}",
               int)  # fmt: skip
        if self.input_drop is not None:
            _check("input_drop", self.input_drop, lambda v: 0 <= v < 1, "a number in [0, 1)",
                   float)  # fmt: skip
        if self.task_head not in ("hetgat", "sehgnn"):
            raise ConfigError("task_head", self.task_head, "hetgat or sehgnn")
        if self.path_norm not in PATH_NORMS:
            raise ConfigError("path_norm", self.path_norm, " or ".join(PATH_NORMS))
        if self.label_form not in ("hops", "paths"):
            raise ConfigError("label_form", self.label_form, "hops or paths")
        if self.input_features not in ("all", "target", "none"):
            raise ConfigError("input_features", self.input_features, "all, target or none")
        featureless_parts(self.featureless)
        if self.semantic_fusion not in FUSIONS:
            raise ConfigError("semantic_fusion", self.semantic_fusion, " or ".join(FUSIONS))
        if self.metapath_length not in (2, 4):
            raise ConfigError("metapath_length", self.metapath_length, "2 or 4")
        _check("beta", self.beta, lambda v: 0 <= v <= 1, "a number in [0, 1]", float)
        for name in ("feat_drop", "attn_drop", "msg_drop"):
            _check(name, getattr(self, name), lambda v: 0 <= v < 1, "a number in [0, 1)", float)
        _check("negative_slope", self.negative_slope, lambda v: v >= 0, "a number >= 0", float)
        for name, expected, empty in (
            ("metapaths", "a list of meta-path strings", True),
            ("path_relations", "a non-empty list of relation names", False),
        ):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, _strings(name, value, expected, empty))

    @classmethod
    def for_model(cls, name: str, **values) -> ModelConfig:
        """The configuration of model ``name`` with its own defaults, updated by ``values``."""
        spec = MODEL_SPECS.get(name)
        return cls(**{"name": name, **(spec.model_defaults if spec else {}), **values})


@dataclass(frozen=True)
class TrainConfig:
    """How a model is trained: full-batch Adam with early stopping on validation.

    Parameters
    ----------
    lr : float, default 0.005
        Adam learning rate.
    weight_decay : float, default 5e-4
        L2 penalty (Adam's ``weight_decay``).
    epochs : int, default 1000
        Most epochs to run.
    patience : int, default 100
        Stop after this many epochs without improvement on validation (see ``early_stopping``);
        0 turns early stopping off, so exactly ``epochs`` epochs run (the weights kept are still
        chosen by the rule).
    early_stopping : str, default "loss+score"
        ``"loss+score"`` (the GAT paper's rule): patience counts epochs in which neither the
        validation loss nor the score (accuracy; micro-F1 if multi-label) improved, and the
        weights kept are the last at which both were at least as good as ever. ``"loss"``
        (HGB's rule; Simple-HGN's default): patience counts epochs without a new lowest
        validation loss, and the weights kept are those with the lowest loss. ``"accuracy"``,
        ``"macro_f1"`` or ``"micro_f1"``: that validation metric alone decides (ties: the lower
        loss), e.g. ``macro_f1`` where a model that predicts the largest class scores well on
        accuracy or loss.
    seed : int, default 0
        Seeds Python, NumPy, torch and DGL.
    device : str, default "cpu"
        A torch device string.
    batch_size : int, optional
        Mini-batch training: this many target nodes per step, on blocks sampled around them
        (:func:`hetgat.train.minibatch.fit_minibatch`); inference then runs layer by layer in chunks
        of this many nodes. None (default) trains full batch.
    fanouts : tuple of int, optional
        With ``batch_size``: neighbours sampled per node in each layer, input layer first
        (one value per layer); None takes all neighbours.
    correct_smooth : float, optional
        Correct and Smooth (:mod:`hetgat.train.smoothing`): the predicted probabilities of
        all target nodes are post-processed by propagating the training labels over the
        target type's relations, with this weight ``alpha`` of the neighbours, in ``[0, 1)``;
        0: off. Given, the evaluation of every epoch (full batch), ``metrics.json`` and every
        prediction of the run are of the smoothed probabilities. None (default): where the
        task is single-label and the target type has no features of its own (none given, or
        ``input_features="none"``), 0.95 is tried once after training and kept where it
        raises the validation accuracy (``metrics.json`` says ``correct_smooth``: what was
        kept); else off (:func:`hetgat.train.smoothing.smoothing_alpha`; BENCHMARKS.md).
    class_mass : bool, optional
        With Correct and Smooth on a single-label task, class mass normalisation after it:
        each class's predicted mass over the nodes without a training label is scaled to the
        class's share of the training labels (:func:`hetgat.train.smoothing.correct_and_smooth`).
        None (default): on where the training labels are a quota per class (class counts
        within one of each other), where it trades accuracy for macro-F1 (BENCHMARKS.md).
    """

    lr: float = 0.005
    weight_decay: float = 5e-4
    epochs: int = 1000
    patience: int = 100
    early_stopping: str = "loss+score"
    seed: int = 0
    device: str = "cpu"
    batch_size: int | None = None
    fanouts: tuple | None = None
    correct_smooth: float | None = None
    class_mass: bool | None = None

    @classmethod
    def for_model(cls, name: str, **values) -> TrainConfig:
        """The training configuration with model ``name``'s defaults, updated by ``values``."""
        spec = MODEL_SPECS.get(name)
        return cls(**{**(spec.train_defaults if spec else {}), **values})

    def __post_init__(self) -> None:
        _check("lr", self.lr, lambda v: v > 0, "a number > 0", float)
        _check("weight_decay", self.weight_decay, lambda v: v >= 0, "a number >= 0", float)
        _check("epochs", self.epochs, lambda v: v >= 1, "an integer >= 1", int)
        _check("patience", self.patience, lambda v: v >= 0, "an integer >= 0", int)
        _check("seed", self.seed, lambda v: v >= 0, "an integer >= 0", int)
        if self.early_stopping not in EARLY_STOPPING_RULES:
            raise ConfigError(
                "early_stopping", self.early_stopping, ", ".join(EARLY_STOPPING_RULES)
            )
        if self.batch_size is not None:
            _check("batch_size", self.batch_size, lambda v: v >= 1, "an integer >= 1", int)
        if self.fanouts is not None:
            _check_fanouts(self.fanouts, self.batch_size)
            object.__setattr__(self, "fanouts", tuple(self.fanouts))
        if self.correct_smooth is not None:
            _check("correct_smooth", self.correct_smooth, lambda v: 0 <= v < 1,
                   "a number in [0, 1): 0 off, e.g. 0.9", float)  # fmt: skip
        if self.class_mass is not None and not isinstance(self.class_mass, bool):
            raise ConfigError("class_mass", self.class_mass, "true, false or None (the data's)")


@dataclass(frozen=True)
class ModelSpec:
    """One entry of the model registry :data:`MODEL_SPECS`.

    Attributes
    ----------
    name : str
        What ``ModelConfig.name`` and ``hetgat fit --model`` say.
    path : str
        ``module:Class`` of the network (a subclass of :class:`hetgat.models.base.AttentionNet`),
        imported only when the model is built.
    summary : str
        One line for help texts.
    model_defaults, train_defaults : dict
        Where this model's defaults differ from :class:`ModelConfig`'s and
        :class:`TrainConfig`'s (the papers' or reference implementations' settings).
    """

    name: str
    path: str
    summary: str
    model_defaults: dict = dataclasses.field(default_factory=dict)
    train_defaults: dict = dataclasses.field(default_factory=dict)


#: The one registry of models: names, networks, and each model's own defaults.
MODEL_SPECS = {
    spec.name: spec
    for spec in (
        ModelSpec("gat", "hetgat.models.gat:GAT", "GAT (Veličković et al. 2018), homogeneous"),
        ModelSpec("gatv2", "hetgat.models.gatv2:GATv2", "GATv2 (Brody et al. 2022), homogeneous"),
        ModelSpec(
            "han",
            "hetgat.models.han:HAN",
            "HAN: meta-path attention (Wang et al. 2019), heterogeneous",
            # DGL's HAN example: 1 layer, 8 heads x 8, dropout 0.6
            model_defaults={"num_layers": 1},
            train_defaults={"weight_decay": 1e-3},
        ),
        ModelSpec(
            "rgat",
            "hetgat.models.rgat:RGAT",
            "relation-level attention, heterogeneous",
            model_defaults={"feat_drop": 0.5, "attn_drop": 0.5},
        ),
        ModelSpec(
            "simplehgn",
            "hetgat.models.simplehgn:SimpleHGN",
            "Simple-HGN (Lv et al. 2021), heterogeneous",
            # HGB's run_new.py and its EarlyStopping (lowest validation loss)
            model_defaults={
                "hidden": 64,
                "heads": 8,
                "num_layers": 4,
                "feat_drop": 0.5,
                "attn_drop": 0.5,
                "negative_slope": 0.05,
                "edge_feats": 64,
                "beta": 0.05,
            },
            train_defaults={
                "lr": 5e-4,
                "weight_decay": 1e-4,
                "patience": 30,
                "epochs": 300,
                "early_stopping": "loss",
            },
        ),
        ModelSpec(
            "hgt",
            "hetgat.models.hgt:HGT",
            "HGT: heterogeneous graph transformer (Hu et al. 2020), heterogeneous",
            # DGL's HGT example (4 heads, dropout 0.2, layer norm), 4 x 32 wide to keep the CPU
            # cost modest; HGB's protocol for training (lowest validation loss), as Simple-HGN
            model_defaults={
                "hidden": 32,
                "heads": 4,
                "num_layers": 2,
                "feat_drop": 0.2,
                "attn_drop": 0.0,
            },
            train_defaults={
                "lr": 1e-3,
                "weight_decay": 1e-4,
                "patience": 30,
                "epochs": 300,
                "early_stopping": "loss",
            },
        ),
        ModelSpec(
            "sehgnn",
            "hetgat.models.sehgnn:SeHGNN",
            "SeHGNN: pre-computed relation paths, a transformer across them (Yang et al. 2023), "
            "heterogeneous",
            # SeHGNN's HGB commands: 512 wide, dropout 0.5 (input and hidden), one attention
            # head, Adam lr 1e-3 without weight decay, 200 epochs; 2 hops (DBLP's; ACM and
            # IMDB use 4, at many times the memory)
            model_defaults={
                "hops": 2,
                "hidden": 512,
                "heads": 1,
                "num_layers": 2,
                "feat_drop": 0.5,
                "attn_drop": 0.0,
            },
            train_defaults={
                "lr": 1e-3,
                "weight_decay": 0.0,
                "epochs": 200,
                "patience": 50,
                "early_stopping": "loss",
            },
        ),
    )
}
MODEL_NAMES = tuple(MODEL_SPECS)


def model_default(name: str, field_name: str):
    """Model ``name``'s default of a :class:`ModelConfig` or :class:`TrainConfig` field."""
    spec = MODEL_SPECS[name]
    for overrides, cls in ((spec.model_defaults, ModelConfig), (spec.train_defaults, TrainConfig)):
        names = {f.name: f.default for f in fields(cls)}
        if field_name in names:
            return overrides.get(field_name, names[field_name])
    raise KeyError(field_name)


def _check(name, value, ok, expected, kind) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float) if kind is float else int):
        raise ConfigError(name, value, expected)
    if value != value or not ok(value):  # NaN fails every comparison
        raise ConfigError(name, value, expected)


def _strings(name, value, expected, empty: bool) -> tuple:
    """``value`` as a tuple of non-empty strings (none at all only where ``empty``)."""
    if isinstance(value, str):
        raise ConfigError(name, value, expected)
    try:
        values = tuple(value)
    except TypeError:
        raise ConfigError(name, value, expected) from None
    if not (values or empty) or not all(isinstance(v, str) and v for v in values):
        raise ConfigError(name, value, expected)
    return values


def _check_fanouts(fanouts, batch_size) -> None:
    """Positive integers, one per layer (their count is checked against the model's layers
    when training starts), and only together with a batch size."""
    expected = "a list of integers >= 1, one per layer"
    if isinstance(fanouts, (str, bytes)) or not isinstance(fanouts, (tuple, list)) or not fanouts:
        raise ConfigError("fanouts", fanouts, expected)
    for v in fanouts:
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ConfigError("fanouts", fanouts, expected)
    if batch_size is None:
        raise ConfigError("fanouts", fanouts, "a batch_size too (fanouts sample mini-batches)")


def to_dict(config) -> dict:
    return dataclasses.asdict(config)


def from_dict(cls, values: dict):
    """Build ``cls`` from a dict, refusing unknown keys with a message that lists the known ones."""
    if not isinstance(values, dict):
        raise ConfigError(cls.__name__, values, "a JSON object")
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(cls.__name__, unknown[0], f"one of {', '.join(sorted(known))}")
    return cls(**values)
